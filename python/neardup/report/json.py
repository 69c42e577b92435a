"""The JSON report: one stable document, keys sorted (schema documented in the README)."""

from __future__ import annotations

import json
from typing import Any

from neardup.reconcile import SnapshotDiff

SCHEMA_VERSION = 1


def document(diff: SnapshotDiff) -> dict[str, Any]:
    """The report as plain Python data (what `render` serialises)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "threshold": diff.threshold,
        "old": diff.old.to_dict(),
        "new": diff.new.to_dict(),
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
    return json.dumps(document(diff), sort_keys=True, ensure_ascii=False, indent=1) + "\n"
