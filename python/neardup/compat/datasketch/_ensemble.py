"""datasketch's ``MinHashLSHEnsemble`` (Zhu, Nargesian, Pu & Miller, "LSH Ensemble: Internet-Scale
Domain Search", VLDB 2016): containment search over sets partitioned by size.

Indexed sets are split into ``num_part`` partitions by size (the split minimising the expected number
of false positives, computed as datasketch computes it); each partition holds one banded index per
row count ``r`` the tuning may pick. A query of size ``q`` asks each partition's index with the
``(b, r)`` tuned for the partition's upper size ``u`` and ``u / q``, using only the first ``b`` bands.

The ``(b, r)`` table is the one datasketch computes (SciPy's ``quad`` over the same integrands, at the
same ten ratios), so the same candidates come back. The indexes are ``MinHashLSH`` objects (Rust, or
Redis with ``storage_config``); ``query`` asks each of them once, ``query_many`` answers a batch.
"""

from __future__ import annotations

import importlib
import pickle
import struct
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

import numpy as np

from ._lsh import MinHashLSH, _check_scheme_consistency, _check_threshold, _check_weights
from ._redis import _random_name

__all__ = ["MinHashLSHEnsemble"]


def _quad() -> Any:
    """SciPy's ``quad``: datasketch integrates with it, so the same tuning needs the same integrator."""
    try:
        return importlib.import_module("scipy.integrate").quad
    except ImportError as err:
        raise ImportError("MinHashLSHEnsemble needs SciPy, as datasketch does: pip install scipy") from err


def _fp_area(threshold: float, b: int, r: int, xq: float) -> float:
    quad = _quad()

    def prob(t: float) -> float:
        return float(1 - (1 - (t / (1 + xq - t)) ** float(r)) ** float(b))

    return float(quad(prob, 0.0, threshold if xq >= threshold else xq)[0])


def _fn_area(threshold: float, b: int, r: int, xq: float) -> float:
    quad = _quad()

    def prob(t: float) -> float:
        return float(1 - (1 - (1 - (t / (1 + xq - t)) ** float(r)) ** float(b)))

    if xq >= 1.0:
        return float(quad(prob, threshold, 1.0)[0])
    if xq >= threshold:
        return float(quad(prob, threshold, xq)[0])
    return 0.0


