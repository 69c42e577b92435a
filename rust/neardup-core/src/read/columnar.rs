//! Parquet and Arrow IPC files (the file and the stream format) read in the core, as the JSON Lines of
//! their rows ([`super::arrow_json`]): every reader of JSON Lines (the diff, the catalog, corpus dedup)
//! reads them as it reads a `.jsonl` file, a row's line being its 1-based row number. No pyarrow is
//! needed.
//!
//! Recognised by content, never by name: a Parquet file begins and ends with `PAR1`; an Arrow IPC file
//! begins with `ARROW1` and ends with it; an IPC stream begins with the continuation marker `ff ff ff ff`
//! of its first message. The record batches are decoded one at a time (a row group of Parquet is read a
//! batch of [`BATCH`] rows at a time) and written out as lines while the caller parses the lines
//! before them ([`super::streamed`] runs the decoding on a thread of its own), so a file is never held
//! whole in its decoded form.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::arrow_json::RowWriter;

/// Rows decoded at a time: about a megabyte of text, so that the decoder's buffers are reused from
/// one batch to the next instead of being mapped and faulted in afresh (as batches of several MB were).
const BATCH: usize = 1024;

/// The columnar file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columnar {
    Parquet,
    ArrowFile,
    ArrowStream,
}

impl Columnar {
    /// The format of the regular file `file` whose first bytes are `head`, if it is one of these;
    /// the file's position is left where it was.
    pub fn sniff(head: &[u8], file: &mut File, len: u64) -> io::Result<Option<Columnar>> {
        let (magic, format): (&[u8], _) = if head.starts_with(b"PAR1") {
            (b"PAR1", Columnar::Parquet)
        } else if head.starts_with(b"ARROW1") {
            (b"ARROW1", Columnar::ArrowFile)
        } else if head.starts_with(b"\xff\xff\xff\xff") {
            // A stream has no trailer; no text begins with these bytes (they are not UTF-8).
            return Ok(Some(Columnar::ArrowStream));
        } else {
            return Ok(None);
        };
        // A text that happens to begin with the magic ("PAR1,…" in a CSV) lacks the trailer.
        if len < 2 * magic.len() as u64 + 4 {
            return Ok(None);
        }
        let at = file.stream_position()?;
        file.seek(SeekFrom::End(-(magic.len() as i64)))?;
        let mut tail = vec![0u8; magic.len()];
        file.read_exact(&mut tail)?;
        file.seek(SeekFrom::Start(at))?;
        Ok((tail == magic).then_some(format))
    }

    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Columnar::Parquet => "Parquet",
            Columnar::ArrowFile | Columnar::ArrowStream => "Arrow IPC",
        }
    }
}

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// The JSON Lines text of the rows of a columnar file, written a batch at a time as it is read.
pub struct Rows {
    format: Columnar,
    batches: Batches,
    writer: RowWriter,
    buf: Vec<u8>,
    at: usize,
}

/// Opens `file` (positioned at its start) as a file of `format`, whose columns `text_columns` (beyond
/// the usual ones, [`super::arrow_json::TEXT_COLUMNS`]) are texts. A file the format's reader cannot
/// read is `InvalidData` ("not a readable Parquet file (…)"); a column of a type JSON has no plain
/// spelling for is `Unsupported`.
pub fn rows(file: File, format: Columnar, text_columns: &[String]) -> io::Result<Rows> {
    let bad = |e: ArrowError| invalid(format, e);
    let (schema, batches): (_, Batches) = match format {
        Columnar::Parquet => {
            let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| invalid(format, ArrowError::from(e)))?
                .with_batch_size(BATCH);
            let schema = builder.schema().clone();
            let reader = builder
                .build()
                .map_err(|e| invalid(format, ArrowError::from(e)))?;
            (schema, Box::new(reader))
        }
        Columnar::ArrowFile => {
            let reader =
                arrow_ipc::reader::FileReader::try_new_buffered(file, None).map_err(bad)?;
            (reader.schema(), Box::new(reader))
        }
        Columnar::ArrowStream => {
            let reader = arrow_ipc::reader::StreamReader::try_new(BufReader::new(file), None)
                .map_err(bad)?;
            (reader.schema(), Box::new(reader))
        }
    };
    let writer = RowWriter::new(schema.fields(), text_columns)
        .map_err(|e| io::Error::new(io::ErrorKind::Unsupported, e))?;
    Ok(Rows {
        format,
        batches,
        writer,
        buf: Vec::new(),
        at: 0,
    })
}

