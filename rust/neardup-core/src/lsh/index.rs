//! The index itself: slots, rows of band keys and one table per band, and the operations that change
//! them (insert, remove). Queries are in [`super::query`], the binary form in [`super::persist`].
//!
//! Only slots whose signature takes bands have a *row* (their band keys, `bands` values in one flat
//! vector, and one link per band table); holes left by removal and empty-set signatures cost a slot's 4
//! bytes, and rows freed by removal are reused by later inserts.

use rayon::prelude::*;

use super::bands::{hash_bands, Band, NONE};
use super::keys::{Key, Keys};
use super::optimal_params;
use crate::error::{invalid, Error, Result};

/// A slot's row when the slot was removed.
pub(super) const REMOVED: u32 = NONE;
/// The row of a live slot with an empty-set signature: it is in no bucket.
pub(super) const UNBANDED: u32 = u32::MAX - 1;

/// Banded LSH index. Slots are numbered in insertion order; removed slots stay as holes.
#[derive(Debug, Clone)]
pub struct LshIndex {
    pub(super) num_perm: usize,
    pub(super) bands: usize,
    pub(super) rows: usize,
    /// Per slot: its row, or [`REMOVED`], or [`UNBANDED`]. Only slots in buckets take a row, so holes and
    /// empty-set signatures cost 4 bytes, and rows freed by `remove` are reused.
    pub(super) slot_row: Vec<u32>,
    /// Per row: its slot (`NONE` for a free row).
    pub(super) row_slot: Vec<u32>,
    /// Band hashes, `bands` per row, row-major.
    pub(super) hashes: Vec<u64>,
    pub(super) free_rows: Vec<u32>,
    pub(super) tables: Vec<Band>,
    pub(super) keys: Keys,
    pub(super) live: usize,
}

impl LshIndex {
    pub fn new(num_perm: usize, bands: usize, rows: usize) -> Result<Self> {
        if num_perm == 0 {
            return Err(invalid("num_perm", "must be at least 1"));
        }
        if bands == 0 || rows == 0 || bands * rows > num_perm {
            return Err(invalid(
                "params",
                format!("bands·rows must be in 1..={num_perm}, got {bands}·{rows}"),
            ));
        }
        Ok(LshIndex {
            num_perm,
            bands,
            rows,
            slot_row: Vec::new(),
            row_slot: Vec::new(),
            hashes: Vec::new(),
            free_rows: Vec::new(),
            tables: (0..bands).map(|_| Band::default()).collect(),
            keys: Keys::Dense,
            live: 0,
        })
    }

    pub fn with_threshold(threshold: f64, num_perm: usize, weights: (f64, f64)) -> Result<Self> {
        let (b, r) = optimal_params(threshold, num_perm, weights.0, weights.1)?;
        Self::new(num_perm, b, r)
    }

    pub fn num_perm(&self) -> usize {
        self.num_perm
    }
    pub fn bands(&self) -> usize {
        self.bands
    }
    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn len(&self) -> usize {
        self.live
    }
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    pub(super) fn check_len(&self, sig: &[u32]) -> Result<()> {
        if sig.len() != self.num_perm {
            return Err(Error::LengthMismatch {
                expected: self.num_perm,
                got: sig.len(),
            });
        }
        Ok(())
    }

    /// Writes the `bands` bucket hashes of `sig` into `out`; false (and `out` untouched) for an empty-set
    /// signature. The one key function ([`hash_bands`]) that `cluster` bands with too, so its candidates
    /// and the index's buckets agree.
    pub(super) fn hash_into(&self, sig: &[u32], out: &mut [u64]) -> bool {
        hash_bands(self.rows, sig, &mut out[..self.bands])
    }

    /// The `bands` bucket hashes of a signature, or `None` for an empty-set signature.
    pub fn band_hashes(&self, sig: &[u32]) -> Option<Box<[u64]>> {
        let mut out = vec![0u64; self.bands];
        self.hash_into(sig, &mut out)
            .then(|| out.into_boxed_slice())
    }

    fn next_slot(&self, extra: usize) -> Result<u32> {
        u32::try_from(self.slot_row.len() + extra)
            .ok()
            .filter(|&s| s < UNBANDED)
            .ok_or_else(|| invalid("key", "the index holds fewer than 2^32 - 1 items"))
    }

