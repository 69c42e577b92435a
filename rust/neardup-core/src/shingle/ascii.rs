//! Fused word tokeniser for ASCII text: the hot path of MinHash signatures from raw text.
//!
//! For ASCII, NFKC is the identity and lower-casing is a byte map, so normalising, tokenising and hashing
//! need no decoding. One pass over 64-byte chunks (SSE2 on x86_64) computes the word-byte mask of the text
//! and writes the text, lower-cased when normalising, to a reusable buffer (letters are exactly the bytes
//! whose lower-case form is in `a..=z`, so lower-casing is `v | (letter & 0x20)`). Word runs are then read
//! off the mask with bit tricks (`starts = m & !(m << 1)`, `ends = !m & (m << 1)`), and each word is hashed
//! straight from the buffer: no lower-cased `String`, no `&str` slicing with its char-boundary checks.
//!
//! Results are those of the general path ([`super::normalize`] then [`super::for_each_word`]) by
//! construction; the tests in `shingle.rs` check it on arbitrary input.

/// Reusable buffers of the fused tokeniser.
#[derive(Debug, Default, Clone)]
pub(super) struct AsciiScratch {
    /// Bit `i` of word `i / 64` is set when byte `i` is a word byte (`[0-9A-Za-z_]`).
    mask: Vec<u64>,
    /// The text (lower-cased when normalising), padded to whole 64-byte chunks.
    lower: Vec<u8>,
}

/// The words of `text` (lower-cased when `lowercase`), in order; `None` when `text` is not ASCII: the
/// caller then takes the general path.
#[inline(always)]
pub(super) fn words<'a>(
    text: &'a [u8],
    lowercase: bool,
    scratch: &'a mut AsciiScratch,
) -> Option<Words<'a>> {
    if !classify(text, lowercase, scratch) {
        return None;
    }
    let bytes = &scratch.lower[..text.len()];
    Some(Words {
        bytes,
        mask: &scratch.mask,
        next_word: 0,
        base: 0,
        starts: 0,
        ends: 0,
        carry: 0,
        start: 0,
    })
}

/// Fills `scratch.mask` and `scratch.lower` (the text, lower-cased when `lowercase`) for `text`; `false`
/// on a non-ASCII byte.
#[inline(always)]
fn classify(text: &[u8], lowercase: bool, scratch: &mut AsciiScratch) -> bool {
    let chunks = text.len().div_ceil(64);
    scratch.mask.clear();
    scratch.mask.resize(chunks, 0);
    // Every byte is overwritten below; resizing only grows the buffer the first times.
    scratch.lower.resize(chunks * 64, 0);
    // Lower-casing ORs letters with `case`: 0x20, or 0 to keep the text as it is.
    let case = if lowercase { 0x20 } else { 0 };
    // The last chunk is padded with zeros: separators, so no run crosses the end of the text.
    let mut padded = [0u8; 64];
    let out = scratch
        .mask
        .iter_mut()
        .zip(scratch.lower.chunks_exact_mut(64));
    for (chunk, (mask, lower)) in text.chunks(64).zip(out) {
        let block: &[u8; 64] = match chunk.try_into() {
            Ok(b) => b,
            Err(_) => {
                padded[..chunk.len()].copy_from_slice(chunk);
                &padded
            }
        };
        let lower: &mut [u8; 64] = lower.try_into().expect("chunks of 64");
        let (m, high) = classify64(block, case, lower);
        if high {
            return false;
        }
        *mask = m;
    }
    true
}

