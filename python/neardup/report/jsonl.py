"""The JSON Lines report: a ``summary`` record, then one record per changed, added, removed, unchanged
entry and duplicate group, each with a ``kind`` field; keys sorted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from neardup.reconcile import SnapshotDiff
from neardup.report.json import SCHEMA_VERSION, _snapshot, dumps


def records(diff: SnapshotDiff) -> Iterator[dict[str, Any]]:
    yield {
        "kind": "summary",
        "schema_version": SCHEMA_VERSION,
        "old": _snapshot(diff.old),
        "new": _snapshot(diff.new),
        **diff.summary(),
    }
    for m in diff.changed:
        yield {"kind": "changed", **m.to_dict()}
    for e in diff.added:
        yield {"kind": "added", "entry": e.to_dict()}
    for e in diff.removed:
        yield {"kind": "removed", "entry": e.to_dict()}
    for m in diff.unchanged:
        yield {
            "kind": "unchanged",
            "old_position": m.old.position,
            "new_position": m.new.position,
            "title": m.new.title,
            "match": m.how,
            "meta_changed": list(m.meta_changed),
        }
    for g in diff.duplicates:
        yield {"kind": "duplicates", **g.to_dict()}


def render(diff: SnapshotDiff, **_options: Any) -> str:
    return "".join(dumps(r, sort_keys=True) + "\n" for r in records(diff))
