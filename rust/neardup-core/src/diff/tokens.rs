//! Tokens of one text, as byte and code-point spans.
//!
//! Word unit: maximal runs of Python `\w`, and every other non-whitespace code point on its own; whitespace is
//! not a token but the *gap* between two tokens. Char unit: every code point is a token, whitespace included.
//! ASCII text (the common case) is classified 64 bytes at a time into word and whitespace bit masks, and
//! tokens are read off the masks' set bits; other text goes code point by code point.

use crate::text::shingle::{is_space, is_word_char, Unit};

/// The integer type of a token's offsets. The diff engine keeps one token per word of both texts and
/// walks them again and again (interning, trimming, cleanup, ops): `u32` offsets make a token 16 bytes
/// instead of 32, so twice as many stay in cache. Texts longer than `u32::MAX` bytes do not fit them:
/// the differ checks [`fits_u32`] first and takes a coarser path. Rendering and restoring, which may be
/// given any text and walk it once, use `usize`.
pub(crate) trait Offset: Copy + std::fmt::Debug + PartialEq + Eq {
    /// `x`, which the caller has checked to fit (see [`tokenize`]).
    fn of(x: usize) -> Self;
    fn get(self) -> usize;
    /// Whether every offset into a text of `len` bytes fits.
    fn fits(len: usize) -> bool;
}

impl Offset for u32 {
    #[inline(always)]
    fn of(x: usize) -> u32 {
        debug_assert!(x <= u32::MAX as usize);
        x as u32
    }
    #[inline(always)]
    fn get(self) -> usize {
        self as usize
    }
    #[inline(always)]
    fn fits(len: usize) -> bool {
        fits_u32(len, u32::MAX as usize)
    }
}

impl Offset for usize {
    #[inline(always)]
    fn of(x: usize) -> usize {
        x
    }
    #[inline(always)]
    fn get(self) -> usize {
        self
    }
    #[inline(always)]
    fn fits(_: usize) -> bool {
        true
    }
}

/// Whether a text of `len` bytes can be tokenised with offsets of at most `limit` (the end offset of the
/// last token is `len` itself, and code-point offsets are never larger than byte offsets). A function of
/// the limit so that the boundary can be tested without a 4 GiB text.
#[inline]
pub(crate) fn fits_u32(len: usize, limit: usize) -> bool {
    len <= limit.min(u32::MAX as usize)
}

/// One token: `text[start..end]` in bytes, `cp_start..cp_end` in code points (Python `str` indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<O: Offset = u32> {
    start: O,
    end: O,
    cp_start: O,
    cp_end: O,
}

impl<O: Offset> Token<O> {
    #[inline(always)]
    pub fn start(&self) -> usize {
        self.start.get()
    }
    #[inline(always)]
    pub fn end(&self) -> usize {
        self.end.get()
    }
    #[inline(always)]
    pub fn cp_start(&self) -> usize {
        self.cp_start.get()
    }
    #[inline(always)]
    pub fn cp_end(&self) -> usize {
        self.cp_end.get()
    }

    /// The token `start..end` in bytes, `cp_start..cp_end` in code points.
    #[inline(always)]
    fn new(start: usize, end: usize, cp_start: usize, cp_end: usize) -> Self {
        Token {
            start: O::of(start),
            end: O::of(end),
            cp_start: O::of(cp_start),
            cp_end: O::of(cp_end),
        }
    }

    /// The same token in a text that holds this one's from byte `bytes`, code point `cps` (both must keep
    /// the offsets within the whole text's, which the caller has checked to fit).
    #[inline(always)]
    pub fn shifted(self, bytes: usize, cps: usize) -> Self {
        Self::new(
            self.start() + bytes,
            self.end() + bytes,
            self.cp_start() + cps,
            self.cp_end() + cps,
        )
    }

    /// The token of the code point `c` at byte `b`, code point `cp`.
    #[inline]
    fn char(b: usize, c: char, cp: usize) -> Self {
        Self::new(b, b + c.len_utf8(), cp, cp + 1)
    }

    /// The token of a word run from byte `b`, code point `cp` to byte `end`, code point `cp_end`.
    #[inline]
    fn run((b, cp): (usize, usize), end: usize, cp_end: usize) -> Self {
        Self::new(b, end, cp, cp_end)
    }

    /// Length in code points: the weight semantic cleanup compares.
    #[inline]
    pub fn chars(&self) -> usize {
        self.cp_end() - self.cp_start()
    }
}

