//! Time of one word diff of two files, wall clock and this thread's CPU time (medians and minima over the
//! repeats), to see how a diff's time grows with its input (`benches/hostile_scaling.py` writes such
//! inputs) without the noise of other processes on a busy machine:
//! `cargo run --release -p neardup-core --example diff_scaling -- OLD.txt NEW.txt [REPEATS]`.
use std::time::Instant;

use neardup_core::diff::{diff, Cleanup, Unit};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let a = std::fs::read_to_string(&args[1]).unwrap();
    let b = std::fs::read_to_string(&args[2]).unwrap();
    let repeats: usize = args.get(3).map_or(5, |s| s.parse().unwrap());
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let thread_cpu = || {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
    };
    let mut dist = 0;
    for _ in 0..repeats {
        let t = Instant::now();
        let c = thread_cpu();
        let d = diff(&a, &b, Unit::Word, Cleanup::Semantic);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        cpu.push(thread_cpu() - c);
        dist = d.distance;
    }
    times.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    println!(
        "wall {:.2} ms (min {:.2}), cpu {:.2} ms (min {:.2}), distance {dist}",
        times[times.len() / 2],
        times[0],
        cpu[cpu.len() / 2],
        cpu[0]
    );
}
