//! Anchors for the bounded fallback of [`super::lcs`]: the tokens that occur exactly once in each of two
//! sequences, kept in the longest run that is increasing on both sides (patience diff, B. Cohen; the
//! longest increasing subsequence by patience sorting, `O(u log u)` for `u` unique tokens).
//!
//! Past the size where an exact LCS would cost quadratic time or memory, these anchors cut a long pair
//! into independent gaps, each solved on its own: the common subsequence found is still a valid one
//! (every anchor is a real match, in order on both sides), only possibly shorter than the longest, so the
//! edit script stays exact and becomes at most coarser.

use super::intern::ABSENT;

/// Pairs `(i, j)`, `a[i] == b[j]`, of tokens unique in both `a` and `b`, strictly increasing in both
/// coordinates, as many as possible. Linear space; `O((n + m) log(n + m))` time.
pub(crate) fn unique_anchors(a: &[u32], b: &[u32]) -> Vec<(usize, usize)> {
    // One sort of (id, position, side) keys groups every token's occurrences: a sequential pass over
    // memory, where a hash map of this many ids would miss the cache on nearly every access.
    if a.len().max(b.len()) >= 1 << 31 {
        return Vec::new(); // positions would not fit the keys: no anchors (the pair stays unmatched)
    }
    // The side sits above the position, so that a token's occurrences in `a` sort before those in `b`
    // wherever they are (with the side below, an occurrence late in `a` sorted after an earlier one in
    // `b`, and a shifted text lost nearly all its anchors).
    let key = |id: u32, pos: usize, side: u64| (u64::from(id) << 32) | (side << 31) | pos as u64;
    let mut keys: Vec<u64> = Vec::with_capacity(a.len() + b.len());
    keys.extend(
        a.iter()
            .enumerate()
            .filter(|(_, &id)| id != ABSENT)
            .map(|(i, &id)| key(id, i, 0)),
    );
    keys.extend(b.iter().enumerate().map(|(j, &id)| key(id, j, 1)));
    keys.sort_unstable();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    while at < keys.len() {
        let id = keys[at] >> 32;
        let mut end = at + 1;
        while end < keys.len() && keys[end] >> 32 == id {
            end += 1;
        }
        // Exactly one occurrence on each side: the side bit sorts a's (0) before b's (1).
        let side = |k: u64| (k >> 31) & 1;
        if end - at == 2 && side(keys[at]) == 0 && side(keys[at + 1]) == 1 {
            let pos = |k: u64| (k & 0x7fff_ffff) as usize;
            pairs.push((pos(keys[at]), pos(keys[at + 1])));
        }
        at = end;
    }
    // Sorted by position in `a` for the increasing-subsequence pass.
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
