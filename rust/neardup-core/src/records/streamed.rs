//! The records of a JSON Lines input read as a stream (a compressed file, a pipe, text to transcode),
//! read while the rest of the input is still being decompressed.
//!
//! Decompression runs on a thread of its own, a chunk of [`CHUNK`] bytes at a time. The calling thread
//! appends each chunk to an unlinked temporary file (as [`super::input`] spools such inputs), maps the run
//! of whole lines the file now holds beyond what it has read, and reads the records of that run in
//! parallel pieces ([`super::file`]) while the next chunk is decompressed. A line is never cut: a run ends
//! at the last line end written, and the rest of the line begins the next run; line numbers count from the
//! first line of the text, so the records, their lines and their errors are those of the text read whole.
//!
//! The records borrow their text from the runs' mappings, which a [`Spool`] holds for as long as the
//! records live: the text costs page cache and temporary disk, never anonymous memory, and no more than a
//! few chunks are in memory at once, whatever the size of the input.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::OnceLock;

use super::file::{self, Record, BOM};
use super::input::{self, Mapped, Opened, TextEncoding};
use super::RecordSpec;

/// Decompressed bytes a run holds at most (beyond a line that is longer): long enough that a run spreads
/// over the parser's threads, short enough that the parsing follows the decompression closely.
pub const CHUNK: usize = 4 << 20;

/// Chunks decompressed ahead of the parsing: the decompressor never waits on a short hiccup of the
/// parser, and the chunks in memory stay few.
const AHEAD: usize = 2;

/// What the records of one input borrow from: the input mapped whole, or the runs of its temporary copy,
/// each mapped as it was written. Append-only: a run once held stays where it is until the spool drops.
pub struct Spool {
    runs: Runs,
    count: AtomicUsize,
}

impl Default for Spool {
    fn default() -> Self {
        Spool::new()
    }
}

impl Spool {
    pub fn new() -> Spool {
        Spool {
            runs: Runs::new(),
            count: AtomicUsize::new(0),
        }
    }

    /// Holds `mapped` as long as the spool lives; its bytes.
    pub fn hold(&self, mapped: Mapped) -> &[u8] {
        self.push(Run::Whole(mapped))
    }

    fn push(&self, run: Run) -> &[u8] {
        let slot = self.runs.slot(self.count.fetch_add(1, Ordering::Relaxed));
        // A fresh slot (the count never repeats), so the value set is the one returned.
        match slot.get_or_init(|| run) {
            Run::Whole(m) => m,
            Run::Part(m) => m,
        }
    }
}

enum Run {
    Whole(Mapped),
    Part(memmap2::Mmap),
}

/// Slots a block of [`Runs`] holds; past them, the next block.
const BLOCK: usize = 64;

/// An append-only chain of slots: a slot is set once through a shared reference and its value never moves,
/// so what was borrowed from an earlier run stays valid while later runs are added.
struct Runs {
    slots: [OnceLock<Run>; BLOCK],
    next: OnceLock<Box<Runs>>,
}

impl Runs {
    fn new() -> Runs {
        Runs {
            slots: std::array::from_fn(|_| OnceLock::new()),
            next: OnceLock::new(),
        }
    }

    fn slot(&self, mut i: usize) -> &OnceLock<Run> {
        let mut block = self;
        while i >= BLOCK {
            block = block.next.get_or_init(|| Box::new(Runs::new()));
            i -= BLOCK;
        }
        &block.slots[i]
    }
}

/// The records of the JSON Lines input at `path` (decompressed and transcoded as [`input::open_text`]
/// says), their text held by `spool`; `Ok(None)` when some line needs the Python reader or the input
/// holds no record. A plain file is mapped whole; anything else is read as it comes ([`read_stream`]).
pub fn read_path<'a>(
    spool: &'a Spool,
    path: &Path,
    encoding: Option<TextEncoding>,
    spec: &RecordSpec,
) -> io::Result<Option<Vec<Record<'a>>>> {
    if !spec.supported() {
        return Ok(None);
    }
    match input::open_text(path, encoding)? {
        Opened::Mapped(m) => Ok(file::read_records(spool.hold(m), spec)),
        Opened::Stream { text, .. } => read_stream(spool, text, spec),
    }
}

/// The records of the JSON Lines text `text` yields, read while it is still being read (see the module
/// doc); as [`file::read_records`] on the whole text. A failure to read the text (corrupt compressed
/// data, say) is an error even when the lines before it were read.
pub fn read_stream<'a>(
    spool: &'a Spool,
    text: Box<dyn Read + Send>,
    spec: &RecordSpec,
) -> io::Result<Option<Vec<Record<'a>>>> {
    if !spec.supported() {
        return Ok(None);
    }
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(AHEAD);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || decompress(text, &full_tx, &empty_rx));
        // Returning drops the receiving end, which stops the decompressor at its next chunk.
        parse(spool, full_rx, &empty_tx, spec)
    })
}

/// The decompressing side: sends the text in chunks of `CHUNK` bytes (the last one shorter), then an
/// empty chunk; an error ends the sending. Buffers come back through `empty` to be filled again.
fn decompress(
    mut text: Box<dyn Read + Send>,
    full: &mpsc::SyncSender<io::Result<Vec<u8>>>,
    empty: &mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = empty.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        let got = match input::read_full(&mut text, &mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = full.send(Err(e));
                return;
            }
        };
        buf.truncate(got);
        // Gone: the parsing side stopped (a line for the Python reader).
        if full.send(Ok(buf)).is_err() || got == 0 {
            return;
        }
    }
}

