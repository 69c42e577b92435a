"""Snapshot readers: one module per input format, plus autodetection.

`read_snapshot` opens a file (or ``-`` for stdin), detects or takes its format, and returns a
`Snapshot`. Every failure to read it is a `SnapshotFormatError` naming the path, the line (when one
applies) and what was expected there.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from neardup.formats import arxiv_atom, csv_table, hf_json, hf_text, jsonl
from neardup.formats.detect import detect_format
from neardup.formats.fields import FieldSpec
from neardup.formats.source import PathOrFile, Source, open_source
from neardup.model import Entry, Snapshot

__all__ = ["FORMATS", "PathOrFile", "detect_format", "read_snapshot"]

_Reader = Callable[[Source, FieldSpec], tuple[list[Entry], str | None]]
_READERS: dict[str, _Reader] = {
    "hf-text": hf_text.read,
    "hf-json": hf_json.read,
    "arxiv-atom": arxiv_atom.read,
    "jsonl": jsonl.read,
    "csv": csv_table.read,
}

FORMATS: tuple[str, ...] = tuple(_READERS)
"""The names accepted by ``read_snapshot(format=...)`` (besides ``"auto"``)."""


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
    path: PathOrFile,
    format: str = "auto",
    *,
    id_field: str | None = None,
    title_field: str | None = None,
    abstract_field: str | None = None,
    keep_extra: bool = True,
) -> Snapshot:
    """Read a snapshot file.

    Args:
        path: a path, ``"-"`` for standard input, or a binary file object.
        format: one of `FORMATS`, or ``"auto"`` to detect it from the content.
        id_field, title_field, abstract_field: for ``jsonl``, ``csv`` and ``hf-json``: the fields
            holding the id, title and abstract (dotted paths such as ``paper.title`` reach into
            nested JSON objects). By default the first present of common names is used. An explicit
            id field always gives a key: its arXiv id or DOI when it holds one, else its value.
        keep_extra: keep the source's other fields in `Entry.extra` (turn off to save memory on
            very large inputs).

    Returns:
        A `Snapshot` whose entries are in file order, with ``position`` and ``line`` set.

    Raises:
        SnapshotFormatError: the file is missing, unreadable, a directory, empty, binary, not UTF-8,
            or not valid in the format.
        ValueError: `format` is not a known format name.
    """
    if format != "auto" and format not in _READERS:
        known = ", ".join(("auto", *FORMATS))
        raise ValueError(f"unknown snapshot format {format!r}; expected one of {known}")
    spec = FieldSpec(id_field, title_field, abstract_field, keep_extra)
    with open_source(path) as source:
        name = detect_format(source.head, path=source.name) if format == "auto" else format
        with _gc_paused():
            entries, date = _READERS[name](source, spec)
    return Snapshot(entries, date=date, path=source.name, format=name)
