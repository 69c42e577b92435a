//! datasketch's `MinHashLSH` with its default in-memory storage (`datasketch/lsh.py`): the same
//! `(b, r)` choice and exactly the same candidate sets.
//!
//! datasketch keys band `i` of a signature by the big-endian bytes of `hashvalues[i·r..(i+1)·r]`; as an
//! index holds signatures of one scheme (one width), two signatures share a band key exactly when the
//! band's values are equal. This index keeps each item's band values, buckets items by a hash of each
//! band and compares the values on lookup, so a hash collision never adds a candidate.
//! Items are numbered slots (reused after removal); the caller maps its own keys to slots.

use super::fmix64;
use super::heads::{tag_of, Heads, NIL};
use super::quadpack::quad_first_pass;
use crate::error::{invalid, Error, Result};
use crate::lsh::banding_errors;

/// datasketch's `_optimal_param`: the `(b, r)` with `b·r ≤ num_perm` minimising
/// `fp_weight·FP + fn_weight·FN` (first minimum in `b`-then-`r` order), with datasketch's argument
/// checks (a threshold of exactly 0 or 1 is allowed, the weights must sum to exactly 1).
pub fn optimal_params(
    threshold: f64,
    num_perm: usize,
    fp_weight: f64,
    fn_weight: f64,
) -> Result<(usize, usize)> {
    if !(0.0..=1.0).contains(&threshold) {
        return Err(invalid("threshold", "must be in [0.0, 1.0]"));
    }
    if num_perm < 2 {
        return Err(invalid("num_perm", "too few permutation functions"));
    }
    let unit = 0.0..=1.0;
    if !unit.contains(&fp_weight) || !unit.contains(&fn_weight) {
        return Err(invalid("weights", "each weight must be in [0.0, 1.0]"));
    }
    // Exact comparison on purpose: datasketch rejects weights whose float sum is not exactly 1.0.
    #[allow(clippy::float_cmp)]
    if fp_weight + fn_weight != 1.0 {
        return Err(invalid("weights", "must sum to 1.0"));
    }
    let weighted = |fp: f64, fnr: f64| fp * fp_weight + fnr * fn_weight;
    // ((b, r), false-positive area, false-negative area) in datasketch's search order.
    let scored: Vec<_> = banding_errors(threshold, num_perm).collect();
    let best = scored
        .iter()
        .map(|&(_, fp, fnr)| weighted(fp, fnr))
        .fold(f64::INFINITY, f64::min);
    // Candidates within rounding of the minimum (exact ties happen, e.g. at threshold 0.5): datasketch
    // decides between those by the last bits of SciPy's `quad`, so replay it for them.
    let tolerance = 1e-12 + 1e-9 * best.abs();
    let mut choice = (f64::INFINITY, (0, 0));
    for &((b, r), fp, fnr) in scored
        .iter()
        .filter(|&&(_, fp, fnr)| weighted(fp, fnr) <= best + tolerance)
    {
        let (rf, bf) = (r as f64, b as f64);
        let fp =
            quad_first_pass(|s| 1.0 - (1.0 - s.powf(rf)).powf(bf), 0.0, threshold).unwrap_or(fp);
        let fnr = quad_first_pass(
            |s| 1.0 - (1.0 - (1.0 - s.powf(rf)).powf(bf)),
            threshold,
            1.0,
        )
        .unwrap_or(fnr);
        let err = weighted(fp, fnr);
        if err < choice.0 {
            choice = (err, (b, r));
        }
    }
    Ok(choice.1)
}

/// Hash of one band's values (only used to find the bucket; values are compared on lookup).
fn band_hash<L: Copy + Into<u64>>(band: &[L]) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3u64;
    for &v in band {
        h = (h.rotate_left(5) ^ v.into()).wrapping_mul(0x517C_C1B7_2722_0A95);
    }
    fmix64(h ^ band.len() as u64)
}

/// Bands whose probes are started together before any is read (a query's bands, at most this many at
/// a time): enough to overlap the cache misses of one query.
const PROBE_BATCH: usize = 32;

