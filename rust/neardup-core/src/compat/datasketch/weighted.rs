//! datasketch's `WeightedMinHashGenerator` (Ioffe, "Improved Consistent Sampling, Weighted Minhash and
//! L1 Sketching", ICDM 2010): per sample `i` and element `j` with weight `v_j > 0`,
//! `t = ⌊ln v_j / r_ij + β_ij⌋`, `ln a = ln c_ij − (t − β_ij)·r_ij − r_ij`, and the sample is the
//! `(j, t)` of the smallest `ln a`.
//!
//! Bit-identity with datasketch rests on doing its float32 operations in its order: `ln v_j` comes from
//! numpy (its `log` may differ from libm's by an ulp, so the caller passes it in), the rest is IEEE
//! division, addition, floor, subtraction and multiplication, exactly rounded in any implementation.
//! `minhash_many` groups the operations differently (`(t − β + 1)·r` then `ln c − ln y`), so it has
//! its own [`Variant`].

use rayon::prelude::*;

use crate::error::{invalid, Result};

/// Which of datasketch's two formulas (they round differently) and NaN rules to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `WeightedMinHashGenerator.minhash`: `ln c − (t − β)·r − r`, NaN ignored (`nanargmin`).
    Single,
    /// `WeightedMinHashGenerator.minhash_many`: `ln c − (t − β + 1)·r`, a NaN is the minimum
    /// (`argmin`).
    Many,
}

/// `⌊x⌋` in float32, exact, without a libm call (so the loop below vectorises): values of magnitude
/// `2**23` and more (and NaN, ±inf) are already integers.
#[inline(always)]
fn floor32(x: f32) -> f32 {
    if x.abs() < 8_388_608.0 {
        let t = x as i32 as f32;
        if t > x {
            t - 1.0
        } else {
            t
        }
    } else {
        x
    }
}

/// The random parameters of a generator, stored column-major (`dim × samples`): one element's
/// parameters for every sample are contiguous, so each weight updates all samples in one vector pass.
#[derive(Debug, Clone)]
pub struct WeightedParams {
    pub dim: usize,
    pub samples: usize,
    rs: Vec<f32>,
    ln_cs: Vec<f32>,
    betas: Vec<f32>,
}

/// Running minimum of one vector's samples.
struct Best {
    ln_a: Vec<f32>,
    k: Vec<u32>,
    t: Vec<f32>,
}
impl WeightedParams {
    /// `rs`, `ln_cs`, `betas`: `samples × dim`, row-major (datasketch's layout).
    pub fn new(
        dim: usize,
        samples: usize,
        rs: Vec<f32>,
        ln_cs: Vec<f32>,
        betas: Vec<f32>,
    ) -> Result<Self> {
        let n = dim
            .checked_mul(samples)
            .ok_or_else(|| invalid("dim", "dim × sample_size overflows"))?;
        if rs.len() != n || ln_cs.len() != n || betas.len() != n {
            return Err(invalid("params", format!("expected {n} values per matrix")));
        }
        let transpose = |m: &[f32]| -> Vec<f32> {
            let mut out = vec![0.0f32; n];
            for i in 0..samples {
                for j in 0..dim {
                    out[j * samples + i] = m[i * dim + j];
                }
            }
            out
        };
        Ok(WeightedParams {
            dim,
            samples,
            rs: transpose(&rs),
            ln_cs: transpose(&ln_cs),
            betas: transpose(&betas),
        })
    }

