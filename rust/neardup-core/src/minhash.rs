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
use crate::text::shingle::{ShingleConfig, ShingleScratch};

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

/// Content of an OPH bin that received no shingle. Bins are kept as u64 so that this sentinel differs from
/// every 32-bit value a shingle can leave (u32::MAX included): no separate "filled" flags to maintain.
const EMPTY_BIN: u64 = u64::MAX;

/// One-permutation hashing: the hash's high bits pick its bin, its low 32 bits compete for the bin's minimum.
#[inline(always)]
fn oph_add(bins: &mut [u64], h: u64) {
    let bin = &mut bins[fast_range(h, bins.len())];
    *bin = (*bin).min(h as u32 as u64);
}

/// Reusable buffers of one worker thread, so batch loops allocate nothing per document.
#[derive(Debug, Default)]
pub struct Scratch {
    shingles: ShingleScratch,
    hashes: Vec<u64>,
    bins: Vec<u64>,
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
        match self.scheme {
            Scheme::KPerm => {
                out.fill(EMPTY);
                hashes.iter().for_each(|&h| self.kperm_add(out, h));
            }
            Scheme::Oph => {
                let bins = self.empty_bins(&mut scratch.bins);
                hashes.iter().for_each(|&h| oph_add(bins, h));
                self.densify(bins, out);
            }
        }
    }

    /// Signature of one text into `out`: each shingle hash goes to the bins as soon as it is produced.
    fn signature_of_text_with(&self, text: &str, out: &mut [u32], scratch: &mut Scratch) {
        debug_assert_eq!(out.len(), self.num_perm);
        let shingles = &mut scratch.shingles;
        match self.scheme {
            Scheme::KPerm => {
                out.fill(EMPTY);
                self.shingles
                    .for_each_shingle_hash(text, shingles, |h| self.kperm_add(out, h));
            }
            Scheme::Oph => {
                let bins = self.empty_bins(&mut scratch.bins);
                self.shingles
                    .for_each_shingle_hash(text, shingles, |h| oph_add(bins, h));
                self.densify(bins, out);
            }
        }
    }

    /// k-permutation MinHash: one shingle hash competes in every slot.
    #[inline(always)]
    fn kperm_add(&self, out: &mut [u32], h: u64) {
        for ((o, &a), &b) in out.iter_mut().zip(&self.a).zip(&self.b) {
            let v = (a.wrapping_mul(h).wrapping_add(b) >> 32) as u32;
            *o = (*o).min(v);
        }
    }

    /// `num_perm` empty OPH bins, in the scratch buffer.
    fn empty_bins<'a>(&self, bins: &'a mut Vec<u64>) -> &'a mut [u64] {
        bins.clear();
        bins.resize(self.num_perm, EMPTY_BIN);
        bins
    }

    /// Copies the OPH bins to `out`, filling empty bins by optimal densification. No shingle at all gives
    /// the empty signature.
    fn densify(&self, bins: &[u64], out: &mut [u32]) {
        assert_eq!(bins.len(), self.num_perm);
        // Empty bins as bit masks, 64 bins per word: densification then visits only the empty bins, and
        // whether a bin is empty (a coin flip for short texts) costs no branch mispredictions.
        let mut empty = [0u64; 4];
        let mut empty_heap = Vec::new();
        let words = self.num_perm.div_ceil(64);
        let empty: &mut [u64] = if words <= empty.len() {
            &mut empty[..words]
        } else {
            empty_heap.resize(words, 0);
            &mut empty_heap
        };
        let mut n_empty = 0;
        for ((bins, out), mask) in bins
            .chunks(64)
            .zip(out.chunks_mut(64))
            .zip(empty.iter_mut())
        {
            for (b, (&v, o)) in bins.iter().zip(out.iter_mut()).enumerate() {
                *o = v as u32;
                // Filled bins hold a 32-bit value: only empty ones have the top bit set.
                *mask |= (v >> 63) << b;
            }
            n_empty += mask.count_ones() as usize;
        }
        if n_empty == 0 || n_empty == self.num_perm {
            // All filled, or the empty set (every slot is already `EMPTY`).
            return;
        }
        // Optimal densification: every empty bin copies the value of the filled bin its probe sequence
        // (the same for every document) reaches first.
        for (w, &mask) in empty.iter().enumerate() {
            let mut mask = mask;
            while mask != 0 {
                let i = w * 64 + mask.trailing_zeros() as usize;
                mask &= mask - 1;
                out[i] = bins[self.donor(i, bins)] as u32;
            }
        }
    }

    /// The filled bin that empty bin `i` copies: the first filled one on `i`'s probe sequence.
    #[inline]
    fn donor(&self, i: usize, bins: &[u64]) -> usize {
        // The precomputed steps, all tested at once (branch-free): most empty bins stop within them.
        let table: &[u16; PROBES] = self.probes[i * PROBES..(i + 1) * PROBES]
            .try_into()
            .expect("PROBES steps per bin");
        let hits = table.iter().enumerate().fold(0u32, |m, (t, &j)| {
            debug_assert!((j as usize) < bins.len());
            // SAFETY: the table holds `fast_range(_, num_perm)` values, all below `num_perm` =
            // `bins.len()`; unchecked, the eight tests compile to eight loads and compares.
            let v = unsafe { *bins.get_unchecked(j as usize) };
            m | ((v != EMPTY_BIN) as u32) << t
        });
        if hits != 0 {
            return table[hits.trailing_zeros() as usize] as usize;
        }
        self.donor_past_table(i, bins)
    }

    /// [`MinHasher::donor`] when none of the precomputed steps hit a filled bin (few filled bins).
    #[cold]
    fn donor_past_table(&self, i: usize, bins: &[u64]) -> usize {
        let k = self.num_perm;
        let filled = |j: usize| bins[j] != EMPTY_BIN;
        // Continue the same sequence where the table stopped.
        let mut state = probe_state(self.probe_seed, i);
        for _ in 0..PROBES {
            splitmix64(&mut state);
        }
        for _ in 0..4 * k + 64 {
            let j = fast_range(splitmix64(&mut state), k);
            if filled(j) {
                return j;
            }
        }
        // The probe sequence finds a filled bin with overwhelming probability; a deterministic scan
        // keeps the result defined (and identical across documents) otherwise.
        (i..k).chain(0..i).find(|&j| filled(j)).unwrap_or(i)
    }

    /// Signature of one text.
    pub fn signature(&self, text: &str) -> Vec<u32> {
        let mut out = vec![EMPTY; self.num_perm];
        self.signature_of_text_with(text, &mut out, &mut Scratch::default());
        out
    }

    /// Signatures of many texts, row-major `n × num_perm`, computed in parallel on the rayon pool.
    pub fn signatures<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Vec<u32> {
        let mut out = vec![EMPTY; texts.len() * self.num_perm];
        self.signatures_into(texts, &mut out);
        out
    }

    /// [`MinHasher::signatures`] written into `out` (`texts.len() * num_perm` slots, every one of them
    /// overwritten), for callers that own the output buffer (a numpy array).
    pub fn signatures_into<S: AsRef<str> + Sync>(&self, texts: &[S], out: &mut [u32]) {
        self.signatures_into_with(texts, |text, _| text.as_ref(), out);
    }

    /// [`MinHasher::signatures_into`] for items whose text `text` gives on demand: the item's own
    /// string, or one it writes into the buffer it is lent (each thread reuses one), so that texts
    /// assembled from parts are never all held at once.
    pub fn signatures_into_with<T: Sync>(
        &self,
        items: &[T],
        text: impl for<'b> Fn(&'b T, &'b mut String) -> &'b str + Sync,
        out: &mut [u32],
    ) {
        let k = self.num_perm;
        assert_eq!(
            out.len(),
            items.len() * k,
            "one row of num_perm slots per text"
        );
        out.par_chunks_mut(k)
            .zip(items.par_iter())
            .with_min_len(64)
            .for_each_init(
                || (Scratch::default(), String::new()),
                |(sc, buf), (row, item)| self.signature_of_text_with(text(item, buf), row, sc),
            );
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
    use crate::text::shingle::reference;
    use proptest::prelude::*;

    /// `MinHasher::signature_of_hashes` of cb8c340 (a `filled` flag per bin), the oracle of the
    /// equivalence tests.
    fn reference_signature(mh: &MinHasher, hashes: &[u64]) -> Vec<u32> {
        let k = mh.num_perm;
        let mut out = vec![EMPTY; k];
        if hashes.is_empty() {
            return out;
        }
        if mh.scheme == Scheme::KPerm {
            for &h in hashes {
                for ((o, &a), &b) in out.iter_mut().zip(&mh.a).zip(&mh.b) {
                    let v = (a.wrapping_mul(h).wrapping_add(b) >> 32) as u32;
                    *o = (*o).min(v);
                }
            }
            return out;
        }
        let mut filled = vec![false; k];
        for &h in hashes {
            let bin = fast_range(h, k);
            out[bin] = out[bin].min(h as u32);
            filled[bin] = true;
        }
        if filled.iter().all(|&f| f) {
            return out;
        }
        let orig = out.clone();
        for i in 0..k {
            if filled[i] {
                continue;
            }
            let table = &mh.probes[i * PROBES..(i + 1) * PROBES];
            let mut found = table.iter().map(|&j| j as usize).find(|&j| filled[j]);
            if found.is_none() {
                let mut state = probe_state(mh.probe_seed, i);
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
            let j = found.unwrap_or_else(|| (i..k).chain(0..i).find(|&j| filled[j]).unwrap_or(i));
            out[i] = orig[j];
        }
        out
    }

    fn hasher_strategy() -> impl Strategy<Value = MinHasher> {
        (
            reference::config_strategy(),
            prop::sample::select(vec![1usize, 2, 7, 64, 128, 256]),
            any::<bool>(),
        )
            .prop_map(|(cfg, k, oph)| {
                let scheme = if oph { Scheme::Oph } else { Scheme::KPerm };
                MinHasher::new(k, cfg, scheme).unwrap()
            })
    }

    /// Shingle hashes with the corner values of OPH: low 32 bits all ones (a filled bin holding
    /// `u32::MAX`), zero, and the extremes of the bin range.
    fn hash_strategy() -> impl Strategy<Value = u64> {
        prop_oneof![
            4 => any::<u64>(),
            1 => any::<u64>().prop_map(|h| h | 0xFFFF_FFFF),
            1 => any::<u64>().prop_map(|h| h & !0xFFFF_FFFF),
            1 => prop::sample::select(vec![0u64, u64::MAX, u32::MAX as u64, 1 << 63]),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn signatures_of_texts_match_the_reference(
            mh in hasher_strategy(),
            texts in proptest::collection::vec(reference::text_strategy(), 0..4),
        ) {
            let k = mh.num_perm;
            let batch = mh.signatures(&texts);
            prop_assert_eq!(batch.len(), texts.len() * k);
            for (text, row) in texts.iter().zip(batch.chunks(k)) {
                let want = reference_signature(&mh, &reference::shingle_hashes(&mh.shingles, text));
                prop_assert_eq!(row, &want[..]);
                prop_assert_eq!(&mh.signature(text), &want);
            }
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn signatures_of_hashes_match_the_reference(
            mh in hasher_strategy(),
            hashes in proptest::collection::vec(hash_strategy(), 0..600),
        ) {
            let mut got = vec![0; mh.num_perm];
            mh.signature_of_hashes(&hashes, &mut got);
            prop_assert_eq!(got, reference_signature(&mh, &hashes));
        }
    }

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
