//! CSV snapshots read by the core: a header row, then one record per row (the delimiter named by the
//! caller, else sniffed from the header: see [`sniff_delimiter`]), quoted fields possibly spanning lines, each record's line being its row's
//! first. Rows go through the same field rules as JSON Lines records ([`super::fields`]), every cell a
//! string, so a CSV row and the JSON object of the same strings make the same record.
//!
//! The bytes are first walked once for their quoting ([`pieces`]: the strict rules checked, and the
//! rows cut into pieces of about [`PIECE`] bytes at line ends outside quotes, so that a quoted line break
//! never splits a row); the pieces are then parsed in parallel, each cell mapped to its field straight
//! from the bytes (a cell already spelled as a JSON string, quoted and without escapes, is used where it
//! lies), and the records kept in file order, each numbered by the line its row starts on.
//!
//! Python's `csv` module (`neardup.formats.csv_table`) stays the reader of
//! what this one does not take, and the one that words the error: [`read_csv_records`] returns `None` for
//! input that is not valid UTF-8, quoting that Python's strict mode refuses, a bare `\r`, a header
//! without a title column or with repeated names, a row whose length differs from the header's, and
//! records whose fields need interpreting (authors, counts, dates).

use std::borrow::Cow;
use std::ops::Range;

use super::file::{Record, BOM};
use super::{fields, py_strip, Member, RecordSpec, TITLE_FIELDS};
use crate::text::json::string;

/// Columns renamed to their lower-case spelling when only another spelling is in the header (as
/// `csv_table.read` does), so that the field rules find them.
const RENAMED: [&str; 6] = ["title", "abstract", "summary", "id", "authors", "upvotes"];

/// Whether every quoted field closes where Python's strict `csv` reader wants it to (its closing quote
/// followed by the delimiter, a line end or the end of the data), and no `\r` stands alone: the plain
/// statement of the rules [`pieces`] checks as it cuts, which the tests hold it to.
#[cfg(test)]
pub(crate) fn strictly_quoted(data: &[u8], delimiter: u8) -> bool {
    let (mut i, mut field_start, mut quoted) = (0, true, false);
    while i < data.len() {
        let b = data[i];
        if b == b'\r' && data.get(i + 1) != Some(&b'\n') {
            return false;
        }
        if quoted {
            if b == b'"' {
                match data.get(i + 1) {
                    Some(b'"') => i += 1, // an escaped quote
                    Some(&n) if n == delimiter || n == b'\n' || n == b'\r' => quoted = false,
                    None => quoted = false,
                    Some(_) => return false,
                }
            }
        } else if b == b'"' && field_start {
            quoted = true;
        }
        field_start = !quoted && (b == delimiter || b == b'\n');
        i += 1;
    }
    !quoted
}

/// Bytes a parallel task parses: whole rows, enough to amortise a task, few enough to spread the work.
const PIECE: usize = 256 << 10;

/// The bytes of `data` cut into pieces of about `piece` bytes, each ending just past a line end outside
/// quotes (so at a row's end), or `None` unless every quoted field closes where Python's strict `csv`
/// reader wants it to (its closing quote followed by the delimiter, a line end or the end of the data)
/// and no `\r` stands alone.
///
/// A quote opens a quoted field only at a field's start (elsewhere it is text), and `""` inside one is
/// an escaped quote: this walk follows those rules from the first byte, which is what makes its cuts row
/// ends (counting quotes alone would be misled by a quote inside an unquoted field).
pub(crate) fn pieces(data: &[u8], delimiter: u8, piece: usize) -> Option<Vec<Range<usize>>> {
    let mut out = Vec::with_capacity(data.len() / piece.max(1) + 1);
    let mut start = 0;
    walk_rows(data, delimiter, |end| {
        if end - start >= piece {
            out.push(start..end);
            start = end;
        }
    })
    .ok()?;
    if start < data.len() {
        out.push(start..data.len());
    }
    Some(out)
}

/// Where the quoting walk of [`walk_rows`] stopped short of the data's end.
enum Broken {
    /// A quoted field is still open at the end of the data.
    Open,
    /// Quoting Python's strict reader refuses, or a lone `\r`.
    Refused,
}

