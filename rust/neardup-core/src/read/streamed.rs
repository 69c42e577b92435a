//! The records of a JSON Lines input read as a stream (a compressed file, a pipe, text to transcode),
//! read while the rest of the input is still being decompressed.
//!
//! Decompression runs on a thread of its own and hands over chunks of whole lines of about [`CHUNK`]
//! bytes (the part of a line at a chunk's end begins the next chunk). The calling thread reads the
//! records of each chunk in parallel pieces ([`super::file`]) while the next one is decompressed. Line
//! numbers count from the first line of the text, so the records, their lines and their errors are those
//! of the text read whole.
//!
//! The records borrow their text from the chunks, which a [`Spool`] holds for as long as the records live:
//! in memory up to [`HELD`] bytes of an input, beyond that appended to an unlinked temporary file (as
//! [`super::input`] spools such inputs) and mapped back. Memory stays within a constant whatever the size
//! of the input: a 10 GB `.jsonl.zst` costs page cache and temporary disk for all but its first chunks.
//!
//! [`read_chunks`] is the same overlap for readers that take each chunk as it comes and keep nothing of
//! it but what they computed (corpus dedup; [`read_chunks_cut`] for CSV, whose chunks end at row ends):
//! the text goes to a [`HeldText`], addressable by byte offset for a second pass, within the [`Budget`]
//! of the run (one for all of its inputs).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use super::file::{self, Record, BOM};
use super::input::{self, Mapped, Opened, TextEncoding};
use super::RecordSpec;

/// Decompressed bytes a run holds at most (beyond a line that is longer): long enough that a run spreads
/// over the parser's threads, short enough that the parsing follows the decompression closely.
pub const CHUNK: usize = 4 << 20;

/// Decompressed bytes of one input held in memory; the rest of the text goes to the temporary file.
/// Writing into the page cache costs more than keeping the chunks the decoder wrote (a copy, and fresh
/// page-cache folios), so a text of usual size is held; the bound keeps a 10 GB input on disk, and
/// the memory of any input within a constant.
pub const HELD: usize = 256 << 20;

/// Decompressed bytes the texts of one run hold in memory together by default ([`Budget::default`]):
/// the text of a corpus of a few hundred thousand documents (about 200 MB for 200k abstracts) is held and
/// read once; past it, a later input is decompressed again (or, from a pipe, spilled to a temporary
/// file). At most a quarter of the machine's memory ([`Budget::default_limit`]).
pub const HELD_BUDGET: usize = 512 << 20;

/// Chunks decompressed ahead of the parsing: the decompressor never waits on a short hiccup of the
/// parser, and the chunks in memory stay few.
const AHEAD: usize = 2;

/// What the records of one input borrow from: the input mapped whole, or its chunks, held in memory or
/// mapped from its temporary copy. Append-only: a run once held stays where it is until the spool drops.
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
            Run::Heap(v) => v,
            Run::Part(m) => m,
        }
    }
}

enum Run {
    Whole(Mapped),
    Heap(Vec<u8>),
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
    match input::open_text_with_text_columns(path, encoding, &spec.text_columns())? {
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
    read_stream_holding(spool, text, spec, HELD)
}

/// [`read_stream`], holding at most `held_at_most` bytes of the text in memory.
fn read_stream_holding<'a>(
    spool: &'a Spool,
    text: Box<dyn Read + Send>,
    spec: &RecordSpec,
    held_at_most: usize,
) -> io::Result<Option<Vec<Record<'a>>>> {
    if !spec.supported() {
        return Ok(None);
    }
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(AHEAD);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || decompress(text, &full_tx, &empty_rx, line_end));
        // Returning drops the receiving end, which stops the decompressor at its next chunk.
        parse(spool, full_rx, &empty_tx, spec, held_at_most)
    })
}

/// Where the last whole line of `buf` ends (past its line end), looking only at the bytes from `new` on
/// (those before hold no line end): the cut of JSON Lines chunks.
fn line_end(buf: &[u8], new: usize) -> Option<usize> {
    memchr::memrchr(b'\n', &buf[new..]).map(|nl| new + nl + 1)
}

