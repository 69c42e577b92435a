"""The all-Rust path of ``neardup diff --format json`` (`neardup.fast_diff`) against the Python path.

Both must give byte-identical reports on every input the fast path accepts, and the fast path must step
aside (return None) on every input it does not handle, so that the Python path decides."""

from __future__ import annotations

import io
import json
import math
import os
import random
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import neardup
from conftest import SEED_NEW, SEED_OLD
from neardup import fast_diff, report
from neardup.cli import main

WORDS = (
    "model",
    "learning",
    "graph",
    "neural",
    "data",
    "training",
    "language",
    "robust",
    "sparse",
    "attention",
    "diffusion",
    "policy",
    "reward",
    "transformer",
    "token",
    "benchmark",
    "retrieval",
    "agent",
    "vision",
    "memory",
    "scaling",
    "quantum",
    "protein",
)
ODD_TITLES = [
    "Caf\u00e9 Models: \u00dcber Attention",  # non-ASCII: normalised by Python's definition
    "The $\\alpha$-Divergence of {GAN}s",  # LaTeX
    "Stra\u00dfe \u2014 a \ufb01ne Test",  # casefold and NFKC differ from lowercasing
    "Tabs\tand\x1fseparators",
]


def python_report(old: Path, new: Path, **kwargs: Any) -> str:
    threshold = kwargs.pop("threshold", neardup.reconcile.DEFAULT_THRESHOLD)
    a, b = neardup.read_snapshot(old), neardup.read_snapshot(new)
    diff = neardup.compare(a, b, threshold=threshold, include_meta=kwargs.get("include_meta", False))
    return report.render(diff, "json")


def fast_report(old: Path, new: Path, **kwargs: Any) -> str | None:
    kwargs.setdefault("threshold", neardup.reconcile.DEFAULT_THRESHOLD)
    result = fast_diff.diff_report(str(old), str(new), **kwargs)
    if result is None:
        return None
    data = bytes(result[0])
    assert len(result[0]) == len(data)
    return data.decode("utf-8")


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(
        rng.choice(WORDS) + rng.choice(["", "s", "ed", "ing", str(rng.randrange(99))]) for _ in range(n)
    )


