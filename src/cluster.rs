//! Clustering entry points: verified near-duplicate pairs and clusters of a batch of texts, and the
//! corpus-scale pieces (band keys, shuffles, buckets, shingle-set stores, bucket verification, components)
//! that `neardup.dedup` and `neardup.distributed.ray` chain. Arrays cross as numpy, never as lists.

use numpy::{
    Element, IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use neardup_core::cluster;
use neardup_core::cluster::bands::{self, Banding, Buckets};
use neardup_core::cluster::verify::{self, SetShards, SetsRef};
use neardup_core::minhash::{MinHasher, Scheme};
use neardup_core::text::shingle::{ShingleConfig, Unit};

use crate::arrow::{self, Missing, TextColumn};
use crate::errors::{detached, to_py};
use crate::texts::texts;

/// Near-duplicate clusters of `texts`: returns `(pairs, clusters)` where pairs are `(i, j, jaccard)`
/// verified at `threshold` and clusters are the connected components (size ≥ 2, members ascending).
#[pyfunction]
#[pyo3(signature = (texts_, /, *, threshold=0.8, ngram=3, num_perm=128, unit="word", seed=1))]
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

// ---- corpus-scale pieces (neardup.dedup and neardup.distributed) -------------------------------------

/// The word-shingle OPH configuration of `neardup.dedup` (`corpus.rs`) and `neardup.distributed`, which
/// must shingle and band alike, from a call's `ngram` and `num_perm`, each at least 1.
pub(crate) fn config(ngram: i64, num_perm: i64) -> PyResult<(ShingleConfig, MinHasher)> {
    let cfg =
        ShingleConfig::new(at_least_one("ngram", ngram)?, Unit::Word, true, 1).map_err(to_py)?;
    let num_perm = at_least_one("num_perm", num_perm)?;
    let hasher = MinHasher::new(num_perm, cfg, Scheme::Oph).map_err(to_py)?;
    Ok((cfg, hasher))
}

/// `v` as a count, or a ValueError naming `name` when it is below 1.
fn at_least_one(name: &str, v: i64) -> PyResult<usize> {
    usize::try_from(v)
        .ok()
        .filter(|&v| v >= 1)
        .ok_or_else(|| PyValueError::new_err(format!("{name}: must be at least 1, got {v}")))
}

/// A contiguous 1-D array of `T`, with a ValueError naming `name` for anything else.
fn arr1<'py, T: Element>(
    obj: &Bound<'py, PyAny>,
    name: &str,
    dtype: &str,
) -> PyResult<PyReadonlyArray1<'py, T>> {
    let a = obj.extract::<PyReadonlyArray1<'py, T>>().map_err(|_| {
        PyValueError::new_err(format!("{name} must be a 1-D numpy array of {dtype}"))
    })?;
    if !a.is_c_contiguous() {
        return Err(PyValueError::new_err(format!("{name} must be contiguous")));
    }
    Ok(a)
}

fn keys2<'py>(obj: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArray2<'py, u64>> {
    let a = obj
        .extract::<PyReadonlyArray2<'py, u64>>()
        .map_err(|_| PyValueError::new_err("keys must be a 2-D numpy array of uint64"))?;
    if !a.is_c_contiguous() {
        return Err(PyValueError::new_err("keys must be C-contiguous"));
    }
    Ok(a)
}

fn u64s(py: Python<'_>, v: Vec<u64>) -> Bound<'_, PyArray1<u64>> {
    v.into_pyarray(py)
}

type U64Array<'py> = Bound<'py, PyArray1<u64>>;
/// Band keys `(n, bands)` and the mask of texts without shingles.
type KeysAndEmpty<'py> = (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray1<bool>>);
/// One reducer's `(band, key, doc)` entries.
type EntryArrays<'py> = (Bound<'py, PyArray1<u32>>, U64Array<'py>, U64Array<'py>);

/// `(bands, rows)` of the banding used at `threshold` with `num_perm` values per signature.
#[pyfunction]
#[pyo3(signature = (*, threshold=0.8, num_perm=128))]
fn _banding(threshold: f64, num_perm: i64) -> PyResult<(usize, usize)> {
    let (_, hasher) = config(1, num_perm)?;
    let b = Banding::for_threshold(threshold, hasher.num_perm).map_err(to_py)?;
    Ok((b.bands, b.rows))
}

