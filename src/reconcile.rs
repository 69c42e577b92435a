//! `_diff_files`: the engine on two JSON Lines or CSV files read by the core, its report (any format)
//! rendered by the core; `Report`, a rendered report held as pieces.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use std::io::Write;
use std::path::PathBuf;

use neardup_core::diff::Style;
use neardup_core::engine::report::{self, Format, Source};
use neardup_core::engine::snapshot;
use neardup_core::read::streamed::{self, Spool};
use neardup_core::read::{csv_table, file, hf_json, input, RecordSpec};
use neardup_core::trace::Phases;

use crate::engine::EngineOptions;
use crate::errors::{guarded_by, to_py, Reader};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_diff_files, m)?)?;
    m.add_class::<Report>()?;
    Ok(())
}

// ---- the all-Rust `neardup diff` ----------------------------------------------------------------------

/// The report options of `neardup diff` (`--format`, `--context`, `--word-diff`, `--color`).
pub(crate) fn report_options(
    format: &str,
    threshold: f64,
    context: Option<usize>,
    word_diff: &str,
    color: bool,
) -> PyResult<report::Options> {
    let word_style = match word_diff {
        "color" => Style::Ansi,
        "porcelain" => Style::Porcelain,
        _ => Style::Plain,
    };
    Ok(report::Options {
        format: Format::parse(format).map_err(crate::errors::to_py)?,
        threshold,
        context,
        word_style,
        color,
    })
}

pub(crate) fn spec(
    title_field: Option<String>,
    abstract_field: Option<String>,
    id_field: Option<String>,
    int_max_str_digits: usize,
) -> RecordSpec {
    RecordSpec {
        title_field,
        abstract_field,
        id_field,
        keep_extra: true,
        int_max_str_digits,
    }
}

/// The report of `neardup diff OLD NEW --format FORMAT` and whether the snapshots differ, computed
/// without Python objects per entry; `None` when some record needs the Python reader (which then reads
/// the files, or reports why it cannot).
///
/// With `out_fd`, the report is written to that open descriptor (left open) while it is rendered, and
/// in its place comes the `OSError` that stopped the writing, or `None` (so that a caller whose pipe
/// closed still learns whether the snapshots differ).
#[pyfunction]
#[pyo3(signature = (
    old_path, new_path, old_name, new_name, /, *, options, title_field=None, abstract_field=None,
    id_field=None,
    old_format="jsonl", new_format="jsonl",
    int_max_str_digits=4300, out_fd=None, report_format="json", context=None, word_diff="plain",
    color=false, encoding=None, delimiter=None,
))]
#[allow(clippy::too_many_arguments)]
fn _diff_files(
    py: Python<'_>,
    old_path: PathBuf,
    new_path: PathBuf,
    old_name: &str,
    new_name: &str,
    options: &Bound<'_, EngineOptions>,
    title_field: Option<String>,
    abstract_field: Option<String>,
    id_field: Option<String>,
    old_format: &str,
    new_format: &str,
    int_max_str_digits: usize,
    out_fd: Option<i32>,
    report_format: &str,
    context: Option<usize>,
    word_diff: &str,
    color: bool,
    encoding: Option<&str>,
    delimiter: Option<char>,
) -> PyResult<Option<(Py<PyAny>, bool)>> {
    let opts = &options.get().0;
    let report_opts = report_options(report_format, opts.threshold, context, word_diff, color)?;
    let delimiter = match delimiter {
        Some(d) if d.is_ascii() => Some(d as u8),
        Some(d) => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "delimiter {d:?}: expected one ASCII character"
            )))
        }
        None => None,
    };
    let spec = spec(title_field, abstract_field, id_field, int_max_str_digits);
    let encoding = crate::input::encoding(encoding)?;
    let _job = crate::BatchJob::start();
    let mut phases = Phases::start();
    // What the records borrow from: each input's mapping, or the runs of its temporary copy.
    let (old_data, new_data) = (Spool::new(), Spool::new());
    // Every step that reads the inputs' mappings is guarded by the one reader of this call: a mapped
    // input that shrinks under any of them is an `InputChangedError`, not a SIGBUS, and a file changing
    // under another call running at the same time is not this one's error.
    let reader = Reader::new();
    let read = guarded_by(py, &reader, || {
        // The inputs are opened on rayon's threads: each opening is the reader's.
        let (a, b) = rayon::join(
            || {
                reader.owning(|| {
                    read_input(&old_data, &old_path, old_format, encoding, &spec, delimiter)
                })
            },
            || {
                reader.owning(|| {
                    read_input(&new_data, &new_path, new_format, encoding, &spec, delimiter)
                })
            },
        );
        Some((a?, b?)) // unreadable, or some record is not for this path: the Python reader says why
    })?;
    let Some((mut old, mut new)) = read else {
        return Ok(None);
    };
    phases.done("read records");
    let finish = |rs: &mut [file::Record]| -> Vec<String> {
        rs.iter_mut()
            .map(|r| {
                let fast = r.ascii_title.take();
                fast.unwrap_or_else(|| neardup_core::identify::normalize_title(r.title()))
            })
            .collect()
    };
    let (old_titles, new_titles) = guarded_by(py, &reader, || {
        rayon::join(|| finish(&mut old), || finish(&mut new))
    })?;
    phases.done("normalise titles");
    // Comparing reads the records' text, and rendering (written out as it goes with `out_fd`) quotes
    // it: both still read the mappings.
    let report = guarded_by(py, &reader, || {
        let outcome = snapshot::compare(&old, &new, &old_titles, &new_titles, opts)?;
        let source = |path, format, records| Source {
            path: Some(path),
            format: Some(format),
            date: None,
            records,
        };
        let mut phases = Phases::start();
        let (old_source, new_source) = (
            source(old_name, old_format, &old),
            source(new_name, new_format, &new),
        );
        let made = match out_fd {
            Some(fd) => Made::Written(with_lent_fd(fd, |file| {
                report::write_report(&outcome, old_source, new_source, &report_opts, file)
            })),
            None => Made::Pieces(report::render_pieces(
                &outcome,
                old_source,
                new_source,
                &report_opts,
            )),
        };
        phases.done("render report");
        Ok(Some((made, outcome.has_differences())))
    })?
    .map_err(to_py)?;
    phases.done("compare and render");
    // The records go before the maps they borrow from, without the GIL (unmapping is kernel work).
    py.detach(move || drop((old, new, old_titles, new_titles)));
    py.detach(move || drop((old_data, new_data)));
    Ok(match report {
        None => None,
        Some((Made::Pieces(pieces), differ)) => Some((
            Report::new(pieces).into_pyobject(py)?.into_any().unbind(),
            differ,
        )),
        Some((Made::Written(written), differ)) => {
            let error = match written {
                Ok(()) => py.None(),
                Err(e) => PyErr::from(e).into_value(py).into_any(),
            };
            Some((error, differ))
        }
    })
}

