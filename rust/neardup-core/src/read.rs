//! Snapshot records in bulk: a batch of JSON Lines parsed in parallel, each record's title, abstract and
//! arXiv key extracted exactly as the Python reader (`neardup.formats.fields.RecordMapper`) would.
//!
//! The Python reader stays the definition. This module only takes the records whose outcome it can be sure
//! of and hands every other one back untouched ([`Parsed::Fallback`]): lines that are not valid UTF-8 or
//! not a JSON object by `serde_json`'s strict grammar (Python then reports the precise error, or accepts
//! what it alone accepts: a BOM, `NaN`), lines spelling surrogate escapes, duplicate keys, Daily Papers
//! items (`paper`), fields of types the reader refuses, missing titles, and ids in spellings other than
//! the bare arXiv ones.
//!
//! Lines are delimited by a strict scanner for the usual objects (`scan`, 16 bytes a step through long
//! strings; nested arrays and objects too, such as the arXiv dump's `versions`) and by `serde_json` for
//! everything else; every value stays raw text until needed.
//!
//! For the records it takes, the remaining members go to `Entry.extra` decoded ([`Fields::extra`]) when
//! they are all scalars. Otherwise, or when Python still has to interpret some (authors, versions, dates,
//! counts), they are handed back as [`Fields::rest`]: a JSON object made of those members' raw text in
//! their order, which `json.loads` turns into the same values it would have produced from the whole line.
//! Keys are re-encoded, values are copied byte for byte.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;

pub mod arrow_json;
mod arxiv;
pub mod columnar;
pub mod corpus;
pub mod csv_table;
pub mod encoding;
pub mod file;
pub mod hf_json;
pub mod input;
pub mod meta;
mod pieces;
mod scan;
pub mod streamed;

pub(crate) use crate::text::byteclass::next_special;
pub use crate::text::space::{is_py_space, py_collapse, py_strip};
pub use arxiv::{classify as classify_id, Id};
pub(crate) use scan::flat_object;

/// Guessed id fields, in order of preference (`fields.ID_FIELDS`).
pub const ID_FIELDS: [&str; 9] = [
    "id", "arxiv_id", "arxiv", "paper_id", "doc_id", "doi", "url", "link", "guid",
];
/// Guessed title fields (`fields.TITLE_FIELDS`).
pub const TITLE_FIELDS: [&str; 2] = ["title", "paper_title"];
/// Guessed abstract fields (`fields.ABSTRACT_FIELDS`).
pub const ABSTRACT_FIELDS: [&str; 4] = ["abstract", "summary", "paper_abstract", "description"];
/// Fields the Python side interprets after the fact (authors, versions, dates, counts): always in `rest`,
/// and never usable as explicit title, abstract or id fields of this fast path.
pub const META_FIELDS: [&str; 10] = [
    "versions",
    "authors",
    "upvotes",
    "authors_count",
    "organization",
    "published",
    "publishedAt",
    "published_at",
    "date",
    "pubDate",
];

/// Which fields hold the title, abstract and id (None: guess), as in `fields.FieldSpec`.
#[derive(Debug, Clone, Default)]
pub struct RecordSpec {
    pub title_field: Option<String>,
    pub abstract_field: Option<String>,
    pub id_field: Option<String>,
    /// Keep the members nobody interprets (in `rest`); without it `rest` holds only [`META_FIELDS`].
    pub keep_extra: bool,
    /// Python's `sys.get_int_max_str_digits()` (0: no limit): a dropped member holding a longer integer
    /// would make `json.loads` fail, so such records go back to Python.
    pub int_max_str_digits: usize,
}

