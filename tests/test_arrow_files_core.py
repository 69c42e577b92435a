"""Parquet and Arrow IPC files read by the core (issue 18, `read/columnar.rs`): the core decodes the row
groups or record batches itself (no pyarrow) and its JSON Lines readers read the rows. `neardup diff` and
`dedup` must give the same results as on the same records as JSON Lines; how each value is written is
tested in the core (`read/arrow_json.rs`). pyarrow here only writes the files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import neardup
from neardup import _core
from neardup.corpus import ReadSpec

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _pair(tmp_path: Path, n: int = 60) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    old = [
        {"id": f"p{i}", "title": f"Paper number {i} on topic {i % 5}", "abstract": f"We study {i} " * 20}
        for i in range(n)
    ]
    new = [dict(r) for r in old[5:]] + [
        {"id": "fresh", "title": "A new paper", "abstract": "fresh words " * 9}
    ]
    new[3]["abstract"] += " and one more sentence."
    new[4]["abstract"] = None  # a missing abstract: an empty one
    new[6]["id"] = None  # a missing id: identity from the title
    return old, new


def _write(rows: list[dict[str, Any]], path: Path, kind: str) -> Path:
    table = pa.Table.from_pylist(rows)
    if kind == "parquet":
        pq.write_table(table, path, row_group_size=17)
    elif kind == "jsonl":
        # As the rule says: a missing text is an empty one, any other missing value an absent member.
        texts = ("title", "abstract", "body")
        path.write_text(
            "".join(
                json.dumps(
                    {
                        k: "" if v is None and k in texts else v
                        for k, v in r.items()
                        if v is not None or k in texts
                    }
                )
                + "\n"
                for r in rows
            )
        )
    else:
        import pyarrow.ipc as ipc

        with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=11):
                writer.write_batch(batch)
    return path


def _diff(old: Path, new: Path) -> dict[str, Any]:
    got = subprocess.run(
        [sys.executable, "-m", "neardup", "diff", str(old), str(new), "--format", "json"], capture_output=True
    )
    assert got.returncode in (0, 1), got.stderr
    report: dict[str, Any] = json.loads(got.stdout)
    return report


def _strip(report: dict[str, Any]) -> str:
    text = json.dumps(report, sort_keys=True)
    for name in ("old", "new"):
        for ext in ("jsonl", "parquet", "arrow"):
            text = text.replace(f"{name}.{ext}", name)
    return text.replace('"parquet"', '"F"').replace('"arrow"', '"F"').replace('"jsonl"', '"F"')


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_diff_of_files_equals_diff_of_the_same_jsonl(kind: str, tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    want = _diff(_write(old, tmp_path / "old.jsonl", "jsonl"), _write(new, tmp_path / "new.jsonl", "jsonl"))
    assert want["summary"]["changed"] >= 1 and want["summary"]["added"] >= 1
    got = _diff(_write(old, tmp_path / f"old.{kind}", kind), _write(new, tmp_path / f"new.{kind}", kind))
    assert _strip(got) == _strip(want)


def test_diff_of_parquet_takes_the_core_road(tmp_path: Path) -> None:
    from neardup.fast_diff import diff_report

    old, new = _pair(tmp_path)
    a, b = _write(old, tmp_path / "old.parquet", "parquet"), _write(new, tmp_path / "new.parquet", "parquet")
    made = diff_report(str(a), str(b), fmt="json")
    assert made is not None and made[1]
    # With a column the core cannot spell as JSON, the Python reader reads the files, to the same report.
    when = pa.array([0] * len(new), pa.timestamp("s"))
    pq.write_table(pa.Table.from_pylist(new).append_column("at", when), b)
    assert not _core._columnar_rows(b, text_columns=[])
    assert diff_report(str(a), str(b), fmt="json") is None
    by_python, by_core = _diff(a, b)["summary"], json.loads(bytes(made[0]))["summary"]
    # The new column "at" is new metadata for every entry kept (changed or not), and nothing else.
    assert by_python.pop("meta_changed") == by_core["unchanged"] + by_core["changed"]
    assert by_core.pop("meta_changed") == 0 and by_python == by_core


BLOCK_PYARROW = """
import sys
sys.modules["pyarrow"] = None  # any import of pyarrow now fails
from neardup.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_diff_and_dedup_of_columnar_files_need_no_pyarrow(kind: str, tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    a, b = _write(old, tmp_path / f"old.{kind}", kind), _write(new, tmp_path / f"new.{kind}", kind)
    run = [sys.executable, "-c", BLOCK_PYARROW]
    got = subprocess.run([*run, "diff", str(a), str(b), "--format", "json"], capture_output=True)
    assert got.returncode == 1, got.stderr
    assert json.loads(got.stdout)["summary"] == _diff(a, b)["summary"]
    got = subprocess.run([*run, "dedup", str(a), "--format", "json"], capture_output=True)
    assert got.returncode in (0, 1), got.stderr


def test_an_unreadable_parquet_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    good = _write(old, tmp_path / "old.parquet", "parquet")
    data = good.read_bytes()
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(data[:4] + b"\0" * (len(data) - 8) + data[-4:])  # magic at both ends, nothing else
    assert not _core._columnar_rows(bad, text_columns=[])
    for cmd in (["diff", str(good), str(bad)], ["dedup", str(bad)]):
        got = subprocess.run([sys.executable, "-m", "neardup", *cmd], capture_output=True, text=True)
        assert got.returncode == 2, got
        assert len(got.stderr.strip().splitlines()) == 1 and "bad.parquet" in got.stderr


def test_text_that_begins_with_the_magic_is_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("PAR1,title\nx,A title\n")
    assert not _core._columnar_rows(path, text_columns=[])


def test_dedup_files_on_parquet_equals_jsonl(tmp_path: Path) -> None:
    rows = [{"id": str(i), "body": f"text {i % 9} shared words here and there", "x": i} for i in range(40)]
    rows[5]["body"] = None
    rows[14]["body"] = None
    spec = ReadSpec(text_field="body")
    want = neardup.dedup_files(_write(rows, tmp_path / "c.jsonl", "jsonl"), spec=spec)
    assert not want.skipped  # an absent text field in JSONL would be a bad record: here it is ""
    got = neardup.dedup_files(_write(rows, tmp_path / "c.parquet", "parquet"), spec=spec)
    assert got.clusters == want.clusters and len(got.clusters) >= 8
    assert [got.ids[i] for i in range(4)] == ["0", "1", "2", "3"]


def test_catalog_add_of_parquet_reads_it_in_the_core_as_the_same_jsonl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from neardup import Catalog, formats

    old, new = _pair(tmp_path)
    listed: dict[str, list[tuple[Any, ...]]] = {}
    for kind in ("jsonl", "parquet"):
        with Catalog(tmp_path / f"{kind}.db") as cat:
            for day, rows in (("2024-01-01", old), ("2024-01-02", new)):
                cat.add_file(_write(rows, tmp_path / f"{day}.{kind}", kind), date=day)
            listed[kind] = [(p.title, p.first_day, p.last_day, p.sightings, p.versions) for p in cat.papers()]
        # The Python reader stays out of it: the core read every file.
        monkeypatch.setattr(formats, "read_snapshot", None)
    assert listed["parquet"] == listed["jsonl"] and len(listed["jsonl"]) == len(old) + 1


def _dump_rows(n: int, revised: int) -> list[dict[str, Any]]:
    """Rows of the arXiv metadata dump's shape: nested `versions` and `authors_parsed`, nulls in places."""
    rows = []
    for i in range(n):
        version = 2 if i < revised else 1
        rows.append(
            {
                "id": f"2401.{i:05d}",
                "submitter": None if i % 7 == 0 else f"Author {i}",
                "authors": f"A. Author{i} and B. Author{i + 1}",
                "title": f"On the structure of problem {i}\n  and its variants",
                "doi": None if i % 3 else f"10.1000/x{i}",
                "abstract": f"  We study problem {i}.\nIt has {version} parts{', new' * (version - 1)}.\n",
                "versions": [
                    {"version": f"v{v}", "created": f"Mon, {v} Jan 2024 00:00:00 GMT"}
                    for v in range(1, version + 1)
                ],
                "update_date": "2024-01-02",
                "authors_parsed": [[f"Author{i}", "A.", ""], [f"Author{i + 1}", "B.", None]],
            }
        )
    return rows


def test_diff_of_the_arxiv_dump_shape_as_parquet_equals_jsonl(tmp_path: Path) -> None:
    old, new = _dump_rows(40, 0), _dump_rows(42, 5)
    want = _diff(_write(old, tmp_path / "old.jsonl", "jsonl"), _write(new, tmp_path / "new.jsonl", "jsonl"))
    assert want["summary"]["changed"] == 5 and want["summary"]["added"] == 2
    a, b = _write(old, tmp_path / "old.parquet", "parquet"), _write(new, tmp_path / "new.parquet", "parquet")
    assert _core._columnar_rows(b, text_columns=[])  # lists of structs and of lists: the core's road
    assert _strip(_diff(a, b)) == _strip(want)
