//! Exact verification of LSH buckets and the connected components of the verified pairs, in pieces that
//! shard: any subset of the buckets can be verified on its own ([`cluster_buckets`]), and the partial
//! components of several subsets merge into the components of all of them ([`components`]).
//!
//! The clusters of a corpus are the connected components of the graph whose edges are the pairs that share
//! an LSH bucket and whose exact shingle Jaccard is at least the threshold. A pair whose two documents are
//! already connected by verified edges cannot change a component, so it is never verified: inside a
//! bucket each new member is tested against one group of already-connected members at a time, and stops
//! testing a group at its first success. A bucket of `m` near-identical documents then costs `O(m)`
//! verifications instead of `m²/2`, and documents with identical shingle sets are merged before any bucket
//! is looked at. Buckets are verified in parallel over one lock-free union-find (Anderson & Woll, "Wait-free
//! parallel algorithms for the union-find problem", STOC 1991) that always links the larger root under the
//! smaller one, so the root of a component is its smallest member; the components do not depend on the
//! order in which edges are found, so the result is the same for any number of threads or shards.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::cluster::bands::Buckets;
use crate::cluster::UnionFind;
use crate::error::{invalid, Error, Result};
use crate::lsh::check_threshold;
use crate::text::shingle::{jaccard_sorted, ShingleConfig};

/// Where verification finds the sorted shingle set of a document.
pub trait SetLookup: Sync {
    fn set(&self, doc: u64) -> Option<&[u64]>;
}

/// Sorted shingle sets of some documents in flat arrays: document `ids[i]` has the set
/// `values[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetStore {
    pub ids: Vec<u64>,
    pub offsets: Vec<u64>,
    pub values: Vec<u64>,
}

impl SetStore {
    pub fn view(&self) -> SetsRef<'_> {
        SetsRef {
            ids: &self.ids,
            offsets: &self.offsets,
            values: &self.values,
        }
    }
}

/// A borrowed, validated [`SetStore`].
#[derive(Debug, Clone, Copy)]
pub struct SetsRef<'a> {
    ids: &'a [u64],
    offsets: &'a [u64],
    values: &'a [u64],
}

impl<'a> SetsRef<'a> {
    /// Validates the layout: ids strictly ascending, offsets from 0 to `values.len()` never decreasing,
    /// each set strictly ascending.
    pub fn new(ids: &'a [u64], offsets: &'a [u64], values: &'a [u64]) -> Result<Self> {
        if !ids.windows(2).all(|w| w[0] < w[1]) {
            return Err(invalid("ids", "must be strictly ascending"));
        }
        let ok = offsets.len() == ids.len() + 1
            && offsets[0] == 0
            && offsets.windows(2).all(|w| w[0] <= w[1])
            && offsets[ids.len()] == values.len() as u64;
        if !ok {
            return Err(invalid(
                "offsets",
                "must have one more entry than ids, start at 0, never decrease and end at the number of values",
            ));
        }
        let sorted = offsets.par_windows(2).all(|w| {
            values[w[0] as usize..w[1] as usize]
                .windows(2)
                .all(|p| p[0] < p[1])
        });
        if !sorted {
            return Err(invalid("values", "each set must be strictly ascending"));
        }
        Ok(SetsRef {
            ids,
            offsets,
            values,
        })
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl SetLookup for SetsRef<'_> {
    fn set(&self, doc: u64) -> Option<&[u64]> {
        let i = self.ids.binary_search(&doc).ok()?;
        Some(&self.values[self.offsets[i] as usize..self.offsets[i + 1] as usize])
    }
}

/// Several stores with disjoint id ranges (one per shard or per block of a stream).
#[derive(Debug, Clone)]
pub struct SetShards<'a> {
    stores: Vec<SetsRef<'a>>,
}