/// The records of the input at `path` in `format`, their text held by `spool`: decompressed and
/// transcoded to UTF-8 as needed by the one input layer, JSON Lines read while the rest of a compressed
/// input is decompressed ([`streamed`]); `None` when the input cannot be read or some record is for the
/// Python reader.
pub(crate) fn read_input<'a>(
    spool: &'a Spool,
    path: &std::path::Path,
    format: &str,
    encoding: Option<input::TextEncoding>,
    spec: &RecordSpec,
    delimiter: Option<u8>,
) -> Option<Vec<file::Record<'a>>> {
    match format {
        // Parquet and Arrow IPC files are read as the JSON Lines of their rows (`read::columnar`); one
        // with a column JSON cannot spell is left to the Python reader.
        "jsonl" | "parquet" | "arrow" => streamed::read_path(spool, path, encoding, spec).ok()?,
        _ => {
            let data = spool.hold(input::open_with(path, encoding).ok()?);
            records_of(data, format, spec, delimiter)
        }
    }
}

/// The records of a file's bytes in `format` (`"jsonl"`, `"csv"` or `"hf-json"`), or `None` when some
/// record is for the Python reader.
pub(crate) fn records_of<'a>(
    data: &'a [u8],
    format: &str,
    spec: &RecordSpec,
    delimiter: Option<u8>,
) -> Option<Vec<file::Record<'a>>> {
    match format {
        "csv" => csv_table::read_csv_records_with(data, spec, delimiter),
        "hf-json" => hf_json::read_hf_records(data, spec),
        "jsonl" => file::read_records(data, spec),
        _ => None,
    }
}

/// What `_diff_files` made of a report: pieces for a `Report`, or the result of writing it out.
enum Made {
    Pieces(Vec<String>),
    Written(std::io::Result<()>),
}

/// A UTF-8 report held by the core as consecutive pieces: written to a file descriptor as it is, or
/// copied into one `bytes` when a caller wants that. Reports of large diffs run to tens of MB, so the
/// CLI writes them without the extra copy.
#[pyclass(module = "neardup._core", name = "Report", frozen)]
pub struct Report {
    pieces: Vec<String>,
    len: usize,
}

impl Report {
    pub(crate) fn new(pieces: Vec<String>) -> Report {
        let len = pieces.iter().map(String::len).sum();
        Report { pieces, len }
    }
}

#[pymethods]
impl Report {
    fn __len__(&self) -> usize {
        self.len
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        PyBytes::new_with(py, self.len, |buf| {
            let mut at = 0;
            for piece in &self.pieces {
                buf[at..at + piece.len()].copy_from_slice(piece.as_bytes());
                at += piece.len();
            }
            Ok(())
        })
    }

    /// Writes the report to the open file descriptor `fd` (left open), without the GIL. Errors are
    /// `OSError`s (`BrokenPipeError` for a closed pipe).
    #[pyo3(signature = (fd, /))]
    fn write_to(&self, py: Python<'_>, fd: i32) -> PyResult<()> {
        py.detach(|| {
            with_lent_fd(fd, |file| {
                self.pieces
                    .iter()
                    .try_for_each(|piece| file.write_all(piece.as_bytes()))
            })
        })
        .map_err(PyErr::from)
    }
}

/// Runs `write` on the open descriptor `fd`, which the caller lends for the duration of the call (it is
/// not closed).
#[cfg(unix)]
fn with_lent_fd(
    fd: i32,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::os::fd::FromRawFd;
    if fd < 0 {
        return Err(std::io::Error::from_raw_os_error(9)); // EBADF
    }
    // SAFETY: the caller lends an open descriptor for the duration of the call; ManuallyDrop keeps the
    // File from closing it.
    let mut file = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
    write(&mut *file)
}

#[cfg(not(unix))]
fn with_lent_fd(
    _fd: i32,
    _write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "writing to a file descriptor needs Unix; use bytes(report)",
    ))
}
