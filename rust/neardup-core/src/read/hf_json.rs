//! A Hugging Face Daily Papers API snapshot (`hf-json`) read by the core: a JSON array of items, each
//! with a `paper` object (`id`, `title`, `summary`, `authors` as `[{"name": …}]`, `publishedAt`,
//! `upvotes`). As the Python reader (`neardup.formats.hf_json`) reads it, an item's `paper` members are
//! merged into the item (the paper's own fields win, a key keeps its first position), and each item then
//! reads as one JSON Lines record does ([`super::fields`], [`super::meta`]), numbered by the line its
//! value starts on.
//!
//! What this reader does not take — an object wrapping the array, an item that is not an object, a
//! `paper` that is not one, anything [`super::fields`] leaves to Python — returns `None`, and the Python
//! reader reads the file or words the error.

use rayon::prelude::*;

use super::file::{Record, BOM};
use super::{fields, flat_object, serde_members, Member, RecordSpec};

/// The records of an `hf-json` file's bytes, or `None` when some part is for the Python reader.
pub fn read_hf_records<'a>(data: &'a [u8], spec: &RecordSpec) -> Option<Vec<Record<'a>>> {
    if !spec.supported() {
        return None;
    }
    let data = data.strip_prefix(BOM).unwrap_or(data);
    let text = simdutf8::basic::from_utf8(data).ok()?;
    if !text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('[')
    {
        return None;
    }
    // The array's items delimited by one quick pass, then each parsed (and so validated) in parallel: an
    // item the pass delimits wrongly is not a valid object, and so fails its own parse.
    let items = items(text)?;
    // The line each item starts on: newlines counted between consecutive item starts.
    let base = text.as_ptr() as usize;
    let mut lines = Vec::with_capacity(items.len());
    let (mut line, mut counted) = (1u64, 0usize);
    for item in &items {
        let at = item.as_ptr() as usize - base;
        line += memchr::memchr_iter(b'\n', &data[counted..at]).count() as u64;
        counted = at;
        lines.push(line);
    }
    let records: Option<Vec<Record<'a>>> = items
        .into_par_iter()
        .zip(lines)
        .map(|(item, line)| {
            let members = merged(object_members(item)?)?;
            Record::of_fields(fields(&members, 0, spec)?, line, spec)
        })
        .collect();
    records.filter(|rs| !rs.is_empty())
}

/// An item's members with its `paper` object's merged in, as Python's `{**item_without_paper, **paper}`.
fn merged(members: Vec<Member<'_>>) -> Option<Vec<Member<'_>>> {
    let Some(at) = members.iter().position(|(k, _)| k == "paper") else {
        return Some(members);
    };
    if !members[at].1.starts_with('{') || members.iter().filter(|(k, _)| k == "paper").count() > 1 {
        return None; // Python's reading of these is its own
    }
    let paper = object_members(members[at].1)?;
    let mut out: Vec<Member<'_>> = members.into_iter().filter(|(k, _)| k != "paper").collect();
    for (key, value) in paper {
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(member) => member.1 = value,
            None => out.push((key, value)),
        }
    }
    Some(out)
}

/// The members of a JSON object's text: by the strict scanner when it takes the object and sees no
/// surrogate spelled in it (`serde_json` decides those, as it always did here), else by `serde_json`.
fn object_members(text: &str) -> Option<Vec<Member<'_>>> {
    match flat_object(text) {
        Some(flat) if !flat.spells_surrogate => Some(flat.members),
        _ => serde_members(text),
    }
}

