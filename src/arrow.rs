//! Arrow data from Python, read in place: any object exporting Arrow data through the Arrow PyCapsule
//! interface (`__arrow_c_stream__` / `__arrow_c_array__`: pyarrow arrays, chunked arrays, tables and
//! record batch readers, polars Series and DataFrames, recent pandas DataFrames, DuckDB results) is
//! imported through the Arrow C data and stream interfaces (the `arrow-array` crate), and its strings are
//! borrowed from the producer's buffers: no Python object per row, no copy of the text.
//!
//! A text column is a `string`, `large_string` or `string_view` array (or a dictionary of one), in any
//! number of chunks, each possibly a slice with a non-zero offset; the import keeps the offsets and the
//! validity bitmap as the producer laid them out. Each chunk is validated in full (offsets in bounds,
//! UTF-8) before a `&str` is made of it, since a producer can hand over any bytes.

use std::ffi::CStr;
use std::ptr::NonNull;

use arrow_array::cast::AsArray;
use arrow_array::ffi::{from_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::{ArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::types::{Int16Type, Int32Type, Int64Type, Int8Type};
use arrow_array::{make_array, Array, ArrayReader, ArrayRef};
use arrow_schema::DataType;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods, PyTuple};

const STREAM: &CStr = c"arrow_array_stream";
const SCHEMA: &CStr = c"arrow_schema";
const ARRAY: &CStr = c"arrow_array";

/// Whether `obj` exports Arrow data through the PyCapsule interface.
pub fn is_arrow(obj: &Bound<'_, PyAny>) -> bool {
    obj.hasattr("__arrow_c_stream__").unwrap_or(false)
        || obj.hasattr("__arrow_c_array__").unwrap_or(false)
}

/// The chunks of an exported Arrow object (one per stream item, or the one array), with the type
/// they share. A stream is preferred: a chunked array or a table exports only that.
pub fn import(obj: &Bound<'_, PyAny>) -> PyResult<(DataType, Vec<ArrayRef>)> {
    if obj.hasattr("__arrow_c_stream__")? {
        let capsule = obj.call_method0("__arrow_c_stream__")?;
        let reader = stream_reader(capsule.cast::<PyCapsule>()?)?;
        let dtype = reader.field().data_type().clone();
        let chunks = reader.collect::<Result<Vec<_>, _>>().map_err(arrow_err)?;
        return Ok((dtype, chunks));
    }
    let pair = obj.call_method0("__arrow_c_array__")?;
    let pair = pair.cast::<PyTuple>()?;
    if pair.len() != 2 {
        return Err(PyTypeError::new_err(
            "__arrow_c_array__ must return a (schema, array) pair of capsules",
        ));
    }
    let schema_capsule = pair.get_item(0)?;
    let array_capsule = pair.get_item(1)?;
    let schema =
        capsule_pointer(schema_capsule.cast::<PyCapsule>()?, SCHEMA)?.cast::<FFI_ArrowSchema>();
    let array =
        capsule_pointer(array_capsule.cast::<PyCapsule>()?, ARRAY)?.cast::<FFI_ArrowArray>();
    // SAFETY: both capsules hold the structs their names say. The array is moved out (its capsule's
    // copy marked released); the schema is only borrowed and stays owned by its capsule.
    let data = unsafe {
        let array = FFI_ArrowArray::from_raw(array.as_ptr());
        from_ffi(array, schema.as_ref())
    }
    .map_err(arrow_err)?;
    let array = make_array(data);
    Ok((array.data_type().clone(), vec![array]))
}

fn stream_reader(capsule: &Bound<'_, PyCapsule>) -> PyResult<ArrayStreamReader> {
    let ptr = capsule_pointer(capsule, STREAM)?.cast::<FFI_ArrowArrayStream>();
    // SAFETY: the capsule holds an `ArrowArrayStream` by the PyCapsule interface's contract (its
    // name was checked); `from_raw` moves the struct out and marks the capsule's copy released, so
    // the capsule's destructor does not release it a second time.
    unsafe { ArrayStreamReader::from_raw(ptr.as_ptr()) }.map_err(arrow_err)
}

fn capsule_pointer(
    capsule: &Bound<'_, PyCapsule>,
    name: &CStr,
) -> PyResult<NonNull<std::ffi::c_void>> {
    capsule.pointer_checked(Some(name)).map_err(|_| {
        PyTypeError::new_err(format!(
            "expected an Arrow PyCapsule named {:?}",
            name.to_string_lossy()
        ))
    })
}

fn arrow_err(e: arrow_schema::ArrowError) -> PyErr {
    PyValueError::new_err(format!("cannot read the Arrow data: {e}"))
}

/// A text column: the chunks of one string column, each validated, read in place.
pub struct TextColumn {
    chunks: Vec<ArrayRef>,
}

impl TextColumn {
    /// The text column of an exported object: the array itself when it holds strings, or of a table
    /// (a struct of columns) the column `name`, else the column named ``text``, else its only string
    /// column. `what` names the argument in errors.
    pub fn from_py(obj: &Bound<'_, PyAny>, name: Option<&str>, what: &str) -> PyResult<TextColumn> {
        let (dtype, chunks) = import(obj)?;
        let chunks = match &dtype {
            DataType::Struct(fields) => {
                let pick = pick_column(fields, name, what)?;
                chunks
                    .iter()
                    .map(|c| c.as_struct().column(pick).clone())
                    .collect()
            }
            _ if name.is_some() => {
                return Err(PyTypeError::new_err(format!(
                    "{what}: a column name was given, but the Arrow data is a single array, not a table"
                )))
            }
            _ => chunks,
        };
        for chunk in &chunks {
            check_strings(chunk.data_type(), what)?;
            // Offsets in bounds and UTF-8, so that `strings` may hand out `&str`.
            chunk.to_data().validate_full().map_err(|e| {
                PyValueError::new_err(format!("{what}: invalid Arrow string data: {e}"))
            })?;
        }
        Ok(TextColumn { chunks })
    }

    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.len()).sum()
    }

    /// The texts in order, `None` for the nulls.
    pub fn texts(&self) -> Vec<Option<&str>> {
        let mut out = Vec::with_capacity(self.len());
        for chunk in &self.chunks {
            push_strings(chunk.as_ref(), &mut out);
        }
        out
    }

    /// The texts with nulls as `missing` decides: empty texts, or an error naming the first null
    /// (`what[i]`, 0-based over all chunks).
    pub fn texts_or(&self, missing: Missing, what: &str) -> PyResult<Vec<&str>> {
        let texts = self.texts();
        if missing == Missing::Error {
            if let Some(i) = texts.iter().position(Option::is_none) {
                return Err(missing_error(what, i, "null"));
            }
        }
        Ok(texts.into_iter().map(|t| t.unwrap_or("")).collect())
    }
}

