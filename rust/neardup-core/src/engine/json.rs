//! The JSON report of a [`snapshot::Outcome`](super::snapshot::Outcome), byte for byte what
//! `neardup.report.json.render` writes for the same diff: `json.dumps(document, sort_keys=True,
//! ensure_ascii=False)` plus a newline. So keys are sorted, separators are `", "` and `": "`, strings
//! escape only `"`, `\` and control characters, and floats are spelled as Python's `repr`.

use std::fmt::Write as _;

use crate::read::file::{Meta, Record};
use crate::read::meta::write_extra;
use crate::read::Scalar;
use crate::text::json::{float, round6, string};

use super::report::{groups, Pieces, Segment, Source};
use super::snapshot::{Group, Matched, Outcome};

/// `reconcile.report.json.SCHEMA_VERSION`.
pub const SCHEMA_VERSION: u32 = 1;

pub(super) fn opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.push_str("null"),
    }
}

pub(crate) fn scalar(out: &mut String, v: &Scalar<'_>) {
    match v {
        Scalar::Null => out.push_str("null"),
        Scalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Scalar::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Scalar::Float(x) => float(out, *x),
        Scalar::Str(s) => string(out, s),
    }
}

fn opt_raw(out: &mut String, s: Option<&str>) {
    out.push_str(s.unwrap_or("null"));
}

/// `Entry.to_dict()` with sorted keys.
pub(super) fn entry(out: &mut String, r: &Record, position: u32) {
    let none = Meta::default();
    let held = r.meta();
    let meta = held.as_deref().unwrap_or(&none);
    out.push_str("{\"abstract\": ");
    string(out, r.abstract_text());
    out.push_str(", \"authors\": ");
    match &meta.authors {
        Some(names) => list(out, names, |out, n| string(out, n)),
        None => out.push_str("null"),
    }
    out.push_str(", \"authors_count\": ");
    opt_raw(out, meta.authors_count.as_deref());
    out.push_str(", \"extra\": {");
    let scalars: Vec<(String, String)> = r
        .extra
        .iter()
        .map(|(name, value)| {
            let mut text = String::new();
            scalar(&mut text, value);
            (name.to_string(), text)
        })
        .collect();
    write_extra(out, &meta.extra, &scalars);
    out.push_str("}, \"key\": ");
    opt_str(out, r.key.as_deref());
    match r.line {
        0 => out.push_str(", \"line\": null, \"organization\": "), // not read from a file
        line => {
            let _ = write!(out, ", \"line\": {line}, \"organization\": ");
        }
    }
    opt_str(out, meta.organization.as_deref());
    let _ = write!(out, ", \"position\": {position}, \"published\": ");
    opt_str(out, meta.published.as_deref());
    out.push_str(", \"title\": ");
    string(out, r.title());
    out.push_str(", \"upvotes\": ");
    opt_raw(out, meta.upvotes.as_deref());
    out.push_str(", \"version\": ");
    match r.version {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("null"),
    }
    out.push('}');
}

fn list<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        each(out, item);
    }
    out.push(']');
}

pub(super) fn names(out: &mut String, names: &[std::borrow::Cow<'static, str>]) {
    list(out, names, |out, n| string(out, n));
}

/// A near match's `"evidence": {"abstract": …, "authors": …, "title": …}, ` (each field's similarity,
/// `null` where either entry lacks the field), written first among the match's keys (they are sorted);
/// nothing for key and title matches.
pub(super) fn evidence(out: &mut String, m: &Matched) {
    let Some(e) = &m.evidence else {
        return;
    };
    out.push_str("\"evidence\": {");
    for (k, (name, x)) in [
        ("abstract", e.abstract_sim),
        ("authors", e.authors_sim),
        ("title", e.title_sim),
    ]
    .into_iter()
    .enumerate()
    {
        if k > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "\"{name}\": ");
        match x {
            Some(x) => float(out, round6(x)),
            None => out.push_str("null"),
        }
    }
    out.push_str("}, ");
}

/// `Match.to_dict()` with sorted keys; with `kind`, also a `"kind"` member (the JSON Lines report's).
pub(super) fn changed(
    out: &mut String,
    m: &Matched,
    old: &[Record],
    new: &[Record],
    kind: Option<&str>,
) {
    let (a, b) = (&old[m.old as usize], &new[m.new as usize]);
    out.push('{');
    evidence(out, m);
    out.push_str("\"fields\": {");
    for (n, f) in m.fields.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        let (x, y) = f.texts(a, b);
        string(out, f.name);
        out.push_str(": {\"new\": ");
        string(out, y);
        out.push_str(", \"old\": ");
        string(out, x);
        out.push_str(", \"ops\": ");
        list(out, &f.diff.ops, |out, op| {
            let _ = write!(
                out,
                "[\"{}\", {}, {}, {}, {}]",
                op.tag.name(),
                op.old.cp_start,
                op.old.cp_end,
                op.new.cp_start,
                op.new.cp_end
            );
        });
        out.push('}');
    }
    out.push('}');
    if let Some(kind) = kind {
        out.push_str(", \"kind\": ");
        string(out, kind);
    }
    out.push_str(", \"match\": ");
    string(out, m.how.name());
    out.push_str(", \"meta_changed\": ");
    names(out, &m.meta_changed);
    out.push_str(", \"new\": ");
    entry(out, b, m.new);
    out.push_str(", \"old\": ");
    entry(out, a, m.old);
    out.push_str(", \"similarity\": ");
    float(out, round6(m.similarity));
    out.push('}');
}

