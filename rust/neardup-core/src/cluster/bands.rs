//! Band keys of MinHash signatures and the buckets they form, in pieces that shard.
//!
//! The banding is the one of [`crate::lsh`] (Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*,
//! ch. 3): a signature of `b·r` values is cut into `b` bands of `r` rows and each band is hashed to a 64-bit
//! key with the same function as [`crate::lsh::LshIndex`], so two documents are candidates here exactly when
//! they would be candidates in an index with the same `(b, r)` (chosen here to favour recall:
//! [`ERROR_WEIGHTS`]). Instead of hash tables of buckets, the pieces here work on flat
//! arrays, which is what a corpus-scale or distributed run needs:
//!
//! * [`band_keys`] keeps only the `b` keys of each document (`8·b` bytes), not its signature;
//! * [`partition`] deals `(band, key, doc)` entries to `parts` reducers by a hash of `(band, key)`, so every
//!   bucket lands whole on one reducer (a shuffle);
//! * [`Buckets::from_entries`] and [`Buckets::from_matrix`] sort entries and keep the runs of two or more
//!   documents sharing a `(band, key)`, as compressed member lists.
//!
//! Documents whose shingle set is empty have no keys and join no bucket: they are near-duplicates of nothing.

use rayon::prelude::*;

use crate::error::{invalid, Error, Result};
use crate::lsh::optimal_params;
use crate::minhash::MinHasher;

/// Weights of the false-positive and false-negative areas when choosing `(b, r)` for clustering. Every
/// candidate is verified on its exact Jaccard, so a false positive costs one verification and a false
/// negative a missed duplicate: the choice leans to recall. At 128 values this gives `(14, 9)` at
/// threshold 0.8 (a pair at Jaccard 0.8 is a candidate with probability 0.87, at 0.9 with 0.999) where equal
/// weights give `(9, 13)` (0.40 and 0.93).
pub const ERROR_WEIGHTS: (f64, f64) = (0.1, 0.9);

/// How signatures are cut into bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Banding {
    pub num_perm: usize,
    pub bands: usize,
    pub rows: usize,
}

impl Banding {
    /// The `(b, r)` minimising the error areas weighted by [`ERROR_WEIGHTS`].
    pub fn for_threshold(threshold: f64, num_perm: usize) -> Result<Self> {
        let (bands, rows) = optimal_params(threshold, num_perm, ERROR_WEIGHTS.0, ERROR_WEIGHTS.1)?;
        Ok(Banding {
            num_perm,
            bands,
            rows,
        })
    }

    /// Writes the `bands` keys of `sig` into `out`; false (and `out` untouched) for an empty-set signature.
    pub fn keys_into(&self, sig: &[u32], out: &mut [u64]) -> bool {
        // One implementation for both: the band keys here and the LSH index's bucket hashes must agree.
        crate::lsh::hash_bands(self.rows, sig, &mut out[..self.bands])
    }
}

/// Band keys of texts, row-major `n × bands`, and for each text whether its shingle set is empty (its row is
/// then all zeros and must be ignored). Signatures are computed in blocks and dropped, so memory stays at
/// the keys.
pub fn band_keys<S: AsRef<str> + Sync>(
    hasher: &MinHasher,
    banding: &Banding,
    texts: &[S],
) -> Result<(Vec<u64>, Vec<bool>)> {
    if banding.num_perm != hasher.num_perm {
        return Err(Error::LengthMismatch {
            expected: banding.num_perm,
            got: hasher.num_perm,
        });
    }
    const BLOCK: usize = 4096;
    let b = banding.bands;
    let mut keys = vec![0u64; texts.len() * b];
    let mut empty = vec![false; texts.len()];
    for ((block, key_block), empty_block) in texts
        .chunks(BLOCK)
        .zip(keys.chunks_mut(BLOCK * b.max(1)))
        .zip(empty.chunks_mut(BLOCK))
    {
        let sigs = hasher.signatures(block);
        key_block
            .par_chunks_mut(b.max(1))
            .zip(empty_block.par_iter_mut())
            .zip(sigs.par_chunks(hasher.num_perm))
            .with_min_len(256)
            .for_each(|((row, e), sig)| *e = !banding.keys_into(sig, row));
    }
    Ok((keys, empty))
}

