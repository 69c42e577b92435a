"""What every ``neardup`` command shares: exit statuses, the one-line failure report, the progress line,
and writing reports (atomically to a file, or to stdout), including the report of ``neardup diff`` that
the core renders and writes while it renders.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, BinaryIO, NoReturn, TypeVar

from neardup import _core, fast_diff, temp_files
from neardup.errors import SnapshotFormatError
from neardup.terminal import neutralise

EXIT_SAME, EXIT_DIFFERENT, EXIT_TROUBLE = 0, 1, 2
_T = TypeVar("_T")
LARGE_INPUT = 50_000


class Trouble(Exception):
    """A failure to report as one line on stderr with exit status 2."""


def end_quietly_on_closed_pipe() -> None:
    """``neardup … | head`` ends quietly when the reader goes away, as Unix tools do (SIGPIPE's default
    action instead of Python's BrokenPipeError)."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


#: What the command is doing, for the one line of an out-of-memory failure ("out of memory while …").
activity = "starting"


def progress(message: str, *, size: int = LARGE_INPUT) -> None:
    """A status line on stderr, only on a terminal and only for large inputs; also what `activity`
    names."""
    global activity
    activity = message
    _core._set_activity(message)
    if size >= LARGE_INPUT and sys.stderr.isatty():
        sys.stderr.write(f"\r\x1b[Kneardup: {neutralise(message, one_line=True)}")
        sys.stderr.flush()


def progress_done() -> None:
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


def write_all(fd: int, data: bytes) -> None:
    """Writes all of `data` to the descriptor `fd`, or raises OSError.

    Not through `sys.stdout`: CPython's buffered writer drops the rest of a large write that the system
    accepted only in part (a nearly full disk takes the first MB, then refuses), and reports success."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view[: 1 << 24])
        if written <= 0:  # pragma: no cover - write(2) returns 0 only for a zero-length request
            raise OSError(errno.EIO, "nothing written")
        view = view[written:]


class StdoutStream:
    """Text written to stdout in pieces (a streamed listing), each MB passed to `write_all`, so that every
    write is checked; a failure becomes `Trouble` (exit 2, one line)."""

    _LIMIT = 1 << 20

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self._LIMIT:
            self.flush()

    def flush(self) -> None:
        data, self._parts, self._size = "".join(self._parts), [], 0
        write_output(data, None)


def stdout_trouble(exc: OSError) -> Trouble:
    """The failure to report after a write to stdout failed with `exc` (stdout silenced first)."""
    _silence_stdout()
    return Trouble(f"<stdout>: cannot write: {exc.strerror or exc}")


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
    return temp_files.create(directory, f".{name}.", ".tmp")


def output_target(output: str) -> str:
    """The file that ``-o OUTPUT`` writes: OUTPUT itself, or where its symbolic links lead (a link stays a
    link; a dangling one is created at its target). A link loop, which `os.path.realpath` would silently
    resolve to the link itself (and the rename replace), is `Trouble`."""
    if not os.path.islink(output):
        return os.path.realpath(output)
    try:
        return os.path.realpath(output, strict=True)
    except FileNotFoundError:
        return os.path.realpath(output)
    except OSError as exc:
        raise Trouble(
            f"{output}: cannot write: {exc.strerror or 'too many levels of symbolic links'}"
        ) from None


def write_output(text: str | bytes | _core.Report, output: str | None) -> None:
    """Writes the report (text, UTF-8 bytes, or a core `Report`) to stdout, or to `output`.

    A regular file (or a new one) is written atomically: a temporary file beside it, renamed over it, so a
    failed run never leaves a partial report. A symlink is followed (the link stays a link). A FIFO or a
    device is written to directly, since there is nothing to replace."""
    if output is None or output == "-":
        try:
            sys.stdout.flush()
            try:
                fd = sys.stdout.fileno()
            except (AttributeError, OSError, ValueError):
                fd = -1  # a stream without a descriptor (tests, wrappers)
            if fd < 0:
                sys.stdout.write(text if isinstance(text, str) else bytes(text).decode("utf-8"))
                sys.stdout.flush()
            elif isinstance(text, _core.Report):
                text.write_to(fd)
            else:
                write_all(fd, text.encode("utf-8") if isinstance(text, str) else text)
        except UnicodeEncodeError as exc:
            raise Trouble(f"<stdout>: cannot encode the report: {exc.reason}") from None
        except BrokenPipeError:
            _silence_stdout()
        except OSError as exc:
            raise stdout_trouble(exc) from None
        return
    target = output_target(output)
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

    write_atomically(output, target, write)


def write_atomically(output: str, target: str, write: Callable[[BinaryIO], _T | None]) -> _T | None:
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
        temp_files.remove(tmp)


def fast_report(old: str, new: str, output: str | None, **options: Any) -> int | None:
    """``neardup diff OLD NEW`` by the core's path (`neardup.fast_diff`), with the report
    written to `output` ("-" for stdout, None for no report): the exit status, or None when that path does
    not apply (and nothing was written).

    Where it can, the core writes the report to the output's descriptor while it renders it; a regular
    file is still written atomically (a temporary file beside it, renamed over it)."""
    progress("comparing")
    try:
        return _fast_report(old, new, output, **options)
    finally:
        progress_done()


def _fast_report(old: str, new: str, output: str | None, **options: Any) -> int | None:
    if output is None:
        fast = fast_diff.diff_report(old, new, **options)
        return None if fast is None else status(fast[1])
    if output == "-":
        try:
            fd = sys.stdout.buffer.fileno()
        except (AttributeError, OSError, ValueError):
            fd = -1  # a stream without a descriptor (tests, wrappers)
        if fd >= 0:
            sys.stdout.flush()
            made = fast_diff.write_report(old, new, fd, **options)
            if made is None:
                return None
            error, differ = made
            if error is not None:
                _silence_stdout()
                if not isinstance(error, BrokenPipeError):
                    raise Trouble(f"<stdout>: cannot write: {error.strerror or error}")
            return status(differ)
    target = output_target(output)
    if output == "-" or (os.path.exists(target) and not os.path.isfile(target)):
        # A descriptor-less stdout, a FIFO or a device: the report as a whole, as every format is written.
        fast = fast_diff.diff_report(old, new, **options)
        if fast is None:
            return None
        write_output(fast[0], output)
        return status(fast[1])

    def write(fh: BinaryIO) -> int | None:
        made = fast_diff.write_report(old, new, fh.fileno(), **options)
        if made is None:
            return None
        error, differ = made
        if error is not None:
            raise Trouble(f"{output}: cannot write: {error.strerror or error}")
        return status(differ)

    return write_atomically(output, target, write)


def status(differ: bool) -> int:
    return EXIT_DIFFERENT if differ else EXIT_SAME


def report_failure(exc: BaseException) -> int | None:
    """Reports a failure of a command as one line on stderr and returns the exit status, or returns None
    for an exception that is not a failure to report (a bug, which keeps its traceback).

    The line is neutralised (`neardup.terminal.neutralise`): a path or a value quoted in it can neither
    break it in two nor send escape sequences to the terminal. A panic of the core (pyo3's
    ``PanicException``, a `BaseException`) is a bug, but still one line and exit 2, never a traceback."""
    status = EXIT_TROUBLE
    if isinstance(exc, (SnapshotFormatError, Trouble)):
        message = f"neardup: {exc}"
    elif isinstance(exc, MemoryError) or _compiler_out_of_memory(exc):
        message = f"neardup: out of memory while {activity}"
    elif isinstance(exc, (_core.NeardupError, ValueError)):
        message = f"neardup: error: {exc}"
    elif isinstance(exc, KeyboardInterrupt):
        message, status = "neardup: interrupted", 130
    elif isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename is not None else ""
        message = f"neardup: {where}{exc.strerror or exc}"
    elif type(exc).__name__ == "PanicException" or isinstance(exc, SystemError):
        # A panic of the core, or a C function failing without an exception: under a memory limit these
        # are allocations that failed (pyo3's "PyObject pointer is null"); otherwise bugs.
        first = (str(exc).strip().splitlines() or ["panic"])[0]
        # Threads that cannot be started (EAGAIN) are the same exhaustion.
        hints = (
            "pointer is null",
            "without exception set",
            "without setting an exception",
            "memory",
            "alloc",
            "temporarily unavailable",
        )
        if any(hint in first for hint in hints):
            message = f"neardup: out of memory while {activity}"
        else:
            message = f"neardup: internal error while {activity}: {first} (a bug: please report it)"
    else:
        return None
    with contextlib.suppress(OSError, ValueError):
        print(neutralise(message, one_line=True), file=sys.stderr, flush=True)
    return status


def _compiler_out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is CPython's compiler failing to allocate while it compiles a module being imported
    (or code that a library generates): a node it could not allocate is missing, and the node's
    constructor reports the missing field as a ValueError ("field 'target' is required for AnnAssign")
    instead of the MemoryError."""
    text = str(exc)
    return isinstance(exc, ValueError) and text.startswith("field '") and " is required for " in text


def _unraisable(args: sys.UnraisableHookArgs) -> None:
    """Drops a MemoryError raised where it cannot propagate (a finaliser, a callback): Python's own hook
    would print it, or fail printing it under the same memory shortage, before the run's one line. The
    shortage still ends the run where it can be reported, or the run completes."""
    if issubclass(args.exc_type, MemoryError):
        return
    sys.__unraisablehook__(args)


def run() -> NoReturn:
    """The console script (and ``python -m neardup``): runs the CLI and exits with its status.

    The fault handlers go in first, and the CLI (click and the rest) is imported under the one-line
    failure report, so that even running out of memory while starting is one line and exit 2."""
    # Ctrl-C, SIGTERM, SIGHUP and memory exhaustion end the run with one line, removing its temporary
    # files (a Python KeyboardInterrupt could land inside the core and come out as a panic).
    _core._install_fault_handlers()
    sys.unraisablehook = _unraisable
    try:
        from neardup.cli import main
    except BaseException as exc:
        failed = report_failure(exc)
        if failed is None:
            raise
        raise SystemExit(failed) from None
    _exit(main())


def _exit(status: int) -> NoReturn:
    """Ends a finished run with `status`, skipping the interpreter's finalisation: the run's output is
    written and checked, and tearing down every module and object it made only costs time, or, when
    memory ran short, prints a MemoryError raised in some finaliser after the unraisable hook is gone (on
    an exit 1 that must leave stderr empty). Kept when the standard streams cannot be flushed (Python
    then reports it) and after Ray was used (its exit handlers stop the processes it started)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(status) from None
    if "ray" in sys.modules:
        raise SystemExit(status)
    os._exit(status)
