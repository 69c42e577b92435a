//! The exception hierarchy and the one mapping from core errors to Python exceptions, plus the helper that
//! runs core work with the GIL released.

use neardup_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

create_exception!(
    neardup,
    NeardupError,
    PyException,
    "Base class of neardup's domain errors."
);
create_exception!(
    neardup,
    IndexFormatError,
    NeardupError,
    "A saved index is truncated, corrupt, of a newer format, or not an index at all."
);

/// Converts a core error into the Python exception a user expects.
pub fn to_py(err: Error) -> PyErr {
    match err {
        Error::InvalidParameter { .. } | Error::LengthMismatch { .. } => {
            PyValueError::new_err(err.to_string())
        }
        Error::IndexFormat(_) => IndexFormatError::new_err(err.to_string()),
    }
}

/// Runs `f` detached from the interpreter (other Python threads run meanwhile) and maps its error once.
/// A mapped input that shrinks meanwhile raises `InputChangedError` (see [`guarded`]).
pub fn detached<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> neardup_core::Result<T> + Send,
    T: Send,
{
    guarded(py, f)?.map_err(to_py)
}

/// Runs `f` detached from the interpreter with a mapped input's shrinking made an exception: should a file
/// the core has mapped shrink under `f` (another process truncating it), the lost pages read as zeros
/// instead of killing the process with SIGBUS, and the call raises
/// `neardup.formats.source.InputChangedError` ("PATH changed while being read") whatever `f` returned.
/// The handler is armed only while some such call runs and the previous one is put back after; a SIGBUS
/// that is not a mapped input's goes to the previous handler. The call is its own [`Reader`]: another
/// call's input changing at the same time is not this call's error.
pub fn guarded<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    guarded_by(py, &Reader::new(), f)
}

/// [`guarded`] as a step of `reader`'s work: the inputs `reader`'s steps mapped are its own whichever
/// step reads them (a mapping outlives the step that opened it), so a fault in one of them is reported
/// by the step that meets it, or by a later one ([`Reader::check`]).
pub fn guarded_by<T, F>(py: Python<'_>, reader: &Reader, f: F) -> PyResult<T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    let out = py.detach(|| bus::guarded(&reader.0, f));
    reader.check(py)?;
    Ok(out)
}

/// The inputs one call maps, and the faults met in them (see `bus`). Work the call hands to other
/// threads (rayon) that opens inputs must run under [`Reader::owning`] there.
pub struct Reader(bus::Owner);

impl Reader {
    pub fn new() -> Reader {
        Reader(bus::Owner::new())
    }

    /// Runs `f` (on any thread) with the inputs it maps recorded as this reader's.
    pub fn owning<T>(&self, f: impl FnOnce() -> T) -> T {
        neardup_core::read::input::owned_by(self.0.token(), f)
    }

    /// Runs `f` guarded as [`guarded_by`] does, but on this thread with the interpreter held (for work
    /// that makes Python objects of mapped text).
    pub fn holding_gil<T>(&self, py: Python<'_>, f: impl FnOnce() -> T) -> PyResult<T> {
        let out = bus::guarded(&self.0, f);
        self.check(py)?;
        Ok(out)
    }

    /// `InputChangedError` when one of this reader's inputs changed while it was read.
    pub fn check(&self, py: Python<'_>) -> PyResult<()> {
        match self.0.changed() {
            None => Ok(()),
            Some(path) => Err(input_changed(py, path)),
        }
    }
}

fn input_changed(py: Python<'_>, path: String) -> PyErr {
    let error = py
        .import("neardup.formats.source")
        .and_then(|m| m.getattr("InputChangedError"))
        .and_then(|cls| cls.call1((path.clone(),)));
    match error {
        Ok(e) => PyErr::from_value(e),
        Err(_) => pyo3::exceptions::PyOSError::new_err(format!("{path} changed while being read")),
    }
}

/// The library's SIGBUS handling (the command line's is `faults`, which ends the process instead).
///
/// A fault is charged to one [`Owner`] (one call's inputs), so that calls running at the same time on
/// other threads never see it: to the owner recorded with the faulting mapping when it was opened
/// (`neardup_core::read::input::owned_by`) if that owner is still alive, else to the owner whose
/// guarded work runs on the faulting thread; a fault neither tells is charged to every guarded call
/// running (a wrong error is better than a silently shortened input).
#[cfg(unix)]
mod bus {
    use std::cell::Cell;
    use std::ffi::{c_char, c_int, c_void, CStr};
    use std::ptr::null_mut;
    use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// One live owner's faults: its token (0 = free record), how many, and the file of the last one (a
    /// leaked C string of the mapping registry).
    struct Record {
        token: AtomicUsize,
        faults: AtomicUsize,
        name: AtomicPtr<c_char>,
    }

