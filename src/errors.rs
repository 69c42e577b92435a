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
pub fn detached<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> neardup_core::Result<T> + Send,
    T: Send,
{
    py.detach(f).map_err(to_py)
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
/// (130, 143, 129); when the allocator runs out of memory it does the same with "out of memory while …"
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

    unsafe extern "C" fn on_allocator_error(code: c_int, _arg: *mut c_void) {
        if code != ENOMEM || !ARMED.load(Ordering::Acquire) {
            return;
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
