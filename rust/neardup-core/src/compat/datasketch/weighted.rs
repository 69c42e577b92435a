//! datasketch's `WeightedMinHashGenerator` (Ioffe, "Improved Consistent Sampling, Weighted Minhash and
//! L1 Sketching", ICDM 2010): per sample `i` and element `j` with weight `v_j > 0`,
//! `t = ⌊ln v_j / r_ij + β_ij⌋`, `ln a = ln c_ij − (t − β_ij)·r_ij − r_ij`, and the sample is the
//! `(j, t)` of the smallest `ln a`.
//!
//! Bit-identity with datasketch rests on doing its float32 operations in its order: `ln v_j` comes from
//! numpy (its `log` may differ from libm's by an ulp, so the caller passes it in, one per weight), the
//! rest is IEEE division, addition, floor, subtraction and multiplication, exactly rounded in any
//! implementation (never fused: an FMA would round once where numpy rounds twice). `minhash_many`
//! groups the operations differently (`(t − β + 1)·r` then `ln c − ln y`), so it has its own
//! [`Variant`].
//!
//! Layout: the parameters are packed per (element, block of [`BLOCK`] samples) as `r`, `β`, `ln c`
//! side by side, so one element's parameters for a block are three adjacent cache lines. A row is
//! hashed block by block: the running minimum of a block stays in registers while the row's
//! elements stream past, and no accumulator goes through memory (AMD CPUs run the masked stores a
//! vectorised read-modify-write loop compiles to in microcode).

use rayon::prelude::*;

use crate::error::{invalid, Result};

/// Samples hashed together: two 8-lane AVX vectors.
pub const BLOCK: usize = 16;
/// Floats per (element, block): `r`, `β`, `ln c`.
const STRIDE: usize = 3 * BLOCK;

/// Which of datasketch's two formulas (they round differently) and NaN rules to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `WeightedMinHashGenerator.minhash`: `ln c − (t − β)·r − r`, NaN ignored (`nanargmin`).
    Single,
    /// `WeightedMinHashGenerator.minhash_many`: `ln c − (t − β + 1)·r`, a NaN is the minimum
    /// (`argmin`).
    Many,
}

/// What hashing one row gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    /// Every sample found.
    Ok,
    /// No nonzero weight (datasketch: `None` from `minhash_many`, "Input is all zeros" from `minhash`).
    Empty,
    /// `Single` only: some sample saw nothing but NaN (datasketch's `nanargmin` raises).
    AllNan,
    /// `Single` only: some chosen `t` is NaN or ±inf, which Python's `int()` refuses.
    NotInteger,
}

/// Integer types a CSR matrix's row pointers and column indices come in (scipy picks int32 or int64).
pub trait CsrIndex: Copy + Send + Sync {
    /// The value as an index, `None` when negative or too large.
    fn index(self) -> Option<usize>;
}
impl CsrIndex for i32 {
    fn index(self) -> Option<usize> {
        usize::try_from(self).ok()
    }
}
impl CsrIndex for i64 {
    fn index(self) -> Option<usize> {
        usize::try_from(self).ok()
    }
}

/// One nonzero weight of a row: where its element's parameters start in `packed`, its column, and
/// the log of its weight.
#[derive(Debug, Clone, Copy)]
struct Entry {
    at: usize,
    col: u32,
    log: f32,
}

/// The random parameters of a generator, packed for the row kernels (see the module doc).
#[derive(Debug, Clone)]
pub struct WeightedParams {
    pub dim: usize,
    pub samples: usize,
    blocks: usize,
    /// `dim × blocks × STRIDE`; lanes past `samples` hold `r = 1, β = 0, ln c = 0` (finite, ignored).
    packed: Vec<f32>,
}

