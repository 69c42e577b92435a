//! The Markdown report (GitHub Flavored Markdown): a title, the two snapshots, a summary table, then
//! sections changed → added → removed → duplicates. Changed entries show a word diff per differing field
//! as `~~removed~~ **added**` inside a quote block, and changed metadata as `old → new`.
//!
//! Every piece of snapshot text is escaped, so a title can neither break a table (`|`) nor turn into
//! markup (`*`, `_`, `<script>`, `#`, `[…](…)`); abstracts keep their line breaks inside the quote block,
//! with line-start markers (`- `, `1. `, `===`) defused.

use std::fmt::Write as _;

use crate::diff::controls::for_markup;
use crate::diff::Style;
use crate::read::file::Record;

use super::super::snapshot::{Group, Matched, Outcome};
use super::{
    changed_header, counts, duplicate_group, field_diff, line_of, metadata_changes, snapshot_facts,
    summary_line, Layout, Options, Sections, Source,
};

/// `text` as one line of inline Markdown that renders literally (whitespace collapsed). Any ASCII
/// punctuation may be backslash-escaped in CommonMark, so escaping more than needed is safe.
pub(crate) fn escape(out: &mut String, text: &str) {
    let clean = for_markup(text);
    for (n, word) in clean.split_whitespace().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        for c in word.chars() {
            if matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&' | '!'
            ) {
                out.push('\\');
            }
            out.push(c);
        }
    }
}

fn title(out: &mut String, r: &Record) {
    if r.title().trim().is_empty() {
        out.push_str("*(untitled)*");
    } else {
        escape(out, r.title());
    }
}

/// `text` as an inline code span, fenced with more backticks than it contains.
fn code(out: &mut String, text: &str) {
    let text = for_markup(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.trim().is_empty() {
        " "
    } else {
        ""
    };
    let _ = write!(out, "{fence}{pad}{text}{pad}{fence}");
}

fn position(out: &mut String, r: &Record, at: u32) {
    let _ = write!(out, "#{at}");
    if let Some(line) = line_of(r) {
        let _ = write!(out, " (line {line})");
    }
}

const LAYOUT: Layout = Layout {
    escape,
    title,
    position,
    arrow: " → ",
    matched_by: " · matched by ",
    strong: ["**", "**"],
    where_end: "",
    meta_open: "\nmetadata changed:\n\n",
    meta_row: ["- ", ": ", " → ", "\n"],
    meta_close: "",
};

/// A rendered (already escaped) word diff as a quote block, keeping its line breaks and defusing what
/// would open a block at a line's start.
fn quote(out: &mut String, body: &str) {
    for raw in for_markup(body).split('\n') {
        let line = raw.trim();
        if line.is_empty() {
            out.push_str(">\n");
            continue;
        }
        out.push_str("> ");
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        let rest = &line[digits..];
        if (1..=9).contains(&digits)
            && (rest.starts_with('.') || rest.starts_with(')'))
            && rest[1..].chars().next().is_none_or(char::is_whitespace)
        {
            out.push_str(&line[..digits]);
            out.push('\\');
            out.push_str(rest);
        } else {
            if line.starts_with(['-', '+', '=']) {
                out.push('\\');
            }
            out.push_str(line);
        }
        out.push('\n');
    }
}

fn snapshot_line(out: &mut String, label: &str, s: &Source<'_>) {
    let _ = write!(out, "**{label}:** ");
    match s.path {
        Some(path) => code(out, path),
        None => out.push_str("*(no path)*"),
    }
    snapshot_facts(out, &LAYOUT, s);
}

/// The Markdown report's sections.
#[derive(Clone, Copy)]
pub(super) struct Markdown(pub Options);

impl Sections for Markdown {
    fn head(&self, text: &mut String, outcome: &Outcome, old: &Source<'_>, new: &Source<'_>) {
        text.push_str("# neardup diff\n\n");
        snapshot_line(text, "old", old);
        text.push_str("  \n");
        snapshot_line(text, "new", new);
        let _ = write!(text, "\n\n{}\n\n", summary_line(outcome));
        text.push_str("| | entries |\n| --- | ---: |\n");
        for (label, count, anchor) in counts(outcome).rows() {
            match anchor {
                Some(anchor) if count > 0 => {
                    let _ = writeln!(text, "| [{label}](#{anchor}-{count}) | {count} |");
                }
                _ => {
                    let _ = writeln!(text, "| {label} | {count} |");
                }
            }
        }
    }

    fn open(&self, out: &mut String, name: &str, count: usize) {
        let _ = writeln!(out, "\n## {name} ({count})");
        if matches!(name, "added" | "removed") {
            out.push_str("\n| # | line | key | title |\n| ---: | ---: | --- | --- |\n");
        }
    }

    fn changed(&self, out: &mut String, m: &Matched, old: &[Record], new: &[Record]) {
        let opts = self.0;
        let (a, b) = (&old[m.old as usize], &new[m.new as usize]);
        changed_header(out, &LAYOUT, m, (a, b), ["\n### ", "\n\n"]);
        for f in &m.fields {
            let _ = write!(out, "\n**{}**\n\n", f.name);
            quote(out, &field_diff(f, a, b, Style::Markdown, opts.context));
        }
        metadata_changes(out, &LAYOUT, m, old, new);
    }

    fn listed(&self, out: &mut String, _name: &str, r: &Record, at: u32) {
        let _ = write!(out, "| {at} | ");
        if let Some(line) = line_of(r) {
            let _ = write!(out, "{line}");
        }
        out.push_str(" | ");
        if let Some(key) = r.key.as_deref() {
            // GFM splits table cells at "|" even inside code spans, unless escaped.
            let mut cell = String::new();
            code(&mut cell, key);
            out.push_str(&cell.replace('|', "\\|"));
        }
        out.push_str(" | ");
        title(out, r);
        out.push_str(" |\n");
    }

    fn group(&self, out: &mut String, label: &str, g: &Group, records: &[Record]) {
        let head = ["\n- **", "** ", ", similarity ", "\n"];
        duplicate_group(out, (label, g, records), head, |out, r, p| {
            out.push_str("  - ");
            position(out, r, p);
            out.push_str(": ");
            title(out, r);
            out.push('\n');
        });
    }
}
