//! Tokens of one text (byte and code-point spans) and the interning of token texts to dense ids.
//!
//! Word unit: maximal runs of Python `\w`, and every other non-whitespace code point on its own; whitespace is
//! not a token but the *gap* between two tokens. Char unit: every code point is a token, whitespace included.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::shingle::{is_space, is_word_char, Unit};

/// One token: `text[start..end]` in bytes, `cp_start..cp_end` in code points (Python `str` indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    pub cp_start: usize,
    pub cp_end: usize,
}

impl Token {
    /// Length in code points: the weight semantic cleanup compares.
    #[inline]
    pub fn chars(&self) -> usize {
        self.cp_end - self.cp_start
    }
}

/// Appends the tokens of `text` to `out` (cleared first).
pub(crate) fn tokenize(text: &str, unit: Unit, out: &mut Vec<Token>) {
    out.clear();
    if text.is_ascii() {
        tokenize_ascii(text.as_bytes(), unit, out);
        return;
    }
    let mut cp = 0;
    match unit {
        Unit::Char => {
            for (b, c) in text.char_indices() {
                out.push(Token {
                    start: b,
                    end: b + c.len_utf8(),
                    cp_start: cp,
                    cp_end: cp + 1,
                });
                cp += 1;
            }
        }
        Unit::Word => {
            // (byte, code point) where the current word run started.
            let mut run: Option<(usize, usize)> = None;
            for (b, c) in text.char_indices() {
                if is_word_char(c) {
                    run.get_or_insert((b, cp));
                } else {
                    if let Some((rb, rc)) = run.take() {
                        out.push(Token {
                            start: rb,
                            end: b,
                            cp_start: rc,
                            cp_end: cp,
                        });
                    }
                    if !is_space(c) {
                        out.push(Token {
                            start: b,
                            end: b + c.len_utf8(),
                            cp_start: cp,
                            cp_end: cp + 1,
                        });
                    }
                }
                cp += 1;
            }
            if let Some((rb, rc)) = run {
                out.push(Token {
                    start: rb,
                    end: text.len(),
                    cp_start: rc,
                    cp_end: cp,
                });
            }
        }
    }
}

/// The common case (English abstracts): bytes are code points, and `\w` / `\s` are table look-ups.
fn tokenize_ascii(text: &[u8], unit: Unit, out: &mut Vec<Token>) {
    let tok = |s, e| Token {
        start: s,
        end: e,
        cp_start: s,
        cp_end: e,
    };
    if unit == Unit::Char {
        out.extend((0..text.len()).map(|i| tok(i, i + 1)));
        return;
    }
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b.is_ascii_alphanumeric() || b == b'_' {
            let s = i;
            while i < text.len() && (text[i].is_ascii_alphanumeric() || text[i] == b'_') {
                i += 1;
            }
            out.push(tok(s, i));
        } else {
            // Python's \s on ASCII: \t \n \v \f \r, space and the separators 0x1c..0x1f.
            if !(b == b' ' || (0x09..=0x0d).contains(&b) || (0x1c..=0x1f).contains(&b)) {
                out.push(tok(i, i + 1));
            }
            i += 1;
        }
    }
}

/// FxHash (rustc's hasher): a multiply-rotate over 8-byte words. Token texts are short and not adversarial
/// across a trust boundary that matters here (a collision only costs time), so SipHash would be wasted work.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Token id for a token of the row text (`old`) that never occurs in the column text (`new`).
pub(crate) const ABSENT: u32 = u32::MAX;

/// Interns the middle (after prefix/suffix trimming) of both texts. `new`'s distinct tokens get the dense ids
/// `0..k` (they index the bit-parallel match table); `old`'s tokens absent from `new` all get [`ABSENT`], since
/// they can never be part of a common subsequence.
pub(crate) fn intern<'t>(
    old: &'t str,
    old_toks: &[Token],
    new: &'t str,
    new_toks: &[Token],
    map: &mut FxMap<&'t str, u32>,
    old_ids: &mut Vec<u32>,
    new_ids: &mut Vec<u32>,
) -> usize {
    map.clear();
    new_ids.clear();
    old_ids.clear();
    for t in new_toks {
        let next = map.len() as u32;
        new_ids.push(*map.entry(&new[t.start..t.end]).or_insert(next));
    }
    for t in old_toks {
        old_ids.push(map.get(&old[t.start..t.end]).copied().unwrap_or(ABSENT));
    }
    map.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str, unit: Unit) -> Vec<&str> {
        let mut v = Vec::new();
        tokenize(s, unit, &mut v);
        v.iter().map(|t| &s[t.start..t.end]).collect()
    }

    #[test]
    fn word_tokens_follow_python_regex() {
        assert_eq!(
            texts("state-of-the-art, x_1  (2.5%)\n", Unit::Word),
            vec![
                "state", "-", "of", "-", "the", "-", "art", ",", "x_1", "(", "2", ".", "5", "%",
                ")"
            ]
        );
        assert_eq!(
            texts("Wörld — ２０½ café\u{a0}ok", Unit::Word),
            vec!["Wörld", "—", "２０½", "café", "ok"]
        );
    }

    #[test]
    fn code_point_offsets() {
        let s = "é a—b";
        let mut v = Vec::new();
        tokenize(s, Unit::Word, &mut v);
        let cps: Vec<(usize, usize)> = v.iter().map(|t| (t.cp_start, t.cp_end)).collect();
        assert_eq!(cps, vec![(0, 1), (2, 3), (3, 4), (4, 5)]);
        tokenize(s, Unit::Char, &mut v);
        assert_eq!(v.len(), 5);
        assert_eq!(v[4].cp_start, 4);
        assert_eq!(v[4].start, 7);
    }

    #[test]
    fn ascii_and_unicode_paths_agree() {
        let s = "a\x1cb\x0bc_d!  e";
        let mut fast = Vec::new();
        tokenize(s, Unit::Word, &mut fast);
        // Force the general path by appending a non-ASCII space, which is not a token.
        let t = format!("{s}\u{3000}");
        let mut slow = Vec::new();
        tokenize(&t, Unit::Word, &mut slow);
        assert_eq!(fast, slow);
    }
}
