//! One longest common subsequence of two id sequences, by bit-parallel dynamic programming.
//!
//! Row `i` of the LCS table `L[i][j] = LCS(a[..i], b[..j])` is held as a bit vector `V_i` over the positions
//! of `b`: bit `j` is 0 exactly when `L[i][j+1] = L[i][j] + 1`. With `M` the match mask of `a[i]` (bits of
//! the positions where `b` holds the same token), Hyyrö's recurrence is
//! `U = V & M; V' = (V + U) | (V - U)` — one addition with carry across machine words — so a row costs
//! `⌈m/64⌉` word operations and the table `O(n⌈m/64⌉)` (Allison & Dix 1986; Crochemore et al. 2001;
//! Hyyrö 2004, "Bit-parallel LCS-length computation revisited"). The same recurrence is what rapidfuzz uses.
//!
//! The alignment is traced back through the stored rows. When the rows would not fit a fixed memory budget,
//! Hirschberg's divide and conquer (Hirschberg 1975) splits `a` in half, finds where an optimal path crosses
//! the middle from a forward pass over the top half and a backward pass over the bottom half, and recurses;
//! time stays `O(nm/64)` (about twice the single pass), memory `O(m)` plus the budget. Every subproblem
//! first strips its common prefix and suffix, which are always part of some LCS.
//!
//! **Bounds.** Tokens found on one side only can never match: they are dropped before anything else, so two
//! unrelated texts cost one linear pass. The match masks take (distinct tokens of `b`) × `⌈m/64⌉` words and
//! the table `n⌈m/64⌉` word operations, both quadratic in the length: a subproblem over either budget
//! ([`WORK_CAP`], [`WORK_PER_TOKEN`], [`MASK_CAP`]) is not solved exactly but cut at the tokens unique to both sides
//! ([`super::anchors`], patience diff) into gaps solved on their own, a few levels deep; a gap still over
//! budget with no such anchor is left unmatched (all deleted and inserted). The script then stays exact,
//! only coarser than the minimal one, and time and memory stay near-linear past the budgets.

use super::anchors::Anchors;
use super::intern::ABSENT;
use super::myers;

/// Stored rows (u64 words) beyond which a subproblem is split instead of traced back in one piece.
const ROWS_BUDGET: usize = 1 << 20;

/// Table size (u64 words) from which a subproblem first tries Myers' middle snake: below it the table is
/// a few microseconds of work and always wins.
const MYERS_FROM: usize = 1 << 13;

/// Table size (u64 word operations) above which a subproblem is not solved exactly: a fraction of a second.
const WORK_CAP: usize = 1 << 28;

/// Table size a token of the subproblem (both sides) above which it is not solved exactly either: the
/// exact table is quadratic, so a constant cap alone lets the time grow fourfold each time a pair's length
/// doubles up to the cap. With this one, a pair one of whose sides has at most `64 · 128 = 8192` tokens
/// (every abstract, most papers) is always exact, and past about 16k tokens a side the work stays
/// proportional to the length.
const WORK_PER_TOKEN: usize = 128;

/// Match-mask words (8 bytes each) above which a subproblem is not solved exactly: 32 MiB.
const MASK_CAP: usize = 1 << 22;

/// Levels of anchor cuts before an over-budget gap is left unmatched; each level is a linear pass.
const ANCHOR_DEPTH: u32 = 4;

/// Reusable buffers: one per thread, so batches allocate once.
pub(crate) struct Lcs {
    /// Stored-row budget and Myers threshold (fields so that tests can force every path).
    budget: usize,
    myers_from: usize,
    work_cap: usize,
    work_per_token: usize,
    mask_cap: usize,
    /// Match masks, `w` words per row; row 0 stays zero (tokens absent from the current `b`).
    pm: Vec<u64>,
    /// Token id → row of `pm` (0 = none); reset after each subproblem.
    slot: Vec<u32>,
    /// One bit a token id, all clear between uses: the marks of [`Lcs::on_shared`] and
    /// [`Lcs::distinct`]. Those passes visit the ids in text order, that is at random places of the
    /// table: a bit each (`slot` takes 32) keeps a long text's table in cache.
    marks: Vec<u64>,
    /// The current row.
    v: Vec<u64>,
    /// All rows of a traced subproblem.
    rows: Vec<u64>,
    /// Prefix LCS lengths of the forward pass (Hirschberg).
    fwd: Vec<u32>,
    /// Furthest-reaching paths of Myers' search.
    v1: Vec<isize>,
    v2: Vec<isize>,
    /// The sequences with one-sided tokens dropped ([`Lcs::on_shared`]): whole inputs, and gaps between
    /// anchors (which are solved while the former are in use).
    top: Shared,
    gap: Shared,
    /// Scratch of the unique-token anchors.
    anchors: Anchors,
    /// Whether gaps between anchors drop their one-sided tokens before the table (tests turn it off to
    /// compare).
    gap_filter: bool,
    /// Table cells (u64 words) computed by the last [`Lcs::matches`]: the work the bounds are about.
    pub table_words: usize,
}

