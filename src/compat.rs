//! `_DsHasher` and `_DsLsh`: private engines behind `neardup.compat.datasketch`, thin wrappers over
//! `neardup_core::compat::datasketch`. The Python module gives them datasketch's public API.

use numpy::{
    Element, IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyOverflowError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyByteArray, PyByteArrayMethods, PyBytes, PyIterator, PyList, PyMemoryView, PyString,
};

use neardup_core::compat::datasketch::{
    forest::DsForest,
    lsh::{self, DsLsh},
    weighted::{RowStatus, Variant, WeightedParams},
    ByteDocs, DsMinHasher, Lane, Scheme, StreamError, TokenHash,
};

use crate::errors::{detached, to_py};

/// Appends one token the way `hashlib.sha1` reads it: bytes as they are, any other buffer by its raw
/// bytes; `str` is refused with hashlib's own message.
fn push_token(docs: &mut ByteDocs, tok: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Ok(b) = tok.cast::<PyBytes>() {
        docs.push_token(b.as_bytes());
        return Ok(());
    }
    if let Ok(b) = tok.cast::<PyByteArray>() {
        docs.push_token(&b.to_vec());
        return Ok(());
    }
    if tok.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "Strings must be encoded before hashing",
        ));
    }
    let view = PyMemoryView::from(tok).map_err(|_| {
        PyTypeError::new_err(format!(
            "object supporting the buffer API required, not {}",
            tok.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let raw = view.call_method0("tobytes")?;
    docs.push_token(raw.cast::<PyBytes>()?.as_bytes());
    Ok(())
}

/// Appends the tokens of a list. `bytes` items, the common case, are read in place through the C API:
/// at ~170 tokens per document, PyO3's owned item handles and abi3 type checks would cost as much as
/// hashing them.
fn push_list(docs: &mut ByteDocs, list: &Bound<'_, PyList>) -> PyResult<()> {
    push_list_range(docs, list, 0, usize::MAX)
}

/// [`push_list`] for the items at `start..end` (clipped to the list).
fn push_list_range(
    docs: &mut ByteDocs,
    list: &Bound<'_, PyList>,
    start: usize,
    end: usize,
) -> PyResult<()> {
    let py = list.py();
    let mut i = start;
    // The length is re-read each time: a fallback token below may run Python code that edits the list.
    while i < end.min(list.len()) {
        // SAFETY: we hold the GIL and `i < len`, so this is a valid borrowed reference; it stays valid
        // until Python code runs, and the only path that runs Python code takes its own reference first.
        let item = unsafe { pyo3::ffi::PyList_GetItem(list.as_ptr(), i as pyo3::ffi::Py_ssize_t) };
        if item.is_null() {
            return Err(PyErr::fetch(py));
        }
        // SAFETY: `item` is a live object (above); reading its type pointer is always valid.
        let exact_bytes =
            unsafe { pyo3::ffi::Py_TYPE(item) == std::ptr::addr_of_mut!(pyo3::ffi::PyBytes_Type) };
        if exact_bytes {
            // SAFETY: `item` is exactly `bytes`: its buffer is immutable, `len` bytes long and alive
            // while `item` is; it is copied before any Python code could run.
            unsafe {
                let ptr = pyo3::ffi::PyBytes_AsString(item);
                let len = pyo3::ffi::PyBytes_Size(item);
                if ptr.is_null() || len < 0 {
                    return Err(PyErr::fetch(py));
                }
                docs.push_token(std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize));
            }
        } else {
            // SAFETY: `item` is a valid borrowed reference; this takes a new strong reference to it.
            let owned = unsafe { Bound::from_borrowed_ptr(py, item) };
            push_token(docs, &owned)?;
        }
        i += 1;
    }
    Ok(())
}

/// Appends the tokens of one document (any iterable; lists take a faster path) and closes it.
fn push_doc(docs: &mut ByteDocs, doc: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Ok(list) = doc.cast::<PyList>() {
        push_list(docs, list)?;
    } else {
        for tok in doc.try_iter()? {
            push_token(docs, &tok?)?;
        }
    }
    docs.end_doc();
    Ok(())
}

fn token_hash(wide_tokens: bool) -> TokenHash {
    if wide_tokens {
        TokenHash::Sha1x64
    } else {
        TokenHash::Sha1x32
    }
}

fn lane_vec<L: Lane + Element>(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<L>> {
    let arr = obj.extract::<PyReadonlyArray1<'_, L>>().map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be a 1-D numpy array of {}",
            std::any::type_name::<L>()
        ))
    })?;
    Ok(arr.as_array().iter().copied().collect())
}

