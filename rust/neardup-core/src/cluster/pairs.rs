//! Near-duplicate pairs inside each of two collections, by MinHash/LSH with exact verification (Broder,
//! "On the resemblance and containment of documents", 1997; Indyk & Motwani, STOC 1998). Two snapshots
//! of one listing share most of their texts, so each distinct text is shingled and signed once for both.
//! A text is one string or a record's title and abstract ([`Joined`]).

use std::collections::HashMap;
use std::hash::Hash;

use rayon::prelude::*;

use super::links;
use super::verify_pairs;
use crate::error::{invalid, Result};
use crate::lsh::{
    check_threshold, distinct_pairs, hash_bands, optimal_params, pack_pair, BuildKeyHasher,
};
use crate::minhash::MinHasher;
use crate::text::shingle::ShingleConfig;
use crate::trace::Phases;

/// A verified pair inside one collection: `(a, b, jaccard)` with `a < b`.
pub type Pair = (u32, u32, f64);

/// A text as duplicate detection reads it: one string, or a record's title and abstract, read as
/// `title + "\n" + abstract` without being joined in memory for longer than it takes to shingle it.
pub trait Joined: Hash + Ord + Sync {
    /// The text: `self` itself when it is one string, else written into `buf`.
    fn text<'b>(&'b self, buf: &'b mut String) -> &'b str;
}

impl Joined for &str {
    fn text<'b>(&'b self, _: &'b mut String) -> &'b str {
        self
    }
}

impl Joined for (&str, &str) {
    fn text<'b>(&'b self, buf: &'b mut String) -> &'b str {
        buf.clear();
        buf.push_str(self.0);
        buf.push('\n');
        buf.push_str(self.1);
        buf
    }
}

/// Signatures (row-major, `hasher.num_perm` a row) of `texts`.
pub(crate) fn signatures<T: Joined>(hasher: &MinHasher, texts: &[&T]) -> Vec<u32> {
    signatures_with_room(hasher, texts, 0)
}

/// [`signatures`] in a vector with room for `more` rows after them (appended later without moving).
/// Each text is joined in a buffer of its thread just before it is shingled.
pub(crate) fn signatures_with_room<T: Joined>(
    hasher: &MinHasher,
    texts: &[&T],
    more: usize,
) -> Vec<u32> {
    let k = hasher.num_perm;
    let mut sigs = Vec::with_capacity((texts.len() + more) * k);
    sigs.resize(texts.len() * k, 0u32);
    hasher.signatures_into_with(texts, |t, buf| t.text(buf), &mut sigs);
    sigs
}

/// Near-duplicate pairs inside `old` and inside `new` (each list sorted): pairs sharing an LSH band of
/// their signatures (bands and rows by the equal-weight rule for `threshold`) whose exact shingle
/// Jaccard is at least `threshold`. Distinct texts are signed once for both collections.
pub fn duplicate_pairs<T: Joined>(
    old: &[T],
    new: &[T],
    shingles: ShingleConfig,
    hasher: &MinHasher,
    threshold: f64,
) -> Result<(Vec<Pair>, Vec<Pair>)> {
    // Distinct texts, numbered in order of first appearance (old, then new).
    let mut ids: HashMap<&T, u32, BuildKeyHasher> = HashMap::default();
    ids.reserve(old.len() + new.len());
    let mut distinct: Vec<&T> = Vec::new();
    let mut all_ids: Vec<u32> = Vec::with_capacity(old.len() + new.len());
    for t in old.iter().chain(new) {
        let id = *ids.entry(t).or_insert_with(|| {
            distinct.push(t);
            distinct.len() as u32 - 1
        });
        all_ids.push(id);
    }
    drop(ids);
    let (old_ids, new_ids) = all_ids.split_at(old.len());
    duplicate_pairs_of(&distinct, old_ids, new_ids, shingles, hasher, threshold)
}

/// [`duplicate_pairs`] once the texts are numbered: `distinct` holds each text once, and `old_ids` /
/// `new_ids` give each entry's text by its index in `distinct`. Callers that already know which
/// entries share a text (reconciliation: a pair matched with unchanged text) number them without hashing
/// every text.
pub fn duplicate_pairs_of<T: Joined>(
    distinct: &[&T],
    old_ids: &[u32],
    new_ids: &[u32],
    shingles: ShingleConfig,
    hasher: &MinHasher,
    threshold: f64,
) -> Result<(Vec<Pair>, Vec<Pair>)> {
    check_threshold(threshold)?;
    let mut phases = Phases::start();
    let sigs = signatures(hasher, distinct);
    phases.done("duplicates: signatures");
    duplicate_pairs_signed(
        distinct,
        &sigs,
        old_ids,
        new_ids,
        shingles,
        hasher.num_perm,
        threshold,
    )
}

