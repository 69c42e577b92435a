"""Inputs that can be read only once (standard input, a FIFO, a process substitution), copied to a
temporary file so that they can be read like any file.

The core reads a regular file by mapping it (and a compressed one as a stream beside the parsing), and a
reader that needs a second look (format detection reads the first bytes; `neardup dedup` makes two
passes) opens it again. A pipe allows neither, so it is copied once, as it comes, to an unlinked-on-exit
file in the temporary directory, bounded by `SPOOL_LIMIT`; the copy is then one more regular file, and
the commands show the name the user gave (``<stdin>`` for ``-``).

This module is on the start-up path of ``neardup diff``: `tempfile` (a few milliseconds of imports) is
imported only when an input is spooled.
"""

from __future__ import annotations

import os
import stat
import sys
from contextlib import ExitStack
from typing import BinaryIO, Union

from neardup import temp_files
from neardup._core import NeardupError
from neardup.errors import SnapshotFormatError

__all__ = ["SPOOL_LIMIT", "display_name", "needs_spool", "readable", "rereadable", "spool"]

PathLike = Union[str, "os.PathLike[str]"]

SPOOL_LIMIT = 1 << 36
"""Most bytes spooled from a non-seekable input (64 GiB; ``NEARDUP_SPOOL_LIMIT`` overrides it): past it the
run stops with one line asking for a file, rather than filling the temporary directory."""

#: Bytes moved by one read: large enough that the copy costs little beside the reading that follows.
_CHUNK = 1 << 20


def _spool_limit() -> int:
    try:
        return int(os.environ.get("NEARDUP_SPOOL_LIMIT", SPOOL_LIMIT))
    except ValueError:
        return SPOOL_LIMIT


def display_name(path: PathLike) -> str:
    """The name an input is shown by: ``<stdin>`` for ``-``, else the path as given."""
    return "<stdin>" if path == "-" else os.fspath(path)


def needs_spool(path: PathLike) -> bool:
    """Whether `path` cannot be read twice: standard input, a FIFO, a character device, a process
    substitution (``<(…)``, ``/dev/fd/N``). Not a directory: the reader says it is one."""
    if path == "-":
        return True
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False  # missing or odd: the reader says what is wrong with it
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def spool_failed(name: str, exc: OSError) -> NeardupError:
    """The one-line error of a temporary copy that could not be made."""
    import tempfile

    where = tempfile.gettempdir()
    return NeardupError(f"{name}: cannot spool to a temporary file in {where}: {exc.strerror or exc}")


def spool(path: PathLike, stack: ExitStack) -> str:
    """The whole of a read-once input copied to a temporary file (at most `SPOOL_LIMIT` bytes), removed
    when `stack` closes (or by the command line's signal handlers); returns its path."""
    import tempfile

    name = display_name(path)
    limit = _spool_limit()
    try:
        fd, tmp = temp_files.create(tempfile.gettempdir(), "neardup-spool-", mode=0o600)
    except OSError as exc:
        raise spool_failed(name, exc) from None
    stack.callback(temp_files.remove, tmp)
    spooled = stack.enter_context(os.fdopen(fd, "wb", buffering=0))
    try:
        source = sys.stdin.buffer if path == "-" else stack.enter_context(open(path, "rb"))  # noqa: SIM115
    except OSError as exc:
        raise SnapshotFormatError(name, None, "a readable file", exc.strerror or str(exc)) from None
    total = 0
    while True:
        try:
            chunk = source.read(_CHUNK)
        except OSError as exc:
            raise SnapshotFormatError(name, None, "a readable file", exc.strerror or str(exc)) from None
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise NeardupError(
                f"{name}: more than {limit} bytes to hold for a second pass; save it to a file and name "
                "the file (or raise NEARDUP_SPOOL_LIMIT)"
            )
        # Unbuffered, written in a loop: a write may take only part of the chunk.
        view = memoryview(chunk)
        while view:
            try:
                view = view[spooled.write(view) or 0 :]
            except OSError as exc:
                raise spool_failed(name, exc) from None
    return tmp


def rereadable(path: PathLike, stack: ExitStack) -> tuple[str, str]:
    """The path to read an input from (its spooled copy when it can be read only once, removed when
    `stack` closes) and the name to show it by."""
    return (spool(path, stack) if needs_spool(path) else os.fspath(path)), display_name(path)


def readable(path: str, name: str, stack: ExitStack) -> str | BinaryIO:
    """What a Python reader reads for `rereadable`'s ``(path, name)``: the path itself, or a spooled
    copy opened under the name shown (the readers name their input by its file's name)."""
    if path == name:
        return path
    fh = stack.enter_context(open(path, "rb"))  # noqa: SIM115 - closed with the stack
    fh.raw.name = name  # type: ignore[attr-defined]
    return fh
