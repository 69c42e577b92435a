//! A whole JSON Lines snapshot read from a file into records, for the all-Rust `neardup diff` path.
//!
//! The file is memory-mapped ([`map`], decompressed first when it is compressed) and records borrow their title, abstract and extra strings from the
//! mapping unless the text needs decoding (JSON escapes, whitespace to collapse): a snapshot costs its
//! page-cache pages plus a few dozen bytes a record, not a second copy of itself in the heap.
//!
//! It reads as the Python reader does (`neardup.formats.jsonl.read`): whole lines, a UTF-8 BOM dropped
//! before the first line, blank lines skipped; authors, versions, dates and counts are interpreted by
//! [`super::meta`] (the arXiv metadata dump reads here). On a line it cannot take (invalid JSON, a value
//! Python reads differently, an empty file) it returns `None` and the caller takes the Python reader,
//! which reports the precise error.

use std::borrow::Cow;
use std::io;
use std::ops::Range;
use std::path::Path;

use super::{parse_next_line, Fields, Parsed, RecordSpec, Scalar};
use crate::identify::{id_hash, normalize_title_ascii, Id};

/// Bytes a parallel task reads: whole lines, enough to amortise a task, few enough to spread the work.
const PIECE: usize = 256 << 10;
pub(crate) const BOM: &[u8] = b"\xef\xbb\xbf";

/// One record of a snapshot: the fields of a Python `Entry` built by the core (every other entry field is
/// None), borrowing from the file's bytes where it can.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    /// Whitespace collapsed, never empty.
    title: Cow<'a, str>,
    /// Stripped.
    abstract_text: Cow<'a, str>,
    pub key: Option<String>,
    pub version: Option<u32>,
    /// The other members, in file order.
    pub extra: Vec<(Cow<'a, str>, Scalar<'a>)>,
    /// 1-based line of the record.
    pub line: u64,
    /// The normalised title when the core computes it by itself
    /// ([`normalize_title_ascii`]: a plain-ASCII title without LaTeX), else `None`. Computed while the
    /// line is in cache: a later pass over all titles would wait on memory for each one.
    pub ascii_title: Option<String>,
    /// [`id_hash`] of `key` (0 without one) and of `ascii_title` when computed: hashed in the parse for
    /// the same reason, and kept for [`Record::key_id`] and [`Record::title_id`] when a caller takes the
    /// title.
    key_hash: u64,
    title_hash: Option<u64>,
    /// The metadata (authors, counts, dates, and extras of any JSON shape): see [`Record::meta`].
    meta: MetaSource,
}

/// Where a record's metadata is. A JSON Lines record keeps the text of its other members and has them
/// interpreted again when asked: the interpreted form (each author, each value's canonical text, each
/// name, in strings of their own) takes several times the bytes of that text, and most records are only
/// compared, which equal texts settle without interpreting them.
#[derive(Debug, Clone, PartialEq)]
enum MetaSource {
    None,
    /// Interpreted by the reader that read the record (the columns of a Python reader).
    Held(Box<Meta>),
    /// The record's other members as a JSON object, checked when read ([`super::meta::interpret`]
    /// accepted them, with this limit on integer digits).
    Members {
        rest: Box<str>,
        max_digits: u32,
    },
}

/// Metadata of an entry beyond its key and version: compared to tell `meta_changed` and, when several
/// entries share one identity, to choose which of them are the same paper (`agreement`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub authors: Option<Vec<String>>,
    /// Counts as their decimal text (any size).
    pub authors_count: Option<String>,
    pub organization: Option<String>,
    pub published: Option<String>,
    pub upvotes: Option<String>,
    /// The other fields, by name ascending, each value as canonical JSON text (equal values, equal text).
    pub extra: Vec<(String, String)>,
}

impl Meta {
    /// The members of a JSON object as `(name, canonical JSON text of the value)`, names ascending (no
    /// members when `json` is not an object, or spells what strict JSON cannot, such as `NaN`).
    pub fn extra_from_json(json: &str) -> Vec<(String, String)> {
        use super::meta::Json;
        Json::parse(json, 0)
            .and_then(Json::canonical_members)
            .unwrap_or_default()
    }
}

