//! Bit-exact re-implementation of datasketch's MinHash (datasketch 2.x, `datasketch/minhash.py`,
//! `datasketch/hashfunc.py`, `datasketch/lsh.py`), so signatures stored by datasketch users stay valid.
//!
//! The recipe, per scheme (Broder, "On the resemblance and containment of documents", 1997, with the
//! universal hash families of Carter & Wegman, 1979):
//! - Token hash: `sha1_hash32(token)` = the first 4 bytes of SHA-1, little-endian (`sha1_hash64` and 8
//!   bytes for "affine64").
//! - Permutation parameters: drawn from `numpy.random.RandomState(seed)` (MT19937, see
//!   [`super::mt19937`]).
//!   - "legacy" (datasketch 1.x): per permutation, `a = randint(1, p)` then `b = randint(0, p)` as
//!     uint64, `p = 2**61 - 1`; `π(h) = ((a·h + b) mod 2**64 mod p) & (2**32 - 1)`, stored as uint64.
//!   - "affine32" (the 2.x default): first all `a = 2·randint(0, 2**31) + 1`, then all
//!     `b = randint(0, 2**32)`, as uint32; `π(h) = a·fmix32(h) + b mod 2**32`, stored as uint32.
//!   - "affine64": the same over 64 bits with `fmix64` and `sha1_hash64`.
//! - Signature: the element-wise minimum over tokens, starting from the scheme's maximum value.
//!
//! LSH over these signatures is in [`lsh`]: the `(b, r)` choice and band keys as datasketch builds them.
//!
//! Speed comes from batching, never from changing the arithmetic: token hashes are computed 16 at a
//! time with AVX-512 (or 4 interleaved with the SHA extensions, else one by one), the permutations are
//! folded in with register-blocked vector loops, and [`DsMinHasher::bulk`] spreads documents over
//! rayon threads.
//!
//! ```
//! use neardup_core::compat::datasketch::{DsMinHasher, Scheme, TokenHash};
//!
//! // datasketch: m = MinHash(num_perm=4, seed=1); m.update_batch([b"abc"]); m.hashvalues
//! let h = DsMinHasher::new(Scheme::Affine32, 1, 4).unwrap();
//! let mut sig = vec![u32::MAX; 4];
//! h.fold_tokens(&mut sig, [b"abc".as_slice()], TokenHash::Sha1x32).unwrap();
//! assert_eq!(sig, [3_252_218_680, 958_213_318, 2_818_587_614, 2_870_362_048]);
//! ```

pub mod forest;
mod hash;
mod heads;
mod kernel;
pub mod lsh;
mod quadpack;
#[cfg(target_arch = "x86_64")]
mod sha_avx512;
#[cfg(target_arch = "x86_64")]
mod sha_ni;
mod stream;
mod tokens;
pub mod weighted;

use rayon::prelude::*;

use super::mt19937::Mt19937;
use crate::error::{invalid, Error, Result};

pub use hash::{fmix32, fmix64, sha1_hash32, sha1_hash64, sha1_prefixes};
pub use kernel::MERSENNE_61;
pub use stream::StreamError;
pub use tokens::ByteDocs;

/// datasketch's permutation schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Legacy,
    Affine32,
    Affine64,
}

impl Scheme {
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "legacy" => Ok(Scheme::Legacy),
            "affine32" => Ok(Scheme::Affine32),
            "affine64" => Ok(Scheme::Affine64),
            other => Err(invalid(
                "scheme",
                format!("must be one of affine32, affine64, legacy, got {other:?}"),
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Legacy => "legacy",
            Scheme::Affine32 => "affine32",
            Scheme::Affine64 => "affine64",
        }
    }

    /// Hash values are uint32 for "affine32" and uint64 otherwise (datasketch's dtypes).
    pub fn is_narrow(self) -> bool {
        self == Scheme::Affine32
    }

    /// The value of an untouched slot (also the largest value a slot can take).
    pub fn max_hash(self) -> u64 {
        match self {
            Scheme::Legacy | Scheme::Affine32 => u32::MAX as u64,
            Scheme::Affine64 => u64::MAX,
        }
    }
}