/// Walks the rows of `data` (which starts at a row's start) by their quoting, calling `row_end` with
/// the offset just past each line end outside quotes (a quoted line break never ends a row).
fn walk_rows(data: &[u8], delimiter: u8, mut row_end: impl FnMut(usize)) -> Result<(), Broken> {
    let mut i = 0;
    // Each turn starts at a field's start.
    while i < data.len() {
        if data[i] == b'"' {
            let mut at = i + 1;
            loop {
                at += memchr::memchr2(b'"', b'\r', &data[at..]).ok_or(Broken::Open)?;
                if data[at] == b'\r' {
                    match data.get(at + 1) {
                        Some(b'\n') => at += 1,
                        Some(_) => return Err(Broken::Refused),
                        None => return Err(Broken::Open),
                    }
                    continue;
                }
                match data.get(at + 1) {
                    Some(b'"') => at += 2, // an escaped quote
                    Some(&n) if n == delimiter || n == b'\n' || n == b'\r' => break,
                    None => break,
                    Some(_) => return Err(Broken::Refused),
                }
            }
            i = at + 1;
        } else {
            i += memchr::memchr3(delimiter, b'\n', b'\r', &data[i..]).unwrap_or(data.len() - i);
        }
        match data.get(i) {
            None => break,
            Some(b'\r') => match data.get(i + 1) {
                Some(b'\n') => i += 2,
                Some(_) => return Err(Broken::Refused),
                None => return Err(Broken::Open), // the `\n` may follow in the next chunk
            },
            Some(b'\n') => i += 1,
            Some(_) => {
                i += 1; // the delimiter
                continue;
            }
        }
        row_end(i);
    }
    Ok(())
}

/// Where the last whole row of `data` (which starts at a row's start) ends, past its line end, so that
/// a CSV text read in chunks is cut only between rows; `None` when no row ends in `data`. Where the
/// quoting is one the reader refuses, any line end will do (the text is refused whole).
pub(crate) fn last_row_end(data: &[u8], delimiter: u8) -> Option<usize> {
    let mut last = None;
    match walk_rows(data, delimiter, |end| last = Some(end)) {
        Err(Broken::Refused) => memchr::memrchr(b'\n', data).map(|at| at + 1),
        Ok(()) | Err(Broken::Open) => last,
    }
}

/// A cell of a row: where its text lies, and how it is spelled there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Unquoted: the text is the bytes.
    Plain(Range<usize>),
    /// The inside of a quoted field without `""`: the text is the bytes.
    Quoted(Range<usize>),
    /// The inside of a quoted field with `""` (each one quote of the text).
    Escaped(Range<usize>),
}

impl Cell {
    pub(crate) fn text<'a>(&self, data: &'a str) -> Cow<'a, str> {
        match self {
            Cell::Plain(r) | Cell::Quoted(r) => Cow::Borrowed(&data[r.clone()]),
            Cell::Escaped(r) => Cow::Owned(data[r.clone()].replace("\"\"", "\"")),
        }
    }

    /// The text where it lies, unless the cell holds `""` escapes (then its text is not in `data`).
    pub(crate) fn as_str<'a>(&self, data: &'a str) -> Option<&'a str> {
        match self {
            Cell::Plain(r) | Cell::Quoted(r) => Some(&data[r.clone()]),
            Cell::Escaped(_) => None,
        }
    }
}

/// A CSV text cut for reading in parallel: its header row's cells (stripped), where the rows after it
/// start, the line ends the header spans, and those rows in pieces of whole rows.
pub(crate) struct Table {
    pub header: Vec<String>,
    pub body_start: usize,
    pub header_lines: u64,
    pub body: Vec<Range<usize>>,
}

/// [`Table`] of `text` (no BOM) with `delimiter`, cut in pieces of about `piece` bytes; `None` when its
/// quoting is not what Python's strict reader takes (see [`pieces`]) or it has no row at all.
pub(crate) fn table(text: &str, delimiter: u8, piece: usize) -> Option<Table> {
    let data = text.as_bytes();
    let pieces = pieces(data, delimiter, piece)?;
    let (mut cells, mut header_lines) = (Vec::new(), 0);
    let (_, body_start) = next_row(data, 0, delimiter, &mut cells, &mut header_lines)?;
    let header = cells
        .iter()
        .map(|c| py_strip(&c.text(text)).to_owned())
        .collect();
    // The pieces of the rows after the header (the header's own piece starting where it ends).
    let body = pieces
        .into_iter()
        .filter(|p| p.end > body_start)
        .map(|p| p.start.max(body_start)..p.end)
        .collect();
    Some(Table {
        header,
        body_start,
        header_lines,
        body,
    })
}

