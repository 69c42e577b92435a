//! Duplicate links inside each of two snapshots, in time and memory near-linear in their entries even when
//! thousands of entries share one text or one LSH bucket.
//!
//! Duplicate detection only needs the *groups* the links form (connected components, each with its weakest
//! link), not every pair: [`super::duplicate_pairs_signed`] lists every verified pair, which is `k²/2` for
//! `k` entries with one text. Here
//!
//! 1. entries with equal texts form one *text class* (found by hashing signatures, then comparing the texts
//!    that share a signature), so equal texts are never compared pairwise;
//! 2. LSH candidates are pairs of text classes sharing a band; a bucket of up to [`ALL_PAIRS_UP_TO`]
//!    classes is paired all with all, as before; a larger one (a text repeated with small variations
//!    thousands of times) is put in an order that depends on content only (the signature, read from the
//!    band after this one, then the text) and each class is paired with the [`WINDOW`] classes after it,
//!    which keeps near-identical texts next to each other at a cost linear in the bucket;
//! 3. the verified pairs of classes become links between entries that give the same components and weakest
//!    links as all the entry pairs would, under the rule that entries whose keys differ are never linked:
//!    inside a text, one entry per key (and per keyless set) stands for the others.
//!
//! With no bucket over [`ALL_PAIRS_UP_TO`] the groups and their weakest links are exactly those of all the
//! verified pairs; past it, candidates are chosen by content, so groups never depend on input order.

use std::cmp::Ordering;
use std::collections::HashMap;

use rayon::prelude::*;

use crate::cluster::verify_pairs;
use crate::error::{invalid, Result};
use crate::lsh::{distinct_pairs, hash_bands, pack_pair};
use crate::text::shingle::ShingleConfig;
use crate::trace::Phases;

use super::pairs::{at_least, check_signed, shingle_sets, Joined, Pair};

/// Buckets of at most this many text classes are paired all with all.
pub(crate) const ALL_PAIRS_UP_TO: usize = 64;

/// In a larger bucket, each class is paired with this many classes after it in content order.
pub(crate) const WINDOW: usize = 8;

/// One side's entries: the text of each (an index into the texts) and its key, if any.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub ids: &'a [u32],
    pub keys: &'a [Option<&'a str>],
}

const NONE: u32 = u32::MAX;

