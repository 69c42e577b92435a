//! Deduplication of a corpus, from files or texts to columns: which documents a deduplicated copy keeps
//! and, for each one it drops, the kept document that replaced it.
//!
//! Files (JSON Lines, CSV) are read here with the field rules of [`crate::read::corpus`]: a plain file
//! memory-mapped, the JSON Lines text of a compressed file (or a pipe, or UTF-16 text) chunk by chunk
//! while the next chunk is decompressed ([`streamed::read_chunks`]). No text outlives the window of
//! lines being signed, so memory holds per document its band keys (8 bytes a band), its id, line and
//! byte offset, and a few bytes of columns; a streamed text is kept in memory for the second pass while
//! it fits in the run's [`Budget`] (one for all of the run's files, taken in input order: [`HeldText`]);
//! one that does not fit is decompressed again from its file ([`ReadAgain`]), or, from a pipe, kept in
//! an unlinked temporary file beyond what fits.
//!
//! Stages, in order:
//! 1. **Band keys** of every document ([`super::bands`]); documents sharing a `(band, key)` form buckets.
//! 2. The bucket members are read again ([`reread`]): only they can have a duplicate.
//! 3. **Exact duplicates**: members with the same digest of their normalised word sequence (NFKC, lower
//!    case, the runs of `\w` joined by one space; 128-bit XXH3). Each group keeps one member (the
//!    [`Keep`] policy); the others are dropped and take no further part. Equal texts always share every
//!    bucket, so no exact duplicate is missed by looking only at members.
//! 4. **Near duplicates** among what is left: bucket pairs verified on the exact shingle Jaccard
//!    ([`super::verify`]), clustered as connected components or, with [`Params::star`], as stars: the
//!    member the policy prefers keeps every other member within the threshold of it, and the rest form
//!    stars of their own (no dropped document is ever farther than the threshold from its kept one).
//!
//! With threshold 1.0 only stage 3 runs, on every document, without MinHash.

use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use super::bands::{self, Banding, Buckets};
use super::verify::{self, SetStore};
use crate::error::{invalid, Error, Result};
use crate::lsh::check_threshold;
use crate::minhash::MinHasher;
use crate::read::corpus::{csv_doc, jsonl_doc, CorpusSpec, CsvLayout, Doc, Outcome};
use crate::read::csv_table;
use crate::read::file::map;
use crate::read::input::{self, Mapped, Opened};
use crate::read::streamed::{self, Budget, HeldText, ReadAgain};
use crate::text::shingle::{for_each_word, jaccard_sorted, normalize, ShingleConfig};

/// Bytes of whole lines (CSV: rows) read, parsed and signed together: their texts are alive only
/// meanwhile.
const WINDOW: usize = 16 << 20;
/// Bytes of a parallel parsing task.
const PIECE: usize = 256 << 10;
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Which member of a cluster is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The first in input order.
    First,
    /// The longest text (bytes), the first among equals.
    Longest,
    /// The largest value of [`CorpusSpec::rank_field`] (documents without one rank last), the first among
    /// equals.
    Rank,
}

/// How a corpus is deduplicated.
#[derive(Debug, Clone)]
pub struct Params {
    pub shingles: ShingleConfig,
    pub hasher: MinHasher,
    /// Minimum exact shingle Jaccard, in (0, 1]; 1.0: exact duplicates only.
    pub threshold: f64,
    pub keep: Keep,
    /// Star clusters around the kept member instead of connected components.
    pub star: bool,
}

impl Params {
    fn exact_only(&self) -> bool {
        self.threshold >= 1.0
    }
    fn banding(&self) -> Result<Banding> {
        Banding::for_threshold(self.threshold, self.hasher.num_perm)
    }
}

/// What clustering needs of each document, in input order.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Band keys, `n × bands` (empty with threshold 1.0).
    pub keys: Vec<u64>,
    /// No shingles: no keys, nobody's duplicate.
    pub empty: Vec<bool>,
    /// Text length in bytes.
    pub lengths: Vec<u64>,
    /// The rank field's value (NaN: none); empty when no rank field is read.
    pub ranks: Vec<f64>,
    /// With threshold 1.0, each document's digest (0: no words).
    pub digests: Vec<u128>,
}

impl Columns {
    pub fn len(&self) -> usize {
        self.lengths.len()
    }
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    fn push_docs<S: AsRef<str> + Sync>(
        &mut self,
        texts: &[S],
        ranks: impl Iterator<Item = Option<f64>>,
        ranked: bool,
        params: &Params,
    ) -> Result<()> {
        self.lengths
            .extend(texts.iter().map(|t| t.as_ref().len() as u64));
        if ranked {
            self.ranks.extend(ranks.map(|r| r.unwrap_or(f64::NAN)));
        }
        if params.exact_only() {
            self.digests.par_extend(
                texts
                    .par_iter()
                    .with_min_len(64)
                    .map(|t| digest(t.as_ref())),
            );
            self.empty.extend(std::iter::repeat_n(false, texts.len()));
            return Ok(());
        }
        let (keys, empty) = bands::band_keys(&params.hasher, &params.banding()?, texts)?;
        self.keys.extend_from_slice(&keys);
        self.empty.extend_from_slice(&empty);
        Ok(())
    }
}

/// The digest of the normalised word sequence of `text`, 0 when it has no word.
pub fn digest(text: &str) -> u128 {
    let normal = normalize(text);
    let mut h = Xxh3::new();
    let mut any = false;
    for_each_word(&normal, |w| {
        if any {
            h.update(b" ");
        }
        h.update(w.as_bytes());
        any = true;
    });
    if any {
        h.digest128().max(1)
    } else {
        0
    }
}

/// The columns of texts held in memory.
pub fn columns_of_texts<S: AsRef<str> + Sync>(texts: &[S], params: &Params) -> Result<Columns> {
    check_params(params)?;
    let mut c = Columns::default();
    for block in texts.chunks(1 << 16) {
        c.push_docs(block, std::iter::repeat_n(None, block.len()), false, params)?;
    }
    Ok(c)
}

fn check_params(params: &Params) -> Result<()> {
    if !params.exact_only() {
        check_threshold(params.threshold)?;
        params.banding()?;
    } else if params.threshold != 1.0 {
        return Err(invalid(
            "threshold",
            format!("must be in (0, 1], got {}", params.threshold),
        ));
    }
    Ok(())
}

// ---- files ---------------------------------------------------------------------------------------------

/// A corpus file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

/// A record that is not a usable document.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRecord {
    /// 1-based line (the row's first for CSV); 0 when the file as a whole cannot be read here.
    pub line: u64,
    /// The line's bytes `start..end` in the file (for the wording of an unparsed line).
    pub start: u64,
    pub end: u64,
    /// What was expected and found; None when the Python reader words it (a line that is not JSON, a
    /// CSV file that is not valid CSV).
    pub reason: Option<(String, String)>,
}

/// The first pass over one file.
#[derive(Debug, Clone)]
pub struct FileDocs {
    pub path: PathBuf,
    pub format: Format,
    pub columns: Columns,
    /// 1-based line of each document.
    pub lines: Vec<u64>,
    /// Byte range `starts[i]..ends[i]` of each document's record (after a BOM; line end included).
    pub starts: Vec<u64>,
    pub ends: Vec<u64>,
    /// Where a CSV file's header row ends (0 for JSON Lines), and whether the file starts with a BOM.
    pub header_end: u64,
    pub bom: bool,
    /// Ids, concatenated; document `i`'s is `id_bytes[id_ends[i-1]..id_ends[i]]`, and has none (named by
    /// file and line) when `has_id[i]` is false.
    pub id_bytes: Vec<u8>,
    pub id_ends: Vec<u64>,
    pub has_id: Vec<bool>,
    /// Bad records: all of them when skipping, else the first (and reading stopped there).
    pub bad: Vec<BadRecord>,
    /// How many bad records were skipped (`bad` keeps only the first few when skipping).
    pub skipped: u64,
    csv: Option<CsvLayout>,
    stamp: Option<(u64, Option<SystemTime>)>,
    /// Whether a rank field is read ([`Columns::ranks`]).
    ranked: bool,
    /// The text read, kept when it is not the file's own bytes (a compressed file, a pipe, text in
    /// UTF-16): the second pass and the records written come from it, not from decompressing again.
    text: Option<Arc<Text>>,
}

/// The text of an input that is not read in place.
#[derive(Debug)]
enum Text {
    /// As it was streamed, in chunks of whole records ([`streamed::read_chunks`]; CSV: of whole rows).
    Chunks(HeldText),
    /// A text too long to hold, from a regular file: decompressed again for a later pass.
    Again(ReadAgain),
}

impl FileDocs {
    fn new(path: &Path, format: Format) -> FileDocs {
        FileDocs {
            path: path.to_owned(),
            format,
            columns: Columns::default(),
            lines: Vec::new(),
            starts: Vec::new(),
            ends: Vec::new(),
            header_end: 0,
            bom: false,
            id_bytes: Vec::new(),
            id_ends: Vec::new(),
            has_id: Vec::new(),
            bad: Vec::new(),
            skipped: 0,
            csv: None,
            stamp: None,
            ranked: false,
            text: None,
        }
    }

