//! The byte classes the hot scanners need, 64 bytes at a time as bit masks (bit `i` = byte `i`): word
//! bytes (`[0-9A-Za-z_]`, Python's `\w` in ASCII), whitespace bytes (Python's `\s` in ASCII: `\t\n\v\f\r`,
//! the separators 0x1c..0x1f and space), ASCII punctuation and symbols (Unicode P* and S* in ASCII), and
//! whether any byte is not ASCII; [`classify_lowering`] also writes the block with its letters lowered.
//! Shingling (`shingle.rs`, `shingle/ascii.rs`), word tokens (`diff/tokens.rs`) and title normalisation
//! (`identify/title.rs`) read their masks here: one definition of the classes, one SIMD kernel (SSE2,
//! part of the x86_64 baseline), and the scalar reference it is tested against on every byte.

/// The classes of up to 64 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classes {
    pub word: u64,
    pub space: u64,
    /// ASCII punctuation and symbols: `!..=/`, `:..=@`, `[..=``, `{..=~` (so `_` is both a word byte and
    /// punctuation, as it is in Python: `\w`, and category Pc).
    pub punct: u64,
    /// Some byte is ≥ 0x80.
    pub high: bool,
}

#[inline(always)]
const fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[inline(always)]
const fn is_space(b: u8) -> bool {
    matches!(b, 0x09..=0x0d | 0x1c..=0x20)
}

#[inline(always)]
const fn is_punct(b: u8) -> bool {
    b.is_ascii_punctuation()
}

/// The classes of `chunk` (at most 64 bytes), byte by byte: the reference, and the path for short tails.
#[inline(always)]
pub fn classify_scalar(chunk: &[u8]) -> Classes {
    debug_assert!(chunk.len() <= 64);
    let (mut word, mut space, mut punct, mut high) = (0u64, 0u64, 0u64, 0u8);
    for (i, &b) in chunk.iter().enumerate() {
        word |= u64::from(is_word(b)) << i;
        space |= u64::from(is_space(b)) << i;
        punct |= u64::from(is_punct(b)) << i;
        high |= b;
    }
    Classes {
        word,
        space,
        punct,
        high: high >= 0x80,
    }
}

/// [`classify_scalar`] of a whole block, also writing it to `lowered` with every ASCII letter ORed with
/// `case` (0x20 lowers it, 0 keeps the text as it is).
#[inline(always)]
pub fn classify_lowering_scalar(block: &[u8; 64], case: u8, lowered: &mut [u8; 64]) -> Classes {
    for (l, &b) in lowered.iter_mut().zip(block) {
        *l = if b.is_ascii_alphabetic() { b | case } else { b };
    }
    classify_scalar(block)
}

/// The classes of `chunk` (at most 64 bytes): 16 bytes a step when it holds 64.
#[inline(always)]
pub fn classify(chunk: &[u8]) -> Classes {
    #[cfg(target_arch = "x86_64")]
    if chunk.len() == 64 {
        return sse2::classify64(chunk);
    }
    classify_scalar(chunk)
}

