//! Known-answer vectors computed with datasketch 2.0.0 (numpy 2.4): `m = MinHash(num_perm=8,
//! seed=seed, scheme=scheme); m.update_batch(TOKENS)`; `m.permutations`, `m.hashvalues` (in
//! `data/datasketch_minhash.txt`); `datasketch.lsh._optimal_param(threshold, num_perm, *weights)`.

use neardup_core::compat::datasketch::{lsh, ByteDocs, DsMinHasher, Scheme, TokenHash};

const TOKENS: [&str; 3] = ["", "abc", "naïve 東京 🦀"];

/// One known-answer vector: a configuration, the start of its permutations and its signature of
/// `TOKENS`.
struct Vector {
    scheme: String,
    seed: u32,
    a3: Vec<u64>,
    b3: Vec<u64>,
    hashvalues: Vec<u64>,
}

/// The vectors of `data/datasketch_minhash.txt`, as datasketch printed them (a table of numbers, kept
/// out of the code).
fn vectors() -> Vec<Vector> {
    let numbers = |field: &str| -> Vec<u64> {
        field
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect()
    };
    include_str!("data/datasketch_minhash.txt")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('|').collect();
            let (scheme, seed) = fields[0].trim().split_once(' ').unwrap();
            Vector {
                scheme: scheme.to_string(),
                seed: seed.parse().unwrap(),
                a3: numbers(fields[1]),
                b3: numbers(fields[2]),
                hashvalues: numbers(fields[3]),
            }
        })
        .collect()
}

fn signature(h: &DsMinHasher) -> Vec<u64> {
    let tokens = TOKENS.iter().map(|t| t.as_bytes());
    let th = TokenHash::default_for(h.scheme());
    if h.scheme().is_narrow() {
        let mut sig = vec![u32::MAX; h.num_perm()];
        h.fold_tokens(&mut sig, tokens, th).unwrap();
        sig.into_iter().map(u64::from).collect()
    } else {
        let mut sig = vec![h.scheme().max_hash(); h.num_perm()];
        h.fold_tokens(&mut sig, tokens, th).unwrap();
        sig
    }
}

#[test]
fn permutations_and_signatures_match_datasketch() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 6);
    for v in &vectors {
        let h = DsMinHasher::new(Scheme::parse(&v.scheme).unwrap(), v.seed, 8).unwrap();
        let (a, b) = h.permutations();
        assert_eq!(a[..3], v.a3, "{} seed {}", v.scheme, v.seed);
        assert_eq!(b[..3], v.b3, "{} seed {}", v.scheme, v.seed);
        assert_eq!(signature(&h), v.hashvalues, "{} seed {}", v.scheme, v.seed);
    }
}

#[test]
fn bulk_equals_one_at_a_time_and_keeps_empty_documents_empty() {
    let h = DsMinHasher::new(Scheme::Affine32, 1, 8).unwrap();
    let mut docs = ByteDocs::new();
    for t in TOKENS {
        docs.push_token(t.as_bytes());
    }
    docs.end_doc();
    docs.end_doc();
    let init = vec![u32::MAX; 8];
    let out = h.bulk(&docs, &init, TokenHash::Sha1x32).unwrap();
    let want: Vec<u32> = vectors()[0].hashvalues.iter().map(|&v| v as u32).collect();
    assert_eq!(out[..8], want);
    assert_eq!(out[8..], init);
}

#[test]
fn mismatched_slot_types_and_lengths_are_errors() {
    let h = DsMinHasher::new(Scheme::Legacy, 1, 8).unwrap();
    assert!(h.fold_hashes(&mut [0u32; 8], &[1]).is_err());
    assert!(h.fold_hashes(&mut [0u64; 7], &[1]).is_err());
    let n = DsMinHasher::new(Scheme::Affine32, 1, 8).unwrap();
    // A custom hash function returned a value wider than the scheme.
    assert!(n.fold_hashes(&mut [0u32; 8], &[1 << 40]).is_err());
    assert!(DsMinHasher::from_permutations(Scheme::Affine32, &[2], &[0]).is_err());
    assert!(DsMinHasher::from_permutations(Scheme::Affine32, &[1 << 33 | 1], &[0]).is_err());
    assert!(DsMinHasher::new(Scheme::Affine32, 1, 0).is_err());
}

#[test]
fn lsh_params_match_datasketch() {
    let cases = [
        (0.5, 128, (0.5, 0.5), (25, 5)),
        (0.9, 128, (0.5, 0.5), (5, 25)),
        (0.7, 64, (0.3, 0.7), (10, 6)),
        (0.0, 32, (0.5, 0.5), (32, 1)),
        (1.0, 32, (0.5, 0.5), (1, 32)),
    ];
    for (t, k, (fp, fnw), want) in cases {
        assert_eq!(lsh::optimal_params(t, k, fp, fnw).unwrap(), want, "{t} {k}");
    }
}

mod properties {
    use super::*;
    use neardup_core::compat::datasketch::lsh::DsLsh;
    use proptest::prelude::*;

    fn scheme() -> impl Strategy<Value = Scheme> {
        prop_oneof![
            Just(Scheme::Legacy),
            Just(Scheme::Affine32),
            Just(Scheme::Affine64)
        ]
    }

    fn docs() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
        // Token lengths straddle SHA-1's one/two-block boundary (55/56 bytes).
        let token = proptest::collection::vec(any::<u8>(), 0..130);
        proptest::collection::vec(proptest::collection::vec(token, 0..40), 0..40)
    }

    fn one_by_one<L: neardup_core::compat::datasketch::Lane>(
        h: &DsMinHasher,
        docs: &[Vec<Vec<u8>>],
        init: &[L],
    ) -> Vec<L> {
        let th = TokenHash::default_for(h.scheme());
        let mut out = Vec::new();
        for doc in docs {
            let mut sig = init.to_vec();
            h.fold_tokens(&mut sig, doc.iter().map(|t| t.as_slice()), th)
                .unwrap();
            out.extend(sig);
        }
        out
    }

    proptest! {
        #[test]
        fn bulk_equals_folding_each_document(
            docs in docs(), scheme in scheme(), seed in any::<u32>(), num_perm in 1usize..70,
        ) {
            let h = DsMinHasher::new(scheme, seed, num_perm).unwrap();
            let mut packed = ByteDocs::new();
            for doc in &docs {
                for t in doc {
                    packed.push_token(t);
                }
                packed.end_doc();
            }
            let th = TokenHash::default_for(scheme);
            if scheme.is_narrow() {
                let init = vec![u32::MAX; num_perm];
                prop_assert_eq!(h.bulk(&packed, &init, th).unwrap(), one_by_one(&h, &docs, &init));
            } else {
                let init = vec![scheme.max_hash(); num_perm];
                prop_assert_eq!(h.bulk(&packed, &init, th).unwrap(), one_by_one(&h, &docs, &init));
            }
        }

        #[test]
        fn lsh_finds_every_item_until_removed(
            sigs in proptest::collection::vec(proptest::collection::vec(0u64..4, 12), 1..30),
        ) {
            let mut idx = DsLsh::new(12, 4, 3).unwrap();
            let slots: Vec<u32> = sigs.iter().map(|s| idx.insert(s).unwrap()).collect();
            for (s, &slot) in sigs.iter().zip(&slots) {
                prop_assert!(idx.query(s).unwrap().contains(&slot));
            }
            idx.remove(slots[0]).unwrap();
            prop_assert!(!idx.query(&sigs[0]).unwrap().contains(&slots[0]));
            prop_assert_eq!(idx.len(), sigs.len() - 1);
        }
    }
}
