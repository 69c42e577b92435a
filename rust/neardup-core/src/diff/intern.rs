//! Interning token texts to dense ids, and the small-string loads, comparisons and hash it rests on.
//!
//! The table is open-addressing with linear probing, sized to twice the column text's tokens, kept across
//! calls (a generation number retires old entries, so it is never cleared) and verified: a hash match is
//! confirmed by comparing the token bytes, so distinct tokens never share an id. Past
//! [`PARTITION_FROM`] tokens one table would outgrow the caches and every probe would miss them; long
//! middles are interned by [`super::partitioned`] instead, which gives the same ids.

use super::cleanup::Side;
use super::partitioned::{self, Partitioned};
use super::tokens::Offset;

/// Bytes `start..start + n` (`1 <= n <= 8`) of `text` as a zero-padded little-endian u64: one unaligned
/// load and a mask when eight bytes are readable from `start` (nearly always: tokens lie inside a
/// text), otherwise two overlapping smaller loads. No `memcpy` call, no branch on the length class in
/// the common case, and both ways give the same value.
#[inline(always)]
pub(crate) fn load_at(text: &[u8], start: usize, n: usize) -> u64 {
    debug_assert!((1..=8).contains(&n));
    let keep = u64::MAX >> (64 - 8 * n);
    if let Some(w) = text.get(start..start + 8) {
        let w = [w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]];
        return u64::from_le_bytes(w) & keep;
    }
    let b = &text[start..start + n];
    let u16_at = |i: usize| u64::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let u32_at = |i: usize| u64::from(u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]));
    // Overlapping bytes are equal, so OR-ing the two loads puts every byte in its place.
    match n {
        4.. => u32_at(0) | u32_at(n - 4) << (8 * (n - 4)),
        2..=3 => u16_at(0) | u16_at(n - 2) << (8 * (n - 2)),
        _ => u64::from(b[0]),
    }
}

/// Whether `a[ra]` equals `b[rb]` (byte ranges), inlined for the short strings tokens and gaps nearly
/// always are.
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], ra: (usize, usize), b: &[u8], rb: (usize, usize)) -> bool {
    let n = ra.1 - ra.0;
    n == rb.1 - rb.0
        && match n {
            0 => true,
            1..=8 => load_at(a, ra.0, n) == load_at(b, rb.0, n),
            _ => a[ra.0..ra.1] == b[rb.0..rb.1],
        }
}

/// Hash of the bytes `text[start..end]`: a multiply-rotate over 8-byte words (rustc's FxHash step)
/// finished with a multiply-xorshift so that the high bits, which pick the table slot, depend on every
/// byte. Not collision-resistant, and it need not be: the interner compares texts on every hash match.
#[inline(always)]
pub(crate) fn hash_token(text: &[u8], start: usize, end: usize) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = (end - start) as u64;
    let mut p = start;
    while p + 8 <= end {
        h = (h.rotate_left(5) ^ load_at(text, p, 8)).wrapping_mul(K);
        p += 8;
    }
    if p < end {
        h = (h.rotate_left(5) ^ load_at(text, p, end - p)).wrapping_mul(K);
    }
    let h = h ^ (h >> 29);
    h.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
}

/// The probe step of both interners' open-addressing tables (linear probing): from the slot that the low
/// bits of the hash's high half `h >> 32` pick (the partitioned interner keeps only that half, and
/// chooses a token's partition by its top bits), forward and round at `mask` (slots minus one, a power
/// of two less one), to the first slot that is not `live` (empty in this call) or `holds` the token
/// looked up. Returns that slot and whether it holds the token; the table must have an empty slot.
#[inline(always)]
pub(crate) fn probe(
    h: u64,
    mask: usize,
    live: impl Fn(usize) -> bool,
    holds: impl Fn(usize) -> bool,
) -> (usize, bool) {
    let mut i = (h >> 32) as usize & mask;
    loop {
        if !live(i) {
            return (i, false);
        }
        if holds(i) {
            return (i, true);
        }
        i = (i + 1) & mask;
    }
}

/// The token ids of both middles ([`Interner::intern`]), kept across calls.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Ids {
    pub old: Vec<u32>,
    pub new: Vec<u32>,
}

/// Token id for a token of the row text (`old`) that never occurs in the column text (`new`).
pub(crate) const ABSENT: u32 = u32::MAX;

