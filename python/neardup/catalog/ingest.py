"""Adding one snapshot to the catalog: group its repeated entries, match each group to a known paper
(`neardup.catalog.match`), and write papers, versions and sightings.

The snapshot is handled as columns, never as an object per entry: the core prepares it
(``rust/neardup-core/src/engine/catalog.rs``), from a file read by the readers of ``neardup diff``
(`prepare_file`) or from the entries of a `Snapshot` (`prepare`), and gives its content hash, its groups
of repeated entries (same key, same title, or near-identical text: the engine's own rule), each group's key
and normalised title, and each entry's sighting metadata as the JSON stored. Every member of a group is a
sighting of the group's paper. A paper's versions are its distinct texts: a matched group whose title and
abstract equal one of the paper's versions (whitespace aside) is a sighting of that version, any other
text makes a new version; metadata never does. A snapshot dated before the latest one (a backfill) then
has its papers' order settled again (`neardup.catalog.history`), so the catalog is the same whatever
order the snapshots were added in.

A snapshot is the same as one in the catalog when both its content hash and its day are: the identical
listing recorded on another day is a new snapshot (that day's sightings), on the same day it is skipped.

Writes are batched from the columns (`executemany`, in key order). A matched group is compared with its
paper's current version first, read in one query; only groups whose text differs from it bring their
paper's other versions in.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any

from neardup import _core
from neardup.catalog.history import settle
from neardup.catalog.match import Matcher
from neardup.catalog.records import AddResult
from neardup.defaults import DEFAULT_DUPLICATE_THRESHOLD
from neardup.errors import SnapshotFormatError
from neardup.model import Snapshot
from neardup.reconcile import collapse, columns

__all__ = ["Prepared", "add_snapshot", "content_hash", "find_snapshot", "prepare", "prepare_file"]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A snapshot as the ingest reads it, one list per field (see `_core._catalog_prepare`).

    Groups are numbered in order of their first entry; ``reps[g]`` is the position of group ``g``'s
    first entry, ``group_of[i]`` the group of entry ``i``.
    """

    path: str | None
    format: str | None
    hash: str
    reps: list[int]
    group_of: list[int]
    keys: list[str | None]
    norm_titles: list[str]
    generic: list[bool]
    metas: list[str]
    upvotes: list[int | None]
    titles: list[str]
    abstracts: list[str]
    near: tuple[list[list[str]], list[list[str]], list[int | None]]
    #: Each group's text digest (`_core._text_digests` of its title and abstract), 16 bytes each.
    digests: bytes

    def digest(self, group: int) -> bytes:
        return self.digests[16 * group : 16 * group + 16]

    def __len__(self) -> int:
        return len(self.titles)


def _prepared(path: str | None, fmt: str | None, made: tuple[Any, ...]) -> Prepared:
    # `made` is Prepared's fields after `format`, in order, with `too_large` between `upvotes` and
    # `titles`.
    fields = list(made)
    too_large = fields.pop(8)
    if too_large is not None:
        # SQLite stores integers of 64 bits: refused here, naming the entry, rather than failing inside
        # the transaction or storing something else.
        line, name, value = too_large
        raise SnapshotFormatError(path or "<snapshot>", line or None, f"{name} within 64 bits", value)
    return Prepared(path, fmt, *fields)


def prepare(snapshot: Snapshot) -> Prepared:
    """The snapshot's entries as the ingest's columns (no database)."""
    made = _core._catalog_prepare(
        columns(snapshot.entries), date=snapshot.date, duplicate_threshold=DEFAULT_DUPLICATE_THRESHOLD
    )
    return _prepared(snapshot.path, snapshot.format, made)


