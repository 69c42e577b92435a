//! Interning long middles in cache-sized partitions (radix-partitioned hashing).
//!
//! One hash table over all the distinct tokens of a long text outgrows the caches: past some tens of
//! thousands of tokens nearly every probe misses the cache and the TLB, so the time a token takes grows
//! with the length of the text (the table grows, the caches do not). Here the tokens are instead
//! scattered by a few bits of their hash into partitions of about [`PART_ITEMS`] tokens (one sequential
//! write stream per partition), each partition is interned with its own small table, which stays in the
//! L1/L2 cache, and the results are gathered back in text order by the same streams. Every pass runs
//! through memory in order, so the time a token takes stays flat however long the text.
//!
//! The ids are exactly those of the single table ([`super::intern::Interner`]): `new`'s distinct tokens
//! numbered in order of first appearance, [`ABSENT`] for `old`'s tokens not in `new`. A partition yields
//! for each token the position of its first occurrence in `new`; these first occurrences, marked in a bit
//! set over `new`'s positions, are numbered by counting the marks before them (a rank query that reads a
//! few kilobytes per hundred thousand tokens).

use super::cleanup::Side;
use super::intern::{hash_token, load_at, probe, same_bytes, Ids, ABSENT};
use super::tokens::Offset;

/// Tokens (both sides) a partition holds on average: its items (16 bytes each) and its table (4 bytes a
/// slot, twice its tokens of `new` rounded up to a power of two) take some 100 KB, well inside L2.
pub(crate) const PART_ITEMS: usize = 4096;

/// Marks an empty table slot.
const EMPTY: u32 = u32::MAX;

/// One token, as scattered into its partition: 16 bytes, so that the scatter and the partition passes
/// move as little memory as possible (past the caches the passes are bound by memory traffic). Tokens of
/// at most eight bytes compare by `head` and `tag` alone (`tag` holds the exact length), so the texts are
/// touched only to confirm longer tokens whose tags and heads agree.
#[derive(Debug, Clone, Copy, Default)]
struct Item {
    /// The token's first (up to) eight bytes, zero-padded.
    head: u64,
    /// [`tag`]: hash bits, and the length up to [`LONG`].
    tag: u32,
    /// `0..m` for the tokens of `new`'s middle, `m..m + n` for those of `old`'s.
    pos: u32,
}

/// The length code of tokens longer than eight bytes (compared on their bytes).
const LONG: u32 = 9;

/// A token's key: the high half of its hash (the bits [`probe`] takes the slot from), all that the
/// partitioned interner keeps of it.
#[inline(always)]
fn key(h: u64) -> u32 {
    (h >> 32) as u32
}

/// The partition of `parts` (a power of two) that a token of key `key` goes to: the top bits of the key.
/// The table slot inside the partition is taken from the low bits ([`tag`]), so the two stay independent
/// as long as partitions and slots together take at most 32 bits (past two billion tokens a few slot
/// bits are shared, which only lengthens probes).
#[inline(always)]
fn part_of(key: u32, parts: usize) -> usize {
    ((u64::from(key) * parts as u64) >> 32) as usize
}

/// A token's tag: the low 28 bits of its key under its length, saturated at [`LONG`], in the top four
/// bits. Equal tokens have equal tags; the table slot is taken from the tag, so the start of a token's
/// probe depends on the token alone.
#[inline(always)]
fn tag(key: u32, len: usize) -> u32 {
    (key & 0x0fff_ffff) | (len.min(LONG as usize) as u32) << 28
}

/// Reusable buffers of the partitioned interner.
#[derive(Default)]
pub(crate) struct Partitioned {
    /// [`key`] of every token, `new`'s then `old`'s: it picks the token's partition (read again to
    /// gather the ids back in order) and gives its tag. 32 bits rather than the whole hash: these passes
    /// are bound by memory traffic once the text is past the caches.
    keys: Vec<u32>,
    /// Partition `p` holds `items[starts[p]..starts[p + 1]]`, in text order: `new`'s tokens first.
    starts: Vec<usize>,
    cursor: Vec<usize>,
    items: Vec<Item>,
    /// For each item: position in `new` of the first occurrence of its token, or [`ABSENT`].
    found: Vec<u32>,
    /// Open-addressing table of one partition: indices into `items` of its distinct tokens.
    table: Vec<u32>,
    /// Bit `j`: token `j` of `new` is the first occurrence of its text.
    first: Vec<u64>,
    /// First occurrences marked before each word of `first`.
    ranks: Vec<u32>,
    /// Slots of the largest table the last call built (tests check the bound the partitions exist for).
    pub largest_table: usize,
}

/// Whether `len` and the token at `pos` fit the 32-bit fields of an [`Item`] (positions up to `u32::MAX - 1`).
pub(crate) fn fits(total_tokens: usize) -> bool {
    total_tokens < ABSENT as usize
}

