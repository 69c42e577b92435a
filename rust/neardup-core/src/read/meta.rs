//! The members of a record beyond its id, title and abstract, interpreted as DESIGN §5 and §6 read them:
//! authors (a list of names, of `{"name": …}`, or one string delimited by `,`, `;` or `and`), the arXiv
//! dump's `versions` (the last one's number is the version, the first one's `created` the publication
//! date when no date field is given), a date field (`published`, `publishedAt`, `published_at`, `date`,
//! `pubDate`: the first non-empty one), counts (`upvotes`, `authors_count`: integers or digit strings)
//! and an `organization` (a string or an object's `fullname` or `name`). Whatever is not interpreted
//! stays in `extra`, each value spelled as canonical JSON (keys sorted, `", "` and `": "` separators,
//! floats as the shortest round-trip repr), which is how reports print it and how agreement compares it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::LazyLock;

use serde_json::value::RawValue;

use super::file::Meta;
use super::{py_collapse, py_strip};
use crate::text::json::{float, string};

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

/// The members [`interpret`] reads.
const INTERPRETED: [&str; 10] = [
    "versions",
    "authors",
    "published",
    "publishedAt",
    "published_at",
    "date",
    "pubDate",
    "upvotes",
    "authors_count",
    "organization",
];

/// An object's members in the order written, repeated keys included.
struct InOrder<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for InOrder<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = InOrder<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
                    out.push(member);
                }
                Ok(InOrder(out))
            }
        }
        d.deserialize_map(Members)
    }
}

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
                // Every member is parsed, a repeated key's earlier values too (as `json.loads` does:
                // one it refuses refuses the object), and the last value of a key is kept.
                let InOrder(members) = serde_json::from_str(raw).ok()?;
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

    /// The members of an object, names ascending, each value as [`Json::write`] writes it; `None` for
    /// any other value.
    pub fn canonical_members(self) -> Option<Vec<(String, String)>> {
        let Json::Object(members) = self else {
            return None;
        };
        let write = |v: Json| {
            let mut text = String::new();
            v.write(&mut text);
            text
        };
        Some(members.into_iter().map(|(k, v)| (k, write(v))).collect())
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
    item_version(items.last()?)
}

/// The version an item of `versions` gives: `{"version": "v2", …}` or `"v2"`.
fn item_version(item: &Json) -> Option<u32> {
    match item {
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

/// The end of the JSON whitespace at `i`.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Just past the string whose opening quote is at `i` (the text is valid JSON: only its end is sought).
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut at = i + 1;
    loop {
        at += memchr::memchr2(b'"', b'\\', b.get(at..)?)?;
        if b[at] == b'"' {
            return Some(at + 1);
        }
        at += 2;
    }
}

/// A string's decoded text: borrowed when it holds no escape; `None` when it spells a lone surrogate,
/// which Rust cannot hold.
fn decoded(raw: &str) -> Option<Cow<'_, str>> {
    match memchr::memchr(b'\\', raw.as_bytes()) {
        None => Some(Cow::Borrowed(&raw[1..raw.len() - 1])),
        Some(_) => serde_json::from_str::<String>(raw).ok().map(Cow::Owned),
    }
}

/// Where [`write_canonical`] writes: a `String`, or [`Nowhere`] when only its verdict (and where the
/// value ends) is wanted, as in [`check`], which reads every record's members once and keeps no text.
trait Out: Default {
    /// Whether anything is kept: an object's members are put in key order only then.
    const WRITES: bool;
    fn push_str(&mut self, s: &str);
    /// `text` as a JSON string.
    fn push_json_string(&mut self, text: &str);
    fn len(&self) -> usize;
    fn slice(&self, range: Range<usize>) -> &str;
}

impl Out for String {
    const WRITES: bool = true;
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
    fn push_json_string(&mut self, text: &str) {
        string(self, text);
    }
    fn len(&self) -> usize {
        String::len(self)
    }
    fn slice(&self, range: Range<usize>) -> &str {
        &self[range]
    }
}