/// Links `(a, b, jaccard)`, `a < b`, sorted, inside `old` and inside `new`: entries with equal texts
/// (jaccard 1) and entries whose texts share an LSH band of their signatures (bands and rows by the
/// equal-weight rule for `threshold`) and have an exact shingle Jaccard of at least `threshold`; never
/// between entries whose keys differ. `sigs` holds the signatures of `texts` (row-major, `k` a row). An
/// empty text has no signature and is nobody's duplicate.
pub fn duplicate_links_signed<T: Joined>(
    texts: &[&T],
    sigs: &[u32],
    old: Side,
    new: Side,
    shingles: ShingleConfig,
    k: usize,
    threshold: f64,
) -> Result<(Vec<Pair>, Vec<Pair>)> {
    let (bands, rows) = check_signed(texts.len(), sigs, k, threshold)?;
    for side in [old, new] {
        if side.ids.len() != side.keys.len() || side.ids.iter().any(|&u| u as usize >= texts.len())
        {
            return Err(invalid(
                "ids",
                "one text index in range and one key an entry",
            ));
        }
    }
    let mut phases = Phases::start();
    let sig = |u: u32| &sigs[u as usize * k..(u as usize + 1) * k];

    // Band keys of every text (an empty text has none).
    let mut band_keys = vec![0u64; texts.len() * bands];
    let mut live = vec![false; texts.len()];
    band_keys
        .par_chunks_mut(bands.max(1))
        .zip(live.par_iter_mut())
        .enumerate()
        .for_each(|(u, (keys, l))| *l = hash_bands(rows, sig(u as u32), keys));
    let class = text_classes(texts, sigs, k, &live);
    phases.done("duplicates: text classes");

    let classes_of = |side: Side| -> Vec<u32> {
        let mut cs: Vec<u32> = side
            .ids
            .iter()
            .map(|&u| class[u as usize])
            .filter(|&c| c != NONE)
            .collect();
        cs.par_sort_unstable();
        cs.dedup();
        cs
    };
    let content_order = |band: usize, x: u32, y: u32| -> Ordering {
        // The rows after this band first: classes agreeing there are likely near-identical.
        let start = ((band + 1) * rows) % k.max(1);
        let (sx, sy) = (sig(x), sig(y));
        sx[start..]
            .cmp(&sy[start..])
            .then_with(|| sx[..start].cmp(&sy[..start]))
            .then_with(|| texts[x as usize].cmp(texts[y as usize]))
    };
    let candidates = |members: &[u32]| -> Vec<(u32, u32)> {
        let pairs: Vec<u64> = (0..bands)
            .into_par_iter()
            .flat_map_iter(|band| {
                let mut out = Vec::new();
                let key = |i: usize| Some(band_keys[members[i] as usize * bands + band]);
                for mut chain in equal_key_chains(members.len(), key) {
                    for m in &mut chain {
                        *m = members[*m as usize];
                    }
                    let reach = if chain.len() <= ALL_PAIRS_UP_TO {
                        chain.len()
                    } else {
                        chain.sort_unstable_by(|&x, &y| content_order(band, x, y));
                        WINDOW
                    };
                    for (x, &a) in chain.iter().enumerate() {
                        for &b in chain[x + 1..].iter().take(reach) {
                            let (a, b) = (a.min(b), a.max(b));
                            out.push(pack_pair(a, b));
                        }
                    }
                }
                out
            })
            .collect();
        distinct_pairs(pairs)
    };
    let (old_candidates, new_candidates) = rayon::join(
        || candidates(&classes_of(old)),
        || candidates(&classes_of(new)),
    );
    phases.done("duplicates: candidates");

    // Exact shingle sets of the classes taking part in some candidate pair (usually few).
    let involved: Vec<u32> = old_candidates
        .iter()
        .chain(&new_candidates)
        .flat_map(|&(a, b)| [a, b])
        .collect();
    let sets = shingle_sets(texts, involved, shingles);
    let verified = |candidates: Vec<(u32, u32)>| -> Vec<Pair> {
        let sims = verify_pairs(&sets, &candidates);
        at_least(candidates, sims, threshold)
    };
    let (old_edges, new_edges) = (verified(old_candidates), verified(new_candidates));
    phases.done("duplicates: verified");
    crate::trace::note(|| {
        format!(
            "duplicates: {} + {} verified class pairs",
            old_edges.len(),
            new_edges.len()
        )
    });
    let (o, n) = rayon::join(
        || entry_links(old, &class, &old_edges),
        || entry_links(new, &class, &new_edges),
    );
    Ok((o, n))
}

/// The class of each text: the least index of the texts equal to it, or [`NONE`] for a text that is not
/// live (empty). Only texts with equal signatures are compared.
fn text_classes<T: Joined>(texts: &[&T], sigs: &[u32], k: usize, live: &[bool]) -> Vec<u32> {
    let sig_hash = |u: usize| -> u64 {
        sigs[u * k..(u + 1) * k].iter().fold(0u64, |h, &v| {
            (h ^ u64::from(v))
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(29)
        })
    };
    let mut by_sig: Vec<(u64, u32)> = (0..texts.len())
        .into_par_iter()
        .filter(|&u| live[u])
        .map(|u| (sig_hash(u), u as u32))
        .collect();
    by_sig.par_sort_unstable();
    let mut class = vec![NONE; texts.len()];
    let mut run: Vec<u32> = Vec::new();
    let mut at = 0;
    while at < by_sig.len() {
        let end = at + by_sig[at..].partition_point(|&(h, _)| h == by_sig[at].0);
        run.clear();
        run.extend(by_sig[at..end].iter().map(|&(_, u)| u));
        if run.len() > 1 {
            // Equal texts next to each other, each run of them led by its least index.
            run.sort_unstable_by(|&x, &y| texts[x as usize].cmp(texts[y as usize]).then(x.cmp(&y)));
        }
        let mut lead = run[0];
        for (x, &u) in run.iter().enumerate() {
            if x > 0 && texts[u as usize] != texts[run[x - 1] as usize] {
                lead = u;
            }
            class[u as usize] = lead;
        }
        at = end;
    }
    class
}

