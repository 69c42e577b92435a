"""Type stubs and user-facing docs of the Rust extension ``neardup._core``."""

from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any, final

import numpy as np
import numpy.typing as npt

__version__: str

class NeardupError(Exception):
    """Base class of neardup's domain errors."""

class IndexFormatError(NeardupError):
    """A saved index is truncated, corrupt, of a newer format, or not an index at all."""

# ---- MinHash ---------------------------------------------------------------------------------------

@final
class MinHasher:
    """MinHash signatures of texts, computed in the Rust core.

    Texts are normalised (NFKC + lower case, unless ``normalize=False``), tokenised into words (runs of
    ``\\w``) or characters, and cut into ``ngram`` shingles. ``scheme="oph"`` (default) is one-permutation
    hashing with optimal densification; ``"kperm"`` is classic k-permutation MinHash.
    """

    def __new__(
        cls,
        num_perm: int = 128,
        *,
        ngram: int = 3,
        unit: str = "word",
        seed: int = 1,
        normalize: bool = True,
        scheme: str = "oph",
    ) -> MinHasher: ...
    @property
    def num_perm(self) -> int: ...
    @property
    def ngram(self) -> int: ...
    @property
    def unit(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def normalize(self) -> bool: ...
    @property
    def scheme(self) -> str: ...
    def signature(self, text_: str, /) -> npt.NDArray[np.uint32]:
        """Signature of one text: uint32 array of length ``num_perm``."""
    def signatures(self, texts_: Iterable[str] | Any, /) -> npt.NDArray[np.uint32]:
        """Signatures of many texts (a sequence of str or a pyarrow string array): ``(n, num_perm)``,
        computed in parallel with the GIL released."""
    def signatures_from_tokens(self, docs: Iterable[Sequence[str]], /) -> npt.NDArray[np.uint32]:
        """Signatures of texts the caller tokenised (tokens are not normalised)."""
    def __reduce__(self) -> Any: ...

def jaccard(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32], /) -> float:
    """Estimated Jaccard similarity of two signatures (0.0 if either is the empty-set signature)."""

def shingle_jaccard(
    a: str, b: str, /, *, ngram: int = 3, unit: str = "word", normalize: bool = True
) -> float:
    """Exact Jaccard similarity of the shingle sets of two texts (0.0 if either has no shingle)."""

# ---- LSH -------------------------------------------------------------------------------------------

@final
class LSHIndex:
    """Banded LSH index over MinHash signatures. Keys are int or str.

    ``(bands, rows)`` minimise the weighted false-positive and false-negative areas at ``threshold``
    (datasketch's rule), unless ``params=(bands, rows)`` is given.
    """

    def __new__(
        cls,
        threshold: float = 0.5,
        num_perm: int = 128,
        *,
        weights: tuple[float, float] = (0.5, 0.5),
        params: tuple[int, int] | None = None,
    ) -> LSHIndex: ...
    @property
    def bands(self) -> int: ...
    @property
    def rows(self) -> int: ...
    @property
    def num_perm(self) -> int: ...
    @property
    def threshold(self) -> float | None: ...
    def insert(self, key_: int | str, sig: npt.NDArray[np.uint32], /) -> None:
        """Inserts one key; a key already present raises ValueError."""
    def insert_many(
        self, keys: Iterable[int | str], sigs: npt.NDArray[np.uint32] | Iterable[Any], /
    ) -> None:
        """Inserts many keys at once (all or nothing)."""
    def query(self, sig: npt.NDArray[np.uint32], /) -> list[int | str]:
        """Keys sharing at least one band with ``sig``, in insertion order."""
    def query_many(
        self, sigs: npt.NDArray[np.uint32] | Iterable[Any], /
    ) -> list[list[int | str]]:
        """``query`` for each row, in parallel."""
    def remove(self, key_: int | str, /) -> None:
        """Removes a key; KeyError if absent."""
    def keys(self) -> list[int | str]:
        """Live keys in insertion order."""
    def key_at(self, index: int, /) -> int | str:
        """Key of an insertion index, as used by ``candidate_pairs``."""
    def candidate_pairs(self) -> npt.NDArray[np.int64]:
        """All pairs of insertion indices sharing a band, each once, as an ``(m, 2)`` array, sorted."""
    def to_bytes(self) -> bytes:
        """The versioned binary form read by ``from_bytes``."""
    @staticmethod
    def from_bytes(data: bytes, /) -> LSHIndex:
        """Reads ``to_bytes`` output; IndexFormatError on anything else."""
    def save(self, path: str | PathLike[str], /) -> None: ...
    @staticmethod
    def load(path: str | PathLike[str], /) -> LSHIndex:
        """Loads a saved index; IndexFormatError if the file is truncated or not an index."""
    def __len__(self) -> int: ...
    def __contains__(self, key_: object, /) -> bool: ...
    def __reduce__(self) -> Any: ...

# ---- clustering ------------------------------------------------------------------------------------

def _dedup(
    texts_: Iterable[str],
    /,
    *,
    threshold: float = 0.8,
    ngram: int = 3,
    num_perm: int = 128,
    unit: str = "word",
    seed: int = 1,
) -> tuple[list[tuple[int, int, float]], list[list[int]]]: ...
