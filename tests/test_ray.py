"""The Ray engine on a real local multi-process cluster: same clusters as the local engine, per-shard output
files, errors, and ``neardup dedup --engine ray``."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import ray
import ray.data

import neardup
from neardup.cli import cli, main
from neardup.cli_dedup import dedup as dedup_command
from neardup.corpus import ReadSpec, dedup_files
from neardup.distributed import ray as ray_engine
from neardup.distributed import ray_data

if "dedup" not in cli.commands:  # until neardup.cli registers it
    cli.add_command(dedup_command)


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    if ray.is_initialized():  # another module's cluster
        ray.shutdown()
    ray.init(num_cpus=2, _node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def corpus(seed: int, n: int = 900) -> list[tuple[str, str]]:
    """(title, abstract) pairs: random documents, edited copies (some below, some above 0.8), exact copies."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(1500)]
    docs: list[list[str]] = []
    for _ in range(n):
        r = rng.random()
        if docs and r < 0.25:
            d = rng.choice(docs)[:]
            for _ in range(rng.randint(0, 8)):
                d[rng.randrange(len(d))] = rng.choice(vocab)
            docs.append(d)
        elif docs and r < 0.3:
            docs.append(rng.choice(docs)[:])
        else:
            docs.append([rng.choice(vocab) for _ in range(rng.randint(20, 90))])
    return [(" ".join(d[:6]), " ".join(d[6:])) for d in docs]


def write_shards(tmp: Path, docs: list[tuple[str, str]], sizes: list[int]) -> list[Path]:
    paths: list[Path] = []
    start = 0
    for s, size in enumerate(sizes):
        part = docs[start : start + size]
        if s % 2 == 0:
            p = tmp / f"shard{s}.jsonl"
            with p.open("w", encoding="utf-8") as fh:
                for i, (t, a) in enumerate(part, start):
                    fh.write(json.dumps({"id": f"d{i}", "title": t, "abstract": a}) + "\n")
        else:
            p = tmp / f"shard{s}.csv"
            with p.open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["id", "title", "abstract"])
                w.writerows([f"d{i}", t, a] for i, (t, a) in enumerate(part, start))
        paths.append(p)
        start += size
    return paths


@pytest.mark.parametrize(("threshold", "partitions"), [(0.8, None), (0.5, 3), (0.9, 1)])
def test_same_clusters_as_local(tmp_path: Path, threshold: float, partitions: int | None) -> None:
    docs = corpus(1)
    shards = write_shards(tmp_path, docs, [300, 250, 350])
    local = dedup_files(shards, threshold=threshold)
    assert local.clusters  # the corpus has duplicates across and within shards
    summary = ray_engine.dedup(shards, tmp_path / "out", threshold=threshold, partitions=partitions)
    assert summary.clusters == local.clusters
    assert summary.documents == local.size == len(docs)
    assert summary.result() == neardup.DedupResult(local.clusters, local.size)
    assert summary.duplicates == local.duplicates
    assert summary.partitions == (partitions or 2)
    memory = neardup.dedup([f"{t}\n{a}" for t, a in docs], threshold=threshold)
    assert memory.clusters == local.clusters


def test_output_files(tmp_path: Path) -> None:
    docs = corpus(2, 600)
    shards = write_shards(tmp_path, docs, [200, 150, 250])
    summary = ray_engine.dedup(shards, tmp_path / "out", keep_first=True)
    local = dedup_files(shards)
    labels = local.labels()
    assert [Path(f).name for f in summary.files] == [f"shard{s}.clusters.jsonl" for s in range(3)]
    rows = [json.loads(line) for f in summary.files for line in Path(f).read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"d{i}" for i in range(len(docs))]
    assert [-1 if r["cluster"] is None else r["cluster"] for r in rows] == labels.tolist()
    kept = [json.loads(line) for f in summary.kept_files for line in Path(f).read_text().splitlines()]
    assert [k["id"] for k in kept] == [f"d{i}" for i in np.flatnonzero(local.keep)]
    assert summary.to_dict()["duplicates"] == local.duplicates
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left


def test_small_and_duplicate_free_shards(tmp_path: Path) -> None:
    one = tmp_path / "a" / "x.jsonl"
    two = tmp_path / "b" / "x.jsonl"
    one.parent.mkdir()
    two.parent.mkdir()
    one.write_text('{"title": "alpha beta gamma delta"}\n')
    two.write_text('{"title": ""}\n{"title": "epsilon zeta eta theta"}\n')
    summary = ray_engine.dedup([one, two], tmp_path / "out")
    assert summary.clusters == [] and summary.documents == 3
    # Shards with the same file name get numbered outputs.
    assert [Path(f).name for f in summary.files] == ["00000-x.clusters.jsonl", "00001-x.clusters.jsonl"]
    copy = tmp_path / "copy.jsonl"
    copy.write_text(one.read_text())
    assert ray_engine.dedup([one, copy], tmp_path / "out").clusters == [[0, 1]]


def test_errors_are_the_tasks_own(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"title": "a b c"}\n')
    with pytest.raises(neardup.SnapshotFormatError, match="no such file"):
        ray_engine.dedup([good, tmp_path / "missing.jsonl"], tmp_path / "out")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "a"}\nnot json\n')
    with pytest.raises(neardup.SnapshotFormatError, match=r"bad.jsonl:2"):
        ray_engine.dedup([bad], tmp_path / "out")
    with pytest.raises(ValueError, match="standard input"):
        ray_engine.dedup(["-"], tmp_path / "out")
    with pytest.raises(ValueError, match="no input"):
        ray_engine.dedup([], tmp_path / "out")
    with pytest.raises(ValueError, match="threshold"):
        ray_engine.dedup([good], tmp_path / "out", threshold=0)
    clash = tmp_path / "good.clusters.jsonl"
    clash.write_text('{"title": "a b c"}\n')
    with pytest.raises(ValueError, match="overwrite"):
        ray_engine.dedup([good, clash], tmp_path)
    with pytest.raises(ValueError, match="field"):
        ray_engine.dedup([good], tmp_path / "out", spec=ReadSpec(field="x"))


