"""datasketch 2.x's ``MinHashLSH`` with the same ``(b, r)``, band keys and candidates.

The in-memory index (``storage_config={"type": "dict"}``, the default) lives in Rust: band values are
bucketed by a hash and compared on lookup, so candidates are exactly datasketch's. ``keys`` and
``hashtables`` are views that show the index as datasketch stores it: ``keys[key]`` lists a key's band
keys (each band's hash values as big-endian bytes of their dtype) and ``hashtables[i][H]`` the keys in
bucket ``H`` of band ``i``. Weighted MinHashes (``(k, 2)`` integer hash values) are indexed too: a band of
``r`` rows is keyed by its ``2·r`` values, as datasketch keys it.

``storage_config={"type": "redis", ...}`` gives a :class:`~neardup.compat.datasketch.RedisMinHashLSH`
(see ``_redis.py``), which reads and writes the Redis keys datasketch does.

``query`` returns keys in insertion order (datasketch's order is arbitrary). ``hashfunc`` for band keys
is supported by the Redis storage only (the in-memory index keeps band keys exact).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup._core import _ds_optimal_param, _DsLsh

from ._minhash import HashValues, MinHash

__all__ = ["MinHashLSH", "MinHashLSHDeletionSession", "MinHashLSHInsertionSession"]


def _check_scheme_consistency(known: str | None, minhash: Any) -> str | None:
    """The scheme an index should remember after seeing ``minhash`` (datasketch's rule: one index,
    one scheme; objects without a scheme are exempt)."""
    scheme = getattr(minhash, "scheme", None)
    if scheme is None:
        return known
    if known is None:
        return str(scheme)
    if scheme != known:
        raise ValueError(
            f"MinHash scheme {scheme!r} does not match scheme {known!r} of the MinHash "
            "previously given to this index"
        )
    return known


_PARAMS_CACHE: dict[tuple[float, int, float, float], tuple[int, int]] = {}


def _optimal_param(
    threshold: float, num_perm: int, false_positive_weight: float, false_negative_weight: float
) -> tuple[int, int]:
    """datasketch's ``(b, r)`` choice: minimise the weighted false positive and negative areas."""
    key = (threshold, num_perm, false_positive_weight, false_negative_weight)
    if key not in _PARAMS_CACHE:
        _PARAMS_CACHE[key] = _ds_optimal_param(*key)
    return _PARAMS_CACHE[key]


def _check_threshold(threshold: float, num_perm: int) -> None:
    """datasketch's checks of an index's threshold and number of permutations (LSH and Ensemble)."""
    if threshold > 1.0 or threshold < 0.0:
        raise ValueError("threshold must be in [0.0, 1.0]")
    if num_perm < 2:
        raise ValueError("Too few permutation functions")


def _check_weights(weights: tuple[float, float]) -> None:
    """datasketch's checks of the ``(false_positive_weight, false_negative_weight)`` pair."""
    if any(w < 0.0 or w > 1.0 for w in weights):
        raise ValueError("Weight must be in [0.0, 1.0]")
    if sum(weights) != 1.0:
        raise ValueError("Weights must sum to 1.0")


class _Hole:
    """Marks a slot whose key was removed."""


_HOLE = _Hole()


class _BufferSized:
    """datasketch's ``buffer_size`` attribute of an index or a storage: setting it resizes the write
    buffers behind it (``_resize_buffers``), as datasketch's does for its Redis pipelines."""

    _buffer_size: int

    @property
    def buffer_size(self) -> int:
        return self._buffer_size

    @buffer_size.setter
    def buffer_size(self, value: int) -> None:
        self._buffer_size = value
        self._resize_buffers(value)

    def _resize_buffers(self, size: int) -> None:
        raise NotImplementedError