impl<'a> Record<'a> {
    /// A record from the columns of another reader (title and abstract as the reader gives them).
    pub fn from_parts(
        title: Cow<'a, str>,
        abstract_text: Cow<'a, str>,
        key: Option<String>,
        version: Option<u32>,
        line: u64,
        meta: Option<Box<Meta>>,
    ) -> Record<'a> {
        let ascii_title = normalize_title_ascii(&title);
        Record {
            key_hash: key.as_deref().map_or(0, id_hash),
            title_hash: ascii_title.as_deref().map(id_hash),
            ascii_title,
            title,
            abstract_text,
            key,
            version,
            extra: Vec::new(),
            line,
            meta: meta.map_or(MetaSource::None, MetaSource::Held),
        }
    }

    /// The record's metadata, `None` when it has none: borrowed when its reader interpreted it,
    /// interpreted now from the members kept when the record was read.
    pub fn meta(&self) -> Option<Cow<'_, Meta>> {
        match &self.meta {
            MetaSource::None => None,
            MetaSource::Held(meta) => Some(Cow::Borrowed(meta)),
            // Accepted when the record was read, so accepted again (the same text, the same limit).
            MetaSource::Members { rest, max_digits } => {
                super::meta::interpret(rest, None, *max_digits as usize)
                    .map(|(meta, _)| Cow::Owned(meta))
            }
        }
    }

    /// The metadata of this record and of `other` as far as comparing them needs: the fields and the
    /// extras in which the two differ are those in which the records' metadata differ. Where both kept
    /// their members' text, only the members that can differ are interpreted
    /// ([`super::meta::differing_members`]); the others are equal and left out of both.
    pub fn metas_to_compare<'s>(
        &'s self,
        other: &'s Record<'_>,
    ) -> (Option<Cow<'s, Meta>>, Option<Cow<'s, Meta>>) {
        if let (Some((a, m)), Some((b, n))) = (self.members(), other.members()) {
            let interpret = |rest: &str, max_digits: u32| {
                super::meta::interpret(rest, None, max_digits as usize)
                    .map(|(meta, _)| Cow::Owned(meta))
            };
            if let Some((x, y)) = super::meta::differing_members(a, b) {
                return (interpret(&x, m), interpret(&y, n));
            }
        }
        (self.meta(), other.meta())
    }

    /// Whether the two records certainly carry equal metadata, known without interpreting it: both
    /// have none, or both kept the same members' text.
    pub fn same_meta_text(&self, other: &Record) -> bool {
        match (&self.meta, &other.meta) {
            (MetaSource::None, MetaSource::None) => true,
            _ => self.members().is_some() && self.members() == other.members(),
        }
    }

    /// The members' text and integer digit limit of a record that kept them.
    fn members(&self) -> Option<(&str, u32)> {
        match &self.meta {
            MetaSource::Members { rest, max_digits } => Some((rest, *max_digits)),
            _ => None,
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }
    pub fn abstract_text(&self) -> &str {
        &self.abstract_text
    }
    /// (title, abstract): the text near matching and duplicate detection read is the two joined by a
    /// newline (see `Joined` in `cluster::pairs`).
    pub fn parts(&self) -> (&str, &str) {
        (&self.title, &self.abstract_text)
    }
    /// `title + "\n" + abstract`, allocated.
    pub fn joined(&self) -> String {
        [self.title(), self.abstract_text()].join("\n")
    }
    /// The key as an identity, with the hash the parse computed; `None` without a key or when it is empty.
    pub fn key_id(&self) -> Option<Id<'_>> {
        Id::hashed(self.key.as_deref()?, self.key_hash)
    }
    /// `normalised`, this record's normalised title, as an identity: with the hash the parse computed when
    /// it computed the title (`normalised` is then the `ascii_title` it set), else hashed now; `None` when
    /// empty.
    pub fn title_id<'t>(&self, normalised: &'t str) -> Option<Id<'t>> {
        match self.title_hash {
            Some(hash) => Id::hashed(normalised, hash),
            None => Id::new(normalised),
        }
    }
}

pub use super::input::Mapped;

/// The bytes of the input at `path`, memory-mapped: decompressed when compressed, copied first when not
/// a regular file ([`super::input::open`], which says how a file that shrinks meanwhile is reported).
pub fn map(path: &Path) -> io::Result<Mapped> {
    super::input::open(path)
}

