//! The rows of Arrow record batches as JSON Lines, one row a line, so that the JSON Lines readers read
//! them with the one implementation of the field rules (`--id-field`, `--title-field`, `--text-field`,
//! authors, versions, dates) every format shares. The strings are read from the Arrow buffers and
//! written escaped; no value is made per cell.
//!
//! A null (or a NaN) in a text column (the usual title, abstract and text columns, and those a caller
//! names) is an empty text; in any other column the member is left out, as if the column were absent (as
//! the Python reader of data in memory does, `neardup.formats.tables`). Inside a list or a struct a
//! missing value is `null`, as `to_pylist` gives it. Columns of types JSON has no plain spelling for
//! (timestamps, dates, binary, decimals, maps, …) are refused: [`RowWriter::new`] says which.

use std::io::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field};

/// Columns whose nulls are empty texts whatever the caller names: corpus dedup's `text`, and the title
/// and abstract names of a snapshot (`neardup.formats.names`).
pub const TEXT_COLUMNS: [&str; 7] = [
    "text",
    "title",
    "paper_title",
    "abstract",
    "summary",
    "paper_abstract",
    "description",
];

/// Writes rows of batches of one schema as JSON Lines.
#[derive(Debug, Clone)]
pub struct RowWriter {
    /// Each column's name as a JSON string.
    names: Vec<Vec<u8>>,
    /// Whether each column is a text column (a null there is an empty text).
    texts: Vec<bool>,
}

impl RowWriter {
    /// A writer for batches with the columns `fields`, in which the columns [`TEXT_COLUMNS`] and
    /// `text_columns` are texts; `Err` naming the first column whose type has no plain JSON spelling.
    pub fn new<F: AsRef<Field>>(
        fields: &[F],
        text_columns: &[String],
    ) -> Result<RowWriter, String> {
        if let Some(f) = fields
            .iter()
            .map(AsRef::as_ref)
            .find(|f| !plain(f.data_type()))
        {
            return Err(format!(
                "column {:?} is of type {}, which has no plain JSON spelling",
                f.name(),
                f.data_type()
            ));
        }
        let is_text =
            |name: &str| TEXT_COLUMNS.contains(&name) || text_columns.iter().any(|t| t == name);
        Ok(RowWriter {
            names: fields
                .iter()
                .map(|f| json_string(f.as_ref().name()))
                .collect(),
            texts: fields.iter().map(|f| is_text(f.as_ref().name())).collect(),
        })
    }

    /// Appends the `rows` rows of `columns` (one array per field, in order) to `out`, one line each.
    /// On the calling thread: the caller is a decoding thread whose lines rayon's threads are parsing
    /// meanwhile (waiting on rayon from here could wait on those very threads).
    pub fn write(&self, columns: &[ArrayRef], rows: usize, out: &mut Vec<u8>) {
        let columns: Vec<Column> = columns.iter().map(|c| Column::new(c.clone())).collect();
        for row in 0..rows {
            self.write_row(&columns, row, out);
        }
    }

    fn write_row(&self, columns: &[Column], row: usize, out: &mut Vec<u8>) {
        out.push(b'{');
        let mut first = true;
        for ((column, name), &text) in columns.iter().zip(&self.names).zip(&self.texts) {
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
}

/// Whether values of type `t` have a plain JSON spelling this writer knows: numbers, booleans,
/// strings (a dictionary of strings as a column), and lists and structs of those.
pub fn plain(t: &DataType) -> bool {
    match t {
        DataType::Dictionary(key, value) => {
            key.is_integer() && matches!(**value, DataType::Utf8 | DataType::LargeUtf8)
        }
        _ => nested_plain(t),
    }
}

/// [`plain`] for values inside a list or a struct, where a dictionary is refused.
fn nested_plain(t: &DataType) -> bool {
    use DataType::*;
    match t {
        Null | Boolean | Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64
        | Float32 | Float64 | Utf8 | LargeUtf8 | Utf8View => true,
        List(item) | LargeList(item) => nested_plain(item.data_type()),
        Struct(fields) => fields.iter().all(|f| nested_plain(f.data_type())),
        _ => false,
    }
}

fn json_string(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    write_string(s, &mut out);
    out
}

/// Writes `s` as a JSON string. Texts are long and seldom hold a character to escape, so the scan for
/// one goes eight bytes a step.
fn write_string(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut done = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
            if !needs_escape(word) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        if b < 0x20 || b == b'"' || b == b'\\' {
            out.extend_from_slice(&bytes[done..i]);
            escape(b, out);
            done = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[done..]);
    out.push(b'"');
}

/// Whether one of the eight bytes of `word` is a control character, `"` or `\` (the bytes a JSON string
/// escapes), by the usual bit tricks: a byte below a bound, a byte equal to a value.
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let zero_at = |x: u64| x.wrapping_sub(ONES) & !x;
    let quote = zero_at(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_at(word ^ (ONES * u64::from(b'\\')));
    (below_space | quote | backslash) & HIGHS != 0
}

/// The JSON escape of the byte `b` (a control character, `"` or `\`), as `serde_json` writes it.
fn escape(b: u8, out: &mut Vec<u8>) {
    let short = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x08 => b'b',
        0x0c => b'f',
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
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
        DataType::Struct(fields) => {
            let items = array.as_struct();
            out.push(b'{');
            for (i, (field, column)) in fields.iter().zip(items.columns()).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(field.name(), out);
                out.push(b':');
                write_item(column.as_ref(), row, out);
            }
            out.push(b'}');
            true
        }
        _ => false, // refused by `plain` before any row is written
    }
}

