//! Reconciliation of two snapshots held as owned records, entirely in Rust: the same stages and results as
//! `neardup.reconcile.compare` (key → normalised title → near matching, text diffs, metadata differences,
//! duplicate groups), for the records the core reads by itself (`read::file`).
//!
//! Where Python decides by judgement rather than rule (several entries sharing one key or title, resolved
//! by `reconcile._agreement`), [`compare`] returns `None` and the caller takes the Python path.

use std::borrow::Cow;

use rayon::prelude::*;

use crate::cluster::weakest_link_groups;
use crate::diff::{diff_many, Cleanup, DiffResult, Unit};
use crate::engine::near;
use crate::error::Result;
use crate::minhash::{MinHasher, Scheme};
use crate::read::file::{Meta, Record};
use crate::text::shingle::ShingleConfig;
use crate::text::space::is_py_space;
use crate::trace::Phases;

use super::{agree, fields, keys_differ, match_ids, repeated_ids, Id};
use crate::cluster::links::{duplicate_links_signed, Side};
use crate::cluster::pairs::{self, signatures, signatures_with_room};

/// How `compare` runs (as the keyword arguments of `neardup.compare`).
#[derive(Debug, Clone)]
pub struct Options {
    /// The least score of a near match ([`near::NearParams::min_score`]).
    pub threshold: f64,
    pub duplicate_threshold: f64,
    pub include_meta: bool,
    pub near: bool,
    /// Fields never compared (metadata or extra fields by name): their differences are not reported.
    pub ignore_fields: Vec<String>,
    /// Metadata or extra fields whose differences make an entry changed, as a text change does, without
    /// `include_meta` (title and abstract always do).
    pub text_fields: Vec<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            threshold: 0.07,
            duplicate_threshold: 0.8,
            include_meta: false,
            near: true,
            ignore_fields: Vec::new(),
            text_fields: Vec::new(),
        }
    }
}

/// The stage that matched a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Key,
    Title,
    Near,
}

impl How {
    pub fn name(self) -> &'static str {
        match self {
            How::Key => "key",
            How::Title => "title",
            How::Near => "near",
        }
    }
}

/// A text field that differs, with its word diff.
#[derive(Debug, Clone)]
pub struct FieldDiff {
    pub name: &'static str,
    pub diff: DiffResult,
}

impl FieldDiff {
    /// The field's old and new texts: those of `a` and `b`.
    pub fn texts<'r>(&self, a: &'r Record, b: &'r Record) -> (&'r str, &'r str) {
        match self.name {
            "title" => (a.title(), b.title()),
            _ => (a.abstract_text(), b.abstract_text()),
        }
    }
}

/// A matched pair (`reconcile.Match`), by positions.
#[derive(Debug, Clone)]
pub struct Matched {
    pub old: u32,
    pub new: u32,
    pub how: How,
    /// For near matches the decision's score, else the word-diff ratio of the whole texts.
    pub similarity: f64,
    /// For near matches, the evidence the decision read.
    pub evidence: Option<near::Evidence>,
    /// Differing text fields, by name ascending.
    pub fields: Vec<FieldDiff>,
    /// Metadata and extra fields whose values differ: the fixed metadata first (in `META_FIELDS`
    /// order), then extra fields by name.
    pub meta_changed: Vec<Cow<'static, str>>,
}

/// Entries of one snapshot listed more than once (`reconcile.DuplicateGroup`).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub members: Vec<u32>,
    pub similarity: f64,
}

/// The result of [`compare`] (`reconcile.SnapshotDiff`, by positions).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub unchanged: Vec<Matched>,
    pub changed: Vec<Matched>,
    pub added: Vec<u32>,
    pub removed: Vec<u32>,
    pub duplicates_old: Vec<Group>,
    pub duplicates_new: Vec<Group>,
}

impl Outcome {
    pub fn has_differences(&self) -> bool {
        !(self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty())
    }
}