/// The decompressing side: sends the text in chunks of whole records of about `CHUNK` bytes (more when a
/// record is longer; the last chunk may lack its line end), then an empty chunk; an error ends the
/// sending. `cut(buf, new)` says where the last whole record of a chunk (which starts at a record's
/// start) ends, `new` being where the bytes read last begin: a line end for JSON Lines, a row end
/// outside quotes for CSV. The part of a record at a chunk's end is carried to the front of the next
/// chunk. Buffers the parsing side is done with come back through `empty` to be filled again.
fn decompress(
    mut text: Box<dyn Read + Send>,
    full: &mpsc::SyncSender<io::Result<Vec<u8>>>,
    empty: &mpsc::Receiver<Vec<u8>>,
    mut cut: impl FnMut(&[u8], usize) -> Option<usize>,
) {
    let mut carry = Vec::new();
    loop {
        let mut buf = empty.try_recv().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(&carry);
        carry.clear();
        let mut at = buf.len();
        let mut size = CHUNK.max(2 * at);
        // Filled until the chunk holds a line end past the carried part, or the text ends.
        let cut = loop {
            buf.resize(size, 0);
            let got = match input::read_full(&mut text, &mut buf[at..]) {
                Ok(n) => n,
                Err(e) => {
                    let _ = full.send(Err(e));
                    return;
                }
            };
            let filled = at + got;
            if filled < size {
                buf.truncate(filled);
                break filled; // the end of the text
            }
            if let Some(end) = cut(&buf[..filled], at) {
                break end;
            }
            (at, size) = (filled, 2 * size); // a record longer than the chunk so far
        };
        carry.extend_from_slice(&buf[cut..]);
        buf.truncate(cut);
        let done = buf.is_empty();
        // Gone: the parsing side stopped (a line for the Python reader).
        if full.send(Ok(buf)).is_err() || done {
            return;
        }
    }
}

/// The parsing side: holds each chunk in memory while the input's text held so far stays within
/// `held_at_most` bytes, else appends it to the temporary file and maps it back; reads the records of each.
fn parse<'a>(
    spool: &'a Spool,
    full: mpsc::Receiver<io::Result<Vec<u8>>>,
    empty: &mpsc::Sender<Vec<u8>>,
    spec: &RecordSpec,
    held_at_most: usize,
) -> io::Result<Option<Vec<Record<'a>>>> {
    let mut temp: Option<File> = None;
    let mut records = Vec::new();
    // Bytes held in memory; bytes in the file; the lines read.
    let (mut held, mut written, mut lines) = (0usize, 0u64, 0u64);
    loop {
        // A closed channel without the empty chunk would be a decompressor that died: not an end.
        let chunk = full
            .recv()
            .map_err(|_| io::Error::other("the decompressing thread stopped"))??;
        if chunk.is_empty() {
            return Ok((!records.is_empty()).then_some(records));
        }
        let first = held == 0 && written == 0;
        let run = if held + chunk.len() <= held_at_most {
            held += chunk.len();
            spool.push(Run::Heap(chunk))
        } else {
            let file = match &mut temp {
                Some(file) => file,
                None => temp.insert(tempfile::tempfile()?),
            };
            input::write_temp(file, &chunk)?;
            let start = written;
            written += chunk.len() as u64;
            let _ = empty.send(chunk);
            spool.push(Run::Part(map_run(file, start, written)?))
        };
        let run = match first {
            true => run.strip_prefix(BOM).unwrap_or(run),
            false => run,
        };
        let Some(last) = file::read_lines(run, spec, lines, &mut records) else {
            return Ok(None);
        };
        lines = last;
    }
}

// ---- a text kept for a second read -----------------------------------------------------------------

/// The decompressed bytes that the [`HeldText`]s of one run (every input of a corpus dedup) may hold in
/// memory together: one bound for the run, however many files it reads, rather than one per file.
///
/// A text takes its bytes chunk by chunk as it is read and gives them back when it is dropped (or when
/// it outgrows what is left and drops itself). A run reads its inputs one after the other, so which of
/// them are held depends only on their order and sizes: the first ones, as long as they fit, and a later
/// one that fits in what the others left; never on threads or timing. What is not held is read again or
/// spilled, so the results are the same whatever the budget; only the time and memory differ.
#[derive(Clone)]
pub struct Budget(Arc<BudgetState>);

struct BudgetState {
    limit: usize,
    used: AtomicUsize,
}

impl Default for Budget {
    /// A budget of [`Budget::default_limit`] bytes.
    fn default() -> Self {
        Budget::new(Budget::default_limit())
    }
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("limit", &self.limit())
            .field("used", &self.used())
            .finish()
    }
}

