//! Corpus dedup: files read by the core (`_corpus_file`), texts in memory (`_corpus_texts`), and the run
//! over them (`_corpus_dedup`, `_dedup_texts`), results as numpy columns. `neardup.corpus` drives them.

use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use neardup_core::cluster::corpus::{self, Columns, Dedup, FileDocs, Format, Keep, Params};
use neardup_core::read::corpus::{Compared, CorpusSpec};
use neardup_core::read::streamed::Budget;

use crate::arrow::{self, Missing, TextColumn};
use crate::cluster::config;
use crate::errors::detached;
use crate::texts::texts_or;

/// The names the binding takes for the keep policy, the compared text and the file format.
const KEEPS: &[(&str, Keep)] = &[
    ("first", Keep::First),
    ("longest", Keep::Longest),
    ("rank", Keep::Rank),
];
const FIELDS: &[(&str, Compared)] = &[
    ("title", Compared::Title),
    ("abstract", Compared::Abstract),
    ("title+abstract", Compared::TitleAndAbstract),
];
const FORMATS: &[(&str, Format)] = &[("jsonl", Format::Jsonl), ("csv", Format::Csv)];

/// The value named `value` among `choices` (name, value); else a ValueError
/// `"{param}: expected a, b or c, got {value:?}"`.
fn choice<T: Copy>(param: &str, value: &str, choices: &[(&str, T)]) -> PyResult<T> {
    if let Some(&(_, v)) = choices.iter().find(|(name, _)| *name == value) {
        return Ok(v);
    }
    let names: Vec<&str> = choices.iter().map(|&(name, _)| name).collect();
    let (last, rest) = names.split_last().expect("choices is not empty");
    Err(PyValueError::new_err(format!(
        "{param}: expected {} or {last}, got {value:?}",
        rest.join(", ")
    )))
}

fn params(threshold: f64, ngram: i64, num_perm: i64, keep: &str, star: bool) -> PyResult<Params> {
    let (shingles, hasher) = config(ngram, num_perm)?;
    let keep = choice("keep", keep, KEEPS)?;
    Ok(Params {
        shingles,
        hasher,
        threshold,
        keep,
        star,
    })
}

/// The documents of one input, read by the first pass.
#[pyclass(module = "neardup", name = "_CorpusPart", frozen)]
pub struct CorpusPart {
    inner: Part,
}

enum Part {
    File(Box<FileDocs>, CorpusSpec),
    Texts(Vec<String>, Vec<Option<String>>, Columns),
}

impl CorpusPart {
    fn columns(&self) -> &Columns {
        match &self.inner {
            Part::File(f, _) => &f.columns,
            Part::Texts(_, _, c) => c,
        }
    }
    /// Texts and titles of some of its documents (ascending).
    fn texts(&self, docs: &[usize]) -> neardup_core::Result<Vec<(String, Option<String>)>> {
        match &self.inner {
            Part::File(f, spec) => corpus::reread(f, spec, docs),
            Part::Texts(t, titles, _) => Ok(docs
                .iter()
                .map(|&i| (t[i].clone(), titles[i].clone()))
                .collect()),
        }
    }
}

type Bad = (u64, u64, u64, Option<String>, Option<String>);
type U64s<'py> = Bound<'py, PyArray1<u64>>;
/// `(id bytes, id ends, has id, lines)`.
type Ids<'py> = (
    Bound<'py, PyBytes>,
    U64s<'py>,
    Bound<'py, PyArray1<bool>>,
    U64s<'py>,
);
/// Band keys `(n, bands)` and the empty mask.
type Keys<'py> = (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray1<bool>>);
/// `(starts, ends, header_end, bom)`.
type Spans<'py> = (U64s<'py>, U64s<'py>, u64, bool);

