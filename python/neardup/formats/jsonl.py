"""Reader for ``jsonl``: one JSON object per line (the arXiv metadata dump, Daily Papers items, or
any records with configurable id/title/abstract fields). Streams line by line; blank lines are
skipped."""

from __future__ import annotations

import json

from neardup.formats.fields import FieldSpec, RecordMapper, describe
from neardup.formats.source import Source
from neardup.model import Entry

__all__ = ["read"]


def read(source: Source, spec: FieldSpec) -> tuple[list[Entry], str | None]:
    """Read the entries of a ``jsonl`` snapshot; each entry's ``line`` is its record's line."""
    mapper = RecordMapper(source, spec)
    entries: list[Entry] = []
    for number, raw in source.binary_lines():
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except UnicodeDecodeError:
            source.decode(number, raw)  # raises with the offending byte and column
            raise  # pragma: no cover - decode() raised already
        except json.JSONDecodeError as error:
            got = f"invalid JSON ({error.msg} at column {error.colno})"
            raise source.error(number, "a JSON object", got) from None
        except ValueError as error:  # e.g. an integer beyond int_max_str_digits
            raise source.error(number, "a JSON object", f"invalid JSON ({error})") from None
        except RecursionError:
            raise source.error(number, "a JSON object", "values nested too deeply") from None
        if not isinstance(record, dict):
            raise source.error(number, "a JSON object", describe(record))
        entries.append(mapper.entry(record, len(entries), number))
    if not entries:
        raise source.error(None, "at least one JSON object", "only blank lines")
    return entries, None
