"""The ``neardup`` command line, a thin layer over the public Python API.

Exit codes: 0 = no differences, 1 = differences, 2 = trouble (bad input, bad arguments). Reports go to
stdout (or ``-o FILE``, written atomically), diagnostics to stderr, one line each, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import click

import neardup
from neardup import _core, fast_diff, formats
from neardup.defaults import DEFAULT_THRESHOLD, REPORT_FORMATS
from neardup.errors import SnapshotFormatError

if TYPE_CHECKING:
    from neardup.model import Snapshot

# Start-up time matters here: ``neardup diff OLD NEW --format json`` on JSON Lines runs in the Rust core
# (`neardup.fast_diff`), so the Python-level pipeline (`neardup.reconcile`, `neardup.report`, the format
# readers) and the other subcommands are imported only when a run needs them, and click's option
# defaults and choices come from modules that import nothing heavy (`neardup.defaults`, `neardup.formats`).

EXIT_SAME, EXIT_DIFFERENT, EXIT_TROUBLE = 0, 1, 2
_T = TypeVar("_T")
_LARGE_INPUT = 50_000


class Trouble(Exception):
    """A failure to report as one line on stderr with exit status 2."""


def _use_color(choice: str, stream: Any) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def _progress(message: str, *, size: int = _LARGE_INPUT) -> None:
    """A status line on stderr, only on a terminal and only for large inputs."""
    if size >= _LARGE_INPUT and sys.stderr.isatty():
        sys.stderr.write(f"\r\x1b[Kneardup: {message}")
        sys.stderr.flush()


def _progress_done() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


def _silence_stdout() -> None:
    """After a failed write to stdout, point it at /dev/null so the interpreter's final flush cannot fail
    again (and print a second, unhelpful message)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _write_to(fh: Any, report: str | bytes | _core.Report) -> None:
    """Writes a report to a binary file object; a core `Report` goes straight to its descriptor when it
    has one (no copy of a report of tens of MB into a Python `bytes`)."""
    if isinstance(report, _core.Report):
        try:
            fd = fh.fileno()
        except (AttributeError, OSError, ValueError):
            fh.write(bytes(report))  # a stream without a descriptor (tests, wrappers)
            return
        fh.flush()
        report.write_to(fd)
    else:
        fh.write(report if isinstance(report, bytes) else report.encode("utf-8"))


