//! [`Heads`]: one band's open-addressing table from a band hash to the first slot of its bucket chain.
//!
//! Why not a `HashMap`: an LSH query probes one table per band, and at tens of thousands of items a
//! band's table falls out of the L2 cache, so a probe costs a cache miss; `hashbrown` keeps control
//! bytes and entries apart (two misses). Here an entry is 8 bytes (a 32-bit tag of the band hash and
//! the head slot) in one array with linear probing, so a probe is one miss, and a caller can issue the
//! first read of every band's probe before it looks at any ([`Heads::first`]).
//!
//! Only the tag is kept: it both places the entry and identifies it. Two band hashes with one tag share
//! an entry, which only joins their chains; the index compares band values on lookup anyway.

/// No slot: an empty entry, or the end of a chain.
pub const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    tag: u32,
    head: u32,
}

const EMPTY: Entry = Entry { tag: 0, head: NIL };

/// The tag of a band hash (already mixed, so its high half is as good as any).
#[inline]
pub fn tag_of(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// Tag → head slot; linear probing, at most 3/4 full, deletion by backward shift (no tombstones).
#[derive(Debug, Clone, Default)]
pub struct Heads {
    entries: Vec<Entry>,
    len: usize,
}

impl Heads {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn home(&self, tag: u32) -> usize {
        tag as usize & (self.entries.len() - 1)
    }

    /// Makes room for `extra` more entries, so that inserting them does not re-hash.
    pub fn reserve(&mut self, extra: usize) {
        let need = self.len + extra;
        if need * 4 <= self.entries.len() * 3 {
            return;
        }
        let cap = (need * 4 / 3 + 1).next_power_of_two().max(16);
        let old = std::mem::replace(&mut self.entries, vec![EMPTY; cap]);
        for e in old.into_iter().filter(|e| e.head != NIL) {
            let at = self.vacancy(e.tag);
            self.entries[at] = e;
        }
    }

    /// The first empty position on `tag`'s probe sequence.
    fn vacancy(&self, tag: u32) -> usize {
        let mask = self.entries.len() - 1;
        let mut at = self.home(tag);
        while self.entries[at].head != NIL {
            at = (at + 1) & mask;
        }
        at
    }

    /// The position holding `tag`, if any.
    #[inline]
    fn find(&self, tag: u32) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let mask = self.entries.len() - 1;
        let mut at = self.home(tag);
        loop {
            let e = self.entries[at];
            if e.head == NIL {
                return None;
            }
            if e.tag == tag {
                return Some(at);
            }
            at = (at + 1) & mask;
        }
    }

    /// The entry at `tag`'s home position, read only to bring its cache line in early: a query reads
    /// this for every band first, so the misses overlap, then calls [`Heads::get`].
    #[inline]
    pub fn first(&self, tag: u32) -> u32 {
        if self.entries.is_empty() {
            return NIL;
        }
        self.entries[self.home(tag)].head
    }

    /// The head slot of `tag`'s chain.
    #[inline]
    pub fn get(&self, tag: u32) -> Option<u32> {
        self.find(tag).map(|at| self.entries[at].head)
    }

    /// Makes `slot` the head of `tag`'s chain; returns the previous head (`NIL` for a new chain).
    pub fn push(&mut self, tag: u32, slot: u32) -> u32 {
        self.reserve(1);
        // One walk of the probe sequence: the tag's entry, or else the first empty position (where a
        // lookup of the tag stops), which is where it goes.
        let mask = self.entries.len() - 1;
        let mut at = self.home(tag);
        loop {
            let e = &mut self.entries[at];
            if e.head == NIL {
                *e = Entry { tag, head: slot };
                self.len += 1;
                return NIL;
            }
            if e.tag == tag {
                return std::mem::replace(&mut e.head, slot);
            }
            at = (at + 1) & mask;
        }
    }

    /// Sets the head of `tag`'s chain (which must exist) to `slot`, or removes the chain when `slot`
    /// is `NIL`.
    pub fn set(&mut self, tag: u32, slot: u32) {
        let Some(mut at) = self.find(tag) else {
            return;
        };
        if slot != NIL {
            self.entries[at].head = slot;
            return;
        }
        // Backward-shift deletion: later entries of the run move up when their home allows it, so
        // every entry stays reachable from its home without tombstones.
        let mask = self.entries.len() - 1;
        let mut next = (at + 1) & mask;
        loop {
            let e = self.entries[next];
            if e.head == NIL {
                break;
            }
            let home = self.home(e.tag);
            // `e` may fill the hole at `at` unless its home lies cyclically in (at, next].
            let stays = if at <= next {
                at < home && home <= next
            } else {
                at < home || home <= next
            };
            if !stays {
                self.entries[at] = e;
                at = next;
            }
            next = (next + 1) & mask;
        }
        self.entries[at] = EMPTY;
        self.len -= 1;
    }

    /// `(tag, head)` of every chain, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.entries
            .iter()
            .filter(|e| e.head != NIL)
            .map(|e| (e.tag, e.head))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get_and_remove_through_collisions() {
        let mut h = Heads::default();
        // Tags sharing low bits collide at their home and form one probe run.
        let tags: Vec<u32> = (0..40u32).map(|i| i << 16 | 3).collect();
        for (slot, &t) in tags.iter().enumerate() {
            assert_eq!(h.push(t, slot as u32), NIL);
        }
        assert_eq!(h.push(tags[5], 99), 5);
        assert_eq!(h.len(), 40);
        // Remove every other tag; the rest stay reachable after backward shifts.
        for &t in tags.iter().step_by(2) {
            h.set(t, NIL);
        }
        for (i, &t) in tags.iter().enumerate() {
            let want = match i {
                _ if i % 2 == 0 => None,
                5 => Some(99),
                _ => Some(i as u32),
            };
            assert_eq!(h.get(t), want, "tag {t:#x}");
        }
        assert_eq!(h.len(), 20);
        assert_eq!(h.iter().count(), 20);
    }

    #[test]
    fn wrap_around_runs_survive_deletion() {
        let mut h = Heads::default();
        h.reserve(8); // 16 entries
        let end = 15u32; // home at the last position: its run wraps to the start
        let tags = [end, end | 1 << 20, end | 2 << 20, 0, 1];
        for (s, &t) in tags.iter().enumerate() {
            h.push(t, s as u32);
        }
        h.set(tags[0], NIL);
        h.set(tags[3], NIL);
        assert_eq!(h.get(tags[1]), Some(1));
        assert_eq!(h.get(tags[2]), Some(2));
        assert_eq!(h.get(tags[4]), Some(4));
        assert_eq!(h.get(tags[0]), None);
        assert_eq!(h.get(tags[3]), None);
    }
}