/// What a missing text (an Arrow null, a Python `None` or NaN) becomes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Missing {
    Empty,
    Error,
}

impl Missing {
    pub fn parse(s: &str) -> PyResult<Missing> {
        match s {
            "empty" => Ok(Missing::Empty),
            "error" => Ok(Missing::Error),
            other => Err(PyValueError::new_err(format!(
                "on_missing: expected one of empty, error, got {other:?}"
            ))),
        }
    }
}

pub fn missing_error(what: &str, i: usize, got: &str) -> PyErr {
    PyValueError::new_err(format!(
        "{what}[{i}]: expected a text, got a missing value ({got})"
    ))
}

fn pick_column(fields: &arrow_schema::Fields, name: Option<&str>, what: &str) -> PyResult<usize> {
    let names = || {
        fields
            .iter()
            .map(|f| f.name().as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = name {
        return fields.iter().position(|f| f.name() == name).ok_or_else(|| {
            PyValueError::new_err(format!("{what}: no column {name:?} (columns: {})", names()))
        });
    }
    if let Some(at) = fields.iter().position(|f| f.name() == "text") {
        return Ok(at);
    }
    let strings: Vec<usize> = (0..fields.len())
        .filter(|&i| is_string(fields[i].data_type()))
        .collect();
    match strings[..] {
        [one] => Ok(one),
        _ => Err(PyValueError::new_err(format!(
            "{what}: which column holds the texts? Name it (text_field=...); columns: {}",
            names()
        ))),
    }
}

pub fn is_string(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(key, value) => {
            matches!(
                key.as_ref(),
                DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64
            ) && matches!(
                value.as_ref(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            )
        }
        _ => false,
    }
}

fn check_strings(t: &DataType, what: &str) -> PyResult<()> {
    if is_string(t) {
        return Ok(());
    }
    Err(PyTypeError::new_err(format!(
        "{what}: expected Arrow strings (string, large_string or string_view), got {t}"
    )))
}

/// Appends the strings of one validated string array (`None` for nulls).
fn push_strings<'a>(array: &'a dyn Array, out: &mut Vec<Option<&'a str>>) {
    match array.data_type() {
        DataType::Utf8 => out.extend(array.as_string::<i32>().iter()),
        DataType::LargeUtf8 => out.extend(array.as_string::<i64>().iter()),
        DataType::Utf8View => out.extend(array.as_string_view().iter()),
        DataType::Dictionary(key, _) => {
            let mut values = Vec::new();
            let dict = array.as_any_dictionary();
            push_strings(dict.values().as_ref(), &mut values);
            let get = |k: Option<usize>| k.and_then(|k| values.get(k).copied().flatten());
            match key.as_ref() {
                DataType::Int8 => out.extend(
                    array
                        .as_dictionary::<Int8Type>()
                        .keys()
                        .iter()
                        .map(|k| get(k.and_then(|k| usize::try_from(k).ok()))),
                ),
                DataType::Int16 => out.extend(
                    array
                        .as_dictionary::<Int16Type>()
                        .keys()
                        .iter()
                        .map(|k| get(k.and_then(|k| usize::try_from(k).ok()))),
                ),
                DataType::Int32 => out.extend(
                    array
                        .as_dictionary::<Int32Type>()
                        .keys()
                        .iter()
                        .map(|k| get(k.and_then(|k| usize::try_from(k).ok()))),
                ),
                _ => out.extend(
                    array
                        .as_dictionary::<Int64Type>()
                        .keys()
                        .iter()
                        .map(|k| get(k.and_then(|k| usize::try_from(k).ok()))),
                ),
            }
        }
        _ => {}
    }
}
