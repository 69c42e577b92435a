//! `MinHash.bulk` over documents that arrive in chunks from a reader bound to the calling thread (in
//! the binding: a Python iterator, read under the GIL).
//!
//! Reading and hashing overlap, and the hashing of each chunk is shared: a helper thread hashes the
//! first part of chunk `i` (on the rayon pool), the calling thread hashes the rest of it and then reads
//! chunk `i + 1`. The share taken here follows the measured speed of both sides, so neither waits for
//! the other for long: with one rayon thread the wall time approaches half of read + hash rather than
//! all of hash. Which document is hashed where never changes a row, so the output is the same
//! whatever the timings.

use std::ops::Range;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::{DsMinHasher, FoldScratch, Lane, TokenHash};
use crate::compat::datasketch::ByteDocs;
use crate::error::Error;

/// Why a streamed bulk stopped: the reader's own error, or the core's.
#[derive(Debug)]
pub enum StreamError<E> {
    Read(E),
    Core(Error),
    /// The hashing thread ended early (it panicked; the panic resumes when the scope joins it).
    HelperStopped,
}

impl<E> From<Error> for StreamError<E> {
    fn from(e: Error) -> Self {
        StreamError::Core(e)
    }
}

/// The share of a chunk hashed on the calling thread, from per-document costs measured so far.
struct Balance {
    /// Seconds per document on the helper thread and on this one.
    helper: Option<f64>,
    here: Option<f64>,
    share: f64,
}

impl Balance {
    fn new() -> Self {
        Balance {
            helper: None,
            here: None,
            share: 0.25,
        }
    }

    /// Documents of a chunk of `len` to hash here.
    fn here_of(&self, len: usize) -> usize {
        ((len as f64 * self.share).round() as usize).min(len)
    }

    /// Learns from one chunk: `helper_docs` hashed there in `helper`, `here_docs` here in `hashing`,
    /// then the next chunk read here in `reading`. The next share balances
    /// `here·c_here + reading = (len - here)·c_helper`.
    fn learn(
        &mut self,
        helper_docs: usize,
        helper: Duration,
        here_docs: usize,
        hashing: Duration,
        reading: Duration,
        len: usize,
    ) {
        let ema = |old: Option<f64>, new: f64| Some(old.map_or(new, |o| 0.5 * o + 0.5 * new));
        if helper_docs > 0 {
            self.helper = ema(self.helper, helper.as_secs_f64() / helper_docs as f64);
        }
        if here_docs > 0 {
            self.here = ema(self.here, hashing.as_secs_f64() / here_docs as f64);
        }
        let (Some(c_helper), Some(c_here)) = (self.helper, self.here) else {
            return;
        };
        if len == 0 || c_helper + c_here <= 0.0 {
            return;
        }
        let here = (len as f64 * c_helper - reading.as_secs_f64()) / (c_here + c_helper);
        // Never all here or all there: both estimates stay measured.
        self.share = (here / len as f64).clamp(0.02, 0.9);
    }
}

fn stopped<T, E>(_: T) -> StreamError<E> {
    StreamError::HelperStopped
}

type Done<L> = (Arc<ByteDocs>, crate::error::Result<Vec<L>>, Duration);

impl DsMinHasher {
    /// Rows of the documents `range` of `docs`, hashed on this thread alone, appended to `out`.
    fn rows_here<L: Lane>(
        &self,
        docs: &ByteDocs,
        range: Range<usize>,
        init: &[L],
        th: TokenHash,
        out: &mut Vec<L>,
    ) -> crate::error::Result<()> {
        let (mut hashes, mut scratch) = (Vec::new(), FoldScratch::default());
        for d in range {
            let start = out.len();
            out.extend_from_slice(init);
            hashes.clear();
            th.hash_into(docs.doc(d), &mut hashes);
            L::fold(self, &mut out[start..], &hashes, &mut scratch)?;
        }
        Ok(())
    }

