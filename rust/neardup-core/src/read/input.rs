//! Opening an input: a path, standard input or any byte stream, compressed or not, as one contiguous,
//! memory-mapped run of its (decompressed) bytes.
//!
//! Compression is recognised by content, never by name (a `.txt` may hold gzip): the magic bytes of
//! gzip (`1f 8b`), zstd (`28 b5 2f fd`), bzip2 (`BZh` and a block size digit) and xz (`fd 37 7a 58 5a
//! 00`). A compressed input, and any input that cannot be mapped (a pipe, a FIFO, a terminal), is
//! streamed into an unlinked temporary file ([`tempfile::tempfile`], in `TMPDIR`) which is then mapped
//! like a plain file: the records that borrow their text from a mapping keep working, and a 10 GB
//! `.jsonl.zst` costs page cache and temporary disk, never anonymous memory. No name exists for the
//! temporary, so nothing is left behind however the process ends, and nobody else can truncate it.
//!
//! A plain regular file is mapped as it is. A mapping faults (SIGBUS) when the file shrinks under it;
//! each live mapping of a named file is registered ([`changed_file_at`]) so that a SIGBUS handler can
//! name the file that changed in one line instead of dying with "Bus error" (the command line installs
//! one; see the binding's `errors.rs`).
//!
//! A Parquet or Arrow IPC file opens as a stream of the JSON Lines of its rows ([`super::columnar`]).
//!
//! Text in another encoding than UTF-8 (named by the caller, or UTF-16 by its byte-order mark) is
//! transcoded on the way into the temporary file ([`super::encoding`]). [`text_reader`] is the streaming
//! half on its own, for readers that pull the text as they go (the Python readers, through the binding).

use std::ffi::{c_char, CString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, Write};
use std::ops::Deref;
use std::path::Path;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use super::columnar::{self, Columnar};
pub use super::encoding::TextEncoding;
use super::encoding::Transcoder;

/// The compressed formats an input may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

/// How many leading bytes [`Compression::sniff`] needs to decide.
pub const MAGIC_LEN: usize = 6;

impl Compression {
    /// The compression whose magic bytes `head` starts with, or `None` for anything else.
    pub fn sniff(head: &[u8]) -> Option<Compression> {
        if head.starts_with(b"\x1f\x8b") {
            Some(Compression::Gzip)
        } else if head.starts_with(b"\x28\xb5\x2f\xfd") {
            Some(Compression::Zstd)
        } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
            // "BZh" alone could begin a text ("BZh…"); the block-size digit makes it a bzip2 header.
            Some(Compression::Bzip2)
        } else if head.starts_with(b"\xfd7zXZ\x00") {
            Some(Compression::Xz)
        } else {
            None
        }
    }

    /// The format's usual name, for messages ("corrupt gzip data").
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
        }
    }
}

/// A reader of the decompressed bytes of `input`, compressed with `compression`. Concatenated
/// members/frames/streams are read one after the other, as `zcat`, `zstdcat`, `bzcat` and `xzcat` do.
/// A corrupt or truncated stream is an `InvalidData` error saying which format was corrupt.
pub fn decoder<'r, R: BufRead + Send + 'r>(
    compression: Compression,
    input: R,
) -> io::Result<Box<dyn Read + Send + 'r>> {
    let inner: Box<dyn Read + Send + 'r> = match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(input)?),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(input)),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(input)),
    };
    Ok(Box::new(Checked { inner, compression }))
}

/// Words the decoders' errors the same way: any failure inside the compressed stream is "corrupt X
/// data (…)", and an early end is "truncated X data".
struct Checked<'r> {
    inner: Box<dyn Read + Send + 'r>,
    compression: Compression,
}

impl Read for Checked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let name = self.compression.name();
            match e.kind() {
                // An error of the underlying source, not of the data: kept as it is.
                io::ErrorKind::Interrupted | io::ErrorKind::PermissionDenied => e,
                io::ErrorKind::UnexpectedEof => {
                    io::Error::new(io::ErrorKind::InvalidData, format!("truncated {name} data"))
                }
                io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::Other => {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("corrupt {name} data ({e})"),
                    )
                }
                _ => e,
            }
        })
    }
}

