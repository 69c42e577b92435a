"""Readers for ``parquet`` and ``arrow`` (Arrow IPC file or stream) snapshots in Python, recognised by
their magic bytes (``PAR1``, ``ARROW1``; an IPC stream by its continuation marker). ``neardup diff``
and ``neardup dedup`` read such files in the core without pyarrow (``read/columnar.rs``); these readers
take what the core leaves (standard input, columns of types JSON has no plain spelling for, such as
dates) and serve `neardup.read_snapshot`. Read through pyarrow (the ``arrow`` extra) one row group or
record batch at a time; each row is mapped like a JSON Lines record (`neardup.formats.tables`), its
``line`` being its 1-based row number. Missing titles and abstracts (nulls) are empty texts."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any

from neardup.formats.fields import FieldSpec
from neardup.formats.source import Source
from neardup.formats.tables import read_table
from neardup.model import Entry

__all__ = ["read_arrow", "read_parquet"]


def _pyarrow(source: Source) -> Any:
    try:
        import pyarrow as pa
    except ImportError:
        raise source.error(
            None, "pyarrow to read this file", "no pyarrow: pip install 'neardup[arrow]'"
        ) from None
    return pa


def _seekable(source: Source) -> IO[bytes]:
    stream = source.stream
    try:
        if stream.seekable():
            return stream
    except (OSError, ValueError):
        pass
    return io.BytesIO(stream.read())  # a pipe: the footer is at the end


class _Batches:
    """An object whose ``__arrow_c_stream__`` yields the batches of an iterator (for `read_table`)."""

    def __init__(self, schema: Any, batches: Iterator[Any]) -> None:
        self._schema = schema
        self._batches = batches

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        import pyarrow as pa

        reader = pa.RecordBatchReader.from_batches(self._schema, self._batches)
        return reader.__arrow_c_stream__(requested_schema)


def _entries(source: Source, spec: FieldSpec, schema: Any, batches: Iterator[Any]) -> list[Entry]:
    entries = read_table(_Batches(schema, batches), spec, "empty")
    return entries


def read_parquet(source: Source, spec: FieldSpec) -> tuple[list[Entry], str | None]:
    """Read the entries of a ``parquet`` snapshot, one row group at a time."""
    pa = _pyarrow(source)
    import pyarrow.parquet as pq

    try:
        f = pq.ParquetFile(_seekable(source))
        return _entries(source, spec, f.schema_arrow, f.iter_batches(batch_size=65536)), None
    except (pa.ArrowException, OSError) as error:
        raise source.error(
            None, "a Parquet file", str(error).splitlines()[0] if str(error) else None
        ) from None


def read_arrow(source: Source, spec: FieldSpec) -> tuple[list[Entry], str | None]:
    """Read the entries of an ``arrow`` snapshot (IPC file or stream), one record batch at a time."""
    pa = _pyarrow(source)
    import pyarrow.ipc as ipc

    try:
        if source.head.startswith(b"ARROW1"):
            f = ipc.open_file(_seekable(source))
            batches = (f.get_batch(i) for i in range(f.num_record_batches))
            return _entries(source, spec, f.schema, batches), None
        r = ipc.open_stream(source.stream)
        return _entries(source, spec, r.schema, iter(r)), None
    except (pa.ArrowException, OSError) as error:
        raise source.error(
            None, "an Arrow IPC file", str(error).splitlines()[0] if str(error) else None
        ) from None


read = read_parquet