impl Default for Lcs {
    fn default() -> Self {
        Lcs {
            budget: ROWS_BUDGET,
            myers_from: MYERS_FROM,
            work_cap: WORK_CAP,
            work_per_token: WORK_PER_TOKEN,
            mask_cap: MASK_CAP,
            pm: Vec::new(),
            slot: Vec::new(),
            marks: Vec::new(),
            v: Vec::new(),
            rows: Vec::new(),
            fwd: Vec::new(),
            v1: Vec::new(),
            v2: Vec::new(),
            top: Shared::default(),
            gap: Shared::default(),
            anchors: Anchors::default(),
            gap_filter: true,
            table_words: 0,
        }
    }
}

/// Two sequences with their one-sided tokens dropped, and the positions the kept tokens had.
#[derive(Default)]
struct Shared {
    a: Vec<u32>,
    b: Vec<u32>,
    ia: Vec<usize>,
    ib: Vec<usize>,
}

/// Which rule tells the tokens of `a` found in `b` ([`Lcs::on_shared`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    /// Whole inputs: every id of `a` but [`ABSENT`] occurs in `b` (the interner gives no other), so `b`
    /// need not be marked.
    NotAbsent,
    /// A gap between anchors: its tokens' partners may lie in other gaps, so `a` is checked against `b`.
    InB,
}

#[inline]
fn words(m: usize) -> usize {
    m.div_ceil(64)
}

#[inline(always)]
fn set_mark(marks: &mut [u64], id: u32) {
    marks[id as usize / 64] |= 1 << (id % 64);
}

/// Copies the tokens of `seq` that `keep` keeps, with their positions, into `kept` and `at` (left
/// empty when it keeps them all), and says whether any was dropped. Nothing is copied before the first
/// dropped token is met: a sequence kept whole is used as it is.
fn keep_from_first_drop(
    seq: &[u32],
    kept: &mut Vec<u32>,
    at: &mut Vec<usize>,
    keep: impl Fn(u32) -> bool,
) -> bool {
    let Some(first) = seq.iter().position(|&id| !keep(id)) else {
        return false;
    };
    kept.extend_from_slice(&seq[..first]);
    at.extend(0..first);
    for (i, &id) in seq.iter().enumerate().skip(first + 1) {
        if keep(id) {
            kept.push(id);
            at.push(i);
        }
    }
    true
}

#[inline(always)]
fn is_marked(marks: &[u64], id: u32) -> bool {
    marks[id as usize / 64] >> (id % 64) & 1 == 1
}

fn clear_marks(marks: &mut [u64], ids: &[u32]) {
    for &id in ids {
        marks[id as usize / 64] = 0;
    }
}

/// The highest position `z < j` whose bit in `row` is clear.
#[inline]
fn highest_zero_below(row: &[u64], j: usize) -> Option<usize> {
    let top = j - 1;
    let mut k = top / 64;
    let keep = if top % 64 == 63 {
        !0
    } else {
        (1u64 << (top % 64 + 1)) - 1
    };
    let mut zeros = !row[k] & keep;
    loop {
        if zeros != 0 {
            return Some(k * 64 + 63 - zeros.leading_zeros() as usize);
        }
        if k == 0 {
            return None;
        }
        k -= 1;
        zeros = !row[k];
    }
}

