//! Time of the core's whole-snapshot diff (`_diff_jsonl` without Python): map, read, compare, render.
//!
//! `cargo run --release -p neardup-core --example diff_bench -- OLD.jsonl NEW.jsonl [REPEATS]`
//! Prints the median of each stage over the repeats; `NEARDUP_TRACE=1` adds the per-phase lines,
//! `READ_ONLY=1` times the reading alone, and `OUT=FILE` writes the report to FILE as it is rendered
//! (`json::write_report`) instead of keeping it in pieces. `DUMP=FILE` writes every record read (`Debug`,
//! all fields) to FILE, to check that a change to the reader keeps its results.
//! Titles outside ASCII would need Python's normaliser: the bench takes them as they are.

use std::path::Path;
use std::time::Instant;

use neardup_core::engine::report;
use neardup_core::engine::snapshot::{compare, Options};
use neardup_core::read::file::{map, read_records};
use neardup_core::read::RecordSpec;

/// As in the extension (`src/lib.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (old_path, new_path) = (Path::new(&args[1]), Path::new(&args[2]));
    let repeats: usize = args.get(3).map_or(5, |s| s.parse().unwrap());
    let spec = RecordSpec::default();
    let opts = Options::default();
    // FORMAT picks the report (json by default).
    let format = std::env::var("FORMAT").unwrap_or_else(|_| "json".to_owned());
    let report_opts = report::Options::new(report::Format::parse(&format).unwrap(), 0.07);
    let (mut reads, mut compares, mut renders, mut totals) = (vec![], vec![], vec![], vec![]);
    let mut size = 0;
    for _ in 0..repeats {
        let t0 = Instant::now();
        let (a, b) = rayon::join(|| map(old_path).unwrap(), || map(new_path).unwrap());
        let (mut old, mut new) = rayon::join(
            || read_records(&a, &spec).unwrap(),
            || read_records(&b, &spec).unwrap(),
        );
        if let Some(path) = std::env::var_os("DUMP") {
            let dump: String = old.iter().chain(&new).map(|r| format!("{r:?}\n")).collect();
            std::fs::write(path, dump).unwrap();
        }
        let titles = |rs: &mut [neardup_core::read::file::Record]| -> Vec<String> {
            rs.iter_mut()
                .map(|r| r.ascii_title.take().unwrap_or_else(|| r.title().to_owned()))
                .collect()
        };
        let (ot, nt) = (titles(&mut old), titles(&mut new));
        let t1 = Instant::now();
        if std::env::var_os("READ_ONLY").is_some() {
            reads.push((t1 - t0).as_secs_f64() * 1e3);
            continue;
        }
        let outcome = compare(&old, &new, &ot, &nt, &opts).unwrap();
        let t2 = Instant::now();
        let src = |path: &'static str, records| report::Source {
            path: Some(path),
            format: Some("jsonl"),
            date: None,
            records,
        };
        // With OUT set, the report is written there as it is rendered (`report::write_report`).
        let pieces = match std::env::var_os("OUT") {
            Some(path) => {
                let mut file = std::fs::File::create(path).unwrap();
                report::write_report(
                    &outcome,
                    src("old", &old),
                    src("new", &new),
                    &report_opts,
                    &mut file,
                )
                .unwrap();
                size = file.metadata().unwrap().len() as usize;
                Vec::new()
            }
            None => {
                let pieces = report::render_pieces(
                    &outcome,
                    src("old", &old),
                    src("new", &new),
                    &report_opts,
                );
                size = pieces.iter().map(String::len).sum::<usize>();
                pieces
            }
        };
        let t3 = Instant::now();
        drop((outcome, pieces, ot, nt));
        drop((old, new));
        drop((a, b));
        let t4 = Instant::now();
        reads.push((t1 - t0).as_secs_f64() * 1e3);
        compares.push((t2 - t1).as_secs_f64() * 1e3);
        renders.push((t3 - t2).as_secs_f64() * 1e3);
        totals.push((t4 - t0).as_secs_f64() * 1e3);
    }
    if std::env::var_os("READ_ONLY").is_some() {
        println!("read {:.1} ms (median of {repeats})", median(reads));
        return;
    }
    println!(
        "read {:.1} ms, compare {:.1} ms, render {:.1} ms, total {:.1} ms (medians of {repeats}; report {size} bytes)",
        median(reads),
        median(compares),
        median(renders),
        median(totals)
    );
}