    /// Appends slots for `keys` (validated); `banded[i]` says whether key `i` goes in buckets (false for an
    /// empty-set signature). `hashes` holds `bands` values per key; `None` when the band hashes of the banded
    /// keys are already appended to `self.hashes`, in order (no free rows to reuse).
    fn push_hashed(&mut self, keys: Vec<Key>, hashes: Option<&[u64]>, banded: &[bool]) {
        let bands = self.bands;
        let base = self.slot_row.len();
        self.push_keys(keys);
        self.live += banded.len();
        let mut new_rows = Vec::with_capacity(banded.len());
        for (i, &b) in banded.iter().enumerate() {
            if !b {
                self.slot_row.push(UNBANDED);
                continue;
            }
            let slot = (base + i) as u32;
            let row = match (hashes, self.free_rows.pop()) {
                (Some(hashes), Some(row)) => {
                    let r = row as usize;
                    self.hashes[r * bands..(r + 1) * bands]
                        .copy_from_slice(&hashes[i * bands..(i + 1) * bands]);
                    self.row_slot[r] = slot;
                    row
                }
                (hashes, _) => {
                    if let Some(hashes) = hashes {
                        self.hashes
                            .extend_from_slice(&hashes[i * bands..(i + 1) * bands]);
                    }
                    self.row_slot.push(slot);
                    (self.row_slot.len() - 1) as u32
                }
            };
            self.slot_row.push(row);
            new_rows.push(row);
        }
        let rows = self.row_slot.len();
        let all = &self.hashes;
        // Band by band: one table's working set at a time stays in cache.
        self.tables
            .par_iter_mut()
            .enumerate()
            .for_each(|(b, table)| {
                table.next.resize(rows, NONE);
                table.push_rows(&new_rows, |row| all[row as usize * bands + b]);
            });
    }

    /// Inserts one key. A key already present is an error (remove it first), as in datasketch.
    pub fn insert(&mut self, key: Key, sig: &[u32]) -> Result<()> {
        self.check_len(sig)?;
        self.next_slot(0)?;
        if self.contains(&key) {
            return Err(invalid("key", format!("{key:?} is already in the index")));
        }
        let mut hashes = vec![0u64; self.bands];
        let banded = self.hash_into(sig, &mut hashes);
        self.push_hashed(vec![key], Some(&hashes), &[banded]);
        Ok(())
    }

    /// Inserts many keys; band hashes are computed in parallel. Row-major `sigs`, `keys.len()` rows.
    pub fn insert_many(&mut self, keys: Vec<Key>, sigs: &[u32]) -> Result<()> {
        if sigs.len() != keys.len() * self.num_perm {
            return Err(Error::LengthMismatch {
                expected: keys.len() * self.num_perm,
                got: sigs.len(),
            });
        }
        if keys.is_empty() {
            return Ok(());
        }
        self.next_slot(keys.len() - 1)?;
        // Validate all keys first so a failing batch inserts nothing. Keys continuing `0, 1, 2, …` of a
        // dense index are new by construction.
        let base = self.slot_row.len() as i64;
        let continues = matches!(self.keys, Keys::Dense)
            && keys
                .iter()
                .enumerate()
                .all(|(i, k)| *k == Key::Int(base + i as i64));
        if !continues {
            let mut seen = std::collections::HashSet::with_capacity(keys.len());
            for k in &keys {
                if self.contains(k) || !seen.insert(k) {
                    return Err(invalid("keys", format!("{k:?} is already in the index")));
                }
            }
        }
        let (bands, n) = (self.bands, keys.len());
        let mut banded = vec![false; n];
        let (rows, num_perm) = (self.rows, self.num_perm);
        let hash_all = |out: &mut [u64], banded: &mut [bool]| {
            out.par_chunks_mut(bands)
                .zip(banded.par_iter_mut())
                .zip(sigs.par_chunks(num_perm))
                .with_min_len(256)
                .for_each(|((h, b), sig)| *b = hash_bands(rows, sig, h));
        };
        if self.free_rows.is_empty() {
            // New rows go at the end: hash straight into place (no copy of the batch's band hashes), then
            // close the gaps of empty-set signatures.
            let first = self.row_slot.len();
            let mut all = std::mem::take(&mut self.hashes);
            all.resize((first + n) * bands, 0);
            hash_all(&mut all[first * bands..], &mut banded);
            let mut w = first;
            for (i, &b) in banded.iter().enumerate() {
                if b {
                    if w != first + i {
                        all.copy_within((first + i) * bands..(first + i + 1) * bands, w * bands);
                    }
                    w += 1;
                }
            }
            all.truncate(w * bands);
            self.hashes = all;
            self.push_hashed(keys, None, &banded);
        } else {
            let mut hashes = vec![0u64; n * bands];
            hash_all(&mut hashes, &mut banded);
            self.push_hashed(keys, Some(&hashes), &banded);
        }
        Ok(())
    }

    pub fn remove(&mut self, key: &Key) -> Result<()> {
        let slot = self
            .slot_of(key)
            .ok_or_else(|| invalid("key", format!("{key:?} is not in the index")))?;
        let s = slot as usize;
        let row = self.slot_row[s];
        if row != UNBANDED {
            let (r, bands) = (row as usize, self.bands);
            for (b, table) in self.tables.iter_mut().enumerate() {
                table.unlink(self.hashes[r * bands + b], row);
            }
            self.row_slot[r] = NONE;
            self.free_rows.push(row);
        }
        self.slot_row[s] = REMOVED;
        self.live -= 1;
        if let Keys::Map { keys, slots } = &mut self.keys {
            slots.remove(key);
            keys[s] = None;
        }
        Ok(())
    }
}
