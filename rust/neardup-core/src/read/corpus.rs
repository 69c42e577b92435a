//! Corpus documents for deduplication: the text compared, the id and the title of each JSON Lines record
//! or CSV row, read straight from a file's bytes without building anything per record but the text.
//!
//! The field rules are those of the snapshot readers (`fields.rs` in Python), seen from a corpus: the text
//! is the title and the abstract joined by a newline (or one of them, or one field the user names), the
//! first of a few common names for each; records with neither fall back to a plain `text`, `content` or
//! `body` field. A Daily Papers item's nested `paper` object is merged into its record. The id is the
//! named id field, else the first common id field holding a string or an integer; without one the caller
//! names the document by file and line.
//!
//! A record that does not fit these rules is [`Outcome::Bad`], with what was expected and what was found,
//! worded as the Python readers word it. Lines that are not JSON at all ([`Outcome::Unparsed`]) are left
//! to the Python JSON reader for the wording of the error, which quotes its own parser's message.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{ABSTRACT_FIELDS, ID_FIELDS, TITLE_FIELDS};

/// Fields holding the whole text of plain corpora (records with neither a title nor an abstract field).
pub const TEXT_FIELDS: [&str; 3] = ["text", "content", "body"];

/// Which text of a record is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compared {
    Title,
    Abstract,
    /// Title and abstract joined, as `neardup dedup` compares them unless told otherwise.
    #[default]
    TitleAndAbstract,
}

/// How documents are read from records; the default is `neardup dedup`'s with no field options.
#[derive(Debug, Clone, Default)]
pub struct CorpusSpec {
    pub compared: Compared,
    /// One field holding the whole text (overrides `compared`).
    pub text_field: Option<String>,
    pub id_field: Option<String>,
    pub title_field: Option<String>,
    pub abstract_field: Option<String>,
    /// A field whose value ranks the members of a cluster (`--keep FIELD`).
    pub rank_field: Option<String>,
    /// The CSV field delimiter (`--delimiter`); `None` sniffs it from the header row as `neardup diff`
    /// does ([`super::csv_table::sniff_delimiter`]).
    pub delimiter: Option<u8>,
}

impl CorpusSpec {
    /// The columns of a Parquet or Arrow file this spec reads as texts besides the usual ones (a null
    /// there is an empty text): the named text, title and abstract fields.
    pub fn text_columns(&self) -> Vec<String> {
        [&self.text_field, &self.title_field, &self.abstract_field]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

/// One document.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc<'a> {
    pub text: Cow<'a, str>,
    /// The record's id; None: name it by file and line.
    pub id: Option<Cow<'a, str>>,
    /// The title, when the record has a non-empty one and it was read.
    pub title: Option<Cow<'a, str>>,
    /// The value of [`CorpusSpec::rank_field`] as a number, when it holds one.
    pub rank: Option<f64>,
}

/// What a record gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<'a> {
    Doc(Doc<'a>),
    /// Not a usable record: what was expected, what was found (Python's wording).
    Bad {
        expected: String,
        got: String,
    },
    /// Not parsed (invalid JSON or UTF-8, a NUL byte, a lone surrogate): the Python reader words why.
    Unparsed,
}

/// A JSON value as far as the rules care: raw text, looked into on demand.
#[derive(Clone, Copy)]
enum Val<'a> {
    Json(&'a str),
    /// A CSV cell: always a string, never decoded.
    Cell(&'a str),
}

type Members<'a> = Vec<(Cow<'a, str>, Val<'a>)>;

/// A record's members in order, each name once (a later member named like an earlier one replaces
/// its value in place, as a Python dict does).
struct Record<'a> {
    members: Members<'a>,
}

impl<'a> Record<'a> {
    fn get(&self, name: &str) -> Option<Val<'a>> {
        self.members
            .iter()
            .find(|(k, _)| k == name)
            .map(|&(_, v)| v)
    }
    /// `name`, else a dotted path into nested objects (`paper.title`); None when absent.
    fn lookup(&self, name: &str) -> Option<Val<'a>> {
        if let Some(v) = self.get(name) {
            return Some(v);
        }
        let mut parts = name.split('.');
        let mut value = self.get(parts.next()?)?;
        for part in parts {
            let Val::Json(raw) = value else {
                return None;
            };
            let members = object_members(raw)?;
            value = members
                .into_iter()
                .find(|(k, _)| k == part)
                .map(|(_, v)| v)?;
        }
        Some(value)
    }
    fn describe(&self) -> String {
        describe_keys(self.members.iter().map(|(k, _)| k.as_ref()))
    }
}

