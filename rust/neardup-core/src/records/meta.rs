//! The members of a record beyond its id, title and abstract, interpreted as DESIGN §5 and §6 read them:
//! authors (a list of names, of `{"name": …}`, or one string delimited by `,`, `;` or `and`), the arXiv
//! dump's `versions` (the last one's number is the version, the first one's `created` the publication
//! date when no date field is given), a date field (`published`, `publishedAt`, `published_at`, `date`,
//! `pubDate`: the first non-empty one), counts (`upvotes`, `authors_count`: integers or digit strings)
//! and an `organization` (a string or an object's `fullname` or `name`). Whatever is not interpreted
//! stays in `extra`, each value spelled as canonical JSON (keys sorted, `", "` and `": "` separators,
//! floats as the shortest round-trip repr), which is how reports print it and how agreement compares it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use serde_json::value::RawValue;

use super::file::Meta;
use super::{py_collapse, py_strip};
use crate::reconcile::json::{float, string};

/// Date fields, in order of preference.
const PUBLISHED_FIELDS: [&str; 5] = [
    "published",
    "publishedAt",
    "published_at",
    "date",
    "pubDate",
];

static AUTHOR_SPLIT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\s*;\s*|\s*,\s*(?:and\s+)?|\s+and\s+").expect("valid author separator")
});

