//! MinHash signatures of shingle sets.
//!
//! Two schemes are offered; the default was picked on measurements (see `tests/minhash_quality.rs` and the
//! README's benchmark table):
//!
//! * [`Scheme::Oph`] (default) — **one-permutation hashing with optimal densification**: Li, Owen & Zhang,
//!   "One Permutation Hashing" (NIPS 2012) and Shrivastava, "Optimal Densification for Fast and Accurate
//!   Minwise Hashing" (ICML 2017). Each shingle hash is used once: its high bits pick one of `k` bins, its low
//!   32 bits compete for that bin's minimum. Bins left empty (short texts) borrow the value of a non-empty bin
//!   chosen by a seeded probe sequence that is the same for every document, which keeps the collision
//!   probability equal to the Jaccard similarity. Cost per shingle is O(1) instead of O(k), and for sets larger
//!   than `k` the bins sample *without* replacement, so the estimate's variance is lower than classic MinHash.
//! * [`Scheme::KPerm`] — classic k-permutation MinHash (Broder, "On the resemblance and containment of
//!   documents", 1997) with a multiply-shift family (Dietzfelbinger et al. 1997): `h_i(x) = (a_i·x + b_i) >> 32`
//!   over 64-bit words, `a_i` odd. Cost O(k) per shingle; kept for comparison and for callers who want it.
//!
//! The signature of an empty set is all `u32::MAX` ([`EMPTY`]); its estimated Jaccard with anything is 0.

use rayon::prelude::*;

use crate::error::{invalid, Error, Result};
use crate::shingle::ShingleConfig;

/// Value of every signature slot of an empty shingle set.
pub const EMPTY: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Oph,
    KPerm,
}