/// `f` of the texts of `obj`: Arrow strings (an array, a chunked array) borrowed from their buffers, a
/// null an empty text; else a sequence of `str`. A Ray Data block's column reaches the core without a
/// Python string per row.
fn with_texts<R>(obj: &Bound<'_, PyAny>, f: impl FnOnce(&[&str]) -> PyResult<R>) -> PyResult<R> {
    if arrow::is_arrow(obj) {
        let column = TextColumn::from_py(obj, None, "texts")?;
        return f(&column.texts_or(Missing::Empty, "texts")?);
    }
    let ts = texts(obj, "texts")?;
    let borrowed: Vec<&str> = ts.iter().map(|t| t.as_ref()).collect();
    f(&borrowed)
}

/// Band keys of texts: `(keys, empty)`, keys `(n, bands)` uint64 and `empty` a bool mask of the texts
/// without any shingle (their rows are zeros and join no bucket).
#[pyfunction]
#[pyo3(signature = (texts_, /, *, threshold=0.8, ngram=3, num_perm=128))]
fn _band_keys<'py>(
    py: Python<'py>,
    texts_: &Bound<'py, PyAny>,
    threshold: f64,
    ngram: i64,
    num_perm: i64,
) -> PyResult<KeysAndEmpty<'py>> {
    let (_, hasher) = config(ngram, num_perm)?;
    let banding = Banding::for_threshold(threshold, hasher.num_perm).map_err(to_py)?;
    let (keys, empty, n) = with_texts(texts_, |ts| {
        let n = ts.len();
        let (keys, empty) = detached(py, || bands::band_keys(&hasher, &banding, ts))?;
        Ok((keys, empty, n))
    })?;
    Ok((
        keys.into_pyarray(py).reshape([n, banding.bands])?,
        empty.into_pyarray(py),
    ))
}

/// Deals band keys to `parts` reducers by `(band, key)`: one `(band, key, doc)` triple of arrays per
/// reducer, documents numbered from `doc_base`.
#[pyfunction]
#[pyo3(signature = (keys, empty, /, *, doc_base, parts))]
fn _partition_band_keys<'py>(
    py: Python<'py>,
    keys: &Bound<'py, PyAny>,
    empty: &Bound<'py, PyAny>,
    doc_base: u64,
    parts: usize,
) -> PyResult<Vec<EntryArrays<'py>>> {
    let k = keys2(keys)?;
    let e = arr1::<bool>(empty, "empty", "bool")?;
    let bands = k.shape()[1];
    let (ks, es) = (k.as_slice()?, e.as_slice()?);
    let out = detached(py, || bands::partition(ks, bands, es, doc_base, parts))?;
    Ok(out
        .into_iter()
        .map(|p| (p.band.into_pyarray(py), u64s(py, p.key), u64s(py, p.doc)))
        .collect())
}

/// Buckets of shuffled `(band, key, doc)` entries: `(offsets, docs)`.
#[pyfunction]
#[pyo3(signature = (band, key, doc, /))]
fn _buckets_of_entries<'py>(
    py: Python<'py>,
    band: &Bound<'py, PyAny>,
    key: &Bound<'py, PyAny>,
    doc: &Bound<'py, PyAny>,
) -> PyResult<(U64Array<'py>, U64Array<'py>)> {
    let b = arr1::<u32>(band, "band", "uint32")?;
    let k = arr1::<u64>(key, "key", "uint64")?;
    let d = arr1::<u64>(doc, "doc", "uint64")?;
    let (bs, ks, ds) = (b.as_slice()?, k.as_slice()?, d.as_slice()?);
    let out = detached(py, || Buckets::from_entries(bs, ks, ds))?;
    let (o, d) = out.into_parts();
    Ok((u64s(py, o), u64s(py, d)))
}

/// Buckets of a whole key matrix (row `i` is document `i`): `(offsets, docs)`.
#[pyfunction]
#[pyo3(signature = (keys, empty, /))]
fn _buckets_of_keys<'py>(
    py: Python<'py>,
    keys: &Bound<'py, PyAny>,
    empty: &Bound<'py, PyAny>,
) -> PyResult<(U64Array<'py>, U64Array<'py>)> {
    let k = keys2(keys)?;
    let e = arr1::<bool>(empty, "empty", "bool")?;
    let bands = k.shape()[1];
    let (ks, es) = (k.as_slice()?, e.as_slice()?);
    let out = detached(py, || Buckets::from_matrix(ks, bands, es))?;
    let (o, d) = out.into_parts();
    Ok((u64s(py, o), u64s(py, d)))
}