/// The token hash applied to byte tokens before the permutations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHash {
    /// `datasketch.hashfunc.sha1_hash32`.
    Sha1x32,
    /// `datasketch.hashfunc.sha1_hash64`.
    Sha1x64,
}

impl TokenHash {
    /// The hash datasketch uses by default for `scheme`.
    pub fn default_for(scheme: Scheme) -> Self {
        match scheme {
            Scheme::Affine64 => TokenHash::Sha1x64,
            Scheme::Legacy | Scheme::Affine32 => TokenHash::Sha1x32,
        }
    }

    #[inline]
    pub fn hash(self, token: &[u8]) -> u64 {
        match self {
            TokenHash::Sha1x32 => sha1_hash32(token) as u64,
            TokenHash::Sha1x64 => sha1_hash64(token),
        }
    }

    /// Appends the hash of every token to `out` (the batched, faster form of [`TokenHash::hash`]).
    pub fn hash_into<'t>(self, tokens: impl Iterator<Item = &'t [u8]>, out: &mut Vec<u64>) {
        sha1_prefixes(tokens, self == TokenHash::Sha1x64, out);
    }
}

/// Permutation parameters in the scheme's own width.
#[derive(Debug, Clone)]
enum Params {
    Narrow { a: Vec<u32>, b: Vec<u32> },
    Wide { a: Vec<u64>, b: Vec<u64> },
}

/// The permutations of one datasketch `MinHash(num_perm, seed, scheme)`; folds tokens into signatures.
#[derive(Debug, Clone)]
pub struct DsMinHasher {
    scheme: Scheme,
    params: Params,
}

/// Refuses sizes whose buffers could not be allocated (an allocation failure would abort the process).
fn reserve<T: Clone>(n: usize, fill: T, what: &'static str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| invalid(what, format!("{n} values do not fit in memory")))?;
    v.resize(n, fill);
    Ok(v)
}

impl DsMinHasher {
    /// The permutations datasketch draws for `MinHash(num_perm=num_perm, seed=seed, scheme=scheme)`.
    pub fn new(scheme: Scheme, seed: u32, num_perm: usize) -> Result<Self> {
        if num_perm == 0 {
            return Err(invalid("num_perm", "must be positive"));
        }
        let mut rng = Mt19937::new(seed);
        // The bounds below are constants inside each dtype's range, so every draw is `Some`.
        let draw32 = |rng: &mut Mt19937, high: u64| rng.randint_u32(0, high).unwrap_or(0);
        let params = match scheme {
            Scheme::Legacy => {
                let (mut a, mut b) = (
                    reserve(num_perm, 0, "num_perm")?,
                    reserve(num_perm, 0, "num_perm")?,
                );
                // datasketch 1.x draws (a, b) pairs, one permutation after the other.
                for i in 0..num_perm {
                    a[i] = rng.randint_u64(1, MERSENNE_61 as u128).unwrap_or(1);
                    b[i] = rng.randint_u64(0, MERSENNE_61 as u128).unwrap_or(0);
                }
                Params::Wide { a, b }
            }
            Scheme::Affine32 => {
                let (mut a, mut b) = (
                    reserve(num_perm, 0, "num_perm")?,
                    reserve(num_perm, 0, "num_perm")?,
                );
                // 2.x draws all multipliers first (made odd, so each map is a bijection), then all offsets.
                for v in a.iter_mut() {
                    *v = draw32(&mut rng, 1 << 31) * 2 + 1;
                }
                for v in b.iter_mut() {
                    *v = draw32(&mut rng, 1 << 32);
                }
                Params::Narrow { a, b }
            }
            Scheme::Affine64 => {
                let (mut a, mut b) = (
                    reserve(num_perm, 0, "num_perm")?,
                    reserve(num_perm, 0, "num_perm")?,
                );
                for v in a.iter_mut() {
                    *v = rng.randint_u64(0, 1 << 63).unwrap_or(0) * 2 + 1;
                }
                for v in b.iter_mut() {
                    *v = rng.randint_u64(0, 1 << 64).unwrap_or(0);
                }
                Params::Wide { a, b }
            }
        };
        Ok(DsMinHasher { scheme, params })
    }

