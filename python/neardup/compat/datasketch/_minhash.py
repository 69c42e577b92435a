"""datasketch 2.x's ``MinHash``, bit-identical, with token hashing and permutations in Rust.

Hash values are bit-identical to datasketch's for the same byte tokens, ``seed``, ``num_perm`` and
``scheme`` ("affine32", datasketch 2.x's default; "legacy", datasketch 1.x; and "affine64"), so
signatures stored by datasketch stay valid. Token hashing (SHA-1) and the permutations run in Rust with
the GIL released; ``MinHash.bulk`` hashes a whole corpus in one call on all cores. A custom ``hashfunc``
works, but is called from Python per token, as in datasketch. No GPU: ``gpu_mode="always"`` raises as
datasketch does without CUDA.
"""

from __future__ import annotations

import hashlib
import operator
import struct
import warnings
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from neardup._core import _DsHasher

__all__ = ["MinHash", "sha1_hash32", "sha1_hash64"]

SchemeName: TypeAlias = Literal["affine32", "affine64", "legacy"]
GpuMode: TypeAlias = Literal["disable", "detect", "always"]
HashValues: TypeAlias = npt.NDArray[Any]

_VALID_SCHEMES = ("affine32", "affine64", "legacy")
_DTYPES: dict[str, type[np.unsignedinteger[Any]]] = {
    "legacy": np.uint64,
    "affine32": np.uint32,
    "affine64": np.uint64,
}
_MAX_HASHES = {"legacy": (1 << 32) - 1, "affine32": (1 << 32) - 1, "affine64": (1 << 64) - 1}
_HASH_RANGE = 1 << 32
_BULK_CHUNK = 4096


def sha1_hash32(data: bytes) -> int:
    """datasketch's default token hash: the first 4 bytes of SHA-1, little-endian."""
    value: int = struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]
    return value


def sha1_hash64(data: bytes) -> int:
    """The token hash of the "affine64" scheme: the first 8 bytes of SHA-1, little-endian."""
    value: int = struct.unpack("<Q", hashlib.sha1(data).digest()[:8])[0]
    return value


def _sha1_width(hashfunc: Callable[..., Any]) -> int | None:
    """32 or 64 when ``hashfunc`` is one of the SHA-1 token hashes the Rust core computes itself
    (ours or datasketch's own), else None (the function is called from Python)."""
    if hashfunc is sha1_hash32:
        return 32
    if hashfunc is sha1_hash64:
        return 64
    if getattr(hashfunc, "__module__", None) == "datasketch.hashfunc":
        return {"sha1_hash32": 32, "sha1_hash64": 64}.get(getattr(hashfunc, "__name__", ""))
    return None


def _seed_u32(seed: Any) -> int:
    """The seed as numpy's ``RandomState`` accepts it (integers in ``[0, 2**32)``)."""
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(
            f"seed must be an integer, not {type(seed).__name__} "
            "(neardup.compat.datasketch supports integer seeds only)"
        ) from None
    if not 0 <= value <= (1 << 32) - 1:
        raise ValueError("Seed must be between 0 and 2**32 - 1")
    return value


# Permutations depend only on (scheme, seed, num_perm): share them between MinHash objects.
_HASHERS: dict[tuple[str, int, int], _DsHasher] = {}


def _hasher(scheme: str, seed: Any, num_perm: int) -> _DsHasher:
    key = (scheme, _seed_u32(seed), num_perm)
    hasher = _HASHERS.get(key)
    if hasher is None:
        if len(_HASHERS) >= 256:
            _HASHERS.clear()
        hasher = _HASHERS[key] = _DsHasher(scheme, key[1], num_perm)
    return hasher


def _to_scheme_array(values: Any, scheme: str, what: str) -> HashValues:
    """``values`` in the scheme's dtype, refusing values that do not fit (datasketch's rule)."""
    dtype = _DTYPES[scheme]
    if isinstance(values, np.ndarray):
        if (
            values.dtype.kind in "iu"
            and values.size
            and (int(values.max()) > _MAX_HASHES[scheme] or int(values.min()) < 0)
        ):
            raise ValueError(f"{what} out of range for scheme {scheme!r}")
        return values.astype(dtype)
    try:
        return np.array(values, dtype=dtype)
    except OverflowError as err:
        raise ValueError(f"{what} out of range for scheme {scheme!r}: {err}") from err


