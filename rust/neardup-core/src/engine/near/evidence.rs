//! Similarities of two entries' titles and abstracts that depend on the two entries alone.
//!
//! The candidate stage weighs words by their document frequency in the batch, which makes a pair's
//! score move when other texts join the batch. The decision reads these instead: each text is reduced
//! to its *content words* — words folded to lower case without accents, minus a fixed list of English
//! function words and of the stock vocabulary of abstracts ("we propose a novel method…"). The fixed
//! list plays the part of an IDF table learnt once (weight 0 for the listed words, 1 for all others),
//! so two abstracts that share only "In this report, we present…" share nothing here.

use std::collections::HashSet;
use std::sync::OnceLock;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::text::shingle::{for_each_word, for_each_word_hash, normalize, ShingleScratch};

/// Words carrying no identity: English function words and the stock phrases of abstracts.
const STOP: &[&str] = &[
    "a",
    "about",
    "above",
    "across",
    "after",
    "again",
    "against",
    "all",
    "also",
    "among",
    "an",
    "and",
    "another",
    "any",
    "approach",
    "approaches",
    "are",
    "as",
    "at",
    "based",
    "be",
    "because",
    "been",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "data",
    "demonstrate",
    "demonstrates",
    "different",
    "do",
    "does",
    "each",
    "effective",
    "either",
    "existing",
    "experiments",
    "extensive",
    "first",
    "for",
    "framework",
    "from",
    "further",
    "had",
    "has",
    "have",
    "he",
    "her",
    "here",
    "his",
    "how",
    "however",
    "if",
    "improve",
    "improved",
    "in",
    "including",
    "into",
    "introduce",
    "is",
    "it",
    "its",
    "key",
    "many",
    "may",
    "method",
    "methods",
    "model",
    "models",
    "more",
    "most",
    "much",
    "must",
    "new",
    "no",
    "nor",
    "not",
    "novel",
    "of",
    "on",
    "one",
    "only",
    "or",
    "other",
    "our",
    "over",
    "paper",
    "performance",
    "present",
    "presents",
    "problem",
    "propose",
    "proposed",
    "provide",
    "provides",
    "result",
    "results",
    "same",
    "several",
    "she",
    "should",
    "show",
    "shows",
    "significantly",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "thus",
    "to",
    "two",
    "under",
    "up",
    "us",
    "use",
    "used",
    "using",
    "various",
    "very",
    "via",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "will",
    "with",
    "within",
    "without",
    "work",
    "would",
];

/// The words of the stock titles of editorials, columns and front matter ("Guest editorial", "Editor's
/// notes", "Reminiscences on influential papers", "Book review column"): a title made of these words
/// alone is carried by many different papers, so it is no evidence of identity. Sorted.
const GENERIC_TITLE_WORDS: &[&str] = &[
    "acknowledgements",
    "acknowledgments",
    "address",
    "announcement",
    "announcements",
    "book",
    "call",
    "chair",
    "column",
    "contents",
    "contributors",
    "corrigendum",
    "director",
    "editor",
    "editorial",
    "editorials",
    "editors",
    "errata",
    "erratum",
    "foreword",
    "front",
    "guest",
    "index",
    "influential",
    "information",
    "introduction",
    "invited",
    "keynote",
    "letter",
    "matter",
    "memoriam",
    "message",
    "news",
    "note",
    "notes",
    "obituary",
    "panel",
    "papers",
    "preface",
    "president",
    "reminiscences",
    "review",
    "reviewers",
    "reviews",
    "s",
    "session",
    "table",
    "talk",
    "treasurer",
];

/// Calls `f` with each word of `text` folded: compatibility-decomposed, combining marks dropped, lower
/// case; words are runs of letters and digits.
pub(super) fn for_each_folded_word(text: &str, mut f: impl FnMut(&str)) {
    let mut word = String::new();
    let mut push = |c: char, word: &mut String| {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            f(word);
            word.clear();
        }
    };
    if text.is_ascii() {
        text.chars().for_each(|c| push(c, &mut word));
    } else {
        text.nfkd()
            .filter(|&c| !is_combining_mark(c))
            .for_each(|c| push(c, &mut word));
    }
    push(' ', &mut word);
}

const CONTENT_SEED: u64 = 0x636f_6e74_656e_7431;

/// The hashes of the words that are not content words: [`STOP`] and every one-character word.
fn stop_hashes() -> &'static [u64] {
    static HASHES: OnceLock<Vec<u64>> = OnceLock::new();
    HASHES.get_or_init(|| {
        let mut out: Vec<u64> = STOP
            .iter()
            .map(|w| xxh3_64_with_seed(w.as_bytes(), CONTENT_SEED))
            .chain(
                ('a'..='z')
                    .chain('0'..='9')
                    .map(|c| xxh3_64_with_seed(c.to_string().as_bytes(), CONTENT_SEED)),
            )
            .collect();
        out.sort_unstable();
        out
    })
}

