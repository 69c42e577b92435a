"""Matching the entry groups of one snapshot to the papers the catalog knows, with reconciliation's rules.

Matching follows `neardup.reconcile.compare`, with the catalog's known papers on the old side:

1. **key**: a known paper with the group's key;
2. **title**: a known paper one of whose versions has the group's normalised title, unless both carry
   different keys or the title is generic ("Editorial": left to the near stage); several candidates for
   one title are paired by the engine's rule for shared identities (`reconcile.resolve_shared`);
3. **near**: the groups left against every known paper not matched yet (its current version's title and
   abstract, the authors, categories and year of its latest sighting, its key), decided by the engine's
   own near rule (`neardup._core._near_match`, the function `neardup.compare` runs: field evidence,
   accepted when it reaches `reconcile.DEFAULT_THRESHOLD` and beats each side's runner-up by a margin;
   papers whose keys differ are never candidates). There is no second decision for the catalog.

Each known paper is matched by at most one group per snapshot. The key and title queries are batched (the
group values go in as one JSON array, joined in SQLite against the indexed tables); the near stage reads
the current texts of the known papers not matched by key or title in one query (of their latest
sightings, only the members the near rule reads), so its cost grows with the papers the snapshot does not
list (the core's candidate stage keeps the matching itself near-linear).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from neardup import _core
from neardup.model import Entry
from neardup.reconcile import DEFAULT_THRESHOLD, resolve_shared

if TYPE_CHECKING:
    from neardup.catalog.ingest import Prepared

__all__ = ["Current", "Matcher", "current_versions"]


@dataclass(slots=True)
class Current:
    """A known paper's current version and key."""

    paper: int
    key: str | None
    version: int
    number: int
    title: str
    abstract: str

    def entry(self, meta: dict[str, Any]) -> Entry:
        return Entry(
            title=self.title,
            abstract=self.abstract,
            key=self.key,
            authors=tuple(meta["authors"]) if meta.get("authors") is not None else None,
            organization=meta.get("organization"),
            published=meta.get("published"),
            extra=meta.get("extra") or {},
        )


def current_versions(conn: sqlite3.Connection, papers: Sequence[int]) -> dict[int, Current]:
    out: dict[int, Current] = {}
    if not papers:
        return out
    rows = conn.execute(
        "SELECT p.id, p.key, v.id, v.number, v.title, v.abstract FROM json_each(?) AS j "
        "JOIN paper AS p ON p.id = j.value JOIN version AS v ON v.id = p.current_version",
        (json.dumps(sorted(set(papers))),),
    )
    for pid, key, vid, number, title, abstract in rows:
        out[pid] = Current(pid, key, vid, number, title, abstract)
    return out


def _last_meta(conn: sqlite3.Connection, paper: int) -> dict[str, Any]:
    row = conn.execute(
        "SELECT meta FROM sighting WHERE paper = ? ORDER BY snapshot DESC, position LIMIT 1", (paper,)
    ).fetchone()
    meta: dict[str, Any] = json.loads(row[0]) if row else {}
    return meta


def _group_entry(prepared: Prepared, g: int) -> Entry:
    """The entry of group `g`'s first listing, rebuilt from its columns (only for the few groups whose
    title several papers share)."""
    rep = prepared.reps[g]
    meta = json.loads(prepared.metas[rep])
    return Entry(
        title=prepared.titles[rep],
        abstract=prepared.abstracts[rep],
        key=meta.get("key"),
        version=meta.get("version"),
        authors=tuple(meta["authors"]) if meta.get("authors") is not None else None,
        authors_count=meta.get("authors_count"),
        organization=meta.get("organization"),
        published=meta.get("published"),
        upvotes=prepared.upvotes[rep],
        extra=meta.get("extra") or {},
    )


