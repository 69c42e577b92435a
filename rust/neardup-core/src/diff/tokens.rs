//! Tokens of one text (byte and code-point spans) and the interning of token texts to dense ids.
//!
//! Word unit: maximal runs of Python `\w`, and every other non-whitespace code point on its own; whitespace is
//! not a token but the *gap* between two tokens. Char unit: every code point is a token, whitespace included.

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

/// Byte classes of ASCII for the word unit: 0 whitespace (Python's `\s`: `\t\n\v\f\r`, space and the
/// separators 0x1c..0x1f), 1 word character (`[A-Za-z0-9_]`), 2 anything else (one token per byte).
const ASCII_CLASS: [u8; 128] = {
    let mut t = [2u8; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'_' {
            t[c] = 1;
        } else if b == b' ' || (b >= 0x09 && b <= 0x0d) || (b >= 0x1c && b <= 0x1f) {
            t[c] = 0;
        }
        c += 1;
    }
    t
};

/// Masks of the word bytes and of the whitespace bytes of up to 64 ASCII bytes (bit `i` = byte `i`).
#[inline(always)]
pub(crate) fn class_masks(chunk: &[u8]) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    if chunk.len() == 64 {
        return sse2::masks64(chunk);
    }
    let (mut word, mut space) = (0u64, 0u64);
    for (i, &b) in chunk.iter().enumerate() {
        let c = ASCII_CLASS[usize::from(b & 0x7f)];
        word |= u64::from(c == 1) << i;
        space |= u64::from(c == 0) << i;
    }
    (word, space)
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    /// [`super::class_masks`] of exactly 64 ASCII bytes, 16 at a time.
    #[inline(always)]
    pub(super) fn masks64(chunk: &[u8]) -> (u64, u64) {
        let (mut word, mut space) = (0u64, 0u64);
        for k in 0..4 {
            // SAFETY: SSE2 is part of the x86_64 baseline, and `chunk` holds 64 bytes, so the unaligned
            // 16-byte load at `16 * k` stays in bounds.
            unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().add(16 * k).cast::<__m128i>());
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
                let s = _mm_or_si128(
                    _mm_or_si128(in_range(0x09, 0x0d, v), in_range(0x1c, 0x1f, v)),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8)),
                );
                word |= u64::from(_mm_movemask_epi8(w) as u16) << (16 * k);
                space |= u64::from(_mm_movemask_epi8(s) as u16) << (16 * k);
            }
        }
        (word, space)
    }
}

/// The common case (English abstracts): bytes are code points. Word bytes and whitespace bytes are found
/// 64 at a time as bit masks; tokens start at punctuation bytes and at word bytes not preceded by one,
/// so the loop runs once per token instead of branching on every byte.
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

/// Bytes `start..start + n` (`1 <= n <= 8`) of `text` as a zero-padded little-endian u64: one unaligned
/// load and a mask when eight bytes are readable from `start` (nearly always: tokens lie inside a
/// text), otherwise two overlapping smaller loads. No `memcpy` call, no branch on the length class in
/// the common case, and both ways give the same value.
#[inline(always)]
fn load_at(text: &[u8], start: usize, n: usize) -> u64 {
    debug_assert!((1..=8).contains(&n));
    let keep = u64::MAX >> (64 - 8 * n);
    if let Some(w) = text.get(start..start + 8) {
        let w = [w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]];
        return u64::from_le_bytes(w) & keep;
    }
    let b = &text[start..start + n];
    let u16_at = |i: usize| u64::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let u32_at = |i: usize| u64::from(u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]));
    // Overlapping bytes are equal, so OR-ing the two loads puts every byte in its place.
    match n {
        4.. => u32_at(0) | u32_at(n - 4) << (8 * (n - 4)),
        2..=3 => u16_at(0) | u16_at(n - 2) << (8 * (n - 2)),
        _ => u64::from(b[0]),
    }
}

/// Whether `a[ra]` equals `b[rb]` (byte ranges), inlined for the short strings tokens and gaps nearly
/// always are.
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], ra: (usize, usize), b: &[u8], rb: (usize, usize)) -> bool {
    let n = ra.1 - ra.0;
    n == rb.1 - rb.0
        && match n {
            0 => true,
            1..=8 => load_at(a, ra.0, n) == load_at(b, rb.0, n),
            _ => a[ra.0..ra.1] == b[rb.0..rb.1],
        }
}

/// Hash of the bytes `text[start..end]`: a multiply-rotate over 8-byte words (rustc's FxHash step)
/// finished with a multiply-xorshift so that the high bits, which pick the table slot, depend on every
/// byte. Not collision-resistant, and it need not be: the interner compares texts on every hash match.
#[inline(always)]
pub(crate) fn hash_token(text: &[u8], start: usize, end: usize) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = (end - start) as u64;
    let mut p = start;
    while p + 8 <= end {
        h = (h.rotate_left(5) ^ load_at(text, p, 8)).wrapping_mul(K);
        p += 8;
    }
    if p < end {
        h = (h.rotate_left(5) ^ load_at(text, p, end - p)).wrapping_mul(K);
    }
    let h = h ^ (h >> 29);
    h.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
}