def _create_beside(target: str) -> tuple[int, str]:
    """Creates and opens a new file with an unused random name beside `target` (``.NAME.XXXXXXXXXXXX.tmp``)
    and returns its descriptor and path.

    As `tempfile.mkstemp` would (exclusive creation, a fresh name on a collision), without importing
    `tempfile` (with `shutil` and `random`), which would cost every ``neardup diff -o FILE`` several
    milliseconds of start-up. The mode is that of a plain ``open()`` (0o666 less the umask), which the
    report keeps once renamed over `target`."""
    directory, name = os.path.split(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", directory)


def write_output(text: str | bytes | _core.Report, output: str | None) -> None:
    """Writes the report (text, UTF-8 bytes, or a core `Report`) to stdout, or to `output`.

    A regular file (or a new one) is written atomically: a temporary file beside it, renamed over it, so a
    failed run never leaves a partial report. A symlink is followed (the link stays a link). A FIFO or a
    device is written to directly, since there is nothing to replace."""
    if output is None or output == "-":
        try:
            if isinstance(text, str):
                sys.stdout.write(text)
            else:
                sys.stdout.flush()
                _write_to(sys.stdout.buffer, text)
            sys.stdout.flush()
        except UnicodeEncodeError as exc:
            raise Trouble(f"<stdout>: cannot encode the report: {exc.reason}") from None
        except BrokenPipeError:
            _silence_stdout()
        except OSError as exc:
            _silence_stdout()
            raise Trouble(f"<stdout>: cannot write: {exc.strerror or exc}") from None
        return
    target = os.path.realpath(output)
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        if os.path.exists(target) and not os.path.isfile(target):
            with open(target, "wb") as fh:
                _write_to(fh, data)
            return
    except UnicodeEncodeError as exc:
        raise Trouble(f"{output}: cannot encode the report: {exc.reason}") from None
    except OSError as exc:
        raise Trouble(f"{output}: cannot write: {exc.strerror or exc}") from None

    def write(fh: BinaryIO) -> bool:
        _write_to(fh, data)
        return True

    _write_atomically(output, target, write)


def _write_atomically(output: str, target: str, write: Callable[[BinaryIO], _T | None]) -> _T | None:
    """Runs `write` on a new temporary file beside `target` and renames the file over `target` when it
    returns a result (which is returned); when it returns None, or raises, the temporary file is removed
    and `target` is left as it was. File-system errors become `Trouble` naming `output`."""
    try:
        fd, tmp = _create_beside(target)
    except OSError as exc:
        raise Trouble(f"{output}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            result = write(fh)
        if result is not None:
            os.replace(tmp, target)
        return result
    except UnicodeEncodeError as exc:
        raise Trouble(f"{output}: cannot encode the report: {exc.reason}") from None
    except OSError as exc:
        raise Trouble(f"{output}: cannot write: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _fast_json(old: str, new: str, output: str | None, **options: Any) -> int | None:
    """``neardup diff OLD NEW --format json`` by the core's path (`neardup.fast_diff`), with the report
    written to `output` ("-" for stdout, None for no report): the exit status, or None when that path does
    not apply (and nothing was written).

    Where it can, the core writes the report to the output's descriptor while it renders it; a regular
    file is still written atomically (a temporary file beside it, renamed over it)."""
    if output is None:
        fast = fast_diff.diff_json(old, new, **options)
        return None if fast is None else _status(fast[1])
    if output == "-":
        try:
            fd = sys.stdout.buffer.fileno()
        except (AttributeError, OSError, ValueError):
            fd = -1  # a stream without a descriptor (tests, wrappers)
        if fd >= 0:
            sys.stdout.flush()
            made = fast_diff.write_json(old, new, fd, **options)
            if made is None:
                return None
            error, differ = made
            if error is not None:
                _silence_stdout()
                if not isinstance(error, BrokenPipeError):
                    raise Trouble(f"<stdout>: cannot write: {error.strerror or error}")
            return _status(differ)
    target = os.path.realpath(output)
    if output == "-" or (os.path.exists(target) and not os.path.isfile(target)):
        # A descriptor-less stdout, a FIFO or a device: the report as a whole, as every format is written.
        fast = fast_diff.diff_json(old, new, **options)
        if fast is None:
            return None
        write_output(fast[0], output)
        return _status(fast[1])

    def write(fh: BinaryIO) -> int | None:
        made = fast_diff.write_json(old, new, fh.fileno(), **options)
        if made is None:
            return None
        error, differ = made
        if error is not None:
            raise Trouble(f"{output}: cannot write: {error.strerror or error}")
        return _status(differ)

    return _write_atomically(output, target, write)


def _status(differ: bool) -> int:
    return EXIT_DIFFERENT if differ else EXIT_SAME


_FORMAT_CHOICE = click.Choice(["auto", *formats.FORMATS])


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


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(neardup.__version__, prog_name="neardup")
def cli() -> None:
    """Near-duplicate detection, word diffs and reconciliation of paper-digest snapshots."""


@cli.command("diff")
@click.argument("old", type=str)
@click.argument("new", type=str)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(REPORT_FORMATS)),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option("-o", "--output", type=str, default=None, help="Write the report to FILE.")
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Minimum score of a fuzzy (near) match of title + abstract.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text report (auto: only on a terminal, and not when NO_COLOR is set).",
)
@click.option(
    "--word-diff",
    type=click.Choice(["color", "plain", "porcelain"]),
    default="color",
    show_default=True,
    help="How word changes show in the text report.",
)
@click.option("--include-meta", is_flag=True, help="Let metadata-only differences count as changes.")
@click.option(
    "--from",
    "from_format",
    type=_FORMAT_CHOICE,
    default="auto",
    show_default=True,
    help="Input format of both snapshots.",
)
@click.option("--id-field", default=None, help="Field holding the id (jsonl, csv, hf-json).")
@click.option("--title-field", default=None, help="Field holding the title.")
@click.option("--abstract-field", default=None, help="Field holding the abstract.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; only the exit status tells.")
def diff_command(
    old: str,
    new: str,
    fmt: str,
    output: str | None,
    threshold: float,
    color: str,
    word_diff: str,
    include_meta: bool,
    from_format: str,
    id_field: str | None,
    title_field: str | None,
    abstract_field: str | None,
    quiet: bool,
) -> int:
    """Compare two snapshots OLD and NEW ('-' reads standard input) and report which papers were
    added, removed, changed (with word diffs) or kept, and which are listed twice.

    Exit status: 0 no differences, 1 differences, 2 trouble."""
    if old == "-" and new == "-":
        raise Trouble("OLD and NEW cannot both be standard input")

    def read(path: str) -> Snapshot:
        return formats.read_snapshot(
            path,
            from_format,
            id_field=id_field,
            title_field=title_field,
            abstract_field=abstract_field,
        )

    if fmt == "json":
        # JSON Lines in, JSON out: the core does it all when it can (same bytes as the path below).
        _progress("comparing", size=_LARGE_INPUT)
        status = _fast_json(
            old,
            new,
            None if quiet else (output or "-"),
            from_format=from_format,
            threshold=threshold,
            include_meta=include_meta,
            id_field=id_field,
            title_field=title_field,
            abstract_field=abstract_field,
        )
        _progress_done()
        if status is not None:
            return status
    from neardup import report
    from neardup.reconcile import compare

    _progress(f"reading {old}", size=_LARGE_INPUT)
    a = read(old)
    _progress(f"reading {new}", size=len(a))
    b = read(new)
    _progress("reconciling", size=len(a) + len(b))
    result = compare(a, b, threshold=threshold, include_meta=include_meta)
    _progress_done()
    if not quiet:
        stream = sys.stdout if output in (None, "-") else None
        text = report.render(result, fmt, word_diff=word_diff, color=_use_color(color, stream))
        write_output(text, output)
    return EXIT_DIFFERENT if result.has_differences else EXIT_SAME


# The other subcommands (catalog, dedup) live in their own modules, loaded on use: see `_Commands`.


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI and returns its exit status (the console script exits with it)."""
    if hasattr(signal, "SIGPIPE"):
        # `neardup diff … | head` ends quietly, as Unix tools do.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
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
    except (SnapshotFormatError, Trouble) as exc:
        click.echo(f"neardup: {exc}", err=True)
        return EXIT_TROUBLE
    except (neardup.NeardupError, ValueError) as exc:
        click.echo(f"neardup: error: {exc}", err=True)
        return EXIT_TROUBLE
    except MemoryError:
        click.echo("neardup: out of memory", err=True)
        return EXIT_TROUBLE
    except KeyboardInterrupt:
        return 130
    return int(result) if isinstance(result, int) else EXIT_SAME
