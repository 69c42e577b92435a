//! Batch steps of snapshot reconciliation (`python/neardup/reconcile.py`): the per-entry work that costs
//! microseconds an entry in Python and would dominate `neardup diff` on snapshots of 10^5 entries.
//!
//! * [`normalize_title_ascii`]: the normalised title of DESIGN §5 for the common case of a plain-ASCII title
//!   with no LaTeX; anything else is left to the Python definition (`neardup.identity.normalize_title`).
//! * [`match_identities`]: old and new entries sharing an identity (key or normalised title), as pairs when
//!   the identity is unique on both sides and as groups otherwise (Python resolves those by agreement).
//! * [`duplicate_pairs`]: near-duplicate pairs inside each of two snapshots, by MinHash/LSH with exact
//!   verification (Broder, "On the resemblance and containment of documents", 1997; Indyk & Motwani,
//!   STOC 1998). Two snapshots of one listing share most of their texts, so each distinct text is
//!   shingled and signed once for both.
//! * [`snapshot`] and [`json`]: the whole of `neardup diff --format json` for snapshots the core reads by
//!   itself (`records::file`), with the same results and the same bytes as the Python path.

pub mod agree;
pub mod fields;
pub mod json;
pub mod links;
pub mod report;
pub mod snapshot;
mod title;

pub use title::normalize_title_ascii;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::cluster::verify_pairs;
use crate::error::{invalid, Result};
use crate::lsh::{check_threshold, optimal_params, IdentityHasher, LshIndex};
use crate::minhash::MinHasher;
use crate::shingle::ShingleConfig;
use crate::trace::Phases;

/// Hashes string keys with one-shot xxh3. (The streaming `Xxh3Default` sets up a 600-byte state for
/// each key, which made it the main cost of maps keyed by short titles.)
#[derive(Default)]
pub struct StrHasher(u64);

impl Hasher for StrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }
    fn write_u8(&mut self, byte: u8) {
        // `str`'s Hash ends with a 0xFF marker byte: fold it in cheaply.
        self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Whether two records carry keys that differ: such records are never the same paper, whatever their
/// titles or texts say.
pub(crate) fn keys_differ(
    a: &crate::records::file::Record,
    b: &crate::records::file::Record,
) -> bool {
    matches!((&a.key, &b.key), (Some(x), Some(y)) if x != y)
}

/// Entries of two snapshots sharing an identity.
#[derive(Debug, Default, PartialEq)]
pub struct IdentityMatches {
    /// `(old, new)` for identities held by exactly one entry on each side, in new order.
    pub pairs: Vec<(u32, u32)>,
    /// `(olds, news)` for identities on both sides held by more than one entry on either, in the order
    /// of their first new entry; members ascending.
    pub groups: Vec<(Vec<u32>, Vec<u32>)>,
}

/// An identity (key or normalised title) with its hash, computed once (by the reader, while the record's
/// line is in cache) for every table and partition that identity goes into. Never empty: an empty
/// identity is no identity.
///
/// Maps keyed by identities ([`IdMap`]) take the stored hash as it is; equality compares the text, so two
/// identities whose hashes collide stay distinct.
#[derive(Debug, Clone, Copy)]
pub struct Id<'a> {
    hash: u64,
    text: &'a str,
}

