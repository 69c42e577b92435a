"""Snapshot readers: the hf-text seeds and their variants, the other formats on invented samples,
autodetection, and every kind of bad input (which must raise SnapshotFormatError, nothing else).

The seeds are read in place from ../shared/seeds; variants are built from them in tmp_path.
"""

from __future__ import annotations

import errno
import io
import os
import pickle
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neardup
from neardup import Entry, Snapshot, SnapshotFormatError, read_snapshot
from neardup.formats import FORMATS, detect_format
from neardup.formats.hf_text import HEADER, HEADER_LINES, render
from neardup.formats.source import HEAD_SIZE

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
SEED_OLD = SEEDS / "000_0e321bcecae77698.txt"
SEED_NEW = SEEDS / "001_38311cadbe9d91ff.txt"

# Only the tests that read the seeds depend on them (`needs_seeds`); the rest run anywhere. Under
# NEARDUP_REQUIRE_SHARED=1 (set by .ci/run) a missing seed directory fails those tests instead of skipping.
needs_seeds = pytest.mark.usefixtures("seeds_present")


@pytest.fixture
def seeds_present() -> None:
    if SEEDS.is_dir():
        return
    if os.environ.get("NEARDUP_REQUIRE_SHARED") == "1":
        pytest.fail(f"{SEEDS} is missing (NEARDUP_REQUIRE_SHARED=1)")
    pytest.skip("../shared/seeds is not available")


def oracle(path: Path) -> tuple[str, list[tuple[str, str, str | None]]]:
    """An independent parse of a seed: split on blank lines (the seeds have no others)."""
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    assert paragraphs[:5] == list(HEADER)
    entries: list[tuple[str, str, str | None]] = []
    i = 6
    while i < len(paragraphs):
        title, abstract = paragraphs[i], paragraphs[i + 1]
        i += 2
        meta = None
        if i < len(paragraphs) and paragraphs[i].count("\n") == 2:
            assert paragraphs[i].split("\n")[1] == "·"
            meta = paragraphs[i]
            i += 1
        entries.append((title, abstract, meta))
    return paragraphs[5], entries


def fields(snapshot: Snapshot) -> list[tuple[Any, ...]]:
    return [
        (e.title, e.abstract, e.authors_count, e.organization, e.published, e.upvotes, e.line)
        for e in snapshot
    ]


def write(tmp_path: Path, data: bytes | str, name: str = "snap.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def error_of(source: Path | io.BytesIO | str, fmt: str = "auto", **kw: Any) -> SnapshotFormatError:
    with pytest.raises(SnapshotFormatError) as info:
        read_snapshot(source, fmt, **kw)
    return info.value


# ---- the seeds -------------------------------------------------------------------------------


@needs_seeds
@pytest.mark.parametrize(("seed", "count", "with_meta"), [(SEED_OLD, 92, 0), (SEED_NEW, 65, 63)])
def test_seed_entries_exactly(seed: Path, count: int, with_meta: int) -> None:
    snap = read_snapshot(seed)
    date, expected = oracle(seed)
    assert snap.format == "hf-text"
    assert snap.path == str(seed)
    assert snap.date == date
    assert len(snap) == count
    assert [(e.title, e.abstract) for e in snap] == [(t, a) for t, a, _ in expected]
    assert [e.position for e in snap] == list(range(count))
    assert sum(e.published is not None for e in snap) == with_meta
    lines = seed.read_text(encoding="utf-8").split("\n")
    for entry in snap:
        assert entry.line is not None and lines[entry.line - 1] == entry.title
        assert entry.key is None and entry.extra == {}


@needs_seeds
def test_seed_dates_and_first_line() -> None:
    for seed in (SEED_OLD, SEED_NEW):
        snap = read_snapshot(seed)
        assert snap.date is not None and re.fullmatch(r"[A-Z][a-z]{2} [0-9]{1,2}", snap.date)
        assert snap[0].line == 13  # after five header lines and the date, each + a blank line


@needs_seeds
def test_seed_meta_blocks() -> None:
    snap = read_snapshot(SEED_NEW)
    _, expected = oracle(SEED_NEW)
    for entry, (_, _, meta) in zip(snap, expected, strict=True):
        if meta is None:
            assert (entry.published, entry.upvotes, entry.authors_count) == (None, None, None)
            assert entry.organization is None
            continue
        who, _, when = meta.split("\n")
        if who.startswith("  • "):
            assert who == f"  • {entry.authors_count} authors" and entry.organization is None
        else:
            assert entry.organization == who and entry.authors_count is None
        shown = entry.published if entry.upvotes is None else f"{entry.published} {entry.upvotes}"
        assert shown == when
    assert len([e.organization for e in snap if e.organization]) == 1  # an organisation line
    assert any(e.authors_count == 1 for e in snap)  # "1 authors"
    assert any(e.published and ", " in e.published and e.upvotes is None for e in snap)
    assert any(e.published and ", " not in e.published and e.upvotes for e in snap)


@needs_seeds
def test_seed_overlap_matches_design() -> None:
    old = {e.title: e.abstract for e in read_snapshot(SEED_OLD)}
    new = {e.title: e.abstract for e in read_snapshot(SEED_NEW)}
    both = old.keys() & new.keys()
    assert (len(both), len(old.keys() - new.keys()), len(new.keys() - old.keys())) == (39, 53, 26)
    assert all(old[t] == new[t] for t in both)


@needs_seeds
@pytest.mark.parametrize("seed", [SEED_OLD, SEED_NEW])
def test_render_round_trips_the_seeds(seed: Path) -> None:
    snap = read_snapshot(seed)
    assert render(snap, snap.date) == seed.read_text(encoding="utf-8")


VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "crlf": lambda b: b.replace(b"\n", b"\r\n"),
    "bom": lambda b: b"\xef\xbb\xbf" + b,
    "final-newline": lambda b: b + b"\n",
    "trailing-blank-lines": lambda b: b + b"\n\n\n   \n\t\n",
    "leading-blank-lines": lambda b: b"\n\n" + b,
    "bom-crlf-trailing": lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n") + b"\r\n\r\n",
    "double-blank-lines": lambda b: b.replace(b"\n\n", b"\n\n\n"),
}


