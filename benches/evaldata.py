"""Loaders for the labelled evaluation data in ../shared/eval (read in place, never copied)."""

from __future__ import annotations

import collections
import csv
import json
from pathlib import Path

import neardup

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
EVAL = SHARED / "eval"
SEEDS = SHARED / "seeds"


def revisions() -> list[dict[str, object]]:
    with (EVAL / "iterater-arxiv" / "revisions.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def revision_rounds() -> list[list[dict[str, object]]]:
    """The revisions grouped by depth (v1→v2, v2→v3, …): within a round each paper appears once."""
    by_depth: dict[object, list[dict[str, object]]] = collections.defaultdict(list)
    for r in revisions():
        by_depth[r["revision_depth"]].append(r)
    return [by_depth[k] for k in sorted(by_depth, key=str)]


def seed_abstracts() -> list[str]:
    seen: dict[str, None] = {}
    for path in sorted(SEEDS.glob("*.txt")):
        for e in neardup.read_snapshot(path):
            seen.setdefault(e.abstract, None)
    return list(seen)


def dblp_acm() -> tuple[neardup.Snapshot, neardup.Snapshot, set[tuple[str, str]]]:
    """DBLP and ACM as two snapshots (title + authors as the text; venue and year as metadata in
    `extra`), and the true (DBLP id, ACM id) pairs."""

    def load(name: str, encoding: str) -> neardup.Snapshot:
        with (EVAL / "dblp-acm" / name).open(encoding=encoding, newline="") as fh:
            rows = list(csv.DictReader(fh))
        return neardup.Snapshot(
            [
                neardup.Entry(
                    title=r["title"],
                    abstract=r["authors"],
                    extra={"id": r["id"], "venue": r["venue"], "year": r["year"]},
                )
                for r in rows
            ]
        )

    with (EVAL / "dblp-acm" / "DBLP-ACM_perfectMapping.csv").open(newline="") as fh:
        gold = {(r["idDBLP"], r["idACM"]) for r in csv.DictReader(fh)}
    return load("DBLP2.csv", "latin-1"), load("ACM.csv", "utf-8"), gold