/// Hands `row` each row of `piece` of `text` (whole rows, as [`table`] cuts them) that is not blank:
/// its first line, counted from 1 at the piece's start, its bytes (up to where the next row starts) and
/// its cells. Stops with `None` as soon as `row` gives `None`; else the line ends the piece holds.
pub(crate) fn for_each_row(
    text: &str,
    piece: Range<usize>,
    delimiter: u8,
    mut row: impl FnMut(u64, Range<usize>, &[Cell]) -> Option<()>,
) -> Option<u64> {
    let data = &text.as_bytes()[..piece.end];
    let mut cells = Vec::new();
    let (mut at, mut newlines) = (piece.start, 0u64);
    loop {
        let before = newlines;
        let Some((start, next)) = next_row(data, at, delimiter, &mut cells, &mut newlines) else {
            break;
        };
        // The row starts after the empty lines `next_row` skipped.
        let line = 1 + before + memchr::memchr_iter(b'\n', &data[at..start]).count() as u64;
        at = next;
        if cells.iter().all(|c| py_strip(&c.text(text)).is_empty()) {
            continue;
        }
        row(line, start..next, &cells)?;
    }
    Some(newlines)
}

/// The cells of the one row at the start of `data` and where it ends (past its line end), for reading a
/// record again by its byte offset; `None` when no whole row is there.
pub(crate) fn row_at(data: &[u8], delimiter: u8, cells: &mut Vec<Cell>) -> Option<usize> {
    let (start, next) = next_row(data, 0, delimiter, cells, &mut 0u64)?;
    (start == 0).then_some(next)
}

/// The cells of the row at `i` of `data` (whose quoting [`pieces`] checked) into `cells`, and where the
/// next row starts; `None` at the end of the data. Empty lines before the row are skipped (they hold no
/// row) and counted in `newlines`, as are the row's own line ends.
fn next_row(
    data: &[u8],
    mut i: usize,
    delimiter: u8,
    cells: &mut Vec<Cell>,
    newlines: &mut u64,
) -> Option<(usize, usize)> {
    cells.clear();
    loop {
        match data.get(i..i + 2) {
            _ if data.get(i) == Some(&b'\n') => i += 1,
            Some(b"\r\n") => i += 2,
            _ => break,
        }
        *newlines += 1;
    }
    if i >= data.len() {
        return None;
    }
    let row = i;
    loop {
        if data.get(i) == Some(&b'"') {
            let (inner, mut at, mut escaped) = (i + 1, i + 1, false);
            loop {
                at += memchr::memchr(b'"', &data[at..])?;
                if data.get(at + 1) == Some(&b'"') {
                    (escaped, at) = (true, at + 2);
                } else {
                    break;
                }
            }
            *newlines += memchr::memchr_iter(b'\n', &data[inner..at]).count() as u64;
            cells.push(match escaped {
                true => Cell::Escaped(inner..at),
                false => Cell::Quoted(inner..at),
            });
            i = at + 1;
        } else {
            let end =
                i + memchr::memchr3(delimiter, b'\n', b'\r', &data[i..]).unwrap_or(data.len() - i);
            cells.push(Cell::Plain(i..end));
            i = end;
        }
        match data.get(i) {
            Some(b'\r') => {
                *newlines += 1;
                return Some((row, i + 2));
            }
            Some(b'\n') => {
                *newlines += 1;
                return Some((row, i + 1));
            }
            None => return Some((row, i)),
            Some(_) => i += 1, // the delimiter
        }
    }
}

/// The header's spelling of `name`: itself, else its first case-insensitive match.
fn resolve<'h>(header: &'h [String], name: &str) -> Option<&'h str> {
    header
        .iter()
        .find(|h| *h == name)
        .or_else(|| {
            header
                .iter()
                .find(|h| h.to_lowercase() == name.to_lowercase())
        })
        .map(String::as_str)
}

/// The delimiters a header is sniffed for, in the order that breaks ties.
pub const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// The delimiter of a CSV file whose header row is `first` (its first line): of comma, semicolon and
/// tab, the one found most often outside quotes (ties in that order; a comma when there is none). The
/// Python reader (`neardup.formats.csv_table.sniff_delimiter`) applies the same rule.
pub fn sniff_delimiter(first: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &b in first {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                counts[i] += 1;
            }
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// The records of a CSV snapshot's bytes, or `None` when some part is for the Python reader.
pub fn read_csv_records<'a>(data: &'a [u8], spec: &RecordSpec) -> Option<Vec<Record<'a>>> {
    read_csv_records_with(data, spec, None)
}