/// Tokens (both middles) from which the partitioned interner is used: below, the single table takes at
/// most a few hundred kilobytes and stays in cache, and needs no scatter and gather passes.
const PARTITION_FROM: usize = 1 << 14;

/// Interns token texts to dense ids with an open-addressing table that is kept (and never cleared: a
/// generation number retires old entries) across calls, so a batch allocates it once. Long middles go
/// to [`Partitioned`] instead, which gives the same ids from tables that stay in cache.
pub(crate) struct Interner {
    /// Tokens from which [`Partitioned`] is used (a field so that tests can force either path).
    pub partition_from: usize,
    partitioned: Partitioned,
    /// Slots of the largest table the last call probed (tests check the bound of the partitioned path).
    pub last_table: usize,
    /// (hash, id, generation) per slot; a slot is live when its generation is the current one.
    slots: Vec<(u64, u32, u32)>,
    /// Slots in use by the current call, minus one.
    mask: usize,
    generation: u32,
    /// Byte range in `new` of the first token given each id, to check candidates against.
    reps: Vec<(usize, usize)>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            partition_from: PARTITION_FROM,
            partitioned: Partitioned::default(),
            last_table: 0,
            slots: Vec::new(),
            mask: 0,
            generation: 0,
            reps: Vec::new(),
        }
    }
}

impl Interner {
    fn reset(&mut self, n: usize) {
        // Only the first `want` slots are used, however large an earlier call grew the table: small
        // diffs after a large one stay within a few cache-resident kilobytes.
        let want = (2 * n).next_power_of_two().max(64);
        if self.slots.len() < want || self.generation == u32::MAX {
            self.slots.clear();
            self.slots.resize(want, (0, 0, 0));
            self.generation = 0;
        }
        self.mask = want - 1;
        self.last_table = want;
        self.generation += 1;
        self.reps.clear();
    }

    /// The slot holding `tok` (of `text`) or the empty slot where it would go.
    #[inline(always)]
    fn find(&self, new: &[u8], text: &[u8], tok: (usize, usize), h: u64) -> (usize, bool) {
        let live = |i: usize| self.slots[i].2 == self.generation;
        let holds = |i: usize| {
            let (sh, id, _) = self.slots[i];
            sh == h && same_bytes(new, self.reps[id as usize], text, tok)
        };
        probe(h, self.mask, live, holds)
    }

