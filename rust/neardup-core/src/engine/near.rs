//! Fuzzy matching of entries between two collections (and within one): the "near" stage of snapshot
//! reconciliation.
//!
//! Two layers. [`match_entries`] is the **decision** (module `decide`): it reads every field two
//! entries carry (title, abstract, authors as a set of people, categories, year), scores a pair by the
//! log-likelihood ratio of that evidence from the two entries alone (calibration and data in
//! `decide`'s doc), and accepts a pair only when it is each side's best partner by a margin.
//! [`cross_pairs`] is the **candidate stage** below it (described next); it is kept as it was for the
//! callers that still rank its scores greedily ([`assign_one_to_one`]), whose scores depend on the
//! batch.
//!
//! Real revisions of an abstract are harder than near-duplicates: in the IteraTeR arXiv revisions a tenth of
//! the pairs share under 6% of their word 3-grams, while unrelated abstracts of the same field share a few
//! percent. Plain MinHash at a fixed threshold cannot separate the two, so this stage scores pairs with
//! evidence that survives rewording:
//!
//! * **Features**: the normalised word unigrams and bigrams of a text (as sets).
//! * **Weights**: inverse document frequency over both collections, `w(f) = ln((N+1)/(df(f)+0.5))`
//!   (Spärck Jones, "A statistical interpretation of term specificity", 1972): a shared rare term or phrase
//!   is strong evidence, a shared "of the" is none. Weights are held in fixed point (integers at a scale
//!   of up to 2^40, chosen so two documents' sums stay below 2^53): sums are exact whatever their order,
//!   so no step needs its features sorted and the result does not depend on the number of threads.
//! * **Score**: weighted Jaccard `Σ_{A∩B} w / Σ_{A∪B} w` (Ioffe, "Improved consistent sampling, weighted
//!   minhash and L1 sketching", ICDM 2010, for the weighted Jaccard similarity of sets).
//! * **Candidates**: each text's most specific shared features (lowest document frequency among features
//!   seen in at least two texts) are indexed and probed, in the spirit of prefix filtering; every candidate
//!   is verified on the exact score. Two versions of one paper share their rarest terms and phrases, so
//!   they meet; texts that share only common words never become candidates.
//! * **Verification** stops as soon as a pair cannot reach the threshold `t`: with `T_a`, `T_b` the two
//!   weight sums and `M` the weight of `b`'s features missing from `a`, the score is
//!   `(T_b - M) / (T_a + M)`, which only falls as `M` grows, so once `M > (T_b - t T_a) / (1 + t)` the
//!   pair is out (in the spirit of the length and positional filters of Xiao, Wang, Lin & Yu, "Efficient
//!   similarity joins for near duplicate detection", WWW 2008). Features seen in one text only are
//!   misses from the start, and the others are looked up rarest (heaviest) first; the bound has a margin
//!   far above rounding, so no pair scoring at least `t` is ever dropped.
//!
//! Results are sorted by score (descending), then by indices, and scores are ratios of exact integer
//! sums, so the output is the same whatever the number of threads. [`assign_one_to_one`] turns scored
//! pairs into a matching, best score first.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::error::{invalid, Result};
use crate::lsh::IdHashMap;
use crate::text::shingle::{combine_hashes, for_each_word_hash, ShingleScratch};
use crate::trace::Phases;

mod authors;
mod decide;
mod evidence;

pub use evidence::generic_title;
mod tables;

pub use decide::{
    decide, match_entries, match_entries_except, score, scored_candidates, Evidence, NearEntry,
    NearMatch, NearParams,
};

const UNIGRAM_SEED: u64 = 0x756e_6967_7261_6d31;
const BIGRAM_SEED: u64 = 0x6269_6772_616d_3232;

/// The feature hashes (word unigrams and bigrams) of a text, de-duplicated, in order of first
/// occurrence (unigrams first). Every use treats them as a set.
pub fn features(text: &str) -> Vec<u64> {
    features_with(text, &mut FeatureScratch::default())
}

/// Buffers of [`features_with`] a batch loop reuses.
#[derive(Default)]
struct FeatureScratch {
    shingle: ShingleScratch,
    words: Vec<u64>,
    seen: tables::Seen,
}

