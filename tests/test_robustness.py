"""Fuzzing the snapshot readers with hypothesis over generated files, for every format.

For each format a strategy writes a plausible document (with awkward text, wrong value types, odd
separators and line ends) and then, most of the time, damages its bytes (truncation, deletion, inserted
fragments, flipped bytes). Whatever comes out, reading it under its own format and under ``auto`` either
gives a well-formed `Snapshot` or raises `SnapshotFormatError` with a one-line message naming a line
that exists; nothing else escapes. Undamaged documents with well-typed fields must read back exactly.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neardup import Snapshot, SnapshotFormatError, read_snapshot
from neardup.formats import FORMATS
from neardup.formats.hf_text import HEADER

# NEARDUP_ROBUSTNESS_EXAMPLES=2000 for a longer local search.
SETTINGS = settings(
    max_examples=int(os.environ.get("NEARDUP_ROBUSTNESS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# ---- text ------------------------------------------------------------------------------------------

_AWKWARD = [
    "", " ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", ",", ";", '"', "'", "\\", "<", ">", "&", "&amp;",
    "&#0;", "]]>", "{", "}", "[", "]", ":", "·", "•", "\ufeff", "\u00a0", "\u2028", "\x1c", "\x0b", "é",
    "ﬁ", "𝔘", "\U0001f600", "  • 3 authors", "Jul 30", "Daily Papers", "new", "arXiv:2407.00001v2",
    "10.48550/arXiv.2407.00001", "http://arxiv.org/abs/2407.00001v3", "null", "NaN", "1e999",
]  # fmt: skip
_CHARS = st.characters(codec="utf-8", exclude_categories=["Cs"])
TEXT = st.lists(st.sampled_from(_AWKWARD) | st.text(_CHARS, max_size=12), max_size=8).map("".join)
# Titles and abstracts that every format can hold as they are: no line ends, single spaces, no edges.
PLAIN = (
    st.text(st.characters(categories=["L", "N"]) | st.sampled_from(" ,.:-'()?!"), min_size=1, max_size=40)
    .map(lambda s: " ".join(s.split()))
    .filter(lambda s: any(c.isalnum() for c in s) and s not in HEADER)
)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
FIELDS = ["id", "arxiv_id", "doi", "url", "title", "paper_title", "abstract", "summary", "authors",
          "versions", "published", "publishedAt", "upvotes", "authors_count", "organization", "paper",
          "extra"]  # fmt: skip


def _record(draw: st.DrawFn, well_typed: bool) -> dict[str, Any]:
    if well_typed:
        return {
            "id": f"2407.{draw(st.integers(0, 99999)):05d}",
            "title": draw(PLAIN),
            "abstract": draw(PLAIN),
        }
    names = draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True))
    record: dict[str, Any] = {name: draw(JSON_VALUE) for name in names}
    if draw(st.booleans()):
        record["title"] = draw(TEXT)
    return record


# ---- one document per format -------------------------------------------------------------------------


@st.composite
def hf_text_doc(draw: st.DrawFn, well_typed: bool) -> tuple[bytes, list[str]]:
    header = list(HEADER) if well_typed else draw(st.lists(st.sampled_from(HEADER), max_size=7))
    paragraphs = [*header, "Jul 30"]
    titles = []
    bad = [] if well_typed else ["•", "", "Jul", "30 Jul"]
    for _ in range(draw(st.integers(0, 5))):
        title, abstract = (draw(PLAIN), draw(PLAIN)) if well_typed else (draw(TEXT), draw(TEXT))
        titles.append(title)
        paragraphs += [title, abstract]
        if draw(st.booleans()):
            who = draw(st.sampled_from(["  • 1 authors", "  • 12 authors", "Invented Lab", *bad[:2]]))
            when = draw(st.sampled_from(["Jul 30", "Feb 29, 2024 17", "Dec 31 0", *bad[2:]]))
            paragraphs.append(f"{who}\n·\n{when}")
    sep = "\n\n" if well_typed else draw(st.sampled_from(["\n\n", "\r\n\r\n", "\n\n\n", "\n \n", "\n"]))
    return sep.join(paragraphs).encode("utf-8"), titles


@st.composite
def jsonl_doc(draw: st.DrawFn, well_typed: bool) -> tuple[bytes, list[str]]:
    lines, titles = [], []
    for _ in range(draw(st.integers(0, 6))):
        record = _record(draw, well_typed)
        titles.append(record.get("title", ""))
        lines.append(json.dumps(record, ensure_ascii=draw(st.booleans()), allow_nan=True))
        if not well_typed and draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", " ", "[]", "1", '"x"', "{", "null"])))
    eol = "\n" if well_typed else draw(st.sampled_from(["\n", "\r\n"]))
    return eol.join(lines).encode("utf-8", "surrogatepass"), titles


@st.composite
def hf_json_doc(draw: st.DrawFn, well_typed: bool) -> tuple[bytes, list[str]]:
    items: list[Any] = []
    titles = []
    for _ in range(draw(st.integers(0, 5))):
        record = _record(draw, well_typed)
        titles.append(record.get("title", ""))
        if well_typed:
            items.append(
                {"paper": {"id": record["id"], "title": record["title"], "summary": record["abstract"]}}
            )
        else:
            items.append(draw(st.sampled_from([{"paper": record}, record, {"paper": draw(JSON_VALUE)}])))
    doc: Any = items
    if draw(st.booleans()):
        keys = ["papers", "dailyPapers", "items", "data"] + ([] if well_typed else ["other"])
        doc = {draw(st.sampled_from(keys)): items}
    indent = draw(st.sampled_from([None, 1, 2]))
    return json.dumps(doc, indent=indent, ensure_ascii=draw(st.booleans())).encode(
        "utf-8", "surrogatepass"
    ), titles


@st.composite
def csv_doc(draw: st.DrawFn, well_typed: bool) -> tuple[bytes, list[str]]:
    delimiter = draw(st.sampled_from([",", "\t"]))
    columns = ["id", "title", "abstract"]
    if not well_typed:
        columns = draw(
            st.lists(st.sampled_from([*columns, "Title", "authors", "upvotes", "venue", ""]), max_size=5)
        )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(columns)
    titles = []
    for _ in range(draw(st.integers(0, 5))):
        if well_typed:
            record = _record(draw, True)
            titles.append(record["title"])
            writer.writerow([record[c] for c in columns])
        else:
            writer.writerow(draw(st.lists(TEXT, max_size=len(columns) + 1)))
    return out.getvalue().encode("utf-8"), titles


@st.composite
def atom_doc(draw: st.DrawFn, well_typed: bool) -> tuple[bytes, list[str]]:
    rss = draw(st.booleans())

    def esc(text: str) -> str:
        return escape(text) if well_typed or draw(st.integers(0, 9)) else text

    parts, titles = [], []
    for i in range(draw(st.integers(0, 5))):
        title, abstract = (draw(PLAIN), draw(PLAIN)) if well_typed else (draw(TEXT), draw(TEXT))
        titles.append(title)
        ident = f"http://arxiv.org/abs/2407.{i:05d}v{draw(st.integers(1, 3))}"
        if rss:
            parts.append(
                f"<item><title>{esc(title)}</title><link>{ident}</link>"
                f"<description>{esc(abstract)}</description></item>"
            )
        else:
            parts.append(
                f"<entry><id>{ident}</id><title>{esc(title)}</title><summary>{esc(abstract)}</summary>"
                f"<author><name>{esc(draw(PLAIN if well_typed else TEXT))}</name></author></entry>"
            )
    body = "\n".join(parts)
    if rss:
        doc = (
            f'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>x</title>\n{body}\n</channel></rss>\n'
        )
    else:
        doc = f'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n{body}\n</feed>\n'
    return doc.encode("utf-8", "surrogatepass"), titles


DOCS: dict[str, Callable[[bool], st.SearchStrategy[tuple[bytes, list[str]]]]] = {
    "hf-text": hf_text_doc,
    "jsonl": jsonl_doc,
    "hf-json": hf_json_doc,
    "csv": csv_doc,
    "arxiv-atom": atom_doc,
}
# The columnar binary formats (read through pyarrow) are not text documents: their lines are rows, not
# line ends. tests/test_results_out.py reads them back and damages them.
assert set(DOCS) == set(FORMATS) - {"parquet", "arrow"}

# ---- damage ------------------------------------------------------------------------------------------

_FRAGMENTS = [b"\x00", b"\xff", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\n", b"\r", b"\r\n", b"\n\n",
              b'"', b",", b"\t", b"{", b"}", b"[", b"]", b"<", b">", b"&", b"\xef\xbb\xbf", b"\xff\xfe",
              b"\\u", b"\\ud800", b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
              b"<?xml version='1.0' encoding='x-none'?>"]  # fmt: skip


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "delete", "insert", "flip"]))
        if kind == "cut":
            data = data[:at]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 16)) :]
        elif kind == "insert":
            data = data[:at] + draw(st.sampled_from(_FRAGMENTS) | st.binary(max_size=4)) + data[at:]
        elif at < len(data):
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
    return data


# ---- checks ------------------------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def read_or_refuse(data: bytes, fmt: str) -> Snapshot | None:
    """Reads `data`; on refusal checks the error is well-formed and returns None."""
    lines = data.count(b"\n") + data.count(b"\r") + 1
    try:
        snap = read_snapshot(io.BytesIO(data), fmt)
    except SnapshotFormatError as error:
        message = str(error)
        assert "\n" not in message and "\r" not in message, message
        assert message.startswith("<stream>"), message
        assert error.expected, message
        assert error.line is None or 1 <= error.line <= lines, (error.line, lines, message)
        return None
    assert snap.format in FORMATS
    assert fmt == "auto" or snap.format == fmt
    previous = 0
    for i, e in enumerate(snap):
        assert e.position == i
        assert isinstance(e.title, str) and isinstance(e.abstract, str)
        assert e.key is None or (isinstance(e.key, str) and e.key)
        assert e.line is not None and previous <= e.line <= lines
        previous = e.line
        if snap.format == "hf-json":
            assert not _SURROGATE.search(e.title + e.abstract)
    return snap


@pytest.mark.parametrize("fmt", sorted(DOCS))
@SETTINGS
@given(data=st.data())
def test_damaged_documents_parse_or_raise(fmt: str, data: st.DataObject) -> None:
    doc, _titles = data.draw(DOCS[fmt](data.draw(st.booleans())))
    if data.draw(st.integers(0, 4)):
        doc = data.draw(damaged(doc))
    read_or_refuse(doc, fmt)
    read_or_refuse(doc, "auto")


@pytest.mark.parametrize("fmt", sorted(DOCS))
@SETTINGS
@given(data=st.data())
def test_documents_of_another_format_parse_or_raise(fmt: str, data: st.DataObject) -> None:
    other = data.draw(st.sampled_from(sorted(set(DOCS) - {fmt})))
    doc, _titles = data.draw(DOCS[other](data.draw(st.booleans())))
    read_or_refuse(doc, fmt)


@pytest.mark.parametrize("fmt", sorted(DOCS))
@SETTINGS
@given(data=st.data())
def test_well_typed_documents_read_back_exactly(fmt: str, data: st.DataObject) -> None:
    doc, titles = data.draw(DOCS[fmt](True))
    if not titles and fmt in ("jsonl",):
        return  # an empty file: refused as such
    snap = read_or_refuse(doc, fmt)
    assert snap is not None, doc
    assert [e.title for e in snap] == titles
    if titles:
        auto = read_or_refuse(doc, "auto")
        assert auto is not None and auto.format == fmt
        assert [e.title for e in auto] == titles


@SETTINGS
@given(st.sampled_from(sorted(DOCS)), st.data())
def test_head_boundary(fmt: str, data: st.DataObject) -> None:
    """Documents padded so that format detection's 64 KiB head ends anywhere, in any character."""
    doc, _titles = data.draw(DOCS[fmt](True))
    pad = data.draw(st.integers(65536 - 8, 65536 + 8))
    filler = data.draw(st.sampled_from([b" ", b"\n", "é".encode(), "😀".encode()]))
    padded = filler * (pad // len(filler)) + doc
    read_or_refuse(padded, "auto")
    read_or_refuse(doc + filler * (pad // len(filler)), "auto")