    /// Bytes of its text held in memory for the second pass, taken from the run's [`Budget`]: 0 for a
    /// file read in place, or one whose text did not fit and is decompressed again.
    pub fn held_bytes(&self) -> usize {
        match self.text.as_deref() {
            Some(Text::Chunks(held)) => held.in_memory(),
            _ => 0,
        }
    }

    /// Whether reading stopped at a bad record (or the file could not be read here).
    pub fn stopped(&self, skip_bad: bool) -> bool {
        // Skipping, `bad` keeps the first record skipped; a file that could not be read goes last.
        self.bad
            .last()
            .is_some_and(|last| !skip_bad || last.line == 0)
    }

    fn bad_record(&mut self, bad: BadRecord, skip_bad: bool) -> bool {
        if skip_bad && bad.line != 0 {
            self.skipped += 1;
            if self.bad.is_empty() {
                self.bad.push(bad);
            }
            false
        } else {
            self.bad.push(bad);
            true
        }
    }

    fn push<'a>(&mut self, docs: Vec<(u64, u64, u64, Doc<'a>)>, params: &Params) -> Result<()> {
        let texts: Vec<&str> = docs.iter().map(|(_, _, _, d)| d.text.as_ref()).collect();
        self.columns.push_docs(
            &texts,
            docs.iter().map(|(_, _, _, d)| d.rank),
            self.ranked,
            params,
        )?;
        for (line, start, end, d) in &docs {
            self.lines.push(*line);
            self.starts.push(*start);
            self.ends.push(*end);
            if let Some(id) = &d.id {
                self.id_bytes.extend_from_slice(id.as_bytes());
            }
            self.id_ends.push(self.id_bytes.len() as u64);
            self.has_id.push(d.id.is_some());
        }
        Ok(())
    }
}

fn stamp(path: &Path) -> Option<(u64, Option<SystemTime>)> {
    let m = fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()))
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    invalid("path", format!("{}: cannot read: {e}", path.display()))
}

/// The first pass over a file: every document's columns, id, line and offset. A bad record stops the
/// pass (its [`BadRecord`] is the last of `bad`), unless `skip_bad`.
///
/// A plain file is read in place. The JSON Lines text of anything else (a compressed file, a pipe, text
/// in UTF-16) is read as it is decompressed, chunk by chunk ([`streamed::read_chunks`]), and kept for the
/// second pass, in memory as long as it fits in `budget` (the run's, shared by all of its files: the
/// files read first are held first); a CSV text alike, in chunks of whole rows.
pub fn read_file(
    path: &Path,
    format: Format,
    spec: &CorpusSpec,
    params: &Params,
    skip_bad: bool,
    budget: &Budget,
) -> Result<FileDocs> {
    check_params(params)?;
    let mut out = FileDocs::new(path, format);
    out.stamp = stamp(path);
    out.ranked = spec.rank_field.is_some();
    let io = |e| io_error(path, e);
    let text_columns = spec.text_columns();
    let opened = input::open_text_with_text_columns(path, None, &text_columns).map_err(io)?;
    let mapped = match (opened, format) {
        (Opened::Mapped(m), _) => m,
        (Opened::Stream { text, compression }, format) => {
            // A regular file can be decompressed again: past the budget its text is dropped rather
            // than spilled to a temporary file (as a pipe's is).
            let regular = fs::metadata(path).is_ok_and(|m| m.is_file());
            let mut held = match regular {
                true => HeldText::holding_or_dropping(budget),
                false => HeldText::holding(budget),
            };
            let (mut lines, mut rows) = (Lines::default(), Rows::default());
            let read = match format {
                Format::Jsonl => streamed::read_chunks(text, &mut held, Stop::Io, |chunk, at| {
                    read_jsonl(chunk, at, &mut lines, spec, params, skip_bad, &mut out)
                        .map_err(Stop::Core)
                }),
                Format::Csv => {
                    // Chunks end at row ends outside quotes: a quoted line break never splits a row.
                    let mut delimiter = spec.delimiter;
                    let cut = move |buf: &[u8], _: usize| {
                        let d = *delimiter.get_or_insert_with(|| csv_delimiter(buf));
                        csv_table::last_row_end(buf, d)
                    };
                    streamed::read_chunks_cut(text, &mut held, Stop::Io, cut, |chunk, at| {
                        read_csv(chunk, at, &mut rows, spec, params, skip_bad, &mut out)
                            .map_err(Stop::Core)
                    })
                }
            };
            match read {
                Ok(()) => match format {
                    Format::Jsonl => lines.check(&mut out),
                    Format::Csv => rows.finish(&mut out),
                },
                Err(Stop::Core(e)) => return Err(e),
                // Damaged compressed data, worded as the Python readers word it; the documents of the
                // chunks before the damage are no partial result.
                Err(Stop::Io(e)) => match compression {
                    Some(c) if e.kind() == std::io::ErrorKind::InvalidData => {
                        out.bad.push(BadRecord {
                            line: 0,
                            start: 0,
                            end: 0,
                            reason: Some((format!("{} data", c.name()), e.to_string())),
                        })
                    }
                    _ => return Err(io(e)),
                },
            }
            out.bom = held.bom;
            out.text = Some(Arc::new(match held.dropped() {
                true => Text::Again(ReadAgain::new(path, text_columns)),
                false => Text::Chunks(held),
            }));
            return Ok(out);
        }
    };
    let data: &[u8] = &mapped;
    out.bom = data.starts_with(BOM);
    let data = data.strip_prefix(BOM).unwrap_or(data);
    match format {
        Format::Jsonl => {
            let mut lines = Lines::default();
            read_jsonl(data, 0, &mut lines, spec, params, skip_bad, &mut out)?;
            lines.check(&mut out);
        }
        Format::Csv => {
            let mut rows = Rows::default();
            read_csv(data, 0, &mut rows, spec, params, skip_bad, &mut out)?;
            rows.finish(&mut out);
        }
    }
    Ok(out)
}

/// `data[from..]` cut at line ends into pieces of about `size` bytes, up to about `limit` bytes.
fn pieces(data: &[u8], from: usize, size: usize, limit: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = from;
    while start < data.len() && start - from < limit {
        let end = match memchr::memchr(b'\n', data.get(start + size..).unwrap_or_default()) {
            Some(at) => start + size + at + 1,
            None => data.len(),
        };
        out.push((start, end));
        start = end;
    }
    out
}

/// One piece's lines: `(line within the piece, 0-based; start; end; outcome)` of its non-blank lines,
/// and its line count.
type PieceLines<'a> = (Vec<(u64, usize, usize, Outcome<'a>)>, u64);

fn read_piece<'a>(data: &'a [u8], (from, to): (usize, usize), spec: &CorpusSpec) -> PieceLines<'a> {
    let mut out = Vec::with_capacity((to - from) / 512 + 1);
    let (mut at, mut line) = (from, 0u64);
    while at < to {
        let end = memchr::memchr(b'\n', &data[at..to]).map_or(to, |e| at + e + 1);
        if let Some(outcome) = jsonl_doc(&data[at..end], spec) {
            out.push((line, at, end, outcome));
        }
        line += 1;
        at = end;
    }
    (out, line)
}

/// Why a streamed read stopped: its text could not be read, or the pass failed.
enum Stop {
    Io(std::io::Error),
    Core(Error),
}

/// Where the reading of a JSON Lines text stands between its runs of lines.
#[derive(Default)]
struct Lines {
    /// Lines read so far.
    before: u64,
    /// Whether any of them was not blank.
    any: bool,
}

impl Lines {
    /// A text of blank lines only is no corpus.
    fn check(&self, out: &mut FileDocs) {
        if !self.any {
            out.bad.push(BadRecord {
                line: 0,
                start: 0,
                end: 0,
                reason: Some(("at least one JSON object".into(), "only blank lines".into())),
            });
        }
    }
}

/// Reads the documents of `data`, whole lines of a JSON Lines text that begin at its byte `base`;
/// whether to go on (false: a bad record stopped the pass).
fn read_jsonl(
    data: &[u8],
    base: u64,
    lines: &mut Lines,
    spec: &CorpusSpec,
    params: &Params,
    skip_bad: bool,
    out: &mut FileDocs,
) -> Result<bool> {
    let mut at = 0usize;
    while at < data.len() {
        let window = pieces(data, at, PIECE, WINDOW);
        at = window.last().map_or(data.len(), |&(_, end)| end);
        let parsed: Vec<PieceLines> = window
            .into_par_iter()
            .map(|piece| read_piece(data, piece, spec))
            .collect();
        let mut docs = Vec::new();
        for (piece, count) in parsed {
            for (line, start, end, outcome) in piece {
                lines.any = true;
                let number = lines.before + 1 + line;
                let (start, end) = (base + start as u64, base + end as u64);
                let reason = match outcome {
                    Outcome::Doc(d) => {
                        docs.push((number, start, end, d));
                        continue;
                    }
                    Outcome::Bad { expected, got } => Some((expected, got)),
                    Outcome::Unparsed => None,
                };
                let bad = BadRecord {
                    line: number,
                    start,
                    end,
                    reason,
                };
                if out.bad_record(bad, skip_bad) {
                    out.push(docs, params)?;
                    return Ok(false);
                }
            }
            lines.before += count;
        }
        out.push(docs, params)?;
    }
    Ok(true)
}