/// `(band, key, doc)` entries of a shuffle, as three parallel arrays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries {
    pub band: Vec<u32>,
    pub key: Vec<u64>,
    pub doc: Vec<u64>,
}

impl Entries {
    pub fn len(&self) -> usize {
        self.doc.len()
    }
    pub fn is_empty(&self) -> bool {
        self.doc.is_empty()
    }
}

/// The reducer of a `(band, key)` among `parts`.
#[inline]
pub fn part_of(band: u32, key: u64, parts: usize) -> usize {
    let h = crate::text::shingle::combine_hashes(&[key, band as u64], 0x7368_7566_666c_6521);
    ((h as u128 * parts as u128) >> 64) as usize
}

fn check_matrix(keys: &[u64], bands: usize, empty: &[bool]) -> Result<()> {
    if bands == 0 {
        return Err(invalid("bands", "must be at least 1"));
    }
    if keys.len() != empty.len() * bands {
        return Err(Error::LengthMismatch {
            expected: empty.len() * bands,
            got: keys.len(),
        });
    }
    Ok(())
}

/// Deals the keys of a block of documents (row `i` is document `doc_base + i`) to `parts` reducers.
pub fn partition(
    keys: &[u64],
    bands: usize,
    empty: &[bool],
    doc_base: u64,
    parts: usize,
) -> Result<Vec<Entries>> {
    check_matrix(keys, bands, empty)?;
    if parts == 0 {
        return Err(invalid("parts", "must be at least 1"));
    }
    if doc_base.checked_add(empty.len() as u64).is_none() {
        return Err(invalid("doc_base", "document numbers overflow 64 bits"));
    }
    let mut out = vec![Entries::default(); parts];
    for (i, (row, &e)) in keys.chunks_exact(bands).zip(empty).enumerate() {
        if e {
            continue;
        }
        for (band, &key) in row.iter().enumerate() {
            let p = &mut out[part_of(band as u32, key, parts)];
            p.band.push(band as u32);
            p.key.push(key);
            p.doc.push(doc_base + i as u64);
        }
    }
    Ok(out)
}

/// Runs of two or more documents sharing a `(band, key)`: bucket `i` is
/// `docs[offsets[i]..offsets[i + 1]]`, members ascending and distinct.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Buckets {
    offsets: Vec<u64>,
    docs: Vec<u64>,
}