/// Keeps nothing.
#[derive(Default)]
struct Nowhere;

impl Out for Nowhere {
    const WRITES: bool = false;
    fn push_str(&mut self, _: &str) {}
    fn push_json_string(&mut self, _: &str) {}
    fn len(&self) -> usize {
        0
    }
    fn slice(&self, _: Range<usize>) -> &str {
        ""
    }
}

/// Writes the canonical text ([`Json::write`]) of the JSON value starting at `i` of `s` (valid JSON,
/// as every reader's members are) straight from its text, with no tree: the extras of a record are
/// mostly written out, rarely looked into. Returns where the value ends; `None` where [`Json::parse`]
/// gives `None` (lone surrogates, integers longer than `max_digits`).
fn write_canonical<O: Out>(s: &str, i: usize, max_digits: usize, out: &mut O) -> Option<usize> {
    let b = s.as_bytes();
    let i = skip_ws(b, i);
    match *b.get(i)? {
        b'"' => {
            let end = string_end(b, i)?;
            let raw = &s[i..end];
            match decoded(raw)? {
                // Valid JSON without escapes holds no control character: already canonical.
                Cow::Borrowed(_) => out.push_str(raw),
                Cow::Owned(text) => out.push_json_string(&text),
            }
            Some(end)
        }
        b'[' => {
            out.push_str("[");
            let mut at = skip_ws(b, i + 1);
            if b.get(at) == Some(&b']') {
                out.push_str("]");
                return Some(at + 1);
            }
            loop {
                at = skip_ws(b, write_canonical(s, at, max_digits, out)?);
                match *b.get(at)? {
                    b',' => out.push_str(", "),
                    b']' => {
                        out.push_str("]");
                        return Some(at + 1);
                    }
                    _ => return None,
                }
                at += 1;
            }
        }
        b'{' => {
            // Members written one after another in `texts`, then put in key order (the last of a
            // repeated key wins, as in `json.loads`).
            let mut texts = O::default();
            let mut members: Vec<(Cow<'_, str>, Range<usize>)> = Vec::new();
            let mut at = skip_ws(b, i + 1);
            if b.get(at) != Some(&b'}') {
                loop {
                    if b.get(at) != Some(&b'"') {
                        return None;
                    }
                    let key_end = string_end(b, at)?;
                    let key = decoded(&s[at..key_end])?;
                    at = skip_ws(b, key_end);
                    if b.get(at) != Some(&b':') {
                        return None;
                    }
                    let from = texts.len();
                    at = skip_ws(b, write_canonical(s, at + 1, max_digits, &mut texts)?);
                    members.push((key, from..texts.len()));
                    match *b.get(at)? {
                        b',' => at = skip_ws(b, at + 1),
                        b'}' => break,
                        _ => return None,
                    }
                }
            }
            if O::WRITES {
                let members = last_of_each(members);
                out.push_str("{");
                for (n, (key, text)) in members.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    out.push_json_string(key);
                    out.push_str(": ");
                    out.push_str(texts.slice(text.clone()));
                }
                out.push_str("}");
            }
            Some(at + 1)
        }
        b't' if s[i..].starts_with("true") => {
            out.push_str("true");
            Some(i + 4)
        }
        b'f' if s[i..].starts_with("false") => {
            out.push_str("false");
            Some(i + 5)
        }
        b'n' if s[i..].starts_with("null") => {
            out.push_str("null");
            Some(i + 4)
        }
        b'-' | b'0'..=b'9' => {
            let end = i + b[i..]
                .iter()
                .take_while(|c| matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                .count();
            match Json::parse(&s[i..end], max_digits)? {
                Json::Number(text) => out.push_str(&text),
                _ => return None,
            }
            Some(end)
        }
        _ => None,
    }
}

/// Members by key ascending, only the last of a repeated key kept.
fn last_of_each<K: Ord, V>(mut members: Vec<(K, V)>) -> Vec<(K, V)> {
    // Stable: repeated keys stay in file order, and the last one of each run is kept.
    members.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(K, V)> = Vec::with_capacity(members.len());
    for member in members {
        match out.last_mut() {
            Some(last) if last.0 == member.0 => *last = member,
            _ => out.push(member),
        }
    }
    out
}

/// A member of `rest`: its value's text, and where its canonical text lies in the texts written.
struct Member<'a> {
    raw: &'a str,
    text: Range<usize>,
}

