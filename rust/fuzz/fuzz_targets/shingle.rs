//! Tokenising and shingling arbitrary text: no panic, and the fast paths (SSE2 word bitmap, borrowed
//! normalisation) agree with a plain code-point-by-code-point reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neardup_core::text::shingle::{
    for_each_word, jaccard_sorted, normalize, shingle_jaccard, words, ShingleConfig, Unit,
};
use neardup_fuzz::{char_tokens, words as ref_words, Bytes};

fuzz_target!(|data: &[u8]| {
    let mut p = Bytes::new(data);
    let flags = p.u8();
    let ngram = 1 + (p.u8() as usize % 8);
    let seed = p.u8() as u64;
    let unit = if flags & 1 == 0 {
        Unit::Word
    } else {
        Unit::Char
    };
    // Long texts take the heap-allocated bitmap path of the word splitter (> 4096 bytes). They are slow
    // to check (NFKC under coverage instrumentation above all), so only one input in eight is stretched,
    // and those skip normalisation and the Jaccard checks.
    let long = flags & 0x1C == 0x1C;
    let cfg = ShingleConfig::new(ngram, unit, flags & 2 == 0 && !long, seed).unwrap();
    let mut text = String::from_utf8_lossy(p.rest()).into_owned();
    if long && !text.is_empty() {
        let times = 4096 / text.len() + 2;
        text = text.repeat(times);
    }
    let text = text.as_str();

    // Words: both internal paths against the reference.
    let got = words(text);
    assert_eq!(got, ref_words(text), "words of {text:?}");
    let mut streamed = Vec::new();
    for_each_word(text, |w| streamed.push(w));
    assert_eq!(streamed, got);

    // Shingle hashes = the caller-tokens path over the reference tokens of the normalised text.
    let base = if cfg.normalize {
        // Normalisation: ASCII is a plain lower-casing; NFKC+lower-case never panics.
        let norm = normalize(text);
        if text.is_ascii() {
            assert_eq!(norm, text.to_ascii_lowercase());
        }
        norm.into_owned()
    } else {
        text.to_owned()
    };
    let toks: Vec<String> = match unit {
        Unit::Word => ref_words(&base).into_iter().map(String::from).collect(),
        Unit::Char => char_tokens(&base),
    };
    let mut got = Vec::new();
    cfg.shingle_hashes(text, &mut got);
    let mut want = Vec::new();
    cfg.shingle_hashes_from_tokens(&toks, &mut want);
    assert_eq!(got, want, "shingles of {text:?}");
    let expected_len = match toks.len() {
        0 => 0,
        t if t < ngram => 1,
        t => t - ngram + 1,
    };
    assert_eq!(got.len(), expected_len);
    if long {
        return;
    }

    // Sets, and Jaccard on them.
    let set = cfg.shingle_set(text);
    assert!(set.windows(2).all(|w| w[0] < w[1]));
    let j = jaccard_sorted(&set, &set);
    assert_eq!(j, if set.is_empty() { 0.0 } else { 1.0 });
    let half = &text[..text.floor_char_boundary(text.len() / 2)];
    let (ab, ba) = (
        shingle_jaccard(&cfg, text, half),
        shingle_jaccard(&cfg, half, text),
    );
    assert_eq!(ab.to_bits(), ba.to_bits());
    assert!((0.0..=1.0).contains(&ab));
});
