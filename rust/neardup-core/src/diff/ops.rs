//! From a token script to text operations that cover both strings exactly.
//!
//! Every equal token is an anchor. Between two consecutive anchors lies a *region* of each text: whitespace
//! and, where the script changed something, the changed tokens. A region identical on both sides is equal
//! text. Otherwise (word unit) the whitespace both regions share at their start and at their end stays equal
//! text, and the rest is one change op; in the char unit whitespace is made of tokens, so the whole region is
//! the change. A region that differs only in whitespace thus becomes an op holding no tokens: it keeps the
//! reconstruction exact but costs nothing (the distance counts tokens) and renders as plain text.

use super::intern::same_bytes;
use super::script::Seg;
use super::tokens::{Offset, Token};
use super::trim::Frame;
use super::{Op, Span, Tag};
use crate::text::shingle::{is_space, Unit};

/// A position in one text: byte offset and code-point offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Pos {
    byte: usize,
    cp: usize,
}

fn span(lo: Pos, hi: Pos) -> Span {
    Span {
        start: lo.byte,
        end: hi.byte,
        cp_start: lo.cp,
        cp_end: hi.cp,
    }
}

/// Accumulates ops, merging contiguous pieces of the same kind (equal / not equal).
struct Builder<'o> {
    ops: &'o mut Vec<Op>,
}

impl Builder<'_> {
    fn piece(&mut self, equal: bool, o: (Pos, Pos), n: (Pos, Pos), to: usize, tn: usize) {
        if o.0 == o.1 && n.0 == n.1 {
            return;
        }
        if let Some(last) = self.ops.last_mut() {
            if (last.tag == Tag::Equal) == equal {
                last.old.end = o.1.byte;
                last.old.cp_end = o.1.cp;
                last.new.end = n.1.byte;
                last.new.cp_end = n.1.cp;
                last.old_tokens += to;
                last.new_tokens += tn;
                return;
            }
        }
        self.ops.push(Op {
            tag: if equal { Tag::Equal } else { Tag::Replace },
            old: span(o.0, o.1),
            new: span(n.0, n.1),
            old_tokens: to,
            new_tokens: tn,
        });
    }
}

/// Leading run of whitespace common to `a` and `b`, as (bytes, code points).
fn common_space_prefix(a: &str, b: &str) -> Pos {
    let mut p = Pos::default();
    for (x, y) in a.chars().zip(b.chars()) {
        if x != y || !is_space(x) {
            break;
        }
        p.byte += x.len_utf8();
        p.cp += 1;
    }
    p
}

fn common_space_suffix(a: &str, b: &str) -> Pos {
    let mut p = Pos::default();
    for (x, y) in a.chars().rev().zip(b.chars().rev()) {
        if x != y || !is_space(x) {
            break;
        }
        p.byte += x.len_utf8();
        p.cp += 1;
    }
    p
}

struct Walk<'a, 'o> {
    old: &'a str,
    new: &'a str,
    unit: Unit,
    out: Builder<'o>,
}

impl Walk<'_, '_> {
    /// Emits the region `o` of old against `n` of new, holding `to` and `tn` changed tokens.
    fn region(&mut self, o: (Pos, Pos), n: (Pos, Pos), to: usize, tn: usize) {
        let ro = &self.old[o.0.byte..o.1.byte];
        let rn = &self.new[n.0.byte..n.1.byte];
        if ro == rn {
            self.out.piece(true, o, n, to, tn);
            return;
        }
        if self.unit == Unit::Char {
            self.out.piece(false, o, n, to, tn);
            return;
        }
        let pre = common_space_prefix(ro, rn);
        let suf = common_space_suffix(&ro[pre.byte..], &rn[pre.byte..]);
        let add = |p: Pos, d: Pos| Pos {
            byte: p.byte + d.byte,
            cp: p.cp + d.cp,
        };
        let sub = |p: Pos, d: Pos| Pos {
            byte: p.byte - d.byte,
            cp: p.cp - d.cp,
        };
        let (om, nm) = (
            (add(o.0, pre), sub(o.1, suf)),
            (add(n.0, pre), sub(n.1, suf)),
        );
        self.out.piece(true, (o.0, om.0), (n.0, nm.0), 0, 0);
        self.out.piece(false, om, nm, to, tn);
        self.out.piece(true, (om.1, o.1), (nm.1, n.1), 0, 0);
    }
}

