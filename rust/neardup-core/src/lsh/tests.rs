//! Tests of the index against naive models, and of what must not change (band keys, saved bytes).

use super::bands::{Band, NONE};
use super::*;
use crate::minhash::is_empty_signature;
use std::collections::{BTreeMap, BTreeSet};

/// xorshift: a fixed stream of test inputs without a dependency.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn band_table_survives_colliding_keys() {
    // Keys sharing their low bits make long probe runs that wrap; deletions must keep every key findable.
    let mut band = Band {
        next: vec![NONE; 4096],
        ..Band::default()
    };
    let mut model: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    let mut seed = 7;
    for step in 0..20_000u32 {
        let key = (rng(&mut seed) % 24) << 40 | (rng(&mut seed) % 3) | 0xf0;
        let row = (rng(&mut seed) % 4096) as u32;
        let members = model.entry(key).or_default();
        if let Some(p) = members.iter().position(|&r| r == row) {
            members.remove(p);
            band.unlink(key, row);
        } else if model.values().all(|m| !m.contains(&row)) {
            model.get_mut(&key).unwrap().push(row);
            band.push(key, row);
        }
        model.retain(|_, m| !m.is_empty());
        if step % 97 == 0 {
            for k in 0..24u64 {
                for low in 0..3 {
                    let key = k << 40 | low | 0xf0;
                    let mut got = Vec::new();
                    if let Some(b) = band.find(key) {
                        band.members_into(b, &mut got);
                        assert_eq!(b.len as usize, got.len());
                    }
                    got.sort_unstable();
                    let mut want = model.get(&key).cloned().unwrap_or_default();
                    want.sort_unstable();
                    assert_eq!(got, want, "key {key:x} at step {step}");
                }
            }
            assert_eq!(band.used, model.len());
        }
    }
}

#[test]
fn index_matches_a_naive_model() {
    // Tiny bands over a tiny alphabet: many shared buckets, holes, reinserted keys, empty signatures.
    let mut seed = 11;
    let mut idx = LshIndex::new(4, 4, 1).unwrap();
    let mut live: BTreeMap<Key, (u32, Vec<u32>)> = BTreeMap::new();
    let mut next_slot = 0u32;
    for step in 0..3000 {
        let k = rng(&mut seed) % 40;
        let key = if k.is_multiple_of(3) {
            Key::Str(format!("k{k}"))
        } else {
            Key::Int(k as i64 - 5)
        };
        let sig: Vec<u32> = if rng(&mut seed).is_multiple_of(17) {
            vec![u32::MAX; 4]
        } else {
            (0..4).map(|_| (rng(&mut seed) % 5) as u32).collect()
        };
        match rng(&mut seed) % 3 {
            op @ (0 | 1) => {
                let res = if op == 0 {
                    idx.insert(key.clone(), &sig)
                } else {
                    idx.insert_many(vec![key.clone()], &sig)
                };
                if let std::collections::btree_map::Entry::Vacant(e) = live.entry(key) {
                    res.unwrap();
                    e.insert((next_slot, sig.clone()));
                    next_slot += 1;
                } else {
                    assert!(res.is_err());
                }
            }
            _ => {
                assert_eq!(idx.remove(&key).is_ok(), live.remove(&key).is_some());
            }
        }
        assert_eq!(idx.len(), live.len());
        if step % 50 == 0 {
            let want: BTreeSet<u32> = live
                .values()
                .filter(|(_, s)| !is_empty_signature(s) && !is_empty_signature(&sig))
                .filter(|(_, s)| s.iter().zip(&sig).any(|(a, b)| a == b))
                .map(|&(slot, _)| slot)
                .collect();
            let got = idx.query_slots(&sig).unwrap();
            assert_eq!(got, want.iter().copied().collect::<Vec<_>>());
            let many = idx
                .query_many_slots(&[sig.clone(), sig.clone()].concat())
                .unwrap();
            assert_eq!(many.get(1), &got[..]);
            let back = LshIndex::from_bytes(&idx.to_bytes()).unwrap();
            assert_eq!(back.to_bytes(), idx.to_bytes());
            assert_eq!(back.query_slots(&sig).unwrap(), got);
            assert_eq!(back.candidate_pairs(), idx.candidate_pairs());
            for (k, &(slot, _)) in &live {
                assert!(idx.contains(k));
                assert_eq!(idx.key_of(slot).as_ref(), Some(k));
            }
        }
    }
    let mut pairs = Vec::new();
    let items: Vec<_> = live.values().collect();
    for (i, (a, sa)) in items.iter().enumerate() {
        for (b, sb) in &items[i + 1..] {
            if !is_empty_signature(sa)
                && !is_empty_signature(sb)
                && sa.iter().zip(sb).any(|(x, y)| x == y)
            {
                pairs.push((*a.min(b), *a.max(b)));
            }
        }
    }
    pairs.sort_unstable();
    assert_eq!(idx.candidate_pairs(), pairs);
}

