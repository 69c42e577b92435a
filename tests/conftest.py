"""Shared fixtures: paths to the third-party data in ../shared (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
EVAL = SHARED / "eval"
SEED_OLD = SEEDS / "000_0e321bcecae77698.txt"
SEED_NEW = SEEDS / "001_38311cadbe9d91ff.txt"
REVISIONS = EVAL / "iterater-arxiv" / "revisions.jsonl"


@pytest.fixture(scope="session")
def revisions() -> list[dict[str, object]]:
    import json

    with REVISIONS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
