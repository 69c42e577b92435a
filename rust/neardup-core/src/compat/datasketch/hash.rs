//! datasketch's token hashes (`datasketch.hashfunc.sha1_hash32` / `sha1_hash64`: the first 4 or 8 bytes
//! of the SHA-1 digest read little-endian) and the MurmurHash3 finalizers its affine schemes pre-mix
//! them with (`datasketch.minhash._fmix`).
//!
//! Tokens are short (words, shingles), so the digest is computed straight from the SHA-1 compression
//! function with the padding built on the stack: the generic `Digest` machinery costs about as much as
//! the one compression a short token needs. The compression function picks SHA-NI at run time.

use sha1::block_api::compress;

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
