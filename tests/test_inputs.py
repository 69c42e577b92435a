"""Inputs as users have them (issue 18): compressed files and streams, recognised by content, through
every command and format; and inputs that change while they are read (issue 21, item 1).
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import neardup
from conftest import SEED_NEW, SEED_OLD, neardup_cmd, one_line, paper_lines, paper_pair, run
from neardup.corpus import ReadSpec
from neardup.errors import SnapshotFormatError
from neardup.formats.source import open_source


def zstd(data: bytes) -> bytes:
    pa = pytest.importorskip("pyarrow")
    out: bytes = pa.Codec("zstd").compress(data, asbytes=True)
    return out


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "zstd": zstd,
    "bzip2": bz2.compress,
    "xz": lzma.compress,
}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return paper_pair(tmp_path_factory.mktemp("pair"), 3000, changed_every=4)


# ---- compression by content ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_diff_json_reads_compressed_files_whatever_their_name(
    kind: str, pair: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = pair
    plain = run("diff", old, new, "--format", "json")
    assert plain.returncode == 1, plain.stderr
    # The names lie (".txt", no suffix at all): only the content says it is compressed.
    old_c, new_c = tmp_path / "old.txt", tmp_path / "new"
    old_c.write_bytes(COMPRESSORS[kind](old.read_bytes()))
    new_c.write_bytes(COMPRESSORS[kind](new.read_bytes()))
    got = run("diff", old_c, new_c, "--format", "json")
    assert got.returncode == 1, got.stderr
    want = json.loads(plain.stdout)
    have = json.loads(got.stdout)
    for side, path in (("old", old_c), ("new", new_c)):
        assert have[side].pop("path") == str(path)
        want[side].pop("path")
    assert have == want


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_every_format_reads_compressed(kind: str, tmp_path: Path) -> None:
    # The Daily Papers page text (the seeds), read by the Python readers, from a file and from stdin.
    plain = run("diff", SEED_OLD, SEED_NEW, "--format", "jsonl")
    assert plain.returncode == 1, plain.stderr
    old_c = tmp_path / "old.bin"
    old_c.write_bytes(COMPRESSORS[kind](SEED_OLD.read_bytes()))
    from_file = run("diff", old_c, SEED_NEW, "--format", "jsonl")
    from_stdin = run("diff", "-", SEED_NEW, "--format", "jsonl", stdin=old_c.read_bytes())
    for got, name in ((from_file, str(old_c)), (from_stdin, "<stdin>")):
        assert got.returncode == 1, got.stderr
        assert got.stdout == plain.stdout.replace(str(SEED_OLD).encode(), name.encode())


def test_api_and_atom_and_hf_json_read_compressed(tmp_path: Path) -> None:
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        b"<id>http://arxiv.org/abs/2401.00001v2</id><title>A   title</title>"
        b"<summary>An abstract.</summary></entry></feed>"
    )
    hf = json.dumps([{"paper": {"id": "2401.00001", "title": "A title", "summary": "An abstract."}}]).encode()
    for data, fmt in ((atom, "arxiv-atom"), (hf, "hf-json")):
        path = tmp_path / f"x.{fmt}"
        path.write_bytes(lzma.compress(data))
        snap = neardup.read_snapshot(path)
        assert snap.format == fmt
        assert [(e.key, e.title, e.abstract) for e in snap.entries] == [
            ("arxiv:2401.00001", "A title", "An abstract.")
        ]


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_dedup_and_catalog_read_compressed(kind: str, tmp_path: Path) -> None:
    data = (paper_lines(200) + paper_lines(50)).encode()  # the last 50 repeat the first 50
    path = tmp_path / "corpus.jsonl.x"
    path.write_bytes(COMPRESSORS[kind](data))
    plain_path = tmp_path / "corpus.jsonl"
    plain_path.write_bytes(data)
    want = run("dedup", plain_path, "--format", "json")
    assert want.returncode == 1, want.stderr
    for got in (
        run("dedup", path, "--format", "json"),
        run("dedup", "-", "--format", "json", stdin=path.read_bytes()),
    ):
        assert got.returncode == 1, got.stderr
        assert json.loads(got.stdout)["clusters"] == json.loads(want.stdout)["clusters"]
    db = tmp_path / "c.db"
    added = run("catalog", "add", db, path, "--date", "2024-01-02")
    assert added.returncode == 0, added.stderr
    papers = run("catalog", "papers", db, "--format", "json")
    assert papers.returncode == 0, papers.stderr
    assert len(json.loads(papers.stdout)) == 200


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_dedup_of_a_compressed_input_writes_and_names_the_records_it_read(
    kind: str, fmt: str, tmp_path: Path
) -> None:
    """The kept copy and a skipped record's example come from the decompressed text, byte for byte as
    from the same file uncompressed (the core's byte ranges are those of the decompressed text)."""
    lines = [json.loads(line) for line in (paper_lines(120) + paper_lines(30)).splitlines()]
    if fmt == "jsonl":
        body = "".join(json.dumps(r) + "\n" for r in lines).encode()
        body = body.replace(b"\n", b'\n{"title": 7}\n', 1)  # a bad record on line 2
    else:
        rows = ["id,title,abstract"] + [f'{r.get("id", "")},"{r["title"]}","{r["abstract"]}"' for r in lines]
        body = ("\n".join(rows) + "\n").encode()
    plain, packed = tmp_path / f"c.{fmt}", tmp_path / f"c.{fmt}.z"
    plain.write_bytes(body)
    packed.write_bytes(COMPRESSORS[kind](body))
    outputs = []
    for path in (plain, packed):
        got = run("dedup", path, "--from", fmt, "--keep-first", "--on-bad-record", "skip")
        assert got.returncode in (0, 1), got.stderr
        outputs.append((got.stdout, got.stderr.decode().replace(str(packed), str(plain))))
    assert outputs[0] == outputs[1]
    kept = outputs[0][0].decode().splitlines()
    assert 100 <= len(kept) < 150 and kept[-1]  # the repeats dropped, whole records written


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_damaged_compressed_input_is_one_line_exit_2(
    kind: str, damage: str, pair: tuple[Path, Path], tmp_path: Path
) -> None:
    data = COMPRESSORS[kind](pair[0].read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        mid = len(data) // 2
        data = data[:mid] + bytes(b ^ 0x5A for b in data[mid : mid + 64]) + data[mid + 64 :]
    bad = tmp_path / "old.jsonl.gz"
    bad.write_bytes(data)
    # Damage may first show as garbage text (checksums come at a member's or block's end): the error
    # still names the damaged compressed data, the cause.
    needles = (str(bad), kind)
    for fmt in ("json", "text"):
        got = run("diff", bad, pair[1], "--format", fmt)
        assert got.returncode == 2, got.stderr
        one_line(got.stderr, *needles)
    got = run("dedup", bad)
    assert got.returncode == 2, got.stderr
    one_line(got.stderr, *needles)


@pytest.fixture(scope="module")
def large_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A pair of several of the core's decompression chunks (4 MiB) each, so that records straddle chunk
    ends, with blank lines here and there so that line numbers are not record numbers."""
    d = tmp_path_factory.mktemp("large")
    old, new = d / "old.jsonl", d / "new.jsonl"
    for path, text in ((old, paper_lines(60_000)), (new, paper_lines(60_000, changed_every=7))):
        body = text.encode()
        path.write_bytes(body.replace(b"}\n", b"}\n\n", 1).replace(b"\n{", b"\n  \n{", 3))
    assert old.stat().st_size > 3 * (4 << 20)
    return old, new


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_diff_of_inputs_many_chunks_long_is_that_of_the_plain_files(
    kind: str, large_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    # The records are read while the rest is decompressed: the report (with every record's line) is
    # byte for byte that of the plain files.
    old, new = large_pair
    old_c, new_c = tmp_path / "old.jsonl.c", tmp_path / "new.jsonl.c"
    old_c.write_bytes(COMPRESSORS[kind](old.read_bytes()))
    new_c.write_bytes(COMPRESSORS[kind](new.read_bytes()))
    want = run("diff", old, new, "--format", "json")
    assert want.returncode == 1, want.stderr
    lines = [int(n) for n in re.findall(rb'"line": (\d+)', want.stdout)]
    assert max(lines) > 59_000  # lines of the last chunks are in the report
    got = run("diff", old_c, new_c, "--format", "json")
    assert got.returncode == 1, got.stderr
    assert got.stdout == want.stdout.replace(str(old).encode(), str(old_c).encode()).replace(
        str(new).encode(), str(new_c).encode()
    )


@pytest.mark.parametrize(("kind", "cut"), [("gzip", "corrupt tail"), ("zstd", "truncated")])
def test_damage_after_many_chunks_is_one_line_exit_2(
    kind: str, cut: str, large_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    # The damage shows only after several chunks were read and parsed: the lines before it are no
    # partial result, the whole input is one line and exit 2.
    data = COMPRESSORS[kind](large_pair[0].read_bytes())
    # Cut short, or the gzip trailer (the CRC-32 and the length) damaged.
    damaged_tail = data[:-8] + bytes(b ^ 0xFF for b in data[-8:])
    data = data[: len(data) * 9 // 10] if cut == "truncated" else damaged_tail
    bad = tmp_path / "old.jsonl.x"
    bad.write_bytes(data)
    got = run("diff", bad, large_pair[1], "--format", "json")
    assert got.returncode == 2, got.stderr
    assert got.stdout == b""
    one_line(got.stderr, str(bad), kind)


@pytest.mark.parametrize(("kind", "cut"), [("gzip", "corrupt tail"), ("zstd", "truncated")])
def test_dedup_and_catalog_add_of_damage_after_many_chunks_is_one_line_exit_2(
    kind: str, cut: str, large_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    # dedup and catalog add read as diff does, chunks parsed while the rest is decompressed: the
    # documents of the chunks before the damage are no partial result.
    data = COMPRESSORS[kind](large_pair[0].read_bytes())
    damaged_tail = data[:-8] + bytes(b ^ 0xFF for b in data[-8:])
    bad = tmp_path / "corpus.jsonl.x"
    bad.write_bytes(data[: len(data) * 9 // 10] if cut == "truncated" else damaged_tail)
    for args in (("dedup", bad), ("dedup", bad, "--records"), ("catalog", "add", tmp_path / "c.db", bad)):
        got = run(*args)
        assert got.returncode == 2, (args, got.stderr)
        assert got.stdout == b""
        one_line(got.stderr, str(bad), kind)
    with pytest.raises(SnapshotFormatError, match=f"expected {kind} data, got"):
        neardup.dedup_files(bad)
    with pytest.raises(SnapshotFormatError, match=f"expected {kind} data, got"):
        neardup.dedup_files(bad, spec=ReadSpec(on_bad_record="skip"))


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_dedup_of_a_compressed_input_quotes_its_bad_line(
    kind: str, large_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    # A line that is not JSON, chunks into the decompressed text: the message (the JSON parser's words on
    # that line) is that of the same file uncompressed.
    lines = large_pair[0].read_bytes().split(b"\n")
    lines[50_000] = b'{"title": "A title", "abstract": oops}'
    body = b"\n".join(lines)
    plain, packed = tmp_path / "c.jsonl", tmp_path / "c.jsonl.x"
    plain.write_bytes(body)
    packed.write_bytes(COMPRESSORS[kind](body))
    want, got = run("dedup", plain), run("dedup", packed)
    assert want.returncode == got.returncode == 2, got.stderr
    one_line(want.stderr, f"{plain}:50001:", "column 34")
    assert got.stderr.decode() == want.stderr.decode().replace(str(plain), str(packed))


def test_bzh_text_is_not_bzip2(tmp_path: Path) -> None:
    # "BZh" then a letter is text; only "BZh" and a block-size digit is a bzip2 header.
    path = tmp_path / "t.jsonl"
    path.write_text('BZh{"title": "x"}\n', encoding="utf-8")
    with open_source(path) as source:
        assert source.compression is None


def test_python_reader_streams_compressed_input(tmp_path: Path) -> None:
    # 256 MiB of text, a few hundred kB compressed: a reader that held it whole would grow by as much.
    path = tmp_path / "big.jsonl.xz"
    line = b'{"title": "Repeated", "abstract": "the same words again and again"}\n'
    block = line * ((1 << 20) // len(line))
    with lzma.open(path, "wb", preset=0) as fh:
        for _ in range(256):
            fh.write(block)
    code = (
        "import sys\n"
        "from neardup.formats.source import open_source\n"
        "def peak():\n"
        "    for l in open('/proc/self/status'):\n"
        "        if l.startswith('VmHWM:'): return int(l.split()[1])\n"
        "before = peak()\n"
        "with open_source(sys.argv[1]) as s:\n"
        "    n = sum(1 for _ in s.binary_lines())\n"
        "print(n, (peak() - before) // 1024)\n"
    )
    got = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, timeout=300, check=True
    )
    lines, grown_mb = map(int, got.stdout.split())
    assert lines == 256 * ((1 << 20) // len(line))
    assert grown_mb < 64, f"peak resident size grew by {grown_mb} MiB"


def test_corrupt_stream_through_the_api_is_a_snapshot_format_error(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(gzip.compress(b'{"title": "a"}\n' * 1000)[:-20])
    with pytest.raises(SnapshotFormatError, match="gzip"):
        neardup.read_snapshot(path)


# ---- an input that shrinks while it is read (issue 21, item 1) -------------------------------------------


def _wait_until(predicate: Callable[[], bool], proc: subprocess.Popen[bytes], limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    return False


def _mapped(pid: int, path: Path) -> bool:
    try:
        return str(path) in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/maps")
def test_a_mapped_file_that_shrinks_is_one_line_exit_2(tmp_path: Path) -> None:
    old, new = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    old.write_bytes(paper_lines(60000).encode())
    new.write_bytes(paper_lines(60000, changed_every=3).encode())
    out = tmp_path / "out" / "report.json"
    out.parent.mkdir()
    proc = subprocess.Popen(
        neardup_cmd("diff", old, new, "--format", "json", "-o", out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # Truncated once the core has mapped it: every later touch of the lost pages is a SIGBUS.
    assert _wait_until(lambda: _mapped(proc.pid, old), proc), proc.communicate()
    os.truncate(old, 100_000)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err
    one_line(err, f"{old} changed while being read")
    assert list(out.parent.iterdir()) == []  # no report, no temporary file


def test_a_file_that_shrinks_on_the_python_road_is_no_silent_loss(tmp_path: Path) -> None:
    old, new = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    # A first record only Python's json reads (NaN) sends the whole file to the Python reader.
    nan = b'{"title": "Not a number", "abstract": "x", "score": NaN}\n'
    old.write_bytes(nan + paper_lines(120000).encode())
    new.write_bytes(paper_lines(200).encode())
    full = run("diff", old, new, "--format", "text", "-q")
    proc = subprocess.Popen(
        neardup_cmd("diff", old, new, "--format", "text", "-q"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def opened() -> bool:
        try:
            return any(
                os.readlink(f"/proc/{proc.pid}/fd/{fd}") == str(old)
                for fd in os.listdir(f"/proc/{proc.pid}/fd")
            )
        except OSError:
            return False

    assert _wait_until(opened, proc), proc.communicate()
    # A cut at a line end: the rest still parses, so only the size check can tell.
    os.truncate(old, len(nan) + len(paper_lines(1000).encode()))
    outcome, err = proc.communicate(timeout=300)
    # Either the whole file was read before the cut (the full result), or the run says it changed.
    if proc.returncode == 2:
        one_line(err, f"{old} changed while being read")
    else:
        assert (proc.returncode, outcome) == (full.returncode, full.stdout), err


# ---- CSV as people export it: encodings and delimiters ----------------------------------------------

DBLP = SEED_OLD.parent.parent / "eval" / "dblp-acm" / "DBLP2.csv"


def test_dblp_latin1_csv_reads_with_encoding(tmp_path: Path) -> None:
    # The DBLP-ACM benchmark's own file is latin-1 ("Ugur Çetintemel", "Jörg"): refused as UTF-8, with the
    # line; read with --encoding, on both roads and through catalog add.
    refused = run("diff", DBLP, DBLP, "--format", "json")
    assert refused.returncode == 2
    one_line(refused.stderr, str(DBLP), "UTF-8")
    snap = neardup.read_snapshot(DBLP, encoding="latin-1")
    assert len(snap.entries) == 2616
    authors = {a for e in snap.entries for a in (e.authors or [])}
    assert "Ugur Çetintemel" in authors and not any("\ufffd" in a for a in authors)
    for fmt in ("json", "text"):
        same = run("diff", DBLP, DBLP, "--format", fmt, "--encoding", "latin-1")
        assert same.returncode == 0, same.stderr
    # The same rows as UTF-8 with semicolons, gzip-compressed: the same entries.
    text = DBLP.read_bytes().decode("latin-1")
    rows = text.replace('","', '";"').replace('",', '";')
    other = tmp_path / "dblp.csv.gz"
    other.write_bytes(gzip.compress(rows.encode("utf-8")))
    snap2 = neardup.read_snapshot(other)
    assert [(e.key, e.title, e.authors) for e in snap2.entries] == [
        (e.key, e.title, e.authors) for e in snap.entries
    ]
    got = run("diff", DBLP, other, "--format", "json", "--encoding", "latin-1")
    # One encoding for both inputs: the UTF-8 one read as latin-1 differs (mojibake), yet it reads.
    assert got.returncode == 1, got.stderr
    db = tmp_path / "c.db"
    added = run("catalog", "add", db, DBLP, "--encoding", "cp1252", "--date", "2024-01-02")
    assert added.returncode == 0, added.stderr


@pytest.mark.parametrize(
    ("delimiter", "named"), [(";", None), ("\t", None), (";", ";"), ("|", "|"), ("\t", "tab")]
)
def test_delimiters_sniffed_or_named(delimiter: str, named: str | None, tmp_path: Path) -> None:
    rows = [["id", "title", "abstract"], ["2401.00001", "A, title; with; all", "x"], ["p2", "B", "y, z"]]
    body = "\r\n".join(
        delimiter.join(f'"{c}"' if any(d in c for d in ",;\t|") else c for c in r) for r in rows
    )
    path = tmp_path / "t.csv"
    path.write_text(body + "\r\n", encoding="cp1252")
    args = ["--delimiter", named] if named else []
    want = [("arxiv:2401.00001", "A, title; with; all", "x"), ("p2", "B", "y, z")]
    snap = neardup.read_snapshot(path, delimiter=None if named is None else {"tab": "\t"}.get(named, named))
    assert [(e.key, e.title, e.abstract) for e in snap.entries] == want
    for fmt in ("json", "jsonl"):
        got = run("diff", path, path, "--format", fmt, *args)
        assert got.returncode == 0, got.stderr
        assert b'"A, title; with; all"' in got.stdout


def test_utf16_by_its_mark_and_bad_encoding_bytes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("title;abstract\nÇa;x\n".encode("utf-16"))  # with its byte-order mark
    assert [e.title for e in neardup.read_snapshot(path).entries] == ["Ça"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"title,abstract\nok,x\nbad \x81\x20,y\n")
    got = run("diff", bad, bad, "--encoding", "shift_jis")
    assert got.returncode == 2
    one_line(got.stderr, f"{bad}:3:", "Shift_JIS", "0x81")
    got = run("diff", bad, bad, "--encoding", "klingon")
    assert got.returncode == 2 and b"klingon" in got.stderr
    with pytest.raises(ValueError, match="klingon"):
        neardup.read_snapshot(bad, encoding="klingon")
