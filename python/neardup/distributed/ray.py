"""Near-duplicate clustering of a sharded corpus on a Ray cluster (``pip install "neardup[ray]"``).

`dedup` runs the pipeline of `neardup.corpus` as waves of Ray tasks; the Rust core does the work inside
the workers and the driver only passes object references and merges small partial results:

1. **map** (one task per shard, spread over the nodes): read the shard, compute band keys, and deal
   ``(band, key, doc)`` entries to ``partitions`` reducers by a hash of ``(band, key)`` — the shuffle.
   A document is numbered ``(shard << 32) | position``, which orders documents exactly as the local
   engine does over the concatenated shards.
2. **reduce** (one task per partition): sort the entries into buckets; each bucket is whole on one reducer.
3. **sets** (one task per shard): re-read the shard (texts only, not band keys) and compute the exact
   shingle sets of the documents that some bucket holds.
4. **verify** (one task per partition): verify the partition's buckets on exact Jaccard, skipping pairs
   already connected, and return its partial components (each document → smallest document).
5. **merge** (driver): union of the partial components (a sharded union-find) → clusters, numbered by
   their first document.
6. **write** (one task per shard): one JSONL file per shard with ``{"id", "cluster"}`` for each document
   (``cluster`` is null for documents in no cluster), and with ``keep_first`` the kept records.

Clusters are the connected components of the verified bucket pairs, as in `neardup.dedup`, so the same
input and parameters give exactly the same clusters as the local engine. Shard paths and the output
directory must be readable and writable at the same path on every node (a shared filesystem).
"""

from __future__ import annotations

import contextlib
import csv
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import ray
from ray.exceptions import RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from neardup import _core
from neardup._core import NeardupError
from neardup.corpus import DEFAULT_THRESHOLD, EXACT, DedupResult, Input, ReadSpec, open_atomic, read_input

__all__ = ["RayDedupSummary", "dedup"]

_U64 = npt.NDArray[np.uint64]
_Store = tuple[_U64, _U64, _U64]
_SHARD_BITS = 32
_LOCAL_MASK = (1 << _SHARD_BITS) - 1
# A document's id is its shard's index (a dataset's block's) shifted by `_SHARD_BITS`, plus its place in
# the shard. The helpers below are the one reading of that layout, for files and datasets alike.


def _needed(shard: int, members: Sequence[_U64]) -> _U64:
    """The ids of the documents of `shard` that some bucket holds (`members`: each reducer's), sorted."""
    mine = [m[(m >> _SHARD_BITS) == shard] for m in members]
    return np.unique(np.concatenate(mine)) if mine else np.zeros(0, np.uint64)


def _merged(partial: Sequence[tuple[_U64, _U64]]) -> tuple[_U64, _U64]:
    """The clusters (`offsets`, `flat` member ids) of the verified `(docs, roots)` pairs of every task."""
    docs = np.concatenate([p[0] for p in partial]) if partial else np.zeros(0, np.uint64)
    roots = np.concatenate([p[1] for p in partial]) if partial else np.zeros(0, np.uint64)
    offsets, flat = _core._components(docs, roots)
    return offsets, flat