/// The common ends left out of tokenising: `old[..lo] == new[..lo]` holds `pre_tokens` tokens, the
/// common suffix from `old_hi` / `new_hi` holds `suf_tokens`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ends {
    pub frame: Frame,
    pub lo_cp: usize,
    pub pre_tokens: usize,
    pub suf_tokens: usize,
}

/// Text ops of `script` into `ops` (cleared first); returns the distance (changed tokens, both sides).
/// `ta` and `tb` are the tokens of the middles, with offsets into the whole texts.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build<O: Offset>(
    old: &str,
    ta: &[Token<O>],
    new: &str,
    tb: &[Token<O>],
    unit: Unit,
    script: &[Seg],
    ends: Ends,
    ops: &mut Vec<Op>,
) -> usize {
    ops.clear();
    let mut w = Walk {
        old,
        new,
        unit,
        out: Builder { ops },
    };
    let f = ends.frame;
    let lo = Pos {
        byte: f.lo,
        cp: ends.lo_cp,
    };
    let pre = ends.pre_tokens;
    w.out
        .piece(true, (Pos::default(), lo), (Pos::default(), lo), pre, pre);
    let (mut po, mut pn) = (lo, lo);
    let (mut da, mut db) = (0, 0);
    let at = |t: &Token<O>| {
        (
            Pos {
                byte: t.start(),
                cp: t.cp_start(),
            },
            Pos {
                byte: t.end(),
                cp: t.cp_end(),
            },
        )
    };
    for seg in script {
        if !seg.eq {
            da += seg.a_len;
            db += seg.b_len;
            continue;
        }
        if seg.a_len == 0 {
            continue;
        }
        let (xs, mut xe) = at(&ta[seg.a]);
        let (ys, mut ye) = at(&tb[seg.b]);
        w.region((po, xs), (pn, ys), da, db);
        (da, db) = (0, 0);
        // The run is equal token by token; only a gap that differs (whitespace) interrupts it.
        let (mut so, mut sn, mut n) = (xs, ys, 1);
        for k in 1..seg.a_len {
            let (xs, x_end) = at(&ta[seg.a + k]);
            let (ys, y_end) = at(&tb[seg.b + k]);
            if !same_bytes(
                old.as_bytes(),
                (xe.byte, xs.byte),
                new.as_bytes(),
                (ye.byte, ys.byte),
            ) {
                w.out.piece(true, (so, xe), (sn, ye), n, n);
                w.region((xe, xs), (ye, ys), 0, 0);
                (so, sn, n) = (xs, ys, 0);
            }
            n += 1;
            (xe, ye) = (x_end, y_end);
        }
        w.out.piece(true, (so, xe), (sn, ye), n, n);
        (po, pn) = (xe, ye);
    }
    // Between the last token of the middle and its end there is only whitespace: cheap to count.
    let hi = |s: &str, toks: &[Token<O>], hi: usize| {
        let (b, c) = toks
            .last()
            .map_or((lo.byte, lo.cp), |t| (t.end(), t.cp_end()));
        Pos {
            byte: hi,
            cp: c + s[b..hi].chars().count(),
        }
    };
    let (oh, nh) = (hi(old, ta, f.old_hi), hi(new, tb, f.new_hi));
    w.region((po, oh), (pn, nh), da, db);
    let tail = old[f.old_hi..].chars().count();
    let end = |p: Pos, s: &str| Pos {
        byte: s.len(),
        cp: p.cp + tail,
    };
    let suf = ends.suf_tokens;
    w.out
        .piece(true, (oh, end(oh, old)), (nh, end(nh, new)), suf, suf);
    let mut distance = 0;
    for op in ops.iter_mut() {
        if op.tag != Tag::Equal {
            op.tag = match (op.old.start == op.old.end, op.new.start == op.new.end) {
                (true, _) => Tag::Insert,
                (_, true) => Tag::Delete,
                _ => Tag::Replace,
            };
            distance += op.old_tokens + op.new_tokens;
        }
    }
    distance
}