fn describe_keys<'k>(keys: impl Iterator<Item = &'k str>) -> String {
    let keys: Vec<&str> = keys.take(6).collect();
    if keys.is_empty() {
        "an empty object".to_owned()
    } else {
        format!("an object with keys {}", keys.join(", "))
    }
}

/// Python's `describe` of a value.
fn describe(value: Val<'_>) -> String {
    let raw = match value {
        Val::Cell(_) => return "a string".to_owned(),
        Val::Json(raw) => raw,
    };
    match raw.as_bytes().first() {
        Some(b'n') => "null".to_owned(),
        Some(b't' | b'f') => "a boolean".to_owned(),
        Some(b'"') => "a string".to_owned(),
        Some(b'[') => "an array".to_owned(),
        Some(b'{') => match object_members(raw) {
            Some(m) => describe_keys(m.iter().map(|(k, _)| k.as_ref())),
            None => "an object".to_owned(),
        },
        _ => "a number".to_owned(),
    }
}

/// Python's `repr` of a str, for the field names quoted in messages.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A string value decoded, `""` for null, or None for any other type.
fn string(value: Val<'_>) -> Option<Cow<'_, str>> {
    match value {
        Val::Cell(s) => Some(Cow::Borrowed(s)),
        Val::Json(raw) => match raw.as_bytes().first() {
            Some(b'n') => Some(Cow::Borrowed("")),
            // Without a backslash the text is the raw string's inside (already validated JSON).
            Some(b'"') if memchr::memchr(b'\\', raw.as_bytes()).is_none() => {
                Some(Cow::Borrowed(&raw[1..raw.len() - 1]))
            }
            Some(b'"') => serde_json::from_str::<Cow<str>>(raw).ok(),
            _ => None,
        },
    }
}

fn is_null(value: Val<'_>) -> bool {
    matches!(value, Val::Json(raw) if raw.starts_with('n'))
}

fn is_empty_string(value: Val<'_>) -> bool {
    match value {
        Val::Cell(s) => s.is_empty(),
        Val::Json(raw) => raw == "\"\"",
    }
}

/// An integer's text as Python's `str(int)` writes it, or None when `raw` is not an integer.
fn integer(raw: &str) -> Option<Cow<'_, str>> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(if digits == "0" {
        Cow::Borrowed("0")
    } else {
        Cow::Borrowed(raw)
    })
}

type Found<'a, T> = Result<T, (String, String)>;

fn bad<T>(expected: String, got: String) -> Found<'static, T> {
    Err((expected, got))
}

/// `value` as the `what` of a record (title, abstract, text), read from field `name`.
fn text_of<'a>(value: Val<'a>, name: &str, what: &str) -> Found<'a, Cow<'a, str>> {
    string(value).map_or_else(
        || {
            bad(
                format!("a string {what} in field {}", py_repr(name)),
                describe(value),
            )
        },
        Ok,
    )
}

fn explicit<'a>(record: &Record<'a>, name: &str, what: &str) -> Found<'a, Cow<'a, str>> {
    match record.lookup(name) {
        Some(value) => text_of(value, name, what),
        None => bad(
            format!("a field {} ({what})", py_repr(name)),
            record.describe(),
        ),
    }
}

