//! The byte classes the hot scanners need, 64 bytes at a time as bit masks (bit `i` = byte `i`): word
//! bytes (`[0-9A-Za-z_]`, Python's `\w` in ASCII), whitespace bytes (Python's `\s` in ASCII: `\t\n\v\f\r`,
//! the separators 0x1c..0x1f and space), and whether any byte is not ASCII. Shingling (`shingle.rs`) and
//! word tokens (`diff/tokens.rs`) read their masks here: one definition of the classes, one SIMD kernel
//! (SSE2, part of the x86_64 baseline), and the scalar reference it is tested against on every byte.

/// The classes of up to 64 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classes {
    pub word: u64,
    pub space: u64,
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

/// The classes of `chunk` (at most 64 bytes), byte by byte: the reference, and the path for short tails.
#[inline(always)]
pub fn classify_scalar(chunk: &[u8]) -> Classes {
    debug_assert!(chunk.len() <= 64);
    let (mut word, mut space, mut high) = (0u64, 0u64, 0u8);
    for (i, &b) in chunk.iter().enumerate() {
        word |= u64::from(is_word(b)) << i;
        space |= u64::from(is_space(b)) << i;
        high |= b;
    }
    Classes {
        word,
        space,
        high: high >= 0x80,
    }
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

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    use super::Classes;

    /// [`super::classify`] of exactly 64 bytes.
    #[inline(always)]
    pub(super) fn classify64(chunk: &[u8]) -> Classes {
        debug_assert_eq!(chunk.len(), 64);
        let (mut word, mut space, mut high) = (0u64, 0u64, 0i32);
        for k in 0..4 {
            // SAFETY: SSE2 is part of the x86_64 baseline, and `chunk` holds 64 bytes, so the unaligned
            // 16-byte load at `16 * k` stays in bounds.
            unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().add(16 * k).cast::<__m128i>());
                high |= _mm_movemask_epi8(v);
                // Signed compares: bytes ≥ 0x80 are negative and fall outside every range below.
                let in_range = |lo: u8, hi: u8, x: __m128i| {
                    _mm_and_si128(
                        _mm_cmpgt_epi8(x, _mm_set1_epi8(lo as i8 - 1)),
                        _mm_cmplt_epi8(x, _mm_set1_epi8(hi as i8 + 1)),
                    )
                };
                let lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
                let w = _mm_or_si128(
                    _mm_or_si128(in_range(b'0', b'9', v), in_range(b'a', b'z', lower)),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'_' as i8)),
                );
                let s = _mm_or_si128(in_range(0x09, 0x0d, v), in_range(0x1c, 0x20, v));
                word |= u64::from(_mm_movemask_epi8(w) as u16) << (16 * k);
                space |= u64::from(_mm_movemask_epi8(s) as u16) << (16 * k);
            }
        }
        Classes {
            word,
            space,
            high: high != 0,
        }
    }
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
                }
            }
        }
    }

    #[test]
    fn the_classes() {
        let c = classify_scalar(b"a_9 \t\x1c.\xc3");
        assert_eq!(c.word, 0b111);
        assert_eq!(c.space, 0b111000);
        assert!(c.high);
        assert!(!classify_scalar(b"plain ascii").high);
    }
}
