//! Unit tests of the whole pipeline on small hand-checked cases.

use super::*;

fn ops(d: &DiffResult, old: &str, new: &str) -> Vec<(&'static str, String, String)> {
    d.ops
        .iter()
        .map(|o| {
            (
                o.tag.name(),
                old[o.old.bytes()].to_string(),
                new[o.new.bytes()].to_string(),
            )
        })
        .collect()
}

fn plain(old: &str, new: &str, cleanup: Cleanup) -> String {
    diff(old, new, Unit::Word, cleanup).render(old, new, Style::Plain, None)
}

#[test]
fn replacement_keeps_whitespace_outside() {
    let (o, n) = ("the cat sat", "the dog sat");
    let d = diff(o, n, Unit::Word, Cleanup::None);
    assert_eq!(
        ops(&d, o, n),
        vec![
            ("equal", "the ".into(), "the ".into()),
            ("replace", "cat".into(), "dog".into()),
            ("equal", " sat".into(), " sat".into()),
        ]
    );
    assert_eq!(d.distance, 2);
    assert_eq!(plain(o, n, Cleanup::None), "the [-cat-]{+dog+} sat");
}

#[test]
fn insertion_and_deletion_render_like_git() {
    assert_eq!(
        plain("the sat", "the cat sat", Cleanup::None),
        "the {+cat+} sat"
    );
    assert_eq!(
        plain("the cat sat", "the sat", Cleanup::None),
        "the [-cat-] sat"
    );
    assert_eq!(plain("", "new words", Cleanup::None), "{+new words+}");
}

#[test]
fn whitespace_only_is_not_a_change() {
    let (o, n) = ("a  b\nc", "a b c ");
    let d = diff(o, n, Unit::Word, Cleanup::Semantic);
    assert_eq!(d.distance, 0);
    assert!(!d.changed());
    assert_eq!(d.ratio(), 1.0);
    assert!(d.ops.iter().any(|op| op.tag != Tag::Equal));
    assert_eq!(d.render(o, n, Style::Plain, None), n);
    // In the char unit whitespace is text.
    assert!(diff(o, n, Unit::Char, Cleanup::Semantic).changed());
}

#[test]
fn reworded_clause_reads_as_one_replacement() {
    let (o, n) = (
        "We show that the method is fast.",
        "We prove that a model is fast.",
    );
    assert_eq!(
        plain(o, n, Cleanup::Semantic),
        "We [-show that the method-]{+prove that a model+} is fast."
    );
    assert_eq!(
        plain(o, n, Cleanup::None),
        "We [-show-]{+prove+} that [-the method-]{+a model+} is fast."
    );
}

#[test]
fn empty_and_identical() {
    let d = diff("", "", Unit::Word, Cleanup::Semantic);
    assert!(d.ops.is_empty());
    assert_eq!(d.ratio(), 1.0);
    let d = diff("same text", "same text", Unit::Word, Cleanup::Semantic);
    assert_eq!(d.ops.len(), 1);
    assert!(!d.changed());
}

#[test]
fn code_point_offsets_for_non_ascii() {
    let (o, n) = ("naïve café", "naïve cafés");
    let d = diff(o, n, Unit::Word, Cleanup::None);
    let last = d.ops.last().unwrap();
    assert_eq!(last.tag, Tag::Replace);
    assert_eq!((last.old.cp_start, last.old.cp_end), (6, 10));
    assert_eq!((last.new.cp_start, last.new.cp_end), (6, 11));
}

#[test]
fn styles() {
    let (o, n) = ("a <b> & c", "a <x> & c");
    let d = diff(o, n, Unit::Word, Cleanup::None);
    assert_eq!(
        d.render(o, n, Style::Html, None),
        "a &lt;<del>b</del><ins>x</ins>&gt; &amp; c"
    );
    assert_eq!(
        d.render(o, n, Style::Markdown, None),
        "a \\<~~b~~ **x**\\> \\& c"
    );
    assert_eq!(
        d.render(o, n, Style::Ansi, None),
        "a <\x1b[31;9mb\x1b[m \x1b[32;4mx\x1b[m> & c"
    );
    let (o, n) = ("one two\nthree", "one 2\nthree");
    let d = diff(o, n, Unit::Word, Cleanup::None);
    assert_eq!(
        d.render(o, n, Style::Porcelain, None),
        " one \n-two\n+2\n~\n three\n"
    );
}

