//! SHA-1 of 16 one-block messages at once, one message per 32-bit lane of the AVX-512 registers
//! ("multi-buffer" hashing, as in Intel's ISA-L). Tokens are short and independent, so hashing them
//! side by side in plain vector arithmetic beats the dedicated SHA instructions, which work on one
//! message at a time.
//!
//! The rounds are FIPS 180-4 §6.1.2 verbatim; the three round functions are single `vpternlogd`s.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Round constants of the four 20-round stages.
const K: [u32; 4] = [0x5A82_7999, 0x6ED9_EBA1, 0x8F1B_BCDC, 0xCA62_C1D6];
/// FIPS 180-4 initial hash value.
const H: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// `(H0, H1)` of the SHA-1 digest of each of 16 blocks, each already padded (one final block per
/// message). Callable only where the CPU has `avx512f` and `avx512bw`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
pub fn digest_words_x16(blocks: &[[u8; 64]; 16]) -> [(u32, u32); 16] {
    // Word t of every block into one register: lane l reads u32 number 16·l + t of the batch.
    let lanes = _mm512_setr_epi32(
        0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240,
    );
    // Message words are big-endian: reverse the bytes within each 32-bit lane.
    let bswap = _mm512_set_epi8(
        12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11, 4, 5,
        6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8,
        9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3,
    );
    let base = blocks.as_ptr().cast::<i32>();
    let mut w = [_mm512_setzero_si512(); 16];
    for (t, wt) in w.iter_mut().enumerate() {
        let idx = _mm512_add_epi32(lanes, _mm512_set1_epi32(t as i32));
        // SAFETY: the batch is 16 contiguous 64-byte blocks (1024 bytes); every index is at most
        // 16·15 + 15 = 255 u32s, i.e. within it.
        let raw = unsafe { _mm512_i32gather_epi32::<4>(idx, base) };
        *wt = _mm512_shuffle_epi8(raw, bswap);
    }

    let h = H.map(|v| _mm512_set1_epi32(v as i32));
    let [mut a, mut b, mut c, mut d, mut e] = h;
    macro_rules! round {
        ($t:literal) => {{
            const T: usize = $t;
            if T >= 16 {
                // W[t] = rotl1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16]); W[t-16] lives in slot t % 16.
                let x = _mm512_ternarylogic_epi32::<0x96>(w[(T - 3) % 16], w[(T - 8) % 16], w[(T - 14) % 16]);
                w[T % 16] = _mm512_rol_epi32::<1>(_mm512_xor_si512(x, w[T % 16]));
            }
            let f = match T / 20 {
                0 => _mm512_ternarylogic_epi32::<0xCA>(b, c, d), // Ch
                2 => _mm512_ternarylogic_epi32::<0xE8>(b, c, d), // Maj
                _ => _mm512_ternarylogic_epi32::<0x96>(b, c, d), // Parity
            };
            let k = _mm512_set1_epi32(K[T / 20] as i32);
            // Everything but `rotl5(a)` is known a round early: keep the dependent chain to one add.
            let rest = _mm512_add_epi32(f, _mm512_add_epi32(_mm512_add_epi32(e, k), w[T % 16]));
            let tmp = _mm512_add_epi32(_mm512_rol_epi32::<5>(a), rest);
            e = d;
            d = c;
            c = _mm512_rol_epi32::<30>(b);
            b = a;
            a = tmp;
        }};
    }
    macro_rules! rounds {
        ($($t:literal)*) => { $( round!($t); )* };
    }
    rounds!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);
    rounds!(20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39);
    rounds!(40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59);
    rounds!(60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79);
    // Only H0 and H1 feed datasketch's hashes; c, d, e would give H2..H4.
    let _ = (c, d, e);

    let mut h0 = [0u32; 16];
    let mut h1 = [0u32; 16];
    // SAFETY: each destination is 16 u32s = 64 bytes; the stores are unaligned.
    unsafe {
        _mm512_storeu_si512(h0.as_mut_ptr().cast(), _mm512_add_epi32(a, h[0]));
        _mm512_storeu_si512(h1.as_mut_ptr().cast(), _mm512_add_epi32(b, h[1]));
    }
    std::array::from_fn(|l| (h0[l], h1[l]))
}