/// Tokens per run of `update`: each run is folded into a copy of the signature of its own (a row of
/// `DsMinHasher::fold_streamed`), so that runs can be hashed on two threads.
const RUN_TOKENS: usize = 256;
/// Runs read out of the Python objects at a time: enough for the core to split a chunk between its
/// two sides, few enough that the chunk's bytes stay in cache.
const CHUNK_RUNS: usize = 32;

/// Where `update`'s tokens come from: a list (read by index, faster) or any iterator.
enum TokenSource {
    List(Py<PyList>, usize),
    Iter(Py<PyIterator>),
}

impl TokenSource {
    fn new(tokens: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(match tokens.cast::<PyList>() {
            Ok(list) => TokenSource::List(list.clone().unbind(), 0),
            Err(_) => TokenSource::Iter(tokens.try_iter()?.unbind()),
        })
    }

    /// Reads up to `CHUNK_RUNS` runs of tokens into `buf` (cleared first), never an empty one; false
    /// once the tokens are exhausted.
    fn fill(&mut self, py: Python<'_>, buf: &mut ByteDocs) -> PyResult<bool> {
        buf.clear();
        while buf.len() < CHUNK_RUNS {
            let before = buf.num_tokens();
            match self {
                TokenSource::List(list, next) => {
                    push_list_range(buf, list.bind(py), *next, *next + RUN_TOKENS)?;
                    *next += RUN_TOKENS;
                }
                TokenSource::Iter(iter) => {
                    let iter = iter.bind(py);
                    for tok in iter.clone().take(RUN_TOKENS) {
                        push_token(buf, &tok?)?;
                    }
                }
            }
            if buf.num_tokens() == before {
                return Ok(false);
            }
            buf.end_doc();
        }
        Ok(true)
    }
}

/// `hashvalues` updated with the byte tokens of `tokens` (or with precomputed token `hashes`), as a
/// new array. Tokens are read out of the Python objects a chunk at a time, under the GIL, on this
/// thread, while the core hashes the chunk before (`DsMinHasher::fold_streamed`).
fn fold<'py, L: Lane + Element + Ord>(
    h: &DsMinHasher,
    py: Python<'py>,
    hashvalues: &Bound<'py, PyAny>,
    tokens: Option<&Bound<'py, PyAny>>,
    hashes: Option<Vec<u64>>,
    th: TokenHash,
) -> PyResult<Bound<'py, PyAny>> {
    let mut sig = lane_vec::<L>(hashvalues, "hashvalues")?;
    if let Some(hs) = hashes {
        detached(py, || h.fold_hashes(&mut sig, &hs))?;
        return Ok(sig.into_pyarray(py).into_any());
    }
    if let Some(tokens) = tokens {
        if let Ok(list) = tokens.cast::<PyList>() {
            if list.len() < STREAM_MIN_TOKENS {
                fold_list(h, py, &mut sig, list, th)?;
                return Ok(sig.into_pyarray(py).into_any());
            }
        }
        let mut source = TokenSource::new(tokens)?;
        let sig = &mut sig;
        py.detach(|| h.fold_streamed(sig, th, |buf| Python::attach(|py| source.fill(py, buf))))
            .map_err(stream_error)?;
    }
    Ok(sig.into_pyarray(py).into_any())
}

/// Lists shorter than this are folded on the calling thread, a chunk at a time: below it, the
/// pipeline's second thread and its balancing cost more than sharing the hashing saves (measured even
/// at about 100k tokens, 40% slower at 50k, 20% faster at 200k and more).
const STREAM_MIN_TOKENS: usize = 100_000;

/// `sig` updated with the tokens of `list`, read and folded a chunk of `CHUNK_RUNS · RUN_TOKENS` at a
/// time on the calling thread.
fn fold_list<L: Lane>(
    h: &DsMinHasher,
    py: Python<'_>,
    sig: &mut [L],
    list: &Bound<'_, PyList>,
    th: TokenHash,
) -> PyResult<()> {
    let mut buf = ByteDocs::new();
    let mut start = 0;
    while start < list.len() {
        buf.clear();
        push_list_range(&mut buf, list, start, start + CHUNK_RUNS * RUN_TOKENS)?;
        buf.end_doc();
        detached(py, || h.fold_tokens(sig, buf.doc(0), th))?;
        start += CHUNK_RUNS * RUN_TOKENS;
    }
    Ok(())
}

