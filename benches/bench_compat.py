"""datasketch-compatible mode: each class of `neardup.compat.datasketch` on its bulk path vs datasketch 2.0.0.

Every row times both libraries on the same inputs from a fixed seed and checks, in the same run, that
the outputs are the same (hash values equal; candidate / top-k / containment key sets equal): each
implementation's result is kept, and whichever runs second compares against the first.

- `compat-bulk-<scheme>`: `MinHash.bulk` over abstract-like documents (word 3-gram byte tokens,
  tokenised beforehand, not timed); num_perm = 128.
- `compat-update_batch`: one `MinHash.update_batch` of many tokens.
- `compat-lsh`: `MinHashLSH` (threshold 0.5) insert of every signature, then a query with each;
  neardup through its batch calls (`insert_many`, `query_many`), datasketch through its
  `insertion_session` and a query loop.
- `compat-forest`: top-10 queries on an indexed `MinHashLSHForest` (`query_many` vs a `query` loop).
- `compat-ensemble`: containment queries on an indexed `MinHashLSHEnsemble` (threshold 0.5, 16 parts).
- `compat-weighted`: `WeightedMinHashGenerator.minhash_many` on a sparse weight matrix.
- `compat-redis-lsh`: Redis-backed `MinHashLSH` insert + query on one redis-server started here (skipped
  when `redis-server` or the `redis` package is missing).

`NEARDUP_BENCH_SCALE=full` runs the issues' sizes (20,000 documents and LSH items; 4,000 forest, ensemble
and Redis queries; 200,000 update_batch tokens); `ci` runs the family rows at a tenth of that so they
stay well under two minutes; the default smoke scale is tiny (CI runs it with --benchmark-disable).
The conftest pins the rayon pool to one thread.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from corpus import SCALE, abstracts, size
from neardup.compat import datasketch as compat

# The redis-server starter is the tests' (tests/servers.py); `compat_ratios.py` uses it as `bc.running_redis`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from servers import running_redis  # noqa: E402

NUM_PERM = 128
N_DOCS = size(100, 20_000)
_SCALE = SCALE if SCALE in ("ci", "full") else "smoke"
# The family rows' sizes by scale: the issue's at "full"; small enough at "ci" that datasketch's side of
# all of them takes well under two minutes.
N_ITEMS = {"smoke": 100, "ci": 2_000, "full": 20_000}[_SCALE]
N_QUERIES = {"smoke": 50, "ci": 500, "full": 4_000}[_SCALE]
N_REDIS = {"smoke": 50, "ci": 300, "full": 4_000}[_SCALE]
N_TOKENS = {"smoke": 5_000, "ci": 50_000, "full": 200_000}[_SCALE]
N_WEIGHTED = {"smoke": 40, "ci": 500, "full": 4_000}[_SCALE]
SCHEMES = ["affine32", "legacy"]
IMPLS = ["neardup-compat", "datasketch"]
WORD = re.compile(r"\w+")

# Outputs of the implementation that ran first in a group, for the second to compare with.
_FIRST: dict[str, tuple[str, Any]] = {}


def same_as_other(group: str, impl: str, result: Any) -> None:
    """Asserts ``result`` equals the other implementation's result for ``group`` (if it ran already)."""
    if group in _FIRST and _FIRST[group][0] != impl:
        assert _FIRST[group][1] == result, f"{group}: outputs differ between implementations"
    else:
        _FIRST[group] = (impl, result)


def shingles(text: str) -> list[bytes]:
    toks = WORD.findall(text.lower())
    if len(toks) < 3:
        return [" ".join(toks).encode()] if toks else []
    return [" ".join(toks[i : i + 3]).encode() for i in range(len(toks) - 2)]


def lib(impl: str) -> Any:
    if impl == "datasketch":
        return pytest.importorskip("datasketch")
    return compat


@pytest.fixture(scope="module")
def token_sets() -> list[list[bytes]]:
    return [shingles(t) for t in abstracts(N_DOCS, seed=42).texts]


@pytest.fixture(scope="module")
def item_sets(token_sets: list[list[bytes]]) -> list[list[bytes]]:
    return (
        token_sets[:N_ITEMS]
        if len(token_sets) >= N_ITEMS
        else [shingles(t) for t in abstracts(N_ITEMS).texts]
    )


@pytest.fixture(scope="module")
def minhashes(item_sets: list[list[bytes]]) -> dict[str, list[Any]]:
    return {impl: lib(impl).MinHash.bulk(item_sets, num_perm=NUM_PERM) for impl in IMPLS}


def digest(ms: list[Any]) -> bytes:
    return np.stack([m.hashvalues for m in ms]).tobytes()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("impl", IMPLS)
def test_bulk(benchmark: Any, token_sets: list[list[bytes]], impl: str, scheme: str) -> None:
    benchmark.group = f"compat-bulk-{scheme}"
    benchmark.extra_info.update(impl=impl, scheme=scheme, docs=len(token_sets))
    result = benchmark(lib(impl).MinHash.bulk, token_sets, num_perm=NUM_PERM, scheme=scheme)
    assert len(result) == len(token_sets)
    same_as_other(benchmark.group, impl, digest(result))