/// Links between `side`'s entries for its verified class pairs, under the rule that entries whose keys
/// differ are never linked. Inside a class, the entries of one key (or with no key) hang on their first
/// entry, and a class's first keyless entry joins its keyed ones (a keyless entry links with any entry).
/// Between two classes, a keyless representative links to every representative on the other side, and
/// representatives of one key link with each other: the components and weakest links are those of all
/// allowed entry pairs.
fn entry_links(side: Side, class: &[u32], edges: &[Pair]) -> Vec<Pair> {
    let mut reps: HashMap<(u32, Option<&str>), u32> = HashMap::new();
    let mut free: HashMap<u32, u32> = HashMap::new(); // class → its first keyless entry
    let mut keyed: HashMap<u32, Vec<(&str, u32)>> = HashMap::new(); // class → (key, first entry)
    let mut links: Vec<Pair> = Vec::new();
    for (i, (&u, &key)) in side.ids.iter().zip(side.keys).enumerate() {
        let c = class[u as usize];
        if c == NONE {
            continue;
        }
        let i = i as u32;
        let rep = *reps.entry((c, key)).or_insert(i);
        if rep != i {
            links.push((rep, i, 1.0));
            continue;
        }
        match key {
            None => {
                free.insert(c, i);
            }
            Some(k) => keyed.entry(c).or_default().push((k, i)),
        }
    }
    for (c, &f) in &free {
        for &(_, r) in keyed.get(c).map_or(&[][..], Vec::as_slice) {
            links.push((f.min(r), f.max(r), 1.0));
        }
    }
    let no_keys: Vec<(&str, u32)> = Vec::new();
    for &(u, v, s) in edges {
        let (fu, fv) = (free.get(&u).copied(), free.get(&v).copied());
        let (ku, kv) = (
            keyed.get(&u).unwrap_or(&no_keys),
            keyed.get(&v).unwrap_or(&no_keys),
        );
        let mut link = |a: u32, b: u32| links.push((a.min(b), a.max(b), s));
        if let Some(f) = fu {
            fv.into_iter()
                .chain(kv.iter().map(|&(_, r)| r))
                .for_each(|r| link(f, r));
        }
        if let Some(f) = fv {
            ku.iter().for_each(|&(_, r)| link(f, r));
        }
        // Representatives of one key: look up the keys of the side with fewer.
        let (few, many_class) = if ku.len() <= kv.len() {
            (ku, v)
        } else {
            (kv, u)
        };
        for &(key, r) in few {
            if let Some(&r2) = reps.get(&(many_class, Some(key))) {
                link(r, r2);
            }
        }
    }
    links.par_sort_unstable_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)).then(x.2.total_cmp(&y.2)));
    links
}