def test_cli_engine_ray(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = corpus(3, 400)
    shards = [str(p) for p in write_shards(tmp_path, docs, [200, 200])]
    out = tmp_path / "out"
    local = dedup_files(shards)
    assert main(["dedup", "--engine", "ray", *shards, "-o", str(out), "--format", "json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["clusters"] == len(local.clusters) and summary["documents"] == 400
    assert main(["dedup", "--engine", "ray", "--partitions", "3", *shards, "-o", str(out)]) == 1
    text = capsys.readouterr().out
    assert text.startswith(f"400 documents, {len(local.clusters)} clusters") and "wrote " in text
    # --keep-first exits 0 once the copy is written (see neardup.cli_dedup).
    assert main(["dedup", "--engine", "ray", *shards, "-o", str(out), "--keep-first", "-q"]) == 0
    assert capsys.readouterr().out == ""
    kept = sum(len((out / f"shard{s}.dedup.jsonl").read_text().splitlines()) for s in range(2))
    assert kept == 400 - local.duplicates
    assert main(["dedup", "--engine", "ray", str(tmp_path / "nope.jsonl"), "-o", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err


# ---- ray.data.Dataset -----------------------------------------------------------------------------


def test_dataset_jsonl_paths_and_kept(tmp_path: Path) -> None:
    docs = corpus(4, 500)
    shards = write_shards(tmp_path, docs, [250])  # shard0.jsonl
    second = tmp_path / "more.jsonl"
    with second.open("w", encoding="utf-8") as fh:
        for i, (t, a) in enumerate(docs[250:], 250):
            fh.write(json.dumps({"id": f"d{i}", "title": t, "abstract": a}) + "\n")
    paths = [str(shards[0]), str(second)]
    result = ray_data.dedup_dataset(paths, column="abstract", threshold=0.6, partitions=3)
    local = dedup_files(paths, threshold=0.6, spec=ReadSpec(field="abstract"))
    assert local.clusters and result.clusters == local.clusters
    assert result.partitions == 3
    kept = pa.concat_tables(ray.get(result.kept().to_arrow_refs()))
    assert kept["id"].to_pylist() == [f"d{i}" for i in np.flatnonzero(local.keep)]


def test_dataset_nulls_empty_and_names() -> None:
    table = pa.table({"t": ["a b c d", None, "a b c d", "", None, "x y z w"], "n": [1, 2, 3, 4, 5, 6]})
    result = ray_data.dedup_dataset(
        ray.data.from_arrow([table.slice(0, 3), table.slice(3)]),
        column="t",
        cluster_column="group",
        keep_column="first",
    )
    assert (
        result.clusters == [[0, 2]] == neardup.dedup(["a b c d", "", "a b c d", "", "", "x y z w"]).clusters
    )
    out = pa.concat_tables(ray.get(result.dataset.to_arrow_refs()))
    assert out["group"].to_pylist() == [0, None, 0, None, None, None]
    assert out["first"].to_pylist() == [True, True, False, True, True, True]
    empty = ray_data.dedup_dataset(ray.data.from_arrow(pa.table({"text": pa.array([], pa.string())})))
    assert empty.documents == 0 and empty.clusters == []


def test_dataset_errors() -> None:
    ds = ray.data.from_arrow(pa.table({"text": ["a b c"], "n": [1], "keep": [True]}))
    with pytest.raises(ValueError, match="no column 'body'"):
        ray_data.dedup_dataset(ds, column="body", keep_column="k")
    with pytest.raises(ValueError, match="holds int64, not text"):
        ray_data.dedup_dataset(ds, column="n", keep_column="k")
    with pytest.raises(ValueError, match="already has a column 'keep'"):
        ray_data.dedup_dataset(ds)
    with pytest.raises(ValueError, match="threshold"):
        ray_data.dedup_dataset(ds, threshold=1.5, keep_column="k")
    with pytest.raises(ValueError, match="mix"):
        ray_data.dedup_dataset(["a.jsonl", "b.parquet"])


def test_shard_id_layout_helpers() -> None:
    """The one reading of `shard << 32 | place` ids that the file and dataset engines share."""

    def ids(*pairs: tuple[int, int]) -> np.ndarray:
        return np.array([s << 32 | p for s, p in pairs], dtype=np.uint64)

    members = [ids((1, 5), (0, 2), (1, 5)), ids((1, 1))]
    assert ray_engine._needed(1, members).tolist() == ids((1, 1), (1, 5)).tolist()
    assert ray_engine._needed(2, members).tolist() == []
    assert ray_engine._needed(0, []).tolist() == []
    # Two clusters: {0:3, 1:0} and {0:1, 1:2, 2:0} (shard:place).
    offsets = np.array([0, 2, 5], dtype=np.uint64)
    flat = ids((0, 3), (1, 0), (0, 1), (1, 2), (2, 0))
    assert ray_engine._global_clusters([5, 3, 1], offsets, flat) == (9, [[3, 5], [1, 7, 8]])
    labels = [tuple(a.tolist() for a in label) for label in ray_engine._labels_by_shard(4, offsets, flat)]
    # Per shard: places, cluster numbers, places dropped (not their cluster's first member).
    assert labels == [([3, 1], [0, 1], []), ([0, 2], [0, 1], [0, 2]), ([0], [1], [0]), ([], [], [])]