    /// Owners alive at once that get a record (past this many, their faults count as unattributed).
    const RECORDS: usize = 64;
    static OWNERS: [Record; RECORDS] = [const {
        Record {
            token: AtomicUsize::new(0),
            faults: AtomicUsize::new(0),
            name: AtomicPtr::new(null_mut()),
        }
    }; RECORDS];
    /// Tokens handed out so far (0 is nobody).
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    /// Faults no live owner could be charged with, and the file of the last one.
    static UNATTRIBUTED: AtomicUsize = AtomicUsize::new(0);
    static UNATTRIBUTED_NAME: AtomicPtr<c_char> = AtomicPtr::new(null_mut());
    /// The handler in place before ours (leaked, read by the handler), and how many calls are guarded.
    static PREVIOUS: AtomicPtr<libc::sigaction> = AtomicPtr::new(null_mut());
    static GUARDS: Mutex<usize> = Mutex::new(0);
    static PAGE: AtomicUsize = AtomicUsize::new(4096);

    thread_local! {
        /// The owner whose guarded work runs on this thread (0 = none); read by the handler (a
        /// constant-initialised cell without destructor: a plain thread-local load).
        static RUNNING: Cell<usize> = const { Cell::new(0) };
    }

    /// One call's inputs: a token recorded with the mappings it opens, and the record its faults go to.
    pub struct Owner {
        token: usize,
        record: Option<usize>,
        /// Unattributed faults counted when the owner was made: later ones may be its own.
        unattributed: usize,
    }

    impl Owner {
        pub fn new() -> Owner {
            let token = NEXT.fetch_add(1, Ordering::Relaxed);
            let unattributed = UNATTRIBUTED.load(Ordering::Acquire);
            let record = OWNERS.iter().position(|r| {
                // A free record's counters are reset before it is claimed: the handler finds a record
                // by its token only.
                r.token.load(Ordering::Acquire) == 0
                    && r.token
                        .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
            });
            if let Some(i) = record {
                OWNERS[i].faults.store(0, Ordering::Release);
                OWNERS[i].name.store(null_mut(), Ordering::Release);
                OWNERS[i].token.store(token, Ordering::Release);
            }
            Owner {
                token,
                record,
                unattributed,
            }
        }

        pub fn token(&self) -> usize {
            self.token
        }

        /// The file of a fault charged to this owner, or of one no owner could be charged with since
        /// this one was made.
        pub fn changed(&self) -> Option<String> {
            let name = match self.record {
                Some(i) if OWNERS[i].faults.load(Ordering::Acquire) > 0 => {
                    OWNERS[i].name.load(Ordering::Acquire)
                }
                _ if UNATTRIBUTED.load(Ordering::Acquire) != self.unattributed => {
                    UNATTRIBUTED_NAME.load(Ordering::Acquire)
                }
                _ => return None,
            };
            Some(if name.is_null() {
                "an input file".to_string()
            } else {
                // SAFETY: a leaked C string of the mapping registry, never freed.
                unsafe { CStr::from_ptr(name) }
                    .to_string_lossy()
                    .into_owned()
            })
        }
    }

    impl Drop for Owner {
        fn drop(&mut self) {
            if let Some(i) = self.record {
                OWNERS[i].token.store(0, Ordering::Release);
            }
        }
    }

