"""The snapshot model: `Entry` (one listed paper) and `Snapshot` (a listing read from one file), and the
result types of reconciliation (`SnapshotDiff`, `Match`, `DuplicateGroup`), which the renderers read
without importing the engine's wrapper."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import Any, overload

from neardup import _core
from neardup.defaults import DEFAULT_THRESHOLD
from neardup.identity import normalize_title

__all__ = ["DuplicateGroup", "Entry", "Match", "NearEvidence", "Snapshot", "SnapshotDiff"]


TEXT_FIELDS: tuple[str, ...] = ("title", "abstract")
#: Volatile metadata: differences here never make an entry changed unless asked to.
META_FIELDS: tuple[str, ...] = (
    "version",
    "authors",
    "authors_count",
    "organization",
    "published",
    "upvotes",
)


class Entry(_core.EntryBase):
    """One paper in a snapshot: immutable, hashable, compared field by field (as a frozen dataclass).

    Built as ``Entry(title, abstract="", key=None, ..., extra={})``, by position in the order of the
    attributes below or by name; the constructor is the core's (`_core.EntryBase`, which the readers
    call for every record), and checks that ``title`` and ``abstract`` are strings and keeps
    ``authors`` as a tuple. `replace` gives a copy with some fields changed.

    Attributes:
        title: the title as listed.
        abstract: the abstract as listed ("" when the source has none).
        key: a stable identifier when one is known: ``"arxiv:<id>"`` (no version),
            ``"doi:<doi>"``, or the value of an id field named explicitly by the user; else None.
        version: the arXiv version number (``v3`` -> 3) when known.
        authors: author names when the source lists them.
        authors_count: the number of authors when only a count is shown ("5 authors").
        organization: the organisation shown instead of an author count.
        published: the publication date as displayed (no parsing: "Jul 30", "Oct 15, 2024", ISO...).
        upvotes: the upvote count when shown (volatile metadata).
        position: 0-based order of the entry in its snapshot.
        line: 1-based line of the entry in its file (the title line for text formats, the
            record's first line for JSONL/CSV, the item's start for JSON/XML), or None when not
            read from a file.
        extra: anything else the source recorded for the entry (not part of the hash).
    """

    __slots__ = ()
    __match_args__ = (*TEXT_FIELDS, "key", *META_FIELDS, "position", "line", "extra")

    def _fields(self) -> tuple[Any, ...]:
        return _entry_fields(self)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields()[:-1])  # `extra` (a dict) is left out

    def __repr__(self) -> str:
        pairs = zip(self.__match_args__, self._fields(), strict=True)
        inner = ", ".join(f"{name}={value!r}" for name, value in pairs)
        return f"{type(self).__qualname__}({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._fields())

    def replace(self, **changes: Any) -> Entry:
        """A copy with the fields named in `changes` set to their values (as `dataclasses.replace`)."""
        unknown = changes.keys() - set(self.__match_args__)
        if unknown:
            raise TypeError(f"Entry has no field {sorted(unknown)[0]!r}")
        values = dict(zip(self.__match_args__, self._fields(), strict=True))
        values.update(changes)
        return type(self)(**values)

    @property
    def norm_title(self) -> str:
        """The normalised title used for matching (see `neardup.identity.normalize_title`)."""
        return normalize_title(self.title)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with every field, always in the same key order (None stays None)."""
        return {
            "key": self.key,
            "version": self.version,
            "title": self.title,
            "abstract": self.abstract,
            "authors": list(self.authors) if self.authors is not None else None,
            "authors_count": self.authors_count,
            "organization": self.organization,
            "published": self.published,
            "upvotes": self.upvotes,
            "position": self.position,
            "line": self.line,
            "extra": dict(self.extra),
        }


# Every field of an entry in constructor order, read in one C call.
_entry_fields = attrgetter(*Entry.__match_args__)

