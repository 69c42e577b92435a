//! Time of the core's whole-snapshot diff (`_diff_jsonl` without Python): map, read, compare, render.
//!
//! `cargo run --release -p neardup-core --example diff_bench -- OLD.jsonl NEW.jsonl [REPEATS]`
//! Prints the median of each stage over the repeats; `NEARDUP_TRACE=1` adds the per-phase lines,
//! `READ_ONLY=1` times the reading alone, and `OUT=FILE` writes the report to FILE as it is rendered
//! (`json::write_report`) instead of keeping it in pieces. `DUMP=FILE` writes every record read (`Debug`,
//! all fields) to FILE, to check that a change to the reader keeps its results.
//! `FROM=csv|hf-json` reads the pair in that format (JSON Lines by default), as `neardup diff --from`.
//! Titles outside ASCII are normalised by the core, as `neardup diff` does. The process's CPU time is
//! printed beside the wall time: on a loaded machine it is the steadier figure.

use std::path::Path;
use std::time::Instant;

use neardup_core::engine::report;
use neardup_core::engine::snapshot::{compare, Options};
use neardup_core::read::file::{map, read_records, Record};
use neardup_core::read::{csv_table, hf_json, RecordSpec};

/// As in the extension (`src/lib.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// User + system CPU time of the process so far, in ms.
fn cpu_ms() -> f64 {
    // SAFETY: getrusage writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// The records of `data` in `format`, as `neardup diff` reads them.
fn records<'a>(data: &'a [u8], format: &str, spec: &RecordSpec) -> Vec<Record<'a>> {
    match format {
        "csv" => csv_table::read_csv_records_with(data, spec, None),
        "hf-json" => hf_json::read_hf_records(data, spec),
        _ => read_records(data, spec),
    }
    .expect("records the core reads")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (old_path, new_path) = (Path::new(&args[1]), Path::new(&args[2]));
    let repeats: usize = args.get(3).map_or(5, |s| s.parse().unwrap());
    let spec = RecordSpec {
        keep_extra: true,
        int_max_str_digits: 4300,
        ..RecordSpec::default()
    };
    let from = std::env::var("FROM").unwrap_or_else(|_| "jsonl".to_owned());
    let opts = Options::default();
    // FORMAT picks the report (json by default).
    let format = std::env::var("FORMAT").unwrap_or_else(|_| "json".to_owned());
    let report_opts = report::Options::new(report::Format::parse(&format).unwrap(), 0.07);
    let (mut reads, mut compares, mut renders, mut totals) = (vec![], vec![], vec![], vec![]);
    let (mut read_cpu, mut total_cpu) = (vec![], vec![]);
    let mut size = 0;
    for _ in 0..repeats {
        let (t0, c0) = (Instant::now(), cpu_ms());
        let (a, b) = rayon::join(|| map(old_path).unwrap(), || map(new_path).unwrap());
        let (mut old, mut new) =
            rayon::join(|| records(&a, &from, &spec), || records(&b, &from, &spec));
        if let Some(path) = std::env::var_os("DUMP") {
            let dump: String = old.iter().chain(&new).map(|r| format!("{r:?}\n")).collect();
            std::fs::write(path, dump).unwrap();
        }
        let titles = |rs: &mut [neardup_core::read::file::Record]| -> Vec<String> {
            rs.iter_mut()
                .map(|r| {
                    let fast = r.ascii_title.take();
                    fast.unwrap_or_else(|| neardup_core::identify::normalize_title(r.title()))
                })
                .collect()
        };
        let (ot, nt) = (titles(&mut old), titles(&mut new));
        let (t1, c1) = (Instant::now(), cpu_ms());
        read_cpu.push(c1 - c0);
        if std::env::var_os("READ_ONLY").is_some() {
            reads.push((t1 - t0).as_secs_f64() * 1e3);
            continue;
        }
        let outcome = compare(&old, &new, &ot, &nt, &opts).unwrap();
        let t2 = Instant::now();
        let src = |path: &'static str, records| report::Source {
            path: Some(path),
            format: Some(from.as_str()),
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
        total_cpu.push(cpu_ms() - c0);
        reads.push((t1 - t0).as_secs_f64() * 1e3);
        compares.push((t2 - t1).as_secs_f64() * 1e3);
        renders.push((t3 - t2).as_secs_f64() * 1e3);
        totals.push((t4 - t0).as_secs_f64() * 1e3);
    }
    if std::env::var_os("READ_ONLY").is_some() {
        println!(
            "read {:.1} ms, {:.1} ms CPU (medians of {repeats})",
            median(reads),
            median(read_cpu)
        );
        return;
    }
    println!(
        "read {:.1} ms ({:.1} ms CPU), compare {:.1} ms, render {:.1} ms, total {:.1} ms ({:.1} ms CPU) (medians of {repeats}; report {size} bytes)",
        median(reads),
        median(read_cpu),
        median(compares),
        median(renders),
        median(totals),
        median(total_cpu)
    );
}