    /// The live record of the owner `token`. Async-signal-safe (atomic loads).
    fn record_of(token: usize) -> Option<&'static Record> {
        if token == 0 {
            return None;
        }
        OWNERS
            .iter()
            .find(|r| r.token.load(Ordering::Acquire) == token)
    }

    fn ours() -> usize {
        on_bus_error as extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) as usize
    }

    /// A fault inside a registered mapping: the page beyond the file's new end is replaced by a zero page
    /// (mapped over it, so the faulting read resumes and the mapping's unmapping later covers it) and the
    /// fault charged (see the module doc). Any other fault goes to the previous handler.
    /// Async-signal-safe: atomics, a thread-local load, `mmap`, `sigaction`.
    extern "C" fn on_bus_error(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
        let addr = if info.is_null() {
            0
        } else {
            // SAFETY: the kernel passes a valid siginfo with SA_SIGINFO; `si_addr` is set for SIGBUS.
            unsafe { (*info).si_addr() as usize }
        };
        let (owner, name) = neardup_core::read::input::changed_mapping_at(addr);
        if !name.is_null() {
            let page = addr & !(PAGE.load(Ordering::Relaxed) - 1);
            // SAFETY: replaces one page of a read-only mapping of ours that no longer has a file behind it.
            let got = unsafe {
                libc::mmap(
                    page as *mut c_void,
                    PAGE.load(Ordering::Relaxed),
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if got != libc::MAP_FAILED {
                let running = RUNNING.try_with(Cell::get).unwrap_or(0);
                match record_of(owner).or_else(|| record_of(running)) {
                    Some(r) => {
                        r.name.store(name.cast_mut(), Ordering::Release);
                        r.faults.fetch_add(1, Ordering::AcqRel);
                    }
                    None => {
                        UNATTRIBUTED_NAME.store(name.cast_mut(), Ordering::Release);
                        UNATTRIBUTED.fetch_add(1, Ordering::AcqRel);
                    }
                }
                return;
            }
        }
        let previous = PREVIOUS.load(Ordering::Acquire);
        if previous.is_null() {
            return;
        }
        // SAFETY: a leaked sigaction saved when ours was installed.
        let previous = unsafe { &*previous };
        match previous.sa_sigaction {
            libc::SIG_DFL | libc::SIG_IGN => {
                // Put it back: the faulting read runs again and meets it (the default ends the process).
                // SAFETY: restoring a disposition the kernel gave us.
                unsafe { libc::sigaction(libc::SIGBUS, previous, null_mut()) };
            }
            handler if previous.sa_flags & libc::SA_SIGINFO != 0 => {
                // SAFETY: the previous handler, called as it was installed to be.
                let f: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
                    unsafe { std::mem::transmute(handler) };
                f(sig, info, ctx);
            }
            handler => {
                // SAFETY: as above, a plain handler.
                let f: extern "C" fn(c_int) = unsafe { std::mem::transmute(handler) };
                f(sig);
            }
        }
    }

    fn arm() {
        let mut guards = GUARDS.lock().unwrap_or_else(|e| e.into_inner());
        *guards += 1;
        if *guards > 1 {
            return;
        }
        // SAFETY: plain libc calls with valid, zero-initialised structures.
        unsafe {
            PAGE.store(
                libc::sysconf(libc::_SC_PAGESIZE).max(1) as usize,
                Ordering::Relaxed,
            );
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = ours();
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            let previous: *mut libc::sigaction = Box::into_raw(Box::new(std::mem::zeroed()));
            if libc::sigaction(libc::SIGBUS, &action, previous) != 0 {
                drop(Box::from_raw(previous));
                return;
            }
            if (*previous).sa_sigaction == ours() {
                // Already ours (a guard ended by a panic left it): keep the true previous one.
                drop(Box::from_raw(previous));
                return;
            }
            // The older saved action stays leaked: a handler may be reading it.
            PREVIOUS.store(previous, Ordering::Release);
        }
    }

    fn disarm() {
        let mut guards = GUARDS.lock().unwrap_or_else(|e| e.into_inner());
        *guards = guards.saturating_sub(1);
        if *guards > 0 {
            return;
        }
        let previous = PREVIOUS.load(Ordering::Acquire);
        // SAFETY: plain libc calls; `previous` is a leaked, valid sigaction.
        unsafe {
            let mut current: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGBUS, null_mut(), &mut current);
            // Put the previous handler back unless someone installed theirs meanwhile.
            if !previous.is_null() && current.sa_sigaction == ours() {
                libc::sigaction(libc::SIGBUS, previous, null_mut());
            }
        }
    }

    /// Runs `f` with the handler armed and `owner`'s work marked as running on this thread. The command
    /// line's handler, when armed, is left alone: it ends the process with one line.
    pub fn guarded<T>(owner: &Owner, f: impl FnOnce() -> T) -> T {
        if super::faults::armed() {
            return f();
        }
        struct Guard(usize);
        impl Drop for Guard {
            fn drop(&mut self) {
                RUNNING.with(|r| r.set(self.0));
                disarm();
            }
        }
        arm();
        let _guard = Guard(RUNNING.with(|r| r.replace(owner.token)));
        neardup_core::read::input::owned_by(owner.token, f)
    }
}

