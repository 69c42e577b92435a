//! Straightforward reference implementations the fuzz targets check `neardup-core` against. Each is
//! written from the documented definition, as plainly as possible, with no attempt at speed: where the
//! core and a reference disagree, one of them is wrong, and the reference is easy to read.

use neardup_core::text::shingle::{is_space, is_word_char};

/// Maximal runs of word characters (Python's `\w`), by looking at one code point at a time.
pub fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Char-unit shingling tokens: every code point, whitespace runs collapsed to one space, no leading or
/// trailing space.
pub fn char_tokens(text: &str) -> Vec<String> {
    let collapsed: Vec<&str> = text.split(is_space).filter(|s| !s.is_empty()).collect();
    collapsed.join(" ").chars().map(String::from).collect()
}

/// Diff tokens: word unit = runs of `\w` plus every other non-whitespace code point alone; char unit =
/// every code point.
pub fn diff_tokens(text: &str, char_unit: bool) -> Vec<&str> {
    if char_unit {
        return text
            .char_indices()
            .map(|(i, c)| &text[i..i + c.len_utf8()])
            .collect();
    }
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            out.push(&text[s..i]);
        }
        if !is_space(c) {
            out.push(&text[i..i + c.len_utf8()]);
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Length of a longest common subsequence, by the textbook O(nm) dynamic programme.
pub fn lcs_len<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The Indel distance (insertions + deletions) by Myers' greedy O((n+m)·D) search ("An O(ND) difference
/// algorithm and its variations", 1986), written out plainly: the oracle for long, similar sequences,
/// where the O(nm) table is too slow.
pub fn indel_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = n + m;
    // v[k + max]: the furthest x reached on diagonal k = x - y.
    let mut v = vec![0isize; 2 * max as usize + 3];
    let at = |k: isize| (k + max + 1) as usize;
    for d in 0..=max {
        for k in (-d..=d).step_by(2) {
            let mut x = if k == -d || (k != d && v[at(k - 1)] < v[at(k + 1)]) {
                v[at(k + 1)]
            } else {
                v[at(k - 1)] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[at(k)] = x;
            if x >= n && y >= m {
                return d as usize;
            }
        }
    }
    unreachable!("D never exceeds n + m")
}

/// MurmurHash3's 32-bit finaliser.
pub fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// MurmurHash3's 64-bit finaliser.
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// datasketch's `sha1_hash32` / `sha1_hash64`: the first 4 or 8 digest bytes, little-endian.
pub fn sha1_prefix(token: &[u8], wide: bool) -> u64 {
    use sha1::{Digest, Sha1};
    let d = Sha1::digest(token);
    if wide {
        u64::from_le_bytes(d[..8].try_into().unwrap())
    } else {
        u32::from_le_bytes(d[..4].try_into().unwrap()) as u64
    }
}

/// `2**61 - 1`, datasketch's `_mersenne_prime`.
pub const MERSENNE_61: u64 = (1 << 61) - 1;

/// One datasketch permutation applied to one token hash, per scheme (0 legacy, 1 affine32, 2 affine64).
pub fn ds_permute(scheme: u8, a: u64, b: u64, h: u64) -> u64 {
    match scheme {
        0 => (a.wrapping_mul(h).wrapping_add(b) % MERSENNE_61) & 0xFFFF_FFFF,
        1 => (a as u32)
            .wrapping_mul(fmix32(h as u32))
            .wrapping_add(b as u32) as u64,
        _ => a.wrapping_mul(fmix64(h)).wrapping_add(b),
    }
}

/// Reads little-endian integers off a byte string, yielding zeros once it runs out (for the targets
/// that carve parameters out of the fuzzer's bytes by hand).
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data }
    }
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    pub fn u64(&mut self) -> u64 {
        let mut v = [0u8; 8];
        for b in &mut v {
            *b = self.u8();
        }
        u64::from_le_bytes(v)
    }
    pub fn rest(&self) -> &'a [u8] {
        self.data
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Checks an `optimal_params` (neardup's or datasketch's) on a threshold, a `num_perm` (read by
/// `num_perm`, each target with its own range) and weights carved from `data`: it may refuse them, but a
/// banding it returns has at least one band of at least one row and fits in the signature.
pub fn check_optimal_params<E>(
    data: &[u8],
    num_perm: impl FnOnce(&mut Bytes<'_>) -> usize,
    optimal_params: impl FnOnce(f64, usize, f64, f64) -> Result<(usize, usize), E>,
) {
    let mut p = Bytes::new(data);
    let t = f64::from_bits(p.u64());
    let num_perm = num_perm(&mut p);
    let w = f64::from_bits(p.u64());
    if let Ok((b, r)) = optimal_params(t, num_perm, w, 1.0 - w) {
        assert!(b >= 1 && r >= 1 && b * r <= num_perm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_on_hand_checked_cases() {
        assert_eq!(words("Hi, wörld_2!"), ["Hi", "wörld_2"]);
        assert_eq!(char_tokens("  a \n b "), ["a", " ", "b"]);
        assert_eq!(diff_tokens("a, b", false), ["a", ",", "b"]);
        assert_eq!(lcs_len(b"abcbdab", b"bdcaba"), 4);
        assert_eq!(indel_distance(b"abcbdab", b"bdcaba"), 7 + 6 - 2 * 4);
        assert_eq!(indel_distance(b"", b"ab"), 2);
    }
}