impl Lcs {
    /// Appends to `out` the index pairs `(i, j)`, `a[i] == b[j]`, of one longest common subsequence, in
    /// increasing order. Ids of `b` lie in `0..k`; ids of `a` lie in `0..k` or are [`ABSENT`].
    pub fn matches(&mut self, a: &[u32], b: &[u32], k: usize, out: &mut Vec<(usize, usize)>) {
        if self.slot.len() < k {
            self.slot.resize(k, 0);
        }
        if self.marks.len() < k.div_ceil(64) {
            self.marks.resize(k.div_ceil(64), 0);
        }
        self.table_words = 0;
        self.on_shared(
            Found::NotAbsent,
            a,
            0,
            b,
            0,
            out,
            |lcs, a, ao, b, bo, out| {
                lcs.solve(a, ao, b, bo, out, true, 0);
            },
        );
    }

    /// Runs `inner` on the tokens of `a` found in `b` (by the rule `found`) against those of `b` found in
    /// `a`, and appends its matches as positions of `a` and `b` offset by `ao` and `bo` (as `inner` itself
    /// is given them); when no token is dropped, runs it on `a` and `b` themselves. Tokens found on one
    /// side only can never match, so the matches are those of the whole sequences.
    #[allow(clippy::too_many_arguments)]
    fn on_shared(
        &mut self,
        found: Found,
        a: &[u32],
        ao: usize,
        b: &[u32],
        bo: usize,
        out: &mut Vec<(usize, usize)>,
        inner: impl FnOnce(&mut Self, &[u32], usize, &[u32], usize, &mut Vec<(usize, usize)>),
    ) {
        let in_b = found == Found::InB;
        let mut s = std::mem::take(if in_b { &mut self.gap } else { &mut self.top });
        s.a.clear();
        s.b.clear();
        s.ia.clear();
        s.ib.clear();
        // `marks` is all clear between subproblems; mark, filter, unmark, once for each side.
        let marks = &mut self.marks;
        if in_b {
            for &id in b {
                set_mark(marks, id);
            }
        }
        // The kept tokens are copied out only from the first dropped one on: when nothing is dropped
        // (two texts of the same words), the sequences are used as they are, with no copy and no
        // position list (12 bytes a token) written and read back.
        let cut_a = keep_from_first_drop(a, &mut s.a, &mut s.ia, |id| {
            id != ABSENT && (!in_b || is_marked(marks, id))
        });
        if in_b {
            clear_marks(marks, b);
        }
        let kept_a = if cut_a { &s.a[..] } else { a };
        for &id in kept_a {
            set_mark(marks, id);
        }
        let cut_b = keep_from_first_drop(b, &mut s.b, &mut s.ib, |id| is_marked(marks, id));
        clear_marks(marks, kept_a);
        let kept_a_empty = kept_a.is_empty();
        if !cut_a && !cut_b {
            inner(self, a, ao, b, bo, out);
        } else if !kept_a_empty {
            // Only one side cut: the other is copied whole, so that both are taken from `s`.
            if !cut_a {
                s.a.extend_from_slice(a);
                s.ia.extend(0..a.len());
            }
            if !cut_b {
                s.b.extend_from_slice(b);
                s.ib.extend(0..b.len());
            }
            let start = out.len();
            inner(self, &s.a, 0, &s.b, 0, out);
            for m in &mut out[start..] {
                *m = (ao + s.ia[m.0], bo + s.ib[m.1]);
            }
        }
        *(if in_b { &mut self.gap } else { &mut self.top }) = s;
    }

    /// Number of distinct ids in `b` (the rows of its match masks), via `marks` (left all clear).
    fn distinct(&mut self, b: &[u32]) -> usize {
        let mut n = 0;
        for &id in b {
            n += usize::from(!is_marked(&self.marks, id));
            set_mark(&mut self.marks, id);
        }
        clear_marks(&mut self.marks, b);
        n
    }

    /// Over budget: cut `a`/`b` at the tokens unique to both and solve the gaps, or leave them unmatched.
    #[allow(clippy::too_many_arguments)]
    fn solve_coarse(
        &mut self,
        a: &[u32],
        ao: usize,
        b: &[u32],
        bo: usize,
        out: &mut Vec<(usize, usize)>,
        depth: u32,
    ) {
        if depth >= ANCHOR_DEPTH {
            return;
        }
        let anchors = self.anchors.unique(a, b);
        let (mut pa, mut pb) = (0, 0);
        for &(x, y) in &anchors {
            self.solve(&a[pa..x], ao + pa, &b[pb..y], bo + pb, out, true, depth + 1);
            out.push((ao + x, bo + y));
            (pa, pb) = (x + 1, y + 1);
        }
        if !anchors.is_empty() {
            self.solve(&a[pa..], ao + pa, &b[pb..], bo + pb, out, true, depth + 1);
        }
    }