impl WeightedParams {
    /// `rs`, `ln_cs`, `betas`: `samples × dim`, row-major (datasketch's layout).
    pub fn new(
        dim: usize,
        samples: usize,
        rs: &[f32],
        ln_cs: &[f32],
        betas: &[f32],
    ) -> Result<Self> {
        let n = dim
            .checked_mul(samples)
            .ok_or_else(|| invalid("dim", "dim × sample_size overflows"))?;
        if rs.len() != n || ln_cs.len() != n || betas.len() != n {
            return Err(invalid("params", format!("expected {n} values per matrix")));
        }
        let blocks = samples.div_ceil(BLOCK);
        let len = dim
            .checked_mul(blocks * STRIDE)
            .ok_or_else(|| invalid("dim", "dim × sample_size overflows"))?;
        let mut packed = vec![0.0f32; len];
        for j in 0..dim {
            for b in 0..blocks {
                packed[(j * blocks + b) * STRIDE..][..BLOCK].fill(1.0);
            }
        }
        // Sample-major reads, one matrix row at a time: each row's writes land at a fixed lane.
        for (m, src) in [rs, betas, ln_cs].into_iter().enumerate() {
            for i in 0..samples {
                let (b, lane) = (i / BLOCK, i % BLOCK);
                for (j, &v) in src[i * dim..(i + 1) * dim].iter().enumerate() {
                    packed[(j * blocks + b) * STRIDE + m * BLOCK + lane] = v;
                }
            }
        }
        Ok(WeightedParams {
            dim,
            samples,
            blocks,
            packed,
        })
    }

    /// Rows of a CSR matrix (`indptr`; per row strictly ascending columns `cols` and the logs of
    /// their weights, `logs`) into `out` (`rows × samples × 2` `(k, t)` values, zeros for rows that
    /// are not [`RowStatus::Ok`]). A log of −inf is a zero weight and is skipped. Rows run on all
    /// cores.
    pub fn many<P: CsrIndex, C: CsrIndex>(
        &self,
        indptr: &[P],
        cols: &[C],
        logs: &[f32],
        variant: Variant,
        out: &mut [i64],
    ) -> Result<Vec<RowStatus>> {
        let rows = indptr.len().saturating_sub(1);
        let width = 2 * self.samples;
        if out.len() != rows * width {
            return Err(invalid("out", format!("expected {} values", rows * width)));
        }
        if cols.len() != logs.len() {
            return Err(invalid("X", "as many column indices as values expected"));
        }
        let ptr: Vec<usize> = indptr
            .iter()
            .map(|&p| p.index().filter(|&p| p <= cols.len()))
            .collect::<Option<_>>()
            .ok_or_else(|| invalid("X", "row pointers outside the data"))?;
        if ptr.windows(2).any(|w| w[0] > w[1]) {
            return Err(invalid("X", "row pointers must not decrease"));
        }
        for w in ptr.windows(2) {
            let mut last: Option<usize> = None;
            for &c in &cols[w[0]..w[1]] {
                match c.index() {
                    Some(c) if c < self.dim && last.is_none_or(|l| l < c) => last = Some(c),
                    _ => {
                        return Err(invalid(
                            "X",
                            format!(
                                "columns must be strictly ascending within a row and below dim {}",
                                self.dim
                            ),
                        ))
                    }
                }
            }
        }
        let mut status = vec![RowStatus::Empty; rows];
        if width == 0 {
            return Ok(status);
        }
        let kernel = Kernel::detect();
        out.par_chunks_mut(width)
            .zip(status.par_iter_mut())
            .enumerate()
            .with_min_len(8)
            .for_each_init(
                || {
                    (
                        Vec::new(),
                        vec![0u32; self.blocks * BLOCK],
                        vec![0f32; self.blocks * BLOCK],
                    )
                },
                |(entries, ks, ts), (row, (dst, st))| {
                    let (lo, hi) = (ptr[row], ptr[row + 1]);
                    entries.clear();
                    for (&c, &log) in cols[lo..hi].iter().zip(&logs[lo..hi]) {
                        if log != f32::NEG_INFINITY {
                            // Validated above: below `dim`, which fits the packed matrix.
                            let col = c.index().unwrap_or(0);
                            entries.push(Entry {
                                at: col * self.blocks * STRIDE,
                                col: col as u32,
                                log,
                            });
                        }
                    }
                    *st = self.row(kernel, entries, variant, ks, ts, dst);
                },
            );
        Ok(status)
    }

