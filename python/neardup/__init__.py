"""neardup: near-duplicate detection (MinHash/LSH), word-level diffs, and fuzzy reconciliation of
paper-digest snapshots, with a Rust core."""

from neardup._core import (
    IndexFormatError,
    LSHIndex,
    MinHasher,
    NeardupError,
    __version__,
    jaccard,
    shingle_jaccard,
)

__all__ = [
    "IndexFormatError",
    "LSHIndex",
    "MinHasher",
    "NeardupError",
    "__version__",
    "jaccard",
    "shingle_jaccard",
]
