"""Signatures end to end from raw `str` (tokenising included): neardup vs datasketch, rensa, gaoya.

Corpus: abstract-like documents (~1 KB, Zipfian vocabulary, 20% edited copies) from a fixed seed;
num_perm = 128, word 3-gram shingles, one thread. `NEARDUP_BENCH_SCALE=full` runs the issue's 20,000
documents; the default smoke scale is tiny (CI runs it with --benchmark-disable).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import neardup
from corpus import abstracts, size

NUM_PERM = 128
N_DOCS = size(200, 20_000)
WORD = re.compile(r"\w+")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return abstracts(N_DOCS, seed=42).texts


def python_shingles(text: str) -> list[str]:
    """The tokenising a Python pipeline does for the peers: lower-case word 3-grams."""
    toks = WORD.findall(text.lower())
    if len(toks) < 3:
        return [" ".join(toks)] if toks else []
    return [" ".join(toks[i : i + 3]) for i in range(len(toks) - 2)]


def run_neardup(texts: list[str]) -> Any:
    return neardup.MinHasher(NUM_PERM).signatures(texts)


def run_neardup_kperm(texts: list[str]) -> Any:
    return neardup.MinHasher(NUM_PERM, scheme="kperm").signatures(texts)


def run_datasketch(texts: list[str]) -> Any:
    from datasketch import MinHash

    sets = [[s.encode() for s in python_shingles(t)] for t in texts]
    return MinHash.bulk(sets, num_perm=NUM_PERM)


def run_rensa(texts: list[str]) -> Any:
    from rensa import RMinHash

    sets = [python_shingles(t) for t in texts]
    return RMinHash.digest_matrix_from_token_sets(sets, NUM_PERM, 42)


def run_gaoya(texts: list[str]) -> Any:
    # gaoya 0.2 exposes hashing only through its index: hash + insert of every document (its own Rust
    # tokeniser, word 3-grams, lower-cased). neardup's counterpart in the LSH bench also inserts.
    from gaoya.minhash import MinHashStringIndex

    index = MinHashStringIndex(
        hash_size=32,
        jaccard_threshold=0.5,
        num_bands=25,
        band_size=5,
        analyzer="word",
        lowercase=True,
        ngram_range=(3, 3),
        id_container="vec",
    )
    index.par_bulk_insert_docs(list(range(len(texts))), texts)
    return index


IMPLS = {
    "neardup": run_neardup,
    "neardup-kperm": run_neardup_kperm,
    "datasketch": run_datasketch,
    "rensa": run_rensa,
    "gaoya": run_gaoya,
}
PEER_MODULES = {"datasketch": "datasketch", "rensa": "rensa", "gaoya": "gaoya"}


@pytest.mark.parametrize("impl", list(IMPLS))
def test_signatures(benchmark: Any, texts: list[str], impl: str) -> None:
    if impl in PEER_MODULES:
        pytest.importorskip(PEER_MODULES[impl])
    benchmark.group = "signatures"
    benchmark.extra_info.update(impl=impl, docs=len(texts))
    result = benchmark(IMPLS[impl], texts)
    if impl.startswith("neardup"):
        assert result.shape == (len(texts), NUM_PERM)


def test_estimates_agree_with_exact_jaccard(texts: list[str], quality: Any) -> None:
    """Quality beside speed: neardup's estimates on the planted pairs track the exact Jaccard."""
    corpus = abstracts(N_DOCS, seed=42)
    sigs = neardup.MinHasher(NUM_PERM).signatures(corpus.texts)
    errs = [
        abs(neardup.jaccard(sigs[a], sigs[b]) - neardup.shingle_jaccard(texts[a], texts[b]))
        for a, b in corpus.planted
    ]
    quality(minhash_planted_mae=float(np.mean(errs)))
    assert float(np.mean(errs)) < 0.06