fn stream_error(e: StreamError<PyErr>) -> PyErr {
    match e {
        StreamError::Read(e) => e,
        StreamError::Core(e) => to_py(e),
        StreamError::HelperStopped => PyRuntimeError::new_err("the hashing thread stopped"),
    }
}

/// Documents per chunk of `bulk`: a chunk's tokens stay in cache and its buffer is reused (touching
/// fresh memory for a whole corpus costs page faults on the order of the hashing itself), and a chunk
/// still gives every rayon thread work.
const CHUNK_DOCS: usize = 256;

/// Reads up to `CHUNK_DOCS` documents into `buf` (cleared first); false when `docs` is exhausted.
fn fill_chunk(buf: &mut ByteDocs, docs: &mut Bound<'_, PyIterator>) -> PyResult<bool> {
    buf.clear();
    while buf.len() < CHUNK_DOCS {
        match docs.next() {
            Some(doc) => push_doc(buf, &doc?)?,
            None => return Ok(false),
        }
    }
    Ok(true)
}

/// `(row, slot)` hits as two arrays, as returned by `_DsLsh.query_bands_hits`.
type SlotPairs<'py> = (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<u32>>);

/// Live slots and their band values, as returned by `_DsLsh.export`.
type SlotsAndBands<'py> = (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray2<u64>>);

/// `MinHash.bulk`: signatures of every document of `docs`, row-major. Tokens are read out of the
/// Python objects a chunk at a time, under the GIL, on this thread; the core overlaps that reading
/// with the hashing (`DsMinHasher::bulk_streamed`).
fn bulk_rows<L: Lane + Element>(
    h: &DsMinHasher,
    py: Python<'_>,
    docs: &Bound<'_, PyAny>,
    init: &[L],
    th: TokenHash,
) -> PyResult<(usize, Vec<L>)> {
    let docs = docs.try_iter()?.unbind();
    let rows = py.detach(|| {
        h.bulk_streamed(init, th, |buf| {
            Python::attach(|py| fill_chunk(buf, &mut docs.bind(py).clone()))
        })
    });
    rows.map_err(stream_error)
}

fn bulk<'py, L: Lane + Element>(
    h: &DsMinHasher,
    py: Python<'py>,
    docs: &Bound<'py, PyAny>,
    init: &Bound<'py, PyAny>,
    th: TokenHash,
) -> PyResult<Bound<'py, PyAny>> {
    let init = lane_vec::<L>(init, "hashvalues")?;
    let (n, flat) = bulk_rows(h, py, docs, &init, th)?;
    let out: Bound<'py, PyArray2<L>> = flat.into_pyarray(py).reshape([n, h.num_perm()])?;
    Ok(out.into_any())
}

/// `$call` with `L` the slot type of `$h`'s scheme: `u32` for the narrow one, `u64` for the others.
macro_rules! by_lane {
    ($h:expr, $f:ident::<L>($($arg:expr),* $(,)?)) => {
        if $h.scheme().is_narrow() {
            $f::<u32>($($arg),*)
        } else {
            $f::<u64>($($arg),*)
        }
    };
}

/// The permutations of one datasketch MinHash configuration (private: use
/// `neardup.compat.datasketch.MinHash`).
#[pyclass(module = "neardup._core", name = "_DsHasher", frozen)]
pub struct PyDsHasher {
    inner: DsMinHasher,
}

#[pymethods]
impl PyDsHasher {
    #[new]
    fn new(scheme: &str, seed: u32, num_perm: usize) -> PyResult<Self> {
        let scheme = Scheme::parse(scheme).map_err(to_py)?;
        let inner = DsMinHasher::new(scheme, seed, num_perm).map_err(to_py)?;
        Ok(PyDsHasher { inner })
    }

    #[staticmethod]
    fn from_permutations(
        scheme: &str,
        a: PyReadonlyArray1<'_, u64>,
        b: PyReadonlyArray1<'_, u64>,
    ) -> PyResult<Self> {
        let scheme = Scheme::parse(scheme).map_err(to_py)?;
        let (a, b): (Vec<u64>, Vec<u64>) = (
            a.as_array().iter().copied().collect(),
            b.as_array().iter().copied().collect(),
        );
        let inner = DsMinHasher::from_permutations(scheme, &a, &b).map_err(to_py)?;
        Ok(PyDsHasher { inner })
    }