/// Banded LSH index with datasketch's candidate semantics. Slots are `u32`; removed slots are reused.
///
/// A bucket is a chain threaded through `next` (see [`Heads`]) rather than a `Vec` of its own: nearly
/// every bucket holds one item, and an allocation per (item, band) would cost more than the hashing.
#[derive(Debug, Clone)]
pub struct DsLsh {
    num_perm: usize,
    bands: usize,
    rows: usize,
    /// `bands·rows` values per slot (a dead slot keeps stale values until reused).
    values: Vec<u64>,
    live: Vec<bool>,
    free: Vec<u32>,
    len: usize,
    /// Per band: the head slot of each bucket's chain.
    tables: Vec<Heads>,
    /// `next[band][slot]`: the next slot in the same bucket of `band`, or `NIL`.
    next: Vec<Vec<u32>>,
}

impl DsLsh {
    pub fn new(num_perm: usize, bands: usize, rows: usize) -> Result<Self> {
        if bands == 0 || rows == 0 || bands.saturating_mul(rows) > num_perm {
            return Err(invalid(
                "params",
                format!("b and r must be at least 1 with b·r <= num_perm={num_perm}, got {bands}·{rows}"),
            ));
        }
        Ok(DsLsh {
            num_perm,
            bands,
            rows,
            values: Vec::new(),
            live: Vec::new(),
            free: Vec::new(),
            len: 0,
            tables: vec![Heads::default(); bands],
            next: vec![Vec::new(); bands],
        })
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
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn width(&self) -> usize {
        self.bands * self.rows
    }

    /// The banded prefix of a full signature, checked for length.
    fn banded<'s, L: Copy + Into<u64>>(&self, sig: &'s [L]) -> Result<&'s [L]> {
        if sig.len() != self.num_perm {
            return Err(Error::LengthMismatch {
                expected: self.num_perm,
                got: sig.len(),
            });
        }
        Ok(&sig[..self.width()])
    }

    /// Indexes a signature of `num_perm` values; returns its slot.
    pub fn insert<L: Copy + Into<u64>>(&mut self, sig: &[L]) -> Result<u32> {
        let banded: Vec<u64> = self.banded(sig)?.iter().map(|&v| v.into()).collect();
        self.insert_bands(&banded)
    }

    /// Indexes an item given only its `bands·rows` band values (as [`DsLsh::band_values`] returns them).
    pub fn insert_bands(&mut self, banded: &[u64]) -> Result<u32> {
        let slot = self.place(banded)?;
        for band in 0..self.bands {
            self.link(band, slot);
        }
        self.len += 1;
        Ok(slot)
    }

    /// Takes a slot (a free one first) and stores its band values; the slot is not in any bucket yet.
    fn place(&mut self, banded: &[u64]) -> Result<u32> {
        let width = self.width();
        if banded.len() != width {
            return Err(Error::LengthMismatch {
                expected: width,
                got: banded.len(),
            });
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => u32::try_from(self.live.len())
                .ok()
                .filter(|&s| s != NIL)
                .ok_or_else(|| invalid("key", "the index is full (2**32 - 1 items)"))?,
        };
        let at = slot as usize;
        if at == self.live.len() {
            self.values.extend_from_slice(banded);
            self.live.push(true);
            for next in &mut self.next {
                next.push(NIL);
            }
        } else {
            self.values[at * width..(at + 1) * width].copy_from_slice(banded);
            self.live[at] = true;
        }
        Ok(slot)
    }

    /// The band values of `slot` in `band`.
    #[inline]
    fn band_of(&self, slot: u32, band: usize) -> &[u64] {
        let base = slot as usize * self.width() + band * self.rows;
        &self.values[base..base + self.rows]
    }

    /// Puts a placed slot at the head of its bucket in `band`.
    fn link(&mut self, band: usize, slot: u32) {
        let tag = tag_of(band_hash(self.band_of(slot, band)));
        self.link_tagged(band, slot, tag);
    }

    /// [`DsLsh::link`] with the bucket's tag already computed.
    fn link_tagged(&mut self, band: usize, slot: u32, tag: u32) {
        let prev = self.tables[band].push(tag, slot);
        self.next[band][slot as usize] = prev;
    }

    /// The slots of the chain starting at `head` in band `band`.
    fn chain(&self, head: u32, band: usize) -> impl Iterator<Item = u32> + '_ {
        let next = &self.next[band];
        std::iter::successors(Some(head).filter(|&s| s != NIL), move |&s| {
            Some(next[s as usize]).filter(|&n| n != NIL)
        })
    }

    /// The band values of a live slot.
    pub fn band_values(&self, slot: u32) -> Option<&[u64]> {
        let at = slot as usize;
        if !self.live.get(at).copied().unwrap_or(false) {
            return None;
        }
        let width = self.width();
        self.values.get(at * width..(at + 1) * width)
    }

    /// Removes a live slot from every bucket; its number may be handed out again.
    pub fn remove(&mut self, slot: u32) -> Result<()> {
        if self.band_values(slot).is_none() {
            return Err(invalid("key", format!("slot {slot} is not in the index")));
        }
        let at = slot as usize;
        for band in 0..self.bands {
            let tag = tag_of(band_hash(self.band_of(slot, band)));
            let own_next = self.next[band][at];
            let Some(head) = self.tables[band].get(tag) else {
                continue;
            };
            if head == slot {
                // The next slot becomes the head; the chain goes when this was its only slot.
                self.tables[band].set(tag, own_next);
                continue;
            }
            // Unlink from inside the chain (chains are short: one bucket's items).
            let next = &mut self.next[band];
            let mut prev = head;
            while prev != NIL {
                if next[prev as usize] == slot {
                    next[prev as usize] = own_next;
                    break;
                }
                prev = next[prev as usize];
            }
        }
        self.live[at] = false;
        self.free.push(slot);
        self.len -= 1;
        Ok(())
    }

    /// Slots sharing at least one band with `sig`, ascending, each once.
    pub fn query<L: Copy + Into<u64>>(&self, sig: &[L]) -> Result<Vec<u32>> {
        self.query_bands(sig, self.bands)
    }

    /// Slots sharing one of the first `bands` bands with `sig`, ascending, each once (datasketch's
    /// `_query_b`, which LSH Ensemble uses to trade recall for precision per query).
    pub fn query_bands<L: Copy + Into<u64>>(&self, sig: &[L], bands: usize) -> Result<Vec<u32>> {
        self.query_banded(self.banded(sig)?, bands)
    }

    /// [`DsLsh::query_bands`] on the banded prefix of a signature.
    fn query_banded<L: Copy + Into<u64>>(&self, banded: &[L], bands: usize) -> Result<Vec<u32>> {
        if bands > self.bands {
            return Err(invalid(
                "b",
                format!("must be at most the number of bands {}", self.bands),
            ));
        }
        let mut found = Vec::new();
        let mut tags = [0u32; PROBE_BATCH];
        for start in (0..bands).step_by(PROBE_BATCH) {
            let end = (start + PROBE_BATCH).min(bands);
            // Start every band's probe before reading any, so their cache misses overlap.
            for (i, tag) in (start..end).zip(tags.iter_mut()) {
                *tag = tag_of(band_hash(&banded[i * self.rows..(i + 1) * self.rows]));
                std::hint::black_box(self.tables[i].first(*tag));
            }
            for (i, &tag) in (start..end).zip(tags.iter()) {
                let Some(head) = self.tables[i].get(tag) else {
                    continue;
                };
                let band = &banded[i * self.rows..(i + 1) * self.rows];
                found.extend(self.chain(head, i).filter(|&s| {
                    let stored = self.band_of(s, i);
                    stored.iter().zip(band).all(|(&a, &b)| a == b.into())
                }));
            }
        }
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    /// Indexes the rows of a row-major matrix of signatures (`stride` values each); their slots.
    pub fn insert_many<L: Copy + Into<u64>>(
        &mut self,
        sigs: &[L],
        stride: usize,
    ) -> Result<Vec<u32>> {
        if stride != self.num_perm || !sigs.len().is_multiple_of(stride.max(1)) {
            return Err(Error::LengthMismatch {
                expected: self.num_perm,
                got: stride,
            });
        }
        let width = self.width();
        let n = sigs.len() / stride.max(1);
        // Grow once for the whole batch instead of by doubling.
        self.values.reserve(n * width);
        self.live.reserve(n);
        for next in &mut self.next {
            next.reserve(n);
        }
        let mut row = Vec::with_capacity(width);
        let slots = sigs
            .chunks_exact(stride)
            .map(|sig| {
                row.clear();
                row.extend(sig[..width].iter().map(|&v| v.into()));
                self.place(&row)
            })
            .collect::<Result<Vec<u32>>>()?;
        // Every bucket tag first, reading each item's row once in order; then band by band, so that one
        // band's table stays in cache while every item joins it (reading the values there instead would
        // touch a cache line of every row in every band).
        let bands = self.bands;
        let mut tags = vec![0u32; n * bands];
        for (i, &slot) in slots.iter().enumerate() {
            for band in 0..bands {
                tags[band * n + i] = tag_of(band_hash(self.band_of(slot, band)));
            }
        }
        for (band, tags) in tags.chunks_exact(n.max(1)).enumerate() {
            self.tables[band].reserve(n);
            for (&slot, &tag) in slots.iter().zip(tags) {
                self.link_tagged(band, slot, tag);
            }
        }
        self.len += n;
        Ok(slots)
    }

    /// [`DsLsh::query`] for each row of a row-major matrix of signatures, on all rayon threads.
    pub fn query_many<L: Copy + Into<u64> + Sync>(
        &self,
        sigs: &[L],
        stride: usize,
    ) -> Result<Vec<Vec<u32>>> {
        use rayon::prelude::*;
        if stride != self.num_perm || !sigs.len().is_multiple_of(stride.max(1)) {
            return Err(Error::LengthMismatch {
                expected: self.num_perm,
                got: stride,
            });
        }
        sigs.par_chunks_exact(stride)
            .with_min_len(64)
            .map(|sig| self.query_banded(&sig[..self.width()], self.bands))
            .collect()
    }

    /// [`DsLsh::query_bands`] for the signatures at rows `rows` of a row-major matrix, `rows[i]` with
    /// `bands[i]` bands, on all rayon threads: every hit as a `(row, slot)` pair (rows in the order
    /// given, slots ascending per row). Hits are few next to queries in LSH Ensemble's partitions, so
    /// pairs beat one list per query.
    pub fn query_bands_hits<L: Copy + Into<u64> + Sync>(
        &self,
        sigs: &[L],
        stride: usize,
        rows: &[usize],
        bands: &[usize],
    ) -> Result<(Vec<u32>, Vec<u32>)> {
        use rayon::prelude::*;
        let n = sigs.len() / stride.max(1);
        if stride != self.num_perm || rows.len() != bands.len() || rows.iter().any(|&r| r >= n) {
            return Err(invalid(
                "rows",
                format!("expected one band count per row of a matrix of {n} signatures"),
            ));
        }
        let width = self.width();
        let found = rows
            .par_iter()
            .zip(bands.par_iter())
            .with_min_len(64)
            .map(|(&row, &b)| self.query_banded(&sigs[row * stride..row * stride + width], b))
            .collect::<Result<Vec<Vec<u32>>>>()?;
        let mut hit_rows = Vec::new();
        let mut hit_slots = Vec::new();
        for (&row, slots) in rows.iter().zip(&found) {
            hit_rows.extend(std::iter::repeat_n(row as u32, slots.len()));
            hit_slots.extend_from_slice(slots);
        }
        Ok((hit_rows, hit_slots))
    }

    /// Live slots, ascending.
    pub fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.live
            .iter()
            .enumerate()
            .filter(|(_, &l)| l)
            .map(|(s, _)| s as u32)
    }

    /// The buckets of band `band`: each distinct band value list with its slots (datasketch's
    /// `get_counts` counts these).
    pub fn buckets(&self, band: usize) -> Vec<(Vec<u64>, Vec<u32>)> {
        let Some(table) = self.tables.get(band) else {
            return Vec::new();
        };
        let mut out: Vec<(Vec<u64>, Vec<u32>)> = Vec::new();
        for (_, head) in table.iter() {
            // Slots in one hash bucket may differ in values after a hash collision: split them.
            let first = out.len();
            for s in self.chain(head, band) {
                let vals = self.band_of(s, band);
                match out[first..].iter_mut().find(|(v, _)| v == vals) {
                    Some((_, slots)) => slots.push(s),
                    None => out.push((vals.to_vec(), vec![s])),
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_like_datasketch() {
        assert!(optimal_params(1.5, 128, 0.5, 0.5).is_err());
        assert!(optimal_params(0.5, 1, 0.5, 0.5).is_err());
        assert!(optimal_params(0.5, 128, 0.7, 0.7).is_err());
        assert!(optimal_params(0.0, 16, 0.5, 0.5).is_ok());
        assert!(optimal_params(1.0, 16, 0.5, 0.5).is_ok());
    }

    #[test]
    fn exact_ties_are_broken_as_scipy_rounds_them() {
        // (1, 1), (1, 2) and (2, 1) tie exactly at 0.5; datasketch ends up with b = 1.
        assert_eq!(optimal_params(0.5, 2, 0.5, 0.5).unwrap(), (1, 1));
        assert_eq!(optimal_params(0.5, 3, 0.5, 0.5).unwrap(), (1, 1));
    }

    #[test]
    fn band_hash_collisions_do_not_make_candidates() {
        let mut idx = DsLsh::new(4, 2, 2).unwrap();
        let a = idx.insert(&[1u64, 2, 3, 4]).unwrap();
        let b = idx.insert(&[1u64, 2, 9, 9]).unwrap();
        assert_eq!(idx.query(&[1u64, 2, 0, 0]).unwrap(), vec![a, b]);
        assert_eq!(idx.query(&[0u64, 0, 9, 9]).unwrap(), vec![b]);
        assert_eq!(idx.query(&[2u64, 1, 4, 3]).unwrap(), Vec::<u32>::new());
        // Force every item into one hash bucket: values still decide.
        let mut t = idx.clone();
        let tag = tag_of(band_hash(&[1u64, 2]));
        let head = t.tables[0].get(tag).unwrap();
        t.tables[0].set(tag, NIL);
        t.tables[0].push(tag_of(band_hash(&[7u64, 7])), head);
        assert_eq!(t.query(&[7u64, 7, 0, 0]).unwrap(), Vec::<u32>::new());
    }

    #[test]
    fn removal_anywhere_in_a_bucket_keeps_the_others() {
        let mut idx = DsLsh::new(4, 2, 2).unwrap();
        let slots: Vec<u32> = (0..4u64)
            .map(|i| idx.insert(&[1u64, 2, 10 + i, 0]).unwrap())
            .collect();
        // Chains hold the newest first: remove from the middle, the end and the head.
        for (gone, left) in [(2, vec![0, 1, 3]), (0, vec![1, 3]), (3, vec![1])] {
            idx.remove(slots[gone]).unwrap();
            assert_eq!(idx.query(&[1u64, 2, 0, 0]).unwrap(), left);
            assert_eq!(
                idx.query(&[0u64, 0, 10 + gone as u64, 0]).unwrap(),
                Vec::<u32>::new()
            );
        }
        assert_eq!(idx.buckets(0), vec![(vec![1, 2], vec![1])]);
        idx.remove(1).unwrap();
        assert!(idx.tables.iter().all(|t| t.is_empty()));
    }

    #[test]
    fn remove_reuses_slots_and_drops_empty_buckets() {
        let mut idx = DsLsh::new(4, 2, 2).unwrap();
        let a = idx.insert(&[1u32, 2, 3, 4]).unwrap();
        idx.remove(a).unwrap();
        assert!(idx.is_empty());
        assert!(idx.tables.iter().all(|t| t.is_empty()));
        assert!(idx.remove(a).is_err());
        assert_eq!(idx.insert(&[5u32, 6, 7, 8]).unwrap(), a);
        assert_eq!(idx.band_values(a), Some([5u64, 6, 7, 8].as_slice()));
        assert_eq!(idx.query(&[1u32, 2, 3, 4]).unwrap(), Vec::<u32>::new());
        assert_eq!(idx.buckets(0), vec![(vec![5, 6], vec![a])]);
    }
}
