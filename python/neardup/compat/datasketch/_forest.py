"""datasketch's ``MinHashLSHForest`` (Bawa, Condie & Ganesan, WWW 2005): top-k queries by prefix trees.

The trees live in Rust (``_DsForest``); queries walk them exactly as datasketch does (see the module doc
of ``rust/neardup-core/src/compat/datasketch/forest.rs``), so ``query`` finds the same keys.
``query_many`` answers a batch on all cores with the GIL released. ``keys`` and ``hashtables`` are views
showing the forest as datasketch stores it (band keys as big-endian bytes).

One difference: a key added after ``index()`` is found only after the next ``index()`` (datasketch finds
it early when its band key happens to be one already sorted).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from neardup._core import _DsForest

from ._lsh import _check_scheme_consistency

__all__ = ["MinHashLSHForest"]


class MinHashLSHForest:
    """datasketch's ``MinHashLSHForest(num_perm=128, l=8)``: ``l`` trees of ``k = num_perm // l`` rows."""

    def __init__(self, num_perm: int = 128, l: int = 8) -> None:  # noqa: E741 (datasketch's name)
        if l <= 0 or num_perm <= 0:
            raise ValueError("num_perm and l must be positive")
        if l > num_perm:
            raise ValueError("l cannot be greater than num_perm")
        self.l = l
        self.k = int(num_perm / l)
        self.hashranges = [(i * self.k, (i + 1) * self.k) for i in range(self.l)]
        self._minhash_scheme: str | None = None
        self._reset()

    def _reset(self) -> None:
        self._forest: _DsForest | None = None
        self._key_of: list[Any] = []
        self._slot_of: dict[Hashable, int] = {}
        self._values: list[np.ndarray[Any, Any]] = []  # per slot: its banded hash values
        self._dtype: np.dtype[Any] | None = None
        self._width = 0
        self._indexed = False

    def _banded(self, minhash: Any) -> np.ndarray[Any, Any]:
        hv = np.asarray(minhash.hashvalues)
        if len(hv) < self.k * self.l:
            raise ValueError("The num_perm of MinHash out of range")
        width = 2 if hv.ndim == 2 else 1
        if self._width and width != self._width:
            raise ValueError("Cannot mix MinHash and WeightedMinHash in one MinHashLSHForest")
        if self._forest is None:
            self._width = width
            self._dtype = hv.dtype
            self._forest = _DsForest(self.l, self.k, width)
        banded = hv[: self.k * self.l]
        if width == 2 or banded.dtype.kind == "i":
            return np.ascontiguousarray(banded, dtype=np.int64).reshape(-1)
        return np.ascontiguousarray(banded).reshape(-1)

    def add(self, key: Hashable, minhash: Any) -> None:
        """Adds ``key``; searchable after the next ``index()``."""
        if len(minhash) < self.k * self.l:
            raise ValueError("The num_perm of MinHash out of range")
        self._minhash_scheme = _check_scheme_consistency(self._minhash_scheme, minhash)
        if key in self._slot_of:
            raise ValueError("The given key has already been added")
        values = self._banded(minhash)
        slot = len(self._key_of)
        assert self._forest is not None
        self._forest.add(slot, values)
        self._key_of.append(key)
        self._slot_of[key] = slot
        self._values.append(values)
        self._indexed = False

    def index(self) -> None:
        """Makes every added key searchable (sorts each tree)."""
        if self._forest is not None:
            self._forest.index()
        self._indexed = True

    def query(self, minhash: Any, k: int) -> list[Hashable]:
        """Up to ``k`` keys whose MinHashes share the longest prefixes with ``minhash``."""
        if k <= 0:
            raise ValueError("k must be positive")
        if len(minhash) < self.k * self.l:
            raise ValueError("The num_perm of MinHash out of range")
        _check_scheme_consistency(self._minhash_scheme, minhash)
        if self._forest is None:
            return []
        key_of = self._key_of
        return [key_of[s] for s in self._forest.query(self._query_values(minhash), k)]

    def query_many(self, minhashes: Iterable[Any], k: int) -> list[list[Hashable]]:
        """``query`` for each MinHash of ``minhashes``, answered on all cores (an addition to
        datasketch's API)."""
        if k <= 0:
            raise ValueError("k must be positive")
        batch = list(minhashes)
        for m in batch:
            if len(m) < self.k * self.l:
                raise ValueError("The num_perm of MinHash out of range")
            _check_scheme_consistency(self._minhash_scheme, m)
        if self._forest is None or not batch:
            return [[] for _ in batch]
        matrix = np.stack([self._query_values(m) for m in batch])
        key_of = self._key_of
        return [[key_of[s] for s in slots] for slots in self._forest.query_many(matrix, k)]

    def _query_values(self, minhash: Any) -> np.ndarray[Any, Any]:
        hv = np.asarray(minhash.hashvalues)
        if (2 if hv.ndim == 2 else 1) != self._width:
            raise ValueError("Cannot mix MinHash and WeightedMinHash in one MinHashLSHForest")
        banded = hv[: self.k * self.l]
        if self._width == 2 or banded.dtype.kind == "i":
            return np.ascontiguousarray(banded, dtype=np.int64).reshape(-1)
        return np.ascontiguousarray(banded).reshape(-1)

    def get_minhash_hashvalues(self, key: Hashable) -> np.ndarray[Any, Any]:
        """The first ``k·l`` hash values of ``key``'s MinHash, as stored."""
        slot = self._slot_of.get(key)
        if slot is None:
            raise KeyError(f"The provided key does not exist in the LSHForest: {key}")
        if self._width != 1 or self._dtype is None or self._dtype.itemsize not in (4, 8):
            raise ValueError(
                "Stored hash segment is not values of a supported width (4 or 8 bytes): "
                "only MinHash values can be read back"
            )
        dtype = np.uint32 if self._dtype.itemsize == 4 else np.uint64
        return self._values[slot].astype(dtype)

    def is_empty(self) -> bool:
        """True until ``index()`` has sorted at least one key into every tree."""
        return self._forest is None or self._forest.is_empty()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._slot_of

    def _band_keys(self, slot: int) -> list[bytes]:
        values = self._values[slot]
        dtype = np.dtype(np.int64) if self._width == 2 else self._dtype
        assert dtype is not None
        raw = values.astype(dtype).byteswap().tobytes()
        step = len(raw) // self.l
        return [raw[i * step : (i + 1) * step] for i in range(self.l)]

    @property
    def keys(self) -> _ForestKeys:
        """Added keys, each mapped to its band keys (datasketch's ``keys`` dict)."""
        return _ForestKeys(self)

    @property
    def hashtables(self) -> list[dict[bytes, list[Hashable]]]:
        """Per tree, band key to the keys that have it, in insertion order (built on each access)."""
        tables: list[dict[bytes, list[Hashable]]] = [{} for _ in range(self.l)]
        for slot, key in enumerate(self._key_of):
            for table, band_key in zip(tables, self._band_keys(slot), strict=True):
                table.setdefault(band_key, []).append(key)
        return tables

    def __getstate__(self) -> dict[str, Any]:
        return {
            "l": self.l,
            "k": self.k,
            "scheme": self._minhash_scheme,
            "keys": self._key_of,
            "values": self._values,
            "dtype": None if self._dtype is None else self._dtype.str,
            "width": self._width,
            "indexed": self._indexed,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.l, self.k = state["l"], state["k"]
        self.hashranges = [(i * self.k, (i + 1) * self.k) for i in range(self.l)]
        self._minhash_scheme = state["scheme"]
        self._reset()
        if state["keys"]:
            self._width = state["width"]
            self._dtype = np.dtype(state["dtype"])
            self._forest = _DsForest(self.l, self.k, self._width)
            for slot, (key, values) in enumerate(zip(state["keys"], state["values"], strict=True)):
                self._forest.add(slot, values)
                self._key_of.append(key)
                self._slot_of[key] = slot
                self._values.append(values)
            if state["indexed"]:
                self.index()

    def __repr__(self) -> str:
        return f"MinHashLSHForest(l={self.l}, k={self.k}, len={len(self._key_of)})"


class _ForestKeys(Mapping[Hashable, list[bytes]]):
    """``forest.keys``: added keys mapped to their band keys."""

    def __init__(self, forest: MinHashLSHForest) -> None:
        self._forest = forest

    def __getitem__(self, key: Hashable) -> list[bytes]:
        return self._forest._band_keys(self._forest._slot_of[key])

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._forest._slot_of)

    def __len__(self) -> int:
        return len(self._forest._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._forest._slot_of
