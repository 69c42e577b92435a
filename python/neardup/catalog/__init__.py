"""The catalog: one history of papers across any number of snapshots, in an embedded SQLite database.

>>> from neardup import Catalog, read_snapshot                          # doctest: +SKIP
>>> with Catalog("papers.db") as catalog:                               # doctest: +SKIP
...     catalog.add(read_snapshot("2024-07-30.txt")).summary_line()
'2024-07-30.txt: snapshot 1, 92 entries: 92 new papers, 0 new versions, 92 sightings'

Each snapshot is reconciled against the papers already known with the rules of `neardup.compare` (key →
normalised title → verified near-duplicate; see `neardup.catalog.ingest`), in one transaction, so the catalog
only ever holds whole snapshots. Snapshots are ordered by their date, not by the order they were added in: a
backfilled snapshot takes its place in each paper's history (`neardup.catalog.history`). A snapshot whose
content hash and day are already in the catalog is not added again; the identical listing on another day is
recorded as that day's sightings.
Near matches are decided by the engine's own near rule (`neardup.catalog.match`), the one `neardup.compare`
applies.

Besides listings of snapshots and papers, it answers a reader's first questions: a paper by id, key or title
(`Catalog.find`, `Catalog.history`; see `neardup.catalog.lookup`), and which papers dropped out of the
listings since a snapshot or a day (`Catalog.dropped`).

Several processes may use one catalog: reads never wait, and writers take turns (WAL journal, a busy
timeout); a writer that cannot get the lock in time gets a `CatalogError` saying the database is busy.
A `Catalog` object holds one connection and belongs to the thread that opened it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Any

from neardup._core import diff_many
from neardup.catalog.dates import parse_day
from neardup.catalog.ingest import Prepared, add_snapshot, content_hash, find_snapshot, prepare, prepare_file
from neardup.catalog.lookup import MAX_CANDIDATES, AmbiguousPaperError, find_papers
from neardup.catalog.records import (
    AddResult,
    PaperHistory,
    PaperRecord,
    SightingRecord,
    SnapshotRecord,
    VersionRecord,
)
from neardup.catalog.schema import (
    SCHEMA_VERSION,
    IntegrityCheck,
    busy_or_damaged,
    check_integrity,
    connect,
    references_unchecked,
    transaction,
)
from neardup.errors import CatalogError
from neardup.model import TEXT_FIELDS, Snapshot
from neardup.reconcile import collapse

__all__ = [
    "DEFAULT_TIMEOUT",
    "SCHEMA_VERSION",
    "AddResult",
    "AmbiguousPaperError",
    "Catalog",
    "CatalogError",
    "PaperHistory",
    "PaperRecord",
    "SightingRecord",
    "SnapshotRecord",
    "VersionRecord",
    "content_hash",
]

#: Seconds a writer waits for another process's write transaction before giving up as busy.
DEFAULT_TIMEOUT = 30.0

_PAPER_COLUMNS = (
    "SELECT p.id, p.key, v.title, p.first_snapshot, p.last_snapshot, f.day, l.day, p.sightings, "
    "p.versions FROM paper AS p JOIN version AS v ON v.id = p.current_version "
    "JOIN snapshot AS f ON f.id = p.first_snapshot JOIN snapshot AS l ON l.id = p.last_snapshot"
)

_PAPER_ORDER = "f.day, p.first_snapshot, p.id"


def _sighting_meta(text: str) -> dict[str, Any]:
    """A sighting's stored metadata with every member (stored rows leave out those the entry lacks)."""
    meta: dict[str, Any] = {
        "authors": None,
        "authors_count": None,
        "extra": {},
        "key": None,
        "line": None,
        "organization": None,
        "published": None,
        "version": None,
    }
    meta.update(json.loads(text))
    return meta


def _listing_day(shown: str | None, date: str | None) -> tuple[str, dt.datetime]:
    """The ISO day a snapshot listed on `shown` takes its place on (today, UTC, without a date), and now.

    Raises:
        ValueError: `date` (the caller's) is not a date.
    """
    now = dt.datetime.now(dt.UTC)
    day = parse_day(shown, today=now.date())
    if day is None:
        if date is not None:
            raise ValueError(f"date: expected a date such as 2024-07-30, got {date!r}")
        day = now.date().isoformat()
    return day, now