/// The records of a JSON Lines file's bytes, or `None` when some record needs the Python reader.
pub fn read_records<'a>(data: &'a [u8], spec: &RecordSpec) -> Option<Vec<Record<'a>>> {
    if !spec.supported() {
        return None;
    }
    let data = data.strip_prefix(BOM).unwrap_or(data);
    let mut records = Vec::new();
    read_lines(data, spec, 0, &mut records)?;
    (!records.is_empty()).then_some(records)
}

/// Appends the records of `data`, whole lines, to `records`, numbered from `before + 1`; the number of
/// its last line (`before` plus its lines, blank ones included), or `None` when some line needs the
/// Python reader. A text read in consecutive runs of whole lines gives the records of the text read whole.
pub(crate) fn read_lines<'a>(
    data: &'a [u8],
    spec: &RecordSpec,
    before: u64,
    records: &mut Vec<Record<'a>>,
) -> Option<u64> {
    // Pieces are read in parallel, each finding its own lines: the line ends are found where the bytes
    // are parsed, while they are in cache, and no thread scans the whole file for them first.
    super::pieces::read_in_order(pieces(data), before, records, |piece| {
        read_piece(&data[piece], spec)
    })
}

/// `data` cut into pieces of about `PIECE` bytes that end at line ends.
fn pieces(data: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(data.len() / PIECE + 1);
    let mut start = 0;
    while start < data.len() {
        let end = match memchr::memchr(b'\n', data.get(start + PIECE..).unwrap_or_default()) {
            Some(at) => start + PIECE + at + 1,
            None => data.len(),
        };
        out.push(start..end);
        start = end;
    }
    out
}

/// The records of a piece of whole lines, numbered from 1 within the piece, and how many lines it holds
/// (blank ones included); `None` when a line is not for this path.
fn read_piece<'a>(piece: &'a [u8], spec: &RecordSpec) -> Option<(Vec<Record<'a>>, u64)> {
    let mut records = Vec::with_capacity(piece.len() / 1024 + 1);
    // Validated once for all its lines, so that the scan of a line can also find its end.
    let text = simdutf8::basic::from_utf8(piece).ok();
    let (mut lines, mut at) = (0, 0);
    while at < piece.len() {
        lines += 1;
        let (end, parsed) = parse_next_line(piece, text, at, spec);
        at = end;
        let Some(parsed) = parsed else {
            continue; // blank
        };
        let Parsed::Record(f) = parsed else {
            return None;
        };
        records.push(Record::of_fields(f, lines, spec)?);
    }
    Some((records, lines))
}

impl<'a> Record<'a> {
    /// The record of a reader's fields at `line`, its other members interpreted ([`super::meta`]);
    /// `None` when they are for the Python reader.
    pub(crate) fn of_fields(f: Fields<'a>, line: u64, spec: &RecordSpec) -> Option<Record<'a>> {
        let (meta, version) = match f.rest {
            Some(rest) => {
                // Checked here (as `meta` will interpret them), and the version found; only their text
                // is kept.
                let version = super::meta::check(&rest, f.version, spec.int_max_str_digits)?;
                let max_digits = u32::try_from(spec.int_max_str_digits).ok()?;
                (
                    MetaSource::Members {
                        rest: rest.into_boxed_str(),
                        max_digits,
                    },
                    version,
                )
            }
            None => (MetaSource::None, f.version),
        };
        let ascii_title = normalize_title_ascii(&f.title);
        Some(Record {
            key_hash: f.key.as_deref().map_or(0, id_hash),
            title_hash: ascii_title.as_deref().map(id_hash),
            ascii_title,
            title: f.title,
            abstract_text: f.abstract_text,
            key: f.key,
            version,
            extra: f.extra,
            line,
            meta,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, data: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("neardup-file-{}-{name}", std::process::id()));
        std::fs::write(&path, data).unwrap();
        path
    }

    #[test]
    fn reads_simple_records_with_lines() {
        let p = write(
            "ok.jsonl",
            b"\xef\xbb\xbf{\"id\": \"2101.00001v2\", \"title\": \"A  title\", \"abstract\": \" x \", \"n\": 3}\n\n{\"title\": \"B\"}",
        );
        let spec = crate::read::spec_keeping_extra();
        let data = map(&p).unwrap();
        let recs = read_records(&data, &spec).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].title(), "A title");
        assert_eq!(recs[0].abstract_text(), "x");
        assert_eq!(recs[0].key.as_deref(), Some("arxiv:2101.00001"));
        assert_eq!(recs[0].version, Some(2));
        assert_eq!(recs[0].extra, vec![("n".into(), Scalar::Int(3))]);
        assert_eq!((recs[0].line, recs[1].line), (1, 3));
        // Identities carry the hashes of the parse, equal to hashing them now.
        assert_eq!(recs[0].key_id(), Id::new("arxiv:2101.00001"));
        assert_eq!(recs[1].key_id(), None);
        let title = recs[0].ascii_title.clone().unwrap();
        assert_eq!(recs[0].title_id(&title), Id::new("a title"));
        std::fs::remove_file(p).unwrap();
    }

