//! What the catalog's ingest (`neardup.catalog.ingest`) needs of a snapshot's records, computed in one
//! batched pass so that no Python object is made per record: the snapshot's content hash, its groups of
//! repeated entries (the engine's own rule, [`snapshot::duplicate_groups_of`]), each group's key,
//! normalised title and whether that title is generic, each record's sighting metadata as the JSON the
//! catalog stores, and its upvote count.
//!
//! Records come from the same readers as `neardup diff` (files) or from the columns of Python entries,
//! and both give the same hash and metadata for the same content: everything here reads the record's
//! fields through [`snapshot::extras`], which spells every extra value as canonical JSON whichever
//! reader kept it.

use std::borrow::Cow;

use sha1::{Digest, Sha1};

use crate::engine::near::generic_title;
use crate::engine::snapshot::{self, duplicate_groups_of};
use crate::error::Result;
use crate::read::file::{Meta, Record};
use crate::text::json;

/// A snapshot's records prepared for the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// SHA-1 (hex) of the snapshot's date and its records' fields, line numbers aside.
    pub hash: String,
    /// The first (lowest) position of each group, ascending: the group's representative.
    pub reps: Vec<u32>,
    /// The group of each record (an index into `reps`).
    pub group_of: Vec<u32>,
    /// The first non-empty key among each group's members.
    pub keys: Vec<Option<String>>,
    /// Each group's normalised title (its representative's).
    pub titles: Vec<String>,
    /// Whether each group's title is generic ("Editorial"): no identity on its own.
    pub generic: Vec<bool>,
    /// Each record's sighting metadata: a JSON object with sorted keys (those of `authors`,
    /// `authors_count`, `extra`, `key`, `line`, `organization`, `published`, `version` it has).
    pub metas: Vec<String>,
    /// Each record's upvote count.
    pub upvotes: Vec<Option<i64>>,
    /// The first record whose count SQLite cannot store: (line, field, value as given).
    pub too_large: Option<(u64, &'static str, String)>,
    /// Each group's [`text_digest`] (its representative's title and abstract).
    pub digests: Vec<[u8; 16]>,
}

/// The digest the catalog keeps beside each version's text, so that a paper listed again with its
/// current text is recognised without reading that text back: XXH3-128 of the title's bytes, one 0xFF
/// byte (never part of UTF-8, so the boundary between the two cannot shift) and the abstract's bytes.
pub fn text_digest(title: &str, abstract_text: &str) -> [u8; 16] {
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    h.update(title.as_bytes());
    h.update(&[0xFF]);
    h.update(abstract_text.as_bytes());
    h.digest128().to_le_bytes()
}

/// Prepares `records` (with `titles` their normalised titles) listed on `date`; `threshold` is the
/// duplicate threshold of the engine's grouping.
pub fn prepare(
    records: &[Record],
    titles: &[String],
    date: Option<&str>,
    threshold: f64,
) -> Result<Prepared> {
    let groups = if records.len() > 1 {
        duplicate_groups_of(records, titles, threshold)?
    } else {
        Vec::new()
    };
    let n = records.len();
    // Each record is its own group unless a duplicate group holds it; groups are numbered in order of
    // their first member.
    let mut first = (0..n as u32).collect::<Vec<u32>>();
    for g in &groups {
        let head = *g.members.iter().min().unwrap_or(&0);
        for &m in &g.members {
            first[m as usize] = head;
        }
    }
    let mut reps = Vec::new();
    let mut group_of = vec![0u32; n];
    let mut keys: Vec<Option<String>> = Vec::new();
    for (i, &head) in first.iter().enumerate() {
        if head as usize == i {
            group_of[i] = reps.len() as u32;
            reps.push(head);
            keys.push(None);
        } else {
            group_of[i] = group_of[head as usize];
        }
        let key = &mut keys[group_of[i] as usize];
        if key.is_none() {
            *key = records[i].key.clone().filter(|k| !k.is_empty());
        }
    }
    let group_titles: Vec<String> = reps.iter().map(|&r| titles[r as usize].clone()).collect();
    let generic = reps
        .iter()
        .map(|&r| generic_title(records[r as usize].title()))
        .collect();
    let digests = reps
        .iter()
        .map(|&r| {
            let rep = &records[r as usize];
            text_digest(rep.title(), rep.abstract_text())
        })
        .collect();
    let none = Meta::default();
    let mut metas = Vec::with_capacity(n);
    let mut upvotes = Vec::with_capacity(n);
    let mut too_large = None;
    let mut hasher = Sha1::new();
    hash_str(&mut hasher, "neardup-snapshot 2");
    hash_opt(&mut hasher, date);
    for r in records {
        let held = r.meta();
        let meta = held.as_deref().unwrap_or(&none);
        let extras = snapshot::extras(r, held.as_deref());
        metas.push(sighting_meta(r, meta, &extras));
        let up = match meta.upvotes.as_deref() {
            None => None,
            Some(text) => match text.trim().parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    too_large.get_or_insert((r.line, "upvotes", text.to_owned()));
                    None
                }
            },
        };
        if let Some(count) = meta.authors_count.as_deref() {
            if count.trim().parse::<i64>().is_err() {
                too_large.get_or_insert((r.line, "authors_count", count.to_owned()));
            }
        }
        upvotes.push(up);
        hash_record(&mut hasher, r, meta, &extras);
    }
    let hash = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Prepared {
        hash,
        reps,
        group_of,
        keys,
        titles: group_titles,
        generic,
        metas,
        upvotes,
        too_large,
        digests,
    })
}

