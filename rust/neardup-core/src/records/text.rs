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
/// `" ".join(text.split())` would return it unchanged. One pass, no branches on the bytes.
fn single_spaced_ascii(bytes: &[u8]) -> bool {
    let mut bad = false;
    let mut prev_space = true; // a leading space counts as a double one
    for &b in bytes {
        let class = SPACE_CLASS[usize::from(b)];
        let space = class == 1;
        bad |= (class == 2) | (space & prev_space);
        prev_space = space;
    }
    !bad && (bytes.is_empty() || !prev_space)
}

#[cfg(test)]
mod tests {
    use super::*;

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
