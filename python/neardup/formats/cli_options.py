"""The command-line options about reading inputs that every reading command shares (`diff`, `catalog
add`): ``--encoding`` and ``--delimiter``, checked when parsed so that a bad one is a usage error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from neardup import _core

__all__ = ["input_options"]

_F = TypeVar("_F", bound=Callable[..., Any])

_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}


def _encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        _core._encoding(value)
    except ValueError:
        raise click.BadParameter(f"unknown encoding {value!r} (e.g. utf-8, latin-1, cp1252)") from None
    return value


def _delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    value = _DELIMITER_NAMES.get(value.lower(), value)
    if len(value) != 1 or value in '"\r\n' or not value.isascii():
        raise click.BadParameter(f"{value!r}: expected one ASCII character, or tab, comma, semicolon")
    return value


def input_options(command: _F) -> _F:
    """Adds ``--encoding`` and ``--delimiter`` to `command` (parameters ``encoding``, ``delimiter``)."""
    command = click.option(
        "--delimiter",
        default=None,
        callback=_delimiter,
        help="CSV field delimiter: one character, or tab, comma, semicolon (default: the most frequent "
        "of comma, semicolon and tab in the header row).",
    )(command)
    command = click.option(
        "--encoding",
        default=None,
        callback=_encoding,
        help="Text encoding of the inputs, e.g. latin-1 or cp1252 (default: UTF-8, or UTF-16 by its "
        "byte-order mark). Compressed inputs (gzip, zstd, bzip2, xz) are recognised by content.",
    )(command)
    return command