/// The exact shingle sets of the texts numbered in `involved` (any order, repeats allowed), computed in
/// parallel; every other text gets an empty set. Pair verification reads only the texts some candidate
/// pair names, usually few.
pub(crate) fn shingle_sets<T: Joined>(
    texts: &[&T],
    mut involved: Vec<u32>,
    shingles: ShingleConfig,
) -> Vec<Vec<u64>> {
    involved.par_sort_unstable();
    involved.dedup();
    let mut sets: Vec<Vec<u64>> = vec![Vec::new(); texts.len()];
    let computed: Vec<(u32, Vec<u64>)> = involved
        .par_iter()
        .map_init(String::new, |buf, &u| {
            (u, shingles.shingle_set(texts[u as usize].text(buf)))
        })
        .collect();
    for (u, set) in computed {
        sets[u as usize] = set;
    }
    sets
}

/// The checks of the `*_signed` entry points ([`duplicate_pairs_signed`],
/// [`super::links::duplicate_links_signed`]), which take signatures computed elsewhere: `threshold` in
/// (0, 1) (checked first, so a bad threshold is named even when the signatures are off too), one signature
/// of `k` slots per text, and `k` a usable signature length. Returns the `(bands, rows)` both band with:
/// the equal-weight rule for `threshold`.
pub(crate) fn check_signed(
    texts: usize,
    sigs: &[u32],
    k: usize,
    threshold: f64,
) -> Result<(usize, usize)> {
    check_threshold(threshold)?;
    if Some(sigs.len()) != texts.checked_mul(k) {
        return Err(invalid(
            "sigs",
            "must hold one signature of num_perm slots per text",
        ));
    }
    optimal_params(threshold, k, 0.5, 0.5)
}

/// The candidate pairs whose exact similarity (`sims[i]`, of `candidates[i]`) is at least `threshold`, with
/// it, in their order.
pub(crate) fn at_least(candidates: Vec<(u32, u32)>, sims: Vec<f64>, threshold: f64) -> Vec<Pair> {
    candidates
        .into_iter()
        .zip(sims)
        .filter(|&(_, s)| s >= threshold)
        .map(|((a, b), s)| (a, b, s))
        .collect()
}

/// [`duplicate_pairs_of`] with the signatures of `distinct` already computed (row-major, `k` a row, by
/// the same shingles).
pub fn duplicate_pairs_signed<T: Joined>(
    distinct: &[&T],
    sigs: &[u32],
    old_ids: &[u32],
    new_ids: &[u32],
    shingles: ShingleConfig,
    k: usize,
    threshold: f64,
) -> Result<(Vec<Pair>, Vec<Pair>)> {
    let (bands, rows) = check_signed(distinct.len(), sigs, k, threshold)?;
    let mut phases = Phases::start();
    let sig = |u: u32| &sigs[u as usize * k..(u as usize + 1) * k];

    let candidates = |members: &[u32]| -> Vec<(u32, u32)> {
        // Every member's band keys at once (an empty text has none: it is nobody's duplicate).
        let mut keys = vec![0u64; members.len() * bands];
        let mut live = vec![false; members.len()];
        keys.par_chunks_mut(bands)
            .zip(live.par_iter_mut())
            .zip(members.par_iter())
            .for_each(|((k, l), &u)| *l = hash_bands(rows, sig(u), k));
        let pairs: Vec<u64> = (0..bands)
            .into_par_iter()
            .flat_map_iter(|band| {
                equal_key_pairs(members.len(), |i| live[i].then(|| keys[i * bands + band]))
            })
            .collect();
        distinct_pairs(pairs)
    };
    let old_candidates = candidates(old_ids);
    let new_candidates = candidates(new_ids);
    phases.done("duplicates: candidates");

    // Exact shingle sets of the distinct texts taking part in some candidate pair (usually few).
    let involved: Vec<u32> = old_candidates
        .iter()
        .map(|&(a, b)| [old_ids[a as usize], old_ids[b as usize]])
        .chain(
            new_candidates
                .iter()
                .map(|&(a, b)| [new_ids[a as usize], new_ids[b as usize]]),
        )
        .flatten()
        .collect();
    let sets = shingle_sets(distinct, involved, shingles);
    phases.done("duplicates: shingle sets");
    crate::trace::note(|| {
        format!(
            "duplicates: {} + {} candidate pairs",
            old_candidates.len(),
            new_candidates.len()
        )
    });
    let verified = |ids: &[u32], candidates: Vec<(u32, u32)>| -> Vec<Pair> {
        let as_distinct: Vec<(u32, u32)> = candidates
            .iter()
            .map(|&(a, b)| (ids[a as usize], ids[b as usize]))
            .collect();
        at_least(candidates, verify_pairs(&sets, &as_distinct), threshold)
    };
    Ok((
        verified(old_ids, old_candidates),
        verified(new_ids, new_candidates),
    ))
}

