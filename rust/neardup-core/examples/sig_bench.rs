//! Single-thread throughput of `MinHasher::signatures` on a corpus file (one JSON string per line).
//!
//! `cargo run --release -p neardup-core --example sig_bench -- CORPUS [NUM_PERM] [DOCS] [REPEATS]`
//! Run under `valgrind --tool=callgrind` with `REPEATS=1` for repeatable instruction counts.

use std::time::Instant;

use neardup_core::minhash::{MinHasher, Scheme};
use neardup_core::text::shingle::ShingleConfig;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("corpus path");
    let num_perm: usize = args.get(2).map_or(128, |s| s.parse().unwrap());
    let docs: usize = args.get(3).map_or(usize::MAX, |s| s.parse().unwrap());
    let repeats: usize = args.get(4).map_or(5, |s| s.parse().unwrap());
    let texts: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .take(docs)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mh = MinHasher::new(num_perm, ShingleConfig::default(), Scheme::Oph).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut times = Vec::new();
    let mut check = 0u64;
    for _ in 0..repeats {
        let t = Instant::now();
        let sigs = pool.install(|| mh.signatures(&texts));
        times.push(t.elapsed().as_secs_f64());
        check = sigs
            .iter()
            .fold(0u64, |h, &v| h.wrapping_mul(31).wrapping_add(v as u64));
    }
    if repeats == 0 {
        return; // Baseline for instruction counts: loading only.
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let med = times[times.len() / 2];
    println!(
        "docs={} num_perm={num_perm} median={:.4}s docs/s={:.0} checksum={check:016x}",
        texts.len(),
        med,
        texts.len() as f64 / med
    );
}
