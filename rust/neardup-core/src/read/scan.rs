//! A strict scanner for the common shape of a JSON line: one object whose top-level keys hold no escape,
//! its values strings, numbers, booleans, null, or arrays and objects of them (the arXiv dump's `versions`
//! and `authors_parsed`, a Daily Papers item's `paper`), nested at most [`MAX_DEPTH`] deep. It only
//! delimits (keys decoded, values kept as raw text) and validates, at 16 bytes a step through the long
//! strings that make up most of a snapshot. Anything else gets None and goes to `serde_json`; so the
//! scanner may refuse valid JSON, but must never accept what RFC 8259 refuses (the proptest below holds
//! it to `serde_json`). On the way it notes which
//! values are strings without escapes and whether a backslash spells a surrogate, so that the reader need
//! not look for backslashes again; and it can read a line straight from a whole piece of lines, finding
//! the line's end itself ([`flat_line`]).

use std::borrow::Cow;

use crate::text::byteclass::next_special;

/// How deep arrays and objects may nest in a value the scanner takes; deeper ones go to `serde_json`,
/// whose own limit (128) then decides, as before the scanner took nested values.
const MAX_DEPTH: usize = 64;

/// A line's members as [`flat_object`] reads them, with what it saw of their escapes on the way.
#[derive(Debug)]
pub struct Flat<'a> {
    /// Keys decoded, values as raw JSON text.
    pub members: Vec<(Cow<'a, str>, &'a str)>,
    /// Bit `i` set: member `i`'s value is a string without escapes (only for the first 64 members).
    pub plain: u64,
    /// Whether some backslash of the line is followed by `ud8`..`udf` (any case), as the reader's
    /// `spells_surrogate` looks for it: the scanner visits every backslash of the lines it takes (they
    /// are all in strings), so the reader needs no pass of its own over them.
    pub spells_surrogate: bool,
}

/// The members of `line`, or None when the line is not a flat JSON object or holds an escaped key (both
/// rare: left to `serde_json`), or a line break outside its end.
pub fn flat_object(line: &str) -> Option<Flat<'_>> {
    flat_line(line, 0).and_then(|(flat, end)| (end == line.len()).then_some(flat))
}

/// The members of the line of `text` starting at `start`, as [`flat_object`] reads them, and where the
/// line ends (just past its `\n`, or at the end of `text`): the line's end is found by the scan that
/// parses it, with no pass of its own.
///
/// Whitespace between tokens excludes `\n` (a line only has one, at its end), so the scan never crosses
/// into the next line: it takes the same lines as [`flat_object`] given each line alone.
pub fn flat_line(text: &str, start: usize) -> Option<(Flat<'_>, usize)> {
    let (line, b) = (text, text.as_bytes());
    let mut i = skip_ws(b, start);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut flat = Flat {
        members: Vec::with_capacity(8),
        plain: 0,
        spells_surrogate: false,
    };
    if b.get(i) == Some(&b'}') {
        return Some((flat, line_end(b, i + 1)?));
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let mut escapes = Escapes::default();
        let end = string_end(b, i, &mut escapes)?;
        if escapes.any {
            return None;
        }
        let key = &line[i + 1..end - 1];
        i = skip_ws(b, end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start, &mut escapes, 0)?;
        let at = flat.members.len();
        if b[start] == b'"' && !escapes.any && at < 64 {
            flat.plain |= 1 << at;
        }
        flat.spells_surrogate |= escapes.surrogate;
        flat.members.push((Cow::Borrowed(key), &line[start..end]));
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some((flat, line_end(b, i + 1)?)),
            _ => return None,
        }
    }
}

/// The index just past the JSON value starting at `start`, or None if it is invalid or nests deeper than
/// [`MAX_DEPTH`] (`depth`: how many arrays and objects enclose it). The escapes of every string in it,
/// keys included, are noted in `escapes`.
fn value_end(b: &[u8], start: usize, escapes: &mut Escapes, depth: usize) -> Option<usize> {
    match *b.get(start)? {
        b'"' => string_end(b, start, escapes),
        b'-' | b'0'..=b'9' => number_end(b, start),
        b't' => literal_end(b, start, b"true"),
        b'f' => literal_end(b, start, b"false"),
        b'n' => literal_end(b, start, b"null"),
        b'[' | b'{' if depth < MAX_DEPTH => nested_end(b, start, escapes, depth + 1),
        _ => None,
    }
}