impl Scheme {
    pub fn parse(name: &str) -> Result<Scheme> {
        match name {
            "oph" => Ok(Scheme::Oph),
            "kperm" => Ok(Scheme::KPerm),
            other => Err(invalid(
                "scheme",
                format!("expected 'oph' or 'kperm', got {other:?}"),
            )),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Oph => "oph",
            Scheme::KPerm => "kperm",
        }
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, well-mixed generator for the scheme's constants.
#[inline]
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Start of bin `i`'s densification probe sequence.
#[inline]
fn probe_state(seed: u64, i: usize) -> u64 {
    seed ^ ((i as u64) << 20)
}

/// Maps a 64-bit hash uniformly onto `0..n` (Lemire's multiply-high "fast range").
#[inline]
fn fast_range(h: u64, n: usize) -> usize {
    ((h as u128 * n as u128) >> 64) as usize
}

/// Reusable buffers of one worker thread, so batch loops allocate nothing per document.
#[derive(Debug, Default)]
pub struct Scratch {
    toks: Vec<u64>,
    hashes: Vec<u64>,
    filled: Vec<bool>,
    orig: Vec<u32>,
}

/// Computes MinHash signatures with one fixed configuration.
#[derive(Debug, Clone)]
pub struct MinHasher {
    pub shingles: ShingleConfig,
    pub num_perm: usize,
    pub scheme: Scheme,
    /// k-permutation multipliers (odd) and offsets; empty for OPH.
    a: Vec<u64>,
    b: Vec<u64>,
    /// Seed of the densification probe sequences.
    probe_seed: u64,
    /// The first `PROBES` bins of every bin's probe sequence (`PROBES` per bin), precomputed: the
    /// sequence is the same for every document, and looking it up is cheaper than regenerating it.
    probes: Vec<u16>,
}

/// Probe steps precomputed per bin; an empty bin needs fewer than two on average when most bins fill.
const PROBES: usize = 8;

impl MinHasher {
    pub fn new(num_perm: usize, shingles: ShingleConfig, scheme: Scheme) -> Result<Self> {
        if num_perm == 0 {
            return Err(invalid("num_perm", "must be at least 1"));
        }
        if num_perm > 1 << 16 {
            return Err(invalid("num_perm", "must be at most 65536"));
        }
        let mut state = shingles.seed ^ 0x6E65_6172_6475_7021; // "neardup!"
        let (mut a, mut b) = (Vec::new(), Vec::new());
        if scheme == Scheme::KPerm {
            for _ in 0..num_perm {
                a.push(splitmix64(&mut state) | 1);
                b.push(splitmix64(&mut state));
            }
        }
        let probe_seed = splitmix64(&mut state);
        let mut probes = Vec::new();
        if scheme == Scheme::Oph {
            probes.reserve(num_perm * PROBES);
            for i in 0..num_perm {
                let mut st = probe_state(probe_seed, i);
                for _ in 0..PROBES {
                    probes.push(fast_range(splitmix64(&mut st), num_perm) as u16);
                }
            }
        }
        Ok(MinHasher {
            shingles,
            num_perm,
            scheme,
            a,
            b,
            probe_seed,
            probes,
        })
    }

    /// Signature of one set of shingle hashes (duplicates allowed) into `out` (length `num_perm`).
    pub fn signature_of_hashes(&self, hashes: &[u64], out: &mut [u32]) {
        self.signature_of_hashes_with(hashes, out, &mut Scratch::default())
    }

    fn signature_of_hashes_with(&self, hashes: &[u64], out: &mut [u32], scratch: &mut Scratch) {
        debug_assert_eq!(out.len(), self.num_perm);
        out.fill(EMPTY);
        if hashes.is_empty() {
            return;
        }
        match self.scheme {
            Scheme::KPerm => {
                for &h in hashes {
                    for ((o, &a), &b) in out.iter_mut().zip(&self.a).zip(&self.b) {
                        let v = (a.wrapping_mul(h).wrapping_add(b) >> 32) as u32;
                        *o = (*o).min(v);
                    }
                }
            }
            Scheme::Oph => self.oph(hashes, out, &mut scratch.filled, &mut scratch.orig),
        }
    }

    fn oph(&self, hashes: &[u64], out: &mut [u32], filled: &mut Vec<bool>, orig: &mut Vec<u32>) {
        let k = self.num_perm;
        // `filled` tracks which bins received a shingle: a bin can legitimately hold u32::MAX.
        filled.clear();
        filled.resize(k, false);
        for &h in hashes {
            let bin = fast_range(h, k);
            let v = h as u32;
            out[bin] = out[bin].min(v);
            filled[bin] = true;
        }
        if filled.iter().all(|&f| f) {
            return;
        }
        // Optimal densification: every empty bin follows its own probe sequence (the same for every
        // document) until it lands on a bin that was filled, and copies that bin's value.
        orig.clear();
        orig.extend_from_slice(out);
        for i in 0..k {
            if filled[i] {
                continue;
            }
            let table = &self.probes[i * PROBES..(i + 1) * PROBES];
            let mut found = table.iter().map(|&j| j as usize).find(|&j| filled[j]);
            if found.is_none() {
                // Past the table: continue the same sequence where the table stopped.
                let mut state = probe_state(self.probe_seed, i);
                for _ in 0..PROBES {
                    splitmix64(&mut state);
                }
                for _ in 0..4 * k + 64 {
                    let j = fast_range(splitmix64(&mut state), k);
                    if filled[j] {
                        found = Some(j);
                        break;
                    }
                }
            }
            // The probe sequence finds a filled bin with overwhelming probability; a deterministic scan
            // keeps the result defined (and identical across documents) otherwise.
            let j = found.unwrap_or_else(|| (i..k).chain(0..i).find(|&j| filled[j]).unwrap_or(i));
            out[i] = orig[j];
        }
    }

    /// Signature of one text.
    pub fn signature(&self, text: &str) -> Vec<u32> {
        let mut hashes = Vec::new();
        self.shingles.shingle_hashes(text, &mut hashes);
        let mut out = vec![EMPTY; self.num_perm];
        self.signature_of_hashes(&hashes, &mut out);
        out
    }

    /// Signatures of many texts, row-major `n × num_perm`, computed in parallel on the rayon pool.
    pub fn signatures<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Vec<u32> {
        let k = self.num_perm;
        let mut out = vec![EMPTY; texts.len() * k];
        out.par_chunks_mut(k)
            .zip(texts.par_iter())
            .with_min_len(64)
            .for_each_init(Scratch::default, |sc, (row, text)| {
                let mut hashes = std::mem::take(&mut sc.hashes);
                self.shingles
                    .shingle_hashes_with(text.as_ref(), &mut sc.toks, &mut hashes);
                self.signature_of_hashes_with(&hashes, row, sc);
                sc.hashes = hashes;
            });
        out
    }

    /// Signatures of pre-tokenised texts (no normalisation), row-major.
    pub fn signatures_from_tokens<S: AsRef<str> + Sync>(&self, docs: &[Vec<S>]) -> Vec<u32> {
        let k = self.num_perm;
        let mut out = vec![EMPTY; docs.len() * k];
        out.par_chunks_mut(k)
            .zip(docs.par_iter())
            .with_min_len(64)
            .for_each_init(Scratch::default, |sc, (row, toks)| {
                let mut hashes = std::mem::take(&mut sc.hashes);
                self.shingles.shingle_hashes_from_tokens(toks, &mut hashes);
                self.signature_of_hashes_with(&hashes, row, sc);
                sc.hashes = hashes;
            });
        out
    }
}

/// True when a signature is the empty-set signature.
pub fn is_empty_signature(sig: &[u32]) -> bool {
    sig.iter().all(|&v| v == EMPTY)
}

/// Estimated Jaccard similarity: the share of slots where two signatures agree (0 if either is empty).
pub fn jaccard(a: &[u32], b: &[u32]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(Error::LengthMismatch {
            expected: a.len(),
            got: b.len(),
        });
    }
    if a.is_empty() || is_empty_signature(a) || is_empty_signature(b) {
        return Ok(0.0);
    }
    let eq = a.iter().zip(b).filter(|(x, y)| x == y).count();
    Ok(eq as f64 / a.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_have_identical_signatures() {
        for scheme in [Scheme::Oph, Scheme::KPerm] {
            let mh = MinHasher::new(64, ShingleConfig::default(), scheme).unwrap();
            let a = mh.signature("the quick brown fox jumps over the lazy dog");
            assert_eq!(
                a,
                mh.signature("The quick brown fox jumps over the lazy dog!")
            );
            assert_eq!(jaccard(&a, &a).unwrap(), 1.0);
            let e = mh.signature("");
            assert!(is_empty_signature(&e));
            assert_eq!(jaccard(&e, &e).unwrap(), 0.0);
        }
    }

    #[test]
    fn densification_fills_every_bin() {
        let mh = MinHasher::new(128, ShingleConfig::default(), Scheme::Oph).unwrap();
        let s = mh.signature("only four words here");
        assert!(s
            .iter()
            .all(|&v| v != EMPTY || s.iter().any(|&w| w != EMPTY)));
        let distinct: std::collections::BTreeSet<u32> = s.iter().copied().collect();
        assert!(distinct.len() <= 2);
    }
}
