"""Adding one snapshot to the catalog: group its repeated entries, match each group to a known paper with
reconciliation's rules, and write papers, versions, sightings and index entries.

Matching follows `neardup.reconcile.compare`, with the catalog's known papers on the old side:

1. **key**: a known paper with the group's key;
2. **title**: a known paper one of whose versions has the group's normalised title, unless both carry
   different keys; several candidates for one title are chosen by agreement (`reconcile._agreement`);
3. **near**: the near index (`neardup.catalog.nearindex`) proposes candidate papers for each group left,
   and `neardup._core._near_cross` verifies them on their current texts at `reconcile.DEFAULT_THRESHOLD`,
   assigned one to one best score first, skipping pairs whose keys differ.

Each known paper is matched by at most one group per snapshot. Entries listed more than once in the snapshot
(same key, same title, or near-identical text: `reconcile._duplicates`) form one group, and every member
is a sighting of the group's paper. A matched group whose title or abstract differs from the paper's
current version (whitespace aside) makes a new version; metadata never does.

Everything here reads and writes only rows that concern the snapshot's own entries and their candidate
papers, so an add costs in proportion to the snapshot, whatever the size of the catalog.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup import _core
from neardup.catalog.dates import parse_day
from neardup.catalog.nearindex import NearIndex
from neardup.catalog.records import AddResult
from neardup.model import Entry, Snapshot
from neardup.reconcile import (
    DEFAULT_DUPLICATE_THRESHOLD,
    DEFAULT_THRESHOLD,
    TEXT_FIELDS,
    _agreement,
    _collapse,
    _duplicates,
    _text_of,
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
class _Group:
    """Entries of one snapshot that are one paper: positions ascending, the first is the representative."""

    members: tuple[int, ...]
    entry: Entry
    key: str | None
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Prepared:
    """The work done before taking the write lock: hash, groups and near-index signatures."""

    snapshot: Snapshot
    hash: str
    groups: tuple[_Group, ...]
    sigs: npt.NDArray[np.uint32]


def prepare(snapshot: Snapshot, index: NearIndex, digest: str | None = None) -> Prepared:
    """Groups the snapshot's repeated entries and computes their signatures (no database); `digest` is
    its `content_hash` when already computed."""
    entries = snapshot.entries
    titles = [e.norm_title for e in entries]
    grouped: dict[int, tuple[int, ...]] = {}
    if len(entries) > 1:
        for dup in _duplicates(entries, titles, "new", DEFAULT_DUPLICATE_THRESHOLD):
            for position in dup.members:
                grouped[position] = dup.members
    groups: list[_Group] = []
    for position, entry in enumerate(entries):
        members = grouped.get(position, (position,))
        if members[0] != position:
            continue
        key = next((entries[m].key for m in members if entries[m].key), None)
        groups.append(_Group(members, entry, key, titles[position], _text_of(entry)))
    sigs = index.signatures([g.text for g in groups])
    return Prepared(snapshot, digest or content_hash(snapshot), tuple(groups), sigs)


@dataclass(slots=True)
class _Current:
    """A known paper's current version and key."""

    paper: int
    key: str | None
    version: int
    number: int
    title: str
    abstract: str

    def entry(self, meta: dict[str, Any]) -> Entry:
        return Entry(
            title=self.title,
            abstract=self.abstract,
            key=self.key,
            authors=tuple(meta["authors"]) if meta.get("authors") is not None else None,
            organization=meta.get("organization"),
            published=meta.get("published"),
            extra=meta.get("extra") or {},
        )


def _current(conn: sqlite3.Connection, papers: Sequence[int]) -> dict[int, _Current]:
    out: dict[int, _Current] = {}
    if not papers:
        return out
    rows = conn.execute(
        "SELECT p.id, p.key, v.id, v.number, v.title, v.abstract FROM json_each(?) AS j "
        "JOIN paper AS p ON p.id = j.value JOIN version AS v ON v.id = p.current_version",
        (json.dumps(sorted(set(papers))),),
    )
    for pid, key, vid, number, title, abstract in rows:
        out[pid] = _Current(pid, key, vid, number, title, abstract)
    return out


def _last_meta(conn: sqlite3.Connection, paper: int) -> dict[str, Any]:
    row = conn.execute(
        "SELECT meta FROM sighting WHERE paper = ? ORDER BY snapshot DESC, position LIMIT 1", (paper,)
    ).fetchone()
    meta: dict[str, Any] = json.loads(row[0]) if row else {}
    return meta


