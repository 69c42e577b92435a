"""The snapshot model: `Entry` (one listed paper) and `Snapshot` (a listing read from one file)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import repeat
from operator import attrgetter
from typing import Any, overload

from neardup.identity import normalize_title

__all__ = ["Entry", "Snapshot"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One paper in a snapshot.

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
        extra: anything else the source recorded for the entry.
    """

    title: str
    abstract: str = ""
    key: str | None = None
    version: int | None = None
    authors: tuple[str, ...] | None = None
    authors_count: int | None = None
    organization: str | None = None
    published: str | None = None
    upvotes: int | None = None
    position: int = 0
    line: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.title, str):
            raise TypeError(f"Entry.title must be a str, not {type(self.title).__name__}")
        if not isinstance(self.abstract, str):
            raise TypeError(f"Entry.abstract must be a str, not {type(self.abstract).__name__}")
        if self.authors is not None and not isinstance(self.authors, tuple):
            if isinstance(self.authors, str):
                raise TypeError("Entry.authors must be a sequence of names, not a str")
            object.__setattr__(self, "authors", tuple(self.authors))

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
                entry if entry.position == index else replace(entry, position=index)
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
