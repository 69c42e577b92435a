//! Near matching on arbitrary short strings: no panic; scores in [0, 1], at least the threshold, equal
//! to a reference weighted Jaccard; cross matching is symmetric (swapping the sides swaps the pairs and
//! keeps the scores bit for bit); self matching does not depend on the order of the texts; identical
//! texts with features always match with score 1; the one-to-one assignment is a matching.
#![no_main]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use libfuzzer_sys::fuzz_target;
use neardup_core::engine::near::{assign_one_to_one, cross_pairs, features, self_pairs, sort_pairs, Pair};

/// Weighted Jaccard from the documented definition: idf weights `ln((N+1)/(df+0.5))` over `all`.
fn reference_score(all: &[&str], a: &str, b: &str) -> f64 {
    let sets: Vec<Vec<u64>> = all.iter().map(|t| features(t)).collect();
    let mut df: HashMap<u64, usize> = HashMap::new();
    for s in &sets {
        for f in s {
            *df.entry(*f).or_default() += 1;
        }
    }
    let n1 = (all.len() + 1) as f64;
    let w = |f: &u64| (n1 / (df[f] as f64 + 0.5)).ln();
    let (fa, fb): (BTreeSet<u64>, BTreeSet<u64>) = (
        features(a).into_iter().collect(),
        features(b).into_iter().collect(),
    );
    let inter: f64 = fa.intersection(&fb).map(w).sum();
    let union: f64 = fa.union(&fb).map(w).sum();
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

fn check_sorted(pairs: &[Pair]) {
    let mut sorted = pairs.to_vec();
    sort_pairs(&mut sorted);
    assert_eq!(
        sorted
            .iter()
            .map(|p| (p.0, p.1, p.2.to_bits()))
            .collect::<Vec<_>>(),
        pairs
            .iter()
            .map(|p| (p.0, p.1, p.2.to_bits()))
            .collect::<Vec<_>>()
    );
}

fn check_matching(pairs: &[Pair]) {
    let m = assign_one_to_one(pairs);
    let (l, r): (BTreeSet<u32>, BTreeSet<u32>) = (
        m.iter().map(|p| p.0).collect(),
        m.iter().map(|p| p.1).collect(),
    );
    assert_eq!(l.len(), m.len());
    assert_eq!(r.len(), m.len());
    // Maximal: every pair left out shares a side with a kept pair.
    for p in pairs {
        assert!(l.contains(&p.0) || r.contains(&p.1));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&t, rest)) = data.split_first() else {
        return;
    };
    let threshold = (1 + t as usize % 100) as f64 / 100.0;
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.split('\n');
    let left: Vec<&str> = parts.by_ref().take_while(|s| *s != "|").take(8).collect();
    let right: Vec<&str> = parts.take(8).collect();
    let all: Vec<&str> = left.iter().chain(&right).copied().collect();

    let cross = cross_pairs(&left, &right, threshold).unwrap();
    check_sorted(&cross);
    check_matching(&cross);
    let mut seen = BTreeSet::new();
    for &(a, b, s) in &cross {
        assert!((a as usize) < left.len() && (b as usize) < right.len());
        assert!(seen.insert((a, b)), "pair reported twice");
        assert!((0.0..=1.0).contains(&s) && s >= threshold, "score {s}");
        let want = reference_score(&all, left[a as usize], right[b as usize]);
        assert!((s - want).abs() <= 1e-9, "score {s} vs reference {want}");
    }
    let swapped = cross_pairs(&right, &left, threshold).unwrap();
    let a: BTreeMap<(u32, u32), u64> = cross.iter().map(|p| ((p.0, p.1), p.2.to_bits())).collect();
    let b: BTreeMap<(u32, u32), u64> = swapped
        .iter()
        .map(|p| ((p.1, p.0), p.2.to_bits()))
        .collect();
    assert_eq!(a, b, "cross matching is not symmetric");

    let own = self_pairs(&all, threshold).unwrap();
    check_sorted(&own);
    for &(a, b, s) in &own {
        assert!(a < b && (b as usize) < all.len());
        assert!((0.0..=1.0).contains(&s) && s >= threshold);
        let want = reference_score(&all, all[a as usize], all[b as usize]);
        assert!((s - want).abs() <= 1e-9, "score {s} vs reference {want}");
    }
    // Identical texts with at least one feature always meet, with score exactly 1.
    let found: BTreeMap<(u32, u32), f64> = own.iter().map(|p| ((p.0, p.1), p.2)).collect();
    for i in 0..all.len() {
        for j in i + 1..all.len() {
            if all[i] == all[j] && !features(all[i]).is_empty() {
                assert_eq!(found.get(&(i as u32, j as u32)), Some(&1.0), "{:?}", all[i]);
            }
        }
    }
    // Reversing the collection maps the pairs and keeps the scores.
    let rev: Vec<&str> = all.iter().rev().copied().collect();
    let n = (all.len() as u32).saturating_sub(1);
    let back: BTreeMap<(u32, u32), u64> = self_pairs(&rev, threshold)
        .unwrap()
        .iter()
        .map(|p| ((n - p.1, n - p.0), p.2.to_bits()))
        .collect();
    let fwd: BTreeMap<(u32, u32), u64> = own.iter().map(|p| ((p.0, p.1), p.2.to_bits())).collect();
    assert_eq!(fwd, back, "self matching depends on the order of the texts");
});