/// Appends the tokens of `text` to `out` (cleared first).
///
/// # Panics
/// If `text` is too long for the offsets `O` ([`Offset::fits`]): callers check first, and a panic is
/// better than offsets silently cut to 32 bits.
pub(crate) fn tokenize<O: Offset>(text: &str, unit: Unit, out: &mut Vec<Token<O>>) {
    tokenize_at(text, unit, (0, 0), out);
}

/// [`tokenize`] of a part of a longer text that starts at byte `at.0`, code point `at.1` of it (the
/// middle of a pair after its common start): the offsets are the longer text's, set as the tokens are
/// made rather than by another pass over them.
pub(crate) fn tokenize_at<O: Offset>(
    text: &str,
    unit: Unit,
    at: (usize, usize),
    out: &mut Vec<Token<O>>,
) {
    assert!(
        O::fits(at.0 + text.len()),
        "a text of {} bytes for 32-bit token offsets",
        at.0 + text.len()
    );
    out.clear();
    if text.is_ascii() {
        tokenize_ascii(text.as_bytes(), unit, at, out);
        return;
    }
    let out_at = |t: Token<O>| t.shifted(at.0, at.1);
    let mut cp = 0;
    match unit {
        Unit::Char => {
            for (b, c) in text.char_indices() {
                out.push(out_at(Token::char(b, c, cp)));
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
                    if let Some(start) = run.take() {
                        out.push(out_at(Token::run(start, b, cp)));
                    }
                    if !is_space(c) {
                        out.push(out_at(Token::char(b, c, cp)));
                    }
                }
                cp += 1;
            }
            if let Some(start) = run {
                out.push(out_at(Token::run(start, text.len(), cp)));
            }
        }
    }
}

/// Masks of the word bytes and of the whitespace bytes of up to 64 ASCII bytes (bit `i` = byte `i`;
/// [`crate::text::byteclass`]).
#[inline(always)]
pub(crate) fn class_masks(chunk: &[u8]) -> (u64, u64) {
    let c = crate::text::byteclass::classify(chunk);
    (c.word, c.space)
}

