//! `LSHIndex`: a thin wrapper over `neardup_core::lsh::LshIndex`.

use numpy::{IntoPyArray, PyArray2, PyArrayMethods};
use pyo3::exceptions::{PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyList, PyString};

use neardup_core::lsh::{load_file, save_file, Candidates, FileError, Key, LshIndex};

use crate::errors::{detached, to_py};
use crate::minhash::{sig1, sig2};

fn key(obj: &Bound<'_, PyAny>) -> PyResult<Key> {
    if obj.is_instance_of::<PyString>() {
        return Ok(Key::Str(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<i64>().map(Key::Int).map_err(|_| {
            PyValueError::new_err("key: int keys must fit in a signed 64-bit integer")
        });
    }
    Err(PyTypeError::new_err(format!(
        "key must be int or str, not {}",
        obj.get_type().name()?
    )))
}

fn key_to_py<'py>(py: Python<'py>, k: &Key) -> PyResult<Bound<'py, PyAny>> {
    Ok(match k {
        Key::Int(i) => i.into_pyobject(py)?.into_any(),
        Key::Str(s) => s.into_pyobject(py)?.into_any(),
    })
}

/// Signatures as one row-major slice: a C-contiguous uint32 array is borrowed read-only for the call (as
/// `cluster.rs` does: no copy, no transient 4·n·num_perm bytes), anything else is copied through `sig2`.
fn with_sigs<T>(
    sigs: &Bound<'_, PyAny>,
    num_perm: usize,
    f: impl FnOnce(usize, &[u32]) -> PyResult<T>,
) -> PyResult<T> {
    if let Ok(a) = sigs.extract::<numpy::PyReadonlyArray2<'_, u32>>() {
        let (n, k) = a.as_array().dim();
        if k == num_perm {
            if let Ok(flat) = a.as_slice() {
                return f(n, flat);
            }
        }
    }
    let (n, flat) = sig2(sigs, "sigs", num_perm)?;
    f(n, &flat)
}

/// `list[list[key]]` of compressed candidates. Keys `0..n` inserted in order (the common case) are the
/// slot numbers themselves, so no key is looked up.
fn candidates_to_py<'py>(
    py: Python<'py>,
    inner: &LshIndex,
    found: &Candidates,
) -> PyResult<Bound<'py, PyList>> {
    let dense = inner.keys_are_slots();
    let lists = (0..found.len()).map(|i| {
        let slots = found.get(i);
        if dense {
            PyList::new(py, slots)
        } else {
            let keys = slots
                .iter()
                .filter_map(|&s| inner.key_of(s))
                .map(|k| key_to_py(py, &k))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, keys)
        }
    });
    let lists = lists.collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, lists)
}

/// Banded LSH index over MinHash signatures; keys are int or str.
#[pyclass(module = "neardup", name = "LSHIndex")]
pub struct PyLSHIndex {
    inner: LshIndex,
    threshold: Option<f64>,
}

#[pymethods]
impl PyLSHIndex {
    #[new]
    #[pyo3(signature = (threshold=0.5, num_perm=128, *, weights=(0.5, 0.5), params=None))]
    fn new(
        py: Python<'_>,
        threshold: f64,
        num_perm: i64,
        weights: (f64, f64),
        params: Option<(i64, i64)>,
    ) -> PyResult<Self> {
        if num_perm < 1 {
            return Err(PyValueError::new_err(format!(
                "num_perm: must be at least 1, got {num_perm}"
            )));
        }
        let k = num_perm as usize;
        let inner = match params {
            Some((b, r)) => {
                if b < 1 || r < 1 {
                    return Err(PyValueError::new_err(
                        "params: bands and rows must be at least 1",
                    ));
                }
                LshIndex::new(k, b as usize, r as usize).map_err(to_py)?
            }
            None => detached(py, || LshIndex::with_threshold(threshold, k, weights))?,
        };
        Ok(PyLSHIndex {
            inner,
            threshold: params.is_none().then_some(threshold),
        })
    }

    /// Number of bands each signature is cut into.
    #[getter]
    fn bands(&self) -> usize {
        self.inner.bands()
    }
    /// Signature values per band.
    #[getter]
    fn rows(&self) -> usize {
        self.inner.rows()
    }
    /// Length of the signatures the index takes (``bands * rows`` of them are used).
    #[getter]
    fn num_perm(&self) -> usize {
        self.inner.num_perm()
    }
    /// The Jaccard threshold the banding was chosen for; None when ``params`` set it.
    #[getter]
    fn threshold(&self) -> Option<f64> {
        self.threshold
    }

    /// Inserts one key; a key already present raises ValueError.
    #[pyo3(signature = (key_, sig, /))]
    fn insert(&mut self, key_: &Bound<'_, PyAny>, sig: &Bound<'_, PyAny>) -> PyResult<()> {
        let k = key(key_)?;
        let s = sig1(sig, "sig")?;
        if s.len()? != self.inner.num_perm() {
            return Err(PyValueError::new_err(format!(
                "sig has length {}, expected num_perm={}",
                s.len()?,
                self.inner.num_perm()
            )));
        }
        self.inner.insert(k, s.as_slice()?).map_err(to_py)
    }

