"""Corpus near-duplicate clustering at threshold 0.8: quality against planted ground truth, and speed of
neardup's local engine vs a datasketch pipeline (MinHash.bulk + MinHashLSH) vs rensa's deduplicator
(RMinHash + RMinHashDeduplicator), all end to end from texts (each peer tokenises in Python, as its
pipelines do). Also the Ray engine on 2 local workers vs the local engine (overhead ratio), and with
``NEARDUP_BENCH_SCALE=million`` docs/s and peak memory of the streaming file path on 1M generated docs.

The corpus (fixed seed): distinct abstract-like distractors; planted groups of 2-4 edited copies of one
base at edit rates giving true word-3-gram Jaccard from ~0.5 to ~1.0; and the real revision texts of
``../shared/eval/iterater-arxiv/revisions.jsonl`` (read in place), grouped by paper. Ground truth: two
documents are duplicates when they come from the same group. Precision is over all predicted pairs (pairs
in one cluster); recall is over the same-group pairs whose exact Jaccard is at least threshold + 0.1.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neardup
from corpus import SCALE, abstracts, edit_words, size, vocabulary
from evaldata import revisions
from neardup.corpus import dedup_files

THRESHOLD = 0.8
NUM_PERM = 128
N_DOCS = size(2000, 50_000)
EDIT_RATES = (0.003, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12)
GROUP_SHARE = 0.08  # documents that belong to a planted group


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    #: group of each document (-1: a distractor); same group = true duplicates
    group: list[int]
    #: same-group pairs (i < j) with their exact shingle Jaccard
    pairs: dict[tuple[int, int], float]
    #: groups that hold revision texts
    revision_groups: frozenset[int]


def make_corpus(n: int, seed: int = 20) -> Corpus:
    rng = random.Random(seed)
    vocab = vocabulary(30_000, seed)
    docs: list[tuple[int, str]] = []
    group = 0
    revision_groups: set[int] = set()
    by_paper: dict[str, list[str]] = {}
    for r in revisions():
        texts = by_paper.setdefault(str(r["doc_id"]), [])
        for t in (str(r["before"]), str(r["after"])):
            if t not in texts:
                texts.append(t)
    for texts in by_paper.values():
        docs.extend((group, t) for t in texts)
        revision_groups.add(group)
        group += 1
    n_planted = int(n * GROUP_SHARE)
    bases = abstracts(max(1, n - len(docs)), seed=seed, edited_share=0.0).texts
    base_iter = iter(bases)
    planted = 0
    while planted < n_planted:
        base = next(base_iter).split()
        for _ in range(rng.randint(2, 4)):
            rate = rng.choice(EDIT_RATES)
            docs.append((group, " ".join(edit_words(base, vocab, rng, rate))))
            planted += 1
        group += 1
    docs.extend((-1, t) for t in base_iter)
    docs = docs[:n] if len(docs) > n else docs
    rng.shuffle(docs)
    members: dict[int, list[int]] = {}
    for i, (g, _) in enumerate(docs):
        if g >= 0:
            members.setdefault(g, []).append(i)
    texts = [t for _, t in docs]
    pairs = {
        (a, b): neardup.shingle_jaccard(texts[a], texts[b])
        for m in members.values()
        for a, b in combinations(m, 2)
    }
    return Corpus(texts, [g for g, _ in docs], pairs, frozenset(revision_groups))


def evaluate(c: Corpus, clusters: list[list[int]], threshold: float = THRESHOLD) -> dict[str, float]:
    label = np.full(len(c.texts), -1, dtype=np.int64)
    for k, members in enumerate(clusters):
        label[members] = k
    predicted = tp = 0
    for members in clusters:
        for a, b in combinations(members, 2):
            predicted += 1
            tp += c.group[a] >= 0 and c.group[a] == c.group[b]
    strong = [(a, b) for (a, b), j in c.pairs.items() if j >= threshold + 0.1]
    at_t = [(a, b) for (a, b), j in c.pairs.items() if j >= threshold]
    revision = [(a, b) for a, b in strong if c.group[a] in c.revision_groups]

    def recall(pairs: list[tuple[int, int]]) -> float:
        if not pairs:
            return 1.0
        return sum(1 for a, b in pairs if label[a] >= 0 and label[a] == label[b]) / len(pairs)

    return {
        "precision": tp / predicted if predicted else 1.0,
        "recall_j>=t+0.1": recall(strong),
        "recall_j>=t": recall(at_t),
        "revision_recall_j>=t+0.1": recall(revision),
        "strong_pairs": float(len(strong)),
        "revision_strong_pairs": float(len(revision)),
        "predicted_pairs": float(predicted),
    }


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return make_corpus(N_DOCS)


# ---- neardup ----------------------------------------------------------------------------------------


def test_dedup_neardup(benchmark: Any, corpus: Corpus, quality: Any) -> None:
    benchmark.group = "dedup"
    benchmark.extra_info.update(impl="neardup", docs=len(corpus.texts), threshold=THRESHOLD)
    result = benchmark(neardup.dedup, corpus.texts, threshold=THRESHOLD, num_perm=NUM_PERM)
    q = evaluate(corpus, result.clusters)
    benchmark.extra_info.update(q)
    quality(**{"dedup_precision": q["precision"], "dedup_recall_j>=t+0.1": q["recall_j>=t+0.1"]})
    assert q["precision"] >= 0.99
    assert q["recall_j>=t+0.1"] >= 0.95


def test_dedup_neardup_files(
    benchmark: Any, corpus: Corpus, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The streaming file path (two passes over JSONL, band keys resident): same clusters."""
    path = tmp_path_factory.mktemp("dedup") / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i, t in enumerate(corpus.texts):
            fh.write(json.dumps({"id": str(i), "text": t}) + "\n")
    benchmark.group = "dedup"
    benchmark.extra_info.update(impl="neardup-files", docs=len(corpus.texts))
    result = benchmark(dedup_files, path, threshold=THRESHOLD, num_perm=NUM_PERM)
    assert result.clusters == neardup.dedup(corpus.texts, threshold=THRESHOLD).clusters