    #[test]
    fn line_numbers_hold_across_pieces() {
        // Several pieces' worth of lines, with blank lines here and there (and at a piece's start).
        let mut data = Vec::new();
        let mut want = Vec::new();
        let mut line = 0u64;
        for i in 0..6000u64 {
            for _ in 0..(i % 7 == 3) as usize + (i % 500 == 0) as usize {
                data.extend_from_slice(b"  \r\n");
                line += 1;
            }
            line += 1;
            want.push(line);
            let pad = "x".repeat((i as usize * 37) % 400);
            data.extend_from_slice(
                format!("{{\"title\": \"T{i} {pad}\", \"abstract\": \"a\"}}\n").as_bytes(),
            );
        }
        assert!(data.len() > 3 * PIECE);
        let recs = read_records(&data, &RecordSpec::default()).unwrap();
        let got: Vec<u64> = recs.iter().map(|r| r.line).collect();
        assert_eq!(got, want);
        assert!(recs[5999].title().starts_with("T5999"));
    }

    #[test]
    fn metadata_is_kept_as_text_and_interpreted_on_demand() {
        let line = |authors: &str, order: bool| {
            let versions =
                r#""versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]"#;
            let authors = format!(r#""authors": "{authors}""#);
            let (x, y) = if order {
                (versions, authors.as_str())
            } else {
                (authors.as_str(), versions)
            };
            format!("{{\"title\": \"T\", {x}, {y}, \"comments\": \"8 pages\"}}\n")
        };
        let data = [
            line("Ann One and Bob Two", true),
            line("Ann One and Bob Two", true),
            line("Ann One and Bob Two", false),
            line("Ann One", true),
        ]
        .concat();
        let spec = RecordSpec {
            keep_extra: true,
            ..RecordSpec::default()
        };
        let recs = read_records(data.as_bytes(), &spec).unwrap();
        // What the reader checked is what is interpreted when asked, and the version was found then.
        let meta = recs[0].meta().unwrap();
        assert_eq!(meta.authors.as_deref().unwrap(), ["Ann One", "Bob Two"]);
        assert_eq!(
            meta.published.as_deref(),
            Some("Mon, 2 Apr 2007 19:18:42 GMT")
        );
        let names: Vec<&str> = meta.extra.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["comments", "versions"]);
        assert_eq!(meta.extra[0].1, "\"8 pages\"");
        assert_eq!(recs[0].version, Some(1));
        // The same members' text settles equality; other text is not taken for other metadata.
        assert!(recs[0].same_meta_text(&recs[1]));
        assert!(!recs[0].same_meta_text(&recs[2]));
        assert_eq!(recs[0].meta(), recs[2].meta());
        assert!(!recs[0].same_meta_text(&recs[3]));
        assert_ne!(recs[0].meta(), recs[3].meta());
        // A record without other members has no metadata, and the same (none) as another such.
        let bare = read_records(
            b"{\"title\": \"T\"}\n{\"title\": \"U\"}\n",
            &RecordSpec::default(),
        )
        .unwrap();
        assert_eq!(bare[0].meta(), None);
        assert!(bare[0].same_meta_text(&bare[1]) && !bare[0].same_meta_text(&recs[0]));
    }

    #[test]
    fn leaves_python_cases_to_python() {
        for (name, data) in [
            ("nan.jsonl", &b"{\"title\": \"A\", \"score\": NaN}\n"[..]),
            ("bad.jsonl", b"{\"title\": \"A\"}\n{oops\n"),
            ("blank.jsonl", b"\n\n"),
            ("empty.jsonl", b""),
        ] {
            let p = write(name, data);
            assert_eq!(
                read_records(&map(&p).unwrap(), &RecordSpec::default()),
                None,
                "{name}"
            );
            std::fs::remove_file(p).unwrap();
        }
    }
}
