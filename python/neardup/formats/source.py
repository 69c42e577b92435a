"""Opening a snapshot for reading: a path, ``-`` for stdin, or a binary file object.

A `Source` keeps the first bytes for format detection, then hands the readers the whole stream again
(by seeking back, or by replaying the kept bytes for pipes), so nothing is read twice from disk and
nothing beyond those first bytes is held in memory. Compressed inputs (gzip, zstd, bzip2, xz, recognised
by their magic bytes whatever the name) are decompressed as they are read, by the core's decoders
(``_core._Decompressor``), so every reader sees text and its line numbers are those of the decompressed
text. It also owns the translation of I/O and decoding
failures into `SnapshotFormatError`, so readers never leak `OSError` or `UnicodeDecodeError`.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from neardup import _core
from neardup.errors import SnapshotFormatError

__all__ = ["HEAD_SIZE", "InputChangedError", "PathOrFile", "Source", "lone_surrogate", "open_source"]

HEAD_SIZE = 64 * 1024
"""How many bytes format detection looks at."""

BOM = b"\xef\xbb\xbf"

# Byte-order marks of the encodings a UTF-8 reader must refuse by name (UTF-32 first: its
# little-endian mark begins with UTF-16's).
_WIDE_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

PathOrFile = str | os.PathLike[str] | IO[bytes]
"""What `read_snapshot` accepts: a path, ``"-"`` for standard input, or a binary file object."""


class _Replay(io.RawIOBase):
    """A non-seekable stream with its first bytes put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        if self._head.nbytes:
            size = min(target.nbytes, self._head.nbytes)
            target[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(target.nbytes)
        target[: len(data)] = data
        return len(data)


class _Decoded(io.RawIOBase):
    """The UTF-8 text of a compressed or non-UTF-8 stream, pulled through the core's input layer."""

    def __init__(self, decoder: _core._TextReader) -> None:
        super().__init__()
        self._decoder = decoder

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        data = self._decoder.read(target.nbytes)
        target[: len(data)] = data
        return len(data)


def _describe_decode_error(raw: bytes, error: UnicodeDecodeError) -> str:
    column = len(raw[: error.start].decode("utf-8", "replace")) + 1
    return f"byte 0x{raw[error.start]:02x} at column {column} (not UTF-8)"


class Source:
    """An open snapshot: its display name, its first bytes and its binary stream.

    Readers pull either binary lines (`binary_lines`), decoded lines (`text_lines`), the whole text
    (`read_text`, only for formats that are one document), or raw chunks (`stream`) for XML.
    """

    def __init__(
        self,
        name: str,
        head: bytes,
        stream: IO[bytes],
        compression: str | None = None,
        encoding: str | None = None,
    ) -> None:
        self.name = name
        self.head = head
        self.stream = stream
        self.compression = compression
        """The compression the input came in (``"gzip"``, ``"zstd"``, ``"bzip2"``, ``"xz"``), or None."""
        self.encoding = encoding
        """The encoding the text was transcoded from, or None for UTF-8 (and UTF-16 by its mark)."""

    def error(self, line: int | None, expected: str, got: str | None = None) -> SnapshotFormatError:
        """A `SnapshotFormatError` about this source."""
        return SnapshotFormatError(self.name, line, expected, got)

    def io_error(self, line: int | None, error: OSError) -> SnapshotFormatError:
        """A `SnapshotFormatError` for an I/O failure while reading (or corrupt compressed data)."""
        return _io_error(self.name, line, error, self.compression, self.encoding)

    def binary_lines(self) -> Iterator[tuple[int, bytes]]:
        """``(line number, bytes)`` for each line, the line end kept, the UTF-8 BOM removed.

        A NUL byte anywhere means binary data and raises `SnapshotFormatError`.
        """
        number = 0
        lines = iter(self.stream)
        while True:
            try:
                raw = next(lines)
            except StopIteration:
                return
            except OSError as error:
                raise self.io_error(number + 1, error) from None
            number += 1
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            if b"\x00" in raw:
                raise self.error(number, "text", "binary data (a NUL byte)")
            yield number, raw

    def decode(self, number: int, raw: bytes) -> str:
        """Decode one line as UTF-8, or raise `SnapshotFormatError` naming the line and column."""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise self.error(number, "UTF-8 text", _describe_decode_error(raw, error)) from None

    def text_lines(self) -> Iterator[tuple[int, str]]:
        """``(line number, text)`` for each line, decoded strictly as UTF-8, line end kept."""
        for number, raw in self.binary_lines():
            yield number, self.decode(number, raw)

    def read_text(self) -> str:
        """The whole content decoded as UTF-8 (BOM removed); for single-document formats only."""
        try:
            data = self.stream.read()
        except OSError as error:
            raise self.io_error(None, error) from None
        if data.startswith(BOM):
            data = data[len(BOM) :]
        nul = data.find(b"\x00")
        if nul >= 0:
            raise self.error(data.count(b"\n", 0, nul) + 1, "text", "binary data (a NUL byte)")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            line_start = data.rfind(b"\n", 0, error.start) + 1
            line_end = data.find(b"\n", error.start)
            raw = data[line_start : line_end if line_end >= 0 else len(data)]
            shifted = UnicodeDecodeError(
                "utf-8", raw, error.start - line_start, error.end - line_start, error.reason
            )
            number = data.count(b"\n", 0, error.start) + 1
            raise self.error(number, "UTF-8 text", _describe_decode_error(raw, shifted)) from None


_TRANSCODING = re.compile(r"line (\d+): (byte 0x[0-9a-f]{2})")


def _io_error(
    name: str, line: int | None, error: OSError, compression: str | None, encoding: str | None = None
) -> SnapshotFormatError:
    if error.errno is None:
        # The core decoder's own failures, not the disk's: a byte the encoding does not define (the
        # line is that of the text), corrupt or truncated compressed data.
        message = str(error)
        found = _TRANSCODING.match(message)
        if found:
            return SnapshotFormatError(name, int(found[1]), f"{encoding or 'UTF-16'} text", found[2])
        if compression is not None:
            return SnapshotFormatError(name, line, f"{compression} data", message)
    return SnapshotFormatError(name, line, "a readable file", error.strerror or str(error))


def _read_head(stream: IO[bytes]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < HEAD_SIZE:
        chunk = stream.read(HEAD_SIZE - size)
        if not chunk:
            break
        if not isinstance(chunk, bytes):
            raise TypeError(f"expected a binary file object, got one returning {type(chunk).__name__}")
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _rewound(head: bytes, stream: IO[bytes]) -> IO[bytes]:
    try:
        if stream.seekable():
            stream.seek(stream.tell() - len(head))
            return stream
    except (OSError, ValueError):
        pass
    return cast(IO[bytes], io.BufferedReader(_Replay(head, stream), buffer_size=1 << 16))


def lone_surrogate(value: object) -> str | None:
    """The first lone surrogate code point in `value` (a string, or JSON-like lists and dicts of them),
    as its ``\\uXXXX`` escape; None when there is none.

    JSON can spell such code points (``"\\ud800"``), but they are not text: they cannot be written
    as UTF-8, so the reports could not show them.
    """
    if isinstance(value, str):
        if value.isascii():
            return None
        found = _LONE_SURROGATE.search(value)
        return f"\\u{ord(found[0]):04x}" if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            hit = lone_surrogate(key) or lone_surrogate(item)
            if hit:
                return hit
    elif isinstance(value, list):
        for item in value:
            hit = lone_surrogate(item)
            if hit:
                return hit
    return None


class InputChangedError(SnapshotFormatError):
    """An input file shrank while it was being read: ``str(error)`` is ``"PATH changed while being read"``."""

    def __init__(self, path: str) -> None:
        super().__init__(path, None, "a file that does not change while being read", "it shrank")

    def _message(self) -> str:
        return f"{self.path} changed while being read"


def _check_stream(source: Source) -> None:
    """Read `source`'s stream to its end: the decoder's error, if any, as a `SnapshotFormatError`."""
    try:
        while source.stream.read(1 << 20):
            pass
    except OSError as error:
        raise source.io_error(None, error) from None


def _regular_size(stream: IO[bytes]) -> int | None:
    """The size of the regular file under `stream` now, or None for anything else."""
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _check_encoding(source: Source) -> None:
    for bom, encoding in _WIDE_BOMS:
        if source.head.startswith(bom):
            raise source.error(1, "UTF-8 text", f"{encoding} text (a byte-order mark {bom.hex(' ').upper()})")


def _check_not_empty(source: Source) -> None:
    head = source.head[len(BOM) :] if source.head.startswith(BOM) else source.head
    if not head.strip() and len(source.head) < HEAD_SIZE:
        raise source.error(None, "a snapshot", "an empty file")


def _needs_decoding(head: bytes, encoding: str | None) -> bool:
    """Whether a stream starting with `head` goes through the core's decoder: compressed, in a named
    encoding other than UTF-8, or UTF-16 by its byte-order mark."""
    if encoding is not None or _core._compression_of(head[:6]) is not None:
        return True
    if head.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        return False  # UTF-32: refused by name below
    return head.startswith((b"\xfe\xff", b"\xff\xfe"))


@contextmanager
def open_source(path: PathOrFile, encoding: str | None = None) -> Iterator[Source]:
    """Open `path` (``"-"`` is standard input) as a `Source`; close it afterwards if we opened it.

    Compressed content (gzip, zstd, bzip2, xz, by magic bytes) is decompressed as it is read; text in
    `encoding` (a name such as ``"latin-1"`` or ``"cp1252"``; UTF-8 when None, or UTF-16 when it starts
    with a UTF-16 byte-order mark) is transcoded to UTF-8.

    Missing, unreadable and empty files, and directories, raise `SnapshotFormatError`; an unknown
    encoding name raises `ValueError`.
    """
    if encoding is not None:
        encoding = _core._encoding(encoding)
    if hasattr(path, "read"):
        stream = cast(IO[bytes], path)
        name = str(getattr(stream, "name", "<stream>"))
        owned = False
    elif path == "-":
        stream = sys.stdin.buffer
        name = "<stdin>"
        owned = False
    else:
        name = os.fsdecode(path)
        try:
            stream = open(name, "rb")  # noqa: SIM115 - closed below, after the readers are done
        except FileNotFoundError:
            raise SnapshotFormatError(name, None, "an existing file", "no such file") from None
        except IsADirectoryError:
            raise SnapshotFormatError(name, None, "a file", "a directory") from None
        except PermissionError:
            raise SnapshotFormatError(name, None, "a readable file", "permission denied") from None
        except OSError as error:
            raise SnapshotFormatError(name, None, "a readable file", error.strerror or str(error)) from None
        owned = True
    raw = stream
    size = _regular_size(raw)
    compression = None
    try:
        try:
            head = _read_head(stream)
            stream = _rewound(head, stream)
            compression = _core._compression_of(head[:6])
            if _needs_decoding(head, encoding):
                decoder = _core._TextReader(stream, encoding)
                stream = cast(IO[bytes], io.BufferedReader(_Decoded(decoder), buffer_size=1 << 16))
                head = _read_head(stream)
                stream = _rewound(head, stream)
        except IsADirectoryError:
            raise SnapshotFormatError(name, None, "a file", "a directory") from None
        except OSError as error:
            raise _io_error(name, None, error, compression, encoding) from None
        source = Source(name, head, stream, compression, encoding)
        _check_encoding(source)
        _check_not_empty(source)
        try:
            yield source
        except SnapshotFormatError:
            # A line cut by the truncation is what the reader saw: the cause is the change.
            if size is not None and (_regular_size(raw) or 0) < size:
                raise InputChangedError(name) from None
            if compression is not None:
                # gzip, bzip2 and xz check their checksums at the end of a member or block, after
                # handing out its text: damaged data may first show as a bad record. The damage is the
                # cause, so the rest of the stream is checked before the reader's error is believed.
                _check_stream(source)
            raise
        if size is not None and (_regular_size(raw) or 0) < size:
            # Truncated while we read it: what was read may stop anywhere, so nothing read is trusted.
            raise InputChangedError(name)
    finally:
        if owned:
            raw.close()