impl Budget {
    /// A budget of `limit` bytes (0: nothing is held).
    pub fn new(limit: usize) -> Budget {
        Budget(Arc::new(BudgetState {
            limit,
            used: AtomicUsize::new(0),
        }))
    }

    /// [`HELD_BUDGET`], or a quarter of the machine's memory when that is less (the total, not what is
    /// free at the moment: the same machine gives the same budget).
    pub fn default_limit() -> usize {
        physical_memory().map_or(HELD_BUDGET, |m| HELD_BUDGET.min(m / 4))
    }

    pub fn limit(&self) -> usize {
        self.0.limit
    }

    /// Bytes the live texts of this budget hold.
    pub fn used(&self) -> usize {
        self.0.used.load(Ordering::Relaxed)
    }

    /// Takes `n` bytes if they fit.
    fn take(&self, n: usize) -> bool {
        let limit = self.0.limit;
        self.0
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(n).filter(|&u| u <= limit)
            })
            .is_ok()
    }

    fn give(&self, n: usize) {
        self.0.used.fetch_sub(n, Ordering::Relaxed);
    }
}

/// Total memory of the machine (Linux: `MemTotal` of /proc/meminfo), if known.
fn physical_memory() -> Option<usize> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// The text of a streamed input kept so that a later pass can read its records again by byte offset
/// (the documents a first pass located): its chunks in memory while they fit in the run's [`Budget`],
/// every later chunk appended to an unlinked temporary file that is mapped once the text ends (or, with
/// [`HeldText::holding_or_dropping`], the whole text dropped). A record never straddles two chunks
/// (chunks are whole lines), so each one is one slice. A UTF-8 BOM in front is dropped: offsets count from
/// the first byte after it.
pub struct HeldText {
    /// `(offset, chunk)`, ascending, all before `spilled_from`.
    heap: Vec<(u64, Vec<u8>)>,
    /// Bytes of `heap`, taken from `budget`.
    heap_bytes: usize,
    budget: Budget,
    temp: Option<File>,
    /// Offset of the first byte in the temporary file (`u64::MAX`: none there).
    spilled_from: u64,
    tail: Option<memmap2::Mmap>,
    len: u64,
    /// Whether the text began with a UTF-8 BOM (dropped).
    pub bom: bool,
    /// Past the budget, drop the whole text instead of spilling it to a temporary file: the input can
    /// be read again ([`ReadAgain`]).
    drop_past_budget: bool,
    /// The text outgrew the budget and was dropped.
    dropped: bool,
    started: bool,
}

impl Default for HeldText {
    /// A text with a budget of its own ([`Budget::default`]).
    fn default() -> Self {
        HeldText::holding(&Budget::default())
    }
}

impl Drop for HeldText {
    fn drop(&mut self) {
        self.budget.give(self.heap_bytes);
    }
}

impl std::fmt::Debug for HeldText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldText")
            .field("len", &self.len)
            .field("in_memory", &self.heap_bytes)
            .finish()
    }
}

impl HeldText {
    /// An empty text that holds in memory what fits in `budget`, and spills the rest.
    pub fn holding(budget: &Budget) -> HeldText {
        HeldText {
            heap: Vec::new(),
            heap_bytes: 0,
            budget: budget.clone(),
            temp: None,
            spilled_from: u64::MAX,
            tail: None,
            len: 0,
            bom: false,
            drop_past_budget: false,
            dropped: false,
            started: false,
        }
    }

    /// An empty text that holds in memory all of it if it fits in `budget`, else nothing: an input
    /// that can be read again ([`ReadAgain`]: a regular file) is decompressed again for a later pass
    /// rather than written to a temporary file (a 10 GB corpus would need 10 GB of temporary disk, and
    /// its mapped pages count as the process's memory). What it took is given back when it drops, so a
    /// later, shorter input may still be held.
    pub fn holding_or_dropping(budget: &Budget) -> HeldText {
        let mut held = HeldText::holding(budget);
        held.drop_past_budget = true;
        held
    }

    /// Whether the text outgrew the budget and was dropped ([`HeldText::holding_or_dropping`]):
    /// nothing of it is held.
    pub fn dropped(&self) -> bool {
        self.dropped
    }

    /// Bytes of the text held in memory (taken from the budget).
    pub fn in_memory(&self) -> usize {
        self.heap_bytes
    }

