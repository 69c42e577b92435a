//! Queries: the candidates of one signature, of many (band by band, see the [`super`] module
//! documentation), and every candidate pair of the index.

use rayon::prelude::*;

use super::bands::{hash_bands, Band, NONE, PROBE_GROUP};
use super::keys::Key;
use super::LshIndex;
use crate::error::{Error, Result};

/// Queries per block in [`LshIndex::query_many_slots`]: bounds the scratch memory of a block (~20 bytes per
/// query and band). Large blocks let a band's table, probed by every query of the block in turn, stay in
/// cache; bands are the unit of parallel work.
const QUERY_BLOCK: usize = 32768;
/// Queries hashed together (one parallel task) in [`LshIndex::query_many_slots`].
const HASH_CHUNK: usize = 1024;

/// Candidates of many queries, compressed: those of query `i` are `slots[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    pub offsets: Vec<usize>,
    pub slots: Vec<u32>,
}

impl Candidates {
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn get(&self, i: usize) -> &[u32] {
        &self.slots[self.offsets[i]..self.offsets[i + 1]]
    }
}

impl LshIndex {
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
                    *l = hash_bands(rows, sig, &mut h);
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

    /// Every pair of slots sharing a band, each once as `(low, high)`, sorted.
    pub fn candidate_pairs(&self) -> Vec<(u32, u32)> {
        let pairs: Vec<u64> = self
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
                            local.push(pack_pair(a.min(b), a.max(b)));
                        }
                    }
                }
                local
            })
            .collect();
        distinct_pairs(pairs)
    }
}

/// A pair `(a, b)` packed as `a << 32 | b`. Pairs are gathered packed because a `u64` is compared in one
/// step where a tuple takes two, and packed pairs sort as the tuples do.
#[inline]
pub fn pack_pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// The pair [`pack_pair`] packed.
#[inline]
pub fn unpack_pair(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

/// Packed pairs in any order, with repeats, as the distinct pairs, sorted.
pub fn distinct_pairs(mut packed: Vec<u64>) -> Vec<(u32, u32)> {
    packed.par_sort_unstable();
    packed.dedup();
    packed.into_iter().map(unpack_pair).collect()
}