/// Sorted shingle sets of `texts` stored under `ids` (strictly ascending): `(ids, offsets, values)`.
#[pyfunction]
#[pyo3(signature = (texts_, ids, /, *, ngram=3))]
fn _shingle_sets<'py>(
    py: Python<'py>,
    texts_: &Bound<'py, PyAny>,
    ids: &Bound<'py, PyAny>,
    ngram: i64,
) -> PyResult<(U64Array<'py>, U64Array<'py>, U64Array<'py>)> {
    let (cfg, _) = config(ngram, 1)?;
    let ids = arr1::<u64>(ids, "ids", "uint64")?;
    let is = ids.as_slice()?;
    let store = with_texts(texts_, |ts| {
        detached(py, || verify::shingle_sets(&cfg, ts, is))
    })?;
    Ok((
        u64s(py, store.ids),
        u64s(py, store.offsets),
        u64s(py, store.values),
    ))
}

/// Verifies buckets `(offsets, docs)` against the shingle sets in `sets` (a list of `(ids, offsets,
/// values)` stores with disjoint ids) and returns `(docs, roots)`: each document of a component that is
/// not its smallest member, and that smallest member.
#[pyfunction]
#[pyo3(signature = (offsets, docs, sets, /, *, threshold=0.8))]
fn _cluster_buckets<'py>(
    py: Python<'py>,
    offsets: &Bound<'py, PyAny>,
    docs: &Bound<'py, PyAny>,
    sets: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    threshold: f64,
) -> PyResult<(U64Array<'py>, U64Array<'py>)> {
    let o = arr1::<u64>(offsets, "offsets", "uint64")?;
    let d = arr1::<u64>(docs, "docs", "uint64")?;
    let buckets = Buckets::new(o.as_slice()?.to_vec(), d.as_slice()?.to_vec()).map_err(to_py)?;
    let mut arrays = Vec::with_capacity(sets.len());
    for (i, (ids, offs, vals)) in sets.iter().enumerate() {
        arrays.push((
            arr1::<u64>(ids, &format!("sets[{i}] ids"), "uint64")?,
            arr1::<u64>(offs, &format!("sets[{i}] offsets"), "uint64")?,
            arr1::<u64>(vals, &format!("sets[{i}] values"), "uint64")?,
        ));
    }
    let mut views = Vec::with_capacity(arrays.len());
    for (ids, offs, vals) in &arrays {
        views.push((ids.as_slice()?, offs.as_slice()?, vals.as_slice()?));
    }
    let forest = detached(py, || {
        let stores = views
            .iter()
            .map(|&(i, o, v)| SetsRef::new(i, o, v))
            .collect::<neardup_core::Result<Vec<_>>>()?;
        let lookup = SetShards::new(stores)?;
        verify::cluster_buckets(&buckets, &lookup, threshold)
    })?;
    let (a, b): (Vec<u64>, Vec<u64>) = forest.into_iter().unzip();
    Ok((u64s(py, a), u64s(py, b)))
}

/// Connected components of the edges `docs[i] — roots[i]`: `(offsets, members)`, components of two or
/// more documents, members ascending, ordered by their smallest member.
#[pyfunction]
#[pyo3(signature = (docs, roots, /))]
fn _components<'py>(
    py: Python<'py>,
    docs: &Bound<'py, PyAny>,
    roots: &Bound<'py, PyAny>,
) -> PyResult<(U64Array<'py>, U64Array<'py>)> {
    let d = arr1::<u64>(docs, "docs", "uint64")?;
    let r = arr1::<u64>(roots, "roots", "uint64")?;
    let (ds, rs) = (d.as_slice()?, r.as_slice()?);
    if ds.len() != rs.len() {
        return Err(PyValueError::new_err(format!(
            "docs and roots must have the same length, got {} and {}",
            ds.len(),
            rs.len()
        )));
    }
    let groups = detached(py, || {
        let edges: Vec<(u64, u64)> = ds.iter().copied().zip(rs.iter().copied()).collect();
        verify::components(&edges)
    })?;
    Ok(csr(py, groups))
}

fn csr(py: Python<'_>, groups: Vec<Vec<u64>>) -> (U64Array<'_>, U64Array<'_>) {
    let mut offsets = Vec::with_capacity(groups.len() + 1);
    offsets.push(0u64);
    let mut members = Vec::with_capacity(groups.iter().map(Vec::len).sum());
    for g in groups {
        members.extend(g);
        offsets.push(members.len() as u64);
    }
    (u64s(py, offsets), u64s(py, members))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_dedup, m)?)?;
    m.add_function(wrap_pyfunction!(_banding, m)?)?;
    m.add_function(wrap_pyfunction!(_band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(_partition_band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(_buckets_of_entries, m)?)?;
    m.add_function(wrap_pyfunction!(_buckets_of_keys, m)?)?;
    m.add_function(wrap_pyfunction!(_shingle_sets, m)?)?;
    m.add_function(wrap_pyfunction!(_cluster_buckets, m)?)?;
    m.add_function(wrap_pyfunction!(_components, m)?)?;
    Ok(())
}