impl<'a> Id<'a> {
    /// `text` as an identity, hashed now; `None` when empty.
    pub fn new(text: &'a str) -> Option<Id<'a>> {
        Id::hashed(text, id_hash(text))
    }

    /// `text` as an identity whose [`id_hash`] was computed earlier; `None` when empty.
    pub fn hashed(text: &'a str, hash: u64) -> Option<Id<'a>> {
        debug_assert_eq!(hash, id_hash(text), "stale identity hash of {text:?}");
        (!text.is_empty()).then_some(Id { hash, text })
    }

    /// Each of `ids` hashed, in parallel.
    pub fn all(ids: &[Option<&'a str>]) -> Vec<Option<Id<'a>>> {
        ids.par_iter().map(|id| id.and_then(Id::new)).collect()
    }
}

/// The hash of an identity's text, as [`Id::hashed`] expects it.
pub fn id_hash(text: &str) -> u64 {
    xxh3_64(text.as_bytes())
}

impl PartialEq for Id<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.text == other.text
    }
}

impl Eq for Id<'_> {}

impl Hash for Id<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// A map keyed by identities, on their stored hashes.
type IdMap<'a, V> = HashMap<Id<'a>, V, BuildHasherDefault<IdentityHasher>>;

/// Groups old and new entries by identity; `None` and empty identities take no part. Hashes every
/// identity: callers holding hashes already use [`match_ids`].
pub fn match_identities(old: &[Option<&str>], new: &[Option<&str>]) -> IdentityMatches {
    let (old, new) = rayon::join(|| Id::all(old), || Id::all(new));
    match_ids(&old, &new)
}

/// [`match_identities`] of identities already hashed.
///
/// Large inputs are split by the identity's hash into parts that are matched in parallel, each with a
/// table that stays in cache (an identity lives in one part on both sides); the parts' pairs and groups
/// are then put back in the order of their first new entry, as one pass over everything gives them.
pub fn match_ids(old: &[Option<Id>], new: &[Option<Id>]) -> IdentityMatches {
    if old.len() + new.len() < PARALLEL_FROM {
        return match_ids_seq(old, new);
    }
    let (old_parts, new_parts) = rayon::join(|| hash_parts(old), || hash_parts(new));
    let found: Vec<IdentityMatches> = old_parts
        .par_iter()
        .zip(&new_parts)
        .map(|(o, n)| {
            fn pick<'s>(members: &[u32], all: &[Option<Id<'s>>]) -> Vec<Option<Id<'s>>> {
                members.iter().map(|&i| all[i as usize]).collect()
            }
            let local = match_ids_seq(&pick(o, old), &pick(n, new));
            let global = |members: Vec<u32>, map: &[u32]| -> Vec<u32> {
                members.into_iter().map(|m| map[m as usize]).collect()
            };
            IdentityMatches {
                pairs: local
                    .pairs
                    .into_iter()
                    .map(|(i, j)| (o[i as usize], n[j as usize]))
                    .collect(),
                groups: local
                    .groups
                    .into_iter()
                    .map(|(a, b)| (global(a, o), global(b, n)))
                    .collect(),
            }
        })
        .collect();
    let mut out = IdentityMatches::default();
    for part in found {
        out.pairs.extend(part.pairs);
        out.groups.extend(part.groups);
    }
    // A unique identity's new entry is its first; a group's first new entry is its lowest new member.
    out.pairs.par_sort_unstable_by_key(|&(_, j)| j);
    out.groups.sort_unstable_by_key(|(_, news)| news[0]);
    out
}

/// Inputs from this size on are split into hash parts and handled in parallel.
const PARALLEL_FROM: usize = 1 << 14;
const PART_BITS: u32 = 6;
/// Where in the hash the part number is read: above the bits a table of fewer than 2^32 slots indexes
/// by and below the 7 top bits hashbrown keeps as a slot's tag, so that the identities of one part
/// still differ in both.
const PART_SHIFT: u32 = 32;

/// The entries holding an identity, split into `2^PART_BITS` parts by the identity's stored hash
/// (ascending within a part).
fn hash_parts(ids: &[Option<Id>]) -> Vec<Vec<u32>> {
    let mut out = vec![Vec::new(); 1 << PART_BITS];
    for (i, id) in ids.iter().enumerate() {
        if let Some(id) = id {
            let part = (id.hash >> PART_SHIFT) as usize & ((1 << PART_BITS) - 1);
            out[part].push(i as u32);
        }
    }
    out
}

/// `(first, later)` for every entry whose (non-empty) identity an earlier entry already holds, `first`
/// being the earliest such entry; in no particular order. Within-snapshot duplicates by key or title.
/// Hashes every identity: callers holding hashes already use [`repeated_ids`].
pub fn repeated_identities(ids: &[Option<&str>]) -> Vec<(u32, u32)> {
    repeated_ids(&Id::all(ids))
}

/// [`repeated_identities`] of identities already hashed.
pub fn repeated_ids(ids: &[Option<Id>]) -> Vec<(u32, u32)> {
    let repeats_in = |members: &mut dyn Iterator<Item = u32>| -> Vec<(u32, u32)> {
        let mut first: IdMap<u32> = IdMap::default();
        let mut out = Vec::new();
        for p in members {
            if let Some(id) = ids[p as usize] {
                let seen = *first.entry(id).or_insert(p);
                if seen != p {
                    out.push((seen, p));
                }
            }
        }
        out
    };
    if ids.len() < PARALLEL_FROM {
        return repeats_in(&mut (0..ids.len() as u32));
    }
    hash_parts(ids)
        .par_iter()
        .flat_map_iter(|part| repeats_in(&mut part.iter().copied()))
        .collect()
}

