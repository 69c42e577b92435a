//! Myers' middle snake (E. W. Myers, "An O(ND) Difference Algorithm and Its Variations", Algorithmica 1986,
//! section 4b), for long sequences that differ little.
//!
//! Greedy forward and reverse searches advance one edit at a time along the diagonals until the furthest
//! reaching paths overlap; the overlap lies on a shortest edit script (insertions and deletions only, so of
//! Indel length), which is split there and solved on both sides. Finding the split costs `O((n+m)·D)` in
//! the worst case and about `D²` on text, against `n·m/64` for the bit-parallel table: for two 100 KB
//! texts with a few thousand edits it is ten times cheaper. The search gives up after `d_cap` edits (the
//! caller then uses the bit-parallel table), which bounds the time wasted on unrelated texts. The loop
//! structure follows diff-match-patch's `diff_bisect` (N. Fraser).

/// A split point `(x, y)` such that some shortest edit script of `a` → `b` passes through it, if the
/// edit distance is at most about `2 · d_cap`. `v1`/`v2` are scratch buffers.
pub(crate) fn middle_snake(
    a: &[u32],
    b: &[u32],
    d_cap: usize,
    v1: &mut Vec<isize>,
    v2: &mut Vec<isize>,
) -> Option<(usize, usize)> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max_d = ((n + m + 1) / 2).min(d_cap as isize + 1);
    let off = max_d + 1;
    let len = (2 * off + 1) as usize;
    for v in [&mut *v1, &mut *v2] {
        v.clear();
        v.resize(len, -1);
        v[(off + 1) as usize] = 0;
    }
    let delta = n - m;
    // With an odd delta the paths meet during a forward step, with an even one during a reverse step.
    let front = delta % 2 != 0;
    let (mut k1start, mut k1end, mut k2start, mut k2end) = (0, 0, 0, 0);
    let at = |v: &Vec<isize>, i: isize| -> isize {
        if (0..len as isize).contains(&i) {
            v[i as usize]
        } else {
            -1
        }
    };
    for d in 0..max_d {
        // Forward paths.
        let mut k1 = -d + k1start;
        while k1 <= d - k1end {
            let i = off + k1;
            // |k1| ≤ d < max_d, so i ± 1 lies inside the buffer.
            let (lo, hi) = (v1[(i - 1) as usize], v1[(i + 1) as usize]);
            let mut x1 = if k1 == -d || (k1 != d && lo < hi) {
                hi
            } else {
                lo + 1
            };
            let mut y1 = x1 - k1;
            while x1 < n && y1 < m && a[x1 as usize] == b[y1 as usize] {
                x1 += 1;
                y1 += 1;
            }
            v1[i as usize] = x1;
            if x1 > n {
                k1end += 2; // ran off the right edge
            } else if y1 > m {
                k1start += 2; // ran off the bottom edge
            } else if front {
                let j = off + delta - k1;
                let r = at(v2, j);
                if r != -1 && x1 >= n - r {
                    return Some((x1 as usize, y1 as usize));
                }
            }
            k1 += 2;
        }
        // Reverse paths (x2, y2 count from the ends).
        let mut k2 = -d + k2start;
        while k2 <= d - k2end {
            let i = off + k2;
            let (lo, hi) = (v2[(i - 1) as usize], v2[(i + 1) as usize]);
            let mut x2 = if k2 == -d || (k2 != d && lo < hi) {
                hi
            } else {
                lo + 1
            };
            let mut y2 = x2 - k2;
            while x2 < n && y2 < m && a[(n - x2 - 1) as usize] == b[(m - y2 - 1) as usize] {
                x2 += 1;
                y2 += 1;
            }
            v2[i as usize] = x2;
            if x2 > n {
                k2end += 2;
            } else if y2 > m {
                k2start += 2;
            } else if !front {
                let j = off + delta - k2;
                let x1 = at(v1, j);
                if x1 != -1 {
                    let y1 = off + x1 - j;
                    if x1 >= n - x2 {
                        return Some((x1 as usize, y1 as usize));
                    }
                }
            }
            k2 += 2;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::diff::lcs_len as lcs;

    #[test]
    fn split_lies_on_an_optimal_path() {
        let mut s = 9u64;
        let mut r = |k: u64| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % k) as u32
        };
        let (mut v1, mut v2) = (Vec::new(), Vec::new());
        for _ in 0..400 {
            let n = r(60) as usize + 1;
            let a: Vec<u32> = (0..n).map(|_| r(5)).collect();
            let mut b = a.clone();
            for _ in 0..r(6) {
                let p = r(b.len() as u64 + 1) as usize;
                if r(2) == 0 && p < b.len() {
                    b.remove(p);
                } else {
                    b.insert(p, r(5));
                }
            }
            if let Some((x, y)) = middle_snake(&a, &b, 1000, &mut v1, &mut v2) {
                assert!(x <= a.len() && y <= b.len());
                assert_eq!(lcs(&a[..x], &b[..y]) + lcs(&a[x..], &b[y..]), lcs(&a, &b));
            }
        }
    }

    #[test]
    fn gives_up_beyond_the_cap() {
        let a: Vec<u32> = (0..200).collect();
        let b: Vec<u32> = (200..400).collect();
        assert_eq!(
            middle_snake(&a, &b, 10, &mut Vec::new(), &mut Vec::new()),
            None
        );
    }
}
