//! The first step of SciPy's `quad` (QUADPACK `dqagse`: one 21-point Gauss–Kronrod rule `dqk21` over
//! the whole interval, accepted when its error estimate meets the default tolerances), reproduced
//! operation for operation so its results are bit-identical to datasketch's `(b, r)` error areas.
//!
//! Piessens, de Doncker-Kapenga, Überhuber & Kahaner, *QUADPACK* (Springer, 1983). Only used to break
//! exact ties between `(b, r)` candidates (e.g. threshold 0.5 with tiny `num_perm`), where the
//! choice rests on the last bit of SciPy's rounding.

// QUADPACK's constants are kept digit for digit (they parse to the same doubles SciPy uses), and its
// loops keep their index form, so the two can be compared line by line.
#![allow(clippy::excessive_precision, clippy::needless_range_loop)]

/// Kronrod abscissae (descending), then the Kronrod and Gauss weights, as QUADPACK lists them.
const XGK: [f64; 11] = [
    0.995_657_163_025_808_080_735_527_280_689_003,
    0.973_906_528_517_171_720_077_964_012_084_452,
    0.930_157_491_355_708_226_001_207_180_059_508,
    0.865_063_366_688_984_510_732_096_688_423_493,
    0.780_817_726_586_416_897_063_717_578_345_042,
    0.679_409_568_299_024_406_234_327_365_114_874,
    0.562_757_134_668_604_683_339_000_099_272_694,
    0.433_395_394_129_247_190_799_265_943_165_784,
    0.294_392_862_701_460_198_131_126_603_103_866,
    0.148_874_338_981_631_210_884_826_001_129_720,
    0.0,
];
const WGK: [f64; 11] = [
    0.011_694_638_867_371_874_278_064_396_062_192,
    0.032_558_162_307_964_727_478_818_972_459_390,
    0.054_755_896_574_351_996_031_381_300_244_580,
    0.075_039_674_810_919_952_767_043_140_916_190,
    0.093_125_454_583_697_605_535_065_465_083_366,
    0.109_387_158_802_297_641_899_210_590_325_805,
    0.123_491_976_262_065_851_077_208_931_266_881,
    0.134_709_217_311_473_325_928_054_001_771_707,
    0.142_775_938_577_060_080_797_094_273_138_717,
    0.147_739_104_901_338_491_374_841_515_972_068,
    0.149_445_554_002_916_905_664_936_468_389_821,
];
const WG: [f64; 5] = [
    0.066_671_344_308_688_137_593_568_809_893_332,
    0.149_451_349_150_580_593_145_776_339_657_697,
    0.219_086_362_515_982_043_995_534_934_228_163,
    0.269_266_719_309_996_355_091_226_921_569_469,
    0.295_524_224_714_752_870_173_892_994_651_338,
];

/// SciPy's default `epsabs` and `epsrel` (1.49e-8).
const EPS: f64 = 1.49e-8;

/// `quad(f, a, b)` when QUADPACK accepts its first Gauss–Kronrod estimate, else `None` (SciPy would
/// go on subdividing; the caller then uses its own integral).
pub fn quad_first_pass(f: impl Fn(f64) -> f64, a: f64, b: f64) -> Option<f64> {
    let epmach = f64::EPSILON;
    let uflow = f64::MIN_POSITIVE;
    let centr = 0.5 * (a + b);
    let hlgth = 0.5 * (b - a);
    let dhlgth = hlgth.abs();

    // dqk21, in QUADPACK's order of operations.
    let mut resg = 0.0;
    let fc = f(centr);
    let mut resk = WGK[10] * fc;
    let mut resabs = resk.abs();
    let (mut fv1, mut fv2) = ([0.0f64; 10], [0.0f64; 10]);
    for j in 0..5 {
        let jtw = 2 * j + 1;
        let absc = hlgth * XGK[jtw];
        let (fval1, fval2) = (f(centr - absc), f(centr + absc));
        fv1[jtw] = fval1;
        fv2[jtw] = fval2;
        let fsum = fval1 + fval2;
        resg += WG[j] * fsum;
        resk += WGK[jtw] * fsum;
        resabs += WGK[jtw] * (fval1.abs() + fval2.abs());
    }
    for j in 0..5 {
        let jtwm1 = 2 * j;
        let absc = hlgth * XGK[jtwm1];
        let (fval1, fval2) = (f(centr - absc), f(centr + absc));
        fv1[jtwm1] = fval1;
        fv2[jtwm1] = fval2;
        let fsum = fval1 + fval2;
        resk += WGK[jtwm1] * fsum;
        resabs += WGK[jtwm1] * (fval1.abs() + fval2.abs());
    }
    let reskh = resk * 0.5;
    let mut resasc = WGK[10] * (fc - reskh).abs();
    for j in 0..10 {
        resasc += WGK[j] * ((fv1[j] - reskh).abs() + (fv2[j] - reskh).abs());
    }
    let result = resk * hlgth;
    resabs *= dhlgth;
    resasc *= dhlgth;
    let mut abserr = ((resk - resg) * hlgth).abs();
    if resasc != 0.0 && abserr != 0.0 {
        abserr = resasc * (200.0 * abserr / resasc).powf(1.5).min(1.0);
    }
    if resabs > uflow / (50.0 * epmach) {
        abserr = abserr.max(epmach * 50.0 * resabs);
    }

    // dqagse's test after the first rule: roundoff detected, or accuracy met (and the estimate is
    // not the degenerate `abserr == resasc`), or a zero error.
    let errbnd = EPS.max(EPS * result.abs());
    let roundoff = abserr <= 100.0 * epmach * resabs && abserr > errbnd;
    // Exact comparisons on purpose: these are QUADPACK's own tests.
    #[allow(clippy::float_cmp)]
    let accepted = roundoff || (abserr <= errbnd && abserr != resasc) || abserr == 0.0;
    accepted.then_some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_quad_bit_for_bit() {
        // scipy.integrate.quad(lambda s: 1 - (1 - s**2.0)**2.0, 0.0, 0.5)[0] and friends.
        let p = |r: f64, b: f64| move |s: f64| 1.0 - (1.0 - s.powf(r)).powf(b);
        assert_eq!(
            quad_first_pass(p(2.0, 2.0), 0.0, 0.5),
            Some(0.07708333333333332)
        );
        assert_eq!(quad_first_pass(p(1.0, 1.0), 0.0, 0.5), Some(0.125));
    }
}
