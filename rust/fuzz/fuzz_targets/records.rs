//! JSON Lines records read by the core's fast path (`neardup_core::read`): no panic on arbitrary
//! bytes, and every record it takes agrees with serde_json's reading of the same line: the line is one
//! JSON object without duplicate keys; title and abstract are the guessed fields' strings, collapsed and
//! stripped as Python does; every other member is handed back (decoded scalars equal to the JSON values,
//! `rest` holding the members' raw text byte for byte). Batches number and span their lines exactly.
#![no_main]

use std::collections::HashSet;
use std::fmt;

use libfuzzer_sys::fuzz_target;
use neardup_core::read::{
    parse_line, py_collapse, py_strip, read_jsonl, Parsed, RecordSpec, Scalar, ABSTRACT_FIELDS,
    TITLE_FIELDS,
};
use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The members of a JSON object in order, raw, as serde_json reads them.
struct Members;

impl<'de> Visitor<'de> for Members {
    type Value = Vec<(String, Box<RawValue>)>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            out.push((k, map.next_value::<Box<RawValue>>()?));
        }
        Ok(out)
    }
}

fn members(text: &str) -> Option<Vec<(String, Box<RawValue>)>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let m = de.deserialize_map(Members).ok()?;
    de.end().ok()?;
    Some(m)
}

/// `fields._pick` over serde's members.
fn pick<'m>(m: &'m [(String, Box<RawValue>)], names: &[&str]) -> Option<&'m str> {
    let mut first = None;
    for name in names {
        if let Some((_, raw)) = m.iter().find(|(k, _)| k == name) {
            let raw = raw.get();
            if raw != "null" && raw != "\"\"" {
                return Some(raw);
            }
            first = first.or(Some(raw));
        }
    }
    first
}

fn check_line(line: &str, spec: &RecordSpec) {
    let Some(f) = parse_line(line, spec) else {
        return; // left to the Python reader: always allowed
    };
    let m = members(line).unwrap_or_else(|| panic!("took a line serde_json refuses: {line:?}"));
    let keys: HashSet<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys.len(), m.len(), "took a record with duplicate keys");
    assert!(!keys.contains("paper"));

    let title_raw = pick(&m, &TITLE_FIELDS).expect("a title field");
    let title: String = serde_json::from_str(title_raw).expect("a string title");
    assert_eq!(f.title, py_collapse(&title));
    assert!(!f.title.is_empty());
    let abstract_text = match pick(&m, &ABSTRACT_FIELDS) {
        None | Some("null") => String::new(),
        Some(raw) => {
            py_strip(&serde_json::from_str::<String>(raw).expect("a string abstract")).to_owned()
        }
    };
    assert_eq!(f.abstract_text, abstract_text);

    // What comes back besides title, abstract and key: scalars decoded, or raw members.
    let raw_of = |name: &str| m.iter().find(|(k, _)| k == name).map(|(_, r)| r.get());
    let mut returned = HashSet::new();
    for (name, scalar) in &f.extra {
        assert!(returned.insert(name.to_string()));
        let raw = raw_of(name).expect("an extra member the line does not have");
        match scalar {
            Scalar::Null => assert_eq!(raw, "null"),
            Scalar::Bool(b) => assert_eq!(raw, if *b { "true" } else { "false" }),
            Scalar::Int(i) => assert_eq!(raw.parse::<i64>().ok(), Some(*i), "{raw}"),
            Scalar::Float(x) => {
                assert_eq!(raw.parse::<f64>().map(f64::to_bits).ok(), Some(x.to_bits()))
            }
            Scalar::Str(s) => assert_eq!(
                serde_json::from_str::<String>(raw).ok().as_deref(),
                Some(&**s)
            ),
        }
    }
    if let Some(rest) = &f.rest {
        assert!(f.extra.is_empty());
        let back = members(rest).unwrap_or_else(|| panic!("rest is not a JSON object: {rest:?}"));
        for (name, raw) in &back {
            assert!(returned.insert(name.clone()), "{name:?} handed back twice");
            assert_eq!(
                Some(raw.get()),
                raw_of(name),
                "rest changed the value of {name:?}"
            );
        }
    }
    if spec.keep_extra {
        // Everything not consumed comes back: at most three members (title, abstract, id) are consumed.
        let consumed = m.len() - returned.len();
        assert!(consumed <= 3, "{consumed} members dropped from {line:?}");
        assert!(consumed >= 1, "the title member handed back");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let spec = RecordSpec {
        keep_extra: flags & 1 == 0,
        int_max_str_digits: [4300, 0, 5, 1][(flags >> 1) as usize % 4],
        ..RecordSpec::default()
    };
    let batch = read_jsonl(rest, 7, &spec);
    let ends = rest.iter().filter(|&&b| b == b'\n').count() as u64;
    let partial = u64::from(!rest.is_empty() && rest.last() != Some(&b'\n'));
    assert_eq!(batch.line_count, ends + partial);
    let mut last_end = 0;
    let mut last_number = 0;
    for line in &batch.lines {
        assert!(
            line.number >= 7 && line.number > last_number && line.number < 7 + batch.line_count
        );
        assert!(line.span.start >= last_end && line.span.end <= rest.len());
        let raw = &rest[line.span.clone()];
        assert!(
            !raw.iter().all(|b| b.is_ascii_whitespace()),
            "a blank line kept"
        );
        if let Parsed::Record(fields) = &line.parsed {
            let text = std::str::from_utf8(raw).expect("a record from invalid UTF-8");
            assert_eq!(parse_line(text, &spec).as_ref(), Some(fields));
            check_line(text, &spec);
        }
        last_end = line.span.end;
        last_number = line.number;
    }
    if let Ok(text) = std::str::from_utf8(rest) {
        check_line(text, &spec);
    }
});