    /// The text's length in bytes (after a BOM).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes from offset `start` to the end of the chunk holding it (a record starting there ends
    /// within them); None past the text.
    pub fn from(&self, start: u64) -> Option<&[u8]> {
        if start >= self.spilled_from {
            let tail = self.tail.as_deref()?;
            return tail.get(usize::try_from(start - self.spilled_from).ok()?..);
        }
        let at = self.heap.partition_point(|(offset, _)| *offset <= start);
        let (offset, chunk) = self.heap.get(at.checked_sub(1)?)?;
        chunk.get((start - offset) as usize..)
    }

    /// Bytes `start..end` of the text, when they lie in one chunk (a record's do).
    pub fn get(&self, start: u64, end: u64) -> Option<&[u8]> {
        let len = usize::try_from(end.checked_sub(start)?).ok()?;
        self.from(start)?.get(..len)
    }

    /// Appends a chunk; the buffer back when its bytes went to the temporary file.
    fn push(&mut self, mut chunk: Vec<u8>) -> io::Result<Option<Vec<u8>>> {
        if !self.started && chunk.starts_with(BOM) {
            self.bom = true;
            chunk.drain(..BOM.len());
        }
        self.started = true;
        let n = chunk.len();
        if self.dropped {
            self.len += n as u64;
            return Ok(Some(chunk));
        }
        // Once a chunk has been spilled, the later ones follow it (the file is one run of the text).
        if self.temp.is_none() && self.budget.take(n) {
            self.heap_bytes += n;
            self.heap.push((self.len, chunk));
            self.len += n as u64;
            return Ok(None);
        }
        if self.drop_past_budget {
            self.budget.give(self.heap_bytes);
            self.heap_bytes = 0;
            self.heap = Vec::new();
            self.dropped = true;
            self.len += n as u64;
            return Ok(Some(chunk));
        }
        if self.temp.is_none() {
            self.temp = Some(tempfile::tempfile()?);
            self.spilled_from = self.len;
        }
        let file = self.temp.as_mut().expect("just set");
        input::write_temp(file, &chunk)?;
        self.len += n as u64;
        Ok(Some(chunk))
    }

    /// Maps what went to the temporary file, once the text has ended.
    fn finish(&mut self) -> io::Result<()> {
        if let Some(file) = &self.temp {
            if self.len > self.spilled_from {
                self.tail = Some(map_run(file, 0, self.len - self.spilled_from)?);
            }
        }
        Ok(())
    }
}

/// Reads the text `text` yields in chunks of whole lines (see the module doc), handing each to `each`
/// with its offset in `held` while the next one is decompressed, then keeping it in `held`. `each`
/// returns whether to go on; a failure to read the text (corrupt compressed data) is `io(error)`, even
/// after chunks were handed over.
pub fn read_chunks<E>(
    text: Box<dyn Read + Send>,
    held: &mut HeldText,
    io: impl Fn(io::Error) -> E,
    each: impl FnMut(&[u8], u64) -> Result<bool, E>,
) -> Result<(), E> {
    read_chunks_cut(text, held, io, line_end, each)
}

/// [`read_chunks`] for records other than lines: `cut` as [`decompress`] takes it (run on the
/// decompressing thread), so that no chunk splits a record.
pub fn read_chunks_cut<E>(
    text: Box<dyn Read + Send>,
    held: &mut HeldText,
    io: impl Fn(io::Error) -> E,
    cut: impl FnMut(&[u8], usize) -> Option<usize> + Send,
    each: impl FnMut(&[u8], u64) -> Result<bool, E>,
) -> Result<(), E> {
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(AHEAD);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || decompress(text, &full_tx, &empty_rx, cut));
        // Returning drops the receiving end, which stops the decompressor at its next chunk.
        take_chunks(full_rx, &empty_tx, held, &io, each)
    })?;
    held.finish().map_err(io)
}

