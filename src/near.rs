//! Bindings of `neardup_core::engine::near`: weighted fuzzy matching used by snapshot reconciliation.

use numpy::{IntoPyArray, PyArray1};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use neardup_core::engine::near;

use crate::errors::detached;
use crate::texts::{texts, Text};

type PairArrays<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<f64>>,
);

fn arrays(py: Python<'_>, pairs: Vec<near::Pair>) -> PairArrays<'_> {
    let (mut a, mut b, mut s) = (Vec::new(), Vec::new(), Vec::new());
    for (x, y, z) in pairs {
        a.push(x);
        b.push(y);
        s.push(z);
    }
    (a.into_pyarray(py), b.into_pyarray(py), s.into_pyarray(py))
}

/// Pairs `(left index, right index, score)` between two collections of texts scoring at least
/// `threshold` (IDF-weighted Jaccard over word unigrams and bigrams), best first; with `one_to_one`,
/// a greedy best-first matching instead of all pairs.
#[pyfunction]
#[pyo3(signature = (left, right, /, *, threshold, one_to_one=true))]
fn _near_cross<'py>(
    py: Python<'py>,
    left: &Bound<'py, PyAny>,
    right: &Bound<'py, PyAny>,
    threshold: f64,
    one_to_one: bool,
) -> PyResult<PairArrays<'py>> {
    let (l, r) = (texts(left, "left")?, texts(right, "right")?);
    let pairs = detached(py, || {
        let all = near::cross_pairs(&l, &r, threshold)?;
        Ok(if one_to_one {
            near::assign_one_to_one(&all)
        } else {
            all
        })
    })?;
    Ok(arrays(py, pairs))
}

/// Pairs `(a, b, score)` with `a < b` inside one collection scoring at least `threshold`, best first.
#[pyfunction]
#[pyo3(signature = (texts_, /, *, threshold))]
fn _near_self<'py>(
    py: Python<'py>,
    texts_: &Bound<'py, PyAny>,
    threshold: f64,
) -> PyResult<PairArrays<'py>> {
    let t = texts(texts_, "texts")?;
    let pairs = detached(py, || near::self_pairs(&t, threshold))?;
    Ok(arrays(py, pairs))
}

type MatchArrays<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
);

/// A column of author lists (or categories): one list of str per entry, or `None` (missing for all).
fn lists(obj: Option<&Bound<'_, PyAny>>, what: &str, n: usize) -> PyResult<Vec<Vec<Text>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok((0..n).map(|_| Vec::new()).collect());
    };
    let mut out = Vec::with_capacity(n);
    for (i, item) in obj.try_iter()?.enumerate() {
        out.push(texts(&item?, &format!("{what}[{i}]"))?);
    }
    same_length(out.len(), n, what)?;
    Ok(out)
}

/// A column of keys (str or None per entry), or `None` (no keys).
fn keys(obj: Option<&Bound<'_, PyAny>>, what: &str, n: usize) -> PyResult<Vec<Option<String>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(vec![None; n]);
    };
    let out: Vec<Option<String>> = obj
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a sequence of str or None")))?;
    same_length(out.len(), n, what)?;
    Ok(out)
}

fn years(obj: Option<&Bound<'_, PyAny>>, what: &str, n: usize) -> PyResult<Vec<Option<i32>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(vec![None; n]);
    };
    let out: Vec<Option<i32>> = obj
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a sequence of int or None")))?;
    same_length(out.len(), n, what)?;
    Ok(out)
}

fn same_length(got: usize, want: usize, what: &str) -> PyResult<()> {
    if got != want {
        return Err(PyValueError::new_err(format!(
            "{what} has {got} items, the titles {want}"
        )));
    }
    Ok(())
}

/// One side's columns as near entries.
fn entries<'py>(
    titles: &Bound<'py, PyAny>,
    abstracts: &Bound<'py, PyAny>,
    authors: Option<&Bound<'py, PyAny>>,
    categories: Option<&Bound<'py, PyAny>>,
    years_: Option<&Bound<'py, PyAny>>,
    side: &str,
) -> PyResult<Vec<near::NearEntry<Text>>> {
    let t = texts(titles, &format!("{side}_titles"))?;
    let n = t.len();
    let a = texts(abstracts, &format!("{side}_abstracts"))?;
    same_length(a.len(), n, &format!("{side}_abstracts"))?;
    let au = lists(authors, &format!("{side}_authors"), n)?;
    let c = lists(categories, &format!("{side}_categories"), n)?;
    let y = years(years_, &format!("{side}_years"), n)?;
    Ok(t.into_iter()
        .zip(a)
        .zip(au.into_iter().zip(c))
        .zip(y)
        .map(
            |(((title, abstract_text), (authors, categories)), year)| near::NearEntry {
                title,
                abstract_text,
                authors,
                categories,
                year,
            },
        )
        .collect())
}

