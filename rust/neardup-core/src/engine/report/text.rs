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
    changed_header, duplicate_group, field_diff, metadata_changes, position, summary_line, Layout,
    Options, Sections, Source,
};

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";
/// What opens and closes a changed entry's title line (the line of positions follows, indented).
const TITLE: [&str; 2] = ["* ", "\n  "];
const TITLE_BOLD: [&str; 2] = ["\x1b[1m* ", "\x1b[0m\n  "];

fn escape(out: &mut String, text: &str) {
    out.push_str(&for_terminal(text));
}

const LAYOUT: Layout = Layout {
    escape,
    title: |out, r| escape(out, r.title()),
    position: |out, r, at| position(out, r, at, " "),
    arrow: " -> ",
    matched_by: "; matched by ",
    strong: ["", ""],
    where_end: "",
    meta_open: "",
    meta_row: ["  ", ": ", " -> ", "\n"],
    meta_close: "",
};

fn heading(out: &mut String, title: &str, count: usize, color: bool) {
    out.push('\n');
    if color {
        let _ = writeln!(out, "{BOLD}== {title} ({count}) =={RESET}");
    } else {
        let _ = writeln!(out, "== {title} ({count}) ==");
    }
}

/// The text report's sections.
#[derive(Clone, Copy)]
pub(super) struct Text(pub Options);

impl Sections for Text {
    fn head(&self, text: &mut String, outcome: &Outcome, _old: &Source<'_>, _new: &Source<'_>) {
        text.push_str(&for_terminal(&summary_line(outcome)));
        text.push('\n');
    }

    fn open(&self, out: &mut String, name: &str, count: usize) {
        heading(out, name, count, self.0.color);
    }

    fn changed(&self, out: &mut String, m: &Matched, old: &[Record], new: &[Record]) {
        let opts = self.0;
        let (a, b) = (&old[m.old as usize], &new[m.new as usize]);
        let title = if opts.color { TITLE_BOLD } else { TITLE };
        changed_header(out, &LAYOUT, m, (a, b), title);
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
        metadata_changes(out, &LAYOUT, m, old, new);
    }

    fn listed(&self, out: &mut String, name: &str, r: &Record, at: u32) {
        let (sign, tint) = if name == "added" {
            ('+', GREEN)
        } else {
            ('-', RED)
        };
        let color = self.0.color;
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

    fn group(&self, out: &mut String, label: &str, g: &Group, records: &[Record]) {
        let head = ["* ", ": ", " (similarity ", ")\n"];
        duplicate_group(out, (label, g, records), head, |out, r, p| {
            out.push_str("    ");
            position(out, r, p, " ");
            let _ = writeln!(out, ": {}", for_terminal(r.title()));
        });
    }
}
