//! The near-match decision: which candidate pairs of entries are one paper.
//!
//! **Evidence** is read from every field both entries carry, each field on its own (see [`Evidence`]):
//! title and abstract as Jaccard similarities of content words ([`super::evidence`]), authors as the
//! share of people in common ([`super::authors`]), categories (any in common or none), and the year.
//! A field missing on either side is neutral: it adds nothing to the score.
//!
//! **Score**: in the Fellegi–Sunter tradition ("A theory for record linkage", JASA 1969) each field adds
//! its log-likelihood ratio `ln P(evidence | same paper) / P(evidence | different papers)` (natural
//! log) and the score is the sum. Fields are not quite independent, and one dependence matters: beside
//! similar titles, a middling abstract similarity is typical of a paper and its companion by the same
//! authors, while with the abstract alone it is typical of a rewritten abstract; so the abstract has
//! one curve for each case. A score depends on the two entries alone, so it means the same in any
//! batch. The per-field curves are piecewise linear, their knots set by hand (no fitting procedure)
//! from the field similarities of all candidate pairs of these labelled sets:
//! * same paper: the 178 IteraTeR arXiv abstract revisions (abstract only), the 3 revision events of
//!   the arxiv-listings crawls, and the 2,224 DBLP-ACM true pairs (title, authors, year);
//! * different papers: the candidate pairs of different arXiv ids between consecutive crawls of the
//!   ten arxiv-listings crawls (same fields, same days: the hardest negatives there are; the hardest
//!   are companion papers of one author group), and the DBLP-ACM candidate pairs not in the mapping;
//!
//! then adjusted until the scenarios of `benches/bench_reconcile.py`, which read the same data, had no
//! wrong pair. The figures it reports (README, "Near matching") are therefore in-sample: they say how
//! well the rule fits these sets, not how it generalises.
//!
//! **Decision**: a candidate pair is accepted when its score reaches [`NearParams::min_score`] *and*
//! each entry is the other's best candidate by at least [`NearParams::margin`] (its runner-up on either
//! side scores at least that much less). Mutual best makes the result one-to-one without a greedy pass;
//! the margin refuses a pair when a second partner is nearly as likely (two reports of one challenge,
//! a paper and its companion). Exact ties are never accepted, so the result does not depend on the
//! order of the entries or on which side is which.
//!
//! **Candidates** come from the weighted-Jaccard stage of [`super::cross_pairs`] on title, abstract and
//! author surnames at a low threshold ([`NearParams::candidate_threshold`]): it only bounds which pairs
//! are looked at (its weights come from the batch), never the score of a pair it reports. The batch
//! can reach a decision only through which alternatives are candidates, and an alternative matters
//! only when it scores within the margin of the best, far above the candidate threshold. Its prefix
//! filter has one blind spot: a text whose partners on the other side are near copies of each other
//! may share no indexed feature with them, so duplicates within a side are to be merged first (the
//! engine does).

use rayon::prelude::*;

use super::authors::{self, Name};
use super::evidence::{
    category_set, content_words, has_content, is_generic_title, jaccard, title_length, title_stems,
};
use crate::error::{invalid, Result};
use crate::text::shingle::ShingleScratch;
use crate::trace::Phases;

/// One entry as the near stage sees it. Empty strings and lists are missing fields.
#[derive(Clone, Debug, Default)]
pub struct NearEntry<S: AsRef<str>> {
    pub title: S,
    pub abstract_text: S,
    /// Author names, in any order and spelling ("Ann B. Smith", "Smith, A.").
    pub authors: Vec<S>,
    pub categories: Vec<S>,
    /// Year of (first) publication; a listing date is not one.
    pub year: Option<i32>,
}

/// Parameters of the decision.
#[derive(Clone, Copy, Debug)]
pub struct NearParams {
    /// The least score (summed log-likelihood ratio) of an accepted pair.
    pub min_score: f64,
    /// How much more likely than either side's runner-up an accepted pair must be (a difference of
    /// scores: the default 0.75 is e^0.75 ≈ 2.1 times as likely).
    pub margin: f64,
    /// Threshold of the candidate stage (IDF-weighted Jaccard of the joined texts).
    pub candidate_threshold: f64,
}