/// A JSON value parsed far enough to interpret it, numbers kept as their text.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// An integer's digits as Python prints them, or a float's repr.
    Number(String),
    Str(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

impl Json {
    /// Parses `raw`, or `None` for what Python's `json` reads differently (lone surrogates, integers
    /// longer than `max_digits` when that is not 0) or refuses.
    pub fn parse(raw: &str, max_digits: usize) -> Option<Json> {
        let raw = raw.trim_matches([' ', '\t', '\n', '\r']);
        Some(match raw.as_bytes().first()? {
            b'{' => {
                let members: BTreeMap<String, &RawValue> = serde_json::from_str(raw).ok()?;
                let mut out = BTreeMap::new();
                for (k, v) in members {
                    out.insert(k, Json::parse(v.get(), max_digits)?);
                }
                Json::Object(out)
            }
            b'[' => {
                let items: Vec<&RawValue> = serde_json::from_str(raw).ok()?;
                Json::Array(
                    items
                        .into_iter()
                        .map(|v| Json::parse(v.get(), max_digits))
                        .collect::<Option<_>>()?,
                )
            }
            b'"' => Json::Str(serde_json::from_str(raw).ok()?),
            b't' if raw == "true" => Json::Bool(true),
            b'f' if raw == "false" => Json::Bool(false),
            b'n' if raw == "null" => Json::Null,
            _ if raw.contains(['.', 'e', 'E']) => {
                let x: f64 = raw.parse().ok()?;
                let mut text = String::new();
                float(&mut text, x);
                Json::Number(text)
            }
            _ => {
                let digits = raw.trim_start_matches('-');
                if digits.is_empty()
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                    || (max_digits > 0 && digits.len() > max_digits)
                {
                    return None;
                }
                Json::Number(if digits.bytes().all(|b| b == b'0') {
                    "0".into()
                } else {
                    raw.into()
                })
            }
        })
    }

    /// The value as `json.dumps(value, sort_keys=True, ensure_ascii=False)` writes it.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::Str(s) => string(out, s),
            Json::Array(items) => {
                out.push('[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (n, (k, v)) in members.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    string(out, k);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

fn authors(value: &Json) -> Option<Vec<String>> {
    match value {
        Json::Str(s) => {
            let names: Vec<String> = AUTHOR_SPLIT
                .split(py_strip(s))
                .filter(|n| !py_strip(n).is_empty())
                .map(|n| py_collapse(n).into_owned())
                .collect();
            (!names.is_empty()).then_some(names)
        }
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::Str(s) => Some(s.clone()),
                Json::Object(o) => match o.get("name") {
                    Some(Json::Str(s)) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// An integer, or a string of at most 18 ASCII digits (surrounding whitespace allowed), as its digits.
fn count(value: &Json) -> Option<String> {
    match value {
        Json::Number(n) if !n.contains(['.', 'e', 'E', 'I', 'N']) => Some(n.clone()),
        Json::Str(s) => {
            let s = py_strip(s);
            let ok = !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| {
                let trimmed = s.trim_start_matches('0');
                if trimmed.is_empty() { "0" } else { trimmed }.to_owned()
            })
        }
        _ => None,
    }
}

fn organization(value: &Json) -> Option<String> {
    match value {
        Json::Str(s) => Some(s.clone()),
        Json::Object(o) => ["fullname", "name"].iter().find_map(|k| match o.get(*k) {
            Some(Json::Str(s)) => Some(s.clone()),
            _ => None,
        }),
        _ => None,
    }
}

/// `v?[0-9]{1,9}`, case-insensitively, after stripping.
fn version_label(label: &str) -> Option<u32> {
    let label = py_strip(label);
    let digits = label.strip_prefix(['v', 'V']).unwrap_or(label);
    let ok = (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| digits.parse().ok()).flatten()
}

fn last_version(versions: &Json) -> Option<u32> {
    let Json::Array(items) = versions else {
        return None;
    };
    match items.last()? {
        Json::Object(o) => match o.get("version") {
            Some(Json::Str(s)) => version_label(s),
            _ => None,
        },
        Json::Str(s) => version_label(s),
        _ => None,
    }
}

fn first_version_date(versions: &Json) -> Option<String> {
    let Json::Array(items) = versions else {
        return None;
    };
    match items.first()? {
        Json::Object(o) => match o.get("created") {
            Some(Json::Str(s)) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The metadata of a record's remaining members (`rest`, a JSON object) and the version they give when
/// the id gave none; `None` when some value is one Python reads differently.
pub fn interpret(
    rest: &str,
    version: Option<u32>,
    max_digits: usize,
) -> Option<(Meta, Option<u32>)> {
    let Json::Object(mut members) = Json::parse(rest, max_digits)? else {
        return None;
    };
    let mut meta = Meta::default();
    let versions = members.get("versions").cloned();
    let version = version.or_else(|| versions.as_ref().and_then(last_version));
    if let Some(a) = members.get("authors").and_then(authors) {
        meta.authors = Some(a);
        members.remove("authors");
    }
    let present: Vec<&str> = PUBLISHED_FIELDS
        .into_iter()
        .filter(|n| members.contains_key(*n))
        .collect();
    let picked = present
        .iter()
        .find(|n| {
            !matches!(members.get(**n), Some(Json::Null))
                && members.get(**n) != Some(&Json::Str(String::new()))
        })
        .or(present.first())
        .copied();
    match picked.map(|n| (n, members.get(n))) {
        Some((name, Some(Json::Str(s)))) => {
            meta.published = Some(s.clone());
            members.remove(name);
        }
        _ => meta.published = versions.as_ref().and_then(first_version_date),
    }
    for (name, slot) in [("upvotes", 0), ("authors_count", 1)] {
        if let Some(n) = members.get(name).and_then(count) {
            if slot == 0 {
                meta.upvotes = Some(n);
            } else {
                meta.authors_count = Some(n);
            }
            members.remove(name);
        }
    }
    if let Some(o) = members.get("organization").and_then(organization) {
        meta.organization = Some(o);
        members.remove("organization");
    }
    meta.extra = members.into_iter().map(|(k, v)| (k, v.text())).collect();
    Some((meta, version))
}

/// Writes `extra` members (already canonical JSON text) as the body of a JSON object, merged with the
/// scalars of `scalars`, by name ascending.
pub fn write_extra(out: &mut String, canonical: &[(String, String)], scalars: &[(String, String)]) {
    let mut all: Vec<&(String, String)> = canonical.iter().chain(scalars).collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    for (n, (k, v)) in all.into_iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        string(out, k);
        let _ = write!(out, ": {v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arxiv_dump_shape() {
        let rest = r#"{"submitter":"A. One","authors":"A. One, B. Two and C. Three","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"},{"version":"v2","created":"Tue"}],"update_date":"2008-11-13","authors_parsed":[["One","A.",""],["Two","B.",""]],"x":1.50,"n":-0}"#;
        let (meta, version) = interpret(rest, None, 4300).unwrap();
        assert_eq!(version, Some(2));
        assert_eq!(meta.authors.unwrap(), ["A. One", "B. Two", "C. Three"]);
        assert_eq!(
            meta.published.as_deref(),
            Some("Mon, 2 Apr 2007 19:18:42 GMT")
        );
        let extra: BTreeMap<_, _> = meta.extra.into_iter().collect();
        assert_eq!(
            extra["authors_parsed"],
            r#"[["One", "A.", ""], ["Two", "B.", ""]]"#
        );
        assert_eq!(
            extra["versions"],
            r#"[{"created": "Mon, 2 Apr 2007 19:18:42 GMT", "version": "v1"}, {"created": "Tue", "version": "v2"}]"#
        );
        assert_eq!((extra["x"].as_str(), extra["n"].as_str()), ("1.5", "0"));
    }

    #[test]
    fn counts_dates_and_organisations() {
        let rest = r#"{"upvotes":" 017 ","authors_count":3,"organization":{"fullname":"Org"},"date":"","pubDate":"Jul 1"}"#;
        let (meta, _) = interpret(rest, Some(4), 4300).unwrap();
        assert_eq!(meta.upvotes.as_deref(), Some("17"));
        assert_eq!(meta.authors_count.as_deref(), Some("3"));
        assert_eq!(meta.organization.as_deref(), Some("Org"));
        assert_eq!(meta.published.as_deref(), Some("Jul 1"));
        assert_eq!(meta.extra, vec![("date".to_owned(), "\"\"".to_owned())]);
        // Not counts: kept as they are.
        let (meta, _) = interpret(r#"{"upvotes":true,"authors":[1]}"#, None, 4300).unwrap();
        assert_eq!((meta.upvotes, meta.authors), (None, None));
        assert_eq!(meta.extra.len(), 2);
        assert_eq!(interpret(r#"{"n":123456}"#, None, 5), None);
    }
}