fn take_chunks<E>(
    full: mpsc::Receiver<io::Result<Vec<u8>>>,
    empty: &mpsc::Sender<Vec<u8>>,
    held: &mut HeldText,
    io: &impl Fn(io::Error) -> E,
    mut each: impl FnMut(&[u8], u64) -> Result<bool, E>,
) -> Result<(), E> {
    let mut first = true;
    loop {
        let chunk = full
            .recv()
            .map_err(|_| io::Error::other("the decompressing thread stopped"))
            .and_then(|c| c)
            .map_err(io)?;
        if chunk.is_empty() {
            return Ok(());
        }
        let skip = match first && chunk.starts_with(BOM) {
            true => BOM.len(),
            false => 0,
        };
        first = false;
        let go_on = each(&chunk[skip..], held.len())?;
        if let Some(buf) = held.push(chunk).map_err(io)? {
            let _ = empty.send(buf);
        }
        if !go_on {
            return Ok(());
        }
    }
}

/// A compressed (or transcoded) regular file read again, decompressed as it comes, for the spans of its
/// text that a later pass wants (records located by a first pass whose text was not kept:
/// [`HeldText::dropped`]). The decompression stream stays open between calls, so spans asked for in
/// ascending order across calls (the members of a run, then the records written) cost one more pass
/// over the file, not one per call; a span before the stream's position opens the file again.
pub struct ReadAgain {
    path: PathBuf,
    /// The columns of a Parquet or Arrow file read as texts: the text is written as it was first.
    text_columns: Vec<String>,
    at: Mutex<Option<Cursor>>,
}

impl std::fmt::Debug for ReadAgain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAgain")
            .field("path", &self.path)
            .finish()
    }
}

/// Where a [`ReadAgain`] stream stands: `buf` holds the text from offset `base` on.
struct Cursor {
    text: Box<dyn Read + Send>,
    buf: Vec<u8>,
    base: u64,
    started: bool,
    eof: bool,
}

impl ReadAgain {
    /// `path` read again as [`input::open_text_with_text_columns`] reads it with `text_columns`.
    pub fn new(path: &Path, text_columns: Vec<String>) -> ReadAgain {
        ReadAgain {
            path: path.to_owned(),
            text_columns,
            at: Mutex::new(None),
        }
    }

    fn open(&self) -> io::Result<Cursor> {
        let text = match input::open_text_with_text_columns(&self.path, None, &self.text_columns)? {
            Opened::Stream { text, .. } => text,
            Opened::Mapped(m) => Box::new(io::Cursor::new(m.to_vec())),
        };
        Ok(Cursor {
            text,
            buf: Vec::new(),
            base: 0,
            started: false,
            eof: false,
        })
    }