/// The parsing side: appends each chunk to the temporary file and reads the runs of whole lines.
fn parse<'a>(
    spool: &'a Spool,
    full: mpsc::Receiver<io::Result<Vec<u8>>>,
    empty: &mpsc::Sender<Vec<u8>>,
    spec: &RecordSpec,
) -> io::Result<Option<Vec<Record<'a>>>> {
    let mut temp = tempfile::tempfile()?;
    let mut records = Vec::new();
    // Bytes in the file; the first not yet read; the lines read.
    let (mut written, mut start, mut lines) = (0u64, 0u64, 0u64);
    loop {
        // A closed channel without the empty chunk would be a decompressor that died: not an end.
        let chunk = full
            .recv()
            .map_err(|_| io::Error::other("the decompressing thread stopped"))??;
        let end = chunk.is_empty();
        let cut = match end {
            true => written,
            false => {
                temp.write_all(&chunk).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "cannot write the temporary copy in {} ({e})",
                            std::env::temp_dir().display()
                        ),
                    )
                })?;
                let cut = memchr::memrchr(b'\n', &chunk).map(|at| written + at as u64 + 1);
                written += chunk.len() as u64;
                let _ = empty.send(chunk);
                cut.unwrap_or(start)
            }
        };
        if cut > start {
            let run = spool.push(Run::Part(map_run(&temp, start, cut)?));
            let run = match start {
                0 => run.strip_prefix(BOM).unwrap_or(run),
                _ => run,
            };
            let Some(last) = file::read_lines(run, spec, lines, &mut records) else {
                return Ok(None);
            };
            (start, lines) = (cut, last);
        }
        if end {
            return Ok((!records.is_empty()).then_some(records));
        }
    }
}

/// Bytes `start..end` of the temporary file, mapped (memmap2 aligns the offset to a page itself).
fn map_run(temp: &File, start: u64, end: u64) -> io::Result<memmap2::Mmap> {
    let len = usize::try_from(end - start).map_err(io::Error::other)?;
    // SAFETY: the file has no name: nobody else can open it, let alone truncate it, and it only grows.
    // Its pages were just written and are in the page cache: mapping them all at once spares a fault
    // per page.
    let map = unsafe {
        memmap2::MmapOptions::new()
            .offset(start)
            .len(len)
            .populate()
            .map(temp)?
    };
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RecordSpec {
        RecordSpec {
            keep_extra: true,
            ..RecordSpec::default()
        }
    }

    /// A text with lines of many lengths, blank lines here and there, a BOM in front, and no line end at
    /// the very end, so that runs end inside lines, at blank lines, and at the end of the text.
    fn text(n: usize) -> Vec<u8> {
        let mut data = BOM.to_vec();
        for i in 0..n {
            if i % 97 == 5 {
                data.extend_from_slice(b"\n  \r\n");
            }
            let pad = "word ".repeat((i * 7919) % 2000);
            data.extend_from_slice(
                format!("{{\"id\": \"{i}\", \"title\": \"T{i}\", \"abstract\": \"{pad}\", \"n\": {i}}}\n")
                    .as_bytes(),
            );
        }
        data.pop();
        data
    }

    #[test]
    fn records_and_lines_are_those_of_the_whole_text() {
        let data = text(20_000);
        assert!(data.len() > 5 * CHUNK);
        let whole = file::read_records(&data, &spec()).unwrap();
        let spool = Spool::new();
        let streamed = read_stream(&spool, Box::new(io::Cursor::new(data.clone())), &spec())
            .unwrap()
            .unwrap();
        assert_eq!(streamed.len(), 20_000);
        assert_eq!(streamed, whole);
        // Runs were many, and the records borrow from them, not from a copy.
        assert!(spool.count.load(Ordering::Relaxed) > 5);
        assert!(streamed.iter().any(|r| matches!(r.extra.first(), Some((k, _)) if k == "n")));
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_read_whole() {
        let long = "x".repeat(CHUNK + CHUNK / 2);
        let data = format!(
            "{{\"title\": \"A\"}}\n{{\"title\": \"B\", \"abstract\": \"{long}\"}}\n\n{{\"title\": \"C\"}}\n"
        );
        let spool = Spool::new();
        let got = read_stream(&spool, Box::new(io::Cursor::new(data.into_bytes())), &spec())
            .unwrap()
            .unwrap();
        let lines: Vec<u64> = got.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 4]);
        assert_eq!(got[1].abstract_text().len(), long.len());
    }

    #[test]
    fn a_line_for_the_python_reader_anywhere_gives_none() {
        let mut data = text(3000);
        data.extend_from_slice(b"\n{oops\n");
        let spool = Spool::new();
        let got = read_stream(&spool, Box::new(io::Cursor::new(data)), &spec()).unwrap();
        assert!(got.is_none());
        for empty in [&b""[..], b"\n\n  \n"] {
            let got = read_stream(&spool, Box::new(io::Cursor::new(empty.to_vec())), &spec());
            assert!(got.unwrap().is_none());
        }
    }

    /// Yields `data`, then fails: the read error reaches the caller however many runs were read.
    struct FailsAfter(io::Cursor<Vec<u8>>);
    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt gzip data")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn a_read_error_after_some_runs_is_an_error() {
        let spool = Spool::new();
        let got = read_stream(
            &spool,
            Box::new(FailsAfter(io::Cursor::new(text(20_000)))),
            &spec(),
        );
        let e = got.err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("gzip"));
    }
}
