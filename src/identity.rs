//! `normalize_title`, `arxiv_key`, `normalize_doi`, `doi_key`, `identity_key`, `unlatex`: thin wrappers
//! over `neardup_core::identify`, the one implementation of the identity rules (DESIGN §5).

use pyo3::prelude::*;

use neardup_core::identify as core;

use crate::texts::text as read;

// Every function takes any `str`: lone surrogates (which UTF-8 cannot hold) read as '?'.

/// The normalised title of DESIGN §5: LaTeX to characters, NFKC, casefold, punctuation and symbols to
/// spaces, format characters dropped, whitespace collapsed.
#[pyfunction]
#[pyo3(signature = (title, /))]
fn normalize_title(title: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(core::normalize_title(read(title, "title")?.as_ref()))
}

/// `("arxiv:<id>", version)` for an arXiv identifier in any common spelling, else None.
#[pyfunction]
#[pyo3(signature = (text, /))]
fn arxiv_key(text: &Bound<'_, PyAny>) -> PyResult<Option<(String, Option<u32>)>> {
    Ok(core::arxiv_key(read(text, "text")?.as_ref()))
}

/// The DOI in `text`, lower-cased without a `doi:` or resolver prefix, else None.
#[pyfunction]
#[pyo3(signature = (text, /))]
fn normalize_doi(text: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    Ok(core::normalize_doi(read(text, "text")?.as_ref()))
}

/// `"doi:<doi>"` for a DOI, `"arxiv:<id>"` for arXiv's own DOIs, else None.
#[pyfunction]
#[pyo3(signature = (text, /))]
fn doi_key(text: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    Ok(core::doi_key(read(text, "text")?.as_ref()))
}

/// The key of an id field: an arXiv id (with its version), else a DOI, else None.
#[pyfunction]
#[pyo3(signature = (text, /))]
fn identity_key(text: &Bound<'_, PyAny>) -> PyResult<Option<(String, Option<u32>)>> {
    Ok(core::identity_key(read(text, "text")?.as_ref()))
}

/// The LaTeX found in titles replaced by the characters it stands for.
#[pyfunction]
#[pyo3(signature = (text, /))]
fn unlatex(text: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(core::unlatex(read(text, "text")?.as_ref()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(normalize_title, m)?)?;
    m.add_function(wrap_pyfunction!(arxiv_key, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_doi, m)?)?;
    m.add_function(wrap_pyfunction!(doi_key, m)?)?;
    m.add_function(wrap_pyfunction!(identity_key, m)?)?;
    m.add_function(wrap_pyfunction!(unlatex, m)?)?;
    Ok(())
}
