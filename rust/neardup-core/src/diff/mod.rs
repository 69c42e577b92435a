//! Word-level (or character-level) diffs: minimal edit scripts, made readable, fast enough for batches.
//!
//! # Algorithm
//! 1. **Tokens.** Word unit: maximal runs of Python `\w` and every other non-whitespace code point on its
//!    own; whitespace is not a token (char unit: every code point is one). ASCII text is classified 64
//!    bytes at a time into bit masks (SSE2 on x86_64), so the tokenizer loops once per token.
//!    A token holds `u32` byte and code-point offsets (16 bytes), so that long texts' tokens stay in
//!    cache; texts over 4 GiB are tokenised with `usize` offsets instead and give the same script.
//! 2. **Trim and intern.** The common prefix and suffix are split off, first as bytes (compared 32 at a
//!    time, cut back to token boundaries, only counted), then as tokens: most pairs are identical or
//!    revised in a few places. The middle is interned to dense ids, `new`'s tokens first, in a reusable
//!    open-addressing table that verifies every hash match; a long middle is first scattered by hash into
//!    partitions whose tables stay in cache, so the time a token takes does not grow with the length.
//! 3. **LCS.** One longest common subsequence of the middles by bit-parallel dynamic programming (Allison &
//!    Dix 1986; Hyyrö 2004): `⌈m/64⌉` word operations per token of `old`, so `O(nm/64)` time whether the texts
//!    are related or not, traced back through the stored rows, or — above an 8 MB budget — by Hirschberg's
//!    divide and conquer in `O(m)` extra memory. Long middles that differ little are first split along
//!    Myers' middle snake (Myers 1986; `O((n+m)D)`, about `D²` on text; abandoned after an eighth of the
//!    table's size in steps, so unrelated texts lose little).
//!    Deleted + inserted tokens then equal the Indel (LCS) distance: with [`Cleanup::None`] the script is
//!    minimal. **Bound:** a subproblem whose table would exceed 128 word operations a token (both sides
//!    have more than about 8k tokens) or a fixed cap is cut instead at the tokens unique to both sides
//!    (patience anchors) into gaps solved the same way (each gap's table only over the tokens it shares
//!    with its other side, which gives the same matches); the script stays exact but may be coarser, and
//!    time and memory grow linearly with the length past that size.
//! 4. **Semantic cleanup** ([`Cleanup::Semantic`], the default): short coincidental equalities between two
//!    changes (at most two words) are folded into them, and lone insertions/deletions slide to natural
//!    boundaries, following diff-match-patch's `diff_cleanupSemantic` / `diff_cleanupSemanticLossless`
//!    (N. Fraser) on tokens.
//! 5. **Text ops.** The token script becomes [`Op`]s over both strings (byte and code-point offsets) that
//!    cover them exactly; whitespace goes to the neighbouring ops, and a whitespace-only difference becomes an
//!    op with no tokens, which costs nothing: in the word unit re-wrapping a text is not a change.
//!
//! Tokenising and building ops are linear; for two ~1 KB abstracts the whole diff takes a few microseconds.
//! A 100 KB pair (≈17k words each) costs at most ≈ 2 × 4.5 M word operations (unrelated texts), tens of
//! milliseconds; in the char unit (100k code points each) about half a second when unrelated.
//!
//! ```
//! use neardup_core::diff::{diff, Cleanup, Tag, Unit};
//!
//! let d = diff("the quick brown fox", "the quick red fox", Unit::Word, Cleanup::None);
//! assert_eq!(d.distance, 2);
//! let changed: Vec<_> = d.ops.iter().filter(|o| o.tag != Tag::Equal).collect();
//! assert_eq!((changed[0].old.cp_start, changed[0].old.cp_end), (10, 15));
//! ```

mod anchors;
mod cleanup;
pub mod controls;
mod intern;
mod lcs;
mod myers;
mod ops;
mod partitioned;
mod render;
mod restore;
mod script;
mod tokens;
mod trim;

use rayon::prelude::*;

use crate::error::{invalid, Result};
pub use crate::text::shingle::Unit;
pub(crate) use render::escape_html;
pub use render::Style;
pub use restore::CpOp;

use cleanup::Side;

/// The length of a longest common subsequence of `a` and `b` by the textbook `O(nm)` table: the
/// reference the diff tests (unit and property tests) hold the faster searches to.
#[doc(hidden)]
pub fn lcs_len<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diag = 0;
        for (j, y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if x == y { diag + 1 } else { up.max(row[j]) };
            diag = up;
        }
    }
    row[b.len()]
}
use intern::Interner;
use script::Seg;
use tokens::Token;

/// How the minimal script is post-processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Cleanup {
    /// Minimal: deleted + inserted tokens equal the Indel (LCS) distance.
    None,
    /// Readable: short coincidental equalities folded into the changes around them (the default).
    #[default]
    Semantic,
}

