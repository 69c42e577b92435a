//! The text report, for people at a terminal: the summary line, then sections changed → added → removed
//! → duplicates. A changed entry shows a word diff per differing text field (whole texts or `context`
//! tokens around each change) and each changed metadata or extra field as `old → new`.
//!
//! Every piece of snapshot text goes through [`for_terminal`] (word diffs come neutralised from the
//! diff renderer), so a title cannot send escape sequences to the reader's terminal.

use std::fmt::Write as _;

use crate::diff::controls::for_terminal;
use crate::diff::Style;
use crate::read::file::Record;

use super::super::snapshot::{Group, Matched, Outcome};
use super::{
    field_changes, field_diff, groups, position, summary_line, Options, Pieces, Segment, Source,
};

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

fn heading(out: &mut String, title: &str, count: usize, color: bool) {
    out.push('\n');
    if color {
        let _ = writeln!(out, "{BOLD}== {title} ({count}) =={RESET}");
    } else {
        let _ = writeln!(out, "== {title} ({count}) ==");
    }
}

fn changed(out: &mut String, m: &Matched, old: &[Record], new: &[Record], opts: Options) {
    let (a, b) = (&old[m.old as usize], &new[m.new as usize]);
    let title = for_terminal(b.title());
    if opts.color {
        let _ = writeln!(out, "{BOLD}* {title}{RESET}");
    } else {
        let _ = writeln!(out, "* {title}");
    }
    out.push_str("  old ");
    position(out, a, m.old, " ");
    out.push_str(" -> new ");
    position(out, b, m.new, " ");
    let _ = writeln!(
        out,
        "; matched by {}, similarity {:.3}",
        m.how.name(),
        m.similarity
    );
    let style = match opts.word_style {
        Style::Ansi if !opts.color => Style::Plain,
        style => style,
    };
    for f in &m.fields {
        let body = field_diff(f, a, b, style, opts.context);
        if style == Style::Porcelain {
            let _ = writeln!(out, "  {}:", f.name);
            for line in body.lines() {
                let _ = writeln!(out, "    {line}");
            }
        } else {
            let _ = writeln!(out, "  {}: {body}", f.name);
        }
    }
    for (name, x, y) in field_changes(m, old, new) {
        let _ = writeln!(
            out,
            "  {}: {} -> {}",
            for_terminal(name),
            for_terminal(&x),
            for_terminal(&y)
        );
    }
}

fn listed(out: &mut String, r: &Record, at: u32, sign: char, tint: &str, color: bool) {
    if color {
        out.push_str(tint);
    }
    let _ = write!(out, "{sign} {}  (", for_terminal(r.title()));
    position(out, r, at, " ");
    out.push(')');
    if color {
        out.push_str(RESET);
    }
    out.push('\n');
}

fn group(out: &mut String, label: &str, g: &Group, records: &[Record]) {
    let members: Vec<String> = g.members.iter().map(|p| format!("#{p}")).collect();
    let _ = writeln!(
        out,
        "* {label}: {} (similarity {:.3})",
        members.join(", "),
        g.similarity
    );
    for &p in &g.members {
        let r = &records[p as usize];
        out.push_str("    ");
        position(out, r, p, " ");
        let _ = writeln!(out, ": {}", for_terminal(r.title()));
    }
}

pub(super) fn segments<'a>(
    outcome: &'a Outcome,
    old: Source<'a>,
    new: Source<'a>,
    opts: Options,
) -> Vec<Segment<'a>> {
    let (o, n) = (old.records, new.records);
    let color = opts.color;
    let mut out = Pieces::new();
    out.current.push_str(&for_terminal(&summary_line(outcome)));
    out.current.push('\n');
    if !outcome.changed.is_empty() {
        heading(&mut out.current, "changed", outcome.changed.len(), color);
        out.items(&outcome.changed, "", move |out, m| {
            changed(out, m, o, n, opts)
        });
    }
    if !outcome.added.is_empty() {
        heading(&mut out.current, "added", outcome.added.len(), color);
        out.items(&outcome.added, "", move |out, &j| {
            listed(out, &n[j as usize], j, '+', GREEN, color)
        });
    }
    if !outcome.removed.is_empty() {
        heading(&mut out.current, "removed", outcome.removed.len(), color);
        out.items(&outcome.removed, "", move |out, &i| {
            listed(out, &o[i as usize], i, '-', RED, color)
        });
    }
    let group_count = outcome.duplicates_old.len() + outcome.duplicates_new.len();
    if group_count > 0 {
        heading(&mut out.current, "duplicates", group_count, color);
        for (label, g, records) in groups(outcome, o, n) {
            group(&mut out.current, label, g, records);
        }
    }
    out.finish()
}
