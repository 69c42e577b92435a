"""Temporary files that the command line's signal handlers remove when a run is interrupted.

A file is registered with the core's handlers (``_core._track_temp``) *before* it is created: a signal
arriving between the creation and the registration would otherwise end the run and leave the file behind.
Registering a name that is then found taken is harmless (the handlers' ``unlink`` of a file that is not
there fails quietly, and a taken name is unregistered before another is tried).
"""

from __future__ import annotations

import contextlib
import errno
import os

from neardup import _core

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def create(directory: str, prefix: str, suffix: str = "", mode: int = 0o666) -> tuple[int, str]:
    """Creates and opens a new file ``PREFIX<random>SUFFIX`` in `directory`, exclusively (a fresh name on
    a collision, as `tempfile.mkstemp` does, whose module this one does not import) and registered for
    removal on a signal; returns its descriptor and path. `mode` (less the umask) is the file's: a plain
    ``open()``'s by default, for a report renamed into place; 0o600 for a copy of someone's data in a
    shared temporary directory. `untrack` (or `remove`) ends the registration."""
    for _ in range(100):
        path = os.path.join(directory, f"{prefix}{os.urandom(6).hex()}{suffix}")
        _core._track_temp(path, True)
        try:
            return os.open(path, _FLAGS, mode), path
        except FileExistsError:
            _core._track_temp(path, False)
        except BaseException:
            _core._track_temp(path, False)
            raise
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", directory)


def untrack(path: str) -> None:
    """Ends the registration of `path` (for a file renamed into place, or removed)."""
    _core._track_temp(path, False)


def remove(path: str) -> None:
    """Removes `path` if it is still there, and ends its registration."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    untrack(path)