#[pymethods]
impl CorpusPart {
    fn __len__(&self) -> usize {
        self.columns().len()
    }
    fn __repr__(&self) -> String {
        format!("_CorpusPart(documents={})", self.columns().len())
    }
    /// `(id bytes, id ends, has id, lines)` of a file's documents.
    fn ids<'py>(&self, py: Python<'py>) -> Option<Ids<'py>> {
        let Part::File(f, _) = &self.inner else {
            return None;
        };
        Some((
            PyBytes::new(py, &f.id_bytes),
            f.id_ends.clone().into_pyarray(py),
            f.has_id.clone().into_pyarray(py),
            f.lines.clone().into_pyarray(py),
        ))
    }
    /// Band keys `(n, bands)` and the mask of documents without shingles (not with threshold 1.0).
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Keys<'py>> {
        let c = self.columns();
        let n = c.len();
        let bands = c.keys.len().checked_div(n).unwrap_or(0);
        let keys = numpy::ndarray::Array2::from_shape_vec((n, bands), c.keys.clone())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok((keys.into_pyarray(py), c.empty.clone().into_pyarray(py)))
    }
    /// `(starts, ends, header_end, bom)`: each document's record as a byte range of a file (after its
    /// BOM), and where a CSV header ends.
    fn spans<'py>(&self, py: Python<'py>) -> Option<Spans<'py>> {
        let Part::File(f, _) = &self.inner else {
            return None;
        };
        Some((
            f.starts.clone().into_pyarray(py),
            f.ends.clone().into_pyarray(py),
            f.header_end,
            f.bom,
        ))
    }
    /// Bytes of the input's text held in memory for the second pass (from its budget): 0 for a plain
    /// file, or a compressed one that did not fit and is decompressed again.
    fn held_bytes(&self) -> usize {
        match &self.inner {
            Part::File(f, _) => f.held_bytes(),
            Part::Texts(..) => 0,
        }
    }
    /// Bad records met: `(line, start, end, expected, got)`; line 0 concerns the whole file.
    fn bad(&self) -> Vec<Bad> {
        let Part::File(f, _) = &self.inner else {
            return Vec::new();
        };
        f.bad
            .iter()
            .map(|b| {
                let (e, g) = b.reason.clone().unzip();
                (b.line, b.start, b.end, e, g)
            })
            .collect()
    }
    /// How many bad records were skipped.
    fn skipped(&self) -> u64 {
        match &self.inner {
            Part::File(f, _) => f.skipped,
            Part::Texts(..) => 0,
        }
    }
    /// The bytes of each `(start, end)` span (offsets after a BOM, as `spans` gives them) of the text
    /// the first pass kept of its input (a compressed file, a pipe, UTF-16 text), or None when it kept
    /// none (a plain file: read the spans from it).
    fn kept<'py>(
        &self,
        py: Python<'py>,
        spans: Vec<(u64, u64)>,
    ) -> PyResult<Option<Vec<Bound<'py, PyBytes>>>> {
        let Part::File(f, _) = &self.inner else {
            return Ok(None);
        };
        // A text too long to keep is decompressed again here: without the GIL.
        let Some(got) = detached(py, || corpus::kept_spans(f, &spans).transpose())? else {
            return Ok(None);
        };
        Ok(Some(got.iter().map(|b| PyBytes::new(py, b)).collect()))
    }
    /// Texts and titles of the documents `docs` (numbers in this part, ascending), read again.
    fn texts_of(
        &self,
        py: Python<'_>,
        docs: Vec<usize>,
    ) -> PyResult<Vec<(String, Option<String>)>> {
        if docs.iter().any(|&d| d >= self.columns().len()) {
            return Err(PyValueError::new_err("docs: out of range"));
        }
        detached(py, || self.texts(&docs))
    }
}

/// The byte of a CSV `delimiter`: one ASCII character that is not a quote or a line break.
fn delimiter_byte(delimiter: Option<char>) -> PyResult<Option<u8>> {
    match delimiter {
        Some(d) if d.is_ascii() && !matches!(d, '"' | '\r' | '\n') => Ok(Some(d as u8)),
        Some(d) => Err(PyValueError::new_err(format!(
            "delimiter {d:?}: expected one ASCII character"
        ))),
        None => Ok(None),
    }
}

/// The decompressed text one run may hold in memory for its second pass, shared by all of its files
/// (the files read first are held first); `limit` in bytes, None for the default.
#[pyclass(module = "neardup", name = "_HeldBudget", frozen)]
pub struct HeldBudget(Budget);

