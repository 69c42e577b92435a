//! Neutralising control characters in text shown to people: a title holding `ESC ] 0 ; … BEL` or a C1
//! CSI must not retitle or clear the reader's terminal, and a bidi override must not reorder what a page
//! shows. The rule is the one `neardup`'s Python side applies to everything else it prints
//! (`neardup.terminal.neutralise`), so both agree on what is dangerous:
//!
//! - C0 controls other than `\n` and `\t`, DEL, and the C1 controls `U+0080..=U+009F`;
//! - the bidirectional formatting characters (`U+061C`, `U+200E`, `U+200F`, `U+202A..=U+202E`,
//!   `U+2066..=U+2069`).
//!
//! For a terminal each becomes a visible escape (`\x1b`, `\u202e`), so nothing is hidden; in HTML and
//! Markdown, where an escape would read as text, it becomes U+FFFD (a carriage return is left there).

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` is neutralised (see the module documentation).
#[inline]
pub fn is_dangerous(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every dangerous character as a visible escape: `\xNN` below U+0100, else `\uNNNN`.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_dangerous(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// `s` with every dangerous character but `\r` (only whitespace in markup) replaced by U+FFFD (for HTML
/// and Markdown).
pub fn for_markup(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c != '\r' && is_dangerous(c);
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if bad(c) { '\u{fffd}' } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_replacements() {
        assert_eq!(for_terminal("a\x1b]0;X\x07b"), "a\\x1b]0;X\\x07b");
        assert_eq!(for_terminal("\u{9b}2J \u{202e}x"), "\\x9b2J \\u202ex");
        assert_eq!(for_terminal("keep\n\ttabs é"), "keep\n\ttabs é");
        assert!(matches!(for_terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(
            for_markup("a\u{85}b\u{2066}c\r\x1bd"),
            "a\u{fffd}b\u{fffd}c\r\u{fffd}d"
        );
    }
}
