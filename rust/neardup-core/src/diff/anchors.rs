//! Anchors for the bounded fallback of [`super::lcs`]: the tokens that occur exactly once in each of two
//! sequences, kept in the longest run that is increasing on both sides (patience diff, B. Cohen; the
//! longest increasing subsequence by patience sorting, `O(u log u)` for `u` unique tokens).
//!
//! Past the size where an exact LCS would cost quadratic time or memory, these anchors cut a long pair
//! into independent gaps, each solved on its own: the common subsequence found is still a valid one
//! (every anchor is a real match, in order on both sides), only possibly shorter than the longest, so the
//! edit script stays exact and becomes at most coarser.

/// No occurrence of a token in `b` yet.
const NONE: u32 = u32::MAX;
/// More than one occurrence in `b`.
const MANY: u32 = u32::MAX - 1;

/// Scratch kept across calls. Ids are dense (the interner numbers `new`'s tokens `0..k`), so tables
/// indexed by id replace a sort or a hash map; only the entries a call touched are reset, so a call on a
/// short gap costs its own length, not `k`.
///
/// `a` is walked in an order unrelated to the ids (every token of a shuffled text is looked up at a
/// random place of the tables), so what it looks up is kept small: how often each id occurs in `a` is
/// two bits, in bit sets of `k / 4` bytes that stay in cache however long the text, and only the tokens
/// found once there read their position in `b`, a `u32`.
#[derive(Debug, Default)]
pub(crate) struct Anchors {
    /// For each token id: its one position in `b`, or [`NONE`] / [`MANY`].
    at_b: Vec<u32>,
    /// Bit `id`: `id` occurs in `a`; in `twice`, more than once.
    once: Vec<u64>,
    twice: Vec<u64>,
    /// The candidate pairs and the increasing run's links, reused.
    pairs: Vec<(u32, u32)>,
    prev: Vec<u32>,
}

impl Anchors {
    /// Pairs `(i, j)`, `a[i] == b[j]`, of tokens unique in both `a` and `b`, strictly increasing in both
    /// coordinates, as many as possible. Linear space; linear time to find the unique tokens, then
    /// `O(u log u)` for the increasing run.
    pub(crate) fn unique(&mut self, a: &[u32], b: &[u32]) -> Vec<(usize, usize)> {
        if a.len().max(b.len()) >= MANY as usize {
            return Vec::new(); // positions would collide with the markers: no anchors (the pair stays unmatched)
        }
        let Some(top) = b.iter().copied().max() else {
            return Vec::new();
        };
        let size = top as usize + 1;
        if self.at_b.len() < size {
            self.at_b.resize(size, NONE);
        }
        let words = size.div_ceil(64);
        if self.once.len() < words {
            self.once.resize(words, 0);
            self.twice.resize(words, 0);
        }
        for (j, &id) in b.iter().enumerate() {
            let s = &mut self.at_b[id as usize];
            *s = if *s == NONE { j as u32 } else { MANY };
        }
        // A token of `a` beyond `b`'s largest id (or absent from `new`: `ABSENT` is the largest u32)
        // cannot be an anchor.
        let in_b = |id: u32| (id as usize) < size;
        let bit = |id: u32| (id as usize / 64, 1u64 << (id % 64));
        for &id in a {
            if in_b(id) {
                let (w, m) = bit(id);
                self.twice[w] |= self.once[w] & m;
                self.once[w] |= m;
            }
        }
        // In `a`'s order, so the pairs come sorted by their first coordinate. Positions are below
        // `MANY` (checked above): 32 bits each, as the table holds them, halve what the increasing run
        // walks (every token of a shuffled text is an anchor candidate).
        self.pairs.clear();
        for (i, &id) in a.iter().enumerate() {
            if in_b(id) {
                let (w, m) = bit(id);
                if self.twice[w] & m == 0 {
                    let j = self.at_b[id as usize];
                    if j < MANY {
                        self.pairs.push((i as u32, j));
                    }
                }
            }
        }
        for &id in b {
            self.at_b[id as usize] = NONE;
        }
        if 8 * a.len() >= words {
            // Clearing the words in use in one sweep is cheaper than one random write per token.
            self.once[..words].fill(0);
            self.twice[..words].fill(0);
        } else {
            for &id in a {
                if in_b(id) {
                    let (w, _) = bit(id);
                    (self.once[w], self.twice[w]) = (0, 0);
                }
            }
        }
        longest_increasing(&self.pairs, &mut self.prev)
    }
}

