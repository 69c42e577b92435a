//! The permutation step of each datasketch scheme: fold token hashes into a signature,
//! `sig[i] = min(sig[i], π_i(h))`.
//!
//! The loops are written so the compiler vectorises them over `i`; they are compiled for AVX-512 and
//! AVX2 as well as the baseline target and the best one the CPU has is picked at run time (the default
//! x86-64 target lacks the 32-bit vector multiply and the unsigned minimum these loops need).

/// The Mersenne prime `2**61 - 1` of datasketch's legacy scheme.
pub const MERSENNE_61: u64 = (1 << 61) - 1;

/// `x % (2**61 - 1)`: `2**61 ≡ 1`, so the high three bits fold onto the low 61 and at most one
/// subtraction remains.
#[inline(always)]
fn mod_mersenne61(x: u64) -> u64 {
    let r = (x & MERSENNE_61) + (x >> 61);
    if r >= MERSENNE_61 {
        r - MERSENNE_61
    } else {
        r
    }
}

/// "affine32": `a·h + b mod 2**32` on pre-mixed hashes.
#[inline(always)]
fn affine32(a: u32, b: u32, h: u32) -> u32 {
    a.wrapping_mul(h).wrapping_add(b)
}

/// "affine64": `a·h + b mod 2**64` on pre-mixed hashes.
#[inline(always)]
fn affine64(a: u64, b: u64, h: u64) -> u64 {
    a.wrapping_mul(h).wrapping_add(b)
}

/// "legacy": `((a·h + b) mod 2**64) mod (2**61 - 1)`, truncated to 32 bits. The first reduction is
/// numpy's uint64 wrap-around, which datasketch 1.x silently relies on (`a·h` overflows 64 bits).
#[inline(always)]
fn legacy(a: u64, b: u64, h: u64) -> u64 {
    mod_mersenne61(a.wrapping_mul(h).wrapping_add(b)) & 0xFFFF_FFFF
}

/// "legacy" on a hash below `2**32` (datasketch's default `sha1_hash32`), as a non-negative `i64`
/// below `2**32`. With `h` known to be narrow, `a·h mod 2**64` takes two 32×32→64-bit multiplies
/// instead of the three a full 64-bit product needs without AVX-512, and the signed result lets the
/// minimum be one signed compare (AVX2 has no unsigned 64-bit one).
#[inline(always)]
fn legacy_narrow(a: u64, b: u64, h: u32) -> i64 {
    let h = h as u64;
    let lo = (a & 0xFFFF_FFFF) * h;
    let hi = ((a >> 32) * h) << 32;
    let x = lo.wrapping_add(hi).wrapping_add(b);
    // `r <= P + 7 < 2**62`, so the comparison and the subtraction stay in signed range.
    let r = ((x & MERSENNE_61) + (x >> 61)) as i64;
    let p = MERSENNE_61 as i64;
    let r = if r >= p { r - p } else { r };
    r & 0xFFFF_FFFF
}

/// `sig[i] = min(sig[i], perm(a[i], b[i], h))` over all hashes. Slots are processed `N` at a time
/// with all hashes folded into a block before moving on, so the block's accumulators, `a` and `b`
/// stay in vector registers instead of round-tripping through memory once per hash.
#[inline(always)]
fn fold_blocks<P: Copy, H: Copy, T: Copy + Ord, const N: usize>(
    a: &[P],
    b: &[P],
    hashes: &[H],
    sig: &mut [T],
    perm: impl Fn(P, P, H) -> T,
) {
    let k = sig.len();
    let (a, b) = (&a[..k], &b[..k]);
    let (sig_blocks, sig_rest) = sig.as_chunks_mut::<N>();
    let (a_blocks, a_rest) = a.as_chunks::<N>();
    let (b_blocks, b_rest) = b.as_chunks::<N>();
    for ((s, a), b) in sig_blocks.iter_mut().zip(a_blocks).zip(b_blocks) {
        let mut acc = *s;
        for &h in hashes {
            for j in 0..N {
                acc[j] = acc[j].min(perm(a[j], b[j], h));
            }
        }
        *s = acc;
    }
    for &h in hashes {
        for ((s, &a), &b) in sig_rest.iter_mut().zip(a_rest).zip(b_rest) {
            *s = (*s).min(perm(a, b, h));
        }
    }
}