class MinHashLSH(_BufferSized):
    """datasketch's ``MinHashLSH`` (in-memory storage) with the same ``(b, r)`` and candidates.

    Args:
        threshold: Jaccard threshold in [0, 1] the ``(b, r)`` choice is optimised for.
        num_perm: number of hash values of the indexed MinHashes.
        weights: ``(false_positive_weight, false_negative_weight)``, summing to 1.
        params: ``(b, r)`` to bypass the optimisation.
        storage_config: only ``{"type": "dict"}`` (the default) is supported.
        prepickle: store keys pickled, as datasketch does when True.
        hashfunc: not supported (band keys are kept exact).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> MinHashLSH:
        config = kwargs.get("storage_config", args[4] if len(args) > 4 else None)
        if cls is MinHashLSH and config and config.get("type", "dict") == "redis":
            from ._redis import RedisMinHashLSH

            return object.__new__(RedisMinHashLSH)
        return object.__new__(cls)

    def __init__(
        self,
        threshold: float = 0.9,
        num_perm: int = 128,
        weights: tuple[float, float] = (0.5, 0.5),
        params: tuple[int, int] | None = None,
        storage_config: dict[str, Any] | None = None,
        prepickle: bool | None = None,
        hashfunc: Callable[[bytes], Any] | None = None,
    ) -> None:
        # One constructor for every storage (the Redis one overrides the two storage steps): the
        # storage's checks come first, the storage is opened last as it needs ``b``.
        config = self._storage_config(storage_config, hashfunc)
        self._init_params(threshold, num_perm, weights, params)
        self._minhash_scheme: str | None = None
        self._query_buffer: list[set[Any]] = []
        self._open_storage(config, prepickle, hashfunc)

    def _storage_config(
        self, storage_config: dict[str, Any] | None, hashfunc: Callable[[bytes], Any] | None
    ) -> dict[str, Any]:
        """The checked storage configuration: in memory only, band keys kept exact (no hashfunc)."""
        storage_config = storage_config if storage_config else {"type": "dict"}
        if storage_config.get("type") != "dict":
            raise ValueError(
                f"Unknown storage type: {storage_config.get('type')!r} "
                "(neardup.compat.datasketch supports 'dict' and 'redis')"
            )
        if hashfunc is not None:
            raise NotImplementedError(
                "neardup.compat.datasketch.MinHashLSH keeps in-memory band keys exact: hashfunc is "
                "supported with the Redis storage only"
            )
        return storage_config

    def _open_storage(
        self, config: dict[str, Any], prepickle: bool | None, hashfunc: Callable[[bytes], Any] | None
    ) -> None:
        """The in-memory index and its key bookkeeping."""
        self.prepickle = bool(prepickle)
        self.hashfunc = None
        self._index = _DsLsh(self.h, self.b, self.r)
        self._key_of: list[Any] = []  # slot -> stored key (or _HOLE)
        self._slot_of: dict[Hashable, int] = {}  # stored key -> its first slot
        self._extra: dict[Hashable, list[int]] = {}  # slots of keys inserted more than once
        self._dtype: np.dtype[Any] | None = None  # dtype of indexed hash values (band key width)
        self._width = 0  # values per row: 1 for MinHash, 2 for WeightedMinHash, 0 before the first
        self._version = 0  # bumped on every change, so views rebuild their caches
        self._tables: list[_BandTable] = [_BandTable(self, i) for i in range(self.b)]

    def _init_params(
        self,
        threshold: float,
        num_perm: int,
        weights: tuple[float, float],
        params: tuple[int, int] | None,
    ) -> None:
        """datasketch's parameter checks and ``(b, r)`` choice."""
        self._buffer_size = 50000
        _check_threshold(threshold, num_perm)
        _check_weights(weights)
        self.h = num_perm
        if params is not None:
            self.b, self.r = params
            if self.b * self.r > num_perm:
                raise ValueError(
                    "The product of b and r in params is "
                    f"{self.b} * {self.r} = {self.b * self.r} -- it must be less than num_perm "
                    f"{num_perm}. Did you forget to specify num_perm?"
                )
        else:
            fp_weight, fn_weight = weights
            self.b, self.r = _optimal_param(threshold, num_perm, fp_weight, fn_weight)
        if self.b < 2:
            raise ValueError("The number of bands are too small (b < 2)")
        self.hashranges = [(i * self.r, (i + 1) * self.r) for i in range(self.b)]

    @property
    def params(self) -> tuple[int, int]:
        """``(b, r)``: number of bands and rows per band."""
        return (self.b, self.r)

    def _resize_buffers(self, size: int) -> None:
        """The in-memory index buffers nothing."""

    @property
    def keys(self) -> _KeysView:
        """Indexed keys in insertion order, each mapped to its band keys (as datasketch stores them)."""
        return _KeysView(self)

    @property
    def hashtables(self) -> list[_BandTable]:
        """Per band, a read-only mapping of band key to the keys in that bucket (datasketch's buckets)."""
        return self._tables

    def _sig(self, minhash: Any) -> HashValues:
        """The hash values of ``minhash`` as a 1-D uint32/uint64 array (a weighted MinHash's rows
        flattened); remembers their dtype and row width on first use."""
        hv: HashValues = minhash.hashvalues
        if not (isinstance(hv, np.ndarray) and hv.dtype in (np.uint32, np.uint64)):
            hv = np.asarray(hv)
            if hv.dtype.kind not in "iu":
                raise TypeError(f"hash values must be integers, got dtype {hv.dtype}")
        if hv.ndim == 2 and hv.shape[1] == 2:
            width = 2
        elif hv.ndim == 1:
            width = 1
        else:
            raise TypeError(
                "MinHashLSH indexes MinHash (1-D) or WeightedMinHash ((k, 2)) hash values, "
                f"got shape {hv.shape}"
            )
        if self._width != width:
            if self._width:
                raise ValueError("Cannot mix MinHash and WeightedMinHash in one MinHashLSH")
            self._set_width(width)
        if self._dtype is None:
            self._dtype = hv.dtype
        if width == 2:
            return np.ascontiguousarray(hv, dtype=np.int64).reshape(-1).view(np.uint64)
        if hv.dtype.kind == "i":
            hv = hv.astype(np.uint64)
        return hv

    def _set_width(self, width: int) -> None:
        """Sizes the index for rows of ``width`` values (only while it is empty)."""
        self._width = width
        if width != 1:
            self._index = _DsLsh(self.h * width, self.b, self.r * width)

    def _check(self, minhash: Any, learn: bool = False) -> None:
        """datasketch's checks of a MinHash given to the index: its length, and its hash scheme against
        the one indexed (``learn``: an insert, whose scheme becomes the index's if it has none yet)."""
        if len(minhash) != self.h:
            raise ValueError(f"Expecting minhash with length {self.h}, got {len(minhash)}")
        known = _check_scheme_consistency(self._minhash_scheme, minhash)
        if learn:
            self._minhash_scheme = known

    def insert(self, key: Hashable, minhash: Any, check_duplication: bool = True) -> None:
        """Index ``key`` with the MinHash of its set; a present key raises ValueError."""
        self._insert(key, minhash, check_duplication=check_duplication)

    def _insert(
        self, key: Hashable, minhash: Any, check_duplication: bool = True, buffer: bool = False
    ) -> None:
        self._check(minhash, learn=True)
        if self.prepickle:
            key = pickle.dumps(key)
        if check_duplication and key in self._slot_of:
            raise ValueError("The given key already exists")
        sig = self._sig(minhash)  # may resize the index (first weighted MinHash): before the lookup
        self._register(key, self._index.insert(sig))
        self._version += 1

    def _register(self, key: Hashable, slot: int) -> None:
        if slot == len(self._key_of):
            self._key_of.append(key)
        else:
            self._key_of[slot] = key
        if key in self._slot_of:
            self._extra.setdefault(key, []).append(slot)
        else:
            self._slot_of[key] = slot

    def _register_many(self, keys: list[Any], slots: list[int]) -> None:
        """``_register`` for each key and slot; in one step when the slots are the next ones and the keys
        new and distinct (the common case of a first bulk insert)."""
        key_of, slot_of = self._key_of, self._slot_of
        start = len(key_of)
        if (
            slots
            and slots[0] == start
            and slots[-1] == start + len(slots) - 1
            and len(set(keys)) == len(keys)
            and slot_of.keys().isdisjoint(keys)
        ):
            # Slots of one insert_many are handed out in ascending order, so first and last suffice.
            key_of.extend(keys)
            slot_of.update(zip(keys, slots, strict=True))
            return
        for key, slot in zip(keys, slots, strict=True):
            self._register(key, slot)

    def query(self, minhash: Any) -> list[Any]:
        """Keys sharing at least one band with ``minhash`` (candidates above the threshold)."""
        self._check(minhash)
        key_of = self._key_of
        found = [key_of[s] for s in self._index.query(self._sig(minhash))]
        if self._extra:
            found = list(dict.fromkeys(found))
        if self.prepickle:
            return [pickle.loads(k) for k in found]
        return found

    def insert_many(self, items: Iterable[tuple[Hashable, Any]], check_duplication: bool = True) -> None:
        """``insert`` for every ``(key, minhash)`` of ``items``, the index updated in one call to the core
        (an addition to datasketch's API; the keys are checked before anything is indexed)."""
        pairs = list(items)
        if not pairs:
            return
        fast = self._stack_fast([m for _, m in pairs], learn=True)
        if fast is not None:
            keys = [pickle.dumps(k) for k, _ in pairs] if self.prepickle else [k for k, _ in pairs]
            if check_duplication and (len(set(keys)) != len(keys) or any(k in self._slot_of for k in keys)):
                raise ValueError("The given key already exists")
            self._register_many(keys, self._index.insert_many(fast).tolist())
            self._version += 1
            return
        stored: list[Any] = []
        sigs = []
        fresh: set[Any] = set()
        for key, minhash in pairs:
            self._check(minhash, learn=True)
            if self.prepickle:
                key = pickle.dumps(key)
            if check_duplication and (key in self._slot_of or key in fresh):
                raise ValueError("The given key already exists")
            fresh.add(key)
            stored.append(key)
            sigs.append(self._sig(minhash))
        self._register_many(stored, self._index.insert_many(np.stack(sigs)).tolist())
        self._version += 1

    def query_many(self, minhashes: Iterable[Any]) -> list[list[Any]]:
        """``query`` for each MinHash of ``minhashes``, answered in one call to the core on all cores
        (an addition to datasketch's API)."""
        batch = list(minhashes)
        if not batch:
            return []
        matrix = self._stack_fast(batch, learn=False)
        if matrix is None:
            for minhash in batch:
                self._check(minhash)
            matrix = np.stack([self._sig(m) for m in batch])
        found = self._index.query_many(matrix, self._key_of)
        if self._extra:
            found = [list(dict.fromkeys(keys)) for keys in found]
        if self.prepickle:
            return [[pickle.loads(k) for k in keys] for keys in found]
        return found

    def _stack_fast(self, batch: list[Any], learn: bool) -> HashValues | None:
        """The hash values of ``batch`` as one matrix when they are all plain signatures of this
        index's length and dtype, of one scheme (checked once for the whole batch; ``learn``: an insert,
        which may fix the index's scheme and dtype); else None, and the caller checks them one by one,
        with datasketch's messages."""
        if self._width == 2 or (not learn and self._dtype is None):
            return None
        try:
            matrix = np.array([m.hashvalues for m in batch])
        except (ValueError, AttributeError):
            return None
        if matrix.ndim != 2 or matrix.shape[1] != self.h or matrix.dtype not in (np.uint32, np.uint64):
            return None
        if self._dtype is not None and matrix.dtype != self._dtype:
            return None
        # neardup's own MinHash is read from its configuration: its `scheme` property costs a Python
        # call per item, more than the rest of this check.
        schemes = {m._cfg.scheme if type(m) is MinHash else getattr(m, "scheme", None) for m in batch}
        schemes.discard(None)
        if len(schemes) > 1:
            return None
        if schemes:
            known = _check_scheme_consistency(self._minhash_scheme, batch[0])
            if learn:
                self._minhash_scheme = known
        if learn and self._dtype is None:
            self._dtype = matrix.dtype
            self._width = 1
        return matrix

    def _query_b(self, minhash: Any, b: int) -> set[Any]:
        """Keys sharing one of the first ``b`` bands with ``minhash`` (what LSH Ensemble asks)."""
        self._check(minhash)
        if b > self.b:
            raise ValueError("b must be less or equal to the number of hash tables")
        key_of = self._key_of
        found = {key_of[s] for s in self._index.query_bands(self._sig(minhash), b)}
        if self.prepickle:
            return {pickle.loads(k) for k in found}
        return found

    def get_subset_counts(self, *keys: Hashable) -> list[dict[bytes, int]]:
        """Like ``get_counts``, counting only the given keys."""
        stored = {pickle.dumps(k) for k in keys} if self.prepickle else set(keys)
        counts: list[dict[bytes, int]] = [{} for _ in range(self.b)]
        view = self.keys
        for key in stored:
            for i, band_key in enumerate(view.get(key, [])[: self.b]):
                counts[i][band_key] = counts[i].get(band_key, 0) + 1
        return counts

    def add_to_query_buffer(self, minhash: Any) -> None:
        """Buffer a query; ``collect_query_buffer`` returns the keys found by all buffered ones."""
        self._check(minhash)
        key_of = self._key_of
        self._query_buffer.append({key_of[s] for s in self._index.query(self._sig(minhash))})

    def collect_query_buffer(self) -> list[Any]:
        """Keys found by every buffered query; empties the buffer."""
        buffered, self._query_buffer = self._query_buffer, []
        if not buffered:
            return []
        found = set.intersection(*buffered)
        if self.prepickle:
            return [pickle.loads(k) for k in found]
        return list(found)

    def __contains__(self, key: Hashable) -> bool:
        if self.prepickle:
            key = pickle.dumps(key)
        return key in self._slot_of

    def remove(self, key: Hashable) -> None:
        """Remove ``key``; ValueError if it is not indexed."""
        self._remove(key)

    def _flush(self) -> None:
        """Runs buffered writes (the in-memory index buffers nothing)."""

    def _remove(self, key: Hashable, buffer: bool = False) -> None:
        if self.prepickle:
            key = pickle.dumps(key)
        if key not in self._slot_of:
            raise ValueError("The given key does not exist")
        slots = [self._slot_of.pop(key), *self._extra.pop(key, [])]
        for slot in slots:
            self._index.remove(slot)
            self._key_of[slot] = _HOLE
        self._version += 1

    def is_empty(self) -> bool:
        """True when nothing is indexed."""
        return len(self._index) == 0

    def get_counts(self) -> list[dict[bytes, int]]:
        """Per band, each bucket's band key mapped to the number of keys in it."""
        return [
            {self._band_key(values): len(slots) for values, slots in self._index.buckets(i)}
            for i in range(self.b)
        ]

    def _band_key(self, values: npt.NDArray[np.uint64]) -> bytes:
        """datasketch's band key: the band's hash values as big-endian bytes of their dtype."""
        dtype = self._dtype if self._dtype is not None else np.dtype(np.uint64)
        return values.astype(dtype).byteswap().tobytes()

    def _band_keys(self, slot: int) -> list[bytes]:
        values = self._index.band_values(slot)
        if values is None:
            return []
        return [self._band_key(band) for band in values.reshape(self.b, -1)]

    def _check_mergeable(self, other: MinHashLSH) -> None:
        """Raises datasketch's errors unless `other` is an index of the same kind, parameters and scheme."""
        if not (type(self) is type(other) and self.h == other.h and self.b == other.b and self.r == other.r):
            if type(self) is not type(other):
                raise ValueError(f"Cannot merge type MinHashLSH and type {type(other).__name__}.")
            raise ValueError("Cannot merge MinHashLSH with different initialization parameters.")
        known, other_known = self._minhash_scheme, other._minhash_scheme
        if known is not None and other_known is not None and known != other_known:
            raise ValueError(
                f"Cannot merge MinHashLSH indexed with MinHash scheme {other_known!r} into one "
                f"indexed with scheme {known!r}"
            )

    def merge(self, other: MinHashLSH, check_overlap: bool = False) -> None:
        """Add all keys of ``other`` (same num_perm, b and r) to this index."""
        self._check_mergeable(other)
        if check_overlap and set(self._slot_of).intersection(other._slot_of):
            raise ValueError("The keys are overlapping, duplicate key exists.")
        if self._minhash_scheme is None:
            self._minhash_scheme = other._minhash_scheme
        if self._dtype is None:
            self._dtype = other._dtype
        if other._width and self._width != other._width:
            if self._width:
                raise ValueError("Cannot merge a MinHashLSH of WeightedMinHash with one of MinHash")
            self._set_width(other._width)
        self._version += 1
        slots, values = other._index.export()
        for key, slot in zip(
            [other._key_of[s] for s in slots], self._index.insert_bands(values), strict=True
        ):
            self._register(key, slot)

    def insertion_session(self, buffer_size: int = 50000) -> MinHashLSHInsertionSession:
        """A context manager for many inserts (kept for datasketch compatibility)."""
        return MinHashLSHInsertionSession(self, buffer_size=buffer_size)

    def deletion_session(self, buffer_size: int = 50000) -> MinHashLSHDeletionSession:
        """A context manager for many removals (kept for datasketch compatibility)."""
        return MinHashLSHDeletionSession(self, buffer_size=buffer_size)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"MinHashLSH(num_perm={self.h}, b={self.b}, r={self.r}, len={len(self)})"

    def __getstate__(self) -> dict[str, Any]:
        slots, values = self._index.export()
        return {
            "h": self.h,
            "b": self.b,
            "r": self.r,
            "prepickle": self.prepickle,
            "buffer_size": self._buffer_size,
            "scheme": self._minhash_scheme,
            "dtype": None if self._dtype is None else self._dtype.str,
            "width": self._width,
            "keys": [self._key_of[s] for s in slots],
            "values": values,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.h, self.b, self.r = state["h"], state["b"], state["r"]
        self.prepickle = state["prepickle"]
        self._buffer_size = state["buffer_size"]
        self.hashfunc = None
        self.hashranges = [(i * self.r, (i + 1) * self.r) for i in range(self.b)]
        self._minhash_scheme = state["scheme"]
        self._dtype = None if state["dtype"] is None else np.dtype(state["dtype"])
        self._index = _DsLsh(self.h, self.b, self.r)
        self._width = 0
        width = state.get("width", 1 if state["dtype"] else 0)
        if width:
            self._set_width(width)
        self._key_of, self._slot_of, self._extra = [], {}, {}
        self._query_buffer = []
        self._version = 0
        self._tables = [_BandTable(self, i) for i in range(self.b)]
        values = np.ascontiguousarray(state["values"], dtype=np.uint64)
        for key, slot in zip(state["keys"], self._index.insert_bands(values), strict=True):
            self._register(key, slot)


class _BandTable(Mapping[bytes, list[Any]]):
    """``lsh.hashtables[i]``: band ``i``'s buckets, band key to stored keys (built on first use after
    each change of the index, as a dict)."""

    def __init__(self, lsh: MinHashLSH, band: int) -> None:
        self._lsh = lsh
        self._band = band
        self._cache: dict[bytes, list[Any]] = {}
        self._seen = -1

    def _buckets(self) -> dict[bytes, list[Any]]:
        lsh = self._lsh
        if self._seen != lsh._version:
            key_of = lsh._key_of
            self._cache = {
                lsh._band_key(values): [key_of[s] for s in sorted(slots)]
                for values, slots in lsh._index.buckets(self._band)
            }
            self._seen = lsh._version
        return self._cache

    def __getitem__(self, band_key: bytes) -> list[Any]:
        return self._buckets()[band_key]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._buckets())

    def __len__(self) -> int:
        return len(self._buckets())

    def get(self, band_key: bytes, default: Any = None) -> Any:
        """Keys of a bucket; like datasketch's storage, ``[]`` for a missing one by default."""
        found = self._buckets().get(band_key)
        if found is not None:
            return found
        return [] if default is None else default

    def size(self) -> int:
        return len(self)

    def itemcounts(self) -> dict[bytes, int]:
        return {k: len(v) for k, v in self._buckets().items()}

    def __repr__(self) -> str:
        return f"<band {self._band} of {self._lsh!r}: {len(self)} buckets>"


