"""`neardup diff` on every input shape and report format against csv-diff on the same records.

The records of `snapshots.make_pair` (5% abstracts revised, 1% retitled, 2% removed, 2% added) written in
four shapes: flat JSON Lines, CSV (csv-diff's own format, which it diffs with ``--key id``), the arXiv
metadata dump's shape (authors string, ``versions`` list, ``authors_parsed``, categories, dates) and the
Hugging Face Daily Papers API JSON. Each command runs as a whole process on both cores (what a user
runs) and with ``RAYON_NUM_THREADS=1``, in alternating rounds with csv-diff; medians and ratios are
printed as a Markdown table. ``python benches/shapes.py N`` runs it alone (``--scaling``: the time at N
and 2N records of each shape); `report.py` adds both to the report at full scale.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from snapshots import make_pair

FORMATS = ("json", "text", "jsonl", "md", "html")


def _dump_record(r: dict[str, str], i: int, revised: bool) -> dict[str, object]:
    """The dump's record of paper number `i` (its metadata is the paper's, the same in both snapshots, as
    in the real dump); a `revised` paper has a second version and a later update date."""
    names = [f"Author{i % 97} Surname{i % 89}", f"B. Second{i % 13}", f"C. Third{i % 7}"]
    versions = [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]
    if revised:
        versions.append({"version": "v2", "created": "Tue, 3 Jun 2008 10:01:12 GMT"})
    out: dict[str, object] = {
        "id": r.get("id", f"x{i}"),
        "submitter": names[0],
        "authors": ", ".join(names[:2]) + " and " + names[2],
        "title": r["title"],
        "comments": f"{10 + i % 20} pages",
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": "cs.LG stat.ML",
        "license": None,
        "abstract": r["abstract"],
        "versions": versions,
        "update_date": "2008-11-13" if not revised else "2009-01-20",
        "authors_parsed": [n.split(" ")[::-1] + [""] for n in names],
    }
    if "id" not in r:
        del out["id"]
    return out


def _hf_item(r: dict[str, str], i: int, at: int) -> dict[str, object]:
    """The Daily Papers item of paper number `i` listed at position `at`: its authors are the paper's;
    its votes and comments change between snapshots, as the page's do (here with the position)."""
    paper: dict[str, object] = {
        "title": r["title"],
        "summary": r["abstract"],
        "authors": [{"name": f"Author{i % 97}"}, {"name": f"B. Second{i % 13}"}],
        "publishedAt": "2025-06-13T00:00:00.000Z",
        "upvotes": at % 50,
    }
    if "id" in r:
        paper["id"] = r["id"]
    return {"paper": paper, "numComments": at % 5}


def _paper_ids(csv_path: Path) -> list[str]:
    """The id of every record, in file order: the CSV form keeps the ids the JSON Lines form drops on
    half of the records."""
    with csv_path.open(encoding="utf-8", newline="") as fh:
        return [row["id"] for row in csv.DictReader(fh)]


def write_shapes(directory: Path, n: int) -> dict[str, tuple[Path, Path]]:
    pair = make_pair(directory, n)
    shapes = {"jsonl": (pair.old_jsonl, pair.new_jsonl), "csv": (pair.old_csv, pair.new_csv)}
    dump, hf = [], []
    # Each paper's metadata derives from its id (a number), never from its position in the file: a paper
    # keeps its authors in the next snapshot, even when papers before it were added or removed.
    abstracts: dict[str, str] = {}
    for src, ids in ((pair.old_jsonl, _paper_ids(pair.old_csv)), (pair.new_jsonl, _paper_ids(pair.new_csv))):
        records = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
        numbers = [zlib.crc32(pid.encode()) for pid in ids]
        revised = [
            pid in abstracts and abstracts[pid] != r["abstract"] for pid, r in zip(ids, records, strict=True)
        ]
        abstracts = {pid: r["abstract"] for pid, r in zip(ids, records, strict=True)}
        d, h = directory / f"{src.stem}.dump.jsonl", directory / f"{src.stem}.hf.json"
        with d.open("w", encoding="utf-8") as fh:
            for r, i, rev in zip(records, numbers, revised, strict=True):
                fh.write(json.dumps(_dump_record(r, i, rev)) + "\n")
        items = [_hf_item(r, i, at) for at, (r, i) in enumerate(zip(records, numbers, strict=True))]
        h.write_text(json.dumps(items), encoding="utf-8")
        dump.append(d)
        hf.append(h)
    shapes["arxiv-dump"] = (dump[0], dump[1])
    shapes["hf-json"] = (hf[0], hf[1])
    return shapes


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    code = subprocess.call(cmd, stdout=subprocess.DEVNULL, env=env)
    elapsed = time.perf_counter() - start
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed with exit {code}")
    return elapsed


