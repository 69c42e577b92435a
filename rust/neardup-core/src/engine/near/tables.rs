//! The small hash tables of the near stage, keyed by feature hashes (uniform 64-bit values, so
//! their low bits index the tables directly).
//!
//! Both are sized to stay in the first cache levels and are reused between documents or partitions:
//! `hashbrown` maps cost about twice as much per operation here, and the verification loop probes
//! every feature of every candidate.

/// The empty slot. A feature that hashes to 0 is held aside in a flag or counter of its own.
const EMPTY: u64 = 0;

/// Counts of features, by open addressing with linear probing.
#[derive(Default)]
pub(super) struct Counter {
    keys: Vec<u64>,
    counts: Vec<u32>,
    zero: u32,
    mask: usize,
}

impl Counter {
    /// Empties the table and makes room for `n` distinct features at a load of at most one half.
    pub(super) fn reset(&mut self, n: usize) {
        let cap = (2 * n).next_power_of_two().max(16);
        self.keys.clear();
        self.keys.resize(cap, EMPTY);
        self.counts.clear();
        self.counts.resize(cap, 0);
        self.zero = 0;
        self.mask = cap - 1;
    }

    /// The slot holding `f`, or the empty slot where it belongs.
    fn slot(&self, f: u64) -> usize {
        let mut i = f as usize & self.mask;
        while self.keys[i] != f && self.keys[i] != EMPTY {
            i = (i + 1) & self.mask;
        }
        i
    }

    pub(super) fn add(&mut self, f: u64) {
        if f == EMPTY {
            self.zero += 1;
            return;
        }
        let i = self.slot(f);
        self.keys[i] = f;
        self.counts[i] += 1;
    }

    pub(super) fn get(&self, f: u64) -> u32 {
        if f == EMPTY {
            self.zero
        } else {
            self.counts[self.slot(f)]
        }
    }
}

/// Features seen so far in one document, to de-duplicate them in order of first occurrence (cheaper than
/// sorting them): open addressing with linear probing, emptied for each document.
#[derive(Default)]
pub(super) struct Seen {
    keys: Vec<u64>,
    zero: bool,
    mask: usize,
}

impl Seen {
    /// Empties the set and makes room for `n` features at a load of at most one half.
    pub(super) fn reset(&mut self, n: usize) {
        let cap = (2 * n).next_power_of_two().max(16);
        self.keys.clear();
        self.keys.resize(cap, EMPTY);
        self.zero = false;
        self.mask = cap - 1;
    }

    /// Adds `f`; whether it was new. At most the `n` of the last [`Seen::reset`] distinct features.
    pub(super) fn insert(&mut self, f: u64) -> bool {
        if f == EMPTY {
            return !std::mem::replace(&mut self.zero, true);
        }
        let mut i = f as usize & self.mask;
        loop {
            match self.keys[i] {
                k if k == f => return false,
                EMPTY => {
                    self.keys[i] = f;
                    return true;
                }
                _ => i = (i + 1) & self.mask,
            }
        }
    }
}

/// Slots per bucket of a [`Set`].
const WAYS: usize = 4;

/// Membership of features, in buckets of four slots: a lookup compares one bucket's four slots at once,
/// so the answer is data, not a branch that a mix of hits and misses would mispredict. Features whose
/// bucket is full (rare: buckets hold a quarter to a half feature on average) go to a short spill list.
#[derive(Default)]
pub(super) struct Set {
    slots: Vec<u64>,
    spill: Vec<u64>,
    zero: bool,
    mask: usize,
}

impl Set {
    /// The set of `feats` (distinct).
    pub(super) fn fill(&mut self, feats: &[u64]) {
        let buckets = (2 * feats.len()).next_power_of_two().max(4);
        self.slots.clear();
        self.slots.resize(buckets * WAYS, EMPTY);
        self.spill.clear();
        self.zero = false;
        self.mask = buckets - 1;
        for &f in feats {
            if f == EMPTY {
                self.zero = true;
                continue;
            }
            let b = (f as usize & self.mask) * WAYS;
            match self.slots[b..b + WAYS].iter().position(|&s| s == EMPTY) {
                Some(w) => self.slots[b + w] = f,
                None => self.spill.push(f),
            }
        }
    }

    pub(super) fn contains(&self, f: u64) -> bool {
        let b = (f as usize & self.mask) * WAYS;
        let bucket = &self.slots[b..b + WAYS];
        let hit = (bucket[0] == f) | (bucket[1] == f) | (bucket[2] == f) | (bucket[3] == f);
        // Only a full bucket can have spilled.
        let spilled = bucket[WAYS - 1] != EMPTY && self.spill.contains(&f);
        (hit & (f != EMPTY)) | spilled | ((f == EMPTY) & self.zero)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Values crowding a few buckets (equal low bits), the empty value, and spread-out ones.
    fn values() -> Vec<u64> {
        let mut state = 11u64;
        let mut out: Vec<u64> = (0..40).map(|i| (i << 40) | 5).collect();
        out.push(0);
        out.extend((0..300).map(|_| crate::minhash::splitmix64(&mut state)));
        out
    }

    #[test]
    fn counter_counts_every_value_including_zero() {
        let vals = values();
        let mut c = Counter::default();
        let mut naive: HashMap<u64, u32> = HashMap::new();
        c.reset(vals.len());
        for (i, &v) in vals.iter().enumerate() {
            for _ in 0..=(i % 3) {
                c.add(v);
                *naive.entry(v).or_default() += 1;
            }
        }
        for &v in &vals {
            assert_eq!(c.get(v), naive[&v]);
        }
        assert_eq!(c.get(12345), 0);
        c.reset(4);
        assert_eq!(c.get(vals[0]), 0);
    }

    #[test]
    fn seen_reports_each_value_once() {
        let vals = values();
        let mut s = Seen::default();
        s.reset(vals.len());
        assert!(vals.iter().all(|&v| s.insert(v)));
        assert!(vals.iter().all(|&v| !s.insert(v)));
        s.reset(1);
        assert!(s.insert(0) && !s.insert(0) && s.insert(vals[0]));
    }

    #[test]
    fn set_holds_exactly_its_members() {
        let vals = values();
        let (members, others) = vals.split_at(vals.len() / 2);
        let mut s = Set::default();
        s.fill(members);
        assert!(!s.spill.is_empty(), "the crowded bucket spills");
        assert!(members.iter().all(|&f| s.contains(f)));
        assert!(others.iter().all(|&f| !s.contains(f)));
        s.fill(others);
        assert!(others.iter().all(|&f| s.contains(f)));
        assert!(members.iter().all(|&f| !s.contains(f)));
    }
}