    /// Hands `each` the bytes of the spans `start..end` (offsets after a BOM), ascending by start and
    /// not overlapping, a run at a time: `each(index of the run's first span, its bytes)`. False when
    /// the text ends before a span does (the file changed).
    pub fn spans<E>(
        &self,
        spans: &[(u64, u64)],
        io: impl Fn(io::Error) -> E,
        mut each: impl FnMut(usize, Vec<&[u8]>) -> Result<(), E>,
    ) -> Result<bool, E> {
        let mut guard = self.at.lock().unwrap_or_else(|e| e.into_inner());
        let restart = match (&*guard, spans.first()) {
            (_, None) => return Ok(true),
            (Some(c), Some(&(start, _))) => start < c.base,
            (None, Some(_)) => true,
        };
        if restart {
            *guard = Some(self.open().map_err(&io)?);
        }
        let c = guard.as_mut().expect("opened above");
        let mut next = 0;
        while next < spans.len() {
            if !c.eof {
                let old = c.buf.len();
                c.buf.resize(old + CHUNK, 0);
                let got = input::read_full(&mut c.text, &mut c.buf[old..]).map_err(&io)?;
                c.buf.truncate(old + got);
                c.eof = got == 0;
                if !c.started {
                    // The first read fills a whole chunk unless the text is shorter.
                    c.started = true;
                    if c.buf.starts_with(BOM) {
                        c.buf.drain(..BOM.len());
                    }
                }
            }
            let end = c.base + c.buf.len() as u64;
            let first = next;
            let mut run = Vec::new();
            while let Some(&(start, stop)) = spans.get(next) {
                if stop > end {
                    break;
                }
                if start < c.base || stop < start {
                    return Ok(false);
                }
                run.push(&c.buf[(start - c.base) as usize..(stop - c.base) as usize]);
                next += 1;
            }
            if !run.is_empty() {
                each(first, run)?;
            }
            if c.eof && next < spans.len() {
                return Ok(false);
            }
            // Keep only what a later span may need.
            let keep = spans
                .get(next)
                .map_or(end, |&(start, _)| start.clamp(c.base, end));
            c.buf.drain(..(keep - c.base) as usize);
            c.base = keep;
        }
        Ok(true)
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

    use crate::read::spec_keeping_extra as spec;

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
    fn a_text_past_the_budget_is_dropped_when_it_can_be_read_again() {
        let data = text(3000);
        assert!(data.len() > 3 * CHUNK);
        let budget = Budget::new(CHUNK + CHUNK / 2);
        let mut held = HeldText::holding_or_dropping(&budget);
        let mut seen = Vec::new();
        read_chunks(
            Box::new(io::Cursor::new(data.clone())),
            &mut held,
            |e| e,
            |chunk, at| {
                seen.push((at, chunk.len()));
                Ok(true)
            },
        )
        .unwrap();
        assert!(held.dropped() && held.bom);
        assert_eq!(
            (held.heap_bytes, held.heap.len(), held.temp.is_none()),
            (0, 0, true)
        );
        assert_eq!(held.len(), (data.len() - BOM.len()) as u64);
        assert!(held.from(0).is_none());
        // Offsets run on after the drop: they are the text's.
        let (last_at, last_len) = *seen.last().unwrap();
        assert_eq!(last_at + last_len as u64, held.len());
        // The dropped text gave back what it took: a shorter one that fits is held, and takes its
        // bytes from the same budget.
        assert_eq!(budget.used(), 0);
        let read = |len: usize| {
            let mut held = HeldText::holding_or_dropping(&budget);
            read_chunks(
                Box::new(io::Cursor::new(data[..len].to_vec())),
                &mut held,
                |e| e,
                |_, _| Ok(true),
            )
            .unwrap();
            held
        };
        let small = read(CHUNK / 2);
        assert!(!small.dropped() && small.from(0).is_some());
        assert_eq!(budget.used(), small.in_memory());
        assert_eq!(small.in_memory() as u64, small.len());
        // The budget is the run's, not the text's: a second text that would fit alone does not fit
        // in what the first left, and is dropped; the first stays held.
        let second = read(CHUNK + CHUNK / 4);
        assert!(second.dropped() && second.in_memory() == 0);
        assert_eq!(budget.used(), small.in_memory());
        drop(second);
        drop(small);
        assert_eq!(budget.used(), 0);
        assert!(!read(CHUNK + CHUNK / 4).dropped());
    }

    #[test]
    fn read_again_hands_over_each_span_once_in_order() {
        let data = text(3000);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &data).unwrap();
        std::fs::write(&path, enc.finish().unwrap()).unwrap();
        let body = &data[BOM.len()..];
        let again = ReadAgain::new(&path, Vec::new());
        // Overlapping spans, one reaching across many chunks, the text's last byte.
        let n = body.len() as u64;
        let spans = [
            (0, 5),
            (3, 9),
            (100, 3 * CHUNK as u64),
            (2 * CHUNK as u64, 2 * CHUNK as u64 + 7),
            (n - 1, n),
        ];
        let mut got: Vec<(usize, Vec<u8>)> = Vec::new();
        let done = again
            .spans(
                &spans,
                |e| e,
                |first, run| {
                    got.extend(
                        run.into_iter()
                            .enumerate()
                            .map(|(j, b)| (first + j, b.to_vec())),
                    );
                    Ok(())
                },
            )
            .unwrap();
        assert!(done);
        let want: Vec<(usize, Vec<u8>)> = spans
            .iter()
            .enumerate()
            .map(|(k, &(s, e))| (k, body[s as usize..e as usize].to_vec()))
            .collect();
        assert_eq!(got, want);
        // Past the end of the text: false, not a short span.
        assert!(!again
            .spans(&[(n - 2, n + 1)], |e| e, |_, _| Ok(()))
            .unwrap());
    }