class Matcher:
    """Assigns groups to known papers, stage by stage (see the module doc)."""

    def __init__(self, conn: sqlite3.Connection, prepared: Prepared) -> None:
        self.conn = conn
        self.prepared = prepared
        n = len(prepared.reps)
        self.paper: list[int | None] = [None] * n
        self.how: list[str] = ["new"] * n
        self.similarity: list[float | None] = [None] * n
        self.taken: set[int] = set()

    def _assign(self, g: int, paper: int, how: str, similarity: float | None = None) -> None:
        self.paper[g] = paper
        self.how[g] = how
        self.similarity[g] = similarity
        self.taken.add(paper)

    def by_key(self) -> None:
        """Stage 1: groups whose key a known paper has."""
        keys = self.prepared.keys
        keyed = [g for g, key in enumerate(keys) if key]
        if not keyed:
            return
        rows = self.conn.execute(
            "SELECT j.key, p.id FROM json_each(?) AS j JOIN paper AS p ON p.key = j.value",
            (json.dumps([keys[g] for g in keyed]),),
        )
        # (`_assign` inlined: most groups are matched here.)
        assigned, how, taken = self.paper, self.how, self.taken
        for i, paper in sorted(rows):
            g = keyed[i]
            assigned[g] = paper
            how[g] = "key"
            self.similarity[g] = None
            taken.add(paper)

    def by_title(self) -> None:
        """Stage 2: groups left whose normalised title a known paper's version had."""
        titles, keys = self.prepared.norm_titles, self.prepared.keys
        # A generic title ("Editorial") names no paper on its own: such groups go to the near stage, as
        # in the engine.
        titled = [
            g
            for g, generic in enumerate(self.prepared.generic)
            if self.paper[g] is None and titles[g] and not generic
        ]
        if not titled:
            return
        rows = self.conn.execute(
            "SELECT j.key, t.paper, p.key FROM json_each(?) AS j JOIN title AS t ON t.norm = j.value "
            "JOIN paper AS p ON p.id = t.paper",
            (json.dumps([titles[g] for g in titled]),),
        )
        papers_of: dict[str, set[int]] = defaultdict(set)
        paper_key: dict[int, str | None] = {}
        for i, paper, key in rows:
            papers_of[titles[titled[i]]].add(paper)
            paper_key[paper] = key
        groups_of: dict[str, list[int]] = defaultdict(list)
        for g in titled:
            if titles[g] in papers_of:
                groups_of[titles[g]].append(g)
        entries: dict[int, Entry] = {}
        for title, gs in groups_of.items():  # in order of the first group listing each title
            candidates = papers_of[title]
            if len(gs) == 1 and len(candidates) == 1:
                # The common case, one group and one paper: decided without building the pairs below.
                g, (p,) = gs[0], candidates
                if p not in self.taken:
                    if not (keys[g] and paper_key[p] and keys[g] != paper_key[p]):
                        self._assign(g, p, "title")
                    continue
            ps = sorted(p for p in candidates if p not in self.taken)
            pairs = [
                (g, p) for g in gs for p in ps if not (keys[g] and paper_key[p] and keys[g] != paper_key[p])
            ]
            if len(gs) == 1 and len(ps) == 1:
                if pairs:
                    self._assign(*pairs[0], "title")
                continue
            # Several known papers share the title (or several groups do): the engine pairs them.
            missing = [p for p in ps if p not in entries]
            for p, cur in current_versions(self.conn, missing).items():
                entries[p] = cur.entry(_last_meta(self.conn, p))
            free = [g for g in gs if self.paper[g] is None]
            chosen = resolve_shared([entries[p] for p in ps], [_group_entry(self.prepared, g) for g in free])
            for a, b in sorted(chosen, key=lambda ab: ab[1]):
                self._assign(free[b], ps[a], "title")

    def by_near(self) -> None:
        """Stage 3: groups left against every known paper not matched yet, by the engine's near rule."""
        rest = [g for g, paper in enumerate(self.paper) if paper is None]
        if not rest:
            return
        # The papers matched already are left out in SQLite, and of each paper's latest sighting only the
        # members the near rule reads are taken (as JSON, parsed only where present). The latest sighting
        # (highest snapshot id, then lowest position) is found in the covering index `sighting_paper`
        # (paper, snapshot, position) and its row read once by primary key: sorting the paper's sightings
        # themselves read each one's row, and a scalar subquery for the metadata ran once per member read.
        pool: list[tuple[int, str | None, str, str, str | None, str | None, str | None]] = self.conn.execute(
            "SELECT p.id, p.key, v.title, v.abstract, s.meta -> '$.authors', "
            "s.meta -> '$.extra.categories', s.meta -> '$.extra.year' "
            "FROM paper AS p JOIN version AS v ON v.id = p.current_version "
            "LEFT JOIN sighting AS s ON (s.snapshot, s.position) = (SELECT l.snapshot, l.position "
            "FROM sighting AS l INDEXED BY sighting_paper WHERE l.paper = p.id "
            "ORDER BY l.snapshot DESC, l.position LIMIT 1) "
            "WHERE p.id NOT IN (SELECT value FROM json_each(?)) ORDER BY p.id",
            (json.dumps(sorted(self.taken)),),
        ).fetchall()
        if not pool:
            return
        left = [_near_fields(_loads(a), {"categories": _loads(c), "year": _loads(y)}) for *_, a, c, y in pool]
        prepared = self.prepared
        authors, categories, years = prepared.near
        reps = prepared.reps
        li, ri, scores, *_ = _core._near_match(
            [row[2] for row in pool],
            [row[3] for row in pool],
            [prepared.titles[reps[g]] for g in rest],
            [prepared.abstracts[reps[g]] for g in rest],
            left_authors=[x[0] for x in left],
            right_authors=[authors[g] for g in rest],
            left_categories=[x[1] for x in left],
            right_categories=[categories[g] for g in rest],
            left_years=[x[2] for x in left],
            right_years=[years[g] for g in rest],
            left_keys=[row[1] for row in pool],
            right_keys=[prepared.keys[g] for g in rest],
            min_score=DEFAULT_THRESHOLD,
        )
        # The decision is one to one already: every accepted pair is assigned.
        for x, y, s in zip(li.tolist(), ri.tolist(), scores.tolist(), strict=True):
            self._assign(rest[y], pool[x][0], "near", float(s))


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _near_fields(authors: Any, extra: Any) -> tuple[list[str], list[str], int | None]:
    """Authors, categories and year of an entry as the engine reads them from its fields
    (``rust/neardup-core/src/engine/fields.rs``): categories from ``extra["categories"]`` (a list, or
    one whitespace-separated string), the year from ``extra["year"]`` (four leading digits)."""
    names = [str(a) for a in authors] if isinstance(authors, (list, tuple)) else []
    extra = extra if isinstance(extra, dict) else {}
    cats = extra.get("categories")
    if isinstance(cats, str):
        categories = cats.split()
    elif isinstance(cats, list):
        categories = [c.strip() for c in cats if isinstance(c, str) and c.strip()]
    else:
        categories = []
    year = extra.get("year")
    digits = str(year).strip() if isinstance(year, (int, float, str)) and not isinstance(year, bool) else ""
    ok = len(digits) >= 4 and digits[:4].isascii() and digits[:4].isdigit()
    ok = ok and not (len(digits) > 4 and digits[4].isdigit())
    return names, categories, int(digits[:4]) if ok else None
