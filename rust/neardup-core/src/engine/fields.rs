//! What the near decision ([`crate::engine::near::match_entries_except`]) reads from a record: title and
//! abstract, the authors the reader interpreted, and two members of the record's other fields when
//! present: `categories` (a list of strings, or one string of whitespace-separated categories as in the
//! arXiv metadata dump) and `year` (a number or a string starting with four digits). Anything else is
//! missing evidence, which the decision treats as neutral.

use std::borrow::Cow;

use crate::engine::near::NearEntry;
use crate::read::file::Record;
use crate::read::meta::Json;

/// The near entry of a record, borrowing its texts and author names.
pub fn near_entry<'r>(r: &'r Record) -> NearEntry<Cow<'r, str>> {
    let mut e = NearEntry {
        title: Cow::Borrowed(r.title()),
        abstract_text: Cow::Borrowed(r.abstract_text()),
        ..NearEntry::default()
    };
    // Owned: a record read from JSON Lines interprets its metadata on each call (`Record::meta`), and
    // only the few records near matching looks at take this.
    let Some(meta) = r.meta() else {
        return e;
    };
    if let Some(a) = &meta.authors {
        e.authors = a.iter().map(|n| Cow::Owned(n.clone())).collect();
    }
    for (name, value) in &meta.extra {
        match name.as_str() {
            "categories" => e.categories = categories(value),
            "year" => e.year = year(value),
            _ => {}
        }
    }
    e
}

/// Categories from a member's canonical JSON text.
fn categories(json: &str) -> Vec<Cow<'static, str>> {
    let owned = |s: &str| Cow::Owned(s.to_owned());
    match Json::parse(json, 0) {
        Some(Json::Str(s)) => s.split_whitespace().map(owned).collect(),
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Json::Str(s) if !s.trim().is_empty() => Some(owned(s.trim())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A year from a member's canonical JSON text: a number of four digits, or a string starting with
/// four digits ("2021", "2021-03-04").
fn year(json: &str) -> Option<i32> {
    let digits = match Json::parse(json, 0)? {
        Json::Number(n) => n,
        Json::Str(s) => s.trim().to_owned(),
        _ => return None,
    };
    let head = digits.get(..4)?;
    let rest_ok = digits[4..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_ascii_digit());
    (head.bytes().all(|b| b.is_ascii_digit()) && rest_ok)
        .then(|| head.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_take_four_leading_digits_only() {
        assert_eq!(year("2021"), Some(2021));
        assert_eq!(year("\"2021-03-04\""), Some(2021));
        assert_eq!(year("\" 1999 \""), Some(1999));
        assert_eq!(year("20211"), None);
        assert_eq!(year("\"99\""), None);
        assert_eq!(year("2021.5"), Some(2021));
        assert_eq!(year("null"), None);
    }

    #[test]
    fn categories_read_lists_and_dump_strings() {
        let c = |j: &str| {
            categories(j)
                .into_iter()
                .map(|c| c.into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(c("\"cs.CL cs.AI\""), ["cs.CL", "cs.AI"]);
        assert_eq!(
            c("[\"cs.LG\", \" \", 3, \"stat.ML\"]"),
            ["cs.LG", "stat.ML"]
        );
        assert!(c("{\"a\": 1}").is_empty());
    }
}
