"""Shared fixtures and helpers: paths to the third-party data in ../shared (read in place, never copied),
the ``neardup`` command run as a user runs it, the one-line failure rule, and JSON Lines writers."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

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
    with REVISIONS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def neardup_cmd(*args: str | Path) -> list[str]:
    """The ``neardup`` command line with ``args``, run by this interpreter."""
    return [sys.executable, "-m", "neardup", *map(str, args)]


def run(
    *args: str | Path,
    stdin: bytes | None = None,
    timeout: float = 300,
    env: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
) -> subprocess.CompletedProcess[bytes]:
    """``neardup ARGS`` in a child process: this environment without ``unset``, plus ``env``."""
    drop = set(unset)
    full_env = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        neardup_cmd(*args),
        capture_output=True,
        input=stdin,
        timeout=timeout,
        check=False,
        env={**full_env, **(env or {})},
    )


def one_line(err: bytes, *needles: str) -> str:
    """``err`` is exactly one line, no traceback or panic, mentioning every needle; returns it."""
    text = err.decode("utf-8", "replace")
    assert text.endswith("\n") and text.count("\n") == 1, f"not one line: {text!r}"
    for crash in ("Traceback", "Bus error", "panick", "PanicException"):
        assert crash not in text, text
    for needle in needles:
        assert needle in text, text
    return text


def paper_lines(n: int, seed: int = 0, changed_every: int = 0) -> str:
    """``n`` JSON Lines papers ``p0``, ``p1``, … with random 30-word abstracts; with ``changed_every``,
    every such paper's abstract ends with " revised" (the same seed gives the same papers otherwise)."""
    r = random.Random(seed)
    words = [f"w{i}" for i in range(5000)]
    lines = []
    for i in range(n):
        abstract = " ".join(r.choices(words, k=30))
        if changed_every and i % changed_every == 0:
            abstract += " revised"
        lines.append(
            json.dumps({"id": f"p{i}", "title": f"Paper {i} {words[i % 5000]}", "abstract": abstract})
        )
    return "\n".join(lines) + "\n"


def paper_pair(folder: Path, n: int, changed_every: int) -> tuple[Path, Path]:
    """``old.jsonl`` and ``new.jsonl`` in `folder`: `n` papers, and the same with every
    `changed_every`-th abstract revised (`paper_lines`)."""
    old, new = folder / "old.jsonl", folder / "new.jsonl"
    old.write_text(paper_lines(n), encoding="utf-8")
    new.write_text(paper_lines(n, changed_every=changed_every), encoding="utf-8")
    return old, new


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    """``rows`` written to ``path`` as JSON Lines (non-ASCII kept as it is); returns ``path``."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path
