//! arXiv identifiers in their canonical spelling, recognised without a regex engine.
//!
//! Python's `neardup.identity.identity_key` accepts many spellings (URLs, `arXiv:` prefixes, OAI guids,
//! DOIs). Id fields nearly always hold the bare form, `2502.13138` or `hep-th/9901001`, optionally with a
//! `vN` suffix; for those this module gives the same answer as `identity_key`, and for every other
//! spelling it answers [`Id::Unknown`] so that the caller lets Python decide.

use std::borrow::Cow;

use crate::text::space::py_strip;

/// What `identity_key(text)` returns, when it can be told without Python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Id {
    /// An arXiv id: `("arxiv:<id>", version)`.
    Arxiv(String, Option<u32>),
    /// Certainly not an identifier: `identity_key` returns None.
    NotAnId,
    /// Some other spelling: ask `identity_key`.
    Unknown,
}

/// Classifies an id field's text exactly as `neardup.identity.identity_key` would.
pub fn classify(text: &str) -> Id {
    let text = py_strip(text);
    if text.is_empty() {
        return Id::NotAnId; // neither an arXiv id nor a DOI
    }
    let bytes = text.as_bytes();
    let parsed =
        if bytes.len() >= 5 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'.' {
            new_style(text)
        } else {
            old_style(text)
        };
    let Some((ident, yymm, four_digit_number, version)) = parsed else {
        // Another spelling (URL, prefix, DOI): the general definition decides.
        return match crate::identify::identity_key(text) {
            Some((key, version)) => Id::Arxiv(key, version),
            None => Id::NotAnId,
        };
    };
    // `identity._plausible`: YYMM must name a month, and four-digit numbers ended with 1412.
    let month = (yymm[2] - b'0') * 10 + (yymm[3] - b'0');
    let year_month = yymm.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    if !(1..=12).contains(&month) || (four_digit_number && year_month >= 1501) {
        // The text is shaped like an arXiv id (so it is no DOI, and no other arXiv spelling) but is none.
        return Id::NotAnId;
    }
    let mut key = String::with_capacity(6 + ident.len());
    key.push_str("arxiv:");
    key.push_str(&ident);
    Id::Arxiv(key, version)
}

/// (identifier without version, YYMM, whether the number has four digits, version).
type Parsed<'a> = (Cow<'a, str>, [u8; 4], bool, Option<u32>);

/// `YYMM.NNNN[N][vV]` (the `YYMM.` already checked).
fn new_style(text: &str) -> Option<Parsed<'_>> {
    let bytes = text.as_bytes();
    let digits = bytes[5..].iter().take_while(|b| b.is_ascii_digit()).count();
    if !(4..=5).contains(&digits) {
        return None;
    }
    let end = 5 + digits;
    let version = version(&text[end..])?;
    let yymm = [bytes[0], bytes[1], bytes[2], bytes[3]];
    Some((Cow::Borrowed(&text[..end]), yymm, digits == 4, version))
}

/// `archive[-more][.SC]/YYMMNNN[vV]`: the archive lower-cased, the subject class upper-cased.
fn old_style(text: &str) -> Option<Parsed<'_>> {
    let slash = text.find('/')?;
    let (archive, rest) = (&text[..slash], &text[slash + 1..]);
    let (name, subject) = match archive.split_once('.') {
        Some((name, subject)) => (name, Some(subject)),
        None => (archive, None),
    };
    let letters = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphabetic());
    if !name.split('-').all(letters) || subject.is_some_and(|s| s.len() != 2 || !letters(s)) {
        return None;
    }
    let number = rest.as_bytes();
    if number.len() < 7 || !number[..7].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let version = version(&rest[7..])?;
    let mut ident = name.to_ascii_lowercase();
    if let Some(subject) = subject {
        ident.push('.');
        ident.push_str(&subject.to_ascii_uppercase());
    }
    ident.push('/');
    ident.push_str(&rest[..7]);
    let yymm = [number[0], number[1], number[2], number[3]];
    Some((Cow::Owned(ident), yymm, false, version))
}

/// The optional `vN` suffix (1 to 9 digits, `v` in either case): `Some(None)` when absent, None when the
/// rest is anything else.
fn version(rest: &str) -> Option<Option<u32>> {
    if rest.is_empty() {
        return Some(None);
    }
    let digits = rest.strip_prefix(['v', 'V'])?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arxiv(key: &str, version: Option<u32>) -> Id {
        Id::Arxiv(key.to_owned(), version)
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(classify("2502.13138"), arxiv("arxiv:2502.13138", None));
        assert_eq!(
            classify(" 2502.13138v2\n"),
            arxiv("arxiv:2502.13138", Some(2))
        );
        assert_eq!(classify("0704.0001V007"), arxiv("arxiv:0704.0001", Some(7)));
        assert_eq!(
            classify("hep-th/9901001"),
            arxiv("arxiv:hep-th/9901001", None)
        );
        assert_eq!(
            classify("Math.gt/0309136v1"),
            arxiv("arxiv:math.GT/0309136", Some(1))
        );
        assert_eq!(
            classify("cond-mat-x/9901001"),
            arxiv("arxiv:cond-mat-x/9901001", None)
        );
    }

    #[test]
    fn shaped_like_an_id_but_implausible() {
        assert_eq!(classify("2400.00001"), Id::NotAnId); // month 00
        assert_eq!(classify("1513.00001"), Id::NotAnId);
        assert_eq!(classify("1501.0001"), Id::NotAnId); // four digits after 2014
        assert_eq!(classify("hep-th/9913001"), Id::NotAnId);
        assert_eq!(classify(" \u{3000}"), Id::NotAnId);
    }

    #[test]
    fn other_spellings_go_to_the_general_definition() {
        let key = |t: &str| match crate::identify::identity_key(t) {
            Some((k, v)) => Id::Arxiv(k, v),
            None => Id::NotAnId,
        };
        for text in [
            "arXiv:2502.13138",
            "https://arxiv.org/abs/2502.13138",
            "2502.13138.pdf",
            "2502.13138v",
            "2502.13138v1234567890",
            "2502.131381",
            "2502.131",
            "10.1000/xyz",
            "10.48550/arXiv.2502.13138v2",
            "-th/9901001",
            "hep--th/9901001",
            "hep-th.G/9901001",
            "hep-th/990100",
            "hep-th/99010011",
            "P-1",
            "704",
        ] {
            assert_eq!(classify(text), key(text), "{text}");
        }
        assert_eq!(
            classify("https://arxiv.org/abs/2502.13138v3"),
            Id::Arxiv("arxiv:2502.13138".into(), Some(3))
        );
        assert_eq!(
            classify("10.1000/XYZ"),
            Id::Arxiv("doi:10.1000/xyz".into(), None)
        );
        assert_eq!(classify("P-1"), Id::NotAnId);
    }
}
