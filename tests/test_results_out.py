"""Results out (issue 18): `SnapshotDiff` as columns / Arrow / pandas / polars, and a short repr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import neardup
from conftest import SEED_NEW, SEED_OLD
from neardup.model import SnapshotDiff


@pytest.fixture(scope="module")
def result() -> SnapshotDiff:
    return neardup.compare(neardup.read_snapshot(SEED_OLD), neardup.read_snapshot(SEED_NEW))


def test_repr_is_short(result: SnapshotDiff) -> None:
    text = repr(result)
    assert len(text) < 300 and "\n" not in text, text
    assert result.summary_line() in text
    assert all(len(repr(m)) < 200 for m in (*result.unchanged, *result.changed))


def test_columns_have_one_row_per_entry(result: SnapshotDiff) -> None:
    cols = result.columns()
    n = len(cols["verdict"])
    assert all(len(v) == n for v in cols.values())
    # Every entry of either side is in exactly one row.
    old = sorted(p for p in cols["old_position"] if p is not None)
    new = sorted(p for p in cols["new_position"] if p is not None)
    assert old == list(range(len(result.old))) and new == list(range(len(result.new)))
    counts = {v: cols["verdict"].count(v) for v in ("unchanged", "changed", "added", "removed")}
    s = result.summary()
    assert counts == {k: s[k] for k in counts}
    for verdict, how, sim in zip(cols["verdict"], cols["match"], cols["similarity"], strict=True):
        assert (how is None) == (verdict in ("added", "removed", "duplicate")) == (sim is None)


def test_to_arrow(result: SnapshotDiff) -> None:
    pa = pytest.importorskip("pyarrow")
    table = result.to_arrow()
    assert isinstance(table, pa.Table)
    assert table.num_rows == len(result.columns()["verdict"])
    assert table.schema.field("old_position").type == pa.int64()
    assert table.column("verdict").to_pylist() == result.columns()["verdict"]


# ---- data in memory in (issue 18) ------------------------------------------------------------------

ROWS = [
    {"id": "2401.00001v2", "title": "A title", "abstract": "An abstract here.", "year": 2024},
    {"id": "p2", "title": "Second", "abstract": None, "year": 2023},
]


def test_list_of_dicts_and_arrow_read_like_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps({**r, "abstract": r["abstract"] or ""}) for r in ROWS) + "\n")
    want = [(e.key, e.version, e.title, e.abstract) for e in neardup.read_snapshot(path).entries]
    assert want[0] == ("arxiv:2401.00001", 2, "A title", "An abstract here.")
    got = [(e.key, e.version, e.title, e.abstract) for e in neardup.read_snapshot(ROWS).entries]
    assert got == want
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pylist(ROWS)
    for data in (table, table.to_batches()[0], pa.array(ROWS)):
        snap = neardup.read_snapshot(data)
        assert [(e.key, e.version, e.title, e.abstract) for e in snap.entries] == want
        assert [e.line for e in snap.entries] == [1, 2]
    # Columns by name, as the field options choose them in files.
    renamed = pa.table({"ref": ["x1"], "name": ["Named"], "text": ["Body"]})
    snap = neardup.read_snapshot(renamed, id_field="ref", title_field="name", abstract_field="text")
    assert [(e.key, e.title, e.abstract) for e in snap.entries] == [("x1", "Named", "Body")]
    result = neardup.compare(table, ROWS)
    assert not result.has_differences and len(result.unchanged) == 2


def test_missing_texts_are_empty_or_an_error_naming_the_row() -> None:
    from neardup.errors import SnapshotFormatError

    with pytest.raises(SnapshotFormatError, match=r":2: expected a text in column 'abstract', got a missing"):
        neardup.read_snapshot(ROWS, on_missing="error")
    nan_rows = [{"title": "T", "abstract": float("nan")}]
    assert neardup.read_snapshot(nan_rows).entries[0].abstract == ""
    with pytest.raises(SnapshotFormatError, match="NaN"):
        neardup.read_snapshot(nan_rows, on_missing="error")
    with pytest.raises(ValueError, match="on_missing"):
        neardup.read_snapshot(ROWS, on_missing="skip")


@pytest.mark.parametrize("kind", ["parquet", "arrow-file", "arrow-stream"])
def test_parquet_and_arrow_files_by_magic(kind: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    pa = pytest.importorskip("pyarrow")
    rows = [{**r, "abstract": r["abstract"] or ""} for r in ROWS] * 3 + [
        {"id": "p9", "title": "Last", "abstract": "z"}
    ]
    table = pa.Table.from_pylist(rows)
    path = tmp_path / "data.bin"  # the name says nothing
    if kind == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, path, row_group_size=2)
    else:
        import pyarrow.ipc as ipc

        opener = ipc.new_file if kind == "arrow-file" else ipc.new_stream
        with pa.OSFile(str(path), "wb") as sink, opener(sink, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=3):
                writer.write_batch(batch)
    jsonl = tmp_path / "data.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    snap = neardup.read_snapshot(path)
    assert snap.format == ("parquet" if kind == "parquet" else "arrow")
    want = [(e.key, e.title, e.abstract, e.line) for e in neardup.read_snapshot(jsonl).entries]
    assert [(e.key, e.title, e.abstract, e.line) for e in snap.entries] == want
    got = subprocess.run(
        [sys.executable, "-m", "neardup", "diff", str(jsonl), str(path), "--format", "json"],
        capture_output=True,
    )
    assert got.returncode == 0, got.stderr  # the same records: no differences
    summary = json.loads(got.stdout)["summary"]
    assert summary["changed"] == summary["added"] == summary["removed"] == 0


@pytest.mark.parametrize("cut", [0.5, 0.95])
def test_damaged_parquet_is_one_line_exit_2(cut: float, tmp_path: Path) -> None:
    import subprocess
    import sys

    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(
        pa.Table.from_pylist([{"title": f"T{i}", "abstract": "x " * 50} for i in range(2000)]), path
    )
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    got = subprocess.run([sys.executable, "-m", "neardup", "diff", str(path), str(path)], capture_output=True)
    assert got.returncode == 2, got.stderr
    err = got.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err and str(path) in err and "Parquet" in err, err
