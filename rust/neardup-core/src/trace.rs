//! Phase timings on stderr for whoever tunes a batch job: set `NEARDUP_TRACE=1` and each traced phase
//! prints one line `neardup: <phase> <milliseconds> ms`, with the process's anonymous resident memory at
//! that point where the system tells it (Linux), as the memory a phase leaves behind is what a batch
//! job's peak is made of, and the CPU time the process spent in the phase (on a loaded machine the wall
//! time says more about the neighbours than about the phase). Off (one cached env lookup) otherwise.

use std::sync::OnceLock;
use std::time::Instant;

/// Whether tracing is on (`NEARDUP_TRACE` set, not empty, not "0").
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("NEARDUP_TRACE").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// A stopwatch whose [`Phases::done`] reports the time since the previous phase ended.
pub struct Phases(Option<(Instant, f64)>);

impl Phases {
    pub fn start() -> Phases {
        Phases(enabled().then(|| (Instant::now(), cpu_ms())))
    }
    pub fn done(&mut self, phase: &str) {
        if let Some((t, cpu)) = self.0 {
            let (now, cpu_now) = (Instant::now(), cpu_ms());
            let ms = (now - t).as_secs_f64() * 1e3;
            let cpu = cpu_now - cpu;
            match anon_mib() {
                Some(mib) => {
                    eprintln!("neardup: {phase} {ms:.1} ms ({cpu:.0} ms CPU), {mib} MiB anonymous")
                }
                None => eprintln!("neardup: {phase} {ms:.1} ms ({cpu:.0} ms CPU)"),
            }
            self.0 = Some((now, cpu_now));
        }
    }
}

/// The CPU time (user and system) the process has spent so far, in ms.
fn cpu_ms() -> f64 {
    // SAFETY: `getrusage` only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// Prints one line `neardup: <what>` when tracing is on (counts that explain a phase's time).
pub fn note(what: impl FnOnce() -> String) {
    if enabled() {
        eprintln!("neardup: {}", what());
    }
}

/// The process's anonymous resident memory in MiB (`RssAnon` of `/proc/self/status`), where available.
fn anon_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
