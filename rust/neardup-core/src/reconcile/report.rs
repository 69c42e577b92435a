//! The reports of a reconciliation ([`Outcome`]), one renderer per format: `json` ([`super::json`]),
//! `jsonl`, `text`, `md` and `html`. Every caller renders here (`neardup diff` whichever reader read the
//! snapshots, `neardup.report.render` on a `neardup.compare` result), so a report has one definition.
//!
//! A report is built as an ordered list of [`Segment`]s: text already written, or a run of list items
//! (entries, changed pairs) still to render. The runs render in parallel on the thread pool and are
//! concatenated in order, so the bytes do not depend on the thread count; [`write_report`] writes each
//! piece as soon as it and those before it are ready, overlapping the writing with the rendering.

mod html;
mod jsonl;
mod markdown;
mod text;

use std::borrow::Cow;
use std::fmt::Write as _;

use rayon::prelude::*;

use crate::diff::Style;
use crate::error::{invalid, Result};
use crate::records::file::{Meta, Record};

use super::json;
use super::snapshot::{extra_text, FieldDiff, Group, Matched, Outcome};

/// Where a snapshot came from, as reports name it, and its records (a record's position is its index).
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub path: Option<&'a str>,
    pub format: Option<&'a str>,
    /// The listing date as the file displays it, when it has one.
    pub date: Option<&'a str>,
    pub records: &'a [Record<'a>],
}

/// A report format (the names `neardup diff --format` takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Markdown,
    Html,
}

impl Format {
    pub fn parse(name: &str) -> Result<Format> {
        Ok(match name {
            "text" => Format::Text,
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            "md" => Format::Markdown,
            "html" => Format::Html,
            other => {
                return Err(invalid(
                    "format",
                    format!("expected text, json, jsonl, md or html, got {other:?}"),
                ))
            }
        })
    }
}

/// How a report is rendered.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub format: Format,
    /// The near-match threshold the reconciliation ran with (the JSON report records it).
    pub threshold: f64,
    /// Tokens of unchanged text kept around each change of a word diff (`None`: whole texts); text,
    /// md and html reports.
    pub context: Option<usize>,
    /// How word changes show in the text report: [`Style::Ansi`], [`Style::Plain`] or
    /// [`Style::Porcelain`].
    pub word_style: Style,
    /// Bold headings and coloured added/removed lines in the text report.
    pub color: bool,
}

impl Options {
    pub fn new(format: Format, threshold: f64) -> Options {
        Options {
            format,
            threshold,
            context: None,
            word_style: Style::Plain,
            color: false,
        }
    }
}

/// A part of a report: text written already, or a run of list items still to be rendered.
pub(crate) enum Segment<'a> {
    Text(String),
    Items(Box<dyn FnOnce() -> String + Send + 'a>),
}

impl Segment<'_> {
    fn render(self) -> String {
        match self {
            Segment::Text(text) => text,
            Segment::Items(render) => render(),
        }
    }
}

/// Items of a list rendered per task: big enough to amortise a task, small enough to spread the work.
const ITEMS_PER_PIECE: usize = 512;

/// A report under construction: its segments in order, and the text being written.
pub(crate) struct Pieces<'a> {
    done: Vec<Segment<'a>>,
    pub current: String,
}