#[test]
fn dense_int_keys_need_no_map_and_switch_when_broken() {
    let sigs: Vec<u32> = (0..6 * 8).map(|i| (i % 13) as u32).collect();
    let mut idx = LshIndex::new(8, 4, 2).unwrap();
    idx.insert_many((0..6).map(Key::Int).collect(), &sigs)
        .unwrap();
    assert!(idx.keys_are_slots());
    idx.remove(&Key::Int(2)).unwrap();
    assert!(idx.keys_are_slots() && !idx.contains(&Key::Int(2)) && idx.len() == 5);
    assert!(idx.insert_many(vec![Key::Int(1)], &sigs[..8]).is_err());
    idx.insert(Key::Int(2), &sigs[..8]).unwrap();
    assert!(!idx.keys_are_slots());
    assert_eq!(idx.key_of(6), Some(Key::Int(2)));
    assert_eq!(idx.key_of(2), None);
    assert!(idx.contains(&Key::Int(2)) && idx.contains(&Key::Int(5)) && idx.len() == 6);
    let back = LshIndex::from_bytes(&idx.to_bytes()).unwrap();
    assert!(!back.keys_are_slots());
    assert_eq!(back.key_of(6), Some(Key::Int(2)));
}

#[test]
fn batches_with_empty_signatures_keep_every_band_hash_in_place() {
    let sig = |v: u32| vec![v, v + 1, v + 2, v + 3];
    let empty = vec![u32::MAX; 4];
    assert!(is_empty_signature(&empty));
    let mut idx = LshIndex::new(4, 2, 2).unwrap();
    let batch = [sig(1), empty.clone(), sig(10), empty.clone(), sig(20)].concat();
    idx.insert_many((0..5).map(Key::Int).collect(), &batch)
        .unwrap();
    assert_eq!(idx.len(), 5);
    for (slot, v) in [(0, 1), (2, 10), (4, 20)] {
        assert_eq!(idx.query_slots(&sig(v)).unwrap(), vec![slot]);
        assert_eq!(idx.band_hashes(&sig(v)).unwrap().len(), 2);
    }
    assert!(idx.query_slots(&empty).unwrap().is_empty());
    let c = idx.query_many_slots(&batch).unwrap();
    assert_eq!(c.len(), 5);
    assert_eq!(
        (c.get(0), c.get(1), c.get(2)),
        (&[0][..], &[][..], &[2][..])
    );
    // Rows freed by removal are reused by the next batch.
    idx.remove(&Key::Int(2)).unwrap();
    idx.insert_many(
        vec![Key::Str("x".into()), Key::Int(7)],
        &[sig(30), sig(10)].concat(),
    )
    .unwrap();
    assert_eq!(idx.query_slots(&sig(10)).unwrap(), vec![6]);
    assert_eq!(idx.query_slots(&sig(30)).unwrap(), vec![5]);
    assert_eq!(idx.query_slots(&sig(20)).unwrap(), vec![4]);
    let back = LshIndex::from_bytes(&idx.to_bytes()).unwrap();
    assert_eq!(
        back.query_many_slots(&batch).unwrap(),
        idx.query_many_slots(&batch).unwrap()
    );
}

/// A fixed index: dense int keys, a removed slot, an empty-set signature, then a str key (the map).
fn pinned_index() -> LshIndex {
    let sig = |i: u32| -> Vec<u32> { (0..16).map(|j| (i * 7 + j * 13) % 11).collect() };
    let mut idx = LshIndex::new(16, 4, 4).unwrap();
    let batch: Vec<u32> = (0..5).flat_map(sig).collect();
    idx.insert_many((0..5).map(Key::Int).collect(), &batch)
        .unwrap();
    idx.remove(&Key::Int(2)).unwrap();
    idx.insert(Key::Int(5), &[u32::MAX; 16]).unwrap();
    idx.insert(Key::Str("key".into()), &sig(9)).unwrap();
    idx
}

#[test]
fn band_keys_and_saved_bytes_do_not_change() {
    // Saved indexes hold band keys: a change of the key function or of the format must be deliberate.
    let sig: Vec<u32> = (0..16u32).map(|j| j.wrapping_mul(2_654_435_761)).collect();
    let idx = LshIndex::new(16, 4, 4).unwrap();
    assert_eq!(
        *idx.band_hashes(&sig).unwrap(),
        [
            11_870_550_765_800_801_541,
            4_949_742_677_267_487_862,
            558_322_837_521_353_092,
            17_019_494_968_373_442_799,
        ]
    );
    let bytes = pinned_index().to_bytes();
    assert_eq!(
        (bytes.len(), xxhash_rust::xxh3::xxh3_64(&bytes)),
        (284, 0x8c42_1e3f_8f3f_3cc9)
    );
    assert_eq!(LshIndex::from_bytes(&bytes).unwrap().to_bytes(), bytes);
}

#[test]
fn packed_pairs_sort_and_unpack_as_tuples() {
    let mut seed = 5;
    let mut tuples: Vec<(u32, u32)> = (0..2000)
        .map(|_| {
            let v = rng(&mut seed);
            // Small values repeat (pairs to deduplicate); the extremes check the halves stay apart.
            match v % 3 {
                0 => ((v >> 8) as u32 % 7, (v >> 20) as u32 % 7),
                1 => (u32::MAX - (v >> 8) as u32 % 3, (v >> 20) as u32 % 3),
                _ => ((v >> 8) as u32, (v >> 40) as u32),
            }
        })
        .collect();
    let packed: Vec<u64> = tuples.iter().map(|&(a, b)| pack_pair(a, b)).collect();
    for (&p, &t) in packed.iter().zip(&tuples) {
        assert_eq!(unpack_pair(p), t);
    }
    tuples.sort_unstable();
    tuples.dedup();
    assert_eq!(distinct_pairs(packed), tuples);
}
