"""Readers for ``parquet`` and ``arrow`` (Arrow IPC file or stream) snapshots, recognised by their magic
bytes (``PAR1``, ``ARROW1``; an IPC stream by its continuation marker). Read through pyarrow (the
``arrow`` extra) one row group or record batch at a time; each row is mapped like a JSON Lines record
(`neardup.formats.tables`), its ``line`` being its 1-based row number. Missing titles and abstracts
(nulls) are empty texts."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any

from neardup.formats.fields import FieldSpec
from neardup.formats.source import Source
from neardup.formats.tables import read_table
from neardup.model import Entry

__all__ = ["ARROW_FORMATS", "read_arrow", "read_parquet", "to_jsonl"]

#: The formats `to_jsonl` converts.
ARROW_FORMATS = ("parquet", "arrow")
#: Columns whose nulls are empty texts (not absent members) when converted: the usual text columns.
TEXT_COLUMNS = ("text", "title", "paper_title", "abstract", "summary", "paper_abstract", "description")


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


def _reader(path: str) -> Any:
    """A pyarrow RecordBatchReader over the Parquet (one row group at a time) or Arrow IPC file at
    `path`, or None when it is neither or pyarrow cannot read it."""
    try:
        import pyarrow as pa
        import pyarrow.ipc as ipc
        import pyarrow.parquet as pq
    except ImportError:
        return None
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
        if head.startswith(b"PAR1"):
            f = pq.ParquetFile(path)
            return pa.RecordBatchReader.from_batches(f.schema_arrow, f.iter_batches(batch_size=65536))
        if head.startswith(b"ARROW1"):
            f = ipc.open_file(path)
            batches = (f.get_batch(i) for i in range(f.num_record_batches))
            return pa.RecordBatchReader.from_batches(f.schema, batches)
        if head.startswith(b"\xff\xff\xff\xff"):
            return ipc.open_stream(path)
    except (pa.ArrowException, OSError):
        return None  # the Python reader says what is wrong with it
    return None


def to_jsonl(path: str, dest: str, text_columns: tuple[str | None, ...] = ()) -> bool:
    """Writes the rows of the Parquet or Arrow IPC file at `path` to the new file `dest` as JSON Lines,
    one row a line, so that the core's JSON Lines readers read them (the strings go from the Arrow
    buffers to the file without a Python object per row). Nulls in the usual text columns and in
    `text_columns` are empty texts; elsewhere the member is left out. False (and `dest` is of no use)
    when the file is not for this road: not such a file, no pyarrow, a column of a type JSON has no
    plain spelling for (dates, timestamps, binary, structs), or an error pyarrow reports, which the
    Python reader then reports with the file's name."""
    from neardup import _core

    reader = _reader(path)
    if reader is None:
        return False
    import pyarrow as pa

    texts = sorted({*TEXT_COLUMNS, *(c for c in text_columns if c)})
    try:
        return bool(_core._arrow_jsonl(reader, dest, text_columns=texts))
    except (pa.ArrowException, ValueError, OSError):
        return False


read = read_parquet