    /// Permutations given explicitly (datasketch's `permutations=(a, b)` argument).
    pub fn from_permutations(scheme: Scheme, a: &[u64], b: &[u64]) -> Result<Self> {
        if a.len() != b.len() {
            return Err(Error::LengthMismatch {
                expected: a.len(),
                got: b.len(),
            });
        }
        if a.is_empty() {
            return Err(invalid(
                "permutations",
                "must hold at least one permutation",
            ));
        }
        if scheme != Scheme::Legacy && a.iter().any(|&v| v & 1 == 0) {
            return Err(invalid(
                "permutations",
                format!(
                    "all `a` permutation parameters must be odd for scheme '{}'",
                    scheme.name()
                ),
            ));
        }
        let params = if scheme.is_narrow() {
            let narrow = |v: &[u64]| -> Result<Vec<u32>> {
                v.iter()
                    .map(|&x| u32::try_from(x))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|_| invalid("permutations", "out of range for scheme 'affine32'"))
            };
            Params::Narrow {
                a: narrow(a)?,
                b: narrow(b)?,
            }
        } else {
            Params::Wide {
                a: a.to_vec(),
                b: b.to_vec(),
            }
        };
        Ok(DsMinHasher { scheme, params })
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    pub fn num_perm(&self) -> usize {
        match &self.params {
            Params::Narrow { a, .. } => a.len(),
            Params::Wide { a, .. } => a.len(),
        }
    }

    /// The `(a, b)` parameters, widened to u64.
    pub fn permutations(&self) -> (Vec<u64>, Vec<u64>) {
        match &self.params {
            Params::Narrow { a, b } => (
                a.iter().map(|&v| v as u64).collect(),
                b.iter().map(|&v| v as u64).collect(),
            ),
            Params::Wide { a, b } => (a.clone(), b.clone()),
        }
    }

    /// Folds already-hashed tokens (the outputs of a token hash function) into `sig`.
    pub fn fold_hashes<L: Lane>(&self, sig: &mut [L], hashes: &[u64]) -> Result<()> {
        self.check_sig(sig.len())?;
        L::fold(self, sig, hashes, &mut FoldScratch::default())
    }

    /// Hashes byte tokens with `th` and folds them into `sig` (`MinHash.update_batch`).
    pub fn fold_tokens<'t, L: Lane>(
        &self,
        sig: &mut [L],
        tokens: impl IntoIterator<Item = &'t [u8]>,
        th: TokenHash,
    ) -> Result<()> {
        let mut hashes = Vec::new();
        th.hash_into(tokens.into_iter(), &mut hashes);
        self.fold_hashes(sig, &hashes)
    }

    /// One signature per document, each starting from `init` (`MinHash.bulk`): a row-major
    /// `docs.len() × num_perm` matrix, computed on all rayon threads.
    pub fn bulk<L: Lane>(&self, docs: &ByteDocs, init: &[L], th: TokenHash) -> Result<Vec<L>> {
        self.bulk_range(docs, 0..docs.len(), init, th)
    }

    /// [`Self::bulk`] of the documents `range` of `docs`.
    fn bulk_range<L: Lane>(
        &self,
        docs: &ByteDocs,
        range: std::ops::Range<usize>,
        init: &[L],
        th: TokenHash,
    ) -> Result<Vec<L>> {
        let k = self.num_perm();
        self.check_sig(init.len())?;
        L::check(self)?;
        let total = range
            .len()
            .checked_mul(k)
            .ok_or_else(|| invalid("docs", "too many documents"))?;
        let mut out = reserve(total, L::default(), "docs")?;
        out.par_chunks_mut(k)
            .enumerate()
            .with_min_len(16)
            .try_for_each_init(
                || (Vec::new(), FoldScratch::default()),
                |(hashes, scratch), (d, row)| {
                    row.copy_from_slice(init);
                    hashes.clear();
                    th.hash_into(docs.doc(range.start + d), hashes);
                    L::fold(self, row, hashes, scratch)
                },
            )?;
        Ok(out)
    }

    fn check_sig(&self, len: usize) -> Result<()> {
        if len != self.num_perm() {
            return Err(Error::LengthMismatch {
                expected: self.num_perm(),
                got: len,
            });
        }
        Ok(())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// Memory a fold reuses from one document to the next.
#[derive(Default)]
pub struct FoldScratch {
    narrow: Vec<u32>,
    wide: Vec<u64>,
    signed: Vec<i64>,
}

/// A signature slot type: `u32` for "affine32", `u64` for "legacy" and "affine64".
pub trait Lane: sealed::Sealed + Copy + Default + Send + Sync + 'static {
    /// Fails unless this is the slot type of `h`'s scheme.
    fn check(h: &DsMinHasher) -> Result<()>;
    /// Folds raw token hashes into `sig` (`sig.len()` already checked); `scratch` is reusable memory.
    fn fold(
        h: &DsMinHasher,
        sig: &mut [Self],
        hashes: &[u64],
        scratch: &mut FoldScratch,
    ) -> Result<()>;
}