/// `" ".join(x.split()) == " ".join(y.split())`, word by word: texts that really differ stop at their
/// first different word, and nothing is allocated.
fn same_words(x: &str, y: &str) -> bool {
    let xs = x.split(is_py_space).filter(|w| !w.is_empty());
    xs.eq(y.split(is_py_space).filter(|w| !w.is_empty()))
}

/// Pairs matched by key, then by normalised title, then by the near stage, with the entries each side
/// leaves unmatched. Several entries sharing an identity are paired by [`agree::resolve`].
fn match_pairs<'a>(
    old: &'a [Record],
    new: &'a [Record],
    old_titles: &'a [String],
    new_titles: &'a [String],
    opts: &Options,
) -> Result<Matching> {
    let mut phases = Phases::start();
    let mut old_left = vec![true; old.len()];
    let mut new_left = vec![true; new.len()];
    let mut pairs: Vec<Pair> = Vec::new();
    let old_keys = title_keys(old, old_titles);
    let new_keys = title_keys(new, new_titles);
    for how in [How::Key, How::Title] {
        let found = {
            match_ids(
                &identities(how, old, &old_keys, &old_left),
                &identities(how, new, &new_keys, &new_left),
            )
        };
        let resolved = found
            .groups
            .iter()
            .flat_map(|(olds, news)| agree::resolve(old, new, olds, news));
        for (i, j) in found.pairs.into_iter().chain(resolved.collect::<Vec<_>>()) {
            if keys_differ(&old[i as usize], &new[j as usize]) {
                continue;
            }
            pairs.push((i, j, how, None));
            old_left[i as usize] = false;
            new_left[j as usize] = false;
        }
    }
    phases.done("exact matches");
    if opts.near {
        let ol: Vec<u32> = (0..old.len() as u32)
            .filter(|&i| old_left[i as usize])
            .collect();
        let nl: Vec<u32> = (0..new.len() as u32)
            .filter(|&j| new_left[j as usize])
            .collect();
        if !ol.is_empty() && !nl.is_empty() {
            let le: Vec<_> = ol
                .par_iter()
                .map(|&i| fields::near_entry(&old[i as usize]))
                .collect();
            let re: Vec<_> = nl
                .par_iter()
                .map(|&j| fields::near_entry(&new[j as usize]))
                .collect();
            let params = near::NearParams {
                min_score: opts.threshold,
                ..near::NearParams::default()
            };
            // The decision is one to one; pairs whose keys say they differ are no candidates.
            let found = near::match_entries_except(&le, &re, &params, |a, b| {
                keys_differ(&old[ol[a as usize] as usize], &new[nl[b as usize] as usize])
            })?;
            for m in found {
                let (i, j) = (ol[m.left as usize], nl[m.right as usize]);
                old_left[i as usize] = false;
                new_left[j as usize] = false;
                pairs.push((i, j, How::Near, Some((m.score, m.evidence))));
            }
        }
    }

    phases.done("near matches");
    Ok(Matching {
        pairs,
        old_left,
        new_left,
    })
}

/// A matched pair: `(old, new, how, near score and evidence)`.
type Pair = (u32, u32, How, Option<(f64, near::Evidence)>);

/// The identity a record's title gives it (DESIGN §5): its normalised title; for a generic title
/// ("Editorial", "Book review column"), which names no paper on its own, the title with the abstract,
/// and nothing when the abstract is empty (the near stage weighs such entries by their other fields).
enum TitleKey<'a> {
    Title(&'a str),
    WithText(String),
    None,
}

impl<'a> TitleKey<'a> {
    fn id<'s>(&'s self, r: &Record) -> Option<Id<'s>> {
        match self {
            TitleKey::Title(t) => r.title_id(t),
            TitleKey::WithText(t) => Id::new(t),
            TitleKey::None => None,
        }
    }
}

