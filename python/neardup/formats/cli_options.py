"""The command-line options several commands share, each group defined once: how inputs are read
(``--from`` and the field names, ``--encoding`` and ``--delimiter``, the last two checked when parsed so
that a bad one is a usage error; `diff`, `dedup`, `catalog add`), ``-q``, and the shape of an option
taking one of a few names (`choice_option`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from neardup import _core
from neardup.formats import FORMATS

__all__ = ["choice_option", "input_options", "option_group", "quiet_option", "source_options"]

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


def option_group(*options: Callable[[_F], _F]) -> Callable[[_F], _F]:
    """`options` (``click.option`` decorators) as one decorator, listed by ``--help`` in the order given."""

    def add(command: _F) -> _F:
        # A decorator applied later lists its option earlier: apply the last first.
        for option in reversed(options):
            command = option(command)
        return command

    return add


def choice_option(*names: str, choices: Iterable[str], default: str, help: str) -> Callable[[_F], _F]:
    """An option taking one of `choices`, `default` when absent and shown so in ``--help``."""
    return click.option(
        *names, type=click.Choice(list(choices)), default=default, show_default=True, help=help
    )


input_options = option_group(
    click.option(
        "--encoding",
        default=None,
        callback=_encoding,
        help="Text encoding of the inputs, e.g. latin-1 or cp1252 (default: UTF-8, or UTF-16 by its "
        "byte-order mark). Compressed inputs (gzip, zstd, bzip2, xz) are recognised by content.",
    ),
    click.option(
        "--delimiter",
        default=None,
        callback=_delimiter,
        help="CSV field delimiter: one character, or tab, comma, semicolon (default: the most frequent "
        "of comma, semicolon and tab in the header row).",
    ),
)
"""``--encoding`` and ``--delimiter`` (parameters ``encoding``, ``delimiter``)."""


def source_options(inputs: str) -> Callable[[_F], _F]:
    """``--from`` (the input format of `inputs`, e.g. "both snapshots") and the fields holding the id,
    title and abstract (parameters ``from_format``, ``id_field``, ``title_field``, ``abstract_field``)."""
    return option_group(
        choice_option(
            "--from",
            "from_format",
            choices=["auto", *FORMATS],
            default="auto",
            help=f"Input format of {inputs}.",
        ),
        click.option("--id-field", default=None, help="Field holding the id (jsonl, csv, hf-json)."),
        click.option("--title-field", default=None, help="Field holding the title."),
        click.option("--abstract-field", default=None, help="Field holding the abstract."),
    )


quiet_option = click.option("-q", "--quiet", is_flag=True, help="Print nothing; only the exit status tells.")
