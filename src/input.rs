//! `_TextReader`: the core's input layer (`neardup_core::read::input::text_reader`) under a Python
//! binary stream, so that every Python reader (`neardup.formats.source.open_source`) reads gzip, zstd,
//! bzip2 and xz inputs, and text in other encodings than UTF-8, as the core's own readers do.
//! Decompression and transcoding run with the GIL released; the raw bytes are pulled from the Python
//! stream in large reads.

use std::io::{self, BufReader, Read};
use std::sync::Mutex;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use neardup_core::read::input::{text_reader, Compression, TextEncoding};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<TextReader>()?;
    m.add_function(wrap_pyfunction!(_compression_of, m)?)?;
    m.add_function(wrap_pyfunction!(_encoding, m)?)?;
    m.add_function(wrap_pyfunction!(_columnar_rows, m)?)?;
    Ok(())
}

/// Whether the core reads the file at `path` as the JSON Lines of its rows: a Parquet or Arrow IPC
/// file whose columns all have a plain JSON spelling (`read::columnar`). False for any other file, or
/// one the core cannot open (the Python reader then reads it, or says what is wrong with it).
#[pyfunction]
#[pyo3(signature = (path, /, *, text_columns))]
fn _columnar_rows(py: Python<'_>, path: std::path::PathBuf, text_columns: Vec<String>) -> bool {
    py.detach(|| {
        neardup_core::read::columnar::open_path(&path, &text_columns)
            .is_ok_and(|rows| rows.is_some())
    })
}

/// The compression whose magic bytes `head` starts with (`"gzip"`, `"zstd"`, `"bzip2"`, `"xz"`), or
/// None.
#[pyfunction]
#[pyo3(signature = (head, /))]
fn _compression_of(head: &[u8]) -> Option<&'static str> {
    Compression::sniff(head).map(Compression::name)
}

/// The canonical name of the encoding `name` (`"latin-1"`, `"windows-1252"`, …), None for UTF-8;
/// `ValueError` for a name not known.
#[pyfunction]
#[pyo3(signature = (name, /))]
pub fn _encoding(name: &str) -> PyResult<Option<&'static str>> {
    Ok(encoding(Some(name))?.map(TextEncoding::name))
}

pub fn encoding(name: Option<&str>) -> PyResult<Option<TextEncoding>> {
    match name {
        None => Ok(None),
        Some(name) => TextEncoding::by_name(name)
            .map_err(|n| PyValueError::new_err(format!("unknown encoding {n:?}"))),
    }
}

/// A `Read` over a Python binary stream: each read takes the GIL for the one `read` call.
struct PyReader(Py<PyAny>);

impl Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Python::attach(|py| {
            let got = self
                .0
                .bind(py)
                .call_method1("read", (buf.len(),))
                .map_err(|e| to_io(py, e))?;
            let got = got.cast::<PyBytes>().map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, "expected a binary stream")
            })?;
            let bytes = got.as_bytes();
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            Ok(n)
        })
    }
}

/// A Python `OSError` keeps its errno and message through the decoder; anything else becomes `Other`.
fn to_io(py: Python<'_>, e: PyErr) -> io::Error {
    if e.is_instance_of::<PyOSError>(py) {
        if let Ok(errno) = e
            .value(py)
            .getattr("errno")
            .and_then(|v| v.extract::<i32>())
        {
            return io::Error::from_raw_os_error(errno);
        }
    }
    io::Error::other(e.to_string())
}

/// The UTF-8 text of a binary stream: decompressed, transcoded (see the module doc).
#[pyclass(module = "neardup._core", name = "_TextReader", frozen)]
struct TextReader {
    inner: Mutex<Box<dyn Read + Send>>,
    compression: Option<Compression>,
}

#[pymethods]
impl TextReader {
    #[new]
    #[pyo3(signature = (stream, encoding=None, /))]
    fn new(py: Python<'_>, stream: Py<PyAny>, encoding: Option<&str>) -> PyResult<Self> {
        let encoding = self::encoding(encoding)?;
        let input = BufReader::with_capacity(1 << 18, PyReader(stream));
        let (inner, compression) = py
            .detach(|| text_reader(input, encoding))
            .map_err(PyErr::from)?;
        Ok(TextReader {
            inner: Mutex::new(inner),
            compression,
        })
    }

    /// The compression the stream came in (`"gzip"`, `"zstd"`, `"bzip2"`, `"xz"`), or None.
    #[getter]
    fn compression(&self) -> Option<&'static str> {
        self.compression.map(Compression::name)
    }

    /// Up to `size` decompressed bytes (fewer only at the end of the data); `b""` at the end. A corrupt
    /// or truncated stream raises `OSError` (`EINVAL`-free: the message says "corrupt gzip data …").
    fn read<'py>(&self, py: Python<'py>, size: usize) -> PyResult<Bound<'py, PyBytes>> {
        let mut buf = vec![0u8; size];
        let got = py.detach(|| {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let mut got = 0;
            while got < buf.len() {
                match inner.read(&mut buf[got..]) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(got)
        });
        let got = got.map_err(PyErr::from)?;
        Ok(PyBytes::new(py, &buf[..got]))
    }

    fn __repr__(&self) -> String {
        format!("<_TextReader compression={:?}>", self.compression())
    }
}
