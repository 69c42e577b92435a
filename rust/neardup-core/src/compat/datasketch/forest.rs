//! datasketch's `MinHashLSHForest` (Bawa, Condie & Ganesan, "LSH Forest: Self-Tuning Indexes for
//! Similarity Search", WWW 2005): `l` prefix trees, each over one band of `k` rows of the signature.
//!
//! datasketch keeps, per tree, the distinct band keys (big-endian bytes) sorted, and answers a top-`n`
//! query by walking prefix lengths `r = k, k−1, …, 1`: in each tree, every band key whose first `r`
//! rows equal the query's, in sorted order, contributes its keys in insertion order; the walk stops as
//! soon as `n` distinct keys are found. Comparing big-endian bytes of equal width is comparing the
//! values in order, so this index sorts value tuples and reproduces that walk exactly: same keys found,
//! in the same order.

use std::collections::HashMap;

use crate::error::{invalid, Result};

/// One tree: its distinct bands (values, in first-seen order), their slots, and the sorted order.
#[derive(Debug, Clone, Default)]
struct Tree {
    values: Vec<u64>,
    members: Vec<Vec<u32>>,
    by_values: HashMap<Vec<u64>, u32>,
    sorted: Vec<u32>,
}

impl Tree {
    fn band(&self, id: u32, len: usize) -> &[u64] {
        &self.values[id as usize * len..(id as usize + 1) * len]
    }
}

/// An LSH Forest over numbered slots; rows hold `width` values (2 for weighted MinHashes).
#[derive(Debug, Clone)]
pub struct DsForest {
    trees: Vec<Tree>,
    rows: usize,
    width: usize,
}

impl DsForest {
    pub fn new(trees: usize, rows: usize, width: usize) -> Result<Self> {
        if trees == 0 || rows == 0 || width == 0 {
            return Err(invalid("l", "trees, rows and width must be positive"));
        }
        Ok(DsForest {
            trees: vec![Tree::default(); trees],
            rows,
            width,
        })
    }

    fn band_len(&self) -> usize {
        self.rows * self.width
    }

    /// Adds `slot` with its `trees·rows·width` banded values (not searchable until [`DsForest::index`]).
    pub fn add(&mut self, slot: u32, banded: &[u64]) -> Result<()> {
        let n = self.band_len();
        if banded.len() < n * self.trees.len() {
            return Err(invalid("minhash", "The num_perm of MinHash out of range"));
        }
        for (tree, band) in self.trees.iter_mut().zip(banded.chunks_exact(n)) {
            match tree.by_values.get(band) {
                Some(&id) => tree.members[id as usize].push(slot),
                None => {
                    let id = tree.members.len() as u32;
                    tree.by_values.insert(band.to_vec(), id);
                    tree.values.extend_from_slice(band);
                    tree.members.push(vec![slot]);
                }
            }
        }
        Ok(())
    }

    /// Sorts every tree's bands (datasketch's `index()`).
    pub fn index(&mut self) {
        let n = self.band_len();
        for tree in &mut self.trees {
            let values = &tree.values;
            let mut order: Vec<u32> = (0..tree.members.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| {
                let (a, b) = (a as usize * n, b as usize * n);
                values[a..a + n].cmp(&values[b..b + n])
            });
            tree.sorted = order;
        }
    }

    /// True when some tree has no sorted band (datasketch's `is_empty`).
    pub fn is_empty(&self) -> bool {
        self.trees.iter().any(|t| t.sorted.is_empty())
    }

    /// Up to `n` slots, in the order datasketch's walk finds them (see the module doc).
    ///
    /// The bands sharing the query's first `r` rows are contiguous in sorted order and lie around the
    /// query's own insertion point, so each tree keeps a range `[lo, hi)` that only grows as `r` falls:
    /// datasketch rescans the whole range at every `r`, but the bands it saw before hold only keys
    /// already found, so the walk visits just the new bands on each side, left ones first (ascending
    /// order, as datasketch visits them).
    pub fn query(&self, banded: &[u64], n: usize) -> Result<Vec<u32>> {
        let len = self.band_len();
        if banded.len() < len * self.trees.len() {
            return Err(invalid("minhash", "The num_perm of MinHash out of range"));
        }
        let mut found = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut ranges: Vec<(usize, usize)> = self
            .trees
            .iter()
            .enumerate()
            .map(|(t, tree)| {
                let q = &banded[t * len..(t + 1) * len];
                let at = tree.sorted.partition_point(|&id| tree.band(id, len) < q);
                (at, at)
            })
            .collect();
        for r in (1..=self.rows).rev() {
            let p = r * self.width;
            for (t, tree) in self.trees.iter().enumerate() {
                let q = &banded[t * len..t * len + p];
                let matches = |pos: usize| &tree.band(tree.sorted[pos], len)[..p] == q;
                let (lo, hi) = ranges[t];
                let mut new_lo = lo;
                while new_lo > 0 && matches(new_lo - 1) {
                    new_lo -= 1;
                }
                let mut new_hi = hi;
                while new_hi < tree.sorted.len() && matches(new_hi) {
                    new_hi += 1;
                }
                ranges[t] = (new_lo, new_hi);
                for pos in (new_lo..lo).chain(hi..new_hi) {
                    for &slot in &tree.members[tree.sorted[pos] as usize] {
                        if seen.insert(slot) {
                            found.push(slot);
                            if found.len() >= n {
                                return Ok(found);
                            }
                        }
                    }
                }
            }
        }
        Ok(found)
    }

    /// Many queries at once (`queries` row-major, one banded signature per row).
    pub fn query_many(&self, queries: &[u64], stride: usize, n: usize) -> Result<Vec<Vec<u32>>> {
        use rayon::prelude::*;
        if stride == 0 || !queries.len().is_multiple_of(stride) {
            return Err(invalid("queries", "rows of equal length expected"));
        }
        queries
            .par_chunks(stride)
            .with_min_len(64)
            .map(|q| self.query(q, n))
            .collect()
    }
}
