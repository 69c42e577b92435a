//! Banded locality-sensitive hashing over MinHash signatures.
//!
//! Indyk & Motwani, "Approximate nearest neighbors" (STOC 1998); the banding construction and its S-curve
//! `P(candidate | J=s) = 1 − (1 − s^r)^b` as in Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*,
//! ch. 3. A signature of `b·r` values is cut into `b` bands of `r` rows; two signatures become candidates when
//! any band hashes equal. `(b, r)` is chosen as datasketch does: minimise
//! `w_fp·∫₀ᵗ P(s) ds + w_fn·∫ₜ¹ (1 − P(s)) ds` over all `b·r ≤ num_perm`.
//!
//! The index stores, per slot, only the `b` band hashes (not the signature), so memory is `8·b` bytes per
//! item plus the bucket lists. Empty-set signatures are stored (so `contains` and `len` see them) but put in
//! no bucket: they are near-duplicates of nothing.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, OnceLock};

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

/// Integral of `f` over `[a, b]` by composite Gauss–Legendre (5 points on 64 panels): smooth integrands
/// here, so this is exact to ~1e-12.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const X: [f64; 5] = [
        0.0,
        -0.538_469_310_105_683,
        0.538_469_310_105_683,
        -0.906_179_845_938_664,
        0.906_179_845_938_664,
    ];
    const W: [f64; 5] = [
        0.568_888_888_888_889,
        0.478_628_670_499_366,
        0.478_628_670_499_366,
        0.236_926_885_056_189,
        0.236_926_885_056_189,
    ];
    let panels = 64;
    let h = (b - a) / panels as f64;
    let mut total = 0.0;
    for p in 0..panels {
        let mid = a + (p as f64 + 0.5) * h;
        for (x, w) in X.iter().zip(W) {
            total += w * f(mid + x * h / 2.0);
        }
    }
    total * h / 2.0
}

/// The false-positive and false-negative areas of a `(b, r)` banding at `threshold`.
pub fn error_areas(threshold: f64, bands: usize, rows: usize) -> (f64, f64) {
    let (b, r) = (bands as f64, rows as f64);
    let p = |s: f64| 1.0 - (1.0 - s.powf(r)).powf(b);
    let fp = integrate(p, 0.0, threshold);
    let fnr = integrate(|s| 1.0 - p(s), threshold, 1.0);
    (fp, fnr)
}

/// `(bands, rows)` minimising the weighted error areas (first minimum in `b`-then-`r` order).
pub fn optimal_params(
    threshold: f64,
    num_perm: usize,
    fp_weight: f64,
    fn_weight: f64,
) -> Result<(usize, usize)> {
    check_threshold(threshold)?;
    if num_perm == 0 {
        return Err(invalid("num_perm", "must be at least 1"));
    }
    if !(fp_weight >= 0.0 && fn_weight >= 0.0) || (fp_weight + fn_weight - 1.0).abs() > 1e-9 {
        return Err(invalid(
            "weights",
            "must be two non-negative numbers summing to 1",
        ));
    }
    // The search integrates ~2·num_perm·ln(num_perm) S-curves; indexes are often built with the same few
    // settings, so remember the answers.
    type Params = HashMap<(u64, usize, u64, u64), (usize, usize)>;
    static CACHE: OnceLock<Mutex<Params>> = OnceLock::new();
    let cache_key = (
        threshold.to_bits(),
        num_perm,
        fp_weight.to_bits(),
        fn_weight.to_bits(),
    );
    let cache = CACHE.get_or_init(Default::default);
    if let Some(&hit) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(&cache_key).copied())
        .as_ref()
    {
        return Ok(hit);
    }
    let mut best = (f64::INFINITY, (1, 1));
    for b in 1..=num_perm {
        for r in 1..=num_perm / b {
            let (fp, fnr) = error_areas(threshold, b, r);
            let err = fp * fp_weight + fnr * fn_weight;
            if err < best.0 {
                best = (err, (b, r));
            }
        }
    }
    if let Ok(mut c) = cache.lock() {
        c.insert(cache_key, best.1);
    }
    Ok(best.1)
}

