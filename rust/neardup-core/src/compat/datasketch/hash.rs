//! datasketch's token hashes (`datasketch.hashfunc.sha1_hash32` / `sha1_hash64`: the first 4 or 8 bytes
//! of the SHA-1 digest read little-endian) and the MurmurHash3 finalizers its affine schemes pre-mix
//! them with (`datasketch.minhash._fmix`).
//!
//! Tokens are short (words, shingles), so the digest is computed straight from the SHA-1 compression
//! function with the padding built on the stack: the generic `Digest` machinery costs about as much as
//! the one compression a short token needs. The compression function picks SHA-NI at run time.

use sha1::block_api::compress;

#[cfg(target_arch = "x86_64")]
use super::{sha_avx512, sha_ni};

/// FIPS 180-4 initial hash value of SHA-1.
const H0: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// The SHA-1 state after hashing `data` (the digest is these words big-endian).
fn sha1_words(data: &[u8]) -> [u32; 5] {
    let mut state = H0;
    let (blocks, tail) = data.as_chunks::<64>();
    compress(&mut state, blocks);
    // Padding: 0x80, zeros, then the message length in bits as a big-endian u64, ending a block.
    let mut pad = [[0u8; 64]; 2];
    let used = if tail.len() < 56 { 1 } else { 2 };
    let flat = pad.as_flattened_mut();
    flat[..tail.len()].copy_from_slice(tail);
    flat[tail.len()] = 0x80;
    let bits = (data.len() as u64).wrapping_mul(8);
    flat[used * 64 - 8..used * 64].copy_from_slice(&bits.to_be_bytes());
    compress(&mut state, &pad[..used]);
    state
}

/// Writes the one padded block of a message shorter than 56 bytes into `block`, in place (batches
/// fill their lanes directly; a temporary block would be copied once more).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn fill_block(block: &mut [u8; 64], data: &[u8]) {
    // Copy 8 bytes at a time: a fixed-size copy is a plain move, a variable-length one a memcpy call.
    let (words, rest) = data.as_chunks::<8>();
    let mut at = 0;
    for w in words {
        block[at..at + 8].copy_from_slice(w);
        at += 8;
    }
    block[at..at + rest.len()].copy_from_slice(rest);
    block[data.len()..56].fill(0);
    block[data.len()] = 0x80;
    block[56..].copy_from_slice(&(data.len() as u64 * 8).to_be_bytes());
}

/// Whether the SHA extensions can be used (std caches the CPUID answer).
#[cfg(target_arch = "x86_64")]
fn has_sha_ni() -> bool {
    std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("sse2")
        && std::arch::is_x86_feature_detected!("ssse3")
        && std::arch::is_x86_feature_detected!("sse4.1")
}

/// The datasketch token hash of one digest's first two words.
#[inline(always)]
fn prefix(words: (u32, u32), wide: bool) -> u64 {
    let lo = words.0.swap_bytes() as u64;
    if wide {
        lo | ((words.1.swap_bytes() as u64) << 32)
    } else {
        lo
    }
}

