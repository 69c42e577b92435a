//! The banding parameters `(b, r)` of a threshold: the S-curve `P(candidate | J=s) = 1 − (1 − s^r)^b`
//! and the choice, as datasketch makes it, minimising `w_fp·∫₀ᵗ P(s) ds + w_fn·∫ₜ¹ (1 − P(s)) ds` over
//! all `b·r ≤ num_perm` (see the [`super`] module documentation for the papers).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::error::{invalid, Result};

/// Integral of `f` over `[a, b]` by composite Gauss–Legendre (5 points on 64 panels): smooth integrands
/// here, so this is exact to ~1e-12.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const X: [f64; 5] = [
        0.0,
        -0.538_469_310_105_683,
        0.538_469_310_105_683,
        -0.906_179_845_938_664,
        0.906_179_845_938_664,
    ];
    const W: [f64; 5] = [
        0.568_888_888_888_889,
        0.478_628_670_499_366,
        0.478_628_670_499_366,
        0.236_926_885_056_189,
        0.236_926_885_056_189,
    ];
    let panels = 64;
    let h = (b - a) / panels as f64;
    let mut total = 0.0;
    for p in 0..panels {
        let mid = a + (p as f64 + 0.5) * h;
        for (x, w) in X.iter().zip(W) {
            total += w * f(mid + x * h / 2.0);
        }
    }
    total * h / 2.0
}

/// The false-positive and false-negative areas of a `(b, r)` banding at `threshold`.
pub fn error_areas(threshold: f64, bands: usize, rows: usize) -> (f64, f64) {
    // Integer powers by repeated squaring: several times cheaper than `powf`, which made this search
    // (hundreds of (b, r) candidates, 640 points each) a visible part of every `neardup diff`.
    let (b, r) = (bands as i32, rows as i32);
    let p = |s: f64| 1.0 - (1.0 - s.powi(r)).powi(b);
    let fp = integrate(p, 0.0, threshold);
    let fnr = integrate(|s| 1.0 - p(s), threshold, 1.0);
    (fp, fnr)
}

/// Every banding `(b, r)` with `b·r ≤ num_perm`, in `b`-then-`r` order, with its false-positive and
/// false-negative areas at `threshold`: the one search space of [`optimal_params`] and of datasketch's
/// choice (`compat::datasketch::lsh`), so that both weigh the same candidates and break ties in the
/// same order.
pub fn banding_errors(
    threshold: f64,
    num_perm: usize,
) -> impl Iterator<Item = ((usize, usize), f64, f64)> {
    (1..=num_perm).flat_map(move |b| {
        (1..=num_perm / b).map(move |r| {
            let (fp, fnr) = error_areas(threshold, b, r);
            ((b, r), fp, fnr)
        })
    })
}

/// `(bands, rows)` minimising the weighted error areas (first minimum in `b`-then-`r` order).
pub fn optimal_params(
    threshold: f64,
    num_perm: usize,
    fp_weight: f64,
    fn_weight: f64,
) -> Result<(usize, usize)> {
    check_threshold(threshold)?;
    if num_perm == 0 {
        return Err(invalid("num_perm", "must be at least 1"));
    }
    if !(fp_weight >= 0.0 && fn_weight >= 0.0) || (fp_weight + fn_weight - 1.0).abs() > 1e-9 {
        return Err(invalid(
            "weights",
            "must be two non-negative numbers summing to 1",
        ));
    }
    // The search integrates ~2·num_perm·ln(num_perm) S-curves; indexes are often built with the same few
    // settings, so remember the answers.
    type Params = HashMap<(u64, usize, u64, u64), (usize, usize)>;
    static CACHE: OnceLock<Mutex<Params>> = OnceLock::new();
    let cache_key = (
        threshold.to_bits(),
        num_perm,
        fp_weight.to_bits(),
        fn_weight.to_bits(),
    );
    let cache = CACHE.get_or_init(Default::default);
    if let Some(&hit) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(&cache_key).copied())
        .as_ref()
    {
        return Ok(hit);
    }
    let mut best = (f64::INFINITY, (1, 1));
    for ((b, r), fp, fnr) in banding_errors(threshold, num_perm) {
        let err = fp * fp_weight + fnr * fn_weight;
        if err < best.0 {
            best = (err, (b, r));
        }
    }
    if let Ok(mut c) = cache.lock() {
        c.insert(cache_key, best.1);
    }
    Ok(best.1)
}

pub(crate) fn check_threshold(t: f64) -> Result<()> {
    if !(t > 0.0 && t < 1.0) {
        return Err(invalid("threshold", format!("must be in (0, 1), got {t}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_match_datasketch_for_common_thresholds() {
        // Values datasketch 2.0 picks with its default weights.
        for (t, expected) in [
            (0.1, (64, 2)),
            (0.3, (37, 3)),
            (0.5, (25, 5)),
            (0.8, (9, 13)),
            (0.9, (5, 25)),
        ] {
            assert_eq!(
                optimal_params(t, 128, 0.5, 0.5).unwrap(),
                expected,
                "threshold {t}"
            );
        }
    }
}