/// Word-byte mask of 64 bytes and whether any byte is non-ASCII; the bytes, their letters ORed with
/// `case`, go to `lowered`.
#[inline(always)]
fn classify64(block: &[u8; 64], case: u8, lowered: &mut [u8; 64]) -> (u64, bool) {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::classify64(block, case, lowered)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut m = 0u64;
        let mut high = 0u8;
        for (i, (&b, l)) in block.iter().zip(lowered.iter_mut()).enumerate() {
            m |= ((b.is_ascii_alphanumeric() || b == b'_') as u64) << i;
            high |= b;
            *l = if b.is_ascii_alphabetic() { b | case } else { b };
        }
        (m, high >= 0x80)
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    #[inline(always)]
    pub(super) fn classify64(block: &[u8; 64], case: u8, lowered: &mut [u8; 64]) -> (u64, bool) {
        let mut mask = 0u64;
        let mut high = 0i32;
        for k in 0..4 {
            // SAFETY: SSE2 is part of the x86_64 baseline; both arrays hold 64 bytes, so the unaligned
            // 16-byte load and store at `16 * k` stay in bounds.
            unsafe {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k) as *const __m128i);
                high |= _mm_movemask_epi8(v);
                // Signed compares: bytes ≥ 0x80 are negative and fall outside every range below.
                let in_range = |lo: u8, hi: u8, x: __m128i| {
                    _mm_and_si128(
                        _mm_cmpgt_epi8(x, _mm_set1_epi8(lo as i8 - 1)),
                        _mm_cmplt_epi8(x, _mm_set1_epi8(hi as i8 + 1)),
                    )
                };
                let letter = in_range(b'a', b'z', _mm_or_si128(v, _mm_set1_epi8(0x20)));
                let word = _mm_or_si128(
                    _mm_or_si128(in_range(b'0', b'9', v), letter),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'_' as i8)),
                );
                mask |= (_mm_movemask_epi8(word) as u32 as u64 & 0xFFFF) << (16 * k);
                let lower = _mm_or_si128(v, _mm_and_si128(letter, _mm_set1_epi8(case as i8)));
                _mm_storeu_si128(lowered.as_mut_ptr().add(16 * k) as *mut __m128i, lower);
            }
        }
        (mask, high != 0)
    }
}

/// Iterator over the words of a classified text: the maximal runs of set bits of the mask.
///
/// A 64-bit mask word `m` with `carry` (the previous word's top bit) has run starts at the set bits of
/// `m & !(m << 1 | carry)` and run ends (one past the run) at those of `!m & (m << 1 | carry)`. Starts
/// and ends alternate, so every end closes the run opened by the latest start: at most one run is open
/// between mask words, exactly when `carry` is set.
pub(super) struct Words<'a> {
    /// The text as classified (lower-cased when normalising).
    bytes: &'a [u8],
    mask: &'a [u64],
    /// Index of the next mask word to load; `mask.len()` stands for a virtual all-clear word that closes
    /// a run reaching the end of the text (its end is then `64 * mask.len()` = `bytes.len()`: the zero
    /// padding of the last chunk closes every other run inside the mask).
    next_word: usize,
    /// Byte offset of the current mask word, and its starts and ends not yet consumed.
    base: usize,
    starts: u64,
    ends: u64,
    carry: u64,
    /// Start of the open run.
    start: usize,
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    #[inline(always)]
    fn next(&mut self) -> Option<&'a [u8]> {
        while self.ends == 0 {
            if self.next_word > self.mask.len() {
                return None;
            }
            let m = self.mask.get(self.next_word).copied().unwrap_or(0);
            self.base = self.next_word * 64;
            self.next_word += 1;
            let prev = (m << 1) | self.carry;
            let open = self.carry != 0;
            self.carry = m >> 63;
            self.starts = m & !prev;
            self.ends = !m & prev;
            if !open {
                self.pop_start();
            }
        }
        let end = self.base + self.ends.trailing_zeros() as usize;
        self.ends &= self.ends - 1;
        let start = self.start;
        // The next run of this mask word, if any (else `start` is set again before it is used).
        self.pop_start();
        Some(&self.bytes[start..end])
    }
}

impl Words<'_> {
    #[inline(always)]
    fn pop_start(&mut self) {
        self.start = self.base + self.starts.trailing_zeros() as usize;
        self.starts &= self.starts.wrapping_sub(1);
    }
}
