//! Author lists compared as sets of people: order, initials, accents and "Last, First" spellings do not
//! matter.
//!
//! A name is folded like every other word (accents dropped, lower case) and split into given names and
//! a surname (the last word, or the part before the comma of "Last, First"). Two names are one person
//! when their surnames agree and their first given names agree on the initial ("D. Scott Mackay" and
//! "David S. Mackay"), or when their words are the same two in the other order ("Jian Chu" and "Chu
//! Jian", as family-name-first spellings of one person vary between sources).

use super::evidence::for_each_folded_word;

/// One author's name, folded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Name {
    surname: String,
    /// The first given name (possibly an initial), empty when the name is one word.
    given: String,
}

impl Name {
    pub(super) fn parse(raw: &str) -> Option<Name> {
        let decoded = decode_char_refs(raw);
        let raw: &str = &decoded;
        let (family, rest) = match raw.split_once(',') {
            Some((family, rest)) => (Some(family), rest),
            None => (None, raw),
        };
        let mut words = Vec::new();
        for_each_folded_word(rest, |w| words.push(w.to_owned()));
        let surname = match family {
            Some(f) => {
                let mut fam = Vec::new();
                for_each_folded_word(f, |w| fam.push(w.to_owned()));
                fam.pop()?
            }
            None => words.pop()?,
        };
        let given = words.into_iter().next().unwrap_or_default();
        Some(Name { surname, given })
    }

    pub(super) fn surname(&self) -> &str {
        &self.surname
    }

    fn same_person(&self, other: &Name) -> bool {
        let initial = |s: &str| s.chars().next();
        let forward = self.surname == other.surname
            && (self.given.is_empty()
                || other.given.is_empty()
                || initial(&self.given) == initial(&other.given));
        let swapped =
            !self.given.is_empty() && self.given == other.surname && self.surname == other.given;
        forward || swapped
    }
}

/// `raw` with numeric character references ("Barbar&#225;", "&#x15E;") replaced by their characters:
/// bibliographic exports spell accented names so, and the same name elsewhere has the letter itself.
fn decode_char_refs(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains("&#") {
        return raw.into();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let decoded = tail.split_once(';').and_then(|(num, after)| {
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            Some((char::from_u32(code)?, after))
        });
        match decoded {
            Some((c, after)) => {
                out.push(c);
                rest = after;
            }
            None => {
                out.push_str("&#");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out.into()
}

/// The parsed names of an author list (names without a word are left out).
pub(super) fn names<S: AsRef<str>>(list: &[S]) -> Vec<Name> {
    list.iter()
        .filter_map(|n| Name::parse(n.as_ref()))
        .collect()
}

/// How many authors the lists share, over the shorter list: 1 when one list holds the other (a
/// revision that adds authors keeps 1). `None` when either list is empty. Symmetric: a name counts as
/// shared on each side when it has a partner on the other, and the smaller of the two counts is used.
/// Lists are capped at `MAX_NAMES` names each, so a consortium paper costs no more than a small one.
pub(super) fn overlap(a: &[Name], b: &[Name]) -> Option<f64> {
    const MAX_NAMES: usize = 64;
    let (a, b) = (&a[..a.len().min(MAX_NAMES)], &b[..b.len().min(MAX_NAMES)]);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let in_other = |xs: &[Name], ys: &[Name]| {
        xs.iter()
            .filter(|x| ys.iter().any(|y| x.same_person(y)))
            .count()
    };
    let shared = in_other(a, b).min(in_other(b, a));
    Some(shared as f64 / a.len().min(b.len()) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ov(a: &[&str], b: &[&str]) -> Option<f64> {
        overlap(&names(a), &names(b))
    }

    #[test]
    fn order_initials_accents_and_commas_do_not_matter() {
        let a = ["José Müller", "Ann B. Smith", "Wei Zhang"];
        let b = ["Zhang, Wei", "A. Smith", "Jose Muller"];
        assert_eq!(ov(&a, &b), Some(1.0));
        assert_eq!(ov(&["Jian Chu"], &["Chu Jian"]), Some(1.0));
        assert_eq!(ov(&["Daniel Barbar&#225;"], &["Daniel Barbará"]), Some(1.0));
        assert_eq!(
            ov(&["Tomasz Imieli&#x144;ski"], &["Tomasz Imielinski"]),
            Some(1.0)
        );
        assert_eq!(ov(&["A&#;B Smith"], &["A&#;B Smith"]), Some(1.0));
        assert_eq!(
            ov(&["Ulrike on Luxburg"], &["Ulrike Von Luxburg"]),
            Some(1.0)
        );
    }

    #[test]
    fn different_people_do_not_match() {
        assert_eq!(ov(&["Ann Smith"], &["Bob Smith"]), Some(0.0));
        assert_eq!(ov(&["Ann Smith", "Wei Zhang"], &["Li Zhang"]), Some(0.0));
        assert_eq!(ov(&[], &["Li Zhang"]), None);
    }

    #[test]
    fn added_authors_keep_full_overlap_and_it_is_symmetric() {
        let a = ["Ann Smith", "Wei Zhang"];
        let b = ["Wei Zhang", "Carl Jung", "Ann Smith"];
        assert_eq!(ov(&a, &b), Some(1.0));
        assert_eq!(ov(&b, &a), Some(1.0));
        // Two "Smith"s on one side, one on the other: the smaller count is the shared number.
        let c = ["A. Smith", "Ann Smith", "Li Wu"];
        let d = ["Ann Smith", "Ed Ray"];
        assert_eq!(ov(&c, &d), ov(&d, &c));
    }
}
