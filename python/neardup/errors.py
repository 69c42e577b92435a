"""Python-side domain errors.

`NeardupError` itself lives in the Rust extension (so that core failures and Python-side failures
share one base class); the errors raised by pure-Python code subclass it here.
"""

from __future__ import annotations

from typing import Any

from neardup._core import NeardupError

__all__ = ["CatalogError", "SnapshotFormatError"]

_GOT_LIMIT = 80


def _one_line(text: str) -> str:
    """Squash `text` onto one short line so that an error message never spans several."""
    flat = " ".join(text.split()) if text.strip() else repr(text)
    if len(flat) > _GOT_LIMIT:
        flat = flat[: _GOT_LIMIT - 1] + "…"
    return flat


class SnapshotFormatError(NeardupError):
    """A snapshot file could not be read: it is missing, unreadable, empty, binary, not UTF-8, or
    not in the expected format.

    Attributes:
        path: the file as the user named it (``"<stdin>"`` for standard input).
        line: 1-based line where the problem was found, or None when it concerns the whole file.
        expected: what the reader expected to find there.
        got: what it found instead (a short description), or None.

    ``str(error)`` is one line: ``path:line: expected ..., got ...``.
    """

    path: str
    line: int | None
    expected: str
    got: str | None

    def __init__(self, path: str, line: int | None, expected: str, got: str | None = None) -> None:
        self.path = path
        self.line = line
        self.expected = expected
        self.got = got
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        message = f"{where}: expected {self.expected}"
        if self.got is not None:
            message += f", got {_one_line(self.got)}"
        return message

    def __str__(self) -> str:
        return self._message()

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.line, self.expected, self.got))


class CatalogError(NeardupError):
    """A catalog database cannot be used: it is not a neardup catalog, was written by a newer neardup
    (newer schema version), is damaged, does not exist (when opened without ``create``), or is busy
    (another process held its write lock longer than the busy timeout).

    Attributes:
        path: the database file as given.
        reason: what is wrong, one line.

    ``str(error)`` is one line: ``path: reason``.
    """

    path: str
    reason: str

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.reason))
