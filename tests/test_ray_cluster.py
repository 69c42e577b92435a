"""The Ray engines on a real two-node cluster: a head and a second node started with ``ray start`` (two
raylets on this machine, each with one CPU and its own custom resource), as a Ray user would run them.

Both engines must give exactly the clusters of the local engine, and the map stage must have run on both
nodes. The cluster is torn down at the end even when a test fails: the ``ray start --block`` processes run
in their own process groups, which are terminated (then killed) by id; nothing else on the machine is
touched (``ray stop`` would stop every Ray instance of the user).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray
import ray.data

import neardup
from neardup.corpus import dedup_files
from neardup.distributed import ray as ray_engine
from neardup.distributed.ray_data import dedup_dataset
from servers import free_port
from test_ray import corpus, write_shards

RAY = str(Path(sys.executable).with_name("ray"))
START_TIMEOUT = 120.0


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ends a ``ray start --block`` and every process it started (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        # The group's other members (raylet, workers) may outlive its leader briefly.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        break


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[dict[str, str]]:
    """The node id of each of the two nodes ``{"head": ..., "second": ...}``, the driver connected."""
    if ray.is_initialized():  # another module's local cluster
        ray.shutdown()
    # Short: Ray's unix sockets live under it (at most 107 bytes a path).
    temp = tempfile.mkdtemp(prefix="ndray-", dir="/tmp")
    port = free_port()
    # Token authentication is Ray's default: every process uses the user's token (~/.ray/auth_token,
    # which the head creates when missing).
    env = {**os.environ, "RAY_AUTH_MODE": "token"}
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--object-store-memory=150000000", "--block"]
    head_cmd = [
        RAY,
        "start",
        "--head",
        f"--port={port}",
        f"--dashboard-agent-listen-port={free_port()}",
        "--include-dashboard=false",
        f"--temp-dir={temp}",
        '--resources={"nd_head": 1}',
        *common,
    ]
    second_cmd = [
        RAY,
        "start",
        f"--address=127.0.0.1:{port}",
        f"--dashboard-agent-listen-port={free_port()}",
        '--resources={"nd_second": 1}',
        *common,
    ]
    processes: list[subprocess.Popen[bytes]] = []
    saved = os.environ.get("RAY_AUTH_MODE")
    try:
        for name, cmd in (("head", head_cmd), ("second", second_cmd)):
            log = open(os.path.join(temp, f"{name}.log"), "wb")  # noqa: SIM115 - closed by the process end
            processes.append(
                subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            )
            log.close()
        _auth_mode("token")
        nodes = _connect(port, processes, temp)
        yield nodes
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for process in reversed(processes):
            stop(process)
        _auth_mode(saved)
        shutil.rmtree(temp, ignore_errors=True)


def _auth_mode(mode: str | None) -> None:
    """Sets this process's Ray authentication mode. Ray's core reads it once, when it is first
    configured (a new local cluster configures it, connecting to a running one does not), so the
    configuration is reloaded, as Ray's own tests do."""
    from ray._private.authentication_test_utils import reset_auth_token_state

    if mode is None:
        os.environ.pop("RAY_AUTH_MODE", None)
    else:
        os.environ["RAY_AUTH_MODE"] = mode
    reset_auth_token_state()


def _connect(port: int, processes: list[subprocess.Popen[bytes]], temp: str) -> dict[str, str]:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        dead = [p for p in processes if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            logs = "".join(
                Path(temp, f"{n}.log").read_text(errors="replace")[-2000:] for n in ("head", "second")
            )
            pytest.fail(f"the two-node Ray cluster did not come up:\n{logs}")
        try:
            if not ray.is_initialized():
                # ray.init waits for the head without a deadline of its own: connect once it listens.
                with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                    pass
                ray.init(
                    address=f"127.0.0.1:{port}",
                    _node_ip_address="127.0.0.1",
                    include_dashboard=False,
                    log_to_driver=False,
                )
            nodes = {}
            for node in ray.nodes():  # type: ignore[no-untyped-call]
                for name in ("nd_head", "nd_second"):
                    if node["Alive"] and name in node["Resources"]:
                        nodes[name[3:]] = node["NodeID"]
            if len(nodes) == 2:
                return nodes
        except OSError:  # ConnectionError included: not up yet
            pass
        time.sleep(1.0)


def texts(docs: list[tuple[str, str]]) -> list[str]:
    return [f"{t}\n{a}" for t, a in docs]


def test_dataset_on_two_nodes(two_nodes: dict[str, str]) -> None:
    docs = texts(corpus(11, 1200))
    cuts = [0, 250, 500, 800, 1000, 1200]
    blocks = [
        pa.table({"text": docs[a:b], "row": list(range(a, b))}) for a, b in zip(cuts, cuts[1:], strict=False)
    ]
    result = dedup_dataset(ray.data.from_arrow(blocks), threshold=0.7)
    local = neardup.dedup(docs, threshold=0.7)
    assert local.clusters  # the corpus has duplicates within and across blocks
    assert result.clusters == local.clusters
    assert result.documents == len(docs) and result.duplicates == local.duplicates
    assert set(result.nodes) == set(two_nodes.values())  # signed on both nodes
    assert result.partitions == 2
    out = pa.concat_tables(ray.get(result.dataset.to_arrow_refs()))
    assert out.column_names == ["text", "row", "cluster", "keep"]
    assert out["row"].to_pylist() == list(range(len(docs)))
    labels = [-1 if c is None else c for c in out["cluster"].to_pylist()]
    assert labels == local.labels().tolist()
    assert out["keep"].to_pylist() == local.keep.tolist()


def test_parquet_paths_through_ray_data(two_nodes: dict[str, str], tmp_path: Path) -> None:
    docs = texts(corpus(12, 900))
    paths = []
    for i, (a, b) in enumerate([(0, 300), (300, 600), (600, 900)]):
        path = tmp_path / f"part-{i}.parquet"
        pq.write_table(pa.table({"id": [f"d{j}" for j in range(a, b)], "body": docs[a:b]}), path)
        paths.append(str(path))
    result = dedup_dataset(paths, column="body")
    local = neardup.dedup(docs)
    assert local.clusters
    assert result.clusters == local.clusters
    out = pa.concat_tables(ray.get(result.dataset.to_arrow_refs()))
    assert out["id"].to_pylist() == [f"d{j}" for j in range(900)]  # file order kept
    assert [c is not None for c in out["cluster"].to_pylist()] == (local.labels() >= 0).tolist()


def test_shard_files_on_two_nodes(two_nodes: dict[str, str], tmp_path: Path) -> None:
    docs = corpus(13, 1000)
    shards = write_shards(tmp_path, docs, [200, 300, 250, 250])
    summary = ray_engine.dedup(shards, tmp_path / "out", keep_first=True)
    local = dedup_files(shards)
    assert local.clusters
    assert summary.clusters == local.clusters
    assert set(summary.nodes) == set(two_nodes.values())
    kept = sum(len(Path(f).read_text().splitlines()) for f in summary.kept_files)
    assert kept == len(docs) - local.duplicates
