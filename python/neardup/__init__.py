"""neardup: near-duplicate detection (MinHash/LSH), word-level diffs, and fuzzy reconciliation of
paper-digest snapshots, with a Rust core."""

from typing import TYPE_CHECKING, Any

from neardup._core import (
    Diff,
    IndexFormatError,
    LSHIndex,
    MinHasher,
    NeardupError,
    __version__,
    diff,
    diff_many,
    jaccard,
    shingle_jaccard,
)
from neardup.dedup import DedupResult, dedup
from neardup.errors import CatalogError, SnapshotFormatError
from neardup.formats import read_snapshot
from neardup.model import Entry, Snapshot
from neardup.reconcile import DuplicateGroup, Match, SnapshotDiff, compare

if TYPE_CHECKING:
    from neardup.catalog import Catalog


def __getattr__(name: str) -> Any:
    # The catalog (SQLite, numpy) loads on first use, so that `neardup diff` starts quickly.
    if name == "Catalog":
        from neardup.catalog import Catalog

        globals()["Catalog"] = Catalog
        return Catalog
    raise AttributeError(f"module 'neardup' has no attribute {name!r}")


__all__ = [
    "Catalog",
    "CatalogError",
    "DedupResult",
    "Diff",
    "DuplicateGroup",
    "Entry",
    "IndexFormatError",
    "LSHIndex",
    "Match",
    "MinHasher",
    "NeardupError",
    "Snapshot",
    "SnapshotDiff",
    "SnapshotFormatError",
    "__version__",
    "compare",
    "dedup",
    "diff",
    "diff_many",
    "jaccard",
    "read_snapshot",
    "shingle_jaccard",
]