impl RecordSpec {
    /// The columns of a Parquet or Arrow file this spec reads as texts besides the usual ones (a null
    /// there is an empty text): the named title and abstract fields.
    pub fn text_columns(&self) -> Vec<String> {
        [&self.title_field, &self.abstract_field]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// Whether an explicit field name can be looked up here: dotted paths and the fields Python
    /// interprets itself are left to the Python reader.
    pub fn supported(&self) -> bool {
        [&self.title_field, &self.abstract_field, &self.id_field]
            .into_iter()
            .flatten()
            .all(|name| {
                !name.contains('.') && name != "paper" && !META_FIELDS.contains(&name.as_str())
            })
    }
}

/// The spec the readers' tests read with: fields guessed, every member kept (as `neardup diff` reads).
#[cfg(test)]
pub(crate) fn spec_keeping_extra() -> RecordSpec {
    RecordSpec {
        keep_extra: true,
        ..RecordSpec::default()
    }
}

/// What the reader makes of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields<'a> {
    /// Whitespace collapsed, never empty.
    pub title: Cow<'a, str>,
    /// Stripped; "" when absent or null.
    pub abstract_text: Cow<'a, str>,
    pub key: Option<String>,
    pub version: Option<u32>,
    /// The remaining members, all going to `Entry.extra`, when they are all scalars (else in `rest`).
    pub extra: Vec<(Cow<'a, str>, Scalar<'a>)>,
    /// The remaining members as a JSON object, when some are not scalars or interpreted by Python.
    pub rest: Option<String>,
    /// Whether `rest` holds any of [`META_FIELDS`] (else it all goes to `Entry.extra`).
    pub rest_has_meta: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Parsed<'a> {
    Record(Fields<'a>),
    /// Left to the Python reader, which raises the precise error or reads the record itself.
    Fallback,
}

/// One non-blank line of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// 1-based line number in the file.
    pub number: u64,
    /// Byte range in the batch, line end included.
    pub span: Range<usize>,
    pub parsed: Parsed<'a>,
}

/// A batch of lines as read by [`read_jsonl`].
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<'a> {
    /// The non-blank lines, in order.
    pub lines: Vec<Line<'a>>,
    /// How many lines the batch holds, blank ones included.
    pub line_count: u64,
}

/// Reads a batch of JSON Lines (whole lines; the last one may lack its `\n`) whose first line is
/// `first_line`. Blank lines (only ASCII whitespace, as `bytes.strip()` sees it) are skipped; every other
/// line comes back in order. Lines are parsed in parallel.
pub fn read_jsonl<'a>(data: &'a [u8], first_line: u64, spec: &RecordSpec) -> Batch<'a> {
    let spans = line_spans(data);
    let line_count = spans.len() as u64;
    let lines = spans
        .into_par_iter()
        .enumerate()
        .with_min_len(32)
        .filter_map(|(i, span)| {
            let parsed = parse_raw_line(&data[span.clone()], spec)?;
            Some(Line {
                number: first_line + i as u64,
                span,
                parsed,
            })
        })
        .collect();
    Batch { lines, line_count }
}

/// The spans of the lines of `data` (line ends included; the last line may lack its `\n`).
pub(crate) fn line_spans(data: &[u8]) -> Vec<Range<usize>> {
    let mut spans = Vec::with_capacity(data.len() / 512 + 1);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', data) {
        spans.push(start..end + 1);
        start = end + 1;
    }
    if start < data.len() {
        spans.push(start..data.len());
    }
    spans
}

/// One line (`\n` included or not) as [`read_jsonl`] reads it, or None when it is blank (only ASCII
/// whitespace, as `bytes.strip()` sees it).
pub(crate) fn parse_raw_line<'a>(raw: &'a [u8], spec: &RecordSpec) -> Option<Parsed<'a>> {
    // (a NUL byte is not blank, and JSON has no place for one: such lines fall back)
    if raw.iter().all(|b| b" \t\n\r\x0b\x0c".contains(b)) {
        return None;
    }
    let Ok(line) = simdutf8::basic::from_utf8(raw) else {
        return Some(Parsed::Fallback);
    };
    let fields = match scan::flat_object(line) {
        // The scanner visits every backslash of the lines it takes, and so tells `spells_surrogate`.
        Some(flat) if flat.spells_surrogate => None,
        Some(flat) => fields(&flat.members, flat.plain, spec),
        None if spells_surrogate(raw) => None,
        None => serde_members(line).and_then(|members| fields(&members, 0, spec)),
    };
    Some(fields.map_or(Parsed::Fallback, Parsed::Record))
}

