//! A whole JSON Lines snapshot read from a file into owned records, for the all-Rust `neardup diff` path.
//!
//! It reads as the Python reader does (`neardup.formats.jsonl.read`): batches of a few MB of whole lines,
//! a UTF-8 BOM dropped before the first line, blank lines skipped. It only succeeds when every record is
//! one the core builds entirely by itself (title, abstract, key, version and scalar extras); on anything
//! else (a line Python must judge, fields Python interprets such as authors or versions, an empty file)
//! it returns `None` and the caller takes the Python path, which reads the same file with the same result
//! or reports the precise error.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::{read_jsonl, Parsed, RecordSpec, Scalar};

/// Bytes read at a time (as `jsonl.BATCH_SIZE`).
const BATCH: usize = 4 << 20;
const BOM: &[u8] = b"\xef\xbb\xbf";

/// One record of a snapshot, owning its text: the fields of a Python `Entry` built by the core (every
/// other entry field is None). Title and abstract are stored as one `title + "\n" + abstract` string,
/// the text that near matching and duplicate detection read, so that it exists once.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    text: String,
    title_len: usize,
    pub key: Option<String>,
    pub version: Option<u32>,
    /// The other members, in file order.
    pub extra: Vec<(String, Scalar<'static>)>,
    /// 1-based line of the record.
    pub line: u64,
}

impl Record {
    pub fn title(&self) -> &str {
        &self.text[..self.title_len]
    }
    pub fn abstract_text(&self) -> &str {
        &self.text[self.title_len + 1..]
    }
    /// `title + "\n" + abstract`.
    pub fn text(&self) -> &str {
        &self.text
    }
}

fn owned(s: Scalar<'_>) -> Scalar<'static> {
    match s {
        Scalar::Null => Scalar::Null,
        Scalar::Bool(b) => Scalar::Bool(b),
        Scalar::Int(i) => Scalar::Int(i),
        Scalar::Float(x) => Scalar::Float(x),
        Scalar::Str(s) => Scalar::Str(s.into_owned().into()),
    }
}

/// Reads every record of `path`, or `None` when some record needs the Python reader.
pub fn read_records(path: &Path, spec: &RecordSpec) -> io::Result<Option<Vec<Record>>> {
    if !spec.supported() {
        return Ok(None);
    }
    let mut file = File::open(path)?;
    let mut records = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut number = 1u64;
    let mut first = true;
    let mut chunk = vec![0u8; BATCH];
    loop {
        let got = read_full(&mut file, &mut chunk)?;
        pending.extend_from_slice(&chunk[..got]);
        let end = if got == 0 {
            pending.len()
        } else {
            pending
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |at| at + 1)
        };
        let mut start = 0;
        if end > 0 && first {
            first = false;
            if pending.starts_with(BOM) {
                start = BOM.len();
            }
        }
        if end > start {
            let batch = read_jsonl(&pending[start..end], number, spec);
            number += batch.line_count;
            for line in batch.lines {
                match line.parsed {
                    Parsed::Record(f) if f.rest.is_none() => records.push(Record {
                        text: [f.title.as_str(), &f.abstract_text].join("\n"),
                        title_len: f.title.len(),
                        key: f.key,
                        version: f.version,
                        extra: f
                            .extra
                            .into_iter()
                            .map(|(k, v)| (k.into_owned(), owned(v)))
                            .collect(),
                        line: line.number,
                    }),
                    _ => return Ok(None),
                }
            }
        }
        pending.drain(..end);
        if got == 0 {
            break;
        }
    }
    Ok(if records.is_empty() {
        None
    } else {
        Some(records)
    })
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
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
        let spec = RecordSpec {
            keep_extra: true,
            ..RecordSpec::default()
        };
        let recs = read_records(&p, &spec).unwrap().unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].title(), "A title");
        assert_eq!(recs[0].abstract_text(), "x");
        assert_eq!(recs[0].key.as_deref(), Some("arxiv:2101.00001"));
        assert_eq!(recs[0].version, Some(2));
        assert_eq!(recs[0].extra, vec![("n".to_string(), Scalar::Int(3))]);
        assert_eq!((recs[0].line, recs[1].line), (1, 3));
        std::fs::remove_file(p).unwrap();
    }

    #[test]
    fn leaves_python_cases_to_python() {
        for (name, data) in [
            (
                "authors.jsonl",
                &b"{\"title\": \"A\", \"authors\": \"X, Y\"}\n"[..],
            ),
            ("bad.jsonl", b"{\"title\": \"A\"}\n{oops\n"),
            ("empty.jsonl", b"\n\n"),
        ] {
            let p = write(name, data);
            assert_eq!(
                read_records(&p, &RecordSpec::default()).unwrap(),
                None,
                "{name}"
            );
            std::fs::remove_file(p).unwrap();
        }
    }
}
