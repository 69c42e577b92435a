"""End-to-end snapshot diff: `neardup diff --format json` vs csv-diff (`--json --key id`, exact keys only)
on the same generated arXiv-like records (see snapshots.py: 5% abstracts revised, 1% retitled, 2% removed,
2% added, keys dropped on half of neardup's records so that title and near matching do real work).

Both run as separate processes (what a user runs), timed by pytest-benchmark, and both write their JSON to
stdout, sent to /dev/null in the timed rounds (writing a 46 MB report file instead costs neardup another
10-60 ms at 100k records, the most when it replaces a report of the same size); peak resident memory of
each run is recorded. Full scale: 100k and 200k records; the time ratio 200k / 100k shows how neardup scales.
The ``neardup`` row runs the core on one thread like the other benches (csv-diff is single-threaded
Python); ``neardup-2-threads`` is the same command on both cores, as a user runs it by default.

Both inputs are plain JSON Lines records, so `neardup diff --format json` takes the all-Rust path
(`neardup.fast_diff`); the tests check it writes the same bytes as the Python path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from corpus import size
from snapshots import Pair, make_pair

SIZES = [size(300, 100_000), size(600, 200_000)]
# Rounds per tool: single timings on a shared machine swing by 30-50%, and a median of five holds still
# where one of three did not (csv-diff's five rounds at 200k records take about 20 s).
ROUNDS = 5
_PEAK = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Pair]:
    root = tmp_path_factory.mktemp("snapshots")
    return {n: make_pair(root, n) for n in SIZES}


def neardup_cmd(p: Pair) -> list[str]:
    return [sys.executable, "-m", "neardup", "diff", str(p.old_jsonl), str(p.new_jsonl), "--format", "json"]


def csv_diff_cmd(p: Pair) -> list[str]:
    exe = shutil.which("csv-diff") or "csv-diff"
    return [exe, str(p.old_csv), str(p.new_csv), "--json", "--key", "id"]


def peak_kib(cmd: list[str]) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", _PEAK, *cmd], capture_output=True, text=True, check=True)
    code, peak = out.stdout.split()
    return int(code), int(peak)


@pytest.mark.parametrize("n", SIZES)
def test_neardup_diff(benchmark: Any, pairs: dict[int, Pair], n: int, tmp_path: Path, quality: Any) -> None:
    p = pairs[n]
    cmd = neardup_cmd(p)
    benchmark.group = f"snapshot diff {n} records"
    benchmark.extra_info.update(impl="neardup", records=n)
    code = benchmark.pedantic(
        lambda: subprocess.call(cmd, stdout=subprocess.DEVNULL), rounds=ROUNDS, iterations=1
    )
    assert code == 1
    # The report, from a run outside the timed rounds (to a file, as `-o` writes it).
    out = tmp_path / "report.json"
    assert subprocess.call([*cmd, "-o", str(out)]) == 1
    summary = json.loads(out.read_text())["summary"]
    # Ground truth of the generator.
    assert summary["removed"] == n * 2 // 100
    assert summary["added"] == n * 2 // 100
    assert summary["changed"] == n * 6 // 100
    code, peak = peak_kib(cmd)
    benchmark.extra_info["peak_rss_kib"] = peak
    quality(**{f"snapshot_{n}_peak_rss_mib": peak / 1024})


@pytest.mark.parametrize("n", SIZES)
def test_neardup_diff_two_threads(benchmark: Any, pairs: dict[int, Pair], n: int) -> None:
    cmd = neardup_cmd(pairs[n])
    env = {**os.environ, "RAYON_NUM_THREADS": "2"}
    benchmark.group = f"snapshot diff {n} records"
    benchmark.extra_info.update(impl="neardup-2-threads", records=n)
    code = benchmark.pedantic(
        lambda: subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL), rounds=ROUNDS, iterations=1
    )
    assert code == 1


@pytest.mark.parametrize("n", SIZES)
def test_csv_diff(benchmark: Any, pairs: dict[int, Pair], n: int) -> None:
    pytest.importorskip("csv_diff")
    cmd = csv_diff_cmd(pairs[n])
    benchmark.group = f"snapshot diff {n} records"
    benchmark.extra_info.update(impl="csv-diff", records=n)
    benchmark.pedantic(lambda: subprocess.call(cmd, stdout=subprocess.DEVNULL), rounds=ROUNDS, iterations=1)
    _code, peak = peak_kib(cmd)
    benchmark.extra_info["peak_rss_kib"] = peak


def test_memory_per_entry_is_modest(pairs: dict[int, Pair], quality: Any) -> None:
    """Peak memory beyond the text itself, per entry (both snapshots' entries counted)."""
    n = SIZES[-1]
    p = pairs[n]
    text_bytes = p.old_jsonl.stat().st_size + p.new_jsonl.stat().st_size
    _, baseline = peak_kib([sys.executable, "-c", "import neardup"])
    code, peak = peak_kib(neardup_cmd(p))
    assert code == 1
    per_entry = max(0, peak * 1024 - baseline * 1024 - text_bytes) / (2 * n)
    quality(snapshot_bytes_per_entry_beyond_text=per_entry)