@needs_seeds
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", [SEED_OLD, SEED_NEW])
def test_seed_variants_read_the_same(tmp_path: Path, seed: Path, variant: str) -> None:
    path = write(tmp_path, VARIANTS[variant](seed.read_bytes()))
    original, changed = read_snapshot(seed), read_snapshot(path)
    assert changed.format == "hf-text" and changed.date == original.date
    if variant in ("leading-blank-lines", "double-blank-lines"):  # lines move, nothing else
        assert [f[:-1] for f in fields(changed)] == [f[:-1] for f in fields(original)]
    else:
        assert fields(changed) == fields(original)


@needs_seeds
def test_duplicate_entry_is_kept(tmp_path: Path) -> None:
    snap = read_snapshot(SEED_NEW)
    doubled = [*snap.entries[:5], snap.entries[2], *snap.entries[5:]]
    again = read_snapshot(write(tmp_path, render(doubled, snap.date)))
    assert len(again) == len(snap) + 1
    assert again[5].title == again[2].title and again[5].position == 5


def _lines(seed: Path) -> list[bytes]:
    return seed.read_bytes().split(b"\n")


@needs_seeds
def test_truncated_after_a_title(tmp_path: Path) -> None:
    snap = read_snapshot(SEED_OLD)
    for entry in (snap[10], snap[-1]):  # one inside the detection head, one far beyond it
        assert entry.line is not None
        path = write(tmp_path, b"\n".join(_lines(SEED_OLD)[: entry.line]))
        error = error_of(path)
        assert (error.path, error.line) == (str(path), entry.line)
        assert "abstract" in error.expected and "end of file" in str(error)


@needs_seeds
def test_truncated_inside_a_meta_block(tmp_path: Path) -> None:
    snap = read_snapshot(SEED_NEW)
    entry = next(e for e in reversed(snap.entries) if e.published is not None)
    assert entry.line is not None
    meta_line = entry.line + 4  # title, blank, abstract, blank, meta
    data = b"\n".join(_lines(SEED_NEW)[: meta_line + 1])  # authors line and "·" only
    error = error_of(write(tmp_path, data))
    assert error.line == meta_line and "three lines" in error.expected


@needs_seeds
def test_abstract_with_no_title(tmp_path: Path) -> None:
    snap = read_snapshot(SEED_OLD)
    for entry in (snap[3], snap[-2]):
        assert entry.line is not None
        lines = _lines(SEED_OLD)
        del lines[entry.line - 1 : entry.line + 1]  # the title and its blank line
        error = error_of(write(tmp_path, b"\n".join(lines)))
        assert error.line == entry.line
        assert error.expected == "a title" and "no title" in str(error)


@needs_seeds
def test_meta_block_in_place_of_an_abstract(tmp_path: Path) -> None:
    snap = read_snapshot(SEED_NEW)
    entry = next(e for e in snap if e.published is not None)
    assert entry.line is not None
    lines = _lines(SEED_NEW)
    del lines[entry.line + 1 : entry.line + 3]  # the abstract and its blank line
    error = error_of(write(tmp_path, b"\n".join(lines)))
    assert error.line == entry.line + 2 and "abstract" in error.expected


def test_bad_meta_date(tmp_path: Path) -> None:
    text = render([Entry("T", "A", authors_count=2, published="Jul 3")], "Jul 30")
    error = error_of(write(tmp_path, text[: text.rindex("Jul 3")] + "sometime"))
    assert error.line == 19 and "date" in error.expected