    #[getter]
    fn scheme(&self) -> &'static str {
        self.inner.scheme().name()
    }

    #[getter]
    fn num_perm(&self) -> usize {
        self.inner.num_perm()
    }

    /// `(2, num_perm)` array of the `a` and `b` parameters in the scheme's dtype.
    fn permutations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (a, b) = self.inner.permutations();
        let k = a.len();
        let flat: Vec<u64> = a.into_iter().chain(b).collect();
        if self.inner.scheme().is_narrow() {
            // Narrow schemes' parameters fit u32 by construction.
            let narrow: Vec<u32> = flat.into_iter().map(|v| v as u32).collect();
            Ok(narrow.into_pyarray(py).reshape([2, k])?.into_any())
        } else {
            Ok(flat.into_pyarray(py).reshape([2, k])?.into_any())
        }
    }

    /// A new array: `hashvalues` updated with the byte tokens of `tokens`.
    fn update<'py>(
        &self,
        py: Python<'py>,
        hashvalues: &Bound<'py, PyAny>,
        tokens: &Bound<'py, PyAny>,
        wide_tokens: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let th = token_hash(wide_tokens);
        by_lane!(
            self.inner,
            fold::<L>(&self.inner, py, hashvalues, Some(tokens), None, th)
        )
    }

    /// A new array: `hashvalues` updated with token hashes computed by a user hash function.
    fn update_hashed<'py>(
        &self,
        py: Python<'py>,
        hashvalues: &Bound<'py, PyAny>,
        hashes: PyReadonlyArray1<'py, u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let hs: Vec<u64> = hashes.as_array().iter().copied().collect();
        let th = TokenHash::default_for(self.inner.scheme());
        by_lane!(
            self.inner,
            fold::<L>(&self.inner, py, hashvalues, None, Some(hs), th)
        )
    }

    /// `(len(docs), num_perm)` signatures, each document's tokens folded into a copy of `init`.
    fn bulk<'py>(
        &self,
        py: Python<'py>,
        docs: &Bound<'py, PyAny>,
        init: &Bound<'py, PyAny>,
        wide_tokens: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let th = token_hash(wide_tokens);
        by_lane!(self.inner, bulk::<L>(&self.inner, py, docs, init, th))
    }

    fn __repr__(&self) -> String {
        format!(
            "_DsHasher(scheme='{}', num_perm={})",
            self.inner.scheme().name(),
            self.inner.num_perm()
        )
    }
}

/// Extracts a signature of unsigned integers as u64 values (u32 and u64 arrays are read as they are).
fn sig_u64(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
    if let Ok(a) = obj.extract::<PyReadonlyArray1<'_, u32>>() {
        return Ok(a.as_array().iter().map(|&v| v as u64).collect());
    }
    if let Ok(a) = obj.extract::<PyReadonlyArray1<'_, u64>>() {
        return Ok(a.as_array().iter().copied().collect());
    }
    Err(PyTypeError::new_err(
        "hashvalues must be a 1-D numpy array of uint32 or uint64",
    ))
}

/// Banded LSH with datasketch's candidate sets over numbered slots (private: use
/// `neardup.compat.datasketch.MinHashLSH`).
#[pyclass(module = "neardup._core", name = "_DsLsh")]
pub struct PyDsLsh {
    inner: DsLsh,
}

#[pymethods]
impl PyDsLsh {
    #[new]
    fn new(num_perm: usize, bands: usize, rows: usize) -> PyResult<Self> {
        Ok(PyDsLsh {
            inner: DsLsh::new(num_perm, bands, rows).map_err(to_py)?,
        })
    }

    #[getter]
    fn num_perm(&self) -> usize {
        self.inner.num_perm()
    }
    #[getter]
    fn bands(&self) -> usize {
        self.inner.bands()
    }
    #[getter]
    fn rows(&self) -> usize {
        self.inner.rows()
    }

    /// Indexes a signature; returns its slot.
    fn insert(&mut self, hashvalues: &Bound<'_, PyAny>) -> PyResult<u32> {
        let sig = sig_u64(hashvalues)?;
        self.inner.insert(&sig).map_err(to_py)
    }

