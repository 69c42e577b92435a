"""The catalog's SQLite schema: creation, identification and version checks, and the one mapping from
SQLite failures to `neardup.CatalogError`.

A catalog is recognised by ``PRAGMA application_id`` (``NDCT``) and versioned by ``PRAGMA user_version``
(both live in the database header, so they are read without touching any table). A database with another
application id, or with tables but no id, is not a catalog; a higher user_version was written by a newer
neardup and is refused rather than misread.

Tables (ids are SQLite integer keys, assigned in ingestion order, so they are deterministic):

* ``meta(name, value)``: settings of the catalog.
* ``snapshot``: one row per ingested snapshot: content hash, path, format, date as displayed, ``day``
  (the ISO date that orders snapshots and that ``--since`` compares), entry count, what it added, and
  when; (hash, day) is unique: the same listing on another day is another snapshot.
* ``paper``: one row per distinct paper: its stable key when one is known (unique), its current version,
  first and last snapshot it was listed in (by date), and counts of sightings and versions.
* ``version``: the distinct texts (title, abstract) a paper was listed with, numbered from 1 in date
  order, with the earliest snapshot that listed each, how it was matched to the paper, and the digest
  of the text (how an unchanged listing is recognised without reading the text back).
* ``sighting``: one row per listed entry: (snapshot, position) → paper, version, how it was matched,
  and its volatile metadata (upvotes; the rest as JSON).
* ``title``: normalised titles of every version → paper (the title stage of matching).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator

from neardup.catalog.history import settle
from neardup.errors import CatalogError

__all__ = [
    "APPLICATION_ID",
    "IntegrityCheck",
    "SCHEMA_VERSION",
    "busy_or_damaged",
    "connect",
    "references_unchecked",
    "transaction",
]

#: ``PRAGMA application_id`` of a neardup catalog: the ASCII bytes "NDCT".
APPLICATION_ID = 0x4E444354
#: The schema version this code writes; older versions are migrated, newer ones refused.
#: 2: a snapshot is unique by (content hash, day), not by hash alone; papers ordered by date.
#: 3: each version keeps the digest of its text (`_core._text_digests`).
SCHEMA_VERSION = 3

_SNAPSHOT_TABLE = """
CREATE TABLE {name} (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    path TEXT,
    format TEXT,
    date TEXT,
    day TEXT NOT NULL,
    entries INTEGER NOT NULL,
    new_papers INTEGER NOT NULL DEFAULT 0,
    new_versions INTEGER NOT NULL DEFAULT 0,
    added_at TEXT NOT NULL,
    UNIQUE (hash, day)
);"""

# The current versions' digests read without their rows' texts (`ingest._current_versions`).
_VERSION_DIGEST_INDEX = "CREATE INDEX version_digest ON version(id, number, digest)"

_DDL = """
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
{snapshot}
CREATE INDEX snapshot_day ON snapshot(day);
CREATE TABLE paper (
    id INTEGER PRIMARY KEY,
    key TEXT UNIQUE,
    current_version INTEGER NOT NULL,
    first_snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    last_snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    sightings INTEGER NOT NULL,
    versions INTEGER NOT NULL
);
CREATE TABLE version (
    id INTEGER PRIMARY KEY,
    paper INTEGER NOT NULL REFERENCES paper(id),
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    how TEXT NOT NULL,
    similarity REAL,
    digest BLOB,
    UNIQUE (paper, number)
);
{version_digest};
CREATE TABLE sighting (
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    position INTEGER NOT NULL,
    paper INTEGER NOT NULL REFERENCES paper(id),
    version INTEGER NOT NULL REFERENCES version(id),
    how TEXT NOT NULL,
    similarity REAL,
    upvotes INTEGER,
    meta TEXT NOT NULL,
    PRIMARY KEY (snapshot, position)
) WITHOUT ROWID;
CREATE INDEX sighting_paper ON sighting(paper, snapshot);
CREATE TABLE title (
    norm TEXT NOT NULL,
    paper INTEGER NOT NULL REFERENCES paper(id),
    PRIMARY KEY (norm, paper)
) WITHOUT ROWID;
"""


def busy_or_damaged(path: str, exc: sqlite3.Error, timeout: float) -> CatalogError:
    """The CatalogError for an SQLite failure: busy (lock not obtained in time) or anything else."""
    text = " ".join(str(exc).split())  # SQLite quotes a malformed schema over several lines
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return CatalogError(path, f"database is busy: another process is writing to it (waited {timeout:g}s)")
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return CatalogError(path, "not a neardup catalog (not an SQLite database)")
    return CatalogError(path, f"catalog database error: {text}")


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken with ``BEGIN IMMEDIATE`` (the write lock up front, waiting up to the
    busy timeout): committed when the block ends normally, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


@contextlib.contextmanager
def references_unchecked(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A block in which SQLite does not check foreign keys row by row (the pragma only changes outside a
    transaction, so this wraps one). For the bulk writes of an ingest, which reference only rows that
    exist or that the same transaction writes first: checking each of them took half the time of its
    inserts. The tests hold every ingest to ``PRAGMA foreign_key_check``."""
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield conn
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


