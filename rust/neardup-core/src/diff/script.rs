//! The token-level edit script: alternating runs of equal tokens and change blocks.

/// A run of the token-level script: `old` tokens `a..a+a_len` against `new` tokens `b..b+b_len`. Equal runs
/// have `a_len == b_len`; a change block holds everything deleted and inserted between two equal runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seg {
    pub eq: bool,
    pub a: usize,
    pub a_len: usize,
    pub b: usize,
    pub b_len: usize,
}

impl Seg {
    pub fn equal(a: usize, b: usize, len: usize) -> Seg {
        Seg {
            eq: true,
            a,
            a_len: len,
            b,
            b_len: len,
        }
    }
    pub fn change(a: usize, a_len: usize, b: usize, b_len: usize) -> Seg {
        Seg {
            eq: false,
            a,
            a_len,
            b,
            b_len,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.a_len == 0 && self.b_len == 0
    }
}

/// Appends `seg` to a script, merging it into the last run when both are of the same kind (they are always
/// contiguous here), and dropping it when empty.
pub(crate) fn push(script: &mut Vec<Seg>, seg: Seg) {
    if seg.is_empty() {
        return;
    }
    if let Some(last) = script.last_mut() {
        if last.eq == seg.eq {
            last.a_len = seg.a + seg.a_len - last.a;
            last.b_len = seg.b + seg.b_len - last.b;
            return;
        }
    }
    script.push(seg);
}

/// The script of `na` old and `nb` new tokens whose first `pre` and last `suf` tokens are equal and whose
/// middle is aligned by `matches` (pairs relative to the middle, increasing).
pub(crate) fn from_matches(
    na: usize,
    nb: usize,
    pre: usize,
    suf: usize,
    matches: &[(usize, usize)],
    out: &mut Vec<Seg>,
) {
    out.clear();
    push(out, Seg::equal(0, 0, pre));
    let (mut i, mut j) = (pre, pre);
    for &(mi, mj) in matches {
        let (mi, mj) = (mi + pre, mj + pre);
        push(out, Seg::change(i, mi - i, j, mj - j));
        push(out, Seg::equal(mi, mj, 1));
        (i, j) = (mi + 1, mj + 1);
    }
    push(out, Seg::change(i, na - suf - i, j, nb - suf - j));
    push(out, Seg::equal(na - suf, nb - suf, suf));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_runs_and_covers_both_sides() {
        let mut s = Vec::new();
        // old: x A B y C ; new: A B z C w (pre = 0, suf = 0)
        from_matches(5, 5, 0, 0, &[(1, 0), (2, 1), (4, 3)], &mut s);
        assert_eq!(
            s,
            vec![
                Seg::change(0, 1, 0, 0),
                Seg::equal(1, 0, 2),
                Seg::change(3, 1, 2, 1),
                Seg::equal(4, 3, 1),
                Seg::change(5, 0, 4, 1),
            ]
        );
    }
}
