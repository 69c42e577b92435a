"""Adding one snapshot to the catalog: group its repeated entries, match each group to a known paper
(`neardup.catalog.match`), and write papers, versions and sightings.

Entries listed more than once in the snapshot (same key, same title, or near-identical text:
`reconcile.duplicate_groups`) form one group, and every member is a sighting of the group's paper. A
paper's versions are its distinct texts: a matched group whose title and abstract equal one of the paper's
versions (whitespace aside) is a sighting of that version, any other text makes a new version; metadata
never does. A snapshot dated before the latest one (a backfill) then has its papers' order settled again
(`neardup.catalog.history`), so the catalog is the same whatever order the snapshots were added in.

A snapshot is the same as one in the catalog when both its content hash and its day are: the identical
listing recorded on another day is a new snapshot (that day's sightings), on the same day it is skipped.

Everything here reads and writes only rows that concern the snapshot's own entries and their candidate
papers, so an add costs in proportion to the snapshot, whatever the size of the catalog.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from neardup.catalog.history import settle
from neardup.catalog.match import Group, Matcher
from neardup.catalog.records import AddResult
from neardup.errors import SnapshotFormatError
from neardup.model import Entry, Snapshot
from neardup.reconcile import (
    DEFAULT_DUPLICATE_THRESHOLD,
    TEXT_FIELDS,
    collapse,
    duplicate_groups,
)

__all__ = ["Prepared", "add_snapshot", "content_hash", "find_snapshot", "prepare"]

_META_FIELDS = ("key", "version", "authors", "authors_count", "organization", "published", "line")


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _json(value: Any) -> str:
    return _ENCODER.encode(value)


def content_hash(snapshot: Snapshot) -> str:
    """SHA-256 (hex) of the snapshot's content: its date and every entry's fields in order, but not its
    path, format or line numbers (so the same listing under another file name is recognised).

    Each entry contributes the ``repr`` of a tuple of its fields (``extra`` as sorted items): exact,
    unambiguous, and several times faster than a JSON rendering of the same."""
    h = hashlib.sha256(repr(("neardup-snapshot", 1, snapshot.date)).encode())
    for e in snapshot.entries:
        fields = (
            e.title,
            e.abstract,
            e.key,
            e.version,
            e.authors,
            e.authors_count,
            e.organization,
            e.published,
            e.upvotes,
            sorted(e.extra.items()),
        )
        h.update(repr(fields).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Prepared:
    """The work done before taking the write lock: hash and groups."""

    snapshot: Snapshot
    hash: str
    groups: tuple[Group, ...]


_INT64 = range(-(1 << 63), 1 << 63)


def _check_integers(snapshot: Snapshot) -> None:
    """Refuses an entry whose upvote or author count SQLite cannot store (beyond 64 bits), naming it,
    rather than failing inside the transaction or storing something else."""
    for e in snapshot.entries:
        for name in ("upvotes", "authors_count"):
            value = getattr(e, name)
            if isinstance(value, int) and value not in _INT64:
                raise SnapshotFormatError(
                    snapshot.path or "<snapshot>", e.line, f"{name} within 64 bits", str(value)
                )


def prepare(snapshot: Snapshot, digest: str | None = None) -> Prepared:
    """Groups the snapshot's repeated entries (no database); `digest` is its `content_hash` when already
    computed."""
    _check_integers(snapshot)
    entries = snapshot.entries
    titles = [e.norm_title for e in entries]
    grouped: dict[int, tuple[int, ...]] = {}
    if len(entries) > 1:
        for dup in duplicate_groups(entries, "new", DEFAULT_DUPLICATE_THRESHOLD):
            for position in dup.members:
                grouped[position] = dup.members
    groups: list[Group] = []
    for position, entry in enumerate(entries):
        members = grouped.get(position, (position,))
        if members[0] != position:
            continue
        key = next((entries[m].key for m in members if entries[m].key), None)
        groups.append(Group(members, entry, key, titles[position], f"{entry.title}\n{entry.abstract}"))
    return Prepared(snapshot, digest or content_hash(snapshot), tuple(groups))


def _same_text(entry: Entry, title: str, abstract: str) -> bool:
    for name, old in zip(TEXT_FIELDS, (title, abstract), strict=True):
        new = getattr(entry, name)
        if new != old and collapse(new) != collapse(old):
            return False
    return True


def _versions_of(conn: sqlite3.Connection, papers: list[int]) -> dict[int, list[tuple[int, int, str, str]]]:
    """Every version (id, number, title, abstract) of `papers`, by number."""
    out: dict[int, list[tuple[int, int, str, str]]] = {}
    if not papers:
        return out
    rows = conn.execute(
        "SELECT v.paper, v.id, v.number, v.title, v.abstract FROM json_each(?) AS j "
        "JOIN version AS v ON v.paper = j.value ORDER BY v.paper, v.number",
        (json.dumps(sorted(set(papers))),),
    )
    for paper, vid, number, title, abstract in rows:
        out.setdefault(paper, []).append((vid, number, title, abstract))
    return out


def _sighting_meta(entry: Entry) -> str:
    meta = {name: getattr(entry, name) for name in _META_FIELDS}
    meta["authors"] = list(entry.authors) if entry.authors is not None else None
    meta["extra"] = dict(entry.extra)
    return _json(meta)


def find_snapshot(conn: sqlite3.Connection, digest: str, snapshot: Snapshot, day: str) -> AddResult | None:
    """The "already ingested" result when a snapshot with this content hash and day is in the catalog."""
    row = conn.execute("SELECT id FROM snapshot WHERE hash = ? AND day = ?", (digest, day)).fetchone()
    if row is None:
        return None
    return AddResult(row[0], digest, snapshot.path, len(snapshot.entries), already_ingested=True, day=day)


def add_snapshot(
    conn: sqlite3.Connection,
    prepared: Prepared,
    *,
    shown: str | None,
    day: str,
    now: dt.datetime,
) -> AddResult:
    """Adds a prepared snapshot with its date as displayed (`shown`) and its ISO `day`; runs inside the
    caller's write transaction (all or nothing)."""
    snapshot = prepared.snapshot
    earlier = find_snapshot(conn, prepared.hash, snapshot, day)
    if earlier is not None:
        return earlier
    # Catalogs written before the near stage was the engine's carry its old index: dropped once.
    conn.execute("DROP TABLE IF EXISTS near_posting")
    conn.execute("DROP TABLE IF EXISTS near_common")
    conn.execute("DELETE FROM meta WHERE name = 'near_index'")
    # Latest in date order (ties go to the later id): the touched papers' order only extends.
    (later,) = conn.execute("SELECT count(*) FROM snapshot WHERE day > ?", (day,)).fetchone()
    snap = conn.execute(
        "INSERT INTO snapshot(hash, path, format, date, day, entries, added_at) VALUES(?,?,?,?,?,?,?)",
        (
            prepared.hash,
            snapshot.path,
            snapshot.format,
            shown,
            day,
            len(snapshot.entries),
            now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ),
    ).lastrowid
    assert snap is not None
    max_paper, max_version = conn.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM paper), (SELECT coalesce(max(id), 0) FROM version)"
    ).fetchone()

    matcher = Matcher(conn, prepared.groups)
    matcher.by_key()
    matcher.by_title()
    matcher.by_near()
    known = _versions_of(conn, [p for p in matcher.paper if p is not None])

    groups = prepared.groups
    new_papers: list[tuple[Any, ...]] = []
    paper_updates: list[tuple[Any, ...]] = []
    versions: list[tuple[Any, ...]] = []
    titles: list[tuple[str, int]] = []
    sightings: list[tuple[Any, ...]] = []
    next_paper, next_version = max_paper + 1, max_version + 1
    entries = snapshot.entries
    for g, group in enumerate(groups):
        paper = matcher.paper[g]
        how, similarity = matcher.how[g], matcher.similarity[g]
        if paper is None:
            paper, version, number = next_paper, next_version, 1
            next_paper += 1
            next_version += 1
            new_papers.append((paper, group.key, version, snap, snap, len(group.members), 1))
            revised = True
        else:
            versions_known = known[paper]
            same = next((v for v in versions_known if _same_text(group.entry, v[2], v[3])), None)
            revised = same is None
            if same is None:
                version, number = next_version, versions_known[-1][1] + 1
                next_version += 1
                versions_known.append((version, number, group.entry.title, group.entry.abstract))
            else:
                version, number = same[0], same[1]
            paper_updates.append((snap, len(group.members), int(revised), version, group.key, paper))
        if revised:
            versions.append(
                (version, paper, number, group.entry.title, group.entry.abstract, snap, how, similarity)
            )
            if group.title:
                titles.append((group.title, paper))
        for i, position in enumerate(group.members):
            entry = entries[position]
            sightings.append(
                (
                    snap,
                    position,
                    paper,
                    version,
                    how if i == 0 else "duplicate",
                    similarity if i == 0 else None,
                    entry.upvotes,
                    _sighting_meta(entry),
                )
            )

    conn.executemany(
        "INSERT INTO paper(id, key, current_version, first_snapshot, last_snapshot, sightings, versions) "
        "VALUES(?,?,?,?,?,?,?)",
        new_papers,
    )
    conn.executemany(
        "UPDATE paper SET last_snapshot = ?, sightings = sightings + ?, versions = versions + ?, "
        "current_version = ?, key = coalesce(key, ?) WHERE id = ?",
        paper_updates,
    )
    conn.executemany(
        "INSERT INTO version(id, paper, number, title, abstract, snapshot, how, similarity) "
        "VALUES(?,?,?,?,?,?,?,?)",
        versions,
    )
    conn.executemany("INSERT OR IGNORE INTO title(norm, paper) VALUES(?,?)", titles)
    conn.executemany(
        "INSERT INTO sighting(snapshot, position, paper, version, how, similarity, upvotes, meta) "
        "VALUES(?,?,?,?,?,?,?,?)",
        sightings,
    )
    if later:
        settle(conn, [u[-1] for u in paper_updates])
    new_versions = len(versions) - len(new_papers)
    conn.execute(
        "UPDATE snapshot SET new_papers = ?, new_versions = ? WHERE id = ?",
        (len(new_papers), new_versions, snap),
    )
    matched = {stage: sum(1 for how in matcher.how if how == stage) for stage in ("key", "title", "near")}
    return AddResult(
        snapshot_id=snap,
        hash=prepared.hash,
        path=snapshot.path,
        entries=len(entries),
        new_papers=len(new_papers),
        new_versions=new_versions,
        sightings=len(sightings),
        matched=matched,
        duplicates=len(entries) - len(groups),
        already_ingested=False,
        day=day,
    )
