"""`neardup catalog add` of one snapshot into a catalog that holds ten earlier ones, against
`neardup diff` of the same size (issue 16's target: an add takes at most 3x a diff).

The snapshots are a generated series of daily listings (`catalog_series.py`: 2% dropped, 2% new, 3% of
abstracts revised, 0.5% retitled a day, 30% of the listings without their id), 100k records each at full
scale. The catalog of days 1-10 is built once; each timed add runs on a fresh copy of it (copied outside
the timing) and adds day 11. The diff is ``neardup diff day-10 day-11 --format json``. Both run as
separate processes, as a user runs them, on the same thread setting, in alternating rounds so that a
neighbour's load falls on both alike; the figure recorded is median(add) / median(diff)
(``catalog_add_x_diff``, a maximum in `report.py`).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import neardup
from catalog_series import make_series
from corpus import size

N = size(300, 100_000)
DAYS = 11
ROUNDS = 5


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("catalog-series")
    paths = make_series(root, N, DAYS)
    ten = root / "ten.db"
    with neardup.Catalog(ten) as catalog:
        for day, path in enumerate(paths[:-1], start=1):
            catalog.add_file(path, date=f"2024-07-{day:02d}")
    return paths, ten


def _run(cmd: list[str]) -> float:
    start = time.perf_counter()
    code = subprocess.call(cmd, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    assert code in (0, 1), cmd
    return elapsed


def test_catalog_add_against_diff(
    benchmark: Any, series: tuple[list[Path], Path], tmp_path: Path, quality: Any
) -> None:
    paths, ten = series
    db = tmp_path / "catalog.db"
    add = [sys.executable, "-m", "neardup", "catalog", "add", str(db), str(paths[-1]), "--date", "2024-07-11"]
    diff = [sys.executable, "-m", "neardup", "diff", str(paths[-2]), str(paths[-1]), "--format", "json"]

    def fresh() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(ten, db)

    adds, diffs = [], []
    for _ in range(ROUNDS):
        fresh()
        adds.append(_run(add))
        diffs.append(_run(diff))
    ratio = statistics.median(adds) / statistics.median(diffs)
    with neardup.Catalog(db, create=False) as catalog:
        last = catalog.snapshots()[-1]
        assert (last.entries, last.day) == (N, "2024-07-11")
    quality(catalog_add_x_diff=round(ratio, 3))
    benchmark.group = f"catalog add {N} records into ten snapshots"
    benchmark.extra_info.update(
        impl="neardup",
        records=N,
        add_seconds=[round(t, 3) for t in adds],
        diff_seconds=[round(t, 3) for t in diffs],
        catalog_add_x_diff=round(ratio, 3),
    )
    benchmark.pedantic(lambda: subprocess.call(add, stdout=subprocess.DEVNULL), setup=fresh, rounds=1)