/// The members of the JSON object `rest`, by key ascending, each with its canonical text written into
/// `texts`; `None` when `rest` is not an object or some value is one [`Json::parse`] refuses.
fn members<'a, O: Out>(
    rest: &'a str,
    max_digits: usize,
    texts: &mut O,
) -> Option<Vec<(Cow<'a, str>, Member<'a>)>> {
    let mut written = Vec::with_capacity(16);
    let walked = walk_members(rest, |start| {
        let from = texts.len();
        let end = write_canonical(rest, start, max_digits, texts)?;
        written.push(from..texts.len());
        Some(end)
    })?;
    let members = walked.into_iter().zip(written).map(|((key, raw), text)| {
        (
            key,
            Member {
                raw: &rest[raw],
                text,
            },
        )
    });
    Some(last_of_each(members.collect()))
}

/// The members of the JSON object `rest` in file order, as `(name, where its value lies)`, the end of
/// each value found by `value_end` from its start; `None` when `rest` is not an object (or `value_end`
/// refuses a value).
fn walk_members(
    rest: &str,
    mut value_end: impl FnMut(usize) -> Option<usize>,
) -> Option<Vec<(Cow<'_, str>, Range<usize>)>> {
    let b = rest.as_bytes();
    let mut at = skip_ws(b, 0);
    if b.get(at) != Some(&b'{') {
        return None;
    }
    let mut members = Vec::with_capacity(16);
    at = skip_ws(b, at + 1);
    if b.get(at) != Some(&b'}') {
        loop {
            if b.get(at) != Some(&b'"') {
                return None;
            }
            let key_end = string_end(b, at)?;
            let key = decoded(&rest[at..key_end])?;
            at = skip_ws(b, key_end);
            if b.get(at) != Some(&b':') {
                return None;
            }
            let start = skip_ws(b, at + 1);
            let end = value_end(start)?;
            members.push((key, start..end));
            at = skip_ws(b, end);
            match *b.get(at)? {
                b',' => at = skip_ws(b, at + 1),
                b'}' => break,
                _ => return None,
            }
        }
    }
    (skip_ws(b, at + 1) == b.len()).then_some(members)
}