/// The CSV file as a whole cannot be read here: the Python reader words why.
fn csv_unreadable(out: &mut FileDocs, line: u64) {
    out.bad.push(BadRecord {
        line: 0,
        start: line,
        end: 0,
        reason: None,
    });
}

/// Where the reading of a CSV text stands between its chunks.
#[derive(Default)]
struct Rows {
    /// The header's layout, once the first chunk is read.
    layout: Option<CsvLayout>,
    /// Lines read so far (the header's included).
    before: u64,
    /// Whether a bad or unreadable row stopped the pass.
    stopped: bool,
}

impl Rows {
    /// After the last chunk: the layout the second pass reads rows by, or, when no chunk came (an empty
    /// text), the text is no table.
    fn finish(&mut self, out: &mut FileDocs) {
        match (self.stopped, self.layout.take()) {
            (true, _) => {}
            (false, None) => csv_unreadable(out, 0),
            (false, layout) => out.csv = layout,
        }
    }
}

/// The delimiter of a CSV text starting with `data`: the one named, else the most frequent of comma,
/// semicolon and tab in the header row's first line, as `neardup diff` reads CSV.
fn csv_delimiter(data: &[u8]) -> u8 {
    csv_table::sniff_delimiter(&data[..memchr::memchr(b'\n', data).unwrap_or(data.len())])
}

/// Reads the documents of `data`, whole rows of a CSV text (no BOM) that begin at its byte `base` (the
/// first chunk holds the header), as `neardup diff` reads its rows ([`csv_table::table`]): cut into pieces
/// at row ends, the pieces parsed in parallel a window at a time, the documents taken in file order.
/// Whether to go on (false: a bad or unreadable row stopped the pass).
fn read_csv(
    data: &[u8],
    base: u64,
    rows: &mut Rows,
    spec: &CorpusSpec,
    params: &Params,
    skip_bad: bool,
    out: &mut FileDocs,
) -> Result<bool> {
    let mut unreadable = |out: &mut FileDocs, line| {
        csv_unreadable(out, line);
        rows.stopped = true;
        Ok(false)
    };
    let text = match simdutf8::basic::from_utf8(data) {
        Ok(text) if memchr::memchr(0, data).is_none() => text,
        _ => return unreadable(out, 0),
    };
    let pieces = match &rows.layout {
        None => {
            let delimiter = spec.delimiter.unwrap_or_else(|| csv_delimiter(data));
            let Some(table) = csv_table::table(text, delimiter, PIECE) else {
                return unreadable(out, 0);
            };
            out.header_end = base + table.body_start as u64;
            rows.before = table.header_lines;
            rows.layout = Some(CsvLayout::new(delimiter, table.header));
            table.body
        }
        Some(layout) => match csv_table::pieces(data, layout.delimiter, PIECE) {
            Some(pieces) => pieces,
            None => return unreadable(out, 0),
        },
    };
    let layout = rows.layout.as_ref().expect("set from the first chunk");
    for window in pieces.chunks(WINDOW / PIECE) {
        let parsed: Vec<CsvPiece> = window
            .par_iter()
            .map(|piece| csv_piece(text, piece.clone(), layout, spec))
            .collect();
        let mut docs = Vec::new();
        for (piece_rows, newlines) in parsed {
            for (line, start, end, outcome) in piece_rows {
                let (line, start, end) = (rows.before + line, base + start, base + end);
                let reason = match outcome {
                    Outcome::Doc(d) => {
                        docs.push((line, start, end, d));
                        continue;
                    }
                    Outcome::Bad { expected, got } => (expected, got),
                    Outcome::Unparsed => {
                        csv_unreadable(out, line);
                        rows.stopped = true;
                        return Ok(false);
                    }
                };
                let bad = BadRecord {
                    line,
                    start,
                    end,
                    reason: Some(reason),
                };
                if out.bad_record(bad, skip_bad) {
                    rows.stopped = true;
                    out.push(docs, params)?;
                    return Ok(false);
                }
            }
            rows.before += newlines;
        }
        out.push(docs, params)?;
    }
    Ok(true)
}

/// The rows of a piece (line from 1 at the piece's start, start and end bytes, outcome) and its line ends.
type CsvPiece<'a> = (Vec<(u64, u64, u64, Outcome<'a>)>, u64);

fn csv_piece<'a>(
    text: &'a str,
    piece: std::ops::Range<usize>,
    layout: &'a CsvLayout,
    spec: &CorpusSpec,
) -> CsvPiece<'a> {
    let mut rows = Vec::with_capacity(piece.len() / 512 + 1);
    let newlines = csv_table::for_each_row(text, piece, layout.delimiter, |line, at, cells| {
        let outcome = csv_row(text, cells, layout, spec);
        rows.push((line, at.start as u64, at.end as u64, outcome));
        Some(())
    });
    (rows, newlines.unwrap_or_default())
}

/// The outcome of one CSV row: its cells borrowed from `text` where they lie as they read, copied
/// when they hold `""` escapes.
fn csv_row<'a>(
    text: &'a str,
    cells: &[csv_table::Cell],
    layout: &'a CsvLayout,
    spec: &CorpusSpec,
) -> Outcome<'a> {
    if cells.len() != layout.width() {
        return Outcome::Bad {
            expected: format!("a row of {} fields like the header", layout.width()),
            got: format!("{} fields", cells.len()),
        };
    }
    if let Some(borrowed) = cells
        .iter()
        .map(|c| c.as_str(text))
        .collect::<Option<Vec<_>>>()
    {
        return csv_doc(layout, &borrowed, spec);
    }
    let copied: Vec<String> = cells.iter().map(|c| c.text(text).into_owned()).collect();
    let refs: Vec<&str> = copied.iter().map(String::as_str).collect();
    match csv_doc(layout, &refs, spec) {
        Outcome::Doc(d) => Outcome::Doc(owned(d)),
        Outcome::Bad { expected, got } => Outcome::Bad { expected, got },
        Outcome::Unparsed => Outcome::Unparsed,
    }
}

fn owned(d: Doc<'_>) -> Doc<'static> {
    Doc {
        text: Cow::Owned(d.text.into_owned()),
        id: d.id.map(|s| Cow::Owned(s.into_owned())),
        title: d.title.map(|s| Cow::Owned(s.into_owned())),
        rank: d.rank,
    }
}

/// Where a second pass reads a file's text.
enum Reading<'t> {
    /// Contiguous bytes (after a BOM).
    Flat(&'t [u8]),
    Chunks(&'t HeldText),
}

impl Reading<'_> {
    /// The bytes from `start` on (at least to the end of the record there).
    fn from(&self, start: u64) -> Option<&[u8]> {
        match self {
            Reading::Flat(data) => data.get(usize::try_from(start).ok()?..),
            Reading::Chunks(held) => held.from(start),
        }
    }
}

/// The text of `file` for a second pass: the text kept by the first pass, else the file mapped again
/// (an error when it changed since).
fn reading(file: &FileDocs) -> Result<(Option<Mapped>, Option<Arc<Text>>)> {
    if let Some(text) = &file.text {
        return Ok((None, Some(text.clone())));
    }
    if stamp(&file.path) != file.stamp {
        return Err(changed(file));
    }
    let mapped = map(&file.path).map_err(|e| io_error(&file.path, e))?;
    Ok((Some(mapped), None))
}

fn flat(data: &[u8]) -> Reading<'_> {
    Reading::Flat(data.strip_prefix(BOM).unwrap_or(data))
}

fn changed(file: &FileDocs) -> Error {
    invalid(
        "path",
        format!(
            "{}: the file changed while it was read",
            file.path.display()
        ),
    )
}

/// The document of the record at the start of `rest` (which holds at least the whole record).
fn doc_at<'r>(file: &FileDocs, spec: &CorpusSpec, rest: &'r [u8]) -> Result<Doc<'r>> {
    let changed = || changed(file);
    match (&file.format, &file.csv) {
        (Format::Jsonl, _) => {
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |e| e + 1);
            match jsonl_doc(&rest[..end], spec) {
                Some(Outcome::Doc(d)) => Ok(d),
                _ => Err(changed()),
            }
        }
        (Format::Csv, Some(layout)) => {
            let mut cells = Vec::new();
            let end = csv_table::row_at(rest, layout.delimiter, &mut cells).ok_or_else(changed)?;
            let text = std::str::from_utf8(&rest[..end]).map_err(|_| changed())?;
            match csv_row(text, &cells, layout, spec) {
                Outcome::Doc(d) => Ok(owned(d)),
                _ => Err(changed()),
            }
        }
        (Format::Csv, None) => Err(changed()),
    }
}

