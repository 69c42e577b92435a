"""The all-Rust path of ``neardup diff --format json`` on JSON Lines snapshots.

`neardup.compare` builds a Python `Entry` per record and a `Match` per pair; on snapshots of 10^5 records
that per-object work, not the matching, is most of the run. When both inputs are regular JSON Lines files
whose records the core reads by itself (title, abstract, id and scalar fields; see
``rust/neardup-core/src/records/file.rs``), the core reads them, reconciles them with the same stages
(``rust/neardup-core/src/reconcile/snapshot.rs``) and writes the report byte for byte as
`neardup.report.json` would (``reconcile/json.rs``). In every other case (stdin, other formats, records
with authors or version lists, several entries sharing a key or title, any error) it steps aside and the
Python path runs as usual, with its precise error messages. Tests check that both paths give identical
reports.
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

# This module is on the start-up path of ``neardup diff``: it imports only what detecting a JSON Lines
# file needs (not `neardup.reconcile`, `neardup.identity` or the format readers).


def _jsonl_name(path: str, from_format: str) -> str | None:
    """The display name of `path` when it is a regular JSON Lines file, else None."""
    if path == "-" or not os.path.isfile(path):
        return None  # stdin, FIFOs and devices can only be read once: the Python path reads them
    try:
        with open_source(path) as source:
            if from_format == "auto" and detect_format(source.head, path=source.name) != "jsonl":
                return None
            return source.name
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
) -> tuple[_core.Report, bool] | None:
    """The JSON report of ``neardup diff OLD NEW --format json`` (UTF-8, as a core `Report`: ``bytes(r)``
    or ``r.write_to(fd)``) and whether the snapshots differ, or None when this path does not apply (then
    `neardup.compare` and `neardup.report.render` give it)."""
    made = _diff(old, new, None, from_format, threshold, include_meta, id_field, title_field, abstract_field)
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
) -> tuple[OSError | None, bool] | None:
    """`diff_json` with the report written to the open file descriptor `fd` while the core renders it
    (the writing overlaps the rendering). Returns the `OSError` that stopped the writing (or None) and
    whether the snapshots differ; None when this path does not apply, and then nothing was written."""
    made = _diff(old, new, fd, from_format, threshold, include_meta, id_field, title_field, abstract_field)
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
) -> tuple[object, bool] | None:
    if from_format not in ("auto", "jsonl"):
        return None
    old_name, new_name = _jsonl_name(old, from_format), _jsonl_name(new, from_format)
    if old_name is None or new_name is None:
        return None
    return _core._diff_jsonl(
        old,
        new,
        old_name,
        new_name,
        threshold=threshold,
        duplicate_threshold=DEFAULT_DUPLICATE_THRESHOLD,
        include_meta=include_meta,
        title_field=title_field,
        abstract_field=abstract_field,
        id_field=id_field,
        int_max_str_digits=sys.get_int_max_str_digits(),
        out_fd=fd,
    )