#[pymethods]
impl HeldBudget {
    #[new]
    #[pyo3(signature = (limit=None, /))]
    fn new(limit: Option<usize>) -> HeldBudget {
        HeldBudget(limit.map_or_else(Budget::default, Budget::new))
    }
    #[getter]
    fn limit(&self) -> usize {
        self.0.limit()
    }
    /// Bytes the live texts read with this budget hold.
    #[getter]
    fn used(&self) -> usize {
        self.0.used()
    }
    fn __repr__(&self) -> String {
        format!(
            "_HeldBudget(limit={}, used={})",
            self.0.limit(),
            self.0.used()
        )
    }
}

/// The first pass over a JSONL or CSV file, in the core; a compressed text is held in memory for the
/// second pass as long as it fits in `held` (a budget of its own when None).
#[pyfunction]
#[pyo3(signature = (path, format, /, *, field="title+abstract", text_field=None, id_field=None,
    title_field=None, abstract_field=None, rank_field=None, skip_bad=false, threshold=0.8, ngram=3,
    num_perm=128, delimiter=None, held=None))]
#[allow(clippy::too_many_arguments)]
fn _corpus_file(
    py: Python<'_>,
    path: std::path::PathBuf,
    format: &str,
    field: &str,
    text_field: Option<String>,
    id_field: Option<String>,
    title_field: Option<String>,
    abstract_field: Option<String>,
    rank_field: Option<String>,
    skip_bad: bool,
    threshold: f64,
    ngram: i64,
    num_perm: i64,
    delimiter: Option<char>,
    held: Option<&Bound<'_, HeldBudget>>,
) -> PyResult<CorpusPart> {
    let format = choice("format", format, FORMATS)?;
    let delimiter = delimiter_byte(delimiter)?;
    let spec = CorpusSpec {
        compared: choice("field", field, FIELDS)?,
        text_field,
        id_field,
        title_field,
        abstract_field,
        rank_field,
        delimiter,
    };
    let p = params(threshold, ngram, num_perm, "first", false)?;
    let budget = held.map_or_else(Budget::default, |h| h.get().0.clone());
    let docs = detached(py, || {
        corpus::read_file(&path, format, &spec, &p, skip_bad, &budget)
    })?;
    Ok(CorpusPart {
        inner: Part::File(Box::new(docs), spec),
    })
}

/// The first pass over texts held in memory (with their titles, for reports).
#[pyfunction]
#[pyo3(signature = (texts_, titles, /, *, threshold=0.8, ngram=3, num_perm=128))]
fn _corpus_texts(
    py: Python<'_>,
    texts_: Vec<String>,
    titles: Vec<Option<String>>,
    threshold: f64,
    ngram: i64,
    num_perm: i64,
) -> PyResult<CorpusPart> {
    if titles.len() != texts_.len() {
        return Err(PyValueError::new_err("titles: one per text"));
    }
    let p = params(threshold, ngram, num_perm, "first", false)?;
    let columns = detached(py, || corpus::columns_of_texts(&texts_, &p))?;
    Ok(CorpusPart {
        inner: Part::Texts(texts_, titles, columns),
    })
}

type Outcome<'py> = (
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u8>>,
    Bound<'py, PyArray1<f32>>,
);

