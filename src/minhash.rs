//! `MinHasher`, `jaccard`, `shingle_jaccard`: thin wrappers over `neardup_core::minhash` and `shingle`.

use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use neardup_core::minhash::{self, MinHasher, Scheme};
use neardup_core::text::shingle::{self, ShingleConfig, Unit};

use crate::errors::{detached, to_py};
use crate::texts::{text, texts};

/// Extracts a 1-D uint32 signature, telling dtype problems (ValueError) from type problems (TypeError).
pub fn sig1<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<PyReadonlyArray1<'py, u32>> {
    if let Ok(a) = obj.extract::<PyReadonlyArray1<'py, u32>>() {
        return Ok(a);
    }
    if let Ok(dtype) = obj.getattr("dtype") {
        let ndim: usize = obj.getattr("ndim")?.extract()?;
        return Err(PyValueError::new_err(format!(
            "{name} must be a 1-D numpy array of uint32, got ndim={ndim} dtype={dtype}"
        )));
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be a numpy.ndarray of uint32, not {}",
        obj.get_type().name()?
    )))
}

/// Extracts a 2-D uint32 signature matrix as one row-major vector.
pub fn sig2(obj: &Bound<'_, PyAny>, name: &str, num_perm: usize) -> PyResult<(usize, Vec<u32>)> {
    if let Ok(a) = obj.extract::<numpy::PyReadonlyArray2<'_, u32>>() {
        let shape = a.shape();
        if shape[1] != num_perm && shape[0] > 0 {
            return Err(PyValueError::new_err(format!(
                "{name} must have {num_perm} columns (num_perm), got {}",
                shape[1]
            )));
        }
        return Ok((shape[0], a.as_array().iter().copied().collect()));
    }
    if let Ok(dtype) = obj.getattr("dtype") {
        return Err(PyValueError::new_err(format!(
            "{name} must be a 2-D numpy array of uint32, got dtype={dtype} ndim={}",
            obj.getattr("ndim")?
        )));
    }
    // A sequence of 1-D signatures.
    let mut flat = Vec::new();
    let mut n = 0;
    for (i, item) in obj.try_iter()?.enumerate() {
        let row = sig1(&item?, &format!("{name}[{i}]"))?;
        if row.len() != num_perm {
            return Err(PyValueError::new_err(format!(
                "{name}[{i}] has length {}, expected num_perm={num_perm}",
                row.len()
            )));
        }
        flat.extend(row.as_array().iter().copied());
        n += 1;
    }
    Ok((n, flat))
}

fn matrix(
    py: Python<'_>,
    flat: Vec<u32>,
    n: usize,
    k: usize,
) -> PyResult<Bound<'_, PyArray2<u32>>> {
    flat.into_pyarray(py).reshape([n, k])
}

/// A new `(n, k)` numpy array filled by `fill` without the GIL.
///
/// The array is allocated by numpy rather than handed over from a Rust `Vec`: numpy's allocator keeps a
/// freed block of this size for the next call, where memory returned by the core's allocator goes back
/// to the system and had to be faulted in again on every batch (a tenth of a signatures call).
fn numpy_matrix<'py>(
    py: Python<'py>,
    n: usize,
    k: usize,
    fill: impl FnOnce(&mut [u32]) + Send,
) -> PyResult<Bound<'py, PyArray2<u32>>> {
    // SAFETY: a new C-contiguous array that nothing else references yet. Every element is written
    // (`write_bytes`) before a slice of it exists, and the slice is gone when the array is returned.
    unsafe {
        let array = PyArray2::<u32>::new(py, [n, k], false);
        let data = array.data();
        std::ptr::write_bytes(data, 0xFF, n * k); // EMPTY in every slot
        let out = std::slice::from_raw_parts_mut(data, n * k);
        py.detach(|| fill(out));
        Ok(array)
    }
}

/// MinHash signatures of texts, computed in the Rust core on all cores with the GIL released.
#[pyclass(module = "neardup", name = "MinHasher", frozen)]
pub struct PyMinHasher {
    pub inner: MinHasher,
}

#[pymethods]
impl PyMinHasher {
    #[new]
    #[pyo3(signature = (num_perm=128, *, ngram=3, unit="word", seed=1, normalize=true, scheme="oph"))]
    fn new(
        num_perm: i64,
        ngram: i64,
        unit: &str,
        seed: u64,
        normalize: bool,
        scheme: &str,
    ) -> PyResult<Self> {
        if num_perm < 1 {
            return Err(PyValueError::new_err(format!(
                "num_perm: must be at least 1, got {num_perm}"
            )));
        }
        if ngram < 1 {
            return Err(PyValueError::new_err(format!(
                "ngram: must be at least 1, got {ngram}"
            )));
        }
        let unit = Unit::parse(unit).map_err(to_py)?;
        let scheme = Scheme::parse(scheme).map_err(to_py)?;
        let cfg = ShingleConfig::new(ngram as usize, unit, normalize, seed).map_err(to_py)?;
        Ok(PyMinHasher {
            inner: MinHasher::new(num_perm as usize, cfg, scheme).map_err(to_py)?,
        })
    }