def test_multiline_title_paragraph(tmp_path: Path) -> None:
    text = render([Entry("T", "A")], "Jul 30").replace("\nT\n", "\nT\nU\n")
    assert error_of(write(tmp_path, text)).line == 13


@needs_seeds
@pytest.mark.parametrize("where", ["early", "late"])
@pytest.mark.parametrize(
    ("bad", "expected"), [(b"\xff", "UTF-8 text"), (b"\xc3(", "UTF-8 text"), (b"\x00", "text")]
)
def test_undecodable_bytes_are_located(tmp_path: Path, where: str, bad: bytes, expected: str) -> None:
    snap = read_snapshot(SEED_OLD)
    entry = snap[2] if where == "early" else snap[-1]
    assert entry.line is not None
    lines = _lines(SEED_OLD)
    lines[entry.line - 1] = lines[entry.line - 1][:5] + bad + lines[entry.line - 1][5:]
    error = error_of(write(tmp_path, b"\n".join(lines)))
    assert (error.line, error.expected) == (entry.line, expected)
    assert str(error).startswith(f"{tmp_path / 'snap.txt'}:{entry.line}: expected {expected}")


def test_header_only_page_is_an_empty_snapshot(tmp_path: Path) -> None:
    snap = read_snapshot(write(tmp_path, "\n\n".join([*HEADER, "Jul 30"])))
    assert len(snap) == 0 and snap.date == "Jul 30" and snap.format == "hf-text"


def test_page_without_header(tmp_path: Path) -> None:
    snap = read_snapshot(write(tmp_path, "Title One\n\nAbstract one.\n\nTitle Two\n\nAbstract two."))
    assert [e.title for e in snap] == ["Title One", "Title Two"] and snap.date is None
    assert [e.line for e in snap] == [1, 5]


# ---- input sources ---------------------------------------------------------------------------


class _Pipe(io.RawIOBase):
    """A non-seekable byte stream, optionally failing after its data like a broken device."""

    def __init__(self, data: bytes, fail: bool = False) -> None:
        self._data = io.BytesIO(data)
        self._fail = fail

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        if not chunk and self._fail:
            raise OSError(errno.EIO, "Input/output error")
        buffer[: len(chunk)] = chunk
        return len(chunk)


@needs_seeds
@pytest.mark.parametrize("seekable", [True, False])
def test_stdin(monkeypatch: pytest.MonkeyPatch, seekable: bool) -> None:
    data = SEED_OLD.read_bytes()
    assert len(data) > HEAD_SIZE  # the replay of the detection head is exercised
    raw: IO[bytes] = io.BytesIO(data) if seekable else io.BufferedReader(_Pipe(data))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(raw, encoding="utf-8"))
    snap = read_snapshot("-")
    assert snap.path == "<stdin>"
    assert fields(snap) == fields(read_snapshot(SEED_OLD))


def test_stdin_errors_name_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    error = error_of("-")
    assert error.path == "<stdin>" and str(error) == "<stdin>: expected a snapshot, got an empty file"


@needs_seeds
def test_path_types_and_file_objects() -> None:
    expected = fields(read_snapshot(SEED_OLD))
    assert fields(read_snapshot(str(SEED_OLD))) == expected
    with SEED_OLD.open("rb") as fh:
        snap = read_snapshot(fh)
        assert not fh.closed  # the caller's file stays open
    assert fields(snap) == expected and snap.path == str(SEED_OLD)
    assert fields(read_snapshot(io.BytesIO(SEED_OLD.read_bytes()))) == expected
    with pytest.raises(TypeError):
        read_snapshot(io.StringIO("text"))  # type: ignore[arg-type]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = error_of(tmp_path / "nope.txt")
    assert (missing.path, missing.line) == (str(tmp_path / "nope.txt"), None)
    assert str(missing) == f"{tmp_path / 'nope.txt'}: expected an existing file, got no such file"
    directory = error_of(tmp_path)
    assert directory.line is None and "directory" in str(directory)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "x")
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        path.chmod(0)
        assert "permission denied" in str(error_of(path))
        path.chmod(0o644)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("neardup.formats.source.open", refuse, raising=False)
    error = error_of(path)
    assert error.line is None and error.expected == "a readable file"


@needs_seeds
@pytest.mark.parametrize("fmt", ["hf-text", "jsonl", "csv", "hf-json", "arxiv-atom"])
def test_read_failure_mid_file(fmt: str) -> None:
    data = {
        "hf-text": SEED_OLD.read_bytes(),
        "jsonl": b'{"title": "t", "abstract": "a"}\n' * 5000,
        "csv": b"title,abstract\n" + b"t,a\n" * 40000,
        "hf-json": b"[" + b'{"title": "t"},' * 10000,
        "arxiv-atom": b"<feed>" + b"<entry><title>t</title></entry>\n" * 5000,
    }[fmt]
    assert len(data) > HEAD_SIZE
    error = error_of(io.BufferedReader(_Pipe(data, fail=True)), fmt)  # type: ignore[arg-type]
    assert error.expected == "a readable file" and "Input/output error" in str(error)