#[test]
fn context_elides_far_text() {
    let o = "a b c d e f g h i j";
    let n = "a b c d X f g h i j";
    let d = diff(o, n, Unit::Word, Cleanup::None);
    assert_eq!(d.render(o, n, Style::Plain, Some(1)), "… d [-e-]{+X+} f …");
    assert_eq!(d.render(o, n, Style::Plain, Some(0)), "… [-e-]{+X+} …");
    assert_eq!(
        d.render(o, n, Style::Plain, Some(10)),
        d.render(o, n, Style::Plain, None)
    );
    let o2 = "a b c d e f g h i j";
    let n2 = "X b c d e f g h i Y";
    let d = diff(o2, n2, Unit::Word, Cleanup::None);
    assert_eq!(
        d.render(o2, n2, Style::Plain, Some(2)),
        "[-a-]{+X+} b c … h i [-j-]{+Y+}"
    );
    let same = diff(o, o, Unit::Word, Cleanup::None);
    assert_eq!(same.render(o, o, Style::Plain, Some(3)), "");
}

#[test]
fn render_with_wrong_texts_does_not_panic() {
    let d = diff("héllo wörld", "héllo there", Unit::Word, Cleanup::Semantic);
    let _ = d.render("", "x", Style::Html, Some(1));
    let _ = d.render("ab", "é", Style::Plain, None);
}

#[test]
fn from_ops_round_trips_and_rejects_bad_ops() {
    let (o, n) = ("naïve café au lait", "naive café lait!");
    let d = diff(o, n, Unit::Word, Cleanup::Semantic);
    let raw: Vec<_> = d
        .ops
        .iter()
        .map(|op| {
            (
                op.tag,
                op.old.cp_start,
                op.old.cp_end,
                op.new.cp_start,
                op.new.cp_end,
            )
        })
        .collect();
    assert_eq!(
        DiffResult::from_ops(o, n, Unit::Word, Cleanup::Semantic, &raw),
        Ok(d)
    );
    let mut bad = raw.clone();
    bad[0].2 -= 1;
    assert!(DiffResult::from_ops(o, n, Unit::Word, Cleanup::Semantic, &bad).is_err());
    assert!(DiffResult::from_ops(o, n, Unit::Word, Cleanup::Semantic, &raw[1..]).is_err());
    assert!(DiffResult::from_ops(
        o,
        n,
        Unit::Word,
        Cleanup::Semantic,
        &[(Tag::Equal, 0, 3, 0, 3)]
    )
    .is_err());
}

#[test]
fn parse_errors_list_choices() {
    let e = Cleanup::parse("x").unwrap_err().to_string();
    assert!(e.contains("'semantic'") && e.contains("'none'"), "{e}");
    let e = Style::parse("x").unwrap_err().to_string();
    assert!(e.contains("'markdown'"), "{e}");
}

/// Texts longer than `u32` token offsets allow (over 4 GiB; here a small limit) are tokenised with
/// `usize` offsets: the same script, no panic, no offset cut to 32 bits.
#[test]
fn texts_past_the_offset_limit_get_the_same_script() {
    let head = "alpha, beta gamma (delta) ".repeat(30);
    let tail = " épsilon zeta\neta theta".repeat(30);
    let cases = [
        (
            format!("{head}one two three four{tail}"),
            format!("{head}one 2 three 4 five{tail}"),
        ),
        (format!("{head}x  y{tail}"), format!("{head}x y{tail}")),
        (
            format!("{head}{tail}"),
            format!("{head}inserted words{tail}"),
        ),
        ("a b c".to_owned(), "c b a d".to_owned()),
        ("ü".repeat(3000), "ü".repeat(2999) + "x"),
    ];
    for (old, new) in &cases {
        let (old, new) = (old.as_str(), new.as_str());
        for unit in [Unit::Word, Unit::Char] {
            for cleanup in [Cleanup::None, Cleanup::Semantic] {
                let longest = old.len().max(new.len());
                let mut at_limit = Differ {
                    max_text: longest,
                    ..Differ::default()
                };
                let narrow = at_limit.diff(old, new, unit, cleanup);
                assert!(!at_limit.ta.is_empty() || !at_limit.tb.is_empty());
                let mut past = Differ {
                    max_text: longest - 1,
                    ..Differ::default()
                };
                let wide = past.diff(old, new, unit, cleanup);
                // The 32-bit buffers were not used.
                assert!(past.ta.is_empty() && past.tb.is_empty());
                assert_eq!(wide, narrow, "{old:?} {new:?}");
                let ops = wide.cp_ops();
                assert_eq!(
                    DiffResult::from_ops(old, new, unit, cleanup, &ops).unwrap(),
                    wide
                );
            }
        }
    }
}
