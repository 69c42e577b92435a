"""A paper's place in time, derived from its sightings in date order.

Snapshots are ordered by their day, then by id (the order of ingestion breaks ties between snapshots of
one day), whatever order they were added in. From that order follow, for each paper:

* its first and last snapshot: those of its earliest and latest sightings;
* its current version: the version its latest sighting showed;
* its version numbers: versions are the paper's distinct texts, numbered 1, 2, … by their earliest
  sighting, and each version's snapshot is the one that listed it first;
* which listing was its first sight (``how = "new"``): the earliest one. When a backfill moves that
  first sight, the listing that was ``new`` takes over how the backfilled one was matched (the match
  joined these two listings, in either direction), for sightings and versions alike.

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
        "SELECT s.paper, s.snapshot, s.version, s.position, s.how, s.similarity FROM json_each(?) AS j "
        "JOIN sighting AS s ON s.paper = j.value JOIN snapshot AS n ON n.id = s.snapshot "
        "ORDER BY s.paper, n.day, s.snapshot, s.position",
        (json.dumps(todo),),
    )
    paper_rows: list[tuple[int, int, int, int, int, int]] = []
    numbering: list[tuple[int, int, int]] = []
    hows: list[tuple[str, float | None, int, int]] = []  # sightings: how, similarity, snapshot, position
    current: int | None = None
    first = last = sightings = version = 0
    order: dict[int, int] = {}  # version id -> its first snapshot, in order of first sighting
    listed: list[tuple[int, int, str, float | None]] = []  # (snapshot, position, how, similarity)

    def flush() -> None:
        if current is None:
            return
        paper_rows.append((first, last, version, sightings, len(order), current))
        numbering.extend((number, snap, vid) for number, (vid, snap) in enumerate(order.items(), start=1))
        # The earliest listing is the first sight: swap "new" with how the backfilled one matched.
        head = next(i for i, item in enumerate(listed) if item[2] != "duplicate")
        was_new = next((i for i, item in enumerate(listed) if item[2] == "new"), None)
        if was_new is not None and was_new != head:
            (hs, hp, hhow, hsim), (ns, np_, _, _) = listed[head], listed[was_new]
            hows.extend([("new", None, hs, hp), (hhow, hsim, ns, np_)])

    for paper, snap, vid, position, how, similarity in rows:
        if paper != current:
            flush()
            current, first, sightings, order, listed = paper, snap, 0, {}, []
        last, version = snap, vid
        sightings += 1
        order.setdefault(vid, snap)
        listed.append((snap, position, how, similarity))
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
    if hows:
        conn.executemany(
            "UPDATE sighting SET how = ?, similarity = ? WHERE snapshot = ? AND position = ?", hows
        )
        # A version's "how" is that of the listing that first showed it, now in date order.
        conn.execute(
            "UPDATE version SET how = s.how, similarity = s.similarity FROM "
            "(SELECT g.version, g.how, g.similarity, row_number() OVER (PARTITION BY g.version "
            "ORDER BY n.day, g.snapshot, g.position) AS r FROM json_each(?) AS j "
            "JOIN sighting AS g ON g.paper = j.value JOIN snapshot AS n ON n.id = g.snapshot "
            "WHERE g.how != 'duplicate') AS s WHERE s.r = 1 AND s.version = version.id",
            (json.dumps(todo),),
        )
