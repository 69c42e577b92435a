//! Bindings of `neardup_core::near`: weighted fuzzy matching used by snapshot reconciliation.

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;

use neardup_core::near;

use crate::errors::detached;
use crate::texts::texts;

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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_near_cross, m)?)?;
    m.add_function(wrap_pyfunction!(_near_self, m)?)?;
    Ok(())
}
