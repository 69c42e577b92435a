"""Benchmark report: runs the benchmark suite (or reads a pytest-benchmark JSON) and prints, for every
benchmark group, neardup's median, each peer's median and the ratio peer/neardup, plus the quality
figures the benches record; writes the same tables to benches/results/latest.md and fails (exit 1) when a
ratio or a quality figure falls below its floor.

    python benches/report.py                 # CI size ("ci"), timing on, then the tables
    python benches/report.py --scale full    # the issues' sizes (20k docs, 5k diff pairs, …)
    python benches/report.py --scale full --readme   # also rewrite README.md's performance section
    python benches/report.py --from-json results.json --quality-json quality.json  # render only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# Order-of-magnitude guards, not targets: (group, peer) → the lowest acceptable ratio peer/neardup.
# Each floor sits far below what neardup measures on this machine kind (the measured ratios are 3-10x
# higher), so machine noise (a busy neighbour halves or doubles a timing) cannot cross it, while the
# regressions they exist for (a Python loop in a hot path, a debug build, the GIL held, a lost batch
# path) cost 10-100x and do.
FLOORS: dict[tuple[str, str], float] = {
    ("signatures", "datasketch"): 25.0,  # measured 110-119x single-thread (fused ASCII path)
    ("signatures", "rensa"): 8.0,  # measured 31-34x
    ("lsh build+query", "datasketch"): 3.0,  # measured 58-94x (rensa: 1.8-4.6x, noisy; no floor)
    ("diff-related", "rapidfuzz"): 2.0,  # target 10x
    ("diff-related", "difflib"): 5.0,  # target 30x
    ("diff-unrelated", "rapidfuzz"): 1.0,  # target 5x
    ("compat-bulk-affine32", "datasketch"): 5.0,  # target 20x
    # The rest of the datasketch family (targets: 20x, Redis 3x; measured at `ci` scale on a shared,
    # loaded 2-core machine in the comments).
    ("compat-bulk-legacy", "datasketch"): 5.0,  # measured 25x
    ("compat-update_batch", "datasketch"): 4.0,  # measured 14x at 50k tokens, 48x at 900k
    ("compat-lsh", "datasketch"): 3.0,  # measured 10x (insert + query, memory-bound band tables)
    ("compat-forest", "datasketch"): 10.0,  # measured 57-141x
    ("compat-ensemble", "datasketch"): 5.0,  # measured 28x
    ("compat-weighted", "datasketch"): 10.0,  # target 20x, measured 26x (ci scale), 40x (full)
    ("compat-redis-lsh", "datasketch"): 1.5,  # measured 5.3x (one pipeline per insert and query)
    ("dedup", "datasketch"): 5.0,  # target 20x, measured 57-97x
    ("dedup", "rensa"): 1.0,  # target 2x, measured 12-23x
    # `neardup dedup --records` vs datatrove's MinHash pipeline on the same JSONL files (target 50x at
    # 200k documents; measured 360-580x at 20k on a loaded 2-core machine, where datatrove's process
    # start-up alone takes tens of seconds).
    ("dedup files", "datatrove"): 20.0,
    # `neardup diff --format json` vs csv-diff, the core on one thread (target 5x on the user's default,
    # both cores; measured 2.9-3.3x at 100k and 200k records on one thread, 5.2-5.6x on both cores, where
    # a busy machine swings both tools by 30-50%). The Python path, which these floors exist to notice
    # taking over, measured 0.6x / 0.5x / 0.3x at 25k / 50k / 100k records.
    ("snapshot diff 25000 records", "csv-diff"): 0.9,
    ("snapshot diff 50000 records", "csv-diff"): 1.0,
    ("snapshot diff 100000 records", "csv-diff"): 0.8,
    ("snapshot diff 200000 records", "csv-diff"): 0.8,
}
# neardup's own variants against its in-memory path: (group, impl) → the highest acceptable time ratio.
# Guards like the floors: at the suite's sizes (2k-50k documents, a few to 50 MB) a file's fixed costs
# weigh (measured 1.5x plain and 3.0x zstd at 12.5k documents); issue 22's targets (0.8x and 0.7x the
# speed, ratios 1.25 and 1.43) are checked at 200k documents by `inputs.measure_files` (full scale).
CEILINGS: dict[tuple[str, str], float] = {
    ("dedup", "neardup-files"): 2.5,
    ("dedup", "neardup-files-zst"): 5.0,
}
# Quality floors: (figure) → minimum (or maximum, for names ending in "_wrong" / "_outside" / "_x_diff").
QUALITY_FLOORS: dict[str, float] = {
    "revisions_found": 0.95,
    "revisions_wrong": 0.0,
    "dblp_f1": 0.98,
    "lsh_recall_j>=0.6": 0.95,
    # Extra RSS of rensa's index / neardup's at >= 5k signatures: deterministic to ~1% (measured 1.6-1.7).
    "lsh_memory_rensa/neardup": 1.0,
    "minimal_share": 1.0,
    "dedup_precision": 0.99,
    "dedup_recall_j>=t+0.1": 0.95,
    # `neardup dedup --clusters star` on files: every dropped record within the threshold of its keeper,
    # and the planted pairs at J >= 0.8 of which at most one is kept (measured 0.992; datatrove 0.991).
    "dedup_files_precision": 1.0,
    "dedup_files_recall": 0.95,
    # time(`neardup catalog add` of a snapshot into a catalog of ten such) / time(`neardup diff` of one
    # such pair), medians of alternating rounds (bench_catalog_add.py). The target is 3; measured
    # 4.5 at 100k records on a loaded 2-core machine (the SQLite writes and the near pool remain).
    "catalog_add_x_diff": 6.0,
}
_MAXIMA = ("_wrong", "_outside", "_x_diff")


def _baseline(impls: list[str]) -> str | None:
    if "neardup" in impls:
        return "neardup"
    mine = sorted(i for i in impls if i.startswith("neardup"))
    return mine[0] if mine else None


def tables(bench: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Markdown lines of the timing table, and the list of floor violations."""
    groups: dict[str, dict[str, float]] = {}
    extra: dict[str, dict[str, Any]] = {}
    for b in bench.get("benchmarks", []):
        impl = b.get("extra_info", {}).get("impl", b["name"])
        group = b.get("group") or b["name"]
        groups.setdefault(group, {})[impl] = b["stats"]["median"]
        extra.setdefault(group, {}).update(
            {k: v for k, v in b.get("extra_info", {}).items() if k not in ("impl",)}
        )
    lines = [
        "| benchmark | implementation | median | ratio peer / neardup | floor |",
        "|---|---|---:|---:|---:|",
    ]
    violations: list[str] = []
    for group in sorted(groups):
        medians = groups[group]
        base = _baseline(list(medians))
        for impl in sorted(medians, key=lambda i: (i != base, medians[i])):
            m = medians[impl]
            ratio = ""
            floor = FLOORS.get((group, impl))
            if base is not None and impl != base:
                r = m / medians[base]
                ratio = f"{r:.1f}x"
                if floor is not None and r < floor:
                    violations.append(f"{group}: {impl}/{base} = {r:.2f}x is below the floor {floor}x")
                ceiling = CEILINGS.get((group, impl))
                if ceiling is not None and r > ceiling:
                    violations.append(f"{group}: {impl}/{base} = {r:.2f}x is above the ceiling {ceiling}x")
                both = medians.get(f"{base}-2-threads")
                if both and not impl.startswith(base):
                    # The peer against neardup as a user runs it (both cores), beside the 1-thread ratio.
                    ratio += f" ({m / both:.1f}x vs 2 threads)"
            bound = "" if floor is None else f"{floor:g}x"
            if (group, impl) in CEILINGS:
                bound = f"≤ {CEILINGS[group, impl]:g}x"
            lines.append(f"| {group} | {impl} | {_fmt_time(m)} | {ratio} | {bound} |")
    return lines, violations


