"""The JSON report: one stable document, keys sorted (schema documented in the README)."""

from __future__ import annotations

import json
import math
from typing import Any

from neardup.model import Snapshot
from neardup.reconcile import SnapshotDiff

SCHEMA_VERSION = 1


def _finite(value: Any) -> Any:
    """`value` with every non-finite float (NaN, ±infinity) replaced by its name as a string."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def dumps(value: Any, **options: Any) -> str:
    """`json.dumps` that always writes strict JSON: a non-finite number (``1e999`` in a record) becomes
    the string ``"Infinity"`` (``"-Infinity"``, ``"NaN"``), which every parser accepts, instead of the
    bare ``Infinity`` that JavaScript's and strict parsers refuse. The core's JSON writer does the same."""
    options.setdefault("ensure_ascii", False)
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:  # only non-finite floats make it fail: walk the value once more
        return json.dumps(_finite(value), allow_nan=False, **options)


def _snapshot(snapshot: Snapshot) -> dict[str, Any]:
    """Where a snapshot came from and how many entries it has (entries that differ are listed in full in
    their sections; unchanged ones by position)."""
    return {
        "path": snapshot.path,
        "date": snapshot.date,
        "format": snapshot.format,
        "entries": len(snapshot),
    }


def document(diff: SnapshotDiff) -> dict[str, Any]:
    """The report as plain Python data (what `render` serialises)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "threshold": diff.threshold,
        "old": _snapshot(diff.old),
        "new": _snapshot(diff.new),
        "summary": diff.summary(),
        "changed": [m.to_dict() for m in diff.changed],
        "added": [e.to_dict() for e in diff.added],
        "removed": [e.to_dict() for e in diff.removed],
        "unchanged": [
            {
                **m.evidence_dict(),
                "old_position": m.old.position,
                "new_position": m.new.position,
                "title": m.new.title,
                "match": m.how,
                "meta_changed": list(m.meta_changed),
            }
            for m in diff.unchanged
        ],
        "duplicates": [g.to_dict() for g in diff.duplicates],
    }


def render(diff: SnapshotDiff, **_options: Any) -> str:
    # No indentation: it would switch json to its pure-Python encoder, ten times slower on large reports.
    return dumps(document(diff), sort_keys=True) + "\n"