impl Cleanup {
    pub fn parse(name: &str) -> Result<Cleanup> {
        match name {
            "semantic" => Ok(Cleanup::Semantic),
            "none" => Ok(Cleanup::None),
            other => Err(invalid(
                "cleanup",
                format!("expected 'semantic' or 'none', got {other:?}"),
            )),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Cleanup::Semantic => "semantic",
            Cleanup::None => "none",
        }
    }
}

/// The kind of an [`Op`], as in `difflib`'s opcodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    Equal,
    Delete,
    Insert,
    Replace,
}

impl Tag {
    pub fn name(self) -> &'static str {
        match self {
            Tag::Equal => "equal",
            Tag::Delete => "delete",
            Tag::Insert => "insert",
            Tag::Replace => "replace",
        }
    }
    pub fn parse(name: &str) -> Result<Tag> {
        match name {
            "equal" => Ok(Tag::Equal),
            "delete" => Ok(Tag::Delete),
            "insert" => Ok(Tag::Insert),
            "replace" => Ok(Tag::Replace),
            other => Err(invalid(
                "tag",
                format!("expected 'equal', 'delete', 'insert' or 'replace', got {other:?}"),
            )),
        }
    }
}

/// A range of one text, in bytes (`start..end`, for slicing a `&str`) and in code points
/// (`cp_start..cp_end`, Python `str` indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub cp_start: usize,
    pub cp_end: usize,
}

impl Span {
    pub fn bytes(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
    pub fn chars(&self) -> std::ops::Range<usize> {
        self.cp_start..self.cp_end
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// One operation: `old[old]` becomes `new[new]`. `old_tokens`/`new_tokens` count the tokens inside; a
/// non-equal op with no tokens is a whitespace-only difference (word unit), which costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Op {
    pub tag: Tag,
    pub old: Span,
    pub new: Span,
    pub old_tokens: usize,
    pub new_tokens: usize,
}

impl Op {
    /// Whether the op is a real change (not equal, and not whitespace only).
    pub fn is_change(&self) -> bool {
        self.tag != Tag::Equal && self.old_tokens + self.new_tokens > 0
    }
}

/// The diff of two texts. It does not hold the texts: pass the same `old` and `new` to [`DiffResult::render`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DiffResult {
    pub unit: Unit,
    pub cleanup: Cleanup,
    /// Ops in order, covering both texts exactly; no two neighbours are both equal or both not equal.
    pub ops: Vec<Op>,
    /// Tokens deleted + inserted (whitespace-only ops count 0).
    pub distance: usize,
    pub old_tokens: usize,
    pub new_tokens: usize,
}

impl DiffResult {
    /// `1 - distance / (old_tokens + new_tokens)`; 1.0 when both texts have no tokens.
    pub fn ratio(&self) -> f64 {
        let total = self.old_tokens + self.new_tokens;
        if total == 0 {
            1.0
        } else {
            1.0 - self.distance as f64 / total as f64
        }
    }

    /// Whether any token changed.
    pub fn changed(&self) -> bool {
        self.distance > 0
    }

    /// The diff as marked-up text; `context = Some(n)` keeps `n` tokens around each change and elides the
    /// rest with `…`. Never panics, even when given texts other than the diffed ones.
    pub fn render(&self, old: &str, new: &str, style: Style, context: Option<usize>) -> String {
        render::render(self, old, new, style, context)
    }
}

/// A differ with reusable buffers: diffing many pairs one after another through one `Differ` allocates
/// (almost) nothing after the first few.
pub struct Differ {
    /// Longest text (bytes) tokenised with `u32` offsets ([`tokens::Offset`]); longer ones take `usize`
    /// offsets. A field so that tests can reach that path without 4 GiB texts.
    max_text: usize,
    ta: Vec<Token>,
    tb: Vec<Token>,
    ids: intern::Ids,
    interner: Interner,
    lcs: lcs::Lcs,
    matches: Vec<(usize, usize)>,
    script: Vec<Seg>,
    tmp: Vec<Seg>,
    ops: Vec<Op>,
}

impl Default for Differ {
    fn default() -> Self {
        Differ {
            max_text: u32::MAX as usize,
            ta: Vec::new(),
            tb: Vec::new(),
            ids: intern::Ids::default(),
            interner: Interner::default(),
            lcs: lcs::Lcs::default(),
            matches: Vec::new(),
            script: Vec::new(),
            tmp: Vec::new(),
            ops: Vec::new(),
        }
    }
}

impl Differ {
    pub fn new() -> Self {
        Self::default()
    }

    /// The diff of `old` and `new`.
    pub fn diff(&mut self, old: &str, new: &str, unit: Unit, cleanup: Cleanup) -> DiffResult {
        if old == new {
            // The most common pair of all in snapshot reconciliation: one equal op.
            return identical(old, unit, cleanup);
        }
        let fits = |text: &str| tokens::fits_u32(text.len(), self.max_text);
        if fits(old) && fits(new) {
            let (mut ta, mut tb) = (std::mem::take(&mut self.ta), std::mem::take(&mut self.tb));
            let d = self.diff_tokens(old, new, unit, cleanup, &mut ta, &mut tb);
            (self.ta, self.tb) = (ta, tb);
            d
        } else {
            // Over 4 GiB: the same script from tokens with `usize` offsets, twice the size, in buffers
            // that are not kept.
            let (mut ta, mut tb) = (Vec::<Token<usize>>::new(), Vec::new());
            self.diff_tokens(old, new, unit, cleanup, &mut ta, &mut tb)
        }
    }

