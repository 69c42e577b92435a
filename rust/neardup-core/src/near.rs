//! Fuzzy matching of entries between two collections (and within one): the "near" stage of snapshot
//! reconciliation.
//!
//! Real revisions of an abstract are harder than near-duplicates: in the IteraTeR arXiv revisions a tenth of
//! the pairs share under 6% of their word 3-grams, while unrelated abstracts of the same field share a few
//! percent. Plain MinHash at a fixed threshold cannot separate the two, so this stage scores pairs with
//! evidence that survives rewording:
//!
//! * **Features**: the normalised word unigrams and bigrams of a text (as sets).
//! * **Weights**: inverse document frequency over both collections, `w(f) = ln((N+1)/(df(f)+0.5))`
//!   (Spärck Jones, "A statistical interpretation of term specificity", 1972): a shared rare term or phrase
//!   is strong evidence, a shared "of the" is none.
//! * **Score**: weighted Jaccard `Σ_{A∩B} w / Σ_{A∪B} w` (Ioffe, "Improved consistent sampling, weighted
//!   minhash and L1 sketching", ICDM 2010, for the weighted Jaccard similarity of sets).
//! * **Candidates**: each text's most specific shared features (lowest document frequency among features
//!   seen in at least two texts) are indexed and probed, in the spirit of prefix filtering; every candidate
//!   is verified on the exact score. Two versions of one paper share their rarest terms and phrases, so
//!   they meet; texts that share only common words never become candidates.
//!
//! Results are sorted by score (descending), then by indices, and scores are computed by summing in a fixed
//! order, so the output is the same whatever the number of threads. [`assign_one_to_one`] turns scored
//! pairs into a matching, best score first.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::error::{invalid, Result};
use crate::lsh::IdHashMap;
use crate::shingle::{combine_hashes, for_each_word_hash, ShingleScratch};
use crate::trace::Phases;

const UNIGRAM_SEED: u64 = 0x756e_6967_7261_6d31;
const BIGRAM_SEED: u64 = 0x6269_6772_616d_3232;

/// Sorted, de-duplicated feature hashes (word unigrams and bigrams) of a text.
pub fn features(text: &str) -> Vec<u64> {
    features_with(text, &mut ShingleScratch::default(), &mut Vec::new())
}

