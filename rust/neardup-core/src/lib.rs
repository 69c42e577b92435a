//! # neardup-core
//!
//! The pure-Rust core of neardup: shingling and MinHash signatures ([`minhash`]), banded LSH ([`lsh`]),
//! verification and clustering ([`cluster`]), word-level edit scripts ([`diff`]) and bit-exact datasketch
//! schemes ([`compat::datasketch`]). No Python here: the `neardup-py` crate wraps it.
//!
//! ```
//! use neardup_core::{cluster, minhash::{MinHasher, Scheme}, text::shingle::ShingleConfig};
//!
//! let cfg = ShingleConfig::default();
//! let hasher = MinHasher::new(128, cfg, Scheme::Oph).unwrap();
//! let texts = [
//!     "we study near duplicate detection with minhash and lsh on paper abstracts",
//!     "We study near-duplicate detection with MinHash and LSH on paper abstracts.",
//!     "an entirely different text about protein folding and molecular dynamics",
//! ];
//! let out = cluster::dedup(&texts, cfg, &hasher, 0.8).unwrap();
//! assert_eq!(out.clusters, vec![vec![0, 1]]);
//! ```

pub mod cluster;
pub mod compat;
pub mod diff;
pub mod engine;
pub mod error;
pub mod identify;
pub mod lsh;
pub mod minhash;
pub mod read;
pub mod text;
pub mod trace;

pub use error::{Error, Result};
