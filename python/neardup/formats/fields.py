"""Turning one record (a JSON object or a CSV row) into an `Entry`.

Shared by the ``jsonl``, ``csv`` and ``hf-json`` readers. Field names are configurable; by default
the first present of a few common names is used (`ID_FIELDS`, `TITLE_FIELDS`, `ABSTRACT_FIELDS`).
A Daily Papers item's nested ``paper`` object is merged into its record, so those items read the
same whether they come as a JSON array or as JSON lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from neardup.formats.names import ABSTRACT_FIELDS, ID_FIELDS, TITLE_FIELDS
from neardup.formats.source import Source
from neardup.identity import identity_key
from neardup.model import Entry

__all__ = [
    "ABSTRACT_FIELDS",
    "ID_FIELDS",
    "INTERPRETED_FIELDS",
    "TITLE_FIELDS",
    "FieldSpec",
    "RecordMapper",
    "describe",
]

_PUBLISHED_FIELDS = ("published", "publishedAt", "published_at", "date", "pubDate")
INTERPRETED_FIELDS = (
    "paper",
    "versions",
    "authors",
    "upvotes",
    "authors_count",
    "organization",
    *_PUBLISHED_FIELDS,
)
"""Fields read besides the id, title and abstract (and a Daily Papers item's nested ``paper``)."""
_VERSION = re.compile(r"v?([0-9]{1,9})", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*;\s*|\s*,\s*(?:and\s+)?|\s+and\s+")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Which fields hold the id, title and abstract (None: guess), and whether to keep the rest; for
    CSV, the delimiter (None: sniffed from the header)."""

    id_field: str | None = None
    title_field: str | None = None
    abstract_field: str | None = None
    keep_extra: bool = True
    delimiter: str | None = None


def describe(value: object) -> str:
    """A short description of a JSON value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        keys = ", ".join(list(value)[:6])
        return f"an object with keys {keys}" if keys else "an empty object"
    return type(value).__name__


def _lookup(record: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """Find `name` in `record`, following dots into nested objects (``paper.title``)."""
    if name in record:
        return True, record[name]
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _authors(value: Any) -> tuple[str, ...] | None:
    """Author names from a list of names, a list of ``{"name": ...}``, or one delimited string."""
    if isinstance(value, str):
        names = _AUTHOR_SPLIT.split(value.strip())
        return tuple(" ".join(name.split()) for name in names if name.strip()) or None
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
                out.append(item["name"])
            else:
                return None
        return tuple(out)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        value = value.strip()
        if value.isascii() and value.isdigit() and len(value) <= 18:
            return int(value)
    return None


def _last_version(value: Any) -> int | None:
    """The arXiv dump's ``versions``: a list of ``{"version": "v1", ...}`` (or of strings)."""
    if not isinstance(value, list) or not value:
        return None
    last = value[-1]
    label = last.get("version") if isinstance(last, Mapping) else last
    match = _VERSION.fullmatch(label.strip()) if isinstance(label, str) else None
    return int(match[1]) if match else None


def _first_version_date(value: Any) -> str | None:
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        created = value[0].get("created")
        return created if isinstance(created, str) else None
    return None


def _organization(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for name in ("fullname", "name"):
            if isinstance(value.get(name), str):
                return str(value[name])
    return None


@dataclass(frozen=True, slots=True)
class _Plan:
    """Which of the guessed field names a record with a given set of keys has, in preference order.

    Records of one file nearly always share their keys, so this is worked out once per key set.
    """

    title: tuple[str, ...]
    abstract: tuple[str, ...]
    ids: tuple[str, ...]
    published: tuple[str, ...]

    @classmethod
    def of(cls, keys: Iterable[str]) -> _Plan:
        present = set(keys)
        return cls(
            title=tuple(name for name in TITLE_FIELDS if name in present),
            abstract=tuple(name for name in ABSTRACT_FIELDS if name in present),
            ids=tuple(name for name in ID_FIELDS if name in present),
            published=tuple(name for name in _PUBLISHED_FIELDS if name in present),
        )


_PLAN_CACHE_LIMIT = 256


def _pick(record: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    """The first of `names` with a non-empty value, else the first of them at all (an empty field
    is still that field, not something left over for `extra`)."""
    for name in names:
        value = record[name]
        if value is not None and value != "":
            return name
    return names[0] if names else None


class RecordMapper:
    """Maps records of one source to entries, raising `SnapshotFormatError` for unusable ones."""

    def __init__(self, source: Source, spec: FieldSpec) -> None:
        self.source = source
        self.spec = spec
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def _plan(self, record: Mapping[str, Any]) -> _Plan:
        keys = tuple(record)
        plan = self._plans.get(keys)
        if plan is None:
            plan = _Plan.of(keys)
            if len(self._plans) < _PLAN_CACHE_LIMIT:
                self._plans[keys] = plan
        return plan

    def _text(
        self,
        record: Mapping[str, Any],
        line: int,
        explicit: str | None,
        guesses: tuple[str, ...],
        what: str,
    ) -> tuple[str | None, str | None]:
        """The (field name, text) of the title or abstract; raises for a field of the wrong type."""
        if explicit is not None:
            found, value = _lookup(record, explicit)
            if not found:
                raise self.source.error(line, f"a field {explicit!r} ({what})", describe(record))
            name: str | None = explicit
        else:
            name = _pick(record, guesses)
            value = record[name] if name is not None else None
        if value is None or type(value) is str:
            return name, value
        if not isinstance(value, str):
            raise self.source.error(line, f"a string {what} in field {name!r}", describe(value))
        return name, str(value)

    def _key(
        self, record: Mapping[str, Any], plan: _Plan, line: int, consumed: set[str]
    ) -> tuple[str | None, int | None]:
        """The key and version from the id field, or from the first guessed field holding one."""
        id_field = self.spec.id_field
        if id_field is not None:
            found, value = _lookup(record, id_field)
            if not found or value is None or value == "":
                raise self.source.error(line, f"a field {id_field!r} (id)", describe(record))
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise self.source.error(line, f"a string id in field {id_field!r}", describe(value))
            consumed.add(id_field)
            parsed = identity_key(str(value))
            return parsed if parsed is not None else (str(value).strip(), None)
        # An arXiv id or DOI in any guessed field wins (they meet across sources); else the first guessed
        # field declaring an id is the key as it is spelled, so distinct ids stay distinct entries.
        declared: tuple[str, str] | None = None
        for name in plan.ids:
            value = record[name]
            if isinstance(value, str | int) and not isinstance(value, bool):
                parsed = identity_key(str(value))
                if parsed is not None:
                    consumed.add(name)
                    return parsed
                if declared is None and str(value).strip():
                    declared = (name, str(value).strip())
        if declared is not None:
            consumed.add(declared[0])
            return declared[1], None
        return None, None

    def entry(self, record: Mapping[str, Any], position: int, line: int) -> Entry:
        """The entry for `record`, the `position`-th of its snapshot, starting on `line`."""
        paper = record.get("paper")
        if isinstance(paper, Mapping):  # a Daily Papers item: the paper's own fields win
            record = {**{k: v for k, v in record.items() if k != "paper"}, **paper}
        spec = self.spec
        plan = self._plan(record)

        title_name, title = self._text(record, line, spec.title_field, plan.title, "title")
        abstract_name, abstract = self._text(record, line, spec.abstract_field, plan.abstract, "abstract")
        title = " ".join(title.split()) if title else ""
        if not title:
            if abstract and abstract.strip():
                raise self.source.error(line, "a title", "an abstract with no title")
            names = ", ".join((spec.title_field,) if spec.title_field else TITLE_FIELDS)
            raise self.source.error(line, f"a non-empty title field ({names})", describe(record))
        consumed: set[str] = {title_name} if title_name is not None else set()
        if abstract_name is not None:
            consumed.add(abstract_name)

        key, version = self._key(record, plan, line, consumed)
        abstract = abstract.strip() if abstract else ""
        return self.finish(record, position, line, title, abstract, key, version, consumed, plan.published)

    def finish(
        self,
        record: Mapping[str, Any],
        position: int,
        line: int,
        title: str,
        abstract: str,
        key: str | None,
        version: int | None,
        consumed: set[str] | None = None,
        published_fields: tuple[str, ...] | None = None,
    ) -> Entry:
        """The entry of a record whose title, abstract and key are known: its other fields (authors,
        dates, counts, `extra`) are read from `record`, leaving out the `consumed` ones.

        The Rust core reads titles, abstracts and keys of JSON lines itself and hands the remaining
        members over as `record`.
        """
        if consumed is None:
            consumed = set()
        if published_fields is None:
            published_fields = self._plan(record).published
        versions = record.get("versions")
        if version is None and versions is not None:
            version = _last_version(versions)

        authors = _authors(record["authors"]) if "authors" in record else None
        if authors is not None:
            consumed.add("authors")
        published: str | None = None
        published_name = _pick(record, published_fields)
        if published_name is not None and isinstance(record[published_name], str):
            published = record[published_name]
            consumed.add(published_name)
        elif versions is not None:
            published = _first_version_date(versions)
        upvotes = authors_count = organization = None
        if "upvotes" in record:
            upvotes = _int(record["upvotes"])
            if upvotes is not None:
                consumed.add("upvotes")
        if "authors_count" in record:
            authors_count = _int(record["authors_count"])
            if authors_count is not None:
                consumed.add("authors_count")
        if "organization" in record:
            organization = _organization(record["organization"])
            if organization is not None:
                consumed.add("organization")

        extra: dict[str, Any] = {}
        if self.spec.keep_extra:
            extra = {k: v for k, v in record.items() if k not in consumed}
        return Entry(
            title=title,
            abstract=abstract,
            key=key,
            version=version,
            authors=authors,
            authors_count=authors_count,
            organization=organization,
            published=published,
            upvotes=upvotes,
            position=position,
            line=line,
            extra=extra,
        )