def record(rng: random.Random, i: int) -> dict[str, Any]:
    title = sentence(rng, rng.randrange(3, 9)).capitalize() + rng.choice([".", "", ":", " (v2)", "?"])
    if i % 17 == 0:
        title = ODD_TITLES[(i // 17) % len(ODD_TITLES)] + f" {i}"
    r: dict[str, Any] = {"title": title, "abstract": sentence(rng, rng.randrange(20, 80))}
    if rng.random() < 0.6:
        r["id"] = f"{21 + i % 5}{1 + i % 12:02d}.{i:05d}v{rng.randrange(1, 4)}"
    if rng.random() < 0.3:  # scalar extras of every JSON type, with escapes and odd floats
        r["score"] = rng.choice(
            [1.5, 1e-07, 2.5e16, -0.0, 3, True, None, 'q"uo\\te\n\u0001', "\u00e9t\u00e9"]
        )
    return r


def write(path: Path, records: list[dict[str, Any]], *, crlf: bool = False, bom: bool = False) -> Path:
    end = "\r\n" if crlf else "\n"
    text = end.join(json.dumps(r, ensure_ascii=bool(len(records) % 2)) for r in records) + end
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def edited(rng: random.Random, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A later snapshot: some removed, added, abstracts revised, titles re-cased, ids bumped or dropped,
    whitespace-only edits, and near-identical copies listed twice."""
    out = []
    for r in records:
        roll = rng.random()
        r = dict(r)
        if roll < 0.04:
            continue
        if roll < 0.12:
            words = r["abstract"].split()
            for _ in range(rng.randrange(1, 6)):
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            r["abstract"] = " ".join(words)
        elif roll < 0.16:
            r["title"] = r["title"].upper()
        elif roll < 0.20:
            r["abstract"] = "  " + r["abstract"].replace(" ", "\n ", 2)
        elif roll < 0.24 and "id" in r:
            r["id"] = r["id"][:-1] + "9"  # a new version: metadata only
        elif roll < 0.28:
            r.pop("id", None)
            r["title"] = r["title"] + " revisited"
        out.append(r)
        if roll > 0.985:
            twin = dict(r, abstract=r["abstract"] + " Extended.")
            twin.pop("id", None)
            twin["title"] = twin["title"] + " (extended)"
            out.append(twin)
    out += [record(rng, 10_000 + i) for i in range(len(records) // 20)]
    return out


@pytest.mark.parametrize("seed", range(6))
def test_fast_path_matches_python_path(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    records = [record(rng, i) for i in range(rng.choice([1, 5, 60, 400]))]
    old = write(tmp_path / "old.jsonl", records, bom=seed == 1)
    new = write(tmp_path / "new.jsonl", edited(rng, records), crlf=seed == 2)
    for kwargs in ({}, {"include_meta": True}, {"threshold": 6.0}):
        fast = fast_report(old, new, **kwargs)
        assert fast is not None, "these records are for the fast path"
        assert fast == python_report(old, new, **kwargs)


def test_fast_path_reports_what_changed(tmp_path: Path) -> None:
    old = write(tmp_path / "o.jsonl", [{"id": "2101.00001v1", "title": "A", "abstract": "one two three"}])
    new = write(tmp_path / "n.jsonl", [{"id": "2101.00001v2", "title": "A", "abstract": "one 2 three"}])
    doc = json.loads(fast_report(old, new) or "")
    assert doc["summary"] == {
        "added": 0,
        "changed": 1,
        "duplicates": 0,
        "meta_changed": 1,
        "removed": 0,
        "unchanged": 0,
    }
    (change,) = doc["changed"]
    assert change["fields"]["abstract"]["ops"][1] == ["replace", 4, 7, 4, 5]
    assert change["meta_changed"] == ["version"]


def test_seed_snapshots_as_jsonl(tmp_path: Path) -> None:
    """The real seeds, rewritten as JSON Lines records (title, abstract, id): same report both ways."""
    paths = []
    for seed in (SEED_OLD, SEED_NEW):
        snap = neardup.read_snapshot(seed)
        rows = [{"title": e.title, "abstract": e.abstract, **({"id": e.key} if e.key else {})} for e in snap]
        paths.append(write(tmp_path / f"{seed.stem}.jsonl", rows))
    fast = fast_report(*paths)
    assert fast is not None
    assert fast == python_report(*paths)
    summary = json.loads(fast)["summary"]
    assert (summary["unchanged"], summary["added"], summary["removed"]) == (39, 26, 53)


@pytest.mark.parametrize(
    "old_rows",
    [
        [{"title": "Same", "abstract": "x"}, {"title": "Same", "abstract": "y"}],  # one title, two papers
        [{"id": "2101.00001", "title": "A"}, {"id": "2101.00001", "title": "A again"}],  # one key twice
    ],
)
def test_shared_identities_stay_in_the_core(tmp_path: Path, old_rows: list[dict[str, Any]]) -> None:
    """Several entries sharing a key or title are paired by the engine itself (no step aside)."""
    old = write(tmp_path / "o.jsonl", old_rows)
    new = write(
        tmp_path / "n.jsonl", [{"title": "Same", "abstract": "x"}, {"id": "2101.00001", "title": "A"}]
    )
    fast = fast_report(old, new)
    assert fast is not None and fast == python_report(old, new)
    matched = {(m["old"]["position"], m["new"]["position"]) for m in json.loads(fast)["changed"]}
    matched |= {(m["old_position"], m["new_position"]) for m in json.loads(fast)["unchanged"]}
    assert (0, 0) in matched or (0, 1) in matched


DUMP = {
    "submitter": "A. One",
    "authors": "A. One, B. Two and C. Three",
    "comments": "12 pages",
    "categories": "cs.LG stat.ML",
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "x"},
    ],
    "update_date": "2008-11-13",
    "authors_parsed": [["One", "A.", ""], ["Two", "B.", ""], ["Three", "C.", ""]],
    "score": 1.50,
    "upvotes": " 017 ",
    "organization": {"fullname": "Org", "name": "o"},
}


def test_arxiv_dump_records_stay_in_the_core(tmp_path: Path) -> None:
    """Authors strings, version lists, dates, counts and nested extras are interpreted by the core as the
    Python reader interprets them: the same report."""
    old_rows = [
        {"id": "0704.0001", "title": "Calculation of things", "abstract": "We compute things.", **DUMP},
        {"id": "0704.0002", "title": "Other", "abstract": "x", **DUMP, "authors": ["Ann", {"name": "Bob"}]},
        {"title": "No id", "abstract": "y", **DUMP, "published": "", "date": "Jul 1", "authors_count": 3},
    ]
    new_rows = [
        {**old_rows[0], "abstract": "We compute more things.", "versions": DUMP["versions"][:1]},
        {**old_rows[1], "authors": "Bob; Ann", "upvotes": 4},
        {**old_rows[2], "authors_parsed": [["X", "Y", ""]], "score": 2},
    ]
    old, new = write(tmp_path / "o.jsonl", old_rows), write(tmp_path / "n.jsonl", new_rows)
    for kwargs in ({}, {"include_meta": True}):
        fast = fast_report(old, new, **kwargs)
        assert fast is not None
        assert fast == python_report(old, new, **kwargs)
    doc = json.loads(fast_report(old, new) or "")
    assert doc["changed"][0]["new"]["authors"] == ["A. One", "B. Two", "C. Three"]
    # The version number and the `versions` list it was read from both changed.
    assert doc["changed"][0]["meta_changed"] == ["version", "versions"]


def test_fast_path_steps_aside(tmp_path: Path) -> None:
    """A line Python's json reads differently (NaN) is left to the Python reader."""
    old = tmp_path / "o.jsonl"
    old.write_text('{"title": "A", "abstract": "x", "score": NaN}\n', encoding="utf-8")
    new = write(tmp_path / "n.jsonl", [{"title": "A", "abstract": "x"}])
    assert fast_report(old, new) is None


def write_csv(path: Path, records: list[dict[str, Any]], *, delimiter: str = ",", bom: bool = False) -> Path:
    import csv
    import io

    buf = io.StringIO()
    names = ["id", "Title", "abstract", "venue"]
    w = csv.DictWriter(buf, fieldnames=names, delimiter=delimiter, extrasaction="ignore")
    w.writeheader()
    for r in records:
        w.writerow({"Title": r["title"], "venue": "V, " + r["title"][:3], **r})
        if len(r["title"]) % 7 == 0:
            buf.write("\n")  # a blank line between rows
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


@pytest.mark.parametrize("seed", range(4))
def test_csv_takes_the_core_road_with_the_python_readers_result(tmp_path: Path, seed: int) -> None:
    """The core reads CSV as Python's `csv` module does: same entries, lines and extras, hence the same
    report (abstracts with commas, quotes and newlines; BOM; tabs; blank lines; an extra column)."""
    rng = random.Random(seed)
    records = [record(rng, i) for i in range(rng.choice([3, 60, 300]))]
    for r in records[::5]:
        r["abstract"] = r["abstract"].replace(" ", ', "quoted"\n', 1)
    delimiter = "\t" if seed == 3 else ","
    old = write_csv(tmp_path / "old.csv", records, delimiter=delimiter, bom=seed == 1)
    new = write_csv(tmp_path / "new.csv", edited(rng, records), delimiter=delimiter)
    for kwargs in ({}, {"include_meta": True}):
        fast = fast_report(old, new, **kwargs)
        assert fast is not None, "these rows are for the core reader"
        assert fast == python_report(old, new, **kwargs)
    # A row the core leaves to Python (a quote inside a quoted field's end) still gets Python's error.
    bad = tmp_path / "bad.csv"
    bad.write_text('title,abstract\n"A"x,y\n', encoding="utf-8")
    assert fast_report(old, bad) is None
    assert main(["diff", str(old), str(bad), "--format", "json", "-o", str(tmp_path / "r.json")]) == 2


def test_fast_path_leaves_other_inputs_to_python(tmp_path: Path) -> None:
    good = write(tmp_path / "g.jsonl", [{"title": "A", "abstract": "x"}])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "A"}\n{not json\n', encoding="utf-8")
    text = tmp_path / "t.txt"
    text.write_text("Title\n\nabstract\n", encoding="utf-8")
    for old, new in (
        (good, bad),
        (bad, good),
        (good, tmp_path / "missing.jsonl"),
        (good, tmp_path),
        (good, text),
    ):
        assert fast_report(old, new) is None
    assert fast_diff.diff_report(str(good), "-", threshold=3.0) is None
    assert fast_diff.diff_report(str(good), str(good), threshold=3.0, from_format="csv") is None


def test_cli_json_takes_the_fast_path(tmp_path: Path) -> None:
    rng = random.Random(7)
    records = [record(rng, i) for i in range(200)]
    old = write(tmp_path / "old.jsonl", records)
    new = write(tmp_path / "new.jsonl", edited(rng, records))
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "neardup", "diff", str(old), str(new), "--format", "json", "-o", str(out)],
        capture_output=True,
        env={**os.environ, "RAYON_NUM_THREADS": "2"},
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == b""
    assert out.read_text(encoding="utf-8") == python_report(old, new)
    # Deterministic whatever the thread count.
    proc1 = subprocess.run(
        [sys.executable, "-m", "neardup", "diff", str(old), str(new), "--format", "json"],
        capture_output=True,
        env={**os.environ, "RAYON_NUM_THREADS": "1"},
    )
    assert proc1.stdout.decode("utf-8") == out.read_text(encoding="utf-8")
    assert main(["diff", str(old), str(old), "--format", "json", "-q"]) == 0


def test_scalar_extras_are_spelled_as_python_json(tmp_path: Path) -> None:
    """Every kind of JSON scalar an added entry carries (floats of every magnitude, big integers, escapes)
    comes out of the core exactly as `json.dumps` writes it."""
    rng = random.Random(3)
    floats = [struct.unpack("<d", rng.randbytes(8))[0] for _ in range(400)]
    floats = [x for x in floats if math.isfinite(x)]
    floats += [10.0**e for e in range(-30, 30)] + [1.0 / 3, 2.0**-1074, 1.7976931348623157e308, 5e-324]
    values: list[Any] = [*floats, 2**63 - 1, -(2**63), 0, "\u2028\x7f\ud7ff\u00e9", "\\u0041"]
    new_rows = [{"title": f"T{i}", "abstract": "x", "v": v} for i, v in enumerate(values)]
    old = write(tmp_path / "o.jsonl", [{"title": "Only old", "abstract": "y"}])
    new = write(tmp_path / "n.jsonl", new_rows)
    fast = fast_report(old, new)
    assert fast is not None
    assert fast == python_report(old, new)


def test_large_lists_render_in_pieces_with_the_same_bytes(tmp_path: Path) -> None:
    """Over 512 items a list is rendered in parallel pieces; joined, they are the Python path's bytes."""
    rng = random.Random(99)
    records = [record(rng, i) for i in range(1500)]
    old = write(tmp_path / "old.jsonl", records)
    new = write(tmp_path / "new.jsonl", edited(rng, records))
    assert fast_report(old, new) == python_report(old, new)


def _report(tmp_path: Path) -> tuple[Any, bytes]:
    rng = random.Random(5)
    records = [record(rng, i) for i in range(700)]
    old = write(tmp_path / "old.jsonl", records)
    new = write(tmp_path / "new.jsonl", edited(rng, records))
    result = fast_diff.diff_report(str(old), str(new), threshold=neardup.reconcile.DEFAULT_THRESHOLD)
    assert result is not None
    return result[0], python_report(old, new).encode("utf-8")


def test_report_writes_itself_to_a_descriptor(tmp_path: Path) -> None:
    report_, expected = _report(tmp_path)
    assert len(report_) == len(expected) and bytes(report_) == expected
    out = tmp_path / "out.json"
    with out.open("wb") as fh:
        fh.write(b"head:")  # buffered in Python: the CLI flushes before the core writes
        fh.flush()
        report_.write_to(fh.fileno())
    assert out.read_bytes() == b"head:" + expected


def test_report_write_errors_are_oserrors(tmp_path: Path) -> None:
    report_, _ = _report(tmp_path)
    read_end, write_end = os.pipe()
    os.close(read_end)
    # `neardup.cli.main` (run in-process by other tests) restores SIGPIPE's default action, which would
    # end this process instead of failing the write; Python's own default is to ignore it.
    previous = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        with pytest.raises(BrokenPipeError):
            report_.write_to(write_end)
    finally:
        signal.signal(signal.SIGPIPE, previous)
        os.close(write_end)
    with pytest.raises(OSError):
        report_.write_to(-1)


def test_cli_writes_the_fast_report_to_stdout_and_files(tmp_path: Path) -> None:
    rng = random.Random(8)
    records = [record(rng, i) for i in range(600)]
    old = write(tmp_path / "old.jsonl", records)
    new = write(tmp_path / "new.jsonl", edited(rng, records))
    expected = python_report(old, new).encode("utf-8")
    cmd = [sys.executable, "-m", "neardup", "diff", str(old), str(new), "--format", "json"]
    run = subprocess.run(cmd, capture_output=True, check=False)
    assert (run.returncode, run.stdout, run.stderr) == (1, expected, b"")
    out = tmp_path / "r.json"
    assert subprocess.run([*cmd, "-o", str(out)], check=False).returncode == 1
    assert out.read_bytes() == expected


def test_report_written_while_rendered_has_the_same_bytes(tmp_path: Path) -> None:
    """`write_report` streams the pieces to a descriptor as they are rendered: same bytes, in order, after
    what the descriptor already held; the snapshots' difference comes back with no error."""
    rng = random.Random(12)
    records = [record(rng, i) for i in range(1800)]  # several parallel pieces per list
    old = write(tmp_path / "old.jsonl", records)
    new = write(tmp_path / "new.jsonl", edited(rng, records))
    expected = python_report(old, new).encode("utf-8")
    out = tmp_path / "out.json"
    with out.open("wb") as fh:
        fh.write(b"head:")
        fh.flush()
        made = fast_diff.write_report(
            str(old), str(new), fh.fileno(), threshold=neardup.reconcile.DEFAULT_THRESHOLD
        )
    assert made == (None, True)
    assert out.read_bytes() == b"head:" + expected
    with open(os.devnull, "wb") as devnull:
        assert fast_diff.write_report(str(old), str(old), devnull.fileno(), threshold=3.0) == (None, False)
    # Not for this path: nothing is written.
    csv = tmp_path / "old.csv"
    csv.write_text('title,authors\nA,"X, Y"\n', encoding="utf-8")  # authors: for the Python reader
    with out.open("wb") as fh:
        assert fast_diff.write_report(str(csv), str(new), fh.fileno(), threshold=3.0) is None
    assert out.read_bytes() == b""


def test_streamed_write_errors_come_back_with_the_verdict(tmp_path: Path) -> None:
    rng = random.Random(13)
    records = [record(rng, i) for i in range(700)]
    old = write(tmp_path / "old.jsonl", records)
    new = write(tmp_path / "new.jsonl", edited(rng, records))
    read_only = os.open(old, os.O_RDONLY)
    try:
        made = fast_diff.write_report(str(old), str(new), read_only, threshold=3.0)
    finally:
        os.close(read_only)
    assert made is not None
    error, differ = made
    assert isinstance(error, OSError) and differ is True
    read_end, write_end = os.pipe()
    os.close(read_end)
    previous = signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # see test_report_write_errors_are_oserrors
    try:
        made = fast_diff.write_report(str(old), str(new), write_end, threshold=3.0)
    finally:
        signal.signal(signal.SIGPIPE, previous)
        os.close(write_end)
    assert made is not None and isinstance(made[0], BrokenPipeError) and made[1] is True


def test_cli_fast_report_to_a_file_is_atomic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The core writes into a temporary file beside the target, renamed over it; a failed run leaves the
    old file as it was and no temporary file behind."""
    rng = random.Random(14)
    records = [record(rng, i) for i in range(300)]
    old = write(tmp_path / "old.jsonl", records)
    new = write(tmp_path / "new.jsonl", edited(rng, records))
    out = tmp_path / "r.json"
    out.write_bytes(b"previous")
    assert main(["diff", str(old), str(new), "--format", "json", "-o", str(out)]) == 1
    assert out.read_bytes() == python_report(old, new).encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.jsonl", "old.jsonl", "r.json"]
    out.write_bytes(b"previous")
    assert main(["diff", str(old), str(tmp_path / "missing.jsonl"), "--format", "json", "-o", str(out)]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.jsonl", "old.jsonl", "r.json"]
    assert main(["diff", str(old), str(new), "--format", "json", "-o", str(tmp_path / "no" / "r.json")]) == 2
    assert "cannot write" in capsys.readouterr().err


def _no_python_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the Python reader was used")

    monkeypatch.setattr(neardup.formats, "read_snapshot", refuse)


def _temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("neardup-"))


def test_stdin_and_pipes_take_the_core_road_under_their_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """A read-once input (standard input, a FIFO) is spooled to a temporary file that the core reads, as
    it reads a file: the same report, with the input shown by the name given, and no copy left."""
    rng = random.Random(11)
    records = [record(rng, i) for i in range(300)]
    old = write(tmp_path / "old.jsonl", records)
    new = write(tmp_path / "new.jsonl", edited(rng, records))
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    monkeypatch.setenv("TMPDIR", str(spool_dir))
    monkeypatch.setattr("tempfile.tempdir", None)
    assert main(["diff", str(old), str(new), "--format", "json"]) == 1
    want = json.loads(capsysbinary.readouterr().out)
    _no_python_readers(monkeypatch)

    stdin = type("Stdin", (), {"buffer": open(old, "rb")})()  # noqa: SIM115 - closed below
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["diff", "-", str(new), "--format", "json"]) == 1
    stdin.buffer.close()
    got = json.loads(capsysbinary.readouterr().out)
    assert got["old"]["path"] == "<stdin>"
    got["old"]["path"] = want["old"]["path"]
    assert got == want

    fifo = tmp_path / "new.fifo"
    os.mkfifo(fifo)
    feeder = subprocess.Popen(["sh", "-c", f'cat "{new}" > "{fifo}"'])
    assert main(["diff", str(old), str(fifo), "--format", "json"]) == 1
    assert feeder.wait() == 0
    got = json.loads(capsysbinary.readouterr().out)
    assert got["new"]["path"] == str(fifo)
    got["new"]["path"] = want["new"]["path"]
    assert got == want
    assert _temp_files(spool_dir) == []


def test_a_piped_record_for_the_python_reader_is_read_from_the_spool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """When the core leaves a record to the Python reader, that reader reads the spooled copy, and its
    report and errors still name standard input."""
    new = write(tmp_path / "new.jsonl", [{"title": "A paper", "abstract": "one two four"}])
    piped = b'{"title": "A paper", "abstract": "one two three"}\n{"title": "B", "abstract": "x", "n": NaN}\n'
    monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": io.BytesIO(piped)})())
    assert main(["diff", "-", str(new), "--format", "json"]) == 1
    got = json.loads(capsysbinary.readouterr().out)
    assert got["old"]["path"] == "<stdin>"
    assert (got["summary"]["changed"], got["summary"]["removed"]) == (1, 1)
    bad = b'{"title": "A paper", "abstract": "one"}\n{"title": \n'
    monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": io.BytesIO(bad)})())
    assert main(["diff", "-", str(new)]) == 2
    assert capsysbinary.readouterr().err.decode().startswith("neardup: <stdin>:2: expected a JSON object")
