"""Finding a paper from what a reader types: an id, a key, or (part of) its title.

In order, the first rule that finds anything decides:

1. an id (``12``), when a paper has it;
2. a key: an arXiv id (``arxiv:2407.01234``, ``2407.01234v2``, an abs URL) or a DOI;
3. the normalised title (`neardup.identity.normalize_title`) of any version of a paper, exactly;
4. titles that contain every word of the query (``"model editing"``);
5. fuzzy: titles whose characters match the query's with a ratio (`difflib.SequenceMatcher`) of at least
   `FUZZY_MIN`; the best one, with every other within `FUZZY_MARGIN` of it.

One paper found is the answer; several are ambiguous (`AmbiguousPaperError` lists them, best first);
none is "no paper" (`CatalogError`).
"""

from __future__ import annotations

import difflib
import sqlite3
from typing import Any

from neardup.errors import CatalogError
from neardup.identity import identity_key, normalize_title

__all__ = ["FUZZY_MARGIN", "FUZZY_MIN", "MAX_CANDIDATES", "AmbiguousPaperError", "find_papers"]

#: Least character ratio for a fuzzy title match (a typo or two in a title of a few words passes).
FUZZY_MIN = 0.75
#: Fuzzy matches this close to the best one are as plausible, hence ambiguous.
FUZZY_MARGIN = 0.05
#: At most this many candidates are listed for an ambiguous reference.
MAX_CANDIDATES = 20


class AmbiguousPaperError(CatalogError):
    """A reference (a title) that matches several papers.

    Attributes:
        ref: the reference as given.
        candidates: the ids of the matching papers, best first (at most `MAX_CANDIDATES`).
        total: how many papers matched.
    """

    ref: str
    candidates: tuple[int, ...]
    total: int

    def __init__(self, path: str, ref: str, candidates: tuple[int, ...], total: int) -> None:
        self.ref = ref
        self.candidates = tuple(candidates)
        self.total = total
        ids = ", ".join(str(c) for c in self.candidates) + (", …" if total > len(self.candidates) else "")
        super().__init__(path, f"{ref!r} matches {total} papers ({ids}): name one by its id")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.ref, self.candidates, self.total))


def _by_id_or_key(conn: sqlite3.Connection, text: str) -> int | None:
    # Ids are SQLite integers (64 bits): a larger number names no paper by id (and would not bind).
    if text.isascii() and text.isdigit() and int(text) < 1 << 63:
        row = conn.execute("SELECT id FROM paper WHERE id = ?", (int(text),)).fetchone()
        if row is not None:
            return int(row[0])
    found = identity_key(text)
    keys = (text, found[0] if found else text)
    row = conn.execute("SELECT id FROM paper WHERE key IN (?, ?) ORDER BY id LIMIT 1", keys).fetchone()
    return None if row is None else int(row[0])


def find_papers(conn: sqlite3.Connection, ref: int | str) -> list[int]:
    """The papers `ref` designates (see the module doc), best first; empty when none."""
    text = str(ref).strip()
    if not text:
        return []
    pid = _by_id_or_key(conn, text)
    if pid is not None:
        return [pid]
    query = normalize_title(text)
    if not query:
        return []
    exact = [
        int(r[0])
        for r in conn.execute("SELECT DISTINCT paper FROM title WHERE norm = ? ORDER BY paper", (query,))
    ]
    if exact:
        return exact
    words = set(query.split())
    containing: dict[int, int] = {}  # paper -> length of its shortest containing title
    scored: dict[int, float] = {}
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(query)
    for norm, paper in conn.execute("SELECT norm, paper FROM title"):
        if words.issubset(norm.split()):
            containing[paper] = min(containing.get(paper, len(norm)), len(norm))
        if containing:
            continue  # a containing title outranks every fuzzy one: no need to score them
        matcher.set_seq1(norm)
        if matcher.real_quick_ratio() < FUZZY_MIN or matcher.quick_ratio() < FUZZY_MIN:
            continue
        score = matcher.ratio()
        if score >= FUZZY_MIN and score > scored.get(paper, 0.0):
            scored[paper] = score
    if containing:
        # The title closest to the query in length (the fewest extra words) first.
        return sorted(containing, key=lambda p: (containing[p], p))
    if not scored:
        return []
    best = max(scored.values())
    return sorted((p for p, s in scored.items() if s >= best - FUZZY_MARGIN), key=lambda p: (-scored[p], p))
