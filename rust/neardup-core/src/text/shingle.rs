//! Text normalisation, tokenising, shingling and hashing.
//!
//! * **Normalisation** (on by default): Unicode NFKC followed by a lower-case mapping of every code point
//!   (`char::to_lowercase`, the full Unicode mapping). NFKC folds compatibility forms (ligatures, full-width
//!   letters, superscripts) so that visually equal text hashes equally.
//! * **Word tokens** are maximal runs of word characters, defined as Python's `re` defines `\w` for `str`:
//!   a code point whose general category is a letter (L*) or a number (N*), or the underscore. Everything
//!   else (punctuation, symbols, whitespace) separates tokens and is dropped for shingling.
//! * **Char tokens** are code points (after normalisation); whitespace runs collapse to one space so that
//!   re-wrapping a text does not change its shingles.
//! * **Shingles** are `n` consecutive tokens. A text with fewer than `n` tokens (but at least one) gives one
//!   shingle of everything it has; a text without tokens gives the empty set.
//! * **Hashing**: every token is hashed with seeded XXH3-64; a shingle's hash combines its token hashes with
//!   an order-sensitive multiply-rotate chain and murmur3's `fmix64` finaliser ([`combine_hashes`]). Shingle sets are sets of these 64-bit hashes; with ~10^3
//!   shingles per text the chance that two distinct shingles collide is ~10^-13, so exact Jaccard on hashes is
//!   exact Jaccard on shingles for all practical purposes.
//!
//! Word shingles of ASCII text (the common case) take a fused path, `ascii.rs`: one SIMD pass classifies and
//! lower-cases the text, words are hashed straight from that buffer and each shingle goes to the caller's
//! sink as soon as its last word is hashed ([`ShingleConfig::for_each_shingle_hash`]; MinHash feeds its
//! bins directly). Its output is identical to the general path's; `shingle/reference.rs` keeps the general
//! implementation as it was for the equivalence tests.

use std::borrow::Cow;

use unicode_general_category::{get_general_category, GeneralCategory as G};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::{invalid, Result};

mod ascii;
#[cfg(test)]
pub(crate) mod reference;

/// Whether shingles are built from words or from characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Word,
    Char,
}

impl Unit {
    pub fn parse(name: &str) -> Result<Unit> {
        match name {
            "word" => Ok(Unit::Word),
            "char" => Ok(Unit::Char),
            other => Err(invalid(
                "unit",
                format!("expected 'word' or 'char', got {other:?}"),
            )),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Unit::Word => "word",
            Unit::Char => "char",
        }
    }
}

/// How texts become shingle hashes. Cheap to copy; shared by hashers, exact Jaccard and dedup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShingleConfig {
    pub ngram: usize,
    pub unit: Unit,
    pub normalize: bool,
    pub seed: u64,
}

impl Default for ShingleConfig {
    fn default() -> Self {
        ShingleConfig {
            ngram: 3,
            unit: Unit::Word,
            normalize: true,
            seed: 1,
        }
    }
}

impl ShingleConfig {
    pub fn new(ngram: usize, unit: Unit, normalize: bool, seed: u64) -> Result<Self> {
        if ngram == 0 {
            return Err(invalid("ngram", "must be at least 1"));
        }
        if ngram > 64 {
            return Err(invalid("ngram", "must be at most 64"));
        }
        Ok(ShingleConfig {
            ngram,
            unit,
            normalize,
            seed,
        })
    }

    /// Shingle hashes of `text`, in text order, duplicates included (callers that need a set sort+dedup;
    /// MinHash does not need to).
    pub fn shingle_hashes(&self, text: &str, out: &mut Vec<u64>) {
        self.shingle_hashes_with(text, &mut ShingleScratch::default(), out)
    }

    /// [`ShingleConfig::shingle_hashes`] with caller-provided buffers (batch loops reuse them).
    pub fn shingle_hashes_with(
        &self,
        text: &str,
        scratch: &mut ShingleScratch,
        out: &mut Vec<u64>,
    ) {
        out.clear();
        self.for_each_shingle_hash(text, scratch, |h| out.push(h));
    }

