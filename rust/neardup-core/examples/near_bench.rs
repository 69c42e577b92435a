//! Time of the near stage on two collections of texts (one JSON string per line).
//!
//! `cargo run --release -p neardup-core --example near_bench -- LEFT.jsonl RIGHT.jsonl [REPEATS]`
//! Prints the median time, the number of pairs and a checksum of the scores; `NEARDUP_TRACE=1` adds the
//! per-phase lines.

use std::time::Instant;

fn load(path: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (left, right) = (load(&args[1]), load(&args[2]));
    let repeats: usize = args.get(3).map_or(9, |s| s.parse().unwrap());
    let mut times = Vec::new();
    let mut pairs = Vec::new();
    for _ in 0..repeats {
        let t = Instant::now();
        pairs = neardup_core::near::cross_pairs(&left, &right, 0.07).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let sum: f64 = pairs.iter().map(|p| p.2).sum();
    let bits = pairs.iter().fold(0u64, |h, p| {
        h.rotate_left(5) ^ p.2.to_bits() ^ ((p.0 as u64) << 32 | p.1 as u64)
    });
    println!(
        "near {:.1} ms (median of {repeats}), {} pairs, score sum {sum:.9}, bits {bits:016x}",
        times[repeats / 2],
        pairs.len()
    );
}