impl Buckets {
    /// Checks that `offsets` start at 0, never decrease and end at `docs.len()`.
    pub fn new(offsets: Vec<u64>, docs: Vec<u64>) -> Result<Self> {
        let ok = offsets.first() == Some(&0)
            && offsets.windows(2).all(|w| w[0] <= w[1])
            && offsets.last() == Some(&(docs.len() as u64));
        if !ok {
            return Err(invalid(
                "offsets",
                "must start at 0, never decrease and end at the number of members",
            ));
        }
        Ok(Buckets { offsets, docs })
    }

    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }
    pub fn docs(&self) -> &[u64] {
        &self.docs
    }
    pub fn into_parts(self) -> (Vec<u64>, Vec<u64>) {
        (self.offsets, self.docs)
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn get(&self, i: usize) -> &[u64] {
        &self.docs[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
    pub fn iter(&self) -> impl Iterator<Item = &[u64]> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Every document that is in some bucket, ascending.
    pub fn members(&self) -> Vec<u64> {
        let mut m = self.docs.clone();
        m.par_sort_unstable();
        m.dedup();
        m
    }

    /// Buckets of shuffled entries (any order; a repeated entry counts once).
    pub fn from_entries(band: &[u32], key: &[u64], doc: &[u64]) -> Result<Self> {
        if band.len() != doc.len() || key.len() != doc.len() {
            return Err(Error::LengthMismatch {
                expected: doc.len(),
                got: if band.len() != doc.len() {
                    band.len()
                } else {
                    key.len()
                },
            });
        }
        let mut e: Vec<(u32, u64, u64)> = band
            .iter()
            .zip(key)
            .zip(doc)
            .map(|((&b, &k), &d)| (b, k, d))
            .collect();
        e.par_sort_unstable();
        e.dedup();
        let mut out = Buckets {
            offsets: vec![0],
            docs: Vec::new(),
        };
        for run in e.chunk_by(|x, y| x.0 == y.0 && x.1 == y.1) {
            if run.len() >= 2 {
                out.docs.extend(run.iter().map(|x| x.2));
                out.offsets.push(out.docs.len() as u64);
            }
        }
        Ok(out)
    }

    /// Buckets of a whole key matrix (row `i` is document `i`).
    pub fn from_matrix(keys: &[u64], bands: usize, empty: &[bool]) -> Result<Self> {
        Buckets::from_blocks(&[(keys, empty)], bands)
    }

    /// Buckets of key matrices read as one (the rows of each block follow those of the blocks before
    /// it), without concatenating them: one band at a time, its `(key, doc)` entries sorted in
    /// parallel, so the memory beyond the keys is one band's entries (16 bytes a document) and the
    /// buckets.
    pub fn from_blocks(blocks: &[(&[u64], &[bool])], bands: usize) -> Result<Self> {
        for &(keys, empty) in blocks {
            check_matrix(keys, bands, empty)?;
        }
        let mut out = Buckets {
            offsets: vec![0],
            docs: Vec::new(),
        };
        let n: usize = blocks.iter().map(|b| b.1.len()).sum();
        let mut e: Vec<(u64, u64)> = Vec::with_capacity(n);
        for band in 0..bands {
            e.clear();
            let mut base = 0u64;
            for &(keys, empty) in blocks {
                e.par_extend(
                    keys.par_chunks_exact(bands)
                        .zip(empty.par_iter())
                        .enumerate()
                        .filter(|(_, (_, &em))| !em)
                        .map(|(i, (row, _))| (row[band], base + i as u64)),
                );
                base += empty.len() as u64;
            }
            e.par_sort_unstable();
            for run in e.chunk_by(|x, y| x.0 == y.0) {
                if run.len() >= 2 {
                    out.docs.extend(run.iter().map(|x| x.1));
                    out.offsets.push(out.docs.len() as u64);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsh::LshIndex;
    use crate::text::shingle::ShingleConfig;

    #[test]
    fn keys_match_the_index() {
        let cfg = ShingleConfig::default();
        let mh = MinHasher::new(128, cfg, crate::minhash::Scheme::Oph).unwrap();
        let banding = Banding::for_threshold(0.8, 128).unwrap();
        assert_eq!((banding.bands, banding.rows), (14, 9));
        let idx = LshIndex::new(128, 14, 9).unwrap();
        let sig = mh.signature("the quick brown fox jumps over the lazy dog");
        let mut keys = vec![0; banding.bands];
        assert!(banding.keys_into(&sig, &mut keys));
        assert_eq!(&keys[..], &idx.band_hashes(&sig).unwrap()[..]);
        let (_, empty) = band_keys(&mh, &banding, &["", "  ,", "a b c"]).unwrap();
        assert_eq!(empty, vec![true, true, false]);
    }

    #[test]
    fn entries_and_matrix_give_the_same_buckets() {
        // 6 documents, 2 bands.
        let keys = vec![1, 10, 2, 10, 1, 11, 3, 12, 1, 12, 0, 0];
        let empty = vec![false, false, false, false, false, true];
        let m = Buckets::from_matrix(&keys, 2, &empty).unwrap();
        let parts = partition(&keys, 2, &empty, 0, 3).unwrap();
        let mut all = Entries::default();
        for p in parts {
            all.band.extend(p.band);
            all.key.extend(p.key);
            all.doc.extend(p.doc);
        }
        let e = Buckets::from_entries(&all.band, &all.key, &all.doc).unwrap();
        let set = |b: &Buckets| {
            let mut v: Vec<Vec<u64>> = b.iter().map(|s| s.to_vec()).collect();
            v.sort();
            v
        };
        assert_eq!(set(&m), vec![vec![0, 1], vec![0, 2, 4], vec![3, 4]]);
        assert_eq!(set(&m), set(&e));
        assert_eq!(m.members(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(Buckets::from_matrix(&[1, 2, 3], 2, &[false, false]).is_err());
        assert!(Buckets::from_entries(&[0], &[1, 2], &[3]).is_err());
        assert!(Buckets::new(vec![0, 3], vec![1, 2]).is_err());
        assert!(Buckets::new(vec![], vec![]).is_err());
        assert!(partition(&[1, 2], 2, &[false], 0, 0).is_err());
        assert!(partition(&[1, 2], 2, &[false], u64::MAX, 2).is_err());
    }
}