/// The line of `piece` starting at `at` as [`parse_raw_line`] reads it, and where it ends (past its `\n`,
/// or at the end of `piece`). `text` is `piece` when it is valid UTF-8 as a whole: lines the scanner
/// takes are then read straight from it, their end found by the scan ([`scan::flat_line`]); other lines
/// are cut at their `\n` and read alone.
pub(crate) fn parse_next_line<'a>(
    piece: &'a [u8],
    text: Option<&'a str>,
    at: usize,
    spec: &RecordSpec,
) -> (usize, Option<Parsed<'a>>) {
    if let Some((flat, end)) = text.and_then(|text| scan::flat_line(text, at)) {
        let fields = match flat.spells_surrogate {
            true => None,
            false => fields(&flat.members, flat.plain, spec),
        };
        return (end, Some(fields.map_or(Parsed::Fallback, Parsed::Record)));
    }
    let end = memchr::memchr(b'\n', &piece[at..]).map_or(piece.len(), |e| at + e + 1);
    (end, parse_raw_line(&piece[at..end], spec))
}

/// Whether a line holds a `\\uD800`..`\\uDFFF` escape, even in a valid pair: such lines are left to the
/// Python reader, so that whatever it decides about surrogates holds for every value of every record.
/// (An escaped backslash before such text counts too: a false alarm only costs the slower path.)
/// Lines the scanner takes get the same answer from it ([`scan::Flat::spells_surrogate`]).
fn spells_surrogate(raw: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', raw).any(|at| scan::spells_surrogate_at(raw, at))
}

/// A key (decoded) and its value's raw JSON text.
pub(crate) type Member<'a> = (Cow<'a, str>, &'a str);

/// One line's record, or None to leave it to Python. (Unlike [`read_jsonl`], it does not refuse lines
/// spelling surrogate escapes.)
pub fn parse_line<'a>(line: &'a str, spec: &RecordSpec) -> Option<Fields<'a>> {
    match scan::flat_object(line) {
        Some(flat) => fields(&flat.members, flat.plain, spec),
        None => fields(&serde_members(line)?, 0, spec),
    }
}

/// The members of a JSON object by `serde_json`, or None when `line` is not one.
pub(crate) fn serde_members(line: &str) -> Option<Vec<Member<'_>>> {
    let mut de = serde_json::Deserializer::from_str(line);
    let members = de.deserialize_map(MembersVisitor).ok()?;
    de.end().ok()?;
    Some(members)
}

/// The value of a member as far as the reader cares.
enum Value<'a> {
    Null,
    Str(Cow<'a, str>),
    /// Numbers, booleans, arrays, objects.
    Other,
}

/// The value of a member's raw text; `plain` when the scanner saw it is a string without escapes (which
/// saves looking for a backslash again).
fn value(text: &str, plain: bool) -> Option<Value<'_>> {
    Some(match text.as_bytes().first()? {
        b'n' => Value::Null,
        b'"' => {
            let inner = &text[1..text.len() - 1];
            if plain || memchr::memchr(b'\\', inner.as_bytes()).is_none() {
                Value::Str(Cow::Borrowed(inner))
            } else {
                // Fails on lone surrogates, which Python alone can hold.
                Value::Str(Cow::Owned(serde_json::from_str::<String>(text).ok()?))
            }
        }
        _ => Value::Other,
    })
}