    /// Re-indexes items from their band values (`export` output); returns their new slots.
    fn insert_bands(
        &mut self,
        py: Python<'_>,
        values: numpy::PyReadonlyArray2<'_, u64>,
    ) -> PyResult<Vec<u32>> {
        let view = values.as_array();
        let rows: Vec<Vec<u64>> = view.outer_iter().map(|r| r.to_vec()).collect();
        let inner = &mut self.inner;
        detached(py, || rows.iter().map(|r| inner.insert_bands(r)).collect())
    }

    fn remove(&mut self, slot: u32) -> PyResult<()> {
        self.inner.remove(slot).map_err(to_py)
    }

    /// Slots sharing a band with the signature, ascending.
    fn query(&self, hashvalues: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
        let sig = sig_u64(hashvalues)?;
        self.inner.query(&sig).map_err(to_py)
    }

    /// Indexes every row of a `(n, num_perm)` matrix; their slots (GIL released).
    fn insert_many<'py>(
        &mut self,
        py: Python<'py>,
        matrix: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let rows = Rows::new(matrix)?;
        let inner = &mut self.inner;
        let slots = with_rows!(rows, |v, stride| detached(py, || inner
            .insert_many(v, stride)))?;
        Ok(slots.into_pyarray(py))
    }

    /// Slots found for every row of a `(n, num_perm)` matrix (GIL released, all cores), as lists of
    /// `keys[slot]` when `keys` is given.
    #[pyo3(signature = (matrix, keys=None))]
    fn query_many<'py>(
        &self,
        py: Python<'py>,
        matrix: &Bound<'py, PyAny>,
        keys: Option<&Bound<'py, PyList>>,
    ) -> PyResult<Vec<Bound<'py, PyList>>> {
        let rows = Rows::new(matrix)?;
        let inner = &self.inner;
        let found = with_rows!(rows, |v, stride| detached(py, || inner
            .query_many(v, stride)))?;
        slot_lists(py, found, keys)
    }

    /// Every `(row, slot)` hit of `query_bands` for the rows `rows` of a `(n, num_perm)` matrix, row
    /// `rows[i]` with `bands[i]` bands (GIL released, all cores), as two arrays.
    fn query_bands_hits<'py>(
        &self,
        py: Python<'py>,
        matrix: &Bound<'py, PyAny>,
        rows: Vec<usize>,
        bands: Vec<usize>,
    ) -> PyResult<SlotPairs<'py>> {
        let m = Rows::new(matrix)?;
        let inner = &self.inner;
        let (hit_rows, hit_slots) = with_rows!(m, |v, stride| detached(py, || inner
            .query_bands_hits(v, stride, &rows, &bands)))?;
        Ok((hit_rows.into_pyarray(py), hit_slots.into_pyarray(py)))
    }

    /// Slots sharing one of the first `bands` bands with the signature, ascending.
    fn query_bands(&self, hashvalues: &Bound<'_, PyAny>, bands: usize) -> PyResult<Vec<u32>> {
        let sig = sig_u64(hashvalues)?;
        self.inner.query_bands(&sig, bands).map_err(to_py)
    }

    /// The `bands·rows` band values of a slot, or None.
    fn band_values<'py>(&self, py: Python<'py>, slot: u32) -> Option<Bound<'py, PyArray1<u64>>> {
        self.inner
            .band_values(slot)
            .map(|v| v.to_vec().into_pyarray(py))
    }

    /// Live slots (ascending) and their band values, `(n,)` and `(n, bands·rows)`.
    fn export<'py>(&self, py: Python<'py>) -> PyResult<SlotsAndBands<'py>> {
        let slots: Vec<u32> = self.inner.slots().collect();
        let width = self.inner.bands() * self.inner.rows();
        let flat: Vec<u64> = slots
            .iter()
            .filter_map(|&s| self.inner.band_values(s))
            .flatten()
            .copied()
            .collect();
        let n = slots.len();
        Ok((
            slots.into_pyarray(py),
            flat.into_pyarray(py).reshape([n, width])?,
        ))
    }

    /// Buckets of one band: `(band values, slots)` pairs.
    fn buckets<'py>(
        &self,
        py: Python<'py>,
        band: usize,
    ) -> Vec<(Bound<'py, PyArray1<u64>>, Vec<u32>)> {
        self.inner
            .buckets(band)
            .into_iter()
            .map(|(v, s)| (v.into_pyarray(py), s))
            .collect()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "_DsLsh(num_perm={}, bands={}, rows={}, len={})",
            self.inner.num_perm(),
            self.inner.bands(),
            self.inner.rows(),
            self.inner.len()
        )
    }
}