fn outcome(py: Python<'_>, d: Dedup) -> Outcome<'_> {
    let mut offsets = Vec::with_capacity(d.clusters.len() + 1);
    offsets.push(0u64);
    let mut members = Vec::with_capacity(d.clusters.iter().map(Vec::len).sum());
    for c in d.clusters {
        members.extend(c);
        offsets.push(members.len() as u64);
    }
    (
        offsets.into_pyarray(py),
        members.into_pyarray(py),
        d.kept.into_pyarray(py),
        d.replaced_by.into_pyarray(py),
        d.stage.into_pyarray(py),
        d.similarity.into_pyarray(py),
    )
}

/// Deduplicates the documents of `parts` (read with the same threshold, ngram and num_perm):
/// `(offsets, members, kept, replaced_by, stage, similarity)`.
#[pyfunction]
#[pyo3(signature = (parts, /, *, threshold=0.8, ngram=3, num_perm=128, keep="first", star=false))]
fn _corpus_dedup<'py>(
    py: Python<'py>,
    parts: Vec<PyRef<'py, CorpusPart>>,
    threshold: f64,
    ngram: i64,
    num_perm: i64,
    keep: &str,
    star: bool,
) -> PyResult<Outcome<'py>> {
    let p = params(threshold, ngram, num_perm, keep, star)?;
    let parts: Vec<&CorpusPart> = parts.iter().map(|r| &**r).collect();
    let starts: Vec<u64> = parts
        .iter()
        .scan(0u64, |at, part| {
            let s = *at;
            *at += part.columns().len() as u64;
            Some(s)
        })
        .collect();
    let columns: Vec<&Columns> = parts.iter().map(|part| part.columns()).collect();
    let out = detached(py, || {
        corpus::dedup(&columns, &p, |docs| {
            let mut texts = Vec::with_capacity(docs.len());
            for (k, part) in parts.iter().enumerate() {
                let (lo, hi) = (starts[k], starts[k] + part.columns().len() as u64);
                let mine: Vec<usize> = docs
                    .iter()
                    .filter(|&&d| d >= lo && d < hi)
                    .map(|&d| (d - lo) as usize)
                    .collect();
                if !mine.is_empty() {
                    texts.extend(part.texts(&mine)?.into_iter().map(|(t, _)| t));
                }
            }
            Ok::<_, neardup_core::Error>(texts)
        })
    })?;
    Ok(outcome(py, out))
}

/// Deduplicates texts held in memory, borrowed in place: a sequence of `str`, or Arrow strings (an
/// array, a chunked array, or the column `text_field` of a table) read from their buffers. Missing texts
/// (None, NaN, Arrow nulls) are empty texts or an error, as `on_missing` says.
#[pyfunction]
#[pyo3(signature = (
    texts_, /, *, threshold=0.8, ngram=3, num_perm=128, keep="first", star=false, on_missing="empty",
    text_field=None,
))]
#[allow(clippy::too_many_arguments)]
fn _dedup_texts<'py>(
    py: Python<'py>,
    texts_: &Bound<'py, PyAny>,
    threshold: f64,
    ngram: i64,
    num_perm: i64,
    keep: &str,
    star: bool,
    on_missing: &str,
    text_field: Option<&str>,
) -> PyResult<Outcome<'py>> {
    let p = params(threshold, ngram, num_perm, keep, star)?;
    let missing = Missing::parse(on_missing)?;
    if arrow::is_arrow(texts_) {
        let column = TextColumn::from_py(texts_, text_field, "texts")?;
        let ts = column.texts_or(missing, "texts")?;
        return dedup_borrowed(py, &ts, &p);
    }
    if text_field.is_some() {
        return Err(PyTypeError::new_err(
            "text_field names a column of Arrow data (a table); texts is not one",
        ));
    }
    let ts = texts_or(texts_, "texts", Some(missing))?;
    dedup_borrowed(py, &ts, &p)
}

fn dedup_borrowed<'py, S: AsRef<str> + Sync>(
    py: Python<'py>,
    ts: &[S],
    p: &Params,
) -> PyResult<Outcome<'py>> {
    let out = detached(py, || {
        let columns = corpus::columns_of_texts(ts, p)?;
        corpus::dedup(&[&columns], p, |docs| {
            Ok(docs.iter().map(|&d| ts[d as usize].as_ref()).collect())
        })
    })?;
    Ok(outcome(py, out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CorpusPart>()?;
    m.add_class::<HeldBudget>()?;
    m.add_function(wrap_pyfunction!(_corpus_file, m)?)?;
    m.add_function(wrap_pyfunction!(_corpus_texts, m)?)?;
    m.add_function(wrap_pyfunction!(_corpus_dedup, m)?)?;
    m.add_function(wrap_pyfunction!(_dedup_texts, m)?)?;
    Ok(())
}
