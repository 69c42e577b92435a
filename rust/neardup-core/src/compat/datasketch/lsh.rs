//! datasketch's `MinHashLSH` with its default in-memory storage (`datasketch/lsh.py`): the same
//! `(b, r)` choice and exactly the same candidate sets.
//!
//! datasketch keys band `i` of a signature by the big-endian bytes of `hashvalues[i·r..(i+1)·r]`; as an
//! index holds signatures of one scheme (one width), two signatures share a band key exactly when the
//! band's values are equal. This index keeps each item's band values, buckets items by a hash of each
//! band and compares the values on lookup, so a hash collision never adds a candidate.
//! Items are numbered slots (reused after removal); the caller maps its own keys to slots.

use std::collections::hash_map::Entry;

use super::fmix64;
use super::quadpack::quad_first_pass;
use crate::error::{invalid, Error, Result};
use crate::lsh::{error_areas, IdHashMap};

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
    let mut scored = Vec::new();
    for b in 1..=num_perm {
        for r in 1..=num_perm / b {
            let (fp, fnr) = error_areas(threshold, b, r);
            scored.push(((b, r), fp, fnr));
        }
    }
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
fn band_hash(band: &[u64]) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3u64;
    for &v in band {
        h = (h.rotate_left(5) ^ v).wrapping_mul(0x517C_C1B7_2722_0A95);
    }
    fmix64(h ^ band.len() as u64)
}

