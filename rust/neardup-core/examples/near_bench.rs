//! Time of the near stage on two collections (one JSON value per line: a string, or a record with
//! `title`, `abstract` and optionally `authors`), the previous decision (`cross_pairs` on "title\n
//! abstract" at 0.07, greedy one-to-one) and the current one (`match_entries`) in alternating rounds.
//!
//! `cargo run --release -p neardup-core --example near_bench -- LEFT.jsonl RIGHT.jsonl [REPEATS]`
//! Prints each decision's median time, the number of pairs and a checksum of the scores, and the ratio
//! of the medians; `NEARDUP_TRACE=1` adds the per-phase lines.

use std::time::Instant;

use neardup_core::engine::near::{self, NearEntry, NearParams};

fn load(path: &str) -> Vec<NearEntry<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .map(
            |l| match serde_json::from_str::<serde_json::Value>(l).unwrap() {
                serde_json::Value::String(s) => NearEntry {
                    abstract_text: s,
                    ..Default::default()
                },
                v => {
                    let field =
                        |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
                    let authors = v
                        .get("authors")
                        .and_then(|a| a.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    NearEntry {
                        title: field("title"),
                        abstract_text: field("abstract"),
                        authors,
                        ..Default::default()
                    }
                }
            },
        )
        .collect()
}

fn checksum(pairs: impl Iterator<Item = (u32, u32, f64)>) -> (usize, f64, u64) {
    pairs.fold((0, 0.0, 0u64), |(n, sum, h), (a, b, s)| {
        (
            n + 1,
            sum + s,
            h.rotate_left(5) ^ s.to_bits() ^ ((a as u64) << 32 | b as u64),
        )
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (left, right) = (load(&args[1]), load(&args[2]));
    let repeats: usize = args.get(3).map_or(9, |s| s.parse().unwrap());
    let joined = |es: &[NearEntry<String>]| -> Vec<String> {
        es.iter()
            .map(|e| format!("{}\n{}", e.title, e.abstract_text))
            .collect()
    };
    let (lt, rt) = (joined(&left), joined(&right));
    let params = NearParams::default();
    let (mut old_t, mut new_t) = (Vec::new(), Vec::new());
    let (mut old_sum, mut new_sum) = ((0, 0.0, 0), (0, 0.0, 0));
    for _ in 0..repeats {
        // The joined texts are built once, outside the timing: the engine holds them already.
        let t = Instant::now();
        let pairs = near::cross_pairs(&lt, &rt, 0.07).unwrap();
        let kept = near::assign_one_to_one(&pairs);
        old_t.push(t.elapsed().as_secs_f64() * 1e3);
        old_sum = checksum(kept.into_iter());
        let t = Instant::now();
        let found = near::match_entries(&left, &right, &params).unwrap();
        new_t.push(t.elapsed().as_secs_f64() * 1e3);
        new_sum = checksum(found.iter().map(|m| (m.left, m.right, m.score)));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (o, n) = (median(&mut old_t), median(&mut new_t));
    for (name, t, (k, sum, bits)) in [("old", o, old_sum), ("new", n, new_sum)] {
        println!(
            "{name} {t:.1} ms (median of {repeats}), {k} pairs, score sum {sum:.9}, bits {bits:016x}"
        );
    }
    println!("new / old = {:.3}", n / o);
}