def test_dedup_neardup_files_zstd(
    benchmark: Any, corpus: Corpus, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same file as zstd: read as it is decompressed, its text kept for the second pass."""
    import pyarrow as pa

    body = "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(corpus.texts))
    path = tmp_path_factory.mktemp("dedup") / "corpus.jsonl.zst"
    path.write_bytes(pa.Codec("zstd", compression_level=3).compress(body.encode(), asbytes=True))
    benchmark.group = "dedup"
    benchmark.extra_info.update(impl="neardup-files-zst", docs=len(corpus.texts))
    result = benchmark(dedup_files, path, threshold=THRESHOLD, num_perm=NUM_PERM)
    assert result.clusters == neardup.dedup(corpus.texts, threshold=THRESHOLD).clusters


# ---- peers ------------------------------------------------------------------------------------------


def _shingles(texts: list[str]) -> list[list[str]]:
    from bench_minhash import python_shingles

    return [python_shingles(t) for t in texts]


def _union(n: int, pairs: Iterator[tuple[int, int]]) -> list[list[int]]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(g for g in groups.values() if len(g) > 1)


def datasketch_pipeline(texts: list[str]) -> list[list[int]]:
    from datasketch import MinHash, MinHashLSH

    token_sets = [[s.encode("utf-8") for s in shingles] for shingles in _shingles(texts)]
    mhs = MinHash.bulk(token_sets, num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, m in enumerate(mhs):
            session.insert(i, m)

    def pairs() -> Iterator[tuple[int, int]]:
        for i, m in enumerate(mhs):
            for j in lsh.query(m):
                if j > i and m.jaccard(mhs[j]) >= THRESHOLD:
                    yield i, j

    return _union(len(texts), pairs())


def rensa_pipeline(texts: list[str]) -> list[bool]:
    import rensa

    mhs = rensa.RMinHash.from_token_sets(_shingles(texts), NUM_PERM, 42)
    dedup = rensa.RMinHashDeduplicator(THRESHOLD, NUM_PERM, True)
    flags: list[bool] = dedup.add_pairs([(str(i), m) for i, m in enumerate(mhs)])
    return flags


def _once(benchmark: Any, fn: Any, *args: Any) -> Any:
    """Slow peers: one round at full scale (minutes each), the default calibration otherwise."""
    if SCALE == "full":
        return benchmark.pedantic(fn, args=args, rounds=1, iterations=1)
    return benchmark(fn, *args)


def test_dedup_datasketch(benchmark: Any, corpus: Corpus) -> None:
    pytest.importorskip("datasketch")
    benchmark.group = "dedup"
    benchmark.extra_info.update(impl="datasketch", docs=len(corpus.texts))
    clusters = _once(benchmark, datasketch_pipeline, corpus.texts)
    benchmark.extra_info.update(evaluate(corpus, clusters))


def test_dedup_rensa(benchmark: Any, corpus: Corpus) -> None:
    pytest.importorskip("rensa")
    benchmark.group = "dedup"
    benchmark.extra_info.update(impl="rensa", docs=len(corpus.texts))
    flags = _once(benchmark, rensa_pipeline, corpus.texts)
    benchmark.extra_info["duplicates"] = len(flags) - sum(flags)


# ---- Ray --------------------------------------------------------------------------------------------


def test_dedup_ray_overhead(benchmark: Any, corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Ray on 2 local workers vs the local streaming engine (one core thread, as every bench here), same
    four shards, both timed after a warm-up: the overhead ratio ray / local goes to extra_info; also
    `dedup_dataset` on the same texts as four Arrow blocks vs `neardup.dedup` in memory."""
    ray = pytest.importorskip("ray")
    from neardup.distributed import ray as ray_engine

    tmp = tmp_path_factory.mktemp("ray")
    shards = []
    per = (len(corpus.texts) + 3) // 4
    for s in range(4):
        p = tmp / f"shard{s}.jsonl"
        with p.open("w", encoding="utf-8") as fh:
            for i in range(s * per, min(len(corpus.texts), (s + 1) * per)):
                fh.write(json.dumps({"id": str(i), "text": corpus.texts[i]}) + "\n")
        shards.append(p)
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, _node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False)
    seconds: list[float] = []

    def run() -> Any:
        t = time.perf_counter()
        out = ray_engine.dedup(shards, tmp / "out", threshold=THRESHOLD)
        seconds.append(time.perf_counter() - t)
        return out

    try:
        import pyarrow as pa
        import ray.data

        from neardup.distributed.ray_data import dedup_dataset

        ray_engine.dedup(shards, tmp / "warm", threshold=THRESHOLD)  # workers started, modules imported
        blocks = [pa.table({"text": corpus.texts[s * per : (s + 1) * per]}) for s in range(4)]
        dataset = ray.data.from_arrow(blocks)
        dedup_dataset(dataset, threshold=THRESHOLD)
        local_seconds, memory_seconds, dataset_seconds = [], [], []
        for _ in range(3):  # alternating rounds
            t0 = time.perf_counter()
            local = dedup_files(shards, threshold=THRESHOLD)
            local_seconds.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            memory = neardup.dedup(corpus.texts, threshold=THRESHOLD)
            memory_seconds.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            labelled = dedup_dataset(dataset, threshold=THRESHOLD)
            dataset_seconds.append(time.perf_counter() - t0)
            assert labelled.clusters == memory.clusters == local.clusters
        benchmark.group = "dedup-ray"
        benchmark.extra_info.update(impl="neardup-ray-2-workers", docs=len(corpus.texts))
        summary = benchmark.pedantic(run, rounds=3, iterations=1)
    finally:
        if started:
            ray.shutdown()
    assert summary.clusters == local.clusters
    t_local, t_ray = float(np.median(local_seconds)), float(np.median(seconds))
    t_memory, t_dataset = float(np.median(memory_seconds)), float(np.median(dataset_seconds))
    benchmark.extra_info.update(
        local_seconds=t_local,
        ray_seconds=t_ray,
        overhead_ratio_ray_vs_local=t_ray / t_local,
        memory_seconds=t_memory,
        dataset_seconds=t_dataset,
        overhead_ratio_dataset_vs_memory=t_dataset / t_memory,
    )


