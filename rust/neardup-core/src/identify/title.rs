//! [`normalize_title_ascii`]: the normalised title of DESIGN §5 (`neardup.identity.normalize_title`) for
//! the common case of a plain-ASCII title without LaTeX. It runs on every title of both snapshots.
//!
//! On such titles NFKC is the identity and casefolding is lowercasing; every ASCII punctuation mark and
//! symbol (Unicode P* and S*) and whitespace (`str.isspace`) becomes a word break. So the result is the
//! title's words (maximal runs of the other bytes), lower-cased, joined by single spaces. The title is
//! classified 64 bytes at a time ([`crate::text::byteclass`]) into a bit mask of word bytes and the words are
//! copied off the mask run by run: a few instructions a word rather than
//! a dozen a byte. Words split by a single break byte are copied as one run, the break written as a
//! space: the usual title is one copy a chunk, not one a word.

/// Bytes that leave a title to the full definition (LaTeX markup).
const LATEX: [u8; 4] = [b'\\', b'{', b'}', b'$'];

/// The normalised title of a plain-ASCII title without LaTeX (`\`, `{`, `}`, `$`), or `None` when the
/// title needs the full definition.
pub fn normalize_title_ascii(title: &str) -> Option<String> {
    let bytes = title.as_bytes();
    if !bytes.is_ascii() {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut lowered = [0u8; 64];
    // Whether the previous chunk ended inside a word, which the next chunk's first run continues.
    let mut in_word = false;
    for chunk in bytes.chunks(64) {
        let (words, latex) = classify(chunk, &mut lowered);
        if latex {
            return None;
        }
        // Breaks with a word byte on both sides (within the chunk) stay in the runs, written as spaces:
        // the single space that joins the two words.
        let single_breaks = !words & (words << 1) & (words >> 1);
        let mut spaces = single_breaks;
        while spaces != 0 {
            lowered[spaces.trailing_zeros() as usize] = b' ';
            spaces &= spaces - 1;
        }
        let mut rest = words | single_breaks;
        while rest != 0 {
            let start = rest.trailing_zeros() as usize;
            let end = start + (!(rest >> start)).trailing_zeros() as usize;
            let continued = start == 0 && in_word;
            if !continued && !out.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(&lowered[start..end]);
            rest = if end >= 64 { 0 } else { rest & (!0u64 << end) };
        }
        in_word = (words >> (chunk.len() - 1)) & 1 == 1;
    }
    // Only ASCII bytes were written, so this cannot fail.
    String::from_utf8(out).ok()
}

/// The word-byte mask of up to 64 ASCII bytes (bit `i` for byte `i`; none past the chunk) and whether
/// any byte is LaTeX markup; the bytes, upper-case letters lowered, go to `lowered`.
#[inline]
fn classify(chunk: &[u8], lowered: &mut [u8; 64]) -> (u64, bool) {
    // Padding with a break byte keeps bits past the chunk clear.
    let mut block = [b' '; 64];
    block[..chunk.len()].copy_from_slice(chunk);
    let c = crate::text::byteclass::classify_lowering(&block, 0x20, lowered);
    // LaTeX markup is punctuation: only those bytes need a look.
    let mut punct = c.punct;
    let mut latex = false;
    while punct != 0 {
        latex |= LATEX.contains(&block[punct.trailing_zeros() as usize]);
        punct &= punct - 1;
    }
    (!(c.space | c.punct), latex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::space::is_py_space;
    use proptest::prelude::*;

    /// The definition written out plainly.
    fn reference(t: &str) -> Option<String> {
        if !t.is_ascii() || t.contains(LATEX.map(char::from)) {
            return None;
        }
        let spaced: String = t
            .chars()
            .map(|c| {
                if c.is_ascii_punctuation() || is_py_space(c) {
                    ' '
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        Some(
            spaced
                .split(' ')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    #[test]
    fn ascii_titles_normalise_to_the_design_rule() {
        let n = |t: &str| normalize_title_ascii(t);
        assert_eq!(
            n("Embedding&MLP: a Re-Take").as_deref(),
            Some("embedding mlp a re take")
        );
        assert_eq!(n("  A\x1fB_c\t\n").as_deref(), Some("a b c"));
        assert_eq!(n("...").as_deref(), Some(""));
        assert_eq!(n("").as_deref(), Some(""));
        assert_eq!(n("Caf\u{e9}"), None);
        assert_eq!(n("The $\\alpha$ rule"), None);
        assert_eq!(n("{GAN}s"), None);
    }

    /// Every string of up to four bytes from an alphabet of each byte class.
    #[test]
    fn short_titles_match_the_definition() {
        let alphabet = [
            "a", "Z", "7", " ", "-", "\t", "\x1c", "\0", "\x7f", "$", "{", "_", "\u{e9}",
        ];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
            texts.sort();
            texts.dedup();
        }
        for t in &texts {
            assert_eq!(normalize_title_ascii(t), reference(t), "{t:?}");
        }
    }

    proptest! {
        /// Long titles too: words and breaks across the 64-byte chunks.
        #[test]
        fn titles_match_the_definition(t in "[ -~\t\n\x00-\x1f]{0,200}", pad in 0usize..70) {
            let t = format!("{}{t}", "x".repeat(pad));
            prop_assert_eq!(normalize_title_ascii(&t), reference(&t));
            let words = t.replace(LATEX.map(char::from), " ");
            prop_assert_eq!(normalize_title_ascii(&words), reference(&words));
        }
    }
}
