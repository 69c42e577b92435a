//! Choosing which entries are the same paper when several share one identity (a key or a normalised
//! title listed more than once on a side: a paper listed as journal and conference versions, two
//! "Erratum" notes, the same paper listed under two categories).
//!
//! The rule, in order:
//! 1. entries equal in everything (title and abstract with whitespace collapsed, and metadata) are paired
//!    first, so an entry that exists unchanged on both sides is unchanged whatever the order of the
//!    listings;
//! 2. the others best first: pairs whose texts are equal before the rest, then by agreement (the word-set
//!    Jaccard of title + abstract plus half the share of equal values among the metadata both carry:
//!    authors, date, organisation, other fields); ties by position;
//! 3. in groups too large to score every pair (a title shared by thousands of entries), the rest are
//!    paired in the order of their texts, which keeps the work linear and independent of input order.
//!
//! Entries whose keys differ are never paired.

use std::collections::{HashMap, HashSet};

use crate::read::file::Record;
use crate::text::space::py_collapse;

use super::keys_differ;

/// Groups whose remaining pairs number more than this are paired by text order instead of by score.
const SCORED_PAIRS: usize = 1 << 16;

/// The whole text of a record as rules 2 and 3 compare it.
fn whole_text(r: &Record) -> String {
    format!(
        "{} {}",
        py_collapse(r.title()),
        py_collapse(r.abstract_text())
    )
}

/// The whole text and metadata of a record, as rule 1 compares them.
fn everything(r: &Record) -> String {
    format!(
        "{}\0{:?}\0{:?}\0{:?}",
        whole_text(r),
        r.version,
        r.meta(),
        r.extra
    )
}

/// Lower-cased words (runs of letters, digits and `_`) of title and abstract.
fn words(r: &Record) -> HashSet<String> {
    let mut out = HashSet::new();
    for part in [r.title(), r.abstract_text()] {
        for w in part.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !w.is_empty() {
                out.insert(w.to_lowercase());
            }
        }
    }
    out
}

/// Share of equal values among the metadata fields both records carry (0 when they share none).
fn meta_agreement(a: &Record, b: &Record) -> f64 {
    let (mut present, mut equal) = (0u32, 0u32);
    let mut count = |x: bool| {
        present += 1;
        equal += u32::from(x);
    };
    match (a.meta(), b.meta()) {
        (Some(x), Some(y)) => {
            if let (Some(p), Some(q)) = (&x.authors, &y.authors) {
                count(p == q);
            }
            if let (Some(p), Some(q)) = (&x.published, &y.published) {
                count(p == q);
            }
            if let (Some(p), Some(q)) = (&x.organization, &y.organization) {
                count(p == q);
            }
            let theirs: HashMap<&str, &str> = y
                .extra
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            for (k, v) in &x.extra {
                if let Some(w) = theirs.get(k.as_str()) {
                    count(v == w);
                }
            }
        }
        _ => {
            for (k, v) in &a.extra {
                if let Some((_, w)) = b.extra.iter().find(|(name, _)| name == k) {
                    count(v == w);
                }
            }
        }
    }
    if present == 0 {
        0.0
    } else {
        f64::from(equal) / f64::from(present)
    }
}

/// How well two entries with the same identity agree beyond it (rule 2).
pub fn agreement(a: &Record, b: &Record) -> f64 {
    let (wa, wb) = (words(a), words(b));
    let union = wa.union(&wb).count();
    let text = if union == 0 {
        1.0
    } else {
        wa.intersection(&wb).count() as f64 / union as f64
    };
    text + 0.5 * meta_agreement(a, b)
}