    /// `myers`: whether Myers' search may be tried (not below a subproblem where it already gave up:
    /// the halves of unrelated texts are unrelated too). `depth`: levels of anchor cuts above.
    #[allow(clippy::too_many_arguments)]
    fn solve(
        &mut self,
        a: &[u32],
        ao: usize,
        b: &[u32],
        bo: usize,
        out: &mut Vec<(usize, usize)>,
        myers: bool,
        depth: u32,
    ) {
        let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        out.extend((0..pre).map(|t| (ao + t, bo + t)));
        let (a, b, ao, bo) = (&a[pre..], &b[pre..], ao + pre, bo + pre);
        let suf = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        let (a, b) = (&a[..a.len() - suf], &b[..b.len() - suf]);
        if !a.is_empty() && !b.is_empty() {
            let cost = a.len() * words(b.len());
            let work_cap = self
                .work_cap
                .min(self.work_per_token.saturating_mul(a.len() + b.len()));
            let try_myers = myers && cost > self.myers_from;
            if try_myers {
                // Long inputs that differ little split far cheaper along Myers' middle snake. A diagonal
                // step costs a few table words, so the search stops after cost/8 steps: unrelated texts
                // lose about half a table pass by trying, once per chain of subproblems.
                // Over the work budget the search is shorter still (a pair that differs by more goes
                // to the anchor cuts, which are linear), so that it stays cheap beside the input.
                let cap = if cost > work_cap {
                    work_cap.isqrt() / 4
                } else {
                    cost.isqrt() / 4
                };
                let (mut v1, mut v2) = (std::mem::take(&mut self.v1), std::mem::take(&mut self.v2));
                let split = myers::middle_snake(a, b, cap, &mut v1, &mut v2);
                (self.v1, self.v2) = (v1, v2);
                if let Some((x, y)) = split.filter(|&s| s != (0, 0) && s != (a.len(), b.len())) {
                    self.solve(&a[..x], ao, &b[..y], bo, out, true, depth);
                    self.solve(&a[x..], ao + x, &b[y..], bo + y, out, true, depth);
                    let (an, bn) = (ao + a.len(), bo + b.len());
                    out.extend((0..suf).map(|t| (an + t, bn + t)));
                    return;
                }
            }
            if cost > work_cap
                || (a.len() >= 2
                    && b.len() * words(b.len()) > self.mask_cap
                    && self.distinct(b) * words(b.len()) > self.mask_cap)
            {
                self.solve_coarse(a, ao, b, bo, out, depth);
            } else if depth > 0 && self.gap_filter && (cost <= self.budget || a.len() < 2) {
                self.trace_shared(a, ao, b, bo, out);
            } else if cost <= self.budget || a.len() < 2 {
                self.trace(a, ao, b, bo, out);
            } else {
                let mid = a.len() / 2;
                let j = self.split(a, b, mid);
                self.solve(&a[..mid], ao, &b[..j], bo, out, myers && !try_myers, depth);
                self.solve(
                    &a[mid..],
                    ao + mid,
                    &b[j..],
                    bo + j,
                    out,
                    myers && !try_myers,
                    depth,
                );
            }
        }
        let (an, bn) = (ao + a.len(), bo + b.len());
        out.extend((0..suf).map(|t| (an + t, bn + t)));
    }

    /// Fills `pm` with the match masks of `b`, taken in the order of `bits` (bit 0 = first item).
    fn build_pm(&mut self, bits: impl Iterator<Item = u32>, w: usize) {
        self.pm.clear();
        self.pm.resize(w, 0);
        for (pos, id) in bits.enumerate() {
            let id = id as usize;
            let mut row = self.slot[id] as usize;
            if row == 0 {
                row = self.pm.len() / w;
                self.slot[id] = row as u32;
                self.pm.resize(self.pm.len() + w, 0);
            }
            self.pm[row * w + pos / 64] |= 1 << (pos % 64);
        }
    }

    fn reset_slots(&mut self, b: &[u32]) {
        for &id in b {
            self.slot[id as usize] = 0;
        }
    }