/// The identities of the records still left (`left`) at stage `how` (key or title).
fn identities<'s>(
    how: How,
    records: &'s [Record],
    keys: &'s [TitleKey],
    left: &[bool],
) -> Vec<Option<Id<'s>>> {
    match how {
        How::Key => records.iter().map(Record::key_id).collect(),
        _ => records
            .par_iter()
            .zip(keys)
            .zip(left)
            .map(|((r, k), &l)| if l { k.id(r) } else { None })
            .collect(),
    }
}

fn title_keys<'a>(records: &'a [Record], titles: &'a [String]) -> Vec<TitleKey<'a>> {
    records
        .par_iter()
        .zip(titles)
        .map(|(r, t)| {
            if t.is_empty() || !near::generic_title(r.title()) {
                return TitleKey::Title(t);
            }
            let a = r
                .abstract_text()
                .split(is_py_space)
                .filter(|w| !w.is_empty());
            let a = a.collect::<Vec<_>>().join(" ");
            if a.is_empty() {
                TitleKey::None
            } else {
                TitleKey::WithText(format!("{t}\n{a}"))
            }
        })
        .collect()
}

/// What [`match_pairs`] found and the entries left on each side.
struct Matching {
    pairs: Vec<Pair>,
    old_left: Vec<bool>,
    new_left: Vec<bool>,
}

/// Reconciles `old` and `new`, whose normalised titles (DESIGN §5) are given.
pub fn compare<'a>(
    old: &'a [Record],
    new: &'a [Record],
    old_titles: &'a [String],
    new_titles: &'a [String],
    opts: &Options,
) -> Result<Outcome> {
    let cfg = ShingleConfig::default();
    let hasher = MinHasher::new(64, cfg, Scheme::Oph)?;
    // Duplicate detection signs every old text whatever the matching finds: it runs beside the matching
    // stages, whose sequential steps leave a second core idle.
    let old_texts: Vec<(&str, &str)> = old.iter().map(Record::parts).collect();
    // Links by repeated key or title do not depend on the matching either.
    let (matching, (sigs, (old_links, new_links))) = rayon::join(
        || match_pairs(old, new, old_titles, new_titles, opts),
        || {
            rayon::join(
                // Room for every new text: those whose text changed are appended after the matching.
                || {
                    let mut phases = Phases::start();
                    let sigs = signatures_with_room(
                        &hasher,
                        &old_texts.iter().collect::<Vec<_>>(),
                        new.len(),
                    );
                    phases.done("duplicates: old texts signed (beside the matching)");
                    sigs
                },
                || {
                    rayon::join(
                        || identity_links(old, old_titles),
                        || identity_links(new, new_titles),
                    )
                },
            )
        },
    );
    let Matching {
        pairs,
        mut old_left,
        mut new_left,
    } = matching?;
    let mut phases = Phases::start();
    let verdicts = text_verdicts(old, new, &pairs);
    // Text of each new entry matched with an identical old text: duplicate detection signs it once.
    let mut same_text: Vec<Option<u32>> = vec![None; new.len()];
    for (&(i, j, _, _), verdict) in pairs.iter().zip(&verdicts) {
        if verdict.is_none() {
            same_text[j as usize] = Some(i);
        }
    }
    phases.done("texts compared");
    // The word diffs and duplicate detection depend on the verdicts only: they run side by side, each
    // filling the other's sequential steps.
    let ((fields, whole), near_pairs) = rayon::join(
        || word_diffs(old, new, &pairs, &verdicts),
        || {
            near_duplicates(
                old,
                old_texts,
                sigs,
                new,
                &same_text,
                &hasher,
                opts.duplicate_threshold,
            )
        },
    );
    let (old_near, new_near) = near_pairs?;
    phases.done("diffs and duplicate pairs");

    let (mut changed, mut unchanged): (Vec<Matched>, Vec<Matched>) = pairs
        .into_par_iter()
        .zip(fields)
        .zip(whole)
        .map(|(((i, j, how, near), mut fs), whole)| {
            fs.sort_by_key(|f| f.name);
            let meta_changed =
                meta_differences(&old[i as usize], &new[j as usize], &opts.ignore_fields);
            Matched {
                old: i,
                new: j,
                how,
                similarity: near.map_or(whole.unwrap_or(1.0), |n| n.0),
                evidence: near.map(|n| n.1),
                fields: fs,
                meta_changed,
            }
        })
        .partition(|m| {
            !m.fields.is_empty()
                || (opts.include_meta && !m.meta_changed.is_empty())
                || m.meta_changed
                    .iter()
                    .any(|f| opts.text_fields.iter().any(|t| t == f))
        });
    // Old positions are unique: an unstable sort gives the one order.
    unchanged.par_sort_unstable_by_key(|m| m.old);
    changed.par_sort_unstable_by_key(|m| m.old);
    let (duplicates_old, duplicates_new) = rayon::join(
        || duplicate_groups(old, old_links, &old_near, Papers::Listed),
        || duplicate_groups(new, new_links, &new_near, Papers::Listed),
    );
    // An extra listing of a matched paper is reported in its duplicate group, not as added or removed.
    listed_twice(&duplicates_old, old, &mut old_left);
    listed_twice(&duplicates_new, new, &mut new_left);
    phases.done("matches sorted, duplicate groups");
    Ok(Outcome {
        unchanged,
        changed,
        added: (0..new.len() as u32)
            .filter(|&j| new_left[j as usize])
            .collect(),
        removed: (0..old.len() as u32)
            .filter(|&i| old_left[i as usize])
            .collect(),
        duplicates_old,
        duplicates_new,
    })
}