/// `fields._pick`: the first of `names` present with a value other than null and "", else the first
/// present at all.
fn pick(members: &[Member<'_>], names: &[&str]) -> Option<usize> {
    let mut first = None;
    for name in names {
        if let Some(at) = members.iter().position(|(k, _)| k == name) {
            let raw = members[at].1;
            if raw != "null" && raw != "\"\"" {
                return Some(at);
            }
            first = first.or(Some(at));
        }
    }
    first
}

/// Bit `at` of a [`scan::Flat::plain`] mask (0 for the members `serde_json` delimits).
fn is_plain(plain: u64, at: usize) -> bool {
    at < 64 && plain >> at & 1 == 1
}

/// The record of a line's members; `plain` as [`scan::Flat::plain`].
pub(crate) fn fields<'a>(
    members: &[Member<'a>],
    plain: u64,
    spec: &RecordSpec,
) -> Option<Fields<'a>> {
    if members.iter().any(|(k, _)| k == "paper") || has_duplicates(members) {
        return None;
    }
    let find = |name: &str| members.iter().position(|(k, _)| k == name);
    let title_at = match &spec.title_field {
        Some(name) => find(name)?,
        None => pick(members, &TITLE_FIELDS)?,
    };
    let title = match value(members[title_at].1, is_plain(plain, title_at))? {
        Value::Str(Cow::Borrowed(text)) => py_collapse(text),
        Value::Str(Cow::Owned(text)) => Cow::Owned(py_collapse(&text).into_owned()),
        _ => return None,
    };
    if title.is_empty() {
        return None;
    }
    let abstract_at = match &spec.abstract_field {
        Some(name) => Some(find(name)?),
        None => pick(members, &ABSTRACT_FIELDS),
    };
    let abstract_text = match abstract_at.map(|at| value(members[at].1, is_plain(plain, at))) {
        None | Some(Some(Value::Null)) => Cow::Borrowed(""),
        Some(Some(Value::Str(Cow::Borrowed(text)))) => Cow::Borrowed(py_strip(text)),
        Some(Some(Value::Str(Cow::Owned(text)))) => Cow::Owned(py_strip(&text).to_owned()),
        Some(_) => return None,
    };
    let (id_at, key, version) = key(members, plain, spec)?;

    let consumed = |at: usize| Some(at) == id_at || at == title_at || Some(at) == abstract_at;
    let mut kept = Vec::with_capacity(members.len());
    let mut rest_has_meta = false;
    for (at, (name, raw)) in members.iter().enumerate() {
        if consumed(at) {
            continue;
        }
        let meta = META_FIELDS.contains(&name.as_ref());
        rest_has_meta |= meta;
        if spec.keep_extra || meta {
            kept.push(at);
        } else if long_digit_run(raw, spec.int_max_str_digits) {
            return None;
        }
    }
    let mut fields = Fields {
        title,
        abstract_text,
        key,
        version,
        extra: Vec::new(),
        rest: None,
        rest_has_meta,
    };
    if kept.is_empty() {
        return Some(fields);
    }
    if !rest_has_meta {
        let scalars: Option<Vec<_>> = kept
            .iter()
            .map(|&at| {
                let (name, raw) = &members[at];
                Some((name.clone(), scalar(raw, is_plain(plain, at))?))
            })
            .collect();
        if let Some(extra) = scalars {
            fields.extra = extra;
            return Some(fields);
        }
    }
    // Sized once, and each key written straight into it (no string of its own).
    let size: usize = kept
        .iter()
        .map(|&at| members[at].0.len() + members[at].1.len() + 4)
        .sum();
    let mut rest = String::with_capacity(size + 2);
    for (name, raw) in kept.into_iter().map(|at| &members[at]) {
        rest.push(if rest.is_empty() { '{' } else { ',' });
        crate::text::json::string(&mut rest, name);
        rest.push(':');
        rest.push_str(raw);
    }
    rest.push('}');
    fields.rest = Some(rest);
    Some(fields)
}

/// A JSON scalar as `json.loads` reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// Correctly rounded, as Python's `float()`.
    Float(f64),
    Str(Cow<'a, str>),
}

impl Scalar<'_> {
    /// The same scalar, owning its text.
    pub fn into_owned(self) -> Scalar<'static> {
        match self {
            Scalar::Null => Scalar::Null,
            Scalar::Bool(b) => Scalar::Bool(b),
            Scalar::Int(i) => Scalar::Int(i),
            Scalar::Float(x) => Scalar::Float(x),
            Scalar::Str(s) => Scalar::Str(Cow::Owned(s.into_owned())),
        }
    }
}

/// The scalar a member holds, or None for arrays, objects, integers beyond 64 bits and strings Rust
/// cannot hold (lone surrogates).
fn scalar(text: &str, plain: bool) -> Option<Scalar<'_>> {
    Some(match text.as_bytes().first()? {
        b'n' => Scalar::Null,
        b't' => Scalar::Bool(true),
        b'f' => Scalar::Bool(false),
        b'"' => match value(text, plain)? {
            Value::Str(s) => Scalar::Str(s),
            _ => return None,
        },
        b'[' | b'{' => return None,
        _ if text.contains(['.', 'e', 'E']) => Scalar::Float(text.parse().ok()?),
        _ => Scalar::Int(text.parse().ok()?),
    })
}

type Key = (Option<usize>, Option<String>, Option<u32>);