/// The common case (English abstracts): bytes are code points. Word bytes and whitespace bytes are found
/// 64 at a time as bit masks; tokens start at punctuation bytes and at word bytes not preceded by one,
/// so the loop runs once per token instead of branching on every byte.
fn tokenize_ascii<O: Offset>(
    text: &[u8],
    unit: Unit,
    (bytes, cps): (usize, usize),
    out: &mut Vec<Token<O>>,
) {
    // Bytes are code points here: a token's code-point offsets are its byte offsets shifted alike.
    let tok = |s, e| Token::new(s + bytes, e + bytes, s + cps, e + cps);
    if unit == Unit::Char {
        out.extend((0..text.len()).map(|i| tok(i, i + 1)));
        return;
    }
    // Start of a word run that reached the end of the previous chunk.
    let mut open: Option<usize> = None;
    let mut prev_word = 0u64;
    for (c, chunk) in text.chunks(64).enumerate() {
        let base = c * 64;
        let valid = if chunk.len() == 64 {
            !0
        } else {
            (1u64 << chunk.len()) - 1
        };
        let (word, space) = class_masks(chunk);
        let non_word = !word & valid;
        if let Some(s) = open {
            if non_word != 0 {
                out.push(tok(s, base + non_word.trailing_zeros() as usize));
                open = None;
            } else if chunk.len() < 64 {
                out.push(tok(s, text.len()));
                open = None;
            }
        }
        let punct = non_word & !space;
        let mut starts = (word & !((word << 1) | prev_word)) | punct;
        while starts != 0 {
            let i = starts.trailing_zeros() as usize;
            starts &= starts - 1;
            if punct >> i & 1 == 1 {
                out.push(tok(base + i, base + i + 1));
                continue;
            }
            let rest = non_word & (!0u64 << i);
            if rest != 0 {
                out.push(tok(base + i, base + rest.trailing_zeros() as usize));
            } else if chunk.len() == 64 {
                open = Some(base + i);
            } else {
                out.push(tok(base + i, text.len()));
            }
        }
        prev_word = word >> 63;
    }
    if let Some(s) = open {
        out.push(tok(s, text.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str, unit: Unit) -> Vec<&str> {
        let mut v: Vec<Token> = Vec::new();
        tokenize(s, unit, &mut v);
        v.iter().map(|t| &s[t.start()..t.end()]).collect()
    }

    #[test]
    fn tokens_of_a_part_carry_the_offsets_of_the_whole() {
        for text in ["state-of-the-art, x_1 (2.5%)", "naïve café — über 3×4", ""] {
            for unit in [Unit::Word, Unit::Char] {
                let mut plain: Vec<Token> = Vec::new();
                tokenize(text, unit, &mut plain);
                let mut part: Vec<Token> = Vec::new();
                tokenize_at(text, unit, (17, 9), &mut part);
                let moved: Vec<Token> = plain.iter().map(|t| t.shifted(17, 9)).collect();
                assert_eq!(part, moved, "{text:?} {unit:?}");
            }
        }
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
        let mut v: Vec<Token> = Vec::new();
        tokenize(s, Unit::Word, &mut v);
        let cps: Vec<(usize, usize)> = v.iter().map(|t| (t.cp_start(), t.cp_end())).collect();
        assert_eq!(cps, vec![(0, 1), (2, 3), (3, 4), (4, 5)]);
        tokenize(s, Unit::Char, &mut v);
        assert_eq!(v.len(), 5);
        assert_eq!(v[4].cp_start(), 4);
        assert_eq!(v[4].start(), 7);
        // The wide offsets give the same tokens.
        let mut w: Vec<Token<usize>> = Vec::new();
        tokenize(s, Unit::Char, &mut w);
        let wide: Vec<_> = w
            .iter()
            .map(|t| (t.start(), t.end(), t.cp_start(), t.cp_end()))
            .collect();
        let narrow: Vec<_> = v
            .iter()
            .map(|t| (t.start(), t.end(), t.cp_start(), t.cp_end()))
            .collect();
        assert_eq!(wide, narrow);
    }

    #[test]
    fn ascii_chunks_agree_with_a_byte_loop() {
        // Runs crossing 64-byte chunk boundaries, whole chunks of one word, every byte class.
        let mut seed = 3u64;
        let alphabet = b"ab_9 \t\x1c.,-(";
        for len in [0, 1, 63, 64, 65, 127, 128, 129, 200, 1000] {
            for _ in 0..20 {
                let text: String = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        let k = (seed >> 59) as usize;
                        char::from(if k < 8 {
                            b'a'
                        } else {
                            alphabet[k % alphabet.len()]
                        })
                    })
                    .collect();
                let mut fast: Vec<Token> = Vec::new();
                tokenize(&text, Unit::Word, &mut fast);
                let mut slow = Vec::new();
                let mut i = 0;
                let b = text.as_bytes();
                // 0 whitespace (Python's `\s` in ASCII), 1 word byte, 2 anything else.
                let class = |c: u8| match c {
                    b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'_' => 1,
                    0x09..=0x0d | 0x1c..=0x20 => 0,
                    _ => 2,
                };
                while i < b.len() {
                    match class(b[i]) {
                        0 => i += 1,
                        1 => {
                            let s = i;
                            while i < b.len() && class(b[i]) == 1 {
                                i += 1;
                            }
                            slow.push((s, i));
                        }
                        _ => {
                            slow.push((i, i + 1));
                            i += 1;
                        }
                    }
                }
                let fast: Vec<_> = fast.iter().map(|t| (t.start(), t.end())).collect();
                assert_eq!(fast, slow, "{text:?}");
            }
        }
    }

    #[test]
    fn ascii_and_unicode_paths_agree() {
        let s = "a\x1cb\x0bc_d!  e";
        let mut fast: Vec<Token> = Vec::new();
        tokenize(s, Unit::Word, &mut fast);
        // Force the general path by appending a non-ASCII space, which is not a token.
        let t = format!("{s}\u{3000}");
        let mut slow = Vec::new();
        tokenize(&t, Unit::Word, &mut slow);
        assert_eq!(fast, slow);
    }

    #[test]
    fn tokens_are_16_bytes() {
        assert_eq!(std::mem::size_of::<Token>(), 16);
    }

    #[test]
    fn the_u32_boundary() {
        assert!(fits_u32(10, 10));
        assert!(!fits_u32(11, 10));
        assert!(fits_u32(u32::MAX as usize, usize::MAX));
        assert!(!fits_u32(u32::MAX as usize + 1, usize::MAX));
        assert!(<u32 as Offset>::fits(u32::MAX as usize));
        assert!(!<u32 as Offset>::fits(u32::MAX as usize + 1));
        assert!(<usize as Offset>::fits(usize::MAX));
    }
}
