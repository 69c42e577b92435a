"""Benchmark set-up: single-threaded core unless a benchmark says otherwise, the bench modules' own
directory on sys.path (shared corpus generators), and the `quality` fixture that records quality numbers
for the report script."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Peers run single-threaded from Python; measure neardup's core on one thread too (the report script
# measures 2-thread scaling separately). Must be set before the core starts its thread pool.
os.environ.setdefault("RAYON_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

_QUALITY: dict[str, dict[str, Any]] = {}


class Quality:
    """Records quality figures (name → value) under the current test's id; `benches/report.py` prints
    them beside the timings and checks their floors (see FLOORS there)."""

    def __init__(self, test_id: str) -> None:
        self.test_id = test_id

    def __call__(self, **values: float) -> None:
        _QUALITY.setdefault(self.test_id, {}).update(values)


@pytest.fixture
def quality(request: pytest.FixtureRequest) -> Quality:
    return Quality(request.node.nodeid)


@pytest.fixture(scope="session", autouse=True)
def _write_quality() -> Iterator[None]:
    yield
    target = os.environ.get("NEARDUP_QUALITY_JSON")
    if target:
        Path(target).write_text(json.dumps(_QUALITY, indent=1, sort_keys=True))
