"""Extra resident memory of an LSH index (threshold 0.5, 128 values) over n signatures: neardup's LSHIndex,
rensa's RMinHashLSH, datasketch's MinHashLSH.

tracemalloc cannot see Rust allocations, so each measurement runs in a fresh interpreter: it builds the
library's own signature objects, collects garbage and hands freed heap back to the system (malloc_trim), reads
its resident set size, builds the index, and reads it again. The difference is the index (bucket tables,
keys, stored band hashes), not the signatures it was built from. datasketch's MinHash objects are made from
neardup's signature values (its buckets only depend on the values' equalities, and its own hashing of 20k
texts takes a minute).

    python benches/lsh_memory.py 20000          # median extra MiB per library, 3 runs each
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NUM_PERM = 128
THRESHOLD = 0.5
LIBRARIES = ("neardup", "rensa", "datasketch")


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _settle() -> None:
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _child(lib: str, texts_path: str) -> int:
    """Bytes of resident memory the index adds, measured in this (fresh) process."""
    import numpy as np

    import neardup

    texts: list[str] = json.loads(Path(texts_path).read_text())
    sigs = neardup.MinHasher(NUM_PERM).signatures(texts)
    build: Any
    if lib == "neardup":

        def build() -> Any:
            index = neardup.LSHIndex(THRESHOLD, NUM_PERM)
            index.insert_many(range(len(sigs)), sigs)
            return index

    elif lib == "rensa":
        import rensa

        from bench_minhash import python_shingles

        hashes = []
        for t in texts:
            m = rensa.RMinHash(NUM_PERM, 42)
            m.update(python_shingles(t))
            hashes.append(m)

        def build() -> Any:
            lsh = rensa.RMinHashLSH(THRESHOLD, NUM_PERM, 16)
            for i, m in enumerate(hashes):
                lsh.insert(i, m)
            return lsh

    elif lib == "datasketch":
        import datasketch

        values = sigs.astype(np.uint64)
        mhs = [datasketch.LeanMinHash(seed=1, hashvalues=row, scheme="legacy") for row in values]

        def build() -> Any:
            lsh = datasketch.MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
            for i, m in enumerate(mhs):
                lsh.insert(i, m)
            return lsh

    else:
        raise SystemExit(f"unknown library {lib!r}")
    _settle()
    before = _rss()
    index = build()
    gc.collect()
    after = _rss()
    del index
    return after - before


def measure(texts: list[str], libraries: tuple[str, ...] = LIBRARIES, runs: int = 3) -> dict[str, float]:
    """Median extra resident bytes per library (libraries that fail to import are left out)."""
    samples: dict[str, list[int]] = {lib: [] for lib in libraries}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "texts.json"
        path.write_text(json.dumps(texts))
        env = {**os.environ, "RAYON_NUM_THREADS": "1"}
        for _ in range(runs):
            for lib in libraries:
                out = subprocess.run(
                    [sys.executable, str(Path(__file__)), "--child", lib, str(path)],
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=HERE,
                )
                if out.returncode == 0:
                    samples[lib].append(int(out.stdout.split()[-1]))
    return {lib: float(statistics.median(v)) for lib, v in samples.items() if v}


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        print(_child(sys.argv[2], sys.argv[3]))
        return
    from corpus import abstracts

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    result = measure(abstracts(n, seed=7).texts)
    for lib, b in result.items():
        print(f"{lib:>10}: {b / 2**20:7.2f} MiB extra for {n} signatures ({b / n:.0f} B each)")


if __name__ == "__main__":
    main()
