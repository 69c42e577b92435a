//! The index's binary form ([`LshIndex::to_bytes`], [`LshIndex::from_bytes`]): a versioned header with
//! the body's length and checksum, then the parameters and every slot. Loading trusts nothing: every
//! length is checked against the bytes present and the checksum is verified before anything is built.

use std::collections::HashMap;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::{Error, Result};
use crate::lsh::bands::NONE;
use crate::lsh::index::{REMOVED, UNBANDED};
use crate::lsh::keys::Keys;
use crate::lsh::{Key, LshIndex};

impl LshIndex {
    pub(super) const MAGIC: &'static [u8; 8] = b"NDUPLSH\0";
    /// Version 2 adds the body's length and checksum to version 1's header; both are read.
    pub(super) const VERSION: u32 = 2;
    /// Magic, version, body length, body checksum.
    pub(super) const HEADER: usize = 8 + 4 + 8 + 8;

    /// Versioned little-endian binary form: a header (magic, version, the body's length and its XXH3-64
    /// checksum), then the body: the parameters and every slot (holes kept so numbering survives).
    pub fn to_bytes(&self) -> Vec<u8> {
        let slots = self.slot_row.len();
        let mut out = Vec::with_capacity(Self::HEADER + 32 + slots * (16 + 8 * self.bands));
        out.extend_from_slice(Self::MAGIC);
        out.extend_from_slice(&Self::VERSION.to_le_bytes());
        out.extend_from_slice(&[0; 16]); // length and checksum, filled in below
        for v in [self.num_perm, self.bands, self.rows, slots] {
            out.extend_from_slice(&(v as u64).to_le_bytes());
        }
        for s in 0..slots {
            let Some(key) = self.key_of(s as u32) else {
                out.push(0);
                continue;
            };
            match key {
                Key::Int(i) => {
                    out.push(1);
                    out.extend_from_slice(&i.to_le_bytes());
                }
                Key::Str(s) => {
                    out.push(2);
                    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
            }
            let row = self.slot_row[s] as usize;
            if self.slot_row[s] == UNBANDED {
                out.push(0);
            } else {
                out.push(1);
                for v in &self.hashes[row * self.bands..(row + 1) * self.bands] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        let body = &out[Self::HEADER..];
        let (len, sum) = (body.len() as u64, checksum(body));
        out[12..20].copy_from_slice(&len.to_le_bytes());
        out[20..28].copy_from_slice(&sum.to_le_bytes());
        out
    }

    /// Reads [`LshIndex::to_bytes`] output back (and version 1's, which had no checksum), validating
    /// every length and the checksum; never panics on bad input, and allocates in proportion to the data
    /// actually given, never to a count read from it.
    pub fn from_bytes(data: &[u8]) -> Result<Self> {
        let mut r = Reader { data, pos: 0 };
        if r.take(8).ok() != Some(Self::MAGIC.as_slice()) {
            return Err(Error::IndexFormat(
                "not a neardup LSH index (bad magic)".into(),
            ));
        }
        let version = u32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes"));
        match version {
            1 => {}
            2 => {
                let len = r.u64()?;
                let sum = r.u64()?;
                let body = &data[r.pos..];
                if len != body.len() as u64 {
                    return Err(Error::IndexFormat(format!(
                        "truncated or extended: the header announces {len} bytes of index, the data holds {}",
                        body.len()
                    )));
                }
                if checksum(body) != sum {
                    return Err(Error::IndexFormat(
                        "checksum mismatch: the index is corrupt".into(),
                    ));
                }
            }
            _ => {
                return Err(Error::IndexFormat(format!(
                    "unsupported index format version {version} (this neardup reads 1 and {})",
                    Self::VERSION
                )))
            }
        }
        let num_perm = r.usize()?;
        let bands = r.usize()?;
        let rows = r.usize()?;
        let n = r.usize()?;
        let valid = (1..=1 << 16).contains(&num_perm)
            && bands >= 1
            && rows >= 1
            && bands.checked_mul(rows).is_some_and(|p| p <= num_perm);
        if !valid {
            return Err(Error::IndexFormat(format!(
                "inconsistent parameters num_perm={num_perm} bands={bands} rows={rows}"
            )));
        }
        let mut idx =
            LshIndex::new(num_perm, bands, rows).map_err(|e| Error::IndexFormat(e.to_string()))?;
        // Each slot takes at least one byte: a count beyond the data is corrupt, not a reason to allocate.
        if n > data.len() || n >= NONE as usize {
            return Err(Error::IndexFormat("slot count exceeds the data".into()));
        }
        let mut keys: Vec<Option<Key>> = Vec::with_capacity(n);
        let mut slot_row: Vec<u32> = Vec::with_capacity(n);
        let mut row_slot: Vec<u32> = Vec::new();
        let mut hashes: Vec<u64> = Vec::new();
        for s in 0..n {
            match r.byte()? {
                0 => {
                    keys.push(None);
                    slot_row.push(REMOVED);
                }
                tag @ (1 | 2) => {
                    let key = if tag == 1 {
                        Key::Int(r.u64()? as i64)
                    } else {
                        let len = r.usize()?;
                        let bytes = r.take(len)?;
                        Key::Str(
                            String::from_utf8(bytes.to_vec())
                                .map_err(|_| Error::IndexFormat("key is not UTF-8".into()))?,
                        )
                    };
                    match r.byte()? {
                        0 => slot_row.push(UNBANDED),
                        1 => {
                            // Read before growing anything, so memory stays proportional to the data.
                            let raw = r.take(bands.saturating_mul(8))?;
                            hashes.extend(
                                raw.chunks_exact(8)
                                    .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))),
                            );
                            slot_row.push(row_slot.len() as u32);
                            row_slot.push(s as u32);
                        }
                        t => return Err(Error::IndexFormat(format!("bad band tag {t}"))),
                    }
                    keys.push(Some(key));
                }
                t => return Err(Error::IndexFormat(format!("bad slot tag {t}"))),
            }
        }
        if r.pos != data.len() {
            return Err(Error::IndexFormat("trailing bytes after the index".into()));
        }
        let dense = keys
            .iter()
            .enumerate()
            .all(|(s, k)| k.as_ref().is_none_or(|k| *k == Key::Int(s as i64)));
        if !dense {
            let mut slots = HashMap::with_capacity(n);
            for (s, k) in keys.iter().enumerate() {
                if let Some(k) = k {
                    if slots.insert(k.clone(), s as u32).is_some() {
                        return Err(Error::IndexFormat(format!("duplicate key {k:?}")));
                    }
                }
            }
            idx.keys = Keys::Map { keys, slots };
        }
        idx.live = slot_row.iter().filter(|&&r| r != REMOVED).count();
        idx.slot_row = slot_row;
        idx.row_slot = row_slot;
        idx.hashes = hashes;
        let (bands, rows, all) = (idx.bands, idx.row_slot.len(), &idx.hashes);
        let order: Vec<u32> = (0..rows as u32).collect();
        idx.tables
            .par_iter_mut()
            .enumerate()
            .for_each(|(b, table)| {
                table.next = vec![NONE; rows];
                table.push_rows(&order, |row| all[row as usize * bands + b]);
            });
        Ok(idx)
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| Error::IndexFormat("truncated data".into()))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn usize(&mut self) -> Result<usize> {
        usize::try_from(self.u64()?).map_err(|_| Error::IndexFormat("length overflows".into()))
    }
}

/// The checksum of a saved index's body: XXH3-64 (not cryptographic: it catches damage, not tampering).
fn checksum(body: &[u8]) -> u64 {
    xxh3_64_with_seed(body, 0x4e44_5550_4c53_4832)
}
