"""datasketch's ``WeightedMinHash`` and ``WeightedMinHashGenerator`` (Ioffe, "Improved Consistent
Sampling, Weighted Minhash and L1 Sketching", ICDM 2010), bit-identical.

The generator draws its parameters exactly as datasketch does (numpy's ``RandomState(seed)``: gamma,
log-gamma and uniform ``sample_size × dim`` matrices, as float32). Hashing runs in Rust with the GIL
released, one vector or a whole matrix at a time (``minhash_many``, rows on all cores); the logs of
the weights are taken by numpy first (once per nonzero weight), as datasketch takes them, so every
float32 step matches.
"""

from __future__ import annotations

import collections.abc
import copy
import importlib
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup._core import _DsWeighted

__all__ = ["WeightedMinHash", "WeightedMinHashGenerator"]


class WeightedMinHash:
    """A weighted MinHash: ``hashvalues`` is a ``(sample_size, 2)`` integer array of ``(k, t)`` pairs."""

    def __init__(self, seed: int, hashvalues: npt.NDArray[Any]) -> None:
        self.seed = seed
        self.hashvalues = hashvalues

    def jaccard(self, other: WeightedMinHash) -> float:
        """Estimated weighted Jaccard similarity: the share of equal ``(k, t)`` samples."""
        if other.seed != self.seed:
            raise ValueError("Cannot compute Jaccard given WeightedMinHash objects with different seeds")
        if len(self) != len(other):
            raise ValueError(
                "Cannot compute Jaccard given WeightedMinHash objects with different numbers of hash values"
            )
        a = np.asarray(self.hashvalues)
        b = np.asarray(other.hashvalues)
        same = np.all(a.reshape(len(a), -1) == b.reshape(len(b), -1), axis=1)
        return float(np.count_nonzero(same)) / float(len(self))

    def digest(self) -> npt.NDArray[Any]:
        """A copy of the hash values."""
        return copy.copy(self.hashvalues)

    def copy(self) -> WeightedMinHash:
        return WeightedMinHash(self.seed, self.digest())

    def __len__(self) -> int:
        return len(self.hashvalues)

    def __eq__(self, other: object) -> bool:
        return (
            type(self) is type(other)
            and isinstance(other, WeightedMinHash)
            and self.seed == other.seed
            and bool(np.array_equal(self.hashvalues, other.hashvalues))
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"WeightedMinHash(sample_size={len(self)}, seed={self.seed!r})"


class WeightedMinHashGenerator:
    """datasketch's ``WeightedMinHashGenerator(dim, sample_size=128, seed=1)``."""

    def __init__(self, dim: int, sample_size: int = 128, seed: int = 1) -> None:
        self.dim = dim
        self.sample_size = sample_size
        self.seed = seed
        rng = np.random.RandomState(seed=seed)
        self.rs = rng.gamma(2, 1, (sample_size, dim)).astype(np.float32)
        self.ln_cs = np.log(rng.gamma(2, 1, (sample_size, dim))).astype(np.float32)
        self.betas = rng.uniform(0, 1, (sample_size, dim)).astype(np.float32)
        self._engine: _DsWeighted | None = None

    def _core(self) -> _DsWeighted:
        # Built on first use (and after unpickling): users may also replace the matrices.
        if self._engine is None:
            self._engine = _DsWeighted(
                np.ascontiguousarray(self.rs, dtype=np.float32),
                np.ascontiguousarray(self.ln_cs, dtype=np.float32),
                np.ascontiguousarray(self.betas, dtype=np.float32),
            )
        return self._engine

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_engine"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def minhash(self, v: Any) -> WeightedMinHash:
        """The weighted MinHash of a weight vector of length ``dim`` (not all zeros)."""
        if not isinstance(v, collections.abc.Sized):
            raise TypeError("Input vector must be sized")
        if not len(v) == self.dim:
            raise ValueError(f"Input dimension mismatch, expecting {self.dim}")
        w = np.asarray(v, dtype=np.float32).reshape(-1)
        cols = np.flatnonzero(w)
        if len(cols) == 0:
            raise ValueError("Input is all zeros")
        with np.errstate(invalid="ignore", divide="ignore"):
            logs = np.log(w[cols])
        return WeightedMinHash(self.seed, self._core().hash_one(cols, logs))

    def minhash_many(self, X: Any) -> list[WeightedMinHash | None]:
        """One weighted MinHash per row of ``X`` (a numpy or scipy sparse matrix); ``None`` for rows
        that are all zeros. Rows are hashed in Rust on all cores, a CSR float32 matrix in place."""
        try:
            sparse: Any = importlib.import_module("scipy.sparse")
        except ImportError:  # pragma: no cover - scipy comes with datasketch users' installs
            sparse = None
        is_sparse = sparse is not None and sparse.issparse(X)
        if not (is_sparse or isinstance(X, np.ndarray)):
            raise TypeError("Input X must be a sparse matrix or numpy matrix")
        if X.ndim != 2:
            raise ValueError("Input must have two dimensions")
        if X.shape[1] != self.dim:
            raise ValueError(f"Input dimension mismatch, expecting {self.dim}")
        if is_sparse:
            csr = X if X.format == "csr" and X.dtype == np.float32 else sparse.csr_matrix(X, dtype=np.float32)
            if not csr.has_canonical_format:
                # datasketch sorts each row's columns (its argmin keeps the first of equal values) and
                # reads a repeated entry as the sum of its copies.
                csr = csr.copy()
                csr.sum_duplicates()
            indptr, cols, data = csr.indptr, csr.indices, csr.data
        else:
            dense = np.asarray(X, dtype=np.float32)
            rows, cols = np.nonzero(dense)
            data = dense[rows, cols]
            cols = np.ascontiguousarray(cols)  # a strided view of nonzero's index pairs
            indptr = np.zeros(dense.shape[0] + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows, minlength=dense.shape[0]), out=indptr[1:])
        # One numpy log per nonzero weight (datasketch's, bit for bit); an explicit zero's -inf is
        # skipped by the core.
        with np.errstate(invalid="ignore", divide="ignore"):
            logs = np.log(data)
        values, ok = self._core().hash_rows(indptr, cols, logs)
        seed = self.seed
        return [WeightedMinHash(seed, h) if good else None for h, good in zip(values, ok, strict=True)]
