"""Guessing a snapshot's format from its first bytes."""

from __future__ import annotations

import json
import re
from typing import Any

from neardup.errors import SnapshotFormatError
from neardup.formats.names import (
    ABSTRACT_FIELDS,
    DELIMITERS,
    HEADER_LINES,
    ID_FIELDS,
    LIST_KEYS,
    TITLE_FIELDS,
    sniff_delimiter,
)
from neardup.formats.source import BOM, HEAD_SIZE

__all__ = ["detect_format"]

_LINE_END = re.compile(r"\r\n|\r|\n")
_TITLE_COLUMNS = frozenset(TITLE_FIELDS)
_KNOWN_COLUMNS = frozenset(TITLE_FIELDS) | frozenset(ABSTRACT_FIELDS) | frozenset(ID_FIELDS)


def _decode_head(head: bytes, path: str) -> str:
    """Decode the first bytes, tolerating only a multi-byte character cut off at the end."""
    if b"\x00" in head:
        line = head.count(b"\n", 0, head.index(b"\x00")) + 1
        raise SnapshotFormatError(path, line, "text", "binary data (a NUL byte)")
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if (
            error.start >= len(head) - 3
            and len(head) >= HEAD_SIZE
            and error.reason.startswith("unexpected end")
        ):
            return head[: error.start].decode("utf-8")
        line = head.count(b"\n", 0, error.start) + 1
        got = f"byte 0x{head[error.start]:02x} (not UTF-8)"
        raise SnapshotFormatError(path, line, "UTF-8 text", got) from None


def _json_object_line(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _is_wrapped_papers(record: dict[str, Any]) -> bool:
    """An hf-json document on one line: an object holding the item array under one of `LIST_KEYS`
    (and no title of its own, which a one-record JSONL file would have)."""
    return not any(name in record for name in TITLE_FIELDS) and any(
        isinstance(record.get(name), list) for name in LIST_KEYS
    )


def _is_csv_header(line: str, delimiter: str | None) -> bool:
    import csv  # here, not at the top: detecting JSON Lines (`neardup diff`'s fast path) never needs it

    try:
        row = next(csv.reader([line], delimiter=delimiter or sniff_delimiter(line)), [])
    except csv.Error:
        return False
    names = {name.strip().lower() for name in row}
    return bool(names & _TITLE_COLUMNS) or (len(row) >= 2 and bool(names & _KNOWN_COLUMNS))


def detect_format(head: bytes, *, path: str = "<input>", delimiter: str | None = None) -> str:
    """Return the name of the format of a file starting with `head` (its first bytes, up to 64 KiB).

    XML (``<``) is ``arxiv-atom``; a JSON array, or an object spread over several lines, is
    ``hf-json``; one JSON object per line is ``jsonl``; the Daily Papers page header, or text in
    paragraphs, is ``hf-text``; a delimited header row naming an id/title/abstract column is
    ``csv`` (its delimiter `delimiter`, else sniffed as the CSV reader does); ``PAR1`` is ``parquet``,
    ``ARROW1`` (or an IPC stream's continuation marker) ``arrow``.
    Raises `SnapshotFormatError` for empty, binary or non-UTF-8 input, or when nothing fits.
    """
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"ARROW1") or head.startswith(b"\xff\xff\xff\xff"):  # IPC file; stream
        return "arrow"
    if head.startswith(BOM):
        head = head[len(BOM) :]
    if head.lstrip().startswith(b"<"):  # XML declares its own encoding
        return "arxiv-atom"
    text = _decode_head(head, path)
    stripped = text.lstrip()
    if not stripped:
        raise SnapshotFormatError(path, None, "a snapshot", "an empty file")
    skipped = text[: len(text) - len(stripped)].count("\n")
    # Lines end at "\n", "\r\n" or "\r" (which the hf-text reader then refuses by name): `str.splitlines`
    # would also cut at U+2028, U+0085 and other separators that a JSON string may hold raw.
    lines = _LINE_END.split(stripped)
    first = lines[0].strip()
    if stripped.startswith("["):
        return "hf-json"
    if stripped.startswith("{"):
        complete_line = "\n" in stripped or len(head) < HEAD_SIZE
        if not complete_line:
            return "jsonl"
        record = _json_object_line(lines[0])
        return "jsonl" if record is not None and not _is_wrapped_papers(record) else "hf-json"
    if first in HEADER_LINES:
        return "hf-text"
    paragraphs = len(lines) >= 3 and not lines[1].strip()  # title, blank line, abstract
    one_column = not any(d in lines[0] for d in (*DELIMITERS, delimiter or ","))
    if _is_csv_header(lines[0], delimiter) and not (paragraphs and one_column):
        return "csv"
    if paragraphs:
        return "hf-text"
    raise SnapshotFormatError(
        path,
        skipped + 1,
        "a snapshot in one of the formats hf-text, hf-json, arxiv-atom, jsonl, csv",
        repr(first[:40]),
    )