@needs_seeds
def test_unknown_format_name() -> None:
    with pytest.raises(ValueError, match="unknown snapshot format 'yaml'"):
        read_snapshot(SEED_OLD, "yaml")


@needs_seeds
def test_forcing_the_wrong_format(tmp_path: Path) -> None:
    for fmt in ("jsonl", "hf-json", "arxiv-atom"):
        error = error_of(SEED_OLD, fmt)
        assert error.line == 1, fmt
    csv_error = error_of(SEED_OLD, "csv")  # one-column "CSV" without a title column
    assert csv_error.line == 1 and "title" in csv_error.expected


def test_error_is_one_line_and_pickles() -> None:
    error = SnapshotFormatError("a.txt", 3, "a title", "some\nmulti-line\n\ttext " + "x" * 200)
    assert "\n" not in str(error) and str(error).startswith("a.txt:3: expected a title, got some")
    assert isinstance(error, neardup.NeardupError)
    clone = pickle.loads(pickle.dumps(error))
    assert (clone.path, clone.line, clone.expected, clone.got) == ("a.txt", 3, "a title", error.got)
    assert str(clone) == str(error)
    assert str(SnapshotFormatError("a.txt", None, "x")) == "a.txt: expected x"


# ---- other formats ---------------------------------------------------------------------------

ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title type="html">ArXiv Query: search_query=all:widgets</title>
  <updated>2025-02-20T00:00:00-05:00</updated>
  <entry>
    <id>http://arxiv.org/abs/2502.00001v2</id>
    <updated>2025-02-19T10:00:00Z</updated>
    <published>2025-02-01T10:00:00Z</published>
    <title>Sparse Widgets for
      Dense Gadgets</title>
    <summary>  We study widgets that are
  sparse, and gadgets &amp; gizmos that are dense.
</summary>
    <author><name>Ada Example</name></author>
    <author><name>Bo Sample</name></author>
    <arxiv:doi>10.1234/widgets.5</arxiv:doi>
    <arxiv:comment>12 pages</arxiv:comment>
    <link href="http://arxiv.org/abs/2502.00001v2" rel="alternate" type="text/html"/>
    <arxiv:primary_category term="cs.LG"/>
    <category term="cs.LG"/>
    <category term="stat.ML"/>
  </entry>
  <entry>
    <id>http://arxiv.org/abs/hep-th/9901001v1</id>
    <title>An Old-Style Identifier</title>
    <summary>Strings, again.</summary>
  </entry>
</feed>
"""

RSS = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
     version="2.0">
  <channel>
    <title>cs.CL updates on arXiv.org</title>
    <lastBuildDate>Wed, 19 Feb 2025 05:00:00 +0000</lastBuildDate>
    <item>
      <title>A Made-Up Title About Parsing</title>
      <link>https://arxiv.org/abs/2502.00002</link>
      <description>arXiv:2502.00002v1 Announce Type: new
Abstract: An invented abstract that is
 wrapped.</description>
      <guid isPermaLink="false">oai:arXiv.org:2502.00002v1</guid>
      <category>cs.CL</category>
      <pubDate>Wed, 19 Feb 2025 00:00:00 -0500</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:creator>Ann One, Ben Two</dc:creator>
    </item>
  </channel>
</rss>
"""

