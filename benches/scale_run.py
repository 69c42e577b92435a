"""The scale run of `neardup dedup`: a generated corpus of N abstract-like documents with planted near
duplicates, written as compressed JSON Lines shards, deduplicated by the command line in a process of its
own, with its wall time, peak resident memory and quality against the planted pairs.

    python benches/scale_run.py --docs 1000000 --dir /tmp/scale/1m          # shards made, run, removed
    python benches/scale_run.py --docs 10000000 --shards 40 --dir /tmp/scale/10m --json out.json
    python benches/scale_run.py --docs 2000 --shards 2 --dir /tmp/s          # CI size (seconds)

The corpus (`corpus.abstracts_shard`, fixed seed, one seed per shard so shards are made in parallel
processes): 80% distinct documents of ~150 Zipfian invented words (~1 KB), 20% copies of a document of
the same shard edited at a rate drawn from `corpus.SCALE_EDIT_RATES` (verbatim copies included). Each
planted pair's exact word-3-gram Jaccard is computed when the shard is made.

The run is ``neardup dedup SHARDS --clusters star --format jsonl -o REPORT`` under ``/usr/bin/time -v``
(its peak resident set size; without it, a poller of ``/proc/PID/status``'s VmHWM). Bytes per document
are ``(peak - fixed) / N``, where ``fixed`` is the peak of the same command on a corpus of 1,000 documents
(the interpreter, the libraries, the reader's buffers); ``--fixed-rss`` gives it instead.

Figures: recall = share of planted pairs with Jaccard ≥ 0.8 whose two documents end in one cluster
(``recall_deduplicated``: of which at least one is dropped); precision = share of dropped documents whose
kept document is of their planted family (all of them), and share of a sample of dropped documents whose
exact Jaccard to their kept document is ≥ 0.8 (texts read back from the shards).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

THRESHOLD = 0.8
SEED = 42


def make_shard(args: tuple[str, int, int, int]) -> tuple[int, int]:
    """Writes shard `k` (documents `first .. first + n`) and its planted pairs; returns (k, bytes of text)."""
    import pyarrow as pa

    import neardup
    from corpus import abstracts_shard

    folder, k, first, n = args
    shard = abstracts_shard(n, first=first, seed=SEED)
    size = 0
    path = Path(folder) / f"part-{k:05d}.jsonl.zst"
    with pa.CompressedOutputStream(str(path) + ".tmp", "zstd") as out:
        block: list[str] = []
        for i, text in enumerate(shard.texts):
            # The generator's words are ASCII letters, commas and full stops: nothing to escape.
            block.append(f'{{"id":"{first + i}","text":"{text}"}}\n')
            if len(block) == 4096:
                data = "".join(block).encode()
                size += len(data)
                out.write(data)
                block.clear()
        data = "".join(block).encode()
        size += len(data)
        out.write(data)
    os.replace(str(path) + ".tmp", path)
    pairs = np.array(shard.planted, dtype=np.int64).reshape(-1, 2)
    jaccard = np.array(
        [
            neardup.shingle_jaccard(shard.texts[a - first], shard.texts[b - first], ngram=3)
            for a, b in shard.planted
        ],
        dtype=np.float32,
    )
    np.savez(Path(folder) / f"part-{k:05d}.truth.npz", pairs=pairs, jaccard=jaccard)
    return k, size


def generate(folder: Path, docs: int, shards: int, jobs: int) -> int:
    """The shards of a corpus of `docs` documents; returns the bytes of JSON Lines text written."""
    folder.mkdir(parents=True, exist_ok=True)
    per = -(-docs // shards)
    work = [(str(folder), k, k * per, min(per, docs - k * per)) for k in range(shards) if k * per < docs]
    with ProcessPoolExecutor(jobs) as pool:
        return sum(size for _, size in pool.map(make_shard, work))


def run_dedup(shards: list[Path], report: Path) -> dict[str, float]:
    """`neardup dedup` on the shards in a process of its own: wall seconds and peak RSS bytes."""
    cmd = [
        sys.executable,
        "-m",
        "neardup",
        "dedup",
        *map(str, shards),
        "--threshold",
        str(THRESHOLD),
        "--clusters",
        "star",
        "--format",
        "jsonl",
        "--no-exit-code",
        "-o",
        str(report),
    ]
    timer = Path("/usr/bin/time")
    start = time.perf_counter()
    if timer.exists():
        done = subprocess.run([str(timer), "-v", *cmd], capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"neardup dedup failed ({done.returncode}): {done.stderr[-2000:]}")
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        peak = int(found.group(1)) * 1024 if found else 0
    else:
        peak, wall = _polled(cmd)
    return {"seconds": wall, "peak_rss": float(peak)}


def _polled(cmd: list[str]) -> tuple[int, float]:
    """Peak RSS (VmHWM) and wall time of `cmd`, polled from /proc."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak = max(peak, int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) * 1024)  # type: ignore[union-attr]
        except (OSError, AttributeError):
            pass
        time.sleep(0.05)
    if proc.returncode != 0:
        raise SystemExit(f"neardup dedup failed ({proc.returncode})")
    return peak, time.perf_counter() - start


def read_report(report: Path, docs: int) -> tuple[np.ndarray, np.ndarray]:
    """Cluster of each document (-1: none) and the document that replaced it (-1: kept)."""
    cluster = np.full(docs, -1, dtype=np.int64)
    replaced = np.full(docs, -1, dtype=np.int64)
    with report.open(encoding="utf-8") as fh:
        for line in fh:
            m = json.loads(line)
            doc = int(m["id"])
            cluster[doc] = m["cluster"]
            if m["replaced_by"] is not None:
                replaced[doc] = int(m["replaced_by"])
    return cluster, replaced


