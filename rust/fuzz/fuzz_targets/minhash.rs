//! MinHash signatures of arbitrary texts and arbitrary shingle-hash sets: no panic, J(a,a) = 1, a
//! signature depends on the set only (not on order or repeats), batches equal single calls.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neardup_core::minhash::{is_empty_signature, jaccard, MinHasher, Scheme, EMPTY};
use neardup_core::text::shingle::{ShingleConfig, Unit};
use neardup_fuzz::Bytes;

fuzz_target!(|data: &[u8]| {
    let mut p = Bytes::new(data);
    let flags = p.u8();
    let scheme = if flags & 1 == 0 {
        Scheme::Oph
    } else {
        Scheme::KPerm
    };
    // Many bins and few shingles exercise densification, including its fallback scan (O(k²) for one
    // shingle in k bins, so large k only now and then).
    let span = if flags & 0x70 == 0x70 { 1024 } else { 96 };
    let num_perm = 1 + (p.u16() as usize % span);
    let unit = if flags & 2 == 0 {
        Unit::Word
    } else {
        Unit::Char
    };
    let cfg = ShingleConfig::new(
        1 + (p.u8() as usize % 5),
        unit,
        flags & 4 == 0,
        p.u8() as u64,
    )
    .unwrap();
    let mh = MinHasher::new(num_perm, cfg, scheme).unwrap();

    if flags & 8 != 0 {
        // Raw shingle hashes.
        let n = p.u8() as usize % 64;
        let hashes: Vec<u64> = (0..n).map(|_| p.u64()).collect();
        let mut sig = vec![0; num_perm];
        mh.signature_of_hashes(&hashes, &mut sig);
        if hashes.is_empty() {
            assert!(sig.iter().all(|&v| v == EMPTY));
        }
        // Set semantics: reversed, with every hash twice.
        let mut shuffled: Vec<u64> = hashes.iter().rev().copied().collect();
        shuffled.extend_from_slice(&hashes);
        let mut again = vec![0; num_perm];
        mh.signature_of_hashes(&shuffled, &mut again);
        assert_eq!(sig, again);
        // Each slot holds the value of some member under the scheme's slot hash: never below every one
        // of them for OPH (values are the hashes' low 32 bits).
        if scheme == Scheme::Oph && !hashes.is_empty() {
            let lows: Vec<u32> = hashes.iter().map(|&h| h as u32).collect();
            assert!(sig.iter().all(|v| lows.contains(v)));
        }
        return;
    }

    let text = String::from_utf8_lossy(p.rest());
    let texts: Vec<&str> = text.split('\u{1}').collect();
    let batch = mh.signatures(&texts);
    assert_eq!(batch.len(), texts.len() * num_perm);
    for (t, row) in texts.iter().zip(batch.chunks(num_perm)) {
        let sig = mh.signature(t);
        assert_eq!(sig, row, "batch and single signature differ for {t:?}");
        let empty = cfg.shingle_set(t).is_empty();
        assert_eq!(is_empty_signature(&sig), empty, "{t:?}");
        let j = jaccard(&sig, &sig).unwrap();
        assert_eq!(j, if empty { 0.0 } else { 1.0 });
    }
    for pair in batch.chunks(num_perm).collect::<Vec<_>>().windows(2) {
        let (ab, ba) = (
            jaccard(pair[0], pair[1]).unwrap(),
            jaccard(pair[1], pair[0]).unwrap(),
        );
        assert_eq!(ab.to_bits(), ba.to_bits());
        assert!((0.0..=1.0).contains(&ab));
    }
    assert!(jaccard(&batch[..num_perm.min(batch.len())], &[1, 2]).is_err() || num_perm == 2);

    // Caller tokens: the same as hashing the shingles of those tokens.
    let toks: Vec<Vec<&str>> = texts.iter().map(|t| t.split(' ').collect()).collect();
    let from_tokens = mh.signatures_from_tokens(&toks);
    for (tok, row) in toks.iter().zip(from_tokens.chunks(num_perm)) {
        let mut hashes = Vec::new();
        cfg.shingle_hashes_from_tokens(tok, &mut hashes);
        let mut want = vec![0; num_perm];
        mh.signature_of_hashes(&hashes, &mut want);
        assert_eq!(want, row);
    }
});