RDF = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://arxiv.org/">
<title>cs updates on arXiv.org</title>
<dc:date>2019-03-01T20:30:00-05:00</dc:date>
</channel>
<item rdf:about="http://arxiv.org/abs/1903.00003">
<title>Toy Title For Testing. (arXiv:1903.00003v3 [cs.CL] UPDATED)</title>
<link>http://arxiv.org/abs/1903.00003</link>
<description rdf:parseType="Literal">&lt;p&gt;A toy abstract &amp;amp; more.&lt;/p&gt;</description>
<dc:creator> &lt;a href="http://arxiv.org/a/one_a_1"&gt;A. One&lt;/a&gt;</dc:creator>
</item>
</rdf:RDF>
"""


def test_arxiv_atom(tmp_path: Path) -> None:
    snap = read_snapshot(write(tmp_path, ATOM, "feed.xml"))
    assert snap.format == "arxiv-atom" and snap.date == "2025-02-20T00:00:00-05:00"
    first, second = snap
    assert first.title == "Sparse Widgets for Dense Gadgets"
    assert first.abstract == "We study widgets that are sparse, and gadgets & gizmos that are dense."
    assert (first.key, first.version, first.line) == ("arxiv:2502.00001", 2, 5)
    assert first.authors == ("Ada Example", "Bo Sample")
    assert first.published == "2025-02-01T10:00:00Z"
    assert first.extra["doi"] == "10.1234/widgets.5"
    assert first.extra["categories"] == ["cs.LG", "stat.ML"]
    assert first.extra["comment"] == "12 pages"
    assert (second.key, second.version, second.line) == ("arxiv:hep-th/9901001", 1, 23)


def test_arxiv_rss(tmp_path: Path) -> None:
    snap = read_snapshot(write(tmp_path, RSS, "feed.rss"))
    assert snap.format == "arxiv-atom" and snap.date == "Wed, 19 Feb 2025 05:00:00 +0000"
    (entry,) = snap
    assert entry.title == "A Made-Up Title About Parsing"
    assert entry.abstract == "An invented abstract that is wrapped."
    assert (entry.key, entry.version, entry.line) == ("arxiv:2502.00002", 1, 7)
    assert entry.authors == ("Ann One", "Ben Two")


def test_arxiv_rdf(tmp_path: Path) -> None:
    (entry,) = read_snapshot(write(tmp_path, RDF, "feed.rdf"))
    assert entry.title == "Toy Title For Testing"
    assert entry.abstract == "A toy abstract & more."
    assert (entry.key, entry.version) == ("arxiv:1903.00003", 3)
    assert entry.authors == ("A. One",)


def test_arxiv_api_error_feed(tmp_path: Path) -> None:
    feed = ATOM.split("<entry>")[0] + (
        "<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id>"
        "<title>Error</title><summary>incorrect id format for 1234</summary></entry></feed>"
    )
    error = error_of(write(tmp_path, feed))
    assert error.line == 5 and "incorrect id format" in str(error)


HF_JSON = """[
  {
    "paper": {
      "id": "2502.00003",
      "authors": [{"_id": "a1", "name": "Xi Yu", "hidden": false}, {"name": "Zed Q"}],
      "publishedAt": "2025-02-18T00:00:00.000Z",
      "title": "An Invented Daily Paper",
      "summary": "Its invented summary.",
      "upvotes": 12,
      "discussionId": "d1"
    },
    "publishedAt": "2025-02-19T00:00:00.000Z",
    "title": "An Invented Daily Paper",
    "numComments": 3
  },
  {"paper": {"id": "2502.00004", "title": "Second", "summary": "Two.", "authors": [],
             "publishedAt": "2025-02-18T00:00:00.000Z", "upvotes": 0}}
]"""


def test_hf_json(tmp_path: Path) -> None:
    snap = read_snapshot(write(tmp_path, HF_JSON, "papers.json"))
    assert snap.format == "hf-json" and snap.date is None
    first, second = snap
    assert (first.title, first.abstract) == ("An Invented Daily Paper", "Its invented summary.")
    assert (first.key, first.version, first.upvotes) == ("arxiv:2502.00003", None, 12)
    assert first.authors == ("Xi Yu", "Zed Q")
    assert first.published == "2025-02-18T00:00:00.000Z"  # the paper's date wins
    assert first.extra == {"discussionId": "d1", "numComments": 3}
    assert (first.line, second.line) == (2, 16)
    assert (second.key, second.upvotes, second.authors) == ("arxiv:2502.00004", 0, ())


def test_hf_json_wrapped_in_an_object(tmp_path: Path) -> None:
    doc = '{"date": "2025-02-19",\n "papers": ' + HF_JSON + ',\n "count": 2}'
    snap = read_snapshot(write(tmp_path, doc))
    assert snap.format == "hf-json"
    assert [e.title for e in snap] == ["An Invented Daily Paper", "Second"]
    assert [e.line for e in snap] == [3, 17]
    assert len(read_snapshot(write(tmp_path, "[]"))) == 0


JSONL_ARXIV = (
    '{"id": "0704.0001", "submitter": "Someone", "authors": "A. One, B. Two and C. Three", '
    '"title": "Calculation of invented\\n  things", "comments": "3 pages", '
    '"doi": "10.1000/xyz", "categories": "hep-ph", '
    '"abstract": "  An invented abstract\\nover two lines.\\n", '
    '"versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}, '
    '{"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"}], '
    '"update_date": "2008-11-13"}\n'
    "\n"
    '{"id": "hep-th/9901001", "title": "Old", "abstract": "Old one.", "versions": []}\n'
    '{"id": "P-1", "title": "Not arXiv", "summary": "Uses summary.", "doi": "10.1000/ABC"}\n'
    '{"id": "P-2", "title": "Nothing", "abstract": null}\n'
)


def test_jsonl_arxiv_dump(tmp_path: Path) -> None:
    snap = read_snapshot(write(tmp_path, JSONL_ARXIV, "dump.jsonl"))
    assert snap.format == "jsonl"
    first, old, doi, bare = snap
    assert first.title == "Calculation of invented things"
    assert first.abstract == "An invented abstract\nover two lines."
    assert (first.key, first.version, first.line) == ("arxiv:0704.0001", 2, 1)
    assert first.authors == ("A. One", "B. Two", "C. Three")
    assert first.published == "Mon, 2 Apr 2007 19:18:42 GMT"
    assert first.extra["update_date"] == "2008-11-13" and "title" not in first.extra
    assert (old.key, old.version, old.line) == ("arxiv:hep-th/9901001", None, 3)
    assert (doi.key, doi.abstract, doi.extra["id"]) == ("doi:10.1000/abc", "Uses summary.", "P-1")
    # A declared id that is neither an arXiv id nor a DOI is the key as spelled (DESIGN §5).
    assert (bare.key, bare.abstract, bare.extra) == ("P-2", "", {})


def test_jsonl_configured_fields(tmp_path: Path) -> None:
    text = (
        '{"ref": "R-7", "meta": {"name": "Nested Title"}, "body": "Text."}\n'
        '{"ref": "2502.00009v4", "meta": {"name": "Other"}, "body": "More."}\n'
    )
    path = write(tmp_path, text, "custom.jsonl")
    snap = read_snapshot(path, id_field="ref", title_field="meta.name", abstract_field="body")
    assert [(e.key, e.version, e.title, e.abstract) for e in snap] == [
        ("R-7", None, "Nested Title", "Text."),  # an explicit id field is a key even if not arXiv
        ("arxiv:2502.00009", 4, "Other", "More."),
    ]
    error = error_of(path, title_field="nope")
    assert error.line == 1 and "'nope'" in error.expected
    assert len(read_snapshot(path, title_field="meta.name", keep_extra=False)[0].extra) == 0


def test_jsonl_daily_papers_items(tmp_path: Path) -> None:
    line = '{"paper": {"id": "2502.00003", "title": "T", "summary": "S", "upvotes": 2}}\n'
    (entry,) = read_snapshot(write(tmp_path, line))
    assert (entry.key, entry.title, entry.abstract, entry.upvotes) == (
        "arxiv:2502.00003",
        "T",
        "S",
        2,
    )


CSV = (
    "id,Title,Abstract,authors,year\n"
    'https://arxiv.org/abs/2502.00005v3,"A Title, With a Comma","Line one\n'
    'line two","Ann One, Ben Two",2020\n'
    "P-9,Second Row,,Solo Author,2021\n"
    "\n"
    "10.1145/ABC,Third,Abs,,2022\n"
)


def test_csv(tmp_path: Path) -> None:
    snap = read_snapshot(write(tmp_path, CSV, "table.csv"))
    assert snap.format == "csv"
    first, second, third = snap
    assert (first.title, first.abstract) == ("A Title, With a Comma", "Line one\nline two")
    assert (first.key, first.version, first.line) == ("arxiv:2502.00005", 3, 2)
    assert first.authors == ("Ann One", "Ben Two") and first.extra == {"year": "2020"}
    assert (second.key, second.abstract, second.line) == ("P-9", "", 4)
    assert second.extra == {"year": "2021"}
    assert (third.key, third.line) == ("doi:10.1145/abc", 6)


def test_tsv_and_configured_columns(tmp_path: Path) -> None:
    text = "ref\tname\tbody\nX1\tFirst\tOne.\nX2\tSecond\tTwo.\n"
    path = write(tmp_path, text, "table.tsv")
    snap = read_snapshot(path, "csv", id_field="REF", title_field="name", abstract_field="body")
    assert [(e.key, e.title, e.abstract, e.line) for e in snap] == [
        ("X1", "First", "One.", 2),
        ("X2", "Second", "Two.", 3),
    ]
    error = error_of(path, "csv", title_field="heading")
    assert error.line == 1 and "heading" in error.expected


def test_dblp_like_csv_without_abstracts(tmp_path: Path) -> None:
    text = '"id","title","authors","venue","year"\n1,"Invented Paper","A. B, C. D","Venue",1999\n'
    (entry,) = read_snapshot(write(tmp_path, text))
    assert (entry.title, entry.abstract, entry.key) == ("Invented Paper", "", "1")
    assert entry.authors == ("A. B", "C. D")
    assert entry.extra == {"venue": "Venue", "year": "1999"}


# ---- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (ATOM, "arxiv-atom"),
        (RSS, "arxiv-atom"),
        (RDF, "arxiv-atom"),
        (HF_JSON, "hf-json"),
        ('{\n "papers": []\n}', "hf-json"),
        (JSONL_ARXIV, "jsonl"),
        ('{"title": "one record only"}', "jsonl"),
        (CSV, "csv"),
        ("title\tabstract\nx\ty\n", "csv"),
        ("\n".join(["new", "", "Daily Papers"]), "hf-text"),
        ("Title\n\nAbstract\n", "hf-text"),
        ("\ufeff  \n[]", "hf-json"),
    ],
)
def test_detect_format(head: str, fmt: str) -> None:
    assert detect_format(head.encode("utf-8")) == fmt


@needs_seeds
def test_detect_the_seeds() -> None:
    for seed in (SEED_OLD, SEED_NEW):
        assert detect_format(seed.read_bytes()[:HEAD_SIZE]) == "hf-text"


def test_detect_tolerates_a_character_cut_by_the_head() -> None:
    head = (b"Title\n\nAbstract  " + "é".encode() * HEAD_SIZE)[:HEAD_SIZE]
    assert head[-1:] == b"\xc3"
    assert detect_format(head) == "hf-text"


@pytest.mark.parametrize(
    ("data", "line", "expected"),
    [
        (b"", None, "a snapshot"),
        (b" \n\t\r\n", None, "a snapshot"),
        (b"\xef\xbb\xbf", None, "a snapshot"),
        (b"just some words\n", 1, "a snapshot in one of the formats"),
        (b"\n\nhello\nworld", 3, "a snapshot in one of the formats"),
        (b"ok\n\n\xff\xfe", 3, "UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", 3, "text"),
    ],
)
def test_undetectable_input(data: bytes, line: int | None, expected: str) -> None:
    error = error_of(io.BytesIO(data))
    assert (error.line, error.expected[: len(expected)]) == (line, expected)


# ---- bad input in the other formats ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fmt", "line", "expected"),
    [
        ('{"title": "a"}\n{"title": \n', "auto", 2, "a JSON object"),
        ('{"title": "a"}\n[1, 2]\n', "auto", 2, "a JSON object"),
        ('{"title": "a"}\n{"abstract": "orphan"}\n', "auto", 2, "a title"),
        ('{"title": "a"}\n{"other": 1}\n', "auto", 2, "a non-empty title field"),
        ('{"title": 5}\n', "jsonl", 1, "a string title"),
        ('{"title": "t", "abstract": ["x"]}\n', "jsonl", 1, "a string abstract"),
        ("\n\n   \n", "jsonl", None, "a snapshot"),
        ("[\n" + '{"paper": {"title": "x"}},\n' * 3 + "]", "auto", 5, "a JSON value"),
        ("[\n" + '{"paper": {"title": "x"}},\n' * 3 + "5\n]", "auto", 5, "a Daily Papers item"),
        ('[\n{"paper": {"title": "x"}}\n{"paper": {"title": "y"}}]', "auto", 3, "',' or ']'"),
        ('[\n{"paper": {"title": "x"}}\n]\n[]', "auto", 4, "end of file"),
        ('[\n{"paper": {"title": "x"}}', "auto", 2, "',' or ']'"),
        ('{\n"nothing": []\n}', "auto", 1, "an array of items"),
        ("[\n" + "[" * 100000 + "]" * 100000 + "\n]", "hf-json", 2, "JSON"),
        ("<feed>\n<entry>\n<title>x</title>\n", "auto", 4, "well-formed XML"),
        ("<feed>\n<entry>\n<title>x</titel>\n</entry></feed>", "auto", 3, "well-formed XML"),
        ("<html>\n</html>", "auto", 1, "an Atom <feed>"),
        ("<feed>\n<entry>\n<summary>lost</summary>\n</entry></feed>", "auto", 2, "an <entry>"),
        ('id,title\n1,a\n2,"unterminated\n', "auto", 3, "a CSV row"),
        ("id,title\n1,a\n2,b,c\n", "auto", 3, "a row of 2 fields"),
        ("id,title,abstract\n1,,orphan abstract\n", "auto", 2, "a title"),
        ("id,abstract\n1,x\n", "csv", 1, "a header row with a title column"),
        ("id,title\n1,\n", "csv", 2, "a non-empty title field"),
    ],
)
def test_bad_records(tmp_path: Path, text: str, fmt: str, line: int | None, expected: str) -> None:
    path = write(tmp_path, text)
    error = error_of(path, fmt)
    assert error.path == str(path)
    assert (error.line, error.expected[: len(expected)]) == (line, expected), str(error)


def test_non_utf8_in_json_formats(tmp_path: Path) -> None:
    jsonl = write(tmp_path, b'{"title": "a"}\n' * 5000 + b'{"title": "\xe9"}\n', "a.jsonl")
    assert error_of(jsonl).line == 5001
    hf_json = write(tmp_path, b"[\n" + b'{"title": "a"},\n' * 5000 + b'{"title": "\xe9"}]', "b.json")
    error = error_of(hf_json)
    assert (error.line, error.expected) == (5002, "UTF-8 text")
    csv = write(tmp_path, b"title\n" + b"a\n" * 40000 + b"\xe9\n", "c.csv")
    assert error_of(csv).line == 40002


def test_latin1_xml_is_fine_when_declared(tmp_path: Path) -> None:
    doc = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    doc += "<feed><entry><title>Café</title></entry></feed>"
    (entry,) = read_snapshot(write(tmp_path, doc.encode("latin-1")))
    assert entry.title == "Café"


# ---- properties ------------------------------------------------------------------------------

_ANY_FORMAT = st.sampled_from(["auto", *FORMATS])


def _read_or_refuse(data: bytes, fmt: str) -> Snapshot | None:
    try:
        snap = read_snapshot(io.BytesIO(data), fmt)
    except SnapshotFormatError as error:
        assert "\n" not in str(error)
        assert error.line is None or error.line >= 1
        return None
    assert snap.format in FORMATS
    assert [e.position for e in snap] == list(range(len(snap)))
    return snap


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), _ANY_FORMAT)
def test_any_bytes_parse_or_raise_snapshot_format_error(data: bytes, fmt: str) -> None:
    _read_or_refuse(data, fmt)


_FRAGMENTS = [
    "new", "Daily Papers", "Jul 30", "Title", "An abstract.", "  • 3 authors", "·", "May 3 4",
    "Aug 15, 2023", "Invented Lab", "\n", "\n\n", "\r\n", "\ufeff", "{", "}", "[", "]", '"title"',
    '"paper"', '"abstract"', ":", ",", '"x"', "1", "null", "<feed>", "</feed>", "<entry>",
    "</entry>", "<title>", "</title>", "<rss>", "<item>", "id,title,abstract", '"', "\t", "\x00",
    "\udcff", "é", " ",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40), _ANY_FORMAT)
def test_structured_noise_parses_or_raises(parts: list[str], fmt: str) -> None:
    data = "".join(parts).encode("utf-8", "surrogateescape")
    _read_or_refuse(data, fmt)


@needs_seeds
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_seed_parses_or_raises(data: st.DataObject) -> None:
    raw = SEED_NEW.read_bytes()
    start = data.draw(st.integers(0, len(raw)))
    end = data.draw(st.integers(start, min(len(raw), start + 400)))
    insert = data.draw(st.binary(max_size=8) | st.sampled_from([b"\n\n", b"\n", b"\xc2\xb7"]))
    snap = _read_or_refuse(raw[:start] + insert + raw[end:], "auto")
    if snap is not None and end == start and not insert:
        assert len(snap) == 65


_TEXT = st.text(
    alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"], exclude_characters="·•\x85\u2028\u2029"),
    min_size=1,
    max_size=60,
).map(lambda s: " ".join(s.split()))


@st.composite
def _entries(draw: st.DrawFn) -> Entry:
    title = draw(_TEXT.filter(lambda t: bool(t) and t not in HEADER_LINES))
    abstract = draw(_TEXT.filter(bool))
    if not draw(st.booleans()):
        return Entry(title=title, abstract=abstract)
    who: dict[str, Any] = draw(
        st.sampled_from([{"authors_count": 1}, {"authors_count": 12}, {"organization": "Invented Lab"}])
    )
    published = draw(st.sampled_from(["Jan 2", "Feb 29, 2024", "Dec 31"]))
    upvotes = draw(st.none() | st.integers(0, 999))
    return Entry(title=title, abstract=abstract, published=published, upvotes=upvotes, **who)


@settings(max_examples=150, deadline=None)
@given(st.lists(_entries(), max_size=8), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_hf_text_round_trip(entries: list[Entry], newline: str, bom: bool) -> None:
    text = render(entries, "Jul 30").replace("\n", newline)
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    snap = read_snapshot(io.BytesIO(data), "hf-text")
    assert snap.date == "Jul 30"
    strip = [(e.title, e.abstract, e.authors_count, e.organization, e.published, e.upvotes)
             for e in entries]  # fmt: skip
    got = [(e.title, e.abstract, e.authors_count, e.organization, e.published, e.upvotes)
           for e in snap]  # fmt: skip
    assert got == strip


# ---- the example pair ----------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@needs_seeds
def test_examples_regenerate_identically_and_read(tmp_path: Path) -> None:
    import subprocess

    script = EXAMPLES / "make_sample.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True)
    for name in ("old.txt", "new.txt", "later.txt"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
    old, new = read_snapshot(EXAMPLES / "old.txt"), read_snapshot(EXAMPLES / "new.txt")
    assert (len(old), len(new), old.date, new.date) == (12, 12, "Jul 29", "Jul 30")
    assert all(e.published is not None for e in (*old, *new))
    old_titles = {e.norm_title: e for e in old}
    new_titles = {e.norm_title: e for e in new}
    assert len(old_titles.keys() - new_titles.keys()) == 1  # removed
    assert len(new_titles.keys() - old_titles.keys()) == 1  # added
    kept = old_titles.keys() & new_titles.keys()
    assert sum(old_titles[t].title != new_titles[t].title for t in kept) == 1  # re-cased title
    assert sum(old_titles[t].abstract != new_titles[t].abstract for t in kept) == 1  # edited
    assert any(old_titles[t].upvotes != new_titles[t].upvotes for t in kept)
    seed_text = SEED_OLD.read_text(encoding="utf-8") + SEED_NEW.read_text(encoding="utf-8")
    assert not any(e.title in seed_text or e.abstract in seed_text for e in (*old, *new))