/// The longest subsequence of `pairs` (sorted by `.0`, all `.0` and `.1` distinct, fewer than
/// `u32::MAX`) increasing in `.1`.
fn longest_increasing(pairs: &[(u32, u32)], prev: &mut Vec<u32>) -> Vec<(usize, usize)> {
    // tails[k]: index in `pairs` of the smallest `.1` ending an increasing run of length k + 1; tail_y
    // holds those `.1`s side by side, so the binary search reads one small array instead of jumping
    // through `pairs`.
    const END: u32 = u32::MAX;
    let mut tails: Vec<u32> = Vec::new();
    let mut tail_y: Vec<u32> = Vec::new();
    prev.clear();
    prev.resize(pairs.len(), END);
    for (idx, &(_, y)) in pairs.iter().enumerate() {
        let k = tail_y.partition_point(|&t| t < y);
        if k > 0 {
            prev[idx] = tails[k - 1];
        }
        if k == tails.len() {
            tails.push(idx as u32);
            tail_y.push(y);
        } else {
            tails[k] = idx as u32;
            tail_y[k] = y;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut cur = tails.last().copied().unwrap_or(END);
    while cur != END {
        let (x, y) = pairs[cur as usize];
        out.push((x as usize, y as usize));
        cur = prev[cur as usize];
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::intern::ABSENT;

    fn unique_anchors(a: &[u32], b: &[u32]) -> Vec<(usize, usize)> {
        Anchors::default().unique(a, b)
    }

    #[test]
    fn a_token_late_in_a_and_early_in_b_is_an_anchor() {
        // A shift: each token's position in `a` is past its position in `b`.
        let a = [7, 8, 0, 1, 2, 3];
        let b = [0, 1, 2, 3, 9];
        assert_eq!(unique_anchors(&a, &b), vec![(2, 0), (3, 1), (4, 2), (5, 3)]);
    }

    #[test]
    fn anchors_are_unique_increasing_matches() {
        // a: 5 1 2 3 9 3   b: 2 1 3 5 9   unique common: 5,1,2,9 (3 twice in a)
        let a = [5, 1, 2, 3, 9, 3];
        let b = [2, 1, 3, 5, 9];
        let got = unique_anchors(&a, &b);
        for w in got.windows(2) {
            assert!(w[0].0 < w[1].0 && w[0].1 < w[1].1);
        }
        for &(i, j) in &got {
            assert_eq!(a[i], b[j]);
        }
        // Longest: (1,1)=1 then (4,4)=9, or 5 then 9: length 2.
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn lis_is_longest() {
        let pairs: Vec<(u32, u32)> = [3, 1, 4, 0, 5, 9, 2, 6]
            .iter()
            .enumerate()
            .map(|(i, &y)| (i as u32, y))
            .collect();
        let got = longest_increasing(&pairs, &mut Vec::new());
        assert_eq!(got.len(), 4); // e.g. 1 4 5 9 / 3 4 5 6
        assert!(got.windows(2).all(|w| w[0].1 < w[1].1));
    }

    /// The rule, stated directly: count each token's occurrences on both sides.
    fn reference(a: &[u32], b: &[u32]) -> Vec<(usize, usize)> {
        use std::collections::HashMap;
        let mut seen: HashMap<u32, (usize, usize, usize, usize)> = HashMap::new();
        for (i, &id) in a.iter().enumerate() {
            let e = seen.entry(id).or_default();
            (e.0, e.1) = (e.0 + 1, i);
        }
        for (j, &id) in b.iter().enumerate() {
            let e = seen.entry(id).or_default();
            (e.2, e.3) = (e.2 + 1, j);
        }
        let mut pairs: Vec<(u32, u32)> = seen
            .values()
            .filter(|e| e.0 == 1 && e.2 == 1)
            .map(|e| (e.1 as u32, e.3 as u32))
            .collect();
        pairs.sort_unstable();
        longest_increasing(&pairs, &mut Vec::new())
    }

    #[test]
    fn anchors_are_the_unique_tokens_of_both_sides_across_calls() {
        // One scratch for many calls, as the solver uses it: entries left over from one call must not
        // leak into the next.
        let mut scratch = Anchors::default();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n) as u32
        };
        for round in 0..400 {
            let vocab = 1 + u64::from(next(60));
            let (la, lb) = (next(50) as usize, next(50) as usize);
            let a: Vec<u32> = (0..la)
                .map(|_| {
                    if next(7) == 0 {
                        ABSENT
                    } else {
                        next(vocab + 5)
                    }
                })
                .collect();
            let b: Vec<u32> = (0..lb).map(|_| next(vocab)).collect();
            let got = scratch.unique(&a, &b);
            let want = reference(&a, &b);
            assert_eq!(got.len(), want.len(), "round {round}: {a:?} {b:?}");
            for &(i, j) in &got {
                assert_eq!(a[i], b[j]);
                assert_eq!(a.iter().filter(|&&x| x == a[i]).count(), 1);
                assert_eq!(b.iter().filter(|&&x| x == b[j]).count(), 1);
            }
            assert!(got.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
        }
    }
}
