//! Banded locality-sensitive hashing over MinHash signatures.
//!
//! Indyk & Motwani, "Approximate nearest neighbors" (STOC 1998); the banding construction and its S-curve
//! `P(candidate | J=s) = 1 − (1 − s^r)^b` as in Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*,
//! ch. 3. A signature of `b·r` values is cut into `b` bands of `r` rows; two signatures become candidates when
//! any band hashes equal. `(b, r)` is chosen as datasketch does: minimise
//! `w_fp·∫₀ᵗ P(s) ds + w_fn·∫ₜ¹ (1 − P(s)) ds` over all `b·r ≤ num_perm`.
//!
//! The index stores, per item, only the `b` band hashes (not the signature) and, per band, one entry of an
//! open-addressing table whose bucket members are chained through a flat array: about `8·b + 4 + 4·b +
//! 16·b·(4/3 at most)` bytes per item, with no allocation per bucket or per item (~1 KB at `b = 25`; rensa's
//! index takes ~1.7 KB, datasketch's ~8.5 KB: `benches/lsh_memory.py`). Keys inserted as `0, 1, 2, …` need
//! no key map. Empty-set signatures are stored (so `contains` and `len` see them) but put in no bucket: they
//! are near-duplicates of nothing.
//!
//! Batches go band by band ([`LshIndex::insert_many`], [`LshIndex::query_many_slots`]): one band's table
//! stays in cache while every item of the batch probes it, and the probes of a group are issued before any
//! is used, so their cache misses overlap.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::{invalid, Error, Result};
use crate::minhash::is_empty_signature;

/// Band hashes are already uniformly mixed: hash them with the identity.
#[derive(Default)]
pub struct IdentityHasher(u64);
impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}
pub type IdHashMap<V> = HashMap<u64, V, BuildHasherDefault<IdentityHasher>>;

mod bands;
mod bytes;
mod params;

use bands::{Band, Keys, HASH_CHUNK, NONE, PROBE_GROUP, QUERY_BLOCK, REMOVED, UNBANDED};
pub use bands::{Candidates, Key};
pub use params::*;

/// Banded LSH index. Slots are numbered in insertion order; removed slots stay as holes.
#[derive(Debug, Clone)]
pub struct LshIndex {
    num_perm: usize,
    bands: usize,
    rows: usize,
    /// Per slot: its row, or [`REMOVED`], or [`UNBANDED`]. Only slots in buckets take a row, so holes and
    /// empty-set signatures cost 4 bytes, and rows freed by `remove` are reused.
    slot_row: Vec<u32>,
    /// Per row: its slot (`NONE` for a free row).
    row_slot: Vec<u32>,
    /// Band hashes, `bands` per row, row-major.
    hashes: Vec<u64>,
    free_rows: Vec<u32>,
    tables: Vec<Band>,
    keys: Keys,
    live: usize,
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

    /// True while every live key is the int equal to its slot number, so `key_of(s)` is `Key::Int(s)`.
    pub fn keys_are_slots(&self) -> bool {
        matches!(self.keys, Keys::Dense)
    }

    fn slot_of(&self, key: &Key) -> Option<u32> {
        match &self.keys {
            Keys::Dense => match *key {
                Key::Int(i) => u32::try_from(i)
                    .ok()
                    .filter(|&s| self.slot_row.get(s as usize).is_some_and(|&r| r != REMOVED)),
                Key::Str(_) => None,
            },
            Keys::Map { slots, .. } => slots.get(key).copied(),
        }
    }

    pub fn contains(&self, key: &Key) -> bool {
        self.slot_of(key).is_some()
    }

    fn check_len(&self, sig: &[u32]) -> Result<()> {
        if sig.len() != self.num_perm {
            return Err(Error::LengthMismatch {
                expected: self.num_perm,
                got: sig.len(),
            });
        }
        Ok(())
    }

    /// Writes the `bands` bucket hashes of `sig` into `out`; false (and `out` untouched) for an empty-set
    /// signature. `cluster::bands::Banding::keys_into` calls it: band keys and buckets agree.
    fn hash_into(&self, sig: &[u32], out: &mut [u64]) -> bool {
        Self::hash_bands(self.rows, sig, &mut out[..self.bands])
    }