/// Every pair `a < b` of members `0..n` whose keys are equal (members without a key take no part), as
/// packed ([`pack_pair`]), in no particular order.
fn equal_key_pairs(n: usize, key_of: impl Fn(usize) -> Option<u64>) -> Vec<u64> {
    let mut pairs = Vec::new();
    for chain in links::equal_key_chains(n, key_of) {
        // The chain runs from the last member to the first.
        for (x, &b) in chain.iter().enumerate() {
            for &a in &chain[x + 1..] {
                pairs.push(pack_pair(a, b));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::dedup;
    use crate::lsh::LshIndex;
    use crate::minhash::Scheme;

    #[test]
    fn equal_key_pairs_are_every_pair_of_equal_keys() {
        let keys: Vec<Option<u64>> = (0..500u64)
            .map(|i| (i % 7 != 3).then_some(((i * i) % 61) | ((i % 3) << 40)))
            .collect();
        let mut got = equal_key_pairs(keys.len(), |i| keys[i]);
        got.sort_unstable();
        let mut want = Vec::new();
        for b in 0..keys.len() {
            for a in 0..b {
                if keys[a].is_some() && keys[a] == keys[b] {
                    want.push(pack_pair(a as u32, b as u32));
                }
            }
        }
        want.sort_unstable();
        assert_eq!(got, want);
        assert!(equal_key_pairs(0, |_| None).is_empty());
    }

    /// The pairs of one side by the plain route: an LSH index of that side's signatures, its candidate
    /// pairs, exact Jaccard of the shingle sets.
    fn reference_pairs(texts: &[String], cfg: ShingleConfig, hasher: &MinHasher) -> Vec<Pair> {
        let (bands, rows) = optimal_params(0.8, hasher.num_perm, 0.5, 0.5).unwrap();
        let mut index = LshIndex::new(hasher.num_perm, bands, rows).unwrap();
        let keys = (0..texts.len() as i64).map(crate::lsh::Key::Int).collect();
        index.insert_many(keys, &hasher.signatures(texts)).unwrap();
        index
            .candidate_pairs()
            .into_iter()
            .filter_map(|(a, b)| {
                let (x, y) = (
                    cfg.shingle_set(&texts[a as usize]),
                    cfg.shingle_set(&texts[b as usize]),
                );
                let inter = x.iter().filter(|h| y.binary_search(h).is_ok()).count();
                let j = inter as f64 / (x.len() + y.len() - inter) as f64;
                (j >= 0.8).then_some((a, b, j))
            })
            .collect()
    }

    #[test]
    fn duplicate_pairs_are_the_verified_lsh_candidates_of_each_side() {
        let base =
            "we study near duplicate detection with minhash and lsh on paper abstracts today";
        let old = vec![
            base.to_string(),
            "an entirely different text about protein folding and molecular dynamics".into(),
            format!("{base} again"),
            String::new(),
            String::new(),
        ];
        let new = vec![
            format!("{base} again"),
            base.to_string(),
            "yet another unrelated text on graph neural networks for molecules".into(),
            base.to_string(),
        ];
        let cfg = ShingleConfig::default();
        let hasher = MinHasher::new(64, cfg, Scheme::Oph).unwrap();
        let (o, n) = duplicate_pairs(&view_of(&old), &view_of(&new), cfg, &hasher, 0.8).unwrap();
        assert_eq!(o, reference_pairs(&old, cfg, &hasher));
        assert_eq!(n, reference_pairs(&new, cfg, &hasher));
        assert_eq!(n.len(), 3);
        assert_eq!(o, dedup(&old, cfg, &hasher, 0.8).unwrap().pairs);
    }

    #[test]
    fn titles_and_abstracts_read_as_their_joined_text() {
        let parts = [
            (
                "Near duplicates",
                "we study near duplicate detection with minhash and lsh",
            ),
            (
                "Near Duplicates!",
                "we study near duplicate detection with minhash and lsh",
            ),
            ("Other", "an entirely different text about protein folding"),
            ("", ""),
        ];
        // Enough texts for every thread's buffer to be reused, a longer text after a shorter one too.
        let many: Vec<(&str, &str)> = parts.iter().cycle().take(5000).copied().collect();
        let joined: Vec<String> = many.iter().map(|(t, a)| format!("{t}\n{a}")).collect();
        let cfg = ShingleConfig::default();
        let hasher = MinHasher::new(64, cfg, Scheme::Oph).unwrap();
        let refs: Vec<&(&str, &str)> = many.iter().collect();
        assert_eq!(signatures(&hasher, &refs), hasher.signatures(&joined));
        let (head, tail) = many.split_at(9);
        let (jh, jt) = joined.split_at(9);
        assert_eq!(
            duplicate_pairs(head, tail, cfg, &hasher, 0.8).unwrap(),
            duplicate_pairs(&view_of(jh), &view_of(jt), cfg, &hasher, 0.8).unwrap()
        );
    }

    fn view_of(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
}