def _hasher_from_permutations(scheme: str, permutations: Any) -> _DsHasher:
    if scheme == "legacy":
        a = np.asarray(permutations[0], dtype=np.uint64)
        b = np.asarray(permutations[1], dtype=np.uint64)
    else:
        a = _to_scheme_array(permutations[0], scheme, "permutation parameters")
        b = _to_scheme_array(permutations[1], scheme, "permutation parameters")
        if np.any(a & 1 == 0):
            raise ValueError(f"all `a` permutation parameters must be odd for scheme {scheme!r}")
    a64 = np.ascontiguousarray(a.reshape(-1), dtype=np.uint64)
    b64 = np.ascontiguousarray(b.reshape(-1), dtype=np.uint64)
    if len(a64) != len(b64):
        raise ValueError("Numbers of hash values and permutations mismatch")
    return _DsHasher.from_permutations(scheme, a64, b64)


class _Config:
    """What MinHashes made from one another share: everything but the hash values. Kept apart so
    that ``bulk`` builds each of its many results with two attribute stores."""

    __slots__ = ("scheme", "seed", "num_perm", "hashfunc", "hasher", "custom_permutations", "gpu_mode")

    def __init__(
        self,
        scheme: str,
        seed: Any,
        num_perm: int,
        hashfunc: Callable[..., Any],
        hasher: _DsHasher | None,
        custom_permutations: bool,
        gpu_mode: str,
    ) -> None:
        self.scheme = scheme
        self.seed = seed
        self.num_perm = num_perm
        self.hashfunc = hashfunc
        self.hasher = hasher
        self.custom_permutations = custom_permutations
        self.gpu_mode = gpu_mode

    def replace(self, **changes: Any) -> _Config:
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return _Config(**values)