/// The metadata of a record's remaining members (`rest`, a JSON object) and the version they give when
/// the id gave none; `None` when some value is one Python reads differently.
///
/// Only the members interpreted here are parsed ([`Json::parse`]); the others, most of an arXiv dump
/// record's (`authors_parsed`, `versions`, …), go to `extra` as canonical text written straight from
/// their JSON text ([`write_canonical`]).
pub fn interpret(
    rest: &str,
    version: Option<u32>,
    max_digits: usize,
) -> Option<(Meta, Option<u32>)> {
    let mut texts = String::with_capacity(rest.len());
    let members = members(rest, max_digits, &mut texts)?;
    // Where each interpreted member is, found in one pass over the names (not a search per name).
    let mut slots = [None; INTERPRETED.len()];
    for (i, (name, _)) in members.iter().enumerate() {
        if let Some(n) = INTERPRETED.iter().position(|x| *x == name.as_ref()) {
            slots[n] = Some(i);
        }
    }
    let slot = |name: &str| slots[INTERPRETED.iter().position(|x| *x == name)?];
    let parsed = |name: &str| -> Option<Option<Json>> {
        match slot(name) {
            Some(i) => Json::parse(members[i].1.raw, max_digits).map(Some),
            None => Some(None),
        }
    };
    // The members interpreted here leave `extra`.
    let mut taken: Vec<usize> = Vec::new();
    let mut take = |name: &str| taken.extend(slot(name));
    let mut meta = Meta::default();
    let versions = parsed("versions")?;
    let version = version.or_else(|| versions.as_ref().and_then(last_version));
    if let Some(a) = parsed("authors")?.as_ref().and_then(authors) {
        meta.authors = Some(a);
        take("authors");
    }
    let mut present: Vec<(&str, Json)> = Vec::new();
    for name in PUBLISHED_FIELDS {
        if let Some(value) = parsed(name)? {
            present.push((name, value));
        }
    }
    let picked = present
        .iter()
        .find(|(_, v)| !matches!(v, Json::Null) && *v != Json::Str(String::new()))
        .or(present.first());
    match picked {
        Some((name, Json::Str(s))) => {
            meta.published = Some(s.clone());
            take(name);
        }
        _ => meta.published = versions.as_ref().and_then(first_version_date),
    }
    for name in ["upvotes", "authors_count"] {
        if let Some(n) = parsed(name)?.as_ref().and_then(count) {
            if name == "upvotes" {
                meta.upvotes = Some(n);
            } else {
                meta.authors_count = Some(n);
            }
            take(name);
        }
    }
    if let Some(o) = parsed("organization")?.as_ref().and_then(organization) {
        meta.organization = Some(o);
        take("organization");
    }
    meta.extra = members
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !taken.contains(i))
        .map(|(_, (k, m))| (k.into_owned(), texts[m.text].to_owned()))
        .collect();
    Some((meta, version))
}

/// What [`interpret`] would say of `rest` without building the metadata: `None` where it refuses the
/// members, else the version it gives. A record keeps the members' text and interprets them when asked
/// (`Record::meta`); reading it only needs to know they will be accepted then, and its version.
pub fn check(rest: &str, version: Option<u32>, max_digits: usize) -> Option<Option<u32>> {
    // The walk `interpret` makes, keeping no canonical text: `write_canonical` refuses exactly the values
    // `Json::parse` refuses, so the interpreted members need no parse of their own here, and no member
    // needs sorting (a repeated key's last value is the one read, and every value is checked).
    let walked = walk_members(rest, |start| {
        write_canonical(rest, start, max_digits, &mut Nowhere)
    })?;
    if version.is_some() {
        return Some(version);
    }
    let versions = walked.iter().rev().find(|(name, _)| name == "versions");
    Some(versions.and_then(|(_, at)| last_item_version(&rest[at.clone()], max_digits)))
}

/// [`last_version`] of the array `raw` (a value [`write_canonical`] accepted), parsing only its last item.
fn last_item_version(raw: &str, max_digits: usize) -> Option<u32> {
    let b = raw.as_bytes();
    if b.first() != Some(&b'[') {
        return None;
    }
    let (mut at, mut last) = (skip_ws(b, 1), None);
    while b.get(at) != Some(&b']') {
        let end = write_canonical(raw, at, max_digits, &mut Nowhere)?;
        last = Some(&raw[at..end]);
        at = skip_ws(b, end);
        if b.get(at) == Some(&b',') {
            at = skip_ws(b, at + 1);
        }
    }
    item_version(&Json::parse(last?, max_digits)?)
}

/// The members [`interpret`] reads together: the fields of each group depend on its members only.
const GROUPS: [&[&str]; 5] = [
    &["authors"],
    &[
        "published",
        "publishedAt",
        "published_at",
        "date",
        "pubDate",
        "versions",
    ],
    &["upvotes"],
    &["authors_count"],
    &["organization"],
];

