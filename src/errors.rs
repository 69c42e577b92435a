//! The exception hierarchy and the one mapping from core errors to Python exceptions, plus the helper that
//! runs core work with the GIL released.

use neardup_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

create_exception!(
    neardup,
    NeardupError,
    PyException,
    "Base class of neardup's domain errors."
);
create_exception!(
    neardup,
    IndexFormatError,
    NeardupError,
    "A saved index is truncated, corrupt, of a newer format, or not an index at all."
);

/// Converts a core error into the Python exception a user expects.
pub fn to_py(err: Error) -> PyErr {
    match err {
        Error::InvalidParameter { .. } | Error::LengthMismatch { .. } => {
            PyValueError::new_err(err.to_string())
        }
        Error::IndexFormat(_) => IndexFormatError::new_err(err.to_string()),
    }
}

/// Runs `f` detached from the interpreter (other Python threads run meanwhile) and maps its error once.
pub fn detached<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> neardup_core::Result<T> + Send,
    T: Send,
{
    py.detach(f).map_err(to_py)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("NeardupError", py.get_type::<NeardupError>())?;
    m.add("IndexFormatError", py.get_type::<IndexFormatError>())?;
    Ok(())
}