/// The first of `names` present with a non-empty value, else the first present; None when none is.
fn guess<'a>(record: &Record<'a>, names: &[&str], what: &str) -> Found<'a, Option<Cow<'a, str>>> {
    let present: Vec<(&str, Val<'a>)> = names
        .iter()
        .filter_map(|&n| record.get(n).map(|v| (n, v)))
        .collect();
    for &(name, value) in &present {
        if !is_null(value) && !is_empty_string(value) {
            return text_of(value, name, what).map(Some);
        }
    }
    match present.first() {
        Some(&(name, value)) => text_of(value, name, what).map(Some),
        None => Ok(None),
    }
}

fn id_of<'a>(record: &Record<'a>, spec: &CorpusSpec) -> Found<'a, Option<Cow<'a, str>>> {
    let as_id = |value: Val<'a>| -> Option<Cow<'a, str>> {
        match value {
            Val::Cell(s) => Some(Cow::Borrowed(s)),
            Val::Json(raw) if raw.starts_with('"') => string(value),
            Val::Json(raw) => integer(raw),
        }
    };
    if let Some(name) = spec.id_field.as_deref() {
        let value = match record.lookup(name) {
            Some(v) if !is_null(v) && !is_empty_string(v) => v,
            _ => return bad(format!("a field {} (id)", py_repr(name)), record.describe()),
        };
        return match as_id(value) {
            Some(id) => Ok(Some(id)),
            None => bad(
                format!("a string id in field {}", py_repr(name)),
                describe(value),
            ),
        };
    }
    for name in ID_FIELDS {
        if let Some(value) = record.get(name) {
            if let Some(id) = as_id(value).filter(|id| !id.is_empty()) {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}

fn rank_of(record: &Record<'_>, spec: &CorpusSpec) -> Option<f64> {
    let value = record.lookup(spec.rank_field.as_deref()?)?;
    let text = match value {
        Val::Cell(s) => s.trim(),
        Val::Json(raw) if raw.starts_with('"') => return string(value)?.trim().parse().ok(),
        Val::Json(raw) => raw,
    };
    text.parse::<f64>().ok().filter(|v| !v.is_nan())
}

fn doc<'a>(record: &Record<'a>, spec: &CorpusSpec) -> Found<'a, Doc<'a>> {
    let mut title = None;
    let text = if let Some(name) = spec.text_field.as_deref() {
        explicit(record, name, "text")?
    } else {
        let mut abstract_text = None;
        if spec.compared != Compared::Abstract {
            title = match spec.title_field.as_deref() {
                Some(name) => Some(explicit(record, name, "title")?),
                None => guess(record, &TITLE_FIELDS, "title")?,
            };
        }
        if spec.compared != Compared::Title {
            abstract_text = match spec.abstract_field.as_deref() {
                Some(name) => Some(explicit(record, name, "abstract")?),
                None => guess(record, &ABSTRACT_FIELDS, "abstract")?,
            };
        }
        match (&title, abstract_text) {
            (None, None) => match guess(record, &TEXT_FIELDS, "text")? {
                Some(plain) => plain,
                None => {
                    let wanted: Vec<&str> = match spec.compared {
                        Compared::Title => TITLE_FIELDS.to_vec(),
                        Compared::Abstract => ABSTRACT_FIELDS.to_vec(),
                        Compared::TitleAndAbstract => TITLE_FIELDS
                            .iter()
                            .chain(&ABSTRACT_FIELDS)
                            .copied()
                            .collect(),
                    };
                    let names: Vec<&str> = wanted.into_iter().chain(TEXT_FIELDS).collect();
                    return bad(
                        format!("a text field ({})", names.join(", ")),
                        record.describe(),
                    );
                }
            },
            (t, a) if spec.compared == Compared::TitleAndAbstract => {
                let t = t.as_deref().unwrap_or("");
                let a = a.as_deref().unwrap_or("");
                Cow::Owned(format!("{t}\n{a}"))
            }
            (Some(t), _) => t.clone(),
            (None, a) => a.unwrap_or_default(),
        }
    };
    Ok(Doc {
        id: id_of(record, spec)?,
        rank: rank_of(record, spec),
        title: title.filter(|t| !t.is_empty()),
        text,
    })
}

fn outcome<'a>(record: &Record<'a>, spec: &CorpusSpec) -> Outcome<'a> {
    match doc(record, spec) {
        Ok(d) => Outcome::Doc(d),
        Err((expected, got)) => Outcome::Bad { expected, got },
    }
}

// ---- JSON Lines --------------------------------------------------------------------------------------

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(Cow<'de, str>, &'de RawValue)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            out.push((key, map.next_value::<&'de RawValue>()?));
        }
        Ok(out)
    }
}

/// The members of the JSON object `raw`, or None when it is not one.
fn object_members(raw: &str) -> Option<Members<'_>> {
    let mut de = serde_json::Deserializer::from_str(raw);
    let members = de.deserialize_map(MembersVisitor).ok()?;
    de.end().ok()?;
    Some(
        members
            .into_iter()
            .map(|(k, v)| (k, Val::Json(v.get())))
            .collect(),
    )
}