    /// The diff of two different texts, whose lengths fit the offsets `O`, tokenised into `ta` and `tb`.
    fn diff_tokens<O: tokens::Offset>(
        &mut self,
        old: &str,
        new: &str,
        unit: Unit,
        cleanup: Cleanup,
        ta: &mut Vec<Token<O>>,
        tb: &mut Vec<Token<O>>,
    ) -> DiffResult {
        // Only the middle between the common ends is tokenised; the ends are counted.
        let f = trim::frame(old, new, unit);
        let pre = trim::count_tokens(&old[..f.lo], unit);
        let suf = trim::count_tokens(&old[f.old_hi..], unit);
        let lo_cp = old[..f.lo].chars().count();
        tokens::tokenize_at(&old[f.lo..f.old_hi], unit, (f.lo, lo_cp), ta);
        tokens::tokenize_at(&new[f.lo..f.new_hi], unit, (f.lo, lo_cp), tb);
        let (ta, tb) = (&ta[..], &tb[..]);
        let same = |x: &Token<O>, y: &Token<O>| {
            intern::same_bytes(
                old.as_bytes(),
                (x.start(), x.end()),
                new.as_bytes(),
                (y.start(), y.end()),
            )
        };
        let tpre = ta.iter().zip(tb).take_while(|(x, y)| same(x, y)).count();
        let tsuf = ta[tpre..]
            .iter()
            .rev()
            .zip(tb[tpre..].iter().rev())
            .take_while(|(x, y)| same(x, y))
            .count();
        let (ma, mb) = (&ta[tpre..ta.len() - tsuf], &tb[tpre..tb.len() - tsuf]);
        self.matches.clear();
        if !ma.is_empty() && !mb.is_empty() {
            let side = |text, toks| Side { text, toks };
            let k = self
                .interner
                .intern(side(old, ma), side(new, mb), &mut self.ids);
            self.lcs
                .matches(&self.ids.old, &self.ids.new, k, &mut self.matches);
        }
        script::from_matches(
            ta.len(),
            tb.len(),
            tpre,
            tsuf,
            &self.matches,
            &mut self.script,
        );
        if cleanup == Cleanup::Semantic {
            let side = |text, toks| Side { text, toks };
            cleanup::semantic(
                &mut self.script,
                side(old, ta),
                side(new, tb),
                unit,
                &mut self.tmp,
            );
        }
        let ends = ops::Ends {
            frame: f,
            lo_cp,
            pre_tokens: pre,
            suf_tokens: suf,
        };
        let distance = ops::build(old, ta, new, tb, unit, &self.script, ends, &mut self.ops);
        DiffResult {
            unit,
            cleanup,
            // An exact-size copy: results of large batches are kept, so no spare capacity.
            ops: self.ops.clone(),
            distance,
            old_tokens: pre + ta.len() + suf,
            new_tokens: pre + tb.len() + suf,
        }
    }
}

fn identical(text: &str, unit: Unit, cleanup: Cleanup) -> DiffResult {
    let n = trim::count_tokens(text, unit);
    let cps = text.chars().count();
    let span = Span {
        start: 0,
        end: text.len(),
        cp_start: 0,
        cp_end: cps,
    };
    let ops = if text.is_empty() {
        Vec::new()
    } else {
        vec![Op {
            tag: Tag::Equal,
            old: span,
            new: span,
            old_tokens: n,
            new_tokens: n,
        }]
    };
    DiffResult {
        unit,
        cleanup,
        ops,
        distance: 0,
        old_tokens: n,
        new_tokens: n,
    }
}

thread_local! {
    /// Buffers reused by [`diff`] across calls on one thread (one call at a time: nothing re-enters).
    static DIFFER: std::cell::RefCell<Differ> = std::cell::RefCell::new(Differ::new());
}

/// The diff of `old` and `new` (through a per-thread [`Differ`], so repeated calls do not reallocate).
pub fn diff(old: &str, new: &str, unit: Unit, cleanup: Cleanup) -> DiffResult {
    DIFFER.with(|d| match d.try_borrow_mut() {
        Ok(mut d) => d.diff(old, new, unit, cleanup),
        Err(_) => Differ::new().diff(old, new, unit, cleanup),
    })
}

/// Diffs of many `(old, new)` pairs, in parallel on rayon's pool, in input order.
pub fn diff_many<A, B>(pairs: &[(A, B)], unit: Unit, cleanup: Cleanup) -> Vec<DiffResult>
where
    A: AsRef<str> + Sync,
    B: AsRef<str> + Sync,
{
    pairs
        .par_iter()
        .with_min_len(8)
        .map_init(Differ::new, |d, (a, b)| {
            d.diff(a.as_ref(), b.as_ref(), unit, cleanup)
        })
        .collect()
}

#[cfg(test)]
mod tests;