/// The rows of the file at `path` when it is a Parquet or Arrow IPC file (`Ok(None)` when it is
/// not), as [`rows`] opens them.
pub fn open_path(path: &Path, text_columns: &[String]) -> io::Result<Option<Rows>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut head = [0u8; super::input::MAGIC_LEN];
    let got = super::input::read_full(&mut file, &mut head)?;
    let Some(format) = Columnar::sniff(&head[..got], &mut file, len)? else {
        return Ok(None);
    };
    file.rewind()?;
    rows(file, format, text_columns).map(Some)
}

fn invalid(format: Columnar, e: ArrowError) -> io::Error {
    let e = e.to_string();
    let e = e.lines().next().unwrap_or_default();
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not a readable {} file ({e})", format.name()),
    )
}

impl Read for Rows {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.buf.len() {
            let Some(batch) = self.batches.next() else {
                return Ok(0);
            };
            let batch = batch.map_err(|e| invalid(self.format, e))?;
            self.buf.clear();
            self.at = 0;
            self.writer
                .write(batch.columns(), batch.num_rows(), &mut self.buf);
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rows({})", self.format.name())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, StringArray};

    use super::*;

    fn batch(from: i64, n: i64) -> RecordBatch {
        let ids: Vec<String> = (from..from + n).map(|i| format!("p{i}")).collect();
        let titles: Vec<Option<String>> = (from..from + n)
            .map(|i| (i % 3 != 0).then(|| format!("Title {i}")))
            .collect();
        RecordBatch::try_from_iter([
            ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
            ("title", Arc::new(StringArray::from(titles)) as ArrayRef),
            (
                "n",
                Arc::new(Int64Array::from_iter_values(from..from + n)) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    fn want(n: i64) -> String {
        (0..n)
            .map(|i| {
                let title = if i % 3 != 0 {
                    format!("Title {i}")
                } else {
                    String::new()
                };
                format!("{{\"id\":\"p{i}\",\"title\":\"{title}\",\"n\":{i}}}\n")
            })
            .collect()
    }

    fn read(path: &Path) -> io::Result<Option<String>> {
        let Some(mut rows) = open_path(path, &[])? else {
            return Ok(None);
        };
        let mut text = String::new();
        rows.read_to_string(&mut text)?;
        Ok(Some(text))
    }

    #[test]
    fn parquet_row_groups_are_read_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(7000))
            .build();
        let file = File::create(&path).unwrap();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(file, batch(0, 1).schema(), Some(props)).unwrap();
        writer.write(&batch(0, 10_000)).unwrap();
        writer.write(&batch(10_000, 9_000)).unwrap();
        writer.close().unwrap();
        assert_eq!(read(&path).unwrap().unwrap(), want(19_000));
    }

    #[test]
    fn arrow_ipc_files_and_streams_are_read_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (file_path, stream_path) = (dir.path().join("x.arrow"), dir.path().join("x.arrows"));
        let schema = batch(0, 1).schema();
        let mut w =
            arrow_ipc::writer::FileWriter::try_new(File::create(&file_path).unwrap(), &schema)
                .unwrap();
        let mut s =
            arrow_ipc::writer::StreamWriter::try_new(File::create(&stream_path).unwrap(), &schema)
                .unwrap();
        for (from, n) in [(0, 5), (5, 11), (16, 1)] {
            w.write(&batch(from, n)).unwrap();
            s.write(&batch(from, n)).unwrap();
        }
        w.finish().unwrap();
        s.finish().unwrap();
        assert_eq!(read(&file_path).unwrap().unwrap(), want(17));
        assert_eq!(read(&stream_path).unwrap().unwrap(), want(17));
    }

    #[test]
    fn a_damaged_file_is_invalid_data_naming_the_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        let mut writer = parquet::arrow::ArrowWriter::try_new(
            File::create(&path).unwrap(),
            batch(0, 1).schema(),
            None,
        )
        .unwrap();
        writer.write(&batch(0, 100)).unwrap();
        writer.close().unwrap();
        let mut data = std::fs::read(&path).unwrap();
        let len = data.len();
        data[4..len - 8].fill(0xAB); // the pages and most of the footer, magic kept at both ends
        std::fs::write(&path, &data).unwrap();
        let err = read(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(
            err.to_string().starts_with("not a readable Parquet file ("),
            "{err}"
        );
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn a_text_beginning_with_a_magic_is_not_columnar() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        for text in [
            "PAR1,title\nx,A title with more words\n",
            "ARROW1 is a word\n",
            "PAR1",
        ] {
            std::fs::write(&path, text).unwrap();
            assert!(read(&path).unwrap().is_none(), "{text:?}");
        }
    }
}
