//! `_core.EntryBase`: the fields of `neardup.Entry` (a subclass in `model.py` adds its methods), so that
//! entries are immutable by construction and the core's readers build them with one ordinary
//! constructor call, checked here at Rust speed, with no attribute written after the fact.
//!
//! The type has no `__traverse__`, so its instances (and those of a subclass adding no slots) are not
//! tracked by the cyclic garbage collector: an entry holds strings, numbers, None, a tuple of names and
//! its `extra` mapping of JSON values, so it cannot be part of a cycle (short of a caller storing the
//! entry into its own `extra`, a read-only mapping by contract). Tracked, every collection would walk
//! the 10^5..10^6 entries of each snapshot read.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyString, PyTuple};

/// One paper of a snapshot: the fields only (see `neardup.Entry` for their meaning).
#[pyclass(frozen, subclass, module = "neardup._core")]
pub struct EntryBase {
    #[pyo3(get)]
    title: Py<PyString>,
    #[pyo3(get, name = "abstract")]
    abstract_text: Py<PyString>,
    #[pyo3(get)]
    key: Py<PyAny>,
    #[pyo3(get)]
    version: Py<PyAny>,
    #[pyo3(get)]
    authors: Py<PyAny>,
    #[pyo3(get)]
    authors_count: Py<PyAny>,
    #[pyo3(get)]
    organization: Py<PyAny>,
    #[pyo3(get)]
    published: Py<PyAny>,
    #[pyo3(get)]
    upvotes: Py<PyAny>,
    #[pyo3(get)]
    position: Py<PyAny>,
    #[pyo3(get)]
    line: Py<PyAny>,
    #[pyo3(get)]
    extra: Py<PyAny>,
}

/// `value` as a `str`, or the TypeError `Entry` raises for field `name`.
fn text(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Py<PyString>> {
    match value.cast::<PyString>() {
        Ok(s) => Ok(s.clone().unbind()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "Entry.{name} must be a str, not {}",
            value.get_type().name()?
        ))),
    }
}

/// A constructor argument as given, None included ([`Arg::Omitted`] when it was not: an `Option`
/// would take an explicit None for "not given").
enum Arg {
    Given(Py<PyAny>),
    Omitted,
}

impl<'a, 'py> FromPyObject<'a, 'py> for Arg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Arg> {
        Ok(Arg::Given(obj.to_owned().unbind()))
    }
}

impl Arg {
    /// The value given, else `default()`.
    fn or(self, default: impl FnOnce() -> Py<PyAny>) -> Py<PyAny> {
        match self {
            Arg::Given(v) => v,
            Arg::Omitted => default(),
        }
    }
}

#[pymethods]
impl EntryBase {
    /// The dataclass-like constructor of `neardup.Entry`: `title` and `abstract` must be `str`,
    /// `authors` a sequence of names (kept as a tuple); omitted fields are None, `abstract` "",
    /// `position` 0 and `extra` a new dict.
    #[new]
    #[pyo3(signature = (
        title, r#abstract=Arg::Omitted, key=Arg::Omitted, version=Arg::Omitted, authors=Arg::Omitted,
        authors_count=Arg::Omitted, organization=Arg::Omitted, published=Arg::Omitted,
        upvotes=Arg::Omitted, position=Arg::Omitted, line=Arg::Omitted, extra=Arg::Omitted,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        title: &Bound<'_, PyAny>,
        r#abstract: Arg,
        key: Arg,
        version: Arg,
        authors: Arg,
        authors_count: Arg,
        organization: Arg,
        published: Arg,
        upvotes: Arg,
        position: Arg,
        line: Arg,
        extra: Arg,
    ) -> PyResult<EntryBase> {
        let none = || py.None();
        let authors = match authors {
            Arg::Omitted => none(),
            Arg::Given(a) => {
                let a = a.into_bound(py);
                if a.is_none() || a.is_exact_instance_of::<PyTuple>() {
                    a.unbind()
                } else if a.is_instance_of::<PyString>() {
                    return Err(PyTypeError::new_err(
                        "Entry.authors must be a sequence of names, not a str",
                    ));
                } else {
                    PyTuple::new(py, a.try_iter()?.collect::<PyResult<Vec<_>>>()?)?
                        .into_any()
                        .unbind()
                }
            }
        };
        Ok(EntryBase {
            title: text(title, "title")?,
            abstract_text: match r#abstract {
                Arg::Given(a) => text(a.bind(py), "abstract")?,
                Arg::Omitted => PyString::intern(py, "").unbind(),
            },
            key: key.or(none),
            version: version.or(none),
            authors,
            authors_count: authors_count.or(none),
            organization: organization.or(none),
            published: published.or(none),
            upvotes: upvotes.or(none),
            position: position.or(|| PyInt::new(py, 0).into_any().unbind()),
            line: line.or(none),
            extra: extra.or(|| PyDict::new(py).into_any().unbind()),
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<EntryBase>()?;
    Ok(())
}
