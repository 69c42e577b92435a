//! Anchors for the bounded fallback of [`super::lcs`]: the tokens that occur exactly once in each of two
//! sequences, kept in the longest run that is increasing on both sides (patience diff, B. Cohen; the
//! longest increasing subsequence by patience sorting, `O(u log u)` for `u` unique tokens).
//!
//! Past the size where an exact LCS would cost quadratic time or memory, these anchors cut a long pair
//! into independent gaps, each solved on its own: the common subsequence found is still a valid one
//! (every anchor is a real match, in order on both sides), only possibly shorter than the longest, so the
//! edit script stays exact and becomes at most coarser.

use std::collections::HashMap;

use super::intern::ABSENT;

/// Pairs `(i, j)`, `a[i] == b[j]`, of tokens unique in both `a` and `b`, strictly increasing in both
/// coordinates, as many as possible. Linear space; `O(n + m + u log u)` time.
pub(crate) fn unique_anchors(a: &[u32], b: &[u32]) -> Vec<(usize, usize)> {
    // id -> (count in a, count in b, last position in a, last position in b)
    let mut seen: HashMap<u32, (u32, u32, usize, usize)> =
        HashMap::with_capacity(a.len().min(1 << 20));
    for (i, &x) in a.iter().enumerate() {
        if x != ABSENT {
            let e = seen.entry(x).or_insert((0, 0, 0, 0));
            e.0 = e.0.saturating_add(1);
            e.2 = i;
        }
    }
    for (j, &y) in b.iter().enumerate() {
        if let Some(e) = seen.get_mut(&y) {
            e.1 = e.1.saturating_add(1);
            e.3 = j;
        }
    }
    let mut pairs: Vec<(usize, usize)> = seen
        .values()
        .filter(|e| e.0 == 1 && e.1 == 1)
        .map(|e| (e.2, e.3))
        .collect();
    // Sorted by position in `a`: the map's order is arbitrary, the result must not be.
    pairs.sort_unstable();
    longest_increasing(&pairs)
}

/// The longest subsequence of `pairs` (sorted by `.0`, all `.0` and `.1` distinct) increasing in `.1`.
fn longest_increasing(pairs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    // tails[k]: index in `pairs` of the smallest `.1` ending an increasing run of length k + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = vec![usize::MAX; pairs.len()];
    for (idx, &(_, y)) in pairs.iter().enumerate() {
        let k = tails.partition_point(|&t| pairs[t].1 < y);
        if k > 0 {
            prev[idx] = tails[k - 1];
        }
        if k == tails.len() {
            tails.push(idx);
        } else {
            tails[k] = idx;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut cur = tails.last().copied().unwrap_or(usize::MAX);
    while cur != usize::MAX {
        out.push(pairs[cur]);
        cur = prev[cur];
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let pairs: Vec<(usize, usize)> = [3, 1, 4, 0, 5, 9, 2, 6]
            .iter()
            .enumerate()
            .map(|(i, &y)| (i, y))
            .collect();
        let got = longest_increasing(&pairs);
        assert_eq!(got.len(), 4); // e.g. 1 4 5 9 / 3 4 5 6
        assert!(got.windows(2).all(|w| w[0].1 < w[1].1));
    }
}
