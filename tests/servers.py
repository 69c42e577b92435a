"""Throw-away local servers for the tests and the benches (``benches/bench_compat.py`` puts this folder on
``sys.path`` to import it): a free port, and a redis-server that keeps nothing on disk.

Kept apart from ``conftest.py`` because the benches have a ``conftest`` module of their own."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 free at the time of asking (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_redis(workdir: Path) -> Iterator[dict[str, Any]]:
    """A throw-away redis-server on a free port, its files in ``workdir``: host, port and a client.

    Raises FileNotFoundError when `redis-server` is not installed, RuntimeError when it does not answer
    within about four seconds; the server is stopped on leaving."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (Debian: apt-get install -y redis-server)")
    port = free_port()
    # No snapshot, no append-only file: nothing outlives the run.
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir)]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(200):
            try:
                if client.ping():
                    break
            except redis.exceptions.ConnectionError:
                time.sleep(0.02)
        else:
            raise RuntimeError("redis-server did not start")
        yield {"host": "127.0.0.1", "port": port, "client": client}
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)
