//! Clustering entry points: verified near-duplicate pairs and clusters of a batch of texts.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use neardup_core::cluster;
use neardup_core::minhash::{MinHasher, Scheme};
use neardup_core::shingle::{ShingleConfig, Unit};

use crate::errors::{detached, to_py};
use crate::texts::texts;

/// Near-duplicate clusters of `texts`: returns `(pairs, clusters)` where pairs are `(i, j, jaccard)`
/// verified at `threshold` and clusters are the connected components (size ≥ 2, members ascending).
#[pyfunction]
#[pyo3(signature = (texts_, *, threshold=0.8, ngram=3, num_perm=128, unit="word", seed=1))]
#[allow(clippy::type_complexity)]
fn _dedup(
    py: Python<'_>,
    texts_: &Bound<'_, PyAny>,
    threshold: f64,
    ngram: i64,
    num_perm: i64,
    unit: &str,
    seed: u64,
) -> PyResult<(Vec<(u32, u32, f64)>, Vec<Vec<u32>>)> {
    if ngram < 1 || num_perm < 1 {
        return Err(PyValueError::new_err(
            "ngram and num_perm must be at least 1",
        ));
    }
    let cfg = ShingleConfig::new(
        ngram as usize,
        Unit::parse(unit).map_err(to_py)?,
        true,
        seed,
    )
    .map_err(to_py)?;
    let hasher = MinHasher::new(num_perm as usize, cfg, Scheme::Oph).map_err(to_py)?;
    let ts = texts(texts_, "texts")?;
    let out = detached(py, || cluster::dedup(&ts, cfg, &hasher, threshold))?;
    Ok((out.pairs, out.clusters))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_dedup, m)?)?;
    Ok(())
}