/// An input's bytes (decompressed), memory-mapped, or empty (an empty file cannot be mapped).
pub struct Mapped {
    map: Option<memmap2::Mmap>,
    /// The slot of [`MAPS`] this mapping holds while it lives (named files only).
    slot: Option<usize>,
    compression: Option<Compression>,
}

impl std::fmt::Debug for Mapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mapped({} bytes)", self.len())
    }
}

impl Mapped {
    /// The compression the input came in, if any.
    pub fn compression(&self) -> Option<Compression> {
        self.compression
    }
}

impl Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.map.as_deref().unwrap_or_default()
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            release(slot);
        }
    }
}

/// Opens `path` and maps its bytes, decompressed when the content is compressed; pipes, FIFOs and other
/// files that cannot be mapped are copied into an unlinked temporary file first (see the module doc).
/// Text in UTF-16 (by its byte-order mark) comes out as UTF-8.
pub fn open(path: &Path) -> io::Result<Mapped> {
    open_with(path, None)
}

/// [`open`], the text transcoded from `encoding` to UTF-8 when one is named (see [`super::encoding`]).
pub fn open_with(path: &Path, encoding: Option<TextEncoding>) -> io::Result<Mapped> {
    match open_text(path, encoding)? {
        Opened::Mapped(m) => Ok(m),
        Opened::Stream { text, compression } => to_temp(text, compression),
    }
}

/// An input opened by [`open_text`]: a plain file, mapped as it is, or the text of anything else
/// (decompressed, transcoded), to be read as a stream.
pub enum Opened {
    Mapped(Mapped),
    Stream {
        text: Box<dyn Read + Send>,
        compression: Option<Compression>,
    },
}

/// Opens `path` as [`open_with`] does, but leaves the text of an input that is not mapped as it is (a
/// compressed file, a pipe, text to transcode) as a stream, so that a reader can take it as it comes
/// ([`super::streamed`]: the records of the first megabytes are read while the rest is decompressed).
pub fn open_text(path: &Path, encoding: Option<TextEncoding>) -> io::Result<Opened> {
    open_text_with_text_columns(path, encoding, &[])
}

/// [`open_text`], a Parquet or Arrow IPC file's columns `text_columns` (beyond the usual ones) read as
/// texts: a null there is an empty text, not an absent member ([`super::arrow_json`]).
pub fn open_text_with_text_columns(
    path: &Path,
    encoding: Option<TextEncoding>,
    text_columns: &[String],
) -> io::Result<Opened> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "a directory"));
    }
    let stream = |file: File| -> io::Result<Opened> {
        let (text, compression) = text_reader(file, encoding)?;
        Ok(Opened::Stream { text, compression })
    };
    if !meta.is_file() {
        return stream(file);
    }
    let mut head = [0u8; MAGIC_LEN];
    let got = read_full(&mut file, &mut head)?;
    let head = &head[..got];
    if let Some(format) = Columnar::sniff(head, &mut file, meta.len())? {
        file.rewind()?;
        let rows = columnar::rows(file, format, text_columns)?;
        return Ok(Opened::Stream {
            text: Box::new(rows),
            compression: None,
        });
    }
    if Compression::sniff(head).is_some()
        || encoding.is_some()
        || TextEncoding::of_bom(head).is_some()
    {
        file.rewind()?;
        return stream(file);
    }
    if meta.len() == 0 {
        return Ok(Opened::Mapped(Mapped {
            map: None,
            slot: None,
            compression: None,
        }));
    }
    // SAFETY: a read-only mapping of a regular file. Should another process shrink the file while it is
    // mapped, touching the lost pages raises SIGBUS, which the command line's handler turns into one
    // line naming the file (registered below before any page is touched), not a wrong result.
    let slot = register(path);
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) };
    let map = match map {
        Ok(map) => map,
        Err(e) => {
            if let Some(slot) = slot {
                release(slot);
            }
            return Err(e);
        }
    };
    if let Some(slot) = slot {
        MAPS[slot]
            .start
            .store(map.as_ptr() as usize, Ordering::Release);
        MAPS[slot].len.store(map.len(), Ordering::Release);
    }
    #[cfg(unix)]
    {
        // Read ahead in big chunks: the parsers walk the file front to back.
        let _ = map.advise(memmap2::Advice::Sequential);
    }
    Ok(Opened::Mapped(Mapped {
        map: Some(map),
        slot,
        compression: None,
    }))
}