/// The members `0..n` of each key held by two members or more (members without a key take no part), each
/// chain from its last member to its first; chains in no particular order.
///
/// One pass through an open-addressing table: members with equal keys are chained through `next`, and
/// only the chains that reach two members are walked. Band keys are mostly unique, so this does about
/// one probe a member where sorting all keys took `log n` comparisons each.
pub(crate) fn equal_key_chains(n: usize, key_of: impl Fn(usize) -> Option<u64>) -> Vec<Vec<u32>> {
    let bits = (2 * n).next_power_of_two().max(16).trailing_zeros();
    let mask = (1usize << bits) - 1;
    let mut slot_key = vec![0u64; mask + 1];
    let mut slot_head = vec![NONE; mask + 1];
    let mut next = vec![NONE; n];
    let mut shared: Vec<usize> = Vec::new(); // slots whose chain holds two members or more
    for i in 0..n {
        let Some(key) = key_of(i) else { continue };
        // Fibonacci hashing: the top bits of the product spread any key pattern over the table.
        let mut s = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
        while slot_head[s] != NONE && slot_key[s] != key {
            s = (s + 1) & mask;
        }
        let head = slot_head[s];
        if head == NONE {
            slot_key[s] = key;
        } else if next[head as usize] == NONE {
            shared.push(s);
        }
        next[i] = head;
        slot_head[s] = i as u32;
    }
    shared
        .into_iter()
        .map(|s| {
            let mut chain = Vec::new();
            let mut m = slot_head[s];
            while m != NONE {
                chain.push(m);
                m = next[m as usize];
            }
            chain
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pairs::{duplicate_pairs_signed, signatures};
    use crate::cluster::weakest_link_groups;
    use crate::minhash::{MinHasher, Scheme};

    fn rng(seed: u64) -> impl FnMut(u64) -> u64 {
        let mut s = seed;
        move |k| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) % k
        }
    }

    fn hasher() -> MinHasher {
        MinHasher::new(64, ShingleConfig::default(), Scheme::Oph).unwrap()
    }

    fn links_of(texts: &[(String, String)], keys: &[Option<&str>]) -> Vec<Pair> {
        let h = hasher();
        let refs: Vec<(&str, &str)> = texts.iter().map(|(t, a)| (&**t, &**a)).collect();
        let refs: Vec<&(&str, &str)> = refs.iter().collect();
        let sigs = signatures(&h, &refs);
        let ids: Vec<u32> = (0..texts.len() as u32).collect();
        let side = Side { ids: &ids, keys };
        let none = Side {
            ids: &[],
            keys: &[],
        };
        let (links, empty) =
            duplicate_links_signed(&refs, &sigs, side, none, h.shingles, 64, 0.8).unwrap();
        assert!(empty.is_empty());
        links
    }

    /// Both `*_signed` entry points refuse the same inputs with the same message, each check on its own:
    /// a bad threshold is named before bad signatures, bad signatures before a signature length of 0.
    #[test]
    fn signed_entry_points_check_alike() {
        let texts = ["a b c d e", "a b c d f"];
        let refs: Vec<&&str> = texts.iter().collect();
        let ids = [0u32, 1];
        let keys = [None, None];
        let side = Side {
            ids: &ids,
            keys: &keys,
        };
        let both = |sigs: &[u32], k: usize, t: f64| {
            let links =
                duplicate_links_signed(&refs, sigs, side, side, ShingleConfig::default(), k, t)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
            let pairs =
                duplicate_pairs_signed(&refs, sigs, &ids, &ids, ShingleConfig::default(), k, t)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
            assert_eq!(links, pairs, "k {k}, threshold {t}");
            links
        };
        let good = vec![1u32; 2 * 4];
        assert_eq!(both(&good, 4, 0.5), Ok(()));
        for t in [0.0, 1.0, f64::NAN, -0.5] {
            let e = both(&good[1..], 4, t).unwrap_err();
            assert!(e.starts_with("threshold:"), "{e}");
        }
        for short in [&good[1..], &good[..4], &[][..]] {
            let e = both(short, 4, 0.5).unwrap_err();
            assert!(e.starts_with("sigs:"), "{e}");
        }
        let e = both(&good, 5, 0.5).unwrap_err();
        assert!(e.starts_with("sigs:"), "{e}");
        let e = both(&[], 0, 0.5).unwrap_err();
        assert!(e.starts_with("num_perm:"), "{e}");
        // The entries' own checks are the links' alone: text indexes in range, one key an entry.
        let far = [0u32, 2];
        let bad = Side {
            ids: &far,
            keys: &keys,
        };
        let e = duplicate_links_signed(&refs, &good, bad, side, ShingleConfig::default(), 4, 0.5);
        assert!(e.unwrap_err().to_string().starts_with("ids:"));
    }

    /// On ordinary inputs (every bucket small), the links give the groups and weakest links of every
    /// verified pair whose keys do not differ: equal texts, near-identical ones, keys of every kind.
    #[test]
    fn links_group_as_every_allowed_pair_does() {
        let base: Vec<String> = (0..6)
            .map(|t| {
                (0..30)
                    .map(|w| format!("w{}", (t * 31 + w * 7) % 97))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let key_names = ["k1", "k2", "k3"];
        let h = hasher();
        for seed in 0..40 {
            let mut r = rng(seed);
            let n = 5 + r(40) as usize;
            let texts: Vec<(String, String)> = (0..n)
                .map(|_| {
                    let mut a = base[r(base.len() as u64) as usize].clone();
                    match r(4) {
                        0 => a.push_str(" extra"),
                        1 => a.clear(),
                        _ => {}
                    }
                    (format!("T{}", r(2)), a)
                })
                .collect();
            let keys: Vec<Option<&str>> = (0..n)
                .map(|_| match r(4) {
                    0 | 1 => None,
                    x => Some(key_names[(x as usize + r(2) as usize) % 3]),
                })
                .collect();
            let got = links_of(&texts, &keys);
            for &(a, b, s) in &got {
                assert!(a < b && s >= 0.8);
                let (x, y) = (keys[a as usize], keys[b as usize]);
                assert!(x.is_none() || y.is_none() || x == y, "keys differ: {a} {b}");
            }
            // Every pair, as the all-pairs route finds them, less those whose keys differ.
            let refs: Vec<(&str, &str)> = texts.iter().map(|(t, a)| (&**t, &**a)).collect();
            let refs: Vec<&(&str, &str)> = refs.iter().collect();
            let sigs = signatures(&h, &refs);
            let ids: Vec<u32> = (0..n as u32).collect();
            let (all, _) =
                duplicate_pairs_signed(&refs, &sigs, &ids, &[], h.shingles, 64, 0.8).unwrap();
            let allowed: Vec<Pair> = all
                .into_iter()
                .filter(|&(a, b, _)| {
                    let (x, y) = (keys[a as usize], keys[b as usize]);
                    x.is_none() || y.is_none() || x == y
                })
                .collect();
            assert_eq!(
                weakest_link_groups(n, &got),
                weakest_link_groups(n, &allowed),
                "seed {seed}"
            );
            assert!(got.len() <= allowed.len());
        }
    }

    /// Thousands of entries with one text: one group from a linear number of links.
    #[test]
    fn equal_texts_are_one_group_without_all_pairs() {
        let k = 3000;
        let text = (
            "A title".to_string(),
            "one abstract repeated many times over in this snapshot".to_string(),
        );
        let mut texts = vec![text; k];
        texts.push((
            "Other".into(),
            "an unrelated text about protein folding at length".into(),
        ));
        let keys = vec![None; k + 1];
        let links = links_of(&texts, &keys);
        assert_eq!(links.len(), k - 1);
        assert_eq!(
            weakest_link_groups(k + 1, &links),
            vec![((0..k as u32).collect(), 1.0)]
        );
    }

    /// Thousands of distinct near-identical texts fill one bucket: it is windowed, the group is whole,
    /// the links are linear in the bucket, and shuffling the entries does not change the group.
    #[test]
    fn a_huge_bucket_gives_one_group_whatever_the_order() {
        let k = 2500;
        let abstract_text: String = (0..120).map(|w| format!("word{w} ")).collect();
        let texts: Vec<(String, String)> = (0..k)
            .map(|i| (format!("Paper {i}"), abstract_text.clone()))
            .collect();
        let keys = vec![None; k];
        let links = links_of(&texts, &keys);
        let (bands, _) = crate::lsh::optimal_params(0.8, 64, 0.5, 0.5).unwrap();
        assert!(links.len() <= bands * WINDOW * k, "{} links", links.len());
        let g = weakest_link_groups(k, &links);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].0.len(), k);

        // The same entries in another order: the same members (by text), the same weakest link.
        let mut r = rng(5);
        let mut perm: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            perm.swap(i, r(i as u64 + 1) as usize);
        }
        let shuffled: Vec<(String, String)> = perm.iter().map(|&p| texts[p].clone()).collect();
        let g2 = weakest_link_groups(k, &links_of(&shuffled, &keys));
        assert_eq!(g2.len(), 1);
        assert_eq!(g2[0].0.len(), k);
        assert_eq!(g2[0].1, g[0].1);
    }

    /// Texts that share a bucket but are not near-identical give no group, at a cost linear in the
    /// bucket (the candidates of a windowed bucket are bounded).
    #[test]
    fn a_huge_bucket_of_unrelated_variants_gives_no_group() {
        let k = 2000;
        let shared: String = (0..12).map(|w| format!("common{w} ")).collect();
        let texts: Vec<(String, String)> = (0..k)
            .map(|i| {
                let own: String = (0..40).map(|w| format!("own{i}x{w} ")).collect();
                (String::new(), format!("{shared}{own}"))
            })
            .collect();
        assert!(links_of(&texts, &vec![None; k]).is_empty());
    }

    #[test]
    fn equal_key_chains_hold_every_repeated_key() {
        let keys: Vec<Option<u64>> = (0..300u64)
            .map(|i| (i % 5 != 0).then_some(i % 17))
            .collect();
        let mut got: Vec<Vec<u32>> = equal_key_chains(keys.len(), |i| keys[i])
            .into_iter()
            .map(|mut c| {
                assert!(c.windows(2).all(|w| w[0] > w[1]), "last member first");
                c.sort_unstable();
                c
            })
            .collect();
        got.sort();
        let mut want: Vec<Vec<u32>> = (0..17u64)
            .map(|k| {
                (0..300u32)
                    .filter(|&i| keys[i as usize] == Some(k))
                    .collect::<Vec<_>>()
            })
            .filter(|c| c.len() > 1)
            .collect();
        want.sort();
        assert_eq!(got, want);
    }
}
