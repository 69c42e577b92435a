"""Hostile data through every command (issue 21): generated inputs only, each run as a user would run it
(``python -m neardup`` in a subprocess). Whatever the input, a command either succeeds or ends with exit 2
and one neutralised line on stderr: never a traceback, a panic, a silent success on bad data, raw control
characters on the terminal, non-strict JSON, or time and memory that grow faster than the input.

Faults of the machine (full disks, memory limits, signals, changing files) are in `test_faults.py`.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import neardup
from conftest import one_line, run, write_jsonl
from test_library_sigbus import TRUNCATE_ONCE_MAPPED

# ---- helpers -------------------------------------------------------------------------------------------


def one_line_failure(r: subprocess.CompletedProcess[bytes], *needles: str) -> str:
    """Exit 2 and exactly one stderr line, no traceback or panic, mentioning every needle."""
    assert r.returncode == 2, (r.returncode, r.stderr)
    return one_line(r.stderr, *needles)


# Control characters a terminal acts on: C0 (but \n and \t), DEL, C1, and the bidi overrides/isolates.
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
EVIL = "A \x1b]0;PWNED\x07 B \x1b[2J C \x9b31m D \u202eEVIL\u202c E \x07"


def strict_loads(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


# ---- 2. word diffs stay linear in time and memory --------------------------------------------------------

_DIFF_PROBE = textwrap.dedent(
    """
    import json, random, resource, sys, time
    import neardup
    n, kind = int(sys.argv[1]), sys.argv[2]
    if kind == "disjoint":
        a = " ".join(f"a{i}" for i in range(n)); b = " ".join(f"b{i}" for i in range(n))
    else:  # one vocabulary, two shuffles: every word common, no long common run
        r = random.Random(n); v = [f"w{i}" for i in range(n)]
        a = " ".join(r.sample(v, n)); b = " ".join(r.sample(v, n))
    t = time.perf_counter()
    d = neardup.diff(a, b, cleanup="none")
    took = time.perf_counter() - t
    print(json.dumps({"t": took, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "distance": d.distance, "changed": d.changed}))
    """
)


def _diff_probe(n: int, kind: str, limit_bytes: int) -> dict[str, Any]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    r = subprocess.run(
        [sys.executable, "-c", _DIFF_PROBE, str(n), kind],
        capture_output=True,
        timeout=120,
        check=False,
        preexec_fn=limit,
    )
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    result: dict[str, Any] = json.loads(r.stdout)
    return result


@pytest.mark.parametrize("kind", ["disjoint", "shuffled"])
def test_long_word_diffs_stay_within_memory_and_time(kind: str) -> None:
    """150,000 words each side used to need 4.9 GB (a mask row per distinct word, each as long as the
    text) and abort; now under a 1.5 GB address-space limit, in seconds, growing near-linearly."""
    small = _diff_probe(75_000, kind, 1_500 << 20)
    large = _diff_probe(150_000, kind, 1_500 << 20)
    assert large["t"] < 20, large
    if kind == "disjoint":
        assert large["distance"] == 300_000 and large["changed"]
    else:
        assert 0 < large["distance"] <= 300_000
    # Doubling the input: memory at most about doubles (RSS includes the interpreter's fixed part).
    assert large["rss"] <= 2.2 * small["rss"], (small, large)


def test_coarse_script_still_rebuilds_both_texts() -> None:
    """Past the exact budget the script may be coarser, but it covers both texts exactly."""
    import random

    r = random.Random(7)
    vocab = [f"w{i}" for i in range(60_000)]
    a = " ".join(r.sample(vocab, 60_000))
    b = " ".join(r.sample(vocab, 60_000))
    d = neardup.diff(a, b, cleanup="none")
    assert d.changed and d.distance > 0
    old = "".join(a[i1:i2] for _, i1, i2, _, _ in d.ops)
    new = "".join(b[j1:j2] for _, _, _, j1, j2 in d.ops)
    assert old == a and new == b
    for tag, i1, i2, j1, j2 in d.ops:
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]


# ---- 10. strict JSON out -----------------------------------------------------------------------------


@pytest.fixture
def infinite_pair(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "old.jsonl"
    new = tmp_path / "new.jsonl"
    old.write_text('{"id": "x1", "title": "T", "abstract": "a b c", "score": 1e999}\n', encoding="utf-8")
    new.write_text(
        '{"id": "x1", "title": "T", "abstract": "a b d", "score": -1e999}\n'
        '{"id": "x2", "title": "U", "abstract": "e f", "score": 1e999}\n',
        encoding="utf-8",
    )
    return old, new


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("python_road", [False, True])
def test_reports_are_strict_json(infinite_pair: tuple[Path, Path], fmt: str, python_road: bool) -> None:
    old, new = infinite_pair
    # Standard input takes the Python road; files, the core's.
    if python_road:
        r = run("diff", "-", new, "--format", fmt, stdin=old.read_bytes())
    else:
        r = run("diff", old, new, "--format", fmt)
    assert r.returncode == 1, r.stderr.decode()
    text = r.stdout.decode("utf-8")
    docs = [strict_loads(line) for line in text.splitlines()] if fmt == "jsonl" else [strict_loads(text)]
    assert docs
    assert "Infinity" in text  # the value is kept, spelled as a string
    assert "Infinity," not in text.replace('"Infinity",', "")


def test_catalog_show_json_is_strict(tmp_path: Path, infinite_pair: tuple[Path, Path]) -> None:
    old, _ = infinite_pair
    db = tmp_path / "c.db"
    assert run("catalog", "add", db, old).returncode == 0
    r = run("catalog", "show", db, "1", "--format", "json")
    assert r.returncode == 0, r.stderr.decode()
    strict_loads(r.stdout.decode())
    r = run("catalog", "add", db, infinite_pair[1], "--format", "json")
    assert r.returncode == 0, r.stderr.decode()
    strict_loads(r.stdout.decode())


# ---- 11. terminal escapes ----------------------------------------------------------------------------


@pytest.fixture
def evil_pair(tmp_path: Path) -> tuple[Path, Path]:
    old = write_jsonl(
        tmp_path / "old.jsonl",
        [
            {"id": "k1", "title": f"Kept {EVIL}", "abstract": f"one two {EVIL} three"},
            {"id": "k2", "title": f"Gone {EVIL}", "abstract": "removed words here"},
        ],
    )
    new = write_jsonl(
        tmp_path / "new.jsonl",
        [
            {"id": "k1", "title": f"Kept {EVIL}", "abstract": f"one four {EVIL} three \x1b[31m"},
            {"id": "k3", "title": f"New {EVIL}", "abstract": "added words here"},
        ],
    )
    return old, new


@pytest.mark.parametrize("word_diff", ["plain", "porcelain", "color"])
def test_text_report_neutralises_controls(evil_pair: tuple[Path, Path], word_diff: str) -> None:
    r = run("diff", *evil_pair, "--word-diff", word_diff, "--color", "never")
    assert r.returncode == 1, r.stderr.decode()
    out = r.stdout.decode("utf-8")
    assert not RAW_CONTROLS.search(out), repr(out)
    assert "\\x1b]0;PWNED\\x07" in out  # shown, not hidden


def test_coloured_report_has_only_its_own_escapes(evil_pair: tuple[Path, Path]) -> None:
    r = run("diff", *evil_pair, "--color", "always")
    out = r.stdout.decode("utf-8")
    # Only SGR sequences of the report itself: ESC [ digits m.
    leftover = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert not RAW_CONTROLS.search(leftover), repr(leftover)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_markup_reports_drop_c1_and_bidi(evil_pair: tuple[Path, Path], fmt: str) -> None:
    r = run("diff", *evil_pair, "--format", fmt)
    out = r.stdout.decode("utf-8")
    assert not RAW_CONTROLS.search(out.replace("\n", "")), repr(out)


def test_catalog_listings_neutralise_controls(tmp_path: Path, evil_pair: tuple[Path, Path]) -> None:
    db = tmp_path / "c.db"
    for snap in evil_pair:
        r = run("catalog", "add", db, snap)
        assert r.returncode == 0, r.stderr.decode()
    for args in (
        ["papers"],
        ["snapshots"],
        ["show", "1", "--color", "never"],
        ["show", "1", "--word-diff", "plain"],
    ):
        r = run("catalog", args[0], db, *args[1:])
        assert r.returncode == 0, (args, r.stderr.decode())
        assert not RAW_CONTROLS.search(r.stdout.decode("utf-8")), (args, r.stdout)


def test_dedup_ids_and_paths_are_neutralised(tmp_path: Path) -> None:
    evil_dir = tmp_path / "in\x1b[2J\u202e"
    evil_dir.mkdir()
    corpus = write_jsonl(
        evil_dir / "c.jsonl",
        [{"id": f"id{EVIL}{i}", "title": "same title", "abstract": "same words " * 20} for i in range(3)],
    )
    r = run("dedup", corpus)
    assert r.returncode == 1, r.stderr.decode()
    assert not RAW_CONTROLS.search(r.stdout.decode("utf-8")), r.stdout
    bad = evil_dir / "bad.jsonl"
    bad.write_text('{"title": "x"\n', encoding="utf-8")
    err = one_line_failure(run("dedup", bad))
    assert not RAW_CONTROLS.search(err.rstrip("\n")), repr(err)
    err = one_line_failure(run("diff", bad, bad))
    assert not RAW_CONTROLS.search(err.rstrip("\n")), repr(err)


# ---- 12. detection -----------------------------------------------------------------------------------


@pytest.mark.parametrize("separator", ["\u2028", "\u0085", "\u2029", "\x1c"])
def test_jsonl_with_unicode_line_separators_is_jsonl(tmp_path: Path, separator: str) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(
        json.dumps({"title": f"A{separator}B", "abstract": "x y"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"title": "C", "abstract": "z"})
        + "\n",
        encoding="utf-8",
    )
    snap = neardup.read_snapshot(str(path))
    assert snap.format == "jsonl" and len(snap) == 2


# ---- 13. one line, always ----------------------------------------------------------------------------


def test_path_with_a_newline_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "two\nlines.jsonl"
    one_line_failure(run("diff", missing, missing))
    one_line_failure(run("dedup", missing))
    bad = tmp_path / "bad\nname.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    one_line_failure(run("diff", bad, bad, "--format", "json"))
    one_line_failure(run("catalog", "add", tmp_path / "c.db", bad))


def test_malformed_catalog_schema_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    snap = write_jsonl(tmp_path / "s.jsonl", [{"title": "T", "abstract": "a"}])
    assert run("catalog", "add", db, snap).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE paper(\n\nbroken' WHERE name = 'paper'")
    conn.commit()
    conn.close()
    for args in (["papers", db], ["add", db, snap], ["show", db, "1"]):
        one_line_failure(run("catalog", *args))


def test_dedup_id_with_a_lone_surrogate_names_file_and_line(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        '{"id": "ok", "title": "t", "abstract": "a b c"}\n'
        '{"id": "bad \\udc80", "title": "t", "abstract": "a b c"}\n',
        encoding="utf-8",
    )
    for fmt in ("text", "json", "jsonl"):
        one_line_failure(run("dedup", corpus, "--format", fmt), f"{corpus}:2", "lone surrogate")


# ---- 8 and 14. values the catalog cannot hold ---------------------------------------------------------


def test_integer_beyond_64_bits_is_refused_with_its_line(tmp_path: Path) -> None:
    snap = tmp_path / "s.jsonl"
    snap.write_text(
        '{"title": "A", "abstract": "a"}\n{"title": "B", "abstract": "b", "upvotes": 9223372036854775808}\n',
        encoding="utf-8",
    )
    db = tmp_path / "c.db"
    one_line_failure(run("catalog", "add", db, snap), f"{snap}:2", "upvotes")
    # Nothing half-added: the catalog holds no snapshot.
    r = run("catalog", "snapshots", db, "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_huge_paper_number_is_no_such_paper(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert (
        run(
            "catalog", "add", db, write_jsonl(tmp_path / "s.jsonl", [{"title": "T", "abstract": "a"}])
        ).returncode
        == 0
    )
    for ref in ("99999999999999999999999", "9223372036854775808", "²"):
        one_line_failure(run("catalog", "show", db, ref), "no paper")


@pytest.mark.parametrize("date", ["2024-02-30", "2023-02-29", "2024-13-01", "yesterday"])
def test_impossible_date_is_refused(tmp_path: Path, date: str) -> None:
    db = tmp_path / "c.db"
    snap = write_jsonl(tmp_path / "s.jsonl", [{"title": "T", "abstract": "a"}])
    one_line_failure(run("catalog", "add", db, snap, "--date", date), "date")
    assert run("catalog", "add", db, snap, "--date", "2024-02-29").returncode == 0


def test_corrupted_catalog_is_refused_by_add(tmp_path: Path) -> None:
    """A catalog whose pages no longer add up (here: an index whose pages nothing points to any more)
    still opens and answers queries; `catalog add` must refuse to write to it all the same."""
    db = tmp_path / "c.db"
    records = [{"id": f"p{i}", "title": f"Paper number {i}", "abstract": f"words {i}"} for i in range(300)]
    assert run("catalog", "add", db, write_jsonl(tmp_path / "s.jsonl", records)).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("DELETE FROM sqlite_master WHERE type = 'index' AND name = 'sighting_paper'")
    conn.commit()
    conn.close()
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchall() != [("ok",)]
    assert run("catalog", "papers", db).returncode == 0  # reading still works
    more = write_jsonl(tmp_path / "t.jsonl", [{"title": "Another", "abstract": "text"}])
    one_line_failure(run("catalog", "add", db, more), "damaged")


# ---- 14. duplicate keys ------------------------------------------------------------------------------


def test_duplicate_json_keys_are_refused_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"title": "A", "abstract": "a"}\n{"title": "B", "abstract": "b", "title": "C"}\n', encoding="utf-8"
    )
    one_line_failure(run("dedup", path), f"{path}:2", "'title' twice")
    # The Python reader of snapshots (a dotted field takes it) refuses too.
    one_line_failure(run("catalog", "add", tmp_path / "c.db", path, "--title-field", "title"), f"{path}:2")


# ---- 9. inputs that can be read once -------------------------------------------------------------------


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "c.jsonl",
        [{"id": f"d{i}", "title": "same", "abstract": "identical words " * 10} for i in range(2)]
        + [{"id": "u", "title": "other", "abstract": "unrelated text entirely"}],
    )


def _dedup_via(shell_input: str, small_corpus: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    script = f'"{sys.executable}" -m neardup dedup {shell_input} --format json {" ".join(extra)}'
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, timeout=60, check=False, cwd=small_corpus.parent
    )


@pytest.mark.parametrize(
    "shell_input",
    ["<(cat c.jsonl)", "/dev/stdin < c.jsonl", "- < c.jsonl"],
    ids=["process-substitution", "dev-stdin", "dash"],
)
@pytest.mark.parametrize("keep_first", [False, True])
def test_read_once_inputs_are_read_once(small_corpus: Path, shell_input: str, keep_first: bool) -> None:
    r = _dedup_via(shell_input, small_corpus, "--keep-first" if keep_first else "")
    # A report of groups exits 1 when there are duplicates; a written copy exits 0 (`--exit-code`).
    assert r.returncode == (0 if keep_first else 1), r.stderr.decode()
    if keep_first:
        assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ["d0", "u"]
    else:
        assert json.loads(r.stdout)["documents"] == 3


def test_fifo_does_not_hang(small_corpus: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "f.jsonl"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["bash", "-c", f"cat '{small_corpus}' > '{fifo}'"])
    try:
        r = run("dedup", fifo, "--keep-first", timeout=60)
    finally:
        writer.wait(timeout=10)
    assert r.returncode == 0, r.stderr.decode()  # the copy is written: exit 0
    assert len(r.stdout.splitlines()) == 2


def test_spool_is_bounded(small_corpus: Path) -> None:
    r = run("dedup", "-", stdin=small_corpus.read_bytes(), env={"NEARDUP_SPOOL_LIMIT": "100"})
    one_line_failure(r, "<stdin>", "NEARDUP_SPOOL_LIMIT")


# ---- 14. -o on a self-looping symlink -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["diff", "dedup"])
def test_output_on_a_looping_symlink_is_refused(tmp_path: Path, small_corpus: Path, command: str) -> None:
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop.name)
    args = [small_corpus, small_corpus] if command == "diff" else [small_corpus]
    one_line_failure(run(command, *args, "-o", loop))
    assert loop.is_symlink() and os.readlink(loop) == loop.name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "loop.txt"]


# ---- 1. a mapped input that shrinks is its own call's error, not a concurrent call's -------------------

_CONCURRENT_SHRINK = TRUNCATE_ONCE_MAPPED + textwrap.dedent(
    """
    import os, sys, threading, time
    from neardup import fast_diff
    from neardup.formats.source import InputChangedError

    big, big_new, small, small_new = sys.argv[1:5]
    done = threading.Event()
    outcome = {}

    def shrinking():
        try:
            fast_diff.diff_report(big, big_new, fmt="json")
            outcome["big"] = "no error"
        except InputChangedError as e:
            outcome["big"] = f"raised: {e}"
        finally:
            done.set()

    def healthy():
        # Diffs of two intact files, one after another for as long as the other call runs: each is
        # guarded at the same time as the call whose input shrinks.
        calls = 0
        try:
            while not done.is_set() or calls == 0:
                report, _ = fast_diff.diff_report(small, small_new, fmt="json")
                assert len(report) > 0
                calls += 1
            outcome["small"] = "ok"
        except Exception as e:
            outcome["small"] = f"{type(e).__name__}: {e}"

    threads = [threading.Thread(target=truncate_once_mapped, args=(big,))]
    threads += [threading.Thread(target=f) for f in (shrinking, healthy)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(outcome["big"])
    print(outcome["small"])
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_a_shrinking_input_fails_its_own_call_only(tmp_path: Path) -> None:
    """Two library calls on two threads: the one whose input is truncated under it raises
    `InputChangedError` naming that file; the other, reading intact files all the while, succeeds (it
    used to be charged with the other call's faults, which were counted for the whole process)."""

    def lines(n: int, salt: str) -> str:
        return "".join(
            json.dumps({"id": f"p{i}", "title": f"Paper {i} {salt}", "abstract": f"words {i} of an abstract"})
            + "\n"
            for i in range(n)
        )

    big, big_new = tmp_path / "big.jsonl", tmp_path / "big_new.jsonl"
    small, small_new = tmp_path / "small.jsonl", tmp_path / "small_new.jsonl"
    big.write_text(lines(400_000, "on a topic"))
    big_new.write_text(lines(2_000, "on a topic"))
    small.write_text(lines(3_000, "intact"))
    small_new.write_text(lines(3_000, "intact") + lines(10, "added"))
    paths = [str(p) for p in (big, big_new, small, small_new)]
    r = subprocess.run(
        [sys.executable, "-c", _CONCURRENT_SHRINK, *paths], capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert r.stdout.splitlines() == [f"raised: {big} changed while being read", "ok"], r.stdout