/// [`match_ids`] in one pass.
fn match_ids_seq(old: &[Option<Id>], new: &[Option<Id>]) -> IdentityMatches {
    // identity → (first old index, old count, first new index, new count). Counting rather than listing
    // keeps the common case (one entry a side) free of per-identity allocations.
    const NONE: u32 = u32::MAX;
    let mut seen: IdMap<[u32; 4]> = IdMap::default();
    seen.reserve(old.len());
    for (i, id) in old.iter().enumerate() {
        if let Some(id) = *id {
            let e = seen.entry(id).or_insert([i as u32, 0, NONE, 0]);
            e[1] += 1;
        }
    }
    let mut order: Vec<Id> = Vec::new(); // identities on both sides, by first new entry
    for (j, id) in new.iter().enumerate() {
        let Some(id) = *id else { continue };
        if let Some(e) = seen.get_mut(&id) {
            if e[3] == 0 {
                e[2] = j as u32;
                order.push(id);
            }
            e[3] += 1;
        }
    }
    let mut out = IdentityMatches::default();
    let mut shared: Vec<Id> = Vec::new();
    for id in order {
        let [i, old_count, j, new_count] = seen[&id];
        if old_count == 1 && new_count == 1 {
            out.pairs.push((i, j));
        } else {
            shared.push(id);
        }
    }
    if !shared.is_empty() {
        // Rare: list the members of the shared identities.
        let mut members: IdMap<(Vec<u32>, Vec<u32>)> =
            shared.iter().map(|&id| (id, Default::default())).collect();
        for (i, id) in old.iter().enumerate() {
            if let Some(m) = id.as_ref().and_then(|id| members.get_mut(id)) {
                m.0.push(i as u32);
            }
        }
        for (j, id) in new.iter().enumerate() {
            if let Some(m) = id.as_ref().and_then(|id| members.get_mut(id)) {
                m.1.push(j as u32);
            }
        }
        out.groups = shared
            .iter()
            .map(|id| members.remove(id).unwrap_or_default())
            .collect();
    }
    out
}

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
    let mut ids: HashMap<&T, u32, BuildHasherDefault<StrHasher>> = HashMap::default();
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
    check_threshold(threshold)?;
    if sigs.len() != distinct.len() * k {
        return Err(invalid(
            "sigs",
            "must hold one signature of num_perm slots per text",
        ));
    }
    let (bands, rows) = optimal_params(threshold, k, 0.5, 0.5)?;
    let mut phases = Phases::start();
    let sig = |u: u32| &sigs[u as usize * k..(u as usize + 1) * k];

    let candidates = |members: &[u32]| -> Vec<(u32, u32)> {
        // Every member's band keys at once (an empty text has none: it is nobody's duplicate).
        let mut keys = vec![0u64; members.len() * bands];
        let mut live = vec![false; members.len()];
        keys.par_chunks_mut(bands)
            .zip(live.par_iter_mut())
            .zip(members.par_iter())
            .for_each(|((k, l), &u)| *l = LshIndex::hash_bands(rows, sig(u), k));
        let mut pairs: Vec<u64> = (0..bands)
            .into_par_iter()
            .flat_map_iter(|band| {
                equal_key_pairs(members.len(), |i| live[i].then(|| keys[i * bands + band]))
            })
            .collect();
        pairs.par_sort_unstable();
        pairs.dedup();
        pairs
            .into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect()
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
        let sims = verify_pairs(&sets, &as_distinct);
        candidates
            .into_iter()
            .zip(sims)
            .filter(|&(_, s)| s >= threshold)
            .map(|((a, b), s)| (a, b, s))
            .collect()
    };
    Ok((
        verified(old_ids, old_candidates),
        verified(new_ids, new_candidates),
    ))
}

