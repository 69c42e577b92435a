"""`neardup dedup --encoding / --delimiter` and `ReadSpec(encoding=, delimiter=)` (issue 18), with the
semantics of `neardup diff`: a named encoding is transcoded to UTF-8, the delimiter is named or sniffed
(the most frequent of comma, semicolon and tab in the header row)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from neardup.corpus import ReadSpec, dedup_files

ROWS = [
    ("1", "Café crème; première étude des données"),
    ("2", "Café crème; première étude des données"),
    ("3", "Un texte tout à fait différent, sans rapport"),
    ("4", "Über große Straßen fahren viele Autos täglich"),
    ("5", "Über große Straßen fahren viele Autos täglich"),
]


def _csv(path: Path, delimiter: str, encoding: str) -> Path:
    lines = [f"id{delimiter}body"] + [f'{i}{delimiter}"{t}"' for i, t in ROWS]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "neardup", "dedup", *args], capture_output=True)


def test_latin1_semicolon_csv(tmp_path: Path) -> None:
    path = _csv(tmp_path / "d.csv", ";", "latin-1")
    got = _cli(str(path), "--encoding", "latin-1", "--text-field", "body", "--format", "json")
    assert got.returncode == 1, got.stderr
    groups = json.loads(got.stdout)["clusters"]
    assert [[m["id"] for m in g["members"]] for g in groups] == [["1", "2"], ["4", "5"]]
    # Without the encoding: one line naming the file and line, exit 2.
    bad = _cli(str(path), "--text-field", "body")
    assert bad.returncode == 2 and bad.stderr.count(b"\n") == 1 and str(path).encode() in bad.stderr


def test_delimiter_named_or_sniffed(tmp_path: Path) -> None:
    path = _csv(tmp_path / "d.csv", ";", "utf-8")
    sniffed = dedup_files(path, spec=ReadSpec(text_field="body"))
    named = dedup_files(path, spec=ReadSpec(text_field="body", delimiter=";"))
    assert sniffed.clusters == named.clusters == [[0, 1], [3, 4]]
    assert list(named.ids) == ["1", "2", "3", "4", "5"]
    # A wrong delimiter named: the whole row is one field, and "body" is missing.
    with pytest.raises(Exception, match="body"):
        dedup_files(path, spec=ReadSpec(text_field="body", delimiter=","))
    tabs = _csv(tmp_path / "t.csv", "\t", "utf-8")
    assert _cli(str(tabs), "--delimiter", "tab", "--text-field", "body", "-q").returncode == 1


def test_transcoded_records_are_written_in_utf8(tmp_path: Path) -> None:
    path = _csv(tmp_path / "d.csv", ",", "cp1252")
    got = _cli(str(path), "--encoding", "cp1252", "--text-field", "body", "--keep-first")
    assert got.returncode == 0, got.stderr
    text = got.stdout.decode("utf-8")
    assert "Café crème" in text and text.count("Café") == 1 and text.count("Über") == 1


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown encoding"):
        ReadSpec(encoding="klingon")
    with pytest.raises(ValueError, match="delimiter"):
        ReadSpec(delimiter=";;")
    assert _cli("x.csv", "--encoding", "klingon").returncode == 2