    /// One step of the recurrence: `v` becomes the row after a token with match mask `m`.
    #[inline(always)]
    fn step(v: &mut [u64], m: &[u64]) {
        if let ([x], [mk]) = (&mut *v, m) {
            let u = *x & mk;
            *x = x.wrapping_add(u) | (*x - u);
            return;
        }
        let mut carry = false;
        for (x, &mk) in v.iter_mut().zip(m) {
            let u = *x & mk;
            let (s, c1) = x.overflowing_add(u);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            carry = c1 | c2;
            // u ⊆ x, so x - u never borrows.
            *x = s | (*x - u);
        }
    }

    #[inline]
    fn mask(&self, id: u32, w: usize) -> &[u64] {
        let row = if id == ABSENT {
            0
        } else {
            self.slot[id as usize] as usize
        };
        &self.pm[row * w..row * w + w]
    }

    /// Runs the recurrence over `rows_ids` from `V = all ones`, leaving the last row in `v`.
    fn run(&mut self, rows_ids: impl Iterator<Item = u32>, w: usize) {
        let mut v = std::mem::take(&mut self.v);
        v.clear();
        v.resize(w, !0);
        for id in rows_ids {
            Self::step(&mut v, self.mask(id, w));
        }
        self.v = v;
    }

    /// Runs the recurrence over all of `a`, keeping every row in `rows` (row `i` = `V_{i+1}`).
    fn run_stored(&mut self, a: &[u32], w: usize) {
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        rows.resize(a.len() * w, !0);
        for (i, &id) in a.iter().enumerate() {
            let (done, rest) = rows.split_at_mut(i * w);
            let cur = &mut rest[..w];
            if i > 0 {
                // A word loop, not `copy_from_slice`: rows are a few words and a memcpy call costs more.
                for (c, &p) in cur.iter_mut().zip(&done[(i - 1) * w..]) {
                    *c = p;
                }
            }
            Self::step(cur, self.mask(id, w));
        }
        self.rows = rows;
    }