def quality_table(quality: dict[str, dict[str, Any]], bench: dict[str, Any]) -> tuple[list[str], list[str]]:
    figures: dict[str, float] = {}
    for values in quality.values():
        figures.update({k: float(v) for k, v in values.items() if isinstance(v, (int, float))})
    for b in bench.get("benchmarks", []):
        for k, v in b.get("extra_info", {}).items():
            if k in QUALITY_FLOORS and isinstance(v, (int, float)):
                figures[k] = float(v)
    lines = ["| quality figure | value | floor |", "|---|---:|---:|"]
    violations = []
    for name in sorted(figures):
        v = figures[name]
        floor = QUALITY_FLOORS.get(name)
        lines.append(f"| {name} | {v:.4f} | {'' if floor is None else f'{floor:g}'} |")
        if floor is None:
            continue
        worse = v > floor if name.endswith(_MAXIMA) else v < floor
        if worse:
            violations.append(f"quality {name} = {v:.4f} misses its floor {floor}")
    return lines, violations


def _fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def header(scale: str) -> list[str]:
    return [
        f"Measured {dt.date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}, scale `{scale}`, single-threaded core "
        "(RAYON_NUM_THREADS=1) unless a row says otherwise; medians of several rounds, all in one run.",
        "",
    ]


def run_suite(scale: str, out_json: Path, quality_json: Path) -> int:
    env = {**os.environ, "NEARDUP_BENCH_SCALE": scale, "NEARDUP_QUALITY_JSON": str(quality_json)}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(HERE),
        "-q",
        "-p",
        "no:cacheprovider",
        "--benchmark-only",
        "--benchmark-min-rounds=3",
        "--benchmark-max-time=2",
        f"--benchmark-json={out_json}",
    ]
    return subprocess.run(cmd, env=env, cwd=REPO, check=False).returncode


