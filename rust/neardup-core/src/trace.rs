//! Phase timings on stderr for whoever tunes a batch job: set `NEARDUP_TRACE=1` and each traced phase
//! prints one line `neardup: <phase> <milliseconds> ms`. Off (one cached env lookup) otherwise.

use std::sync::OnceLock;
use std::time::Instant;

/// Whether tracing is on (`NEARDUP_TRACE` set, not empty, not "0").
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("NEARDUP_TRACE").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// A stopwatch whose [`Phases::done`] reports the time since the previous phase ended.
pub struct Phases(Option<Instant>);

impl Phases {
    pub fn start() -> Phases {
        Phases(enabled().then(Instant::now))
    }
    pub fn done(&mut self, phase: &str) {
        if let Some(t) = self.0 {
            let now = Instant::now();
            eprintln!("neardup: {phase} {:.1} ms", (now - t).as_secs_f64() * 1e3);
            self.0 = Some(now);
        }
    }
}

/// Prints one line `neardup: <what>` when tracing is on (counts that explain a phase's time).
pub fn note(what: impl FnOnce() -> String) {
    if enabled() {
        eprintln!("neardup: {}", what());
    }
}
