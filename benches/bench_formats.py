"""Reading snapshots: the generated arXiv-like JSONL records of snapshots.py (half with an id), read by
`neardup.read_snapshot` (batches through the Rust core) and by the jsonl reader's per-record Python path
(``json.loads`` and `RecordMapper` for every line, the reader before the core took over), one thread.
Full scale: 100k records (≈110 MB)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import neardup
from corpus import size
from neardup.formats import jsonl
from snapshots import Pair, make_pair

N = size(300, 100_000)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    return make_pair(tmp_path_factory.mktemp("snapshots"), N)


@pytest.mark.parametrize("impl", ["neardup", "python-path"])
def test_read_jsonl(benchmark: Any, pair: Pair, impl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if impl == "python-path":
        monkeypatch.setattr(jsonl, "_core_reads", lambda spec: False)
    path: Path = pair.old_jsonl
    benchmark.group = f"read jsonl {N} records"
    benchmark.extra_info.update(impl=impl, records=N, mib=path.stat().st_size / 2**20)
    snapshot = benchmark.pedantic(lambda: neardup.read_snapshot(path), rounds=3, iterations=1)
    assert len(snapshot) == N