/// An unchanged pair: its evidence, match kind, changed metadata, positions and new title; with `kind`,
/// also a `"kind"` member (the JSON Lines report's).
pub(super) fn unchanged(out: &mut String, m: &Matched, new: &[Record], kind: Option<&str>) {
    out.push('{');
    evidence(out, m);
    if let Some(kind) = kind {
        out.push_str("\"kind\": ");
        string(out, kind);
        out.push_str(", ");
    }
    out.push_str("\"match\": ");
    string(out, m.how.name());
    out.push_str(", \"meta_changed\": ");
    names(out, &m.meta_changed);
    let _ = write!(
        out,
        ", \"new_position\": {}, \"old_position\": {}, \"title\": ",
        m.new, m.old
    );
    string(out, new[m.new as usize].title());
    out.push('}');
}

/// A duplicate group: its members, similarity and snapshot (`"old"`/`"new"`); with `kind`, also a
/// `"kind"` member (the JSON Lines report's).
pub(super) fn group(out: &mut String, label: &str, g: &Group, kind: Option<&str>) {
    out.push('{');
    if let Some(kind) = kind {
        out.push_str("\"kind\": ");
        string(out, kind);
        out.push_str(", ");
    }
    out.push_str("\"members\": ");
    list(out, &g.members, |out, m| {
        let _ = write!(out, "{m}");
    });
    out.push_str(", \"similarity\": ");
    float(out, round6(g.similarity));
    out.push_str(", \"snapshot\": ");
    string(out, label);
    out.push('}');
}

/// `{"date", "entries", "format", "path"}` of a snapshot (also the JSON Lines report's summary record).
pub(super) fn snapshot(out: &mut String, s: &Source<'_>) {
    out.push_str("{\"date\": ");
    opt_str(out, s.date);
    let _ = write!(out, ", \"entries\": {}, \"format\": ", s.records.len());
    opt_str(out, s.format);
    out.push_str(", \"path\": ");
    opt_str(out, s.path);
    out.push('}');
}

/// The report as segments, in order.
pub(super) fn segments<'a>(
    outcome: &'a Outcome,
    old: Source<'a>,
    new: Source<'a>,
    threshold: f64,
) -> Vec<Segment<'a>> {
    let (o, n) = (old.records, new.records);
    let mut out = Pieces::new();
    out.current.push_str("{\"added\": ");
    out.list(&outcome.added, move |out, &j| entry(out, &n[j as usize], j));
    out.current.push_str(", \"changed\": ");
    out.list(&outcome.changed, move |out, m| changed(out, m, o, n, None));
    let text = &mut out.current;
    text.push_str(", \"duplicates\": [");
    for (k, (label, g, _)) in groups(outcome, o, n).enumerate() {
        if k > 0 {
            text.push_str(", ");
        }
        group(text, label, g, None);
    }
    text.push_str("], \"new\": ");
    snapshot(text, &new);
    text.push_str(", \"old\": ");
    snapshot(text, &old);
    text.push_str(", \"removed\": ");
    out.list(&outcome.removed, move |out, &i| {
        entry(out, &o[i as usize], i)
    });
    let meta = outcome
        .unchanged
        .iter()
        .chain(&outcome.changed)
        .filter(|m| !m.meta_changed.is_empty())
        .count();
    let text = &mut out.current;
    let _ = write!(
        text,
        ", \"schema_version\": {SCHEMA_VERSION}, \"summary\": {{\"added\": {}, \"changed\": {}, \
         \"duplicates\": {}, \"meta_changed\": {meta}, \"removed\": {}, \"unchanged\": {}}}, \
         \"threshold\": ",
        outcome.added.len(),
        outcome.changed.len(),
        outcome.duplicates_old.len() + outcome.duplicates_new.len(),
        outcome.removed.len(),
        outcome.unchanged.len(),
    );
    float(text, threshold);
    text.push_str(", \"unchanged\": ");
    out.list(&outcome.unchanged, move |out, m| unchanged(out, m, n, None));
    out.current.push_str("}\n");
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut s = String::new();
        float(&mut s, x);
        s
    }

    #[test]
    fn floats_are_spelled_as_python_repr() {
        for (x, py) in [
            (0.07, "0.07"),
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.1234567, "0.1234567"),
            (1e-4, "0.0001"),
            (1.5e-5, "1.5e-05"),
            (1e16, "1e+16"),
            (123456789012345.6, "123456789012345.6"),
            (1e15, "1000000000000000.0"),
            (2.5e-300, "2.5e-300"),
            (12.0, "12.0"),
        ] {
            assert_eq!(f(x), py, "{x}");
        }
    }

    #[test]
    fn strings_escape_as_python_json() {
        let mut s = String::new();
        string(&mut s, "a\"b\\c\nd\u{1}\u{7f}é\u{2028}\t");
        assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u0001\u{7f}é\u{2028}\\t\"");
    }

    /// The escaper against a byte-at-a-time reference, for every ASCII byte at every offset of a word.
    #[test]
    fn escaping_finds_every_byte_to_escape() {
        let reference = |text: &str| {
            let mut out = String::from('"');
            for c in text.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        };
        for b in 0u8..0x80 {
            for at in 0..19 {
                for filler in [' ', 'a', '\u{e9}', '\u{1f}'] {
                    let mut text: Vec<char> = vec![filler; 19];
                    text[at] = char::from(b);
                    let text: String = text.into_iter().collect();
                    let mut got = String::new();
                    string(&mut got, &text);
                    assert_eq!(got, reference(&text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn round6_rounds_like_python() {
        assert_eq!(round6(0.123_456_789), 0.123457);
        assert_eq!(round6(1.0), 1.0);
        assert_eq!(round6(0.999_999_9), 1.0);
    }
}
