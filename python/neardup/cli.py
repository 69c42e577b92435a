"""The ``neardup`` command line, a thin layer over the public Python API.

Exit codes: 0 = no differences, 1 = differences, 2 = trouble (bad input, bad arguments). Reports go to
stdout (or ``-o FILE``, written atomically), diagnostics to stderr, one line each, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

import click

import neardup
from neardup import formats, spool
from neardup.cli_output import (
    EXIT_DIFFERENT,
    EXIT_SAME,
    EXIT_TROUBLE,
    Trouble,
    end_quietly_on_closed_pipe,
    fast_report,
    progress,
    progress_done,
    report_failure,
    write_output,
)
from neardup.defaults import (
    COLOR_CHOICES,
    DEFAULT_CONTEXT,
    DEFAULT_THRESHOLD,
    REPORT_FORMATS,
    WORD_DIFF_CHOICES,
    threshold_problem,
)
from neardup.formats.cli_options import choice_option, input_options, quiet_option, source_options

# Start-up time matters here: ``neardup diff OLD NEW`` on JSON Lines or CSV runs in the Rust core
# (`neardup.fast_diff`). The Python-level pipeline (`neardup.reconcile`, `neardup.report`, the format
# readers) and the other subcommands are imported only when a run needs them, and click's option
# defaults and choices come from modules that import nothing heavy (`neardup.defaults`,
# `neardup.formats`).

__all__ = ["EXIT_DIFFERENT", "EXIT_SAME", "EXIT_TROUBLE", "Trouble", "cli", "main", "write_output"]


def _use_color(choice: str, stream: Any) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


class _Commands(click.Group):
    """The command group; ``catalog`` (SQLite, numpy) and ``dedup`` are imported only when they are the
    command run (or listed by ``--help``)."""

    _LAZY = {"catalog": "neardup.cli_catalog", "dedup": "neardup.cli_dedup"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._LAZY and cmd_name not in self.commands:
            module = importlib.import_module(self._LAZY[cmd_name])
            self.add_command(getattr(module, cmd_name))
        return super().get_command(ctx, cmd_name)


def _check_threshold(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    problem = threshold_problem(value)
    if problem is not None:
        raise click.BadParameter(problem)
    return value


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(neardup.__version__, prog_name="neardup")
def cli() -> None:
    """Near-duplicate detection, word diffs and reconciliation of paper-digest snapshots."""


@cli.command("diff")
@click.argument("old", type=str)
@click.argument("new", type=str)
@choice_option("--format", "fmt", choices=REPORT_FORMATS, default="text", help="Report format.")
@click.option("-o", "--output", type=str, default=None, help="Write the report to FILE.")
@click.option(
    "--threshold",
    type=float,
    default=DEFAULT_THRESHOLD,
    show_default=True,
    callback=_check_threshold,
    help="Least evidence score of a near match (log-likelihood ratio of title, abstract, authors; >= 1).",
)
@choice_option(
    "--color",
    choices=COLOR_CHOICES,
    default="auto",
    help="Colour the text report (auto: only on a terminal, and not when NO_COLOR is set).",
)
@choice_option(
    "--word-diff",
    choices=WORD_DIFF_CHOICES,
    default="color",
    help="How word changes show in the text report.",
)
@click.option(
    "--context",
    type=str,
    default=str(DEFAULT_CONTEXT),
    show_default=True,
    help="Words of unchanged text kept around each change in text, md and html reports ('all': whole texts).",
)
@click.option("--include-meta", is_flag=True, help="Let metadata-only differences count as changes.")
@click.option(
    "--text-fields",
    default="",
    help="Comma-separated metadata or extra fields whose changes count as changes, as title and abstract do.",
)
@click.option("--ignore-fields", default="", help="Comma-separated metadata or extra fields never compared.")
@source_options("both snapshots")
@quiet_option
@input_options
def diff_command(
    old: str,
    new: str,
    fmt: str,
    output: str | None,
    threshold: float,
    color: str,
    word_diff: str,
    context: str,
    include_meta: bool,
    text_fields: str,
    ignore_fields: str,
    from_format: str,
    id_field: str | None,
    title_field: str | None,
    abstract_field: str | None,
    quiet: bool,
    encoding: str | None,
    delimiter: str | None,
) -> int:
    """Compare two snapshots OLD and NEW ('-' reads standard input) and report which papers were
    added, removed, changed (with word diffs) or kept, and which are listed twice.

    Exit status: 0 no differences, 1 differences, 2 trouble."""
    if old == "-" and new == "-":
        raise Trouble("OLD and NEW cannot both be standard input")
    stream = sys.stdout if output in (None, "-") else None
    compared: dict[str, Any] = {
        "threshold": threshold,
        "include_meta": include_meta,
        "ignore_fields": _names(ignore_fields),
        "text_fields": _names(text_fields),
    }
    shown: dict[str, Any] = {
        "context": _context(context),
        "word_diff": word_diff,
        "color": _use_color(color, stream),
    }
    fields: dict[str, Any] = {
        "id_field": id_field,
        "title_field": title_field,
        "abstract_field": abstract_field,
        "encoding": encoding,
        "delimiter": delimiter,
    }
    with ExitStack() as stack:
        # Standard input and pipes are copied to temporary files first, read like any file from there.
        (old_path, old_name), (new_path, new_name) = (spool.rereadable(p, stack) for p in (old, new))
        # Files in the formats the core reads: it reads, reconciles and renders (no Python object per entry).
        status = fast_report(
            old_path,
            new_path,
            None if quiet else (output or "-"),
            from_format=from_format,
            names=(old_name, new_name),
            fmt=fmt,
            **compared,
            **shown,
            **fields,
        )
        if status is not None:
            return status
        from neardup import report
        from neardup.reconcile import compare

        progress(f"reading {old_name}")
        a = formats.read_snapshot(spool.readable(old_path, old_name, stack), from_format, **fields)
        progress(f"reading {new_name}", size=len(a))
        b = formats.read_snapshot(spool.readable(new_path, new_name, stack), from_format, **fields)
    progress("reconciling", size=len(a) + len(b))
    result = compare(a, b, **compared)
    progress_done()
    if not quiet:
        write_output(report.report_of(result, fmt, **shown), output)
    return EXIT_DIFFERENT if result.has_differences else EXIT_SAME


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _context(text: str) -> int | None:
    if text == "all":
        return None
    try:
        words = int(text)
    except ValueError:
        words = -1
    if words < 0:
        raise click.BadParameter(
            f"expected a number of words or 'all', got {text!r}", param_hint="'--context'"
        )
    return words


# The other subcommands (catalog, dedup) live in their own modules, loaded on use: see `_Commands`.


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI and returns its exit status (the console script exits with it)."""
    end_quietly_on_closed_pipe()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="neardup", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("neardup: aborted", err=True)
        return EXIT_TROUBLE
    except click.ClickException as exc:
        exc.show()
        return EXIT_TROUBLE
    except BaseException as exc:
        status = report_failure(exc)
        if status is None:
            raise
        return status
    return int(result) if isinstance(result, int) else EXIT_SAME