/// The index just past the array or object starting at `start` (its `[` or `{`), as [`value_end`].
fn nested_end(b: &[u8], start: usize, escapes: &mut Escapes, depth: usize) -> Option<usize> {
    let object = b[start] == b'{';
    let close = if object { b'}' } else { b']' };
    let mut i = skip_ws(b, start + 1);
    if b.get(i) == Some(&close) {
        return Some(i + 1);
    }
    loop {
        if object {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            i = skip_ws(b, string_end(b, i, escapes)?);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(b, i + 1);
        }
        i = skip_ws(b, value_end(b, i, escapes, depth)?);
        match *b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            c if c == close => return Some(i + 1),
            _ => return None,
        }
    }
}

/// What [`string_end`] saw of a string's escapes.
#[derive(Debug, Default)]
struct Escapes {
    /// Some backslash escape.
    any: bool,
    /// A backslash followed by `ud8`..`udf` (any case), the escaped one of `\\\\` included.
    surrogate: bool,
}

/// Past the JSON whitespace at `i`, `\n` excepted (see [`flat_line`]).
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\r')) {
        i += 1;
    }
    i
}

/// Where the line ends when its object ends at `i`: past trailing whitespace and the `\n`, or at the end
/// of `b`; None when something else follows the object.
fn line_end(b: &[u8], i: usize) -> Option<usize> {
    let i = skip_ws(b, i);
    match b.get(i) {
        None => Some(i),
        Some(b'\n') => Some(i + 1),
        Some(_) => None,
    }
}

/// The index just past the string starting with the quote at `start`, or None if it is invalid: a
/// control character, a bad escape, or no closing quote. Its escapes are noted in `escapes`.
fn string_end(b: &[u8], start: usize, escapes: &mut Escapes) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i = next_special(b, i);
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                escapes.any = true;
                // Every backslash of the string: the one starting the escape, and the escaped one.
                escapes.surrogate |= spells_surrogate_at(b, i);
                match *b.get(i + 1)? {
                    b'\\' => {
                        escapes.surrogate |= spells_surrogate_at(b, i + 1);
                        i += 2;
                    }
                    b'"' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' if b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => i += 6,
                    _ => return None,
                }
            }
            _ => return None, // a control character
        }
    }
}