#[cfg(not(unix))]
mod bus {
    pub struct Owner;
    impl Owner {
        pub fn new() -> Owner {
            Owner
        }
        pub fn token(&self) -> usize {
            0
        }
        pub fn changed(&self) -> Option<String> {
            None
        }
    }
    pub fn guarded<T>(_owner: &Owner, f: impl FnOnce() -> T) -> T {
        f()
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("NeardupError", py.get_type::<NeardupError>())?;
    m.add("IndexFormatError", py.get_type::<IndexFormatError>())?;
    m.add_function(wrap_pyfunction!(_install_fault_handlers, m)?)?;
    m.add_function(wrap_pyfunction!(_track_temp, m)?)?;
    m.add_function(wrap_pyfunction!(_set_activity, m)?)?;
    Ok(())
}

// ---- faults: interruption, termination, memory exhaustion -------------------------------------------------

/// What the command-line entry arms (`_install_fault_handlers`): on SIGINT, SIGTERM or SIGHUP the
/// process removes the temporary files it has open beside their targets, prints one line and exits
/// (130, 143, 129); on SIGBUS (an input file shrank while mapped) it does the same with "FILE changed
/// while being read" and exit 2; when the allocator runs out of memory it does the same with "out of memory while …"
/// and exit 2, instead of Rust's abort with a backtrace or a `PanicException`. Everything a handler does
/// is async-signal-safe: it reads pre-built C strings from atomics, `unlink`s, `write`s and `_exit`s.
/// Library users are not affected: nothing is installed unless the CLI asks.
#[cfg(unix)]
mod faults {
    use std::ffi::{c_char, c_int, c_void, CStr, CString};
    use std::ptr::null_mut;
    use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

    extern "C" {
        fn signal(sig: c_int, handler: usize) -> usize;
        fn unlink(path: *const c_char) -> c_int;
        fn write(fd: c_int, buf: *const c_void, n: usize) -> isize;
        fn _exit(code: c_int) -> !;
    }

    const SIGHUP: c_int = 1;
    const SIGINT: c_int = 2;
    const SIGTERM: c_int = 15;
    const ENOMEM: c_int = 12;
    const SLOTS: usize = 64;

    /// Temporary files to remove if the process dies now (leaked C strings; null = free slot).
    static TEMPS: [AtomicPtr<c_char>; SLOTS] = [const { AtomicPtr::new(null_mut()) }; SLOTS];
    /// The whole out-of-memory line, "neardup: out of memory while …\n" (a leaked C string).
    static OOM_LINE: AtomicPtr<c_char> = AtomicPtr::new(null_mut());
    static ARMED: AtomicBool = AtomicBool::new(false);
    /// Set by the first thread reporting memory exhaustion.
    static REPORTING: AtomicBool = AtomicBool::new(false);

    pub fn track(path: &str, on: bool) {
        let Ok(c) = CString::new(path) else { return };
        if on {
            let p = c.into_raw();
            for slot in &TEMPS {
                if slot
                    .compare_exchange(null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return;
                }
            }
            // Full: not tracked (the file is still removed by the normal path).
            // SAFETY: `p` came from `into_raw` above and was published in no slot.
            drop(unsafe { CString::from_raw(p) });
            return;
        }
        for slot in &TEMPS {
            let p = slot.load(Ordering::Acquire);
            // SAFETY: a non-null slot holds a C string leaked by `track(…, true)`.
            if !p.is_null() && unsafe { CStr::from_ptr(p) } == c.as_c_str() {
                // Left leaked: a signal handler may be reading it this very moment.
                let _ = slot.compare_exchange(p, null_mut(), Ordering::AcqRel, Ordering::Acquire);
                return;
            }
        }
    }

    pub fn set_activity(what: &str) {
        let line = format!("neardup: out of memory while {what}\n").replace('\0', " ");
        let Ok(c) = CString::new(line) else { return };
        OOM_LINE.store(c.into_raw(), Ordering::Release); // the old one is leaked on purpose (see above)
    }

    fn say(msg: &[u8]) {
        // SAFETY: writing a valid buffer to stderr; a failure is ignored (nothing better to do).
        let _ = unsafe { write(2, msg.as_ptr().cast(), msg.len()) };
    }

