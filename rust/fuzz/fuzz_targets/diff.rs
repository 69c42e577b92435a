//! The diff engine on arbitrary text pairs: ops cover both texts exactly and rebuild them, tags and token
//! counts match the text, equal ops hold equal text; with `Cleanup::None` the distance is the Indel
//! distance of a naive O(nm) LCS oracle (minimal), with `Cleanup::Semantic` never below it. Rendering
//! and `from_ops` never panic, and `from_ops` gives back the same result.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use neardup_core::diff::{diff, diff_many, Cleanup, DiffResult, Style, Tag, Unit};
use neardup_fuzz::{diff_tokens, indel_distance, lcs_len};

#[derive(Arbitrary, Debug)]
struct Edit {
    at: u16,
    delete: u8,
    insert: String,
}

#[derive(Arbitrary, Debug)]
struct Input {
    char_unit: bool,
    semantic: bool,
    old: String,
    /// `new` is `old` with these edits applied, plus `tail` (related texts share long runs, which is
    /// where trimming and cleanup do their work).
    edits: Vec<Edit>,
    tail: String,
    context: Option<u8>,
    /// One input in eight repeats `old` to about 2500 tokens before editing it, so that the LCS table
    /// passes the size from which the core tries Myers' middle snake (8192 words).
    stretch: u8,
}

/// Oracle work bound: n·m token comparisons.
const ORACLE_CELLS: usize = 250_000;
/// Tokens a stretched `old` reaches.
const STRETCH_TOKENS: usize = 2500;

fn apply(old: &str, edits: &[Edit], tail: &str) -> String {
    let mut s = old.to_owned();
    for e in edits.iter().take(8) {
        if s.is_empty() {
            s.push_str(&e.insert);
            continue;
        }
        let at = s.floor_char_boundary(e.at as usize % (s.len() + 1));
        let end = s.floor_char_boundary((at + e.delete as usize % 16).min(s.len()));
        s.replace_range(at..end, &e.insert);
    }
    s.push_str(tail);
    s
}

fn check(old: &str, new: &str, unit: Unit, cleanup: Cleanup, d: &DiffResult) {
    let char_unit = unit == Unit::Char;
    let (ta, tb) = (diff_tokens(old, char_unit), diff_tokens(new, char_unit));
    assert_eq!(d.old_tokens, ta.len());
    assert_eq!(d.new_tokens, tb.len());
    let (mut ob, mut oc, mut nb, mut nc) = (0, 0, 0, 0);
    let (mut rebuilt_old, mut rebuilt_new) = (String::new(), String::new());
    let mut distance = 0;
    let mut prev_equal: Option<bool> = None;
    for op in &d.ops {
        assert_eq!((op.old.start, op.old.cp_start), (ob, oc), "{op:?}");
        assert_eq!((op.new.start, op.new.cp_start), (nb, nc), "{op:?}");
        assert!(old.is_char_boundary(op.old.end) && new.is_char_boundary(op.new.end));
        let (so, sn) = (&old[op.old.bytes()], &new[op.new.bytes()]);
        assert_eq!(so.chars().count(), op.old.cp_end - op.old.cp_start);
        assert_eq!(sn.chars().count(), op.new.cp_end - op.new.cp_start);
        // Token counts of the spans: an op never splits a token, so its text tokenises on its own.
        assert_eq!(op.old_tokens, diff_tokens(so, char_unit).len(), "{op:?}");
        assert_eq!(op.new_tokens, diff_tokens(sn, char_unit).len(), "{op:?}");
        match op.tag {
            Tag::Equal => assert_eq!(so, sn),
            Tag::Insert => assert!(so.is_empty() && !sn.is_empty()),
            Tag::Delete => assert!(!so.is_empty() && sn.is_empty()),
            Tag::Replace => assert!(!so.is_empty() && !sn.is_empty()),
        }
        let equal = op.tag == Tag::Equal;
        assert_ne!(prev_equal, Some(equal), "two neighbouring ops of one kind");
        prev_equal = Some(equal);
        if !equal {
            distance += op.old_tokens + op.new_tokens;
        }
        rebuilt_old.push_str(so);
        rebuilt_new.push_str(sn);
        (ob, oc, nb, nc) = (op.old.end, op.old.cp_end, op.new.end, op.new.cp_end);
    }
    assert_eq!(rebuilt_old, old);
    assert_eq!(rebuilt_new, new);
    assert_eq!(distance, d.distance);
    assert!((0.0..=1.0).contains(&d.ratio()));
    // The oracle: the O(nm) table for small pairs, Myers' O((n+m)·D) search for long similar ones.
    let indel = if ta.len() * tb.len() <= ORACLE_CELLS {
        Some(ta.len() + tb.len() - 2 * lcs_len(&ta, &tb))
    } else if d.distance <= 600 {
        Some(indel_distance(&ta, &tb))
    } else {
        None
    };
    if let Some(indel) = indel {
        match cleanup {
            Cleanup::None => assert_eq!(d.distance, indel, "not minimal"),
            Cleanup::Semantic => assert!(d.distance >= indel),
        }
    }
    // Identical texts: one equal op (or none for two empty texts).
    if old == new {
        assert_eq!(d.distance, 0);
        assert!(d.ops.iter().all(|op| op.tag == Tag::Equal));
    }
}

fuzz_target!(|input: Input| {
    let unit_is_char = input.char_unit;
    let mut old = input.old.clone();
    if input.stretch % 8 == 7 {
        let per_copy = diff_tokens(&old, unit_is_char).len();
        if per_copy > 0 {
            old = old.repeat(STRETCH_TOKENS.div_ceil(per_copy));
        }
    }
    let old = old.as_str();
    let new = apply(old, &input.edits, &input.tail);
    let unit = if input.char_unit {
        Unit::Char
    } else {
        Unit::Word
    };
    let cleanup = if input.semantic {
        Cleanup::Semantic
    } else {
        Cleanup::None
    };
    let d = diff(old, &new, unit, cleanup);
    check(old, &new, unit, cleanup, &d);
    // The other cleanup on the same pair, and the reverse direction.
    let other = if input.semantic {
        Cleanup::None
    } else {
        Cleanup::Semantic
    };
    check(old, &new, unit, other, &diff(old, &new, unit, other));
    let back = diff(&new, old, unit, cleanup);
    check(&new, old, unit, cleanup, &back);
    if cleanup == Cleanup::None {
        assert_eq!(back.distance, d.distance, "Indel distance is symmetric");
    }
    // Batches give the same results as single calls.
    let many = diff_many(&[(old, new.as_str()), (new.as_str(), old)], unit, cleanup);
    assert_eq!(many, vec![d.clone(), back]);

    // Rebuilding from code-point ops gives the same result.
    let ops = d.cp_ops();
    let rebuilt = DiffResult::from_ops(old, &new, unit, cleanup, &ops)
        .expect("from_ops refuses the ops diff produced");
    assert_eq!(rebuilt, d);
    // Ops from another pair are refused or accepted, never a panic.
    let _ = DiffResult::from_ops(&new, old, unit, cleanup, &ops);

    let context = input.context.map(|c| c as usize % 6);
    for style in [
        Style::Plain,
        Style::Porcelain,
        Style::Ansi,
        Style::Html,
        Style::Markdown,
    ] {
        let _ = d.render(old, &new, style, context);
        // Texts other than the diffed ones: documented never to panic.
        let _ = d.render(&new, old, style, context);
        let _ = d.render("", "", style, context);
    }
});
