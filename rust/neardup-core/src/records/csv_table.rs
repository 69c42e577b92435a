//! CSV snapshots read by the core: a header row, then one record per row (the delimiter named by the
//! caller, else sniffed from the header: see [`sniff_delimiter`]), quoted fields possibly spanning lines, each record's line being its row's
//! first. Rows go through the same field rules as JSON Lines records ([`super::fields`]), every cell a
//! string, so a CSV row and the JSON object of the same strings make the same record.
//!
//! Parsing is the `csv` crate's. Python's `csv` module (`neardup.formats.csv_table`) stays the reader of
//! what this one does not take, and the one that words the error: [`read_csv_records`] returns `None` for
//! input that is not valid UTF-8, quoting that Python's strict mode refuses, a bare `\r`, a header
//! without a title column or with repeated names, a row whose length differs from the header's, and
//! records whose fields need interpreting (authors, counts, dates).

use std::borrow::Cow;

use rayon::prelude::*;

use super::file::Record;
use super::{fields, py_strip, Member, RecordSpec, TITLE_FIELDS};

const BOM: &[u8] = b"\xef\xbb\xbf";

/// Columns renamed to their lower-case spelling when only another spelling is in the header (as
/// `csv_table.read` does), so that the field rules find them.
const RENAMED: [&str; 6] = ["title", "abstract", "summary", "id", "authors", "upvotes"];

/// Whether every quoted field closes where Python's strict `csv` reader wants it to (its closing quote
/// followed by the delimiter, a line end or the end of the data), and no `\r` stands alone.
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
pub fn read_csv_records(data: &[u8], spec: &RecordSpec) -> Option<Vec<Record<'static>>> {
    read_csv_records_with(data, spec, None)
}

/// [`read_csv_records`] with the `delimiter` given (a single ASCII byte), or sniffed when `None`.
pub fn read_csv_records_with(
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
    let mut names = header.clone();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    // Explicit fields by the header's spelling; a missing one is Python's error to word.
    let mut spec = spec.clone();
    for field in [
        &mut spec.id_field,
        &mut spec.title_field,
        &mut spec.abstract_field,
    ] {
        if let Some(name) = field.as_deref() {
            *field = Some(resolve(&header, name)?.to_owned());
        }
    }
    if spec.title_field.is_none()
        && !header
            .iter()
            .any(|h| TITLE_FIELDS.contains(&h.to_lowercase().as_str()))
    {
        return None;
    }
    let keys: Vec<String> = header
        .iter()
        .map(|h| {
            let lower = h.to_lowercase();
            let renamed = RENAMED.iter().find(|&&n| {
                n == lower
                    && h != n
                    && !header.iter().any(|o| o == n)
                    && resolve(&header, n) == Some(h)
            });
            renamed.map_or_else(|| h.clone(), |n| (*n).to_owned())
        })
        .collect();
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
            let f = fields(&members, 0, &spec)?;
            if f.rest.is_some() {
                return None;
            }
            let mut record = Record::from_parts(
                Cow::Owned(f.title.into_owned()),
                Cow::Owned(f.abstract_text.into_owned()),
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
        })
        .collect();
    records.filter(|rs| !rs.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Scalar;

    fn spec() -> RecordSpec {
        RecordSpec {
            keep_extra: true,
            ..RecordSpec::default()
        }
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
}