_position = attrgetter("position")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A listing of papers as read from one file (or built by hand).

    Attributes:
        entries: the entries in listing order, as a tuple. An entry's ``position`` is always its
            index here: entries passed with another position are replaced by copies carrying the
            right one.
        date: the listing date as displayed in the file (e.g. "Jul 30"), when it has one.
        path: the file it was read from (``"<stdin>"`` for standard input), or None.
        format: the name of the format it was read as (one of `neardup.formats.FORMATS`), or None.
    """

    entries: Sequence[Entry]
    date: str | None = None
    path: str | None = None
    format: str | None = None

    def __post_init__(self) -> None:
        entries = tuple(self.entries)
        # Both checks run as C loops first: snapshots of 10^5..10^6 entries are common.
        if not all(map(isinstance, entries, repeat(Entry))):
            for index, entry in enumerate(entries):
                if not isinstance(entry, Entry):
                    raise TypeError(f"Snapshot.entries[{index}] is a {type(entry).__name__}, not an Entry")
        if list(map(_position, entries)) != list(range(len(entries))):
            entries = tuple(
                entry if entry.position == index else entry.replace(position=index)
                for index, entry in enumerate(entries)
            )
        object.__setattr__(self, "entries", entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Entry]: ...
    def __getitem__(self, index: int | slice) -> Entry | Sequence[Entry]:
        return self.entries[index]

    def __repr__(self) -> str:
        return (
            f"Snapshot(<{len(self.entries)} entries>, date={self.date!r}, path={self.path!r}, "
            f"format={self.format!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``path``, ``date``, ``format`` and ``entries`` (`Entry.to_dict`)."""
        return {
            "path": self.path,
            "date": self.date,
            "format": self.format,
            "entries": [entry.to_dict() for entry in self.entries],
        }


@dataclass(frozen=True, slots=True)
class Match:
    """An old entry and the new entry found to be the same paper.

    Attributes:
        old, new: the two entries.
        how: ``"key"``, ``"title"`` or ``"near"``: the stage that matched them.
        similarity: for near matches, the near decision's evidence score (a log-likelihood ratio, at
            least the threshold); for key and title matches, the word-diff ratio of title + abstract
            (1.0 when the texts are equal).
        fields: for each text field that differs (``title``, ``abstract``), its word diff.
        meta_changed: names of the metadata fields whose values differ.
        changed: whether the entry counts as changed (text differs, or metadata with include_meta).
        evidence: for near matches, what each field said (`NearEvidence`); None otherwise.
    """

    old: Entry
    new: Entry
    how: str
    similarity: float
    fields: dict[str, _core.Diff] = field(default_factory=dict)
    meta_changed: tuple[str, ...] = ()
    changed: bool = False
    evidence: NearEvidence | None = None

    def __repr__(self) -> str:
        # Short on purpose: the entries (and their abstracts) are one attribute away.
        return (
            f"Match({self.how}, old={self.old.position}, new={self.new.position}, "
            f"similarity={self.similarity:.3f}, changed={self.changed}, title={_short(self.new.title)})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.evidence_dict(),
            "match": self.how,
            "similarity": round(self.similarity, 6),
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "fields": {
                name: {"old": d.old, "new": d.new, "ops": [list(op) for op in d.ops]}
                for name, d in sorted(self.fields.items())
            },
            "meta_changed": list(self.meta_changed),
        }

    def evidence_dict(self) -> dict[str, Any]:
        """``{"evidence": {...}}`` for a near match (the reports' field), else ``{}``."""
        return {} if self.evidence is None else {"evidence": self.evidence.to_dict()}