/// Near matches between two collections of entries given as columns: one-to-one pairs accepted by
/// the decision of `neardup_core::engine::near::match_entries` (or, with `candidates`, every scored candidate
/// pair), best first, with the evidence of each: `(left, right, score, title_sim, abstract_sim,
/// authors_sim)`, NaN where a field is missing on either side.
#[pyfunction]
#[pyo3(signature = (
    left_titles, left_abstracts, right_titles, right_abstracts, /, *,
    left_authors=None, right_authors=None, left_categories=None, right_categories=None,
    left_years=None, right_years=None, left_keys=None, right_keys=None, min_score=None,
    margin=None, candidate_threshold=None, candidates=false,
))]
#[allow(clippy::too_many_arguments)]
fn _near_match<'py>(
    py: Python<'py>,
    left_titles: &Bound<'py, PyAny>,
    left_abstracts: &Bound<'py, PyAny>,
    right_titles: &Bound<'py, PyAny>,
    right_abstracts: &Bound<'py, PyAny>,
    left_authors: Option<&Bound<'py, PyAny>>,
    right_authors: Option<&Bound<'py, PyAny>>,
    left_categories: Option<&Bound<'py, PyAny>>,
    right_categories: Option<&Bound<'py, PyAny>>,
    left_years: Option<&Bound<'py, PyAny>>,
    right_years: Option<&Bound<'py, PyAny>>,
    left_keys: Option<&Bound<'py, PyAny>>,
    right_keys: Option<&Bound<'py, PyAny>>,
    min_score: Option<f64>,
    margin: Option<f64>,
    candidate_threshold: Option<f64>,
    candidates: bool,
) -> PyResult<MatchArrays<'py>> {
    let l = entries(
        left_titles,
        left_abstracts,
        left_authors,
        left_categories,
        left_years,
        "left",
    )?;
    let r = entries(
        right_titles,
        right_abstracts,
        right_authors,
        right_categories,
        right_years,
        "right",
    )?;
    let lk = keys(left_keys, "left_keys", l.len())?;
    let rk = keys(right_keys, "right_keys", r.len())?;
    let d = near::NearParams::default();
    let params = near::NearParams {
        min_score: min_score.unwrap_or(d.min_score),
        margin: margin.unwrap_or(d.margin),
        candidate_threshold: candidate_threshold.unwrap_or(d.candidate_threshold),
    };
    let found = detached(py, || {
        if candidates {
            near::scored_candidates(&l, &r, &params)
        } else {
            // The engine's rule (`engine::keys_differ`): two declared keys that differ.
            near::match_entries_except(
                &l,
                &r,
                &params,
                |a, b| matches!((&lk[a as usize], &rk[b as usize]), (Some(x), Some(y)) if x != y),
            )
        }
    })?;
    let n = found.len();
    let (mut a, mut b, mut s) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut ts, mut abs, mut au) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for m in found {
        a.push(m.left);
        b.push(m.right);
        s.push(m.score);
        ts.push(m.evidence.title_sim.unwrap_or(f64::NAN));
        abs.push(m.evidence.abstract_sim.unwrap_or(f64::NAN));
        au.push(m.evidence.authors_sim.unwrap_or(f64::NAN));
    }
    Ok((
        a.into_pyarray(py),
        b.into_pyarray(py),
        s.into_pyarray(py),
        ts.into_pyarray(py),
        abs.into_pyarray(py),
        au.into_pyarray(py),
    ))
}

/// Whether a title names no paper on its own ("Editorial", "Book review column"): the engine's title
/// stage does not take it for identity (`neardup_core::engine::near::generic_title`).
#[pyfunction]
#[pyo3(signature = (title, /))]
fn _generic_title(title: &str) -> bool {
    near::generic_title(title)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_generic_title, m)?)?;
    m.add_function(wrap_pyfunction!(_near_cross, m)?)?;
    m.add_function(wrap_pyfunction!(_near_self, m)?)?;
    m.add_function(wrap_pyfunction!(_near_match, m)?)?;
    Ok(())
}