/// Whether the backslash at `at` is followed by `ud8`..`udf`, any case (`\\uD800`..`\\uDFFF`, or the
/// same text after an escaped backslash).
#[inline]
pub(crate) fn spells_surrogate_at(b: &[u8], at: usize) -> bool {
    matches!(
        b.get(at + 1..at + 4),
        Some([b'u', b'd' | b'D', b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'])
    )
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
fn number_end(b: &[u8], start: usize) -> Option<usize> {
    let digits = |i: usize| {
        i + b[i.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut i = start + usize::from(b[start] == b'-');
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

fn literal_end(b: &[u8], start: usize, word: &[u8]) -> Option<usize> {
    b[start..].starts_with(word).then_some(start + word.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::Deserializer as _;

    fn serde_members(line: &str) -> Option<Vec<(String, String)>> {
        let mut de = serde_json::Deserializer::from_str(line);
        let members = de.deserialize_map(super::super::MembersVisitor).ok()?;
        de.end().ok()?;
        Some(
            members
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.to_owned()))
                .collect(),
        )
    }

    fn scanned(line: &str) -> Option<Vec<(String, String)>> {
        let members = flat_object(line)?.members;
        Some(
            members
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.to_owned()))
                .collect(),
        )
    }

    #[test]
    fn flat_objects() {
        let line =
            " {\"a\" : \"x\\\"y\\u00e9\" ,\"b\":-0.5e+3,\"c\":true,\"d\":null, \"e\": 0}\r\n";
        assert_eq!(scanned(line), serde_members(line));
        assert_eq!(scanned(line).unwrap().len(), 5);
        assert_eq!(scanned("{}"), Some(vec![]));
        for bad in [
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":1e}",
            "{\"a\":-}",
            "{\"a\":tru}",
            "{\"a\":\"\t\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12g4\"}",
            "{\"a\":1} x",
            "{\"a\":1}}",
            "[1]",
            "{\"a\":NaN}",
            "{'a':1}",
            "{\"a\":+1}",
            "\u{feff}{}",
        ] {
            assert_eq!(scanned(bad), None, "{bad}");
        }
        // valid, but left to serde_json: an escaped key, nesting beyond the limit
        assert_eq!(scanned("{\"\\u0061\":1}"), None);
        let deep = format!(
            "{{\"a\":{}{}}}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(scanned(&deep), None);
        let deep = format!(
            "{{\"a\":{}{}}}",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        assert_eq!(scanned(&deep), serde_members(&deep));
    }

    #[test]
    fn nested_values() {
        let line = r#"{"v": [{"version": "v1", "created": "Mon"}, []], "p": [["A", "B\u00e9", ""]], "o": {"x": {}, "\u0079": [1, -2.5e3, true, false, null]}}"#;
        let members = scanned(line).unwrap();
        assert_eq!(Some(members.clone()), serde_members(line));
        assert_eq!(
            members[2].1,
            r#"{"x": {}, "\u0079": [1, -2.5e3, true, false, null]}"#
        );
        // Surrogate spellings inside nested values are seen, in keys too.
        for line in [r#"{"a": ["\ud83d\ude00"]}"#, r#"{"a": {"\udc00": 1}}"#] {
            assert!(flat_object(line).unwrap().spells_surrogate, "{line}");
        }
        for bad in [
            "{\"a\":[1,]}",
            "{\"a\":[1 2]}",
            "{\"a\":{\"b\"}}",
            "{\"a\":{\"b\":1,}}",
            "{\"a\":{1:2}}",
            "{\"a\":[}",
            "{\"a\":{]}",
            "{\"a\":[\"\t\"]}",
            "{\"a\":[1]]}",
            "{\"a\":[\n1]}",
        ] {
            assert_eq!(scanned(bad), None, "{bad}");
        }
    }

    const PIECES: &[&str] = &[
        "{", "}", "[", "]", ":", ",", " ", "\t", "\r\n", "\"", "\"a\"", "\"key\":", "\\", "\\\"",
        "\\u00e9", "\\u12", "\\n", "\\x", "0", "-", "1", "23", ".", "5", "e", "E+", "-7", "true",
        "false", "null", "nul", "x", "é", "\u{1}", "\u{1f}", "\u{7f}",
    ];

    fn flat_value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~é\u{1F600}\u{1}\n]{0,150}"
                .prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(|x| format!("{x:e}")),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(|x| format!("{x}")),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Never accepts what serde_json refuses, and reads what it accepts the same way.
        #[test]
        fn agrees_with_serde_json(pieces in proptest::collection::vec(0..PIECES.len(), 0..24)) {
            let line: String = pieces.iter().map(|&p| PIECES[p]).collect();
            if let Some(members) = scanned(&line) {
                prop_assert_eq!(Some(members), serde_members(&line), "{:?}", line);
            }
        }

        /// Flat objects with one piece inserted or replaced somewhere: still agrees with serde_json.
        #[test]
        fn agrees_on_mutated_objects(
            members in proptest::collection::vec(("[a-z]{0,2}", flat_value()), 1..4),
            at in any::<prop::sample::Index>(),
            cut in 0usize..3,
            piece in 0..PIECES.len(),
        ) {
            let body: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let line = format!("{{{}}}", body.join(","));
            let mut cuts: Vec<usize> = (0..=line.len()).filter(|&i| line.is_char_boundary(i)).collect();
            let start = cuts[at.index(cuts.len())];
            cuts.retain(|&i| i >= start);
            let end = cuts[cut.min(cuts.len() - 1)];
            let mutated = format!("{}{}{}", &line[..start], PIECES[piece], &line[end..]);
            if let Some(members) = scanned(&mutated) {
                prop_assert_eq!(Some(members), serde_members(&mutated), "{:?}", mutated);
            }
        }

        /// Takes every flat object.
        #[test]
        fn reads_flat_objects(members in proptest::collection::vec(("[a-z]{0,3}", flat_value()), 0..6)) {
            let body: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\" : {v}")).collect();
            let line = format!("{{{}}}\n", body.join(","));
            prop_assert!(scanned(&line).is_some(), "{:?}", line);
            prop_assert_eq!(scanned(&line), serde_members(&line));
        }
    }
}