/// The content words of a text, hashed, sorted and de-duplicated (a set for merge intersection).
/// Words are those of the shingles (`shingle::for_each_word_hash`: NFKC, lower case, on its fast
/// ASCII path), after accents are dropped from non-ASCII text.
pub(super) fn content_words(text: &str, scratch: &mut ShingleScratch) -> Vec<u64> {
    let stop = stop_hashes();
    let mut out = Vec::new();
    let mut push = |h: u64| {
        if stop.binary_search(&h).is_err() {
            out.push(h);
        }
    };
    if text.is_ascii() {
        for_each_word_hash(text, CONTENT_SEED, scratch, &mut push);
    } else {
        let folded: String = text.nfkd().filter(|&c| !is_combining_mark(c)).collect();
        for_each_word_hash(&folded, CONTENT_SEED, scratch, &mut push);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Suffixes [`stem`] strips, longest first.
const SUFFIXES: [&str; 12] = [
    "ations", "ation", "ings", "ing", "ions", "ion", "ies", "es", "ed", "is", "al", "s",
];

/// A word without its inflection or derivation suffix and a final "e", when at least four letters
/// remain: a light stemmer in the spirit of Lovins ("Development of a stemming algorithm", 1968), so
/// that "changes" meets "change" and "diagnosis" meets "diagnosing" in titles reworded between
/// listings.
fn stem(w: &str) -> &str {
    let w = SUFFIXES
        .iter()
        .find(|suf| w.len() > suf.len() + 3 && w.ends_with(*suf))
        .map_or(w, |suf| &w[..w.len() - suf.len()]);
    match w.strip_suffix('e') {
        Some(s) if s.len() >= 4 => s,
        _ => w,
    }
}

/// The content words of a title, stemmed ([`stem`]), hashed, sorted and de-duplicated: the set the
/// title similarity reads. Stock words are dropped before stemming, as in [`content_words`].
pub(super) fn title_stems(text: &str) -> Vec<u64> {
    let stop = stop_hashes();
    let folded: String;
    let text = if text.is_ascii() {
        text
    } else {
        folded = text.nfkd().filter(|&c| !is_combining_mark(c)).collect();
        &folded
    };
    let mut out = Vec::new();
    for_each_word(&normalize(text), |w| {
        if stop
            .binary_search(&xxh3_64_with_seed(w.as_bytes(), CONTENT_SEED))
            .is_err()
        {
            out.push(xxh3_64_with_seed(stem(w).as_bytes(), CONTENT_SEED));
        }
    });
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether a title is generic ([`is_generic_title`]): the engine's title stage does not take such a
/// title for identity on its own.
pub fn generic_title(title: &str) -> bool {
    if !title.is_ascii() {
        let content = content_words(title, &mut ShingleScratch::default());
        return !content.is_empty() && is_generic_title(&content);
    }
    // The engine asks this of every title: ASCII titles stop at their first word that is neither a
    // stock nor a stop word, which is nearly always the first. Words as the shingles' ASCII path cuts
    // them (runs of letters, digits and `_`, lower-cased).
    let (stop, generic) = (stop_hashes(), generic_hashes());
    let mut lower = [0u8; 64];
    let mut content = false;
    let words = title.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
    for w in words.filter(|w| !w.is_empty()) {
        let Some(l) = lower.get_mut(..w.len()) else {
            return false; // longer than any listed word
        };
        l.copy_from_slice(w.as_bytes());
        l.make_ascii_lowercase();
        let h = xxh3_64_with_seed(l, CONTENT_SEED);
        if stop.binary_search(&h).is_ok() {
            continue;
        }
        if generic.binary_search(&h).is_err() {
            return false;
        }
        content = true;
    }
    content
}

/// Whether a text has a content word: `!content_words(text).is_empty()`, without gathering them.
pub(super) fn has_content(text: &str, scratch: &mut ShingleScratch) -> bool {
    // A content word is nearly always among the first few: look at a head cut at a space first (words
    // never span spaces, so the head's words are the text's first words).
    const HEAD: usize = 256;
    if text.len() > HEAD && text.is_ascii() {
        if let Some(cut) = text.as_bytes()[..HEAD]
            .iter()
            .rposition(u8::is_ascii_whitespace)
        {
            if has_content(&text[..cut], scratch) {
                return true;
            }
        }
    }
    let stop = stop_hashes();
    let mut found = false;
    let mut look = |h: u64| found = found || stop.binary_search(&h).is_err();
    if text.is_ascii() {
        for_each_word_hash(text, CONTENT_SEED, scratch, &mut look);
    } else {
        let folded: String = text.nfkd().filter(|&c| !is_combining_mark(c)).collect();
        for_each_word_hash(&folded, CONTENT_SEED, scratch, &mut look);
    }
    found
}

/// Whether a title says nothing about which paper it names: its content words (`content`, from
/// [`content_words`]) are all words of stock titles, or it has none.
pub(super) fn is_generic_title(content: &[u64]) -> bool {
    let generic = generic_hashes();
    content.iter().all(|h| generic.binary_search(h).is_ok())
}

/// The hashes of `GENERIC_TITLE_WORDS`, sorted.
fn generic_hashes() -> &'static [u64] {
    static HASHES: OnceLock<Vec<u64>> = OnceLock::new();
    HASHES.get_or_init(|| {
        let mut out: Vec<u64> = GENERIC_TITLE_WORDS
            .iter()
            .map(|w| xxh3_64_with_seed(w.as_bytes(), CONTENT_SEED))
            .collect();
        out.sort_unstable();
        out
    })
}

/// How many content words a title has (a longer title, equal, is stronger evidence).
pub(super) fn title_length(content: &[u64]) -> usize {
    content.len()
}

/// Jaccard similarity of two sorted, de-duplicated sets; `None` when either is empty (no evidence).
pub(super) fn jaccard(a: &[u64], b: &[u64]) -> Option<f64> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    Some(common as f64 / (a.len() + b.len() - common) as f64)
}

/// Categories folded to lower case; empty when none are given.
pub(super) fn category_set<S: AsRef<str>>(cats: &[S]) -> HashSet<String> {
    cats.iter()
        .map(|c| c.as_ref().trim().to_lowercase())
        .filter(|c| !c.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        assert!(
            STOP.windows(2).all(|w| w[0] < w[1]),
            "STOP must stay sorted"
        );
        assert!(
            GENERIC_TITLE_WORDS.windows(2).all(|w| w[0] < w[1]),
            "GENERIC_TITLE_WORDS must stay sorted"
        );
    }

    #[test]
    fn generic_title_fast_path_agrees_with_content_words() {
        let titles = [
            "Editorial",
            "Guest Editorial",
            "GUEST editor's introduction",
            "Book review column",
            "Reminiscences on Influential Papers",
            "Erratum to: Erratum",
            "Editorial: Charter and scope",
            "A Unified Representation",
            "E-Services - Guest editorial",
            "on the of",
            "",
            "Éditorial",
            "Guest éditorial",
            "Editorial_board",
            "Editorial 2",
        ];
        for t in titles {
            let content = content_words(t, &mut ShingleScratch::default());
            let full = !content.is_empty() && is_generic_title(&content);
            assert_eq!(generic_title(t), full, "{t:?}");
        }
        assert!(generic_title("Guest Editorial"));
        assert!(!generic_title("Guest editorial: databases and the Web"));
    }

    #[test]
    fn title_stems_meet_inflected_words() {
        // "framework" and "data" are stock words of abstracts.
        assert_eq!(
            title_stems("A Framework for Change Diagnosis of Data Streams").len(),
            3
        );
        let a = title_stems("Diagnosing changes in evolving data streams");
        let b = title_stems("Change diagnosis for evolve data stream");
        assert_eq!(a, b);
        // Short words keep their ending: "bus" is no "bu".
        assert_ne!(title_stems("bus"), title_stems("bu"));
    }

    #[test]
    fn content_words_ignore_case_accents_and_stock_words() {
        let cw = |t: &str| content_words(t, &mut ShingleScratch::default());
        assert_eq!(cw("We propose Café-Net, a novel model."), cw("cafe NET"));
        assert_eq!(cw("Ｃａｆé x 2 Net"), cw("cafe net"));
        assert!(cw("In this paper, we present a novel method.").is_empty());
        let long_stop = "of the a we ".repeat(40);
        let late = format!("{long_stop} graphs");
        let cut = format!("{}gra phs", "x ".repeat(127));
        for t in [
            "",
            "a b c of the",
            "of Café",
            "we x graphs",
            "é",
            &long_stop,
            &late,
            &cut,
        ] {
            assert_eq!(
                has_content(t, &mut ShingleScratch::default()),
                !cw(t).is_empty(),
                "{t}"
            );
        }
        assert_eq!(cw("graph graph networks").len(), 2);
    }

    #[test]
    fn jaccard_counts_shared_members() {
        assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), Some(0.5));
        assert_eq!(jaccard(&[], &[1]), None);
        assert_eq!(jaccard(&[5], &[5]), Some(1.0));
    }

    #[test]
    fn stock_titles_are_generic() {
        let cw = |t: &str| content_words(t, &mut ShingleScratch::default());
        for t in [
            "Guest Editorial",
            "EDITORIAL.",
            "Reminiscences on influential papers",
            "Reminiscences an Influential Papers",
            "Editor's Notes",
            "Book review column",
            "Preface",
            "",
        ] {
            assert!(is_generic_title(&cw(t)), "{t}");
        }
        for t in [
            "Guest editorial: graph neural networks",
            "Industry perspectives",
            "Petabyte databases",
        ] {
            assert!(!is_generic_title(&cw(t)), "{t}");
        }
    }
}