    /// Calls `sink` on every shingle hash of `text`, in text order, duplicates included: the values
    /// [`ShingleConfig::shingle_hashes`] collects, without collecting them (MinHash feeds its bins
    /// directly).
    #[inline]
    pub fn for_each_shingle_hash(
        &self,
        text: &str,
        scratch: &mut ShingleScratch,
        mut sink: impl FnMut(u64),
    ) {
        if self.unit == Unit::Word {
            // The default n = 3 gets its own copy of the loop, the window held in registers.
            let done = match self.ngram {
                3 => {
                    let win = FixedWindows::<3>::new(self.seed);
                    self.ascii_word_shingles(win, text, &mut scratch.ascii, &mut sink)
                }
                n => {
                    let win = Windows::new(n, self.seed, &mut scratch.toks);
                    self.ascii_word_shingles(win, text, &mut scratch.ascii, &mut sink)
                }
            };
            if done {
                return;
            }
        }
        let toks = &mut scratch.toks;
        toks.clear();
        self.token_hashes(text, toks);
        for_each_window(toks, self.ngram, self.seed, sink);
    }

    /// Word shingles of ASCII `text` in one fused pass, each emitted as soon as its last word is hashed;
    /// `false` (nothing emitted) when the text is not ASCII.
    #[inline(always)]
    fn ascii_word_shingles(
        &self,
        mut win: impl Shingler,
        text: &str,
        ascii: &mut ascii::AsciiScratch,
        sink: &mut impl FnMut(u64),
    ) -> bool {
        let Some(words) = ascii::words(text.as_bytes(), self.normalize, ascii) else {
            return false;
        };
        for w in words {
            win.push(xxh3_64_with_seed(w, self.seed), sink);
        }
        win.finish(sink);
        true
    }

    /// Token hashes of `text` by the general path: normalisation, then word or char tokens.
    fn token_hashes(&self, text: &str, toks: &mut Vec<u64>) {
        let text = if self.normalize {
            normalize(text)
        } else {
            Cow::Borrowed(text)
        };
        match self.unit {
            Unit::Word => {
                let seed = self.seed;
                for_each_word(&text, |w| toks.push(xxh3_64_with_seed(w.as_bytes(), seed)));
            }
            Unit::Char => {
                let mut buf = [0u8; 4];
                let mut prev_space = true;
                for c in text.chars() {
                    let c = if is_space(c) { ' ' } else { c };
                    if c == ' ' && prev_space {
                        continue;
                    }
                    prev_space = c == ' ';
                    toks.push(xxh3_64_with_seed(
                        c.encode_utf8(&mut buf).as_bytes(),
                        self.seed,
                    ));
                }
                // A trailing collapsed space carries no content.
                if prev_space && !toks.is_empty() {
                    toks.pop();
                }
            }
        }
    }

    /// Shingle hashes from tokens the caller produced (no normalisation applied).
    pub fn shingle_hashes_from_tokens<S: AsRef<str>>(&self, tokens: &[S], out: &mut Vec<u64>) {
        out.clear();
        let toks: Vec<u64> = tokens
            .iter()
            .map(|t| xxh3_64_with_seed(t.as_ref().as_bytes(), self.seed))
            .collect();
        for_each_window(&toks, self.ngram, self.seed, |h| out.push(h));
    }

