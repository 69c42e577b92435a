"""The all-Rust path of ``neardup diff --format json`` on JSON Lines and CSV snapshots.

When both inputs are regular JSON Lines or CSV files whose records the core reads by itself (title,
abstract, id and scalar fields; see ``rust/neardup-core/src/records/file.rs`` and ``csv_table.rs``), the
core reads them, reconciles them with the engine every road uses (``rust/neardup-core/src/reconcile/``)
and writes the JSON report itself (``reconcile/json.rs``), with no Python object per entry. Otherwise
(stdin, other formats, records with authors or version lists, any error) the Python readers read the
files into the same engine, and their precise error messages are reported.
"""

from __future__ import annotations

import os
import sys

from neardup import _core
from neardup.defaults import DEFAULT_DUPLICATE_THRESHOLD
from neardup.errors import SnapshotFormatError
from neardup.formats.detect import detect_format
from neardup.formats.source import open_source

__all__ = ["diff_json", "write_json"]

# This module is on the start-up path of ``neardup diff``: it imports only what detecting a file's format
# needs (not `neardup.reconcile`, `neardup.identity` or the format readers).


_CORE_FORMATS = ("jsonl", "csv")


def _core_source(
    path: str, from_format: str, encoding: str | None = None, delimiter: str | None = None
) -> tuple[str, str] | None:
    """The display name and format of `path` when it is a regular file in a format the core reads,
    else None."""
    if path == "-" or not os.path.isfile(path):
        return None  # stdin, FIFOs and devices can only be read once: the Python path reads them
    try:
        with open_source(path, encoding) as source:
            auto = from_format == "auto"
            fmt = detect_format(source.head, path=source.name, delimiter=delimiter) if auto else from_format
            return (source.name, fmt) if fmt in _CORE_FORMATS else None
    except SnapshotFormatError:
        return None  # the Python path reports it


def diff_json(
    old: str,
    new: str,
    *,
    from_format: str = "auto",
    threshold: float,
    include_meta: bool = False,
    id_field: str | None = None,
    title_field: str | None = None,
    abstract_field: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> tuple[_core.Report, bool] | None:
    """The JSON report of ``neardup diff OLD NEW --format json`` (UTF-8, as a core `Report`: ``bytes(r)``
    or ``r.write_to(fd)``) and whether the snapshots differ, or None when this path does not apply (then
    `neardup.compare` and `neardup.report.render` give it)."""
    made = _diff(
        old,
        new,
        None,
        from_format,
        threshold,
        include_meta,
        id_field,
        title_field,
        abstract_field,
        encoding,
        delimiter,
    )
    if made is None:
        return None
    report, differ = made
    assert isinstance(report, _core.Report)
    return report, differ


def write_json(
    old: str,
    new: str,
    fd: int,
    *,
    from_format: str = "auto",
    threshold: float,
    include_meta: bool = False,
    id_field: str | None = None,
    title_field: str | None = None,
    abstract_field: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> tuple[OSError | None, bool] | None:
    """`diff_json` with the report written to the open file descriptor `fd` while the core renders it
    (the writing overlaps the rendering). Returns the `OSError` that stopped the writing (or None) and
    whether the snapshots differ; None when this path does not apply, and then nothing was written."""
    made = _diff(
        old,
        new,
        fd,
        from_format,
        threshold,
        include_meta,
        id_field,
        title_field,
        abstract_field,
        encoding,
        delimiter,
    )
    if made is None:
        return None
    error, differ = made
    assert error is None or isinstance(error, OSError)
    return error, differ


def _diff(
    old: str,
    new: str,
    fd: int | None,
    from_format: str,
    threshold: float,
    include_meta: bool,
    id_field: str | None,
    title_field: str | None,
    abstract_field: str | None,
    encoding: str | None,
    delimiter: str | None,
) -> tuple[object, bool] | None:
    if from_format not in ("auto", *_CORE_FORMATS):
        return None
    old_source, new_source = (
        _core_source(old, from_format, encoding, delimiter),
        _core_source(new, from_format, encoding, delimiter),
    )
    if old_source is None or new_source is None:
        return None
    return _core._diff_files(
        old,
        new,
        old_source[0],
        new_source[0],
        old_format=old_source[1],
        new_format=new_source[1],
        threshold=threshold,
        duplicate_threshold=DEFAULT_DUPLICATE_THRESHOLD,
        include_meta=include_meta,
        title_field=title_field,
        abstract_field=abstract_field,
        id_field=id_field,
        int_max_str_digits=sys.get_int_max_str_digits(),
        out_fd=fd,
        encoding=encoding,
        delimiter=delimiter,
    )