/// `RecordMapper._key`: the member consumed as the id, and the key and version it gives.
fn key(members: &[Member<'_>], plain: u64, spec: &RecordSpec) -> Option<Key> {
    if let Some(name) = &spec.id_field {
        let at = members.iter().position(|(k, _)| k == name)?;
        // null and "" are errors, and a number's spelling is Python's to make
        let Value::Str(text) = value(members[at].1, is_plain(plain, at))? else {
            return None;
        };
        if text.is_empty() {
            return None;
        }
        return match classify_id(&text) {
            Id::Arxiv(key, version) => Some((Some(at), Some(key), version)),
            Id::NotAnId => Some((Some(at), Some(py_strip(&text).to_owned()), None)),
            Id::Unknown => None,
        };
    }
    // An arXiv id or DOI in any guessed field wins (they meet across sources); else the first guessed
    // field declaring an id (a non-empty string, or an integer) is the key as it is spelled.
    let mut declared: Option<(usize, String)> = None;
    for name in ID_FIELDS {
        let Some(at) = members.iter().position(|(k, _)| k == name) else {
            continue;
        };
        match value(members[at].1, is_plain(plain, at))? {
            Value::Str(text) => match classify_id(&text) {
                Id::Arxiv(key, version) => return Some((Some(at), Some(key), version)),
                Id::NotAnId => {
                    let id = py_strip(&text);
                    if declared.is_none() && !id.is_empty() {
                        declared = Some((at, id.to_owned()));
                    }
                }
                Id::Unknown => return None,
            },
            Value::Other if declared.is_none() => {
                // str(int) as Python spells it; floats and booleans declare nothing.
                let raw = members[at].1;
                if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit())
                    && !raw.contains(['.', 'e', 'E'])
                {
                    declared = Some((at, raw.parse::<i64>().ok()?.to_string()));
                }
            }
            _ => {}
        }
    }
    Some(match declared {
        Some((at, id)) => (Some(at), Some(id), None),
        None => (None, None, None),
    })
}

fn has_duplicates(members: &[Member<'_>]) -> bool {
    if members.len() <= 16 {
        return members
            .iter()
            .enumerate()
            .any(|(i, (k, _))| members[..i].iter().any(|(other, _)| other == k));
    }
    let mut seen = HashSet::with_capacity(members.len());
    !members.iter().all(|(k, _)| seen.insert(k.as_ref()))
}

/// Whether `text` holds a run of more than `limit` ASCII digits (a superset of the integers Python's
/// `int()` would refuse to parse; 0 means no limit).
fn long_digit_run(text: &str, limit: usize) -> bool {
    if limit == 0 || text.len() <= limit {
        return false;
    }
    let mut run = 0;
    text.bytes().any(|b| {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        run > limit
    })
}

pub(crate) struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<Member<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(8);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            members.push((key, map.next_value::<&'de RawValue>()?.get()));
        }
        Ok(members)
    }
}