@contextlib.contextmanager
def _reading(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: every statement in the block sees the same committed state."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.rollback()


def _wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Puts the database in WAL mode (readers never block the writer). Switching needs the file to
    itself, and SQLite answers "locked" at once rather than calling the busy handler when another
    process has it open mid-switch, so the switch is retried here until the busy timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] in ("wal", "memory"):
                return
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if ("locked" not in text and "busy" not in text) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _create(conn: sqlite3.Connection) -> None:
    ddl = _DDL.replace("{snapshot}", _SNAPSHOT_TABLE.format(name="snapshot"))
    ddl = ddl.replace("{version_digest}", _VERSION_DIGEST_INDEX)
    for statement in ddl.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _check(conn: sqlite3.Connection, path: str) -> bool:
    """Validates the header of an existing database; False when it is empty (a catalog to create)."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if app_id == 0 and version == 0:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise CatalogError(path, "not a neardup catalog (an SQLite database of another application)")
        return False
    if app_id != APPLICATION_ID:
        raise CatalogError(path, "not a neardup catalog (an SQLite database of another application)")
    if version > SCHEMA_VERSION:
        raise CatalogError(
            path,
            f"catalog schema version {version} is newer than this neardup supports "
            f"({SCHEMA_VERSION}): upgrade neardup to read it",
        )
    if version < 1:
        raise CatalogError(path, f"damaged catalog: invalid schema version {version}")
    return True


def _migrate(conn: sqlite3.Connection, path: str) -> None:
    """Brings a catalog of an older schema version to `SCHEMA_VERSION`, in one transaction.

    1 → 2: the snapshot table is rebuilt with (hash, day) unique instead of hash, and every paper is
    settled in date order (version 1 followed the order of ingestion, so a backfill was misplaced).
    2 → 3: the versions get their text digests.
    """
    if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    # Rebuilding a table that others reference needs foreign keys off, which only works outside a
    # transaction; the transaction then makes the whole migration all or nothing.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                return  # another process migrated it meanwhile
            if version == 1:
                conn.execute(_SNAPSHOT_TABLE.format(name="snapshot_v2"))
                conn.execute("INSERT INTO snapshot_v2 SELECT * FROM snapshot")
                conn.execute("DROP TABLE snapshot")
                conn.execute("ALTER TABLE snapshot_v2 RENAME TO snapshot")
                conn.execute("CREATE INDEX snapshot_day ON snapshot(day)")
                settle(conn, [row[0] for row in conn.execute("SELECT id FROM paper")])
            if version <= 2:
                conn.execute("ALTER TABLE version ADD COLUMN digest BLOB")
                _digest_versions(conn)
                conn.execute(_VERSION_DIGEST_INDEX)
            if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise CatalogError(path, "damaged catalog: broken references found while upgrading it")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _digest_versions(conn: sqlite3.Connection, batch: int = 20_000) -> None:
    """Fills the digest of every version, a batch of texts in memory at a time."""
    from neardup import _core

    last = 0
    while rows := conn.execute(
        "SELECT id, title, abstract FROM version WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
    ).fetchall():
        digests = _core._text_digests([r[1] for r in rows], [r[2] for r in rows])
        conn.executemany(
            "UPDATE version SET digest = ? WHERE id = ?",
            ((digests[16 * i : 16 * i + 16], r[0]) for i, r in enumerate(rows)),
        )
        last = rows[-1][0]


def check_integrity(conn: sqlite3.Connection, path: str) -> None:
    """Refuses a damaged database before writing to it: SQLite may accept writes to a file whose pages or
    indexes are corrupt, and each would spread the damage.

    SQLite's quick check: every page is read and each b-tree, the free list and the page accounting are
    verified (a page nothing points to, a page used twice, a malformed record), but not that each index
    holds exactly the rows of its table, which the full ``integrity_check`` adds at several times the
    cost; still linear in the file, and it runs before every add (`IntegrityCheck` runs it beside the
    snapshot's reading)."""
    _verdict(conn.execute(_QUICK_CHECK).fetchall(), path)


_QUICK_CHECK = "PRAGMA quick_check(3)"


def _verdict(rows: list[tuple[object, ...]], path: str) -> None:
    if rows != [("ok",)]:
        detail = "; ".join(" ".join(str(r[0]).split()) for r in rows)
        raise CatalogError(path, f"damaged catalog (integrity check failed: {detail}); restore a backup")


class IntegrityCheck:
    """`check_integrity` of the database at `path` on a connection and a thread of its own, started now
    and awaited by `wait` before the first write: the check reads the whole file and the snapshot's
    reading is mostly in the core, both outside the GIL, so the two overlap on two cores. An in-memory
    database (no second connection can see it) is checked by `wait` itself."""

    def __init__(self, path: str, timeout: float) -> None:
        self._path = path
        self._rows: list[tuple[object, ...]] | None = None
        self._error: sqlite3.Error | None = None
        self._thread: threading.Thread | None = None
        if path != ":memory:":
            self._thread = threading.Thread(target=self._run, args=(timeout,), daemon=True)
            self._thread.start()

    def _run(self, timeout: float) -> None:
        try:
            conn = sqlite3.connect(self._path, timeout=timeout, isolation_level=None, check_same_thread=False)
            try:
                self._rows = conn.execute(_QUICK_CHECK).fetchall()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            self._error = exc

    def wait(self, conn: sqlite3.Connection) -> None:
        """Raises CatalogError (or the sqlite3.Error met) when the database is damaged."""
        if self._thread is None:
            check_integrity(conn, self._path)
            return
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._rows is not None
        _verdict(self._rows, self._path)


def connect(path: str, *, timeout: float, create: bool) -> sqlite3.Connection:
    """Opens (and when new and `create`, initialises) the catalog at `path`.

    Raises:
        CatalogError: not a catalog, a newer schema, missing (without `create`), busy or damaged.
    """
    if path != ":memory:" and not create and not os.path.exists(path):
        raise CatalogError(path, "no such catalog")
    if os.path.isdir(path):
        raise CatalogError(path, "not a neardup catalog (a directory)")
    try:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise CatalogError(path, f"cannot open: {exc}") from None
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        # The header is read in one read transaction, so that another process creating the schema
        # meanwhile is seen either wholly or not at all (never an application id of 0 beside tables).
        with _reading(conn):
            exists = _check(conn, path)
        _wal(conn, timeout)  # only once the file is known to be a catalog or empty
        if not exists:
            # A new catalog: the schema, re-checked under the write lock in case another process
            # created it meanwhile.
            with transaction(conn):
                if not _check(conn, path):
                    _create(conn)
        _migrate(conn, path)
        # WAL with synchronous=NORMAL never corrupts on a crash; a power loss may drop the last commits.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA cache_size = -65536")
    except CatalogError:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        raise busy_or_damaged(path, exc, timeout) from None
    return conn