/// Maps what `input` yields to its end (standard input, say), decompressed when it is compressed and
/// transcoded as [`open_with`] does.
pub fn open_reader<R: Read + Send>(input: R, encoding: Option<TextEncoding>) -> io::Result<Mapped> {
    spooled(input, encoding)
}

/// The UTF-8 text of `input`: decompressed when its magic bytes say it is compressed, then transcoded
/// from `encoding` (or from UTF-16 when no encoding is named and a UTF-16 byte-order mark begins the
/// text), with the compression found. Nothing is read beyond what the returned reader is asked for
/// (and a few bytes of lookahead).
pub fn text_reader<'r, R: Read + Send + 'r>(
    input: R,
    encoding: Option<TextEncoding>,
) -> io::Result<(Box<dyn Read + Send + 'r>, Option<Compression>)> {
    let (head, input) = peek(input, MAGIC_LEN)?;
    let compression = Compression::sniff(&head);
    let input: Box<dyn Read + Send + 'r> = match compression {
        Some(c) => decoder(c, BufReader::with_capacity(BUFFER, input))?,
        None => Box::new(input),
    };
    let (input, encoding) = match encoding {
        Some(e) => (input, Some(e)),
        None => {
            let (head, input) = peek(input, 4)?;
            (
                Box::new(input) as Box<dyn Read + Send + 'r>,
                TextEncoding::of_bom(&head),
            )
        }
    };
    let input = match encoding {
        Some(e) => Box::new(Transcoder::new(input, e)),
        None => input,
    };
    Ok((input, compression))
}

/// A reader with the bytes peeked from it put back in front.
type Peeked<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// The first `n` bytes of `input` (fewer at its end), and a reader that yields them again, then the rest.
fn peek<R: Read>(mut input: R, n: usize) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = vec![0u8; n];
    let got = read_full(&mut input, &mut head)?;
    head.truncate(got);
    Ok((head.clone(), io::Cursor::new(head).chain(input)))
}

/// Read buffer of the streaming paths: large enough that a decoder works in long runs.
pub(crate) const BUFFER: usize = 1 << 20;

pub(crate) fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// A stream as text ([`text_reader`]) copied into an unlinked temporary file, then mapped.
fn spooled<R: Read + Send>(input: R, encoding: Option<TextEncoding>) -> io::Result<Mapped> {
    let (input, compression) = text_reader(input, encoding)?;
    to_temp(input, compression)
}

/// Appends `bytes` to a temporary copy of an input; a failure says which directory ran out (a full
/// temporary directory is the usual cause, and not the input's fault).
pub(crate) fn write_temp(temp: &mut File, bytes: &[u8]) -> io::Result<()> {
    temp.write_all(bytes).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot write the temporary copy in {} ({e})",
                std::env::temp_dir().display()
            ),
        )
    })
}

fn to_temp(
    mut input: Box<dyn Read + Send + '_>,
    compression: Option<Compression>,
) -> io::Result<Mapped> {
    let mut temp = tempfile::tempfile()?;
    let mut buf = vec![0u8; BUFFER];
    let mut size = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        write_temp(&mut temp, &buf[..n])?;
        size += n as u64;
    }
    if size == 0 {
        return Ok(Mapped {
            map: None,
            slot: None,
            compression,
        });
    }
    // SAFETY: the file has no name: nobody else can open it, let alone truncate it. Its pages were
    // just written and are in the page cache: mapping them all at once spares a fault per page.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&temp)? };
    #[cfg(unix)]
    {
        let _ = map.advise(memmap2::Advice::Sequential);
    }
    Ok(Mapped {
        map: Some(map),
        slot: None,
        compression,
    })
}

// ---- the registry of live mappings, for the SIGBUS handler ------------------------------------------------

/// How many mappings of named files can be live at once and still be named on SIGBUS (a command maps
/// two or a handful; past this many, a fault is reported without the name).
const SLOTS: usize = 32;

struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    /// Who reads the mapping ([`owned_by`]; 0 = nobody said), so that a SIGBUS handler can tell the
    /// call whose input changed from other calls running at the same time.
    owner: AtomicUsize,
    /// "PATH" as a leaked C string; null = free. Never freed: a handler may read it at any moment.
    name: AtomicPtr<c_char>,
}