/// A document's text and title.
type TextAndTitle = (String, Option<String>);

/// The texts and titles of some documents of a file read by [`read_file`] (`docs`: their numbers in
/// the file), read again from the file (or the text kept of it), in parallel.
pub fn reread(
    file: &FileDocs,
    spec: &CorpusSpec,
    docs: &[usize],
) -> Result<Vec<(String, Option<String>)>> {
    let text_of = |d: Doc<'_>| (d.text.into_owned(), d.title.map(Cow::into_owned));
    if let Some(Text::Again(again)) = file.text.as_deref() {
        let mut out: Vec<Option<TextAndTitle>> = vec![None; docs.len()];
        for_spans_again(file, again, docs, |found| {
            let parsed: Vec<(usize, Result<TextAndTitle>)> = found
                .into_par_iter()
                .with_min_len(64)
                .map(|(k, bytes)| (k, doc_at(file, spec, bytes).map(text_of)))
                .collect();
            for (k, doc) in parsed {
                out[k] = Some(doc?);
            }
            Ok(())
        })?;
        return out
            .into_iter()
            .map(|d| d.ok_or_else(|| changed(file)))
            .collect();
    }
    let (mapped, text) = reading(file)?;
    let source = match (&mapped, text.as_deref()) {
        (Some(m), _) => flat(m),
        (None, Some(Text::Chunks(held))) => Reading::Chunks(held),
        (None, Some(Text::Again(_)) | None) => unreachable!("reading gives a text or a mapping"),
    };
    let changed = || changed(file);
    docs.par_iter()
        .with_min_len(64)
        .map(|&i| {
            let start = *file.starts.get(i).ok_or_else(changed)?;
            let rest = source.from(start).ok_or_else(changed)?;
            doc_at(file, spec, rest).map(text_of)
        })
        .collect()
}

/// Reads the records of documents `docs` of `file` again from its compressed text (one pass, in file
/// order), handing `each` the `(position in docs, record bytes)` of a run of them at a time.
fn for_spans_again(
    file: &FileDocs,
    again: &ReadAgain,
    docs: &[usize],
    each: impl FnMut(Vec<(usize, &[u8])>) -> Result<()>,
) -> Result<()> {
    let span = |i: usize| Some((*file.starts.get(i)?, *file.ends.get(i)?));
    let mut order: Vec<(u64, u64, usize)> = Vec::with_capacity(docs.len());
    for (k, &d) in docs.iter().enumerate() {
        let (start, end) = span(d).ok_or_else(|| changed(file))?;
        order.push((start, end, k));
    }
    order.sort_unstable();
    spans_again(file, again, &order, each)
}

/// [`ReadAgain::spans`] over `(start, end, tag)` spans sorted by start (a repeated span read once per
/// tag), erring when the file changed since the first pass.
fn spans_again(
    file: &FileDocs,
    again: &ReadAgain,
    order: &[(u64, u64, usize)],
    mut each: impl FnMut(Vec<(usize, &[u8])>) -> Result<()>,
) -> Result<()> {
    if stamp(&file.path) != file.stamp {
        return Err(changed(file));
    }
    // Equal spans (a record asked for twice) are read once and handed to each tag.
    let mut distinct: Vec<(u64, u64)> = order.iter().map(|&(s, e, _)| (s, e)).collect();
    distinct.dedup();
    let mut tags_at = 0usize;
    let complete = again.spans(
        &distinct,
        |e| io_error(&file.path, e),
        |first, run| {
            let mut found = Vec::with_capacity(run.len());
            for (j, bytes) in run.into_iter().enumerate() {
                let span = distinct[first + j];
                while tags_at < order.len() && (order[tags_at].0, order[tags_at].1) == span {
                    found.push((order[tags_at].2, bytes));
                    tags_at += 1;
                }
            }
            each(found)
        },
    )?;
    match complete {
        true => Ok(()),
        false => Err(changed(file)),
    }
}

/// The bytes `start..end` (offsets after a BOM, as [`FileDocs::starts`]) of each span of the text the
/// first pass kept of `file` (records, the CSV header), or None when it kept none (a plain file, read
/// in place: read it there).
pub fn kept_spans<'f>(
    file: &'f FileDocs,
    spans: &[(u64, u64)],
) -> Option<Result<Vec<Cow<'f, [u8]>>>> {
    let text = file.text.as_deref()?;
    let not_read = |span: &(u64, u64)| {
        invalid(
            "spans",
            format!("{span:?} is not a record of the text read"),
        )
    };
    if let Text::Again(again) = text {
        let mut order: Vec<(u64, u64, usize)> = spans
            .iter()
            .enumerate()
            .map(|(k, &(s, e))| (s, e, k))
            .collect();
        order.sort_unstable();
        let mut out: Vec<Option<Vec<u8>>> = vec![None; spans.len()];
        let read = spans_again(file, again, &order, |found| {
            for (k, bytes) in found {
                out[k] = Some(bytes.to_vec());
            }
            Ok(())
        });
        return Some(read.and_then(|()| {
            out.into_iter()
                .zip(spans)
                .map(|(b, span)| b.map(Cow::Owned).ok_or_else(|| not_read(span)))
                .collect()
        }));
    }
    let get = |&(start, end): &(u64, u64)| -> Option<&'f [u8]> {
        match text {
            Text::Chunks(held) => held.get(start, end),
            Text::Again(_) => None,
        }
    };
    Some(
        spans
            .iter()
            .map(|span| get(span).map(Cow::Borrowed).ok_or_else(|| not_read(span)))
            .collect(),
    )
}

// ---- clustering ------------------------------------------------------------------------------------------

/// Why a document was dropped.
pub const STAGE_NONE: u8 = 0;
pub const STAGE_EXACT: u8 = 1;
pub const STAGE_NEAR: u8 = 2;

/// The outcome of a run, per document (input order across parts) and per cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dedup {
    /// Clusters of two or more documents, members ascending, ordered by their first member.
    pub clusters: Vec<Vec<u64>>,
    /// Each cluster's kept member.
    pub kept: Vec<u64>,
    /// For each document: the kept member that replaced it, or `u64::MAX` when it is kept.
    pub replaced_by: Vec<u64>,
    /// For each document: [`STAGE_EXACT`] or [`STAGE_NEAR`] when dropped, else [`STAGE_NONE`].
    pub stage: Vec<u8>,
    /// For each dropped document: the exact shingle Jaccard to its kept member (else 1.0).
    pub similarity: Vec<f32>,
}

/// Orders documents by the keep policy: the preferred first.
fn preference<'c>(
    keep: Keep,
    lengths: &'c [u64],
    ranks: &'c [f64],
) -> impl Fn(&u64, &u64) -> std::cmp::Ordering + 'c {
    move |&a, &b| {
        let by = match keep {
            Keep::First => std::cmp::Ordering::Equal,
            Keep::Longest => lengths[b as usize].cmp(&lengths[a as usize]),
            Keep::Rank => {
                let (ra, rb) = (ranks[a as usize], ranks[b as usize]);
                match (ra.is_nan(), rb.is_nan()) {
                    (false, false) => rb.total_cmp(&ra),
                    (a_nan, b_nan) => a_nan.cmp(&b_nan),
                }
            }
        };
        by.then(a.cmp(&b))
    }
}

/// Bucket members whose texts are read, shingled and settled together: their texts are alive only
/// meanwhile, and the shingle sets of a candidate group only until its last member is read.
const MEMBERS_AT_ONCE: usize = 1 << 14;

/// Deduplicates the documents of `parts` (their columns, concatenated in order). `texts` gives the
/// texts of some documents (global numbers, ascending), in that order; it is asked for the bucket
/// members in ascending runs, so a file is read again in one pass.
///
/// Everything after the band keys is local to a *candidate group*: the documents connected through
/// shared buckets (exact copies share every bucket, and only bucket pairs are verified, so exact groups,
/// near clusters, stars and similarities never reach across two groups). Members are read in ascending
/// runs of [`MEMBERS_AT_ONCE`]; a group is settled as soon as its last member is read, and its shingle
/// sets dropped. Memory beyond the keys holds the buckets and the sets of the groups still open (in a
/// corpus whose copies lie near their originals, a few runs' worth), never every member's text and set.
pub fn dedup<F, T>(parts: &[&Columns], params: &Params, texts: F) -> Result<Dedup>
where
    F: Fn(&[u64]) -> Result<Vec<T>> + Sync,
    T: AsRef<str> + Sync,
{
    dedup_in_runs(parts, params, texts, MEMBERS_AT_ONCE)
}

