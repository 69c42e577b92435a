//! SHA-1 of one padded block with the x86 SHA extensions, for the common case of a token shorter than
//! 56 bytes. Inlined into the caller's token loop (unlike the `sha1` crate's out-of-line, multi-block
//! compression behind a feature check), so consecutive tokens' rounds overlap in the out-of-order core.
//!
//! The round structure is Intel's reference ("Intel SHA Extensions", Gulley et al., 2013): 20 groups
//! of four rounds, the message schedule computed four words at a time with `sha1msg1`/`sha1msg2`.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// `(H0, H1)` of the SHA-1 digests of `L` blocks, each already padded (one final block per message).
/// The `L` computations are interleaved step by step: one SHA-1 is a chain of 20 dependent
/// `sha1rnds4`, so independent chains side by side keep the SHA unit busy.
/// Callable only where the CPU has `sha`, `sse2`, `ssse3` and `sse4.1`.
#[cfg(target_arch = "x86_64")]
#[inline]
// The macro's last group also saves ABCD for a next group that does not exist.
#[allow(unused_assignments)]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub fn digest_words<const L: usize>(blocks: &[[u8; 64]; L]) -> [(u32, u32); L] {
    // Message words are big-endian: reverse the bytes of each 16-byte load.
    let mask = _mm_set_epi64x(0x0001_0203_0405_0607, 0x0809_0a0b_0c0d_0e0f);
    let abcd0 = _mm_set_epi32(
        0x6745_2301u32 as i32,
        0xEFCD_AB89u32 as i32,
        0x98BA_DCFEu32 as i32,
        0x1032_5476,
    );
    let e0 = _mm_set_epi32(0xC3D2_E1F0u32 as i32, 0, 0, 0);
    let zero = _mm_setzero_si128();
    let mut m = [[zero; 4]; L];
    for (ml, block) in m.iter_mut().zip(blocks) {
        for (i, w) in ml.iter_mut().enumerate() {
            // SAFETY: `block` holds 64 bytes and `16·i + 16 <= 64` for i < 4; the load is unaligned.
            let raw = unsafe { _mm_loadu_si128(block.as_ptr().add(16 * i).cast::<__m128i>()) };
            *w = _mm_shuffle_epi8(raw, mask);
        }
    }
    let mut abcd = [abcd0; L];
    let mut e = [zero; L];
    let mut prev = [zero; L];

    // Group 0: E enters by addition; every later group by `sha1nexte` on the previous ABCD.
    for l in 0..L {
        e[l] = _mm_add_epi32(e0, m[l][0]);
        prev[l] = abcd[l];
        abcd[l] = _mm_sha1rnds4_epu32::<0>(abcd[l], e[l]);
    }

    macro_rules! group {
        ($g:expr, $f:literal) => {{
            const G: usize = $g;
            for l in 0..L {
                let m = &mut m[l];
                e[l] = _mm_sha1nexte_epu32(prev[l], m[G % 4]);
                prev[l] = abcd[l];
                // Schedule: W[G+1] completed, W[G+2] and W[G+3] advanced, as in Intel's listing.
                if (3..=18).contains(&G) {
                    m[(G + 1) % 4] = _mm_sha1msg2_epu32(m[(G + 1) % 4], m[G % 4]);
                }
                abcd[l] = _mm_sha1rnds4_epu32::<$f>(abcd[l], e[l]);
                if (1..=16).contains(&G) {
                    m[(G + 3) % 4] = _mm_sha1msg1_epu32(m[(G + 3) % 4], m[G % 4]);
                }
                if (2..=17).contains(&G) {
                    m[(G + 2) % 4] = _mm_xor_si128(m[(G + 2) % 4], m[G % 4]);
                }
            }
        }};
    }
    group!(1, 0);
    group!(2, 0);
    group!(3, 0);
    group!(4, 0);
    group!(5, 1);
    group!(6, 1);
    group!(7, 1);
    group!(8, 1);
    group!(9, 1);
    group!(10, 2);
    group!(11, 2);
    group!(12, 2);
    group!(13, 2);
    group!(14, 2);
    group!(15, 3);
    group!(16, 3);
    group!(17, 3);
    group!(18, 3);
    group!(19, 3);

    // H4 (E) would be `sha1nexte(prev, e0)`; no datasketch hash reads it.
    // Lane 3 holds A (H0), lane 2 holds B (H1).
    abcd.map(|v| {
        let v = _mm_add_epi32(v, abcd0);
        (
            _mm_extract_epi32::<3>(v) as u32,
            _mm_extract_epi32::<2>(v) as u32,
        )
    })
}