impl<'a> SetShards<'a> {
    pub fn new(stores: Vec<SetsRef<'a>>) -> Result<Self> {
        let mut stores: Vec<SetsRef<'a>> = stores.into_iter().filter(|s| !s.is_empty()).collect();
        stores.sort_by_key(|s| s.ids[0]);
        if stores
            .windows(2)
            .any(|w| w[0].ids[w[0].len() - 1] >= w[1].ids[0])
        {
            return Err(invalid("sets", "stores must hold disjoint ranges of ids"));
        }
        Ok(SetShards { stores })
    }
}

impl SetLookup for SetShards<'_> {
    fn set(&self, doc: u64) -> Option<&[u64]> {
        let k = self.stores.partition_point(|s| s.ids[s.len() - 1] < doc);
        self.stores.get(k)?.set(doc)
    }
}

/// Sorted shingle sets of `texts`, the `i`-th stored under `ids[i]` (strictly ascending), in parallel.
pub fn shingle_sets<S: AsRef<str> + Sync>(
    cfg: &ShingleConfig,
    texts: &[S],
    ids: &[u64],
) -> Result<SetStore> {
    if texts.len() != ids.len() {
        return Err(Error::LengthMismatch {
            expected: ids.len(),
            got: texts.len(),
        });
    }
    if !ids.windows(2).all(|w| w[0] < w[1]) {
        return Err(invalid("ids", "must be strictly ascending"));
    }
    let sets: Vec<Vec<u64>> = texts
        .par_iter()
        .with_min_len(16)
        .map(|t| cfg.shingle_set(t.as_ref()))
        .collect();
    let mut store = SetStore {
        ids: ids.to_vec(),
        offsets: Vec::with_capacity(ids.len() + 1),
        values: Vec::with_capacity(sets.iter().map(Vec::len).sum()),
    };
    store.offsets.push(0);
    for s in sets {
        store.values.extend_from_slice(&s);
        store.offsets.push(store.values.len() as u64);
    }
    Ok(store)
}

/// A union-find safe to share between threads. Roots are always the smallest member of their set.
#[derive(Debug)]
pub struct AtomicUnionFind {
    parent: Vec<AtomicU32>,
}

impl AtomicUnionFind {
    pub fn new(n: u32) -> Self {
        AtomicUnionFind {
            parent: (0..n).map(AtomicU32::new).collect(),
        }
    }

