"""The ``neardup`` console script: runs ``neardup diff OLD NEW --format json`` without importing click.

That command on JSON Lines snapshots runs in the Rust core (`neardup.fast_diff`) and takes a few hundred
milliseconds on snapshots of 10^5 entries; importing click (with `inspect`, `datetime`, `uuid`) and
building the command group take about 20 ms more, a twentieth of the run. So when the arguments are a
plain ``diff`` with ``--format json`` (the options of `neardup.cli`'s ``diff`` command, no abbreviations,
no combined short flags, valid values), they are parsed here and the job runs through `neardup.cli_output`,
the module `neardup.cli` itself uses. Anything else (help, another command or format, an unusual argument,
an invalid value, input the core leaves to the Python path) goes to `neardup.cli.main`, which parses the
arguments again and gives click's messages. A test checks that this parser and click's agree.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from neardup.cli_output import end_quietly_on_closed_pipe, fast_json, report_failure
from neardup.defaults import DEFAULT_THRESHOLD, REPORT_FORMATS, threshold_problem
from neardup.formats import FORMATS

__all__ = ["DIFF_DEFAULTS", "DIFF_OPTIONS", "main", "parse_fast_diff", "run", "run_fast"]

#: The options of ``neardup diff``: every flag, with the parameter it sets and the values it takes
#: (None for an on/off flag, a tuple of choices, or a type).
DIFF_OPTIONS: dict[str, tuple[str, type | tuple[str, ...] | None]] = {
    "--format": ("fmt", REPORT_FORMATS),
    "-o": ("output", str),
    "--output": ("output", str),
    "--threshold": ("threshold", float),
    "--color": ("color", ("auto", "always", "never")),
    "--word-diff": ("word_diff", ("color", "plain", "porcelain")),
    "--include-meta": ("include_meta", None),
    "--from": ("from_format", ("auto", *FORMATS)),
    "--id-field": ("id_field", str),
    "--title-field": ("title_field", str),
    "--abstract-field": ("abstract_field", str),
    "-q": ("quiet", None),
    "--quiet": ("quiet", None),
}
#: The value of each parameter of ``neardup diff`` whose option is not given.
DIFF_DEFAULTS: dict[str, Any] = {
    "fmt": "text",
    "output": None,
    "threshold": DEFAULT_THRESHOLD,
    "color": "auto",
    "word_diff": "color",
    "include_meta": False,
    "from_format": "auto",
    "id_field": None,
    "title_field": None,
    "abstract_field": None,
    "quiet": False,
}


def _value(kind: type | tuple[str, ...], text: str) -> Any:
    """The value of an option from its text, or raises ValueError when click would refuse it."""
    if isinstance(kind, tuple):
        if text not in kind:
            raise ValueError(text)
        return text
    if kind is float:
        number = float(text)
        if threshold_problem(number) is not None:  # as `neardup.cli`'s check; NaN fails too
            raise ValueError(text)
        return number
    return text


def parse_fast_diff(args: Sequence[str]) -> dict[str, Any] | None:
    """The parameters of ``neardup diff`` (`neardup.cli.diff_command`'s, by name) when `args` are a plain
    ``diff … --format json`` command that this module can run, else None."""
    if not args or args[0] != "diff":
        return None
    params = dict(DIFF_DEFAULTS)
    positional: list[str] = []
    rest = list(args[1:])
    while rest:
        arg = rest.pop(0)
        if arg == "-" or not arg.startswith("-"):
            positional.append(arg)
            continue
        flag, eq, text = arg.partition("=") if arg.startswith("--") else (arg[:2], "", arg[2:])
        if flag not in DIFF_OPTIONS:
            return None  # help, `--`, an unknown option or combined short flags: click decides
        name, kind = DIFF_OPTIONS[flag]
        if kind is None:
            if eq or text:
                return None
            params[name] = True
            continue
        if not eq and not text:
            if not rest:
                return None
            text = rest.pop(0)
        if text.startswith("-") and text != "-":
            return None  # a value that looks like an option: leave the reading to click
        try:
            params[name] = _value(kind, text)
        except ValueError:
            return None
    if len(positional) != 2 or params["fmt"] != "json" or positional == ["-", "-"]:
        return None
    params["old"], params["new"] = positional
    return params


def run_fast(args: Sequence[str]) -> int | None:
    """Runs `args` when they are a command this module takes (see `parse_fast_diff`) and returns the
    exit status, or None when `neardup.cli` has to run them (and nothing was done)."""
    params = parse_fast_diff(args)
    if params is None:
        return None
    end_quietly_on_closed_pipe()
    try:
        return fast_json(
            params["old"],
            params["new"],
            None if params["quiet"] else (params["output"] or "-"),
            from_format=params["from_format"],
            threshold=params["threshold"],
            include_meta=params["include_meta"],
            id_field=params["id_field"],
            title_field=params["title_field"],
            abstract_field=params["abstract_field"],
        )
    except BaseException as exc:
        failed = report_failure(exc)
        if failed is None:
            raise
        return failed


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI and returns its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    status = run_fast(args)
    if status is not None:
        return status
    from neardup.cli import main as full_main

    return full_main(args)


def run() -> NoReturn:
    """The console script (and ``python -m neardup``): runs the CLI and exits with its status.

    After a run of the start-up path, the process ends at once (`os._exit`) once stdout and stderr are
    flushed: that path holds nothing the interpreter's shutdown would release (no temporary file, no
    child process, no exit handler), and tearing down every module would take a few milliseconds more.
    Every other command exits the usual way."""
    args = sys.argv[1:]
    from neardup import _core

    # Ctrl-C, SIGTERM, SIGHUP and memory exhaustion end the run with one line, removing its temporary
    # files (a Python KeyboardInterrupt could land inside the core and come out as a panic).
    _core._install_fault_handlers()
    status = run_fast(args)
    if status is None:
        from neardup.cli import main as full_main

        raise SystemExit(full_main(args))
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)