    /// One signature per document, each starting from `init`, for documents that `fill` reads into a
    /// buffer a chunk at a time (it returns false once the documents are exhausted); `fill` runs on
    /// the calling thread only. Returns the number of documents and the row-major matrix.
    pub fn bulk_streamed<L: Lane, E>(
        &self,
        init: &[L],
        th: TokenHash,
        mut fill: impl FnMut(&mut ByteDocs) -> Result<bool, E>,
    ) -> Result<(usize, Vec<L>), StreamError<E>> {
        self.check_sig(init.len())?;
        L::check(self)?;
        let mut chunk = ByteDocs::new();
        let mut more = fill(&mut chunk).map_err(StreamError::Read)?;
        if !more {
            // One chunk holds everything: no pipeline needed.
            let rows = self.bulk(&chunk, init, th)?;
            return Ok((chunk.len(), rows));
        }
        std::thread::scope(|s| {
            // Created in the scope so that every way out of it drops `to_helper`, which ends the
            // helper's loop before the scope joins it.
            let (to_helper, jobs) = mpsc::sync_channel::<(Arc<ByteDocs>, usize)>(1);
            let (to_caller, results) = mpsc::channel::<Done<L>>();
            s.spawn(move || {
                for (docs, split) in jobs {
                    let start = Instant::now();
                    let rows = self.bulk_range(&docs, 0..split, init, th);
                    if to_caller.send((docs, rows, start.elapsed())).is_err() {
                        break;
                    }
                }
            });
            let (mut out, mut mine) = (Vec::new(), Vec::new());
            let mut n = 0;
            let mut spare = ByteDocs::new();
            let mut balance = Balance::new();
            loop {
                let len = chunk.len();
                n += len;
                let here = balance.here_of(len);
                let split = len - here;
                let docs = Arc::new(chunk);
                to_helper
                    .send((Arc::clone(&docs), split))
                    .map_err(stopped)?;
                let start = Instant::now();
                mine.clear();
                let hashed = self.rows_here(&docs, split..len, init, th, &mut mine);
                let hashing = start.elapsed();
                let start = Instant::now();
                spare.clear();
                if more {
                    more = fill(&mut spare).map_err(StreamError::Read)?;
                }
                let reading = start.elapsed();
                let (back, rows, helper) = results.recv().map_err(stopped)?;
                out.extend(rows?);
                hashed?;
                out.extend_from_slice(&mine);
                balance.learn(split, helper, here, hashing, reading, len);
                drop(docs);
                // Both handles are gone: the buffer comes back for the chunk after next.
                let used = Arc::try_unwrap(back).unwrap_or_default();
                if spare.is_empty() && !more {
                    break;
                }
                chunk = std::mem::replace(&mut spare, used);
            }
            Ok((n, out))
        })
    }
}