/// The classes of a 64-byte block, which also goes to `lowered` with its ASCII letters ORed with `case`
/// (0x20 lowers them; 0 copies the block as it is).
#[inline(always)]
pub fn classify_lowering(block: &[u8; 64], case: u8, lowered: &mut [u8; 64]) -> Classes {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::classify64_into(block, case, Some(lowered))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        classify_lowering_scalar(block, case, lowered)
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    use super::Classes;

    /// [`super::classify`] of exactly 64 bytes.
    #[inline(always)]
    pub(super) fn classify64(chunk: &[u8]) -> Classes {
        let block: &[u8; 64] = chunk.try_into().expect("64 bytes");
        classify64_into(block, 0, None)
    }

    /// The classes of 64 bytes; with `lowered`, the block also goes there with its letters ORed with
    /// `case`.
    #[inline(always)]
    pub(super) fn classify64_into(
        block: &[u8; 64],
        case: u8,
        mut lowered: Option<&mut [u8; 64]>,
    ) -> Classes {
        let (mut word, mut space, mut punct, mut high) = (0u64, 0u64, 0u64, 0i32);
        for k in 0..4 {
            // SAFETY: SSE2 is part of the x86_64 baseline; `block` (and `lowered`) hold 64 bytes, so the
            // unaligned 16-byte load (and store) at `16 * k` stay in bounds.
            unsafe {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
                high |= _mm_movemask_epi8(v);
                // Signed compares: bytes ≥ 0x80 are negative and fall outside every range below.
                let in_range = |lo: u8, hi: u8, x: __m128i| {
                    _mm_and_si128(
                        _mm_cmpgt_epi8(x, _mm_set1_epi8(lo as i8 - 1)),
                        _mm_cmplt_epi8(x, _mm_set1_epi8(hi as i8 + 1)),
                    )
                };
                let letter = in_range(b'a', b'z', _mm_or_si128(v, _mm_set1_epi8(0x20)));
                let alnum = _mm_or_si128(in_range(b'0', b'9', v), letter);
                let w = _mm_or_si128(alnum, _mm_cmpeq_epi8(v, _mm_set1_epi8(b'_' as i8)));
                let s = _mm_or_si128(in_range(0x09, 0x0d, v), in_range(0x1c, 0x20, v));
                // Punctuation and symbols are the graphic ASCII bytes that are not letters or digits.
                let p = _mm_andnot_si128(alnum, in_range(b'!', b'~', v));
                word |= u64::from(_mm_movemask_epi8(w) as u16) << (16 * k);
                space |= u64::from(_mm_movemask_epi8(s) as u16) << (16 * k);
                punct |= u64::from(_mm_movemask_epi8(p) as u16) << (16 * k);
                if let Some(out) = lowered.as_deref_mut() {
                    let lower = _mm_or_si128(v, _mm_and_si128(letter, _mm_set1_epi8(case as i8)));
                    _mm_storeu_si128(out.as_mut_ptr().add(16 * k).cast::<__m128i>(), lower);
                }
            }
        }
        Classes {
            word,
            space,
            punct,
            high: high != 0,
        }
    }
}

/// The index of the first `"`, `\` or control character at or after `i` (or `b.len()`): the bytes that
/// end or escape a JSON string, and so also the bytes a JSON writer must escape.
pub fn next_special(b: &[u8], mut i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of x86_64; every load reads 16 bytes inside `b`.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let backslash = _mm_set1_epi8(b'\\' as i8);
            let control = _mm_set1_epi8(0x1f);
            let special = |at: usize| {
                let v = _mm_loadu_si128(b.as_ptr().add(at).cast::<__m128i>());
                let hit = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                    _mm_cmpeq_epi8(_mm_max_epu8(v, control), control), // v <= 0x1f, unsigned
                );
                _mm_movemask_epi8(hit) as u32 as u64
            };
            // 64 bytes a step through long strings (abstracts): one branch per step, not four.
            while i + 64 <= b.len() {
                let mask = special(i)
                    | special(i + 16) << 16
                    | special(i + 32) << 32
                    | special(i + 48) << 48;
                if mask != 0 {
                    return i + mask.trailing_zeros() as usize;
                }
                i += 64;
            }
            while i + 16 <= b.len() {
                let mask = special(i);
                if mask != 0 {
                    return i + mask.trailing_zeros() as usize;
                }
                i += 16;
            }
        }
    }
    while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1f) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every position of a 64-byte chunk, amid fillers of each class: the kernel
    /// agrees with the reference.
    #[test]
    fn the_kernel_is_the_reference() {
        for b in 0..=255u8 {
            for filler in [b'a', b' ', b'.', 0xc3] {
                for at in 0..64 {
                    let mut chunk = [filler; 64];
                    chunk[at] = b;
                    assert_eq!(classify(&chunk), classify_scalar(&chunk), "{b:#x} at {at}");
                    for case in [0x20, 0] {
                        let (mut fast, mut slow) = ([0u8; 64], [0u8; 64]);
                        assert_eq!(
                            classify_lowering(&chunk, case, &mut fast),
                            classify_lowering_scalar(&chunk, case, &mut slow),
                            "{b:#x} at {at}"
                        );
                        assert_eq!(fast, slow, "{b:#x} at {at}, case {case:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_classes() {
        let c = classify_scalar(b"a_9 \t\x1c.\xc3");
        assert_eq!(c.word, 0b111);
        assert_eq!(c.space, 0b111000);
        assert_eq!(c.punct, 0b1000010);
        assert!(c.high);
        assert!(!classify_scalar(b"plain ascii").high);
        let mut lowered = [0u8; 64];
        let mut block = [b' '; 64];
        block[..6].copy_from_slice(b"AbZ_@[");
        classify_lowering_scalar(&block, 0x20, &mut lowered);
        assert_eq!(&lowered[..6], b"abz_@[");
    }
}
