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

/// The random parameters of a generator: `sample_size × dim` matrices, row-major.
#[derive(Debug, Clone)]
pub struct WeightedParams {
    pub dim: usize,
    pub samples: usize,
    pub rs: Vec<f32>,
    pub ln_cs: Vec<f32>,
    pub betas: Vec<f32>,
}

impl WeightedParams {
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
        Ok(WeightedParams {
            dim,
            samples,
            rs,
            ln_cs,
            betas,
        })
    }

    /// One vector's `(k, t)` per sample, from the logs of its weights at columns `cols`; `None` when
    /// no column gives a number (datasketch raises: all-NaN slice).
    fn one(&self, cols: &[u32], logs: &[f32], variant: Variant, out: &mut [i64]) -> bool {
        for i in 0..self.samples {
            let row = i * self.dim;
            let mut best: Option<(f32, usize, f32)> = None;
            for (&c, &lv) in cols.iter().zip(logs) {
                let at = row + c as usize;
                let (r, beta, ln_c) = (self.rs[at], self.betas[at], self.ln_cs[at]);
                let t = (lv / r + beta).floor();
                let ln_a = match variant {
                    Variant::Single => ln_c - (t - beta) * r - r,
                    Variant::Many => ln_c - (t - beta + 1.0) * r,
                };
                match (variant, best) {
                    (Variant::Single, _) if ln_a.is_nan() => {}
                    (Variant::Many, Some((b, _, _))) if b.is_nan() => {}
                    (_, Some((b, _, _))) if !(ln_a < b || ln_a.is_nan()) => {}
                    _ => best = Some((ln_a, c as usize, t)),
                }
            }
            let Some((_, k, t)) = best else {
                return false;
            };
            out[2 * i] = k as i64;
            out[2 * i + 1] = t as i64;
        }
        true
    }

    /// Rows of a CSR matrix (`indptr`, column `cols`, `logs` of the values): `(rows × samples × 2)`
    /// `(k, t)` values and, per row, whether it had a sample (empty rows give datasketch's `None`).
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
            .for_each(|(row, (dst, flag))| {
                let (lo, hi) = (indptr[row], indptr[row + 1]);
                *flag = lo < hi && self.one(&cols[lo..hi], &logs[lo..hi], variant, dst);
            });
        Ok((out, ok))
    }
}
