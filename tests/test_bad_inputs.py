"""The bad-input corpus (tests/data/bad, made by tests/data/make_bad.py) through the real command line.

Every refused input gives exit status 2 and exactly one line on stderr that names the file, the line
(when one applies) and what was expected there, in both argument positions (`neardup diff BAD GOOD` and
`neardup diff GOOD BAD`); nothing on stdout, no traceback, no panic, and no output file (not even a
partial or temporary one) with ``-o``. Inputs that are valid but odd (CRLF, a BOM, a header-only page,
a FIFO, a 50 MB record) give the same result as their plain equivalent.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, run

sys.path.insert(0, str(Path(__file__).resolve().parent / "data"))
import make_bad  # noqa: E402

BAD = Path(__file__).resolve().parent / "data" / "bad"
GOOD = REPO / "examples" / "new.txt"
GOOD_ENTRIES = 12

# Refused inputs: file → (line named in the message or None for the whole file, what was expected).
REFUSED: dict[str, tuple[int | None, str]] = {
    "empty.txt": (None, "expected a snapshot, got an empty file"),
    "blank_lines.txt": (None, "expected a snapshot, got an empty file"),
    "binary.png": (3, "expected text, got binary data (a NUL byte)"),
    "nul_byte.txt": (13, "expected text, got binary data (a NUL byte)"),
    "invalid_utf8.txt": (21, "expected UTF-8 text, got byte 0xe9 (not UTF-8)"),
    "latin1.txt": (13, "expected UTF-8 text, got byte 0xe9 (not UTF-8)"),
    "truncated_entry.txt": (21, "expected an abstract after this title, got end of file"),
    "truncated_meta.txt": (17, "expected a meta block of three lines"),
    "abstract_without_title.txt": (21, "expected a one-line title, got a paragraph of 3 lines"),
    "repeated_page.txt": (37, "expected a title, got the page header line 'new' again"),
    "cr_only.txt": (1, "expected LF or CRLF line ends"),
    "invalid.json": (13, "expected a JSON value, got invalid JSON"),
    "invalid.jsonl": (2, "expected a JSON object, got invalid JSON"),
    "wrong_shape.json": (1, "expected an array of items, or an object with one under"),
    "wrong_item.json": (3, "expected a Daily Papers item (a JSON object), got a number"),
    "wrong_type.jsonl": (2, "expected a string title in field 'title', got an array"),
    "not_object.jsonl": (2, "expected a JSON object, got an array"),
    "lone_surrogate.json": (2, "expected valid Unicode text, got a lone surrogate"),
    "lone_surrogate.jsonl": (2, "expected valid Unicode text, got a lone surrogate"),
    "deeply_nested.json": (1, "expected JSON, got values nested too deeply"),
    "huge_int.jsonl": (1, "expected a JSON value, got invalid JSON"),
    "unknown_encoding.xml": (1, "expected an XML encoding declaration expat supports"),
    "broken.xml": (4, "expected well-formed XML, got mismatched tag"),
    "ragged.csv": (3, "expected a row of 3 fields like the header, got 2 fields"),
}
# Valid but odd: each reads exactly like the plain page make_bad.page() writes.
LIKE_THE_PAGE = [
    "crlf.txt",
    "mixed_crlf_lf.txt",
    "no_final_newline.txt",
    "utf8_bom.txt",
    "duplicate_headers.txt",
    # UTF-16 is read by its byte-order mark (issue 18: "UTF-8 with BOM detection").
    "utf16_bom.txt",
    "utf16be_bom.txt",
]


def assert_refused(r: subprocess.CompletedProcess[bytes], name: str, line: int | None, expected: str) -> str:
    """Exit 2, nothing on stdout, one stderr line `neardup: NAME[:LINE]: expected ...`; returns it."""
    err = r.stderr.decode("utf-8")
    assert r.returncode == 2, err
    assert r.stdout == b""
    assert "Traceback" not in err and "panicked" not in err
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    where = name if line is None else f"{name}:{line}"
    assert err.startswith(f"neardup: {where}: "), err
    assert expected in err, err
    return err


def canonical(report: bytes) -> Any:
    """A JSON report without what legitimately differs between equivalent files (paths, line numbers)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("path", "line")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(report))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "page.txt"
    path.write_text(make_bad.page(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference_report(reference: Path) -> Any:
    r = run("diff", reference, GOOD, "--format", "json")
    assert r.returncode == 1 and r.stderr == b""
    return canonical(r.stdout)


def test_corpus_is_what_the_script_makes(tmp_path: Path) -> None:
    assert make_bad.main(["make_bad.py", str(tmp_path)]) == 0
    made = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in BAD.iterdir()}
    assert made == committed
    assert set(made) == set(REFUSED) | set(LIKE_THE_PAGE) | {"header_only.txt"}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_as_old(tmp_path: Path, name: str) -> None:
    line, expected = REFUSED[name]
    path = BAD / name
    assert_refused(run("diff", path, GOOD), str(path), line, expected)
    # With -o: no report, and nothing else left in the directory either.
    out = tmp_path / "out" / "report.json"
    out.parent.mkdir()
    assert_refused(run("diff", path, GOOD, "--format", "json", "-o", out), str(path), line, expected)
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_as_new(name: str) -> None:
    line, expected = REFUSED[name]
    path = BAD / name
    assert_refused(run("diff", GOOD, path, "--format", "json"), str(path), line, expected)


@pytest.mark.parametrize("name", ["empty.txt", "nul_byte.txt", "invalid.jsonl", "latin1.txt"])
def test_refused_on_stdin(name: str) -> None:
    line, expected = REFUSED[name]
    r = run("diff", "-", GOOD, stdin=(BAD / name).read_bytes())
    assert_refused(r, "<stdin>", line, expected)


@pytest.mark.parametrize("name", LIKE_THE_PAGE)
def test_valid_but_odd_reads_like_the_plain_page(name: str, reference_report: Any) -> None:
    for args in (("diff", BAD / name, GOOD), ("diff", GOOD, BAD / name)):
        r = run(*args, "--format", "json")
        assert r.returncode == 1 and r.stderr == b"", r.stderr
        if args[2] == GOOD:
            assert canonical(r.stdout) == reference_report


def test_header_only_page_is_an_empty_snapshot() -> None:
    r = run("diff", BAD / "header_only.txt", GOOD, "--format", "json")
    assert r.returncode == 1 and r.stderr == b""
    summary = json.loads(r.stdout)["summary"]
    assert summary["added"] == GOOD_ENTRIES and summary["removed"] == 0
    r = run("diff", BAD / "header_only.txt", BAD / "header_only.txt")
    assert r.returncode == 0 and r.stderr == b""


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    out = tmp_path / "report.txt"
    for args in ((missing, GOOD), (GOOD, missing)):
        r = run("diff", *args, "-o", out)
        assert_refused(r, str(missing), None, "expected an existing file, got no such file")
    assert list(tmp_path.iterdir()) == []


def test_directory(tmp_path: Path) -> None:
    for args in ((tmp_path, GOOD), (GOOD, tmp_path)):
        assert_refused(run("diff", *args), str(tmp_path), None, "expected a file, got a directory")


def test_read_error_mid_file() -> None:
    """A file that opens but fails to read (EIO): /proc/self/mem of the neardup process itself."""
    if not Path("/proc/self/mem").exists():
        pytest.skip("no /proc")
    r = run("diff", "/proc/self/mem", GOOD)
    assert_refused(r, "/proc/self/mem", None, "expected a readable file")


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A directory another user can enter (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="neardup-bad-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_unreadable_file(world_readable_dir: Path) -> None:
    good = world_readable_dir / "good.txt"
    shutil.copyfile(GOOD, good)
    good.chmod(0o644)
    locked = world_readable_dir / "unreadable.txt"
    locked.write_text(make_bad.page(), encoding="utf-8")
    locked.chmod(0)
    refusal = "expected a readable file, got permission denied"
    if os.geteuid() != 0:
        for args in ((locked, good), (good, locked)):
            assert_refused(run("diff", *args), str(locked), None, refusal)
        return
    # Root reads a mode-000 file like any other: the correct result, no complaint.
    r = run("diff", locked, good)
    assert r.returncode == 1 and r.stderr == b""
    # As an unprivileged user (where this machine lets one run the interpreter) it is refused.
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: chmod 000 does not block reading")
    drop = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*drop, sys.executable, "-c", "import neardup"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("the interpreter cannot run as an unprivileged user here")
    for args in ((locked, good), (good, locked)):
        r = subprocess.run(
            [*drop, sys.executable, "-m", "neardup", "diff", *map(str, args)],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert_refused(r, str(locked), None, refusal)


def _fifo_run(fifo: Path, data: bytes, *args: str | Path) -> subprocess.CompletedProcess[bytes]:
    """Runs neardup on `args` while a thread writes `data` into the FIFO (opening it blocks until then)."""

    def feed() -> None:
        with fifo.open("wb") as w:
            w.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        return run(*args, timeout=120)
    finally:
        writer.join(timeout=10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo(tmp_path: Path, reference: Path, reference_report: Any) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    page = reference.read_bytes()
    r = _fifo_run(fifo, page, "diff", fifo, GOOD, "--format", "json")
    assert r.returncode == 1 and r.stderr == b"", r.stderr
    assert canonical(r.stdout) == reference_report
    r = _fifo_run(fifo, page, "diff", GOOD, fifo)
    assert r.returncode == 1 and r.stderr == b""
    # A writer that sends nothing: an empty file.
    r = _fifo_run(fifo, b"", "diff", fifo, GOOD)
    assert_refused(r, str(fifo), None, "expected a snapshot, got an empty file")
    # Refusals name the FIFO and the line as for a file.
    r = _fifo_run(fifo, (BAD / "invalid_utf8.txt").read_bytes(), "diff", GOOD, fifo)
    assert_refused(r, str(fifo), *REFUSED["invalid_utf8.txt"])


def test_fifty_megabyte_single_line(tmp_path: Path) -> None:
    """50 MB of words on one line: no format fits it, whatever the reader; refused at line 1, quickly."""
    path = make_bad.long_line(tmp_path / "long.txt")
    out = tmp_path / "report.json"
    r = run("diff", path, GOOD, "-o", out)
    assert_refused(r, str(path), 1, "expected a snapshot in one of the formats")
    r = run("diff", GOOD, path, "--from", "hf-text")
    assert_refused(r, str(path), 1, "expected a title, got 52428799 characters")
    assert_refused(run("diff", path, GOOD, "--from", "jsonl"), str(path), 1, "expected a JSON object")
    assert_refused(run("diff", path, GOOD, "--from", "csv"), str(path), 1, "field larger than field limit")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.txt"]


def test_fifty_megabyte_record_is_read(tmp_path: Path) -> None:
    """Valid but odd: one JSON line holding a 50 MB abstract, matched by title to a page entry."""
    title, _abstract = make_bad.ENTRIES[0]
    path = tmp_path / "long.jsonl"
    with path.open("wb") as fh:
        fh.write(b'{"title": ' + json.dumps(title).encode() + b', "abstract": "')
        make_bad.long_line(tmp_path / "words.txt")
        with (tmp_path / "words.txt").open("rb") as words:
            shutil.copyfileobj(words, fh)
        fh.write(b'"}\n')
    (tmp_path / "words.txt").unlink()
    out = tmp_path / "report.jsonl"
    r = run("diff", path, BAD / "crlf.txt", "--format", "jsonl", "-o", out)
    assert r.returncode == 1 and r.stderr == b"", r.stderr
    with out.open("rb") as fh:
        summary = json.loads(fh.readline())
    assert summary["kind"] == "summary"
    counts = {k: summary[k] for k in ("changed", "added", "removed", "unchanged")}
    assert counts == {"changed": 1, "added": 2, "removed": 0, "unchanged": 0}


# ---- output targets ----------------------------------------------------------------------------------
# Output targets other than a plain new file: symlinks, FIFOs, a full disk, an unencodable report.


def test_output_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert run("diff", GOOD, GOOD, "--format", "json", "-o", link).returncode == 0
    assert link.is_symlink()
    assert json.loads(real.read_text(encoding="utf-8"))["summary"]["unchanged"] == GOOD_ENTRIES


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_output_into_a_fifo_goes_to_its_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def drain() -> None:
        with fifo.open("rb") as r:
            received.append(r.read())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    r = run("diff", GOOD, GOOD, "--format", "json", "-o", fifo, timeout=60)
    if reader.is_alive():  # the FIFO was replaced, nobody opened it for writing: unblock the reader
        with fifo.open("wb"):
            pass
    reader.join(timeout=10)
    assert r.returncode == 0
    assert stat_is_fifo(fifo)
    assert received and json.loads(received[0])["summary"]["unchanged"] == GOOD_ENTRIES


def stat_is_fifo(path: Path) -> bool:
    return stat.S_ISFIFO(path.lstat().st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_full_standard_output_is_one_line() -> None:
    with open("/dev/full", "wb") as full:
        r = subprocess.run(
            [sys.executable, "-m", "neardup", "diff", str(GOOD), str(BAD / "crlf.txt")],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    err = r.stderr.decode()
    assert r.returncode == 2 and "Traceback" not in err and err.count("\n") == 1, err


def test_unencodable_report_leaves_no_temporary_file(tmp_path: Path) -> None:
    """A lone surrogate escape (JSON can spell one, UTF-8 cannot hold it) in a member that would only
    reach the report: refused with one line, and nothing left behind."""
    src = tmp_path / "in"
    src.mkdir()
    old = src / "old.jsonl"
    old.write_bytes(b'{"title": "T", "abstract": "A", "venue": "x \\udc80"}\n')
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    r = run("diff", old, GOOD, "--format", "json", "-o", out_dir / "report.json")
    assert_refused(r, str(old), 1, "expected valid Unicode text, got a lone surrogate \\udc80")
    assert list(out_dir.iterdir()) == []


def test_a_ragged_row_after_many_quoted_line_breaks_is_named_by_its_line(tmp_path: Path) -> None:
    """The core reads a CSV in pieces cut at line ends outside quotes; a bad row far into the file (past
    the first pieces, after thousands of quoted line breaks and CRLF ends) is still named by its own
    line, in either argument position."""
    rows, line = ["id,title,abstract\r\n"], 2
    for i in range(8000):
        row = f'P-{i},Title {i},"first line {i}\nsecond ""line"", and\r\nthird {"x" * (i % 90)}"\r\n'
        rows.append(row)
        line += row.count("\n")
    rows.append('P-bad,"a title\nover two lines"\r\n')
    path = tmp_path / "late_ragged.csv"
    path.write_text("".join(rows), encoding="utf-8", newline="")
    assert path.stat().st_size > 3 * 256 * 1024
    good = tmp_path / "good.csv"
    good.write_text("id,title,abstract\nP-1,A title,An abstract.\n", encoding="utf-8")
    expected = "expected a row of 3 fields like the header, got 2 fields"
    assert_refused(run("diff", path, good), str(path), line, expected)
    assert_refused(run("diff", good, path), str(path), line, expected)
