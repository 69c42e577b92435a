"""The ``jsonl`` reader's fast path (records read in batches by the Rust core) against its per-record
Python path, which defines the format: same entries (values, types, key order of ``extra``) and
same errors, on varied and hostile records, for every field configuration and batch size."""

from __future__ import annotations

import io
import json
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neardup import Entry, SnapshotFormatError, read_snapshot
from neardup.formats import jsonl


@contextmanager
def _python_path_only() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonl, "_core_reads", lambda spec: False)
        yield


def _outcome(data: bytes, **kw: Any) -> tuple[str, Any]:
    """What reading `data` gives: the entries (by repr, so 1, 1.0 and True differ) or the error."""
    try:
        snapshot = read_snapshot(io.BytesIO(data), "jsonl", **kw)
    except SnapshotFormatError as error:
        return "error", (error.line, error.expected, error.got)
    return "entries", [repr(entry) for entry in snapshot]


def assert_same(data: bytes, **kw: Any) -> tuple[str, Any]:
    fast = _outcome(data, **kw)
    with _python_path_only():
        slow = _outcome(data, **kw)
    assert fast == slow
    return fast


# ---- values --------------------------------------------------------------------------------------

_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"
_TEXT = st.text(
    alphabet=st.sampled_from(
        [*"ab Z9.-/:v", *_SPACES, "é", "\u200b", "\ufeff", "😀", '"', "\\", "\x00", "\x7f"]
    ),
    max_size=12,
)
_IDS = st.sampled_from([
    "2502.13138", "2502.13138v2", " 2502.13138V12 ", "0704.0001", "1501.0001", "2400.00001",
    "2502.131381", "hep-th/9901001v3", "MATH.gt/0309136", "hep-th/9913001", "arXiv:2502.13138",
    "https://arxiv.org/abs/2502.13138v4", "10.1000/XYZ", "doi:10.48550/arXiv.2502.13138", "P-1", "",
    "   ", "2502.13138v0123456789",
])  # fmt: skip
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, -0.0, 1e300, 5e-324])
    | _TEXT
    | _IDS
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "version", "created", "x"]), inner, max_size=3)
    ),
    max_leaves=6,
)
# Every field name the readers give a meaning to (records.rs: ID_FIELDS, TITLE_FIELDS, ABSTRACT_FIELDS,
# META_FIELDS), plus names they do not know.
_KEYS = st.sampled_from([
    "title", "paper_title", "abstract", "summary", "paper_abstract", "description",
    "id", "arxiv_id", "arxiv", "paper_id", "doc_id", "doi", "url", "link", "guid",
    "authors", "versions", "published", "publishedAt", "published_at", "date", "pubDate", "upvotes",
    "authors_count", "organization", "paper", "x", "name", "body", "ref", "é\u3000", "",
])  # fmt: skip
_VERSIONS = st.lists(
    st.fixed_dictionaries({"version": st.sampled_from(["v1", "v2", "V3", "x", 4]), "created": _TEXT}),
    max_size=2,
)


@st.composite
def _records(draw: st.DrawFn) -> dict[str, Any]:
    record = draw(st.dictionaries(_KEYS, _VALUES, max_size=6))
    if draw(st.integers(0, 3)):
        record["title"] = draw(_TEXT.filter(str.strip))
    if draw(st.booleans()):
        record[draw(st.sampled_from(["abstract", "summary"]))] = draw(_TEXT | st.none())
    if draw(st.booleans()):
        record[draw(st.sampled_from(["id", "doi", "url", "ref"]))] = draw(_IDS)
    if draw(st.booleans()):
        record["versions"] = draw(_VERSIONS)
    return record


@st.composite
def _lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:  # raw oddities, valid or not
        return draw(
            st.sampled_from([
                b"", b"  \t", b"\x0b\x0c", b"\x1c", b"\x00", b"\xff{}", b"\xef\xbb\xbf{\"title\": \"bom\"}",
                b'{"title": NaN}', b'{"title": "t", "x": -Infinity}', b'{"title": "t", "title": "u"}',
                b'{"title": "t", "x": 1, "x": 2}', b'{"title": "\\ud800"}', b'{"title": "t", "x": "\\udc00"}',
                b'{"title": "t"} x', b'{"title": "t",}', b"[1]", b"null", b'"s"', b"{", b'{"title": 01}',
                b'{"title": "t\tab"}', b'{"title": "t", "x": ' + b"[" * 200 + b"]" * 200 + b"}",
                b'{"paper": {"title": "p", "id": "2502.00001"}, "upvotes": 3}',
                b'{"title": "t", "x": 1' + b"0" * 5000 + b"}", b'{"title": "t", "x": 1e400}',
                b'{"title": "t", "x": 1.0, "y": 1, "z": true}', b'{"\\u0074itle": "escaped key"}',
            ])
        )  # fmt: skip
    record = draw(_records())
    text = json.dumps(record, ensure_ascii=draw(st.booleans()), indent=None, separators=draw(
        st.sampled_from([(", ", ": "), (",", ":"), (" ,\t", " :\r ")])
    ))  # fmt: skip
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_lines(), min_size=1, max_size=12),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
    st.sampled_from(
        [
            {},
            {"keep_extra": False},
            {"title_field": "name", "abstract_field": "body", "id_field": "ref"},
            {"id_field": "id", "keep_extra": False},
            {"title_field": "x"},
            {"title_field": "paper.title"},
        ]
    ),  # fmt: skip
)
def test_fast_path_matches_the_python_path(
    lines: list[bytes], end: str, final_end: bool, kw: dict[str, Any]
) -> None:
    data = end.encode().join(lines) + (end.encode() if final_end else b"")
    if not data.strip():
        data += b'{"title": "t"}'
    assert_same(data, **kw)
    for line in lines:  # one by one too: in a file, the first bad line hides the others
        if line.strip():
            assert_same(line, **kw)