/// Banded LSH index with datasketch's candidate semantics. Slots are `u32`; removed slots are reused.
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
    /// Per band: band hash → slots whose band has that hash.
    tables: Vec<IdHashMap<Vec<u32>>>,
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
            tables: (0..bands).map(|_| IdHashMap::default()).collect(),
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

    /// The banded prefix of a full signature, checked for length.
    fn banded<'s, L: Copy + Into<u64>>(&self, sig: &'s [L]) -> Result<&'s [L]> {
        if sig.len() != self.num_perm {
            return Err(Error::LengthMismatch {
                expected: self.num_perm,
                got: sig.len(),
            });
        }
        Ok(&sig[..self.bands * self.rows])
    }

    /// Indexes a signature of `num_perm` values; returns its slot.
    pub fn insert<L: Copy + Into<u64>>(&mut self, sig: &[L]) -> Result<u32> {
        let banded: Vec<u64> = self.banded(sig)?.iter().map(|&v| v.into()).collect();
        self.insert_bands(&banded)
    }

    /// Indexes an item given only its `bands·rows` band values (as [`DsLsh::band_values`] returns them).
    pub fn insert_bands(&mut self, banded: &[u64]) -> Result<u32> {
        let width = self.bands * self.rows;
        if banded.len() != width {
            return Err(Error::LengthMismatch {
                expected: width,
                got: banded.len(),
            });
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => u32::try_from(self.live.len())
                .map_err(|_| invalid("key", "the index is full (2**32 items)"))?,
        };
        let at = slot as usize;
        if at == self.live.len() {
            self.values.extend_from_slice(banded);
            self.live.push(true);
        } else {
            self.values[at * width..(at + 1) * width].copy_from_slice(banded);
            self.live[at] = true;
        }
        for (i, band) in banded.chunks_exact(self.rows).enumerate() {
            self.tables[i]
                .entry(band_hash(band))
                .or_default()
                .push(slot);
        }
        self.len += 1;
        Ok(slot)
    }

    /// The band values of a live slot.
    pub fn band_values(&self, slot: u32) -> Option<&[u64]> {
        let at = slot as usize;
        if !self.live.get(at).copied().unwrap_or(false) {
            return None;
        }
        let width = self.bands * self.rows;
        self.values.get(at * width..(at + 1) * width)
    }

    /// Removes a live slot from every bucket; its number may be handed out again.
    pub fn remove(&mut self, slot: u32) -> Result<()> {
        let Some(banded) = self.band_values(slot).map(<[u64]>::to_vec) else {
            return Err(invalid("key", format!("slot {slot} is not in the index")));
        };
        for (i, band) in banded.chunks_exact(self.rows).enumerate() {
            if let Entry::Occupied(mut e) = self.tables[i].entry(band_hash(band)) {
                let bucket = e.get_mut();
                if let Some(p) = bucket.iter().position(|&s| s == slot) {
                    bucket.swap_remove(p);
                }
                if bucket.is_empty() {
                    e.remove();
                }
            }
        }
        self.live[slot as usize] = false;
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
        if bands > self.bands {
            return Err(invalid(
                "b",
                format!("must be at most the number of bands {}", self.bands),
            ));
        }
        let banded: Vec<u64> = self.banded(sig)?.iter().map(|&v| v.into()).collect();
        let width = self.bands * self.rows;
        let mut found = Vec::new();
        for (i, band) in banded.chunks_exact(self.rows).take(bands).enumerate() {
            let Some(bucket) = self.tables[i].get(&band_hash(band)) else {
                continue;
            };
            let (lo, hi) = (i * self.rows, (i + 1) * self.rows);
            found.extend(bucket.iter().copied().filter(|&s| {
                let base = s as usize * width;
                self.values.get(base + lo..base + hi) == Some(band)
            }));
        }
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    /// Indexes the rows of a row-major matrix of signatures (`stride` values each); their slots.
    pub fn insert_many(&mut self, sigs: &[u64], stride: usize) -> Result<Vec<u32>> {
        if stride != self.num_perm || !sigs.len().is_multiple_of(stride.max(1)) {
            return Err(Error::LengthMismatch {
                expected: self.num_perm,
                got: stride,
            });
        }
        let width = self.bands * self.rows;
        let n = sigs.len() / stride.max(1);
        // Grow once for the whole batch instead of by doubling.
        self.values.reserve(n * width);
        self.live.reserve(n);
        for table in &mut self.tables {
            table.reserve(n);
        }
        sigs.chunks_exact(stride)
            .map(|sig| self.insert_bands(&sig[..width]))
            .collect()
    }

    /// [`DsLsh::query`] for each row of a row-major matrix of signatures, on all rayon threads.
    pub fn query_many(&self, sigs: &[u64], stride: usize) -> Result<Vec<Vec<u32>>> {
        use rayon::prelude::*;
        if stride != self.num_perm || !sigs.len().is_multiple_of(stride.max(1)) {
            return Err(Error::LengthMismatch {
                expected: self.num_perm,
                got: stride,
            });
        }
        sigs.par_chunks_exact(stride)
            .with_min_len(64)
            .map(|sig| self.query(sig))
            .collect()
    }

    /// [`DsLsh::query_bands`] for each row of a row-major matrix of signatures, row `i` using its first
    /// `bands[i]` bands, on all rayon threads.
    pub fn query_bands_many(
        &self,
        sigs: &[u64],
        stride: usize,
        bands: &[usize],
    ) -> Result<Vec<Vec<u32>>> {
        use rayon::prelude::*;
        if stride != self.num_perm || sigs.len() != stride * bands.len() {
            return Err(Error::LengthMismatch {
                expected: self.num_perm * bands.len(),
                got: sigs.len(),
            });
        }
        sigs.par_chunks_exact(stride)
            .zip(bands.par_iter())
            .with_min_len(64)
            .map(|(sig, &b)| self.query_bands(sig, b))
            .collect()
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
        let width = self.bands * self.rows;
        let (lo, hi) = (band * self.rows, (band + 1) * self.rows);
        let mut out: Vec<(Vec<u64>, Vec<u32>)> = Vec::new();
        for bucket in table.values() {
            // Slots in one hash bucket may differ in values after a hash collision: split them.
            let first = out.len();
            for &s in bucket {
                let base = s as usize * width;
                let Some(vals) = self.values.get(base + lo..base + hi) else {
                    continue;
                };
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
        let h = band_hash(&[1, 2]);
        let bucket = t.tables[0].remove(&h).unwrap();
        t.tables[0].insert(band_hash(&[7, 7]), bucket);
        assert_eq!(t.query(&[7u64, 7, 0, 0]).unwrap(), Vec::<u32>::new());
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
