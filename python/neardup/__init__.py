"""neardup: near-duplicate detection (MinHash/LSH), word-level diffs, and fuzzy reconciliation of
paper-digest snapshots, with a Rust core."""

import sys
import types
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
    from neardup.dedup import DedupResult, dedup
    from neardup.formats import read_snapshot
    from neardup.model import Entry, Snapshot
    from neardup.reconcile import DuplicateGroup, Match, SnapshotDiff, compare

# The Python-level API loads on first use, so that `import neardup` (and with it `neardup diff`, whose
# main job runs in the Rust core) starts quickly: the catalog brings SQLite and numpy, dedup, the format
# readers and the reconciliation dozens of modules and dataclasses. Public name -> module defining it.
_LAZY = {
    "Catalog": "neardup.catalog",
    "DedupResult": "neardup.dedup",
    "dedup": "neardup.dedup",
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


class _Package(types.ModuleType):
    """Keeps `neardup.dedup` the function once the submodule of the same name is imported.

    Importing ``neardup.dedup`` (e.g. by ``neardup.cli_dedup``) binds the submodule as an attribute of
    this package, over the public function of the same name (which used to be bound eagerly, after the
    submodule). Binding the function instead keeps ``neardup.dedup(...)`` working whatever was imported
    first; the submodule stays in `sys.modules` for imports."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "dedup" and isinstance(value, types.ModuleType):
            value = value.dedup
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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
