//! `neardup._core`: the PyO3 binding of `neardup-core`. No algorithms live here; each file wraps one area.

use pyo3::prelude::*;

/// The core allocates and frees millions of small strings and vectors per large batch (records, shingle
/// sets, report pieces); mimalloc does that markedly faster than the system allocator. It serves the Rust
/// side only: Python keeps its own. Built without transparent huge pages (`no_thp`): on this machine kind
/// faulting in 2 MiB pages cost up to a second of system time per large diff, and they inflate the
/// resident size.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in libmimalloc-sys 0.1.49's `mi_option_e` (the crate names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// While one is alive, freed memory stays in the heap for `BATCH_PURGE_DELAY_MS` before going back to
/// the system. A whole-snapshot job (`neardup diff`) frees and reallocates hundreds of MB of
/// temporaries in phases; returning them at once made the kernel fault the same pages in again (about
/// a fifth of the run in system time on this machine kind). Outside such jobs the delay is 0 again.
pub(crate) struct BatchJob(());

/// Purge delay while a [`BatchJob`] runs: long enough for one phase's temporaries to serve the next.
const BATCH_PURGE_DELAY_MS: std::ffi::c_long = 50;
static BATCH_JOBS: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

impl BatchJob {
    pub(crate) fn start() -> BatchJob {
        let mut jobs = BATCH_JOBS.lock().unwrap_or_else(|e| e.into_inner());
        if *jobs == 0 && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: as in `_core` below.
            unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, BATCH_PURGE_DELAY_MS) };
        }
        *jobs += 1;
        BatchJob(())
    }
}

impl Drop for BatchJob {
    fn drop(&mut self) {
        let mut jobs = BATCH_JOBS.lock().unwrap_or_else(|e| e.into_inner());
        *jobs -= 1;
        if *jobs == 0 && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: as in `_core` below.
            unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
        }
    }
}

mod cluster;
mod compat;
mod corpus;
mod diff;
mod engine;
mod errors;
mod identity;
mod lsh;
mod minhash;
mod near;
mod reconcile;
mod records;
mod texts;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Freed memory goes back to the system at once rather than after 10 ms, so that a large index or
    // snapshot leaves no idle heap behind in the process's resident size (see `BatchJob` for the
    // exception). MIMALLOC_PURGE_DELAY in the environment still decides when set.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an allocator option is allowed at any time; the index is pinned above.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    minhash::register(m)?;
    lsh::register(m)?;
    cluster::register(m)?;
    corpus::register(m)?;
    near::register(m)?;
    diff::register(m)?;
    compat::register(m)?;
    records::register(m)?;
    reconcile::register(m)?;
    engine::register(m)?;
    identity::register(m)?;
    Ok(())
}
