//! Binding of `neardup_core::read`: a batch of JSON Lines read into `Entry` objects in one call.
//!
//! Records that need nothing more are built here as instances of the entry class Python passes in,
//! without running its `__init__` (as `copy` and `pickle` do): the core already produced exactly the
//! values `__init__` would store and check, and skipping it makes an entry cost a fifth. The rest come
//! back as tuples for the Python reader to finish, or (when all that is left is `extra`, but not all of it
//! scalars) with the members to add to their `extra`.

use neardup_core::read::{self as records, Parsed, RecordSpec, Scalar};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString, PyTuple, PyType};
use pyo3::{ffi, intern};

use crate::errors::detached;

/// `object.__setattr__(obj, name, value)`: stores into a frozen dataclass's slot.
fn force_setattr(
    obj: &Bound<'_, PyAny>,
    name: &Bound<'_, PyString>,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    // SAFETY: the three pointers are live for the call, and PyObject_GenericSetAttr only borrows them.
    let status =
        unsafe { ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr()) };
    if status == 0 {
        Ok(())
    } else {
        Err(PyErr::fetch(obj.py()))
    }
}

/// The Python value `json.loads` gives a JSON scalar.
fn scalar<'py>(py: Python<'py>, value: Scalar<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Scalar::Null => py.None().into_bound(py),
        Scalar::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
        Scalar::Int(i) => i.into_pyobject(py)?.into_any(),
        Scalar::Float(x) => PyFloat::new(py, x).into_any(),
        Scalar::Str(s) => PyString::new(py, &s).into_any(),
    })
}

/// Takes a new entry out of the cyclic garbage collector's lists, as CPython does for tuples of atomic
/// values: it holds strings, numbers, None and its `extra` dict of JSON values, so it cannot be part of
/// a reference cycle (short of a caller storing the entry into its own `extra`, a read-only mapping by
/// contract). Otherwise every collection would traverse the 10^5..10^6 entries of each snapshot read;
/// the first one after reading alone costs a quarter of the reading time.
fn untrack(entry: &Bound<'_, PyAny>) {
    // SAFETY: the pointer is live; IsTracked is 0 for objects of non-GC types, which are left alone.
    unsafe {
        if ffi::PyObject_GC_IsTracked(entry.as_ptr()) == 1 {
            ffi::PyObject_GC_UnTrack(entry.as_ptr().cast());
        }
    }
}

/// Builds entry objects from records: the named fields filled, the others set to None.
struct EntryBuilder<'py> {
    new: Bound<'py, PyAny>,
    entry_type: Bound<'py, PyType>,
    none_fields: Vec<Bound<'py, PyString>>,
}

impl<'py> EntryBuilder<'py> {
    fn build(
        &self,
        f: records::Fields<'_>,
        position: usize,
        line: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.new.py();
        let entry = self.new.call1((&self.entry_type,))?;
        let none = py.None().into_bound(py);
        let set = |name: &Bound<'py, PyString>, value: Bound<'py, PyAny>| {
            force_setattr(&entry, name, &value)
        };
        set(intern!(py, "title"), PyString::new(py, &f.title).into_any())?;
        set(
            intern!(py, "abstract"),
            PyString::new(py, &f.abstract_text).into_any(),
        )?;
        set(intern!(py, "key"), f.key.into_pyobject(py)?.into_any())?;
        set(
            intern!(py, "version"),
            f.version.into_pyobject(py)?.into_any(),
        )?;
        set(
            intern!(py, "position"),
            position.into_pyobject(py)?.into_any(),
        )?;
        set(intern!(py, "line"), line.into_pyobject(py)?.into_any())?;
        let extra = PyDict::new(py);
        for (name, value) in f.extra {
            extra.set_item(PyString::new(py, &name), scalar(py, value)?)?;
        }
        set(intern!(py, "extra"), extra.into_any())?;
        for name in &self.none_fields {
            force_setattr(&entry, name, &none)?;
        }
        untrack(&entry);
        Ok(entry)
    }
}

type BatchResult<'py> = (
    Bound<'py, PyList>,
    Option<String>,
    Vec<usize>,
    Vec<usize>,
    u64,
);

/// Reads one batch of whole JSON lines (see `_core.pyi`).
#[pyfunction]
#[pyo3(signature = (
    data, end, first_line, first_position, entry_type, none_fields, *,
    title_field=None, abstract_field=None, id_field=None, keep_extra=true, int_max_str_digits=4300,
))]
#[allow(clippy::too_many_arguments)]
fn _read_jsonl_batch<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyBytes>,
    end: usize,
    first_line: u64,
    first_position: usize,
    entry_type: &Bound<'py, PyType>,
    none_fields: Vec<Bound<'py, PyString>>,
    title_field: Option<String>,
    abstract_field: Option<String>,
    id_field: Option<String>,
    keep_extra: bool,
    int_max_str_digits: usize,
) -> PyResult<BatchResult<'py>> {
    let spec = RecordSpec {
        title_field,
        abstract_field,
        id_field,
        keep_extra,
        int_max_str_digits,
    };
    if !spec.supported() {
        return Err(PyValueError::new_err(
            "dotted field paths and the fields read after the fact (authors, versions, dates, counts, paper) \
             are read by the Python reader only",
        ));
    }
    let new = py.get_type::<PyAny>().getattr(intern!(py, "__new__"))?;
    let builder = EntryBuilder {
        new,
        entry_type: entry_type.clone(),
        none_fields,
    };
    let bytes = data
        .as_bytes()
        .get(..end)
        .ok_or_else(|| PyValueError::new_err("end is beyond the data"))?;
    let batch = detached(py, || Ok(records::read_jsonl(bytes, first_line, &spec)))?;

    let line_count = batch.line_count;
    let mut out = Items::default();
    for (i, line) in batch.lines.into_iter().enumerate() {
        let item = match line.parsed {
            Parsed::Record(mut f) => match f.rest.take() {
                None => builder.build(f, first_position + i, line.number)?,
                Some(rest) => {
                    out.rest_json
                        .push(if out.rest_json.is_empty() { '[' } else { ',' });
                    out.rest_json.push_str(&rest);
                    out.rest_at.push(i);
                    if f.rest_has_meta {
                        let fields = (
                            line.number,
                            f.title,
                            f.abstract_text.as_ref(),
                            f.key,
                            f.version,
                        );
                        fields.into_pyobject(py)?.into_any()
                    } else {
                        builder.build(f, first_position + i, line.number)?
                    }
                }
            },
            Parsed::Fallback => {
                out.fallback_at.push(i);
                let raw = PyBytes::new(py, &bytes[line.span]);
                PyTuple::new(
                    py,
                    [line.number.into_pyobject(py)?.into_any(), raw.into_any()],
                )?
                .into_any()
            }
        };
        out.items.push(item);
    }
    let rest_json = (!out.rest_json.is_empty()).then(|| out.rest_json + "]");
    let items = PyList::new(py, out.items)?;
    Ok((items, rest_json, out.rest_at, out.fallback_at, line_count))
}

#[derive(Default)]
struct Items<'py> {
    items: Vec<Bound<'py, PyAny>>,
    rest_json: String,
    rest_at: Vec<usize>,
    fallback_at: Vec<usize>,
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_read_jsonl_batch, m)?)?;
    Ok(())
}