    /// Inserts many keys at once (all or nothing).
    #[pyo3(signature = (keys, sigs, /))]
    fn insert_many(
        &mut self,
        py: Python<'_>,
        keys: &Bound<'_, PyAny>,
        sigs: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let keys: Vec<Key> = keys
            .try_iter()?
            .map(|k| key(&k?))
            .collect::<PyResult<_>>()?;
        let num_perm = self.inner.num_perm();
        let inner = &mut self.inner;
        with_sigs(sigs, num_perm, |n, flat| {
            if n != keys.len() {
                return Err(PyValueError::new_err(format!(
                    "keys and sigs must have the same length, got {} and {n}",
                    keys.len()
                )));
            }
            detached(py, || inner.insert_many(keys, flat))
        })
    }

    /// Keys sharing at least one band with ``sig``, in insertion order.
    #[pyo3(signature = (sig, /))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        sig: &Bound<'py, PyAny>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let s = sig1(sig, "sig")?;
        let found = self.inner.query(s.as_slice()?).map_err(to_py)?;
        found.iter().map(|k| key_to_py(py, k)).collect()
    }

    /// ``query`` for each row, in parallel.
    #[pyo3(signature = (sigs, /))]
    fn query_many<'py>(
        &self,
        py: Python<'py>,
        sigs: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let inner = &self.inner;
        let found = with_sigs(sigs, inner.num_perm(), |_, flat| {
            detached(py, || inner.query_many_slots(flat))
        })?;
        candidates_to_py(py, inner, &found)
    }

    /// Removes a key; KeyError if absent.
    #[pyo3(signature = (key_, /))]
    fn remove(&mut self, key_: &Bound<'_, PyAny>) -> PyResult<()> {
        let k = key(key_)?;
        if !self.inner.contains(&k) {
            return Err(PyKeyError::new_err(key_.clone().unbind()));
        }
        self.inner.remove(&k).map_err(to_py)
    }

    /// Keys in insertion order (index i of `candidate_pairs` refers to the i-th inserted item, holes kept).
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.inner
            .live_slots()
            .into_iter()
            .filter_map(|s| self.inner.key_of(s))
            .map(|k| key_to_py(py, &k))
            .collect()
    }

    /// Key of an insertion index as used by `candidate_pairs`.
    #[pyo3(signature = (index, /))]
    fn key_at<'py>(&self, py: Python<'py>, index: u32) -> PyResult<Bound<'py, PyAny>> {
        match self.inner.key_of(index) {
            Some(k) => key_to_py(py, &k),
            None => Err(PyKeyError::new_err(index)),
        }
    }

    /// All pairs of insertion indices sharing a band, each once, as an ``(m, 2)`` array, sorted.
    fn candidate_pairs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<i64>>> {
        let inner = &self.inner;
        let pairs = detached(py, || Ok(inner.candidate_pairs()))?;
        let n = pairs.len();
        let flat: Vec<i64> = pairs
            .into_iter()
            .flat_map(|(a, b)| [a as i64, b as i64])
            .collect();
        flat.into_pyarray(py).reshape([n, 2])
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __contains__(&self, key_: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(match key(key_) {
            Ok(k) => self.inner.contains(&k),
            Err(_) => false,
        })
    }

    /// The versioned binary form read by ``from_bytes``.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let inner = &self.inner;
        let data = detached(py, || Ok(inner.to_bytes()))?;
        Ok(PyBytes::new(py, &data))
    }

    #[staticmethod]
    #[pyo3(signature = (data, /))]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let inner = detached(py, || LshIndex::from_bytes(data))?;
        Ok(PyLSHIndex {
            inner,
            threshold: None,
        })
    }

    /// Writes the index to `path` atomically (a temporary file beside it, synced, renamed over it): a
    /// failure leaves an existing file as it was.
    #[pyo3(signature = (path, /))]
    fn save(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let inner = &self.inner;
        py.detach(|| save_file(inner, &path, &crate::errors::track_temp))
            .map_err(|e| file_error(e, &path))
    }

    /// Reads an index saved by `save` (or written by `to_bytes`), validating its header, length and
    /// checksum; IndexFormatError when it is not an intact index.
    #[staticmethod]
    #[pyo3(signature = (path, /))]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let inner = py
            .detach(|| load_file(&path))
            .map_err(|e| file_error(e, &path))?;
        Ok(PyLSHIndex {
            inner,
            threshold: None,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let bytes = slf.borrow().to_bytes(py)?;
        let ctor = slf.get_type().getattr("from_bytes")?;
        (ctor, (bytes,)).into_pyobject(py).map(|t| t.into_any())
    }

    fn __repr__(&self) -> String {
        format!(
            "LSHIndex(num_perm={}, bands={}, rows={}, len={})",
            self.inner.num_perm(),
            self.inner.bands(),
            self.inner.rows(),
            self.inner.len()
        )
    }
}

/// An OSError naming the file, or the IndexFormatError of a damaged index (with the file's name).
fn file_error(err: FileError, path: &std::path::Path) -> PyErr {
    match err {
        FileError::Io(e) => {
            let errno = e.raw_os_error().unwrap_or(0);
            let text = e.to_string();
            // "No space left on device (os error 28)": Python's strerror has no suffix.
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            pyo3::exceptions::PyOSError::new_err((errno, text, path.to_path_buf()))
        }
        FileError::Format(neardup_core::Error::IndexFormat(what)) => {
            crate::errors::IndexFormatError::new_err(format!("{}: {what}", path.display()))
        }
        FileError::Format(other) => crate::errors::to_py(other),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyLSHIndex>()?;
    Ok(())
}