class Catalog:
    """A catalog of papers seen across snapshots, stored in the SQLite database at `path`.

    Args:
        path: the database file (created when missing, if `create`), or ``":memory:"``.
        timeout: seconds to wait for another process's write transaction before `add` gives up with a
            "database is busy" `CatalogError`.
        create: create the catalog when the file does not exist (else CatalogError "no such catalog").

    Raises:
        CatalogError: the file is not a neardup catalog, has a newer schema version, is damaged, does
            not exist (without `create`), or is busy.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT, create: bool = True
    ) -> None:
        self._path = os.fspath(path)
        self._timeout = float(timeout)
        self._conn: sqlite3.Connection | None = connect(self._path, timeout=self._timeout, create=create)
        self._intact = False  # whether the database passed its integrity check (done before a first write)

    @property
    def path(self) -> str:
        """The database file as given."""
        return self._path

    def __repr__(self) -> str:
        state = "closed" if self._conn is None else "open"
        return f"Catalog({self._path!r}, {state})"

    def __enter__(self) -> Catalog:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Closes the database connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if self._conn is None:
            raise CatalogError(self._path, "catalog is closed")
        try:
            yield self._conn
        except sqlite3.Error as exc:
            raise busy_or_damaged(self._path, exc, self._timeout) from None

    # ---- writing -----------------------------------------------------------------------------------

    def add(
        self,
        snapshot: Snapshot,
        *,
        date: str | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> AddResult:
        """Ingests one snapshot: every entry becomes a sighting of a new or known paper, and known papers
        listed with a changed title or abstract get a new version. All or nothing.

        A snapshot is identified by its content hash (SHA-1 of its date and entries: every field but
        the line numbers, not its path) and its day. Adding one already in the catalog on the same day
        changes nothing and returns a result with ``already_ingested=True``; the same listing on
        another day (another ``date``, or no date and added on another day) is a new snapshot.

        Args:
            snapshot: the snapshot, e.g. from `neardup.read_snapshot`.
            date: the listing date to record instead of ``snapshot.date`` (ISO ``YYYY-MM-DD``, or as
                displayed, e.g. ``"Jul 30"``: without a year, the latest such day up to today). It
                places the snapshot in the catalog's history; without any date, it is today (UTC).
            progress: called with the name of each phase as it starts (``"grouping"``, ``"matching"``),
                e.g. to drive a progress bar.

        Raises:
            CatalogError: the database is busy (another writer held it past the timeout) or damaged.
            TypeError: `snapshot` is not a `Snapshot`.
            ValueError: `date` is not a date.
        """
        if not isinstance(snapshot, Snapshot):
            raise TypeError(f"add() expects a neardup.Snapshot, not {type(snapshot).__name__}")
        return self._add_snapshot(snapshot, date, progress, self._integrity_check())

    def _add_snapshot(
        self,
        snapshot: Snapshot,
        date: str | None,
        progress: Callable[[str], None] | None,
        check: IntegrityCheck | None,
    ) -> AddResult:
        shown = snapshot.date if date is None else date
        day, now = _listing_day(shown, date)
        if progress is not None:
            progress("grouping")
        return self._add(prepare(snapshot), shown, day, now, progress, check)

    def add_file(
        self,
        path: str | os.PathLike[str],
        *,
        from_format: str = "auto",
        id_field: str | None = None,
        title_field: str | None = None,
        abstract_field: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        date: str | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> AddResult:
        """`add` of the snapshot file at `path` (as `neardup.read_snapshot` reads it, with the same
        arguments; ``"-"`` is standard input). JSON Lines, CSV and hf-json files are read by the core
        straight into columns, with no Python object per entry; other inputs go through
        `neardup.read_snapshot`. Same result and errors as ``add(read_snapshot(path, ...))``.

        Raises:
            SnapshotFormatError: the file cannot be read or is not valid in its format.
            CatalogError, ValueError: as `add`.
        """
        from neardup import formats, spool
        from neardup.fast_diff import _core_source

        day, now = _listing_day(date, date)
        if progress is not None:
            progress("reading")
        with ExitStack() as stack:
            # Standard input and pipes are copied to a temporary file first, read like any file from there.
            path, name = spool.rereadable(path, stack)
            source = (
                None
                if from_format not in ("auto", "jsonl", "csv", "hf-json", "parquet", "arrow")
                else _core_source(path, from_format, encoding, delimiter, name)
            )
            prepared = None
            check = self._integrity_check()
            if source is not None:
                if progress is not None:
                    progress("grouping")
                prepared = prepare_file(
                    path,
                    source[0],
                    source[1],
                    id_field=id_field,
                    title_field=title_field,
                    abstract_field=abstract_field,
                    encoding=encoding,
                    delimiter=delimiter,
                )
            if prepared is None:  # the Python reader reads it, or says why it cannot
                snapshot = formats.read_snapshot(
                    spool.readable(path, name, stack),
                    from_format,
                    id_field=id_field,
                    title_field=title_field,
                    abstract_field=abstract_field,
                    encoding=encoding,
                    delimiter=delimiter,
                )
                return self._add_snapshot(snapshot, date, progress, check)
        return self._add(prepared, date, day, now, progress, check)

    def _integrity_check(self) -> IntegrityCheck | None:
        """The database's integrity check, started beside the snapshot's reading when it has not passed
        one yet (None when it has, or when the catalog is closed: `_add` says so)."""
        if self._intact or self._conn is None:
            return None
        return IntegrityCheck(self._path, self._timeout)

    def _add(
        self,
        prepared: Prepared,
        shown: str | None,
        day: str,
        now: dt.datetime,
        progress: Callable[[str], None] | None,
        check: IntegrityCheck | None,
    ) -> AddResult:
        """Adds a prepared snapshot listed on `day` (displayed as `shown`) once `check` has passed."""
        with self._db() as conn:
            if not self._intact:
                if check is None:
                    check_integrity(conn, self._path)
                else:
                    check.wait(conn)
                self._intact = True
            earlier = find_snapshot(conn, prepared, day)
        if earlier is not None:
            return earlier
        if progress is not None:
            progress("matching")
        with self._db() as conn, references_unchecked(conn), transaction(conn):
            # (Checks the hash again under the lock: another process may have added it meanwhile.)
            return add_snapshot(conn, prepared, shown=shown, day=day, now=now)

    # ---- reading -----------------------------------------------------------------------------------

    def snapshots(self) -> list[SnapshotRecord]:
        """The ingested snapshots in date order (by day, then in order of ingestion)."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT id, hash, path, format, date, day, entries, new_papers, new_versions, added_at "
                "FROM snapshot ORDER BY day, id"
            ).fetchall()
        return [SnapshotRecord(*row) for row in rows]

    def papers(self, since: str | dt.date | None = None) -> list[PaperRecord]:
        """Every paper, in date order of first sight (then by id); with `since`, only those listed in a
        snapshot of that day or later (``YYYY-MM-DD``, a `datetime.date`, or a date as displayed such
        as ``"Jul 30"``).

        Raises:
            ValueError: `since` is not a date.
        """
        with self._db() as conn:
            if since is None:
                rows = conn.execute(f"{_PAPER_COLUMNS} ORDER BY {_PAPER_ORDER}").fetchall()
            else:
                day = _since_day(since)
                rows = conn.execute(
                    f"{_PAPER_COLUMNS} WHERE p.id IN (SELECT s.paper FROM snapshot AS n "
                    f"JOIN sighting AS s ON s.snapshot = n.id WHERE n.day >= ?) ORDER BY {_PAPER_ORDER}",
                    (day,),
                ).fetchall()
        return [PaperRecord(*row) for row in rows]

    def paper(self, ref: int | str) -> PaperRecord:
        """One paper by id (``12`` or ``"12"``), by key (``"arxiv:2407.01234"``, ``"2407.01234"``, a
        DOI), or by title: the normalised title exactly, else the titles containing every word given,
        else a fuzzy match (see `neardup.catalog.lookup`).

        Raises:
            AmbiguousPaperError: the title matches several papers (its ``candidates`` lists their ids).
            CatalogError: no such paper.
        """
        with self._db() as conn:
            pid = self._resolve(conn, ref)
            row = conn.execute(f"{_PAPER_COLUMNS} WHERE p.id = ?", (pid,)).fetchone()
        return PaperRecord(*row)

    def history(self, paper: int | str) -> PaperHistory:
        """A paper's versions, with word diffs (`neardup.diff`) between consecutive ones, and every
        sighting, in date order. `paper` is an id, a key or a title, as for `paper`.

        Raises:
            AmbiguousPaperError: the title matches several papers.
            CatalogError: no such paper.
        """
        with self._db() as conn:
            pid = self._resolve(conn, paper)
            record = PaperRecord(*conn.execute(f"{_PAPER_COLUMNS} WHERE p.id = ?", (pid,)).fetchone())
            vrows = conn.execute(
                "SELECT v.number, v.title, v.abstract, v.snapshot, s.day, v.how, v.similarity, v.id "
                "FROM version AS v JOIN snapshot AS s ON s.id = v.snapshot WHERE v.paper = ? "
                "ORDER BY v.number",
                (pid,),
            ).fetchall()
            srows = conn.execute(
                "SELECT s.snapshot, n.day, s.position, v.number, s.how, s.similarity, s.upvotes, s.meta "
                "FROM sighting AS s JOIN snapshot AS n ON n.id = s.snapshot "
                "JOIN version AS v ON v.id = s.version WHERE s.paper = ? "
                "ORDER BY n.day, s.snapshot, s.position",
                (pid,),
            ).fetchall()
        jobs: list[tuple[int, str]] = []
        pairs: list[tuple[str, str]] = []
        for i in range(1, len(vrows)):
            for f, name in enumerate(TEXT_FIELDS, start=1):
                old, new = vrows[i - 1][f], vrows[i][f]
                if old != new and collapse(old) != collapse(new):
                    jobs.append((i, name))
                    pairs.append((old, new))
        changes: dict[int, dict[str, Any]] = {}
        for (i, name), d in zip(jobs, diff_many(pairs) if pairs else [], strict=True):
            changes.setdefault(i, {})[name] = d
        versions = tuple(
            VersionRecord(number, title, abstract, snap, day, how, sim, changes=changes.get(i, {}))
            for i, (number, title, abstract, snap, day, how, sim, _id) in enumerate(vrows)
        )
        sightings = tuple(
            SightingRecord(snap, day, pos, ver, how, sim, up, meta=_sighting_meta(meta))
            for snap, day, pos, ver, how, sim, up, meta in srows
        )
        return PaperHistory(record, versions, sightings)

    def find(self, ref: int | str) -> list[PaperRecord]:
        """Every paper `ref` designates (an id, a key or a title; see `paper`), best first: one for a
        clear reference, several for an ambiguous title, none when nothing matches."""
        with self._db() as conn:
            found = find_papers(conn, ref)
            rows = {
                row[0]: row
                for row in conn.execute(
                    f"{_PAPER_COLUMNS} WHERE p.id IN (SELECT value FROM json_each(?))", (json.dumps(found),)
                )
            }
        return [PaperRecord(*rows[p]) for p in found]

    def dropped(self, since: int | str | dt.date | None = None) -> list[PaperRecord]:
        """Papers that dropped out of the listings: listed in a snapshot at or after `since` but not in
        the latest snapshot (the last in date order), ordered by when they were last listed, then id.

        Args:
            since: a snapshot id (``3`` or ``"3"``: that snapshot and every one after it in date order),
                or a day (``YYYY-MM-DD``, a `datetime.date`, or as displayed such as ``"Jul 30"``:
                every snapshot of that day or later). None: the snapshot just before the latest one,
                i.e. the papers of the previous listing that the latest one lacks.

        Raises:
            CatalogError: no snapshot with that id.
            ValueError: `since` is neither a snapshot id nor a date.
        """
        with self._db() as conn:
            order = conn.execute("SELECT id, day FROM snapshot ORDER BY day DESC, id DESC LIMIT 2").fetchall()
            if not order:
                return []
            latest = order[0][0]
            if since is None:
                if len(order) < 2:
                    return []
                start = (order[1][1], order[1][0])
            elif isinstance(since, int) or (isinstance(since, str) and since.strip().lstrip("#").isdigit()):
                sid = int(str(since).strip().lstrip("#"))
                row = conn.execute("SELECT day FROM snapshot WHERE id = ?", (sid,)).fetchone()
                if row is None:
                    raise CatalogError(self._path, f"no snapshot {sid} in the catalog")
                start = (row[0], sid)
            else:
                start = (_since_day(since), 0)
            rows = conn.execute(
                f"{_PAPER_COLUMNS} WHERE p.id IN (SELECT s.paper FROM snapshot AS n "
                "JOIN sighting AS s ON s.snapshot = n.id WHERE (n.day > ? OR (n.day = ? AND n.id >= ?)) "
                "AND n.id != ?) AND p.id NOT IN (SELECT paper FROM sighting WHERE snapshot = ?) "
                "ORDER BY l.day, p.last_snapshot, p.id",
                (start[0], start[0], start[1], latest, latest),
            ).fetchall()
        return [PaperRecord(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Totals: ``snapshots``, ``papers``, ``versions``, ``sightings``."""
        with self._db() as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM snapshot), (SELECT count(*) FROM paper), "
                "(SELECT count(*) FROM version), (SELECT count(*) FROM sighting)"
            ).fetchone()
        return dict(zip(("snapshots", "papers", "versions", "sightings"), row, strict=True))

    def _resolve(self, conn: sqlite3.Connection, ref: int | str) -> int:
        found = find_papers(conn, ref)
        if not found:
            raise CatalogError(self._path, f"no paper {str(ref).strip()!r} in the catalog")
        if len(found) > 1:
            raise AmbiguousPaperError(self._path, str(ref).strip(), tuple(found[:MAX_CANDIDATES]), len(found))
        return found[0]


def _since_day(since: str | dt.date) -> str:
    if isinstance(since, dt.datetime):
        return since.date().isoformat()
    if isinstance(since, dt.date):
        return since.isoformat()
    day = parse_day(since, today=dt.datetime.now(dt.UTC).date())
    if day is None:
        raise ValueError(f"since: expected a date such as 2024-07-30, got {since!r}")
    return day
