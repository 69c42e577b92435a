//! The LSH index: loading arbitrary bytes never panics and anything accepted saves back to the same
//! bytes; an index built by arbitrary inserts/removes survives a save/load round trip with the same
//! candidates, and its queries and candidate pairs equal a brute-force scan over band hashes.
#![no_main]

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use libfuzzer_sys::fuzz_target;
use neardup_core::lsh::{optimal_params, Key, LshIndex};
use neardup_fuzz::{check_optimal_params, Bytes};

/// A live slot of the reference: its number and band hashes (None for an empty-set signature).
type Live = (u32, Option<Box<[u64]>>);

fn same_queries(a: &LshIndex, b: &LshIndex, probes: &[Vec<u32>]) {
    for sig in probes {
        assert_eq!(a.query(sig).unwrap(), b.query(sig).unwrap());
    }
    assert_eq!(a.candidate_pairs(), b.candidate_pairs());
    assert_eq!(a.live_slots(), b.live_slots());
    assert_eq!(a.len(), b.len());
}

fn from_bytes(data: &[u8]) {
    let Ok(idx) = LshIndex::from_bytes(data) else {
        return;
    };
    // The format is canonical: whatever loads saves back byte for byte.
    assert_eq!(idx.to_bytes(), data);
    let sig = vec![7u32; idx.num_perm()];
    let _ = idx.query(&sig).unwrap();
    let _ = idx.candidate_pairs();
}

fn ops(data: &[u8]) {
    let mut p = Bytes::new(data);
    let num_perm = 1 + p.u8() as usize % 32;
    let bands = 1 + p.u8() as usize % num_perm;
    let rows = 1 + p.u8() as usize % (num_perm / bands);
    let mut idx = LshIndex::new(num_perm, bands, rows).unwrap();
    // Reference: live key → (slot, band hashes).
    let mut live: BTreeMap<Key, Live> = BTreeMap::new();
    let mut next_slot = 0u32;
    let mut probes = Vec::new();
    while !p.is_empty() {
        let op = p.u8();
        let key = if op & 0x10 == 0 {
            Key::Int((p.u8() % 16) as i64 - 8)
        } else {
            Key::Str(["", "a", "é", "a\0b"][(p.u8() % 4) as usize].to_string())
        };
        // Values from a tiny alphabet so that bands collide; 0xFF.. makes an empty-set signature.
        let empty = op & 0x20 != 0;
        let sig: Vec<u32> = (0..num_perm)
            .map(|_| if empty { u32::MAX } else { (p.u8() % 3) as u32 })
            .collect();
        match op % 4 {
            0 | 1 => {
                let res = idx.insert(key.clone(), &sig);
                match live.entry(key) {
                    Entry::Occupied(_) => assert!(res.is_err(), "duplicate key accepted"),
                    Entry::Vacant(slot) => {
                        res.unwrap();
                        slot.insert((next_slot, idx.band_hashes(&sig)));
                        next_slot += 1;
                    }
                }
            }
            2 => {
                let res = idx.remove(&key);
                assert_eq!(res.is_ok(), live.remove(&key).is_some());
            }
            _ => {
                // A query against the brute-force scan.
                let want: BTreeSet<u32> = match idx.band_hashes(&sig) {
                    None => BTreeSet::new(),
                    Some(q) => live
                        .values()
                        .filter(|(_, h)| {
                            h.as_ref()
                                .is_some_and(|h| h.iter().zip(q.iter()).any(|(x, y)| x == y))
                        })
                        .map(|(s, _)| *s)
                        .collect(),
                };
                let got = idx.query_slots(&sig).unwrap();
                assert!(got.windows(2).all(|w| w[0] < w[1]));
                assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), want);
                probes.push(sig.clone());
            }
        }
        assert!(idx.query(&sig[1..]).is_err(), "short signature accepted");
    }
    assert_eq!(idx.len(), live.len());
    for k in live.keys() {
        assert!(idx.contains(k));
    }
    // Candidate pairs against the brute force.
    let entries: Vec<(u32, &[u64])> = live
        .values()
        .filter_map(|(s, h)| h.as_deref().map(|h| (*s, h)))
        .collect();
    let mut want = BTreeSet::new();
    for (i, (sa, ha)) in entries.iter().enumerate() {
        for (sb, hb) in &entries[i + 1..] {
            if ha.iter().zip(hb.iter()).any(|(x, y)| x == y) {
                want.insert((*sa.min(sb), *sa.max(sb)));
            }
        }
    }
    let got = idx.candidate_pairs();
    assert!(got.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), want);

    // Save and load.
    let bytes = idx.to_bytes();
    let back = LshIndex::from_bytes(&bytes).expect("a saved index does not load");
    assert_eq!(back.to_bytes(), bytes);
    same_queries(&idx, &back, &probes);
    // Every truncation of a valid index is refused, never a panic.
    for cut in [bytes.len() / 2, bytes.len().saturating_sub(1)] {
        if cut < bytes.len() {
            assert!(LshIndex::from_bytes(&bytes[..cut]).is_err());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 | 1 => from_bytes(rest),
        2 => ops(rest),
        _ => check_optimal_params(rest, |p| p.u16() as usize % 128, optimal_params),
    }
});
