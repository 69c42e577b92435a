"""Arrow strings read in place by the core (issue 18): `neardup.dedup` and `MinHasher.signatures` on any
object exporting Arrow data through the PyCapsule interface, with its chunks, slices, string types and
nulls taken as the producer laid them out."""

from __future__ import annotations

import math

import numpy as np
import pytest

import neardup

pa = pytest.importorskip("pyarrow")

# Documents whose duplicates sit at known positions: any shift of the positions (a slice offset ignored,
# a chunk read twice, a null taken for a text) changes the clusters.
BASE = [f"document {i} about topic {i % 7} with words alpha{i} beta{i} gamma{i}" for i in range(60)]
TEXTS = [BASE[i // 3] if i % 5 else BASE[i] for i in range(60)]


def clusters(texts: object, **options: object) -> list[list[int]]:
    return neardup.dedup(texts, threshold=0.9, **options).clusters  # type: ignore[arg-type]


def test_the_list_has_clusters_to_lose() -> None:
    # The comparisons below are only worth something if the reference has clusters at varied positions.
    assert len(clusters(TEXTS)) >= 5


@pytest.mark.parametrize("kind", ["string", "large_string", "string_view"])
def test_each_string_type_reads_as_the_list(kind: str) -> None:
    array = pa.array(TEXTS, type=getattr(pa, kind)())
    assert clusters(array) == clusters(TEXTS)


def test_a_slice_with_an_offset_reads_from_its_offset() -> None:
    array = pa.array(TEXTS)
    for start, length in ((7, 40), (1, 59), (13, 30)):
        part = array.slice(start, length)
        assert part.offset == start
        assert clusters(part) == clusters(TEXTS[start : start + length])


def test_a_large_string_slice_reads_its_64_bit_offsets() -> None:
    array = pa.array(TEXTS, type=pa.large_string()).slice(5, 50)
    assert clusters(array) == clusters(TEXTS[5:55])


def test_chunks_are_read_in_order_each_with_its_offset() -> None:
    array = pa.array(TEXTS)
    chunked = pa.chunked_array([array.slice(0, 17), array.slice(17, 20), array.slice(37)])
    assert chunked.num_chunks == 3
    assert clusters(chunked) == clusters(TEXTS)
    # Chunks that are themselves slices of other buffers.
    other = pa.chunked_array([array.slice(30, 30), array.slice(3, 20)])
    assert clusters(other) == clusters(TEXTS[30:] + TEXTS[3:23])


def test_nulls_are_empty_texts_or_an_error_naming_the_row() -> None:
    with_nulls = list(TEXTS)
    for i in (0, 11, 12, 45):
        with_nulls[i] = None  # type: ignore[call-overload]
    as_empty = ["" if t is None else t for t in with_nulls]
    array = pa.array(with_nulls)
    assert clusters(array) == clusters(as_empty)
    chunked = pa.chunked_array([array.slice(0, 30), array.slice(30)])
    assert clusters(chunked, on_missing="empty") == clusters(as_empty)
    with pytest.raises(ValueError, match=r"texts\[0\]: expected a text, got a missing value \(null\)"):
        clusters(array, on_missing="error")
    # The row is counted over the chunks and from the slice's start.
    tail = pa.chunked_array([array.slice(13, 20), array.slice(33)])
    with pytest.raises(ValueError, match=r"texts\[32\]: expected a text"):
        clusters(tail, on_missing="error")


def test_nulls_in_a_list_are_empty_texts_or_an_error() -> None:
    texts: list[object] = list(TEXTS)
    texts[4], texts[9] = None, math.nan
    as_empty = ["" if not isinstance(t, str) else t for t in texts]
    assert clusters(texts) == clusters(as_empty)
    with pytest.raises(ValueError, match=r"texts\[4\]: expected a text, got a missing value \(None\)"):
        clusters(texts, on_missing="error")
    texts[4] = "x"
    with pytest.raises(ValueError, match=r"texts\[9\]: .*\(NaN\)"):
        clusters(texts, on_missing="error")
    with pytest.raises(TypeError, match=r"texts\[4\] must be str"):
        clusters([*TEXTS[:4], 3, *TEXTS[5:]])
    with pytest.raises(ValueError, match="on_missing"):
        clusters(TEXTS, on_missing="drop")


def test_an_empty_text_joins_no_cluster() -> None:
    assert clusters(pa.array(["", "", None, "a b c d", "a b c d"])) == [[3, 4]]


def test_a_dictionary_of_strings_reads_its_values() -> None:
    array = pa.array(TEXTS).dictionary_encode()
    assert clusters(array) == clusters(TEXTS)
    assert clusters(pa.array(TEXTS).slice(9, 40).dictionary_encode()) == clusters(TEXTS[9:49])


def test_a_table_column_by_name_by_default_or_alone() -> None:
    table = pa.table({"id": list(range(60)), "body": TEXTS, "other": [str(i) for i in range(60)]})
    assert clusters(table, text_field="body") == clusters(TEXTS)
    assert clusters(table, text_field="other") == []
    with pytest.raises(ValueError, match="which column holds the texts"):
        clusters(table)
    assert clusters(pa.table({"id": list(range(60)), "body": TEXTS})) == clusters(TEXTS)
    assert clusters(pa.table({"body": TEXTS[::-1], "text": TEXTS})) == clusters(TEXTS)
    with pytest.raises(ValueError, match='no column "nope"'):
        clusters(table, text_field="nope")
    with pytest.raises(TypeError, match="got Int64"):
        clusters(table, text_field="id")


def test_a_table_of_several_batches() -> None:
    table = pa.Table.from_batches(
        [
            pa.record_batch({"text": TEXTS[:25]}),
            pa.record_batch({"text": TEXTS[25:]}),
        ]
    )
    assert clusters(table) == clusters(TEXTS)
    assert clusters(table.slice(10, 40)) == clusters(TEXTS[10:50])


def test_wrong_types_are_type_errors() -> None:
    with pytest.raises(TypeError, match="expected Arrow strings"):
        clusters(pa.array([1, 2, 3]))
    with pytest.raises(TypeError, match="expected Arrow strings"):
        clusters(pa.array([b"a", b"b"]))
    with pytest.raises(TypeError, match="text_field"):
        clusters(TEXTS, text_field="text")


def test_polars_series_and_dataframe() -> None:
    pl = pytest.importorskip("polars")
    assert clusters(pl.Series(TEXTS)) == clusters(TEXTS)
    assert clusters(pl.Series(TEXTS).slice(6, 44)) == clusters(TEXTS[6:50])
    frame = pl.DataFrame({"n": list(range(60)), "text": TEXTS})
    assert clusters(frame) == clusters(TEXTS)
    with_null = pl.Series([*TEXTS[:3], None, *TEXTS[4:]])
    with pytest.raises(ValueError, match=r"texts\[3\]"):
        clusters(with_null, on_missing="error")


def test_pandas_dataframe_and_series() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": TEXTS})
    if hasattr(frame, "__arrow_c_stream__"):
        assert clusters(frame) == clusters(TEXTS)
    series = pd.Series([*TEXTS[:3], None, *TEXTS[4:]])
    assert clusters(series) == clusters([*TEXTS[:3], "", *TEXTS[4:]])
    with pytest.raises(ValueError, match=r"texts\[3\]"):
        clusters(series, on_missing="error")


def test_signatures_read_arrow_as_the_list() -> None:
    hasher = neardup.MinHasher(num_perm=32)
    want = hasher.signatures(TEXTS)
    array = pa.array(TEXTS)
    np.testing.assert_array_equal(hasher.signatures(array), want)
    np.testing.assert_array_equal(hasher.signatures(pa.array(TEXTS, pa.large_string())), want)
    np.testing.assert_array_equal(hasher.signatures(array.slice(9, 30)), want[9:39])
    chunked = pa.chunked_array([array.slice(0, 21), array.slice(21)])
    np.testing.assert_array_equal(hasher.signatures(chunked), want)
    nulls = hasher.signatures(pa.array([TEXTS[0], None]))
    np.testing.assert_array_equal(nulls[1], hasher.signatures([""])[0])


def test_invalid_utf8_from_a_producer_is_refused() -> None:
    good = pa.array(["abc", "def"])
    validity, offsets, _ = good.buffers()
    bad = pa.Array.from_buffers(pa.string(), 2, [validity, offsets, pa.py_buffer(b"ab\xffdef")])
    with pytest.raises(ValueError, match="invalid Arrow string data"):
        clusters(bad)


def test_dedup_result_as_arrow_pandas_polars() -> None:
    texts = [
        "alpha beta gamma delta epsilon zeta eta theta",
        "unrelated words entirely here now",
        "alpha beta gamma delta epsilon zeta eta theta",
        "alpha beta gamma delta epsilon zeta eta iota",
        None,
    ]
    result = neardup.dedup(texts, threshold=0.5)
    assert result.clusters == [[0, 2, 3]]
    table = result.to_arrow()
    assert table.column_names == ["document", "cluster", "keep", "replaced_by", "stage", "similarity"]
    assert table.num_rows == 5
    assert table.column("cluster").to_pylist() == [0, -1, 0, 0, -1]
    assert table.column("keep").to_pylist() == [True, True, False, False, True]
    assert table.column("replaced_by").to_pylist() == [-1, -1, 0, 0, -1]
    assert table.column("stage").to_pylist() == ["kept", "kept", "exact", "near", "kept"]
    similarity = table.column("similarity").to_pylist()
    assert similarity[2] == 1.0 and 0.5 <= similarity[3] < 1.0
    frame = result.to_pandas() if _has("pandas") else None
    if frame is not None:
        assert list(frame["stage"]) == ["kept", "kept", "exact", "near", "kept"]
        assert frame["replaced_by"].tolist() == [-1, -1, 0, 0, -1]
    if _has("polars"):
        polars_frame = result.to_polars()
        assert polars_frame["stage"].to_list() == ["kept", "kept", "exact", "near", "kept"]
        assert polars_frame["cluster"].to_list() == [0, -1, 0, 0, -1]


def test_dedup_files_result_has_ids(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "c.jsonl"
    path.write_text('{"id": "a", "text": "x y z w"}\n{"id": "b", "text": "x y z w"}\n{"text": "other"}\n')
    table = neardup.dedup_files(path).to_arrow()
    assert table.column("id").to_pylist() == ["a", "b", f"{path}:3"]
    assert table.column("stage").to_pylist() == ["kept", "exact", "kept"]


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