    /// Values per signature.
    #[getter]
    fn num_perm(&self) -> usize {
        self.inner.num_perm
    }
    /// Tokens per shingle.
    #[getter]
    fn ngram(&self) -> usize {
        self.inner.shingles.ngram
    }
    /// What a token is: ``"word"`` (runs of ``\w``) or ``"char"`` (code points).
    #[getter]
    fn unit(&self) -> &'static str {
        self.inner.shingles.unit.name()
    }
    /// Seed of the hash functions: signatures of different seeds are not comparable.
    #[getter]
    fn seed(&self) -> u64 {
        self.inner.shingles.seed
    }
    /// Whether texts are normalised (NFKC + lower case) before tokenising.
    #[getter]
    fn normalize(&self) -> bool {
        self.inner.shingles.normalize
    }
    /// ``"oph"`` (one-permutation hashing, densified) or ``"kperm"`` (k permutations).
    #[getter]
    fn scheme(&self) -> &'static str {
        self.inner.scheme.name()
    }

    /// Signature of one text: uint32 array of length ``num_perm``.
    #[pyo3(signature = (text_, /))]
    fn signature<'py>(
        &self,
        py: Python<'py>,
        text_: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let t = text(text_, "text")?;
        let sig = py.detach(|| self.inner.signature(t.as_ref()));
        Ok(sig.into_pyarray(py))
    }

    /// Signatures of many texts (a sequence of str, or Arrow strings read in place: any
    /// `__arrow_c_stream__` / `__arrow_c_array__` exporter, nulls as empty texts): ``(n, num_perm)``,
    /// computed in parallel with the GIL released.
    #[pyo3(signature = (texts_, /))]
    fn signatures<'py>(
        &self,
        py: Python<'py>,
        texts_: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<u32>>> {
        let k = self.inner.num_perm;
        if crate::arrow::is_arrow(texts_) {
            // Read in place from the Arrow buffers; nulls are empty texts.
            let column = crate::arrow::TextColumn::from_py(texts_, None, "texts")?;
            let ts = column.texts_or(crate::arrow::Missing::Empty, "texts")?;
            return numpy_matrix(py, ts.len(), k, |out| self.inner.signatures_into(&ts, out));
        }
        let ts = texts(texts_, "texts")?;
        numpy_matrix(py, ts.len(), k, |out| self.inner.signatures_into(&ts, out))
    }

    /// Signatures of texts the caller tokenised (tokens are not normalised).
    #[pyo3(signature = (docs, /))]
    fn signatures_from_tokens<'py>(
        &self,
        py: Python<'py>,
        docs: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<u32>>> {
        let mut all = Vec::new();
        for (i, doc) in docs.try_iter()?.enumerate() {
            all.push(texts(&doc?, &format!("docs[{i}]"))?);
        }
        let n = all.len();
        let flat = py.detach(|| self.inner.signatures_from_tokens(&all));
        matrix(py, flat, n, self.inner.num_perm)
    }

    fn __repr__(&self) -> String {
        let c = &self.inner.shingles;
        format!(
            "MinHasher(num_perm={}, ngram={}, unit='{}', seed={}, normalize={}, scheme='{}')",
            self.inner.num_perm,
            c.ngram,
            c.unit.name(),
            c.seed,
            if c.normalize { "True" } else { "False" },
            self.inner.scheme.name()
        )
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let me = slf.get();
        let c = &me.inner.shingles;
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("ngram", c.ngram)?;
        kwargs.set_item("unit", c.unit.name())?;
        kwargs.set_item("seed", c.seed)?;
        kwargs.set_item("normalize", c.normalize)?;
        kwargs.set_item("scheme", me.inner.scheme.name())?;
        let functools = py.import("functools")?;
        let ctor = functools.call_method1("partial", (slf.get_type(),))?;
        let ctor = functools.getattr("partial")?.call((ctor,), Some(&kwargs))?;
        (ctor, (me.inner.num_perm,))
            .into_pyobject(py)
            .map(|t| t.into_any())
    }
}

/// Estimated Jaccard similarity of two signatures (0.0 when either is the empty-set signature).
#[pyfunction]
#[pyo3(signature = (a, b, /))]
fn jaccard(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
    let (a, b) = (sig1(a, "sig_a")?, sig1(b, "sig_b")?);
    let (a, b) = (a.as_slice()?, b.as_slice()?);
    if a.len() != b.len() {
        return Err(PyValueError::new_err(format!(
            "sig_a and sig_b must have the same length, got {} and {}",
            a.len(),
            b.len()
        )));
    }
    let _ = py;
    minhash::jaccard(a, b).map_err(to_py)
}

/// Exact Jaccard similarity of the shingle sets of two texts.
#[pyfunction]
#[pyo3(signature = (a, b, /, *, ngram=3, unit="word", normalize=true))]
fn shingle_jaccard(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    ngram: i64,
    unit: &str,
    normalize: bool,
) -> PyResult<f64> {
    if ngram < 1 {
        return Err(PyValueError::new_err(format!(
            "ngram: must be at least 1, got {ngram}"
        )));
    }
    let unit = Unit::parse(unit).map_err(to_py)?;
    let cfg = ShingleConfig::new(ngram as usize, unit, normalize, 1).map_err(to_py)?;
    let (a, b) = (text(a, "a")?, text(b, "b")?);
    detached(py, || {
        Ok(shingle::shingle_jaccard(&cfg, a.as_ref(), b.as_ref()))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMinHasher>()?;
    m.add_function(wrap_pyfunction!(jaccard, m)?)?;
    m.add_function(wrap_pyfunction!(shingle_jaccard, m)?)?;
    Ok(())
}
