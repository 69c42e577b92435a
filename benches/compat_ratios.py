"""The datasketch drop-in's ratios: each row of `bench_compat.py`, neardup and datasketch 2.0.0 timed in
alternating rounds on the same inputs (so a busy neighbour slows both alike), outputs compared in every
round; prints the median of each, wall clock and CPU time of the process (all its threads, so the core's
helper threads count against neardup), and the ratios of medians. The inputs are frozen out of the
cyclic garbage collector before the rounds (`gc.freeze`). On a shared machine the CPU time is the
steadier figure: waiting for a core is not counted, and memory-bound work is slowed most by neighbours.

    NEARDUP_BENCH_SCALE=full python benches/compat_ratios.py --rounds 5 [ROW ...]

Rows: lsh, update_batch, weighted, forest, ensemble, bulk, redis (redis needs `redis-server` on PATH and
the `redis` package). The core runs on one thread, as in the benchmark suite.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("RAYON_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import bench_compat as bc  # noqa: E402

ROWS = ["lsh", "update_batch", "weighted", "forest", "ensemble", "bulk", "redis"]


def _setups(rows: list[str]) -> Iterator[tuple[str, Callable[[str], Callable[[], Any]]]]:
    """(row, make) pairs: ``make(impl)`` prepares a row for one implementation and returns the timed call,
    whose result is compared across implementations."""
    tokens = [bc.shingles(t) for t in bc.abstracts(bc.N_DOCS, seed=42).texts]
    items = tokens[: bc.N_ITEMS]
    ms = {impl: bc.lib(impl).MinHash.bulk(items, num_perm=bc.NUM_PERM) for impl in bc.IMPLS}
    if "lsh" in rows:
        yield "lsh", lambda impl: lambda: bc.lsh_run(impl, ms[impl])
    if "update_batch" in rows:
        flat = [t for doc in tokens for t in doc][: bc.N_TOKENS]

        def update_batch(impl: str) -> Callable[[], Any]:
            def run() -> bytes:
                m = bc.lib(impl).MinHash(num_perm=bc.NUM_PERM)
                m.update_batch(flat)
                return bytes(m.hashvalues.tobytes())

            return run

        yield "update_batch", update_batch
    if "weighted" in rows:
        from scipy import sparse

        x = sparse.random(bc.N_WEIGHTED, 5000, density=0.01, format="csr", random_state=7, dtype=np.float32)

        def weighted(impl: str) -> Callable[[], Any]:
            gen = bc.lib(impl).WeightedMinHashGenerator(5000, sample_size=bc.NUM_PERM, seed=3)
            return lambda: b"".join(
                b"-" if m is None else m.hashvalues.tobytes() for m in gen.minhash_many(x)
            )

        yield "weighted", weighted
    if "forest" in rows:

        def forest(impl: str) -> Callable[[], Any]:
            f = bc.lib(impl).MinHashLSHForest(num_perm=bc.NUM_PERM)
            for i, m in enumerate(ms[impl]):
                f.add(i, m)
            f.index()
            queries = ms[impl][: bc.N_QUERIES]
            if impl == "datasketch":
                return lambda: [frozenset(f.query(m, 10)) for m in queries]
            return lambda: [frozenset(found) for found in f.query_many(queries, 10)]

        yield "forest", forest
    if "ensemble" in rows:

        def ensemble(impl: str) -> Callable[[], Any]:
            e = bc.lib(impl).MinHashLSHEnsemble(threshold=0.5, num_perm=bc.NUM_PERM, num_part=16)
            e.index(
                [(i, m, max(1, len(set(t)))) for i, (m, t) in enumerate(zip(ms[impl], items, strict=True))]
            )
            queries = [
                (m, max(1, len(set(t)))) for m, t in zip(ms[impl][: bc.N_QUERIES], items, strict=False)
            ]
            if impl == "datasketch":
                return lambda: [frozenset(e.query(m, s)) for m, s in queries]
            return lambda: [frozenset(found) for found in e.query_many(queries)]

        yield "ensemble", ensemble
    if "bulk" in rows:
        yield "bulk", lambda impl: lambda: bc.digest(bc.lib(impl).MinHash.bulk(tokens, num_perm=bc.NUM_PERM))
    if "redis" in rows:
        yield "redis", lambda impl: _redis_run(impl, ms[impl][: bc.N_REDIS])


_SERVER: dict[str, Any] = {}


def _redis_run(impl: str, ms: list[Any]) -> Callable[[], Any]:
    conn = {"host": _SERVER["host"], "port": _SERVER["port"]}
    rounds = iter(range(1_000_000))

    def run() -> list[frozenset[int]]:
        _SERVER["client"].flushdb()
        lsh = bc.lib(impl).MinHashLSH(
            threshold=0.5,
            num_perm=bc.NUM_PERM,
            storage_config={"type": "redis", "redis": conn, "basename": f"{impl}{next(rounds)}".encode()},
        )
        for i, m in enumerate(ms):
            lsh.insert(i, m)
        return [frozenset(lsh.query(m)) for m in ms]

    return run


@contextmanager
def _redis(needed: bool) -> Iterator[None]:
    if not needed:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="redis-") as workdir, bc.running_redis(Path(workdir)) as server:
        _SERVER.update(server)
        yield


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    # No `choices`: argparse checks a "*" argument's empty default against them and refuses it.
    parser.add_argument("rows", nargs="*", metavar="ROW", help=f"rows to run (default: all of {ROWS})")
    args = parser.parse_args(argv)
    unknown = [r for r in args.rows if r not in ROWS]
    if unknown:
        parser.error(f"unknown rows {unknown}: choose from {ROWS}")
    rows = args.rows or ROWS
    print(f"scale {bc._SCALE}, {args.rounds} alternating rounds, medians")
    print(
        "| row | neardup wall | datasketch wall | ratio (wall) "
        "| neardup CPU | datasketch CPU | ratio (CPU) |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    with _redis("redis" in rows):
        for row, make in _setups(rows):
            timed = {impl: make(impl) for impl in bc.IMPLS}
            # The inputs (millions of token objects, both libraries' MinHashes) are kept out of the
            # cyclic collector's walks, which either library's allocations would otherwise trigger
            # over them: a cost of the harness, not of the library timed.
            gc.collect()
            gc.freeze()
            times: dict[str, list[float]] = {impl: [] for impl in bc.IMPLS}
            cpu: dict[str, list[float]] = {impl: [] for impl in bc.IMPLS}
            for r in range(args.rounds):
                order = bc.IMPLS if r % 2 == 0 else bc.IMPLS[::-1]
                outputs = {}
                for impl in order:
                    t0, c0 = time.perf_counter(), time.process_time()
                    outputs[impl] = timed[impl]()
                    times[impl].append(time.perf_counter() - t0)
                    cpu[impl].append(time.process_time() - c0)
                first, second = (outputs[impl] for impl in bc.IMPLS)
                if first != second:
                    print(f"{row}: outputs differ between neardup and datasketch", file=sys.stderr)
                    return 1
            nd, ds = (statistics.median(times[impl]) for impl in bc.IMPLS)
            nd_cpu, ds_cpu = (statistics.median(cpu[impl]) for impl in bc.IMPLS)
            print(
                f"| {row} | {nd * 1e3:.0f} ms | {ds * 1e3:.0f} ms | {ds / nd:.1f}x "
                f"| {nd_cpu * 1e3:.0f} ms | {ds_cpu * 1e3:.0f} ms | {ds_cpu / nd_cpu:.1f}x |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