@pytest.mark.parametrize("impl", IMPLS)
def test_update_batch(benchmark: Any, token_sets: list[list[bytes]], impl: str) -> None:
    tokens = [t for doc in token_sets for t in doc][:N_TOKENS]
    benchmark.group = "compat-update_batch"
    benchmark.extra_info.update(impl=impl, tokens=len(tokens))

    def run() -> Any:
        m = lib(impl).MinHash(num_perm=NUM_PERM)
        m.update_batch(tokens)
        return m

    m = benchmark(run)
    same_as_other(benchmark.group, impl, m.hashvalues.tobytes())


def lsh_run(impl: str, ms: list[Any]) -> list[frozenset[int]]:
    lsh = lib(impl).MinHashLSH(threshold=0.5, num_perm=NUM_PERM)
    if impl == "datasketch":
        with lsh.insertion_session() as session:
            for i, m in enumerate(ms):
                session.insert(i, m)
        return [frozenset(lsh.query(m)) for m in ms]
    lsh.insert_many(enumerate(ms))
    return [frozenset(found) for found in lsh.query_many(ms)]


@pytest.mark.parametrize("impl", IMPLS)
def test_lsh_insert_query(benchmark: Any, minhashes: dict[str, list[Any]], impl: str) -> None:
    ms = minhashes[impl]
    benchmark.group = "compat-lsh"
    benchmark.extra_info.update(impl=impl, items=len(ms))
    found = benchmark(lsh_run, impl, ms)
    assert sum(map(len, found)) >= len(ms)
    same_as_other(benchmark.group, impl, found)


@pytest.mark.parametrize("impl", IMPLS)
def test_forest_topk(benchmark: Any, minhashes: dict[str, list[Any]], impl: str) -> None:
    ms = minhashes[impl]
    forest = lib(impl).MinHashLSHForest(num_perm=NUM_PERM)
    for i, m in enumerate(ms):
        forest.add(i, m)
    forest.index()
    queries = ms[:N_QUERIES]
    benchmark.group = "compat-forest"
    benchmark.extra_info.update(impl=impl, items=len(ms), queries=len(queries))
    if impl == "datasketch":
        found = benchmark(lambda: [forest.query(m, 10) for m in queries])
    else:
        found = benchmark(forest.query_many, queries, 10)
    same_as_other(benchmark.group, impl, [frozenset(f) for f in found])


@pytest.fixture(scope="module")
def ensembles(item_sets: list[list[bytes]], minhashes: dict[str, list[Any]]) -> dict[str, Any]:
    out = {}
    for impl in IMPLS:
        e = lib(impl).MinHashLSHEnsemble(threshold=0.5, num_perm=NUM_PERM, num_part=16)
        ms = minhashes[impl]
        e.index([(i, m, max(1, len(set(t)))) for i, (m, t) in enumerate(zip(ms, item_sets, strict=True))])
        out[impl] = (e, ms)
    return out


@pytest.mark.parametrize("impl", IMPLS)
def test_ensemble_containment(
    benchmark: Any, ensembles: dict[str, Any], item_sets: list[list[bytes]], impl: str
) -> None:
    ensemble, ms = ensembles[impl]
    queries = [(m, max(1, len(set(t)))) for m, t in zip(ms[:N_QUERIES], item_sets, strict=False)]
    benchmark.group = "compat-ensemble"
    benchmark.extra_info.update(impl=impl, queries=len(queries))
    if impl == "datasketch":
        found = benchmark(lambda: [frozenset(ensemble.query(m, s)) for m, s in queries])
    else:
        found = [frozenset(f) for f in benchmark(ensemble.query_many, queries)]
    same_as_other(benchmark.group, impl, found)


@pytest.mark.parametrize("impl", IMPLS)
def test_weighted_minhash_many(benchmark: Any, impl: str) -> None:
    sparse = pytest.importorskip("scipy.sparse")
    dim = 5000
    x = sparse.random(N_WEIGHTED, dim, density=0.01, format="csr", random_state=7, dtype=np.float32)
    gen = lib(impl).WeightedMinHashGenerator(dim, sample_size=NUM_PERM, seed=3)
    benchmark.group = "compat-weighted"
    benchmark.extra_info.update(impl=impl, rows=x.shape[0], dim=dim)
    out = benchmark(gen.minhash_many, x)
    same_as_other(benchmark.group, impl, b"".join(b"-" if m is None else m.hashvalues.tobytes() for m in out))


# ---- Redis --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One redis-server for both libraries (skipped without `redis-server` or the `redis` package)."""
    pytest.importorskip("redis")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.mark.parametrize("impl", IMPLS)
def test_redis_lsh_insert_query(
    benchmark: Any, redis_server: dict[str, Any], minhashes: dict[str, list[Any]], impl: str
) -> None:
    ms = minhashes[impl][:N_REDIS]
    conn = {"host": redis_server["host"], "port": redis_server["port"]}
    rounds = iter(range(1_000_000))

    def run() -> list[frozenset[int]]:
        redis_server["client"].flushdb()
        lsh = lib(impl).MinHashLSH(
            threshold=0.5,
            num_perm=NUM_PERM,
            storage_config={"type": "redis", "redis": conn, "basename": f"b{next(rounds)}".encode()},
        )
        for i, m in enumerate(ms):
            lsh.insert(i, m)
        return [frozenset(lsh.query(m)) for m in ms]

    benchmark.group = "compat-redis-lsh"
    benchmark.extra_info.update(impl=impl, items=len(ms))
    found = benchmark(run)
    same_as_other(benchmark.group, impl, found)
