//! Verification of candidate pairs and connected components.
//!
//! LSH candidates are only *likely* similar; every pair is verified on the exact shingle Jaccard before it
//! joins a cluster. Clusters are the connected components of the verified-pair graph, found with a
//! union-find (Tarjan, "Efficiency of a good but not linear set union algorithm", 1975) with path halving
//! and union by size. Components are reported with sorted members, ordered by their smallest member, so the
//! output does not depend on thread scheduling.
//!
//! [`dedup`] returns every verified pair as well (reconciliation wants them). Corpus-scale clustering only
//! needs the components, and is built from the pieces of [`bands`] (band keys, shuffles, buckets) and
//! [`verify`] (bucket verification that skips pairs already connected, mergeable partial components);
//! [`dedup_corpus`] chains them for texts in memory.

pub mod bands;
pub mod corpus;
pub mod links;
pub mod pairs;
pub mod verify;

use rayon::prelude::*;

use crate::error::Result;
use crate::lsh::check_threshold;
use crate::minhash::MinHasher;
use crate::text::shingle::{jaccard_sorted, ShingleConfig};

/// Disjoint sets over `0..n`.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    pub fn union(&mut self, a: u32, b: u32) {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
    }

    /// Components of size ≥ 2, members ascending, components ordered by first member.
    pub fn groups(&mut self) -> Vec<Vec<u32>> {
        let n = self.parent.len();
        let mut by_root: std::collections::HashMap<u32, Vec<u32>> = Default::default();
        for x in 0..n as u32 {
            let r = self.find(x);
            if self.size[r as usize] > 1 {
                by_root.entry(r).or_default().push(x);
            }
        }
        let mut groups: Vec<Vec<u32>> = by_root.into_values().collect();
        groups.sort_unstable_by_key(|g| g[0]);
        groups
    }
}

/// Components (as [`UnionFind::groups`]) of the graph of weighted links `(a, b, similarity)` over
/// `0..n`, each with its weakest link: a group is only as alike as the least alike pair that joined it,
/// so that is the similarity it is reported with. Links may come in any order: neither the groups nor
/// their weakest links depend on it.
pub fn weakest_link_groups(n: usize, links: &[(u32, u32, f64)]) -> Vec<(Vec<u32>, f64)> {
    let mut uf = UnionFind::new(n);
    for &(a, b, _) in links {
        uf.union(a, b);
    }
    let mut weakest = vec![1.0f64; n];
    for &(a, _, s) in links {
        let root = uf.find(a) as usize;
        weakest[root] = weakest[root].min(s);
    }
    uf.groups()
        .into_iter()
        .map(|members| {
            let similarity = weakest[uf.find(members[0]) as usize];
            (members, similarity)
        })
        .collect()
}

/// Exact Jaccard of each candidate pair over precomputed sorted shingle sets, in parallel.
pub fn verify_pairs(sets: &[Vec<u64>], pairs: &[(u32, u32)]) -> Vec<f64> {
    pairs
        .par_iter()
        .with_min_len(256)
        .map(|&(a, b)| jaccard_sorted(&sets[a as usize], &sets[b as usize]))
        .collect()
}

/// Result of [`dedup`]: verified pairs and the clusters they form.
#[derive(Debug, Clone, PartialEq)]
pub struct DedupOutput {
    /// Verified pairs `(a, b, jaccard)` with `a < b`, sorted.
    pub pairs: Vec<(u32, u32, f64)>,
    /// Clusters of size ≥ 2, members sorted, ordered by first member.
    pub clusters: Vec<Vec<u32>>,
}

/// Whole near-duplicate pipeline over in-memory texts: signatures → LSH candidates → exact verification at
/// `threshold` → connected components.
pub fn dedup<S: AsRef<str> + Sync>(
    texts: &[S],
    shingles: ShingleConfig,
    hasher: &MinHasher,
    threshold: f64,
) -> Result<DedupOutput> {
    // The same candidates and verification as the within-snapshot duplicates of reconciliation.
    let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
    let (pairs, _) =
        crate::cluster::pairs::duplicate_pairs(&texts, &[], shingles, hasher, threshold)?;
    let mut uf = UnionFind::new(texts.len());
    for &(a, b, _) in &pairs {
        uf.union(a, b);
    }
    Ok(DedupOutput {
        pairs,
        clusters: uf.groups(),
    })
}

/// Near-duplicate clusters of in-memory texts, by the corpus pipeline ([`corpus::dedup`]: band keys →
/// buckets → exact copies → exact verification of bucket members → connected components). Clusters have
/// two or more members, ascending, ordered by their first member. They are the components of the pairs
/// sharing a band (with the recall-leaning [`bands::Banding::for_threshold`], where [`dedup`] uses equal
/// weights) whose exact Jaccard is at least `threshold`.
pub fn dedup_corpus<S: AsRef<str> + Sync>(
    texts: &[S],
    shingles: ShingleConfig,
    hasher: &MinHasher,
    threshold: f64,
) -> Result<Vec<Vec<u64>>> {
    check_threshold(threshold)?;
    let params = corpus::Params {
        shingles,
        hasher: hasher.clone(),
        threshold,
        keep: corpus::Keep::First,
        star: false,
    };
    let columns = corpus::columns_of_texts(texts, &params)?;
    let out = corpus::dedup(&[&columns], &params, |docs| {
        Ok(docs.iter().map(|&d| texts[d as usize].as_ref()).collect())
    })?;
    Ok(out.clusters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_find_groups_are_canonical() {
        let mut uf = UnionFind::new(6);
        uf.union(4, 1);
        uf.union(5, 3);
        uf.union(1, 0);
        assert_eq!(uf.groups(), vec![vec![0, 1, 4], vec![3, 5]]);
    }
}
