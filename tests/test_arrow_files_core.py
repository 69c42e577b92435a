"""Parquet and Arrow IPC files read by the core (issue 18): pyarrow reads the row groups, the binding writes
the rows as JSON Lines from the Arrow buffers, and the core's JSON Lines readers map them. The rows must
come out as the same records as the Python reader makes of them (nulls, lists, numbers, slices, string
types), and `neardup diff` / `dedup` must give the same results as on the same records as JSON Lines."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import neardup
from neardup import _core
from neardup.corpus import ReadSpec
from neardup.formats import arrow_files
from neardup.formats.arrow_files import to_jsonl

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _lines(data: Any, tmp_path: Path, texts: tuple[str, ...] = ("title", "abstract")) -> list[dict[str, Any]]:
    out = tmp_path / "rows.jsonl"
    assert _core._arrow_jsonl(data, out, text_columns=list(texts))
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_rows_keep_values_and_leave_out_missing_ones(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": pa.array(["a1", None, "a3"]),
            "title": pa.array(['T "1"\n', None, "T3"], pa.large_string()),
            "abstract": pa.array(["x", "y", None], pa.string_view()),
            "authors": pa.array([["A", "B"], None, ["C", None]]),
            "n": pa.array([1, None, -(2**62)], pa.int64()),
            "score": pa.array([0.5, math.nan, None]),
            "flag": pa.array([True, False, None]),
            "cat": pa.array(["u", "v", "u"]).dictionary_encode(),
        }
    )
    assert _lines(table, tmp_path) == [
        {"id": "a1", "title": 'T "1"\n', "abstract": "x", "authors": ["A", "B"], "n": 1, "score": 0.5}
        | {"flag": True, "cat": "u"},
        # Missing texts are empty texts; any other missing value is an absent member.
        {"title": "", "abstract": "y", "flag": False, "cat": "v"},
        {"id": "a3", "title": "T3", "abstract": "", "authors": ["C", None], "n": -(2**62), "cat": "u"},
    ]


def test_slices_and_batches_are_read_from_their_offsets(tmp_path: Path) -> None:
    rows = [{"id": f"k{i}", "title": f"title {i}", "tags": [f"t{i}", f"u{i}"]} for i in range(50)]
    table = pa.Table.from_pylist(rows)
    batches = table.slice(7, 30).to_batches(max_chunksize=8)
    assert len(batches) == 4 and any(b.column(0).offset for b in batches)
    reader = pa.RecordBatchReader.from_batches(table.schema, batches)
    assert _lines(reader, tmp_path) == rows[7:37]
    large = table.cast(
        pa.schema([("id", pa.large_string()), ("title", pa.string()), ("tags", pa.large_list(pa.string()))])
    )
    assert _lines(large.slice(40), tmp_path) == rows[40:]


def test_types_without_a_json_spelling_are_refused(tmp_path: Path) -> None:
    when = pa.table({"title": ["t"], "at": pa.array([0], pa.timestamp("s"))})
    assert not _core._arrow_jsonl(when, tmp_path / "x.jsonl", text_columns=[])
    nested = pa.table({"title": ["t"], "meta": [{"a": 1}]})
    assert not _core._arrow_jsonl(nested, tmp_path / "x.jsonl", text_columns=[])
    with pytest.raises(TypeError, match="record batches"):
        _core._arrow_jsonl(pa.chunked_array([["a"]]), tmp_path / "x.jsonl", text_columns=[])


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


def test_diff_of_parquet_takes_the_core_road(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from neardup.fast_diff import diff_report

    old, new = _pair(tmp_path)
    a, b = _write(old, tmp_path / "old.parquet", "parquet"), _write(new, tmp_path / "new.parquet", "parquet")
    calls: list[str] = []
    real = arrow_files.to_jsonl
    monkeypatch.setattr(arrow_files, "to_jsonl", lambda *args: calls.append(args[0]) or real(*args))
    made = diff_report(str(a), str(b), fmt="json")
    assert made is not None and made[1]
    assert calls == [str(a), str(b)]
    # With a column the core's road refuses, the Python reader reads the files, to the same report.
    when = pa.array([0] * len(new), pa.timestamp("s"))
    pq.write_table(pa.Table.from_pylist(new).append_column("at", when), b)
    assert diff_report(str(a), str(b), fmt="json") is None


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


def test_to_jsonl_refuses_what_is_not_arrow(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"title": "t"}\n')
    assert not to_jsonl(str(path), str(tmp_path / "out.jsonl"))