/// The duplicate groups of one snapshot on its own (the catalog's ingest): the same links as [`compare`]
/// finds inside each side — equal keys, equal normalised titles unless keys differ, near-identical texts
/// at `threshold` — except that texts under different keys are not joined: each group is one paper.
pub fn duplicate_groups_of(
    records: &[Record],
    titles: &[String],
    threshold: f64,
) -> Result<Vec<Group>> {
    let hasher = MinHasher::new(64, ShingleConfig::default(), Scheme::Oph)?;
    let texts: Vec<(&str, &str)> = records.iter().map(Record::parts).collect();
    let refs: Vec<&(&str, &str)> = texts.iter().collect();
    let sigs = signatures(&hasher, &refs);
    let ids: Vec<u32> = (0..records.len() as u32).collect();
    let keys = keys_of(records);
    let side = Side {
        ids: &ids,
        keys: &keys,
    };
    let none = Side {
        ids: &[],
        keys: &[],
    };
    let (near, _) = duplicate_links_signed(
        &refs,
        &sigs,
        side,
        none,
        hasher.shingles,
        hasher.num_perm,
        threshold,
    )?;
    Ok(duplicate_groups(
        records,
        identity_links(records, titles),
        &near,
        Papers::Same,
    ))
}

/// What a duplicate group holds when members declare different keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Papers {
    /// Near-identical texts form a group whatever their keys say (a report's duplicate groups: two ids
    /// listing one text is worth a reader's look, and each id stays an entry of its own).
    Listed,
    /// Only entries that can be one paper: texts under different keys are not joined (the catalog's
    /// grouping, where every member of a group becomes a sighting of one paper).
    Same,
}

/// Clears `left` (unmatched) for every member of a group that also holds a matched member it may be the
/// same paper as (no differing key): such an entry is that paper listed again, reported by its group. A
/// member under a key of its own stays an entry (added or removed) as well as a member of its group.
fn listed_twice(groups: &[Group], records: &[Record], left: &mut [bool]) {
    for g in groups {
        let matched: Vec<&Record> = g
            .members
            .iter()
            .filter(|&&m| !left[m as usize])
            .map(|&m| &records[m as usize])
            .collect();
        if matched.is_empty() {
            continue;
        }
        for &m in &g.members {
            let r = &records[m as usize];
            if left[m as usize] && matched.iter().any(|k| !keys_differ(r, k)) {
                left[m as usize] = false;
            }
        }
    }
}