/// [`read_csv_records`] with the `delimiter` given (a single ASCII byte), or sniffed when `None`.
pub fn read_csv_records_with<'a>(
    data: &'a [u8],
    spec: &RecordSpec,
    delimiter: Option<u8>,
) -> Option<Vec<Record<'a>>> {
    read_csv_pieces(data, spec, delimiter, PIECE)
}

/// [`read_csv_records_with`], the rows parsed in pieces of about `piece` bytes.
fn read_csv_pieces<'a>(
    data: &'a [u8],
    spec: &RecordSpec,
    delimiter: Option<u8>,
    piece: usize,
) -> Option<Vec<Record<'a>>> {
    let data = data.strip_prefix(BOM).unwrap_or(data);
    let text = simdutf8::basic::from_utf8(data).ok()?;
    let first = &data[..memchr::memchr(b'\n', data).unwrap_or(data.len())];
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(first));
    if matches!(delimiter, b'"' | b'\r' | b'\n') {
        return None; // the CLI refuses these before the reader sees them
    }
    let Table {
        header,
        header_lines,
        body,
        ..
    } = table(text, delimiter, piece)?;
    let (keys, spec) = columns(&header, spec)?;
    // Line numbers: each piece counted from its first line, then shifted by the header's lines and
    // those of the pieces before it.
    let mut records = Vec::new();
    super::pieces::read_in_order(body, header_lines, &mut records, |p| {
        read_piece(text, p, delimiter, &keys, &spec)
    })?;
    (!records.is_empty()).then_some(records)
}

/// The record key of each column of a CSV `header` (a usual field name spelled otherwise renamed to its
/// usual spelling, see [`RENAMED`]) and `spec` with its explicit fields in the header's spelling; `None`
/// for a header Python words the error of (a repeated name, an explicit field it lacks, no title column).
fn columns(header: &[String], spec: &RecordSpec) -> Option<(Vec<String>, RecordSpec)> {
    let mut names = header.to_vec();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let mut spec = spec.clone();
    for field in [
        &mut spec.id_field,
        &mut spec.title_field,
        &mut spec.abstract_field,
    ] {
        if let Some(name) = field.as_deref() {
            *field = Some(resolve(header, name)?.to_owned());
        }
    }
    if spec.title_field.is_none()
        && !header
            .iter()
            .any(|h| TITLE_FIELDS.contains(&h.to_lowercase().as_str()))
    {
        return None;
    }
    let keys = header
        .iter()
        .map(|h| {
            let lower = h.to_lowercase();
            let renamed = RENAMED.iter().find(|&&n| {
                n == lower
                    && h != n
                    && !header.iter().any(|o| o == n)
                    && resolve(header, n) == Some(h)
            });
            renamed.map_or_else(|| h.clone(), |n| (*n).to_owned())
        })
        .collect();
    Some((keys, spec))
}

/// The records of the rows in `piece` of `text`, each numbered by its first line counted from 1 at the
/// piece's start, and how many line ends the piece holds; `None` when a row is for the Python reader.
fn read_piece<'a>(
    text: &'a str,
    piece: Range<usize>,
    delimiter: u8,
    keys: &[String],
    spec: &RecordSpec,
) -> Option<(Vec<Record<'a>>, u64)> {
    let (mut json, mut records) = (String::new(), Vec::new());
    let newlines = for_each_row(text, piece, delimiter, |line, _, cells| {
        if cells.len() != keys.len() {
            return None;
        }
        records.push(record(text, cells, keys, spec, line, &mut json)?);
        Some(())
    })?;
    Some((records, newlines))
}