/// JSON whitespace.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The items of the JSON array `text` (whitespace around it allowed), each an object's text, delimited
/// without parsing them; `None` when `text` is not an array of objects as far as the delimiting sees.
/// The array's own grammar (brackets, commas, whitespace, nothing after it) is checked here; each item's
/// is checked by its parse.
fn items(text: &str) -> Option<Vec<&str>> {
    let b = text.as_bytes();
    let skip = |mut i: usize| {
        while b.get(i).is_some_and(|&c| is_ws(c)) {
            i += 1;
        }
        i
    };
    let mut i = skip(0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut out = Vec::new();
    i = skip(i + 1);
    if b.get(i) == Some(&b']') {
        return (skip(i + 1) == b.len()).then_some(out);
    }
    loop {
        let end = object_end(b, i)?;
        out.push(&text[i..end]);
        i = skip(end);
        match *b.get(i)? {
            b',' => i = skip(i + 1),
            b']' => return (skip(i + 1) == b.len()).then_some(out),
            _ => return None,
        }
    }
}

/// Just past the object whose `{` is at `start` ([`super::meta::bracketed_end`]: a valid object's end;
/// for other text, some end its parse then refuses).
fn object_end(b: &[u8], start: usize) -> Option<usize> {
    if b.get(start) != Some(&b'{') {
        return None;
    }
    super::meta::bracketed_end(b, start)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::read::spec_keeping_extra as spec;

    #[test]
    fn items_merge_their_paper_and_keep_their_lines() {
        let data = br#"[
  {"paper": {"id": "2506.00001", "title": "A  Paper", "summary": " About it. ",
             "authors": [{"name": "Ann One"}, {"name": "Bob Two"}], "upvotes": 7},
   "numComments": 3, "title": "item title loses"},
  {"paper": {"title": "Second"}}
]"#;
        let rs = read_hf_records(data, &spec()).unwrap();
        assert_eq!(rs.len(), 2);
        assert_eq!(
            (rs[0].title(), rs[0].abstract_text()),
            ("A Paper", "About it.")
        );
        assert_eq!(rs[0].key.as_deref(), Some("arxiv:2506.00001"));
        let meta = rs[0].meta().unwrap();
        assert_eq!(meta.authors.as_deref().unwrap(), ["Ann One", "Bob Two"]);
        assert_eq!(meta.upvotes.as_deref(), Some("7"));
        assert_eq!((rs[0].line, rs[1].line), (2, 5));
        assert_eq!(rs[1].title(), "Second");
    }

    #[test]
    fn items_read_alike_by_the_scanner_and_serde_json() {
        // One line (as `json.dumps` writes it): items the scanner takes, brackets and braces in strings,
        // a surrogate pair (left to serde_json), nested lists.
        let data = r#" [{"paper": {"id": "2506.00002", "title": "T [x] {y}", "summary": "\"]}", "authors": [{"name": "A"}]}, "n": [[1], {}]}, {"paper": {"title": "U \ud83d\ude00"}}] "#;
        let rs = read_hf_records(data.as_bytes(), &spec()).unwrap();
        assert_eq!(rs.len(), 2);
        assert_eq!(
            (rs[0].title(), rs[0].abstract_text()),
            ("T [x] {y}", "\"]}")
        );
        assert_eq!(rs[1].title(), "U \u{1f600}");
        let items = items(data).unwrap();
        assert!(items[0].starts_with("{\"paper\"") && items[0].ends_with("{}]}"));
        let parsed: Vec<&serde_json::value::RawValue> = serde_json::from_str(data).unwrap();
        let parsed: Vec<&str> = parsed.iter().map(|v| v.get()).collect();
        assert_eq!(items, parsed);
    }

    #[test]
    fn leaves_what_python_reads_its_own_way_to_python() {
        for data in [
            &br#"{"papers": [{"paper": {"title": "A"}}]}"#[..], // a wrapped array
            br#"[1]"#,                                          // an item that is not an object
            br#"[{"paper": "x", "title": "A"}]"#,               // a paper that is not an object
            br#"[{"paper": {"title": "A"}}"#,                   // cut short
            br#"[]"#,                                           // no item
            br#"[{"paper": {"title": "A"}} {"title": "B"}]"#,   // no comma
            br#"[{"paper": {"title": "A"}},]"#,                 // a trailing comma
            br#"[{"paper": {"title": "A"}}] x"#,                // text after the array
            br#"[{"paper": {"title": "A"}]}]"#,                 // brackets crossed
            br#"[{"paper": {"title": "A\"}}]"#,                 // an unclosed string
        ] {
            assert!(
                read_hf_records(data, &spec()).is_none(),
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
    }
}
