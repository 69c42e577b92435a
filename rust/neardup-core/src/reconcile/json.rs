//! The JSON report of a [`snapshot::Outcome`](super::snapshot::Outcome), byte for byte what
//! `neardup.report.json.render` writes for the same diff: `json.dumps(document, sort_keys=True,
//! ensure_ascii=False)` plus a newline. So keys are sorted, separators are `", "` and `": "`, strings
//! escape only `"`, `\` and control characters, and floats are spelled as Python's `repr`.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::records::file::Record;
use crate::records::Scalar;

use super::snapshot::{Group, Matched, Outcome};

/// `reconcile.report.json.SCHEMA_VERSION`.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a snapshot came from, as the report names it.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub path: &'a str,
    pub format: &'a str,
    pub records: &'a [Record<'a>],
}

/// A JSON string as Python's `json` encoder writes it with `ensure_ascii=False`.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut from = 0;
    for (at, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[from..at]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        from = at + 1;
    }
    out.push_str(&s[from..]);
    out.push('"');
}

/// A float as Python's `repr` spells it: the shortest digits that round-trip, in positional notation when
/// the decimal exponent is in -4..=15 (with ".0" for integers), else as `d.ddde±XX`.
pub fn float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    let sci = format!("{x:e}"); // shortest round-trip digits, e.g. "-1.25e-3"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if (point as usize) < digits.len() {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        } else {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
            out.push_str(".0");
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

/// Python's `round(x, 6)` (correctly rounded through the decimal expansion).
pub fn round6(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.6}").parse().unwrap_or(x)
}

fn opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.push_str("null"),
    }
}

fn scalar(out: &mut String, v: &Scalar<'_>) {
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

/// `Entry.to_dict()` with sorted keys.
fn entry(out: &mut String, r: &Record, position: u32) {
    out.push_str("{\"abstract\": ");
    string(out, r.abstract_text());
    out.push_str(", \"authors\": null, \"authors_count\": null, \"extra\": {");
    let mut extra: Vec<&(Cow<str>, Scalar)> = r.extra.iter().collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0));
    for (n, (name, value)) in extra.into_iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        string(out, name);
        out.push_str(": ");
        scalar(out, value);
    }
    out.push_str("}, \"key\": ");
    opt_str(out, r.key.as_deref());
    let _ = write!(
        out,
        ", \"line\": {}, \"organization\": null, \"position\": {position}, \"published\": null, \"title\": ",
        r.line
    );
    string(out, r.title());
    out.push_str(", \"upvotes\": null, \"version\": ");
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

fn names(out: &mut String, names: &[&str]) {
    list(out, names, |out, n| string(out, n));
}

fn changed(out: &mut String, m: &Matched, old: &[Record], new: &[Record]) {
    let (a, b) = (&old[m.old as usize], &new[m.new as usize]);
    out.push_str("{\"fields\": {");
    for (n, f) in m.fields.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        let (x, y) = match f.name {
            "title" => (a.title(), b.title()),
            _ => (a.abstract_text(), b.abstract_text()),
        };
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
    out.push_str("}, \"match\": ");
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

fn groups(out: &mut String, first: &mut bool, label: &str, gs: &[Group]) {
    for g in gs {
        if !std::mem::take(first) {
            out.push_str(", ");
        }
        out.push_str("{\"members\": ");
        list(out, &g.members, |out, m| {
            let _ = write!(out, "{m}");
        });
        out.push_str(", \"similarity\": ");
        float(out, round6(g.similarity));
        out.push_str(", \"snapshot\": ");
        string(out, label);
        out.push('}');
    }
}

fn snapshot(out: &mut String, s: &Source<'_>) {
    let _ = write!(
        out,
        "{{\"date\": null, \"entries\": {}, \"format\": ",
        s.records.len()
    );
    string(out, s.format);
    out.push_str(", \"path\": ");
    string(out, s.path);
    out.push('}');
}

/// The whole report, newline-terminated.
pub fn render(outcome: &Outcome, old: Source<'_>, new: Source<'_>, threshold: f64) -> String {
    let (o, n) = (old.records, new.records);
    let size: usize = outcome.changed.len() * 4096
        + (outcome.added.len() + outcome.removed.len()) * 2048
        + outcome.unchanged.len() * 160;
    let mut out = String::with_capacity(size + 1024);
    out.push_str("{\"added\": ");
    list(&mut out, &outcome.added, |out, &j| {
        entry(out, &n[j as usize], j)
    });
    out.push_str(", \"changed\": ");
    list(&mut out, &outcome.changed, |out, m| changed(out, m, o, n));
    out.push_str(", \"duplicates\": [");
    let mut first = true;
    groups(&mut out, &mut first, "old", &outcome.duplicates_old);
    groups(&mut out, &mut first, "new", &outcome.duplicates_new);
    out.push_str("], \"new\": ");
    snapshot(&mut out, &new);
    out.push_str(", \"old\": ");
    snapshot(&mut out, &old);
    out.push_str(", \"removed\": ");
    list(&mut out, &outcome.removed, |out, &i| {
        entry(out, &o[i as usize], i)
    });
    let meta = outcome
        .unchanged
        .iter()
        .chain(&outcome.changed)
        .filter(|m| !m.meta_changed.is_empty())
        .count();
    let _ = write!(
        out,
        ", \"schema_version\": {SCHEMA_VERSION}, \"summary\": {{\"added\": {}, \"changed\": {}, \
         \"duplicates\": {}, \"meta_changed\": {meta}, \"removed\": {}, \"unchanged\": {}}}, \
         \"threshold\": ",
        outcome.added.len(),
        outcome.changed.len(),
        outcome.duplicates_old.len() + outcome.duplicates_new.len(),
        outcome.removed.len(),
        outcome.unchanged.len(),
    );
    float(&mut out, threshold);
    out.push_str(", \"unchanged\": ");
    list(&mut out, &outcome.unchanged, |out, m| {
        out.push_str("{\"match\": ");
        string(out, m.how.name());
        out.push_str(", \"meta_changed\": ");
        names(out, &m.meta_changed);
        let _ = write!(
            out,
            ", \"new_position\": {}, \"old_position\": {}, \"title\": ",
            m.new, m.old
        );
        string(out, n[m.new as usize].title());
        out.push('}');
    });
    out.push_str("}\n");
    out
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

    #[test]
    fn round6_rounds_like_python() {
        assert_eq!(round6(0.123_456_789), 0.123457);
        assert_eq!(round6(1.0), 1.0);
        assert_eq!(round6(0.999_999_9), 1.0);
    }
}