/// Whether a `\u` escape in `raw` spells a lone UTF-16 surrogate (one not in a high-low pair): the
/// Python reader refuses such lines and words why.
fn spells_lone_surrogate(raw: &[u8]) -> bool {
    let unit = |at: usize| -> Option<u16> {
        let hex = raw.get(at + 2..at + 6)?;
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    let mut skip_to = 0;
    for at in memchr::memmem::find_iter(raw, b"\\u") {
        if at < skip_to || raw[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1 {
            continue; // the low half of a pair, or an escaped backslash followed by "u"
        }
        match unit(at) {
            Some(0xD800..=0xDBFF) => {
                if raw.get(at + 6..at + 8) == Some(&b"\\u"[..])
                    && matches!(unit(at + 6), Some(0xDC00..=0xDFFF))
                {
                    skip_to = at + 7;
                } else {
                    return true;
                }
            }
            Some(0xDC00..=0xDFFF) => return true,
            _ => {}
        }
    }
    false
}

/// The JSON value of a line that is not blank: a JSON object as a record's members, else the reason.
fn json_record(line: &str) -> Result<Members<'_>, Outcome<'_>> {
    let trimmed = line.trim_matches(|c: char| " \t\n\r\x0b\x0c".contains(c));
    if !trimmed.starts_with('{') {
        return match serde_json::from_str::<&RawValue>(trimmed) {
            Ok(v) => Err(Outcome::Bad {
                expected: "a JSON object".to_owned(),
                got: describe(Val::Json(v.get())),
            }),
            Err(_) => Err(Outcome::Unparsed),
        };
    }
    object_members(trimmed).ok_or(Outcome::Unparsed)
}

/// The document of one JSON Lines line (line end included or not), or None when the line is blank.
pub fn jsonl_doc<'a>(raw: &'a [u8], spec: &CorpusSpec) -> Option<Outcome<'a>> {
    let first = raw.iter().position(|b| !b" \t\n\r\x0b\x0c".contains(b))?;
    let Ok(line) = simdutf8::basic::from_utf8(raw) else {
        return Some(Outcome::Unparsed);
    };
    // The usual flat object by the strict scanner (which sees every backslash, and so tells about
    // surrogates); anything else by serde_json.
    let flat = (raw[first] == b'{')
        .then(|| crate::read::flat_object(line))
        .flatten()
        .filter(|flat| !flat.spells_surrogate);
    let mut members = match flat {
        Some(flat) => flat
            .members
            .into_iter()
            .map(|(k, v)| (k, Val::Json(v)))
            .collect(),
        None => {
            if memchr::memchr(0, raw).is_some() || spells_lone_surrogate(raw) {
                return Some(Outcome::Unparsed);
            }
            match json_record(line) {
                Ok(m) => m,
                Err(outcome) => return Some(outcome),
            }
        }
    };
    // Each member named once: parsers disagree on which value of a repeated one wins.
    if members.len() > 1 {
        let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Some(Outcome::Bad {
                expected: "each member named once".to_owned(),
                got: format!("{} twice", py_repr(w[0])),
            });
        }
    }
    // A Daily Papers item: the paper's own fields win (in place), the others follow.
    if let Some(at) = members.iter().position(|(k, _)| k == "paper") {
        if let (_, Val::Json(raw)) = members[at] {
            if raw.starts_with('{') {
                let inner = object_members(raw).unwrap_or_default();
                members.remove(at);
                for (k, v) in inner {
                    match members.iter_mut().find(|(name, _)| *name == k) {
                        Some(slot) => slot.1 = v,
                        None => members.push((k, v)),
                    }
                }
            }
        }
    }
    Some(outcome(&Record { members }, spec))
}

// ---- CSV ----------------------------------------------------------------------------------------------

/// The columns of a CSV file: its delimiter and the record keys of its header (guessed field names
/// spelled in another case renamed and moved last, as the Python reader does).
#[derive(Debug, Clone)]
pub struct CsvLayout {
    pub delimiter: u8,
    /// For each column, the key it goes to.
    keys: Vec<String>,
    /// The record's key order.
    order: Vec<usize>,
}

impl CsvLayout {
    /// The layout of a header row's first line (`first`: the header's cells, stripped).
    pub fn new(delimiter: u8, header: Vec<String>) -> CsvLayout {
        let mut keys = header.clone();
        let mut order: Vec<usize> = Vec::new();
        let mut renamed: Vec<usize> = Vec::new();
        let known = ID_FIELDS
            .iter()
            .chain(&TITLE_FIELDS)
            .chain(&ABSTRACT_FIELDS)
            .chain(&TEXT_FIELDS);
        for name in known {
            if header.iter().any(|h| h == name) {
                continue;
            }
            if let Some(col) = header.iter().position(|h| h.to_lowercase() == *name) {
                if !renamed.contains(&col) {
                    keys[col] = (*name).to_owned();
                    renamed.push(col);
                }
            }
        }
        for col in 0..header.len() {
            // A repeated name keeps its first place and takes its last value, as in a dict.
            if !renamed.contains(&col) && !order.iter().any(|&c| header[c] == header[col]) {
                order.push(col);
            }
        }
        order.extend(renamed);
        CsvLayout {
            delimiter,
            keys,
            order,
        }
    }