impl Partitioned {
    /// As [`super::intern::Interner::intern`]; `new_toks.len() + old_toks.len()` must satisfy [`fits`].
    pub fn intern<O: Offset>(
        &mut self,
        old: Side<'_, O>,
        new: Side<'_, O>,
        ids: &mut Ids,
    ) -> usize {
        let (old_toks, new_toks) = (old.toks, new.toks);
        let (m, total) = (new_toks.len(), new_toks.len() + old_toks.len());
        debug_assert!(fits(total));
        let (old, new) = (old.text.as_bytes(), new.text.as_bytes());
        let parts = total.div_ceil(PART_ITEMS).next_power_of_two();
        let part_of = |key: u32| part_of(key, parts);

        // One pass hashes the tokens and counts the partitions' sizes.
        self.keys.clear();
        self.starts.clear();
        self.starts.resize(parts + 1, 0);
        for (text, toks) in [(new, new_toks), (old, old_toks)] {
            for t in toks {
                let k = key(hash_token(text, t.start(), t.end()));
                self.starts[part_of(k) + 1] += 1;
                self.keys.push(k);
            }
        }
        for p in 0..parts {
            self.starts[p + 1] += self.starts[p];
        }

        // Scatter, in text order: within a partition `new`'s tokens precede `old`'s.
        self.cursor.clear();
        self.cursor.extend_from_slice(&self.starts[..parts]);
        // Every item of `0..total` is written by the scatter: the buffer only grows (no clearing pass).
        if self.items.len() < total {
            self.items.resize(total, Item::default());
        }
        let sides = [(new, new_toks, 0), (old, old_toks, m)];
        for (text, toks, base) in sides {
            for (k, t) in toks.iter().enumerate() {
                let key = self.keys[base + k];
                let c = &mut self.cursor[part_of(key)];
                let len = t.end() - t.start();
                self.items[*c] = Item {
                    head: load_at(text, t.start(), len.min(8)),
                    tag: tag(key, len),
                    pos: (base + k) as u32,
                };
                *c += 1;
            }
        }

        // Written for every item by the partition pass below (also in a partition `new` has no token of).
        if self.found.len() < total {
            self.found.resize(total, ABSENT);
        }
        self.first.clear();
        self.first.resize(m.div_ceil(64), 0);
        self.largest_table = 0;
        let token = |pos: u32| -> (&[u8], (usize, usize)) {
            let pos = pos as usize;
            let (text, t) = if pos < m {
                (new, &new_toks[pos])
            } else {
                (old, &old_toks[pos - m])
            };
            (text, (t.start(), t.end()))
        };
        let same = |x: &Item, y: &Item| {
            x.tag == y.tag
                && x.head == y.head
                && (x.tag >> 28 < LONG || {
                    let ((tx, rx), (ty, ry)) = (token(x.pos), token(y.pos));
                    same_bytes(tx, rx, ty, ry)
                })
        };
        for p in 0..parts {
            let (s, e) = (self.starts[p], self.starts[p + 1]);
            let items = &self.items[s..e];
            let news = items.partition_point(|it| (it.pos as usize) < m);
            if news == 0 {
                // Nothing of `new` here: every token of `old` is ABSENT.
                self.found[s..e].fill(ABSENT);
                continue;
            }
            let slots = (2 * news).next_power_of_two();
            self.largest_table = self.largest_table.max(slots);
            let mask = slots - 1;
            self.table.clear();
            self.table.resize(slots, EMPTY);
            for (k, it) in items.iter().enumerate() {
                let table = &self.table;
                let (i, hit) = probe(
                    u64::from(it.tag) << 32,
                    mask,
                    |i| table[i] != EMPTY,
                    |i| same(&items[table[i] as usize], it),
                );
                self.found[s + k] = if hit {
                    items[self.table[i] as usize].pos
                } else if k >= news {
                    ABSENT
                } else {
                    // A first occurrence: `new`'s tokens come in text order.
                    self.table[i] = k as u32;
                    let pos = it.pos as usize;
                    self.first[pos / 64] |= 1 << (pos % 64);
                    it.pos
                };
            }
        }

        self.ranks.clear();
        let mut seen = 0u32;
        for &w in &self.first {
            self.ranks.push(seen);
            seen += w.count_ones();
        }
        let (first, ranks) = (&self.first, &self.ranks);
        let rank = |pos: u32| {
            let pos = pos as usize;
            let below = first[pos / 64] & ((1u64 << (pos % 64)) - 1);
            ranks[pos / 64] + below.count_ones()
        };
        // Gather in text order, walking the partitions' streams again.
        self.cursor.clear();
        self.cursor.extend_from_slice(&self.starts[..parts]);
        ids.new.clear();
        ids.old.clear();
        for (i, &key) in self.keys.iter().enumerate() {
            let c = &mut self.cursor[part_of(key)];
            let f = self.found[*c];
            *c += 1;
            if i < m {
                ids.new.push(rank(f));
            } else {
                ids.old.push(if f == ABSENT { ABSENT } else { rank(f) });
            }
        }
        seen as usize
    }
}