/// A key, borrowed from the line unless it holds escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spec() -> RecordSpec {
        RecordSpec {
            keep_extra: true,
            int_max_str_digits: 4300,
            ..RecordSpec::default()
        }
    }

    fn parse(line: &str) -> Option<Fields<'_>> {
        parse_line(line, &spec())
    }

    #[test]
    fn picks_fields_like_the_python_reader() {
        let f =
            parse(r#"{"id": "2502.00001v3", "title": " A\u00a0 title\n", "abstract": "  Text. "}"#)
                .unwrap();
        assert_eq!(f.title, "A title");
        assert_eq!(f.abstract_text, "Text.");
        assert_eq!(
            (f.key.as_deref(), f.version, f.rest),
            (Some("arxiv:2502.00001"), Some(3), None)
        );

        let f = parse(r#"{"title": "T", "abstract": null, "summary": "S", "x": [1, {"y": 2}]}"#)
            .unwrap();
        assert_eq!(f.abstract_text, "S");
        assert_eq!(
            f.rest.as_deref(),
            Some(r#"{"abstract":null,"x":[1, {"y": 2}]}"#)
        );
        assert!(f.extra.is_empty() && !f.rest_has_meta);

        let f = parse(r#"{"id": "2400.00001", "doi": 5, "url": "hep-th/9901001", "title": "T"}"#)
            .unwrap();
        assert_eq!(
            (f.key.as_deref(), f.version),
            (Some("arxiv:hep-th/9901001"), None)
        );
        assert_eq!(f.rest, None);
        let extra = [
            ("id".into(), Scalar::Str("2400.00001".into())),
            ("doi".into(), Scalar::Int(5)),
        ];
        assert_eq!(f.extra, extra);
    }

    #[test]
    fn scalar_extras_as_json_loads_reads_them() {
        let line = r#"{"title": "T", "a\u00e9": "\u00e9\n", "b": -0, "c": 1E400, "d": -0.0, "e": true, "f": null}"#;
        let extra = parse(line).unwrap().extra;
        let expected = [
            ("a\u{e9}".into(), Scalar::Str("\u{e9}\n".into())),
            ("b".into(), Scalar::Int(0)),
            ("c".into(), Scalar::Float(f64::INFINITY)),
            ("d".into(), Scalar::Float(-0.0)),
            ("e".into(), Scalar::Bool(true)),
            ("f".into(), Scalar::Null),
        ];
        assert_eq!(extra, expected);
        assert!(matches!(extra[3].1, Scalar::Float(x) if x.is_sign_negative()));

        let f = parse(r#"{"title": "T", "big": 9223372036854775808}"#).unwrap();
        assert_eq!(f.rest.as_deref(), Some(r#"{"big":9223372036854775808}"#));
    }

    #[test]
    fn leaves_the_doubtful_to_python() {
        for line in [
            r#"{"title": ""}"#,
            r#"{"title": 5}"#,
            r#"{"title": "t", "abstract": ["x"]}"#,
            r#"{"title": "t", "title": "u"}"#,
            r#"{"paper": {"title": "t"}}"#,
            r#"{"title": "\ud800"}"#,
            r#"{"title": "t", "x": NaN}"#,
            r#"{"title": "t"} x"#,
            r#"["title"]"#,
            "\u{feff}{\"title\": \"t\"}",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
    }

    #[test]
    fn batches_keep_line_numbers_and_skip_blank_lines() {
        let data =
            b"{\"title\": \"a\"}\n \t\r\n\n{\"title\": \"\xff\"}\n\x0c\x00\n{\"title\": \"b\"}";
        let batch = read_jsonl(data, 10, &spec());
        assert_eq!(batch.line_count, 6);
        let lines = batch.lines;
        let numbers: Vec<_> = lines
            .iter()
            .map(|l| (l.number, l.parsed == Parsed::Fallback))
            .collect();
        assert_eq!(numbers, [(10, false), (13, true), (14, true), (15, false)]);
        assert_eq!(&data[lines[1].span.clone()], b"{\"title\": \"\xff\"}\n");

        let data = br#"{"title": "t\\ud83d", "x": "\ud83d\uDE00"}"#;
        assert_eq!(
            read_jsonl(data, 1, &spec()).lines[0].parsed,
            Parsed::Fallback
        );
        let data = br#"{"title": "t\\ud7ff", "x": "\u00e9\\"}"#;
        assert_ne!(
            read_jsonl(data, 1, &spec()).lines[0].parsed,
            Parsed::Fallback
        );
    }

    #[test]
    fn without_extra_only_meta_fields_remain() {
        let spec = RecordSpec {
            keep_extra: false,
            ..spec()
        };
        let f = parse_line(r#"{"title": "t", "x": 1, "authors": "A, B"}"#, &spec).unwrap();
        assert_eq!(f.rest.as_deref(), Some(r#"{"authors":"A, B"}"#));
        assert!(f.rest_has_meta && f.extra.is_empty());
        let long = format!(r#"{{"title": "t", "x": {}}}"#, "9".repeat(4301));
        assert_eq!(parse_line(&long, &spec), None);
    }

    /// `parse_raw_line` as it was before the scanner told surrogate escapes and plain strings: a
    /// separate pass for backslashes, and every string value searched for escapes again.
    fn parse_raw_line_before<'a>(raw: &'a [u8], spec: &RecordSpec) -> Option<Parsed<'a>> {
        if raw.iter().all(|b| b" \t\n\r\x0b\x0c".contains(b)) {
            return None;
        }
        let surrogate = memchr::memchr_iter(b'\\', raw).any(|at| {
            matches!(
                raw.get(at + 1..at + 4),
                Some([b'u', b'd' | b'D', b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'])
            )
        });
        let parsed = match (surrogate, std::str::from_utf8(raw)) {
            (false, Ok(line)) => scan::flat_object(line)
                .map(|flat| flat.members)
                .or_else(|| serde_members(line))
                .and_then(|members| fields(&members, 0, spec)),
            _ => None,
        };
        Some(parsed.map_or(Parsed::Fallback, Parsed::Record))
    }

    /// Bits of string values, escapes and surrogate spellings (raw, as in the file).
    const TEXT: &[&str] = &[
        "a",
        " ",
        "  ",
        "\\\\",
        "\\u",
        "ud83d",
        "uDE00",
        "\\ud83d",
        "\\uDc00",
        "\\uD7FF",
        "\\\\ud800",
        "\\\\\\uda00",
        "\\n",
        "\\t",
        "\u{e9}",
        "\\u00e9",
        "\\\"",
        "d8",
        "\\/",
        "\\x",
        "\"",
        "\u{1}",
        "\t",
    ];
    const KEYS: &[&str] = &[
        "title",
        "abstract",
        "id",
        "summary",
        "x",
        "t\\u0069tle",
        "doi",
    ];

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(0..TEXT.len(), 0..8)
            .prop_map(|bits| bits.iter().map(|&b| TEXT[b]).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Same outcome as before on every line: records, and which lines fall back.
        #[test]
        fn reads_lines_as_before(
            members in proptest::collection::vec((0..KEYS.len(), text()), 1..5),
            nested in any::<bool>(),
            tail in text(),
            spec_bits in 0u8..4,
        ) {
            let mut body: Vec<String> =
                members.iter().map(|(k, v)| format!("\"{}\": \"{v}\"", KEYS[*k])).collect();
            if nested {
                body.push(format!("\"n\": [\"{tail}\"]"));
            }
            let line = format!("{{{}}}\n", body.join(", "));
            let spec = RecordSpec {
                keep_extra: spec_bits & 1 == 0,
                id_field: (spec_bits & 2 != 0).then(|| "x".to_owned()),
                ..spec()
            };
            for raw in [line.as_bytes(), format!("{line}{tail}").as_bytes()] {
                prop_assert_eq!(
                    parse_raw_line(raw, &spec),
                    parse_raw_line_before(raw, &spec),
                    "{:?}",
                    String::from_utf8_lossy(raw)
                );
            }
        }

        /// Lines read straight from a piece end where their `\n` is and read as each line alone.
        #[test]
        fn reads_pieces_line_by_line(
            lines in proptest::collection::vec((0..LINES.len(), text(), 0..LINE_ENDS.len()), 0..8),
        ) {
            let mut data = Vec::new();
            for (line, text, end) in &lines {
                data.extend_from_slice(LINES[*line].replace('@', text).as_bytes());
                data.extend_from_slice(LINE_ENDS[*end]);
            }
            let spec = spec();
            let alone: Vec<_> = line_spans(&data)
                .into_iter()
                .map(|span| (span.end, parse_raw_line(&data[span], &spec)))
                .collect();
            let text = std::str::from_utf8(&data).ok();
            let mut straight = Vec::new();
            let mut at = 0;
            while at < data.len() {
                let (end, parsed) = parse_next_line(&data, text, at, &spec);
                straight.push((end, parsed));
                at = end;
            }
            prop_assert_eq!(straight, alone, "{:?}", String::from_utf8_lossy(&data));
        }
    }

    /// Line shapes (`@` stands for string text), and what may end them.
    const LINES: &[&str] = &[
        "{\"title\": \"@\", \"abstract\": \"@\"}",
        " {\"title\":\"@\",\"n\":1} \t",
        "{\"title\": \"t\", \"x\": 1",
        "{\"title\": \"t\", \"x\": ",
        "{\"title\": \"t\"}}",
        "{\"title\": \"@",
        "{\"title\": \"a\\",
        "{}",
        "",
        " \t\r",
        "\x0c",
        "{\"title\": \"\u{e9}\"}",
        "{\"title\": \"t\", \"n\": [\"@\"]}",
        "\u{feff}{\"title\": \"t\"}",
        "{\"t\u{0}\": \"t\"}",
        "{\"title\": true}",
    ];
    const LINE_ENDS: &[&[u8]] = &[b"\n", b"\r\n", b"", b" \n", b"\n\n", b"\xff\n"];
}
