"""Reconciliation of two snapshots: which papers were added, removed, kept, kept with changed text, and
which are listed twice.

Every rule lives once, in the Rust core's engine (``rust/neardup-core/src/engine/``); this module hands
it the snapshots as columns and wraps its result in the model's types. The rules, in brief:

1. **key** — the same stable id (a declared id, an arXiv id without version, a DOI);
2. **title** — the same normalised title (DESIGN §5), unless both entries carry different keys;
3. **near** — the evidence of title, abstract, authors, categories and year weighed into one score,
   accepted when it reaches `threshold` and clearly beats each side's runner-up
   (``rust/neardup-core/src/engine/near/decide.rs``; the catalog decides with the same function);

several entries sharing a key or title are paired by ``engine/agree.rs`` (identical texts first, then
agreement of text and metadata). A matched pair whose title or abstract differs after collapsing
whitespace is *changed* and carries a word diff per differing field; volatile metadata (``META_FIELDS``)
only makes an entry changed with ``include_meta=True``. Entries listed more than once within a snapshot
(same key, same title, or near-identical text) form duplicate groups; an extra listing of a matched paper
is reported by its group, not as added or removed.

The catalog (`neardup.catalog`) uses the same engine through `duplicate_groups` and `resolve_shared`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neardup import _core, strict_json
from neardup.defaults import DEFAULT_DUPLICATE_THRESHOLD, DEFAULT_THRESHOLD, threshold_problem
from neardup.model import (
    META_FIELDS,
    DuplicateGroup,
    Entry,
    Match,
    NearEvidence,
    Snapshot,
    SnapshotDiff,
)

__all__ = [
    "DEFAULT_DUPLICATE_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "META_FIELDS",
    "DuplicateGroup",
    "Match",
    "SnapshotDiff",
    "compare",
]


def collapse(text: str) -> str:
    """`text` with its whitespace runs collapsed to single spaces and its ends stripped."""
    return " ".join(text.split())


def _extra_json(extra: Any) -> str | None:
    if not extra:
        return None
    # Strict JSON: the core's reader would drop a bare `Infinity`, and with it the whole object.
    return strict_json.dumps(dict(extra), sort_keys=True, default=str)


def columns(entries: Sequence[Entry]) -> tuple[list[Any], ...]:
    """The engine's input: one list per field, in the order ``src/engine.rs`` reads them."""
    return (
        [e.title for e in entries],
        [e.abstract for e in entries],
        [e.key for e in entries],
        [e.version for e in entries],
        [e.line for e in entries],
        [e.authors for e in entries],
        [e.authors_count for e in entries],
        [e.organization for e in entries],
        [e.published for e in entries],
        [e.upvotes for e in entries],
        [_extra_json(e.extra) for e in entries],
    )


def duplicate_groups(
    entries: Sequence[Entry], label: str, threshold: float = DEFAULT_DUPLICATE_THRESHOLD
) -> list[DuplicateGroup]:
    """Groups of entries of one snapshot listed more than once (the engine's rule inside each side)."""
    groups = _core._duplicate_groups(columns(entries), threshold=threshold)
    return [DuplicateGroup(label, tuple(members), sim) for members, sim in groups]


def resolve_shared(old: Sequence[Entry], new: Sequence[Entry]) -> list[tuple[int, int]]:
    """Which of `old` and `new`, entries sharing one identity, are the same paper: index pairs."""
    return _core._resolve_shared(columns(old), columns(new))


def _evidence(found: tuple[float | None, float | None, float | None] | None) -> NearEvidence | None:
    return None if found is None else NearEvidence(*found)


def compare(
    old: Snapshot | object,
    new: Snapshot | object,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    duplicate_threshold: float = DEFAULT_DUPLICATE_THRESHOLD,
    include_meta: bool = False,
    near: bool = True,
    ignore_fields: Sequence[str] = (),
    text_fields: Sequence[str] = (),
) -> SnapshotDiff:
    """Reconcile two snapshots.

    Args:
        old, new: the two snapshots (e.g. `neardup.read_snapshot` results), or anything
            `neardup.read_snapshot` reads (paths, lists of dicts, Arrow tables, DataFrames).
        threshold: least evidence score of a near match (a log-likelihood ratio, at least 1; see the
            README's "Near matching"); the pair must also beat each side's runner-up by a margin.
        duplicate_threshold: minimum word-3-gram Jaccard of a within-snapshot duplicate, in (0, 1).
        include_meta: let metadata-only differences make an entry changed.
        near: run the near stage (off: match by key and title only).
        ignore_fields: metadata or extra fields never compared (their differences are not reported).
        text_fields: metadata or extra fields whose differences make an entry changed, as a title or
            abstract change does (without `include_meta`).

    Raises:
        ValueError: a threshold is out of range.
    """
    problem = threshold_problem(threshold)
    if problem is not None:
        raise ValueError(f"threshold: {problem}")
    if not 0.0 < duplicate_threshold < 1.0:
        raise ValueError(f"duplicate_threshold: must be in (0, 1), got {duplicate_threshold}")
    if not isinstance(old, Snapshot) or not isinstance(new, Snapshot):
        from neardup.formats import read_snapshot

        old = old if isinstance(old, Snapshot) else read_snapshot(old)
        new = new if isinstance(new, Snapshot) else read_snapshot(new)
    o, n = old.entries, new.entries
    if isinstance(ignore_fields, str) or isinstance(text_fields, str):
        raise TypeError("ignore_fields and text_fields are sequences of field names, not a str")
    unchanged, changed, added, removed, dup_old, dup_new, engine = _core._reconcile(
        columns(o),
        columns(n),
        options=_core._EngineOptions(
            threshold=threshold,
            duplicate_threshold=duplicate_threshold,
            include_meta=include_meta,
            near=near,
            ignore_fields=list(ignore_fields),
            text_fields=list(text_fields),
        ),
    )

    def matches(found: list[Any], is_changed: bool) -> tuple[Match, ...]:
        return tuple(
            Match(o[i], n[j], how, sim, dict(fields), tuple(meta), is_changed, _evidence(evidence))
            for i, j, how, sim, fields, meta, evidence in found
        )

    return SnapshotDiff(
        old=old,
        new=new,
        unchanged=matches(unchanged, False),
        changed=matches(changed, True),
        added=tuple(n[j] for j in added),
        removed=tuple(o[i] for i in removed),
        duplicates=tuple(
            [DuplicateGroup("old", tuple(m), s) for m, s in dup_old]
            + [DuplicateGroup("new", tuple(m), s) for m, s in dup_new]
        ),
        threshold=threshold,
        _engine=engine,
    )
