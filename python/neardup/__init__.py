"""neardup: near-duplicate detection (MinHash/LSH), word-level diffs, and fuzzy reconciliation of
paper-digest snapshots, with a Rust core."""

from importlib import import_module
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
from neardup.errors import CatalogError, SnapshotFormatError

if TYPE_CHECKING:
    from neardup.catalog import Catalog
    from neardup.corpus import DedupResult, dedup, dedup_files
    from neardup.formats import read_snapshot
    from neardup.model import Entry, Snapshot
    from neardup.reconcile import DuplicateGroup, Match, SnapshotDiff, compare

# The Python-level API loads on first use, so that `import neardup` (and with it `neardup diff`, whose
# main job runs in the Rust core) starts quickly: the catalog brings SQLite and numpy, dedup, the format
# readers and the reconciliation dozens of modules and dataclasses. Public name -> module defining it.
_LAZY = {
    "Catalog": "neardup.catalog",
    "DedupResult": "neardup.corpus",
    "dedup": "neardup.corpus",
    "dedup_files": "neardup.corpus",
    "read_snapshot": "neardup.formats",
    "Entry": "neardup.model",
    "Snapshot": "neardup.model",
    "DuplicateGroup": "neardup.reconcile",
    "Match": "neardup.reconcile",
    "SnapshotDiff": "neardup.reconcile",
    "compare": "neardup.reconcile",
}
# Submodules that `import neardup` used to import, and so were reachable as attributes (`neardup.reconcile`).
_SUBMODULES = frozenset({"formats", "identity", "model", "reconcile", "report"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
    "dedup_files",
    "diff",
    "diff_many",
    "jaccard",
    "read_snapshot",
    "shingle_jaccard",
]