/// Defines `$name`, folding with `$perm` compiled for the best instruction set available; the block
/// sizes fill the register file of each (32 vector registers on AVX-512, 16 on AVX2).
macro_rules! multiversion {
    ($(#[$doc:meta])* $name:ident, $perm:ident, $t:ty, $n4:literal, $n3:literal) => {
        multiversion!($(#[$doc])* $name, $perm, $t, $t, $t, $n4, $n3);
    };
    ($(#[$doc:meta])* $name:ident, $perm:ident, $p:ty, $h:ty, $t:ty, $n4:literal, $n3:literal) => {
        $(#[$doc])*
        pub fn $name(a: &[$p], b: &[$p], hashes: &[$h], sig: &mut [$t]) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2")]
                fn v4(a: &[$p], b: &[$p], hashes: &[$h], sig: &mut [$t]) {
                    fold_blocks::<$p, $h, $t, $n4>(a, b, hashes, sig, $perm)
                }
                #[target_feature(enable = "avx2")]
                fn v3(a: &[$p], b: &[$p], hashes: &[$h], sig: &mut [$t]) {
                    fold_blocks::<$p, $h, $t, $n3>(a, b, hashes, sig, $perm)
                }
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                {
                    // SAFETY: the CPU has every feature `v4` is compiled for.
                    return unsafe { v4(a, b, hashes, sig) };
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has every feature `v3` is compiled for.
                    return unsafe { v3(a, b, hashes, sig) };
                }
            }
            fold_blocks::<$p, $h, $t, 8>(a, b, hashes, sig, $perm)
        }
    };
}

multiversion!(
    /// Folds pre-mixed 32-bit hashes into an "affine32" signature.
    fold_affine32,
    affine32,
    u32,
    64,
    32
);
multiversion!(
    /// Folds pre-mixed 64-bit hashes into an "affine64" signature.
    fold_affine64,
    affine64,
    u64,
    32,
    16
);
multiversion!(
    /// Folds raw token hashes into a "legacy" signature.
    fold_legacy,
    legacy,
    u64,
    32,
    16
);
multiversion!(
    /// Folds 32-bit token hashes into a "legacy" signature whose slots are all below `2**32` (held as
    /// `i64`): the common case, as datasketch's default hash function is 32 bits wide. Compiler
    /// vectorised; [`fold_legacy_narrow`] uses hand-written AVX2 where the CPU has it.
    fold_legacy_narrow_auto,
    legacy_narrow,
    u64,
    u32,
    i64,
    32,
    8
);

/// [`fold_legacy_narrow_auto`], with AVX2 written out where the CPU has it: eight slots at a time, each
/// hash broadcast once per block, and fewer operations a permutation than the compiler finds. Only
/// the low 32 bits of a permuted value are kept, so the final `& (2**32 - 1)` is left out and the
/// minimum is taken over the low halves of the 64-bit lanes alone (`vpminud`): the high halves of
/// the minima start at zero and stay there. Subtracting `p = 2**61 - 1` once `r >= p` adds 1 to the
/// low half, which is what subtracting the comparison's all-ones mask does.
pub fn fold_legacy_narrow(a: &[u64], b: &[u64], hashes: &[u32], sig: &mut [i64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, the one feature `legacy_narrow_avx2` is compiled for.
        return unsafe { legacy_narrow_avx2(a, b, hashes, sig) };
    }
    fold_legacy_narrow_auto(a, b, hashes, sig)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn legacy_narrow_avx2(a: &[u64], b: &[u64], hashes: &[u32], sig: &mut [i64]) {
    use std::arch::x86_64::*;
    debug_assert!(sig.iter().all(|&v| (0..=u32::MAX as i64).contains(&v)));
    let k = sig.len();
    let (a, b) = (&a[..k], &b[..k]);
    let p = _mm256_set1_epi64x(MERSENNE_61 as i64);
    let p_less = _mm256_set1_epi64x(MERSENNE_61 as i64 - 1);
    // One permutation of four slots, right in the low half of each lane.
    let perm = |a: __m256i, a_hi: __m256i, b: __m256i, h: __m256i| {
        let lo = _mm256_mul_epu32(a, h);
        let hi = _mm256_slli_epi64::<32>(_mm256_mul_epu32(a_hi, h));
        let x = _mm256_add_epi64(_mm256_add_epi64(lo, hi), b);
        let r = _mm256_add_epi64(_mm256_and_si256(x, p), _mm256_srli_epi64::<61>(x));
        _mm256_sub_epi64(r, _mm256_cmpgt_epi64(r, p_less))
    };
    let blocks = k / 8;
    for blk in 0..blocks {
        let at = 8 * blk;
        // SAFETY: `at + 8 <= k` and every slice is `k` long; loads and stores are unaligned.
        let load = |s: &[u64], off: usize| unsafe {
            _mm256_loadu_si256(s.as_ptr().add(at + off).cast::<__m256i>())
        };
        let (a0, a1) = (load(a, 0), load(a, 4));
        let (h0, h1) = (_mm256_srli_epi64::<32>(a0), _mm256_srli_epi64::<32>(a1));
        let (b0, b1) = (load(b, 0), load(b, 4));
        // SAFETY: as above, on `sig`.
        let (mut m0, mut m1) = unsafe {
            let s = sig.as_ptr().add(at).cast::<__m256i>();
            (_mm256_loadu_si256(s), _mm256_loadu_si256(s.add(1)))
        };
        for &h in hashes {
            let hv = _mm256_set1_epi64x(h as i64);
            m0 = _mm256_min_epu32(m0, perm(a0, h0, b0, hv));
            m1 = _mm256_min_epu32(m1, perm(a1, h1, b1, hv));
        }
        // SAFETY: as above.
        unsafe {
            let s = sig.as_mut_ptr().add(at).cast::<__m256i>();
            _mm256_storeu_si256(s, m0);
            _mm256_storeu_si256(s.add(1), m1);
        }
    }
    let rest = 8 * blocks;
    for &h in hashes {
        for i in rest..k {
            sig[i] = sig[i].min(legacy_narrow(a[i], b[i], h));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mersenne_reduction_matches_remainder() {
        for x in [
            0,
            1,
            MERSENNE_61 - 1,
            MERSENNE_61,
            MERSENNE_61 + 1,
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
        ] {
            assert_eq!(mod_mersenne61(x), x % MERSENNE_61, "{x}");
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..10_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            assert_eq!(mod_mersenne61(x), x % MERSENNE_61);
        }
    }

    fn scalar<T: Copy + Ord>(a: &[T], b: &[T], hs: &[T], sig: &mut [T], f: fn(T, T, T) -> T) {
        for &h in hs {
            for i in 0..sig.len() {
                sig[i] = sig[i].min(f(a[i], b[i], h));
            }
        }
    }

    #[test]
    fn narrow_legacy_matches_legacy_on_the_reduction_edges() {
        // (a, b, h) whose `a·h + b mod 2**64` lands on P, P + 1, all ones (r = P + 7) and just below P,
        // and multipliers with high bits set (the product's second half).
        let cases = [
            (0u64, MERSENNE_61, 1u32),
            (0, MERSENNE_61 + 1, 1),
            (0, u64::MAX, 1),
            (0, MERSENNE_61 - 1, 1),
            (MERSENNE_61 - 1, 0, u32::MAX),
            (0xFFFF_FFFF_FFFF_FFFF, 12_345, 0x8000_0001),
            (1 << 60, 1 << 63, 7),
        ];
        for (a, b, h) in cases {
            let want = legacy(a, b, h as u64);
            assert_eq!(legacy_narrow(a, b, h) as u64, want, "{a} {b} {h}");
            // Nine slots: eight through the vector kernel, one through its remainder loop.
            let mut sig = vec![i64::from(u32::MAX); 9];
            fold_legacy_narrow(&[a; 9], &[b; 9], &[h], &mut sig);
            assert!(
                sig.iter().all(|&v| v as u64 == want),
                "{a} {b} {h}: {sig:?}"
            );
        }
    }

    #[test]
    fn dispatched_kernels_match_a_plain_loop() {
        // Lengths that are not multiples of any block size exercise the remainder loops.
        for k in [1usize, 7, 16, 33, 100, 128, 200] {
            let a32: Vec<u32> = (0..k as u32)
                .map(|i| i.wrapping_mul(2_654_435_761) | 1)
                .collect();
            let b32: Vec<u32> = (0..k as u32).map(|i| i.wrapping_mul(40_503)).collect();
            let h32 = [3u32, 0xFFFF_FFFF, 12_345_678];
            let (mut x, mut y) = (vec![u32::MAX; k], vec![u32::MAX; k]);
            fold_affine32(&a32, &b32, &h32, &mut x);
            scalar(&a32, &b32, &h32, &mut y, affine32);
            assert_eq!(x, y);

            let a64: Vec<u64> = a32.iter().map(|&v| (v as u64) << 29 | 1).collect();
            let b64: Vec<u64> = b32.iter().map(|&v| (v as u64) << 30).collect();
            let h64 = [3u64, 0xFFFF_FFFF, u64::MAX];
            let (mut x, mut y) = (vec![u64::MAX; k], vec![u64::MAX; k]);
            fold_affine64(&a64, &b64, &h64, &mut x);
            scalar(&a64, &b64, &h64, &mut y, affine64);
            assert_eq!(x, y);
            let (mut x, mut y) = (vec![u64::MAX; k], vec![u64::MAX; k]);
            fold_legacy(&a64, &b64, &h64, &mut x);
            scalar(&a64, &b64, &h64, &mut y, legacy);
            assert_eq!(x, y);

            // Full-width multipliers (datasketch draws `a` below 2**61) on 32-bit hashes.
            let a61: Vec<u64> = a64
                .iter()
                .map(|&v| v.wrapping_mul(0x9E37_79B9_7F4A_7C15) % MERSENNE_61)
                .collect();
            let h32w: Vec<u64> = h32.iter().map(|&v| v as u64).collect();
            let mut narrow = vec![0xFFFF_FFFFi64; k];
            let mut wide = vec![0xFFFF_FFFFu64; k];
            let mut auto = narrow.clone();
            fold_legacy_narrow(&a61, &b64, &h32, &mut narrow);
            fold_legacy_narrow_auto(&a61, &b64, &h32, &mut auto);
            scalar(&a61, &b64, &h32w, &mut wide, legacy);
            assert_eq!(narrow, auto);
            let narrow: Vec<u64> = narrow.iter().map(|&v| v as u64).collect();
            assert_eq!(narrow, wide);
        }
    }
}