_SCALING_SNIPPET = """
import os, sys, time
sys.path.insert(0, {here!r})
import neardup
from corpus import abstracts
texts = abstracts({n}, seed=42).texts
pairs = list(zip(texts[: {n} // 2], texts[{n} // 2 :]))
h = neardup.MinHasher(128)
def best(f):
    b = float("inf")
    for _ in range(5):
        t = time.perf_counter(); f(); b = min(b, time.perf_counter() - t)
    return b
print(best(lambda: h.signatures(texts)), best(lambda: neardup.diff_many(pairs)))
"""


def scaling(scale: str) -> list[str]:
    """Throughput of the batch paths on 1 and 2 threads (separate processes: the pool size is fixed at
    start-up)."""
    n = {"smoke": 400, "ci": 5000, "full": 20000}[scale]
    code = _SCALING_SNIPPET.format(here=str(HERE), n=n)
    times = {}
    for threads in (1, 2):
        env = {**os.environ, "RAYON_NUM_THREADS": str(threads)}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            return [f"(scaling measurement failed: {out.stderr.strip().splitlines()[-1:]})"]
        times[threads] = [float(x) for x in out.stdout.split()]
    lines = ["| batch path | 1 thread | 2 threads | speed-up |", "|---|---:|---:|---:|"]
    for k, (name, unit, count) in enumerate(
        (("MinHasher.signatures", "docs/s", n), ("diff_many", "pairs/s", n // 2))
    ):
        one, two = times[1][k], times[2][k]
        lines.append(
            f"| {name} ({count} items) | {count / one:,.0f} {unit} | {count / two:,.0f} {unit} | "
            f"{one / two:.2f}x |"
        )
    return lines


def update_readme(body: list[str]) -> None:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- perf:start -->", "<!-- perf:end -->"
    block = "\n".join([start, *body, end])
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="ci", choices=["smoke", "ci", "full"])
    ap.add_argument("--from-json", type=Path, help="render an existing pytest-benchmark JSON")
    ap.add_argument("--quality-json", type=Path, help="quality figures JSON written by the benches")
    ap.add_argument("--readme", action="store_true", help="rewrite README.md's performance section")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="neardup-bench-"))
    bench_json = args.from_json or tmp / "bench.json"
    quality_json = args.quality_json or tmp / "quality.json"
    status = 0
    if args.from_json is None:
        status = run_suite(args.scale, bench_json, quality_json)
    bench = json.loads(bench_json.read_text()) if bench_json.exists() else {}
    quality = json.loads(quality_json.read_text()) if quality_json.exists() else {}
    timing, v1 = tables(bench)
    qual, v2 = quality_table(quality, bench)
    body = [*header(args.scale), *timing, "", *qual, "", *scaling(args.scale)]
    if args.scale == "full" and args.from_json is None:
        # Every input shape × report format against csv-diff (minutes at 100k records: full scale only).
        sys.path.insert(0, str(HERE))
        from inputs import measure as measure_inputs
        from inputs import measure_files, measure_memory, measure_parquet
        from shapes import measure
        from shapes import scaling as shape_scaling

        body += ["", *measure(100_000), "", *shape_scaling(100_000), "", *measure_inputs(100_000)]
        body += ["", *measure_parquet(100_000), "", *measure_memory(100_000)]
        body += ["", *measure_files(200_000)]
    text = "\n".join(body) + "\n"
    print(text)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.md").write_text(text, encoding="utf-8")
    if args.readme:
        update_readme(body)
    for v in v1 + v2:
        print(f"FLOOR VIOLATION: {v}", file=sys.stderr)
    if status not in (0, 5):
        print(f"benchmark run failed (pytest exit {status})", file=sys.stderr)
        return 1
    return 1 if v1 or v2 else 0


if __name__ == "__main__":
    raise SystemExit(main())