    /// One vector's `(k, t)` per sample, from the logs of its weights at ascending columns `cols`;
    /// false when some sample found no number (datasketch raises: all-NaN slice). Runs the loop
    /// compiled for AVX2 when the CPU has it: the same IEEE operations, eight lanes at a time (no FMA,
    /// which would round differently).
    fn one(
        &self,
        cols: &[u32],
        logs: &[f32],
        variant: Variant,
        best: &mut Best,
        out: &mut [i64],
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx2")]
            fn v3(
                p: &WeightedParams,
                cols: &[u32],
                logs: &[f32],
                variant: Variant,
                best: &mut Best,
                out: &mut [i64],
            ) -> bool {
                p.one_portable::<true>(cols, logs, variant, best, out)
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has every feature `v3` is compiled for.
                return unsafe { v3(self, cols, logs, variant, best, out) };
            }
        }
        self.one_portable::<false>(cols, logs, variant, best, out)
    }

    /// [`WeightedParams::one`] for any instruction set; `HW_FLOOR`: `⌊x⌋` by the instruction SSE4.1
    /// has (`f32::floor` is one instruction there, a libm call without it).
    ///
    /// The running minimum starts at +inf and is replaced only by a smaller value (the first of equal
    /// ones is kept, as `argmin` keeps it); a NaN never replaces it under `Single` (`nanargmin`) and
    /// always does, once, under `Many` (`argmin` returns the first NaN). `ln a` is never +inf for a
    /// nonzero weight (`t` would have to be −inf, i.e. `ln v = −inf`), so +inf left at the end means
    /// every value was NaN. One branch-free pass per column, so it vectorises.
    #[inline(always)]
    fn one_portable<const HW_FLOOR: bool>(
        &self,
        cols: &[u32],
        logs: &[f32],
        variant: Variant,
        best: &mut Best,
        out: &mut [i64],
    ) -> bool {
        let s = self.samples;
        let reset = |v: &mut Vec<f32>, x: f32| {
            v.clear();
            v.resize(s, x);
        };
        reset(&mut best.ln_a, f32::INFINITY);
        reset(&mut best.t, 0.0);
        best.k.clear();
        best.k.resize(s, 0);
        let (b_a, b_k, b_t) = (&mut best.ln_a[..s], &mut best.k[..s], &mut best.t[..s]);
        match variant {
            Variant::Single => self.fold_columns::<false, HW_FLOOR>(cols, logs, b_a, b_k, b_t),
            Variant::Many => self.fold_columns::<true, HW_FLOOR>(cols, logs, b_a, b_k, b_t),
        }
        if b_a.contains(&f32::INFINITY) {
            return false;
        }
        for i in 0..s {
            out[2 * i] = b_k[i] as i64;
            out[2 * i + 1] = b_t[i] as i64;
        }
        true
    }

    /// Folds every column's samples into the running minimum `(b_a, b_k, b_t)`; `MANY` picks
    /// `minhash_many`'s formula and NaN rule.
    #[inline(always)]
    fn fold_columns<const MANY: bool, const HW_FLOOR: bool>(
        &self,
        cols: &[u32],
        logs: &[f32],
        b_a: &mut [f32],
        b_k: &mut [u32],
        b_t: &mut [f32],
    ) {
        let s = self.samples;
        for (&c, &lv) in cols.iter().zip(logs) {
            let at = c as usize * s;
            let (rs, betas, ln_cs) = (
                &self.rs[at..at + s],
                &self.betas[at..at + s],
                &self.ln_cs[at..at + s],
            );
            let (b_a, b_k, b_t) = (&mut b_a[..s], &mut b_k[..s], &mut b_t[..s]);
            for i in 0..s {
                // The float32 steps of datasketch, in its order (see the module doc).
                let x = lv / rs[i] + betas[i];
                let t = if HW_FLOOR { x.floor() } else { floor32(x) };
                let a = if MANY {
                    ln_cs[i] - (t - betas[i] + 1.0) * rs[i]
                } else {
                    ln_cs[i] - (t - betas[i]) * rs[i] - rs[i]
                };
                let b = b_a[i];
                #[allow(clippy::eq_op)] // `x != x` is the branch-free NaN test
                let take = (a < b) | (MANY & (a != a) & (b == b));
                b_a[i] = if take { a } else { b };
                // A mask, not a select: LLVM turns the select into a masked store, which AMD CPUs run
                // in microcode.
                let keep = (take as u32).wrapping_sub(1);
                b_k[i] = (c & !keep) | (b_k[i] & keep);
                b_t[i] = if take { t } else { b_t[i] };
            }
        }
    }

    /// Rows of a CSR matrix (`indptr`, ascending column `cols` per row, `logs` of the values):
    /// `(rows × samples × 2)` `(k, t)` values and, per row, whether it had a sample (empty rows give
    /// datasketch's `None`).
    pub fn many(
        &self,
        indptr: &[usize],
        cols: &[u32],
        logs: &[f32],
        variant: Variant,
    ) -> Result<(Vec<i64>, Vec<bool>)> {
        if cols.len() != logs.len() || indptr.windows(2).any(|w| w[0] > w[1]) {
            return Err(invalid("X", "malformed sparse rows"));
        }
        if indptr.last().copied().unwrap_or(0) > cols.len() {
            return Err(invalid("X", "row pointers past the data"));
        }
        if cols.iter().any(|&c| c as usize >= self.dim) {
            return Err(invalid(
                "X",
                format!("column out of range for dim {}", self.dim),
            ));
        }
        let rows = indptr.len().saturating_sub(1);
        let width = 2 * self.samples;
        let mut out = vec![0i64; rows * width];
        let mut ok = vec![false; rows];
        out.par_chunks_mut(width.max(1))
            .zip(ok.par_iter_mut())
            .enumerate()
            .for_each_init(
                || Best {
                    ln_a: Vec::new(),
                    k: Vec::new(),
                    t: Vec::new(),
                },
                |best, (row, (dst, flag))| {
                    let (lo, hi) = (indptr[row], indptr[row + 1]);
                    *flag = lo < hi && self.one(&cols[lo..hi], &logs[lo..hi], variant, best, dst);
                },
            );
        Ok((out, ok))
    }
}

#[cfg(test)]
mod tests {
    use super::floor32;

    #[test]
    fn floor32_matches_libm() {
        // -0.0 floors to +0.0 here: the sign of a zero never reaches an output (`t - β` and `t as i64`
        // come out the same).
        for x in [
            -3.5f32,
            -3.0,
            -0.5,
            0.0,
            0.25,
            2.999_999_8,
            8_388_607.5,
            -8_388_607.5,
            1e20,
            -1e20,
        ] {
            assert_eq!(floor32(x).to_bits(), x.floor().to_bits(), "{x}");
        }
        assert!(floor32(f32::NAN).is_nan());
        assert_eq!(floor32(f32::INFINITY), f32::INFINITY);
    }
}
