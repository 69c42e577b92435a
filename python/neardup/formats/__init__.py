"""Snapshot readers: one module per input format, plus autodetection.

`read_snapshot` opens a file (or ``-`` for stdin), detects or takes its format, and returns a
`Snapshot`. Every failure to read it is a `SnapshotFormatError` naming the path, the line (when one
applies) and what was expected there.
"""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

from neardup.formats.detect import detect_format
from neardup.formats.source import PathOrFile, open_source

if TYPE_CHECKING:
    from neardup.formats.fields import FieldSpec
    from neardup.formats.source import Source
    from neardup.model import Entry, Snapshot

    _Reader = Callable[[Source, FieldSpec], tuple[list[Entry], str | None]]

__all__ = ["FORMATS", "PathOrFile", "detect_format", "read_snapshot"]

# Each format's reader module. They are imported on first use (arxiv-atom brings in xml.etree, every
# reader the entry model and field mapping), not with this package: ``neardup diff`` on JSON Lines only
# detects the format here before the Rust core reads the files, and pays for none of them at start-up.
_READER_MODULES: dict[str, str] = {
    "hf-text": "hf_text",
    "hf-json": "hf_json",
    "arxiv-atom": "arxiv_atom",
    "jsonl": "jsonl",
    "csv": "csv_table",
    "parquet": "arrow_files",
    "arrow": "arrow_ipc",
}

FORMATS: tuple[str, ...] = tuple(_READER_MODULES)
"""The names accepted by ``read_snapshot(format=...)`` (besides ``"auto"``)."""


def _reader(name: str) -> _Reader:
    """The ``read`` function of format `name`'s reader module, imported on first use."""
    module = importlib.import_module(f"{__name__}.{_READER_MODULES[name]}")
    return cast("_Reader", module.read)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a reader builds its entries.

    Readers allocate a few container objects per record (parsed JSON, `extra` dicts) and keep
    them all, so every collection re-traverses everything read so far: on large inputs that more
    than doubles the reading time. Readers create no reference cycles, so nothing is lost by
    waiting; the collector is re-enabled afterwards (only if it was enabled before).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_snapshot(
    path: PathOrFile | object,
    format: str = "auto",
    *,
    id_field: str | None = None,
    title_field: str | None = None,
    abstract_field: str | None = None,
    keep_extra: bool = True,
    encoding: str | None = None,
    delimiter: str | None = None,
    on_missing: str = "empty",
) -> Snapshot:
    """Read a snapshot file.

    Args:
        path: a path, ``"-"`` for standard input, or a binary file object; or data in memory: a list
            of dicts (one record each), or an object exporting Arrow data (``__arrow_c_stream__`` /
            ``__arrow_c_array__``: a pyarrow Table, a polars or pandas DataFrame, …; needs pyarrow),
            its rows read like JSON Lines records (`neardup.formats.tables`).
        format: one of `FORMATS`, or ``"auto"`` to detect it from the content.
        id_field, title_field, abstract_field: for ``jsonl``, ``csv`` and ``hf-json``: the fields
            holding the id, title and abstract (dotted paths such as ``paper.title`` reach into
            nested JSON objects). By default the first present of common names is used. An explicit
            id field always gives a key: its arXiv id or DOI when it holds one, else its value.
        keep_extra: keep the source's other fields in `Entry.extra` (turn off to save memory on
            very large inputs).
        encoding: the text's encoding when it is not UTF-8 (``"latin-1"``, ``"cp1252"``, any WHATWG
            label); by default UTF-8, or UTF-16 when the text starts with its byte-order mark.
            Compressed input (gzip, zstd, bzip2, xz) is recognised by its content in any case.
        delimiter: for ``csv``: the field delimiter (one character); by default the most frequent of
            comma, semicolon and tab in the header row.
        on_missing: for data in memory: a missing title or abstract (None, NaN) is an empty text
            (``"empty"``) or a `SnapshotFormatError` naming the row (``"error"``).

    Returns:
        A `Snapshot` whose entries are in file order, with ``position`` and ``line`` set.

    Raises:
        SnapshotFormatError: the file is missing, unreadable, a directory, empty, binary, not UTF-8,
            or not valid in the format.
        ValueError: `format` is not a known format name, `encoding` not a known encoding, or
            `delimiter` not one character.
    """
    from neardup.formats.fields import FieldSpec
    from neardup.model import Snapshot

    if format != "auto" and format not in _READER_MODULES:
        known = ", ".join(("auto", *FORMATS))
        raise ValueError(f"unknown snapshot format {format!r}; expected one of {known}")
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        raise ValueError(f"delimiter {delimiter!r}: expected one character other than a quote or line end")
    spec = FieldSpec(id_field, title_field, abstract_field, keep_extra, delimiter)
    from neardup.formats.tables import is_table, read_table

    if not isinstance(path, str | os.PathLike) and not hasattr(path, "read") and is_table(path):
        with _gc_paused():
            return Snapshot(read_table(path, spec, on_missing))
    path = cast("PathOrFile", path)
    with open_source(path, encoding) as source:
        name = (
            detect_format(source.head, path=source.name, delimiter=delimiter) if format == "auto" else format
        )
        read = _reader(name)
        with _gc_paused():
            entries, date = read(source, spec)
    return Snapshot(entries, date=date, path=source.name, format=name)
