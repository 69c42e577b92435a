//! One band of the index: the key a signature takes in it ([`hash_bands`]) and its table, an
//! open-addressing table whose buckets chain rows through a flat array (see the [`super`] module
//! documentation for the memory per item).
//!
//! The key function is shared by everything that bands signatures (the index, `cluster::bands`,
//! `cluster::pairs`, `cluster::links`), so that two signatures are candidates everywhere exactly when they
//! are candidates in the index; saved indexes hold its values, so it must not change.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::minhash::is_empty_signature;

/// End of a bucket chain; as a slot's row, a removed slot.
pub(super) const NONE: u32 = u32::MAX;

/// Lookups whose table entries are loaded together (see [`LshIndex::query_many_slots`]).
///
/// [`LshIndex::query_many_slots`]: super::LshIndex::query_many_slots
pub(super) const PROBE_GROUP: usize = 64;

/// Writes the keys of `out.len()` bands of `rows` rows of `sig` into `out`: band `b` is the XXH3-64 of its
/// rows' little-endian bytes, seeded with `b`. False (and `out` untouched) for an empty-set signature,
/// which takes no band: it is nobody's near-duplicate.
pub(crate) fn hash_bands(rows: usize, sig: &[u32], out: &mut [u64]) -> bool {
    if is_empty_signature(sig) {
        return false;
    }
    // The bytes of every band at once, then the hashes: hashing each band right after writing its
    // bytes 4 at a time makes xxh3's 8-byte reads wait on store forwarding (a third of the time).
    let used = out.len() * rows;
    let mut stack = [0u8; 4 * 256];
    let mut heap = Vec::new();
    let buf: &mut [u8] = if used <= 256 {
        &mut stack[..used * 4]
    } else {
        heap.resize(used * 4, 0);
        &mut heap
    };
    for (chunk, v) in buf.chunks_exact_mut(4).zip(&sig[..used]) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    for (band, (key, bytes)) in out.iter_mut().zip(buf.chunks_exact(rows * 4)).enumerate() {
        *key = xxh3_64_with_seed(bytes, band as u64);
    }
    true
}

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
