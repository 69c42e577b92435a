"""`neardup diff` on a generated pair of full-size arXiv metadata dumps.

The arXiv metadata dump (Kaggle's ``arxiv-metadata-oai-snapshot.json``) is JSON Lines, one paper a line,
about 2.7M papers and 4.5 GB: ``id``, ``submitter``, ``authors`` (one string), ``title``, ``comments``,
``journal-ref``, ``doi``, ``report-no``, ``categories``, ``license``, ``abstract`` (indented, wrapped
lines), ``versions`` (a list of ``{"version", "created"}``), ``update_date`` and ``authors_parsed`` (a list
of ``[last, first, suffix]``). This script writes two such files with generated text in those shapes (the
new one: 2% of papers removed, 2% added, 5% of abstracts revised, 1% retitled, and a new version entry for
the revised ones), streamed chunk by chunk so the generator itself stays small, then runs
``neardup diff OLD NEW --format json -o OUT`` once and reports its wall time and its peak anonymous memory
(``RssAnon`` sampled from ``/proc``: the memory-mapped input pages are file-backed and not counted).

    python benches/arxiv_dump.py [N] [--dir DIR] [--keep]

N defaults to 2,700,000. The files are written to DIR (default: a temporary directory beside TMPDIR)
and deleted afterwards unless ``--keep``; they are never committed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from corpus import vocabulary

CHUNK = 50_000


def _ids(start: int, n: int) -> list[str]:
    """Plausible arXiv ids: 20,000 papers a month from April 2007 on."""
    out = []
    for i in range(start, start + n):
        month = 3 + i // 20_000
        out.append(f"{7 + month // 12:02d}{1 + month % 12:02d}.{i % 20_000:05d}")
    return out


def _words(rng: np.random.Generator, vocab: np.ndarray, p: np.ndarray, n: int, mean: int) -> list[list[str]]:
    lengths = rng.integers(mean * 3 // 4, mean * 5 // 4, size=n)
    flat = vocab[rng.choice(len(vocab), size=int(lengths.sum()), p=p)].tolist()
    out, start = [], 0
    for length in lengths.tolist():
        out.append(flat[start : start + length])
        start += length
    return out


def _abstract(words: list[str]) -> str:
    """Indented and wrapped every twelve words, as the dump's abstracts are."""
    lines = [" ".join(words[k : k + 12]) for k in range(0, len(words), 12)]
    return "  " + "\n".join(lines).capitalize() + ".\n"


def _record(pid: str, i: int, title: str, abstract: str, versions: int) -> str:
    first = [f"Author{i % 997}", f"Bea{i % 131}", f"Carl{i % 71}"]
    last = [f"Surname{i % 1999}", f"Second{i % 373}", f"Third{i % 89}"]
    names = [f"{f} {s}" for f, s in zip(first, last, strict=True)]
    journal = f"Phys. Rev. D {40 + i % 60}, {1000 + i % 9000} ({1990 + i % 35})"
    record = {
        "id": pid,
        "submitter": names[0],
        "authors": f"{names[0]}, {names[1]} and {names[2]}",
        "title": title,
        "comments": f"{8 + i % 30} pages, {1 + i % 9} figures",
        "journal-ref": journal if i % 3 == 0 else None,
        "doi": f"10.1103/PhysRevD.{40 + i % 60}.{1000 + i % 9000}" if i % 3 == 0 else None,
        "report-no": None,
        "categories": ("hep-ph", "cs.LG stat.ML", "math.AP", "astro-ph.CO quant-ph")[i % 4],
        "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/" if i % 2 else None,
        "abstract": abstract,
        "versions": [
            {"version": f"v{v + 1}", "created": f"Mon, {1 + (i + v) % 28} Apr 2007 19:18:42 GMT"}
            for v in range(versions)
        ],
        "update_date": f"20{8 + i % 16:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "authors_parsed": [[s, f, ""] for f, s in zip(first, last, strict=True)],
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


def write_pair(directory: Path, n: int, seed: int = 2027) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    vocab = np.array(vocabulary(30_000, seed))
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    old_path, new_path = directory / "old.jsonl", directory / "new.jsonl"
    with old_path.open("w", encoding="utf-8") as old, new_path.open("w", encoding="utf-8") as new:
        for start in range(0, n, CHUNK):
            k = min(CHUNK, n - start)
            ids = _ids(start, k)
            titles = [" ".join(w).capitalize() for w in _words(rng, vocab, p, k, 10)]
            abstracts = _words(rng, vocab, p, k, 150)
            fate = rng.random(k)  # < .02 removed, < .07 revised, < .08 retitled
            for j in range(k):
                i = start + j
                text = _abstract(abstracts[j])
                old.write(_record(ids[j], i, titles[j], text, 1))
                if fate[j] < 0.02:
                    continue
                title, versions = titles[j], 1
                if fate[j] < 0.07:
                    words = list(abstracts[j])
                    at = int(rng.integers(5, len(words) - 5))
                    words[at : at + 3] = vocab[rng.integers(0, len(vocab), 4)].tolist()
                    text, versions = _abstract(words), 2
                elif fate[j] < 0.08:
                    title = "Revisited: " + title.lower()
                new.write(_record(ids[j], i, title, text, versions))
        added = n * 2 // 100
        for start in range(0, added, CHUNK):
            k = min(CHUNK, added - start)
            ids = _ids(n + start, k)
            titles = [" ".join(w).capitalize() for w in _words(rng, vocab, p, k, 10)]
            for j, words in enumerate(_words(rng, vocab, p, k, 150)):
                new.write(_record(ids[j], n + start + j, titles[j], _abstract(words), 1))
    return old_path, new_path


def _peak_anon(pid: int, stop: threading.Event, out: list[int]) -> None:
    """Samples the process's anonymous resident memory until `stop`; the largest value in `out[0]`."""
    while not stop.is_set():
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("RssAnon:"):
                        out[0] = max(out[0], int(line.split()[1]) * 1024)
        except OSError:
            return
        stop.wait(0.02)


def run(old: Path, new: Path, out: Path) -> tuple[float, int, int]:
    """Wall seconds, peak anonymous bytes and exit code of one ``neardup diff --format json``."""
    cmd = [sys.executable, "-m", "neardup", "diff", str(old), str(new), "--format", "json", "-o", str(out)]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_peak_anon, args=(child.pid, stop, peak))
    sampler.start()
    code = child.wait()
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    return elapsed, peak[0], code


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=2_700_000)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="neardup-arxiv-dump-"))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        old, new = directory / "old.jsonl", directory / "new.jsonl"
        if not (args.keep and old.exists() and new.exists()):
            start = time.perf_counter()
            old, new = write_pair(directory, args.n)
            print(f"generated in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        size = old.stat().st_size
        elapsed, peak, code = run(old, new, directory / "report.json")
        if code not in (0, 1):
            raise SystemExit(f"neardup diff failed with exit {code}")
        summary = json.loads((directory / "report.json").read_bytes())["summary"]
        print(
            f"{args.n:,} records a side ({size / 1e9:.2f} GB old file): {elapsed:.1f} s, peak anonymous "
            f"memory {peak / 1e6:.0f} MB ({peak / args.n:.0f} bytes a record); {json.dumps(summary)}"
        )
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