impl<'a> Pieces<'a> {
    pub fn new() -> Pieces<'a> {
        Pieces {
            done: Vec::new(),
            current: String::with_capacity(4096),
        }
    }

    /// The items rendered by `each` one after another, `sep` between two; long lists are left as
    /// segments of `ITEMS_PER_PIECE` items to be rendered in parallel.
    pub fn items<T: Sync>(
        &mut self,
        items: &'a [T],
        sep: &'static str,
        each: impl Fn(&mut String, &T) + Copy + Send + Sync + 'a,
    ) {
        if items.len() <= ITEMS_PER_PIECE {
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    self.current.push_str(sep);
                }
                each(&mut self.current, item);
            }
            return;
        }
        let text = std::mem::take(&mut self.current);
        self.done.push(Segment::Text(text));
        for (c, chunk) in items.chunks(ITEMS_PER_PIECE).enumerate() {
            self.done.push(Segment::Items(Box::new(move || {
                let mut out = String::new();
                for (n, item) in chunk.iter().enumerate() {
                    if c > 0 || n > 0 {
                        out.push_str(sep);
                    }
                    each(&mut out, item);
                }
                out
            })));
        }
    }

    /// A JSON list of the items.
    pub fn list<T: Sync>(
        &mut self,
        items: &'a [T],
        each: impl Fn(&mut String, &T) + Copy + Send + Sync + 'a,
    ) {
        self.current.push('[');
        self.items(items, ", ", each);
        self.current.push(']');
    }

    pub fn finish(mut self) -> Vec<Segment<'a>> {
        self.done.push(Segment::Text(self.current));
        self.done
    }
}

fn segments<'a>(
    outcome: &'a Outcome,
    old: Source<'a>,
    new: Source<'a>,
    opts: &Options,
) -> Vec<Segment<'a>> {
    match opts.format {
        Format::Json => json::segments(outcome, old, new, opts.threshold),
        Format::Jsonl => jsonl::segments(outcome, old, new),
        Format::Text => text::segments(outcome, old, new, *opts),
        Format::Markdown => markdown::segments(outcome, old, new, *opts),
        Format::Html => html::segments(outcome, old, new, *opts),
    }
}

/// The whole report.
pub fn render(outcome: &Outcome, old: Source<'_>, new: Source<'_>, opts: &Options) -> String {
    render_pieces(outcome, old, new, opts).concat()
}

/// The report as consecutive pieces (concatenated, they are [`render`]'s text): the long lists are
/// rendered in parallel, and a caller writing to a file need not join them first.
pub fn render_pieces(
    outcome: &Outcome,
    old: Source<'_>,
    new: Source<'_>,
    opts: &Options,
) -> Vec<String> {
    segments(outcome, old, new, opts)
        .into_par_iter()
        .map(Segment::render)
        .collect()
}

/// Writes the report to `out` while it is being rendered: the pieces are rendered by the thread pool,
/// in order, and the calling thread writes each as soon as it and those before it are ready, so the
/// writing (page-cache work in the kernel, as long as the rendering for a report of tens of MB) overlaps
/// the rendering. On a write error the rest is still rendered but not written, and the error returned.
pub fn write_report(
    outcome: &Outcome,
    old: Source<'_>,
    new: Source<'_>,
    opts: &Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let segments = segments(outcome, old, new, opts);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, String)>();
    rayon::in_place_scope(|scope| {
        // Spawned from outside the pool, the pieces queue up in order, and idle workers take them so.
        for (i, segment) in segments.into_iter().enumerate() {
            let tx = tx.clone();
            scope.spawn(move |_| {
                let _ = tx.send((i, segment.render()));
            });
        }
        drop(tx);
        let mut waiting = std::collections::BTreeMap::new();
        let (mut next, mut result) = (0, Ok(()));
        for (i, piece) in rx {
            waiting.insert(i, piece);
            while let Some(piece) = waiting.remove(&next) {
                if result.is_ok() {
                    result = out.write_all(piece.as_bytes());
                }
                next += 1;
            }
        }
        result
    })
}

// ---- what the human-readable reports share ------------------------------------------------------------

/// The counts of a report's summary.
pub(crate) struct Counts {
    pub unchanged: usize,
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
    pub duplicates: usize,
    pub meta_changed: usize,
}

pub(crate) fn counts(outcome: &Outcome) -> Counts {
    Counts {
        unchanged: outcome.unchanged.len(),
        changed: outcome.changed.len(),
        added: outcome.added.len(),
        removed: outcome.removed.len(),
        duplicates: outcome.duplicates_old.len() + outcome.duplicates_new.len(),
        meta_changed: outcome
            .unchanged
            .iter()
            .chain(&outcome.changed)
            .filter(|m| !m.meta_changed.is_empty())
            .count(),
    }
}