    /// The sorted, de-duplicated shingle set of `text`.
    pub fn shingle_set(&self, text: &str) -> Vec<u64> {
        let mut v = Vec::new();
        self.shingle_hashes(text, &mut v);
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Calls `f` with the seeded XXH3-64 hash of every word of `text` after normalisation (NFKC and lower
/// case, as word shingles see them), in order: the tokens of word shingles, for callers that build other
/// features from them. ASCII text takes the fused path of the shingles.
pub fn for_each_word_hash(
    text: &str,
    seed: u64,
    scratch: &mut ShingleScratch,
    mut f: impl FnMut(u64),
) {
    if let Some(words) = ascii::words(text.as_bytes(), true, &mut scratch.ascii) {
        for w in words {
            f(xxh3_64_with_seed(w, seed));
        }
        return;
    }
    for_each_word(&normalize(text), |w| {
        f(xxh3_64_with_seed(w.as_bytes(), seed))
    });
}

/// Reusable buffers of [`ShingleConfig::for_each_shingle_hash`]; batch loops keep one per thread.
#[derive(Debug, Default, Clone)]
pub struct ShingleScratch {
    toks: Vec<u64>,
    ascii: ascii::AsciiScratch,
}

/// Shingles of a stream of token hashes: every window of `n` consecutive tokens, or, when the stream has
/// fewer than `n` tokens (but some), one window of all of them.
trait Shingler {
    /// Adds a token; emits the window it completes.
    fn push(&mut self, t: u64, sink: &mut impl FnMut(u64));
    /// Emits the one short window of a stream shorter than `n`.
    fn finish(self, sink: &mut impl FnMut(u64));
}

/// [`Shingler`] for a constant `N`: the last `N` tokens stay in registers.
struct FixedWindows<const N: usize> {
    last: [u64; N],
    count: usize,
    seed: u64,
}

impl<const N: usize> FixedWindows<N> {
    #[inline(always)]
    fn new(seed: u64) -> Self {
        FixedWindows {
            last: [0; N],
            count: 0,
            seed,
        }
    }
}

impl<const N: usize> Shingler for FixedWindows<N> {
    #[inline(always)]
    fn push(&mut self, t: u64, sink: &mut impl FnMut(u64)) {
        // Shift by rebuilding the array (element-wise, in registers): `copy_within` compiles to an
        // overlapping load after store that stalls store forwarding.
        let prev = self.last;
        self.last = std::array::from_fn(|i| if i + 1 < N { prev[i + 1] } else { t });
        self.count += 1;
        if self.count >= N {
            sink(combine_hashes(&self.last, self.seed));
        }
    }

    #[inline(always)]
    fn finish(self, sink: &mut impl FnMut(u64)) {
        if self.count > 0 && self.count < N {
            sink(combine_hashes(&self.last[N - self.count..], self.seed));
        }
    }
}

/// [`Shingler`] for any `n`: tokens are kept in a (reused) vector.
struct Windows<'a> {
    n: usize,
    seed: u64,
    toks: &'a mut Vec<u64>,
}

impl<'a> Windows<'a> {
    #[inline(always)]
    fn new(n: usize, seed: u64, toks: &'a mut Vec<u64>) -> Self {
        toks.clear();
        Windows { n, seed, toks }
    }
}

impl Shingler for Windows<'_> {
    #[inline(always)]
    fn push(&mut self, t: u64, sink: &mut impl FnMut(u64)) {
        self.toks.push(t);
        let len = self.toks.len();
        if len >= self.n {
            sink(combine_hashes(&self.toks[len - self.n..], self.seed));
        }
    }

    #[inline(always)]
    fn finish(self, sink: &mut impl FnMut(u64)) {
        let len = self.toks.len();
        if len > 0 && len < self.n {
            sink(combine_hashes(self.toks, self.seed));
        }
    }
}

/// Every shingle of a whole sequence of token hashes: the windows [`Windows`] emits one by one.
#[inline]
fn for_each_window(toks: &[u64], ngram: usize, seed: u64, mut sink: impl FnMut(u64)) {
    if toks.is_empty() {
        return;
    }
    for win in toks.windows(ngram.min(toks.len())) {
        sink(combine_hashes(win, seed));
    }
}

/// Hash of a window of token hashes. Token hashes are already uniform 64-bit values, so an
/// order-sensitive multiply-rotate chain finished by the murmur3 `fmix64` avalanche is enough (and several
/// times cheaper than hashing their bytes again).
#[inline(always)]
pub fn combine_hashes(win: &[u64], seed: u64) -> u64 {
    let mut h = seed ^ (win.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for &t in win {
        h = (h ^ t).wrapping_mul(0xBF58_476D_1CE4_E5B9).rotate_left(31);
    }
    fmix64(h)
}

#[inline(always)]
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// NFKC + lower-case mapping. Borrowed when the text is already ASCII lower-case (the common fast path).
pub fn normalize(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        // NFKC is the identity on ASCII, and ASCII lower-casing is a byte map.
        if !text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Cow::Borrowed(text);
        }
        return Cow::Owned(text.to_ascii_lowercase());
    }
    let mut out = String::with_capacity(text.len());
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        for c in text.chars() {
            out.extend(c.to_lowercase());
        }
    } else {
        for c in text.nfkc() {
            out.extend(c.to_lowercase());
        }
    }
    Cow::Owned(out)
}

/// Python's `\w` for `str`: letters, numbers and the underscore.
#[inline]
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    matches!(
        get_general_category(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
            | G::DecimalNumber
            | G::LetterNumber
            | G::OtherNumber
    )
}