fn hash_str(h: &mut Sha1, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn hash_opt(h: &mut Sha1, s: Option<&str>) {
    match s {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            hash_str(h, s);
        }
    }
}

/// Every field of a record but its line, each length-prefixed (so no two records hash alike by
/// shifting text between fields).
fn hash_record(h: &mut Sha1, r: &Record, meta: &Meta, extras: &[(&str, Cow<'_, str>)]) {
    hash_str(h, r.title());
    hash_str(h, r.abstract_text());
    hash_opt(h, r.key.as_deref());
    hash_opt(h, r.version.map(|v| v.to_string()).as_deref());
    match &meta.authors {
        None => h.update([0u8]),
        Some(names) => {
            h.update([1u8]);
            h.update((names.len() as u64).to_le_bytes());
            for name in names {
                hash_str(h, name);
            }
        }
    }
    hash_opt(h, meta.authors_count.as_deref());
    hash_opt(h, meta.organization.as_deref());
    hash_opt(h, meta.published.as_deref());
    hash_opt(h, meta.upvotes.as_deref());
    h.update((extras.len() as u64).to_le_bytes());
    for (name, value) in extras {
        hash_str(h, name);
        hash_str(h, value);
    }
}

/// A count as a JSON number when it is one, else as a string (a count the reader kept as text).
fn count(out: &mut String, s: Option<&str>) {
    match s.map(str::trim) {
        None => out.push_str("null"),
        Some(t) => match t.parse::<i64>() {
            Ok(n) => out.push_str(&n.to_string()),
            Err(_) => json::string(out, t),
        },
    }
}

/// Appends `"name":` to the object being written in `out` (a comma first unless it is the first member).
fn member(out: &mut String, name: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    json::string(out, name);
    out.push(':');
}

/// The sighting's metadata as the catalog stores it: compact JSON, keys sorted, the members a record
/// lacks left out (a reader takes them as None, and `extra` as empty): a catalog holds a row per
/// listing, so the common record costs a few bytes rather than a hundred.
fn sighting_meta(r: &Record, meta: &Meta, extras: &[(&str, Cow<'_, str>)]) -> String {
    let mut out = String::with_capacity(48);
    out.push('{');
    if let Some(names) = &meta.authors {
        member(&mut out, "authors");
        out.push('[');
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::string(&mut out, name);
        }
        out.push(']');
    }
    if meta.authors_count.is_some() {
        member(&mut out, "authors_count");
        count(&mut out, meta.authors_count.as_deref());
    }
    if !extras.is_empty() {
        member(&mut out, "extra");
        out.push('{');
        for (i, (name, value)) in extras.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::string(&mut out, name);
            out.push(':');
            out.push_str(value);
        }
        out.push('}');
    }
    if let Some(key) = &r.key {
        member(&mut out, "key");
        json::string(&mut out, key);
    }
    if r.line != 0 {
        member(&mut out, "line");
        out.push_str(&r.line.to_string());
    }
    for (name, value) in [
        ("organization", &meta.organization),
        ("published", &meta.published),
    ] {
        if let Some(v) = value {
            member(&mut out, name);
            json::string(&mut out, v);
        }
    }
    if let Some(v) = r.version {
        member(&mut out, "version");
        out.push_str(&v.to_string());
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::identify::normalize_title;

    fn record(title: &str, abstract_text: &str, key: Option<&str>, line: u64) -> Record<'static> {
        Record::from_parts(
            Cow::Owned(title.to_owned()),
            Cow::Owned(abstract_text.to_owned()),
            key.map(str::to_owned),
            None,
            line,
            None,
        )
    }

    fn prepared(records: &[Record], date: Option<&str>) -> Prepared {
        let titles: Vec<String> = records.iter().map(|r| normalize_title(r.title())).collect();
        prepare(records, &titles, date, 0.8).unwrap()
    }

    #[test]
    fn a_paper_listed_twice_is_one_group_keyed_by_its_first_key() {
        let rs = [
            record("Graph colouring", "We colour graphs.", None, 1),
            record(
                "Protein folding",
                "Proteins fold.",
                Some("arxiv:2401.00001"),
                2,
            ),
            record(
                "Graph colouring",
                "We colour graphs.",
                Some("arxiv:2401.00002"),
                3,
            ),
        ];
        let p = prepared(&rs, None);
        assert_eq!(p.reps, vec![0, 1]);
        assert_eq!(p.group_of, vec![0, 1, 0]);
        assert_eq!(
            p.keys,
            vec![
                Some("arxiv:2401.00002".into()),
                Some("arxiv:2401.00001".into())
            ]
        );
        assert_eq!(p.titles, vec!["graph colouring", "protein folding"]);
    }

    #[test]
    fn a_text_digest_is_the_exact_text_of_both_fields() {
        let d = text_digest("A title", "Text.");
        assert_eq!(d, text_digest("A title", "Text."));
        // Any change of either field, of its spacing, or of where one field ends, is another digest.
        for (t, a) in [
            ("A title", "Text!"),
            ("A Title", "Text."),
            ("A title", "Text. "),
            ("A titleText.", ""),
            ("A title T", "ext."),
            ("", "A titleText."),
        ] {
            assert_ne!(d, text_digest(t, a), "{t:?} {a:?}");
        }
        // A group's digest is its representative's (the first listing), not a later member's.
        let rs = [
            record("Graph colouring", "We colour graphs.", None, 1),
            record("Graph colouring", "We colour graphs. ", None, 2),
        ];
        let p = prepared(&rs, None);
        assert_eq!(p.group_of, vec![0, 0]);
        assert_eq!(
            p.digests,
            vec![text_digest("Graph colouring", "We colour graphs.")]
        );
    }

    #[test]
    fn the_hash_reads_fields_and_date_but_not_lines() {
        let a = [record("A title", "Text.", None, 1)];
        let moved = [record("A title", "Text.", None, 7)];
        let other = [record("A title", "Text!", None, 1)];
        let shifted = [record("A titleText.", "", None, 1)];
        let h = |rs: &[Record], d| prepared(rs, d).hash;
        assert_eq!(h(&a, None), h(&moved, None));
        assert_ne!(h(&a, None), h(&other, None));
        assert_ne!(h(&a, None), h(&shifted, None));
        assert_ne!(h(&a, None), h(&a, Some("2024-07-30")));
        assert_eq!(h(&a, None).len(), 40);
    }

    #[test]
    fn sighting_metadata_is_sorted_json() {
        let meta = Meta {
            authors: Some(vec!["Ann \"A\" One".into()]),
            authors_count: Some("3".into()),
            upvotes: Some("12".into()),
            extra: vec![("year".into(), "2021".into())],
            ..Meta::default()
        };
        let r = Record::from_parts(
            Cow::Borrowed("T"),
            Cow::Borrowed(""),
            Some("arxiv:1".into()),
            Some(2),
            5,
            Some(Box::new(meta)),
        );
        let p = prepared(std::slice::from_ref(&r), None);
        assert_eq!(
            p.metas[0],
            r#"{"authors":["Ann \"A\" One"],"authors_count":3,"extra":{"year":2021},"key":"arxiv:1","line":5,"version":2}"#
        );
        let bare = record("T", "", None, 0);
        assert_eq!(prepared(std::slice::from_ref(&bare), None).metas[0], "{}");
        assert_eq!(p.upvotes, vec![Some(12)]);
        assert_eq!(p.too_large, None);
    }

    #[test]
    fn a_count_beyond_64_bits_is_named() {
        let meta = Meta {
            upvotes: Some("99999999999999999999".into()),
            ..Meta::default()
        };
        let r = Record::from_parts(
            Cow::Borrowed("T"),
            Cow::Borrowed(""),
            None,
            None,
            4,
            Some(Box::new(meta)),
        );
        let p = prepared(std::slice::from_ref(&r), None);
        assert_eq!(
            p.too_large,
            Some((4, "upvotes", "99999999999999999999".to_owned()))
        );
    }
}
