"""The Ray shard-file engine on a two-node cluster of this machine against the local engine, at a given size.

    python benches/ray_nodes.py --docs 1000000 --dir /tmp/ray-bench --rounds 3
    python benches/ray_nodes.py --docs 5000 --dir /tmp/rb --rounds 1          # seconds

Starts a head and a second node with ``ray start`` (one CPU and its own custom resource each, as
``tests/test_ray_cluster.py`` does), writes the corpus (`corpus.abstracts_shard`) as four JSON Lines
shards, then times, in alternating rounds after a warm-up, ``neardup.distributed.ray.dedup`` on the
shards and ``neardup.corpus.dedup_files`` on the same shards in this process (the local engine, both
cores). Checks that the clusters are identical, prints the medians and their ratio, and stops the two
nodes it started (by process group; no ``ray stop``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_shards(folder: Path, docs: int, shards: int = 4) -> list[Path]:
    from corpus import abstracts_shard

    folder.mkdir(parents=True, exist_ok=True)
    per = -(-docs // shards)
    paths = []
    for k in range(shards):
        first = k * per
        shard = abstracts_shard(min(per, docs - first), first=first)
        path = folder / f"part-{k}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i, text in enumerate(shard.texts):
                fh.write(f'{{"id":"{first + i}","text":"{text}"}}\n')
        paths.append(path)
    return paths


def start_nodes(temp: Path) -> tuple[list[subprocess.Popen[bytes]], int]:
    ray = str(Path(sys.executable).with_name("ray"))
    port = _free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "token"}
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--object-store-memory=1000000000", "--block"]
    cmds = [
        [ray, "start", "--head", f"--port={port}", f"--dashboard-agent-listen-port={_free_port()}",
         "--include-dashboard=false", f"--temp-dir={temp}", '--resources={"nd_head": 1}', *common],
        [ray, "start", f"--address=127.0.0.1:{port}", f"--dashboard-agent-listen-port={_free_port()}",
         '--resources={"nd_second": 1}', *common],
    ]  # fmt: skip
    procs = []
    for n, cmd in enumerate(cmds):
        with open(temp / f"node{n}.log", "wb") as log:
            procs.append(
                subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            )
    return procs, port


def stop_nodes(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in reversed(procs):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(p.pid, sig)
                p.wait(10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


def connect(port: int, timeout: float = 120.0) -> None:
    import ray
    from ray._private.authentication_test_utils import reset_auth_token_state

    os.environ["RAY_AUTH_MODE"] = "token"
    reset_auth_token_state()
    deadline = time.monotonic() + timeout
    while True:
        try:
            if not ray.is_initialized():
                with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                    pass
                ray.init(address=f"127.0.0.1:{port}", _node_ip_address="127.0.0.1", log_to_driver=False)
            alive = [n for n in ray.nodes() if n["Alive"]]  # type: ignore[no-untyped-call]
            if len(alive) >= 2:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the two-node Ray cluster did not come up")
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    import ray

    from neardup.corpus import dedup_files
    from neardup.distributed import ray as ray_engine

    shutil.rmtree(args.dir, ignore_errors=True)
    temp = Path(f"/tmp/ndrb-{os.getpid()}")  # short: Ray's socket paths live under it
    temp.mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    figures: dict[str, Any] = {"docs": args.docs}
    try:
        shards = write_shards(args.dir / "in", args.docs)
        procs, port = start_nodes(temp)
        connect(port)
        ray_engine.dedup(shards, args.dir / "warm")  # workers started, modules imported
        local_s, ray_s = [], []
        for r in range(args.rounds):
            t = time.perf_counter()
            local = dedup_files(shards)
            local_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            summary = ray_engine.dedup(shards, args.dir / f"out{r}")
            ray_s.append(time.perf_counter() - t)
            if summary.clusters != local.clusters:
                raise SystemExit("the Ray engine's clusters differ from the local engine's")
            figures["nodes"] = len(summary.nodes)
        figures.update(
            local_seconds=statistics.median(local_s),
            ray_seconds=statistics.median(ray_s),
            ratio=statistics.median(ray_s) / statistics.median(local_s),
            clusters=len(local.clusters),
            identical=True,
            rounds=args.rounds,
        )
    finally:
        if ray.is_initialized():
            ray.shutdown()
        stop_nodes(procs)
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(args.dir, ignore_errors=True)
    from scale_run import emit

    return emit(figures, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
