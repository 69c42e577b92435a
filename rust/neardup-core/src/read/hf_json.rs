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

use std::borrow::Cow;

use rayon::prelude::*;
use serde_json::value::RawValue;

use super::file::Record;
use super::{fields, serde_members, Member, RecordSpec};

const BOM: &[u8] = b"\xef\xbb\xbf";

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
    let items: Vec<&'a RawValue> = serde_json::from_str(text).ok()?;
    // The line each item starts on: newlines counted between consecutive item starts.
    let base = text.as_ptr() as usize;
    let mut lines = Vec::with_capacity(items.len());
    let (mut line, mut counted) = (1u64, 0usize);
    for item in &items {
        let at = item.get().as_ptr() as usize - base;
        line += memchr::memchr_iter(b'\n', &data[counted..at]).count() as u64;
        counted = at;
        lines.push(line);
    }
    let records: Option<Vec<Record<'a>>> = items
        .into_par_iter()
        .zip(lines)
        .map(|(item, line)| {
            let members = merged(serde_members(item.get())?)?;
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
    let paper = serde_members(members[at].1)?;
    let mut out: Vec<Member<'_>> = members.into_iter().filter(|(k, _)| k != "paper").collect();
    for (key, value) in paper {
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(member) => member.1 = value,
            None => out.push((key, value)),
        }
    }
    Some(
        out.into_iter()
            .map(|(k, v)| (Cow::Owned(k.into_owned()), v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RecordSpec {
        RecordSpec {
            keep_extra: true,
            ..RecordSpec::default()
        }
    }

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
        let meta = rs[0].meta.as_deref().unwrap();
        assert_eq!(meta.authors.as_deref().unwrap(), ["Ann One", "Bob Two"]);
        assert_eq!(meta.upvotes.as_deref(), Some("7"));
        assert_eq!((rs[0].line, rs[1].line), (2, 5));
        assert_eq!(rs[1].title(), "Second");
    }

    #[test]
    fn leaves_what_python_reads_its_own_way_to_python() {
        for data in [
            &br#"{"papers": [{"paper": {"title": "A"}}]}"#[..], // a wrapped array
            br#"[1]"#,                                          // an item that is not an object
            br#"[{"paper": "x", "title": "A"}]"#,               // a paper that is not an object
            br#"[{"paper": {"title": "A"}}"#,                   // cut short
            br#"[]"#,                                           // no item
        ] {
            assert!(
                read_hf_records(data, &spec()).is_none(),
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
    }
}
