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
use crate::read::file::{Meta, Record};

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
        Format::Text => human(outcome, old, new, text::Text(*opts)),
        Format::Markdown => human(outcome, old, new, markdown::Markdown(*opts)),
        Format::Html => human(outcome, old, new, html::Html(*opts)),
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

/// How a human-readable format writes the sections every such report has, in the order
/// [`sections`] writes them: changed → added → removed → duplicates, each only when it has items.
pub(crate) trait Sections: Copy + Send + Sync {
    /// What comes before the sections: the title, the snapshots, the summary.
    fn head(&self, out: &mut String, outcome: &Outcome, old: &Source<'_>, new: &Source<'_>);
    /// What comes after them.
    fn tail(&self, _out: &mut String) {}
    /// Opens section `name` ("changed", "added", "removed" or "duplicates") of `count` items.
    fn open(&self, out: &mut String, name: &str, count: usize);
    /// Closes section `name`.
    fn close(&self, _out: &mut String, _name: &str) {}
    /// A changed pair.
    fn changed(&self, out: &mut String, m: &Matched, old: &[Record], new: &[Record]);
    /// An added (`name` "added", a record of the new snapshot) or removed entry at position `at`.
    fn listed(&self, out: &mut String, name: &str, r: &Record, at: u32);
    /// A duplicate group of the snapshot labelled `label`.
    fn group(&self, out: &mut String, label: &str, g: &Group, records: &[Record]);
}

/// A human-readable report in `format`: its head, its sections, its tail.
fn human<'a>(
    outcome: &'a Outcome,
    old: Source<'a>,
    new: Source<'a>,
    format: impl Sections + 'a,
) -> Vec<Segment<'a>> {
    let mut out = Pieces::new();
    format.head(&mut out.current, outcome, &old, &new);
    sections(&mut out, outcome, (old.records, new.records), format);
    format.tail(&mut out.current);
    out.finish()
}

/// The sections of a human-readable report, written by `format` (the long lists left to render in
/// parallel).
pub(crate) fn sections<'a>(
    out: &mut Pieces<'a>,
    outcome: &'a Outcome,
    (o, n): (&'a [Record<'a>], &'a [Record<'a>]),
    format: impl Sections + 'a,
) {
    if !outcome.changed.is_empty() {
        format.open(&mut out.current, "changed", outcome.changed.len());
        out.items(&outcome.changed, "", move |out, m| {
            format.changed(out, m, o, n)
        });
        format.close(&mut out.current, "changed");
    }
    for (name, positions, records) in [
        ("added", &outcome.added, n),
        ("removed", &outcome.removed, o),
    ] {
        if positions.is_empty() {
            continue;
        }
        format.open(&mut out.current, name, positions.len());
        out.items(positions, "", move |out, &at| {
            format.listed(out, name, &records[at as usize], at)
        });
        format.close(&mut out.current, name);
    }
    let group_count = outcome.duplicates_old.len() + outcome.duplicates_new.len();
    if group_count > 0 {
        format.open(&mut out.current, "duplicates", group_count);
        for (label, g, records) in groups(outcome, o, n) {
            format.group(&mut out.current, label, g, records);
        }
        format.close(&mut out.current, "duplicates");
    }
}

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
    let held = r.meta();
    let meta = held.as_deref().unwrap_or(&none);
    match name {
        "version" => r.version.map(|v| format!("v{v}")),
        "authors" => meta.authors.as_ref().map(|a| a.join(", ")),
        "authors_count" => meta.authors_count.clone(),
        "organization" => meta.organization.clone(),
        "published" => meta.published.clone(),
        "upvotes" => meta.upvotes.clone(),
        _ => extra_text(r, held.as_deref(), name).map(|v| {
            match crate::read::meta::Json::parse(&v, 0) {
                Some(crate::read::meta::Json::Str(s)) => s,
                _ => v.into_owned(),
            }
        }),
    }
}

/// Each changed metadata or extra field of a matched pair with its old and new value (`—` for none).
fn field_changes<'m>(
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

