//! Byte-level trimming of the common prefix and suffix before tokenising.
//!
//! Most pairs a batch diffs are identical or differ in a few places; most of their bytes lie in the
//! common prefix and suffix (74% on the benchmark's revised abstracts). Comparing bytes eight at a time
//! finds them far faster than tokenising and interning them, so only the middle is tokenised; the ends
//! are counted. The cuts are moved back to token boundaries of both texts (a position whose preceding —
//! or, for the suffix, following — code point is not a word character), and a margin of a few tokens is
//! left in the middle so that semantic cleanup can still slide an edit over the tokens next to it.

use super::tokens::class_masks;
use crate::text::shingle::{is_space, is_word_char, Unit};

/// Bytes of common text kept in the middle on each side for edit sliding (a handful of words).
const MARGIN: usize = 48;

/// Where the tokenised middle of each text starts and ends: `old[..lo] == new[..lo]` and
/// `old[old_hi..] == new[new_hi..]`, both made of whole tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    pub lo: usize,
    pub old_hi: usize,
    pub new_hi: usize,
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    // Whole 32-byte blocks first (memcmp-style wide compares), then 8-byte words locate the mismatch.
    while i + 32 <= n && a[i..i + 32] == b[i..i + 32] {
        i += 32;
    }
    while i + 8 <= n {
        let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
        x.copy_from_slice(&a[i..i + 8]);
        y.copy_from_slice(&b[i..i + 8]);
        let d = u64::from_le_bytes(x) ^ u64::from_le_bytes(y);
        if d != 0 {
            return i + (d.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (la, lb) = (a.len(), b.len());
    let mut i = 0;
    while i + 32 <= n && a[la - i - 32..la - i] == b[lb - i - 32..lb - i] {
        i += 32;
    }
    while i + 8 <= n {
        let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
        x.copy_from_slice(&a[la - i - 8..la - i]);
        y.copy_from_slice(&b[lb - i - 8..lb - i]);
        let d = u64::from_le_bytes(x) ^ u64::from_le_bytes(y);
        if d != 0 {
            return i + (d.leading_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[..la - i]
        .iter()
        .rev()
        .zip(b[..lb - i].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Cut points of the common ends of `old` and `new` (see [`Frame`]).
pub(crate) fn frame(old: &str, new: &str, unit: Unit) -> Frame {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let pre = common_prefix(a, b);
    let pre = floor_boundary(old, pre.saturating_sub(MARGIN));
    // A cut is a token boundary of both texts when the code point before it is not a word character
    // (char unit: every code point boundary is a token boundary).
    let lo = match unit {
        Unit::Char => pre,
        Unit::Word => old[..pre]
            .char_indices()
            .rev()
            .find(|&(_, c)| !is_word_char(c))
            .map_or(0, |(i, c)| i + c.len_utf8()),
    };
    let room = a.len().min(b.len()) - lo;
    let suf = common_suffix(&a[lo..], &b[lo..]).min(room);
    let start = ceil_boundary(old, (a.len() - suf + MARGIN).min(a.len()));
    let old_hi = match unit {
        Unit::Char => start,
        Unit::Word => old[start..]
            .char_indices()
            .find(|&(_, c)| !is_word_char(c))
            .map_or(a.len(), |(i, _)| start + i),
    };
    Frame {
        lo,
        old_hi,
        new_hi: b.len() - (a.len() - old_hi),
    }
}

/// Number of tokens of `text` (a run of whole tokens).
pub(crate) fn count_tokens(text: &str, unit: Unit) -> usize {
    if unit == Unit::Char {
        return text.chars().count();
    }
    if text.is_ascii() {
        return count_ascii_word_tokens(text.as_bytes());
    }
    let mut prev_word = false;
    let mut n = 0;
    for c in text.chars() {
        let word = is_word_char(c);
        n += usize::from((word && !prev_word) || (!word && !is_space(c)));
        prev_word = word;
    }
    n
}

/// Word-unit token count of ASCII text: a token starts at every punctuation byte and at every word
/// byte not preceded by one, so each 64-byte chunk contributes the popcount of those start bits.
fn count_ascii_word_tokens(b: &[u8]) -> usize {
    let mut n = 0;
    let mut prev_word = 0u64;
    for chunk in b.chunks(64) {
        let valid = if chunk.len() == 64 {
            !0
        } else {
            (1u64 << chunk.len()) - 1
        };
        let (word, space) = class_masks(chunk);
        let starts = (word & !((word << 1) | prev_word)) | (!word & !space & valid);
        n += starts.count_ones() as usize;
        prev_word = word >> 63;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_prefix_and_suffix() {
        assert_eq!(common_prefix(b"abcdefghijkl", b"abcdefghiXkl"), 9);
        assert_eq!(common_prefix(b"abc", b"abcd"), 3);
        assert_eq!(common_suffix(b"abcdefghijkl", b"abcdefghiXkl"), 2);
        assert_eq!(common_suffix(b"xxabcdefghijkl", b"abcdefghijkl"), 12);
    }

    #[test]
    fn cuts_fall_on_token_boundaries_of_both_texts() {
        let pad = "word ".repeat(20);
        let old = format!("{pad}alpha beta{pad}");
        let new = format!("{pad}alphabet beta{pad}");
        let f = frame(&old, &new, Unit::Word);
        assert!(f.lo > 0 && f.lo <= pad.len() - MARGIN + 5);
        assert_eq!(&old[..f.lo], &new[..f.lo]);
        assert_eq!(&old[f.old_hi..], &new[f.new_hi..]);
        assert!(!old[..f.lo].ends_with(|c: char| c.is_alphanumeric()));
        assert!(!old[f.old_hi..].starts_with(|c: char| c.is_alphanumeric()));
        let same = frame(&old, &old, Unit::Word);
        assert!(same.lo <= same.old_hi);
    }

    #[test]
    fn token_counts() {
        assert_eq!(
            count_tokens("state-of-the-art, x_1  (2.5%)\n", Unit::Word),
            15
        );
        assert_eq!(count_tokens("Wörld — ２０½ café\u{a0}ok", Unit::Word), 5);
        assert_eq!(count_tokens("é a", Unit::Char), 3);
        for t in ["", " ", "a", ",", "a,b  c_d\x1c(e)\t", "ab.cd"] {
            let mut v: Vec<super::super::tokens::Token> = Vec::new();
            super::super::tokens::tokenize(t, Unit::Word, &mut v);
            assert_eq!(count_tokens(t, Unit::Word), v.len(), "{t:?}");
        }
    }
}