@dataclass(frozen=True, slots=True)
class NearEvidence:
    """Why a near match was made: the similarity of each field of the two entries (Jaccard of content
    words for title and abstract, share of people in common for authors), None where either lacks it.
    """

    title: float | None
    abstract: float | None
    authors: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {
            name: None if x is None else round(x, 6)
            for name, x in (("abstract", self.abstract), ("authors", self.authors), ("title", self.title))
        }


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Entries of one snapshot that are the same paper listed more than once.

    Attributes:
        snapshot: ``"old"`` or ``"new"``.
        members: the entries' positions, ascending.
        similarity: the lowest similarity among the links that joined the group (1.0 for identical key
            or title).
    """

    snapshot: str
    members: tuple[int, ...]
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "members": list(self.members),
            "similarity": round(self.similarity, 6),
        }


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    """The result of `compare`. Entry tuples are in snapshot order (matches by old position)."""

    old: Snapshot
    new: Snapshot
    unchanged: tuple[Match, ...]
    changed: tuple[Match, ...]
    added: tuple[Entry, ...]
    removed: tuple[Entry, ...]
    duplicates: tuple[DuplicateGroup, ...]
    threshold: float = DEFAULT_THRESHOLD
    #: The engine's result, which `neardup.report` renders (None for a diff not made by `compare`).
    _engine: _core.Reconciled | None = field(default=None, repr=False, compare=False)

    @property
    def has_differences(self) -> bool:
        """True when anything was added, removed or changed (the CLI's exit status 1)."""
        return bool(self.changed or self.added or self.removed)

    def summary(self) -> dict[str, int]:
        return {
            "unchanged": len(self.unchanged),
            "changed": len(self.changed),
            "added": len(self.added),
            "removed": len(self.removed),
            "duplicates": len(self.duplicates),
            "meta_changed": sum(1 for m in (*self.unchanged, *self.changed) if m.meta_changed),
        }

    def summary_line(self) -> str:
        s = self.summary()
        return (
            f"{s['unchanged']} unchanged, {s['changed']} changed, {s['added']} added, "
            f"{s['removed']} removed, {s['duplicates']} duplicate groups"
        )

    def __repr__(self) -> str:
        # One line whatever the size (the full repr of 65 entries ran to 248 KB in a notebook).
        return (
            f"SnapshotDiff({self.summary_line()}; old={len(self.old)} entries {self.old.path!r}, "
            f"new={len(self.new)} entries {self.new.path!r}, threshold={self.threshold})"
        )

    def columns(self) -> dict[str, list[Any]]:
        """One row per entry of either snapshot, as columns: ``verdict`` (``unchanged``, ``changed``,
        ``added``, ``removed``, or ``duplicate`` for a listing again of a paper reported by its
        duplicate group), ``match`` (``key``/``title``/``near``, None when unmatched),
        ``similarity``, ``old_position``, ``new_position`` (None on the side without the entry),
        ``key``, ``title`` (the new entry's when it has one), ``changed_fields`` and ``meta_changed``
        (names joined by commas). Rows in old-position order, then added entries in new-position order.
        """
        rows: list[tuple[Any, ...]] = []
        for verdict, matches in (("unchanged", self.unchanged), ("changed", self.changed)):
            for m in matches:
                rows.append(
                    (
                        verdict,
                        m.how,
                        m.similarity,
                        m.old.position,
                        m.new.position,
                        m.new.key or m.old.key,
                        m.new.title,
                        ",".join(sorted(m.fields)),
                        ",".join(m.meta_changed),
                    )
                )
        for e in self.removed:
            rows.append(("removed", None, None, e.position, None, e.key, e.title, "", ""))
        for e in self.added:
            rows.append(("added", None, None, None, e.position, e.key, e.title, "", ""))
        # A paper listed again is reported by its duplicate group, neither matched nor added/removed.
        covered = {("old", r[3]) for r in rows} | {("new", r[4]) for r in rows}
        for group in self.duplicates:
            side = self.old if group.snapshot == "old" else self.new
            for p in group.members:
                if (group.snapshot, p) not in covered:
                    e = side.entries[p]
                    at = (p, None) if group.snapshot == "old" else (None, p)
                    rows.append(("duplicate", None, None, *at, e.key, e.title, "", ""))
        rows.sort(key=lambda r: (r[3] is None, r[3] if r[3] is not None else r[4]))
        names = _DIFF_COLUMNS
        return {name: [r[i] for r in rows] for i, name in enumerate(names)}

    def to_arrow(self) -> Any:
        """`columns` as a ``pyarrow.Table`` (needs pyarrow: the ``arrow`` extra)."""
        import pyarrow as pa

        return pa.table(self.columns(), schema=pa.schema(_diff_schema(pa)))

    def to_pandas(self) -> Any:
        """`columns` as a ``pandas.DataFrame`` (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.columns(), columns=list(_DIFF_COLUMNS))

    def to_polars(self) -> Any:
        """`columns` as a ``polars.DataFrame`` (needs polars)."""
        import polars as pl

        return pl.DataFrame(self.columns())


_DIFF_COLUMNS = (
    "verdict",
    "match",
    "similarity",
    "old_position",
    "new_position",
    "key",
    "title",
    "changed_fields",
    "meta_changed",
)


def _diff_schema(pa: Any) -> list[tuple[str, Any]]:
    types = (pa.string(), pa.string(), pa.float64(), pa.int64(), pa.int64(), pa.string(), pa.string())
    return [
        *zip(_DIFF_COLUMNS, types, strict=False),
        ("changed_fields", pa.string()),
        ("meta_changed", pa.string()),
    ]


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