impl Counts {
    /// The rows of a summary table: label, count and the section it links to (none for the counts
    /// without a section of their own).
    pub fn rows(&self) -> [(&'static str, usize, Option<&'static str>); 6] {
        [
            ("unchanged", self.unchanged, None),
            ("changed", self.changed, Some("changed")),
            ("added", self.added, Some("added")),
            ("removed", self.removed, Some("removed")),
            ("duplicate groups", self.duplicates, Some("duplicates")),
            ("metadata changed", self.meta_changed, None),
        ]
    }
}

/// Every duplicate group with the label of its snapshot and that snapshot's records, old ones first.
pub(crate) fn groups<'a>(
    outcome: &'a Outcome,
    old: &'a [Record<'a>],
    new: &'a [Record<'a>],
) -> impl Iterator<Item = (&'static str, &'a Group, &'a [Record<'a>])> {
    let side = |label, gs: &'a [Group], records| gs.iter().map(move |g| (label, g, records));
    side("old", &outcome.duplicates_old, old).chain(side("new", &outcome.duplicates_new, new))
}

/// The field's word diff of a matched pair, rendered in `style` with `context` words around changes.
pub(crate) fn field_diff(
    f: &FieldDiff,
    a: &Record,
    b: &Record,
    style: Style,
    context: Option<usize>,
) -> String {
    let (x, y) = f.texts(a, b);
    f.diff.render(x, y, style, context)
}

/// `"3 unchanged, 1 changed, 2 added, 0 removed, 1 duplicate groups"`.
pub(crate) fn summary_line(outcome: &Outcome) -> String {
    let c = counts(outcome);
    format!(
        "{} unchanged, {} changed, {} added, {} removed, {} duplicate groups",
        c.unchanged, c.changed, c.added, c.removed, c.duplicates
    )
}

/// The 1-based line of a record, or `None` for a record not read from a file (line 0).
pub(crate) fn line_of(r: &Record) -> Option<u64> {
    (r.line > 0).then_some(r.line)
}

/// The value of a metadata or extra field of `r` as people read it (names joined by ", ", strings
/// without their JSON quotes), or `None` when the record has no such field.
pub(crate) fn field_value(r: &Record, name: &str) -> Option<String> {
    let none = Meta::default();
    let meta = r.meta.as_deref().unwrap_or(&none);
    match name {
        "version" => r.version.map(|v| format!("v{v}")),
        "authors" => meta.authors.as_ref().map(|a| a.join(", ")),
        "authors_count" => meta.authors_count.clone(),
        "organization" => meta.organization.clone(),
        "published" => meta.published.clone(),
        "upvotes" => meta.upvotes.clone(),
        _ => extra_text(r, name).map(|v| match crate::records::meta::Json::parse(&v, 0) {
            Some(crate::records::meta::Json::Str(s)) => s,
            _ => v.into_owned(),
        }),
    }
}

/// Each changed metadata or extra field of a matched pair with its old and new value (`—` for none).
pub(crate) fn field_changes<'m>(
    m: &'m Matched,
    old: &[Record],
    new: &[Record],
) -> Vec<(&'m str, String, String)> {
    let (a, b) = (&old[m.old as usize], &new[m.new as usize]);
    m.meta_changed
        .iter()
        .map(|name: &Cow<'static, str>| {
            let show = |r| field_value(r, name).unwrap_or_else(|| "—".to_owned());
            (&**name, show(a), show(b))
        })
        .collect()
}

/// `"#3 line 7"` / `"#3"`: a record's position and line, with `sep` between them.
pub(crate) fn position(out: &mut String, r: &Record, at: u32, sep: &str) {
    let _ = write!(out, "#{at}");
    if let Some(line) = line_of(r) {
        let _ = write!(out, "{sep}line {line}");
    }
}