pub(crate) fn check_threshold(t: f64) -> Result<()> {
    if !(t > 0.0 && t < 1.0) {
        return Err(invalid("threshold", format!("must be in (0, 1), got {t}")));
    }
    Ok(())
}

/// A key as Python callers see it: an int or a str.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Int(i64),
    Str(String),
}

/// A live slot: its key and its band hashes (`None` for an empty-set signature).
type Slot = (Key, Option<Box<[u64]>>);

/// Banded LSH index. Slots are numbered in insertion order; removed slots stay as holes.
#[derive(Debug, Clone)]
pub struct LshIndex {
    num_perm: usize,
    bands: usize,
    rows: usize,
    /// Band hashes of each slot (`bands` per slot); `None` for removed slots.
    slots: Vec<Option<Slot>>,
    by_key: HashMap<Key, u32>,
    tables: Vec<IdHashMap<Vec<u32>>>,
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
            slots: Vec::new(),
            by_key: HashMap::new(),
            tables: (0..bands).map(|_| IdHashMap::default()).collect(),
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
        self.by_key.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
    pub fn contains(&self, key: &Key) -> bool {
        self.by_key.contains_key(key)
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

    /// The `bands` bucket hashes of a signature, or `None` for an empty-set signature.
    pub fn band_hashes(&self, sig: &[u32]) -> Option<Box<[u64]>> {
        if is_empty_signature(sig) {
            return None;
        }
        let mut bytes = vec![0u8; self.rows * 4];
        Some(
            (0..self.bands)
                .map(|band| {
                    let rows = &sig[band * self.rows..(band + 1) * self.rows];
                    for (i, v) in rows.iter().enumerate() {
                        bytes[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
                    }
                    xxh3_64_with_seed(&bytes, band as u64)
                })
                .collect(),
        )
    }

    /// Inserts one key. A key already present is an error (remove it first), as in datasketch.
    pub fn insert(&mut self, key: Key, sig: &[u32]) -> Result<()> {
        self.check_len(sig)?;
        let hashes = self.band_hashes(sig);
        self.insert_hashed(key, hashes)
    }

    fn insert_hashed(&mut self, key: Key, hashes: Option<Box<[u64]>>) -> Result<()> {
        if self.by_key.contains_key(&key) {
            return Err(invalid("key", format!("{key:?} is already in the index")));
        }
        let slot = u32::try_from(self.slots.len())
            .map_err(|_| invalid("key", "the index holds at most 2^32 items"))?;
        if let Some(h) = &hashes {
            for (table, &bh) in self.tables.iter_mut().zip(h.iter()) {
                table.entry(bh).or_default().push(slot);
            }
        }
        self.by_key.insert(key.clone(), slot);
        self.slots.push(Some((key, hashes)));
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
        // Validate all keys first so a failing batch inserts nothing.
        let mut seen = std::collections::HashSet::with_capacity(keys.len());
        for k in &keys {
            if self.by_key.contains_key(k) || !seen.insert(k) {
                return Err(invalid("keys", format!("{k:?} is already in the index")));
            }
        }
        let hashes: Vec<Option<Box<[u64]>>> = sigs
            .par_chunks(self.num_perm)
            .with_min_len(256)
            .map(|s| self.band_hashes(s))
            .collect();
        for (k, h) in keys.into_iter().zip(hashes) {
            self.insert_hashed(k, h)?;
        }
        Ok(())
    }

    pub fn remove(&mut self, key: &Key) -> Result<()> {
        let slot = self
            .by_key
            .remove(key)
            .ok_or_else(|| invalid("key", format!("{key:?} is not in the index")))?;
        if let Some((_, Some(h))) = self.slots[slot as usize].take() {
            for (table, bh) in self.tables.iter_mut().zip(h.iter()) {
                if let Some(list) = table.get_mut(bh) {
                    list.retain(|&s| s != slot);
                    if list.is_empty() {
                        table.remove(bh);
                    }
                }
            }
        }
        Ok(())
    }

    /// Slots sharing at least one band with `sig`, ascending (insertion order).
    pub fn query_slots(&self, sig: &[u32]) -> Result<Vec<u32>> {
        self.check_len(sig)?;
        let Some(h) = self.band_hashes(sig) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<u32> = Vec::new();
        for (table, bh) in self.tables.iter().zip(h.iter()) {
            if let Some(list) = table.get(bh) {
                out.extend_from_slice(list);
            }
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
            .filter_map(|s| self.key_of(s).cloned())
            .collect())
    }

    /// Candidates of many row-major signatures, in parallel.
    pub fn query_many(&self, sigs: &[u32]) -> Result<Vec<Vec<Key>>> {
        if !sigs.len().is_multiple_of(self.num_perm) {
            return Err(Error::LengthMismatch {
                expected: self.num_perm,
                got: sigs.len() % self.num_perm,
            });
        }
        sigs.par_chunks(self.num_perm)
            .with_min_len(64)
            .map(|s| self.query(s))
            .collect()
    }

    pub fn key_of(&self, slot: u32) -> Option<&Key> {
        self.slots
            .get(slot as usize)
            .and_then(|s| s.as_ref())
            .map(|(k, _)| k)
    }

    /// Slot number of every live key, in insertion order.
    pub fn live_slots(&self) -> Vec<u32> {
        (0..self.slots.len() as u32)
            .filter(|&s| self.slots[s as usize].is_some())
            .collect()
    }

    /// Every pair of slots sharing a band, each once as `(low, high)`, sorted.
    pub fn candidate_pairs(&self) -> Vec<(u32, u32)> {
        let mut pairs: Vec<u64> = self
            .tables
            .par_iter()
            .flat_map_iter(|table| {
                let mut local = Vec::new();
                for list in table.values() {
                    for (i, &a) in list.iter().enumerate() {
                        for &b in &list[i + 1..] {
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

    const MAGIC: &'static [u8; 8] = b"NDUPLSH\0";
    const VERSION: u32 = 1;

    /// Versioned little-endian binary form: header, then every slot (holes kept so numbering survives).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.slots.len() * (16 + 8 * self.bands));
        out.extend_from_slice(Self::MAGIC);
        out.extend_from_slice(&Self::VERSION.to_le_bytes());
        for v in [self.num_perm, self.bands, self.rows, self.slots.len()] {
            out.extend_from_slice(&(v as u64).to_le_bytes());
        }
        for slot in &self.slots {
            match slot {
                None => out.push(0),
                Some((key, hashes)) => {
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
                    match hashes {
                        None => out.push(0),
                        Some(h) => {
                            out.push(1);
                            for v in h.iter() {
                                out.extend_from_slice(&v.to_le_bytes());
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Reads [`LshIndex::to_bytes`] output back, validating every length; never panics on bad input.
    pub fn from_bytes(data: &[u8]) -> Result<Self> {
        let mut r = Reader { data, pos: 0 };
        if r.take(8)? != Self::MAGIC {
            return Err(Error::IndexFormat(
                "not a neardup LSH index (bad magic)".into(),
            ));
        }
        let version = u32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes"));
        if version != Self::VERSION {
            return Err(Error::IndexFormat(format!(
                "unsupported index format version {version} (this neardup reads {})",
                Self::VERSION
            )));
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
        if n > data.len() {
            return Err(Error::IndexFormat("slot count exceeds the data".into()));
        }
        for _ in 0..n {
            match r.byte()? {
                0 => idx.slots.push(None),
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
                    let hashes = match r.byte()? {
                        0 => None,
                        1 => Some(
                            (0..bands)
                                .map(|_| r.u64())
                                .collect::<Result<Vec<u64>>>()?
                                .into_boxed_slice(),
                        ),
                        t => return Err(Error::IndexFormat(format!("bad band tag {t}"))),
                    };
                    if idx.by_key.contains_key(&key) {
                        return Err(Error::IndexFormat(format!("duplicate key {key:?}")));
                    }
                    let slot = idx.slots.len() as u32;
                    if let Some(h) = &hashes {
                        for (table, &bh) in idx.tables.iter_mut().zip(h.iter()) {
                            table.entry(bh).or_default().push(slot);
                        }
                    }
                    idx.by_key.insert(key.clone(), slot);
                    idx.slots.push(Some((key, hashes)));
                }
                t => return Err(Error::IndexFormat(format!("bad slot tag {t}"))),
            }
        }
        if r.pos != data.len() {
            return Err(Error::IndexFormat("trailing bytes after the index".into()));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