/// A row's record: its cells given to the field rules of JSON Lines ([`fields`]) as the JSON strings of
/// their text. A quoted cell without escapes whose text needs none in JSON is that JSON string where it
/// lies (its quotes included); the others are written into `json`. A title or abstract the rules leave
/// as the cell's text is borrowed from `text`, not copied.
fn record<'a>(
    text: &'a str,
    cells: &[Cell],
    keys: &[String],
    spec: &RecordSpec,
    line: u64,
    json: &mut String,
) -> Option<Record<'a>> {
    json.clear();
    // Where each cell's JSON text lies: in `text` (a quoted cell as it is) or in `json`.
    let mut spans: Vec<(bool, Range<usize>)> = Vec::with_capacity(cells.len());
    // Cells written into `json` as they are (an unquoted cell without escapes): the inside of the JSON
    // string there, and where that text starts in `text`.
    let mut verbatim: Vec<(Range<usize>, usize)> = Vec::new();
    let mut plain = 0u64;
    for (at, cell) in cells.iter().enumerate() {
        let value = cell.text(text);
        let escapes = crate::read::next_special(value.as_bytes(), 0) < value.len();
        if !escapes && at < 64 {
            plain |= 1 << at;
        }
        match cell {
            Cell::Quoted(r) if !escapes => spans.push((true, r.start - 1..r.end + 1)),
            _ => {
                let from = json.len();
                string(json, &value);
                if let (Cell::Plain(r), false) = (cell, escapes) {
                    verbatim.push((from + 1..json.len() - 1, r.start));
                }
                spans.push((false, from..json.len()));
            }
        }
    }
    let members: Vec<Member> = keys
        .iter()
        .zip(&spans)
        .map(|(k, (in_text, r))| {
            let raw = if *in_text {
                &text[r.clone()]
            } else {
                &json[r.clone()]
            };
            (Cow::Borrowed(k.as_str()), raw)
        })
        .collect();
    let origin = Origin {
        text,
        json,
        verbatim: &verbatim,
    };
    record_of(&origin, &members, plain, spec, line)
}

/// Where the text of a row's fields may lie: in the input `text`, or in `json` where some cells were
/// copied as they are (see [`record`]).
struct Origin<'a, 'j> {
    text: &'a str,
    json: &'j str,
    verbatim: &'j [(Range<usize>, usize)],
}

impl<'a> Origin<'a, '_> {
    /// `value` with the lifetime of `text` when it is the text of some part of the input (a cell the
    /// field rules took as it lies), else owned: most titles and abstracts are such cells, and copying
    /// each would double the memory the records hold.
    fn borrow(&self, value: Cow<'_, str>) -> Cow<'a, str> {
        if let Cow::Borrowed(v) = value {
            if let Some(at) = offset_in(self.text, v) {
                return Cow::Borrowed(&self.text[at..at + v.len()]);
            }
            if let Some(at) = offset_in(self.json, v) {
                let found = self
                    .verbatim
                    .iter()
                    .find(|(r, _)| r.start <= at && at + v.len() <= r.end);
                if let Some((r, start)) = found {
                    let from = start + (at - r.start);
                    if let Some(lies) = self.text.get(from..from + v.len()) {
                        return Cow::Borrowed(lies);
                    }
                }
            }
        }
        Cow::Owned(value.into_owned())
    }
}

/// Where `part` starts in `whole` when it is a slice of it.
fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let at = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    (at <= whole.len() && part.len() <= whole.len() - at && whole.is_char_boundary(at))
        .then_some(at)
}