@pytest.mark.parametrize("size", [1, 7, 64, 1000])
def test_batch_boundaries(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    lines = [
        '{"title": "é t", "abstract": " a ", "id": "2502.00001v2"}',
        "",
        '{"title": "u", "x": [1], "authors": "A and B"}',
        '{"paper": {"title": "p"}}',
        '{"title": "' + "w" * 300 + '"}',
    ] * 3
    data = ("\ufeff" + "\n".join(lines)).encode()
    expected = assert_same(data)
    monkeypatch.setattr(jsonl, "BATCH_SIZE", size)
    assert assert_same(data) == expected
    assert [e.line for e in read_snapshot(io.BytesIO(data))][:5] == [1, 3, 4, 5, 6]
    for start in (b"\xef\xbb\xbf" * 2, b"\xef\xbb\xbf\n", b"\xef\xbb\xbf \n\xef\xbb\xbf", b"\xef\xbb"):
        assert_same(start + data[3:])  # json.loads itself skips a BOM in front of a line


def test_errors_point_at_the_same_line() -> None:
    good = b'{"title": "t", "id": "2502.00001"}\n' * 3
    for bad, expected in [
        (b'{"title": 5}', "a string title"),
        (b'{"title": "t"', "a JSON object"),
        (b"\xc3(", "UTF-8 text"),
        (b"\x00", "text"),
        (b'{"abstract": "a"}', "a title"),
        (b'{"title": "t", "x": 1' + b"0" * 5000 + b"}", "a JSON object"),
    ]:
        kind, (line, got_expected, _) = assert_same(good + bad + b"\n" + good)
        assert (kind, line, got_expected[: len(expected)]) == ("error", 4, expected)
        assert assert_same(good + bad + b"\n", keep_extra=False)[0] == "error"


def test_values_keep_their_types() -> None:
    line = {
        "title": "T\u3000 \x1c x",
        "abstract": "\x1f A \u2029",
        "id": "2400.00001",  # not an arXiv id (no month 00): a declared id, the key as spelled
        "n": 12345678901234567890123,
        "i": -0,
        "f": -0.0,
        "g": 1e300,
        "b": False,
        "z": None,
        "s": '\\"\u00e9\U0001f600',
        "l": [1, {"a": None}],
    }
    (entry,) = read_snapshot(io.BytesIO(json.dumps(line).encode()), "jsonl")
    assert (entry.title, entry.abstract, entry.key) == ("T x", "A", "2400.00001")
    assert list(entry.extra) == ["n", "i", "f", "g", "b", "z", "s", "l"]
    assert [type(v) for v in entry.extra.values()] == [
        int,
        int,
        float,
        float,
        bool,
        type(None),
        str,
        list,
    ]
    assert repr(entry.extra["f"]) == "-0.0"
    assert_same(json.dumps(line).encode())


def test_entries_built_by_the_core_are_ordinary_entries() -> None:
    data = b'{"title": "T", "abstract": "A", "id": "2502.00001v2", "x": 1}\n'
    (entry,) = read_snapshot(io.BytesIO(data))
    with _python_path_only():
        (slow,) = read_snapshot(io.BytesIO(data))
    assert entry == slow and hash(entry) == hash(slow)
    assert entry == Entry("T", "A", "arxiv:2502.00001", 2, position=0, line=1, extra={"x": 1})
    assert pickle.loads(pickle.dumps(entry)) == entry
    assert entry.replace(title="U").title == "U"
    with pytest.raises(AttributeError):
        entry.title = "U"  # type: ignore[misc]
    unset = (entry.authors, entry.authors_count, entry.organization, entry.published, entry.upvotes)
    assert unset == (None,) * 5


def test_int_limit_follows_python() -> None:
    data = b'{"title": "t", "x": 1' + b"0" * 5000 + b"}\n"
    assert assert_same(data, keep_extra=False)[0] == "error"
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        assert assert_same(data, keep_extra=False)[0] == "entries"
        assert assert_same(data)[0] == "entries"
    finally:
        sys.set_int_max_str_digits(old)


def test_stdin_like_streams_and_long_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl, "BATCH_SIZE", 16)
    record = {"title": "t" * 100, "abstract": "a" * 1000}
    data = (json.dumps(record) + "\n\n").encode() * 3
    kind, entries = assert_same(data)
    assert kind == "entries" and len(entries) == 3
