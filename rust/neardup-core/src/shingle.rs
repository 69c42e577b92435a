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
//! * **Hashing**: every token is hashed with seeded XXH3-64, and a shingle's hash is XXH3-64 (same seed) over
//!   the little-endian bytes of its token hashes. Shingle sets are sets of these 64-bit hashes; with ~10^3
//!   shingles per text the chance that two distinct shingles collide is ~10^-13, so exact Jaccard on hashes is
//!   exact Jaccard on shingles for all practical purposes.

use std::borrow::Cow;

use unicode_general_category::{get_general_category, GeneralCategory as G};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::{invalid, Result};

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
        out.clear();
        let text = if self.normalize {
            normalize(text)
        } else {
            Cow::Borrowed(text)
        };
        let mut toks: Vec<u64> = Vec::with_capacity(text.len() / 5 + 1);
        match self.unit {
            Unit::Word => {
                for w in words(&text) {
                    toks.push(xxh3_64_with_seed(w.as_bytes(), self.seed));
                }
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
        self.combine(&toks, out);
    }

    /// Shingle hashes from tokens the caller produced (no normalisation applied).
    pub fn shingle_hashes_from_tokens<S: AsRef<str>>(&self, tokens: &[S], out: &mut Vec<u64>) {
        out.clear();
        let toks: Vec<u64> = tokens
            .iter()
            .map(|t| xxh3_64_with_seed(t.as_ref().as_bytes(), self.seed))
            .collect();
        self.combine(&toks, out);
    }

    fn combine(&self, toks: &[u64], out: &mut Vec<u64>) {
        if toks.is_empty() {
            return;
        }
        let n = self.ngram.min(toks.len());
        let mut bytes = [0u8; 64 * 8];
        out.reserve(toks.len() + 1 - n);
        for win in toks.windows(n) {
            for (i, t) in win.iter().enumerate() {
                bytes[i * 8..i * 8 + 8].copy_from_slice(&t.to_le_bytes());
            }
            out.push(xxh3_64_with_seed(&bytes[..n * 8], self.seed));
        }
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

/// NFKC + lower-case mapping. Borrowed when the text is already ASCII lower-case (the common fast path).
pub fn normalize(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    if text.is_ascii() || is_nfkc_quick(text.chars()) == IsNormalized::Yes {
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

/// Iterator over the maximal runs of word characters of `text`.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find(is_word_char)?;
        let tail = &rest[start..];
        let end = tail.find(|c| !is_word_char(c)).unwrap_or(tail.len());
        let (w, r) = tail.split_at(end);
        rest = r;
        Some(w)
    })
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

    #[test]
    fn words_follow_python_w() {
        let w: Vec<&str> = words("Hello, wörld! x_1 ２０ ½ — done").collect();
        assert_eq!(w, vec!["Hello", "wörld", "x_1", "２０", "½", "done"]);
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

    #[test]
    fn char_unit_collapses_whitespace() {
        let cfg = ShingleConfig::new(3, Unit::Char, true, 1).unwrap();
        assert_eq!(cfg.shingle_set("ab  c\n d "), cfg.shingle_set("ab c d"));
    }
}
