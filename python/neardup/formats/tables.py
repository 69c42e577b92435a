"""Snapshots from data in memory: lists of dicts, and any object exporting Arrow data through the Arrow
PyCapsule interface (``__arrow_c_stream__`` / ``__arrow_c_array__``: pyarrow tables, record batches and
arrays, polars and recent pandas DataFrames, DuckDB results), plus pandas DataFrames without it.

Each row becomes a record mapped by the same field rules as a JSON Lines record (`RecordMapper`:
``id_field``/``title_field``/``abstract_field`` or the usual column names); its ``line`` is the row's
1-based number. A missing value (None, NaN) in the title or abstract column is an empty text with
``on_missing="empty"`` (and so is an absent column) or an error naming the row with ``"error"``.
Arrow data is read through pyarrow (the ``arrow`` extra), one record batch at a time.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from neardup.formats.fields import FieldSpec, RecordMapper
from neardup.formats.source import Source
from neardup.model import Entry

__all__ = ["ON_MISSING", "is_table", "read_table"]

ON_MISSING = ("empty", "error")
_TEXT_COLUMNS = ("title", "paper_title", "abstract", "summary", "paper_abstract", "description")


def is_table(data: object) -> bool:
    """Whether `data` is data in memory that `read_table` reads (not a path or a file object)."""
    if hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__"):
        return True
    if isinstance(data, list | tuple):
        return all(isinstance(row, Mapping) for row in data)
    return hasattr(data, "to_dict") and hasattr(data, "columns")  # a DataFrame without Arrow export


def _batches(data: Any) -> Iterator[list[dict[str, Any]]]:
    if isinstance(data, list | tuple):
        yield [dict(row) for row in data]
        return
    if not (hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__")):
        yield data.to_dict("records")  # pandas before the Arrow export
        return
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError("reading Arrow data needs pyarrow: pip install 'neardup[arrow]'") from None
    if hasattr(data, "__arrow_c_stream__"):
        reader = pa.RecordBatchReader.from_stream(data)
        for batch in reader:
            yield batch.to_pylist()
        return
    array = pa.array(data)
    if pa.types.is_struct(array.type):
        yield array.to_pylist()
    else:  # an array of texts: one abstract each
        yield [{"title": "", "abstract": text} for text in array.to_pylist()]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def read_table(data: object, spec: FieldSpec, on_missing: str = "empty") -> list[Entry]:
    """The entries of the rows of `data` (see the module doc)."""
    if on_missing not in ON_MISSING:
        raise ValueError(f"on_missing: expected one of {', '.join(ON_MISSING)}, got {on_missing!r}")
    source = Source(f"<{type(data).__name__}>", b"", io.BytesIO())
    mapper = RecordMapper(source, spec)
    texts = {spec.title_field, spec.abstract_field, *_TEXT_COLUMNS} - {None}
    entries: list[Entry] = []
    row = 0
    for batch in _batches(data):
        for record in batch:
            row += 1
            for name in [k for k, v in record.items() if _missing(v)]:
                if name in texts and on_missing == "error":
                    got = "None" if record[name] is None else "NaN"
                    raise source.error(row, f"a text in column {name!r}", f"a missing value ({got})")
                if name in texts:
                    record[name] = ""
                else:
                    del record[name]  # a missing id or metadata: as if the column were absent
        _map_batch(source, mapper, batch, row - len(batch) + 1, entries)
    return entries


def _map_batch(
    source: Source, mapper: RecordMapper, batch: list[dict[str, Any]], first: int, entries: list[Entry]
) -> None:
    """Maps the rows of `batch` (the first being row `first`) to entries. Rows of plain JSON values go
    as JSON Lines through the core's batch reader (the rules and errors of `RecordMapper`, without a
    Python call per field); a batch holding other values (dates, bytes, …) is mapped row by row."""
    from neardup.formats.jsonl import _core_reads, _read_batch

    data = None
    if _core_reads(mapper.spec) and all(isinstance(k, str) for r in batch for k in r):
        try:
            encode = json.JSONEncoder(check_circular=False).encode  # ASCII out: the C encoder's fast path
            data = ("\n".join(map(encode, batch)) + "\n").encode("ascii")
        except (TypeError, ValueError):
            data = None
    if data is not None:
        _read_batch(source, mapper, first, data, len(data), entries)
        return
    for offset, record in enumerate(batch):
        entries.append(mapper.entry(record, len(entries), first + offset))