    fn remove_temps() {
        for slot in &TEMPS {
            let p = slot.load(Ordering::Acquire);
            if !p.is_null() {
                // SAFETY: a leaked, never freed C string.
                unsafe { unlink(p) };
            }
        }
    }

    extern "C" fn on_signal(sig: c_int) {
        remove_temps();
        say(match sig {
            SIGINT => b"neardup: interrupted\n".as_slice(),
            SIGTERM => b"neardup: terminated\n",
            _ => b"neardup: hangup\n",
        });
        // SAFETY: `_exit` is async-signal-safe and ends the process at once.
        unsafe { _exit(128 + sig) }
    }

    /// SIGBUS: a mapped input shrank under us (`neardup_core::read::input`). The registry of live
    /// mappings names the file when the faulting address is in one of them.
    extern "C" fn on_bus_error(_sig: c_int, info: *mut libc::siginfo_t, _ctx: *mut c_void) {
        remove_temps();
        // SAFETY: the kernel passes a valid siginfo with SA_SIGINFO; `si_addr` is set for SIGBUS.
        let addr = if info.is_null() {
            0
        } else {
            unsafe { (*info).si_addr() as usize }
        };
        let name = neardup_core::read::input::changed_file_at(addr);
        if name.is_null() {
            say(b"neardup: an input file changed while being read\n");
        } else {
            say(b"neardup: ");
            // SAFETY: a leaked C string of the registry, never freed.
            say(unsafe { CStr::from_ptr(name) }.to_bytes());
            say(b" changed while being read\n");
        }
        unsafe { _exit(2) }
    }

    unsafe extern "C" fn on_allocator_error(code: c_int, _arg: *mut c_void) {
        if code != ENOMEM || !ARMED.load(Ordering::Acquire) {
            return;
        }
        // Several threads may run out at once: the first says it and ends the process, the others
        // wait for that end instead of printing the line again.
        if REPORTING.swap(true, Ordering::AcqRel) {
            loop {
                // SAFETY: `pause` is async-signal-safe; the reporting thread's `_exit` ends the wait.
                unsafe { libc::pause() };
            }
        }
        remove_temps();
        let line = OOM_LINE.load(Ordering::Acquire);
        if line.is_null() {
            say(b"neardup: out of memory\n");
        } else {
            // SAFETY: a leaked C string.
            say(unsafe { CStr::from_ptr(line) }.to_bytes());
        }
        unsafe { _exit(2) }
    }

    /// Whether the command line armed these handlers.
    pub fn armed() -> bool {
        ARMED.load(Ordering::Acquire)
    }

    pub fn install() {
        if ARMED.swap(true, Ordering::AcqRel) {
            return;
        }
        set_activity("starting");
        let handler = on_signal as extern "C" fn(c_int) as usize;
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // SAFETY: installing a handler that only calls async-signal-safe functions.
            unsafe { signal(sig, handler) };
        }
        // SAFETY: a zeroed sigaction with a handler that only calls async-signal-safe functions.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction =
                on_bus_error as extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, null_mut());
        }
        // Ours reacts to ENOMEM only.
        crate::alloc::on_out_of_memory(on_allocator_error);
        // A panic reaches Python as `PanicException`, which the command reports in one line: the default
        // hook's message and backtrace on stderr would break that line.
        std::panic::set_hook(Box::new(|_| {}));
    }
}

#[cfg(not(unix))]
mod faults {
    pub fn track(_path: &str, _on: bool) {}
    pub fn set_activity(_what: &str) {}
    pub fn install() {}
    pub fn armed() -> bool {
        false
    }
}

/// Arms the command line's fault handling (see `faults`): signals and memory exhaustion end the
/// process with one line, removing the temporary files registered with `_track_temp`.
#[pyfunction]
fn _install_fault_handlers() {
    faults::install();
}

/// Registers (`on=True`) or forgets a temporary file to remove if the process is interrupted.
#[pyfunction]
#[pyo3(signature = (path, on, /))]
fn _track_temp(path: &str, on: bool) {
    faults::track(path, on);
}

/// What the command is doing, for the "out of memory while …" line.
#[pyfunction]
#[pyo3(signature = (what, /))]
fn _set_activity(what: &str) {
    faults::set_activity(what);
}

/// The temporary-file tracking for code in this crate (an index saved to a file).
pub fn track_temp(path: &std::path::Path, on: bool) {
    if let Some(p) = path.to_str() {
        faults::track(p, on);
    }
}
