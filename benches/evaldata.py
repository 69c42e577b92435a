"""Loaders for the labelled evaluation data in ../shared/eval (read in place, never copied)."""

from __future__ import annotations

import collections
import csv
import dataclasses
import gzip
import itertools
import json
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

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
    """DBLP and ACM as two snapshots (title, the author list, no abstract; venue and year as metadata
    in `extra`, where the engine reads the year), and the true (DBLP id, ACM id) pairs."""

    def load(name: str, encoding: str) -> neardup.Snapshot:
        with (EVAL / "dblp-acm" / name).open(encoding=encoding, newline="") as fh:
            rows = list(csv.DictReader(fh))
        return neardup.Snapshot(
            [
                neardup.Entry(
                    title=r["title"],
                    abstract="",
                    authors=tuple(a.strip() for a in r["authors"].split(",") if a.strip()),
                    extra={"id": r["id"], "venue": r["venue"], "year": r["year"]},
                )
                for r in rows
            ]
        )

    with (EVAL / "dblp-acm" / "DBLP-ACM_perfectMapping.csv").open(newline="") as fh:
        gold = {(r["idDBLP"], r["idACM"]) for r in csv.DictReader(fh)}
    return load("DBLP2.csv", "latin-1"), load("ACM.csv", "utf-8"), gold


# ---- near-matching scenarios (benches/bench_reconcile.py) --------------------------------------------------

LISTINGS = EVAL / "arxiv-listings"


@dataclasses.dataclass
class Side:
    """One side of a near-matching scenario, as columns; `ids` are the truth (never shown to matching)."""

    ids: list[str] = dataclasses.field(default_factory=list)
    titles: list[str] = dataclasses.field(default_factory=list)
    abstracts: list[str] = dataclasses.field(default_factory=list)
    authors: list[list[str]] = dataclasses.field(default_factory=list)
    categories: list[list[str]] = dataclasses.field(default_factory=list)
    years: list[int | None] = dataclasses.field(default_factory=list)

    def add(self, rec: dict[str, Any], id_: str) -> None:
        self.ids.append(id_)
        self.titles.append(str(rec.get("title") or ""))
        self.abstracts.append(str(rec.get("abstract") or ""))
        self.authors.append([str(a) for a in rec.get("authors") or []])
        self.categories.append([str(c) for c in rec.get("categories") or []])
        year = rec.get("year")
        self.years.append(int(year) if year not in (None, "") else None)

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, rows: list[int]) -> Side:
        return Side(
            *([getattr(self, f.name)[i] for i in rows] for f in dataclasses.fields(self))  # type: ignore[arg-type]
        )


def title_stage(left: Side, right: Side) -> tuple[list[tuple[int, int]], tuple[list[int], list[int]]]:
    """The engine's title stage as a user meets it: titles equal (case and spacing aside) and unique on
    each side pair; returns those pairs and the rows of each side left for the near stage."""

    def unique(s: Side) -> dict[str, int]:
        keys = collections.Counter(_title_key(t) for t in s.titles)
        return {_title_key(t): i for i, t in enumerate(s.titles) if keys[_title_key(t)] == 1 and t.strip()}

    ul, ur = unique(left), unique(right)
    pairs = [(i, ur[k]) for k, i in ul.items() if k in ur]
    done_l, done_r = {i for i, _ in pairs}, {j for _, j in pairs}
    rest = (
        [i for i in range(len(left)) if i not in done_l],
        [j for j in range(len(right)) if j not in done_r],
    )
    return pairs, rest


@dataclasses.dataclass
class Scenario:
    """A near-matching problem: two sides whose ids say which pairs are one paper. `group` names the
    family of scenarios whose figures are summed in the report."""

    group: str
    name: str
    left: Side
    right: Side