    #[test]
    fn records_and_lines_are_those_of_the_whole_text() {
        let data = text(20_000);
        assert!(data.len() > 5 * CHUNK);
        let whole = file::read_records(&data, &spec()).unwrap();
        // All in memory; the first two chunks in memory and the rest in the temporary file; all in it.
        for held in [HELD, 2 * CHUNK + CHUNK / 2, 0] {
            let spool = Spool::new();
            let text = Box::new(io::Cursor::new(data.clone()));
            let streamed = read_stream_holding(&spool, text, &spec(), held)
                .unwrap()
                .unwrap();
            assert_eq!(streamed.len(), 20_000);
            assert_eq!(streamed, whole, "held {held}");
            // Runs were many, and the records borrow from them.
            assert!(spool.count.load(Ordering::Relaxed) > 5);
            let on_disk = (0..spool.count.load(Ordering::Relaxed))
                .filter(|&i| matches!(spool.runs.slot(i).get(), Some(Run::Part(_))))
                .count();
            assert_eq!(on_disk > 0, held < data.len(), "held {held}");
        }
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_read_whole() {
        let long = "x".repeat(2 * CHUNK + CHUNK / 2);
        let data = format!(
            "{{\"title\": \"A\"}}\n{{\"title\": \"B\", \"abstract\": \"{long}\"}}\n\n{{\"title\": \"C\"}}"
        );
        for held in [HELD, 0] {
            let spool = Spool::new();
            let text = Box::new(io::Cursor::new(data.clone().into_bytes()));
            let got = read_stream_holding(&spool, text, &spec(), held)
                .unwrap()
                .unwrap();
            let lines: Vec<u64> = got.iter().map(|r| r.line).collect();
            assert_eq!(lines, [1, 2, 4]);
            assert_eq!(got[1].abstract_text().len(), long.len());
            assert_eq!(got[2].title(), "C");
        }
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
                0 => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "corrupt gzip data",
                )),
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

    /// Chunks handed over by [`read_chunks`] of `data`, with the text they kept.
    fn chunks_of(data: &[u8], cap: usize) -> (Vec<(u64, Vec<u8>)>, HeldText) {
        let mut held = HeldText::holding(&Budget::new(cap));
        let mut got = Vec::new();
        let text = Box::new(io::Cursor::new(data.to_vec()));
        read_chunks(
            text,
            &mut held,
            |e| e,
            |chunk, at| {
                got.push((at, chunk.to_vec()));
                Ok(true)
            },
        )
        .unwrap();
        (got, held)
    }

    #[test]
    fn chunks_are_whole_lines_at_their_offsets_and_kept_for_a_second_read() {
        let data = text(20_000);
        let body = &data[BOM.len()..];
        // All in memory, the first two chunks in memory and the rest in the file, all in the file.
        for cap in [HELD, 2 * CHUNK + CHUNK / 2, 0] {
            let (got, held) = chunks_of(&data, cap);
            assert!(got.len() > 5, "{}", got.len());
            assert!(held.bom);
            assert_eq!(held.len(), body.len() as u64);
            let mut at = 0u64;
            for (offset, chunk) in &got {
                assert_eq!(*offset, at);
                assert_eq!(&body[at as usize..][..chunk.len()], &chunk[..]);
                // A chunk is whole lines: the next one starts a line.
                let end = at as usize + chunk.len();
                assert!(end == body.len() || body[end - 1] == b'\n');
                assert_eq!(held.get(at, end as u64), Some(&chunk[..]), "cap {cap}");
                at = end as u64;
            }
            assert_eq!(at, body.len() as u64);
            // Every line is read again from where it starts, in memory or in the temporary file.
            let mut start = 0usize;
            for line in body.split_inclusive(|&b| b == b'\n') {
                let rest = held.from(start as u64).unwrap();
                assert!(rest.starts_with(line), "cap {cap}, line at {start}");
                start += line.len();
            }
            assert_eq!(held.from(body.len() as u64 + 1), None);
            assert!(held.heap_bytes <= cap);
            assert_eq!(held.tail.is_some(), cap < HELD);
        }
    }

    #[test]
    fn chunks_stop_when_asked_and_a_read_error_is_an_error() {
        let data = text(20_000);
        let mut held = HeldText::holding(&Budget::new(HELD));
        let mut seen = 0;
        let text = Box::new(io::Cursor::new(data.clone()));
        read_chunks(
            text,
            &mut held,
            |e| e,
            |_, _| {
                seen += 1;
                Ok(seen < 2)
            },
        )
        .unwrap();
        assert_eq!(seen, 2);
        let mut held = HeldText::holding(&Budget::new(0));
        let mut seen = 0;
        let e = read_chunks(
            Box::new(FailsAfter(io::Cursor::new(data))),
            &mut held,
            |e| e,
            |_, _| {
                seen += 1;
                Ok(true)
            },
        )
        .err()
        .unwrap();
        assert!(seen > 5);
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }
}