    /// One row: every block's minimum, then the `(k, t)` pairs written to `dst`.
    fn row(
        &self,
        kernel: Kernel,
        entries: &[Entry],
        variant: Variant,
        ks: &mut [u32],
        ts: &mut [f32],
        dst: &mut [i64],
    ) -> RowStatus {
        if entries.is_empty() {
            return RowStatus::Empty;
        }
        let mut seen = [true; BLOCK];
        #[cfg(target_arch = "x86_64")]
        if matches!(kernel, Kernel::Avx) {
            // The first block's parameters, all requested at once: each block kernel asks for the
            // next block's while it computes, but nothing asks for the first.
            for e in entries {
                avx::prefetch(self.packed.as_ptr().wrapping_add(e.at));
            }
        }
        for b in 0..self.blocks {
            let (k, t) = (
                (&mut ks[b * BLOCK..][..BLOCK]).try_into().expect("block"),
                (&mut ts[b * BLOCK..][..BLOCK]).try_into().expect("block"),
            );
            let at = b * STRIDE;
            match (kernel, variant) {
                #[cfg(target_arch = "x86_64")]
                (Kernel::Avx, Variant::Single) => {
                    // SAFETY: `Kernel::Avx` is only chosen when the CPU has AVX.
                    unsafe { avx::block::<false>(&self.packed, at, entries, k, t, &mut seen) }
                }
                #[cfg(target_arch = "x86_64")]
                (Kernel::Avx, Variant::Many) => {
                    // SAFETY: as above.
                    unsafe { avx::block::<true>(&self.packed, at, entries, k, t, &mut seen) }
                }
                (_, Variant::Single) => {
                    portable_block::<false>(&self.packed, at, entries, k, t, &mut seen)
                }
                (_, Variant::Many) => {
                    portable_block::<true>(&self.packed, at, entries, k, t, &mut seen)
                }
            }
            let real = (self.samples - b * BLOCK).min(BLOCK);
            if variant == Variant::Single && seen[..real].contains(&false) {
                return RowStatus::AllNan;
            }
        }
        for i in 0..self.samples {
            dst[2 * i] = i64::from(ks[i]);
            dst[2 * i + 1] = match (variant, to_i64(ts[i])) {
                (_, Some(t)) => t,
                (Variant::Single, None) => return RowStatus::NotInteger,
                // numpy's unsafe float → int64 cast on x86: the "integer indefinite" value.
                (Variant::Many, None) => i64::MIN,
            };
        }
        RowStatus::Ok
    }
}

/// `t` as an integer when it is one in `i64`'s range (it is always integral: a floor).
fn to_i64(t: f32) -> Option<i64> {
    const LIMIT: f32 = 9_223_372_036_854_775_808.0; // 2**63
    (-LIMIT..LIMIT).contains(&t).then_some(t as i64)
}

/// The instruction set the row kernels run on, detected once per call.
#[derive(Debug, Clone, Copy)]
enum Kernel {
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Avx,
    Portable,
}

impl Kernel {
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            return Kernel::Avx;
        }
        Kernel::Portable
    }
}