def measure(n: int, rounds: int = 3, formats: tuple[str, ...] = FORMATS) -> list[str]:
    """Markdown table lines: median seconds of each shape × format (2 threads, 1 thread) and the ratio
    csv-diff / neardup."""
    directory = Path(tempfile.mkdtemp(prefix="neardup-shapes-"))
    try:
        shapes = write_shapes(directory, n)
        runs: dict[tuple[str, str, int], list[float]] = {}
        one = {**os.environ, "RAYON_NUM_THREADS": "1"}
        two = {**os.environ, "RAYON_NUM_THREADS": "2"}
        csv_diff = shutil.which("csv-diff")
        peer: list[float] = []
        old_csv, new_csv = shapes["csv"]
        for _ in range(rounds):
            for shape, (old, new) in shapes.items():
                for fmt in formats:
                    cmd = [sys.executable, "-m", "neardup", "diff", str(old), str(new), "--format", fmt]
                    for threads, env in ((2, two), (1, one)):
                        runs.setdefault((shape, fmt, threads), []).append(_time(cmd, env))
            if csv_diff:
                cmd = [csv_diff, str(old_csv), str(new_csv), "--json", "--key", "id"]
                peer.append(_time(cmd, dict(os.environ)))
        base = statistics.median(peer) if peer else float("nan")
        lines = [
            f"`neardup diff` by input shape and report format, {n:,} records a side, medians of {rounds} "
            f"alternating rounds; csv-diff (CSV, `--json --key id`): {base:.2f} s",
            "",
            "| shape | format | 2 threads | 1 thread | csv-diff / neardup (2 threads) | (1 thread) |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for (shape, fmt, threads), times in sorted(runs.items()):
            if threads != 2:
                continue
            t2, t1 = statistics.median(times), statistics.median(runs[(shape, fmt, 1)])
            ratios = f"{base / t2:.1f}x | {base / t1:.1f}x"
            lines.append(f"| {shape} | {fmt} | {t2:.2f} s | {t1:.2f} s | {ratios} |")
        return lines
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def scaling(n: int, rounds: int = 3) -> list[str]:
    """Markdown table lines: for each input shape, the median time of ``neardup diff --format json`` at
    `n` and `2n` records a side (both cores, alternating rounds) and their ratio (linear: 2.0; the
    target is at most 2.1)."""
    directory = Path(tempfile.mkdtemp(prefix="neardup-scaling-"))
    try:
        sizes = {}
        for size in (n, 2 * n):
            (directory / str(size)).mkdir()
            sizes[size] = write_shapes(directory / str(size), size)
        runs: dict[tuple[str, int], list[float]] = {}
        env = {**os.environ, "RAYON_NUM_THREADS": "2"}
        for _ in range(rounds):
            for size, shapes in sizes.items():
                for shape, (old, new) in shapes.items():
                    cmd = [sys.executable, "-m", "neardup", "diff", str(old), str(new), "--format", "json"]
                    runs.setdefault((shape, size), []).append(_time(cmd, env))
        lines = [
            f"`neardup diff --format json` at {n:,} and {2 * n:,} records a side "
            f"(medians of {rounds} rounds)",
            "",
            f"| shape | {n:,} | {2 * n:,} | time({2 * n:,}) / time({n:,}) |",
            "|---|---:|---:|---:|",
        ]
        for shape in sizes[n]:
            one, two = statistics.median(runs[(shape, n)]), statistics.median(runs[(shape, 2 * n)])
            lines.append(f"| {shape} | {one:.2f} s | {two:.2f} s | {two / one:.2f} |")
        return lines
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if "--scaling" in sys.argv:
        print("\n".join(scaling(n)))
    else:
        print("\n".join(measure(n)))