class _KeysView(Mapping[Hashable, list[bytes]]):
    """datasketch's ``lsh.keys``: indexed (stored) keys mapped to their band keys."""

    def __init__(self, lsh: MinHashLSH) -> None:
        self._lsh = lsh

    def __getitem__(self, key: Hashable) -> list[bytes]:
        lsh = self._lsh
        slot = lsh._slot_of[key]
        keys = lsh._band_keys(slot)
        for extra in lsh._extra.get(key, []):
            keys.extend(lsh._band_keys(extra))
        return keys

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._lsh._slot_of)

    def __len__(self) -> int:
        return len(self._lsh._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._lsh._slot_of

    def get(self, key: Hashable, default: Any = None) -> Any:
        """Band keys of ``key``; like datasketch's storage, ``[]`` for a missing key by default."""
        if key in self._lsh._slot_of:
            return self[key]
        return [] if default is None else default

    def size(self) -> int:
        return len(self)


class MinHashLSHInsertionSession:
    """Context manager inserting into a ``MinHashLSH`` (datasketch's API)."""

    def __init__(self, lsh: MinHashLSH, buffer_size: int) -> None:
        self.lsh = lsh
        self.lsh.buffer_size = buffer_size

    def __enter__(self) -> MinHashLSHInsertionSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Runs the buffered writes (Redis storage; nothing is buffered in memory)."""
        self.lsh._flush()

    def insert(self, key: Hashable, minhash: Any, check_duplication: bool = True) -> None:
        self.lsh._insert(key, minhash, check_duplication=check_duplication, buffer=True)


class MinHashLSHDeletionSession:
    """Context manager removing from a ``MinHashLSH`` (datasketch's API)."""

    def __init__(self, lsh: MinHashLSH, buffer_size: int) -> None:
        self.lsh = lsh
        self.lsh.buffer_size = buffer_size

    def __enter__(self) -> MinHashLSHDeletionSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Runs the buffered removals (Redis storage; nothing is buffered in memory)."""
        self.lsh._flush()

    def remove(self, key: Hashable) -> None:
        self.lsh._remove(key, buffer=True)