/// The metadata fields (`neardup.reconcile.META_FIELDS`, in that order), then the extra fields by name,
/// whose values differ between two matched records; fields named in `ignore` are not compared.
fn meta_differences(a: &Record, b: &Record, ignore: &[String]) -> Vec<Cow<'static, str>> {
    let mut out: Vec<Cow<'static, str>> = Vec::new();
    let none = Meta::default();
    // Most matched records kept the same members' text: nothing to interpret or compare then.
    let (xm, ym) = if a.same_meta_text(b) {
        (None, None)
    } else {
        a.metas_to_compare(b)
    };
    let (x, y) = (
        xm.as_deref().unwrap_or(&none),
        ym.as_deref().unwrap_or(&none),
    );
    for (name, differ) in [
        ("version", a.version != b.version),
        ("authors", x.authors != y.authors),
        ("authors_count", x.authors_count != y.authors_count),
        ("organization", x.organization != y.organization),
        ("published", x.published != y.published),
        ("upvotes", x.upvotes != y.upvotes),
    ] {
        if differ && !ignore.iter().any(|f| f == name) {
            out.push(Cow::Borrowed(name));
        }
    }
    if a.extra == b.extra && x.extra == y.extra {
        return out; // the common case, without rendering a value
    }
    let (ea, eb) = (extras(a, xm.as_deref()), extras(b, ym.as_deref()));
    let (mut p, mut q) = (ea.iter().peekable(), eb.iter().peekable());
    loop {
        let name = match (p.peek(), q.peek()) {
            (None, None) => break,
            (Some(l), Some(r)) if l.0 == r.0 => {
                let differ = l.1 != r.1;
                let name = l.0;
                p.next();
                q.next();
                if !differ {
                    continue;
                }
                name
            }
            (Some(l), Some(r)) if l.0 < r.0 => p.next().map_or("", |e| e.0),
            (Some(_), None) => p.next().map_or("", |e| e.0),
            _ => q.next().map_or("", |e| e.0),
        };
        if !ignore.iter().any(|f| f == name) {
            out.push(Cow::Owned(name.to_owned()));
        }
    }
    out
}

/// A record's extra fields (the scalars its reader kept and the members of other shapes, from `meta`,
/// the record's [`Record::meta`]) as `(name, canonical JSON text)`, by name ascending: equal values give
/// equal text. (The metadata's extras are already that text, and are borrowed.)
pub fn extras<'r>(r: &'r Record, meta: Option<&'r Meta>) -> Vec<(&'r str, Cow<'r, str>)> {
    let mut out: Vec<(&str, Cow<'r, str>)> = r
        .extra
        .iter()
        .map(|(name, value)| (&**name, Cow::Owned(scalar_text(value))))
        .collect();
    if let Some(meta) = meta {
        out.extend(
            meta.extra
                .iter()
                .map(|(k, v)| (k.as_str(), Cow::Borrowed(v.as_str()))),
        );
    }
    out.sort_by(|l, r| l.0.cmp(r.0));
    out
}

/// A scalar extra's canonical JSON text.
pub fn scalar_text(value: &crate::read::Scalar) -> String {
    let mut text = String::new();
    super::json::scalar(&mut text, value);
    text
}

/// The canonical JSON text of the extra field `name` of `r` (whose [`Record::meta`] is `meta`), as
/// [`extras`] has it (the first of that name), rendering no other.
pub fn extra_text<'r>(r: &'r Record, meta: Option<&'r Meta>, name: &str) -> Option<Cow<'r, str>> {
    if let Some((_, value)) = r.extra.iter().find(|(k, _)| k == name) {
        return Some(Cow::Owned(scalar_text(value)));
    }
    let (_, value) = meta?.extra.iter().find(|(k, _)| k == name)?;
    Some(Cow::Borrowed(value.as_str()))
}