/// Every pair `a < b` of members `0..n` whose keys are equal (members without a key take no part), as
/// `a << 32 | b`, in no particular order.
fn equal_key_pairs(n: usize, key_of: impl Fn(usize) -> Option<u64>) -> Vec<u64> {
    let mut pairs = Vec::new();
    for chain in links::equal_key_chains(n, key_of) {
        // The chain runs from the last member to the first.
        for (x, &b) in chain.iter().enumerate() {
            for &a in &chain[x + 1..] {
                pairs.push((u64::from(a) << 32) | u64::from(b));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::dedup;
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
                    want.push(((a as u64) << 32) | b as u64);
                }
            }
        }
        want.sort_unstable();
        assert_eq!(got, want);
        assert!(equal_key_pairs(0, |_| None).is_empty());
    }

    /// Identities of two sides large enough to be matched in parts, with unique and shared ones, `None`
    /// and empty ones.
    fn many_identities() -> (Vec<Option<String>>, Vec<Option<String>>) {
        let spell = |i: u64| -> Option<String> {
            match i % 11 {
                0 => None,
                1 => Some(String::new()),
                _ => Some(format!("id-{}", (i * 7919) % 9000)),
            }
        };
        (
            (0..20_000).map(spell).collect(),
            (5_000..26_000).map(spell).collect(),
        )
    }

    fn view(v: &[Option<String>]) -> Vec<Option<&str>> {
        v.iter().map(Option::as_deref).collect()
    }

    /// Inputs large enough to be matched in parts give what one pass gives.
    #[test]
    fn identities_matched_in_parts_equal_one_pass() {
        let (old_ids, new_ids) = many_identities();
        let (old, new) = (Id::all(&view(&old_ids)), Id::all(&view(&new_ids)));
        let parts = match_ids(&old, &new);
        assert_eq!(parts, match_ids_seq(&old, &new));
        assert!(!parts.pairs.is_empty() && !parts.groups.is_empty());
    }

    /// Identities whose hashes collide stay apart: equality is by text.
    #[test]
    fn colliding_hashes_keep_identities_apart() {
        let same = |text| Some(Id { hash: 7, text });
        let m = match_ids(&[same("a"), same("b")], &[same("b"), same("c"), same("a")]);
        assert_eq!(m.pairs, vec![(1, 0), (0, 2)]);
        assert!(m.groups.is_empty());
        assert_eq!(
            repeated_ids(&[same("a"), same("b"), same("a")]),
            vec![(0, 2)]
        );

        // Matched in parts: thousands of identities on 64 hashes, one a part.
        fn colliding(v: &[Option<String>]) -> Vec<Option<Id<'_>>> {
            let hash = |t: &str| id_hash(t) & (63 << PART_SHIFT);
            v.iter()
                .map(|t| t.as_deref().filter(|t| !t.is_empty()))
                .map(|t| {
                    t.map(|text| Id {
                        hash: hash(text),
                        text,
                    })
                })
                .collect()
        }
        let (old_ids, new_ids) = many_identities();
        let (old, new) = (colliding(&old_ids), colliding(&new_ids));
        let m = match_ids(&old, &new);
        assert_eq!(m, match_identities(&view(&old_ids), &view(&new_ids)));
        assert!(!m.pairs.is_empty() && !m.groups.is_empty());
        let mut got = repeated_ids(&old);
        let mut want = repeated_identities(&view(&old_ids));
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn repeated_identities_point_to_the_first_holder() {
        for n in [40, PARALLEL_FROM + 100] {
            let ids: Vec<Option<String>> = (0..n)
                .map(|i| match i % 5 {
                    0 => None,
                    1 => Some(String::new()),
                    _ => Some(format!("t{}", (i * 31) % (n / 3))),
                })
                .collect();
            let view: Vec<Option<&str>> = ids.iter().map(Option::as_deref).collect();
            let mut got = repeated_identities(&view);
            got.sort_unstable();
            let mut first: HashMap<&str, u32> = HashMap::new();
            let mut want = Vec::new();
            for (p, id) in view.iter().enumerate() {
                if let Some(id) = id.filter(|s| !s.is_empty()) {
                    let seen = *first.entry(id).or_insert(p as u32);
                    if seen != p as u32 {
                        want.push((seen, p as u32));
                    }
                }
            }
            want.sort_unstable();
            assert_eq!(got, want);
            assert!(!got.is_empty());
        }
    }

    #[test]
    fn identities_split_into_pairs_and_groups() {
        let old = [Some("a"), Some("b"), None, Some("b"), Some(""), Some("c")];
        let new = [Some("b"), Some("x"), Some("a"), Some(""), Some("c"), None];
        let m = match_identities(&old, &new);
        assert_eq!(m.pairs, vec![(0, 2), (5, 4)]);
        assert_eq!(m.groups, vec![(vec![1, 3], vec![0])]);
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