class _Matcher:
    """Assigns groups to known papers, stage by stage (see the module doc)."""

    def __init__(self, conn: sqlite3.Connection, prepared: Prepared, index: NearIndex) -> None:
        self.conn = conn
        self.groups = prepared.groups
        self.sigs = prepared.sigs
        self.index = index
        n = len(self.groups)
        self.paper: list[int | None] = [None] * n
        self.how: list[str] = ["new"] * n
        self.similarity: list[float | None] = [None] * n
        self.taken: set[int] = set()

    def _assign(self, g: int, paper: int, how: str, similarity: float | None = None) -> None:
        self.paper[g] = paper
        self.how[g] = how
        self.similarity[g] = similarity
        self.taken.add(paper)

    def by_key(self) -> None:
        keyed = [g for g, group in enumerate(self.groups) if group.key]
        if not keyed:
            return
        rows = self.conn.execute(
            "SELECT j.key, p.id FROM json_each(?) AS j JOIN paper AS p ON p.key = j.value",
            (json.dumps([self.groups[g].key for g in keyed]),),
        )
        for i, paper in sorted(rows):
            self._assign(keyed[i], paper, "key")

    def by_title(self) -> None:
        titled = [g for g, group in enumerate(self.groups) if self.paper[g] is None and group.title]
        if not titled:
            return
        rows = self.conn.execute(
            "SELECT j.key, t.paper, p.key FROM json_each(?) AS j JOIN title AS t ON t.norm = j.value "
            "JOIN paper AS p ON p.id = t.paper",
            (json.dumps([self.groups[g].title for g in titled]),),
        )
        papers_of: dict[str, set[int]] = defaultdict(set)
        paper_key: dict[int, str | None] = {}
        for i, paper, key in rows:
            papers_of[self.groups[titled[i]].title].add(paper)
            paper_key[paper] = key
        groups_of: dict[str, list[int]] = defaultdict(list)
        for g in titled:
            if self.groups[g].title in papers_of:
                groups_of[self.groups[g].title].append(g)
        entries: dict[int, Entry] = {}
        for title, gs in groups_of.items():  # in order of the first group listing each title
            ps = sorted(p for p in papers_of[title] if p not in self.taken)
            pairs = [
                (g, p)
                for g in gs
                for p in ps
                if not (self.groups[g].key and paper_key[p] and self.groups[g].key != paper_key[p])
            ]
            if len(gs) == 1 and len(ps) == 1:
                if pairs:
                    self._assign(*pairs[0], "title")
                continue
            # Several known papers share the title (or several groups do): best agreement first.
            missing = [p for p in ps if p not in entries]
            for p, cur in _current(self.conn, missing).items():
                entries[p] = cur.entry(_last_meta(self.conn, p))
            scored = sorted((-_agreement(entries[p], self.groups[g].entry), g, p) for g, p in pairs)
            for _neg, g, p in scored:
                if self.paper[g] is None and p not in self.taken:
                    self._assign(g, p, "title")

    def by_near(self, papers_known: int) -> None:
        rest = [g for g in range(len(self.groups)) if self.paper[g] is None]
        if not rest or papers_known == 0:
            return
        proposals = self.index.candidates(self.sigs[rest], papers_known=papers_known)
        pool = sorted({p for ps in proposals for p in ps} - self.taken)
        if not pool:
            return
        known = _current(self.conn, pool)
        li, ri, scores = _core._near_cross(
            [f"{known[p].title}\n{known[p].abstract}" for p in pool],
            [self.groups[g].text for g in rest],
            threshold=DEFAULT_THRESHOLD,
            one_to_one=False,
        )
        # Pairs arrive best first; the greedy assignment skips pairs whose keys say they differ.
        for a, b, s in zip(li.tolist(), ri.tolist(), scores.tolist(), strict=True):
            p, g = pool[a], rest[b]
            key = self.groups[g].key
            if self.paper[g] is not None or p in self.taken or (key and known[p].key and key != known[p].key):
                continue
            self._assign(g, p, "near", float(s))


def _changed(group: _Group, cur: _Current) -> bool:
    for name, old in zip(TEXT_FIELDS, (cur.title, cur.abstract), strict=True):
        new = getattr(group.entry, name)
        if new != old and _collapse(new) != _collapse(old):
            return True
    return False


def _sighting_meta(entry: Entry) -> str:
    meta = {name: getattr(entry, name) for name in _META_FIELDS}
    meta["authors"] = list(entry.authors) if entry.authors is not None else None
    meta["extra"] = dict(entry.extra)
    return _json(meta)


def find_snapshot(conn: sqlite3.Connection, digest: str, snapshot: Snapshot) -> AddResult | None:
    """The "already ingested" result when a snapshot with this content hash is in the catalog."""
    row = conn.execute("SELECT id FROM snapshot WHERE hash = ?", (digest,)).fetchone()
    if row is None:
        return None
    return AddResult(row[0], digest, snapshot.path, len(snapshot.entries), already_ingested=True)


def add_snapshot(
    conn: sqlite3.Connection,
    prepared: Prepared,
    index: NearIndex,
    *,
    date: str | None,
    now: dt.datetime,
) -> AddResult:
    """Adds a prepared snapshot; runs inside the caller's write transaction (all or nothing)."""
    snapshot = prepared.snapshot
    earlier = find_snapshot(conn, prepared.hash, snapshot)
    if earlier is not None:
        return earlier
    index.ensure()
    shown = date if date is not None else snapshot.date
    day = parse_day(shown, default_year=now.year) or now.date().isoformat()
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

    matcher = _Matcher(conn, prepared, index)
    matcher.by_key()
    matcher.by_title()
    matcher.by_near(max_paper)
    current = _current(conn, [p for p in matcher.paper if p is not None])

    groups = prepared.groups
    new_papers: list[tuple[Any, ...]] = []
    paper_updates: list[tuple[Any, ...]] = []
    versions: list[tuple[Any, ...]] = []
    titles: list[tuple[str, int]] = []
    sightings: list[tuple[Any, ...]] = []
    indexed_papers: list[int] = []
    indexed_rows: list[int] = []
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
            cur = current[paper]
            revised = _changed(group, cur)
            if revised:
                version, number = next_version, cur.number + 1
                next_version += 1
            else:
                version, number = cur.version, cur.number
            paper_updates.append((snap, len(group.members), int(revised), version, group.key, paper))
        if revised:
            versions.append(
                (version, paper, number, group.entry.title, group.entry.abstract, snap, how, similarity)
            )
            if group.title:
                titles.append((group.title, paper))
            indexed_papers.append(paper)
            indexed_rows.append(g)
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
    index.add(indexed_papers, prepared.sigs[indexed_rows])
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
    )