def _read_jsonl_gz(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def listing_crawls() -> list[tuple[str, list[dict[str, Any]]]]:
    """The ten arxiv-listings crawls in order, each paper once (a crawl repeats exact copies)."""
    out = []
    for path in sorted((LISTINGS / "listings").glob("*.jsonl.gz")):
        papers: dict[str, dict[str, Any]] = {}
        for rec in _read_jsonl_gz(path):
            papers.setdefault(rec["id"], rec)
        out.append((path.name.split(".")[0], list(papers.values())))
    return out


def _title_key(title: str) -> str:
    return " ".join(str(title).casefold().split())


def _side(recs: Iterable[dict[str, Any]], *, authors: Callable[[list[str]], list[str]] | None = None) -> Side:
    s = Side()
    for r in recs:
        r = dict(r)
        if authors is not None:
            r["authors"] = authors(list(r.get("authors") or []))
        s.add(r, str(r["id"]))
    return s


def _leftovers(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What the near stage sees once the title stage has paired equal titles."""
    shared = {_title_key(r["title"]) for r in old} & {_title_key(r["title"]) for r in new}
    return (
        [r for r in old if _title_key(r["title"]) not in shared],
        [r for r in new if _title_key(r["title"]) not in shared],
    )


def reordered_authors(names: list[str]) -> list[str]:
    """An author list as another source spells it: reversed, "Last, F." with initials, no accents."""
    out = []
    for n in reversed(names):
        parts = n.split()
        if len(parts) > 1:
            n = f"{parts[-1]}, {' '.join(p[0] + '.' for p in parts[:-1])}"
        out.append(unicodedata.normalize("NFKD", n).encode("ascii", "ignore").decode())
    return out


def near_scenarios() -> list[Scenario]:
    """Every scenario of the near-matching harness (see benches/bench_reconcile.py)."""
    crawls = listing_crawls()
    out: list[Scenario] = []
    # Consecutive listings with ids stripped: after the title stage, the removed and the added papers
    # are all different papers (no paper's text changes across the ten crawls).
    for (d0, a), (d1, b) in itertools.pairwise(crawls):
        la, lb = _leftovers(a, b)
        out.append(Scenario("listings", f"{d0}->{d1}", _side(la), _side(lb)))
    # The same crawls replayed into a catalog: each crawl against every paper seen before it.
    seen: dict[str, dict[str, Any]] = {}
    for (_, a), (d1, b) in itertools.pairwise(crawls):
        for r in a:
            seen.setdefault(r["id"], r)
        la, lb = _leftovers(list(seen.values()), b)
        out.append(Scenario("catalog", f"seen->{d1}", _side(la), _side(lb)))
    # IteraTeR revisions (abstracts only: the data has no titles or authors) mixed into two pairs of
    # consecutive listings whose papers all differ, one round per revision depth.
    mixes = [(crawls[3][1], crawls[4][1]), (crawls[8][1], crawls[9][1])]
    for k, (a, b) in enumerate(mixes):
        for depth, rs in enumerate(revision_rounds(), 1):
            old = [{"id": f"it:{r['doc_id']}", "abstract": r["before"]} for r in rs]
            new = [{"id": f"it:{r['doc_id']}", "abstract": r["after"]} for r in rs]
            out.append(Scenario("iterater", f"depth {depth} in listings {k}", _side(old + a), _side(new + b)))
    # The real revision events, each between its two crawls (whole crawls: ids stripped), with the new
    # crawl's author lists as is and as another source spells them.
    for ev in events():
        old_crawl = _read_jsonl_gz(LISTINGS / ev["old_crawl"]["path"])
        new_crawl = _read_jsonl_gz(LISTINGS / ev["new_crawl"]["path"])
        old_p = list({r["id"]: r for r in old_crawl}.values())
        new_p = list({r["id"]: r for r in new_crawl}.values())
        out.append(Scenario("events", ev["id"], _side(old_p), _side(new_p)))
        out.append(
            Scenario(
                "authors", f"{ev['id']} reordered", _side(old_p), _side(new_p, authors=reordered_authors)
            )
        )
    # A weekend re-fetch without titles, author lists respelled: abstracts and authors must suffice.
    a, b = crawls[6][1], crawls[7][1]
    notitle = [{**r, "title": ""} for r in b]
    out.append(
        Scenario("authors", "no titles, reordered", _side(a), _side(notitle, authors=reordered_authors))
    )
    return out


def events() -> list[dict[str, Any]]:
    with (LISTINGS / "revisions.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def dblp_acm_sides(*, years: bool = False) -> tuple[Side, Side, set[tuple[str, str]]]:
    """DBLP and ACM as near-matching sides (title and the author list; the year when asked) and the
    true (DBLP id, ACM id) pairs."""

    def load(name: str, encoding: str) -> Side:
        with (EVAL / "dblp-acm" / name).open(encoding=encoding, newline="") as fh:
            rows = list(csv.DictReader(fh))
        s = Side()
        for r in rows:
            rec = {
                "title": r["title"],
                "authors": [a.strip() for a in r["authors"].split(",") if a.strip()],
                "year": r["year"] if years else None,
            }
            s.add(rec, r["id"])
        return s

    with (EVAL / "dblp-acm" / "DBLP-ACM_perfectMapping.csv").open(newline="") as fh:
        gold = {(r["idDBLP"], r["idACM"]) for r in csv.DictReader(fh)}
    return load("DBLP2.csv", "latin-1"), load("ACM.csv", "utf-8"), gold
