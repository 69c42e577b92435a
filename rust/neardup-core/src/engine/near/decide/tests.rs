//! The decision rule's properties: batch independence, symmetry, order and thread independence, the
//! margin and mutual best, neutral missing fields, authors that weigh without veto, generic titles.

use proptest::prelude::*;

use super::*;

/// A pseudo-random word of a vocabulary: `prefix` keeps vocabularies of different tests disjoint.
fn word(prefix: &str, i: u64) -> String {
    let syll = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su"];
    let mut w = prefix.to_owned();
    let mut x = i + 1;
    while x > 0 {
        w.push_str(syll[(x % 10) as usize]);
        x /= 10;
    }
    w
}

/// A generated paper: a title of 6 words, an abstract of 80, two or three authors.
fn paper(prefix: &str, seed: u64) -> NearEntry<String> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xDEAD_BEEF;
    let mut next = |n: u64| {
        state = crate::minhash::splitmix64(&mut state);
        state % n
    };
    let words = |k: usize, next: &mut dyn FnMut(u64) -> u64| {
        (0..k)
            .map(|_| word(prefix, next(3000)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let title = words(6, &mut next);
    let abstract_text = words(80, &mut next);
    let authors = (0..2 + next(2))
        .map(|_| format!("{} {}", word("g", next(50)), word("s", next(400))))
        .collect();
    NearEntry {
        title,
        abstract_text,
        authors,
        categories: vec!["cs.LG".to_owned()],
        year: None,
    }
}

/// A revision: a sixth of the abstract's words replaced, authors reversed, title kept.
fn revise(p: &NearEntry<String>, seed: u64) -> NearEntry<String> {
    let words: Vec<String> = p
        .abstract_text
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            if (i as u64 + seed).is_multiple_of(6) {
                word("rev", i as u64 * 7 + seed)
            } else {
                w.to_owned()
            }
        })
        .collect();
    NearEntry {
        abstract_text: words.join(" "),
        authors: p.authors.iter().rev().cloned().collect(),
        ..p.clone()
    }
}

fn pairs(m: &[NearMatch]) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = m.iter().map(|m| (m.left, m.right)).collect();
    v.sort_unstable();
    v
}

fn run(l: &[NearEntry<String>], r: &[NearEntry<String>]) -> Vec<NearMatch> {
    match_entries(l, r, &NearParams::default()).unwrap()
}

/// Left: `n` papers; right: revisions of the even ones (in reverse order) and as many new papers.
fn batch(n: u64, seed: u64) -> (Vec<NearEntry<String>>, Vec<NearEntry<String>>) {
    let left: Vec<_> = (0..n).map(|i| paper("w", seed * 1000 + i)).collect();
    let mut right: Vec<_> = (0..n)
        .rev()
        .filter(|i| i % 2 == 0)
        .map(|i| revise(&left[i as usize], seed + i))
        .collect();
    right.extend((0..n / 2).map(|i| paper("w", seed * 1000 + 500 + i)));
    (left, right)
}

#[test]
fn revisions_are_found_and_different_papers_are_not() {
    let (left, right) = batch(12, 1);
    let got = pairs(&run(&left, &right));
    let want: Vec<(u32, u32)> = (0..12u32)
        .filter(|i| i % 2 == 0)
        .map(|i| (i, (10 - i) / 2))
        .collect();
    assert_eq!(got, want);
}

/// Mutual best and the margin, on hand-made scores: left 0's best (right 0) beats its runner-up
/// (right 1) by less than the margin, and right 1's best is left 0, not left 1.
#[test]
fn a_pair_needs_a_margin_on_both_sides_and_mutual_best() {
    let ev = Evidence {
        title_sim: None,
        generic_title: false,
        title_words: 0,
        title_contained: false,
        abstract_sim: None,
        authors_sim: None,
        categories_shared: None,
        year_diff: None,
    };
    let m = |left, right, score| NearMatch {
        left,
        right,
        score,
        evidence: ev,
    };
    let p = NearParams {
        min_score: 3.0,
        margin: 1.0,
        candidate_threshold: 0.04,
    };
    let scored = [m(0, 0, 10.0), m(0, 1, 9.5), m(1, 1, 5.0)];
    assert_eq!(decide(&scored, 2, 2, &p), vec![]);
    // Without the close runner-up, left 0 takes right 0 and right 1 is left 1's alone.
    let scored = [m(0, 0, 10.0), m(0, 1, 8.5), m(1, 1, 5.0)];
    assert_eq!(pairs(&decide(&scored, 2, 2, &p)), vec![(0, 0)]);
    let scored = [m(0, 0, 10.0), m(1, 1, 5.0), m(1, 0, 2.0)];
    assert_eq!(pairs(&decide(&scored, 2, 2, &p)), vec![(0, 0), (1, 1)]);
    // The least score.
    let scored = [m(0, 0, 2.9)];
    assert_eq!(decide(&scored, 1, 1, &p), vec![]);
}

/// Two revisions of one paper on the right, each as close to it: the left paper has no clear
/// partner, so nothing pairs.
#[test]
fn a_near_twin_on_one_side_blocks_the_pair() {
    let p = paper("w", 77);
    let (r, twin) = (revise(&p, 3), revise(&p, 4));
    let one = std::slice::from_ref(&p);
    assert_eq!(pairs(&run(one, std::slice::from_ref(&r))), vec![(0, 0)]);
    let both = scored_candidates(one, &[r.clone(), twin.clone()], &NearParams::default()).unwrap();
    assert_eq!(both.len(), 2, "both are candidates");
    assert!((both[0].score - both[1].score).abs() < NearParams::default().margin);
    assert_eq!(run(one, &[r, twin]), vec![]);
}