static MAPS: [Slot; SLOTS] = [const {
    Slot {
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        owner: AtomicUsize::new(0),
        name: AtomicPtr::new(null_mut()),
    }
}; SLOTS];

thread_local! {
    /// The owner given to the mappings this thread opens ([`owned_by`]).
    static OWNER: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Runs `f` with `owner` recorded with every mapping of a named file it opens on this thread (see
/// [`changed_mapping_at`]); threads `f` hands work to record nothing unless they are given the owner
/// too. The previous owner is put back after, also when `f` panics.
pub fn owned_by<T>(owner: usize, f: impl FnOnce() -> T) -> T {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            OWNER.with(|o| o.set(self.0));
        }
    }
    let _restore = Restore(OWNER.with(|o| o.replace(owner)));
    f()
}

/// The owner this thread gives the mappings it opens (0 = none).
pub fn owner() -> usize {
    OWNER.with(|o| o.get())
}

fn register(path: &Path) -> Option<usize> {
    let name = CString::new(path.to_string_lossy().replace(['\n', '\r'], " ")).ok()?;
    let name = name.into_raw();
    for (i, slot) in MAPS.iter().enumerate() {
        if slot
            .name
            .compare_exchange(null_mut(), name, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // Before the mapping's range is published: the handler matches live ranges only.
            slot.owner.store(owner(), Ordering::Release);
            return Some(i);
        }
    }
    // SAFETY: not published anywhere.
    drop(unsafe { CString::from_raw(name) });
    None
}

fn release(slot: usize) {
    let s = &MAPS[slot];
    s.len.store(0, Ordering::Release);
    s.start.store(0, Ordering::Release);
    s.owner.store(0, Ordering::Release);
    // The name is leaked, not freed: a handler may be reading it.
    s.name.store(null_mut(), Ordering::Release);
}

/// The path of the live mapping holding address `addr`, as a C string, or null when no registered
/// mapping holds it. Async-signal-safe (atomic loads only): for a SIGBUS handler.
pub fn changed_file_at(addr: usize) -> *const c_char {
    changed_mapping_at(addr).1
}