/// Python's `\s` for `str`: Unicode White_Space plus the information separators U+001C..U+001F.
#[inline]
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Byte classes for the tokenizer: 0 = ASCII separator, 1 = ASCII word byte, 2 = start or continuation of
/// a multi-byte character (classified after decoding).
static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c >= 0x80 {
            2
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            1
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Whether the character starting at byte `pos` (a char boundary) is a word character, and its length.
#[inline(always)]
fn class_at(text: &str, pos: usize) -> (bool, usize) {
    let bytes = text.as_bytes();
    match BYTE_CLASS[bytes[pos] as usize] {
        0 => (false, 1),
        1 => (true, 1),
        _ => match text.get(pos..).and_then(|t| t.chars().next()) {
            Some(c) => (is_word_char(c), c.len_utf8()),
            None => (false, 1),
        },
    }
}

/// Calls `f` on each maximal run of word characters of `text`, in order.
#[inline]
pub fn for_each_word<'a>(text: &'a str, f: impl FnMut(&'a str)) {
    if text.len() <= 64 * 64 {
        let mut bitmap = [0u64; 64];
        if let Some(words) = ascii_word_bitmap(text.as_bytes(), &mut bitmap) {
            return for_each_run(text, &bitmap[..words], f);
        }
    } else {
        let mut bitmap = vec![0u64; text.len().div_ceil(64)];
        if ascii_word_bitmap(text.as_bytes(), &mut bitmap).is_some() {
            return for_each_run(text, &bitmap, f);
        }
    }
    for_each_word_unicode(text, f)
}

/// Bit `i` of the bitmap is set when byte `i` is an ASCII word byte. Branch-free per byte, so word
/// boundaries cost no mispredictions; `None` (bitmap unusable) as soon as a non-ASCII byte is seen.
#[inline]
fn ascii_word_bitmap(bytes: &[u8], bitmap: &mut [u64]) -> Option<usize> {
    let mut n = 0;
    for (chunk, slot) in bytes.chunks(64).zip(bitmap.iter_mut()) {
        let (m, high) = chunk_mask(chunk);
        if high {
            return None;
        }
        *slot = m;
        n += 1;
    }
    Some(n)
}

/// Word-byte mask of up to 64 bytes, and whether any byte is non-ASCII ([`crate::text::byteclass`]).
#[inline(always)]
fn chunk_mask(chunk: &[u8]) -> (u64, bool) {
    let c = crate::text::byteclass::classify(chunk);
    (c.word, c.high)
}

/// Calls `f` on every maximal run of set bits of `bitmap`, as a slice of `text`.
#[inline]
fn for_each_run<'a>(text: &'a str, bitmap: &[u64], mut f: impl FnMut(&'a str)) {
    let nbits = bitmap.len() * 64;
    let mut pos = 0;
    while pos < nbits {
        // Next set bit at or after `pos`.
        let mut w = pos / 64;
        let mut cur = bitmap[w] & (!0u64 << (pos % 64));
        while cur == 0 {
            w += 1;
            if w == bitmap.len() {
                return;
            }
            cur = bitmap[w];
        }
        let start = w * 64 + cur.trailing_zeros() as usize;
        // Next clear bit after `start`.
        let mut w = start / 64;
        let mut cur = !bitmap[w] & (!0u64 << (start % 64));
        while cur == 0 {
            w += 1;
            if w == bitmap.len() {
                break;
            }
            cur = !bitmap[w];
        }
        let end = if cur == 0 {
            nbits
        } else {
            w * 64 + cur.trailing_zeros() as usize
        }
        .min(text.len());
        f(&text[start..end]);
        pos = end;
    }
}

/// The general path: classifies characters one by one, decoding non-ASCII ones.
fn for_each_word_unicode<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut pos = 0;
    while pos < n {
        // Skip separators (ASCII ones byte by byte: the common case).
        while pos < n && BYTE_CLASS[bytes[pos] as usize] == 0 {
            pos += 1;
        }
        if pos >= n {
            break;
        }
        let (is_w, len) = class_at(text, pos);
        if !is_w {
            pos += len;
            continue;
        }
        let start = pos;
        pos += len;
        loop {
            while pos < n && BYTE_CLASS[bytes[pos] as usize] == 1 {
                pos += 1;
            }
            if pos < n && BYTE_CLASS[bytes[pos] as usize] == 2 {
                let (is_w, len) = class_at(text, pos);
                if is_w {
                    pos += len;
                    continue;
                }
            }
            break;
        }
        f(&text[start..pos]);
    }
}