/// One block of samples over a row's entries, lane by lane: the reference the AVX kernel is tested
/// against, and the kernel on CPUs without AVX.
///
/// The first entry starts the running minimum, as `argmin` starts from the first element; later
/// ones replace it only when smaller (the first of equal ones is kept). `MANY` (`argmin`): a NaN
/// replaces a number and is never replaced. Otherwise (`nanargmin`) a NaN counts as +inf, and
/// `seen` reports whether each lane met a number at all.
fn portable_block<const MANY: bool>(
    packed: &[f32],
    at: usize,
    entries: &[Entry],
    k: &mut [u32; BLOCK],
    t: &mut [f32; BLOCK],
    seen: &mut [bool; BLOCK],
) {
    let mut best = [0f32; BLOCK];
    for (n, e) in entries.iter().enumerate() {
        let p = &packed[e.at + at..][..STRIDE];
        let (rs, betas, ln_cs) = (&p[..BLOCK], &p[BLOCK..2 * BLOCK], &p[2 * BLOCK..]);
        for i in 0..BLOCK {
            // The float32 steps of datasketch, in its order (see the module doc).
            let ti = (e.log / rs[i] + betas[i]).floor();
            let mut a = if MANY {
                ln_cs[i] - (ti - betas[i] + 1.0) * rs[i]
            } else {
                ln_cs[i] - (ti - betas[i]) * rs[i] - rs[i]
            };
            if !MANY {
                let number = !a.is_nan();
                seen[i] = if n == 0 { number } else { seen[i] | number };
                if !number {
                    a = f32::INFINITY;
                }
            }
            let take = n == 0 || a < best[i] || (MANY && a.is_nan() && !best[i].is_nan());
            if take {
                best[i] = a;
                k[i] = e.col;
                t[i] = ti;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    //! [`super::portable_block`] on two 8-lane vectors, the running minimum held in registers.
    use super::{Entry, BLOCK, STRIDE};
    use std::arch::x86_64::*;

    /// `(k, t, ln a)` of one element for eight lanes at `p` (`r` at `p`, `β` at `p + BLOCK`, `ln c`
    /// at `p + 2·BLOCK`), with NaN `ln a` turned into +inf unless `MANY`; also the "is a number" mask.
    #[inline(always)]
    unsafe fn lanes<const MANY: bool>(p: *const f32, log: __m256) -> (__m256, __m256, __m256) {
        let r = _mm256_loadu_ps(p);
        let beta = _mm256_loadu_ps(p.add(BLOCK));
        let ln_c = _mm256_loadu_ps(p.add(2 * BLOCK));
        let t = _mm256_round_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(_mm256_add_ps(
            _mm256_div_ps(log, r),
            beta,
        ));
        let a = if MANY {
            _mm256_sub_ps(
                ln_c,
                _mm256_mul_ps(
                    _mm256_add_ps(_mm256_sub_ps(t, beta), _mm256_set1_ps(1.0)),
                    r,
                ),
            )
        } else {
            _mm256_sub_ps(
                _mm256_sub_ps(ln_c, _mm256_mul_ps(_mm256_sub_ps(t, beta), r)),
                r,
            )
        };
        let number = _mm256_cmp_ps::<_CMP_ORD_Q>(a, a);
        if MANY {
            (t, a, number)
        } else {
            (
                t,
                _mm256_blendv_ps(_mm256_set1_ps(f32::INFINITY), a, number),
                number,
            )
        }
    }

    /// Asks for the three cache lines of one element's block at `p` (a hint: never faults).
    #[inline(always)]
    pub(super) fn prefetch(p: *const f32) {
        for line in 0..3 {
            // SAFETY: SSE is part of x86_64; a prefetch never faults, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(16 * line).cast()) };
        }
    }

    /// See [`super::portable_block`].
    ///
    /// # Safety
    /// The CPU must have AVX; every entry's `at + at_block + STRIDE` must lie within `packed`.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn block<const MANY: bool>(
        packed: &[f32],
        at_block: usize,
        entries: &[Entry],
        k: &mut [u32; BLOCK],
        t: &mut [f32; BLOCK],
        seen: &mut [bool; BLOCK],
    ) {
        let base = packed.as_ptr().add(at_block);
        // The next block's parameters sit right after this block's: ask for them now, so they arrive
        // while this block computes (one element's blocks are adjacent, its elements are not, and
        // the hardware prefetchers do not follow dozens of interleaved streams). Two blocks ahead
        // gained nothing over one.
        let first = entries[0];
        debug_assert!(entries
            .iter()
            .all(|e| e.at + at_block + STRIDE <= packed.len()));
        let p = base.add(first.at);
        let log = _mm256_set1_ps(first.log);
        let (mut t0, mut a0, mut s0) = lanes::<MANY>(p, log);
        let (mut t1, mut a1, mut s1) = lanes::<MANY>(p.add(8), log);
        let col = _mm256_castsi256_ps(_mm256_set1_epi32(first.col as i32));
        let (mut k0, mut k1) = (col, col);
        prefetch(p.wrapping_add(STRIDE));
        for e in &entries[1..] {
            let p = base.add(e.at);
            prefetch(p.wrapping_add(STRIDE));
            let log = _mm256_set1_ps(e.log);
            let col = _mm256_castsi256_ps(_mm256_set1_epi32(e.col as i32));
            let (tn, an, sn) = lanes::<MANY>(p, log);
            let take = if MANY {
                let nan_over_number = _mm256_andnot_ps(
                    _mm256_cmp_ps::<_CMP_UNORD_Q>(a0, a0),
                    _mm256_cmp_ps::<_CMP_UNORD_Q>(an, an),
                );
                _mm256_or_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(an, a0), nan_over_number)
            } else {
                s0 = _mm256_or_ps(s0, sn);
                _mm256_cmp_ps::<_CMP_LT_OQ>(an, a0)
            };
            a0 = _mm256_blendv_ps(a0, an, take);
            t0 = _mm256_blendv_ps(t0, tn, take);
            k0 = _mm256_blendv_ps(k0, col, take);
            let (tn, an, sn) = lanes::<MANY>(p.add(8), log);
            let take = if MANY {
                let nan_over_number = _mm256_andnot_ps(
                    _mm256_cmp_ps::<_CMP_UNORD_Q>(a1, a1),
                    _mm256_cmp_ps::<_CMP_UNORD_Q>(an, an),
                );
                _mm256_or_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(an, a1), nan_over_number)
            } else {
                s1 = _mm256_or_ps(s1, sn);
                _mm256_cmp_ps::<_CMP_LT_OQ>(an, a1)
            };
            a1 = _mm256_blendv_ps(a1, an, take);
            t1 = _mm256_blendv_ps(t1, tn, take);
            k1 = _mm256_blendv_ps(k1, col, take);
        }
        _mm256_storeu_ps(t.as_mut_ptr(), t0);
        _mm256_storeu_ps(t.as_mut_ptr().add(8), t1);
        _mm256_storeu_ps(k.as_mut_ptr().cast(), k0);
        _mm256_storeu_ps(k.as_mut_ptr().add(8).cast(), k1);
        let mask = _mm256_movemask_ps(s0) | (_mm256_movemask_ps(s1) << 8);
        for (i, s) in seen.iter_mut().enumerate() {
            *s = mask & (1 << i) != 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small xorshift, so the test needs no dependency and is the same everywhere.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn unit(&mut self) -> f32 {
            (self.next() >> 40) as f32 / (1u64 << 24) as f32
        }
    }

    fn params(dim: usize, samples: usize, rng: &mut Rng) -> WeightedParams {
        let n = dim * samples;
        let rs: Vec<f32> = (0..n).map(|_| 0.05 + 3.0 * rng.unit()).collect();
        let ln_cs: Vec<f32> = (0..n).map(|_| 2.0 * rng.unit() - 1.0).collect();
        let betas: Vec<f32> = (0..n).map(|_| rng.unit()).collect();
        WeightedParams::new(dim, samples, &rs, &ln_cs, &betas).unwrap()
    }

    /// Rows with NaN logs (negative weights), zeros (some rows all zeros), +inf and repeated weights (ties between the
    /// columns whose parameters were made equal).
    fn rows(dim: usize, n: usize, rng: &mut Rng) -> (Vec<i64>, Vec<i32>, Vec<f32>) {
        let (mut indptr, mut cols, mut logs) = (vec![0i64], Vec::new(), Vec::new());
        for r in 0..n {
            for c in 0..dim {
                if rng.unit() < 0.3 || (r % 7 == 3 && c < 4) {
                    let u = rng.unit();
                    let log = match r % 7 {
                        0 if u < 0.3 => f32::NAN,
                        1 if u < 0.3 => f32::NEG_INFINITY,
                        2 if u < 0.1 => f32::INFINITY,
                        3 => 1.5,
                        4 => f32::NAN,
                        5 => f32::NEG_INFINITY,
                        _ => 20.0 * u - 10.0,
                    };
                    cols.push(c as i32);
                    logs.push(log);
                }
            }
            indptr.push(cols.len() as i64);
        }
        (indptr, cols, logs)
    }

    #[test]
    fn avx_kernel_matches_the_portable_one() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for samples in [1, 16, 37, 128] {
            let mut p = params(24, samples, &mut rng);
            // Columns 0..4 share their parameters: equal weights there tie exactly.
            let b = p.blocks * STRIDE;
            let first = p.packed[..b].to_vec();
            for c in 1..4 {
                p.packed[c * b..(c + 1) * b].copy_from_slice(&first);
            }
            let (indptr, cols, logs) = rows(24, 60, &mut rng);
            for variant in [Variant::Single, Variant::Many] {
                let mut fast = vec![0i64; 60 * 2 * samples];
                let st_fast = p.many(&indptr, &cols, &logs, variant, &mut fast).unwrap();
                let mut slow = vec![0i64; 60 * 2 * samples];
                let mut ks = vec![0u32; p.blocks * BLOCK];
                let mut ts = vec![0f32; p.blocks * BLOCK];
                for r in 0..60 {
                    let entries: Vec<Entry> = (indptr[r] as usize..indptr[r + 1] as usize)
                        .filter(|&i| logs[i] != f32::NEG_INFINITY)
                        .map(|i| Entry {
                            at: cols[i] as usize * b,
                            col: cols[i] as u32,
                            log: logs[i],
                        })
                        .collect();
                    let dst = &mut slow[r * 2 * samples..(r + 1) * 2 * samples];
                    let st = p.row(Kernel::Portable, &entries, variant, &mut ks, &mut ts, dst);
                    assert_eq!(st, st_fast[r], "row {r} {variant:?}");
                }
                assert_eq!(fast, slow, "{samples} samples, {variant:?}");
                // Every status occurs, so each branch of the kernels was compared.
                for want in [RowStatus::Ok, RowStatus::Empty] {
                    assert!(st_fast.contains(&want), "{want:?}");
                }
                if variant == Variant::Single {
                    assert!(st_fast.contains(&RowStatus::AllNan));
                    assert!(st_fast.contains(&RowStatus::NotInteger));
                }
            }
        }
    }

    #[test]
    fn ties_keep_the_first_column_and_nan_rules_differ() {
        // Two columns with equal parameters and weights: every sample ties, the first column wins.
        let (rs, ln_cs, betas) = (
            vec![0.7f32; 2 * 3],
            vec![0.1f32; 2 * 3],
            vec![0.25f32; 2 * 3],
        );
        let p = WeightedParams::new(2, 3, &rs, &ln_cs, &betas).unwrap();
        for variant in [Variant::Single, Variant::Many] {
            let mut out = vec![0i64; 6];
            let st = p
                .many(&[0i64, 2], &[0i64, 1], &[0.5, 0.5], variant, &mut out)
                .unwrap();
            assert_eq!(st, vec![RowStatus::Ok]);
            assert_eq!(
                out.iter().step_by(2).copied().collect::<Vec<_>>(),
                vec![0, 0, 0]
            );
        }
        // A NaN (a negative weight) next to a number: ignored by `minhash`, chosen by `minhash_many`
        // with numpy's integer for a NaN `t`.
        let mut out = vec![0i64; 6];
        p.many(
            &[0i64, 2],
            &[0i64, 1],
            &[0.5, f32::NAN],
            Variant::Single,
            &mut out,
        )
        .unwrap();
        assert_eq!(out[..2], [0, 0]); // k = 0, t = ⌊0.5 / 0.7 + 0.25⌋
        p.many(
            &[0i64, 2],
            &[0i64, 1],
            &[0.5, f32::NAN],
            Variant::Many,
            &mut out,
        )
        .unwrap();
        assert_eq!(out[..2], [1, i64::MIN]);
    }

    #[test]
    fn malformed_rows_are_refused() {
        let p = WeightedParams::new(3, 2, &[1.0; 6], &[0.0; 6], &[0.5; 6]).unwrap();
        let mut out = vec![0i64; 4];
        for (indptr, cols) in [
            (vec![0i64, 2], vec![1i64, 0]), // descending
            (vec![0, 2], vec![1, 1]),       // repeated
            (vec![0, 2], vec![0, 3]),       // past dim
            (vec![0, 3], vec![0, 1]),       // past the data
            (vec![0, -1], vec![0, 1]),      // negative
        ] {
            let logs = vec![0.0; cols.len()];
            assert!(p
                .many(&indptr, &cols, &logs, Variant::Many, &mut out)
                .is_err());
        }
    }
}