/// A `(n, width)` matrix of hash values as the core reads it: uint32 and uint64 arrays in place, other
/// integer arrays (a weighted MinHash's int64) copied as u64 bits.
enum Rows<'py> {
    Narrow(numpy::PyReadonlyArray2<'py, u32>),
    Wide(numpy::PyReadonlyArray2<'py, u64>),
    Copied(usize, Vec<u64>),
}

impl<'py> Rows<'py> {
    fn new(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = obj.extract::<numpy::PyReadonlyArray2<'py, u32>>() {
            if a.is_c_contiguous() {
                return Ok(Rows::Narrow(a));
            }
        }
        if let Ok(a) = obj.extract::<numpy::PyReadonlyArray2<'py, u64>>() {
            if a.is_c_contiguous() {
                return Ok(Rows::Wide(a));
            }
        }
        let (rows, values) = matrix_u64(obj)?;
        Ok(Rows::Copied(rows, values))
    }
}

/// Runs `$body` with `$v` bound to the values of `Rows` (a slice of u32 or u64) and `$stride` to
/// the row length; an empty matrix gives an empty result without calling the core. A macro, not a
/// function: `$body` is compiled once per slice type, so the core's generic loops stay monomorphic.
macro_rules! with_rows {
    ($rows:expr, |$v:ident, $stride:ident| $body:expr) => {{
        // One arm's work for `n` rows of `values`; each arm below has its own slice type.
        macro_rules! run {
            ($n:expr, $values:expr) => {{
                let (n, $v) = ($n, $values);
                let $stride = $v.len().checked_div(n).unwrap_or(0);
                if n == 0 {
                    Ok(Default::default())
                } else {
                    $body
                }
            }};
        }
        match &$rows {
            Rows::Narrow(a) => run!(a.as_array().nrows(), a.as_slice()?),
            Rows::Wide(a) => run!(a.as_array().nrows(), a.as_slice()?),
            Rows::Copied(n, values) => run!(*n, values.as_slice()),
        }
    }};
}
use with_rows;

/// One Python list per query: its slots, or `keys[slot]` for each when `keys` is given.
fn slot_lists<'py>(
    py: Python<'py>,
    found: Vec<Vec<u32>>,
    keys: Option<&Bound<'py, PyList>>,
) -> PyResult<Vec<Bound<'py, PyList>>> {
    found
        .into_iter()
        .map(|slots| match keys {
            Some(keys) => PyList::new(
                py,
                slots
                    .iter()
                    .map(|&s| keys.get_item(s as usize))
                    .collect::<PyResult<Vec<_>>>()?,
            ),
            None => PyList::new(py, slots),
        })
        .collect()
}

/// datasketch's `_optimal_param(threshold, num_perm, fp_weight, fn_weight)`.
#[pyfunction]
fn _ds_optimal_param(
    py: Python<'_>,
    threshold: f64,
    num_perm: usize,
    fp_weight: f64,
    fn_weight: f64,
) -> PyResult<(usize, usize)> {
    detached(py, || {
        lsh::optimal_params(threshold, num_perm, fp_weight, fn_weight)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDsHasher>()?;
    m.add_class::<PyDsLsh>()?;
    m.add_class::<PyDsForest>()?;
    m.add_class::<PyDsWeighted>()?;
    m.add_function(wrap_pyfunction!(_ds_optimal_param, m)?)?;
    Ok(())
}

/// Extracts a 1-D array of unsigned integers as u64 values, or a `(k, 2)` integer array (a weighted
/// MinHash) flattened, its values' bits kept.
fn banded_u64(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
    if let Ok(v) = sig_u64(obj) {
        return Ok(v);
    }
    if let Ok(a) = obj.extract::<numpy::PyReadonlyArray2<'_, i64>>() {
        return Ok(a.as_array().iter().map(|&v| v as u64).collect());
    }
    if let Ok(a) = obj.extract::<numpy::PyReadonlyArray1<'_, i64>>() {
        return Ok(a.as_array().iter().map(|&v| v as u64).collect());
    }
    Err(PyTypeError::new_err(
        "hashvalues must be a numpy array of uint32, uint64 or int64",
    ))
}

