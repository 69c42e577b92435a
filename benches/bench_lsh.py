"""LSH at threshold 0.5: build from all signatures + query all of them: neardup vs rensa's RMinHashLSH
vs datasketch's MinHashLSH. Signatures are computed once outside the timing (each library's own).

The neardup test also records each index's extra resident memory (`lsh_memory.py`: fresh processes, median
of 3) as quality figures: MiB per library and the ratio rensa / neardup (floor 1 in report.py: neardup's
index must not take more memory than rensa's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lsh_memory
import neardup
from corpus import abstracts, size

NUM_PERM = 128
THRESHOLD = 0.5
N_DOCS = size(200, 20_000)
# Below a few thousand signatures RSS deltas are a handful of pages and allocator slack: no ratio there.
MEMORY_RATIO_MIN_DOCS = 5_000


@pytest.fixture(scope="module")
def corpus() -> Any:
    return abstracts(N_DOCS, seed=7)


@pytest.fixture(scope="module")
def sigs(corpus: Any) -> np.ndarray:
    return neardup.MinHasher(NUM_PERM).signatures(corpus.texts)


def neardup_build_query(sigs: np.ndarray) -> list[list[int | str]]:
    index = neardup.LSHIndex(THRESHOLD, NUM_PERM)
    index.insert_many(range(len(sigs)), sigs)
    return index.query_many(sigs)


def test_lsh_neardup(benchmark: Any, sigs: np.ndarray, corpus: Any, quality: Any) -> None:
    benchmark.group = "lsh build+query"
    benchmark.extra_info.update(impl="neardup", docs=len(sigs))
    result = benchmark(neardup_build_query, sigs)
    # Recall of planted pairs whose true Jaccard is >= 0.6.
    strong = [
        (a, b) for a, b in corpus.planted if neardup.shingle_jaccard(corpus.texts[a], corpus.texts[b]) >= 0.6
    ]
    found = sum(1 for a, b in strong if b in result[a])
    recall = found / len(strong) if strong else 1.0
    benchmark.extra_info["recall_j>=0.6"] = recall
    quality(**{"lsh_recall_j>=0.6": recall})
    assert recall >= 0.95
    # Here rather than in a test of its own, which `--benchmark-only` (the report's run) would skip.
    record_memory(corpus, quality)


def record_memory(corpus: Any, quality: Any) -> None:
    """Extra resident memory of each library's index over the corpus (not timed)."""
    runs = 3 if N_DOCS >= MEMORY_RATIO_MIN_DOCS else 1
    extra = lsh_memory.measure(corpus.texts, runs=runs)
    assert "neardup" in extra
    figures = {f"lsh_extra_mib_{lib}": b / 2**20 for lib, b in extra.items()}
    if "rensa" in extra and N_DOCS >= MEMORY_RATIO_MIN_DOCS:
        figures["lsh_memory_rensa/neardup"] = extra["rensa"] / extra["neardup"]
    quality(**figures)


def peer_build_query(benchmark: Any, impl: str, new_index: Callable[[], Any], hashes: list[Any]) -> None:
    """Times a peer's build + query: a fresh ``new_index()``, each of ``hashes`` inserted under its
    position, then a query with each, one call at a time (the peers' APIs have no batch calls)."""

    def run() -> Any:
        lsh = new_index()
        for i, m in enumerate(hashes):
            lsh.insert(i, m)
        return [lsh.query(m) for m in hashes]

    benchmark.group = "lsh build+query"
    benchmark.extra_info.update(impl=impl, docs=len(hashes))
    benchmark(run)


def test_lsh_rensa(benchmark: Any, corpus: Any) -> None:
    rensa = pytest.importorskip("rensa")
    from bench_minhash import python_shingles

    hashes = [
        rensa.RMinHash.from_token_sets([python_shingles(t)], NUM_PERM, 42)[0]
        if hasattr(rensa.RMinHash, "from_token_sets")
        else None
        for t in corpus.texts
    ]
    if any(h is None for h in hashes):
        mhs = []
        for t in corpus.texts:
            m = rensa.RMinHash(NUM_PERM, 42)
            m.update(python_shingles(t))
            mhs.append(m)
        hashes = mhs
    peer_build_query(benchmark, "rensa", lambda: rensa.RMinHashLSH(THRESHOLD, NUM_PERM, 16), hashes)


def test_lsh_datasketch(benchmark: Any, corpus: Any) -> None:
    datasketch = pytest.importorskip("datasketch")
    from bench_minhash import python_shingles

    mhs = datasketch.MinHash.bulk(
        [[s.encode() for s in python_shingles(t)] for t in corpus.texts], num_perm=NUM_PERM
    )

    peer_build_query(
        benchmark, "datasketch", lambda: datasketch.MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM), mhs
    )
