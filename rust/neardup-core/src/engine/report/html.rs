//! The HTML report: one self-contained page (inline CSS, no external assets, no JavaScript) with the
//! summary, then sections changed → added → removed → duplicates. Word changes are `<del>`/`<ins>` (red
//! struck through / green); added and removed entries fold their abstracts into `<details>`; changed
//! metadata shows as `old → new`.
//!
//! Every piece of snapshot text (titles, abstracts, paths, keys, dates) is HTML-escaped, so a title such
//! as `<script>…</script>` shows as text and never becomes markup.

use std::fmt::Write as _;

use crate::diff::controls::for_markup;
use crate::diff::{escape_html, Style};
use crate::read::file::Record;

use super::super::snapshot::{Group, Matched, Outcome};
use super::{
    changed_header, counts, duplicate_group, field_diff, metadata_changes, snapshot_facts,
    summary_line, Layout, Options, Sections, Source,
};

const CSS: &str = r#"
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --panel: #f6f8fa; --del-bg: #ffebe9; --del-fg: #82071e; --ins-bg: #dafbe1; --ins-fg: #116329; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --panel: #151b23;
    --del-bg: #5d1a1d; --del-fg: #ffdcd7; --ins-bg: #1a4224; --ins-fg: #aff5b4; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1.5rem; color: var(--fg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; padding-bottom: .3rem;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h4 { font-size: .8rem; margin: .75rem 0 .25rem; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.muted, .where { color: var(--muted); font-size: .9rem; }
dl.snapshots { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .75rem; margin: 0; }
dl.snapshots dt { font-weight: 600; }
dl.snapshots dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .7rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.entry { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }
.diff { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; padding: .5rem .75rem;
  background: var(--panel); border-radius: 4px; }
del { background: var(--del-bg); color: var(--del-fg); text-decoration: line-through; }
ins { background: var(--ins-bg); color: var(--ins-fg); text-decoration: none; }
del, ins { border-radius: 3px; padding: 0 .1em; }
ol.entries { padding-left: 0; list-style: none; }
ol.entries li { margin: .3rem 0; }
details > summary { cursor: pointer; overflow-wrap: anywhere; }
details > p { white-space: pre-wrap; margin: .4rem 0 .6rem 1.1rem; }
.added summary::marker { color: var(--ins-fg); }
.removed summary::marker { color: var(--del-fg); }
.added .title { border-left: 3px solid var(--ins-fg); padding-left: .4rem; }
.removed .title { border-left: 3px solid var(--del-fg); padding-left: .4rem; }
.empty { font-style: italic; }
.entry > p.where:first-child { margin-top: 0; }
.meta td { overflow-wrap: anywhere; }
"#;

/// `text` HTML-escaped (quotes too), dangerous characters replaced first.
pub(crate) fn esc(out: &mut String, text: &str) {
    escape_html(out, &for_markup(text));
}

fn title(out: &mut String, r: &Record) {
    let collapsed = r.title().split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        out.push_str("<span class=\"empty\">(untitled)</span>");
    } else {
        esc(out, &collapsed);
    }
}

fn position(out: &mut String, r: &Record, at: u32) {
    super::position(out, r, at, ", ");
}

const LAYOUT: Layout = Layout {
    escape: esc,
    title,
    position,
    arrow: " → ",
    matched_by: " · matched by ",
    strong: ["<b>", "</b>"],
    where_end: "</p>",
    meta_open: "<h4>metadata</h4>\n<table class=\"meta\">\n",
    meta_row: [
        "<tr><th scope=\"row\">",
        "</th><td><del>",
        "</del></td><td><ins>",
        "</ins></td></tr>\n",
    ],
    meta_close: "</table>\n",
};

fn snapshot(out: &mut String, label: &str, s: &Source<'_>) {
    let _ = write!(out, "<dt>{label}</dt><dd>");
    match s.path {
        Some(path) => {
            out.push_str("<code>");
            esc(out, path);
            out.push_str("</code>");
        }
        None => out.push_str("<span class=\"muted\">(no path)</span>"),
    }
    snapshot_facts(out, &LAYOUT, s);
    out.push_str("</dd>\n");
}

fn page_title(out: &mut String, old: &Source<'_>, new: &Source<'_>) {
    out.push_str("neardup diff");
    if old.path.is_some() || new.path.is_some() {
        out.push_str(": ");
        esc(out, old.path.unwrap_or("(old)"));
        out.push_str(" → ");
        esc(out, new.path.unwrap_or("(new)"));
    }
}