/// datasketch's LSH Forest over numbered slots (private: use
/// `neardup.compat.datasketch.MinHashLSHForest`).
#[pyclass(module = "neardup._core", name = "_DsForest")]
pub struct PyDsForest {
    inner: DsForest,
}

#[pymethods]
impl PyDsForest {
    #[new]
    fn new(trees: usize, rows: usize, width: usize) -> PyResult<Self> {
        Ok(PyDsForest {
            inner: DsForest::new(trees, rows, width).map_err(to_py)?,
        })
    }

    /// Adds a slot with its hash values (the first `trees·rows` rows are used).
    fn add(&mut self, slot: u32, hashvalues: &Bound<'_, PyAny>) -> PyResult<()> {
        let values = banded_u64(hashvalues)?;
        self.inner.add(slot, &values).map_err(to_py)
    }

    fn index(&mut self, py: Python<'_>) {
        let inner = &mut self.inner;
        py.detach(|| inner.index());
    }

    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Up to `n` slots in datasketch's order.
    fn query(&self, py: Python<'_>, hashvalues: &Bound<'_, PyAny>, n: usize) -> PyResult<Vec<u32>> {
        let values = banded_u64(hashvalues)?;
        let inner = &self.inner;
        detached(py, || inner.query(&values, n))
    }

    /// One list of slots per row of `matrix` (`(queries, values)`), on all cores.
    fn query_many(
        &self,
        py: Python<'_>,
        matrix: &Bound<'_, PyAny>,
        n: usize,
    ) -> PyResult<Vec<Vec<u32>>> {
        let (rows, values) = matrix_u64(matrix)?;
        let inner = &self.inner;
        if rows == 0 {
            return Ok(Vec::new());
        }
        let stride = values.len() / rows;
        detached(py, || inner.query_many(&values, stride, n))
    }

    fn __repr__(&self) -> String {
        "_DsForest()".to_string()
    }
}

/// A 2-D (or 3-D weighted) matrix of hash values as (rows, row-major u64 values).
fn matrix_u64(obj: &Bound<'_, PyAny>) -> PyResult<(usize, Vec<u64>)> {
    if let Ok(a) = obj.extract::<numpy::PyReadonlyArray2<'_, u32>>() {
        let v = a.as_array();
        return Ok((v.nrows(), v.iter().map(|&x| x as u64).collect()));
    }
    if let Ok(a) = obj.extract::<numpy::PyReadonlyArray2<'_, u64>>() {
        let v = a.as_array();
        return Ok((v.nrows(), v.iter().copied().collect()));
    }
    if let Ok(a) = obj.extract::<numpy::PyReadonlyArray2<'_, i64>>() {
        let v = a.as_array();
        return Ok((v.nrows(), v.iter().map(|&x| x as u64).collect()));
    }
    Err(PyTypeError::new_err(
        "expected a 2-D numpy array of uint32, uint64 or int64 hash values",
    ))
}

/// The parameters of a datasketch `WeightedMinHashGenerator` (private: use
/// `neardup.compat.datasketch.WeightedMinHashGenerator`).
#[pyclass(module = "neardup._core", name = "_DsWeighted", frozen)]
pub struct PyDsWeighted {
    inner: WeightedParams,
}

/// A CSR index array as numpy holds it (scipy uses int32 or int64), read in place.
enum CsrArray<'py> {
    I32(PyReadonlyArray1<'py, i32>),
    I64(PyReadonlyArray1<'py, i64>),
}

impl<'py> CsrArray<'py> {
    fn extract(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Self> {
        if let Ok(a) = obj.extract::<PyReadonlyArray1<'py, i32>>() {
            return Ok(CsrArray::I32(a));
        }
        obj.extract::<PyReadonlyArray1<'py, i64>>()
            .map(CsrArray::I64)
            .map_err(|_| {
                PyTypeError::new_err(format!("{what}: a 1-D int32 or int64 array expected"))
            })
    }
}

/// A contiguous 1-D array's values, or a type error naming it.
fn contiguous<'a, T: numpy::Element>(
    a: &'a PyReadonlyArray1<'_, T>,
    what: &str,
) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| PyTypeError::new_err(format!("{what}: a contiguous array expected")))
}

