"""The all-Rust path of ``neardup diff`` on JSON Lines and CSV snapshots.

When both inputs are regular JSON Lines, CSV, hf-json, Parquet or Arrow files the core reads by itself
(see ``rust/neardup-core/src/read/``; standard input and pipes come here as their spooled copies,
``neardup.spool``), the core reads them, reconciles them with the engine every road uses
(``rust/neardup-core/src/engine/``) and renders the report in any format
(``engine/report.rs``), with no Python object per entry. Otherwise (other formats, a record the
core's reader leaves to Python) the Python readers read the files into the same engine, whose result the
same renderers write, and the readers' precise error messages are reported.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from neardup import _core
from neardup.defaults import DEFAULT_DUPLICATE_THRESHOLD, DEFAULT_THRESHOLD
from neardup.errors import SnapshotFormatError
from neardup.formats.detect import detect_format
from neardup.formats.source import open_source

__all__ = ["diff_report", "write_report"]

# This module is on the start-up path of ``neardup diff``: it imports only what detecting a file's format
# needs (not `neardup.reconcile`, `neardup.identity` or the format readers).

#: The report options of ``neardup diff`` this path takes, besides the inputs.
OPTIONS = (
    "fmt",
    "threshold",
    "include_meta",
    "id_field",
    "title_field",
    "abstract_field",
    "context",
    "word_diff",
    "color",
    "ignore_fields",
    "text_fields",
    "encoding",
    "delimiter",
)


_CORE_FORMATS = ("jsonl", "csv", "hf-json")
#: Formats the core reads as the JSON Lines of their rows (``read/columnar.rs``); a file with a column
#: the core cannot spell as JSON (dates, binary, …) is left to the Python reader (pyarrow).
_ARROW_FORMATS = ("parquet", "arrow")


def _core_source(
    path: str,
    from_format: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    name: str | None = None,
) -> tuple[str, str] | None:
    """The display name (`name`, else the path) and format of `path` when it is a regular file in a
    format the core reads, else None."""
    if path == "-" or not os.path.isfile(path):
        return None  # read-once inputs come here as their spooled copies (`neardup.spool`)
    try:
        with open_source(path, encoding) as source:
            shown = name or source.name
            auto = from_format == "auto"
            fmt = detect_format(source.head, path=shown, delimiter=delimiter) if auto else from_format
            return (shown, fmt) if fmt in (*_CORE_FORMATS, *_ARROW_FORMATS) else None
    except SnapshotFormatError:
        return None  # the Python path reports it


def diff_report(
    old: str,
    new: str,
    *,
    from_format: str = "auto",
    names: tuple[str, str] | None = None,
    **options: Any,
) -> tuple[_core.Report, bool] | None:
    """The report of ``neardup diff OLD NEW`` (UTF-8, as a core `Report`: ``bytes(r)`` or
    ``r.write_to(fd)``) and whether the snapshots differ, or None when this path does not apply (then
    `neardup.compare` and `neardup.report.render` give it). `options` are those of `OPTIONS`; `names`
    are the names the inputs are shown by, when not their paths (a spooled copy of standard input)."""
    made = _diff(old, new, None, from_format, names, options)
    if made is None:
        return None
    report, differ = made
    assert isinstance(report, _core.Report)
    return report, differ


def write_report(
    old: str,
    new: str,
    fd: int,
    *,
    from_format: str = "auto",
    names: tuple[str, str] | None = None,
    **options: Any,
) -> tuple[OSError | None, bool] | None:
    """`diff_report` with the report written to the open file descriptor `fd` while the core renders it
    (the writing overlaps the rendering). Returns the `OSError` that stopped the writing (or None) and
    whether the snapshots differ; None when this path does not apply, and then nothing was written."""
    made = _diff(old, new, fd, from_format, names, options)
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
    names: tuple[str, str] | None,
    options: dict[str, Any],
) -> tuple[object, bool] | None:
    if from_format not in ("auto", *_CORE_FORMATS, *_ARROW_FORMATS):
        return None
    o = {name: options.get(name) for name in OPTIONS}
    old_name, new_name = names or (None, None)
    old_source = _core_source(old, from_format, o["encoding"], o["delimiter"], old_name)
    new_source = _core_source(new, from_format, o["encoding"], o["delimiter"], new_name)
    if old_source is None or new_source is None:
        return None
    return _run(old, new, old_source, new_source, fd, o)


def _run(
    old: str,
    new: str,
    old_source: tuple[str, str],
    new_source: tuple[str, str],
    fd: int | None,
    o: dict[str, Any],
) -> tuple[object, bool] | None:
    return _core._diff_files(
        old,
        new,
        old_source[0],
        new_source[0],
        old_format=old_source[1],
        new_format=new_source[1],
        options=_core._EngineOptions(
            threshold=float(o["threshold"] if o["threshold"] is not None else DEFAULT_THRESHOLD),
            duplicate_threshold=DEFAULT_DUPLICATE_THRESHOLD,
            include_meta=bool(o["include_meta"]),
            ignore_fields=list(o["ignore_fields"] or ()),
            text_fields=list(o["text_fields"] or ()),
        ),
        title_field=o["title_field"],
        abstract_field=o["abstract_field"],
        id_field=o["id_field"],
        int_max_str_digits=sys.get_int_max_str_digits(),
        out_fd=fd,
        report_format=o["fmt"] or "json",
        context=o["context"],
        word_diff=o["word_diff"] or "plain",
        color=bool(o["color"]),
        encoding=o["encoding"],
        delimiter=o["delimiter"],
    )
