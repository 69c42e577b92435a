//! Keys, buckets and band tables of the index: one open-addressing table per band, its buckets chaining
//! rows through a flat array (see the [`super`] module documentation for the memory per item).

use std::collections::HashMap;

/// A key as Python callers see it: an int or a str.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Int(i64),
    Str(String),
}

/// End of a bucket chain; as a slot's row, a removed slot.
pub(super) const NONE: u32 = u32::MAX;
pub(super) const REMOVED: u32 = NONE;
/// The row of a live slot with an empty-set signature: it is in no bucket.
pub(super) const UNBANDED: u32 = u32::MAX - 1;

/// Queries per block in [`LshIndex::query_many_slots`]: bounds the scratch memory of a block (~20 bytes per
/// query and band). Large blocks let a band's table, probed by every query of the block in turn, stay in
/// cache; bands are the unit of parallel work.
pub(super) const QUERY_BLOCK: usize = 32768;
/// Lookups whose table entries are loaded together (see [`LshIndex::query_many_slots`]).
pub(super) const PROBE_GROUP: usize = 64;
/// Queries hashed together (one parallel task) in [`LshIndex::query_many_slots`].
pub(super) const HASH_CHUNK: usize = 1024;

/// A bucket: its key (a band hash), its newest row and its size. `head == NONE` marks a free entry.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bucket {
    pub(super) key: u64,
    pub(super) head: u32,
    pub(super) len: u32,
}

pub(super) const FREE: Bucket = Bucket {
    key: 0,
    head: NONE,
    len: 0,
};

/// One band's buckets: an open-addressing table (linear probing, load at most 3/4) of [`Bucket`]s, each
/// the head of an intrusive list of rows through `next[row]` (newest first). Almost every bucket holds one
/// item, so an item costs one 16-byte entry (at most 4/3 of one) plus 4 bytes, with no allocation per
/// bucket; band hashes are uniformly mixed, so their low bits index the table directly.
#[derive(Debug, Clone, Default)]
pub(super) struct Band {
    pub(super) table: Vec<Bucket>,
    pub(super) used: usize,
    pub(super) next: Vec<u32>,
}

impl Band {
    /// Table position where `key` is or would go.
    pub(super) fn position(&self, key: u64) -> usize {
        let mask = self.table.len() - 1;
        let mut i = key as usize & mask;
        loop {
            let b = &self.table[i];
            if b.head == NONE || b.key == key {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    pub(super) fn find(&self, key: u64) -> Option<&Bucket> {
        if self.table.is_empty() {
            return None;
        }
        let b = &self.table[self.position(key)];
        (b.head != NONE).then_some(b)
    }

    /// Room for `additional` more buckets without passing the load limit.
    pub(super) fn reserve(&mut self, additional: usize) {
        let need = self.used + additional;
        if need * 4 < self.table.len() * 3 {
            return;
        }
        let mut cap = self.table.len().max(16);
        while need * 4 >= cap * 3 {
            cap *= 2;
        }
        let old = std::mem::replace(&mut self.table, vec![FREE; cap]);
        for b in old.into_iter().filter(|b| b.head != NONE) {
            let i = self.position(b.key);
            self.table[i] = b;
        }
    }

    pub(super) fn push(&mut self, key: u64, row: u32) {
        self.reserve(1);
        let i = self.position(key);
        let b = &mut self.table[i];
        if b.head == NONE {
            *b = Bucket {
                key,
                head: row,
                len: 1,
            };
            self.used += 1;
            self.next[row as usize] = NONE;
        } else {
            self.next[row as usize] = b.head;
            b.head = row;
            b.len += 1;
        }
    }

    /// [`Band::push`] of many rows, room reserved, keys given by `key_of`: in groups whose home entries are
    /// loaded first, independently of each other, so the processor overlaps their cache misses.
    pub(super) fn push_rows(&mut self, rows: &[u32], key_of: impl Fn(u32) -> u64) {
        if rows.is_empty() {
            return;
        }
        self.reserve(rows.len());
        let mask = self.table.len() - 1;
        for group in rows.chunks(PROBE_GROUP) {
            let mut warm = 0u64;
            for &row in group {
                warm ^= self.table[key_of(row) as usize & mask].key;
            }
            std::hint::black_box(warm);
            for &row in group {
                self.push(key_of(row), row);
            }
        }
    }

    pub(super) fn unlink(&mut self, key: u64, row: u32) {
        if self.table.is_empty() {
            return;
        }
        let i = self.position(key);
        let Bucket { head, len, .. } = self.table[i];
        if head == NONE {
            return;
        }
        let after = self.next[row as usize];
        if head == row {
            if len == 1 {
                self.delete_at(i);
            } else {
                self.table[i].head = after;
                self.table[i].len -= 1;
            }
        } else {
            let mut s = head;
            while s != NONE {
                let n = self.next[s as usize];
                if n == row {
                    self.next[s as usize] = after;
                    self.table[i].len -= 1;
                    break;
                }
                s = n;
            }
        }
        self.next[row as usize] = NONE;
    }

    /// Frees entry `i`, shifting later entries of its probe run back (no tombstones).
    pub(super) fn delete_at(&mut self, mut i: usize) {
        let mask = self.table.len() - 1;
        self.used -= 1;
        let mut j = i;
        loop {
            self.table[i] = FREE;
            loop {
                j = (j + 1) & mask;
                let b = self.table[j];
                if b.head == NONE {
                    return;
                }
                let home = b.key as usize & mask;
                // `b` may stay unless its home lies cyclically in (i, j].
                let stays = if i <= j {
                    i < home && home <= j
                } else {
                    i < home || home <= j
                };
                if !stays {
                    self.table[i] = b;
                    i = j;
                    break;
                }
            }
        }
    }

    /// Appends the rows of `bucket` (newest first).
    pub(super) fn members_into(&self, bucket: &Bucket, out: &mut Vec<u32>) {
        let mut r = bucket.head;
        while r != NONE {
            out.push(r);
            r = self.next[r as usize];
        }
    }

    pub(super) fn buckets(&self) -> impl Iterator<Item = &Bucket> {
        self.table.iter().filter(|b| b.head != NONE)
    }
}

/// How keys map to slots.
#[derive(Debug, Clone)]
pub(super) enum Keys {
    /// Every key is the int equal to its slot number (keys inserted as `0, 1, 2, …`): no map needed.
    Dense,
    /// Arbitrary keys: the key of each slot (`None` for removed slots) and the slot of each live key.
    Map {
        keys: Vec<Option<Key>>,
        slots: HashMap<Key, u32>,
    },
}

/// Candidates of many queries, compressed: those of query `i` are `slots[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    pub offsets: Vec<usize>,
    pub slots: Vec<u32>,
}

impl Candidates {
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn get(&self, i: usize) -> &[u32] {
        &self.slots[self.offsets[i]..self.offsets[i + 1]]
    }
}