/// The HTML report's sections.
#[derive(Clone, Copy)]
pub(super) struct Html(pub Options);

impl Sections for Html {
    fn head(&self, text: &mut String, outcome: &Outcome, old: &Source<'_>, new: &Source<'_>) {
        text.push_str(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"neardup\">\n<title>",
        );
        page_title(text, old, new);
        let _ = write!(
            text,
            "</title>\n<style>{CSS}</style>\n</head>\n<body>\n<header>\n<h1>neardup diff</h1>\n\
             <dl class=\"snapshots\">\n"
        );
        snapshot(text, "old", old);
        snapshot(text, "new", new);
        text.push_str(
            "</dl>\n</header>\n<main>\n<section id=\"summary\">\n<h2>summary</h2>\n\
             <p class=\"summary-line\">",
        );
        esc(text, &summary_line(outcome));
        text.push_str(
            "</p>\n<table class=\"summary\">\n<thead><tr><th></th><th>entries</th></tr></thead>\n<tbody>\n",
        );
        for (label, count, anchor) in counts(outcome).rows() {
            let cell = match anchor {
                Some(anchor) if count > 0 => format!("<a href=\"#{anchor}\">{label}</a>"),
                _ => label.to_owned(),
            };
            let _ = writeln!(
                text,
                "<tr><th scope=\"row\">{cell}</th><td class=\"n\">{count}</td></tr>"
            );
        }
        text.push_str("</tbody>\n</table>\n</section>\n");
    }

    fn tail(&self, text: &mut String) {
        text.push_str("</main>\n</body>\n</html>\n");
    }

    fn open(&self, out: &mut String, name: &str, count: usize) {
        let _ = writeln!(out, "<section id=\"{name}\">\n<h2>{name} ({count})</h2>");
        if matches!(name, "added" | "removed") {
            let _ = writeln!(out, "<ol class=\"entries {name}\">");
        }
    }

    fn close(&self, out: &mut String, name: &str) {
        if matches!(name, "added" | "removed") {
            out.push_str("</ol>\n");
        }
        out.push_str("</section>\n");
    }

    fn changed(&self, out: &mut String, m: &Matched, old: &[Record], new: &[Record]) {
        let opts = self.0;
        let (a, b) = (&old[m.old as usize], &new[m.new as usize]);
        changed_header(
            out,
            &LAYOUT,
            m,
            (a, b),
            [
                "<article class=\"entry changed\">\n<h3 class=\"title\">",
                "</h3>\n<p class=\"where\">",
            ],
        );
        for f in &m.fields {
            let body = field_diff(f, a, b, Style::Html, opts.context);
            let _ = writeln!(
                out,
                "<h4>{0}</h4>\n<p class=\"diff {0}\">{1}</p>",
                f.name,
                for_markup(&body)
            );
        }
        metadata_changes(out, &LAYOUT, m, old, new);
        out.push_str("</article>\n");
    }

    fn listed(&self, out: &mut String, _name: &str, r: &Record, at: u32) {
        let mut summary = String::from("<span class=\"title\">");
        title(&mut summary, r);
        summary.push_str("</span> <span class=\"where\">");
        position(&mut summary, r, at);
        if let Some(key) = r.key.as_deref() {
            summary.push_str(" · <code>");
            esc(&mut summary, key);
            summary.push_str("</code>");
        }
        summary.push_str("</span>");
        if r.abstract_text().trim().is_empty() {
            let _ = writeln!(out, "<li>{summary}</li>");
        } else {
            let _ = write!(out, "<li><details><summary>{summary}</summary><p>");
            esc(out, r.abstract_text());
            out.push_str("</p></details></li>\n");
        }
    }

    fn group(&self, out: &mut String, label: &str, g: &Group, records: &[Record]) {
        let head = [
            "<article class=\"entry duplicates\">\n<p class=\"where\"><b>",
            "</b> snapshot: ",
            ", similarity ",
            "</p>\n<ul>\n",
        ];
        duplicate_group(out, (label, g, records), head, |out, r, p| {
            out.push_str("<li>");
            title(out, r);
            out.push_str(" <span class=\"where\">");
            position(out, r, p);
            out.push_str("</span></li>\n");
        });
        out.push_str("</ul>\n</article>\n");
    }
}
