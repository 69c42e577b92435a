"""The JSON report: one stable document, keys sorted (schema documented in the README)."""

from __future__ import annotations

import json
from typing import Any

from neardup.model import Snapshot
from neardup.reconcile import SnapshotDiff

SCHEMA_VERSION = 1


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
    return json.dumps(document(diff), sort_keys=True, ensure_ascii=False) + "\n"