/// [`features`] with buffers a batch loop reuses.
fn features_with(text: &str, scratch: &mut FeatureScratch) -> Vec<u64> {
    let words = &mut scratch.words;
    words.clear();
    for_each_word_hash(text, UNIGRAM_SEED, &mut scratch.shingle, |h| words.push(h));
    let all = 2 * words.len();
    let seen = &mut scratch.seen;
    seen.reset(all);
    let mut out = Vec::with_capacity(all);
    let bigrams = words.windows(2).map(|p| combine_hashes(p, BIGRAM_SEED));
    // A hash set instead of sorting: verification needs no order (its sums are integers).
    out.extend(
        words
            .iter()
            .copied()
            .chain(bigrams)
            .filter(|&h| seen.insert(h)),
    );
    out
}

/// Features of every text, in parallel.
fn all_features<S: AsRef<str> + Sync>(texts: &[S]) -> Vec<Vec<u64>> {
    texts
        .par_iter()
        .map_init(FeatureScratch::default, |scratch, t| {
            features_with(t.as_ref(), scratch)
        })
        .collect()
}

/// Documents' shared features with fixed-point weights, laid out for verification.
struct Weighted {
    /// Each document's shared features (document frequency at least 2), rarest (heaviest) first by
    /// classes of document frequency, its prefix first.
    shared: Vec<Vec<u64>>,
    /// The document frequencies of each document's shared features, in their order.
    dfs: Vec<Vec<u32>>,
    /// Each document's sum of fixed-point weights over all its features.
    totals: Vec<u64>,
    /// Each document's sum of the weights of the features no other document has: a partner can never
    /// share them, so they count as misses without a lookup.
    unique: Vec<u64>,
    /// The fixed-point weight of each document frequency.
    wq: Vec<u64>,
}

impl Weighted {
    fn len(&self) -> usize {
        self.totals.len()
    }

    /// The document's most specific shared features: the `PREFIX` with the lowest document frequency
    /// (a feature seen once can be shared with nobody), ties broken by hash so the choice is
    /// deterministic, less those seen in `COMMON_DF` documents or more.
    fn prefix(&self, d: usize) -> &[u64] {
        let s = &self.shared[d];
        let n = s.len().min(PREFIX);
        // The prefix is ordered by class of document frequency, so the common features are its tail.
        let rare = self.dfs[d][..n].partition_point(|&df| df < COMMON_DF);
        &s[..rare]
    }

    /// The document's shared features and their document frequencies.
    fn shared(&self, d: usize) -> (&[u64], &[u32]) {
        (&self.shared[d], &self.dfs[d])
    }
}

/// A scored pair: `(left index, right index, score)`.
pub type Pair = (u32, u32, f64);

fn check_threshold(t: f64) -> Result<()> {
    if !(t > 0.0 && t <= 1.0) {
        return Err(invalid("threshold", format!("must be in (0, 1], got {t}")));
    }
    Ok(())
}

/// The fixed-point weight of every document frequency `0..=most` in a collection of `n` documents
/// whose largest holds `max_len` features.
///
/// The scale is the largest power of two that keeps the sum of two documents' weights under 2^53: sums
/// of integers are exact whatever their order, convert to `f64` exactly, and cannot overflow. Rounding
/// moves a weight by at most half a unit (2^-40 for texts of a few hundred words), far below the six
/// decimals a score is reported to. Every weight stays at least one unit, as every real weight is
/// positive.
fn fixed_weights(n: usize, most: usize, max_len: usize) -> Vec<u64> {
    let n1 = (n + 1) as f64;
    let idf = |d: usize| (n1 / (d as f64 + 0.5)).ln();
    // A feature present somewhere has df >= 1, so idf(1) is the largest weight; +1 covers rounding up.
    let bound = 2.0 * max_len.max(1) as f64 * (idf(1) + 1.0);
    let bits = (53.0 - bound.log2()).floor().clamp(0.0, 52.0);
    let scale = 2f64.powi(bits as i32);
    (0..=most)
        .map(|d| (idf(d) * scale).round().max(1.0) as u64)
        .collect()
}

