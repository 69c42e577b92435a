//! `_reconcile`: the reconciliation engine (`neardup_core::engine::snapshot::compare`) on snapshots held
//! in Python, given as columns. `neardup.compare` is a thin wrapper over it; no matching rule lives in
//! Python. Its result keeps the engine's outcome (`Reconciled`), so that every report of a
//! `SnapshotDiff` is rendered by the core's renderers, as `neardup diff`'s are.

use std::borrow::Cow;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use neardup_core::engine::agree;
use neardup_core::engine::report::{self, Source};
use neardup_core::engine::snapshot::{self, Group, Matched, Outcome};
use neardup_core::identify::normalize_title;
use neardup_core::read::file::{Meta, Record};

use crate::diff::PyDiff;
use crate::errors::detached;
use crate::texts::{texts, Text};

/// The columns of one snapshot, in the order `neardup.reconcile._columns` builds them.
pub(crate) struct Columns<'py> {
    pub(crate) titles: Bound<'py, PyList>,
    pub(crate) abstracts: Bound<'py, PyList>,
    title_texts: Vec<Text>,
    abstract_texts: Vec<Text>,
    keys: Vec<Option<String>>,
    versions: Vec<Option<u32>>,
    lines: Vec<Option<u64>>,
    metas: Vec<Option<Box<Meta>>>,
}

fn opt_text(item: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if item.is_none() {
        Ok(None)
    } else {
        Ok(Some(item.str()?.to_string()))
    }
}

fn column<'py>(
    cols: &Bound<'py, PyTuple>,
    at: usize,
    n: usize,
    what: &str,
) -> PyResult<Bound<'py, PyList>> {
    let list = cols.get_item(at)?.cast_into::<PyList>()?;
    if list.len() != n {
        return Err(PyValueError::new_err(format!(
            "{what}: expected {n} items, got {}",
            list.len()
        )));
    }
    Ok(list)
}

/// Reads `(titles, abstracts, keys, versions, lines, authors, authors_count, organization, published,
/// upvotes, extra)`: lists of one length; `extra` items are canonical JSON objects or None.
pub(crate) fn columns<'py>(cols: &Bound<'py, PyTuple>) -> PyResult<Columns<'py>> {
    if cols.len() != 11 {
        return Err(PyValueError::new_err("columns: expected 11 lists"));
    }
    let titles = cols.get_item(0)?.cast_into::<PyList>()?;
    let n = titles.len();
    let abstracts = column(cols, 1, n, "abstracts")?;
    let title_texts = texts(titles.as_any(), "titles")?;
    let abstract_texts = texts(abstracts.as_any(), "abstracts")?;
    let keys = column(cols, 2, n, "keys")?
        .iter()
        .map(|k| opt_text(&k))
        .collect::<PyResult<_>>()?;
    let versions = column(cols, 3, n, "versions")?
        .iter()
        .map(|v| {
            if v.is_none() {
                Ok(None)
            } else {
                v.extract::<u32>().map(Some).or(Ok(None))
            }
        })
        .collect::<PyResult<_>>()?;
    let lines = column(cols, 4, n, "lines")?
        .iter()
        .map(|v| {
            if v.is_none() {
                Ok(None)
            } else {
                v.extract::<u64>().map(Some)
            }
        })
        .collect::<PyResult<_>>()?;
    let authors = column(cols, 5, n, "authors")?;
    let counts = column(cols, 6, n, "authors_count")?;
    let orgs = column(cols, 7, n, "organization")?;
    let published = column(cols, 8, n, "published")?;
    let upvotes = column(cols, 9, n, "upvotes")?;
    let extra = column(cols, 10, n, "extra")?;
    let mut metas = Vec::with_capacity(n);
    for i in 0..n {
        let a = authors.get_item(i)?;
        let e = extra.get_item(i)?;
        let meta = Meta {
            authors: if a.is_none() {
                None
            } else {
                Some(a.extract::<Vec<String>>()?)
            },
            authors_count: opt_text(&counts.get_item(i)?)?,
            organization: opt_text(&orgs.get_item(i)?)?,
            published: opt_text(&published.get_item(i)?)?,
            upvotes: opt_text(&upvotes.get_item(i)?)?,
            extra: if e.is_none() {
                Vec::new()
            } else {
                Meta::extra_from_json(&e.extract::<String>()?)
            },
        };
        metas.push((meta != Meta::default()).then(|| Box::new(meta)));
    }
    Ok(Columns {
        titles,
        abstracts,
        title_texts,
        abstract_texts,
        keys,
        versions,
        lines,
        metas,
    })
}