fn dedup_in_runs<F, T>(parts: &[&Columns], params: &Params, texts: F, run: usize) -> Result<Dedup>
where
    F: Fn(&[u64]) -> Result<Vec<T>> + Sync,
    T: AsRef<str> + Sync,
{
    check_params(params)?;
    let n: usize = parts.iter().map(|c| c.len()).sum();
    // Only the policy that looks at lengths or ranks needs them as one column.
    let column = |take: fn(&Columns) -> &[u64]| -> Vec<u64> {
        parts.iter().flat_map(|c| take(c).iter().copied()).collect()
    };
    let lengths: Vec<u64> = match params.keep {
        Keep::Longest => column(|c| &c.lengths),
        _ => Vec::new(),
    };
    let ranks: Vec<f64> = match params.keep {
        // A part read under another policy has no ranks: its documents rank last.
        Keep::Rank => parts
            .iter()
            .flat_map(|c| match c.ranks.len() == c.len() {
                true => c.ranks.clone(),
                false => vec![f64::NAN; c.len()],
            })
            .collect(),
        _ => Vec::new(),
    };
    let prefer = preference(params.keep, &lengths, &ranks);
    let mut out = Dedup {
        replaced_by: vec![u64::MAX; n],
        stage: vec![STAGE_NONE; n],
        similarity: vec![1.0; n],
        ..Dedup::default()
    };
    if params.exact_only() {
        let digests: Vec<u128> = parts
            .iter()
            .flat_map(|c| c.digests.iter().copied())
            .collect();
        exact_stage(
            &(0..n as u64).collect::<Vec<u64>>(),
            &digests,
            &prefer,
            &mut out,
        );
    } else {
        let banding = params.banding()?;
        let blocks: Vec<(&[u64], &[bool])> =
            parts.iter().map(|c| (&c.keys[..], &c.empty[..])).collect();
        let buckets = Buckets::from_blocks(&blocks, banding.bands)?;
        let groups = Groups::of(&buckets);
        let mut open: std::collections::HashMap<u64, (Vec<u64>, u128)> = Default::default();
        let (mut settled_buckets, mut settled_members) = (0usize, 0usize);
        for (from, chunk) in groups.members.chunks(run.max(1)).enumerate() {
            let read = texts(chunk)?;
            if read.len() != chunk.len() {
                return Err(invalid("texts", "one text per document asked for"));
            }
            let sets: Vec<(Vec<u64>, u128)> = read
                .par_iter()
                .with_min_len(16)
                .map(|t| (params.shingles.shingle_set(t.as_ref()), digest(t.as_ref())))
                .collect();
            drop(read);
            open.extend(chunk.iter().copied().zip(sets));
            // The groups whose last member was in this run.
            let end = from * run.max(1) + chunk.len();
            let closed = groups.closed_before(end);
            let closing = &groups.by_close[settled_members..closed];
            settled_members = closed;
            let bucket_end = settled_buckets
                + groups.bucket_order[settled_buckets..]
                    .partition_point(|&b| groups.last_of_bucket[b as usize] < end as u64);
            let mut docs: Vec<u64> = closing
                .iter()
                .map(|&m| groups.members[m as usize])
                .collect();
            docs.sort_unstable();
            let mut store = SetStore {
                ids: docs.clone(),
                offsets: Vec::with_capacity(docs.len() + 1),
                values: Vec::new(),
            };
            store.offsets.push(0);
            let mut digests = Vec::with_capacity(docs.len());
            for d in &docs {
                let (set, dg) = open
                    .remove(d)
                    .ok_or_else(|| invalid("texts", "a member was not read"))?;
                store.values.extend_from_slice(&set);
                store.offsets.push(store.values.len() as u64);
                digests.push(dg);
            }
            let mut offsets = vec![0u64];
            let mut bucket_docs = Vec::new();
            for &b in &groups.bucket_order[settled_buckets..bucket_end] {
                bucket_docs.extend_from_slice(buckets.get(b as usize));
                offsets.push(bucket_docs.len() as u64);
            }
            settled_buckets = bucket_end;
            let part = Buckets::new(offsets, bucket_docs)?;
            settle(&docs, &store, &digests, &part, params, &prefer, &mut out)?;
        }
    }
    // Clusters: every kept document with what it replaced.
    let mut groups: std::collections::HashMap<u64, Vec<u64>> = Default::default();
    for (d, &r) in out.replaced_by.iter().enumerate() {
        if r != u64::MAX {
            groups.entry(r).or_insert_with(|| vec![r]).push(d as u64);
        }
    }
    let mut clusters: Vec<(u64, Vec<u64>)> = groups.into_iter().collect();
    for (_, c) in &mut clusters {
        c.sort_unstable();
    }
    clusters.sort_unstable_by_key(|(_, c)| c[0]);
    out.kept = clusters.iter().map(|&(k, _)| k).collect();
    out.clusters = clusters.into_iter().map(|(_, c)| c).collect();
    Ok(out)
}

/// The candidate groups of the bucket members: documents connected through shared buckets.
struct Groups {
    /// Every bucket member, ascending.
    members: Vec<u64>,
    /// Member positions ordered by the position of their group's last member (then by position).
    by_close: Vec<u32>,
    /// For each member position, the position of its group's last member.
    last: Vec<u32>,
    /// Buckets ordered by the position of their group's last member.
    bucket_order: Vec<u32>,
    /// For each bucket, the position of its group's last member.
    last_of_bucket: Vec<u64>,
}

impl Groups {
    fn of(buckets: &Buckets) -> Groups {
        let members = buckets.members();
        let at = |d: u64| members.partition_point(|&x| x < d) as u32;
        let mut uf = super::UnionFind::new(members.len());
        for b in buckets.iter() {
            let first = at(b[0]);
            for &d in &b[1..] {
                uf.union(first, at(d));
            }
        }
        let mut last_of_root = vec![0u32; members.len()];
        for i in 0..members.len() as u32 {
            let r = uf.find(i) as usize;
            last_of_root[r] = last_of_root[r].max(i);
        }
        let last: Vec<u32> = (0..members.len() as u32)
            .map(|i| last_of_root[uf.find(i) as usize])
            .collect();
        let mut by_close: Vec<u32> = (0..members.len() as u32).collect();
        by_close.sort_unstable_by_key(|&i| (last[i as usize], i));
        let last_of_bucket: Vec<u64> = buckets
            .iter()
            .map(|b| last[at(b[0]) as usize] as u64)
            .collect();
        let mut bucket_order: Vec<u32> = (0..buckets.len() as u32).collect();
        bucket_order.sort_unstable_by_key(|&b| (last_of_bucket[b as usize], b));
        Groups {
            members,
            by_close,
            last,
            bucket_order,
            last_of_bucket,
        }
    }

    /// How many of `by_close` belong to groups whose last member is before position `end`.
    fn closed_before(&self, end: usize) -> usize {
        self.by_close
            .partition_point(|&i| (self.last[i as usize] as usize) < end)
    }
}

/// Exact groups among `members` (digest 0: no words, nobody's duplicate): each keeps its preferred
/// member and drops the others.
fn exact_stage(
    members: &[u64],
    digests: &[u128],
    prefer: &(dyn Fn(&u64, &u64) -> std::cmp::Ordering + Sync),
    out: &mut Dedup,
) {
    let mut by_digest: Vec<(u128, u64)> = members
        .iter()
        .zip(digests)
        .filter(|(_, &d)| d != 0)
        .map(|(&m, &d)| (d, m))
        .collect();
    by_digest.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| prefer(&a.1, &b.1)));
    for run in by_digest.chunk_by(|a, b| a.0 == b.0) {
        if run.len() > 1 {
            let kept = run[0].1;
            for &(_, d) in &run[1..] {
                out.replaced_by[d as usize] = kept;
                out.stage[d as usize] = STAGE_EXACT;
            }
        }
    }
}

