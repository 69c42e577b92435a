//! Properties of `neardup_core::diff`: exact reconstruction of both texts, identical text under equal ops,
//! minimality of `Cleanup::None` against a naive LCS oracle, and consistency of the counts.

use neardup_core::diff::{diff, diff_many, lcs_len, Cleanup, DiffResult, Style, Tag, Unit};
use neardup_core::text::shingle::{is_space, is_word_char};
use proptest::prelude::*;

/// Tokens as the issue defines them, written independently of the core's tokenizer.
fn tokens(s: &str, unit: Unit) -> Vec<String> {
    if unit == Unit::Char {
        return s.chars().map(String::from).collect();
    }
    let mut out = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        if is_word_char(c) {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if !is_space(c) {
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn check_cover(d: &DiffResult, old: &str, new: &str) {
    let (mut ro, mut rn) = (String::new(), String::new());
    let (mut co, mut cn) = (0, 0);
    for (k, op) in d.ops.iter().enumerate() {
        let (o, n) = (&old[op.old.bytes()], &new[op.new.bytes()]);
        assert_eq!(op.old.cp_start, co);
        assert_eq!(op.new.cp_start, cn);
        assert_eq!(op.old.cp_end - op.old.cp_start, o.chars().count());
        assert_eq!(op.new.cp_end - op.new.cp_start, n.chars().count());
        (co, cn) = (op.old.cp_end, op.new.cp_end);
        match op.tag {
            Tag::Equal => assert_eq!(o, n),
            Tag::Insert => assert!(o.is_empty() && !n.is_empty()),
            Tag::Delete => assert!(!o.is_empty() && n.is_empty()),
            Tag::Replace => assert!(!o.is_empty() && !n.is_empty()),
        }
        if k > 0 {
            assert_ne!(
                d.ops[k - 1].tag == Tag::Equal,
                op.tag == Tag::Equal,
                "neighbouring ops of one kind"
            );
        }
        if op.tag != Tag::Equal && op.old_tokens + op.new_tokens == 0 {
            assert!(d.unit == Unit::Word && o.chars().chain(n.chars()).all(is_space));
        }
        ro.push_str(o);
        rn.push_str(n);
    }
    assert_eq!(ro, old);
    assert_eq!(rn, new);
    let (ta, tb) = (tokens(old, d.unit), tokens(new, d.unit));
    assert_eq!(d.old_tokens, ta.len());
    assert_eq!(d.new_tokens, tb.len());
    assert_eq!(d.ops.iter().map(|o| o.old_tokens).sum::<usize>(), ta.len());
    assert_eq!(d.ops.iter().map(|o| o.new_tokens).sum::<usize>(), tb.len());
    assert!((0.0..=1.0).contains(&d.ratio()));
}

/// Texts over a small vocabulary so that pairs share a lot, with Unicode, punctuation and odd whitespace.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("the"),
        Just("a"),
        Just("model"),
        Just("data"),
        Just("naïve"),
        Just("２０"),
        Just("x_1"),
        Just(","),
        Just("."),
        Just("-"),
        Just("—"),
        Just("("),
        Just(")"),
        Just(" "),
        Just("  "),
        Just("\n"),
        Just("\u{a0}"),
        Just("é"),
        Just("😀"),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn unit() -> impl Strategy<Value = Unit> {
    prop_oneof![Just(Unit::Word), Just(Unit::Char)]
}

/// Long common ends around short differing middles, so the byte-level trimming is exercised.
fn framed() -> impl Strategy<Value = (String, String)> {
    (text(), text(), text(), text(), text(), text()).prop_map(|(p1, p2, a, b, s1, s2)| {
        let (pre, suf) = (p1 + &p2 + &p2, s1.clone() + &s2 + &s1);
        (format!("{pre}{a}{suf}"), format!("{pre}{b}{suf}"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn trimmed_ends_stay_minimal_and_exact((old, new) in framed(), unit in unit()) {
        let d = diff(&old, &new, unit, Cleanup::None);
        check_cover(&d, &old, &new);
        let (ta, tb) = (tokens(&old, unit), tokens(&new, unit));
        prop_assert_eq!(d.distance, ta.len() + tb.len() - 2 * lcs_len(&ta, &tb));
        let s = diff(&old, &new, unit, Cleanup::Semantic);
        check_cover(&s, &old, &new);
    }

    #[test]
    fn minimal_and_exact(old in text(), new in text(), unit in unit()) {
        let d = diff(&old, &new, unit, Cleanup::None);
        check_cover(&d, &old, &new);
        let (ta, tb) = (tokens(&old, unit), tokens(&new, unit));
        prop_assert_eq!(d.distance, ta.len() + tb.len() - 2 * lcs_len(&ta, &tb));
    }

    #[test]
    fn semantic_is_exact_and_not_smaller(old in text(), new in text(), unit in unit()) {
        let d = diff(&old, &new, unit, Cleanup::Semantic);
        check_cover(&d, &old, &new);
        prop_assert!(d.distance >= diff(&old, &new, unit, Cleanup::None).distance);
        prop_assert_eq!(d.changed(), tokens(&old, unit) != tokens(&new, unit));
    }

    #[test]
    fn arbitrary_unicode(old in "\\PC{0,60}", new in "\\PC{0,60}", unit in unit()) {
        for cleanup in [Cleanup::None, Cleanup::Semantic] {
            let d = diff(&old, &new, unit, cleanup);
            check_cover(&d, &old, &new);
        }
    }

    #[test]
    fn from_ops_round_trips(old in text(), new in text(), unit in unit()) {
        let d = diff(&old, &new, unit, Cleanup::Semantic);
        let raw: Vec<_> = d.ops.iter()
            .map(|o| (o.tag, o.old.cp_start, o.old.cp_end, o.new.cp_start, o.new.cp_end))
            .collect();
        prop_assert_eq!(DiffResult::from_ops(&old, &new, unit, Cleanup::Semantic, &raw), Ok(d));
    }

    #[test]
    fn rendering_never_panics(old in "\\PC{0,40}", new in "\\PC{0,40}", ctx in prop::option::of(0usize..4)) {
        let d = diff(&old, &new, Unit::Word, Cleanup::Semantic);
        for style in [Style::Plain, Style::Porcelain, Style::Ansi, Style::Html, Style::Markdown] {
            let _ = d.render(&old, &new, style, ctx);
            let _ = d.render(&new, &old, style, ctx);
        }
    }
}

#[test]
fn batch_equals_single() {
    let pairs: Vec<(String, String)> = (0..200)
        .map(|i| {
            (
                format!("item {i} has some text, and more words {}", i % 7),
                format!("item {i} has other text and more words {}", i % 5),
            )
        })
        .collect();
    let many = diff_many(&pairs, Unit::Word, Cleanup::Semantic);
    for ((a, b), d) in pairs.iter().zip(&many) {
        assert_eq!(d, &diff(a, b, Unit::Word, Cleanup::Semantic));
    }
}

#[test]
fn long_texts_stay_minimal() {
    // Thousands of tokens from a 5-word vocabulary: many multi-word rows, long tracebacks.
    let mut s = 1u64;
    let mut gen = |n: usize| -> String {
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                ["a", "b", "c", "d", "e"][(s >> 60) as usize % 5]
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (old, new) = (gen(3000), gen(2500));
    let d = diff(&old, &new, Unit::Word, Cleanup::None);
    check_cover(&d, &old, &new);
    let (ta, tb) = (tokens(&old, Unit::Word), tokens(&new, Unit::Word));
    assert_eq!(d.distance, ta.len() + tb.len() - 2 * lcs_len(&ta, &tb));
}

#[test]
fn long_related_texts_take_the_myers_path_and_stay_minimal() {
    let mut s = 7u64;
    let mut r = |k: u64| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) % k
    };
    let words = ["alpha", "beta", "gamma", "delta", "the", "of", ",", "."];
    let old: Vec<&str> = (0..4000).map(|_| words[r(8) as usize]).collect();
    let mut new = old.clone();
    for _ in 0..60 {
        let p = r(new.len() as u64) as usize;
        match r(3) {
            0 => {
                new.remove(p);
            }
            1 => new.insert(p, "inserted"),
            _ => new[p] = "replaced",
        }
    }
    let (old, new) = (old.join(" "), new.join(" "));
    for unit in [Unit::Word, Unit::Char] {
        let d = diff(&old, &new, unit, Cleanup::None);
        check_cover(&d, &old, &new);
        let (ta, tb) = (tokens(&old, unit), tokens(&new, unit));
        assert_eq!(d.distance, ta.len() + tb.len() - 2 * lcs_len(&ta, &tb));
    }
}
