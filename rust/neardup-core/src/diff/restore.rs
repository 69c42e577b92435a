//! Rebuilding a [`DiffResult`] from ops in code points (a Python pickle's state), validated against the
//! texts: a corrupt or foreign state is refused instead of producing ops that do not cover the texts.

use super::tokens::{self, Token};
use super::{Cleanup, DiffResult, Op, Span, Tag, Unit};
use crate::error::{invalid, Result};

/// An op in code points: its tag, then the start and end in `old`, then in `new`.
pub type CpOp = (Tag, usize, usize, usize, usize);

impl DiffResult {
    /// The ops in code points, as [`DiffResult::from_ops`] takes them back (a pickle's state).
    pub fn cp_ops(&self) -> Vec<CpOp> {
        self.ops
            .iter()
            .map(|o| {
                (
                    o.tag,
                    o.old.cp_start,
                    o.old.cp_end,
                    o.new.cp_start,
                    o.new.cp_end,
                )
            })
            .collect()
    }

    /// Rebuilds a result from ops given in code points (as a Python pickle holds them), checking that they
    /// cover both texts in order, that equal ops hold identical text and that no op splits a token.
    pub fn from_ops(
        old: &str,
        new: &str,
        unit: Unit,
        cleanup: Cleanup,
        ops: &[CpOp],
    ) -> Result<DiffResult> {
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        tokens::tokenize(old, unit, &mut ta);
        tokens::tokenize(new, unit, &mut tb);
        let (mut co, mut cn) = (Cursor::new(old, &ta), Cursor::new(new, &tb));
        let mut out = Vec::with_capacity(ops.len());
        let mut distance = 0;
        for (k, &(tag, i1, i2, j1, j2)) in ops.iter().enumerate() {
            let bad = |what: &str| invalid("ops", format!("op {k}: {what}"));
            if i1 != co.cp || j1 != cn.cp || i2 < i1 || j2 < j1 {
                return Err(bad("does not start where the previous op ended"));
            }
            let (so, to) = co
                .advance(i2)
                .ok_or_else(|| bad("old range splits a token or overruns"))?;
            let (sn, tn) = cn
                .advance(j2)
                .ok_or_else(|| bad("new range splits a token or overruns"))?;
            let ok = match tag {
                Tag::Equal => old[so.bytes()] == new[sn.bytes()],
                Tag::Insert => so.is_empty() && !sn.is_empty(),
                Tag::Delete => !so.is_empty() && sn.is_empty(),
                Tag::Replace => !so.is_empty() && !sn.is_empty(),
            };
            if !ok {
                return Err(bad("tag does not match its text"));
            }
            if tag != Tag::Equal {
                distance += to + tn;
            }
            out.push(Op {
                tag,
                old: so,
                new: sn,
                old_tokens: to,
                new_tokens: tn,
            });
        }
        if co.byte != old.len() || cn.byte != new.len() {
            return Err(invalid("ops", "do not cover both texts"));
        }
        Ok(DiffResult {
            unit,
            cleanup,
            ops: out,
            distance,
            old_tokens: ta.len(),
            new_tokens: tb.len(),
        })
    }
}

/// Walks a text by code points, counting the tokens passed (for [`DiffResult::from_ops`]).
struct Cursor<'a> {
    text: &'a str,
    toks: &'a [Token<usize>],
    byte: usize,
    cp: usize,
    tok: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str, toks: &'a [Token<usize>]) -> Self {
        Cursor {
            text,
            toks,
            byte: 0,
            cp: 0,
            tok: 0,
        }
    }
    /// Moves to code point `to`; the span passed and its token count, or None if `to` lies past the end or
    /// inside a token.
    fn advance(&mut self, to: usize) -> Option<(Span, usize)> {
        let start = (self.byte, self.cp);
        let mut chars = self.text[self.byte..].chars();
        while self.cp < to {
            self.byte += chars.next()?.len_utf8();
            self.cp += 1;
        }
        let first = self.tok;
        while self.tok < self.toks.len() && self.toks[self.tok].end() <= self.byte {
            self.tok += 1;
        }
        if self
            .toks
            .get(self.tok)
            .is_some_and(|t| t.start() < self.byte)
        {
            return None;
        }
        let span = Span {
            start: start.0,
            end: self.byte,
            cp_start: start.1,
            cp_end: self.cp,
        };
        Some((span, self.tok - first))
    }
}
