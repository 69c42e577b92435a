//! Parquet and Arrow IPC snapshots for the core's readers: record batches (from pyarrow, one row group
//! or IPC batch at a time, through the Arrow C stream interface) are written out as JSON Lines, one row
//! a line, so that the core's JSON Lines readers map them, with the one implementation of the field
//! rules (`--id-field`, `--title-field`, `--text-field`, authors, versions, dates) every format shares.
//! No Python object is made per row: the strings are read from the Arrow buffers and written escaped.
//!
//! A null (or a NaN) in a text column (`text_columns`: the title, abstract and text fields) is an empty
//! text; in any other column the member is left out, as if the column were absent (as the Python
//! reader of data in memory does, `neardup.formats.tables`). Columns of types JSON has no plain
//! spelling for (timestamps, dates, binary, structs, …) are refused: `_arrow_jsonl` returns False and
//! the caller takes the Python reader.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use rayon::prelude::*;

use crate::arrow;

/// Rows a parallel task writes: enough to amortise a task, few enough to spread a row group.
const ROWS: usize = 2048;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_arrow_jsonl, m)?)?;
    Ok(())
}

/// Writes the rows of `data` (an `__arrow_c_stream__` exporter of record batches) to a new file at
/// `path` as JSON Lines; False when a column's type has no plain JSON spelling (nothing useful is
/// written then). The batches are pulled one at a time (the stream's producer may hold the GIL for
/// each); each is written in parallel with the GIL released.
#[pyfunction]
#[pyo3(signature = (data, path, /, *, text_columns))]
fn _arrow_jsonl(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    path: PathBuf,
    text_columns: Vec<String>,
) -> PyResult<bool> {
    let (fields, mut batches) = arrow::stream(data)?;
    let Some(fields) = fields else {
        return Err(PyTypeError::new_err(
            "expected a stream of record batches (a table)",
        ));
    };
    if !fields.iter().all(|f| plain(f.data_type())) {
        return Ok(false);
    }
    let names: Vec<Vec<u8>> = fields.iter().map(|f| json_string(f.name())).collect();
    let texts: Vec<bool> = fields
        .iter()
        .map(|f| text_columns.iter().any(|t| t == f.name()))
        .collect();
    let file = File::create(&path).map_err(|e| PyOSError::new_err(e.to_string()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    while let Some(batch) = batches.next_batch()? {
        // Offsets in bounds and UTF-8, so that the strings may be read as `&str`.
        batch
            .to_data()
            .validate_full()
            .map_err(|e| PyValueError::new_err(format!("invalid Arrow data: {e}")))?;
        let columns: Vec<Column> = batch
            .as_struct()
            .columns()
            .iter()
            .map(|c| Column::new(c.clone()))
            .collect();
        let rows = batch.len();
        let written = py.detach(|| -> std::io::Result<()> {
            let pieces: Vec<Vec<u8>> = (0..rows.div_ceil(ROWS))
                .into_par_iter()
                .map(|k| {
                    let mut buf = Vec::with_capacity(ROWS * 256);
                    for row in k * ROWS..((k + 1) * ROWS).min(rows) {
                        write_row(&columns, &names, &texts, row, &mut buf);
                    }
                    buf
                })
                .collect();
            for piece in pieces {
                out.write_all(&piece)?;
            }
            Ok(())
        });
        written.map_err(|e| PyOSError::new_err(e.to_string()))?;
    }
    out.flush().map_err(|e| PyOSError::new_err(e.to_string()))?;
    Ok(true)
}

/// Whether values of type `t` have a plain JSON spelling this writer knows.
fn plain(t: &DataType) -> bool {
    use DataType::*;
    match t {
        Null | Boolean | Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64
        | Float32 | Float64 | Utf8 | LargeUtf8 | Utf8View => true,
        Dictionary(..) => arrow::is_string(t),
        // Lists of scalars (authors, categories); nested lists and dictionaries inside are refused.
        List(item) | LargeList(item) => {
            !matches!(item.data_type(), List(_) | LargeList(_) | Dictionary(..))
                && plain(item.data_type())
        }
        _ => false,
    }
}

fn json_string(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    write_string(s, &mut out);
    out
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A column of a batch, with the keys of a dictionary column resolved once for the batch.
struct Column {
    array: ArrayRef,
    keys: Option<Vec<usize>>,
}

impl Column {
    fn new(array: ArrayRef) -> Column {
        let keys = array.as_any_dictionary_opt().map(|d| d.normalized_keys());
        Column { array, keys }
    }
}

fn write_row(columns: &[Column], names: &[Vec<u8>], texts: &[bool], row: usize, out: &mut Vec<u8>) {
    out.push(b'{');
    let mut first = true;
    for ((column, name), &text) in columns.iter().zip(names).zip(texts) {
        let start = out.len();
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(name);
        out.push(b':');
        let written = match &column.keys {
            Some(keys) => {
                !column.array.is_null(row)
                    && write_value(
                        column.array.as_any_dictionary().values().as_ref(),
                        keys[row],
                        out,
                    )
            }
            None => write_value(column.array.as_ref(), row, out),
        };
        if !written {
            if text {
                out.extend_from_slice(b"\"\"");
            } else {
                out.truncate(start); // a missing value: the member is left out
                continue;
            }
        }
        first = false;
    }
    out.extend_from_slice(b"}\n");
}

/// Writes the value at `row` of `array`; false (nothing written) for a null or a NaN.
fn write_value(array: &dyn Array, row: usize, out: &mut Vec<u8>) -> bool {
    if array.is_null(row) {
        return false;
    }
    macro_rules! int {
        ($t:ty) => {{
            let _ = write!(out, "{}", array.as_primitive::<$t>().value(row));
            true
        }};
    }
    macro_rules! float {
        ($t:ty) => {{
            let v = f64::from(array.as_primitive::<$t>().value(row));
            if !v.is_finite() {
                return false;
            }
            let _ = serde_json::to_writer(&mut *out, &v);
            true
        }};
    }
    match array.data_type() {
        DataType::Null => false,
        DataType::Boolean => {
            let v = array.as_boolean().value(row);
            out.extend_from_slice(if v { b"true" } else { b"false" });
            true
        }
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        DataType::Float32 => float!(Float32Type),
        DataType::Float64 => float!(Float64Type),
        DataType::Utf8 => {
            write_string(array.as_string::<i32>().value(row), out);
            true
        }
        DataType::LargeUtf8 => {
            write_string(array.as_string::<i64>().value(row), out);
            true
        }
        DataType::Utf8View => {
            write_string(array.as_string_view().value(row), out);
            true
        }
        DataType::List(_) => write_list(array.as_list::<i32>().value(row).as_ref(), out),
        DataType::LargeList(_) => write_list(array.as_list::<i64>().value(row).as_ref(), out),
        _ => false, // refused by `plain` before any row is written
    }
}

fn write_list(items: &dyn Array, out: &mut Vec<u8>) -> bool {
    out.push(b'[');
    for i in 0..items.len() {
        if i > 0 {
            out.push(b',');
        }
        if !write_value(items, i, out) {
            out.extend_from_slice(b"null");
        }
    }
    out.push(b']');
    true
}
