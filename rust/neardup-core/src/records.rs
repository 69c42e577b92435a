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
//! Lines are delimited by a strict scanner for the usual flat objects (`scan`, 16 bytes a step through
//! long strings) and by `serde_json` for everything else; every value stays raw text until needed.
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

mod arxiv;
pub mod file;
mod scan;
mod text;

pub use arxiv::{classify as classify_id, Id};
pub(crate) use scan::next_special;
pub use text::{is_py_space, py_collapse, py_strip};

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
    Some(
        match (spells_surrogate(raw), simdutf8::basic::from_utf8(raw)) {
            (false, Ok(line)) => parse_line(line, spec).map_or(Parsed::Fallback, Parsed::Record),
            _ => Parsed::Fallback,
        },
    )
}

/// Whether a line holds a `\\uD800`..`\\uDFFF` escape, even in a valid pair: such lines are left to the
/// Python reader, so that whatever it decides about surrogates holds for every value of every record.
/// (An escaped backslash before such text counts too: a false alarm only costs the slower path.)
fn spells_surrogate(raw: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', raw).any(|at| {
        matches!(
            raw.get(at + 1..at + 4),
            Some([b'u', b'd' | b'D', b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'])
        )
    })
}

/// A key (decoded) and its value's raw JSON text.
type Member<'a> = (Cow<'a, str>, &'a str);

/// One line's record, or None to leave it to Python.
pub fn parse_line<'a>(line: &'a str, spec: &RecordSpec) -> Option<Fields<'a>> {
    let members = match scan::flat_object(line) {
        Some(members) => members,
        None => {
            let mut de = serde_json::Deserializer::from_str(line);
            let members = de.deserialize_map(MembersVisitor).ok()?;
            de.end().ok()?;
            members
        }
    };
    fields(&members, spec)
}

/// The value of a member as far as the reader cares.
enum Value<'a> {
    Null,
    Str(Cow<'a, str>),
    /// Numbers, booleans, arrays, objects.
    Other,
}

fn value(text: &str) -> Option<Value<'_>> {
    Some(match text.as_bytes().first()? {
        b'n' => Value::Null,
        b'"' => {
            let inner = &text[1..text.len() - 1];
            if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
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

fn fields<'a>(members: &[Member<'a>], spec: &RecordSpec) -> Option<Fields<'a>> {
    if members.iter().any(|(k, _)| k == "paper") || has_duplicates(members) {
        return None;
    }
    let find = |name: &str| members.iter().position(|(k, _)| k == name);
    let title_at = match &spec.title_field {
        Some(name) => find(name)?,
        None => pick(members, &TITLE_FIELDS)?,
    };
    let title = match value(members[title_at].1)? {
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
    let abstract_text = match abstract_at.map(|at| value(members[at].1)) {
        None | Some(Some(Value::Null)) => Cow::Borrowed(""),
        Some(Some(Value::Str(Cow::Borrowed(text)))) => Cow::Borrowed(py_strip(text)),
        Some(Some(Value::Str(Cow::Owned(text)))) => Cow::Owned(py_strip(&text).to_owned()),
        Some(_) => return None,
    };
    let (id_at, key, version) = key(members, spec)?;

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
            kept.push(&members[at]);
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
            .map(|(name, raw)| Some((name.clone(), scalar(raw)?)))
            .collect();
        if let Some(extra) = scalars {
            fields.extra = extra;
            return Some(fields);
        }
    }
    let mut rest = String::new();
    for (name, raw) in kept {
        rest.push(if rest.is_empty() { '{' } else { ',' });
        rest.push_str(&serde_json::to_string(name.as_ref()).ok()?);
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

/// The scalar a member holds, or None for arrays, objects, integers beyond 64 bits and strings Rust
/// cannot hold (lone surrogates).
fn scalar(text: &str) -> Option<Scalar<'_>> {
    Some(match text.as_bytes().first()? {
        b'n' => Scalar::Null,
        b't' => Scalar::Bool(true),
        b'f' => Scalar::Bool(false),
        b'"' => match value(text)? {
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
fn key(members: &[Member<'_>], spec: &RecordSpec) -> Option<Key> {
    if let Some(name) = &spec.id_field {
        let at = members.iter().position(|(k, _)| k == name)?;
        // null and "" are errors, and a number's spelling is Python's to make
        let Value::Str(text) = value(members[at].1)? else {
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
    for name in ID_FIELDS {
        let Some(at) = members.iter().position(|(k, _)| k == name) else {
            continue;
        };
        // Numbers never give a key: str(int) is neither an arXiv id nor a DOI, and floats are skipped.
        if let Value::Str(text) = value(members[at].1)? {
            match classify_id(&text) {
                Id::Arxiv(key, version) => return Some((Some(at), Some(key), version)),
                Id::NotAnId => {}
                Id::Unknown => return None,
            }
        }
    }
    Some((None, None, None))
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
            r#"{"title": "t", "id": "P-1"}"#,
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
}