def prepare_file(
    path: str,
    name: str,
    fmt: str,
    *,
    id_field: str | None = None,
    title_field: str | None = None,
    abstract_field: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Prepared | None:
    """The snapshot file at `path` (displayed as `name`, in `fmt`: ``jsonl``, ``csv``, ``hf-json``,
    ``parquet`` or ``arrow``) read by the core into the ingest's columns, or None when some record needs
    the Python reader."""
    made = _core._catalog_read(
        path,
        fmt,
        date=None,  # these formats carry no listing date
        duplicate_threshold=DEFAULT_DUPLICATE_THRESHOLD,
        title_field=title_field,
        abstract_field=abstract_field,
        id_field=id_field,
        int_max_str_digits=sys.get_int_max_str_digits(),
        encoding=encoding,
        delimiter=delimiter,
    )
    return None if made is None else _prepared(name, fmt, made)


def content_hash(snapshot: Snapshot) -> str:
    """SHA-1 (hex) of the snapshot's content: its date and every entry's fields in order, but not its
    path, format or line numbers (so the same listing under another file name is recognised)."""
    return prepare(snapshot).hash


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


def _same_text(title: str, abstract: str, old_title: str, old_abstract: str) -> bool:
    for new, old in ((title, old_title), (abstract, old_abstract)):
        if new != old and collapse(new) != collapse(old):
            return False
    return True


def _current_versions(
    conn: sqlite3.Connection, prepared: Prepared, papers: list[int | None]
) -> list[tuple[int, int]]:
    """For the groups matched to a paper (``papers[g]``, None when new): ``(group, version id)`` of the
    paper's current version when the group's title and abstract are exactly its text (the common case:
    a paper listed again unchanged), told by the versions' digests without reading their texts back (a
    version without a digest is compared by `_versions_of` like any other). The digests are compared in
    SQLite, against the snapshot's as one blob, so that only the matches come back to Python."""
    return conn.execute(
        "SELECT j.key, v.id FROM json_each(?) AS j "
        "JOIN paper AS p ON p.id = j.value "
        "JOIN version AS v INDEXED BY version_digest ON v.id = p.current_version "
        "WHERE v.digest = substr(?, 16 * j.key + 1, 16)",
        (json.dumps(papers), prepared.digests),
    ).fetchall()


def find_snapshot(conn: sqlite3.Connection, prepared: Prepared, day: str) -> AddResult | None:
    """The "already ingested" result when a snapshot with this content hash and day is in the catalog."""
    row = conn.execute("SELECT id FROM snapshot WHERE hash = ? AND day = ?", (prepared.hash, day)).fetchone()
    if row is None:
        return None
    return AddResult(row[0], prepared.hash, prepared.path, len(prepared), already_ingested=True, day=day)


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
    earlier = find_snapshot(conn, prepared, day)
    if earlier is not None:
        return earlier
    # Catalogs written before the near stage was the engine's carry its old index: dropped once.
    conn.execute("DROP TABLE IF EXISTS near_posting")
    conn.execute("DROP TABLE IF EXISTS near_common")
    conn.execute("DELETE FROM meta WHERE name = 'near_index'")
    # Latest in date order (ties go to the later id): the touched papers' order only extends.
    (later,) = conn.execute("SELECT count(*) FROM snapshot WHERE day > ?", (day,)).fetchone()
    n = len(prepared)
    snap = conn.execute(
        "INSERT INTO snapshot(hash, path, format, date, day, entries, added_at) VALUES(?,?,?,?,?,?,?)",
        (prepared.hash, prepared.path, prepared.format, shown, day, n, now.strftime("%Y-%m-%dT%H:%M:%SZ")),
    ).lastrowid
    assert snap is not None
    max_paper, max_version = conn.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM paper), (SELECT coalesce(max(id), 0) FROM version)"
    ).fetchone()

    matcher = Matcher(conn, prepared)
    matcher.by_key()
    matcher.by_title()
    matcher.by_near()

    reps, titles, abstracts = prepared.reps, prepared.titles, prepared.abstracts
    keys, hows, sims = prepared.keys, matcher.how, matcher.similarity
    group_of = prepared.group_of
    groups = len(reps)
    sizes = Counter(group_of)
    paper_of: list[int | None] = list(matcher.paper)  # the new papers' ids are filled in below
    version_of = [0] * groups
    exact = _current_versions(conn, prepared, paper_of)
    for g, version in exact:
        version_of[g] = version
    # A paper listed again unchanged only gains the sightings (its current version stays); every other
    # group (the new papers, and the texts that are not their paper's current version: another version,
    # the same but for whitespace, or a new one) goes through the loop below, in group order, which
    # numbers the new ids.
    seen_again = sorted((paper_of[g], sizes[g], snap) for g, _ in exact)  # in key order, as below
    paper_updates: list[tuple[Any, ...]] = []
    # A paper matched by key has that key; only one matched otherwise may gain it.
    key_updates = [
        (keys[g], p) for g, p in enumerate(paper_of) if p is not None and keys[g] and hows[g] != "key"
    ]
    others = [g for g in range(groups) if not version_of[g]]
    known = _versions_of(conn, [p for g in others if (p := paper_of[g]) is not None])

    new_papers: list[tuple[Any, ...]] = []
    versions: list[tuple[Any, ...]] = []
    new_titles: list[tuple[str, int]] = []
    next_paper, next_version = max_paper + 1, max_version + 1
    for g in others:
        paper = paper_of[g]
        rep = reps[g]
        if paper is None:
            paper, version, number = next_paper, next_version, 1
            next_paper += 1
            next_version += 1
            new_papers.append((paper, keys[g], version, snap, snap, sizes[g], 1))
            paper_of[g] = paper
            revised = True
        else:
            versions_known = known[paper]
            same = next(
                (v[:2] for v in versions_known if _same_text(titles[rep], abstracts[rep], v[2], v[3])),
                None,
            )
            if same is None:
                same = (next_version, versions_known[-1][1] + 1)
                next_version += 1
                versions_known.append((*same, titles[rep], abstracts[rep]))
                revised = True
            else:
                revised = False
            version, number = same
            paper_updates.append((snap, sizes[g], int(revised), version, paper))
        version_of[g] = version
        if revised:
            text = (titles[rep], abstracts[rep], snap, hows[g], sims[g], prepared.digest(g))
            versions.append((version, paper, number, *text))
            if prepared.norm_titles[g]:
                new_titles.append((prepared.norm_titles[g], paper))

    conn.executemany(
        "INSERT INTO paper(id, key, current_version, first_snapshot, last_snapshot, sightings, versions) "
        "VALUES(?,?,?,?,?,?,?)",
        new_papers,
    )
    # In key order: each page of the table is visited once (a paper is matched by one group at most).
    conn.executemany(
        "UPDATE paper SET last_snapshot = ?3, sightings = sightings + ?2 WHERE id = ?1", seen_again
    )
    paper_updates.sort(key=itemgetter(4))
    conn.executemany(
        "UPDATE paper SET last_snapshot = ?, sightings = sightings + ?, versions = versions + ?, "
        "current_version = ? WHERE id = ?",
        paper_updates,
    )
    # Apart: an UPDATE that sets `key` rewrites the key's index entry of every row it touches.
    conn.executemany("UPDATE paper SET key = ? WHERE id = ? AND key IS NULL", key_updates)
    conn.executemany(
        "INSERT INTO version(id, paper, number, title, abstract, snapshot, how, similarity, digest) "
        "VALUES(?,?,?,?,?,?,?,?,?)",
        versions,
    )
    conn.executemany("INSERT OR IGNORE INTO title(norm, paper) VALUES(?,?)", new_titles)
    # The sightings as columns (one per field, each entry taking its group's values), zipped into rows
    # without a Python step per entry; a repeat of its group's first entry is a "duplicate".
    how_of = list(map(hows.__getitem__, group_of))
    similarity_of = list(map(sims.__getitem__, group_of))
    if groups != n:
        for i in sorted(set(range(n)).difference(reps)):
            how_of[i], similarity_of[i] = "duplicate", None
    conn.executemany(
        "INSERT INTO sighting(snapshot, position, paper, version, how, similarity, upvotes, meta) "
        "VALUES(?,?,?,?,?,?,?,?)",
        zip(
            repeat(snap, n),
            range(n),
            map(paper_of.__getitem__, group_of),
            map(version_of.__getitem__, group_of),
            how_of,
            similarity_of,
            prepared.upvotes,
            prepared.metas,
            strict=True,
        ),
    )
    if later:
        settle(conn, [u[-1] for u in paper_updates] + [paper for paper, _, _ in seen_again])
    new_versions = len(versions) - len(new_papers)
    conn.execute(
        "UPDATE snapshot SET new_papers = ?, new_versions = ? WHERE id = ?",
        (len(new_papers), new_versions, snap),
    )
    tally = Counter(hows)
    counts = {stage: tally[stage] for stage in ("key", "title", "near")}
    return AddResult(
        snapshot_id=snap,
        hash=prepared.hash,
        path=prepared.path,
        entries=n,
        new_papers=len(new_papers),
        new_versions=new_versions,
        sightings=n,
        matched=counts,
        duplicates=n - groups,
        already_ingested=False,
        day=day,
    )
