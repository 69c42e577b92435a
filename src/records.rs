//! Binding of `neardup_core::read`: a batch of JSON Lines read into `Entry` objects in one call.
//!
//! Records that need nothing more are built here by calling the entry class Python passes in (its
//! constructor is the core's, `src/entry.rs`). The rest come back as tuples for the Python reader to
//! finish, or (when all that is left is `extra`, but not all of it scalars) with the members to add to
//! their `extra`.

use neardup_core::read::{self as records, Parsed, RecordSpec, Scalar};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString, PyTuple, PyType};

use crate::errors::detached;

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

/// Builds entries from records by calling the entry class (`neardup.Entry`, whose constructor is
/// `_core.EntryBase`'s) with the fields the record has; the others are None.
struct EntryBuilder<'py> {
    entry_type: Bound<'py, PyType>,
}

impl<'py> EntryBuilder<'py> {
    fn build(
        &self,
        f: records::Fields<'_>,
        position: usize,
        line: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.entry_type.py();
        let extra = PyDict::new(py);
        for (name, value) in f.extra {
            extra.set_item(PyString::new(py, &name), scalar(py, value)?)?;
        }
        let none = py.None().into_bound(py);
        let fields = [
            PyString::new(py, &f.title).into_any(),
            PyString::new(py, &f.abstract_text).into_any(),
            f.key.into_pyobject(py)?.into_any(),
            f.version.into_pyobject(py)?.into_any(),
            none.clone(), // authors
            none.clone(), // authors_count
            none.clone(), // organization
            none.clone(), // published
            none,         // upvotes
            position.into_pyobject(py)?.into_any(),
            line.into_pyobject(py)?.into_any(),
            extra.into_any(),
        ];
        self.entry_type.call1(PyTuple::new(py, fields)?)
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
    data, end, first_line, first_position, entry_type, *,
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
    let builder = EntryBuilder {
        entry_type: entry_type.clone(),
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