/// Settles whole candidate groups: `docs` (ascending) are all their members, `sets` and `digests`
/// theirs, `buckets` all their buckets. Exact copies first, then near clusters among the rest, then
/// the exact copies of a member dropped as a near duplicate follow it to its keeper.
fn settle(
    docs: &[u64],
    sets: &SetStore,
    digests: &[u128],
    buckets: &Buckets,
    params: &Params,
    prefer: &(dyn Fn(&u64, &u64) -> std::cmp::Ordering + Sync),
    out: &mut Dedup,
) -> Result<()> {
    // Equal texts have equal shingle sets: only members sharing their set with another one can be
    // exact duplicates.
    let mut set_hash: Vec<(u64, u32)> = (0..docs.len())
        .into_par_iter()
        .with_min_len(256)
        .map(|i| {
            let v = &sets.values[sets.offsets[i] as usize..sets.offsets[i + 1] as usize];
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            (xxh3_64(&bytes), i as u32)
        })
        .collect();
    set_hash.par_sort_unstable();
    let mut shared = vec![false; docs.len()];
    for run in set_hash.chunk_by(|a, b| a.0 == b.0) {
        if run.len() > 1 {
            for &(_, i) in run {
                shared[i as usize] = true;
            }
        }
    }
    let digests: Vec<u128> = digests
        .iter()
        .zip(&shared)
        .map(|(&d, &s)| if s { d } else { 0 })
        .collect();
    exact_stage(docs, &digests, prefer, out);
    let near = near_clusters(buckets, sets, &out.stage, params, prefer)?;
    for cluster in &near {
        // cluster[0] is the kept one (preference order)
        let kept = cluster[0];
        let kept_set = set_of(sets, kept);
        for &d in &cluster[1..] {
            out.replaced_by[d as usize] = kept;
            out.stage[d as usize] = STAGE_NEAR;
            out.similarity[d as usize] = jaccard_sorted(kept_set, set_of(sets, d)) as f32;
        }
    }
    // Documents dropped as exact copies of a member that the near stage dropped follow it to its keeper.
    for &d in docs {
        let d = d as usize;
        let mut r = out.replaced_by[d];
        while r != u64::MAX && out.replaced_by[r as usize] != u64::MAX {
            r = out.replaced_by[r as usize];
        }
        if r != u64::MAX && out.stage[d] == STAGE_EXACT {
            out.replaced_by[d] = r;
            out.similarity[d] = jaccard_sorted(set_of(sets, r), set_of(sets, d as u64)) as f32;
        }
    }
    Ok(())
}

fn set_of(sets: &SetStore, doc: u64) -> &[u64] {
    let i = sets.ids.partition_point(|&x| x < doc);
    &sets.values[sets.offsets[i] as usize..sets.offsets[i + 1] as usize]
}

/// Near clusters among the documents not dropped as exact copies, each in preference order.
fn near_clusters(
    buckets: &Buckets,
    sets: &SetStore,
    stage: &[u8],
    params: &Params,
    prefer: &(dyn Fn(&u64, &u64) -> std::cmp::Ordering + Sync),
) -> Result<Vec<Vec<u64>>> {
    // Buckets without the exact copies.
    let mut offsets = vec![0u64];
    let mut docs = Vec::new();
    for b in buckets.iter() {
        let before = docs.len();
        docs.extend(
            b.iter()
                .copied()
                .filter(|&d| stage[d as usize] == STAGE_NONE),
        );
        if docs.len() - before < 2 {
            docs.truncate(before);
        } else {
            offsets.push(docs.len() as u64);
        }
    }
    let buckets = Buckets::new(offsets, docs)?;
    let forest = verify::cluster_buckets(&buckets, &sets.view(), params.threshold)?;
    let components = verify::components(&forest)?;
    let mut out: Vec<Vec<u64>> = components
        .into_par_iter()
        .flat_map_iter(|mut c| {
            c.sort_unstable_by(prefer);
            if !params.star {
                return vec![c];
            }
            // Stars: the preferred remaining member keeps every remaining one within the threshold.
            let mut stars = Vec::new();
            let mut left = c;
            while left.len() > 1 {
                let center = left[0];
                let cs = set_of(sets, center);
                let (star, rest): (Vec<u64>, Vec<u64>) =
                    left.into_iter().enumerate().partition_map_like(|(i, d)| {
                        *i == 0 || jaccard_sorted(cs, set_of(sets, *d)) >= params.threshold
                    });
                if star.len() > 1 {
                    stars.push(star);
                }
                left = rest;
            }
            stars
        })
        .collect();
    out.sort_unstable_by_key(|c| c.iter().copied().min());
    Ok(out)
}

/// Splits enumerated items by a predicate, keeping their order and dropping the index.
trait PartitionMapLike<T> {
    fn partition_map_like(self, f: impl Fn(&(usize, T)) -> bool) -> (Vec<T>, Vec<T>);
}

impl<T, I: Iterator<Item = (usize, T)>> PartitionMapLike<T> for I {
    fn partition_map_like(self, f: impl Fn(&(usize, T)) -> bool) -> (Vec<T>, Vec<T>) {
        let (mut yes, mut no) = (Vec::new(), Vec::new());
        for item in self {
            if f(&item) {
                yes.push(item.1);
            } else {
                no.push(item.1);
            }
        }
        (yes, no)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::Scheme;
    use crate::text::shingle::Unit;

    fn params(threshold: f64, keep: Keep, star: bool) -> Params {
        let shingles = ShingleConfig::new(3, Unit::Word, true, 1).unwrap();
        Params {
            shingles,
            hasher: MinHasher::new(128, shingles, Scheme::Oph).unwrap(),
            threshold,
            keep,
            star,
        }
    }

    fn run(texts: &[String], p: &Params) -> Dedup {
        let c = columns_of_texts(texts, p).unwrap();
        dedup(&[&c], p, |ids| {
            Ok(ids.iter().map(|&i| texts[i as usize].clone()).collect())
        })
        .unwrap()
    }

    fn words(n: usize, seed: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("w{}", (i * 7919 + seed * 104729) % 100003))
            .collect()
    }

    #[test]
    fn exact_copies_are_dropped_before_near_ones() {
        let base = words(60, 1);
        let mut edited = base.clone();
        edited[30] = "changed".into();
        let texts = vec![
            base.join(" "),
            words(60, 2).join(" "),
            base.join(" ").to_uppercase() + " !!",
            edited.join(" "),
        ];
        let out = run(&texts, &params(0.8, Keep::First, false));
        assert_eq!(out.clusters, vec![vec![0, 2, 3]]);
        assert_eq!(
            out.stage,
            vec![STAGE_NONE, STAGE_NONE, STAGE_EXACT, STAGE_NEAR]
        );
        assert_eq!(out.replaced_by[2], 0);
        assert_eq!(out.replaced_by[3], 0);
        assert!(out.similarity[3] < 1.0 && out.similarity[3] >= 0.8);
    }

    #[test]
    fn keep_longest_keeps_the_longest_member() {
        let base = words(60, 3);
        let texts = vec![base[..58].join(" "), base.join(" "), words(40, 4).join(" ")];
        let out = run(&texts, &params(0.8, Keep::Longest, false));
        assert_eq!(out.kept, vec![1]);
        assert_eq!(out.replaced_by[0], 1);
    }

    #[test]
    fn star_clusters_keep_every_dropped_member_within_the_threshold() {
        // a chain: 0 ~ 1 ~ 2 with 0 and 2 farther apart than the threshold
        let base = words(100, 5);
        let mut b = base.clone();
        for w in b.iter_mut().take(8) {
            *w = "x".to_owned() + w;
        }
        let mut c = b.clone();
        for w in c.iter_mut().skip(50).take(8) {
            *w = "y".to_owned() + w;
        }
        let texts = vec![base.join(" "), b.join(" "), c.join(" ")];
        let p = params(0.75, Keep::First, false);
        let chained = run(&texts, &p);
        assert_eq!(chained.clusters, vec![vec![0, 1, 2]]);
        let star = run(&texts, &params(0.75, Keep::First, true));
        for (d, &r) in star.replaced_by.iter().enumerate() {
            if r != u64::MAX {
                assert!(star.similarity[d] >= 0.75, "{d} replaced by {r}");
            }
        }
        assert_eq!(star.clusters, vec![vec![0, 1]]);
    }

    /// Families of edited copies (some verbatim, some chained copies of copies) scattered over the
    /// corpus among distinct documents, so that candidate groups straddle the runs in which members
    /// are read.
    fn families(n: usize) -> Vec<String> {
        let mut texts: Vec<String> = (0..n).map(|i| words(40, 1000 + i).join(" ")).collect();
        for f in 0..n / 10 {
            let base = words(40 + f % 20, f);
            let mut copy = base.clone();
            for (k, at) in [(f * 7919) % n, (f * 104_729 + 3) % n, (f * 31 + n / 2) % n]
                .into_iter()
                .enumerate()
            {
                if k > 0 {
                    let len = copy.len();
                    copy[(k * 13 + f) % len] = format!("edit{k}");
                }
                texts[at] = match (f + k) % 4 {
                    0 => base.join(" ").to_uppercase(),
                    _ => copy.join(" "),
                };
            }
        }
        texts
    }