/// Pairs `(old, new)` chosen among `olds` and `news`, entries sharing one identity; each entry in at most
/// one pair.
pub fn resolve(old: &[Record], new: &[Record], olds: &[u32], news: &[u32]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    // Rule 1: equal whole texts, lowest positions first.
    let mut by_text: HashMap<String, Vec<u32>> = HashMap::new();
    for &i in olds.iter().rev() {
        by_text
            .entry(everything(&old[i as usize]))
            .or_default()
            .push(i);
    }
    let mut new_left = Vec::new();
    for &j in news {
        let b = &new[j as usize];
        let found = by_text.get_mut(&everything(b)).and_then(|candidates| {
            let at = candidates
                .iter()
                .rposition(|&i| !keys_differ(&old[i as usize], b))?;
            Some(candidates.remove(at))
        });
        match found {
            Some(i) => out.push((i, j)),
            None => new_left.push(j),
        }
    }
    let mut old_left: Vec<u32> = by_text.into_values().flatten().collect();
    old_left.sort_unstable();
    if old_left.is_empty() || new_left.is_empty() {
        return out;
    }
    if old_left.len() * new_left.len() > SCORED_PAIRS {
        // Rule 3: both sides in the order of their texts (then positions), paired greedily.
        let sorted = |side: &[Record], left: &mut Vec<u32>| {
            left.sort_by_cached_key(|&p| (whole_text(&side[p as usize]), p));
        };
        sorted(old, &mut old_left);
        sorted(new, &mut new_left);
        let mut taken = vec![false; new_left.len()];
        for &i in &old_left {
            let a = &old[i as usize];
            if let Some(at) = (0..new_left.len())
                .find(|&k| !taken[k] && !keys_differ(a, &new[new_left[k] as usize]))
            {
                taken[at] = true;
                out.push((i, new_left[at]));
            }
        }
        return out;
    }
    // Rule 2: every pair scored, best first.
    let texts_old: HashMap<u32, String> = old_left
        .iter()
        .map(|&i| (i, whole_text(&old[i as usize])))
        .collect();
    let mut scored: Vec<(bool, f64, u32, u32)> =
        Vec::with_capacity(old_left.len() * new_left.len());
    for &j in &new_left {
        let b = &new[j as usize];
        let text_b = whole_text(b);
        for &i in &old_left {
            let a = &old[i as usize];
            if !keys_differ(a, b) {
                scored.push((texts_old[&i] == text_b, agreement(a, b), i, j));
            }
        }
    }
    scored.sort_by(|x, y| {
        y.0.cmp(&x.0)
            .then(y.1.total_cmp(&x.1))
            .then(x.2.cmp(&y.2))
            .then(x.3.cmp(&y.3))
    });
    let (mut taken_old, mut taken_new) = (HashSet::new(), HashSet::new());
    for (_, _, i, j) in scored {
        if !taken_old.contains(&i) && !taken_new.contains(&j) {
            taken_old.insert(i);
            taken_new.insert(j);
            out.push((i, j));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::file::Meta;
    use std::borrow::Cow;

    fn full(title: &str, text: &str, key: Option<&str>, meta: Option<Meta>) -> Record<'static> {
        Record::from_parts(
            Cow::Owned(title.into()),
            Cow::Owned(text.into()),
            key.map(String::from),
            None,
            1,
            meta.map(Box::new),
        )
    }

    fn rec(title: &str, text: &str) -> Record<'static> {
        full(title, text, None, None)
    }

    #[test]
    fn identical_texts_pair_whatever_the_order() {
        // Same word sets, so agreement alone cannot tell them apart: rule 1 must.
        let old = [
            rec("Erratum", "table two is wrong not three"),
            rec("Erratum", "table three is wrong not two"),
        ];
        for new in [
            [old[1].clone(), old[0].clone()],
            [old[0].clone(), old[1].clone()],
        ] {
            let mut got = resolve(&old, &new, &[0, 1], &[0, 1]);
            got.sort_unstable();
            for (i, j) in got {
                assert_eq!(
                    old[i as usize].abstract_text(),
                    new[j as usize].abstract_text()
                );
            }
        }
    }

    #[test]
    fn the_best_agreeing_pair_wins() {
        let old = [
            rec(
                "Guest editorial",
                "this issue covers databases and query processing",
            ),
            rec("Guest editorial", "this issue covers robotics and control"),
        ];
        let new = [rec(
            "Guest editorial",
            "this issue covers robotics and motion control",
        )];
        assert_eq!(resolve(&old, &new, &[0, 1], &[0]), vec![(1, 0)]);
    }

    #[test]
    fn metadata_breaks_a_text_tie() {
        let with = |text: &str, authors: &[&str]| {
            let meta = Meta {
                authors: Some(authors.iter().map(|a| a.to_string()).collect()),
                ..Meta::default()
            };
            full("Preface", text, None, Some(meta))
        };
        let old = [with("a b c", &["Ann"]), with("a b c d", &["Bo"])];
        let new = [with("a b c e", &["Bo"])];
        assert_eq!(resolve(&old, &new, &[0, 1], &[0]), vec![(1, 0)]);
        assert!(agreement(&old[1], &new[0]) > agreement(&old[0], &new[0]));
    }

    #[test]
    fn different_keys_never_pair_and_large_groups_stay_linear() {
        let old = [full("T", "same", Some("a"), None)];
        let new = [full("T", "same", Some("b"), None)];
        assert!(resolve(&old, &new, &[0], &[0]).is_empty());

        let n = 2000u32;
        let old: Vec<Record> = (0..n)
            .map(|i| rec("Same title", &format!("text {i}")))
            .collect();
        let new: Vec<Record> = (0..n)
            .rev()
            .map(|i| rec("Same title", &format!("text {i} x")))
            .collect();
        let ids: Vec<u32> = (0..n).collect();
        let got = resolve(&old, &new, &ids, &ids);
        assert_eq!(got.len(), n as usize);
    }
}