/// Per matched pair, whether its title and its abstract differ beyond whitespace, or `None` when the
/// texts are identical. This reads every matched text, so it runs in parallel.
fn text_verdicts(old: &[Record], new: &[Record], pairs: &[Pair]) -> Vec<Option<[bool; 2]>> {
    pairs
        .par_iter()
        .with_min_len(256)
        .map(|&(i, j, _, _)| {
            let (a, b) = (&old[i as usize], &new[j as usize]);
            let differ = |x: &str, y: &str| x != y && !same_words(x, y);
            (a.parts() != b.parts()).then(|| {
                [
                    differ(a.title(), b.title()),
                    differ(a.abstract_text(), b.abstract_text()),
                ]
            })
        })
        .collect()
}

/// The word diff of every differing field of every pair, and for pairs matched by key or title (which
/// have no near score) the similarity of their whole texts; by pair.
fn word_diffs(
    old: &[Record],
    new: &[Record],
    pairs: &[Pair],
    verdicts: &[Option<[bool; 2]>],
) -> (Vec<Vec<FieldDiff>>, Vec<Option<f64>>) {
    let mut phases = Phases::start();
    // Diff jobs: (pair, field) with field None for the whole text.
    let mut jobs: Vec<(usize, Option<&'static str>)> = Vec::new();
    let mut inputs: Vec<(Cow<str>, Cow<str>)> = Vec::new();
    for (k, (&(i, j, _, score), verdict)) in pairs.iter().zip(verdicts).enumerate() {
        let Some(differs) = verdict else {
            continue;
        };
        let (a, b) = (&old[i as usize], &new[j as usize]);
        let before = jobs.len();
        for ((name, x, y), &differ) in [
            ("title", a.title(), b.title()),
            ("abstract", a.abstract_text(), b.abstract_text()),
        ]
        .into_iter()
        .zip(differs)
        {
            if differ {
                jobs.push((k, Some(name)));
                inputs.push((x.into(), y.into()));
            }
        }
        if score.is_none() && jobs.len() > before {
            // The similarity shown is that of the normalised texts: a title that only changed case
            // reads as similar as it is.
            jobs.push((k, None));
            inputs.push((
                a.joined().to_lowercase().into(),
                b.joined().to_lowercase().into(),
            ));
        }
    }
    let views: Vec<(&str, &str)> = inputs.iter().map(|(x, y)| (&**x, &**y)).collect();
    let diffs = diff_many(&views, Unit::Word, Cleanup::Semantic);
    drop(inputs);
    let mut fields: Vec<Vec<FieldDiff>> = vec![Vec::new(); pairs.len()];
    let mut whole: Vec<Option<f64>> = vec![None; pairs.len()];
    for ((k, name), d) in jobs.into_iter().zip(diffs) {
        match name {
            Some(name) => fields[k].push(FieldDiff { name, diff: d }),
            None => whole[k] = Some(d.ratio()),
        }
    }
    phases.done("word diffs");
    (fields, whole)
}

/// Near-identical text pairs within the old and within the new snapshot (`reconcile._duplicates`), from
/// the old texts and their signatures (with room for the new ones) and which new entries have their
/// matched old entry's text.
fn near_duplicates(
    old: &[Record],
    old_texts: Vec<(&str, &str)>,
    mut sigs: Vec<u32>,
    new: &[Record],
    same_text: &[Option<u32>],
    hasher: &MinHasher,
    threshold: f64,
) -> Result<(Vec<pairs::Pair>, Vec<pairs::Pair>)> {
    let mut phases = Phases::start();
    // Texts numbered for duplicate detection: every old entry, then every new entry whose text is not
    // its matched old entry's; only those new texts remain to be signed.
    let olds = old_texts.len();
    let mut distinct = old_texts;
    let old_ids: Vec<u32> = (0..olds as u32).collect();
    let new_ids: Vec<u32> = new
        .iter()
        .zip(same_text)
        .map(|(r, same)| {
            same.unwrap_or_else(|| {
                distinct.push(r.parts());
                distinct.len() as u32 - 1
            })
        })
        .collect();
    let refs: Vec<&(&str, &str)> = distinct.iter().collect();
    sigs.extend(signatures(hasher, &refs[olds..]));
    phases.done("duplicates: new texts signed");
    // A report's duplicate groups join near-identical texts whatever their keys ([`Papers::Listed`]):
    // the links are found as for keyless entries.
    let (old_keys, new_keys) = (vec![None; old.len()], vec![None; new.len()]);
    let pairs = duplicate_links_signed(
        &refs,
        &sigs,
        Side {
            ids: &old_ids,
            keys: &old_keys,
        },
        Side {
            ids: &new_ids,
            keys: &new_keys,
        },
        hasher.shingles,
        hasher.num_perm,
        threshold,
    )?;
    phases.done("duplicate pairs");
    Ok(pairs)
}

/// Each record's key, for the rule that records whose keys differ are never duplicates.
fn keys_of<'r>(records: &'r [Record]) -> Vec<Option<&'r str>> {
    records.iter().map(|r| r.key.as_deref()).collect()
}

