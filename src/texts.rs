//! Reading batches of Python text without copying: `str` objects are borrowed as UTF-8 in place.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyFloat, PyString};

use crate::arrow::{missing_error, Missing};

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
    texts_or(obj, what, None)
}

/// A sequence (or any iterable) of `str`, where a missing text (`None`, a float NaN, pandas' `NA`)
/// becomes an empty text or an error naming it, as `missing` says (`None`: no text may be missing).
pub fn texts_or(
    obj: &Bound<'_, PyAny>,
    what: &str,
    missing: Option<Missing>,
) -> PyResult<Vec<Text>> {
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
            Err(_) => match missing.zip(missing_kind(&item)) {
                Some((Missing::Empty, _)) => out.push(Text::Owned(String::new())),
                Some((Missing::Error, got)) => return Err(missing_error(what, i, got)),
                None => out.push(text(&item, &format!("{what}[{i}]"))?),
            },
        }
    }
    Ok(out)
}

/// How `item` is a missing value (`None`, NaN, pandas' `NA`), or `None` when it is not one.
fn missing_kind(item: &Bound<'_, PyAny>) -> Option<&'static str> {
    if item.is_none() {
        return Some("None");
    }
    if let Ok(f) = item.cast::<PyFloat>() {
        return f.value().is_nan().then_some("NaN");
    }
    let ty = item.get_type();
    let is_na = ty.name().is_ok_and(|n| n == "NAType")
        && ty
            .module()
            .is_ok_and(|m| m.to_string().starts_with("pandas"));
    is_na.then_some("NA")
}