impl DsMinHasher {
    /// `sig` updated with the tokens `fill` reads a chunk at a time (`MinHash.update_batch` over a
    /// Python iterable), with the reading and hashing overlapped as in [`Self::bulk_streamed`]: each
    /// document `fill` closes is a run of the tokens, folded into its own copy of `sig`, and `sig`
    /// takes their element-wise minimum. A fold is that minimum, so how the tokens are grouped never
    /// changes the result; `fill` must not close an empty run (a fold of no hash leaves a slot as it
    /// was read, which is not always the value given). Returns the number of runs.
    pub fn fold_streamed<L: Lane + Ord, E>(
        &self,
        sig: &mut [L],
        th: TokenHash,
        fill: impl FnMut(&mut ByteDocs) -> Result<bool, E>,
    ) -> Result<usize, StreamError<E>> {
        let init = sig.to_vec();
        let (runs, rows) = self.bulk_streamed(&init, th, fill)?;
        for row in rows.chunks_exact(sig.len().max(1)) {
            for (s, &r) in sig.iter_mut().zip(row) {
                *s = (*s).min(r);
            }
        }
        Ok(runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::datasketch::Scheme;

    fn docs(n: usize) -> Vec<Vec<Vec<u8>>> {
        (0..n)
            .map(|d| {
                (0..d % 37)
                    .map(|t| format!("w{} w{}", d % 11, t).into_bytes())
                    .collect()
            })
            .collect()
    }

    fn streamed(h: &DsMinHasher, all: &[Vec<Vec<u8>>], per_chunk: usize) -> (usize, Vec<u64>) {
        let mut next = 0;
        let fill = |buf: &mut ByteDocs| -> Result<bool, ()> {
            buf.clear();
            while buf.len() < per_chunk {
                let Some(doc) = all.get(next) else {
                    return Ok(false);
                };
                next += 1;
                doc.iter().for_each(|t| buf.push_token(t));
                buf.end_doc();
            }
            Ok(true)
        };
        let init = vec![u32::MAX as u64; h.num_perm()];
        h.bulk_streamed(&init, TokenHash::Sha1x32, fill).unwrap()
    }

    #[test]
    fn streamed_rows_equal_one_batch_for_any_chunking() {
        let h = DsMinHasher::new(Scheme::Legacy, 3, 16).unwrap();
        let all = docs(700);
        let mut one = ByteDocs::new();
        for doc in &all {
            doc.iter().for_each(|t| one.push_token(t));
            one.end_doc();
        }
        let init = vec![u32::MAX as u64; 16];
        let expected = h.bulk(&one, &init, TokenHash::Sha1x32).unwrap();
        for per_chunk in [1, 2, 7, 64, 256, 699, 700, 701, 5000] {
            let (n, rows) = streamed(&h, &all, per_chunk);
            assert_eq!(n, 700, "{per_chunk}");
            assert_eq!(rows, expected, "{per_chunk}");
        }
    }

    #[test]
    fn streamed_runs_fold_like_all_tokens_at_once() {
        for scheme in [Scheme::Legacy, Scheme::Affine64] {
            let h = DsMinHasher::new(scheme, 5, 16).unwrap();
            let tokens: Vec<Vec<u8>> = (0..3000).map(|t| format!("t{t}").into_bytes()).collect();
            // Slots given above any hash (and, for legacy, above 32 bits) and one already low.
            let mut init = vec![u64::MAX >> 1; 16];
            init[3] = 7;
            let mut expected = init.clone();
            h.fold_tokens(
                &mut expected,
                tokens.iter().map(Vec::as_slice),
                TokenHash::Sha1x32,
            )
            .unwrap();
            for (run, per_chunk) in [(1, 1), (64, 3), (100, 30), (3000, 1), (7, 1000)] {
                let mut next = 0;
                let fill = |buf: &mut ByteDocs| -> Result<bool, ()> {
                    buf.clear();
                    while buf.len() < per_chunk {
                        let part = &tokens[next.min(tokens.len())..(next + run).min(tokens.len())];
                        if part.is_empty() {
                            return Ok(false);
                        }
                        next += part.len();
                        part.iter().for_each(|t| buf.push_token(t));
                        buf.end_doc();
                    }
                    Ok(true)
                };
                let mut sig = init.clone();
                let runs = h.fold_streamed(&mut sig, TokenHash::Sha1x32, fill).unwrap();
                assert_eq!(
                    runs,
                    tokens.len().div_ceil(run),
                    "{scheme:?} {run} {per_chunk}"
                );
                assert_eq!(sig, expected, "{scheme:?} {run} {per_chunk}");
            }
        }
    }

    #[test]
    fn balance_moves_work_to_the_faster_side_and_stays_bounded() {
        let mut b = Balance::new();
        // The helper is four times faster per document and reading is free: it takes about 4/5.
        let ms = Duration::from_millis;
        b.learn(100, ms(100), 100, ms(400), ms(0), 200);
        assert!((b.share - 0.2).abs() < 0.01, "{}", b.share);
        // Reading costs more than hashing everything there: nearly all goes to the helper.
        b.learn(100, ms(100), 100, ms(400), ms(1000), 200);
        assert_eq!(b.share, 0.02);
        assert_eq!(b.here_of(100), 2);
    }

    #[test]
    fn a_reader_error_stops_the_pipeline() {
        let h = DsMinHasher::new(Scheme::Affine32, 1, 8).unwrap();
        let mut calls = 0;
        let fill = |buf: &mut ByteDocs| -> Result<bool, &str> {
            calls += 1;
            if calls == 3 {
                return Err("bad document");
            }
            buf.clear();
            buf.push_token(b"x");
            buf.end_doc();
            Ok(true)
        };
        let init = vec![u32::MAX; 8];
        match h.bulk_streamed(&init, TokenHash::Sha1x32, fill) {
            Err(StreamError::Read(e)) => assert_eq!(e, "bad document"),
            other => panic!("{other:?}"),
        }
    }
}