    pub fn find(&self, mut x: u32) -> u32 {
        loop {
            let p = self.parent[x as usize].load(Ordering::Acquire);
            if p == x {
                return x;
            }
            let gp = self.parent[p as usize].load(Ordering::Acquire);
            if gp != p {
                // Path halving; losing the race only means the path stays a little longer.
                let _ = self.parent[x as usize].compare_exchange_weak(
                    p,
                    gp,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
            }
            x = gp;
        }
    }

    pub fn same(&self, a: u32, b: u32) -> bool {
        self.find(a) == self.find(b)
    }

    /// Joins the sets of `a` and `b`; true when they were apart.
    pub fn union(&self, a: u32, b: u32) -> bool {
        loop {
            let (ra, rb) = (self.find(a), self.find(b));
            if ra == rb {
                return false;
            }
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            // Parents only ever point to smaller numbers, so no cycle can form.
            if self.parent[hi as usize]
                .compare_exchange(hi, lo, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return true;
            }
        }
    }
}

/// Whether two sorted sets have a Jaccard similarity of at least `threshold`.
#[inline]
fn similar(a: &[u64], b: &[u64], threshold: f64) -> bool {
    let (lo, hi) = if a.len() <= b.len() {
        (a.len(), b.len())
    } else {
        (b.len(), a.len())
    };
    // J ≤ |small| / |large|; both quotients are correctly rounded, so this never rejects a true pair.
    if hi == 0 || (lo as f64 / hi as f64) < threshold {
        return false;
    }
    jaccard_sorted(a, b) >= threshold
}

/// For each set, the first earlier set equal to it (itself if none). Empty sets are never merged.
fn identical_sets(sets: &[&[u64]]) -> Vec<u32> {
    let mut hashed: Vec<(u64, u32)> = sets
        .par_iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map_init(Vec::new, |buf: &mut Vec<u8>, (i, s)| {
            buf.clear();
            for v in s.iter() {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            (xxh3_64(buf), i as u32)
        })
        .collect();
    hashed.par_sort_unstable();
    let mut rep: Vec<u32> = (0..sets.len() as u32).collect();
    for run in hashed.chunk_by(|x, y| x.0 == y.0) {
        if run.len() < 2 {
            continue;
        }
        let mut distinct: Vec<u32> = Vec::new();
        for &(_, i) in run {
            match distinct
                .iter()
                .find(|&&r| sets[r as usize] == sets[i as usize])
            {
                Some(&r) => rep[i as usize] = r,
                None => distinct.push(i),
            }
        }
    }
    rep
}

/// Verifies one bucket (compact member numbers, ascending), joining members whose sets are similar.
fn verify_bucket(members: &[u32], sets: &[&[u64]], uf: &AtomicUnionFind, threshold: f64) {
    // Groups of members already known to be connected; a new member tests each group until one success.
    let mut groups: Vec<Vec<u32>> = Vec::new();
    let mut joined: Vec<usize> = Vec::new();
    for &j in members {
        joined.clear();
        for (gi, g) in groups.iter().enumerate() {
            if uf.same(g[0], j) {
                joined.push(gi);
                continue;
            }
            let sj = sets[j as usize];
            if let Some(&i) = g
                .iter()
                .find(|&&i| similar(sets[i as usize], sj, threshold))
            {
                uf.union(i, j);
                joined.push(gi);
            }
        }
        match joined.first() {
            None => groups.push(vec![j]),
            Some(&target) => {
                for &gi in joined[1..].iter().rev() {
                    let g = groups.swap_remove(gi);
                    groups[target].extend(g);
                }
                groups[target].push(j);
            }
        }
    }
}

/// Verifies every bucket and returns, for each bucket member that is not the smallest document of its
/// component, the pair `(doc, smallest doc of its component)`, ascending by doc. Those pairs are a spanning
/// forest of the components among these buckets: [`components`] merges the forests of several shards.
pub fn cluster_buckets<L: SetLookup>(
    buckets: &Buckets,
    sets: &L,
    threshold: f64,
) -> Result<Vec<(u64, u64)>> {
    check_threshold(threshold)?;
    let nodes = buckets.members();
    let m = u32::try_from(nodes.len())
        .map_err(|_| invalid("buckets", "at most 2^32 - 1 distinct documents per call"))?;
    let node_sets: Vec<&[u64]> = nodes
        .par_iter()
        .map(|&d| {
            sets.set(d)
                .ok_or_else(|| invalid("sets", format!("no shingle set for document {d}")))
        })
        .collect::<Result<_>>()?;
    let rep = identical_sets(&node_sets);
    let uf = AtomicUnionFind::new(m);
    for (i, &r) in rep.iter().enumerate() {
        if r as usize != i {
            uf.union(r, i as u32);
        }
    }
    let mut local: Vec<Vec<u32>> = (0..buckets.len())
        .into_par_iter()
        .filter_map(|b| {
            let mut v: Vec<u32> = buckets
                .get(b)
                .iter()
                .map(|d| rep[nodes.partition_point(|x| x < d)])
                .collect();
            v.sort_unstable();
            v.dedup();
            (v.len() >= 2).then_some(v)
        })
        .collect();
    // Largest buckets first, so no thread is left with a big one at the end.
    local.par_sort_unstable_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    local
        .par_iter()
        .for_each(|members| verify_bucket(members, &node_sets, &uf, threshold));
    Ok((0..m)
        .filter_map(|i| {
            let r = uf.find(i);
            (r != i).then(|| (nodes[i as usize], nodes[r as usize]))
        })
        .collect())
}

/// Connected components of a set of edges: components of two or more documents, members ascending,
/// ordered by their smallest member.
pub fn components(edges: &[(u64, u64)]) -> Result<Vec<Vec<u64>>> {
    let mut nodes: Vec<u64> = edges.iter().flat_map(|&(a, b)| [a, b]).collect();
    nodes.par_sort_unstable();
    nodes.dedup();
    let n = u32::try_from(nodes.len())
        .map_err(|_| invalid("edges", "at most 2^32 - 1 distinct documents"))?;
    let mut uf = UnionFind::new(n as usize);
    let at = |d: u64| nodes.partition_point(|&x| x < d) as u32;
    for &(a, b) in edges {
        uf.union(at(a), at(b));
    }
    Ok(uf
        .groups()
        .into_iter()
        .map(|g| g.into_iter().map(|i| nodes[i as usize]).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(sets: &[(u64, &[u64])]) -> SetStore {
        let mut s = SetStore {
            offsets: vec![0],
            ..Default::default()
        };
        for (id, v) in sets {
            s.ids.push(*id);
            s.values.extend_from_slice(v);
            s.offsets.push(s.values.len() as u64);
        }
        s
    }

    #[test]
    fn chain_through_a_bucket_is_found_whatever_the_first_member() {
        // 0 and 1 are dissimilar; 2 is similar to both: one component through 2.
        let s = store(&[
            (0, &[1, 2, 3, 4, 5]),
            (1, &[4, 5, 6, 7, 8]),
            (2, &[2, 3, 4, 5, 6, 7]),
        ]);
        let b = Buckets::new(vec![0, 3], vec![0, 1, 2]).unwrap();
        let f = cluster_buckets(&b, &s.view(), 0.5).unwrap();
        assert_eq!(components(&f).unwrap(), vec![vec![0, 1, 2]]);
        let f = cluster_buckets(&b, &s.view(), 0.9).unwrap();
        assert!(f.is_empty());
    }

    #[test]
    fn identical_sets_merge_and_shards_merge() {
        let s = store(&[
            (10, &[1, 2, 3]),
            (11, &[1, 2, 3]),
            (12, &[1, 2, 3]),
            (20, &[7, 8, 9]),
            (21, &[7, 8, 9, 10]),
        ]);
        let v = s.view();
        let a = cluster_buckets(&Buckets::new(vec![0, 2], vec![10, 12]).unwrap(), &v, 0.7).unwrap();
        let b = cluster_buckets(
            &Buckets::new(vec![0, 2, 4], vec![11, 12, 20, 21]).unwrap(),
            &v,
            0.7,
        )
        .unwrap();
        assert_eq!(a, vec![(12, 10)]);
        let mut all = a.clone();
        all.extend(b);
        assert_eq!(
            components(&all).unwrap(),
            vec![vec![10, 11, 12], vec![20, 21]]
        );
    }

    #[test]
    fn missing_sets_and_bad_layouts_are_errors() {
        let s = store(&[(1, &[1])]);
        let b = Buckets::new(vec![0, 2], vec![1, 2]).unwrap();
        assert!(cluster_buckets(&b, &s.view(), 0.5).is_err());
        assert!(cluster_buckets(&b, &s.view(), 1.5).is_err());
        assert!(SetsRef::new(&[2, 1], &[0, 0, 0], &[]).is_err());
        assert!(SetsRef::new(&[1], &[0, 2], &[3, 3]).is_err());
        assert!(SetsRef::new(&[1], &[0, 3], &[3, 4]).is_err());
        assert!(SetsRef::new(&[1], &[], &[]).is_err());
        let a = store(&[(1, &[1]), (5, &[2])]);
        let c = store(&[(3, &[1])]);
        assert!(SetShards::new(vec![a.view(), c.view()]).is_err());
    }

    #[test]
    fn atomic_union_find_roots_are_minima() {
        let uf = AtomicUnionFind::new(6);
        assert!(uf.union(5, 3));
        assert!(uf.union(4, 5));
        assert!(!uf.union(3, 4));
        assert_eq!(uf.find(4), 3);
        assert!(uf.union(1, 4));
        assert_eq!(uf.find(5), 1);
    }
}
