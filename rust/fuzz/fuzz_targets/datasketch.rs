//! The datasketch-compatible scheme against a straightforward reference (SHA-1 from the `sha1` crate,
//! murmur3 finalisers and the permutations written out per datasketch's formulas) on small inputs: the
//! token hashes (SIMD batches included), `fold_tokens`, `fold_hashes` and `bulk` for every scheme and
//! lane width; the permutations drawn by `DsMinHasher::new` respect each scheme's ranges; `DsLsh` gives
//! exactly the candidates of a brute-force scan; `optimal_params` never panics.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use libfuzzer_sys::fuzz_target;
use neardup_core::compat::datasketch::lsh::{optimal_params, DsLsh};
use neardup_core::compat::datasketch::{
    sha1_hash32, sha1_hash64, ByteDocs, DsMinHasher, Scheme, TokenHash, MERSENNE_61,
};
use neardup_fuzz::{check_optimal_params, ds_permute, sha1_prefix, Bytes};

const SCHEMES: [Scheme; 3] = [Scheme::Legacy, Scheme::Affine32, Scheme::Affine64];

/// Documents: the rest of the input split at 0xFF (documents) and 0xFE (tokens); a token byte 0xFD
/// stands for a 70-byte run (tokens of two SHA-1 blocks or more take another path).
fn documents(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
    bytes
        .split(|&b| b == 0xFF)
        .take(24)
        .map(|doc| {
            doc.split(|&b| b == 0xFE)
                .map(|t| {
                    t.iter()
                        .flat_map(|&b| if b == 0xFD { vec![b'x'; 70] } else { vec![b] })
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn minhash(data: &[u8]) {
    let mut p = Bytes::new(data);
    let flags = p.u8();
    let scheme = SCHEMES[(flags % 3) as usize];
    let sid = flags % 3;
    let wide_tokens = flags & 4 != 0;
    let th = if wide_tokens {
        TokenHash::Sha1x64
    } else {
        TokenHash::Sha1x32
    };
    let num_perm = 1 + p.u8() as usize % 24;
    let drawn = flags & 8 != 0;
    let h = if drawn {
        let seed = p.u16() as u32 | ((p.u16() as u32) << 16);
        let h = DsMinHasher::new(scheme, seed, num_perm).unwrap();
        let (a, b) = h.permutations();
        for (&a, &b) in a.iter().zip(&b) {
            match scheme {
                Scheme::Legacy => assert!((1..MERSENNE_61).contains(&a) && b < MERSENNE_61),
                Scheme::Affine32 => {
                    assert!(a % 2 == 1 && a <= u32::MAX as u64 && b <= u32::MAX as u64)
                }
                Scheme::Affine64 => assert!(a % 2 == 1),
            }
        }
        h
    } else {
        let mut a: Vec<u64> = (0..num_perm).map(|_| p.u64()).collect();
        let mut b: Vec<u64> = (0..num_perm).map(|_| p.u64()).collect();
        if scheme == Scheme::Affine32 {
            a.iter_mut().for_each(|v| *v &= 0xFFFF_FFFF);
            b.iter_mut().for_each(|v| *v &= 0xFFFF_FFFF);
        }
        if scheme != Scheme::Legacy {
            if flags & 16 != 0 {
                a[0] &= !1;
                assert!(DsMinHasher::from_permutations(scheme, &a, &b).is_err());
            }
            a.iter_mut().for_each(|v| *v |= 1);
        }
        DsMinHasher::from_permutations(scheme, &a, &b).unwrap()
    };
    assert_eq!(h.num_perm(), num_perm);
    let (pa, pb) = h.permutations();
    let docs = documents(p.rest());

    // Token hashes: single and batched against the reference.
    let all_tokens: Vec<&[u8]> = docs.iter().flatten().map(|t| t.as_slice()).collect();
    let mut batched = Vec::new();
    th.hash_into(all_tokens.iter().copied(), &mut batched);
    for (t, &got) in all_tokens.iter().zip(&batched) {
        let want = sha1_prefix(t, wide_tokens);
        assert_eq!(got, want, "batched token hash of {t:?}");
        assert_eq!(th.hash(t), want);
        assert_eq!(sha1_hash32(t) as u64, sha1_prefix(t, false));
        assert_eq!(sha1_hash64(t), sha1_prefix(t, true));
    }

    // Reference signatures.
    let max = scheme.max_hash();
    let init: Vec<u64> = (0..num_perm)
        .map(|i| {
            if flags & 32 != 0 {
                max - (i as u64 % 3)
            } else {
                max
            }
        })
        .collect();
    let reference = |doc: &Vec<Vec<u8>>| -> Option<Vec<u64>> {
        let mut sig = init.clone();
        for t in doc {
            let hv = sha1_prefix(t, wide_tokens);
            if scheme == Scheme::Affine32 && hv > u32::MAX as u64 {
                return None; // refused: a 64-bit token hash under a 32-bit scheme
            }
            for i in 0..num_perm {
                sig[i] = sig[i].min(ds_permute(sid, pa[i], pb[i], hv));
            }
        }
        Some(sig)
    };

    let mut packed = ByteDocs::new();
    for doc in &docs {
        for t in doc {
            packed.push_token(t);
        }
        packed.end_doc();
    }
    assert_eq!(packed.len(), docs.len());
    let want: Vec<Option<Vec<u64>>> = docs.iter().map(reference).collect();
    let refused = want.iter().any(Option::is_none);
    if scheme.is_narrow() {
        let init32: Vec<u32> = init.iter().map(|&v| v as u32).collect();
        assert!(
            h.bulk::<u64>(&packed, &init, th).is_err(),
            "wrong lane accepted"
        );
        match h.bulk::<u32>(&packed, &init32, th) {
            Ok(sigs) => {
                assert!(!refused);
                for (row, w) in sigs.chunks(num_perm.max(1)).zip(&want) {
                    let row: Vec<u64> = row.iter().map(|&v| v as u64).collect();
                    assert_eq!(Some(row), *w);
                }
            }
            Err(_) => assert!(refused),
        }
        for (doc, w) in docs.iter().zip(&want) {
            let mut sig = init32.clone();
            let res = h.fold_tokens(&mut sig, doc.iter().map(|t| t.as_slice()), th);
            assert_eq!(res.is_ok(), w.is_some());
            if let Some(w) = w {
                assert_eq!(sig.iter().map(|&v| v as u64).collect::<Vec<_>>(), *w);
            }
        }
    } else {
        assert!(
            h.bulk::<u32>(&packed, &vec![0; num_perm], th).is_err(),
            "wrong lane accepted"
        );
        let sigs = h.bulk::<u64>(&packed, &init, th).unwrap();
        assert_eq!(sigs.len(), docs.len() * num_perm);
        for (row, w) in sigs.chunks(num_perm).zip(&want) {
            assert_eq!(Some(row.to_vec()), *w);
        }
        for (doc, w) in docs.iter().zip(&want) {
            let mut sig = init.clone();
            let hashes: Vec<u64> = doc.iter().map(|t| sha1_prefix(t, wide_tokens)).collect();
            h.fold_hashes(&mut sig, &hashes).unwrap();
            assert_eq!(Some(sig), *w);
        }
    }
    // A signature of the wrong length is refused.
    assert!(h.bulk::<u64>(&packed, &vec![0; num_perm + 1], th).is_err());
}

fn lsh(data: &[u8]) {
    let mut p = Bytes::new(data);
    let num_perm = 1 + p.u8() as usize % 16;
    let bands = 1 + p.u8() as usize % num_perm;
    let rows = 1 + p.u8() as usize % (num_perm / bands);
    let mut idx = DsLsh::new(num_perm, bands, rows).unwrap();
    let width = bands * rows;
    let mut live: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    while !p.is_empty() {
        let op = p.u8();
        let sig: Vec<u64> = (0..num_perm).map(|_| (p.u8() % 3) as u64).collect();
        match op % 3 {
            0 => {
                let slot = idx.insert(&sig).unwrap();
                assert!(
                    live.insert(slot, sig[..width].to_vec()).is_none(),
                    "live slot reused"
                );
            }
            1 => {
                let slot = if live.is_empty() {
                    op as u32
                } else {
                    *live.keys().nth(op as usize % live.len()).unwrap()
                };
                assert_eq!(idx.remove(slot).is_ok(), live.remove(&slot).is_some());
            }
            _ => {
                let want: Vec<u32> = live
                    .iter()
                    .filter(|(_, v)| {
                        (0..bands)
                            .any(|b| v[b * rows..(b + 1) * rows] == sig[b * rows..(b + 1) * rows])
                    })
                    .map(|(s, _)| *s)
                    .collect();
                assert_eq!(idx.query(&sig).unwrap(), want);
            }
        }
        assert!(idx.query(&sig[1..]).is_err());
    }
    assert_eq!(idx.len(), live.len());
    assert_eq!(
        idx.slots().collect::<Vec<_>>(),
        live.keys().copied().collect::<Vec<_>>()
    );
    for (s, v) in &live {
        assert_eq!(idx.band_values(*s), Some(v.as_slice()));
    }
    for b in 0..bands {
        let mut want: BTreeMap<Vec<u64>, BTreeSet<u32>> = BTreeMap::new();
        for (s, v) in &live {
            want.entry(v[b * rows..(b + 1) * rows].to_vec())
                .or_default()
                .insert(*s);
        }
        let got: BTreeMap<Vec<u64>, BTreeSet<u32>> = idx
            .buckets(b)
            .into_iter()
            .map(|(k, s)| (k, s.into_iter().collect()))
            .collect();
        assert_eq!(got, want, "buckets of band {b}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 8 {
        0..=4 => minhash(rest),
        5 | 6 => lsh(rest),
        _ => check_optimal_params(rest, |p| p.u8() as usize, optimal_params),
    }
});