    #[test]
    fn members_read_in_short_runs_settle_as_in_one() {
        let texts = families(600);
        for (keep, star) in [
            (Keep::First, false),
            (Keep::Longest, true),
            (Keep::First, true),
        ] {
            let p = params(0.8, keep, star);
            let c = columns_of_texts(&texts, &p).unwrap();
            let asked = std::sync::Mutex::new(Vec::new());
            let get = |ids: &[u64]| {
                asked.lock().unwrap().push(ids.to_vec());
                Ok(ids
                    .iter()
                    .map(|&i| texts[i as usize].clone())
                    .collect::<Vec<_>>())
            };
            let whole = dedup_in_runs(&[&c], &p, get, usize::MAX).unwrap();
            assert!(whole.clusters.len() > 30, "{}", whole.clusters.len());
            assert!(whole.stage.contains(&STAGE_EXACT) && whole.stage.contains(&STAGE_NEAR));
            for run in [1, 7, 64] {
                asked.lock().unwrap().clear();
                assert_eq!(
                    dedup_in_runs(&[&c], &p, get, run).unwrap(),
                    whole,
                    "run {run}"
                );
                // Ascending runs of at most `run` members, each member once.
                let calls = asked.lock().unwrap();
                assert!(calls.iter().all(|c| c.len() <= run));
                let flat: Vec<u64> = calls.iter().flatten().copied().collect();
                assert!(flat.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }

    #[test]
    fn threshold_one_groups_equal_normalised_texts() {
        let texts: Vec<String> = ["A b, c", "a  B c!", "a b d", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let out = run(&texts, &params(1.0, Keep::First, false));
        assert_eq!(out.clusters, vec![vec![0, 1]]);
        assert_eq!(out.stage[1], STAGE_EXACT);
    }

    fn spec() -> CorpusSpec {
        CorpusSpec::default()
    }

    /// `read_file` of a JSON Lines corpus with the default spec and held-text budget.
    fn jsonl_docs(path: &Path, p: &Params, skip_bad: bool) -> FileDocs {
        read_file(
            path,
            Format::Jsonl,
            &spec(),
            p,
            skip_bad,
            &Budget::default(),
        )
        .unwrap()
    }

    /// A JSON Lines text several decompression chunks long, a BOM in front, blank lines here and there,
    /// records with and without ids, repeats (so that the second pass has members to read), and
    /// `bad` before record `at` when given.
    fn corpus_text(bad: Option<(&str, usize)>) -> Vec<u8> {
        let mut data = BOM.to_vec();
        for i in 0..44_000usize {
            if i % 101 == 7 {
                data.extend_from_slice(b" \n");
            }
            if let Some((bad, at)) = bad {
                if i == at {
                    data.extend_from_slice(bad.as_bytes());
                    data.push(b'\n');
                }
            }
            let body = words(30 + i % 50, i % 9000).join(" ");
            let line = match i % 3 {
                0 => format!(
                    "{{\"id\": \"d{i}\", \"title\": \"T{}\", \"abstract\": \"{body}\"}}\n",
                    i % 9000
                ),
                _ => format!("{{\"text\": \"{body}\", \"n\": {i}}}\n"),
            };
            data.extend_from_slice(line.as_bytes());
        }
        data
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn written(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        fs::write(&path, data).unwrap();
        path
    }

    #[test]
    fn a_compressed_file_reads_as_the_plain_one_and_is_read_again_from_what_was_kept() {
        let data = corpus_text(None);
        assert!(data.len() > 3 * streamed::CHUNK);
        let dir = tempfile::tempdir().unwrap();
        let plain = written(&dir, "c.jsonl", &data);
        let packed = written(&dir, "c.jsonl.gz", &gzip(&data));
        let p = params(1.0, Keep::First, false);
        let a = jsonl_docs(&plain, &p, false);
        let b = jsonl_docs(&packed, &p, false);
        assert!(a.bad.is_empty() && b.bad.is_empty());
        assert_eq!(a.lines.len(), 44_000);
        assert!(a.lines[43_999] > 44_000);
        assert_eq!(
            (&a.lines, &a.starts, &a.ends),
            (&b.lines, &b.starts, &b.ends)
        );
        assert_eq!(
            (&a.id_bytes, &a.id_ends, &a.has_id),
            (&b.id_bytes, &b.id_ends, &b.has_id)
        );
        assert_eq!(
            (&a.columns.keys, &a.columns.lengths),
            (&b.columns.keys, &b.columns.lengths)
        );
        assert!(a.bom && b.bom && a.text.is_none() && b.text.is_some());
        // The second pass reads the kept text: the file may even be gone.
        fs::remove_file(&packed).unwrap();
        let docs: Vec<usize> = (0..44_000).step_by(997).collect();
        assert_eq!(
            reread(&b, &spec(), &docs).unwrap(),
            reread(&a, &spec(), &docs).unwrap()
        );
        let spans: Vec<(u64, u64)> = docs.iter().map(|&d| (b.starts[d], b.ends[d])).collect();
        let kept = kept_spans(&b, &spans).unwrap().unwrap();
        for (bytes, &(start, end)) in kept.iter().zip(&spans) {
            assert_eq!(*bytes, &data[BOM.len()..][start as usize..end as usize]);
        }
        assert!(kept_spans(&a, &spans).is_none());
        assert!(kept_spans(&b, &[(0, data.len() as u64)]).unwrap().is_err());
    }

    #[test]
    fn a_compressed_file_too_long_to_hold_is_decompressed_again_not_spilled() {
        let data = corpus_text(None);
        let dir = tempfile::tempdir().unwrap();
        let plain = written(&dir, "c.jsonl", &data);
        let packed = written(&dir, "c.jsonl.gz", &gzip(&data));
        let p = params(0.8, Keep::First, false);
        let a = jsonl_docs(&plain, &p, false);
        let b = read_file(&packed, Format::Jsonl, &spec(), &p, false, &Budget::new(0)).unwrap();
        assert!(matches!(b.text.as_deref(), Some(Text::Again(_))));
        assert_eq!((&a.starts, &a.columns.keys), (&b.starts, &b.columns.keys));
        // Documents in any order, one asked for twice: each as the plain file gives it.
        let mut docs: Vec<usize> = (0..44_000).step_by(997).rev().collect();
        docs.push(997);
        assert_eq!(
            reread(&b, &spec(), &docs).unwrap(),
            reread(&a, &spec(), &docs).unwrap()
        );
        // Ascending calls go on with one stream; a span before its position opens the file again.
        let spans: Vec<(u64, u64)> = (0..44_000)
            .step_by(13)
            .map(|d| (b.starts[d], b.ends[d]))
            .collect();
        let half = spans.len() / 2;
        for part in [&spans[..half], &spans[half..], &spans[..half]] {
            let kept = kept_spans(&b, part).unwrap().unwrap();
            for (bytes, &(start, end)) in kept.iter().zip(part) {
                assert_eq!(&bytes[..], &data[BOM.len()..][start as usize..end as usize]);
            }
        }
        // The clusters are those of the plain file.
        fn texts_of(f: &FileDocs) -> impl Fn(&[u64]) -> Result<Vec<String>> + Sync + '_ {
            move |ids: &[u64]| {
                let docs: Vec<usize> = ids.iter().map(|&i| i as usize).collect();
                Ok(reread(f, &spec(), &docs)?
                    .into_iter()
                    .map(|(t, _)| t)
                    .collect())
            }
        }
        let want = dedup(&[&a.columns], &p, texts_of(&a)).unwrap();
        assert!(!want.clusters.is_empty());
        assert_eq!(dedup(&[&b.columns], &p, texts_of(&b)).unwrap(), want);
        // A file changed since the first pass is an error, not other records.
        fs::write(&packed, gzip(&data[..data.len() / 2])).unwrap();
        let err = reread(&b, &spec(), &[1, 2]).unwrap_err().to_string();
        assert!(err.contains("changed while it was read"), "{err}");
    }

    #[test]
    fn the_files_of_a_run_share_one_budget_taken_in_input_order() {
        let data = corpus_text(None);
        let cut = |n: usize| {
            let at = memchr::memchr_iter(b'\n', &data).nth(n).unwrap() + 1;
            data[..at].to_vec()
        };
        let (small, large) = (cut(300), cut(3_000));
        let dir = tempfile::tempdir().unwrap();
        let files = [("a", &small), ("b", &large), ("c", &small)].map(|(name, text)| {
            let plain = written(&dir, &format!("{name}.jsonl"), text);
            (
                plain,
                written(&dir, &format!("{name}.jsonl.gz"), &gzip(text)),
            )
        });
        let p = params(0.8, Keep::First, false);
        let body = |text: &[u8]| text.len() - BOM.len();
        // Room for the two small files, not for the large one besides the first: the first is held,
        // the large one read again (and gives back what it took), the last held in what is left.
        let budget = Budget::new(2 * body(&small) + body(&large) / 2);
        let read: Vec<FileDocs> = files
            .iter()
            .map(|(_, packed)| {
                read_file(packed, Format::Jsonl, &spec(), &p, false, &budget).unwrap()
            })
            .collect();
        let held = |f: &FileDocs| match f.text.as_deref() {
            Some(Text::Chunks(h)) => h.in_memory(),
            Some(Text::Again(_)) => 0,
            other => panic!("{other:?}"),
        };
        let again = |f: &FileDocs| matches!(f.text.as_deref(), Some(Text::Again(_)));
        assert_eq!(
            read.iter().map(again).collect::<Vec<_>>(),
            [false, true, false]
        );
        assert_eq!(held(&read[0]), body(&small));
        assert_eq!(budget.used(), 2 * body(&small));
        // Room for one small file and a half: the third finds what the first left too short (a
        // budget per file would hold it).
        let tight = Budget::new(body(&small) + body(&small) / 2);
        let tightly: Vec<FileDocs> = files
            .iter()
            .map(|(_, packed)| {
                read_file(packed, Format::Jsonl, &spec(), &p, false, &tight).unwrap()
            })
            .collect();
        assert_eq!(
            tightly.iter().map(again).collect::<Vec<_>>(),
            [false, true, true]
        );
        drop(tightly);
        // The same run with a budget that holds everything, and on the plain files: same clusters.
        let roomy = Budget::new(usize::MAX);
        let all: Vec<FileDocs> = files
            .iter()
            .map(|(_, packed)| {
                read_file(packed, Format::Jsonl, &spec(), &p, false, &roomy).unwrap()
            })
            .collect();
        assert!(all.iter().all(|f| !again(f)));
        assert_eq!(roomy.used(), 2 * body(&small) + body(&large));
        let plain: Vec<FileDocs> = files
            .iter()
            .map(|(plain, _)| read_file(plain, Format::Jsonl, &spec(), &p, false, &roomy).unwrap())
            .collect();
        let run = |fs: &[FileDocs]| {
            let starts: Vec<usize> = fs
                .iter()
                .scan(0, |at, f| {
                    let s = *at;
                    *at += f.columns.len();
                    Some(s)
                })
                .collect();
            let texts = |ids: &[u64]| -> Result<Vec<String>> {
                // Each file's documents read together, in the order asked.
                let file_of = |id: u64| starts.partition_point(|&s| s as u64 <= id) - 1;
                let mut out = vec![String::new(); ids.len()];
                for (file, f) in fs.iter().enumerate() {
                    let (at, docs): (Vec<usize>, Vec<usize>) = ids
                        .iter()
                        .enumerate()
                        .filter(|&(_, &id)| file_of(id) == file)
                        .map(|(at, &id)| (at, id as usize - starts[file]))
                        .unzip();
                    for (at, (text, _)) in at.into_iter().zip(reread(f, &spec(), &docs)?) {
                        out[at] = text;
                    }
                }
                Ok(out)
            };
            let columns: Vec<&Columns> = fs.iter().map(|f| &f.columns).collect();
            dedup(&columns, &p, texts).unwrap()
        };
        let want = run(&plain);
        // The first and last files are the same text: every document of the last is a duplicate.
        let dropped = want.replaced_by.iter().filter(|&&r| r != u64::MAX).count();
        assert!(dropped >= 301, "{dropped}");
        assert_eq!(run(&read), want);
        assert_eq!(run(&all), want);
        drop((read, all));
        assert_eq!((budget.used(), roomy.used()), (0, 0));
    }

    #[test]
    fn csv_rows_read_in_parallel_pieces_keep_their_lines_bytes_and_texts() {
        // Many pieces and, compressed, several chunks: rows with quoted line breaks, `""` escapes, CRLF
        // ends and blank lines, then a row with a field too many, whose line must come out as the file's.
        let mut data = b"\xef\xbb\xbfid,title,abstract\r\n".to_vec();
        let mut want: Vec<(u64, String, String)> = Vec::new();
        let mut line = 2u64;
        for i in 0..40_000 {
            let body = words(20 + i % 40, i).join(" ");
            let row = match i % 4 {
                0 => format!("d{i},\"T{i}, quoted\",\"{body}\nsecond line\"\n"),
                1 => format!("d{i},\"Say \"\"hi\"\" {i}\",{body}\r\n"),
                2 => format!("\n{i},T{i},{body}\n"),
                _ => format!("d{i},T{i},{body}\n"),
            };
            let (title, text) = match i % 4 {
                0 => (format!("T{i}, quoted"), format!("{body}\nsecond line")),
                1 => (format!("Say \"hi\" {i}"), body),
                _ => (format!("T{i}"), body),
            };
            let blank = u64::from(i % 4 == 2);
            want.push((line + blank, format!("{title}\n{text}"), title));
            line += 1 + blank + u64::from(i % 4 == 0);
            data.extend_from_slice(row.as_bytes());
        }
        data.extend_from_slice(b"d-bad,T,a,extra\n");
        assert!(data.len() > 2 * streamed::CHUNK);
        let dir = tempfile::tempdir().unwrap();
        let plain = written(&dir, "c.csv", &data);
        let packed = written(&dir, "c.csv.gz", &gzip(&data));
        let p = params(1.0, Keep::First, false);
        // Plain; compressed and held; compressed and read again. Skipping the bad row, so that the
        // pass completes and the rows can be read again.
        for (path, budget) in [
            (&plain, Budget::default()),
            (&packed, Budget::default()),
            (&packed, Budget::new(0)),
        ] {
            let docs = read_file(path, Format::Csv, &spec(), &p, true, &budget).unwrap();
            assert_eq!(docs.lines, want.iter().map(|w| w.0).collect::<Vec<_>>());
            assert_eq!(docs.bad.len(), 1);
            assert_eq!(docs.bad[0].line, line);
            let reason = docs.bad[0].reason.clone().unwrap();
            assert_eq!(
                reason,
                (
                    "a row of 3 fields like the header".into(),
                    "4 fields".into()
                )
            );
            let all: Vec<usize> = (0..want.len()).collect();
            let texts = reread(&docs, &spec(), &all).unwrap();
            for (got, w) in texts.iter().zip(&want) {
                assert_eq!((&got.0, got.1.as_deref()), (&w.1, Some(w.2.as_str())));
            }
            // Each row's bytes: from its first cell (past any blank line) to past its line end.
            let body = &data[BOM.len()..];
            for (i, (&start, &end)) in docs.starts.iter().zip(&docs.ends).enumerate().step_by(613) {
                let row = &body[start as usize..end as usize];
                let id = if i % 4 == 2 {
                    format!("{i},")
                } else {
                    format!("d{i},")
                };
                assert!(
                    row.starts_with(id.as_bytes()) && row.ends_with(b"\n"),
                    "{row:?}"
                );
            }
            assert_eq!(docs.header_end, "id,title,abstract\r\n".len() as u64);
        }
        // Without skipping, the bad row stops the pass at its line, compressed or not.
        for path in [&plain, &packed] {
            let docs =
                read_file(path, Format::Csv, &spec(), &p, false, &Budget::default()).unwrap();
            assert_eq!((docs.bad.len(), docs.bad[0].line), (1, line));
            assert_eq!(docs.lines.len(), want.len());
        }
    }

    #[test]
    fn a_bad_record_late_in_a_compressed_file_has_its_line() {
        let data = corpus_text(Some((r#"{"title": 7}"#, 40_000)));
        let dir = tempfile::tempdir().unwrap();
        let plain = written(&dir, "c.jsonl", &data);
        let packed = written(&dir, "c.x", &gzip(&data));
        let p = params(1.0, Keep::First, false);
        for skip in [false, true] {
            let a = jsonl_docs(&plain, &p, skip);
            let b = jsonl_docs(&packed, &p, skip);
            assert_eq!(a.bad, b.bad);
            assert_eq!(a.bad.len(), 1);
            assert!(a.bad[0].line > 40_000 && a.bad[0].reason.is_some());
            assert_eq!((a.lines.len(), a.skipped), (b.lines.len(), b.skipped));
            let bad = &b.bad[0];
            let kept = kept_spans(&b, &[(bad.start, bad.end)]).unwrap().unwrap();
            assert_eq!(kept, [&b"{\"title\": 7}\n"[..]]);
        }
    }

    #[test]
    fn damaged_compressed_data_after_many_chunks_stops_the_pass_even_when_skipping() {
        // A bad record skipped early, then the damage.
        let packed = gzip(&corpus_text(Some(("[1]", 100))));
        let dir = tempfile::tempdir().unwrap();
        let p = params(1.0, Keep::First, false);
        let cut = written(&dir, "cut.gz", &packed[..packed.len() * 9 / 10]);
        let n = packed.len();
        let tail: Vec<u8> = packed[n - 8..].iter().map(|b| b ^ 0xff).collect();
        let trailer = written(&dir, "trailer.gz", &[&packed[..n - 8], &tail[..]].concat());
        for (path, what) in [(cut, "truncated gzip data"), (trailer, "corrupt gzip data")] {
            // Not skipping, the bad record stops the pass first, as a reader of the text in order sees.
            let docs = jsonl_docs(&path, &p, false);
            assert!(docs.stopped(false));
            assert_eq!(docs.bad.len(), 1);
            assert_eq!(docs.bad[0].line, 102);
            let docs = jsonl_docs(&path, &p, true);
            assert!(docs.stopped(true));
            assert_eq!(
                (docs.bad.len(), docs.bad[0].line, docs.skipped),
                (2, 102, 1)
            );
            let (expected, got) = docs.bad[1].reason.clone().unwrap();
            assert_eq!((docs.bad[1].line, expected.as_str()), (0, "gzip data"));
            assert!(got.starts_with(what), "{got}");
        }
    }
}