impl Default for NearParams {
    fn default() -> Self {
        NearParams {
            min_score: 3.0,
            margin: 0.75,
            candidate_threshold: 0.04,
        }
    }
}

/// What one pair's fields say; `None` where a field is missing on either side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evidence {
    /// Jaccard similarity of the titles' content words.
    pub title_sim: Option<f64>,
    /// Whether either title is generic ("Editorial"): then an equal title is no evidence.
    pub generic_title: bool,
    /// The fewer content words of the two titles.
    pub title_words: usize,
    /// Whether every content word of the shorter title (of at least `CONTAINED_TITLE_WORDS`) is in the
    /// longer one: a subtitle added or dropped ("Mediator languages" → "Mediator languages: report of
    /// a workshop").
    pub title_contained: bool,
    /// Jaccard similarity of the abstracts' content words.
    pub abstract_sim: Option<f64>,
    /// Share of authors in common, over the shorter list.
    pub authors_sim: Option<f64>,
    /// Whether the entries share a category.
    pub categories_shared: Option<bool>,
    /// Difference of years.
    pub year_diff: Option<u32>,
}

/// An accepted (or, from [`scored_candidates`], a candidate) pair: indices into the left and right
/// entries, the score and the evidence behind it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NearMatch {
    pub left: u32,
    pub right: u32,
    pub score: f64,
    pub evidence: Evidence,
}

/// An entry's fields reduced to what the evidence reads.
struct Prepared {
    title: Vec<u64>,
    generic: bool,
    /// The abstract's content words; left empty when every candidate partner has the same abstract.
    abstract_words: Vec<u64>,
    /// Whether the abstract has content words.
    abstract_content: bool,
    names: Vec<Name>,
    categories: Vec<String>,
    year: Option<i32>,
}

/// What an entry is needed for: no candidate pair, only pairs with its very abstract (whose
/// similarity is 1 or missing without comparing words), or others too.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    None,
    SameAbstract,
    Full,
}

fn prepare<S: AsRef<str>>(e: &NearEntry<S>, need: Need, scratch: &mut ShingleScratch) -> Prepared {
    let title = content_words(e.title.as_ref(), scratch);
    let (abstract_words, abstract_content) = if need == Need::Full {
        let w = content_words(e.abstract_text.as_ref(), scratch);
        let content = !w.is_empty();
        (w, content)
    } else {
        (Vec::new(), has_content(e.abstract_text.as_ref(), scratch))
    };
    let generic = !title.is_empty() && is_generic_title(&title);
    let title = if title.is_empty() {
        title
    } else {
        title_stems(e.title.as_ref())
    };
    let mut categories: Vec<String> = category_set(&e.categories).into_iter().collect();
    categories.sort_unstable();
    Prepared {
        generic,
        title,
        abstract_words,
        abstract_content,
        names: authors::names(&e.authors),
        categories,
        year: e.year,
    }
}

/// The evidence of a pair; `same_abstract` when both abstracts are the same text.
fn evidence(a: &Prepared, b: &Prepared, same_abstract: bool) -> Evidence {
    Evidence {
        title_sim: jaccard(&a.title, &b.title),
        generic_title: a.generic || b.generic,
        title_words: title_length(&a.title).min(title_length(&b.title)),
        title_contained: contained(&a.title, &b.title),
        // The Jaccard similarity of a set with itself, without the sets.
        abstract_sim: if same_abstract {
            a.abstract_content.then_some(1.0)
        } else {
            jaccard(&a.abstract_words, &b.abstract_words)
        },
        authors_sim: authors::overlap(&a.names, &b.names),
        categories_shared: (!a.categories.is_empty() && !b.categories.is_empty())
            .then(|| a.categories.iter().any(|c| b.categories.contains(c))),
        year_diff: a.year.zip(b.year).map(|(x, y)| x.abs_diff(y)),
    }
}