/// The owner ([`owned_by`]; 0 = none) and path (a C string) of the live mapping holding address `addr`,
/// or `(0, null)` when no registered mapping holds it. Async-signal-safe (atomic loads only).
pub fn changed_mapping_at(addr: usize) -> (usize, *const c_char) {
    for slot in &MAPS {
        let (start, len) = (
            slot.start.load(Ordering::Acquire),
            slot.len.load(Ordering::Acquire),
        );
        if start != 0 && addr >= start && addr - start < len {
            return (
                slot.owner.load(Ordering::Acquire),
                slot.name.load(Ordering::Acquire),
            );
        }
    }
    (0, std::ptr::null())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, data: &[u8]) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("neardup-input-{}-{name}", std::process::id()));
        std::fs::write(&path, data).unwrap();
        path
    }

    fn compress(c: Compression, data: &[u8]) -> Vec<u8> {
        match c {
            Compression::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Zstd => zstd::encode_all(data, 1).unwrap(),
            Compression::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
        }
    }

    const ALL: [Compression; 4] = [
        Compression::Gzip,
        Compression::Zstd,
        Compression::Bzip2,
        Compression::Xz,
    ];

    #[test]
    fn sniffs_by_content() {
        for c in ALL {
            assert_eq!(Compression::sniff(&compress(c, b"x")), Some(c));
        }
        for plain in [&b"BZh is a word"[..], b"{\"title\": 1}", b"", b"\x1f"] {
            assert_eq!(Compression::sniff(plain), None);
        }
    }

    #[test]
    fn opens_every_compression_whatever_the_name() {
        let text = "{\"title\": \"A\"}\n".repeat(5000);
        for c in ALL {
            // Two members/frames/streams back to back read as one text, like `zcat a.gz b.gz`.
            let mut data = compress(c, text.as_bytes());
            data.extend(compress(c, b"{\"title\": \"B\"}\n"));
            let p = temp(&format!("{}.txt", c.name()), &data);
            let m = open(&p).unwrap();
            assert_eq!(m.compression(), Some(c));
            assert_eq!(&m[..], format!("{text}{{\"title\": \"B\"}}\n").as_bytes());
            let streamed = open_reader(&data[..], None).unwrap();
            assert_eq!(&streamed[..], &m[..]);
            std::fs::remove_file(p).unwrap();
        }
    }

    #[test]
    fn plain_files_are_mapped_as_they_are() {
        let p = temp("plain.jsonl", b"{\"title\": \"A\"}\n");
        let m = open(&p).unwrap();
        assert_eq!(
            (m.compression(), &m[..]),
            (None, &b"{\"title\": \"A\"}\n"[..])
        );
        // Registered while alive: the handler can name it.
        let name = changed_file_at(m.as_ptr() as usize + 3);
        assert!(!name.is_null());
        let name = unsafe { std::ffi::CStr::from_ptr(name) };
        assert_eq!(name.to_str().unwrap(), p.to_str().unwrap());
        assert_eq!(changed_mapping_at(m.as_ptr() as usize).0, 0);
        let at = m.as_ptr() as usize;
        drop(m);
        assert!(changed_file_at(at).is_null());
        // The owner of the thread that opened it is recorded with it; other threads' calls are not.
        let m = owned_by(7, || open(&p).unwrap());
        assert_eq!(owner(), 0);
        assert_eq!(changed_mapping_at(m.as_ptr() as usize).0, 7);
        let other = std::thread::spawn({
            let p = p.clone();
            move || owned_by(9, || open(&p).unwrap().as_ptr() as usize)
        });
        let _ = other.join().unwrap();
        assert_eq!(changed_mapping_at(m.as_ptr() as usize).0, 7);
        drop(m);
        let empty = temp("empty.jsonl", b"");
        assert!(open(&empty).unwrap().is_empty());
        std::fs::remove_file(p).unwrap();
        std::fs::remove_file(empty).unwrap();
    }

    #[test]
    fn corrupt_and_truncated_streams_say_so() {
        let text = "{\"title\": \"A\"}\n".repeat(5000);
        for c in ALL {
            let data = compress(c, text.as_bytes());
            let cut = &data[..data.len() / 2];
            let e = open_reader(cut, None).err().unwrap();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{c:?}: {e}");
            assert!(e.to_string().contains(c.name()), "{c:?}: {e}");
            let mut bad = data.clone();
            let n = bad.len();
            for b in &mut bad[n / 3..n / 3 + 16] {
                *b ^= 0x55;
            }
            let e = open_reader(&bad[..], None).err().unwrap();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{c:?}: {e}");
        }
    }

    /// The anonymous resident memory of this process (kB), from `/proc`: heap and private buffers, not
    /// the page cache of mapped files.
    fn anon_kb() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("RssAnon:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_large_compressed_input_is_never_held_in_memory() {
        // 192 MiB of text that compresses to a few kB: held decompressed in memory, the anonymous resident
        // memory would grow by as much; streamed into the temporary file and mapped, the text is page
        // cache (file-backed, reclaimable), and anonymous memory holds a buffer or two at most.
        const SIZE: usize = 192 << 20;
        let line = "{\"title\": \"Repeated\", \"abstract\": \"the same words again and again\"}\n";
        let block = line.repeat((1 << 20) / line.len());
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
        let mut written = 0;
        while written + block.len() <= SIZE {
            encoder.write_all(block.as_bytes()).unwrap();
            written += block.len();
        }
        let data = encoder.finish().unwrap();
        assert!(data.len() < SIZE / 1000);
        let p = temp("large.jsonl.zst", &data);
        drop(data);
        let before = anon_kb();
        let m = open(&p).unwrap();
        assert_eq!(m.len(), written);
        assert_eq!(&m[m.len() - line.len()..], line.as_bytes());
        let grown_mb = anon_kb().saturating_sub(before) / 1024;
        // Held whole, the text would add 192 MiB. The bound leaves room for the other tests, which run
        // in this process at the same time and allocate too.
        assert!(grown_mb < 96, "anonymous memory grew by {grown_mb} MiB");
        assert_eq!(&m[..line.len()], line.as_bytes());
        std::fs::remove_file(p).unwrap();
    }
}
