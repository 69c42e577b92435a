//! The one `Hasher` of the core's hash maps, for keys that are already hashes and for short strings.
//!
//! Band keys and identity hashes are already uniformly mixed, so a `u64` key is its own hash (no work per
//! lookup). Bytes (a `str` key, a title and abstract) are hashed with one-shot XXH3, seeded with the state
//! so far: the streaming `Xxh3Default` sets up a 600-byte state for each key, which made it the main cost
//! of maps keyed by short titles. `str`'s `Hash` ends with a 0xFF marker byte, folded in by a multiply
//! rather than a second XXH3 call.
//!
//! The values are pinned by a test: what is keyed by them (iteration orders, parts of a split by hash)
//! must not change under callers that depend on them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// See the module documentation.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }
    fn write_u8(&mut self, byte: u8) {
        self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// [`KeyHasher`] for `HashMap` and `HashSet`.
pub type BuildKeyHasher = BuildHasherDefault<KeyHasher>;

/// A map keyed by values that are already hashes.
pub type IdHashMap<V> = HashMap<u64, V, BuildKeyHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn hash_values_do_not_change() {
        let h = BuildKeyHasher::default();
        // Already-hashed keys pass through.
        assert_eq!(h.hash_one(0x1234_5678_9abc_def0u64), 0x1234_5678_9abc_def0);
        assert_eq!(h.hash_one(7u64), 7);
        // Strings and pairs of strings: XXH3 of the bytes, then the 0xFF marker folded in.
        assert_eq!(h.hash_one("abc"), 0x05aa_455d_9e66_7f5b);
        assert_eq!(h.hash_one(""), 0x0150_60bc_41ca_b501);
        assert_eq!(
            h.hash_one(("Near duplicates", "we study")),
            0x6fc9_e861_3e2e_2f84
        );
    }
}
