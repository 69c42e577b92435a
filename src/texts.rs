//! Reading batches of Python text without copying: `str` objects are borrowed as UTF-8 in place.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyString;

/// A text borrowed from a Python `str`, or an owned repair of one holding lone surrogates.
pub enum Text {
    Borrowed(PyBackedStr),
    Owned(String),
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
        }
    }
}

/// One `str` argument. Lone surrogates (which UTF-8 cannot hold) become '?', one code point each ('?'), so
/// code-point offsets into the original string stay valid.
pub fn text(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Text> {
    let s = obj.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be str, not {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    match s.to_str() {
        Ok(_) => Ok(Text::Borrowed(s.clone().try_into()?)),
        Err(_) => {
            let bytes = s.call_method1("encode", ("utf-8", "replace"))?;
            let bytes: Vec<u8> = bytes.extract()?;
            Ok(Text::Owned(String::from_utf8_lossy(&bytes).into_owned()))
        }
    }
}

/// A sequence (or any iterable) of `str`.
pub fn texts(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<Text>> {
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a sequence of str, not a single str"
        )));
    }
    let mut out = Vec::with_capacity(obj.len().unwrap_or(0));
    for (i, item) in obj.try_iter()?.enumerate() {
        let item = item?;
        // The item's name is only spelled out for an error: formatting it for every text costs more
        // than borrowing the text.
        match text(&item, what) {
            Ok(t) => out.push(t),
            Err(_) => out.push(text(&item, &format!("{what}[{i}]"))?),
        }
    }
    Ok(out)
}
