"""Catalog ingestion: 30 daily snapshots of 10k entries (NEARDUP_BENCH_SCALE=full; smoke: 5 of 200).

Each day keeps most of the previous day's listing, drops 5%, adds 5% new papers, revises 2% of the listed
abstracts (a third of them retitled too), re-lists 1% of earlier-dropped papers and changes every upvote
count; 30% of the listings carry no arXiv id, so titles and near matching do real work. Texts are
abstract-like (~120 words from a Zipfian vocabulary of invented words; fixed seed).

Recorded in ``extra_info``: entries/s over the whole sequence, the time of every add, and
``ratio_last_first`` = time(30th add) / time(1st add) (target ≤ 1.5: an add costs in proportion to the
snapshot, not to the catalog), plus ``ratio_last_second`` (the steady state: the 1st add creates every
paper, later ones mostly match known ones).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neardup
from corpus import SCALE, size, vocabulary

DAYS = size(5, 30)
ENTRIES = size(200, 10_000)


@dataclass
class _Paper:
    key: str
    title: str
    abstract: str
    upvotes: int = 0
    versions: list[tuple[str, str]] = field(default_factory=list)


class _Words:
    def __init__(self, rng: random.Random, n: int = 30_000) -> None:
        self.rng = rng
        self.vocab = vocabulary(n, 7)
        acc, self.cum = 0.0, []
        for i in range(n):
            acc += 1.0 / (i + 1)
            self.cum.append(acc)

    def text(self, lo: int, hi: int) -> str:
        words = self.rng.choices(self.vocab, cum_weights=self.cum, k=self.rng.randint(lo, hi))
        return " ".join(words).capitalize() + "."

    def edit(self, text: str, rate: float) -> str:
        words = text.split()
        for _ in range(max(1, int(len(words) * rate))):
            i = self.rng.randrange(len(words))
            words[i] = self.rng.choice(self.vocab)
        return " ".join(words)


def daily_snapshots(days: int, size: int, seed: int = 30) -> tuple[list[neardup.Snapshot], int]:
    """The day-by-day snapshots and the true number of distinct papers."""
    rng = random.Random(seed)
    words = _Words(rng)
    papers: list[_Paper] = []

    def new_paper() -> int:
        i = len(papers)
        papers.append(
            _Paper(f"arxiv:24{i // 99999 + 1:02d}.{i % 99999:05d}", words.text(6, 12), words.text(90, 150))
        )
        return i

    listed = [new_paper() for _ in range(size)]
    snapshots = []
    for day in range(days):
        if day:
            dropped = set(rng.sample(listed, size * 5 // 100))
            listed = [i for i in listed if i not in dropped]
            gone = sorted(set(range(len(papers))) - set(listed))
            listed += rng.sample(gone, min(len(gone), size // 100))
            listed += [new_paper() for _ in range(size - len(listed))]
            for i in rng.sample(listed, size * 2 // 100):
                papers[i].abstract = words.edit(papers[i].abstract, 0.1)
                if rng.random() < 1 / 3:
                    papers[i].title = words.edit(papers[i].title, 0.3)
            rng.shuffle(listed)
        entries = []
        for i in listed:
            p = papers[i]
            p.upvotes += rng.randint(0, 5)
            key = p.key if rng.random() >= 0.3 else None
            entries.append(neardup.Entry(title=p.title, abstract=p.abstract, key=key, upvotes=p.upvotes))
        snapshots.append(
            neardup.Snapshot(entries, date=f"2024-07-{day % 31 + 1:02d}", path=f"day-{day + 1:02d}")
        )
    return snapshots, len(papers)


def ingest(path: Path, snapshots: list[neardup.Snapshot]) -> tuple[list[float], list[float]]:
    """Adds the snapshots in order; the wall-clock and CPU seconds of each add."""
    wall, cpu = [], []
    with neardup.Catalog(path) as catalog:
        for snapshot in snapshots:
            w, c = time.perf_counter(), time.process_time()
            catalog.add(snapshot)
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
    return wall, cpu


def test_catalog_ingest(benchmark: Any, tmp_path: Path) -> None:
    snapshots, truth = daily_snapshots(DAYS, ENTRIES)
    runs = iter(range(1_000_000))
    times: list[float] = []
    cpu: list[float] = []

    def run() -> None:
        nonlocal times, cpu
        times, cpu = ingest(tmp_path / f"catalog-{next(runs)}.db", snapshots)

    benchmark.group = "catalog ingest"
    benchmark.pedantic(run, rounds=1, iterations=1)
    total = sum(len(s) for s in snapshots)
    benchmark.extra_info.update(
        impl="neardup",
        snapshots=len(snapshots),
        entries_per_snapshot=ENTRIES,
        entries_per_s=round(total / sum(times)),
        ratio_last_first=round(times[-1] / times[0], 3),
        ratio_last_second=round(times[-1] / times[1], 3),
        # CPU time is steadier than wall-clock time on a shared machine.
        ratio_last_first_cpu=round(cpu[-1] / cpu[0], 3),
        seconds=[round(t, 4) for t in times],
        cpu_seconds=[round(t, 4) for t in cpu],
    )
    with neardup.Catalog(tmp_path / "catalog-0.db", create=False) as catalog:
        assert catalog.counts()["papers"] == truth
    if SCALE == "full":
        assert cpu[-1] / cpu[0] <= 1.5
