//! Saving an index to a file atomically and loading one without trusting it.
//!
//! **Save.** The bytes go to a new temporary file beside the target (`.NAME.<random>.tmp`, created
//! exclusively), which is flushed to disk (`fsync`) and then renamed over the target: a failure at any
//! point (a full disk, a kill) leaves the old index as it was, never a truncated one. The directory is
//! synced too, so that the rename itself survives a power loss.
//!
//! **Load.** The header is read first, so a file that is not an index (`/dev/zero`, a ZIP) fails after
//! a few bytes; the body is then read up to the length the header announces, checked against the file's
//! size when it has one, and growing only with the bytes actually read; its checksum is verified before
//! anything is built.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;
use crate::lsh::LshIndex;

/// What failed: the file system (an `io::Error`, with the path) or the index format.
#[derive(Debug)]
pub enum FileError {
    Io(io::Error),
    Format(Error),
}

impl From<io::Error> for FileError {
    fn from(e: io::Error) -> Self {
        FileError::Io(e)
    }
}

impl From<Error> for FileError {
    fn from(e: Error) -> Self {
        FileError::Format(e)
    }
}

/// A fresh name beside `target` for its temporary file.
fn temp_beside(target: &Path, attempt: u64) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let salt = nanos
        ^ u64::from(std::process::id()).rotate_left(32)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ attempt;
    let name = target
        .file_name()
        .map_or_else(|| "index".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.{salt:016x}.tmp"))
}

/// Writes `index` to `path` atomically (see the module documentation). `track` is told the temporary
/// file's path when it is created (`true`) and when it is gone, renamed or removed (`false`), so that a
/// signal handler can remove it if the process is interrupted meanwhile.
pub fn save_file(
    index: &LshIndex,
    path: &Path,
    track: &dyn Fn(&Path, bool),
) -> std::result::Result<(), FileError> {
    let data = index.to_bytes();
    let (tmp, mut file) = (0..100)
        .find_map(|attempt| {
            let tmp = temp_beside(path, attempt);
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => Some(Ok((tmp, f))),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => None,
                Err(e) => Some(Err(e)),
            }
        })
        .unwrap_or_else(|| {
            Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "no unused temporary file name",
            ))
        })?;
    track(&tmp, true);
    let written = file
        .write_all(&data)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&tmp, path)
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        track(&tmp, false);
        return Err(e.into());
    }
    track(&tmp, false);
    // The rename is durable once the directory is synced (best effort: not every system allows it).
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Reads up to `n` bytes (fewer only at the end of the stream).
fn read_up_to(r: &mut impl Read, n: u64, out: &mut Vec<u8>) -> io::Result<()> {
    r.take(n).read_to_end(out).map(|_| ())
}

/// Loads an index saved by [`save_file`] (or by [`LshIndex::to_bytes`], either version).
pub fn load_file(path: &Path) -> std::result::Result<LshIndex, FileError> {
    let mut file = File::open(path)?;
    let mut data = Vec::with_capacity(LshIndex::HEADER);
    read_up_to(&mut file, LshIndex::HEADER as u64, &mut data)?;
    if data.len() < 12 || &data[..8] != LshIndex::MAGIC.as_slice() {
        // Too short or not an index: the parser gives the message.
        return Ok(LshIndex::from_bytes(&data)?);
    }
    let version = u32::from_le_bytes(data[8..12].try_into().expect("4 bytes"));
    if version == 1 || data.len() < LshIndex::HEADER {
        // Version 1 announces no length: read to the end (its size is the file's).
        file.read_to_end(&mut data)?;
        return Ok(LshIndex::from_bytes(&data)?);
    }
    let len = u64::from_le_bytes(data[12..20].try_into().expect("8 bytes"));
    if let Ok(meta) = file.metadata() {
        if meta.is_file() && meta.len() != LshIndex::HEADER as u64 + len {
            return Err(Error::IndexFormat(format!(
                "truncated or extended: the header announces {len} bytes of index, the file holds {}",
                meta.len().saturating_sub(LshIndex::HEADER as u64)
            ))
            .into());
        }
    }
    // One byte more than announced, to tell an exact body from a longer stream.
    read_up_to(&mut file, len.saturating_add(1), &mut data)?;
    Ok(LshIndex::from_bytes(&data)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LshIndex {
        let mut idx = LshIndex::new(16, 4, 4).unwrap();
        let sig: Vec<u32> = (0..16).collect();
        idx.insert_many(vec![crate::lsh::Key::Int(7)], &sig)
            .unwrap();
        idx
    }

    #[test]
    fn save_then_load_and_no_temporary_left() {
        let dir = std::env::temp_dir().join(format!("ndlsh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("i.bin");
        let seen = std::cell::RefCell::new(Vec::new());
        save_file(&sample(), &path, &|p, on| {
            seen.borrow_mut().push((p.to_owned(), on))
        })
        .unwrap();
        let back = load_file(&path).unwrap();
        assert_eq!(back.to_bytes(), sample().to_bytes());
        let seen = seen.into_inner();
        assert_eq!(seen.len(), 2);
        assert!(!seen[0].0.exists());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_refused() {
        let data = sample().to_bytes();
        for cut in 0..data.len() {
            assert!(LshIndex::from_bytes(&data[..cut]).is_err(), "cut {cut}");
        }
        for at in 0..data.len() {
            let mut bad = data.clone();
            bad[at] ^= 0x20;
            assert!(LshIndex::from_bytes(&bad).is_err(), "byte {at}");
        }
    }

    #[test]
    fn version_one_still_loads() {
        let v2 = sample().to_bytes();
        let mut v1 = v2[..8].to_vec();
        v1.extend_from_slice(&1u32.to_le_bytes());
        v1.extend_from_slice(&v2[LshIndex::HEADER..]);
        assert_eq!(LshIndex::from_bytes(&v1).unwrap().to_bytes(), v2);
    }
}