/// Appends `sha1_hash64(t)` (`wide`) or `sha1_hash32(t)` of every token to `out`.
pub fn sha1_prefixes<'t>(tokens: impl Iterator<Item = &'t [u8]>, wide: bool, out: &mut Vec<u64>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
    {
        // SAFETY: the CPU has every feature `sha1_prefixes_avx512` is compiled for.
        unsafe { sha1_prefixes_avx512(tokens, wide, out) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if has_sha_ni() {
        // SAFETY: the CPU has every feature `sha1_prefixes_ni` is compiled for.
        unsafe { sha1_prefixes_ni(tokens, wide, out) };
        return;
    }
    for t in tokens {
        let w = sha1_words(t);
        out.push(prefix((w[0], w[1]), wide));
    }
}

/// Hashes `tokens` in batches of `N` one-block messages with `batch` (a multi-message SHA-1); tokens of
/// 56 bytes or more (rare: two blocks or more) take the generic path but keep their place in `out`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sha1_prefixes_batched<'t, const N: usize>(
    tokens: impl Iterator<Item = &'t [u8]>,
    wide: bool,
    out: &mut Vec<u64>,
    batch: impl Fn(&[[u8; 64]; N]) -> [(u32, u32); N],
) {
    let mut pending = [[0u8; 64]; N];
    let mut slots = [0usize; N];
    let mut n = 0;
    for t in tokens {
        if t.len() < 56 {
            fill_block(&mut pending[n], t);
            slots[n] = out.len();
            out.push(0);
            n += 1;
            if n == N {
                for (&slot, w) in slots.iter().zip(batch(&pending)) {
                    out[slot] = prefix(w, wide);
                }
                n = 0;
            }
        } else {
            let w = sha1_words(t);
            out.push(prefix((w[0], w[1]), wide));
        }
    }
    if n > 0 {
        // The idle lanes hash stale blocks whose results are dropped.
        for (&slot, w) in slots[..n].iter().zip(batch(&pending)) {
            out[slot] = prefix(w, wide);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
fn sha1_prefixes_avx512<'t>(
    tokens: impl Iterator<Item = &'t [u8]>,
    wide: bool,
    out: &mut Vec<u64>,
) {
    sha1_prefixes_batched::<16>(tokens, wide, out, |b| sha_avx512::digest_words_x16(b));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn sha1_prefixes_ni<'t>(tokens: impl Iterator<Item = &'t [u8]>, wide: bool, out: &mut Vec<u64>) {
    // Four interleaved messages keep the SHA unit busy (one message is a chain of dependent rounds).
    sha1_prefixes_batched::<4>(tokens, wide, out, |b| sha_ni::digest_words::<4>(b));
}

/// `sha1_hash32`: `struct.unpack("<I", sha1(data).digest()[:4])[0]`.
#[inline]
pub fn sha1_hash32(data: &[u8]) -> u32 {
    // The digest's first word is stored big-endian; reading it little-endian swaps its bytes.
    sha1_words(data)[0].swap_bytes()
}

/// `sha1_hash64`: `struct.unpack("<Q", sha1(data).digest()[:8])[0]`.
#[inline]
pub fn sha1_hash64(data: &[u8]) -> u64 {
    let w = sha1_words(data);
    (w[0].swap_bytes() as u64) | ((w[1].swap_bytes() as u64) << 32)
}

/// MurmurHash3's 32-bit finalizer `fmix32`, a bijection on u32.
#[inline]
pub fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 13;
    h = h.wrapping_mul(0xC2B2_AE35);
    h ^ (h >> 16)
}

/// MurmurHash3's 64-bit finalizer `fmix64`, a bijection on u64.
#[inline]
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha1::{Digest, Sha1};

    fn reference(data: &[u8]) -> [u8; 20] {
        Sha1::digest(data).into()
    }

    #[test]
    fn matches_the_digest_api_across_block_boundaries() {
        // Lengths around the one- and two-block padding cases and several full blocks.
        for len in (0..200).chain([511, 512, 513, 4096]) {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
            let d = reference(&data);
            let want32 = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
            let want64 = u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
            assert_eq!(sha1_hash32(&data), want32, "len {len}");
            assert_eq!(sha1_hash64(&data), want64, "len {len}");
        }
    }

    #[test]
    fn batched_prefixes_match_single_hashes() {
        let data: Vec<Vec<u8>> = (0..300usize)
            .map(|len| (0..len).map(|i| (i * 131 + len) as u8).collect())
            .collect();
        for wide in [false, true] {
            let mut out = Vec::new();
            sha1_prefixes(data.iter().map(|d| d.as_slice()), wide, &mut out);
            for (d, got) in data.iter().zip(out) {
                let want = if wide {
                    sha1_hash64(d)
                } else {
                    sha1_hash32(d) as u64
                };
                assert_eq!(got, want, "len {}", d.len());
            }
        }
    }

    #[test]
    fn known_datasketch_values() {
        // datasketch.hashfunc.sha1_hash32(b"") and sha1_hash32(b"abc").
        assert_eq!(sha1_hash32(b""), 0xeea3_39da);
        assert_eq!(sha1_hash32(b"abc"), 0x363e_99a9);
    }

    #[test]
    fn fmix_is_murmur3() {
        assert_eq!(fmix32(0), 0);
        assert_eq!(fmix64(0), 0);
        assert_eq!(fmix32(1), 0x514E_28B7);
    }
}