    /// How many fields a row must have.
    pub fn width(&self) -> usize {
        self.keys.len()
    }
}

/// The document of one CSV row (as many cells as the header; not all blank).
pub fn csv_doc<'a>(layout: &'a CsvLayout, cells: &[&'a str], spec: &CorpusSpec) -> Outcome<'a> {
    let members = layout
        .order
        .iter()
        .map(|&col| {
            let key = &layout.keys[col];
            // the last column of that name holds the value
            let last = (0..layout.keys.len())
                .rev()
                .find(|&c| layout.keys[c] == *key)
                .unwrap_or(col);
            (Cow::Borrowed(key.as_str()), Val::Cell(cells[last]))
        })
        .collect();
    outcome(&Record { members }, spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CorpusSpec {
        CorpusSpec::default()
    }

    fn text(line: &str, spec: &CorpusSpec) -> Outcome<'static> {
        let line: &'static str = Box::leak(line.to_owned().into_boxed_str());
        jsonl_doc(line.as_bytes(), spec).unwrap()
    }

    #[test]
    fn title_and_abstract_joined_else_plain_text() {
        let Outcome::Doc(d) = text(r#"{"id": 7, "title": "T", "summary": "A\nb"}"#, &spec()) else {
            panic!()
        };
        assert_eq!((d.text.as_ref(), d.id.as_deref()), ("T\nA\nb", Some("7")));
        let Outcome::Doc(d) = text(r#"{"content": "x y", "url": ""}"#, &spec()) else {
            panic!()
        };
        assert_eq!((d.text.as_ref(), d.id), ("x y", None));
    }

    #[test]
    fn bad_records_are_worded_like_python() {
        assert_eq!(
            text(r#"{"a": 1}"#, &spec()),
            Outcome::Bad {
                expected: "a text field (title, paper_title, abstract, summary, paper_abstract, \
                           description, text, content, body)"
                    .into(),
                got: "an object with keys a".into()
            }
        );
        assert_eq!(
            text(r#"{"title": 3}"#, &spec()),
            Outcome::Bad {
                expected: "a string title in field 'title'".into(),
                got: "a number".into()
            }
        );
        assert_eq!(
            text(r#"{"title": "a", "title": "b"}"#, &spec()),
            Outcome::Bad {
                expected: "each member named once".into(),
                got: "'title' twice".into()
            }
        );
        assert_eq!(text("{\"title\": ", &spec()), Outcome::Unparsed);
        assert_eq!(text(r#"{"title": "\ud800"}"#, &spec()), Outcome::Unparsed);
        assert_eq!(
            text(r#"{"title": "\udc00\ud83d"}"#, &spec()),
            Outcome::Unparsed
        );
        let Outcome::Doc(d) = text(r#"{"title": "\ud83d\ude00 \\ud800"}"#, &spec()) else {
            panic!()
        };
        assert_eq!(d.text, "\u{1f600} \\ud800\n");
    }

    #[test]
    fn paper_fields_win_and_dotted_names_reach_in() {
        let line = r#"{"title": "outer", "paper": {"title": "inner", "summary": "s"}}"#;
        let Outcome::Doc(d) = text(line, &spec()) else {
            panic!()
        };
        assert_eq!(d.text, "inner\ns");
        let mut s = spec();
        s.text_field = Some("meta.body".into());
        let Outcome::Doc(d) = text(r#"{"meta": {"body": "deep"}}"#, &s) else {
            panic!()
        };
        assert_eq!(d.text, "deep");
    }

    #[test]
    fn csv_guessed_names_match_any_case() {
        let layout = CsvLayout::new(b',', vec!["ID".into(), "Title".into(), "x".into()]);
        let Outcome::Doc(d) = csv_doc(&layout, &["1", "Hello", "z"], &spec()) else {
            panic!()
        };
        assert_eq!((d.text.as_ref(), d.id.as_deref()), ("Hello\n", Some("1")));
        let Outcome::Bad { got, .. } = csv_doc(&layout, &["", "", "z"], &{
            let mut s = spec();
            s.text_field = Some("nope".into());
            s
        }) else {
            panic!()
        };
        assert_eq!(got, "an object with keys x, id, title");
    }
}