/// Token id for a token of the row text (`old`) that never occurs in the column text (`new`).
pub(crate) const ABSENT: u32 = u32::MAX;

/// Interns token texts to dense ids with an open-addressing table that is kept (and never cleared: a
/// generation number retires old entries) across calls, so a batch allocates it once.
#[derive(Default)]
pub(crate) struct Interner {
    /// (hash, id, generation) per slot; a slot is live when its generation is the current one.
    slots: Vec<(u64, u32, u32)>,
    /// Slots in use by the current call, minus one.
    mask: usize,
    generation: u32,
    /// Byte range in `new` of the first token given each id, to check candidates against.
    reps: Vec<(usize, usize)>,
}

impl Interner {
    fn reset(&mut self, n: usize) {
        // Only the first `want` slots are used, however large an earlier call grew the table: small
        // diffs after a large one stay within a few cache-resident kilobytes.
        let want = (2 * n).next_power_of_two().max(64);
        if self.slots.len() < want || self.generation == u32::MAX {
            self.slots.clear();
            self.slots.resize(want, (0, 0, 0));
            self.generation = 0;
        }
        self.mask = want - 1;
        self.generation += 1;
        self.reps.clear();
    }

    /// The slot holding `tok` (of `text`) or the empty slot where it would go.
    #[inline(always)]
    fn find(&self, new: &[u8], text: &[u8], tok: (usize, usize), h: u64) -> (usize, bool) {
        let mask = self.mask;
        let mut i = (h >> 32) as usize & mask;
        loop {
            let (sh, id, g) = self.slots[i];
            if g != self.generation {
                return (i, false);
            }
            if sh == h && same_bytes(new, self.reps[id as usize], text, tok) {
                return (i, true);
            }
            i = (i + 1) & mask;
        }
    }

    /// Ids of the middles of both texts: `new`'s distinct tokens get `0..k` in order of first
    /// appearance (they index the bit-parallel match table); `old`'s tokens absent from `new` get
    /// [`ABSENT`], since they can never be part of a common subsequence. Returns `k`.
    pub fn intern(
        &mut self,
        old: &str,
        old_toks: &[Token],
        new: &str,
        new_toks: &[Token],
        old_ids: &mut Vec<u32>,
        new_ids: &mut Vec<u32>,
    ) -> usize {
        self.reset(new_toks.len());
        new_ids.clear();
        old_ids.clear();
        let (old, new) = (old.as_bytes(), new.as_bytes());
        for t in new_toks {
            let h = hash_token(new, t.start, t.end);
            let (slot, found) = self.find(new, new, (t.start, t.end), h);
            if found {
                new_ids.push(self.slots[slot].1);
            } else {
                let id = self.reps.len() as u32;
                self.reps.push((t.start, t.end));
                self.slots[slot] = (h, id, self.generation);
                new_ids.push(id);
            }
        }
        for t in old_toks {
            let h = hash_token(old, t.start, t.end);
            let (slot, found) = self.find(new, old, (t.start, t.end), h);
            old_ids.push(if found { self.slots[slot].1 } else { ABSENT });
        }
        self.reps.len()
    }
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
                let mut fast = Vec::new();
                tokenize(&text, Unit::Word, &mut fast);
                let mut slow = Vec::new();
                let mut i = 0;
                let b = text.as_bytes();
                while i < b.len() {
                    match ASCII_CLASS[usize::from(b[i])] {
                        0 => i += 1,
                        1 => {
                            let s = i;
                            while i < b.len() && ASCII_CLASS[usize::from(b[i])] == 1 {
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
                let fast: Vec<_> = fast.iter().map(|t| (t.start, t.end)).collect();
                assert_eq!(fast, slow, "{text:?}");
            }
        }
    }

    #[test]
    fn loads_are_the_same_at_the_text_end_and_inside() {
        let text = b"abcdefghijklmnop";
        for n in 1..=8 {
            for start in 0..=text.len() - n {
                let mut w = [0u8; 8];
                w[..n].copy_from_slice(&text[start..start + n]);
                assert_eq!(
                    load_at(text, start, n),
                    u64::from_le_bytes(w),
                    "{start} {n}"
                );
            }
        }
        let (a, b) = (b"xx token", b"token");
        assert!(same_bytes(a, (3, 8), b, (0, 5)));
        assert_eq!(hash_token(a, 3, 8), hash_token(b, 0, 5));
        assert!(!same_bytes(a, (3, 8), b, (0, 4)));
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
