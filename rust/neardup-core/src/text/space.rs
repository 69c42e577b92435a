//! Python's notion of whitespace (`str.isspace`, `str.split()`, `str.strip()`), which differs from Rust's
//! `char::is_whitespace` by the four information separators U+001C..U+001F.

use std::borrow::Cow;

/// `str.isspace()` for one code point (unchanged since Unicode 6.3).
#[inline]
pub fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// `text.strip()`.
pub fn py_strip(text: &str) -> &str {
    text.trim_matches(is_py_space)
}

/// `" ".join(text.split())`, borrowed when `text` is already single-spaced.
pub fn py_collapse(text: &str) -> Cow<'_, str> {
    if single_spaced_ascii(text.as_bytes()) {
        return Cow::Borrowed(text); // the usual title: nothing to do
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split(is_py_space).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
}

/// ASCII bytes by how `str.split()` sees them: 0 a word byte, 1 the space, 2 any other whitespace
/// (and non-ASCII bytes, which this fast check does not judge).
static SPACE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b' ' => 1,
            b'\t'..=b'\r' | 0x1c..=0x1f | 0x80..=0xff => 2,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// Whether `bytes` is ASCII with single spaces between words and none at either end, so that
/// `" ".join(text.split())` would return it unchanged.
fn single_spaced_ascii(bytes: &[u8]) -> bool {
    let Some((at, prev_space)) = single_spaced_blocks(bytes) else {
        return false;
    };
    single_spaced_tail(&bytes[at..], prev_space) && bytes.last() != Some(&b' ')
}

/// [`single_spaced_tail`] (from the start) 16 bytes a step with SSE2: None when a block fails, else how
/// far it got and whether the last byte it saw was a space (true at the start: a leading space counts as
/// a double one).
#[cfg(target_arch = "x86_64")]
fn single_spaced_blocks(bytes: &[u8]) -> Option<(usize, bool)> {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8, _mm_setzero_si128, _mm_sub_epi8,
    };
    let (mut at, mut prev_space) = (0, true);
    // SAFETY: SSE2 is part of x86_64; every load reads 16 bytes inside `bytes`.
    unsafe {
        // Bytes in low..=low + span: `v - low <= span`, unsigned.
        let within = |v: __m128i, low: u8, span: u8| {
            let span = _mm_set1_epi8(span as i8);
            let off = _mm_sub_epi8(v, _mm_set1_epi8(low as i8));
            _mm_cmpeq_epi8(_mm_max_epu8(off, span), span)
        };
        while at + 16 <= bytes.len() {
            let v = _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>());
            // SPACE_CLASS 2: non-ASCII (negative as i8), \t..\r, U+001C..U+001F
            let other = _mm_or_si128(
                _mm_cmplt_epi8(v, _mm_setzero_si128()),
                _mm_or_si128(within(v, b'\t', 4), within(v, 0x1c, 3)),
            );
            let space = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8))) as u32;
            let after_space = space << 1 | u32::from(prev_space);
            if _mm_movemask_epi8(other) != 0 || space & after_space != 0 {
                return None;
            }
            prev_space = space >> 15 == 1;
            at += 16;
        }
    }
    Some((at, prev_space))
}

#[cfg(not(target_arch = "x86_64"))]
fn single_spaced_blocks(_: &[u8]) -> Option<(usize, bool)> {
    Some((0, true))
}

/// [`single_spaced_ascii`] from a point on, knowing whether the byte before it was a space (or the
/// start): no other whitespace or non-ASCII byte, no space after a space. One pass, no branches on the
/// bytes.
fn single_spaced_tail(bytes: &[u8], mut prev_space: bool) -> bool {
    let mut bad = false;
    for &b in bytes {
        let class = SPACE_CLASS[usize::from(b)];
        let space = class == 1;
        bad |= (class == 2) | (space & prev_space);
        prev_space = space;
    }
    !bad
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: `" ".join(text.split())` leaves `bytes` unchanged, judged on ASCII only.
    fn single_spaced_by_definition(bytes: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return false;
        };
        let words: Vec<_> = text.split(is_py_space).filter(|w| !w.is_empty()).collect();
        text.is_ascii() && words.join(" ") == text
    }

    #[test]
    fn single_spaced_on_every_short_string() {
        // Every string of up to 4 bytes over a mix of word, space, other whitespace and non-ASCII bytes,
        // at every offset of a 16-byte step (padded with words before and after).
        let alphabet = [
            b'a', b' ', b'\t', b'\r', 0x1c, 0x1f, 0x08, 0x0e, 0x1b, 0x7f, 0x80, 0xff,
        ];
        let mut strings = vec![vec![]];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = strings
                .iter()
                .flat_map(|s| alphabet.iter().map(move |&b| [&s[..], &[b]].concat()))
                .collect();
            strings.extend(longer);
        }
        strings.dedup();
        for s in &strings {
            for pad in [0, 1, 12, 14, 15, 16, 17, 30, 31] {
                for padded in [
                    [&b"x".repeat(pad)[..], s].concat(),
                    [s, &b"x".repeat(pad)[..]].concat(),
                    [&b"x ".repeat(pad / 2 + 1)[..], s].concat(),
                ] {
                    assert_eq!(
                        single_spaced_ascii(&padded),
                        single_spaced_by_definition(&padded),
                        "{padded:?}"
                    );
                }
            }
        }
    }

    proptest! {
        #[test]
        fn single_spaced_as_defined(text in "[a-c \t\u{1c}\u{7f}\u{a0}\u{e9}]{0,70}", words in "([a-z]{1,9} ){0,12}") {
            for s in [text.as_str(), words.as_str(), words.trim_end()] {
                prop_assert_eq!(single_spaced_ascii(s.as_bytes()), single_spaced_by_definition(s.as_bytes()), "{:?}", s);
            }
        }
    }

    #[test]
    fn python_whitespace() {
        let spaces: String = [
            '\t', '\n', '\x0b', '\x0c', '\r', '\x1c', '\x1f', ' ', '\u{85}', '\u{a0}', '\u{3000}',
        ]
        .iter()
        .collect();
        assert!(spaces.chars().all(is_py_space));
        assert!(!['\u{180e}', '\u{200b}', '\u{feff}', 'a', '\0']
            .iter()
            .any(|&c| is_py_space(c)));
        assert_eq!(py_strip(&format!("{spaces}a b{spaces}")), "a b");
        assert_eq!(
            py_collapse(&format!("{spaces}a{spaces}b\u{2029}c ")),
            "a b c"
        );
        assert_eq!(py_collapse(&spaces), "");
        for text in [
            "",
            " ",
            "a",
            "a b",
            " a",
            "a ",
            "a  b",
            "a\tb",
            "a\x1cb",
            "\u{e9} \u{3000}x",
            "a b ",
            "ab  ",
            "\u{1c}",
            "x\u{7f}y",
        ] {
            let expected: Vec<_> = text.split(is_py_space).filter(|w| !w.is_empty()).collect();
            assert_eq!(py_collapse(text), expected.join(" "), "{text:?}");
        }
    }
}