/// The records of the columns, owning their texts (a `Reconciled` outlives the Python lists).
pub(crate) fn records(c: &Columns<'_>) -> Vec<Record<'static>> {
    (0..c.title_texts.len())
        .map(|i| {
            Record::from_parts(
                Cow::Owned(c.title_texts[i].as_ref().to_owned()),
                Cow::Owned(c.abstract_texts[i].as_ref().to_owned()),
                c.keys[i].clone(),
                c.versions[i],
                c.lines[i].unwrap_or(0),
                c.metas[i].clone(),
            )
        })
        .collect()
}

/// Normalised titles, taking those the reader computed while the line was in cache.
pub(crate) fn normalised(records: &mut [Record]) -> Vec<String> {
    records
        .iter_mut()
        .map(|r| {
            r.ascii_title
                .take()
                .unwrap_or_else(|| normalize_title(r.title()))
        })
        .collect()
}

type PyMatch = (
    u32,
    u32,
    &'static str,
    f64,
    Vec<(&'static str, Py<PyDiff>)>,
    Vec<String>,
    Option<PyEvidence>,
);

/// A near match's evidence: the similarities of title, abstract and authors (`None` where missing).
type PyEvidence = (Option<f64>, Option<f64>, Option<f64>);

fn evidence(m: &Matched) -> Option<PyEvidence> {
    m.evidence
        .map(|e| (e.title_sim, e.abstract_sim, e.authors_sim))
}

fn matches(py: Python<'_>, ms: &[Matched], old: &Columns, new: &Columns) -> PyResult<Vec<PyMatch>> {
    ms.iter()
        .map(|m| {
            let fields = m
                .fields
                .iter()
                .map(|f| {
                    let (a, b) = match f.name {
                        "title" => (&old.titles, &new.titles),
                        _ => (&old.abstracts, &new.abstracts),
                    };
                    let x = a
                        .get_item(m.old as usize)?
                        .cast_into::<PyString>()?
                        .unbind();
                    let y = b
                        .get_item(m.new as usize)?
                        .cast_into::<PyString>()?
                        .unbind();
                    Ok((
                        f.name,
                        Py::new(py, PyDiff::from_parts(x, y, f.diff.clone()))?,
                    ))
                })
                .collect::<PyResult<_>>()?;
            Ok((
                m.old,
                m.new,
                m.how.name(),
                m.similarity,
                fields,
                m.meta_changed.iter().map(|f| f.to_string()).collect(),
                evidence(m),
            ))
        })
        .collect()
}

fn groups(gs: &[Group]) -> Vec<(Vec<u32>, f64)> {
    gs.iter()
        .map(|g| (g.members.clone(), g.similarity))
        .collect()
}

type Found = (
    Vec<PyMatch>,
    Vec<PyMatch>,
    Vec<u32>,
    Vec<u32>,
    Vec<(Vec<u32>, f64)>,
    Vec<(Vec<u32>, f64)>,
    Reconciled,
);

/// Reconciles two snapshots given as columns: `(unchanged, changed, added, removed, old duplicate groups,
/// new duplicate groups, reconciled)`, matches as `(old, new, how, similarity, fields, meta_changed,
/// evidence)` with `fields` the `(name, Diff)` of each differing text field, `evidence` a near match's
/// `(title, abstract, authors)` similarities (None for key and title matches), and `reconciled` the
/// engine's result kept for rendering reports.
#[pyfunction]
#[pyo3(signature = (old, new, /, *, options))]
fn _reconcile(
    py: Python<'_>,
    old: &Bound<'_, PyTuple>,
    new: &Bound<'_, PyTuple>,
    options: &Bound<'_, EngineOptions>,
) -> PyResult<Found> {
    let (oc, nc) = (columns(old)?, columns(new)?);
    let (mut o, mut n) = (records(&oc), records(&nc));
    let (ot, nt) = py.detach(|| rayon::join(|| normalised(&mut o), || normalised(&mut n)));
    let opts = &options.get().0;
    let out: Outcome = detached(py, || snapshot::compare(&o, &n, &ot, &nt, opts))?;
    Ok((
        matches(py, &out.unchanged, &oc, &nc)?,
        matches(py, &out.changed, &oc, &nc)?,
        out.added.clone(),
        out.removed.clone(),
        groups(&out.duplicates_old),
        groups(&out.duplicates_new),
        Reconciled {
            old: o,
            new: n,
            outcome: out,
            threshold: opts.threshold,
        },
    ))
}

/// The engine's options, built once in Python and given to both reconciling entry points: `_reconcile`
/// (snapshots as columns) and `_diff_files` (snapshot files).
#[pyclass(module = "neardup._core", name = "_EngineOptions", frozen)]
pub struct EngineOptions(pub(crate) snapshot::Options);

#[pymethods]
impl EngineOptions {
    #[new]
    #[pyo3(signature = (
        *, threshold, duplicate_threshold, include_meta=false, near=true, ignore_fields=Vec::new(),
        text_fields=Vec::new(),
    ))]
    fn new(
        threshold: f64,
        duplicate_threshold: f64,
        include_meta: bool,
        near: bool,
        ignore_fields: Vec<String>,
        text_fields: Vec<String>,
    ) -> EngineOptions {
        EngineOptions(snapshot::Options {
            threshold,
            duplicate_threshold,
            include_meta,
            near,
            ignore_fields,
            text_fields,
        })
    }
}