/// [`features`] with buffers a batch loop reuses.
fn features_with(text: &str, scratch: &mut ShingleScratch, words: &mut Vec<u64>) -> Vec<u64> {
    words.clear();
    for_each_word_hash(text, UNIGRAM_SEED, scratch, |h| words.push(h));
    let mut out = Vec::with_capacity(words.len() * 2);
    out.extend_from_slice(words);
    for pair in words.windows(2) {
        out.push(combine_hashes(pair, BIGRAM_SEED));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Features of every text, in parallel.
fn all_features<S: AsRef<str> + Sync>(texts: &[S]) -> Vec<Vec<u64>> {
    texts
        .par_iter()
        .map_init(
            || (ShingleScratch::default(), Vec::new()),
            |(scratch, words), t| features_with(t.as_ref(), scratch, words),
        )
        .collect()
}

/// One document's features with their document frequencies and weights, aligned, and the weights' sum.
struct Weighted {
    feats: Vec<u64>,
    dfs: Vec<u32>,
    weights: Vec<f64>,
    total: f64,
}

/// A scored pair: `(left index, right index, score)`.
pub type Pair = (u32, u32, f64);

fn check_threshold(t: f64) -> Result<()> {
    if !(t > 0.0 && t <= 1.0) {
        return Err(invalid("threshold", format!("must be in (0, 1], got {t}")));
    }
    Ok(())
}

/// Weighs every document's features by their inverse document frequency over all `sets`.
fn weigh(sets: Vec<Vec<u64>>) -> Vec<Weighted> {
    let n1 = (sets.len() + 1) as f64;
    let dfs = doc_freqs(&sets);
    // Document frequencies are small integers: their weights are computed once each.
    let idf: Vec<f64> = (0..=sets.len().min(4096))
        .map(|d| (n1 / (d as f64 + 0.5)).ln())
        .collect();
    sets.into_par_iter()
        .zip(dfs)
        .map(|(feats, dfs)| {
            let weights: Vec<f64> = dfs
                .iter()
                .map(|&d| {
                    idf.get(d as usize)
                        .copied()
                        .unwrap_or_else(|| (n1 / (d as f64 + 0.5)).ln())
                })
                .collect();
            let total = weights.iter().sum();
            Weighted {
                feats,
                dfs,
                weights,
                total,
            }
        })
        .collect()
}

/// The document frequency of each feature of each document (its sets are de-duplicated), aligned with the
/// features.
///
/// Every (feature, slot) occurrence is scattered into one of `PARTS` partitions by the feature's top bits
/// (features are uniform hashes), and each partition is counted in a hash table of its own: the tables fit
/// in cache and run in parallel, where one global sort or hash map of all features missed the cache at
/// every step.
fn doc_freqs(sets: &[Vec<u64>]) -> Vec<Vec<u32>> {
    const BITS: u32 = 8;
    const PARTS: usize = 1 << BITS;
    let part = |f: u64| (f >> (64 - BITS)) as usize;
    // Slot of each occurrence in the flat concatenation of all sets.
    let mut starts = Vec::with_capacity(sets.len() + 1);
    starts.push(0usize);
    for s in sets {
        starts.push(starts.last().copied().unwrap_or(0) + s.len());
    }
    let total = starts[sets.len()];
    let mut counts = vec![0usize; PARTS + 1];
    for s in sets {
        for &f in s {
            counts[part(f) + 1] += 1;
        }
    }
    for p in 0..PARTS {
        counts[p + 1] += counts[p];
    }
    let mut fill = counts.clone();
    let mut occ: Vec<(u64, u32)> = vec![(0, 0); total];
    for (d, s) in sets.iter().enumerate() {
        for (i, &f) in s.iter().enumerate() {
            let p = part(f);
            occ[fill[p]] = (f, (starts[d] + i) as u32);
            fill[p] += 1;
        }
    }
    // Partitions in parallel: sort, count runs, and list (slot, df).
    let mut pieces: Vec<&[(u64, u32)]> = Vec::with_capacity(PARTS);
    let mut rest = occ.as_slice();
    for p in 0..PARTS {
        let (head, tail) = rest.split_at(counts[p + 1] - counts[p]);
        pieces.push(head);
        rest = tail;
    }
    let found: Vec<Vec<(u32, u32)>> = pieces
        .into_par_iter()
        .map(|piece| {
            // Count, then look up: the partition's table stays in cache.
            let mut counts: IdHashMap<u32> = IdHashMap::default();
            counts.reserve(piece.len());
            for &(f, _) in piece.iter() {
                *counts.entry(f).or_insert(0) += 1;
            }
            piece.iter().map(|&(f, slot)| (slot, counts[&f])).collect()
        })
        .collect();
    let mut flat = vec![0u32; total];
    for (slot, df) in found.into_iter().flatten() {
        flat[slot as usize] = df;
    }
    sets.iter()
        .enumerate()
        .map(|(d, _)| flat[starts[d]..starts[d + 1]].to_vec())
        .collect()
}

/// Exact weighted Jaccard of two weighted documents (weights of a feature are equal on both sides).
///
/// A branch-free merge of the two sorted feature lists: which side advances, and whether a step adds
/// to the intersection, are data, not jumps, so the unpredictable comparisons of two unrelated texts
/// cost no mispredictions. The sum runs in feature order, whatever the thread.
fn weighted_jaccard(a: &Weighted, b: &Weighted) -> f64 {
    let (fa, fb, wa) = (&a.feats[..], &b.feats[..], &a.weights[..]);
    let (mut i, mut j) = (0, 0);
    let mut inter = 0.0;
    while i < fa.len() && j < fb.len() {
        let (x, y) = (fa[i], fb[j]);
        inter += if x == y { wa[i] } else { 0.0 };
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    let union = a.total + b.total - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

/// How many of a text's most specific shared features are indexed for candidate generation.
const PREFIX: usize = 24;

/// The `PREFIX` features of a document with the lowest document frequency among those that occur in at
/// least two documents (a feature seen once can be shared with nobody), ties broken by hash so the choice
/// is deterministic.
fn prefix(doc: &Weighted) -> Vec<u64> {
    let mut shared: Vec<(u32, u64)> = doc
        .feats
        .iter()
        .zip(&doc.dfs)
        .filter(|&(_, &d)| d >= 2)
        .map(|(&f, &d)| (d, f))
        .collect();
    if shared.len() > PREFIX {
        shared.select_nth_unstable(PREFIX - 1);
        shared.truncate(PREFIX);
    }
    shared.into_iter().map(|(_, f)| f).collect()
}

/// Core of both modes: verifies every (left, right) pair whose most specific shared features meet, and
/// keeps those scoring at least `threshold`. With `same = true`, left and right are one collection and
/// only `a < b` is reported.
fn scored_pairs(left: &[Weighted], right: &[Weighted], threshold: f64, same: bool) -> Vec<Pair> {
    // Candidate generation in the spirit of prefix filtering (Chaudhuri, Ganti & Kaushik, "A primitive
    // operator for similarity joins in data cleaning", ICDE 2006; Bayardo, Ma & Srikant, "Scaling up all
    // pairs similarity search", WWW 2007): two versions of one text share their rarest features, so only
    // the rarest few of each text are indexed and probed. Features that occur in exactly the two texts
    // (df = 2) come first and are the strongest evidence; common words never generate candidates.
    let right_prefixes: Vec<Vec<u64>> = right.par_iter().map(prefix).collect();
    let mut postings: IdHashMap<Vec<u32>> = IdHashMap::default();
    for (b, feats) in right_prefixes.iter().enumerate() {
        for f in feats {
            postings.entry(*f).or_default().push(b as u32);
        }
    }
    let (trace_on, verified) = (
        crate::trace::enabled(),
        std::sync::atomic::AtomicUsize::new(0),
    );
    let verified = &verified;
    let mut pairs: Vec<Pair> = left
        .par_iter()
        .enumerate()
        .with_min_len(16)
        .flat_map_iter(|(a, doc)| {
            let mut cands: Vec<u32> = prefix(doc)
                .iter()
                .filter_map(|f| postings.get(f))
                .flatten()
                .copied()
                .filter(|&b| !same || b as usize > a)
                .collect();
            cands.sort_unstable();
            cands.dedup();
            if trace_on {
                verified.fetch_add(cands.len(), std::sync::atomic::Ordering::Relaxed);
            }
            cands.into_iter().filter_map(move |b| {
                let s = weighted_jaccard(doc, &right[b as usize]);
                (s >= threshold).then_some((a as u32, b, s))
            })
        })
        .collect();
    sort_pairs(&mut pairs);
    crate::trace::note(|| {
        format!(
            "near: {} x {} texts, {} candidate pairs verified, {} kept",
            left.len(),
            right.len(),
            verified.load(std::sync::atomic::Ordering::Relaxed),
            pairs.len()
        )
    });
    pairs
}

/// Sorts by score descending, then left, then right index: a total, thread-independent order.
pub fn sort_pairs(pairs: &mut [Pair]) {
    pairs.sort_unstable_by(|x, y| y.2.total_cmp(&x.2).then(x.0.cmp(&y.0)).then(x.1.cmp(&y.1)));
}

/// Scored pairs between two collections with weighted-Jaccard score at least `threshold`, best first.
pub fn cross_pairs<S: AsRef<str> + Sync>(
    left: &[S],
    right: &[S],
    threshold: f64,
) -> Result<Vec<Pair>> {
    check_threshold(threshold)?;
    let mut phases = Phases::start();
    let lsets = all_features(left);
    let rsets = all_features(right);
    phases.done("near: features");
    let split = lsets.len();
    let mut all = lsets;
    all.extend(rsets);
    let mut w = weigh(all);
    let rw = w.split_off(split);
    phases.done("near: weights");
    let pairs = scored_pairs(&w, &rw, threshold, false);
    phases.done("near: scored pairs");
    Ok(pairs)
}

/// Scored pairs `(a, b, score)` with `a < b` inside one collection, best first.
pub fn self_pairs<S: AsRef<str> + Sync>(texts: &[S], threshold: f64) -> Result<Vec<Pair>> {
    check_threshold(threshold)?;
    let sets = all_features(texts);
    let w = weigh(sets);
    Ok(scored_pairs(&w, &w, threshold, true))
}

/// Greedy one-to-one matching: walks pairs best first and keeps a pair when neither side is taken yet.
/// `pairs` must be sorted by [`sort_pairs`].
pub fn assign_one_to_one(pairs: &[Pair]) -> Vec<Pair> {
    let mut left_taken = HashSet::new();
    let mut right_taken = HashSet::new();
    pairs
        .iter()
        .filter(|&&(a, b, _)| {
            // Both inserts must run only when both sides are free.
            !left_taken.contains(&a) && !right_taken.contains(&b) && {
                left_taken.insert(a);
                right_taken.insert(b)
            }
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revised_text_matches_its_partner_only() {
        let left = [
            "We propose a transformer for protein folding that predicts residue contacts from sequence alone.",
            "A survey of reinforcement learning methods for robotic grasping in cluttered scenes.",
        ];
        let right = [
            "A broad survey of deep reinforcement learning for robotic grasping in clutter.",
            "We present a transformer model for protein folding predicting residue contacts from sequences.",
        ];
        let pairs = cross_pairs(&left, &right, 0.07).unwrap();
        let m = assign_one_to_one(&pairs);
        let got: Vec<(u32, u32)> = m.iter().map(|p| (p.0, p.1)).collect();
        assert!(got.contains(&(0, 1)) && got.contains(&(1, 0)), "{pairs:?}");
    }

    #[test]
    fn self_pairs_find_a_listing_twice() {
        let texts = [
            "graph neural networks for traffic forecasting on road sensor data",
            "a study of ocean temperatures in the arctic",
            "Graph neural networks for traffic forecasting on road-sensor data.",
        ];
        let pairs = self_pairs(&texts, 0.5).unwrap();
        assert_eq!(pairs.len(), 1);
        assert_eq!((pairs[0].0, pairs[0].1), (0, 2));
        assert!(pairs[0].2 > 0.99);
    }

    /// The features by their definition: normalise, split into words, hash unigrams, combine bigrams.
    #[test]
    fn features_follow_their_definition() {
        use crate::shingle::{for_each_word, normalize};
        use xxhash_rust::xxh3::xxh3_64_with_seed;
        let reference = |text: &str| {
            let mut words = Vec::new();
            for_each_word(&normalize(text), |w| {
                words.push(xxh3_64_with_seed(w.as_bytes(), UNIGRAM_SEED))
            });
            let mut out = words.clone();
            out.extend(words.windows(2).map(|p| combine_hashes(p, BIGRAM_SEED)));
            out.sort_unstable();
            out.dedup();
            out
        };
        let long = "Word_1 and WORD 2, ".repeat(300);
        for text in [
            "",
            "  ",
            "One",
            "Graph Neural Networks for traffic: a study (v2).",
            "Caf\u{e9} na\u{ef}ve \u{fb01}nance \u{ff21}",
            long.as_str(),
        ] {
            assert_eq!(features(text), reference(text), "{text:?}");
        }
        let texts = ["a b c", "\u{e9}t\u{e9} chaud", "x"];
        let batch = all_features(&texts);
        for (t, f) in texts.iter().zip(batch) {
            assert_eq!(f, reference(t));
        }
    }

    #[test]
    fn document_frequencies_count_every_set_holding_a_feature() {
        // Features spread over every partition, some shared by many sets, some by none.
        let mut state = 7u64;
        let sets: Vec<Vec<u64>> = (0..300)
            .map(|d| {
                let mut set: Vec<u64> = (0..(d % 50))
                    .map(|_| {
                        state = crate::minhash::splitmix64(&mut state);
                        if state.is_multiple_of(3) {
                            (state % 40).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                        } else {
                            state
                        }
                    })
                    .collect();
                set.sort_unstable();
                set.dedup();
                set
            })
            .collect();
        let mut naive: std::collections::HashMap<u64, u32> = Default::default();
        for f in sets.iter().flatten() {
            *naive.entry(*f).or_default() += 1;
        }
        let dfs = doc_freqs(&sets);
        for (set, df) in sets.iter().zip(&dfs) {
            let want: Vec<u32> = set.iter().map(|f| naive[f]).collect();
            assert_eq!(df, &want);
        }
    }

    #[test]
    fn bad_threshold_is_an_error() {
        assert!(cross_pairs(&["a"], &["b"], 0.0).is_err());
        assert!(self_pairs(&["a"], 1.5).is_err());
    }
}