/// A value inside a list or a struct: `null` when missing.
fn write_item(array: &dyn Array, row: usize, out: &mut Vec<u8>) {
    if !write_value(array, row, out) {
        out.extend_from_slice(b"null");
    }
}

fn write_list(items: &dyn Array, out: &mut Vec<u8>) -> bool {
    out.push(b'[');
    for i in 0..items.len() {
        if i > 0 {
            out.push(b',');
        }
        write_item(items, i, out);
    }
    out.push(b']');
    true
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::types::Int32Type;
    use arrow_array::{
        BooleanArray, DictionaryArray, Float64Array, Int64Array, LargeStringArray, StringArray,
        StringViewArray, StructArray, TimestampSecondArray,
    };
    use arrow_schema::Fields;

    use super::*;

    fn lines(columns: Vec<(&str, ArrayRef)>, texts: &[&str]) -> Vec<serde_json::Value> {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
            .collect();
        let texts: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        let writer = RowWriter::new(&fields, &texts).unwrap();
        let arrays: Vec<ArrayRef> = columns.into_iter().map(|(_, a)| a).collect();
        let mut out = Vec::new();
        writer.write(&arrays, arrays[0].len(), &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with('\n'));
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn a_missing_text_is_empty_and_any_other_missing_value_is_left_out() {
        let mut authors = ListBuilder::new(StringBuilder::new());
        authors.values().append_value("A");
        authors.values().append_null();
        authors.append(true);
        authors.append_null();
        authors.append(true);
        let got = lines(
            vec![
                (
                    "id",
                    Arc::new(StringArray::from(vec![Some("a1"), None, None])),
                ),
                (
                    "title",
                    Arc::new(LargeStringArray::from(vec![
                        Some("T \"1\"\n"),
                        None,
                        Some("T3"),
                    ])),
                ),
                (
                    "body",
                    Arc::new(StringViewArray::from(vec![None, Some("y"), None])),
                ),
                ("authors", Arc::new(authors.finish())),
                (
                    "n",
                    Arc::new(Int64Array::from(vec![Some(1), None, Some(-(1 << 62))])),
                ),
                (
                    "score",
                    Arc::new(Float64Array::from(vec![Some(0.5), Some(f64::NAN), None])),
                ),
                (
                    "flag",
                    Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
                ),
            ],
            &["body"],
        );
        let want = serde_json::json!([
            {"id": "a1", "title": "T \"1\"\n", "body": "", "authors": ["A", null], "n": 1,
             "score": 0.5, "flag": true},
            // The named text column "body" and the usual "title" are empty texts when missing.
            {"title": "", "body": "y", "flag": false},
            {"title": "T3", "body": "", "authors": [], "n": -(1i64 << 62)},
        ]);
        assert_eq!(serde_json::Value::Array(got), want);
    }

    #[test]
    fn dictionaries_and_structs_are_spelled_as_their_values() {
        let cats: DictionaryArray<Int32Type> = vec!["u", "v", "u"].into_iter().collect();
        let version = Arc::new(StringArray::from(vec![Some("v1"), None, Some("v3")]));
        let size = Arc::new(Int64Array::from(vec![1, 2, 3]));
        let fields = Fields::from(vec![
            Field::new("version", DataType::Utf8, true),
            Field::new("size", DataType::Int64, false),
        ]);
        let versions = StructArray::new(fields, vec![version, size], None);
        let got = lines(
            vec![("cat", Arc::new(cats)), ("v", Arc::new(versions))],
            &[],
        );
        let want = serde_json::json!([
            {"cat": "u", "v": {"version": "v1", "size": 1}},
            {"cat": "v", "v": {"version": null, "size": 2}},
            {"cat": "u", "v": {"version": "v3", "size": 3}},
        ]);
        assert_eq!(serde_json::Value::Array(got), want);
    }

    #[test]
    fn slices_are_read_from_their_offsets() {
        let titles: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c", "d"]));
        let got = lines(vec![("title", titles.slice(1, 2))], &[]);
        assert_eq!(
            serde_json::Value::Array(got),
            serde_json::json!([{"title": "b"}, {"title": "c"}])
        );
    }

    #[test]
    fn types_without_a_plain_json_spelling_are_refused_by_name() {
        let when = Field::new(
            "at",
            TimestampSecondArray::from(vec![0]).data_type().clone(),
            true,
        );
        let err =
            RowWriter::new(&[Field::new("title", DataType::Utf8, true), when], &[]).unwrap_err();
        assert!(err.contains("\"at\"") && err.contains("Timestamp"), "{err}");
        let inner = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        let listed = DataType::List(Arc::new(Field::new("item", inner, true)));
        assert!(!plain(&listed));
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        // Every byte that needs an escape, at every position of an eight-byte word and beyond it.
        let specials: Vec<char> = (0u8..0x20).map(char::from).chain(['"', '\\']).collect();
        for c in specials {
            for at in 0..19 {
                let s: String = "é".repeat(at / 2) + &"x".repeat(at % 2) + &c.to_string() + "tail";
                let mut out = Vec::new();
                write_string(&s, &mut out);
                assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
            }
        }
        for word in [*b"abcdefgh", *b"\x7f\x80\xff ~!#$", *b"        "] {
            assert!(!needs_escape(u64::from_le_bytes(word)));
        }
    }
}
