"""What the catalog returns: frozen records with JSON-ready ``to_dict`` in a fixed key order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from neardup._core import Diff

__all__ = [
    "AddResult",
    "PaperHistory",
    "PaperRecord",
    "SightingRecord",
    "SnapshotRecord",
    "VersionRecord",
]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@dataclass(frozen=True, slots=True)
class AddResult:
    """The outcome of `Catalog.add` for one snapshot.

    Attributes:
        snapshot_id: the snapshot's id in the catalog (the earlier one's when already ingested).
        hash: the snapshot's content hash (see `Catalog.add`).
        path: the snapshot's path, when it has one.
        entries: entries in the snapshot.
        new_papers: papers seen for the first time.
        new_versions: known papers listed with a changed title or abstract.
        sightings: entries recorded (every entry; 0 when already ingested).
        matched: groups of entries matched to known papers, by stage (``key``, ``title``, ``near``).
        duplicates: entries that repeat another entry of the same snapshot (sightings of one paper).
        already_ingested: True when a snapshot with this content hash and day was in the catalog
            already; then nothing was changed.
        day: the ISO day the snapshot was recorded under (its date, else the day it was added).
    """

    snapshot_id: int
    hash: str
    path: str | None
    entries: int
    new_papers: int = 0
    new_versions: int = 0
    sightings: int = 0
    matched: Mapping[str, int] = field(default_factory=dict)
    duplicates: int = 0
    already_ingested: bool = False
    day: str | None = None

    def summary_line(self) -> str:
        """One line for people, e.g. ``12 entries: 3 new papers, 1 new version, 12 sightings``."""
        name = self.path if self.path is not None else f"snapshot {self.snapshot_id}"
        if self.already_ingested:
            on = f" of {self.day}" if self.day else ""
            return f"{name}: already ingested as snapshot {self.snapshot_id}{on} ({self.hash[:16]}), skipped"

        def n(count: int, word: str, plural: str | None = None) -> str:
            return f"{count} {word if count == 1 else plural or word + 's'}"

        return (
            f"{name}: snapshot {self.snapshot_id}, {n(self.entries, 'entry', 'entries')}: "
            f"{n(self.new_papers, 'new paper')}, {n(self.new_versions, 'new version')}, "
            f"{n(self.sightings, 'sighting')}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "day": self.day,
            "hash": self.hash,
            "path": self.path,
            "entries": self.entries,
            "new_papers": self.new_papers,
            "new_versions": self.new_versions,
            "sightings": self.sightings,
            "matched": {k: self.matched.get(k, 0) for k in ("key", "title", "near")},
            "duplicates": self.duplicates,
            "already_ingested": self.already_ingested,
        }


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """One ingested snapshot.

    Attributes:
        id: 1, 2, … in ingestion order (listings give snapshots in date order: by `day`, then id).
        hash: SHA-1 (hex) of the snapshot's content (see `Catalog.add`).
        path, format: where it was read from and as what, when known.
        date: the listing date as displayed, when it had one.
        day: the ISO day that orders the snapshots and that ``since`` compares (the date's, else the day
            it was ingested; a date without a year is the latest such day on or before ingestion).
        entries: entries in the snapshot.
        new_papers, new_versions: what it added to the catalog.
        added_at: when it was ingested (UTC, ISO 8601).
    """

    id: int
    hash: str
    path: str | None
    format: str | None
    date: str | None
    day: str
    entries: int
    new_papers: int
    new_versions: int
    added_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "hash": self.hash,
            "path": self.path,
            "format": self.format,
            "date": self.date,
            "day": self.day,
            "entries": self.entries,
            "new_papers": self.new_papers,
            "new_versions": self.new_versions,
            "added_at": self.added_at,
        }


@dataclass(frozen=True, slots=True)
class PaperRecord:
    """One distinct paper.

    Attributes:
        id: 1, 2, … in order of ingestion of its first listing.
        key: its stable key (``arxiv:…``, ``doi:…``) when any listing carried one.
        title: the title of its current version: the one its latest listing (by date) showed.
        first_snapshot, last_snapshot: ids of the earliest and latest snapshots (by date) that listed it.
        first_day, last_day: those snapshots' days.
        sightings: how many times it was listed (duplicates in one snapshot included).
        versions: how many distinct texts (title + abstract, whitespace aside) it was listed with.
    """

    id: int
    key: str | None
    title: str
    first_snapshot: int
    last_snapshot: int
    first_day: str
    last_day: str
    sightings: int
    versions: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "title": self.title,
            "first_snapshot": self.first_snapshot,
            "last_snapshot": self.last_snapshot,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "sightings": self.sightings,
            "versions": self.versions,
        }


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One text of a paper.

    Attributes:
        number: 1, 2, … in date order of the first listing of each distinct text.
        title, abstract: the text.
        snapshot: id of the earliest snapshot (by date) that listed it; day: that snapshot's day.
        how: how the listing that brought it was matched to the paper when it was added: ``new`` (the
            paper was unknown then), ``key``, ``title`` or ``near``; similarity: the near-stage score
            for ``near``, else None.
        changes: word diffs from the previous version, per changed field (``title``, ``abstract``);
            empty for version 1.
    """

    number: int
    title: str
    abstract: str
    snapshot: int
    day: str
    how: str
    similarity: float | None
    changes: Mapping[str, Diff] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "abstract": self.abstract,
            "snapshot": self.snapshot,
            "day": self.day,
            "how": self.how,
            "similarity": _round(self.similarity),
            "changes": {
                name: {"ratio": round(d.ratio, 6), "ops": [list(op) for op in d.ops]}
                for name, d in sorted(self.changes.items())
            },
        }


@dataclass(frozen=True, slots=True)
class SightingRecord:
    """One listing of a paper.

    Attributes:
        snapshot, day: the snapshot and its day.
        position: 0-based position of the entry in the snapshot.
        version: the number of the paper's version it showed.
        how: ``new``, ``key``, ``title``, ``near``, or ``duplicate`` (a repeat within its snapshot).
        similarity: the near-stage score for ``near``, else None.
        upvotes: the upvote count shown, if any.
        meta: the entry's other metadata (key, arXiv version, authors, dates, line, extra fields).
    """

    snapshot: int
    day: str
    position: int
    version: int
    how: str
    similarity: float | None
    upvotes: int | None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "day": self.day,
            "position": self.position,
            "version": self.version,
            "how": self.how,
            "similarity": _round(self.similarity),
            "upvotes": self.upvotes,
            "meta": dict(self.meta),
        }


@dataclass(frozen=True, slots=True)
class PaperHistory:
    """A paper with its versions (and the word diffs between consecutive ones) and its sightings."""

    paper: PaperRecord
    versions: tuple[VersionRecord, ...]
    sightings: tuple[SightingRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "paper": self.paper.to_dict(),
            "versions": [v.to_dict() for v in self.versions],
            "sightings": [s.to_dict() for s in self.sightings],
        }