/// Whether the shorter of two sorted sets, of at least `CONTAINED_TITLE_WORDS`, is in the longer.
fn contained(a: &[u64], b: &[u64]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= CONTAINED_TITLE_WORDS && short.iter().all(|w| long.binary_search(w).is_ok())
}

/// Linear interpolation through `knots` (increasing in x), constant beyond the ends.
fn curve(knots: &[(f64, f64)], x: f64) -> f64 {
    let (first, last) = (knots[0], knots[knots.len() - 1]);
    if x <= first.0 {
        return first.1;
    }
    if x >= last.0 {
        return last.1;
    }
    let i = knots
        .iter()
        .position(|k| k.0 >= x)
        .unwrap_or(knots.len() - 1);
    let ((x0, y0), (x1, y1)) = (knots[i - 1], knots[i]);
    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
}

/// Log-likelihood ratio of the abstracts' similarity when the abstracts are the only text both entries
/// carry (the IteraTeR revisions: rewritten abstracts share as little as an eighth of their content
/// words, and abstracts of different papers of one field rarely a tenth).
const ABSTRACT_ALONE_LLR: &[(f64, f64)] = &[
    (0.0, -6.0),
    (0.06, -3.0),
    (0.1, 0.0),
    (0.12, 3.25),
    (0.2, 4.0),
    (0.3, 5.5),
    (0.45, 7.5),
    (0.6, 9.0),
    (0.8, 11.0),
    (1.0, 13.0),
];
/// Log-likelihood ratio of the abstracts' similarity when the titles are compared too. Fields are not
/// independent: a paper and its companion by the same authors (similar title, a third of the abstract's
/// words in common) are common in one day's listings, so beside a title, a middling abstract
/// similarity speaks against identity.
const ABSTRACT_WITH_TITLE_LLR: &[(f64, f64)] = &[
    (0.0, -8.0),
    (0.1, -6.0),
    (0.2, -3.0),
    (0.3, 0.0),
    (0.45, 2.0),
    (0.6, 4.0),
    (0.8, 8.0),
    (1.0, 10.0),
];
/// Log-likelihood ratio of the titles' similarity. Titles of real revisions change completely at
/// times ("KEDAS: Knowledge Editing Alignment…" → "Aligning Language Models with Real-time Knowledge
/// Editing"): a very similar abstract can outweigh the title, a middling one cannot.
const TITLE_LLR: &[(f64, f64)] = &[
    (0.0, -5.0),
    (0.25, -3.5),
    (0.35, 0.0),
    (0.5, 1.5),
    (0.8, 3.5),
    (1.0, 5.0),
];
/// Log-likelihood ratio of the share of authors in common (revisions add and reorder authors: an
/// author list weighs, it does not veto).
const AUTHORS_LLR: &[(f64, f64)] = &[(0.0, -3.0), (0.5, 0.0), (1.0, 2.0)];
/// Equal titles of more content words are rarer: this much more per word beyond
/// `LONG_TITLE_FROM`, up to `LONG_TITLE_WORDS` words, for titles at least `LONG_TITLE_SIM` alike.
const LONG_TITLE_LLR: f64 = 0.5;
const LONG_TITLE_FROM: usize = 3;
const LONG_TITLE_WORDS: usize = 8;
const LONG_TITLE_SIM: f64 = 0.9;
/// A title contained in the other ([`Evidence::title_contained`]) counts at least this much when the
/// entries have no abstracts to compare (DBLP-ACM: ACM appends subtitles and "(abstract)"); beside
/// abstracts the abstract decides, as companion papers often extend each other's titles.
const CONTAINED_TITLE_LLR: f64 = 1.5;
const CONTAINED_TITLE_WORDS: usize = 4;
/// Equal generic titles: far below [`NearParams::min_score`] on their own.
const GENERIC_TITLE_EQUAL_LLR: f64 = 1.0;
const CATEGORY_SHARED_LLR: f64 = 0.5;
const CATEGORY_DISJOINT_LLR: f64 = -1.0;
/// By difference of years: 0, 1, more.
const YEAR_LLR: [f64; 3] = [0.5, -0.5, -2.0];