#[test]
fn missing_fields_are_neutral_and_authors_do_not_veto() {
    let p = paper("w", 5);
    let r = revise(&p, 2);
    let with = scored_candidates(
        std::slice::from_ref(&p),
        std::slice::from_ref(&r),
        &NearParams::default(),
    )
    .unwrap();
    let bare = |e: &NearEntry<String>| NearEntry {
        authors: vec![],
        categories: vec![],
        ..e.clone()
    };
    let without = scored_candidates(
        &[bare(&p)],
        std::slice::from_ref(&r),
        &NearParams::default(),
    )
    .unwrap();
    let (a, b) = (with[0], without[0]);
    assert_eq!(b.evidence.authors_sim, None);
    assert_eq!(b.evidence.categories_shared, None);
    let authors = curve(AUTHORS_LLR, a.evidence.authors_sim.unwrap());
    assert!((a.score - b.score - authors - CATEGORY_SHARED_LLR).abs() < 1e-9);
    // Other authors entirely: the same title and a close abstract still make one paper.
    let other = NearEntry {
        authors: vec!["Zed Other".to_owned()],
        ..r
    };
    assert_eq!(pairs(&run(&[p], &[other])), vec![(0, 0)]);
}

#[test]
fn generic_titles_alone_are_not_identity() {
    let e = |t: &str, a: &str| NearEntry {
        title: t.to_owned(),
        abstract_text: String::new(),
        authors: vec![a.to_owned()],
        categories: vec![],
        year: None,
    };
    // Same "Guest editorial", different editors: not one paper.
    let l = [e("Guest editorial", "Ann Smith")];
    let r = [e("Guest Editorial", "Bo Chen")];
    assert_eq!(run(&l, &r), vec![]);
    // A specific title of as few words pairs.
    let l = [e("Petabyte tape archives at CERN", "Ann Smith")];
    let r = [e("Petabyte tape archives at CERN", "A. Smith")];
    assert_eq!(pairs(&run(&l, &r)), vec![(0, 0)]);
}

#[test]
fn the_result_does_not_depend_on_threads() {
    let (left, right) = batch(40, 9);
    let on = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
            .install(|| run(&left, &right))
    };
    let one = on(1);
    assert!(!one.is_empty());
    assert_eq!(one, on(3));
}

#[test]
fn bad_parameters_are_errors() {
    let (l, r) = batch(2, 1);
    for p in [
        NearParams {
            margin: 0.0,
            ..NearParams::default()
        },
        NearParams {
            min_score: f64::NAN,
            ..NearParams::default()
        },
        NearParams {
            candidate_threshold: 0.0,
            ..NearParams::default()
        },
    ] {
        assert!(match_entries(&l, &r, &p).is_err(), "{p:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Entries of other papers (another vocabulary) added anywhere change no accepted pair or score.
    #[test]
    fn unrelated_entries_change_no_accepted_pair(seed in 0u64..1000, extra in 1usize..30, at in 0usize..100) {
        let (left, right) = batch(10, seed);
        let base = run(&left, &right);
        let others: Vec<_> = (0..extra as u64).map(|i| paper("x", seed * 100 + i)).collect();
        let (cut_l, cut_r) = (at % (left.len() + 1), at % (right.len() + 1));
        let mut l2 = left[..cut_l].to_vec();
        l2.extend(others.iter().cloned());
        l2.extend(left[cut_l..].iter().cloned());
        let mut r2 = right[..cut_r].to_vec();
        r2.extend(others.iter().map(|o| revise(o, 1)));
        r2.extend(right[cut_r..].iter().cloned());
        let back = |i: u32, cut: usize| if (i as usize) < cut { Some(i) } else if (i as usize) < cut + extra { None } else { Some(i - extra as u32) };
        let mut got: Vec<(u32, u32, f64)> = run(&l2, &r2)
            .iter()
            .filter_map(|m| Some((back(m.left, cut_l)?, back(m.right, cut_r)?, m.score)))
            .collect();
        got.sort_by_key(|a| a.0);
        let mut want: Vec<(u32, u32, f64)> = base.iter().map(|m| (m.left, m.right, m.score)).collect();
        want.sort_by_key(|a| a.0);
        prop_assert_eq!(got, want);
    }

    /// Swapping the sides, or reversing either side's order, gives the same pairs and scores.
    #[test]
    fn sides_and_orders_do_not_matter(seed in 0u64..1000, n in 2u64..16) {
        let (left, right) = batch(n, seed);
        let mut base: Vec<(u32, u32, f64)> = run(&left, &right).iter().map(|m| (m.left, m.right, m.score)).collect();
        base.sort_by_key(|a| a.0);
        let mut swapped: Vec<(u32, u32, f64)> = run(&right, &left).iter().map(|m| (m.right, m.left, m.score)).collect();
        swapped.sort_by_key(|a| a.0);
        prop_assert_eq!(&swapped, &base);
        let (rl, rr): (Vec<_>, Vec<_>) = (left.iter().rev().cloned().collect(), right.iter().rev().cloned().collect());
        let (nl, nr) = (left.len() as u32 - 1, right.len() as u32 - 1);
        let mut reversed: Vec<(u32, u32, f64)> = run(&rl, &rr).iter().map(|m| (nl - m.left, nr - m.right, m.score)).collect();
        reversed.sort_by_key(|a| a.0);
        prop_assert_eq!(&reversed, &base);
    }
}
