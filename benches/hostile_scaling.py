"""Growth of time and memory when a hostile input doubles (issue 21): the target is at most 2.2x a doubling.

Each case runs in a fresh interpreter (so that its peak resident set is its own), three times; the median
time and peak RSS are printed with the factor from the size before. Shapes:

* `title`: k entries sharing one (non-generic) title, distinct abstracts, through `neardup diff` on JSONL
  files (OLD and the same entries reversed as NEW).
* `abstract`: k entries with one long abstract and distinct titles (near-identical texts: one duplicate
  group of k on each side).
* `identical`: k entries equal in title and abstract (one duplicate group of k on each side).
* `related`: k entries with distinct titles whose abstracts share 12 words, the rest their own (texts that
  fill a shared LSH bucket without being duplicates).
* `diff-disjoint`, `diff-shuffled`, `diff-scattered`: `neardup.diff(a, b)` on texts of n words each: no
  word in common; the same words in another order; one word in fifty replaced.

    python benches/hostile_scaling.py                 # every shape at its default sizes
    python benches/hostile_scaling.py abstract 8000 16000 32000
    python benches/hostile_scaling.py --check diff-shuffled   # exit 1 past DIFF_CEILING

The diff shapes' growth is that of CPU time (one pair runs on the calling thread), robust to a busy
machine, the fastest of fifteen calls in each child; wall time is printed beside it.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = {
    "title": [500, 1000, 2000, 4000],
    "abstract": [4000, 8000, 16000, 32000],
    "identical": [4000, 8000, 16000, 32000],
    "related": [4000, 8000, 16000, 32000],
    "diff-disjoint": [25_000, 50_000, 100_000, 200_000],
    "diff-shuffled": [25_000, 50_000, 100_000, 200_000],
    "diff-scattered": [25_000, 50_000, 100_000, 200_000],
}
ROUNDS = 3
# Calls of `neardup.diff` in each child, the fastest kept.
DIFF_CALLS = 15
# `--check`: the largest growth a doubling allowed for the word-diff shapes (CPU time and peak RSS). Linear
# work measures 2.0-2.1x on a quiet machine (the working set leaving the caches adds a little at the
# smaller sizes); the quadratic regressions this guards against give 3-4x.
DIFF_CEILING = 2.4


def _words(r: random.Random, n: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{r.randrange(1_000_000)}" for _ in range(n))


def entries(shape: str, k: int) -> list[dict[str, str]]:
    r = random.Random(k)
    if shape == "title":
        title = "A study of near duplicates in paper listings"
        return [{"title": title, "abstract": _words(r, 40)} for _ in range(k)]
    if shape == "abstract":
        text = _words(r, 150)
        return [{"title": f"Paper {i}", "abstract": text} for i in range(k)]
    if shape == "identical":
        return [{"title": "One paper listed again and again", "abstract": _words(random.Random(1), 60)}] * k
    if shape == "related":
        shared = _words(random.Random(1), 12)
        return [{"title": f"Paper {i}", "abstract": shared + " " + _words(r, 40)} for i in range(k)]
    raise ValueError(shape)


def texts(shape: str, n: int) -> tuple[str, str]:
    r = random.Random(n)
    if shape == "diff-disjoint":
        return _words(r, n, "a"), _words(r, n, "b")
    vocab = [f"w{i}" for i in range(n)]
    a = list(vocab)
    r.shuffle(a)
    if shape == "diff-shuffled":
        b = list(vocab)
        r.shuffle(b)
    else:
        b = [f"x{i}" if i % 50 == 7 else w for i, w in enumerate(a)]
    return " ".join(a), " ".join(b)


def one_run(shape: str, size: int) -> dict[str, float]:
    """In a child interpreter: build the input, run it once, report seconds and the peak RSS."""
    import neardup

    if shape.startswith("diff-"):
        a, b = texts(shape, size)
        # One pair runs on the calling thread: its CPU time is the algorithm's, whatever else the
        # machine runs (on a busy one, wall time swings several-fold between runs). The fastest of a few
        # calls is kept: the others carry what the machine's other work cost this one (caches evicted,
        # the first call's page faults), which is noise to a growth factor.
        best = None
        for _ in range(DIFF_CALLS):
            t, c = time.perf_counter(), time.thread_time()
            d = neardup.diff(a, b)
            run = (time.thread_time() - c, time.perf_counter() - t)
            best = run if best is None or run < best else best
        assert best is not None
        seconds = best[1]
        detail = {"distance": d.distance, "cpu": best[0]}
    else:
        rows = entries(shape, size)
        with tempfile.TemporaryDirectory() as tmp:
            old, new, out = (Path(tmp, n) for n in ("old.jsonl", "new.jsonl", "out.json"))
            old.write_text("".join(json.dumps(x) + "\n" for x in rows))
            new.write_text("".join(json.dumps(x) + "\n" for x in reversed(rows)))
            t = time.perf_counter()
            from neardup.cli import main

            code = main(["diff", str(old), str(new), "--format", "json", "-o", str(out)])
            seconds = time.perf_counter() - t
            report = json.loads(out.read_text())
        sizes = sorted((len(g["members"]) for g in report["duplicates"]), reverse=True)
        detail = {"exit": code, "groups": len(sizes), "largest": sizes[0] if sizes else 0}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": seconds, "rss": rss, **detail}


def measure(shape: str, size: int) -> dict[str, float]:
    runs = []
    for _ in range(ROUNDS):
        p = subprocess.run(
            [sys.executable, __file__, "--child", shape, str(size)],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        )
        runs.append(json.loads(p.stdout))
    out = dict(runs[0])
    out["seconds"] = statistics.median(r["seconds"] for r in runs)
    out["rss"] = statistics.median(r["rss"] for r in runs)
    if "cpu" in out:
        out["cpu"] = statistics.median(r["cpu"] for r in runs)
    return out


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        print(json.dumps(one_run(argv[1], int(argv[2]))))
        return
    check = argv[:1] == ["--check"]
    argv = argv[1:] if check else argv
    plan = {argv[0]: [int(s) for s in argv[1:]] or SIZES[argv[0]]} if argv else SIZES
    worst = worst_diff = 0.0
    for shape, sizes in plan.items():
        before = None
        for size in sizes:
            m = measure(shape, size)
            extra = {k: v for k, v in m.items() if k not in ("seconds", "rss", "cpu")}
            line = f"{shape:15} {size:>7}  {m['seconds']:8.3f} s  {m['rss'] / 2**20:8.1f} MiB"
            if "cpu" in m:
                line += f"  {m['cpu']:7.3f} s CPU"
            if before is not None:
                # Diff shapes: the growth of CPU time (see one_run); the others run on the thread pool.
                key = "cpu" if "cpu" in m else "seconds"
                growth_t, growth_m = m[key] / before[key], m["rss"] / before["rss"]
                worst = max(worst, growth_t, growth_m)
                if shape.startswith("diff-"):
                    worst_diff = max(worst_diff, growth_t, growth_m)
                line += f"  x{growth_t:4.2f} time  x{growth_m:4.2f} memory"
            else:
                line += " " * 30
            print(f"{line}  {extra}", flush=True)
            before = m
    print(f"largest growth factor a doubling: {worst:.2f} (target 2.2)")
    if check and worst_diff > DIFF_CEILING:
        print(
            f"word diffs grow {worst_diff:.2f}x a doubling, above the ceiling {DIFF_CEILING}", file=sys.stderr
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