def _global_clusters(counts: Sequence[int], offsets: _U64, flat: _U64) -> tuple[int, list[list[int]]]:
    """The number of documents (`counts`: each shard's) and the clusters as indices over all shards in
    order, as `neardup.DedupResult.clusters` numbers them."""
    starts = np.cumsum([0, *counts], dtype=np.int64)
    glob = starts[(flat >> _SHARD_BITS).astype(np.int64)] + (flat & _LOCAL_MASK).astype(np.int64)
    bounds = offsets.tolist()
    members = glob.tolist()
    return int(starts[-1]), [members[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _labels_by_shard(
    shards: int, offsets: _U64, flat: _U64
) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """For each of the `shards` in turn, what its task labels: the places of its clustered documents,
    their clusters' numbers, and the places of those that are not their cluster's first (dropped)."""
    sizes = (offsets[1:] - offsets[:-1]).astype(np.int64)
    number = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    first = np.zeros(len(flat), dtype=np.bool_)
    first[offsets[:-1].astype(np.int64)] = True
    shard_of = (flat >> _SHARD_BITS).astype(np.int64)
    local = (flat & _LOCAL_MASK).astype(np.int64)
    for i in range(shards):
        sel = shard_of == i
        yield local[sel], number[sel], local[sel & ~first]


@dataclass(frozen=True, slots=True)
class RayDedupSummary:
    """What a distributed run found and wrote.

    Attributes:
        documents: documents read, over all shards.
        clusters: clusters as in `neardup.DedupResult.clusters`: indices in shard order, then file order.
        shards: the shard paths, in the order given.
        files: the ``{"id", "cluster"}`` JSONL file written for each shard, in shard order.
        kept_files: with ``keep_first``, the deduplicated records of each shard; else empty.
        partitions: how many reducers the band keys were shuffled to.
        nodes: the Ray node ids that read shards (the map stage), sorted.
    """

    documents: int
    clusters: list[list[int]]
    shards: tuple[str, ...]
    files: tuple[str, ...]
    kept_files: tuple[str, ...]
    partitions: int
    nodes: tuple[str, ...] = ()

    @property
    def duplicates(self) -> int:
        """Documents a deduplicated copy drops."""
        return sum(len(c) - 1 for c in self.clusters)

    def result(self) -> DedupResult:
        """The clusters as a `neardup.DedupResult` (without ids; each cluster keeps its first member)."""
        return DedupResult(self.clusters, self.documents)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (cluster sizes, not members)."""
        return {
            "documents": self.documents,
            "clusters": len(self.clusters),
            "duplicates": self.duplicates,
            "partitions": self.partitions,
            "nodes": len(self.nodes),
            "shards": list(self.shards),
            "files": list(self.files),
            "kept_files": list(self.kept_files),
        }


class _Progress:
    """One status line on stderr, rewritten in place; silent unless enabled (default: stderr is a tty)."""

    def __init__(self, enabled: bool | None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.shown = False

    def __call__(self, message: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[Kneardup: {message}")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


# ---- tasks ------------------------------------------------------------------------------------------


@ray.remote(scheduling_strategy="SPREAD")
def _map_shard(
    shard: int, path: str, spec: ReadSpec, threshold: float, ngram: int, num_perm: int, parts: int
) -> tuple[Any, ...]:
    """Band keys of a shard, dealt to `parts` reducers: ``(count, node, part_0, ..., part_{parts-1})``."""
    read = _read(path, spec, threshold, ngram, num_perm)
    if len(read) > _LOCAL_MASK:
        raise ValueError(f"{path}: a shard holds at most {_LOCAL_MASK} documents")
    keys, empty = read.part.keys()
    entries = _core._partition_band_keys(keys, empty, doc_base=shard << _SHARD_BITS, parts=parts)
    return (len(read), ray.get_runtime_context().get_node_id(), *entries)


def _worker_nodes() -> list[str]:
    """The ids of the live nodes that can run a task, in a fixed order."""
    return sorted(
        n["NodeID"]
        for n in ray.nodes()  # type: ignore[no-untyped-call]
        if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0
    )


def _read(path: str, spec: ReadSpec, threshold: float, ngram: int, num_perm: int) -> Input:
    """A shard read by the core (its first pass). The later stages, which need only texts and ids, read
    with ``threshold=EXACT``: the core then digests each text instead of MinHashing it again."""
    read, _, _ = read_input(path, spec, threshold=threshold, ngram=ngram, num_perm=num_perm)
    return read


@ray.remote(num_returns=2)
def _reduce(*parts: tuple[npt.NDArray[np.uint32], _U64, _U64]) -> tuple[tuple[_U64, _U64], _U64]:
    """Buckets of one partition, and the documents they hold."""
    band = np.concatenate([p[0] for p in parts])
    key = np.concatenate([p[1] for p in parts])
    doc = np.concatenate([p[2] for p in parts])
    offsets, docs = _core._buckets_of_entries(band, key, doc)
    return (offsets, docs), np.unique(docs)


@ray.remote(scheduling_strategy="SPREAD")
def _shard_sets(
    shard: int, path: str, spec: ReadSpec, threshold: float, ngram: int, num_perm: int, *members: _U64
) -> _Store:
    """Shingle sets of the documents of one shard that some bucket holds, as one store."""
    needed = _needed(shard, members)
    if len(needed) == 0:
        return _concat_stores([])
    local = (needed & _LOCAL_MASK).tolist()
    read = _read(path, spec, EXACT, ngram, num_perm)
    texts = [text for text, _ in read.part.texts_of(local)]
    return _core._shingle_sets(texts, needed, ngram=ngram)


def _concat_stores(blocks: Sequence[_Store]) -> _Store:
    if not blocks:
        empty = np.zeros(0, np.uint64)
        return empty, np.zeros(1, np.uint64), empty
    ids = np.concatenate([b[0] for b in blocks])
    values = np.concatenate([b[2] for b in blocks])
    starts = np.cumsum([0] + [len(b[2]) for b in blocks[:-1]], dtype=np.uint64)
    offsets = np.concatenate(
        [np.zeros(1, np.uint64)] + [b[1][1:] + start for b, start in zip(blocks, starts, strict=True)]
    )
    return ids, offsets, values


@ray.remote
def _verify(threshold: float, buckets: tuple[_U64, _U64], *stores: _Store) -> tuple[_U64, _U64]:
    """Partial components of one partition's buckets: ``(docs, roots)``."""
    offsets, docs = buckets
    return _core._cluster_buckets(offsets, docs, list(stores), threshold=threshold)


@ray.remote
def _write_shard(
    path: str,
    spec: ReadSpec,
    params: tuple[float, int, int],
    count: int,
    local: npt.NDArray[np.int64],
    cluster: npt.NDArray[np.int64],
    dropped: npt.NDArray[np.int64],
    out_path: str,
    kept_path: str | None,
) -> int:
    """Writes ``{"id", "cluster"}`` for each document of a shard (and the kept records); returns how many
    documents were written."""
    threshold, ngram, num_perm = params
    import json

    labels = np.full(count, -1, dtype=np.int64)
    labels[local] = cluster
    drop = np.zeros(count, dtype=np.bool_)
    drop[dropped] = True
    read = _read(path, spec, EXACT, ngram, num_perm)
    if len(read) != count:
        raise NeardupError(
            f"{path}: the shard changed while it was read ({count} documents, then {len(read)})"
        )
    with open_atomic(out_path) as out:
        for i in range(count):
            label = int(labels[i])
            out.write(json.dumps({"id": read.id(i), "cluster": label if label >= 0 else None}) + "\n")
    if kept_path is not None:
        with open_atomic(kept_path) as kept:
            kept_docs = np.flatnonzero(~drop).tolist()
            if read.entries is not None:
                for i in kept_docs:
                    kept.write(json.dumps(read.entries[i].to_dict(), ensure_ascii=False) + "\n")
            elif read.format == "csv":
                header = read.header().decode("utf-8")
                names = next(csv.reader([header], delimiter=_delimiter(header)))
                for raw in read.records(kept_docs):
                    row = next(csv.reader([raw.decode("utf-8")], delimiter=_delimiter(header)))
                    record = dict(zip([n.strip() for n in names], row, strict=False))
                    kept.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                for raw in read.records(kept_docs):
                    kept.write(raw.decode("utf-8").strip() + "\n")
    return count


def _delimiter(header: str) -> str:
    return "\t" if "\t" in header and "," not in header else ","


# ---- driver -----------------------------------------------------------------------------------------


@contextmanager
def _connected(address: str | None) -> Iterator[None]:
    """Uses the Ray session of the caller, or connects to `address` (None: a running cluster or a new
    local one) for the duration of the run."""
    if ray.is_initialized():
        yield
        return
    ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def _get(refs: Any) -> Any:
    """`ray.get`, re-raising a task's own neardup or value error as itself (not wrapped)."""
    try:
        return ray.get(refs)
    except RayTaskError as error:
        cause = getattr(error, "cause", None)
        if isinstance(cause, NeardupError | ValueError | OSError):
            raise cause from None
        raise


def _output_names(shards: Sequence[str], output_dir: str) -> list[str]:
    stems = [os.path.splitext(os.path.basename(s))[0] or "shard" for s in shards]
    unique = len(set(stems)) == len(stems)
    return [os.path.join(output_dir, stem if unique else f"{i:05d}-{stem}") for i, stem in enumerate(stems)]


def dedup(
    paths: Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    ngram: int = 3,
    num_perm: int = 128,
    spec: ReadSpec | None = None,
    keep_first: bool = False,
    partitions: int | None = None,
    address: str | None = None,
    progress: bool | None = None,
) -> RayDedupSummary:
    """Near-duplicate clusters of the documents of the shards `paths`, computed by Ray tasks.

    Writes ``<shard>.clusters.jsonl`` into `output_dir` for each shard: one ``{"id": ..., "cluster": ...}``
    line per document in shard order (``cluster`` is the cluster number, or null); with `keep_first`
    also ``<shard>.dedup.jsonl``, the shard's records without the duplicates (each cluster keeps its first
    document). Files are written atomically.

    Args:
        paths: the shards (any format `neardup.read_snapshot` reads, or JSONL/CSV corpora).
        output_dir: where the per-shard files go (created if missing).
        threshold, ngram, num_perm: as in `neardup.dedup`.
        spec: how to read the shards (`neardup.corpus.ReadSpec`).
        keep_first: also write the deduplicated records.
        partitions: reducers of the band-key shuffle (default: the cluster's CPUs).
        address: the Ray cluster to connect to when Ray is not initialised yet (``"auto"``,
            ``"ray://host:10001"``; None: a running local cluster or a new one). When this call
            connects, it disconnects at the end; a session the caller opened is used as it is.
        progress: show the stage on stderr (None: only when stderr is a terminal).

    Returns:
        A `RayDedupSummary`; ``summary.clusters`` equals ``neardup.dedup_files(paths).clusters``.

    Raises:
        SnapshotFormatError: a shard is missing, unreadable or invalid.
        ValueError: a parameter is out of range.
    """
    spec = spec or ReadSpec()
    shards = [os.path.abspath(os.fspath(p)) for p in paths]
    if not shards:
        raise ValueError("no input shards")
    if any(os.fspath(p) == "-" for p in paths):
        raise ValueError("the ray engine reads files, not standard input")
    _core._banding(threshold=threshold, num_perm=num_perm)  # parameters checked before any task runs
    out_dir = os.path.abspath(os.fspath(output_dir))
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise NeardupError(f"{out_dir}: cannot create the output directory: {exc.strerror or exc}") from None
    stems = _output_names(shards, out_dir)
    files = [f"{s}.clusters.jsonl" for s in stems]
    kept = [f"{s}.dedup.jsonl" for s in stems] if keep_first else []
    clash = set(shards) & {*files, *kept}
    if clash:
        raise ValueError(f"an output file would overwrite an input shard: {sorted(clash)[0]}")
    show = _Progress(progress)
    try:
        with _connected(address):
            resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
            parts = partitions or max(1, int(resources.get("CPU", 1)))
            if parts < 1:
                raise ValueError(f"partitions must be at least 1, got {parts}")
            created: list[Any] = []
            nodes: set[str] = set()
            try:
                counts, offsets, flat = _run(
                    shards, spec, threshold, ngram, num_perm, parts, files, kept, created, nodes, show
                )
            except BaseException:
                _drain(created)
                raise
    finally:
        show.done()
    documents, clusters = _global_clusters(counts, offsets, flat)
    return RayDedupSummary(
        documents=documents,
        clusters=clusters,
        shards=tuple(shards),
        files=tuple(files),
        kept_files=tuple(kept),
        partitions=parts,
        nodes=tuple(sorted(nodes)),
    )


def _run(
    shards: Sequence[str],
    spec: ReadSpec,
    threshold: float,
    ngram: int,
    num_perm: int,
    parts: int,
    files: Sequence[str],
    kept: Sequence[str],
    created: list[Any],
    nodes: set[str],
    show: _Progress,
) -> tuple[list[int], _U64, _U64]:
    """The task waves; every object reference made is appended to `created`, and the nodes that read
    shards to `nodes`."""
    show(f"map: band keys of {len(shards)} shards")
    # Shards are dealt to the nodes in turn (soft affinity: a node that goes away leaves its shards to
    # the others). "SPREAD" alone may leave a node idle when the first tasks finish before it is used.
    workers = _worker_nodes()
    mapped: list[list[Any]] = [
        _map_shard.options(  # type: ignore[misc]
            num_returns=parts + 2,
            scheduling_strategy=NodeAffinitySchedulingStrategy(workers[i % len(workers)], soft=True)
            if workers
            else "SPREAD",
        ).remote(i, path, spec, threshold, ngram, num_perm, parts)
        for i, path in enumerate(shards)
    ]
    created.extend(ref for refs in mapped for ref in refs)
    counts: list[int] = _get([m[0] for m in mapped])
    nodes.update(_get([m[1] for m in mapped]))
    show(f"reduce: buckets of {sum(counts):,} documents in {parts} partitions")
    reduced: list[list[Any]] = [
        _reduce.remote(*[m[p + 2] for m in mapped])  # type: ignore[misc]
        for p in range(parts)
    ]
    created.extend(ref for refs in reduced for ref in refs)
    buckets = [r[0] for r in reduced]
    members = [r[1] for r in reduced]
    show("sets: shingle sets of candidate documents")
    stores = [
        _shard_sets.remote(i, path, spec, threshold, ngram, num_perm, *members)
        for i, path in enumerate(shards)
    ]
    created.extend(stores)
    show("verify: exact Jaccard of bucket members")
    verified = [_verify.remote(threshold, b, *stores) for b in buckets]
    created.extend(verified)
    offsets, flat = _merged(_get(verified))
    show(f"write: {len(shards)} files")
    written = _write_tasks(shards, spec, (threshold, ngram, num_perm), counts, offsets, flat, files, kept)
    created.extend(written)
    _get(written)
    return counts, offsets, flat


def _drain(refs: Sequence[Any]) -> None:
    """Collects the results of a failed run's tasks, so that Ray does not report their errors again as
    unhandled when the references are dropped."""
    if not refs:
        return
    try:
        ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=10)
    except Exception:  # pragma: no cover - the session is gone
        return
    for ref in ready:
        with contextlib.suppress(Exception):  # the first error is being raised already
            ray.get(ref)


def _write_tasks(
    shards: Sequence[str],
    spec: ReadSpec,
    params: tuple[float, int, int],
    counts: Sequence[int],
    offsets: _U64,
    flat: _U64,
    files: Sequence[str],
    kept: Sequence[str],
) -> list[Any]:
    labels = _labels_by_shard(len(shards), offsets, flat)
    return [
        _write_shard.remote(path, spec, params, counts[i], *label, files[i], kept[i] if kept else None)
        for i, (path, label) in enumerate(zip(shards, labels, strict=True))
    ]
