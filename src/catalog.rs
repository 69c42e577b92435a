//! Binding of `neardup_core::engine::catalog`: a snapshot prepared for the catalog's ingest as columns, read from
//! a file by the readers of `neardup diff` (`_catalog_read`) or from the columns of Python entries
//! (`_catalog_prepare`).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;

use neardup_core::engine::catalog;
use neardup_core::engine::fields::near_entry;
use neardup_core::read::file::Record;
use neardup_core::read::streamed::Spool;

use crate::engine::normalised;
use crate::errors::{guarded_by, to_py, Reader};

type NearFields = (Vec<Vec<String>>, Vec<Vec<String>>, Vec<Option<i32>>);

/// What the near stage reads of each group's representative: authors, categories, year.
fn near_fields(records: &[Record], reps: &[u32]) -> NearFields {
    let (mut authors, mut categories, mut years) = (Vec::new(), Vec::new(), Vec::new());
    for &r in reps {
        let e = near_entry(&records[r as usize]);
        authors.push(e.authors.iter().map(|a| a.to_string()).collect());
        categories.push(e.categories.iter().map(|c| c.to_string()).collect());
        years.push(e.year);
    }
    (authors, categories, years)
}

/// `(hash, reps, group_of, keys, norm_titles, generic, metas, upvotes, too_large, titles, abstracts,
/// (authors, categories, years), digests)`: see `neardup_core::engine::catalog::Prepared`; `titles` and
/// `abstracts` are every record's, the near fields each group's, `digests` the groups' text digests end to
/// end (16 bytes each).
fn prepared<'py>(
    py: Python<'py>,
    reader: &Reader,
    mut records: Vec<Record<'_>>,
    texts: Option<(Bound<'py, PyList>, Bound<'py, PyList>)>,
    date: Option<&str>,
    duplicate_threshold: f64,
) -> PyResult<Bound<'py, PyTuple>> {
    let (p, near) = guarded_by(py, reader, || {
        let titles = normalised(&mut records);
        let p = catalog::prepare(&records, &titles, date, duplicate_threshold)?;
        let near = near_fields(&records, &p.reps);
        Ok((p, near))
    })?
    .map_err(to_py)?;
    let (titles, abstracts) = match texts {
        Some(t) => t,
        // The texts may still be the input's mapping: copied into Python under the guard too.
        None => reader.holding_gil(py, || -> PyResult<_> {
            Ok((
                PyList::new(py, records.iter().map(|r| PyString::new(py, r.title())))?,
                PyList::new(
                    py,
                    records.iter().map(|r| PyString::new(py, r.abstract_text())),
                )?,
            ))
        })??,
    };
    let items = [
        p.hash.into_bound_py_any(py)?,
        p.reps.into_bound_py_any(py)?,
        p.group_of.into_bound_py_any(py)?,
        p.keys.into_bound_py_any(py)?,
        p.titles.into_bound_py_any(py)?,
        p.generic.into_bound_py_any(py)?,
        p.metas.into_bound_py_any(py)?,
        p.upvotes.into_bound_py_any(py)?,
        p.too_large.into_bound_py_any(py)?,
        titles.into_any(),
        abstracts.into_any(),
        near.into_bound_py_any(py)?,
        PyBytes::new(py, p.digests.as_flattened()).into_any(),
    ];
    PyTuple::new(py, items)
}

/// A snapshot file in a format the core reads (`"jsonl"`, `"csv"`, `"hf-json"`) prepared for the
/// catalog, or None when some record needs the Python reader (which then reads the file, or says why it
/// cannot).
#[pyfunction]
#[pyo3(signature = (
    path, format, /, *, date, duplicate_threshold, title_field=None, abstract_field=None,
    id_field=None, int_max_str_digits=4300, encoding=None, delimiter=None,
))]
#[allow(clippy::too_many_arguments)]
fn _catalog_read<'py>(
    py: Python<'py>,
    path: PathBuf,
    format: &str,
    date: Option<&str>,
    duplicate_threshold: f64,
    title_field: Option<String>,
    abstract_field: Option<String>,
    id_field: Option<String>,
    int_max_str_digits: usize,
    encoding: Option<&str>,
    delimiter: Option<char>,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let delimiter = match delimiter {
        Some(d) if d.is_ascii() => Some(d as u8),
        Some(_) => return Ok(None),
        None => None,
    };
    let spec = crate::reconcile::spec(title_field, abstract_field, id_field, int_max_str_digits);
    let encoding = crate::input::encoding(encoding)?;
    let _job = crate::BatchJob::start();
    // As `neardup diff` reads: JSON Lines parsed while the rest of a compressed input is decompressed.
    let spool = Spool::new();
    // None: unreadable (damaged compressed data, say), or a record for the Python reader, which then
    // reads the file and says why. Guarded: a mapped input that shrinks is an `InputChangedError`.
    let reader = Reader::new();
    let read = || crate::reconcile::read_input(&spool, &path, format, encoding, &spec, delimiter);
    let Some(records) = guarded_by(py, &reader, read)? else {
        return Ok(None);
    };
    // Preparing reads the records' text from the mapping too: as the same reader.
    let out = prepared(py, &reader, records, None, date, duplicate_threshold)?;
    py.detach(move || drop(spool));
    Ok(Some(out))
}

/// Entries given as the engine's columns (`neardup.reconcile.columns`) prepared for the catalog.
#[pyfunction]
#[pyo3(signature = (columns, /, *, date, duplicate_threshold))]
fn _catalog_prepare<'py>(
    py: Python<'py>,
    columns: &Bound<'py, PyTuple>,
    date: Option<&str>,
    duplicate_threshold: f64,
) -> PyResult<Bound<'py, PyTuple>> {
    let c = crate::engine::columns(columns)?;
    let records = crate::engine::records(&c);
    let texts = (c.titles.clone(), c.abstracts.clone());
    prepared(
        py,
        &Reader::new(),
        records,
        Some(texts),
        date,
        duplicate_threshold,
    )
}

/// The catalog's text digests (`neardup_core::engine::catalog::text_digest`) of versions given as two
/// lists of the same length, end to end (16 bytes each).
#[pyfunction]
fn _text_digests<'py>(
    py: Python<'py>,
    titles: Vec<String>,
    abstracts: Vec<String>,
) -> PyResult<Bound<'py, PyBytes>> {
    if titles.len() != abstracts.len() {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "titles and abstracts differ in length",
        ));
    }
    let out = py.detach(|| {
        titles
            .iter()
            .zip(&abstracts)
            .flat_map(|(t, a)| catalog::text_digest(t, a))
            .collect::<Vec<u8>>()
    });
    Ok(PyBytes::new(py, &out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_text_digests, m)?)?;
    m.add_function(wrap_pyfunction!(_catalog_read, m)?)?;
    m.add_function(wrap_pyfunction!(_catalog_prepare, m)?)?;
    Ok(())
}
