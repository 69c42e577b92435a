//! The allocator, chosen in this one place: mimalloc (the `mimalloc` feature, on by default) serves the
//! Rust side of the extension; Python keeps its own allocator. Without the feature the system allocator
//! serves, and [`BatchJob`] and [`init`] do nothing.
//!
//! Either way the allocator is wrapped in [`Watched`], which hands a failed allocation to the handler
//! set with [`on_out_of_memory`] before Rust's own reaction (an abort with "memory allocation of N
//! bytes failed"). The command line sets one that prints its one line and exits 2; mimalloc's error
//! callback alone missed failures that happen while mimalloc maps a new segment.
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

    pub type Inner = mimalloc::MiMalloc;
    pub const INNER: Inner = mimalloc::MiMalloc;

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

    /// Has mimalloc call `handler` with its error code (ENOMEM when memory runs out), besides
    /// [`Watched`]'s own check of every result.
    pub fn register_error(handler: unsafe extern "C" fn(c_int, *mut c_void)) {
        // SAFETY: mimalloc calls the handler on its errors, with the null argument given here.
        unsafe { libmimalloc_sys::mi_register_error(Some(handler), std::ptr::null_mut()) };
    }
}

#[cfg(not(feature = "mimalloc"))]
mod chosen {
    use std::ffi::{c_int, c_void};

    pub type Inner = std::alloc::System;
    pub const INNER: Inner = std::alloc::System;

    pub fn init() {}

    pub struct BatchJob(());

    impl BatchJob {
        pub fn start() -> BatchJob {
            BatchJob(())
        }
    }

    pub fn register_error(_handler: unsafe extern "C" fn(c_int, *mut c_void)) {}
}

pub use chosen::{init, BatchJob};

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The chosen allocator, with every null result shown to the out-of-memory handler first.
pub struct Watched;

#[global_allocator]
static GLOBAL: Watched = Watched;

/// Set once the extension's module is initialised ([`imported`]).
static IMPORTED: AtomicBool = AtomicBool::new(false);

/// Marks the end of the extension's import: from here a failed allocation without a handler is left to
/// Rust (an abort), as in any library.
pub fn imported() {
    IMPORTED.store(true, Ordering::Release);
}

/// The handler set by [`on_out_of_memory`] (a function pointer; 0 = none).
static HANDLER: AtomicUsize = AtomicUsize::new(0);
const ENOMEM: c_int = 12;

#[cold]
fn failed() {
    let h = HANDLER.load(Ordering::Acquire);
    if h == 0 {
        if IMPORTED.load(Ordering::Acquire) {
            return; // a library's process, the command line's handler not armed: Rust's own reaction
        }
        // While the extension is still being imported (before the command line can arm its handler), a
        // failed allocation ends in one line and exit 2 rather than Rust's abort.
        const LINE: &[u8] = b"neardup: out of memory while starting\n";
        // SAFETY: writing a static buffer to stderr and ending the process; nothing here allocates.
        unsafe {
            libc::write(2, LINE.as_ptr().cast(), LINE.len());
            libc::_exit(2);
        }
    }
    {
        // SAFETY: only `on_out_of_memory` stores here, and it stores a function of this type.
        let handler: unsafe extern "C" fn(c_int, *mut c_void) = unsafe { std::mem::transmute(h) };
        // SAFETY: the handler allocates nothing (it writes a pre-built line and exits).
        unsafe { handler(ENOMEM, std::ptr::null_mut()) };
    }
}

// SAFETY: every call is passed on unchanged to the chosen allocator; only null results are looked at.
unsafe impl GlobalAlloc for Watched {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = chosen::INNER.alloc(layout);
        if p.is_null() {
            failed();
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = chosen::INNER.alloc_zeroed(layout);
        if p.is_null() {
            failed();
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = chosen::INNER.realloc(ptr, layout, new_size);
        if p.is_null() {
            failed();
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        chosen::INNER.dealloc(ptr, layout)
    }
}

/// Has `handler` called with ENOMEM when an allocation fails: on every null result of the Rust side's
/// allocator, and on mimalloc's own error report. A handler that returns lets Rust react as usual.
pub fn on_out_of_memory(handler: unsafe extern "C" fn(c_int, *mut c_void)) {
    HANDLER.store(handler as usize, Ordering::Release);
    chosen::register_error(handler);
}