/// The links of `reconcile._duplicates` that need no text comparison: entries joined by an equal key or
/// an equal title identity ([`TitleKey`], unless their keys differ), in any order.
fn identity_links(records: &[Record], titles: &[String]) -> Vec<(u32, u32, f64)> {
    let keys: Vec<Option<Id>> = records.iter().map(Record::key_id).collect();
    let title_keys = title_keys(records, titles);
    let titles: Vec<Option<Id>> = records
        .par_iter()
        .zip(&title_keys)
        .map(|(r, k)| k.id(r))
        .collect();
    let (by_key, by_title) = rayon::join(|| repeated_ids(&keys), || repeated_ids(&titles));
    let mut links: Vec<(u32, u32, f64)> = by_key.into_iter().map(|(a, b)| (a, b, 1.0)).collect();
    links.extend(
        by_title
            .into_iter()
            .filter(|&(a, b)| !keys_differ(&records[a as usize], &records[b as usize]))
            .map(|(a, b)| (a, b, 1.0)),
    );
    links
}

/// `reconcile._duplicates`: the [`identity_links`] and the near-identical texts (unless their keys
/// differ) joined into groups; each group's similarity is its weakest link, groups ordered by members.
fn duplicate_groups(
    records: &[Record],
    mut links: Vec<(u32, u32, f64)>,
    near: &[(u32, u32, f64)],
    papers: Papers,
) -> Vec<Group> {
    // Links in any order: groups and their weakest links do not depend on it.
    links.extend(near.iter().filter(|&&(a, b, _)| {
        papers == Papers::Listed || !keys_differ(&records[a as usize], &records[b as usize])
    }));
    // Groups come ordered by first member, which for disjoint groups is the order of their members.
    weakest_link_groups(records.len(), &links)
        .into_iter()
        .map(|(members, similarity)| Group {
            members,
            similarity,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::space::py_collapse;

    #[test]
    fn same_words_is_equality_after_collapsing_whitespace() {
        let texts = [
            "",
            " ",
            "a b",
            " a  b ",
            "a\tb",
            "a\u{3000}b",
            "ab",
            "a b c",
            "a\u{1c}b",
            "a\u{200b}b",
        ];
        for x in texts {
            for y in texts {
                assert_eq!(
                    same_words(x, y),
                    py_collapse(x) == py_collapse(y),
                    "{x:?} {y:?}"
                );
            }
        }
    }
}