/// The maximal runs of word characters of `text`, in order.
pub fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for_each_word(text, |w| out.push(w));
    out
}

/// Exact Jaccard similarity of two sorted, de-duplicated hash sets; 0 when either is empty.
pub fn jaccard_sorted(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Exact Jaccard similarity of the shingle sets of two texts.
pub fn shingle_jaccard(cfg: &ShingleConfig, a: &str, b: &str) -> f64 {
    jaccard_sorted(&cfg.shingle_set(a), &cfg.shingle_set(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_follow_python_w() {
        let w = words("Hello, wörld! x_1 ２０ ½ — done");
        assert_eq!(w, vec!["Hello", "wörld", "x_1", "２０", "½", "done"]);
    }

    #[test]
    fn bitmap_and_unicode_paths_agree() {
        let long: String = (0..3000)
            .map(|i| if i % 7 == 0 { "a_b, " } else { "word9 " })
            .collect();
        for t in [
            "",
            " ",
            "abc",
            " abc ",
            "a,b",
            "x".repeat(200).as_str(),
            long.as_str(),
            "é ab",
        ] {
            let mut fast = Vec::new();
            for_each_word(t, |w| fast.push(w));
            let mut slow = Vec::new();
            for_each_word_unicode(t, |w| slow.push(w));
            assert_eq!(fast, slow, "{t:?}");
        }
    }

    #[test]
    fn short_text_is_one_shingle_and_empty_is_empty() {
        let cfg = ShingleConfig::default();
        assert_eq!(cfg.shingle_set("two words").len(), 1);
        assert!(cfg.shingle_set("  ,;  ").is_empty());
        assert_eq!(cfg.shingle_set("a b c d").len(), 2);
    }

    #[test]
    fn normalisation_folds_case_and_compat_forms() {
        let cfg = ShingleConfig::default();
        assert_eq!(
            cfg.shingle_set("The ﬁne Cat"),
            cfg.shingle_set("the fine cat")
        );
        let raw = ShingleConfig {
            normalize: false,
            ..cfg
        };
        assert_ne!(
            raw.shingle_set("The Cat sat"),
            raw.shingle_set("the cat sat")
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn shingle_hashes_match_the_reference(
            text in reference::text_strategy(),
            cfg in reference::config_strategy(),
        ) {
            let mut got = Vec::new();
            cfg.shingle_hashes(&text, &mut got);
            prop_assert_eq!(&got, &reference::shingle_hashes(&cfg, &text));
            // A reused scratch gives the same result.
            let mut scratch = ShingleScratch::default();
            cfg.shingle_hashes_with("Warm UP the buffers, a_b 12", &mut scratch, &mut got);
            cfg.shingle_hashes_with(&text, &mut scratch, &mut got);
            prop_assert_eq!(&got, &reference::shingle_hashes(&cfg, &text));
        }
    }

    #[test]
    fn shingle_hashes_match_the_reference_on_edge_cases() {
        let long_word = "Ab".repeat(700);
        let long_text = "Lorem IPSUM dolor_sit 42 amet, ".repeat(200);
        let exact_chunk = "abcdefg ".repeat(8);
        let word_to_end = "x".repeat(128);
        let texts = [
            "",
            " ",
            "\t\n ",
            "_",
            "___ 1 22",
            "a",
            "A",
            "ÀB",
            "é",
            "x é",
            long_word.as_str(),
            long_text.as_str(),
            exact_chunk.as_str(),
            exact_chunk.trim_end(),
            word_to_end.as_str(),
        ];
        for text in texts {
            for ngram in 1..=5 {
                for unit in [Unit::Word, Unit::Char] {
                    for normalize in [true, false] {
                        let cfg = ShingleConfig::new(ngram, unit, normalize, 7).unwrap();
                        let mut got = Vec::new();
                        cfg.shingle_hashes(text, &mut got);
                        assert_eq!(
                            got,
                            reference::shingle_hashes(&cfg, text),
                            "{cfg:?} {text:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn char_unit_collapses_whitespace() {
        let cfg = ShingleConfig::new(3, Unit::Char, true, 1).unwrap();
        assert_eq!(cfg.shingle_set("ab  c\n d "), cfg.shingle_set("ab c d"));
    }
}