/// The record of a row's `members` (column key, JSON string of the cell; `plain`: a bit set for each of
/// the first 64 cells without escapes), or `None` when a field needs the Python reader.
fn record_of<'a>(
    origin: &Origin<'a, '_>,
    members: &[Member],
    plain: u64,
    spec: &RecordSpec,
    line: u64,
) -> Option<Record<'a>> {
    let f = fields(members, plain, spec)?;
    if f.rest.is_some() {
        return None;
    }
    let mut record = Record::from_parts(
        origin.borrow(f.title),
        origin.borrow(f.abstract_text),
        f.key,
        f.version,
        line,
        None,
    );
    record.extra = f
        .extra
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
        .collect();
    Some(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Scalar;
    use proptest::prelude::*;
    use rayon::prelude::*;

    use crate::read::spec_keeping_extra as spec;

    #[test]
    fn quoted_texts_are_borrowed_from_the_input_and_escaped_ones_copied() {
        let data = b"id,title,abstract\n1,\"T, one\",\"An abstract, quoted.\"\n2,T two,\"Said \"\"hi\"\".\"\n";
        let rs = read_csv_records(data, &spec()).unwrap();
        let within = |s: &str| {
            let at = s.as_ptr() as usize;
            at >= data.as_ptr() as usize && at + s.len() <= data.as_ptr() as usize + data.len()
        };
        assert_eq!(rs[0].abstract_text(), "An abstract, quoted.");
        assert!(within(rs[0].abstract_text()) && within(rs[0].title()));
        assert_eq!(rs[1].abstract_text(), "Said \"hi\".");
        assert!(!within(rs[1].abstract_text()));
        // An unquoted cell is borrowed too (its JSON form was written elsewhere).
        assert_eq!(rs[1].title(), "T two");
        assert!(within(rs[1].title()));
        // Text that is not a slice of the input is copied, whatever its address.
        let elsewhere = String::from("An abstract, quoted.");
        let origin = Origin {
            text: "",
            json: "",
            verbatim: &[],
        };
        assert!(matches!(
            origin.borrow(Cow::Borrowed(&elsewhere)),
            Cow::Owned(_)
        ));
    }

    #[test]
    fn rows_become_records_with_their_first_line() {
        let data = b"\xef\xbb\xbfid,Title,abstract,year\n2502.00005v3,\"A Title, With a Comma\",\"Line one\nline two\",2020\n\n P-9 ,Second  Row,,2021\n";
        let rs = read_csv_records(data, &spec()).unwrap();
        assert_eq!(rs.len(), 2);
        assert_eq!(rs[0].title(), "A Title, With a Comma");
        assert_eq!(rs[0].abstract_text(), "Line one\nline two");
        assert_eq!(
            (rs[0].key.as_deref(), rs[0].version),
            (Some("arxiv:2502.00005"), Some(3))
        );
        assert_eq!(
            rs[0].extra,
            vec![("year".into(), Scalar::Str("2020".into()))]
        );
        assert_eq!((rs[0].line, rs[1].line), (2, 5));
        assert_eq!(
            (rs[1].title(), rs[1].key.as_deref()),
            ("Second Row", Some("P-9"))
        );
    }

    #[test]
    fn tabs_when_the_header_has_no_comma() {
        let rs = read_csv_records(b"title\tabstract\nA, b\tx\n", &spec()).unwrap();
        assert_eq!((rs[0].title(), rs[0].abstract_text()), ("A, b", "x"));
    }

    #[test]
    fn the_most_frequent_delimiter_of_the_header_wins() {
        assert_eq!(sniff_delimiter(b"id;title;abstract"), b';');
        assert_eq!(sniff_delimiter(b"\"a,b\";title;x"), b';'); // quoted commas do not count
        assert_eq!(sniff_delimiter(b"a,b;c"), b','); // a tie: comma first
        assert_eq!(sniff_delimiter(b"a;b\tc\td"), b'\t');
        assert_eq!(sniff_delimiter(b"title"), b',');
        let rs = read_csv_records(b"id;title;abstract\n1;A, b;x\n", &spec()).unwrap();
        assert_eq!((rs[0].title(), rs[0].abstract_text()), ("A, b", "x"));
        // Named, it is not sniffed (sniffed, the tie goes to the comma: no title column).
        let data = b"title;abstract,x\nA;y,z\n";
        assert_eq!(read_csv_records(data, &spec()), None);
        let rs = read_csv_records_with(data, &spec(), Some(b';')).unwrap();
        assert_eq!(rs[0].title(), "A");
        assert_eq!(
            rs[0].extra,
            vec![("abstract,x".into(), Scalar::Str("y,z".into()))]
        );
    }

    #[test]
    fn leaves_what_python_must_word_to_python() {
        for data in [
            &b"title,abstract\n\"A\"x,y\n"[..], // strict mode: a quote must close the field
            b"title,abstract\nA,y,z\n",         // a row longer than the header
            b"name,abstract\nA,y\n",            // no title column
            b"title,title\nA,B\n",              // a repeated name
            b"title,authors\nA,\"X, Y\"\n",     // authors: interpreted by Python
            b"title,abstract\rA,y\r",           // bare carriage returns
            b"title,abstract\n\xff,y\n",        // not UTF-8
            b"title,abstract\n",                // no record
        ] {
            assert_eq!(read_csv_records(data, &spec()), None, "{data:?}");
        }
        assert!(strictly_quoted(b"a\"b,\"c\"\"d\"\n", b','));
    }
    /// The rows as the `csv` crate splits them, one after another, each cell written as JSON by
    /// `serde_json`, through the same header and field rules: the reference the walk over the bytes,
    /// the pieces and the cells taken where they lie are held to.
    fn read_by_csv_crate(
        data: &[u8],
        spec: &RecordSpec,
        delimiter: Option<u8>,
    ) -> Option<Vec<Record<'static>>> {
        let data = data.strip_prefix(BOM).unwrap_or(data);
        simdutf8::basic::from_utf8(data).ok()?;
        let first = &data[..memchr::memchr(b'\n', data).unwrap_or(data.len())];
        let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(first));
        if !strictly_quoted(data, delimiter) {
            return None;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(data);
        let mut rows = reader.records();
        let header: Vec<String> = rows
            .next()?
            .ok()?
            .iter()
            .map(|h| py_strip(h).to_owned())
            .collect();
        let (keys, spec) = columns(&header, spec)?;
        let mut raw: Vec<(u64, Vec<String>)> = Vec::new();
        // Lines counted from the rows' byte offsets (newlines inside quoted fields count too).
        let (mut line, mut counted) = (1u64, 0usize);
        for row in rows {
            let row = row.ok()?;
            let mut at = row.position().map_or(counted, |p| p.byte() as usize);
            // A record's position may be that of the blank lines skipped before it.
            while matches!(data.get(at), Some(b'\n' | b'\r')) {
                at += 1;
            }
            line += memchr::memchr_iter(b'\n', &data[counted..at]).count() as u64;
            counted = at;
            if row.iter().all(|cell| py_strip(cell).is_empty()) {
                continue;
            }
            if row.len() != header.len() {
                return None;
            }
            raw.push((line, row.iter().map(String::from).collect()));
        }
        let records: Option<Vec<Record<'static>>> = raw
            .into_par_iter()
            .map(|(line, cells)| {
                let json: Vec<String> = cells
                    .iter()
                    .map(|c| serde_json::to_string(c).unwrap_or_default())
                    .collect();
                let members: Vec<Member> = keys
                    .iter()
                    .zip(&json)
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), v.as_str()))
                    .collect();
                let origin = Origin {
                    text: "",
                    json: "",
                    verbatim: &[],
                };
                record_of(&origin, &members, 0, &spec, line)
            })
            .collect();
        records.filter(|rs| !rs.is_empty())
    }

    /// Bits of CSV: quoted fields (with line breaks, escaped quotes, delimiters), line ends, blank
    /// lines, stray quotes, whitespace, and bytes the strict rules refuse.
    const BITS: &[&str] = &[
        "a",
        "Title b",
        " ",
        ",",
        ",",
        ",",
        ";",
        "\t",
        "\n",
        "\n",
        "\r\n",
        "\n\n",
        "\"",
        "\"q,\nr\"",
        "\"x\"\"y\"",
        "\"\"",
        "\"l1\r\nl2\"",
        "x\"y",
        "\\n",
        "\u{e9}",
        "2401.00001v2",
        "null",
        "\r",
        "\"a\"b",
    ];

    fn csv_text() -> impl Strategy<Value = Vec<u8>> {
        (
            0..4usize,
            proptest::collection::vec(0..BITS.len(), 0..40),
            any::<bool>(),
        )
            .prop_map(|(header, bits, bom)| {
                let mut data = if bom { BOM.to_vec() } else { Vec::new() };
                let headers = [
                    "title,abstract,id\n",
                    "id;title;x\n",
                    "title\n",
                    "\"Title\",\"a,b\"\r\n",
                ];
                data.extend_from_slice(headers[header].as_bytes());
                for b in bits {
                    data.extend_from_slice(BITS[b].as_bytes());
                }
                data
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Cut into pieces of any size, the rows read as the `csv` crate read them one after another:
        /// the same records with the same lines, and `None` for the same inputs.
        #[test]
        fn pieces_read_as_the_rows_did(data in csv_text(), piece in 1usize..40) {
            let spec = spec();
            let before = read_by_csv_crate(&data, &spec, None);
            prop_assert_eq!(
                read_csv_pieces(&data, &spec, None, piece),
                before,
                "{:?}",
                String::from_utf8_lossy(&data)
            );
        }

        /// Any prefix of a text is cut where its last whole row ends: the last line end of the whole
        /// text's rows within the prefix (a text read in chunks never has a row split between two).
        #[test]
        fn a_prefix_is_cut_at_its_last_row_end(data in csv_text(), k in 0usize..200) {
            if let Some(rows) = pieces(&data, b',', 1) {
                let k = k.min(data.len());
                // The whole text's last piece may end at its end without a line end: no row end.
                let ends = rows.iter().map(|r| r.end).filter(|&e| data[e - 1] == b'\n');
                let want = ends.filter(|&e| e <= k).max();
                prop_assert_eq!(last_row_end(&data[..k], b','), want, "{:?}", &data[..k]);
            }
        }

        /// The walk refuses exactly what the strict rules refuse, and cuts only at row ends.
        #[test]
        fn pieces_end_at_row_ends(data in csv_text(), piece in 1usize..40) {
            let cut = pieces(&data, b',', piece);
            prop_assert_eq!(cut.is_some(), strictly_quoted(&data, b','));
            if let Some(cut) = cut {
                let whole = pieces(&data, b',', usize::MAX).unwrap();
                prop_assert_eq!(whole.len(), usize::from(!data.is_empty()));
                // Row ends: the `csv` crate reads the same rows from the pieces one by one.
                let rows = |d: &[u8]| -> Vec<Vec<Vec<u8>>> {
                    csv::ReaderBuilder::new()
                        .has_headers(false)
                        .flexible(true)
                        .from_reader(d)
                        .byte_records()
                        .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
                        .collect()
                };
                let (mut at, mut pieced) = (0, Vec::new());
                for p in &cut {
                    prop_assert_eq!(p.start, at);
                    at = p.end;
                    pieced.extend(rows(&data[p.clone()]));
                }
                prop_assert_eq!(at, data.len());
                prop_assert_eq!(pieced, rows(&data));
            }
        }
    }

    /// Many rows with quoted line breaks, CRLF ends and blank lines, read whole and in pieces cut at
    /// every few bytes: the same records, each with the line its row starts on.
    fn rows(n: usize) -> (Vec<u8>, Vec<u64>) {
        let mut data = b"\xef\xbb\xbfid,title,abstract\r\n".to_vec();
        let (mut line, mut lines) = (2u64, Vec::new());
        for i in 0..n {
            lines.push(line);
            let abstract_text = match i % 4 {
                0 => format!("\"first\nsecond \"\"{i}\"\" \r\nthird\""),
                1 => format!("plain {i}"),
                2 => format!("\"a, b {i}\""),
                _ => format!("\"{}\n\"", "x".repeat(i % 50)),
            };
            let row = format!("P-{i},Title {i},{abstract_text}\r\n");
            line += row.matches('\n').count() as u64;
            data.extend_from_slice(row.as_bytes());
            if i % 7 == 0 {
                data.extend_from_slice(b"\n\r\n");
                line += 2;
            }
        }
        (data, lines)
    }

    #[test]
    fn quoted_line_breaks_across_piece_edges() {
        let (data, lines) = rows(300);
        let whole = read_csv_pieces(&data, &spec(), None, usize::MAX).unwrap();
        assert_eq!(whole, read_by_csv_crate(&data, &spec(), None).unwrap());
        assert_eq!(whole.iter().map(|r| r.line).collect::<Vec<_>>(), lines);
        assert_eq!(whole[0].abstract_text(), "first\nsecond \"0\" \r\nthird");
        for piece in [1, 2, 3, 5, 8, 13, 64, 100, 1000] {
            let cut = pieces(&data[BOM.len()..], b',', piece).unwrap();
            assert!(cut.len() > 1);
            assert_eq!(
                read_csv_pieces(&data, &spec(), None, piece).unwrap(),
                whole,
                "{piece}"
            );
        }
    }

    #[test]
    fn a_bad_row_in_a_later_piece_is_refused() {
        let (mut data, lines) = rows(200);
        // A row one cell short, far past the first piece.
        data.extend_from_slice(b"P-x,\"only a title\nover two lines\"\n");
        let cut = pieces(&data, b',', 64).unwrap();
        assert!(cut.len() > 10);
        assert_eq!(read_csv_pieces(&data, &spec(), None, 64), None);
        // Without it, every row's line holds, the last piece's included.
        let (data, _) = rows(200);
        let rs = read_csv_pieces(&data, &spec(), None, 64).unwrap();
        assert_eq!(rs.last().map(|r| r.line), lines.last().copied());
        // A quote left open in a later piece: refused as a whole, not read up to it.
        let mut open = data.clone();
        open.extend_from_slice(b"P-y,T,\"never closed\n");
        assert_eq!(read_csv_pieces(&open, &spec(), None, 64), None);
    }

    #[test]
    fn the_same_records_whatever_the_thread_count() {
        let (data, _) = rows(2000);
        let read = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| read_csv_pieces(&data, &spec(), None, 512).unwrap())
        };
        let one = read(1);
        assert_eq!(one.len(), 2000);
        for threads in [2, 3, 8] {
            assert_eq!(read(threads), one, "{threads} threads");
        }
    }
}
