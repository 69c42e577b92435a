//! Banded locality-sensitive hashing over MinHash signatures (Broder, "On the resemblance and containment
//! of documents", 1997).
//!
//! Indyk & Motwani, "Approximate nearest neighbors" (STOC 1998); the banding construction and its S-curve
//! `P(candidate | J=s) = 1 − (1 − s^r)^b` as in Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*,
//! ch. 3. A signature of `b·r` values is cut into `b` bands of `r` rows; two signatures become candidates when
//! any band hashes equal. `(b, r)` is chosen as datasketch does: minimise
//! `w_fp·∫₀ᵗ P(s) ds + w_fn·∫ₜ¹ (1 − P(s)) ds` over all `b·r ≤ num_perm`.
//!
//! The index stores, per item, only the `b` band hashes (not the signature) and, per band, one entry of an
//! open-addressing table whose bucket members are chained through a flat array: about `8·b + 4 + 4·b +
//! 16·b·(4/3 at most)` bytes per item, with no allocation per bucket or per item (~1 KB at `b = 25`; rensa's
//! index takes ~1.7 KB, datasketch's ~8.5 KB: `benches/lsh_memory.py`). Keys inserted as `0, 1, 2, …` need
//! no key map. Empty-set signatures are stored (so `contains` and `len` see them) but put in no bucket: they
//! are near-duplicates of nothing.
//!
//! Batches go band by band ([`LshIndex::insert_many`], [`LshIndex::query_many_slots`]): one band's table
//! stays in cache while every item of the batch probes it, and the probes of a group are issued before any
//! is used, so their cache misses overlap.
//!
//! By concern: `params` chooses `(b, r)` for a threshold; `bands` computes a signature's band keys and
//! holds one band's bucket table; `keys` maps item keys to slots; `index` is the index and its
//! updates; `query` its queries; `persist` its saved form (format versions, checksums, files);
//! `hasher` is the hasher of the core's hash maps.

mod bands;
mod hasher;
mod index;
mod keys;
mod params;
mod persist;
mod query;
#[cfg(test)]
mod tests;

pub(crate) use bands::hash_bands;
/// [`KeyHasher`] under the name the engine imports it by.
pub use hasher::KeyHasher as IdentityHasher;
pub use hasher::{BuildKeyHasher, IdHashMap, KeyHasher};
pub use index::LshIndex;
pub use keys::Key;
pub use params::*;
pub use persist::{load_file, save_file, FileError};
pub use query::{distinct_pairs, pack_pair, unpack_pair, Candidates};