/// Two records' members (`a` and `b`, JSON objects accepted by [`interpret`]) cut down to those that can
/// make their metadata differ, as two smaller objects: the members whose text differs or that one side
/// lacks, with the other members of their group ([`GROUPS`]). A member left out has the same text on
/// both sides, so it gives the same fields and the same extra to both; the two cut objects, interpreted,
/// differ in exactly the fields and extras in which the whole ones differ. `None` when either is not an
/// object.
///
/// Records compared member by member skip most of the work of [`interpret`]: an arXiv dump record whose
/// authors changed has its `versions` and `authors_parsed` neither parsed nor written again.
pub fn differing_members(a: &str, b: &str) -> Option<(String, String)> {
    let (ma, mb) = (raw_members(a)?, raw_members(b)?);
    let mut differ: Vec<&str> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < ma.len() || j < mb.len() {
        let order = match (ma.get(i), mb.get(j)) {
            (Some(x), Some(y)) => x.0.cmp(&y.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Equal => {
                if ma[i].1 != mb[j].1 {
                    differ.push(&ma[i].0);
                }
                (i, j) = (i + 1, j + 1);
            }
            std::cmp::Ordering::Less => {
                differ.push(&ma[i].0);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                differ.push(&mb[j].0);
                j += 1;
            }
        }
    }
    let groups: Vec<&[&str]> = GROUPS
        .into_iter()
        .filter(|g| differ.iter().any(|name| g.contains(name)))
        .collect();
    let kept = |name: &str| differ.contains(&name) || groups.iter().any(|g| g.contains(&name));
    let cut = |members: &[(Cow<'_, str>, &str)]| {
        let mut out = String::from("{");
        for (name, raw) in members.iter().filter(|(name, _)| kept(name)) {
            if out.len() > 1 {
                out.push(',');
            }
            string(&mut out, name);
            out.push(':');
            out.push_str(raw);
        }
        out.push('}');
        out
    };
    Some((cut(&ma), cut(&mb)))
}

/// The members of the JSON object `rest` as `(name, value's text)`, by name ascending (the last of a
/// repeated name kept): only delimited, since a record's members were checked when it was read.
fn raw_members(rest: &str) -> Option<Vec<(Cow<'_, str>, &str)>> {
    let walked = walk_members(rest, |start| value_end(rest.as_bytes(), start))?;
    Some(last_of_each(
        walked
            .into_iter()
            .map(|(key, raw)| (key, &rest[raw]))
            .collect(),
    ))
}

/// Just past the value at `i` of valid JSON: a string's closing quote, the bracket closing an array or
/// object ([`bracketed_end`]), or a number's or literal's last character.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'[' | b'{' => bracketed_end(b, i),
        _ => Some(
            b[i..]
                .iter()
                .position(|c| matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))
                .map_or(b.len(), |n| i + n),
        ),
    }
}