    /// One LCS of `a` and `b` from the full table.
    fn trace(&mut self, a: &[u32], ao: usize, b: &[u32], bo: usize, out: &mut Vec<(usize, usize)>) {
        let w = words(b.len());
        self.table_words += a.len() * w;
        self.build_pm(b.iter().copied(), w);
        self.run_stored(a, w);
        self.reset_slots(b);
        // Walk back from (n, m). Bit j-1 of V_i set: L[i][j] = L[i][j-1], so b[j-1] is not matched here;
        // a bit scan skips all such columns at once, to the highest clear bit z < j. Then a[i-1] is
        // deleted if L[i-1][z+1] already reaches L[i][z+1] (bit z of V_{i-1} clear), or matched with b[z].
        // V_0 is all ones.
        let start = out.len();
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let Some(z) = highest_zero_below(&self.rows[(i - 1) * w..i * w], j) else {
                break;
            };
            i -= 1;
            if i == 0 || (self.rows[(i - 1) * w + z / 64] >> (z % 64)) & 1 == 1 {
                out.push((ao + i, bo + z));
                j = z;
            } else {
                j = z + 1;
            }
        }
        out[start..].reverse();
    }

    /// [`Lcs::trace`] of the tokens of `a` found in `b` against those of `b` found in `a`. Between two
    /// anchors of unrelated texts most tokens have their partner in another gap, so the table shrinks to
    /// a fraction, and the result is the full table's: a row of `a` without a match repeats the row before
    /// it, which the walk back passes over without moving, and a column of `b` without a match stays set in
    /// every row, where the carry of the addition crosses it unchanged, so every other bit is as without it.
    fn trace_shared(
        &mut self,
        a: &[u32],
        ao: usize,
        b: &[u32],
        bo: usize,
        out: &mut Vec<(usize, usize)>,
    ) {
        self.on_shared(Found::InB, a, ao, b, bo, out, Self::trace);
    }

    /// Hirschberg's split: a `j` such that an LCS of `a` and `b` is an LCS of `(a[..mid], b[..j])` followed
    /// by one of `(a[mid..], b[j..])`.
    fn split(&mut self, a: &[u32], b: &[u32], mid: usize) -> usize {
        let (m, w) = (b.len(), words(b.len()));
        self.table_words += a.len() * w;
        // Forward: fwd[j] = LCS(a[..mid], b[..j]).
        self.build_pm(b.iter().copied(), w);
        self.run(a[..mid].iter().copied(), w);
        self.reset_slots(b);
        self.fwd.clear();
        self.fwd.push(0);
        let mut l = 0u32;
        for j in 0..m {
            l += u32::from((self.v[j / 64] >> (j % 64)) & 1 == 0);
            self.fwd.push(l);
        }
        // Backward over reversed sequences: after it, the zeros of V among bits 0..t count
        // LCS(a[mid..], b[m-t..]).
        self.build_pm(b.iter().rev().copied(), w);
        self.run(a[mid..].iter().rev().copied(), w);
        self.reset_slots(b);
        let total_back: u32 = (0..m)
            .map(|t| u32::from((self.v[t / 64] >> (t % 64)) & 1 == 0))
            .sum();
        // bwd(j) = LCS(a[mid..], b[j..]) = zeros among bits 0..m-j: going from j to j+1 drops bit m-1-j.
        let (mut best, mut best_j) = (0u32, 0usize);
        let mut back = total_back;
        for j in 0..=m {
            let s = self.fwd[j] + back;
            if s > best || j == 0 {
                best = s;
                best_j = j;
            }
            if j < m {
                let t = m - 1 - j;
                back -= u32::from((self.v[t / 64] >> (t % 64)) & 1 == 0);
            }
        }
        best_j
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::diff::lcs_len as naive;

    /// Asserts that `out` pairs equal tokens of `a` and `b`, in increasing order on both sides (a common
    /// subsequence), and returns its length.
    fn common_len(a: &[u32], b: &[u32], out: &[(usize, usize)]) -> usize {
        for w in out.windows(2) {
            assert!(w[0].0 < w[1].0 && w[0].1 < w[1].1);
        }
        for &(i, j) in out {
            assert_eq!(a[i], b[j]);
        }
        out.len()
    }

    /// A shift: `a` is a heavy-tailed token stream, `b` the same stream from a third of the way in,
    /// followed by as many new tokens; ids as the interner gives them.
    fn shifted(n: usize) -> (Vec<u32>, Vec<u32>, usize) {
        let mut s = 7u64;
        // Ranks with weight about 1/r over a 30k vocabulary, as words in text.
        let stream: Vec<u32> = (0..n + n / 3)
            .map(|_| {
                let u = (f64::from(lcg(&mut s, 1 << 30)) + 0.5) / f64::from(1u32 << 30);
                (30_000f64.powf(u) as u32).min(29_999)
            })
            .collect();
        let mut b_raw: Vec<u32> = stream[n / 3..].to_vec();
        b_raw.extend((0..n / 3).map(|i| 40_000 + i as u32));
        let mut id = std::collections::HashMap::new();
        let b: Vec<u32> = b_raw
            .iter()
            .map(|t| {
                let next = id.len() as u32;
                *id.entry(*t).or_insert(next)
            })
            .collect();
        let a: Vec<u32> = stream[..n]
            .iter()
            .map(|t| *id.get(t).unwrap_or(&ABSENT))
            .collect();
        (a, b, id.len())
    }

    /// Past the exact solver's budget a long shift is cut at its unique tokens, and nearly all of what
    /// the two texts share is still matched.
    #[test]
    fn a_long_shift_stays_nearly_minimal() {
        for n in [12_000, 20_000, 40_000] {
            let (a, b, k) = shifted(n);
            let mut out = Vec::new();
            Lcs::default().matches(&a, &b, k, &mut out);
            let (found, shared) = (common_len(&a, &b, &out), n - n / 3);
            assert!(found * 100 >= shared * 95, "n {n}: {found} of {shared}");
        }
    }

    fn check(a: &[u32], b: &[u32]) {
        let k = b.iter().map(|&x| x as usize + 1).max().unwrap_or(0);
        let a: Vec<u32> = a
            .iter()
            .map(|&x| if (x as usize) < k { x } else { ABSENT })
            .collect();
        let mut out = Vec::new();
        Lcs::default().matches(&a, b, k, &mut out);
        assert_eq!(common_len(&a, b, &out), naive(&a, b), "{a:?} {b:?}");
    }

    /// `n` ids drawn from `0..k`.
    fn seq(s: &mut u64, n: usize, k: u32) -> Vec<u32> {
        (0..n).map(|_| lcg(s, k)).collect()
    }

    /// The length of the common subsequence `lcs` finds.
    fn found(lcs: &mut Lcs, a: &[u32], b: &[u32], k: usize) -> usize {
        let mut out = Vec::new();
        lcs.matches(a, b, k, &mut out);
        common_len(a, b, &out)
    }

    fn lcg(seed: &mut u64, k: u32) -> u32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 33) % u64::from(k)) as u32
    }

    #[test]
    fn small_cases() {
        check(&[], &[]);
        check(&[1], &[]);
        check(&[0, 1, 2], &[2, 1, 0]);
        check(&[0, 1, 0, 1], &[1, 0, 1, 0, 1]);
    }

    #[test]
    fn random_against_naive_across_word_boundaries() {
        let mut s = 7;
        for round in 0..300 {
            let (n, m) = (lcg(&mut s, 200) as usize, lcg(&mut s, 200) as usize);
            let k = 2 + round % 9;
            let a = seq(&mut s, n, k);
            let b = seq(&mut s, m, k);
            check(&a, &b);
        }
    }

    #[test]
    fn myers_splits_of_related_sequences_stay_optimal() {
        let mut s = 5;
        for _ in 0..60 {
            let n = lcg(&mut s, 400) as usize + 1;
            let a = seq(&mut s, n, 6);
            let mut b = a.clone();
            for _ in 0..lcg(&mut s, 20) {
                let p = lcg(&mut s, b.len() as u32 + 1) as usize;
                if lcg(&mut s, 2) == 0 && p < b.len() {
                    b.remove(p);
                } else {
                    b.insert(p, lcg(&mut s, 6));
                }
            }
            let mut lcs = Lcs {
                myers_from: 0,
                ..Lcs::default()
            };
            assert_eq!(found(&mut lcs, &a, &b, 6), naive(&a, &b));
        }
    }

    #[test]
    fn hirschberg_recursion_matches_naive() {
        let mut s = 11;
        for (budget, myers_from) in [
            (1, usize::MAX),
            (3, usize::MAX),
            (40, usize::MAX),
            (1, 0),
            (40, 0),
        ] {
            for _ in 0..15 {
                let (n, m) = (lcg(&mut s, 300) as usize + 2, lcg(&mut s, 300) as usize);
                let a = seq(&mut s, n, 4);
                let b = seq(&mut s, m, 4);
                let mut lcs = Lcs {
                    budget,
                    myers_from,
                    ..Lcs::default()
                };
                assert_eq!(found(&mut lcs, &a, &b, 4), naive(&a, &b));
            }
        }
    }

    #[test]
    fn over_budget_pairs_get_a_valid_coarser_subsequence() {
        let mut s = 3;
        let caps = [
            (0, usize::MAX, usize::MAX),
            (usize::MAX, usize::MAX, 0),
            (usize::MAX, 0, usize::MAX),
            (50, 50, 1),
        ];
        for (work_cap, mask_cap, work_per_token) in caps {
            for round in 0..40 {
                let (n, m) = (lcg(&mut s, 300) as usize + 2, lcg(&mut s, 300) as usize + 1);
                let k = 3 + round * 20;
                let a = seq(&mut s, n, k);
                let b = seq(&mut s, m, k);
                let mut lcs = Lcs {
                    work_cap,
                    mask_cap,
                    work_per_token,
                    ..Lcs::default()
                };
                assert!(found(&mut lcs, &a, &b, k as usize) <= naive(&a, &b));
            }
        }
    }

    #[test]
    fn one_sided_tokens_are_dropped_by_either_rule_and_matches_mapped_back() {
        // What `inner` is given, and its matches (every pair of equal kept tokens' first ones) mapped back.
        let run =
            |found, a: &[u32], b: &[u32]| {
                let mut lcs = Lcs::default();
                lcs.slot.resize(8, 0);
                lcs.marks.resize(1, 0);
                let (mut seen, mut out) = (Vec::new(), vec![(99, 99)]);
                lcs.on_shared(found, a, 10, b, 20, &mut out, |_, a, ao, b, bo, out| {
                    seen = vec![a.to_vec(), b.to_vec(), vec![ao as u32, bo as u32]];
                    out.extend(a.iter().enumerate().filter_map(|(i, x)| {
                        b.iter().position(|y| y == x).map(|j| (ao + i, bo + j))
                    }));
                });
                assert!(lcs.slot.iter().all(|&s| s == 0), "slots left marked");
                assert!(lcs.marks.iter().all(|&m| m == 0), "ids left marked");
                (seen, out)
            };
        let (a, b) = ([4, ABSENT, 2, 1, 3], [1, 5, 4, 6]);
        // In a gap, 2 and 3 are not in `b`, and 5 and 6 not in `a`.
        let (seen, out) = run(Found::InB, &a, &b);
        assert_eq!(seen, [vec![4, 1], vec![1, 4], vec![0, 0]]);
        assert_eq!(out, [(99, 99), (10, 22), (13, 20)]);
        // At the top, ids other than ABSENT are taken to be in `b` (the interner's promise).
        let (seen, _) = run(Found::NotAbsent, &a, &b);
        assert_eq!(seen[0], [4, 2, 1, 3]);
        assert_eq!(seen[1], [1, 4]);
        // Nothing dropped: the sequences themselves, with their offsets.
        let (seen, out) = run(Found::InB, &[1, 4], &[4, 1]);
        assert_eq!(seen, [vec![1, 4], vec![4, 1], vec![10, 20]]);
        assert_eq!(out, [(99, 99), (10, 21), (11, 20)]);
        // No token of `a` shared: `inner` is not run.
        let (seen, out) = run(Found::InB, &[2, 3], &[4]);
        assert!(seen.is_empty() && out == [(99, 99)]);
    }

    #[test]
    fn gaps_between_anchors_give_the_full_tables_matches() {
        // Forced anchor cuts (a tiny work cap) over related and unrelated sequences: the gaps traced on
        // their shared tokens only must give exactly the matches of the full gap tables.
        let mut s = 17;
        for round in 0..200 {
            let n = lcg(&mut s, 400) as usize + 2;
            let k = 3 + (round % 10) * 40;
            let a = seq(&mut s, n, k);
            let b: Vec<u32> = if round % 2 == 0 {
                (0..lcg(&mut s, 400) + 1).map(|_| lcg(&mut s, k)).collect()
            } else {
                a.iter()
                    .map(|&x| {
                        if lcg(&mut s, 5) == 0 {
                            lcg(&mut s, k)
                        } else {
                            x
                        }
                    })
                    .collect()
            };
            let run = |gap_filter| {
                let mut lcs = Lcs {
                    work_cap: 8 + round as usize % 50,
                    gap_filter,
                    ..Lcs::default()
                };
                let mut out = Vec::new();
                lcs.matches(&a, &b, k as usize, &mut out);
                out
            };
            assert_eq!(run(true), run(false), "round {round}");
        }
    }

    #[test]
    fn shuffled_texts_cost_no_gap_tables() {
        // The same 60,000 distinct tokens in two random orders: past the work bound the pair is cut at
        // its unique tokens (all of them) into ~500 gaps of ~120 tokens a side, whose tokens nearly all
        // match in other gaps. Traced whole, the gap tables would take ~150k words; on their shared
        // tokens, next to nothing. (Work grows with the square of a gap, so without the filter the
        // work per token grows with the square root of the length.)
        let mut s = 23;
        let mut perm = |n: u32| {
            let mut v: Vec<u32> = (0..n).collect();
            for i in (1..v.len()).rev() {
                v.swap(i, lcg(&mut s, i as u32 + 1) as usize);
            }
            v
        };
        let (a, b) = (perm(60_000), perm(60_000));
        let mut lcs = Lcs::default();
        let mut out = Vec::new();
        lcs.matches(&a, &b, b.len(), &mut out);
        assert!(out.len() > 100, "{}", out.len());
        assert!(lcs.table_words < 1000, "{} table words", lcs.table_words);
        let mut unfiltered = Lcs {
            gap_filter: false,
            ..Lcs::default()
        };
        let mut same = Vec::new();
        unfiltered.matches(&a, &b, b.len(), &mut same);
        assert_eq!(out, same);
        assert!(
            unfiltered.table_words > 50_000,
            "{}",
            unfiltered.table_words
        );
    }

    #[test]
    fn one_sided_tokens_are_dropped_before_the_table() {
        // No token in common: nothing to match, whatever the length (and no table is built).
        let a: Vec<u32> = vec![ABSENT; 100_000];
        let b: Vec<u32> = (0..100_000).collect();
        let mut lcs = Lcs::default();
        let mut out = Vec::new();
        lcs.matches(&a, &b, b.len(), &mut out);
        assert!(out.is_empty());
        assert!(lcs.pm.capacity() < 1 << 16);
    }
}
