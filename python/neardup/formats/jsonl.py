"""Reader for ``jsonl``: one JSON object per line (the arXiv metadata dump, Daily Papers items, or
any records with configurable id/title/abstract fields). Blank lines are skipped.

The file is read in batches of whole lines (a few MB each, so memory stays bounded on any size).
Each batch goes to the Rust core, which parses the lines in parallel and builds the entries of the
records it can read with certainty; every other line (an error to report, a Daily Papers item, an
id in an unusual spelling...) comes back to the per-record Python path below, which is the
definition of the format. Both give identical entries and errors.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any, cast

from neardup import _core
from neardup.formats.fields import INTERPRETED_FIELDS, FieldSpec, RecordMapper, describe
from neardup.formats.source import BOM, Source, lone_surrogate
from neardup.model import Entry

__all__ = ["parse_object", "read"]

BATCH_SIZE = 4 << 20
"""Bytes read at a time; a batch is the whole lines among them (and the end of the line before)."""

_Fields = tuple[int, str, str, str | None, int | None]  # line, title, abstract, key, version


def _core_reads(spec: FieldSpec) -> bool:
    """Whether the core can read records for `spec`: explicit fields are plain top-level names."""
    names = (spec.id_field, spec.title_field, spec.abstract_field)
    return all(name is None or ("." not in name and name not in INTERPRETED_FIELDS) for name in names)


class _DuplicateKey(Exception):
    """A JSON object names a member twice (raised from the parser's hook, caught by `parse_object`)."""


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return record


def parse_object(source: Source, number: int, raw: bytes) -> dict[str, Any]:
    """The JSON object on line `number` (`raw`, not blank), or the `SnapshotFormatError` it deserves.

    A member named twice is refused: parsers disagree on which value wins (Python's keeps the last,
    others the first), so taking either would be a silent guess."""
    try:
        record = json.loads(raw, object_pairs_hook=_unique_members)
    except UnicodeDecodeError:
        source.decode(number, raw)  # raises with the offending byte and column
        raise  # pragma: no cover - decode() raised already
    except json.JSONDecodeError as error:
        # Some messages end with "at" ("Invalid control character at"): the column follows.
        got = f"invalid JSON ({error.msg.removesuffix(' at')} at column {error.colno})"
        raise source.error(number, "a JSON object", got) from None
    except _DuplicateKey as dup:
        raise source.error(number, "each member named once", f"{dup.args[0]!r} twice") from None
    except ValueError as error:  # e.g. an integer beyond int_max_str_digits
        raise source.error(number, "a JSON object", f"invalid JSON ({error})") from None
    except RecursionError:
        raise source.error(number, "a JSON object", "values nested too deeply") from None
    if not isinstance(record, dict):
        raise source.error(number, "a JSON object", describe(record))
    if b"\\u" in raw:  # only a \u escape can spell a lone surrogate (the core leaves such lines here)
        lone = lone_surrogate(record)
        if lone is not None:
            got = f"a lone surrogate {lone} (an unpaired \\u escape)"
            raise source.error(number, "valid Unicode text", got)
    return record


def _record(source: Source, mapper: RecordMapper, number: int, raw: bytes, position: int) -> Entry | None:
    """The entry of one line (None for a blank line), or the `SnapshotFormatError` it deserves."""
    if b"\x00" in raw:
        raise source.error(number, "text", "binary data (a NUL byte)")
    if not raw.strip():
        return None
    return mapper.entry(parse_object(source, number, raw), position, number)


def _read_lines(
    source: Source, mapper: RecordMapper, first: int, data: bytes, end: int, entries: list[Entry]
) -> int:
    """The per-record path for the lines in ``data[:end]``; returns how many there are."""
    lines = io.BytesIO(data[:end])
    count = 0
    for count, raw in enumerate(lines, 1):
        entry = _record(source, mapper, first + count - 1, raw, len(entries))
        if entry is not None:
            entries.append(entry)
    return count


def _read_batch(
    source: Source, mapper: RecordMapper, first: int, data: bytes, end: int, entries: list[Entry]
) -> int:
    """The core's path for a batch: it builds the entries; members it leaves over are added to their
    `extra` or finished by `RecordMapper.finish`, and lines it hands back go the per-record path.
    Returns the number of lines read."""
    spec = mapper.spec
    position = len(entries)
    items, rest_json, rest_at, fallback_at, count = _core._read_jsonl_batch(
        data,
        end,
        first,
        position,
        Entry,
        title_field=spec.title_field,
        abstract_field=spec.abstract_field,
        id_field=spec.id_field,
        keep_extra=spec.keep_extra,
        int_max_str_digits=sys.get_int_max_str_digits(),
    )
    if rest_json is not None:
        try:
            rests: list[dict[str, Any]] = json.loads(rest_json)
        except (ValueError, RecursionError):  # values Python refuses: the per-record path says where
            return _read_lines(source, mapper, first, data, end, entries)
        for index, rest in zip(rest_at, rests, strict=True):
            item = items[index]
            if isinstance(item, Entry):  # a fresh dict the core made for this entry
                cast(dict[str, Any], item.extra).update(rest)
            else:
                number, title, abstract, key, version = cast(_Fields, item)
                items[index] = mapper.finish(rest, position + index, number, title, abstract, key, version)
    blank = []
    for index in fallback_at:
        number, raw = cast(tuple[int, bytes], items[index])
        entry = _record(source, mapper, number, raw, position + index)
        if entry is None:  # pragma: no cover - the core skips blank lines itself
            blank.append(index)
        else:
            items[index] = entry
    for index in reversed(blank):  # pragma: no cover
        del items[index]
    entries.extend(cast(list[Entry], items))
    return count


def read(source: Source, spec: FieldSpec) -> tuple[list[Entry], str | None]:
    """Read the entries of a ``jsonl`` snapshot; each entry's ``line`` is its record's line."""
    mapper = RecordMapper(source, spec)
    entries: list[Entry] = []
    read_lines = _read_batch if _core_reads(spec) else _read_lines
    number = 1  # the line `pending` starts
    pending = b""  # the start of a line not yet read to its end
    first = True
    while True:
        try:
            chunk = source.stream.read(BATCH_SIZE)
        except OSError as error:
            raise source.io_error(number, error) from None
        data = pending + chunk if pending else chunk
        end = data.rfind(b"\n") + 1 if chunk else len(data)
        if end and first:  # the first line is whole: drop its BOM
            first = False
            if data.startswith(BOM):
                data, end = data[len(BOM) :], end - len(BOM)
        if end:
            number += read_lines(source, mapper, number, data, end, entries)
        pending = data[end:]
        if not chunk:
            break
    if not entries:
        raise source.error(None, "at least one JSON object", "only blank lines")
    return entries, None
