"""neardup: near-duplicate detection (MinHash/LSH), word-level diffs, and fuzzy reconciliation of
paper-digest snapshots, with a Rust core."""

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
from neardup.catalog import Catalog
from neardup.dedup import DedupResult, dedup
from neardup.errors import CatalogError, SnapshotFormatError
from neardup.formats import read_snapshot
from neardup.model import Entry, Snapshot
from neardup.reconcile import DuplicateGroup, Match, SnapshotDiff, compare

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
