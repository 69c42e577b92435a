//! The shingling code as it was before the fused ASCII path (commit cb8c340), kept verbatim as the
//! oracle of the equivalence tests: stored signatures and catalogs depend on its exact output.

use std::borrow::Cow;

use proptest::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{combine_hashes, for_each_word, is_space, normalize, ShingleConfig, Unit};

/// `ShingleConfig::shingle_hashes` of cb8c340.
pub(crate) fn shingle_hashes(cfg: &ShingleConfig, text: &str) -> Vec<u64> {
    let mut toks = Vec::new();
    let mut out = Vec::new();
    let text = if cfg.normalize {
        normalize(text)
    } else {
        Cow::Borrowed(text)
    };
    match cfg.unit {
        Unit::Word => {
            let seed = cfg.seed;
            for_each_word(&text, |w| toks.push(xxh3_64_with_seed(w.as_bytes(), seed)));
        }
        Unit::Char => {
            let mut buf = [0u8; 4];
            let mut prev_space = true;
            for c in text.chars() {
                let c = if is_space(c) { ' ' } else { c };
                if c == ' ' && prev_space {
                    continue;
                }
                prev_space = c == ' ';
                toks.push(xxh3_64_with_seed(
                    c.encode_utf8(&mut buf).as_bytes(),
                    cfg.seed,
                ));
            }
            if prev_space && !toks.is_empty() {
                toks.pop();
            }
        }
    }
    if toks.is_empty() {
        return out;
    }
    let n = cfg.ngram.min(toks.len());
    for win in toks.windows(n) {
        out.push(combine_hashes(win, cfg.seed));
    }
    out
}

/// Texts that exercise every path: ASCII with and without capitals, separators of every kind,
/// underscores and digits, words longer than xxh3's short-input cases (16, 128, 240 bytes), non-ASCII
/// letters, compatibility forms and spaces, and texts longer than the 4096-byte stack bitmap.
pub(crate) fn text_strategy() -> impl Strategy<Value = String> {
    let ascii = prop_oneof![
        4 => "[a-zA-Z]{1,12}",
        2 => "[ ,.;:!?()\\-]{1,3}",
        1 => "[0-9_]{1,4}",
        1 => "[\\t\\n\\r\\x0b\\x0c\\x1c-\\x1f ]{1,3}",
        1 => "[a-zA-Z0-9_]{13,300}",
        1 => "[\\x00-\\x7f]{1,8}",
    ];
    let piece = prop_oneof![
        6 => ascii.clone(),
        1 => "[éÉßİﬁ½２Ａ\\u{00a0}\\u{2003}\\u{3000}—ǅ]{1,3}",
        1 => "\\PC{1,6}",
        1 => any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        6 => proptest::collection::vec(piece.clone(), 0..40).prop_map(|v| v.concat()),
        3 => proptest::collection::vec(ascii.clone(), 0..80).prop_map(|v| v.concat()),
        1 => proptest::collection::vec(ascii, 700..1400).prop_map(|v| v.concat()),
        1 => proptest::collection::vec(piece, 700..1400).prop_map(|v| v.concat()),
    ]
}

/// Word and char units, normalisation on and off, n-grams of 1 to 5, any seed.
pub(crate) fn config_strategy() -> impl Strategy<Value = ShingleConfig> {
    (1usize..=5, any::<bool>(), any::<bool>(), any::<u64>()).prop_map(
        |(ngram, word, normalize, seed)| {
            let unit = if word { Unit::Word } else { Unit::Char };
            ShingleConfig::new(ngram, unit, normalize, seed).unwrap()
        },
    )
}
