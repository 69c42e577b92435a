"""Results out (issue 18): `SnapshotDiff` as columns / Arrow / pandas / polars, and a short repr."""

from __future__ import annotations

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
