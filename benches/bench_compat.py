"""datasketch-compatible mode: `neardup.compat.datasketch.MinHash.bulk` vs datasketch's own `MinHash.bulk`.

Both hash the same byte token sets (lower-case word 3-grams of abstract-like documents from a fixed seed,
tokenised in Python beforehand and not timed) into bit-identical signatures; num_perm = 128, for the
"affine32" (datasketch 2.x default) and "legacy" (1.x) schemes. `NEARDUP_BENCH_SCALE=full` runs 20,000
documents; the default smoke scale is tiny (CI runs it with --benchmark-disable). The conftest pins the
rayon pool to one thread; the compat `bulk` still reads tokens out of Python on the calling thread while
that pool thread hashes the previous chunk.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from corpus import abstracts, size
from neardup.compat import datasketch as compat

NUM_PERM = 128
N_DOCS = size(100, 20_000)
SCHEMES = ["affine32", "legacy"]
WORD = re.compile(r"\w+")


def shingles(text: str) -> list[bytes]:
    toks = WORD.findall(text.lower())
    if len(toks) < 3:
        return [" ".join(toks).encode()] if toks else []
    return [" ".join(toks[i : i + 3]).encode() for i in range(len(toks) - 2)]


@pytest.fixture(scope="module")
def token_sets() -> list[list[bytes]]:
    return [shingles(t) for t in abstracts(N_DOCS, seed=42).texts]


def minhash_class(impl: str) -> Any:
    if impl == "datasketch":
        return pytest.importorskip("datasketch").MinHash
    return compat.MinHash


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("impl", ["neardup-compat", "datasketch"])
def test_bulk(benchmark: Any, token_sets: list[list[bytes]], impl: str, scheme: str) -> None:
    cls = minhash_class(impl)
    benchmark.group = f"compat-bulk-{scheme}"
    benchmark.extra_info.update(impl=impl, scheme=scheme, docs=len(token_sets))
    result = benchmark(cls.bulk, token_sets, num_perm=NUM_PERM, scheme=scheme)
    assert len(result) == len(token_sets)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_bulk_is_bit_identical(token_sets: list[list[bytes]], scheme: str) -> None:
    """What is timed above is the same computation: equal hash values, document by document."""
    sample = token_sets[:50]
    ours = compat.MinHash.bulk(sample, num_perm=NUM_PERM, scheme=scheme)
    theirs = minhash_class("datasketch").bulk(sample, num_perm=NUM_PERM, scheme=scheme)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(o.hashvalues, t.hashvalues)
