//! Strings and numbers spelled as Python's `json` encoder spells them (`ensure_ascii=False`, floats as
//! `repr`), for every JSON the core writes: reports, extra metadata, the catalog's sighting records.

use std::fmt::Write as _;

/// A JSON string as Python's `json` encoder writes it with `ensure_ascii=False`.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(at) = next_escape(bytes, from) {
        out.push_str(&s[from..at]);
        let b = bytes[at];
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        from = at + 1;
    }
    out.push_str(&s[from..]);
    out.push('"');
}

/// Position of the first byte at or after `from` that JSON escapes (`"`, `\`, control characters): the
/// bytes the snapshot scanner stops at inside a string ([`crate::text::byteclass::next_special`], 64 bytes a
/// step through long texts).
#[inline]
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    let at = crate::text::byteclass::next_special(bytes, from);
    (at < bytes.len()).then_some(at)
}

/// A float as Python's `repr` spells it: the shortest digits that round-trip, in positional notation when
/// the decimal exponent is in -4..=15 (with ".0" for integers), else as `d.ddde±XX`. JSON has no
/// non-finite numbers: NaN and the infinities are written as the strings `"NaN"`, `"Infinity"` and
/// `"-Infinity"` (strict JSON, as the Python renderers do; documented in the README).
pub fn float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("\"NaN\"");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        });
        return;
    }
    let sci = format!("{x:e}"); // shortest round-trip digits, e.g. "-1.25e-3"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if (point as usize) < digits.len() {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        } else {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
            out.push_str(".0");
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

/// Python's `round(x, 6)` (correctly rounded through the decimal expansion).
pub fn round6(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.6}").parse().unwrap_or(x)
}