type Named = (Option<String>, Option<String>, Option<String>);

fn source<'a>((path, format, date): &'a Named, records: &'a [Record<'static>]) -> Source<'a> {
    Source {
        path: path.as_deref(),
        format: format.as_deref(),
        date: date.as_deref(),
        records,
    }
}

/// The engine's result on two snapshots, with the records it read: what every report of a
/// `SnapshotDiff` is rendered from.
#[pyclass(module = "neardup._core", name = "Reconciled", frozen)]
pub struct Reconciled {
    old: Vec<Record<'static>>,
    new: Vec<Record<'static>>,
    outcome: Outcome,
    threshold: f64,
}

#[pymethods]
impl Reconciled {
    /// The report in `format` (`text`, `json`, `jsonl`, `md` or `html`) as a `Report`; `old` and `new`
    /// are `(path, format, date)` of each snapshot (each may be None).
    #[pyo3(signature = (
        format, old, new, /, *, context=None, word_diff="plain", color=false,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn render(
        &self,
        py: Python<'_>,
        format: &str,
        old: Named,
        new: Named,
        context: Option<usize>,
        word_diff: &str,
        color: bool,
    ) -> PyResult<crate::reconcile::Report> {
        let opts =
            crate::reconcile::report_options(format, self.threshold, context, word_diff, color)?;
        let pieces = py.detach(|| {
            report::render_pieces(
                &self.outcome,
                source(&old, &self.old),
                source(&new, &self.new),
                &opts,
            )
        });
        Ok(crate::reconcile::Report::new(pieces))
    }
}

/// The duplicate groups `(members, similarity)` of one snapshot given as columns (the rule `_reconcile`
/// applies inside each side).
#[pyfunction]
#[pyo3(signature = (entries, /, *, threshold))]
fn _duplicate_groups(
    py: Python<'_>,
    entries: &Bound<'_, PyTuple>,
    threshold: f64,
) -> PyResult<Vec<(Vec<u32>, f64)>> {
    let c = columns(entries)?;
    let mut rs = records(&c);
    let titles = normalised(&mut rs);
    let gs = detached(py, || {
        snapshot::duplicate_groups_of(&rs, &titles, threshold)
    })?;
    Ok(groups(&gs))
}

/// Which of `old` and `new` (columns of entries sharing one identity) are the same paper: `(old, new)`
/// index pairs by the engine's rule for shared identities (`neardup_core::engine::agree`).
#[pyfunction]
#[pyo3(signature = (old, new, /))]
fn _resolve_shared(
    old: &Bound<'_, PyTuple>,
    new: &Bound<'_, PyTuple>,
) -> PyResult<Vec<(u32, u32)>> {
    let (oc, nc) = (columns(old)?, columns(new)?);
    let (o, n) = (records(&oc), records(&nc));
    let olds: Vec<u32> = (0..o.len() as u32).collect();
    let news: Vec<u32> = (0..n.len() as u32).collect();
    Ok(agree::resolve(&o, &n, &olds, &news))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_reconcile, m)?)?;
    m.add_class::<Reconciled>()?;
    m.add_class::<EngineOptions>()?;
    m.add_function(wrap_pyfunction!(_duplicate_groups, m)?)?;
    m.add_function(wrap_pyfunction!(_resolve_shared, m)?)?;
    Ok(())
}