def _tuned(
    threshold: float, num_perm: int, max_r: int, xq: float, fp_w: float, fn_w: float
) -> tuple[int, int]:
    """The ``(b, r)`` with ``b·r <= num_perm``, ``r <= max_r`` of least weighted error (first in
    ``b``-then-``r`` order on ties)."""
    best, choice = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, min(max_r, num_perm // b) + 1):
            err = _fp_area(threshold, b, r, xq) * fp_w + _fn_area(threshold, b, r, xq) * fn_w
            if err < best:
                best, choice = err, (b, r)
    return choice


def _false_positives(sizes: np.ndarray[Any, Any], counts: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``nfp[lo, hi]``: expected false positives of a partition holding sizes ``lo..=hi``."""
    n = len(sizes)
    nfp = np.zeros((n, n))
    for lo in range(n):
        for hi in range(lo, n):
            top = float(sizes[hi])
            nfp[lo, hi] = np.sum((top - sizes[lo : hi + 1]) / top * counts[lo : hi + 1])
    return nfp


def _partitions(
    sizes: np.ndarray[Any, Any], counts: np.ndarray[Any, Any], num_part: int
) -> list[tuple[int, int]]:
    """Size ranges of the partitions minimising total false positives (dynamic programming over the
    last size of each partition; ties go to the smaller split point)."""
    n = len(sizes)
    if num_part < 2:
        return [(sizes[0], sizes[-1])]
    if num_part >= n:
        return [(s, s) for s in sizes]
    nfp = _false_positives(sizes, counts)
    # best[p][u]: least cost of covering sizes 0..=u with p partitions (p >= 2), and its last split.
    best: dict[int, list[tuple[float, int]]] = {}

    def cost(p: int, u1: int) -> float:
        return float(nfp[0, u1]) if p == 1 else best[p][u1][0]

    for p in range(2, num_part):
        best[p] = [(0.0, -1)] * n
        for u in range(p - 1, n):
            best[p][u] = min((cost(p - 1, u1) + nfp[u1 + 1, u], u1) for u1 in range(p - 2, u))
    _, u = min((cost(num_part - 1, u1) + nfp[u1 + 1, n - 1], u1) for u1 in range(num_part - 2, n - 1))
    ranges = [(sizes[u + 1], sizes[-1])]
    p = num_part - 1
    while p > 1:
        _, u1 = min((best[p][x][0] + nfp[x + 1, u], x) for x in range(p - 2, u))
        ranges.insert(0, (sizes[u1 + 1], sizes[u]))
        u = u1
        p -= 1
    ranges.insert(0, (sizes[0], sizes[u]))
    return ranges


class MinHashLSHEnsemble:
    """datasketch's ``MinHashLSHEnsemble(threshold=0.9, num_perm=128, num_part=16, m=8, ...)``."""

    def __init__(
        self,
        threshold: float = 0.9,
        num_perm: int = 128,
        num_part: int = 16,
        m: int = 8,
        weights: tuple[float, float] = (0.5, 0.5),
        storage_config: dict[str, Any] | None = None,
        prepickle: bool | None = None,
    ) -> None:
        # datasketch's order of checks: the LSH's own two around the ensemble's num_part and m.
        _check_threshold(threshold, num_perm)
        if num_part < 1:
            raise ValueError("num_part must be at least 1")
        if m < 2 or m > num_perm:
            raise ValueError("m must be in the range of [2, num_perm]")
        _check_weights(weights)
        self.threshold = threshold
        self.h = num_perm
        self.m = m
        fp_w, fn_w = weights
        self.xqs = np.exp(np.linspace(-5, 5, 10))
        self.params = np.array(
            [_tuned(threshold, num_perm, m, float(xq), fp_w, fn_w) for xq in self.xqs], dtype=int
        )
        rs = sorted({int(r) for _, r in self.params})
        config = dict(storage_config) if storage_config else {"type": "dict"}
        basename: Any = config.get("basename", _random_name(11))
        self.indexes: list[dict[int, MinHashLSH]] = []
        for part in range(num_part):
            by_r = {}
            for r in rs:
                part_config = dict(config)
                part_config["basename"] = b"-".join([basename, struct.pack(">H", part), struct.pack(">H", r)])
                by_r[r] = MinHashLSH(
                    num_perm=num_perm,
                    params=(int(num_perm / r), r),
                    storage_config=part_config,
                    prepickle=prepickle,
                )
            self.indexes.append(by_r)
        self.lowers: list[int | None] = [None] * num_part
        self.uppers: list[int | None] = [None] * num_part

    def _get_optimal_param(self, x: float, q: float) -> np.ndarray[Any, Any]:
        i = int(np.searchsorted(self.xqs, float(x) / float(q), side="left"))
        row: np.ndarray[Any, Any] = self.params[min(i, len(self.params) - 1)]
        return row

    def index(self, entries: Iterable[tuple[Hashable, Any, int]]) -> None:
        """Indexes ``(key, minhash, size)`` entries (once: a non-empty index raises)."""
        if not self.is_empty():
            raise ValueError("Cannot call index again on a non-empty index")
        if isinstance(entries, list):
            todo = entries
        else:
            todo = []
            for key, minhash, size in entries:
                if size <= 0:
                    raise ValueError("Set size must be positive")
                todo.append((key, minhash, size))
        if len(todo) == 0:
            raise ValueError("entries is empty")
        sizes, counts = np.array(sorted(Counter(e[2] for e in todo).most_common())).T
        for i, (low, high) in enumerate(_partitions(sizes, counts, len(self.indexes))):
            self.lowers[i], self.uppers[i] = low, high
        todo.sort(key=lambda e: e[2])
        part = 0
        for key, minhash, size in todo:
            upper = self.uppers[part]
            if upper is not None and size > upper:
                part += 1
            for lsh in self.indexes[part].values():
                lsh.insert(key, minhash)

    def query(self, minhash: Any, size: int) -> Iterator[Hashable]:
        """Keys of sets whose containment of the query set (of ``size`` elements) likely exceeds the
        threshold; a key may come more than once (one per partition index that finds it)."""
        for i, by_r in enumerate(self.indexes):
            upper = self.uppers[i]
            if upper is None:
                continue
            b, r = self._get_optimal_param(upper, size)
            yield from by_r[int(r)]._query_b(minhash, int(b))

    def query_many(self, queries: Iterable[tuple[Any, int]]) -> list[set[Hashable]]:
        """The set of keys ``query`` finds, for each ``(minhash, size)`` (an addition to datasketch):
        each partition index is asked once for the whole batch, on all cores."""
        batch = list(queries)
        indexes = [lsh for by_r in self.indexes for lsh in by_r.values()]
        if not batch or any(type(lsh) is not MinHashLSH for lsh in indexes):
            return [set(self.query(m, size)) for m, size in batch]
        probe = next((lsh for lsh in indexes if len(lsh)), None)
        if probe is None:
            return [set() for _ in batch]
        for m, _ in batch:
            probe._check(m)
            _check_scheme_consistency(probe._minhash_scheme, m)
        sigs = np.stack([probe._sig(m) for m, _ in batch])
        sizes = np.array([float(size) for _, size in batch])
        found: list[set[Hashable]] = [set() for _ in batch]
        last = len(self.params) - 1
        for i, by_r in enumerate(self.indexes):
            upper = self.uppers[i]
            if upper is None:
                continue
            # datasketch's per-query choice, for all queries at once (same float64 division).
            at = np.minimum(np.searchsorted(self.xqs, float(upper) / sizes, side="left"), last)
            bs, rs = self.params[at, 0], self.params[at, 1]
            for r in np.unique(rs):
                rows = np.flatnonzero(rs == r)
                lsh = by_r[int(r)]
                hit_rows, hit_slots = lsh._index.query_bands_hits(sigs, rows.tolist(), bs[rows].tolist())
                # Hits are few next to queries: only they cost Python work.
                key_of = lsh._key_of
                if lsh.prepickle:
                    for row, slot in zip(hit_rows.tolist(), hit_slots.tolist(), strict=True):
                        found[row].add(pickle.loads(key_of[slot]))
                else:
                    for row, slot in zip(hit_rows.tolist(), hit_slots.tolist(), strict=True):
                        found[row].add(key_of[slot])
        return found

    def __contains__(self, key: Hashable) -> bool:
        return any(any(key in lsh for lsh in by_r.values()) for by_r in self.indexes)

    def is_empty(self) -> bool:
        return all(all(lsh.is_empty() for lsh in by_r.values()) for by_r in self.indexes)

    def __repr__(self) -> str:
        return (
            f"MinHashLSHEnsemble(threshold={self.threshold}, num_perm={self.h}, num_part={len(self.indexes)})"
        )