    /// Ids of the middles of both texts: `new`'s distinct tokens get `0..k` in order of first
    /// appearance (they index the bit-parallel match table); `old`'s tokens absent from `new` get
    /// [`ABSENT`], since they can never be part of a common subsequence. Returns `k`.
    pub fn intern<O: Offset>(
        &mut self,
        old: Side<'_, O>,
        new: Side<'_, O>,
        ids: &mut Ids,
    ) -> usize {
        let total = new.toks.len() + old.toks.len();
        if total >= self.partition_from && partitioned::fits(total) {
            let k = self.partitioned.intern(old, new, ids);
            self.last_table = self.partitioned.largest_table;
            return k;
        }
        self.reset(new.toks.len());
        ids.new.clear();
        ids.old.clear();
        let (old_toks, new_toks) = (old.toks, new.toks);
        let (old, new) = (old.text.as_bytes(), new.text.as_bytes());
        for t in new_toks {
            let h = hash_token(new, t.start(), t.end());
            let (slot, found) = self.find(new, new, (t.start(), t.end()), h);
            if found {
                ids.new.push(self.slots[slot].1);
            } else {
                let id = self.reps.len() as u32;
                self.reps.push((t.start(), t.end()));
                self.slots[slot] = (h, id, self.generation);
                ids.new.push(id);
            }
        }
        for t in old_toks {
            let h = hash_token(old, t.start(), t.end());
            let (slot, found) = self.find(new, old, (t.start(), t.end()), h);
            ids.old
                .push(if found { self.slots[slot].1 } else { ABSENT });
        }
        self.reps.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_are_the_same_at_the_text_end_and_inside() {
        let text = b"abcdefghijklmnop";
        for n in 1..=8 {
            for start in 0..=text.len() - n {
                let mut w = [0u8; 8];
                w[..n].copy_from_slice(&text[start..start + n]);
                assert_eq!(
                    load_at(text, start, n),
                    u64::from_le_bytes(w),
                    "{start} {n}"
                );
            }
        }
        let (a, b) = (b"xx token", b"token");
        assert!(same_bytes(a, (3, 8), b, (0, 5)));
        assert_eq!(hash_token(a, 3, 8), hash_token(b, 0, 5));
        assert!(!same_bytes(a, (3, 8), b, (0, 4)));
    }

    #[test]
    fn probing_starts_at_the_high_hash_bits_and_wraps() {
        // Eight slots, live 5, 6, 7 and 0; the token sits in 0 or nowhere.
        let live = |i: usize| matches!(i, 5 | 6 | 7 | 0);
        let h = 5u64 << 32 | 3; // the low bits (3) must not pick the slot
        assert_eq!(probe(h, 7, live, |i| i == 0), (0, true));
        assert_eq!(probe(h, 7, live, |_| false), (1, false));
        assert_eq!(probe(h, 7, live, |i| i == 6), (6, true));
        // A token past the first empty slot is not reached: that slot ends the probe.
        assert_eq!(probe(6u64 << 32, 7, |i| i != 1, |i| i == 3), (1, false));
        // Only the bits under the mask of the high half count.
        assert_eq!(probe(13u64 << 32, 7, |_| false, |_| true), (5, false));
    }

    fn tokens_of(text: &str) -> Vec<super::super::tokens::Token> {
        let mut v = Vec::new();
        super::super::tokens::tokenize(text, crate::text::shingle::Unit::Word, &mut v);
        v
    }

    fn ids(interner: &mut Interner, old: &str, new: &str) -> (Vec<u32>, Vec<u32>, usize) {
        let (to, tn) = (tokens_of(old), tokens_of(new));
        let mut ids = Ids::default();
        let (old, new) = (
            Side {
                text: old,
                toks: &to,
            },
            Side {
                text: new,
                toks: &tn,
            },
        );
        let k = interner.intern(old, new, &mut ids);
        (ids.old, ids.new, k)
    }

    fn lcg(s: &mut u64) -> u64 {
        *s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *s >> 33
    }

    #[test]
    fn partitioned_ids_are_the_single_tables() {
        // Short and long tokens (long ones sharing their first eight bytes), non-ASCII ones, few and
        // many distinct tokens, one side much longer than the other; the same interners reused.
        let mut s = 1u64;
        let (mut single, mut parts) = (
            Interner {
                partition_from: usize::MAX,
                ..Interner::default()
            },
            Interner {
                partition_from: 0,
                ..Interner::default()
            },
        );
        let (mut absent, mut present) = (0, 0);
        for (round, (vocab, n, m)) in [
            (5, 300, 300),
            (50, 3000, 10),
            (2000, 10, 3000),
            (4000, 20000, 20000),
            (100_000, 30000, 30000),
        ]
        .into_iter()
        .enumerate()
        {
            let word = |s: &mut u64| match lcg(s) % vocab {
                w if w % 7 == 0 => format!("prefixed_long_token_{w}"),
                w if w % 11 == 0 => format!("naïve{w}"),
                w if w % 13 == 0 => ",".to_owned(),
                w => format!("w{w}"),
            };
            let old: Vec<String> = (0..n).map(|_| word(&mut s)).collect();
            let new: Vec<String> = (0..m).map(|_| word(&mut s)).collect();
            let (old, new) = (old.join(" "), new.join(" "));
            let want = ids(&mut single, &old, &new);
            let got = ids(&mut parts, &old, &new);
            assert_eq!(got, want, "round {round}");
            absent += want.0.iter().filter(|&&id| id == ABSENT).count();
            present += want.0.iter().filter(|&&id| id != ABSENT).count();
        }
        // Both kinds of `old` token were met.
        assert!(absent > 1000 && present > 1000, "{absent} {present}");
    }

    #[test]
    fn long_middles_are_interned_in_cache_sized_tables() {
        // 200,000 distinct tokens a side: one table would take 2^19 slots (8 MB), past the caches.
        let words = |p: &str| -> String { (0..200_000).map(|i| format!("{p}{i} ")).collect() };
        let (old, new) = (words("a"), words("b"));
        let mut interner = Interner::default();
        let (io, inn, k) = ids(&mut interner, &old, &new);
        assert_eq!(k, 200_000);
        assert!(io.iter().all(|&id| id == ABSENT));
        assert!(inn.iter().enumerate().all(|(j, &id)| id as usize == j));
        assert!(
            interner.last_table <= 2 * partitioned::PART_ITEMS,
            "a table of {} slots",
            interner.last_table
        );
        // Short middles keep the single table.
        let _ = ids(&mut interner, "a b c", "c d");
        assert_eq!(interner.last_table, 64);
    }
}
