//! The allocator, chosen in this one place: mimalloc (the `mimalloc` feature, on by default) serves the
//! Rust side of the extension; Python keeps its own allocator. Without the feature the system allocator
//! serves, and [`BatchJob`], [`init`] and [`on_out_of_memory`] do nothing.
//!
//! Why mimalloc, and why these options: the core allocates and frees millions of small strings and
//! vectors per large batch (records, shingle sets, report pieces), which mimalloc does markedly faster
//! than the system allocator. It is built without transparent huge pages (`no_thp`): faulting in 2 MiB
//! pages made large diffs spend much of their time in the kernel, and inflated the resident size. Freed
//! memory goes back to the system at once (purge delay 0), so a large index or snapshot leaves no idle
//! heap behind, except while a [`BatchJob`] runs. `MIMALLOC_PURGE_DELAY` in the environment still
//! decides when set.

#[cfg(feature = "mimalloc")]
mod chosen {
    use std::ffi::{c_int, c_long, c_void};

    #[global_allocator]
    static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

    /// `mi_option_purge_delay` in libmimalloc-sys 0.1.49's `mi_option_e` (the crate names no constant
    /// for it; the version is pinned in Cargo.toml for this reason).
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

    fn set_purge_delay(ms: c_long) {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: setting an allocator option is allowed at any time; the index is pinned above.
            unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms) };
        }
    }

    pub fn init() {
        set_purge_delay(0);
    }

    /// While one is alive, freed memory stays in the heap for `BATCH_PURGE_DELAY_MS` before going back
    /// to the system. A whole-snapshot job (`neardup diff`) frees and reallocates hundreds of MB of
    /// temporaries in phases; returning them at once made the kernel fault the same pages in again.
    pub struct BatchJob(());

    /// Purge delay while a [`BatchJob`] runs: long enough for one phase's temporaries to serve the next.
    const BATCH_PURGE_DELAY_MS: c_long = 50;
    static BATCH_JOBS: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

    impl BatchJob {
        pub fn start() -> BatchJob {
            let mut jobs = BATCH_JOBS.lock().unwrap_or_else(|e| e.into_inner());
            if *jobs == 0 {
                set_purge_delay(BATCH_PURGE_DELAY_MS);
            }
            *jobs += 1;
            BatchJob(())
        }
    }

    impl Drop for BatchJob {
        fn drop(&mut self) {
            let mut jobs = BATCH_JOBS.lock().unwrap_or_else(|e| e.into_inner());
            *jobs -= 1;
            if *jobs == 0 {
                set_purge_delay(0);
            }
        }
    }

    /// Has `handler` called with the allocator's error code (ENOMEM when memory runs out).
    pub fn on_out_of_memory(handler: unsafe extern "C" fn(c_int, *mut c_void)) {
        // SAFETY: mimalloc calls the handler on its errors, with the null argument given here.
        unsafe { libmimalloc_sys::mi_register_error(Some(handler), std::ptr::null_mut()) };
    }
}

#[cfg(not(feature = "mimalloc"))]
mod chosen {
    use std::ffi::{c_int, c_void};

    pub fn init() {}

    pub struct BatchJob(());

    impl BatchJob {
        pub fn start() -> BatchJob {
            BatchJob(())
        }
    }

    pub fn on_out_of_memory(_handler: unsafe extern "C" fn(c_int, *mut c_void)) {}
}

pub use chosen::{init, on_out_of_memory, BatchJob};