def texts_of(folder: Path, shards: list[Path], wanted: set[int]) -> dict[int, str]:
    """The texts of documents `wanted`, read back from the shards that hold them."""
    import pyarrow as pa

    out: dict[int, str] = {}
    for path in shards:
        with pa.CompressedInputStream(pa.OSFile(str(path)), "zstd") as fh:
            for line in fh.read().splitlines():
                doc = json.loads(line)
                if int(doc["id"]) in wanted:
                    out[int(doc["id"])] = doc["text"]
    return out


def quality(
    folder: Path, shards: list[Path], docs: int, cluster: np.ndarray, replaced: np.ndarray, sample: int
) -> dict[str, float]:
    import neardup

    truth = [np.load(p) for p in sorted(folder.glob("part-*.truth.npz"))]
    pairs = np.concatenate([t["pairs"] for t in truth])
    jac = np.concatenate([t["jaccard"] for t in truth])
    strong = pairs[jac >= THRESHOLD]
    a, b = strong[:, 0], strong[:, 1]
    together = (cluster[a] >= 0) & (cluster[a] == cluster[b])
    deduplicated = (replaced[a] >= 0) | (replaced[b] >= 0)
    family = np.arange(docs, dtype=np.int64)
    family[pairs[:, 1]] = pairs[:, 0]
    dropped = np.flatnonzero(replaced >= 0)
    same_family = family[dropped] == family[replaced[dropped]]
    # Exact Jaccard of a sample of dropped documents to their kept ones, from two shards' texts.
    rng = random.Random(7)
    per = -(-docs // len(shards))
    picked_shards = sorted(rng.sample(range(len(shards)), min(2, len(shards))))
    pool = [int(d) for d in dropped if d // per in picked_shards and replaced[d] // per in picked_shards]
    chosen = rng.sample(pool, min(sample, len(pool)))
    texts = texts_of(
        folder, [shards[k] for k in picked_shards], {*chosen, *(int(replaced[d]) for d in chosen)}
    )
    good = sum(
        1 for d in chosen if neardup.shingle_jaccard(texts[d], texts[int(replaced[d])], ngram=3) >= THRESHOLD
    )
    return {
        "planted_pairs": float(len(pairs)),
        "planted_pairs_j>=0.8": float(len(strong)),
        "recall": float(together.mean()) if len(strong) else 1.0,
        "recall_deduplicated": float(deduplicated.mean()) if len(strong) else 1.0,
        "dropped": float(len(dropped)),
        "precision_planted": float(same_family.mean()) if len(dropped) else 1.0,
        "precision_sample": good / len(chosen) if chosen else 1.0,
        "precision_sample_size": float(len(chosen)),
    }


def fixed_rss(folder: Path) -> float:
    """Peak RSS of the same command on 1,000 documents: what a run costs whatever its size."""
    small = folder / "fixed"
    generate(small, 1000, 1, 1)
    try:
        return run_dedup(sorted(small.glob("*.jsonl.zst")), small / "report.jsonl")["peak_rss"]
    finally:
        shutil.rmtree(small, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--shards", type=int, default=0, help="default: one per 250,000 documents")
    ap.add_argument("--dir", type=Path, required=True, help="where the shards go (removed at the end)")
    ap.add_argument("--jobs", type=int, default=2, help="processes generating shards")
    ap.add_argument("--sample", type=int, default=2000, help="dropped documents checked on exact Jaccard")
    ap.add_argument("--fixed-rss", type=float, default=None, help="bytes; default: measured at 1,000 docs")
    ap.add_argument("--keep-shards", action="store_true", help="leave the shards in --dir")
    ap.add_argument("--reuse", action="store_true", help="use the shards already in --dir")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here too")
    args = ap.parse_args(argv)
    shards_n = args.shards or max(1, -(-args.docs // 250_000))
    folder: Path = args.dir
    figures: dict[str, Any] = {"docs": args.docs, "shards": shards_n}
    try:
        if not args.reuse:
            shutil.rmtree(folder, ignore_errors=True)
            t = time.perf_counter()
            figures["text_bytes"] = generate(folder, args.docs, shards_n, args.jobs)
            figures["generate_seconds"] = time.perf_counter() - t
        shards = sorted(folder.glob("part-*.jsonl.zst"))
        figures["compressed_bytes"] = sum(p.stat().st_size for p in shards)
        fixed = args.fixed_rss if args.fixed_rss is not None else fixed_rss(folder)
        report = folder / "report.jsonl"
        figures.update(run_dedup(shards, report))
        figures["fixed_rss"] = fixed
        figures["bytes_per_doc"] = (figures["peak_rss"] - fixed) / args.docs
        figures["docs_per_second"] = args.docs / figures["seconds"]
        cluster, replaced = read_report(report, args.docs)
        figures.update(quality(folder, shards, args.docs, cluster, replaced, args.sample))
    finally:
        if not args.keep_shards:
            shutil.rmtree(folder, ignore_errors=True)
    return emit(figures, args.json)


def emit(figures: dict[str, Any], path: Path | None) -> int:
    """Prints `figures` as JSON, also writes them to `path` when given; the exit status."""
    text = json.dumps(figures, indent=1)
    print(text)
    if path:
        path.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