# ---- 1M documents (NEARDUP_BENCH_SCALE=million; ~1 GB generated on the fly, deleted afterwards) -------

_MILLION_SCRIPT = """
import json, resource, sys, time
from neardup.corpus import dedup_files
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
r = dedup_files(sys.argv[1], threshold=0.8)
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"docs": r.size, "clusters": len(r.clusters), "seconds": dt,
                  "base_kb": base, "peak_kb": peak}))
"""


def write_large_corpus(path: Path, n: int, seed: int = 99, words: int = 150, copies: float = 0.1) -> None:
    """`n` abstract-like JSONL records (Zipfian words of the bench vocabulary, ~1 KB each), a share of them
    edited copies (a few substituted words) of an earlier record of the same block; numpy-generated, one
    block at a time, so a million records take seconds and little memory."""
    rng = np.random.default_rng(seed)
    vocab = np.array(vocabulary(30_000, seed), dtype=object)
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    block = 10_000
    with path.open("w", encoding="utf-8") as fh:
        for start in range(0, n, block):
            m = min(block, n - start)
            idx = rng.choice(len(vocab), size=(m, words), p=p)
            src = rng.integers(0, np.arange(1, m + 1))  # an earlier (or the same) row of the block
            edited = rng.random(m) < copies
            for i in np.flatnonzero(edited):
                row = idx[src[i]].copy()
                row[rng.integers(0, words, size=3)] = rng.integers(0, len(vocab), size=3)
                idx[i] = row
            for i in range(m):
                text = " ".join(vocab[idx[i]])
                fh.write(f'{{"id": "doc{start + i}", "text": "{text}"}}\n')


@pytest.mark.skipif(SCALE != "million", reason="1M documents only with NEARDUP_BENCH_SCALE=million")
def test_dedup_million_docs_streaming(tmp_path: Path, quality: Any) -> None:
    n = 1_000_000
    path = tmp_path / "million.jsonl"
    write_large_corpus(path, n)
    out = subprocess.run(
        [sys.executable, "-c", _MILLION_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "RAYON_NUM_THREADS": os.environ.get("NEARDUP_MILLION_THREADS", "2")},
    )
    m = json.loads(out.stdout)
    bands, _ = neardup._core._banding(threshold=THRESHOLD, num_perm=NUM_PERM)
    per_doc = (m["peak_kb"] - m["base_kb"]) * 1024 / m["docs"]
    figures = {
        "million_docs_per_s": m["docs"] / m["seconds"],
        "million_peak_bytes_per_doc": per_doc,
        "million_file_bytes": float(path.stat().st_size),
        "million_band_key_bytes_per_doc": 8.0 * bands,
    }
    quality(**figures)
    print(json.dumps({**m, **figures}), file=sys.stderr)
    # Beyond 512-byte signatures, at most 1 KB per document (the streaming path keeps band keys, not
    # signatures, so this bounds everything it keeps).
    assert per_doc <= 512 + 1024