#[pymethods]
impl PyDsWeighted {
    #[new]
    fn new(
        py: Python<'_>,
        rs: numpy::PyReadonlyArray2<'_, f32>,
        ln_cs: numpy::PyReadonlyArray2<'_, f32>,
        betas: numpy::PyReadonlyArray2<'_, f32>,
    ) -> PyResult<Self> {
        let (samples, dim) = rs.as_array().dim();
        let slice = |a: &'_ numpy::PyReadonlyArray2<'_, f32>| -> PyResult<Vec<f32>> {
            // Copied once here (the generator's matrices stay the user's to replace), then packed.
            if a.as_array().dim() != (samples, dim) {
                return Err(PyValueError::new_err(
                    "rs, ln_cs and betas must have the same shape",
                ));
            }
            Ok(a.as_array().iter().copied().collect())
        };
        let (rs, ln_cs, betas) = (slice(&rs)?, slice(&ln_cs)?, slice(&betas)?);
        let inner = detached(py, || {
            WeightedParams::new(dim, samples, &rs, &ln_cs, &betas)
        })?;
        Ok(PyDsWeighted { inner })
    }

    /// `(rows, sample_size, 2)` int64 `(k, t)` values (`minhash_many`'s formula) and a per-row "has
    /// a sample" mask, for CSR rows (`indptr`, strictly ascending `cols` per row, int32 or int64)
    /// whose values' logs are `logs` (−inf, a zero weight, is skipped). Read in place, GIL released.
    fn hash_rows<'py>(
        &self,
        py: Python<'py>,
        indptr: &Bound<'py, PyAny>,
        cols: &Bound<'py, PyAny>,
        logs: PyReadonlyArray1<'py, f32>,
    ) -> PyResult<(Bound<'py, PyAny>, Vec<bool>)> {
        let (indptr, cols) = (
            CsrArray::extract(indptr, "indptr")?,
            CsrArray::extract(cols, "cols")?,
        );
        let logs = contiguous(&logs, "logs")?;
        let rows = match &indptr {
            CsrArray::I32(a) => a.len(),
            CsrArray::I64(a) => a.len(),
        }
        .saturating_sub(1);
        let inner = &self.inner;
        let mut out = vec![0i64; rows * 2 * inner.samples];
        macro_rules! run {
            ($p:expr, $c:expr) => {{
                let (p, c) = (contiguous($p, "indptr")?, contiguous($c, "cols")?);
                detached(py, || inner.many(p, c, logs, Variant::Many, &mut out))?
            }};
        }
        let status = match (&indptr, &cols) {
            (CsrArray::I32(p), CsrArray::I32(c)) => run!(p, c),
            (CsrArray::I32(p), CsrArray::I64(c)) => run!(p, c),
            (CsrArray::I64(p), CsrArray::I32(c)) => run!(p, c),
            (CsrArray::I64(p), CsrArray::I64(c)) => run!(p, c),
        };
        let arr = out
            .into_pyarray(py)
            .reshape([rows, inner.samples, 2])?
            .into_any();
        Ok((arr, status.iter().map(|s| *s == RowStatus::Ok).collect()))
    }

    /// `(sample_size, 2)` int64 `(k, t)` values of one vector (`minhash`'s formula) from its nonzero
    /// columns `cols` (ascending) and the logs of their weights; raises as datasketch does when some
    /// sample has nothing but NaN or its `t` is not an integer.
    fn hash_one<'py>(
        &self,
        py: Python<'py>,
        cols: PyReadonlyArray1<'py, i64>,
        logs: PyReadonlyArray1<'py, f32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (cols, logs) = (contiguous(&cols, "cols")?, contiguous(&logs, "logs")?);
        let inner = &self.inner;
        let mut out = vec![0i64; 2 * inner.samples];
        let indptr = [0i64, cols.len() as i64];
        let status = detached(py, || {
            inner.many(&indptr, cols, logs, Variant::Single, &mut out)
        })?;
        match status[0] {
            RowStatus::Ok => Ok(out.into_pyarray(py).reshape([inner.samples, 2])?.into_any()),
            RowStatus::Empty => Err(PyValueError::new_err("Input is all zeros")),
            RowStatus::AllNan => Err(PyValueError::new_err("All-NaN slice encountered")),
            RowStatus::NotInteger => Err(PyOverflowError::new_err(
                "cannot convert float infinity to integer",
            )),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "_DsWeighted(dim={}, sample_size={})",
            self.inner.dim, self.inner.samples
        )
    }
}