/// The score of a pair's evidence: the sum of its fields' log-likelihood ratios.
pub fn score(e: &Evidence) -> f64 {
    let mut s = 0.0;
    if let Some(t) = e.title_sim {
        let mut x = curve(TITLE_LLR, t);
        if t >= LONG_TITLE_SIM {
            let extra = e.title_words.clamp(LONG_TITLE_FROM, LONG_TITLE_WORDS) - LONG_TITLE_FROM;
            x += LONG_TITLE_LLR * extra as f64;
        }
        // A generic title says little for identity: the same "Guest editorial" is weak evidence (other
        // fields must carry the pair), a different one can still speak against it.
        s += if e.generic_title {
            if t >= LONG_TITLE_SIM {
                GENERIC_TITLE_EQUAL_LLR
            } else {
                x.min(0.0)
            }
        } else if e.title_contained && e.abstract_sim.is_none() {
            x.max(CONTAINED_TITLE_LLR)
        } else {
            x
        };
    }
    if let Some(a) = e.abstract_sim {
        let with_title = e.title_sim.is_some() && !e.generic_title;
        s += curve(
            if with_title {
                ABSTRACT_WITH_TITLE_LLR
            } else {
                ABSTRACT_ALONE_LLR
            },
            a,
        );
    }
    if let Some(a) = e.authors_sim {
        s += curve(AUTHORS_LLR, a);
    }
    if let Some(c) = e.categories_shared {
        s += if c {
            CATEGORY_SHARED_LLR
        } else {
            CATEGORY_DISJOINT_LLR
        };
    }
    if let Some(d) = e.year_diff {
        s += YEAR_LLR[(d as usize).min(2)];
    }
    s
}

fn check(params: &NearParams) -> Result<()> {
    if !params.min_score.is_finite() {
        return Err(invalid("min_score", "must be a finite number"));
    }
    if !(params.margin.is_finite() && params.margin > 0.0) {
        return Err(invalid(
            "margin",
            format!("must be a positive number, got {}", params.margin),
        ));
    }
    Ok(())
}

/// The text the candidate stage reads: title, abstract and the authors' surnames.
fn candidate_text<S: AsRef<str>>(e: &NearEntry<S>) -> String {
    let mut t = String::with_capacity(e.title.as_ref().len() + e.abstract_text.as_ref().len() + 2);
    t.push_str(e.title.as_ref());
    t.push('\n');
    t.push_str(e.abstract_text.as_ref());
    for n in authors::names(&e.authors) {
        t.push('\n');
        t.push_str(n.surname());
    }
    t
}

/// Every candidate pair with its evidence and score, best first (score descending, then left, then
/// right index).
pub fn scored_candidates<S: AsRef<str> + Sync>(
    left: &[NearEntry<S>],
    right: &[NearEntry<S>],
    params: &NearParams,
) -> Result<Vec<NearMatch>> {
    check(params)?;
    let mut phases = Phases::start();
    let lt: Vec<String> = left.par_iter().map(candidate_text).collect();
    let rt: Vec<String> = right.par_iter().map(candidate_text).collect();
    phases.done("near: candidate texts");
    let cands = super::cross_pairs(&lt, &rt, params.candidate_threshold)?;
    phases.done("near: candidates");
    // Only entries in some candidate pair are prepared, and an abstract's words are only gathered
    // when some partner's abstract differs from it.
    let same = |a: u32, b: u32| {
        left[a as usize].abstract_text.as_ref() == right[b as usize].abstract_text.as_ref()
    };
    let prep = |entries: &[NearEntry<S>], needs: Vec<Need>| -> Vec<Option<Prepared>> {
        entries
            .par_iter()
            .zip(needs)
            .map_init(ShingleScratch::default, |scratch, (e, need)| {
                (need != Need::None).then(|| prepare(e, need, scratch))
            })
            .collect()
    };
    let (mut ln, mut rn) = (vec![Need::None; left.len()], vec![Need::None; right.len()]);
    for &(a, b, _) in &cands {
        let need = if same(a, b) {
            Need::SameAbstract
        } else {
            Need::Full
        };
        ln[a as usize] = ln[a as usize].max(need);
        rn[b as usize] = rn[b as usize].max(need);
    }
    let (lp, rp) = (prep(left, ln), prep(right, rn));
    phases.done("near: entries prepared");
    let mut out: Vec<NearMatch> = cands
        .par_iter()
        .filter_map(|&(a, b, _)| {
            let (x, y) = (lp[a as usize].as_ref()?, rp[b as usize].as_ref()?);
            let evidence = evidence(x, y, same(a, b));
            Some(NearMatch {
                left: a,
                right: b,
                score: score(&evidence),
                evidence,
            })
        })
        .collect();
    sort_matches(&mut out);
    phases.done("near: evidence");
    Ok(out)
}

