"""A paper's place in time, derived from its sightings in date order.

Snapshots are ordered by their day, then by id (the order of ingestion breaks ties between snapshots of
one day), whatever order they were added in. From that order follow, for each paper:

* its first and last snapshot: those of its earliest and latest sightings;
* its current version: the version its latest sighting showed;
* its version numbers: versions are the paper's distinct texts, numbered 1, 2, … by their earliest
  sighting, and each version's snapshot is the one that listed it first.

Adding a snapshot dated after every other one only extends that order, so `neardup.catalog.ingest`
updates the touched papers in place; a backfilled snapshot (dated before the latest one) can move any of
these, so its papers are settled again here from all their sightings.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

__all__ = ["settle"]


def settle(conn: sqlite3.Connection, papers: Iterable[int]) -> None:
    """Recomputes first/last snapshot, current version, counts and version numbers of `papers` from
    their sightings in date order (inside the caller's transaction)."""
    todo = sorted(set(papers))
    if not todo:
        return
    rows = conn.execute(
        "SELECT s.paper, s.snapshot, s.version FROM json_each(?) AS j "
        "JOIN sighting AS s ON s.paper = j.value JOIN snapshot AS n ON n.id = s.snapshot "
        "ORDER BY s.paper, n.day, s.snapshot, s.position",
        (json.dumps(todo),),
    )
    paper_rows: list[tuple[int, int, int, int, int, int]] = []
    numbering: list[tuple[int, int, int]] = []
    current: int | None = None
    first = last = sightings = version = 0
    order: dict[int, int] = {}  # version id -> its first snapshot, in order of first sighting

    def flush() -> None:
        if current is None:
            return
        paper_rows.append((first, last, version, sightings, len(order), current))
        numbering.extend((number, snap, vid) for number, (vid, snap) in enumerate(order.items(), start=1))

    for paper, snap, vid in rows:
        if paper != current:
            flush()
            current, first, sightings, order = paper, snap, 0, {}
        last, version = snap, vid
        sightings += 1
        order.setdefault(vid, snap)
    flush()
    conn.executemany(
        "UPDATE paper SET first_snapshot = ?, last_snapshot = ?, current_version = ?, sightings = ?, "
        "versions = ? WHERE id = ?",
        paper_rows,
    )
    # Numbers are unique per paper: move them out of the way before giving the new ones.
    conn.execute(
        "UPDATE version SET number = -number WHERE paper IN (SELECT value FROM json_each(?))",
        (json.dumps(todo),),
    )
    conn.executemany("UPDATE version SET number = ?, snapshot = ? WHERE id = ?", numbering)