    /// [`LshIndex::hash_into`] for `out.len()` bands of `rows` rows, borrowing nothing of the index.
    pub(crate) fn hash_bands(rows: usize, sig: &[u32], out: &mut [u64]) -> bool {
        if is_empty_signature(sig) {
            return false;
        }
        // The bytes of every band at once, then the hashes: hashing each band right after writing its
        // bytes 4 at a time makes xxh3's 8-byte reads wait on store forwarding (a third of the time).
        let used = out.len() * rows;
        let mut stack = [0u8; 4 * 256];
        let mut heap = Vec::new();
        let buf: &mut [u8] = if used <= 256 {
            &mut stack[..used * 4]
        } else {
            heap.resize(used * 4, 0);
            &mut heap
        };
        for (chunk, v) in buf.chunks_exact_mut(4).zip(&sig[..used]) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        for (band, (key, bytes)) in out.iter_mut().zip(buf.chunks_exact(rows * 4)).enumerate() {
            *key = xxh3_64_with_seed(bytes, band as u64);
        }
        true
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

    /// Records the keys of `n` new slots starting at the current end; keys already validated.
    fn push_keys(&mut self, new: Vec<Key>) {
        let base = self.slot_row.len() as i64;
        if matches!(self.keys, Keys::Dense)
            && new
                .iter()
                .enumerate()
                .all(|(i, k)| *k == Key::Int(base + i as i64))
        {
            return;
        }
        if matches!(self.keys, Keys::Dense) {
            let keys: Vec<Option<Key>> = (0..self.slot_row.len())
                .map(|s| (self.slot_row[s] != REMOVED).then_some(Key::Int(s as i64)))
                .collect();
            let slots = keys
                .iter()
                .enumerate()
                .filter_map(|(s, k)| k.clone().map(|k| (k, s as u32)))
                .collect();
            self.keys = Keys::Map { keys, slots };
        }
        if let Keys::Map { keys, slots } = &mut self.keys {
            slots.reserve(new.len());
            keys.reserve(new.len());
            for (i, k) in new.into_iter().enumerate() {
                slots.insert(k.clone(), base as u32 + i as u32);
                keys.push(Some(k));
            }
        }
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
                .for_each(|((h, b), sig)| *b = Self::hash_bands(rows, sig, h));
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

    /// Slots sharing at least one band with `sig`, ascending (insertion order).
    pub fn query_slots(&self, sig: &[u32]) -> Result<Vec<u32>> {
        self.check_len(sig)?;
        let mut h = vec![0u64; self.bands];
        let mut out: Vec<u32> = Vec::new();
        if self.hash_into(sig, &mut h) {
            for (table, &bh) in self.tables.iter().zip(&h) {
                if let Some(bucket) = table.find(bh) {
                    table.members_into(bucket, &mut out);
                }
            }
        }
        for r in &mut out {
            *r = self.row_slot[*r as usize];
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Keys of the candidates of `sig`, in insertion order.
    pub fn query(&self, sig: &[u32]) -> Result<Vec<Key>> {
        Ok(self
            .query_slots(sig)?
            .into_iter()
            .filter_map(|s| self.key_of(s))
            .collect())
    }

    /// Appends `(base + i, slot)` for every member of the bucket of `keys[i]` in one band, for live `i`.
    fn probe_band(
        &self,
        table: &Band,
        keys: &[u64],
        live: &[bool],
        base: usize,
        found: &mut Vec<(u32, u32)>,
    ) {
        if table.table.is_empty() {
            return;
        }
        let mask = table.table.len() - 1;
        let mut first = [0u64; PROBE_GROUP];
        for start in (0..keys.len()).step_by(PROBE_GROUP) {
            let group = start..(start + PROBE_GROUP).min(keys.len());
            // Load each key's home entry first, independently of the others, so the processor overlaps the
            // cache misses; the probes below then find those lines in cache.
            for (f, i) in first.iter_mut().zip(group.clone()) {
                *f = table.table[keys[i] as usize & mask].key;
            }
            for (&f, i) in first.iter().zip(group) {
                if !live[i] {
                    continue;
                }
                let key = keys[i];
                let home = key as usize & mask;
                let bucket = if f == key && table.table[home].head != NONE {
                    &table.table[home]
                } else {
                    match table.find(key) {
                        Some(bucket) => bucket,
                        None => continue,
                    }
                };
                // `len` bounds the walk: no load of the last member's (empty) link.
                let q = (base + i) as u32;
                let mut r = bucket.head;
                found.push((q, self.row_slot[r as usize]));
                for _ in 1..bucket.len {
                    r = table.next[r as usize];
                    found.push((q, self.row_slot[r as usize]));
                }
            }
        }
    }

    /// Candidate slots of one block of row-major signatures, compressed.
    fn query_block(&self, sigs: &[u32]) -> Candidates {
        let q = sigs.len() / self.num_perm;
        let (bands, rows) = (self.bands, self.rows);
        // Keys in chunks of HASH_CHUNK queries, band-major within a chunk (hashed in parallel by chunk), so each
        // band's pass below reads its keys sequentially.
        let mut keys = vec![0u64; q * bands];
        let mut live = vec![false; q];
        keys.par_chunks_mut(HASH_CHUNK * bands)
            .zip(live.par_chunks_mut(HASH_CHUNK))
            .zip(sigs.par_chunks(HASH_CHUNK * self.num_perm))
            .for_each(|((chunk, live), sigs)| {
                let len = live.len();
                let mut h = vec![0u64; bands];
                for (j, (l, sig)) in live
                    .iter_mut()
                    .zip(sigs.chunks_exact(self.num_perm))
                    .enumerate()
                {
                    *l = Self::hash_bands(rows, sig, &mut h);
                    for (b, &v) in h.iter().enumerate() {
                        chunk[b * len + j] = v;
                    }
                }
            });
        // Band by band (one table in cache at a time; bands in parallel), gather (query, slot) pairs, then
        // group them by query with a counting sort.
        let found: Vec<Vec<(u32, u32)>> = self
            .tables
            .par_iter()
            .enumerate()
            .map(|(b, table)| {
                let mut found = Vec::with_capacity(q + q / 4);
                for (c, chunk) in keys.chunks(HASH_CHUNK * bands).enumerate() {
                    let len = chunk.len() / bands;
                    let base = c * HASH_CHUNK;
                    let band_keys = &chunk[b * len..(b + 1) * len];
                    self.probe_band(table, band_keys, &live[base..base + len], base, &mut found);
                }
                found
            })
            .collect();
        let mut offsets = vec![0usize; q + 1];
        for &(i, _) in found.iter().flatten() {
            offsets[i as usize + 1] += 1;
        }
        for i in 0..q {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut slots = vec![0u32; offsets[q]];
        for &(i, s) in found.iter().flatten() {
            slots[fill[i as usize]] = s;
            fill[i as usize] += 1;
        }
        // Sort and deduplicate each query's run, compacting in place.
        let mut write = 0;
        for i in 0..q {
            let (start, end) = (offsets[i], offsets[i + 1]);
            offsets[i] = write;
            slots[start..end].sort_unstable();
            let mut last = None;
            for k in start..end {
                let s = slots[k];
                if last != Some(s) {
                    slots[write] = s;
                    write += 1;
                    last = Some(s);
                }
            }
        }
        offsets[q] = write;
        slots.truncate(write);
        Candidates { offsets, slots }
    }

    /// Candidate slots (ascending) of many row-major signatures, in parallel.
    pub fn query_many_slots(&self, sigs: &[u32]) -> Result<Candidates> {
        if !sigs.len().is_multiple_of(self.num_perm) {
            return Err(Error::LengthMismatch {
                expected: self.num_perm,
                got: sigs.len() % self.num_perm,
            });
        }
        let blocks: Vec<Candidates> = sigs
            .par_chunks(self.num_perm * QUERY_BLOCK)
            .map(|block| self.query_block(block))
            .collect();
        if blocks.len() == 1 {
            return Ok(blocks.into_iter().next().unwrap_or_default());
        }
        let total: usize = blocks.iter().map(|c| c.slots.len()).sum();
        let mut out = Candidates {
            offsets: Vec::with_capacity(sigs.len() / self.num_perm + 1),
            slots: Vec::with_capacity(total),
        };
        out.offsets.push(0);
        for c in blocks {
            let base = out.slots.len();
            out.offsets.extend(c.offsets[1..].iter().map(|&o| base + o));
            out.slots.extend_from_slice(&c.slots);
        }
        Ok(out)
    }

    /// Candidates of many row-major signatures, in parallel.
    pub fn query_many(&self, sigs: &[u32]) -> Result<Vec<Vec<Key>>> {
        let c = self.query_many_slots(sigs)?;
        Ok((0..c.len())
            .map(|i| c.get(i).iter().filter_map(|&s| self.key_of(s)).collect())
            .collect())
    }

    /// Key of a live slot.
    pub fn key_of(&self, slot: u32) -> Option<Key> {
        match &self.keys {
            Keys::Dense => (self
                .slot_row
                .get(slot as usize)
                .is_some_and(|&r| r != REMOVED))
            .then_some(Key::Int(slot as i64)),
            Keys::Map { keys, .. } => keys.get(slot as usize).cloned().flatten(),
        }
    }

    /// Slot number of every live key, in insertion order.
    pub fn live_slots(&self) -> Vec<u32> {
        (0..self.slot_row.len() as u32)
            .filter(|&s| self.slot_row[s as usize] != REMOVED)
            .collect()
    }

    /// Every pair of slots sharing a band, each once as `(low, high)`, sorted.
    pub fn candidate_pairs(&self) -> Vec<(u32, u32)> {
        let mut pairs: Vec<u64> = self
            .tables
            .par_iter()
            .flat_map_iter(|table| {
                let mut local = Vec::new();
                let mut members = Vec::new();
                for bucket in table.buckets().filter(|b| b.len > 1) {
                    members.clear();
                    table.members_into(bucket, &mut members);
                    for r in &mut members {
                        *r = self.row_slot[*r as usize];
                    }
                    for (i, &a) in members.iter().enumerate() {
                        for &b in &members[i + 1..] {
                            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                            local.push(((lo as u64) << 32) | hi as u64);
                        }
                    }
                }
                local
            })
            .collect();
        pairs.par_sort_unstable();
        pairs.dedup();
        pairs
            .into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect()
    }

    // ---- persistence -------------------------------------------------------------------------------
}

mod file;
pub use file::{load_file, save_file, FileError};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// xorshift: a fixed stream of test inputs without a dependency.
    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn band_table_survives_colliding_keys() {
        // Keys sharing their low bits make long probe runs that wrap; deletions must keep every key findable.
        let mut band = Band {
            next: vec![NONE; 4096],
            ..Band::default()
        };
        let mut model: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        let mut seed = 7;
        for step in 0..20_000u32 {
            let key = (rng(&mut seed) % 24) << 40 | (rng(&mut seed) % 3) | 0xf0;
            let row = (rng(&mut seed) % 4096) as u32;
            let members = model.entry(key).or_default();
            if let Some(p) = members.iter().position(|&r| r == row) {
                members.remove(p);
                band.unlink(key, row);
            } else if model.values().all(|m| !m.contains(&row)) {
                model.get_mut(&key).unwrap().push(row);
                band.push(key, row);
            }
            model.retain(|_, m| !m.is_empty());
            if step % 97 == 0 {
                for k in 0..24u64 {
                    for low in 0..3 {
                        let key = k << 40 | low | 0xf0;
                        let mut got = Vec::new();
                        if let Some(b) = band.find(key) {
                            band.members_into(b, &mut got);
                            assert_eq!(b.len as usize, got.len());
                        }
                        got.sort_unstable();
                        let mut want = model.get(&key).cloned().unwrap_or_default();
                        want.sort_unstable();
                        assert_eq!(got, want, "key {key:x} at step {step}");
                    }
                }
                assert_eq!(band.used, model.len());
            }
        }
    }

    #[test]
    fn index_matches_a_naive_model() {
        // Tiny bands over a tiny alphabet: many shared buckets, holes, reinserted keys, empty signatures.
        let mut seed = 11;
        let mut idx = LshIndex::new(4, 4, 1).unwrap();
        let mut live: BTreeMap<Key, (u32, Vec<u32>)> = BTreeMap::new();
        let mut next_slot = 0u32;
        for step in 0..3000 {
            let k = rng(&mut seed) % 40;
            let key = if k.is_multiple_of(3) {
                Key::Str(format!("k{k}"))
            } else {
                Key::Int(k as i64 - 5)
            };
            let sig: Vec<u32> = if rng(&mut seed).is_multiple_of(17) {
                vec![u32::MAX; 4]
            } else {
                (0..4).map(|_| (rng(&mut seed) % 5) as u32).collect()
            };
            match rng(&mut seed) % 3 {
                op @ (0 | 1) => {
                    let res = if op == 0 {
                        idx.insert(key.clone(), &sig)
                    } else {
                        idx.insert_many(vec![key.clone()], &sig)
                    };
                    if let std::collections::btree_map::Entry::Vacant(e) = live.entry(key) {
                        res.unwrap();
                        e.insert((next_slot, sig.clone()));
                        next_slot += 1;
                    } else {
                        assert!(res.is_err());
                    }
                }
                _ => {
                    assert_eq!(idx.remove(&key).is_ok(), live.remove(&key).is_some());
                }
            }
            assert_eq!(idx.len(), live.len());
            if step % 50 == 0 {
                let want: BTreeSet<u32> = live
                    .values()
                    .filter(|(_, s)| !is_empty_signature(s) && !is_empty_signature(&sig))
                    .filter(|(_, s)| s.iter().zip(&sig).any(|(a, b)| a == b))
                    .map(|&(slot, _)| slot)
                    .collect();
                let got = idx.query_slots(&sig).unwrap();
                assert_eq!(got, want.iter().copied().collect::<Vec<_>>());
                let many = idx
                    .query_many_slots(&[sig.clone(), sig.clone()].concat())
                    .unwrap();
                assert_eq!(many.get(1), &got[..]);
                let back = LshIndex::from_bytes(&idx.to_bytes()).unwrap();
                assert_eq!(back.to_bytes(), idx.to_bytes());
                assert_eq!(back.query_slots(&sig).unwrap(), got);
                assert_eq!(back.candidate_pairs(), idx.candidate_pairs());
                for (k, &(slot, _)) in &live {
                    assert!(idx.contains(k));
                    assert_eq!(idx.key_of(slot).as_ref(), Some(k));
                }
            }
        }
        let mut pairs = Vec::new();
        let items: Vec<_> = live.values().collect();
        for (i, (a, sa)) in items.iter().enumerate() {
            for (b, sb) in &items[i + 1..] {
                if !is_empty_signature(sa)
                    && !is_empty_signature(sb)
                    && sa.iter().zip(sb).any(|(x, y)| x == y)
                {
                    pairs.push((*a.min(b), *a.max(b)));
                }
            }
        }
        pairs.sort_unstable();
        assert_eq!(idx.candidate_pairs(), pairs);
    }

    #[test]
    fn dense_int_keys_need_no_map_and_switch_when_broken() {
        let sigs: Vec<u32> = (0..6 * 8).map(|i| (i % 13) as u32).collect();
        let mut idx = LshIndex::new(8, 4, 2).unwrap();
        idx.insert_many((0..6).map(Key::Int).collect(), &sigs)
            .unwrap();
        assert!(idx.keys_are_slots());
        idx.remove(&Key::Int(2)).unwrap();
        assert!(idx.keys_are_slots() && !idx.contains(&Key::Int(2)) && idx.len() == 5);
        assert!(idx.insert_many(vec![Key::Int(1)], &sigs[..8]).is_err());
        idx.insert(Key::Int(2), &sigs[..8]).unwrap();
        assert!(!idx.keys_are_slots());
        assert_eq!(idx.key_of(6), Some(Key::Int(2)));
        assert_eq!(idx.key_of(2), None);
        assert!(idx.contains(&Key::Int(2)) && idx.contains(&Key::Int(5)) && idx.len() == 6);
        let back = LshIndex::from_bytes(&idx.to_bytes()).unwrap();
        assert!(!back.keys_are_slots());
        assert_eq!(back.key_of(6), Some(Key::Int(2)));
    }

    #[test]
    fn batches_with_empty_signatures_keep_every_band_hash_in_place() {
        let sig = |v: u32| vec![v, v + 1, v + 2, v + 3];
        let empty = vec![u32::MAX; 4];
        assert!(is_empty_signature(&empty));
        let mut idx = LshIndex::new(4, 2, 2).unwrap();
        let batch = [sig(1), empty.clone(), sig(10), empty.clone(), sig(20)].concat();
        idx.insert_many((0..5).map(Key::Int).collect(), &batch)
            .unwrap();
        assert_eq!(idx.len(), 5);
        for (slot, v) in [(0, 1), (2, 10), (4, 20)] {
            assert_eq!(idx.query_slots(&sig(v)).unwrap(), vec![slot]);
            assert_eq!(idx.band_hashes(&sig(v)).unwrap().len(), 2);
        }
        assert!(idx.query_slots(&empty).unwrap().is_empty());
        let c = idx.query_many_slots(&batch).unwrap();
        assert_eq!(c.len(), 5);
        assert_eq!(
            (c.get(0), c.get(1), c.get(2)),
            (&[0][..], &[][..], &[2][..])
        );
        // Rows freed by removal are reused by the next batch.
        idx.remove(&Key::Int(2)).unwrap();
        idx.insert_many(
            vec![Key::Str("x".into()), Key::Int(7)],
            &[sig(30), sig(10)].concat(),
        )
        .unwrap();
        assert_eq!(idx.query_slots(&sig(10)).unwrap(), vec![6]);
        assert_eq!(idx.query_slots(&sig(30)).unwrap(), vec![5]);
        assert_eq!(idx.query_slots(&sig(20)).unwrap(), vec![4]);
        let back = LshIndex::from_bytes(&idx.to_bytes()).unwrap();
        assert_eq!(
            back.query_many_slots(&batch).unwrap(),
            idx.query_many_slots(&batch).unwrap()
        );
    }

    /// A fixed index: dense int keys, a removed slot, an empty-set signature, then a str key (the map).
    fn pinned_index() -> LshIndex {
        let sig = |i: u32| -> Vec<u32> { (0..16).map(|j| (i * 7 + j * 13) % 11).collect() };
        let mut idx = LshIndex::new(16, 4, 4).unwrap();
        let batch: Vec<u32> = (0..5).flat_map(sig).collect();
        idx.insert_many((0..5).map(Key::Int).collect(), &batch)
            .unwrap();
        idx.remove(&Key::Int(2)).unwrap();
        idx.insert(Key::Int(5), &[u32::MAX; 16]).unwrap();
        idx.insert(Key::Str("key".into()), &sig(9)).unwrap();
        idx
    }

    #[test]
    fn band_keys_and_saved_bytes_do_not_change() {
        // Saved indexes hold band keys: a change of the key function or of the format must be deliberate.
        let sig: Vec<u32> = (0..16u32).map(|j| j.wrapping_mul(2_654_435_761)).collect();
        let idx = LshIndex::new(16, 4, 4).unwrap();
        assert_eq!(
            *idx.band_hashes(&sig).unwrap(),
            [
                11_870_550_765_800_801_541,
                4_949_742_677_267_487_862,
                558_322_837_521_353_092,
                17_019_494_968_373_442_799,
            ]
        );
        let bytes = pinned_index().to_bytes();
        assert_eq!(
            (bytes.len(), xxhash_rust::xxh3::xxh3_64(&bytes)),
            (284, 0x8c42_1e3f_8f3f_3cc9)
        );
        assert_eq!(LshIndex::from_bytes(&bytes).unwrap().to_bytes(), bytes);
    }

    #[test]
    fn params_match_datasketch_for_common_thresholds() {
        // Values datasketch 2.0 picks with its default weights.
        for (t, expected) in [
            (0.1, (64, 2)),
            (0.3, (37, 3)),
            (0.5, (25, 5)),
            (0.8, (9, 13)),
            (0.9, (5, 25)),
        ] {
            assert_eq!(
                optimal_params(t, 128, 0.5, 0.5).unwrap(),
                expected,
                "threshold {t}"
            );
        }
    }
}