/// How one human-readable format (text, md, html) writes the parts of a changed entry that every such
/// report has, so the layout of those parts ([`changed_header`], [`metadata_changes`]) is written once.
pub(crate) struct Layout {
    /// Snapshot text as the format shows it (escaped, or neutralised for a terminal).
    pub escape: fn(&mut String, &str),
    /// A record's title as the format shows it.
    pub title: fn(&mut String, &Record),
    /// A record's position (and line) as the format shows it.
    pub position: fn(&mut String, &Record, u32),
    /// Between the old and the new position: `" → "`.
    pub arrow: &'static str,
    /// Before the name of the matching stage: `" · matched by "`.
    pub matched_by: &'static str,
    /// Around the name of the matching stage (bold).
    pub strong: [&'static str; 2],
    /// What closes the line of positions, before its line break.
    pub where_end: &'static str,
    /// What opens the list of changed metadata fields.
    pub meta_open: &'static str,
    /// A row of that list: before the name, between name and old value, between old and new value,
    /// after the new value.
    pub meta_row: [&'static str; 4],
    /// What closes the list.
    pub meta_close: &'static str,
}

/// A changed entry's header: `open`, the new title, `close`, then where the pair stands in each snapshot,
/// the stage that matched it and its similarity, in the format of `layout`.
pub(crate) fn changed_header(
    out: &mut String,
    layout: &Layout,
    m: &Matched,
    (a, b): (&Record, &Record),
    [open, close]: [&str; 2],
) {
    out.push_str(open);
    (layout.title)(out, b);
    out.push_str(close);
    out.push_str("old ");
    (layout.position)(out, a, m.old);
    let _ = write!(out, "{}new ", layout.arrow);
    (layout.position)(out, b, m.new);
    let [bold, unbold] = layout.strong;
    let _ = writeln!(
        out,
        "{}{bold}{}{unbold}, similarity {:.3}{}",
        layout.matched_by,
        m.how.name(),
        m.similarity,
        layout.where_end
    );
}

/// The changed metadata and extra fields of a matched pair as a list in the format of `layout` (nothing
/// when none changed).
pub(crate) fn metadata_changes(
    out: &mut String,
    layout: &Layout,
    m: &Matched,
    old: &[Record],
    new: &[Record],
) {
    let changes = field_changes(m, old, new);
    if changes.is_empty() {
        return;
    }
    let [before, between, arrow, after] = layout.meta_row;
    out.push_str(layout.meta_open);
    for (name, x, y) in changes {
        out.push_str(before);
        (layout.escape)(out, name);
        out.push_str(between);
        (layout.escape)(out, &x);
        out.push_str(arrow);
        (layout.escape)(out, &y);
        out.push_str(after);
    }
    out.push_str(layout.meta_close);
}

/// `", listed DATE, format FORMAT, N entries"`: what a report says of a snapshot after its path (the
/// date and format when known), in the format of `layout`.
pub(crate) fn snapshot_facts(out: &mut String, layout: &Layout, s: &Source<'_>) {
    if let Some(date) = s.date {
        out.push_str(", listed ");
        (layout.escape)(out, date);
    }
    if let Some(format) = s.format {
        out.push_str(", format ");
        (layout.escape)(out, format);
    }
    let _ = write!(out, ", {} entries", s.records.len());
}

/// A duplicate group: `open`, the snapshot's `label`, `after_label`, the members' positions (`#1, #4`),
/// `before_similarity`, the similarity, `after_similarity`, then each member written by `member`.
pub(crate) fn duplicate_group(
    out: &mut String,
    (label, g, records): (&str, &Group, &[Record]),
    [open, after_label, before_similarity, after_similarity]: [&str; 4],
    member: impl Fn(&mut String, &Record, u32),
) {
    let members: Vec<String> = g.members.iter().map(|p| format!("#{p}")).collect();
    let _ = write!(
        out,
        "{open}{label}{after_label}{}{before_similarity}{:.3}{after_similarity}",
        members.join(", "),
        g.similarity
    );
    for &p in &g.members {
        member(out, &records[p as usize], p);
    }
}

/// `"#3 line 7"` / `"#3"`: a record's position and line, with `sep` between them.
pub(crate) fn position(out: &mut String, r: &Record, at: u32, sep: &str) {
    let _ = write!(out, "#{at}");
    if let Some(line) = line_of(r) {
        let _ = write!(out, "{sep}line {line}");
    }
}