class MinHash:
    """datasketch's ``MinHash`` (same constructor, methods and hash values), computed in Rust.

    Args:
        num_perm: number of permutations (ignored when ``hashvalues`` is given).
        seed: the seed of numpy's ``RandomState`` drawing the permutations.
        gpu_mode: accepted for compatibility; everything runs on the CPU.
        hashfunc: token hash; default SHA-1 (``sha1_hash32``, or ``sha1_hash64`` for "affine64"),
            computed in Rust. Tokens must then be bytes (or other buffers), as in datasketch.
        hashobj: deprecated no-op, as in datasketch.
        hashvalues: initial hash values (``scheme`` must then be given).
        permutations: ``(a, b)`` permutation parameters (``scheme`` must then be given).
        scheme: "affine32" (default), "affine64" or "legacy" (datasketch < 2.0).
    """

    __slots__ = ("hashvalues", "_cfg", "__weakref__")

    hashvalues: HashValues
    _cfg: _Config

    def __init__(
        self,
        num_perm: int = 128,
        seed: int = 1,
        gpu_mode: GpuMode = "disable",
        hashfunc: Callable[..., Any] | None = None,
        hashobj: object | None = None,
        hashvalues: npt.ArrayLike | None = None,
        permutations: Any = None,
        scheme: SchemeName | None = None,
    ) -> None:
        if scheme is None:
            # Hash values carry no trace of their scheme: refuse to guess (datasketch's rule).
            if hashvalues is not None or permutations is not None:
                raise ValueError(
                    "scheme must be specified explicitly when initializing from existing "
                    "hash values or permutations: pass the scheme of the MinHash they came "
                    "from, or scheme='legacy' for values created by datasketch before 2.0.0."
                )
            scheme = "affine32"
        elif scheme not in _VALID_SCHEMES:
            raise ValueError("scheme must be one of {}, got {!r}".format(", ".join(_VALID_SCHEMES), scheme))
        if hashvalues is not None:
            num_perm = len(hashvalues)  # type: ignore[arg-type]
        if num_perm < 1:
            raise ValueError("num_perm must be positive")
        if num_perm > _HASH_RANGE:
            raise ValueError(f"Cannot have more than {_HASH_RANGE} number of permutation functions")
        if hashfunc is None:
            hashfunc = sha1_hash64 if scheme == "affine64" else sha1_hash32
        if not callable(hashfunc):
            raise ValueError("The hashfunc must be a callable.")
        if hashobj is not None:
            warnings.warn("hashobj is deprecated, use hashfunc instead.", DeprecationWarning, stacklevel=2)
        if hashvalues is None:
            values = np.full(num_perm, _MAX_HASHES[scheme], dtype=_DTYPES[scheme])
        elif scheme == "legacy":
            values = np.array(hashvalues, dtype=np.uint64)
        else:
            values = _to_scheme_array(hashvalues, scheme, "hash values")
        if permutations is None:
            hasher = _hasher(scheme, seed, num_perm)
        else:
            hasher = _hasher_from_permutations(scheme, permutations)
        if len(values) != hasher.num_perm:
            raise ValueError("Numbers of hash values and permutations mismatch")
        self.hashvalues = values
        self._cfg = _Config(scheme, seed, num_perm, hashfunc, hasher, permutations is not None, gpu_mode)

    # ---- configuration (datasketch exposes these as attributes) -----------------------------

    @property
    def scheme(self) -> str:
        return self._cfg.scheme

    @scheme.setter
    def scheme(self, value: str) -> None:
        self._cfg = self._cfg.replace(scheme=value)

    @property
    def seed(self) -> Any:
        return self._cfg.seed

    @seed.setter
    def seed(self, value: Any) -> None:
        self._cfg = self._cfg.replace(seed=value)

    @property
    def num_perm(self) -> int:
        return self._cfg.num_perm

    @num_perm.setter
    def num_perm(self, value: int) -> None:
        self._cfg = self._cfg.replace(num_perm=value)

    @property
    def hashfunc(self) -> Callable[..., Any]:
        return self._cfg.hashfunc

    @hashfunc.setter
    def hashfunc(self, value: Callable[..., Any]) -> None:
        self._cfg = self._cfg.replace(hashfunc=value)

    @property
    def _gpu_mode(self) -> str:
        """datasketch's attribute name for ``gpu_mode`` (its own ``union`` and ``copy`` read it)."""
        return self._cfg.gpu_mode

    # ---- state ------------------------------------------------------------------------------

    def _empty(self, num_perm: int) -> HashValues:
        scheme = self._cfg.scheme
        return np.full(num_perm, _MAX_HASHES[scheme], dtype=_DTYPES[scheme])

    def _values(self) -> HashValues:
        """``hashvalues`` in the scheme's dtype (users may have assigned anything)."""
        hv = self.hashvalues
        dtype = _DTYPES[self._cfg.scheme]
        if isinstance(hv, np.ndarray) and hv.dtype == dtype and hv.ndim == 1:
            return hv
        return np.asarray(hv, dtype=dtype).reshape(-1)

    def _derive(self, hashvalues: HashValues) -> MinHash:
        """A MinHash sharing this one's configuration, with other hash values (no validation)."""
        m = object.__new__(type(self))
        m._cfg = self._cfg
        m.hashvalues = hashvalues
        return m

    @property
    def permutations(self) -> HashValues:
        """The ``(2, num_perm)`` array of permutation parameters ``a`` and ``b``."""
        hasher = self._cfg.hasher
        if hasher is None:
            raise AttributeError(f"{type(self).__name__} keeps no permutations")
        return hasher.permutations()

    @permutations.setter
    def permutations(self, value: Any) -> None:
        hasher = _hasher_from_permutations(self._cfg.scheme, value)
        self._cfg = self._cfg.replace(hasher=hasher, custom_permutations=True)

    def _engine(self) -> _DsHasher:
        hasher = self._cfg.hasher
        if hasher is None:
            raise TypeError(f"Cannot update a {type(self).__name__}")
        return hasher

    def _fast_width(self) -> int | None:
        """Token hash width when the Rust core can hash the tokens itself."""
        width = _sha1_width(self._cfg.hashfunc)
        if width == 64 and self._cfg.scheme == "affine32":
            return None  # datasketch raises on the first out-of-range hash: keep its path.
        return width

    # ---- updates ----------------------------------------------------------------------------

    def update(self, b: Any) -> None:
        """Update this MinHash with one value (bytes for the default hash function)."""
        width = self._fast_width()
        if width is None:
            self._update_hashed([self.hashfunc(b)])
        else:
            self.hashvalues = self._engine().update(self._values(), [b], width == 64)

    def update_batch(self, b: Iterable[Any]) -> None:
        """Update this MinHash with many values."""
        width = self._fast_width()
        gpu_always = self._cfg.gpu_mode == "always"
        if gpu_always or width is None:
            hv_list = [self.hashfunc(x) for x in b]
            if not hv_list:
                return
            if gpu_always:
                raise RuntimeError("GPU mode 'always' requested but CuPy/CUDA device is unavailable.")
            self._update_hashed(hv_list)
        else:
            self.hashvalues = self._engine().update(self._values(), b, width == 64)

    def _update_hashed(self, hv_list: list[Any]) -> None:
        """Folds hash function outputs in, refusing values that do not fit (datasketch's rules)."""
        if self.scheme == "legacy":
            hashes = np.array(hv_list, dtype=np.uint64)
        else:
            try:
                hashes = np.array(hv_list, dtype=_DTYPES[self.scheme]).astype(np.uint64)
            except OverflowError as err:
                raise ValueError(
                    f"hashfunc returned a value out of range for scheme {self.scheme!r}: {err}. "
                    "Use a hash function matching the scheme width, or scheme='affine64' "
                    "for 64-bit hash values."
                ) from err
        self.hashvalues = self._engine().update_hashed(self._values(), hashes.reshape(-1))

    # ---- comparisons ------------------------------------------------------------------------

    def _check_compatible(self, other: Any, what: str) -> None:
        if getattr(other, "scheme", None) != self.scheme:
            raise ValueError(f"Cannot {what} MinHash with different permutation schemes")
        if other.seed != self.seed:
            raise ValueError(f"Cannot {what} MinHash with different seeds")
        if len(self) != len(other):
            raise ValueError(f"Cannot {what} MinHash with different numbers of permutation functions")

    def jaccard(self, other: Any) -> float:
        """Estimated Jaccard similarity with ``other`` (same scheme, seed and num_perm)."""
        self._check_compatible(other, "compute Jaccard given")
        same = np.count_nonzero(self.hashvalues == other.hashvalues)
        return float(same) / float(len(self))

    def count(self) -> float:
        """Estimated cardinality of the set (datasketch's estimator)."""
        k = len(self)
        total = np.sum(self.hashvalues / float(_MAX_HASHES[self.scheme]))
        return float(k) / total - 1.0

    def merge(self, other: Any) -> None:
        """Make this MinHash the union of itself and ``other``."""
        self._check_compatible(other, "merge")
        self.hashvalues = np.minimum(other.hashvalues, self.hashvalues)

    def digest(self) -> HashValues:
        """A copy of the hash values."""
        return self.hashvalues.copy()

    def is_empty(self) -> bool:
        """True when no value was added (all hash values at the maximum)."""
        return not np.any(self.hashvalues != _MAX_HASHES[self.scheme])

    def clear(self) -> None:
        """Reset all hash values."""
        self.hashvalues = self._empty(len(self))

    def copy(self) -> MinHash:
        """An independent copy (permutations are shared, they never change)."""
        return self._derive(self.digest())

    def __len__(self) -> int:
        return len(self.hashvalues)

    def __eq__(self, other: object) -> bool:
        return (
            type(self) is type(other)
            and isinstance(other, MinHash)
            and self.scheme == other.scheme
            and self.seed == other.seed
            and bool(np.array_equal(self.hashvalues, other.hashvalues))
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MinHash(num_perm={len(self)}, seed={self.seed!r}, scheme={self.scheme!r})"

    # ---- many at once -----------------------------------------------------------------------

    @classmethod
    def union(cls, *mhs: MinHash) -> MinHash:
        """A new MinHash for the union of the sets of ``mhs`` (at least 2)."""
        if len(mhs) < 2:
            raise ValueError("Cannot union less than 2 MinHash")
        first = mhs[0]
        if any(first.seed != m.seed or len(first) != len(m) or first.scheme != m.scheme for m in mhs):
            raise ValueError(
                "The unioning MinHash must have the same seed, number of permutation functions and scheme"
            )
        values = np.minimum.reduce([m.hashvalues for m in mhs])
        if isinstance(first, MinHash) and type(first) is cls:
            return first._derive(values)
        # A datasketch MinHash (or another class) first: build ours from its configuration.
        return cls(
            seed=first.seed,
            hashfunc=first.hashfunc,
            hashvalues=values,
            permutations=first.permutations,
            gpu_mode=getattr(first, "_gpu_mode", "disable"),
            scheme=first.scheme,  # type: ignore[arg-type]
        )

    @classmethod
    def bulk(cls, b: Iterable[Iterable[Any]], **minhash_kwargs: Any) -> list[MinHash]:
        """One MinHash per iterable of tokens in ``b``, all configured by ``minhash_kwargs``.

        With the default hash function the whole batch is hashed in Rust on all cores.
        """
        return cls(**minhash_kwargs)._bulk(b)

    @classmethod
    def generator(cls, b: Iterable[Iterable[Any]], **minhash_kwargs: Any) -> Iterator[MinHash]:
        """Like ``bulk``, yielding MinHashes as chunks of ``b`` are hashed."""
        proto = cls(**minhash_kwargs)
        docs = iter(b)
        while chunk := list(islice(docs, _BULK_CHUNK)):
            yield from proto._bulk(chunk)

    def _bulk(self, docs: Iterable[Iterable[Any]]) -> list[MinHash]:
        width = self._fast_width()
        if width is None or self._cfg.gpu_mode == "always":
            out = []
            for doc in docs:
                m = self.copy()
                m.update_batch(doc)
                out.append(m)
            return out
        matrix = self._engine().bulk(docs, self._values(), width == 64)
        return list(map(self._derive, matrix))

    # ---- pickling ---------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "seed": self.seed,
            "hashfunc": self.hashfunc,
            "hashvalues": self.hashvalues,
            "permutations": self.permutations if self._cfg.custom_permutations else None,
            "gpu_mode": self._cfg.gpu_mode,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        scheme, seed, values = state["scheme"], state["seed"], state["hashvalues"]
        perms = state["permutations"]
        if perms is None:
            hasher = _hasher(scheme, seed, len(values))
        else:
            hasher = _hasher_from_permutations(scheme, perms)
        self.hashvalues = values
        self._cfg = _Config(
            scheme, seed, len(values), state["hashfunc"], hasher, perms is not None, state["gpu_mode"]
        )