fn wrong_lane(h: &DsMinHasher, want: &str) -> Error {
    invalid(
        "hashvalues",
        format!("scheme '{}' stores {want} hash values", h.scheme.name()),
    )
}

impl Lane for u32 {
    fn check(h: &DsMinHasher) -> Result<()> {
        match h.params {
            Params::Narrow { .. } => Ok(()),
            Params::Wide { .. } => Err(wrong_lane(h, "uint64")),
        }
    }

    fn fold(
        h: &DsMinHasher,
        sig: &mut [u32],
        hashes: &[u64],
        scratch: &mut FoldScratch,
    ) -> Result<()> {
        let Params::Narrow { a, b } = &h.params else {
            return Err(wrong_lane(h, "uint64"));
        };
        let scratch = &mut scratch.narrow;
        scratch.clear();
        for &v in hashes {
            let v = u32::try_from(v).map_err(|_| {
                invalid(
                    "hashfunc",
                    format!("returned {v}, out of range for scheme 'affine32'"),
                )
            })?;
            scratch.push(fmix32(v));
        }
        kernel::fold_affine32(a, b, scratch, sig);
        Ok(())
    }
}

impl Lane for u64 {
    fn check(h: &DsMinHasher) -> Result<()> {
        match h.params {
            Params::Wide { .. } => Ok(()),
            Params::Narrow { .. } => Err(wrong_lane(h, "uint32")),
        }
    }

    fn fold(
        h: &DsMinHasher,
        sig: &mut [u64],
        hashes: &[u64],
        scratch: &mut FoldScratch,
    ) -> Result<()> {
        let Params::Wide { a, b } = &h.params else {
            return Err(wrong_lane(h, "uint32"));
        };
        if h.scheme != Scheme::Legacy {
            scratch.wide.clear();
            scratch.wide.extend(hashes.iter().map(|&v| fmix64(v)));
            kernel::fold_affine64(a, b, &scratch.wide, sig);
            return Ok(());
        }
        if hashes.is_empty() || hashes.iter().any(|&v| v > u32::MAX as u64) {
            kernel::fold_legacy(a, b, hashes, sig);
            return Ok(());
        }
        // Every permuted value is masked below 2**32, so once one hash is folded no slot stays above
        // that: clamping first changes no result and lets the narrow kernel work in signed lanes.
        scratch.narrow.clear();
        scratch.narrow.extend(hashes.iter().map(|&v| v as u32));
        scratch.signed.clear();
        scratch
            .signed
            .extend(sig.iter().map(|&v| v.min(u32::MAX as u64) as i64));
        kernel::fold_legacy_narrow(a, b, &scratch.narrow, &mut scratch.signed);
        for (s, &v) in sig.iter_mut().zip(&scratch.signed) {
            *s = v as u64;
        }
        Ok(())
    }
}
