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
the known papers' current texts in one query, so its cost grows with the catalog (the core's candidate
stage keeps the matching itself near-linear).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neardup import _core
from neardup.model import Entry
from neardup.reconcile import DEFAULT_THRESHOLD, resolve_shared

__all__ = ["Current", "Group", "Matcher", "current_versions"]


@dataclass(frozen=True, slots=True)
class Group:
    """Entries of one snapshot that are one paper: positions ascending, the first is the representative."""

    members: tuple[int, ...]
    entry: Entry
    key: str | None
    title: str
    text: str


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


class Matcher:
    """Assigns groups to known papers, stage by stage (see the module doc)."""

    def __init__(self, conn: sqlite3.Connection, groups: Sequence[Group]) -> None:
        self.conn = conn
        self.groups = groups
        n = len(self.groups)
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
        keyed = [g for g, group in enumerate(self.groups) if group.key]
        if not keyed:
            return
        rows = self.conn.execute(
            "SELECT j.key, p.id FROM json_each(?) AS j JOIN paper AS p ON p.key = j.value",
            (json.dumps([self.groups[g].key for g in keyed]),),
        )
        for i, paper in sorted(rows):
            self._assign(keyed[i], paper, "key")

    def by_title(self) -> None:
        """Stage 2: groups left whose normalised title a known paper's version had."""
        # A generic title ("Editorial") names no paper on its own: such groups go to the near stage, as
        # in the engine.
        titled = [
            g
            for g, group in enumerate(self.groups)
            if self.paper[g] is None and group.title and not _core._generic_title(group.entry.title)
        ]
        if not titled:
            return
        rows = self.conn.execute(
            "SELECT j.key, t.paper, p.key FROM json_each(?) AS j JOIN title AS t ON t.norm = j.value "
            "JOIN paper AS p ON p.id = t.paper",
            (json.dumps([self.groups[g].title for g in titled]),),
        )
        papers_of: dict[str, set[int]] = defaultdict(set)
        paper_key: dict[int, str | None] = {}
        for i, paper, key in rows:
            papers_of[self.groups[titled[i]].title].add(paper)
            paper_key[paper] = key
        groups_of: dict[str, list[int]] = defaultdict(list)
        for g in titled:
            if self.groups[g].title in papers_of:
                groups_of[self.groups[g].title].append(g)
        entries: dict[int, Entry] = {}
        for title, gs in groups_of.items():  # in order of the first group listing each title
            ps = sorted(p for p in papers_of[title] if p not in self.taken)
            pairs = [
                (g, p)
                for g in gs
                for p in ps
                if not (self.groups[g].key and paper_key[p] and self.groups[g].key != paper_key[p])
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
            chosen = resolve_shared([entries[p] for p in ps], [self.groups[g].entry for g in free])
            for a, b in sorted(chosen, key=lambda ab: ab[1]):
                self._assign(free[b], ps[a], "title")

    def by_near(self) -> None:
        """Stage 3: groups left against every known paper left, by the engine's near rule."""
        rest = [g for g in range(len(self.groups)) if self.paper[g] is None]
        if not rest:
            return
        pool: list[tuple[int, str | None, str, str, str | None]] = [
            row
            for row in self.conn.execute(
                "SELECT p.id, p.key, v.title, v.abstract, (SELECT s.meta FROM sighting AS s "
                "WHERE s.paper = p.id ORDER BY s.snapshot DESC, s.position LIMIT 1) "
                "FROM paper AS p JOIN version AS v ON v.id = p.current_version ORDER BY p.id"
            )
            if row[0] not in self.taken
        ]
        if not pool:
            return
        metas: list[dict[str, Any]] = [json.loads(m) if m else {} for *_, m in pool]
        entries = [self.groups[g].entry for g in rest]
        left = [_near_fields(m.get("authors"), m.get("extra")) for m in metas]
        right = [_near_fields(e.authors, e.extra) for e in entries]
        li, ri, scores, t, a, au = _core._near_match(
            [row[2] for row in pool],
            [row[3] for row in pool],
            [e.title for e in entries],
            [e.abstract for e in entries],
            left_authors=[x[0] for x in left],
            right_authors=[x[0] for x in right],
            left_categories=[x[1] for x in left],
            right_categories=[x[1] for x in right],
            left_years=[x[2] for x in left],
            right_years=[x[2] for x in right],
            left_keys=[row[1] for row in pool],
            right_keys=[self.groups[g].key for g in rest],
            min_score=DEFAULT_THRESHOLD,
        )
        # The decision is one to one already: every accepted pair is assigned.
        for x, y, s in zip(li.tolist(), ri.tolist(), scores.tolist(), strict=True):
            self._assign(rest[y], pool[x][0], "near", float(s))


def _near_fields(authors: Any, extra: Any) -> tuple[list[str], list[str], int | None]:
    """Authors, categories and year of an entry as the engine reads them from its fields
    (``rust/neardup-core/src/reconcile/fields.rs``): categories from ``extra["categories"]`` (a list, or
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
