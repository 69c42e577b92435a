"""Near-duplicate clustering of a `ray.data.Dataset`: the rows come back with a cluster id and a keep flag.

`dedup_dataset` runs the same task waves as `neardup.distributed.ray.dedup`, over the blocks of a
dataset instead of shard files. Each block is an Arrow table in the object store; a block is a "shard":

1. **map** (one task per block, spread over the nodes): the block's text column is signed by the Rust
   core as one batch, and its band keys are dealt to the reducers by ``(band, key)`` (the shuffle).
   Row ``j`` of block ``i`` is document ``(i << 32) | j``, so documents are numbered in the order the
   dataset yields its rows.
2. **reduce** and **verify** as in `neardup.distributed.ray`: buckets whole on one reducer, members
   verified on exact shingle Jaccard against shingle sets computed from the blocks (**sets**, one task per
   block, for the rows that some bucket holds).
3. **merge** (driver): the union of the partial components, numbered by their first row.
4. **label** (one task per block): the block with a cluster column (int64, null for rows in no cluster)
   and a keep column (false for every member of a cluster but its first row) appended; the labelled blocks
   form the returned dataset, in the input's order.

The clusters are the connected components of the verified bucket pairs with the first row of each kept,
exactly those of ``neardup.dedup(texts)`` on the column's texts in dataset order (a null text counts as
empty: it is in no cluster). The order is the one in which the dataset yields its blocks: a dataset read
with ``DataContext.get_current().execution_options.preserve_order = True`` (which `dedup_dataset` sets
when it reads paths itself) gives the same rows the same numbers on every run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import ray

from neardup import _core
from neardup.corpus import DEFAULT_THRESHOLD
from neardup.distributed.ray import (
    _LOCAL_MASK,
    _SHARD_BITS,
    _concat_stores,
    _drain,
    _get,
    _global_clusters,
    _labels_by_shard,
    _merged,
    _needed,
    _reduce,
    _Store,
    _verify,
)

__all__ = ["DatasetDedup", "dedup_dataset", "read_dataset"]

_JSON_SUFFIXES = (".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".jsonl.bz2")


@dataclass(frozen=True, slots=True)
class DatasetDedup:
    """What `dedup_dataset` found.

    Attributes:
        dataset: the input rows in order, with `cluster_column` (the cluster number, null for rows in no
            cluster) and `keep_column` (false for the rows a deduplicated copy drops) appended.
        documents: rows read.
        clusters: row numbers of each cluster, ascending; clusters ordered by their first row.
        nodes: the Ray node ids that signed blocks (the map stage), sorted.
        partitions: how many reducers the band keys were shuffled to.
    """

    dataset: Any
    documents: int
    clusters: list[list[int]]
    nodes: tuple[str, ...]
    partitions: int

    @property
    def duplicates(self) -> int:
        """Rows a deduplicated copy drops."""
        return sum(len(c) - 1 for c in self.clusters)

    def kept(self, keep_column: str = "keep") -> Any:
        """The deduplicated dataset: the rows whose `keep_column` is true (the column is left in place)."""
        return self.dataset.map_batches(
            lambda batch: batch.filter(batch[keep_column]), batch_format="pyarrow", zero_copy_batch=True
        )


def read_dataset(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> Any:
    """A `ray.data.Dataset` of Parquet or JSON Lines files (by their suffix; a directory is read as
    Parquet), read by Ray Data in file order."""
    from ray.data import DataContext

    names = [os.fspath(paths)] if isinstance(paths, str | os.PathLike) else [os.fspath(p) for p in paths]
    if not names:
        raise ValueError("no input paths")
    kinds = {"json" if n.lower().endswith(_JSON_SUFFIXES) else "parquet" for n in names}
    if len(kinds) > 1:
        raise ValueError("paths mix JSON Lines and Parquet files: read them into one Dataset first")
    context = DataContext.get_current()
    before = context.execution_options.preserve_order
    context.execution_options.preserve_order = True  # rows numbered in file order, the same every run
    try:
        if kinds == {"json"}:
            return ray.data.read_json(names, lines=True)
        return ray.data.read_parquet(names)
    finally:
        context.execution_options.preserve_order = before


# ---- tasks ------------------------------------------------------------------------------------------


def _texts(block: Any, column: str) -> Any:
    """The block's text column as one batch for the core: Arrow strings, which the core reads from their
    buffers (a null text is empty), with no Python string per row."""
    import pyarrow as pa

    if column not in block.column_names:
        raise ValueError(f"no column {column!r} in the dataset (columns: {', '.join(block.column_names)})")
    values = block.column(column)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise ValueError(f"column {column!r} holds {values.type}, not text")
    return values


@ray.remote(scheduling_strategy="SPREAD")
def _map_block(
    index: int, block: Any, column: str, threshold: float, ngram: int, num_perm: int, parts: int
) -> tuple[Any, ...]:
    """Band keys of a block dealt to `parts` reducers: ``(rows, node, part_0, ..., part_{parts-1})``."""
    if block.num_rows > _LOCAL_MASK:
        raise ValueError(f"a block holds at most {_LOCAL_MASK} rows")
    keys, empty = _core._band_keys(_texts(block, column), threshold=threshold, ngram=ngram, num_perm=num_perm)
    entries = _core._partition_band_keys(keys, empty, doc_base=index << _SHARD_BITS, parts=parts)
    return (block.num_rows, ray.get_runtime_context().get_node_id(), *entries)


@ray.remote(scheduling_strategy="SPREAD")
def _block_sets(index: int, block: Any, column: str, ngram: int, *members: npt.NDArray[np.uint64]) -> _Store:
    """Shingle sets of the rows of one block that some bucket holds."""
    needed = _needed(index, members)
    if len(needed) == 0:
        return _concat_stores([])
    rows = (needed & _LOCAL_MASK).astype(np.int64)
    texts = _texts(block.take(rows), column)
    return _core._shingle_sets(texts, needed, ngram=ngram)


@ray.remote(num_returns=2)
def _label_block(
    block: Any,
    local: npt.NDArray[np.int64],
    cluster: npt.NDArray[np.int64],
    dropped: npt.NDArray[np.int64],
    cluster_column: str,
    keep_column: str,
) -> tuple[Any, int]:
    """The block with its cluster and keep columns appended, and its row count."""
    import pyarrow as pa

    labels = np.zeros(block.num_rows, dtype=np.int64)
    unlabelled = np.ones(block.num_rows, dtype=np.bool_)
    labels[local] = cluster
    unlabelled[local] = False
    keep = np.ones(block.num_rows, dtype=np.bool_)
    keep[dropped] = False
    block = block.append_column(cluster_column, pa.array(labels, mask=unlabelled))
    return block.append_column(keep_column, pa.array(keep)), block.num_rows


# ---- driver -----------------------------------------------------------------------------------------


def dedup_dataset(
    data: Any,
    *,
    column: str = "text",
    threshold: float = DEFAULT_THRESHOLD,
    ngram: int = 3,
    num_perm: int = 128,
    partitions: int | None = None,
    cluster_column: str = "cluster",
    keep_column: str = "keep",
) -> DatasetDedup:
    """Near-duplicate clusters of the rows of a Ray dataset, computed by Ray tasks.

    Args:
        data: a `ray.data.Dataset`, or Parquet / JSON Lines paths read by `read_dataset`.
        column: the text column compared (string; a null text is empty and in no cluster).
        threshold, ngram, num_perm: as in `neardup.dedup`.
        partitions: reducers of the band-key shuffle (default: the cluster's CPUs).
        cluster_column, keep_column: names of the appended columns.

    Returns:
        A `DatasetDedup`: ``result.dataset`` is the input with the two columns appended (``.write_parquet``
        it, or ``result.kept()`` for the deduplicated rows); ``result.clusters`` equals
        ``neardup.dedup(texts).clusters`` on the column's texts in dataset order.

    Raises:
        ValueError: a parameter is out of range, the column is missing or not text, or an appended
            column would replace one of the dataset's.
    """
    _core._banding(threshold=threshold, num_perm=num_perm)  # parameters checked before any task runs
    if cluster_column == keep_column:
        raise ValueError("cluster_column and keep_column must differ")
    dataset = data if hasattr(data, "to_arrow_refs") else read_dataset(data)
    blocks: list[Any] = dataset.to_arrow_refs()
    schema = dataset.schema()  # known once the blocks are: no second execution
    names = list(schema.names) if schema is not None else []
    if blocks and column not in names:
        raise ValueError(f"no column {column!r} in the dataset (columns: {', '.join(names)})")
    for name in (cluster_column, keep_column):
        if name in names:
            raise ValueError(f"the dataset already has a column {name!r}: name another one")
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    parts = partitions or max(1, int(resources.get("CPU", 1)))
    if parts < 1:
        raise ValueError(f"partitions must be at least 1, got {parts}")
    created: list[Any] = []
    try:
        counts, nodes, offsets, flat = _run(blocks, column, threshold, ngram, num_perm, parts, created)
        labelled = _label_tasks(blocks, counts, offsets, flat, cluster_column, keep_column)
        created.extend(ref for refs in labelled for ref in refs)
        _get([r[1] for r in labelled])  # the labelled blocks stay in the object store
    except BaseException:
        _drain(created)
        raise
    documents, clusters = _global_clusters(counts, offsets, flat)
    out = ray.data.from_arrow_refs([r[0] for r in labelled]) if labelled else dataset
    return DatasetDedup(
        dataset=out,
        documents=documents,
        clusters=clusters,
        nodes=tuple(sorted(set(nodes))),
        partitions=parts,
    )


def _run(
    blocks: Sequence[Any],
    column: str,
    threshold: float,
    ngram: int,
    num_perm: int,
    parts: int,
    created: list[Any],
) -> tuple[list[int], list[str], npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """The map, reduce, sets and verify waves and the merge; every reference made goes to `created`."""
    if not blocks:
        return [], [], np.zeros(1, np.uint64), np.zeros(0, np.uint64)
    mapped: list[list[Any]] = [
        _map_block.options(num_returns=parts + 2).remote(  # type: ignore[misc]
            i, block, column, threshold, ngram, num_perm, parts
        )
        for i, block in enumerate(blocks)
    ]
    created.extend(ref for refs in mapped for ref in refs)
    counts: list[int] = _get([m[0] for m in mapped])
    nodes: list[str] = _get([m[1] for m in mapped])
    reduced: list[list[Any]] = [
        _reduce.remote(*[m[p + 2] for m in mapped])  # type: ignore[misc]
        for p in range(parts)
    ]
    created.extend(ref for refs in reduced for ref in refs)
    members = [r[1] for r in reduced]
    stores = [_block_sets.remote(i, block, column, ngram, *members) for i, block in enumerate(blocks)]
    created.extend(stores)
    verified = [_verify.remote(threshold, r[0], *stores) for r in reduced]
    created.extend(verified)
    offsets, flat = _merged(_get(verified))
    return counts, nodes, offsets, flat


def _label_tasks(
    blocks: Sequence[Any],
    counts: Sequence[int],
    offsets: npt.NDArray[np.uint64],
    flat: npt.NDArray[np.uint64],
    cluster_column: str,
    keep_column: str,
) -> list[list[Any]]:
    labels = _labels_by_shard(len(blocks), offsets, flat)
    return [
        _label_block.remote(block, *label, cluster_column, keep_column)  # type: ignore[misc]
        for block, label in zip(blocks, labels, strict=True)
    ]