/// Weighs every document's features by their inverse document frequency over all `sets`, and lays
/// them out for verification (see [`lay_out`]).
fn weigh(mut feats: Vec<Vec<u64>>) -> Weighted {
    let counted = Counted::new(&feats);
    let max_len = feats.iter().map(Vec::len).max().unwrap_or(0);
    // Document frequencies are small integers: each weight is computed once.
    let wq = fixed_weights(feats.len(), counted.most as usize, max_len);
    let docs: Vec<(u64, u64, Vec<u32>)> = feats
        .par_chunks_mut(CHUNK_DOCS)
        .zip(&counted.chunk_starts)
        .flat_map_iter(|(docs, starts)| {
            let mut at = *starts;
            let mut scratch = Scratch::default();
            docs.iter_mut()
                .map(|f| {
                    counted.gather(f, &mut at, &mut scratch.dfs);
                    lay_out(f, &wq, &mut scratch)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut w = Weighted {
        shared: feats,
        dfs: Vec::with_capacity(docs.len()),
        totals: Vec::with_capacity(docs.len()),
        unique: Vec::with_capacity(docs.len()),
        wq,
    };
    for (total, unique, dfs) in docs {
        w.totals.push(total);
        w.unique.push(unique);
        w.dfs.push(dfs);
    }
    w
}

/// Classes of document frequency, for the heaviest-first order of a document's shared features:
/// `df` in `[2^(c+1), 2^(c+2))` is class `c`, the last class holds everything above, and features seen
/// in one document only (`df < 2`) are class `DF_CLASSES`, left out.
const DF_CLASSES: usize = 8;

fn df_class(df: u32) -> usize {
    match df.max(1).ilog2() as usize {
        0 => DF_CLASSES,
        l => (l - 1).min(DF_CLASSES - 1),
    }
}

/// Buffers of [`lay_out`], one per chunk of documents.
#[derive(Default)]
struct Scratch {
    /// The document frequencies of the document's features, in their order.
    dfs: Vec<u32>,
    feats: Vec<u64>,
    /// `dfs` in the new order.
    ordered: Vec<u32>,
    edge: Vec<(u32, u64)>,
}

/// Reorders a document's features `feats` (whose document frequencies `scratch.dfs` holds) in place:
/// its shared features (document frequency at least 2) first, grouped by [`df_class`], rarest class
/// first, and truncates `feats` to them. Returns the document's weight sums `(total, unique)` (see
/// [`Weighted`]) and the document frequencies of its shared features, in their new order.
///
/// A counting sort is enough, as verification only needs the heaviest weights early to stop early
/// (features seen once go last, then are cut: no branch on the class). The first `PREFIX` are the
/// document's prefix (the lowest `(df, feature)` pairs), which only the class they end in needs
/// selecting for.
fn lay_out(feats: &mut Vec<u64>, wq: &[u64], scratch: &mut Scratch) -> (u64, u64, Vec<u32>) {
    let mut at = [0usize; DF_CLASSES + 1];
    let (mut total, mut unique) = (0, 0);
    for &d in &scratch.dfs {
        let (c, x) = (df_class(d), wq[d as usize]);
        at[c] += 1;
        total += x;
        unique += if c == DF_CLASSES { x } else { 0 };
    }
    let mut sum = 0;
    for slot in &mut at {
        (*slot, sum) = (sum, sum + *slot);
    }
    let shared = at[DF_CLASSES];
    // The class the prefix ends in: the first whose end reaches `PREFIX`, else the last.
    let edge = (0..DF_CLASSES - 1)
        .find(|&c| at[c + 1] >= PREFIX)
        .unwrap_or(DF_CLASSES - 1);
    let edge_range = at[edge]..at[edge + 1];
    scratch.feats.clear();
    scratch.feats.extend_from_slice(feats);
    scratch.ordered.clear();
    scratch.ordered.resize(feats.len(), 0);
    for (&f, &d) in scratch.feats.iter().zip(&scratch.dfs) {
        let i = &mut at[df_class(d)];
        (feats[*i], scratch.ordered[*i]) = (f, d);
        *i += 1;
    }
    let need = PREFIX - edge_range.start.min(PREFIX);
    if need > 0 && edge_range.len() > need {
        let at = edge_range.start;
        scratch.edge.clear();
        scratch.edge.extend(
            scratch.ordered[edge_range.clone()]
                .iter()
                .copied()
                .zip(feats[edge_range].iter().copied()),
        );
        scratch.edge.select_nth_unstable(need - 1);
        for (i, &(d, f)) in scratch.edge.iter().enumerate() {
            (feats[at + i], scratch.ordered[at + i]) = (f, d);
        }
    }
    feats.truncate(shared);
    (total, unique, scratch.ordered[..shared].to_vec())
}

/// Documents per chunk of the document-frequency passes (each chunk keeps one cursor per partition).
const CHUNK_DOCS: usize = 64;
const PART_BITS: u32 = 8;
/// Partitions of the feature space for counting (by the top bits: features are uniform hashes).
const PARTS: usize = 1 << PART_BITS;

fn part(f: u64) -> usize {
    (f >> (64 - PART_BITS)) as usize
}

/// The document frequency of every occurrence of a feature in the documents' sets (de-duplicated),
/// grouped by partition of the feature space.
///
/// Every occurrence is scattered into one of `PARTS` partitions by the feature's top bits, and each
/// partition is counted in a small table of its own: the tables fit in cache and run in parallel,
/// where one global sort or hash map of all features missed the cache at every step. Within a
/// partition, occurrences are grouped by chunk of documents (`CHUNK_DOCS`), in document order, so
/// each chunk scatters its occurrences in parallel and later [`Counted::gather`]s their counts back
/// by walking its documents again, with one cursor per partition: no slot numbers stored.
struct Counted {
    /// Per partition, then per chunk, each occurrence's document frequency.
    dfs: Vec<u32>,
    /// Where each chunk's occurrences of each partition start in `dfs`.
    chunk_starts: Vec<[usize; PARTS]>,
    /// The largest document frequency.
    most: u32,
}

impl Counted {
    fn new(sets: &[Vec<u64>]) -> Counted {
        let chunks: Vec<&[Vec<u64>]> = sets.chunks(CHUNK_DOCS).collect();
        let counts: Vec<[usize; PARTS]> = chunks.par_iter().map(|docs| part_counts(docs)).collect();
        // Partition-major, chunk-minor layout.
        let mut chunk_starts = vec![[0usize; PARTS]; chunks.len()];
        let mut bounds = Vec::with_capacity(PARTS + 1);
        let mut at = 0;
        for p in 0..PARTS {
            bounds.push(at);
            for (c, n) in counts.iter().enumerate() {
                chunk_starts[c][p] = at;
                at += n[p];
            }
        }
        bounds.push(at);
        let mut occ = scatter(&chunks, &counts, at);
        let mut dfs = vec![0u32; at];
        let most = split_at_offsets(&mut dfs, &bounds)
            .into_par_iter()
            .zip(split_at_offsets(&mut occ, &bounds))
            .map_init(tables::Counter::default, |counter, (out, piece)| {
                count_into(counter, piece, out)
            })
            .max()
            .unwrap_or(0);
        Counted {
            dfs,
            chunk_starts,
            most,
        }
    }

    /// Appends the document frequencies of a document's features `feats` to `out`, in their order;
    /// `at` holds its chunk's cursors, past the documents before it.
    fn gather(&self, feats: &[u64], at: &mut [usize; PARTS], out: &mut Vec<u32>) {
        out.clear();
        out.extend(feats.iter().map(|&f| {
            let i = &mut at[part(f)];
            *i += 1;
            self.dfs[*i - 1]
        }));
    }
}

/// How many of the features of `docs` fall in each partition.
fn part_counts(docs: &[Vec<u64>]) -> [usize; PARTS] {
    let mut n = [0; PARTS];
    for &f in docs.iter().flatten() {
        n[part(f)] += 1;
    }
    n
}

/// The features of every chunk of documents, partition by partition and, within one, chunk by chunk
/// (`counts` holds each chunk's partition sizes, `total` their sum); chunks scatter in parallel, each
/// into pieces of its own.
fn scatter(chunks: &[&[Vec<u64>]], counts: &[[usize; PARTS]], total: usize) -> Vec<u64> {
    let mut occ = vec![0u64; total];
    let mut pieces: Vec<Vec<&mut [u64]>> = (0..chunks.len())
        .map(|_| Vec::with_capacity(PARTS))
        .collect();
    let mut rest = occ.as_mut_slice();
    for p in 0..PARTS {
        for (c, n) in counts.iter().enumerate() {
            let (head, tail) = rest.split_at_mut(n[p]);
            pieces[c].push(head);
            rest = tail;
        }
    }
    pieces
        .into_par_iter()
        .zip(chunks)
        .for_each(|(mut outs, docs)| {
            let mut fill = [0usize; PARTS];
            for &f in docs.iter().flatten() {
                let p = part(f);
                outs[p][fill[p]] = f;
                fill[p] += 1;
            }
        });
    occ
}

/// Counts the features of one partition, then looks every occurrence up while the table is in cache;
/// returns the largest count.
fn count_into(counter: &mut tables::Counter, piece: &[u64], out: &mut [u32]) -> u32 {
    counter.reset(piece.len());
    for &f in piece {
        counter.add(f);
    }
    let mut most = 0;
    for (df, &f) in out.iter_mut().zip(piece) {
        *df = counter.get(f);
        most = most.max(*df);
    }
    most
}

/// `s` cut into the consecutive pieces `offsets` delimits.
fn split_at_offsets<'a, T>(mut s: &'a mut [T], offsets: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(offsets.len().saturating_sub(1));
    for w in offsets.windows(2) {
        let (head, tail) = s.split_at_mut(w[1] - w[0]);
        out.push(head);
        s = tail;
    }
    out
}

/// The part of verification that depends only on the probing document `a`.
struct Probe<'a> {
    /// `a`'s shared features.
    set: &'a tables::Set,
    total: u64,
    unique: u64,
}

/// How many features verification looks up between two checks of the miss budget.
const BLOCK: usize = 16;

/// Relative slack of the miss budget: a pair is abandoned only when its score is certainly below the
/// threshold by far more than the rounding of any of the sums and the final division.
const SLACK: f64 = 1e-9;

/// The exact weighted Jaccard of `a` and document `b` of `w` if it is at least `threshold`.
///
/// With `T_a`, `T_b` the documents' weight sums and `M` the weight of `b`'s features missing from `a`,
/// the intersection is `T_b - M` and the union `T_a + M`, so the score `(T_b - M) / (T_a + M)` only
/// falls as misses accrue: once `M > (T_b - t T_a) / (1 + t)` the pair cannot reach `t`. `b`'s unique
/// features are misses from the start, and its shared ones are looked up heaviest first, so most
/// candidates are abandoned after a block or two. Sums are integers, so the score does not depend on
/// the order of the lookups.
fn verify(a: &Probe, w: &Weighted, b: usize, threshold: f64) -> Option<f64> {
    let (ta, tb) = (a.total, w.totals[b]);
    // a's unique features are misses too: the same bound from a's side, before any lookup.
    let t = threshold * (1.0 - SLACK);
    if ((ta - a.unique) as f64) < t * (tb + a.unique) as f64 {
        return None;
    }
    let limit = (tb as f64 - t * ta as f64) / (1.0 + t) + SLACK * (ta + tb) as f64;
    if limit < w.unique[b] as f64 {
        return None;
    }
    // Saturating float-to-integer conversion; `limit` is at least 0 here.
    let limit = limit as u64;
    let (fb, db) = w.shared(b);
    let (mut seen, mut inter) = (w.unique[b], 0u64);
    for (fs, ds) in fb.chunks(BLOCK).zip(db.chunks(BLOCK)) {
        for (&f, &d) in fs.iter().zip(ds) {
            let x = w.wq[d as usize];
            // Without a branch: a mix of hits and misses would mispredict.
            inter += x & 0u64.wrapping_sub(u64::from(a.set.contains(f)));
            seen += x;
        }
        if seen - inter > limit {
            return None;
        }
    }
    let union = ta + tb - inter;
    (union > 0).then(|| inter as f64 / union as f64)
}

/// How many of a text's most specific shared features are indexed for candidate generation.
const PREFIX: usize = 24;

/// A feature seen in this many documents or more identifies nothing: it is never indexed nor probed,
/// so no posting list is longer and a probe reads at most `PREFIX × COMMON_DF` postings. Without this
/// bound, k texts sharing one abstract (and nothing rarer than it) would make k² candidate pairs; a
/// text whose rarest features are all this common gets no candidate, which is what the margin of the
/// decision would make of them anyway. The bound is the start of the last class of [`df_class`], so
/// the prefix's common features are its tail.
const COMMON_DF: u32 = 1 << DF_CLASSES;

/// Core of both modes: verifies every (left, right) pair of documents of `w` whose most specific shared
/// features meet, and keeps those scoring at least `threshold`; left documents are `0..split`, right
/// ones `split..`, and pairs are reported by their index within their side. With `split = 0`, left and
/// right are one collection and only `a < b` is reported.
fn scored_pairs(w: &Weighted, split: usize, threshold: f64) -> Vec<Pair> {
    // Candidate generation in the spirit of prefix filtering (Chaudhuri, Ganti & Kaushik, "A primitive
    // operator for similarity joins in data cleaning", ICDE 2006; Bayardo, Ma & Srikant, "Scaling up all
    // pairs similarity search", WWW 2007): two versions of one text share their rarest features, so only
    // the rarest few of each text are indexed and probed. Features that occur in exactly the two texts
    // (df = 2) come first and are the strongest evidence; common words never generate candidates.
    let same = split == 0;
    let (left, right) = if same {
        (0..w.len(), 0..w.len())
    } else {
        (0..split, split..w.len())
    };
    let postings = Postings::new(right.clone().map(|b| w.prefix(b)));
    let (trace_on, verified) = (
        crate::trace::enabled(),
        std::sync::atomic::AtomicUsize::new(0),
    );
    let verified = &verified;
    let postings = &postings;
    let mut pairs: Vec<Pair> = left
        .clone()
        .into_par_iter()
        .with_min_len(16)
        .map_init(
            || (tables::Set::default(), Vec::new()),
            |(set, cands), a| {
                cands.clear();
                cands.extend(
                    w.prefix(a)
                        .iter()
                        .flat_map(|&f| postings.get(f))
                        .copied()
                        .filter(|&b| !same || b as usize > a),
                );
                cands.sort_unstable();
                cands.dedup();
                if trace_on {
                    verified.fetch_add(cands.len(), std::sync::atomic::Ordering::Relaxed);
                }
                if cands.is_empty() {
                    return Vec::new();
                }
                set.fill(w.shared(a).0);
                let probe = Probe {
                    set,
                    total: w.totals[a],
                    unique: w.unique[a],
                };
                cands
                    .iter()
                    .filter_map(|&b| {
                        let s = verify(&probe, w, right.start + b as usize, threshold)?;
                        (s >= threshold).then_some((a as u32, b, s))
                    })
                    .collect()
            },
        )
        .flatten_iter()
        .collect();
    sort_pairs(&mut pairs);
    crate::trace::note(|| {
        format!(
            "near: {} x {} texts, {} candidate pairs verified, {} kept",
            left.len(),
            right.len(),
            verified.load(std::sync::atomic::Ordering::Relaxed),
            pairs.len()
        )
    });
    pairs
}

/// The documents whose prefix holds each feature, in one flat list cut by feature (built in two passes),
/// instead of a growing list per feature.
struct Postings {
    /// Each feature's row.
    rows: IdHashMap<u32>,
    /// Where each row starts in `docs` (one more entry than rows).
    starts: Vec<usize>,
    docs: Vec<u32>,
}

impl Postings {
    /// Postings of documents `0..` with prefixes `prefixes`.
    fn new<'a>(prefixes: impl Iterator<Item = &'a [u64]> + Clone) -> Postings {
        let mut rows = IdHashMap::default();
        let (mut counts, mut entry_rows) = (Vec::new(), Vec::new());
        for &f in prefixes.clone().flatten() {
            let r = *rows.entry(f).or_insert_with(|| {
                counts.push(0);
                (counts.len() - 1) as u32
            });
            counts[r as usize] += 1;
            entry_rows.push(r);
        }
        let starts = offsets(&counts);
        let mut at = starts.clone();
        let mut docs = vec![0u32; entry_rows.len()];
        let mut entries = entry_rows.iter();
        for (b, p) in prefixes.enumerate() {
            for (_, &r) in p.iter().zip(entries.by_ref()) {
                docs[at[r as usize]] = b as u32;
                at[r as usize] += 1;
            }
        }
        Postings { rows, starts, docs }
    }

    /// The documents whose prefix holds `f`, in increasing order.
    fn get(&self, f: u64) -> &[u32] {
        self.rows.get(&f).map_or(&[], |&r| {
            &self.docs[self.starts[r as usize]..self.starts[r as usize + 1]]
        })
    }
}

/// Running sums of `counts`, starting at 0 (one more entry than `counts`).
fn offsets(counts: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(counts.len() + 1);
    out.push(0);
    let mut at = 0;
    for &c in counts {
        at += c;
        out.push(at);
    }
    out
}

/// Sorts by score descending, then left, then right index: a total, thread-independent order.
pub fn sort_pairs(pairs: &mut [Pair]) {
    pairs.sort_unstable_by(|x, y| y.2.total_cmp(&x.2).then(x.0.cmp(&y.0)).then(x.1.cmp(&y.1)));
}

/// Scored pairs between two collections with weighted-Jaccard score at least `threshold`, best first.
pub fn cross_pairs<S: AsRef<str> + Sync>(
    left: &[S],
    right: &[S],
    threshold: f64,
) -> Result<Vec<Pair>> {
    check_threshold(threshold)?;
    let mut phases = Phases::start();
    let lsets = all_features(left);
    let rsets = all_features(right);
    phases.done("near: features");
    let split = lsets.len();
    if split == 0 || rsets.is_empty() {
        return Ok(Vec::new());
    }
    let mut all = lsets;
    all.extend(rsets);
    let w = weigh(all);
    phases.done("near: weights");
    let pairs = scored_pairs(&w, split, threshold);
    phases.done("near: scored pairs");
    Ok(pairs)
}

/// Scored pairs `(a, b, score)` with `a < b` inside one collection, best first.
pub fn self_pairs<S: AsRef<str> + Sync>(texts: &[S], threshold: f64) -> Result<Vec<Pair>> {
    check_threshold(threshold)?;
    let sets = all_features(texts);
    let w = weigh(sets);
    Ok(scored_pairs(&w, 0, threshold))
}

/// Greedy one-to-one matching: walks pairs best first and keeps a pair when neither side is taken yet.
/// `pairs` must be sorted by [`sort_pairs`].
pub fn assign_one_to_one(pairs: &[Pair]) -> Vec<Pair> {
    let mut left_taken = HashSet::new();
    let mut right_taken = HashSet::new();
    pairs
        .iter()
        .filter(|&&(a, b, _)| {
            // Both inserts must run only when both sides are free.
            !left_taken.contains(&a) && !right_taken.contains(&b) && {
                left_taken.insert(a);
                right_taken.insert(b)
            }
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revised_text_matches_its_partner_only() {
        let left = [
            "We propose a transformer for protein folding that predicts residue contacts from sequence alone.",
            "A survey of reinforcement learning methods for robotic grasping in cluttered scenes.",
        ];
        let right = [
            "A broad survey of deep reinforcement learning for robotic grasping in clutter.",
            "We present a transformer model for protein folding predicting residue contacts from sequences.",
        ];
        let pairs = cross_pairs(&left, &right, 0.07).unwrap();
        let m = assign_one_to_one(&pairs);
        let got: Vec<(u32, u32)> = m.iter().map(|p| (p.0, p.1)).collect();
        assert!(got.contains(&(0, 1)) && got.contains(&(1, 0)), "{pairs:?}");
    }

    #[test]
    fn self_pairs_find_a_listing_twice() {
        let texts = [
            "graph neural networks for traffic forecasting on road sensor data",
            "a study of ocean temperatures in the arctic",
            "Graph neural networks for traffic forecasting on road-sensor data.",
        ];
        let pairs = self_pairs(&texts, 0.5).unwrap();
        assert_eq!(pairs.len(), 1);
        assert_eq!((pairs[0].0, pairs[0].1), (0, 2));
        assert!(pairs[0].2 > 0.99);
    }

    /// The features by their definition: normalise, split into words, hash unigrams, combine bigrams.
    #[test]
    fn features_follow_their_definition() {
        use crate::text::shingle::{for_each_word, normalize};
        use xxhash_rust::xxh3::xxh3_64_with_seed;
        let reference = |text: &str| {
            let mut words = Vec::new();
            for_each_word(&normalize(text), |w| {
                words.push(xxh3_64_with_seed(w.as_bytes(), UNIGRAM_SEED))
            });
            let mut out = words.clone();
            out.extend(words.windows(2).map(|p| combine_hashes(p, BIGRAM_SEED)));
            out.sort_unstable();
            out.dedup();
            out
        };
        let long = "Word_1 and WORD 2, ".repeat(300);
        // Features come in order of first occurrence, each once: compared as sets, with no repeats.
        let as_set = |mut f: Vec<u64>| {
            let n = f.len();
            f.sort_unstable();
            f.dedup();
            assert_eq!(f.len(), n, "a feature repeated");
            f
        };
        for text in [
            "",
            "  ",
            "One",
            "Graph Neural Networks for traffic: a study (v2).",
            "Caf\u{e9} na\u{ef}ve \u{fb01}nance \u{ff21}",
            long.as_str(),
        ] {
            assert_eq!(as_set(features(text)), reference(text), "{text:?}");
        }
        let texts = ["a b c", "\u{e9}t\u{e9} chaud", "x"];
        let batch = all_features(&texts);
        for (t, f) in texts.iter().zip(batch) {
            assert_eq!(as_set(f), reference(t));
        }
    }

    #[test]
    fn document_frequencies_count_every_set_holding_a_feature() {
        // Features spread over every partition, some shared by many sets, some by none.
        let mut state = 7u64;
        let sets: Vec<Vec<u64>> = (0..300)
            .map(|d| {
                let mut set: Vec<u64> = (0..(d % 50))
                    .map(|_| {
                        state = crate::minhash::splitmix64(&mut state);
                        if state.is_multiple_of(3) {
                            (state % 40).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                        } else {
                            state
                        }
                    })
                    .collect();
                set.sort_unstable();
                set.dedup();
                set
            })
            .collect();
        let mut naive: std::collections::HashMap<u64, u32> = Default::default();
        for f in sets.iter().flatten() {
            *naive.entry(*f).or_default() += 1;
        }
        let counted = Counted::new(&sets);
        let mut got = Vec::new();
        for (c, docs) in sets.chunks(CHUNK_DOCS).enumerate() {
            let mut at = counted.chunk_starts[c];
            for set in docs {
                counted.gather(set, &mut at, &mut got);
                let want: Vec<u32> = set.iter().map(|f| naive[f]).collect();
                assert_eq!(got, want);
            }
        }
        assert_eq!(counted.most, naive.values().copied().max().unwrap());
    }

    /// Early termination never changes a verdict: `verify` keeps a pair exactly when its exact score
    /// reaches the threshold, at thresholds right around the pair's own score too.
    #[test]
    fn verification_stops_only_below_the_threshold() {
        let mut state = 3u64;
        let vocab: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
        let texts: Vec<String> = (0..40)
            .map(|d| {
                let n = 1 + d % 30;
                (0..n)
                    .map(|_| {
                        state = crate::minhash::splitmix64(&mut state);
                        // Skewed: low words are common, high ones rare.
                        let i = (state % 60) * (state >> 32 & 3) / 3;
                        vocab[i as usize].as_str()
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let w = weigh(all_features(&texts));
        let mut set = tables::Set::default();
        for a in 0..w.len() {
            set.fill(w.shared(a).0);
            let probe = Probe {
                set: &set,
                total: w.totals[a],
                unique: w.unique[a],
            };
            let mine: std::collections::HashSet<u64> = w.shared(a).0.iter().copied().collect();
            for b in 0..w.len() {
                let (fb, db) = w.shared(b);
                let inter: u64 = fb
                    .iter()
                    .zip(db)
                    .filter(|(f, _)| mine.contains(f))
                    .map(|(_, &d)| w.wq[d as usize])
                    .sum();
                let exact = inter as f64 / (w.totals[a] + w.totals[b] - inter) as f64;
                let near = [
                    exact,
                    exact - 1e-12,
                    exact + 1e-12,
                    exact / 2.0,
                    0.07,
                    0.5,
                    1.0,
                ];
                for t in near.into_iter().filter(|t| *t > 0.0 && *t <= 1.0) {
                    let got = verify(&probe, &w, b, t).filter(|&s| s >= t);
                    assert_eq!(got, (exact >= t).then_some(exact), "{a} {b} {t}");
                }
            }
        }
    }

    #[test]
    fn bad_threshold_is_an_error() {
        assert!(cross_pairs(&["a"], &["b"], 0.0).is_err());
        assert!(self_pairs(&["a"], 1.5).is_err());
    }
}