/// Just past the array or object whose opening bracket is at `start`, by counting brackets outside
/// strings: its end when the text is valid JSON; for other text, some end that its parse then refuses
/// (or `None` at the end of the text).
pub(super) fn bracketed_end(b: &[u8], start: usize) -> Option<usize> {
    let (mut depth, mut at) = (0usize, start);
    loop {
        match *b.get(at)? {
            b'"' => {
                at = string_end(b, at)?;
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at + 1);
                }
            }
            _ => {}
        }
        at += 1;
    }
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
    use proptest::prelude::*;

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

    /// `interpret` as it was: the whole of `rest` parsed into a tree, each extra written from it.
    fn extra_before(rest: &str, max_digits: usize) -> Option<Vec<(String, String)>> {
        Json::parse(rest, max_digits)?.canonical_members()
    }

    #[test]
    fn the_check_reads_the_last_versions_and_its_last_item() {
        for (rest, want) in [
            (
                r#"{"versions": ["v1"], "versions": [{"version": "v2"}]}"#,
                Some(2),
            ),
            (r#"{"versions": [{"version": "v3"}], "versions": 7}"#, None),
            (r#"{"versions": ["v1", " V4 "], "x": 1}"#, Some(4)),
            (
                r#"{"versions": [{"version": "v5"}, {"created": "now"}]}"#,
                None,
            ),
        ] {
            assert_eq!(check(rest, None, 0), Some(want), "{rest}");
            assert_eq!(
                interpret(rest, None, 0).map(|(_, v)| v),
                Some(want),
                "{rest}"
            );
            assert_eq!(check(rest, Some(9), 0), Some(Some(9)), "{rest}");
        }
        // A value refused anywhere, an overwritten one too, refuses the record, as `json.loads` does.
        for rest in [
            r#"{"versions": ["\ud800"]}"#,
            r#"{"x": {"a": 123, "a": 1}}"#,
        ] {
            assert_eq!(check(rest, None, 2), None, "{rest}");
            assert_eq!(interpret(rest, None, 2), None, "{rest}");
        }
    }

    #[test]
    fn canonical_text_without_a_tree() {
        let rest = "{ \"b\" : [ 1 , -0, 2.50, 1e400, {\"z\": null, \"a\": \"\\u00e9\\n\", \"z\": true} ] ,\r\n \"a\\u0041\": [], \"c\": {}}";
        let (meta, _) = interpret(rest, None, 0).unwrap();
        assert_eq!(meta.extra, extra_before(rest, 0).unwrap());
        assert_eq!(
            meta.extra[1].1,
            "[1, 0, 2.5, \"Infinity\", {\"a\": \"\u{e9}\\n\", \"z\": true}]"
        );
        // What the tree refused, refused still: lone surrogates (in values and keys), long integers.
        for rest in [
            r#"{"a": ["\ud800"]}"#,
            r#"{"a": {"\udc00": 1}}"#,
            r#"{"a": [123456]}"#,
        ] {
            assert_eq!(interpret(rest, None, 5), None, "{rest}");
        }
    }

    /// The fields and the extras in which two metadata differ.
    fn differences(x: &Meta, y: &Meta) -> Vec<String> {
        let mut out: Vec<String> = [
            ("authors", x.authors != y.authors),
            ("authors_count", x.authors_count != y.authors_count),
            ("organization", x.organization != y.organization),
            ("published", x.published != y.published),
            ("upvotes", x.upvotes != y.upvotes),
        ]
        .into_iter()
        .filter(|f| f.1)
        .map(|f| f.0.to_owned())
        .collect();
        let names: std::collections::BTreeSet<&String> =
            x.extra.iter().chain(&y.extra).map(|e| &e.0).collect();
        let value = |m: &Meta, n: &String| m.extra.iter().find(|e| &e.0 == n).map(|e| e.1.clone());
        out.extend(
            names
                .into_iter()
                .filter(|n| value(x, n) != value(y, n))
                .cloned(),
        );
        out
    }

    const PIECES: &[&str] = &[
        "\"a\"",
        "\"b\"",
        "\"\\u00e9\"",
        "\"\\\"x\\/\"",
        "\"[{x}]\"",
        "\"\\u001F\"",
        "\"\\ud83d\\ude00\"",
        "\"\u{e9}\"",
        "0",
        "-0",
        "12",
        "-3.50",
        "1E2",
        "1e400",
        "123",
        "true",
        "false",
        "null",
        "\"v2\"",
        "\" V12 \"",
        "\"\\ud800\"",
        " ",
        "\n",
    ];

    fn json_value() -> impl Strategy<Value = String> {
        let leaf = (0..PIECES.len(), 0..PIECES.len(), 0..2usize).prop_map(|(v, w, pad)| {
            let ws = if pad == 1 && PIECES[w].trim().is_empty() {
                PIECES[w]
            } else {
                ""
            };
            format!(
                "{ws}{}{ws}",
                if PIECES[v].trim().is_empty() {
                    "1"
                } else {
                    PIECES[v]
                }
            )
        });
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5)
                    .prop_map(|items| format!("[{}]", items.join(" ,"))),
                proptest::collection::vec((0..4usize, inner), 0..5).prop_map(|members| {
                    let body: Vec<String> = members
                        .iter()
                        .map(|(k, v)| {
                            format!("\"{}\" :{v}", ["a", "version", "\\u0061", "\u{e9}"][*k])
                        })
                        .collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// The extras written straight from the text are the tree's, and refused where it refused.
        #[test]
        fn canonical_text_is_the_trees(
            values in proptest::collection::vec(json_value(), 1..4),
            max_digits in prop_oneof![Just(0usize), Just(2usize)],
        ) {
            let names = ["x", "y", "z\\u00e9"];
            let body: Vec<String> =
                values.iter().zip(names).map(|(v, k)| format!("\"{k}\": {v}")).collect();
            let rest = format!("{{{}}}", body.join(", "));
            prop_assert!(serde_json::from_str::<serde::de::IgnoredAny>(&rest).is_ok(), "{}", rest);
            let got = interpret(&rest, None, max_digits).map(|(meta, _)| meta.extra);
            prop_assert_eq!(got, extra_before(&rest, max_digits), "{}", rest);
        }

        /// Interpreting the cut members of two records finds the same differences as interpreting
        /// the whole ones: in every field and in the set of extras.
        #[test]
        fn cut_members_differ_where_the_whole_ones_do(
            values in proptest::collection::vec(json_value(), 1..6),
            names in proptest::collection::vec(0..9usize, 1..6),
            changes in proptest::collection::vec((0..6usize, json_value()), 0..3),
            dropped in proptest::collection::vec(0..6usize, 0..2),
        ) {
            let pool = [
                "versions", "authors", "upvotes", "published", "date", "organization", "authors_count",
                "x", "y",
            ];
            let members: Vec<(usize, String)> =
                names.iter().zip(&values).map(|(&k, v)| (k, v.clone())).collect();
            let mut other = members.clone();
            for (at, v) in &changes {
                if let Some(m) = other.get_mut(at % members.len()) {
                    m.1 = v.clone();
                }
            }
            for at in &dropped {
                if other.len() > 1 {
                    other.remove(at % other.len());
                }
            }
            let object = |ms: &[(usize, String)]| {
                let body: Vec<String> = ms.iter().map(|(k, v)| format!("\"{}\": {v}", pool[*k])).collect();
                format!("{{{}}}", body.join(", "))
            };
            let (a, b) = (object(&members), object(&other));
            let (Some((x, _)), Some((y, _))) = (interpret(&a, None, 0), interpret(&b, None, 0)) else {
                return Ok(());
            };
            let (ca, cb) = differing_members(&a, &b).unwrap();
            let (p, _) = interpret(&ca, None, 0).unwrap();
            let (q, _) = interpret(&cb, None, 0).unwrap();
            prop_assert_eq!(differences(&x, &y), differences(&p, &q), "{} / {}", a, b);
        }

        /// The reader's check accepts exactly what `interpret` accepts, with the same version, for
        /// interpreted members of any shape.
        #[test]
        fn check_is_interprets_verdict(
            values in proptest::collection::vec(json_value(), 1..4),
            names in proptest::collection::vec(0..6usize, 1..4),
            version in prop_oneof![Just(None), Just(Some(3u32))],
            max_digits in prop_oneof![Just(0usize), Just(2usize)],
        ) {
            let pool = ["versions", "authors", "upvotes", "published", "organization", "x"];
            let body: Vec<String> = values
                .iter()
                .zip(&names)
                .map(|(v, &k)| format!("\"{}\": {v}", pool[k]))
                .collect();
            let rest = format!("{{{}}}", body.join(", "));
            let want = interpret(&rest, version, max_digits).map(|(_, v)| v);
            prop_assert_eq!(check(&rest, version, max_digits), want, "{}", rest);
        }
    }
}
