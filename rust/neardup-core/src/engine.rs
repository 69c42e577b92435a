//! The reconciliation engine: two snapshots' records in, their reconciliation out, every rule once.
//!
//! The flow (DESIGN §1): the readers ([`crate::read`]) give records with their identities computed
//! ([`crate::identify`]); here they are **matched** — by identity ([`match_identities`]: entries sharing
//! a key or normalised title, as pairs when the identity is unique on both sides and as groups resolved
//! by agreement otherwise, [`agree`]), then by near match ([`near`]) — and **judged** ([`snapshot`]: the
//! one-to-one assignment, changed / unchanged / metadata-changed verdicts, word diffs of changed fields,
//! duplicate groups from [`crate::cluster::pairs`]); the result is **rendered** by [`report`] (text,
//! jsonl, md, html) and [`json`]. The catalog's ingest ([`catalog`]) reads records through the same rules.

pub mod agree;
pub mod catalog;
pub mod fields;
pub mod json;
pub mod near;
pub mod report;
pub mod snapshot;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rayon::prelude::*;

use crate::identify::Id;
use crate::lsh::IdentityHasher;

/// Whether two records carry keys that differ: such records are never the same paper, whatever their
/// titles or texts say.
pub(crate) fn keys_differ(a: &crate::read::file::Record, b: &crate::read::file::Record) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::id_hash;

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
}