/// Score descending, then left, then right index: a total order, whatever the threads.
fn sort_matches(m: &mut [NearMatch]) {
    m.sort_unstable_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then(x.left.cmp(&y.left))
            .then(x.right.cmp(&y.right))
    });
}

/// The pairs of `scored` (sorted by [`scored_candidates`]'s order) that the decision accepts: score at
/// least `min_score`, and each side's best partner by at least `margin` over its runner-up. (With a
/// positive margin the margin alone implies mutual best; both are checked to say what is meant.)
pub fn decide(
    scored: &[NearMatch],
    n_left: usize,
    n_right: usize,
    params: &NearParams,
) -> Vec<NearMatch> {
    // Per entry, the best pair's position in `scored` and the runner-up's score.
    let tally = |n: usize, side: fn(&NearMatch) -> u32| {
        let mut best: Vec<Option<usize>> = vec![None; n];
        let mut second = vec![f64::NEG_INFINITY; n];
        for (k, m) in scored.iter().enumerate() {
            let i = side(m) as usize;
            match best[i] {
                None => best[i] = Some(k),
                Some(_) if second[i] == f64::NEG_INFINITY => second[i] = m.score,
                Some(_) => {}
            }
        }
        (best, second)
    };
    let (lbest, lsecond) = tally(n_left, |m| m.left);
    let (rbest, rsecond) = tally(n_right, |m| m.right);
    scored
        .iter()
        .enumerate()
        .filter(|&(k, m)| {
            let (a, b) = (m.left as usize, m.right as usize);
            m.score >= params.min_score
                && lbest[a] == Some(k)
                && rbest[b] == Some(k)
                && m.score - lsecond[a] >= params.margin
                && m.score - rsecond[b] >= params.margin
        })
        .map(|(_, m)| *m)
        .collect()
}

/// The near matches between `left` and `right`: one-to-one, best first, each with its evidence.
pub fn match_entries<S: AsRef<str> + Sync>(
    left: &[NearEntry<S>],
    right: &[NearEntry<S>],
    params: &NearParams,
) -> Result<Vec<NearMatch>> {
    match_entries_except(left, right, params, |_, _| false)
}

/// [`match_entries`] where `known_apart(left, right)` names the pairs known to be different papers
/// (their declared keys differ): they are not candidates, so they neither match nor stand as a
/// runner-up. The engine and the catalog decide through this one function.
pub fn match_entries_except<S: AsRef<str> + Sync>(
    left: &[NearEntry<S>],
    right: &[NearEntry<S>],
    params: &NearParams,
    known_apart: impl Fn(u32, u32) -> bool,
) -> Result<Vec<NearMatch>> {
    let mut scored = scored_candidates(left, right, params)?;
    scored.retain(|m| !known_apart(m.left, m.right));
    Ok(decide(&scored, left.len(), right.len(), params))
}

#[cfg(test)]
mod tests;
