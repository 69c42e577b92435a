"""The near-match decision through its binding (`_core._near_match`), on real data from ../shared/eval:
consecutive arXiv listings with ids stripped must pair nothing, real revisions must pair with their
partner, respelled author lists must not matter; plus the binding's columns, errors and threads."""

from __future__ import annotations

import gzip
import json
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conftest import EVAL
from neardup import _core

LISTINGS = EVAL / "arxiv-listings"

Record = dict[str, Any]


def crawl(path: Path) -> list[Record]:
    """A crawl's papers, each once (a crawl repeats exact copies)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        papers: dict[str, Record] = {}
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                papers.setdefault(rec["id"], rec)
    return list(papers.values())


def match(left: list[Record], right: list[Record], **kw: Any) -> list[tuple[int, int]]:
    def col(recs: list[Record], k: str) -> list[Any]:
        return [r.get(k) or ([] if k in ("authors", "categories") else "") for r in recs]

    a, b, *_ = _core._near_match(
        col(left, "title"),
        col(left, "abstract"),
        col(right, "title"),
        col(right, "abstract"),
        left_authors=col(left, "authors"),
        right_authors=col(right, "authors"),
        left_categories=col(left, "categories"),
        right_categories=col(right, "categories"),
        **kw,
    )
    return list(zip(a.tolist(), b.tolist(), strict=True))


def wrong(left: list[Record], right: list[Record], pairs: list[tuple[int, int]]) -> list[tuple[str, str]]:
    return [(left[i]["title"], right[j]["title"]) for i, j in pairs if left[i]["id"] != right[j]["id"]]


@pytest.fixture(scope="module")
def crawls() -> list[list[Record]]:
    paths = sorted((LISTINGS / "listings").glob("*.jsonl.gz"))
    if len(paths) != 10:
        pytest.fail(f"expected the ten crawls of {LISTINGS}")
    return [crawl(p) for p in paths]


def test_consecutive_listings_pair_no_different_papers(crawls: list[list[Record]]) -> None:
    # 2025-06-15 -> 2025-06-16 and 2025-06-23 -> 2025-06-24: every paper removed or added, so any pair
    # is two different papers (the previous decision paired several here).
    for k in (2, 8):
        old, new = crawls[k], crawls[k + 1]
        assert wrong(old, new, match(old, new)) == []


def test_a_weekend_refetch_pairs_every_paper_with_itself(crawls: list[list[Record]]) -> None:
    old, new = crawls[6], crawls[7]
    pairs = match(old, new)
    assert wrong(old, new, pairs) == []
    assert len(pairs) == len(old)


def respelled(names: list[str]) -> list[str]:
    return [f"{n.split()[-1]}, {n.split()[0][0]}." for n in reversed(names) if n.split()]


def test_revision_events_are_found_with_respelled_authors() -> None:
    with (LISTINGS / "revisions.jsonl").open(encoding="utf-8") as fh:
        events = [json.loads(line) for line in fh if line.strip()]
    for ev in events:
        old = crawl(LISTINGS / ev["old_crawl"]["path"])
        new = crawl(LISTINGS / ev["new_crawl"]["path"])
        for authors in (False, True):
            right = [{**r, "authors": respelled(r["authors"])} for r in new] if authors else new
            pairs = match(old, right)
            assert wrong(old, right, pairs) == []
            found = {old[i]["id"] for i, j in pairs}
            assert ev["id"] in found, (ev["id"], authors)


def test_iterater_revisions_mixed_into_listings(crawls: list[list[Record]], revisions: list[Record]) -> None:
    first = {}
    for r in revisions:  # one revision per paper: within a side each paper appears once
        first.setdefault(r["doc_id"], r)
    rs = list(first.values())
    old = [{"id": r["doc_id"], "abstract": r["before"]} for r in rs] + crawls[3]
    new = crawls[4] + [{"id": r["doc_id"], "abstract": r["after"]} for r in rs]
    pairs = match(old, new)
    assert wrong(old, new, pairs) == []
    assert len(pairs) >= 0.99 * len(rs)


def test_evidence_columns_and_missing_fields() -> None:
    text = "We measure the thermal conductivity of graphene ribbons grown on copper foil at low temperature."
    revised = text.replace("low", "cryogenic")
    a, b, s, t, ab, au = _core._near_match(
        ["Graphene ribbons"], [text], ["Graphene ribbons"], [revised], left_authors=[["Ann Smith"]]
    )
    assert (a.tolist(), b.tolist()) == ([0], [0])
    assert t[0] == 1.0 and 0.5 < ab[0] < 1.0
    assert math.isnan(au[0])  # missing on the right: neutral, not a penalty
    a2, *_, au2 = _core._near_match(
        ["Graphene ribbons"],
        [text],
        ["Graphene ribbons"],
        [revised],
        left_authors=[["Ann Smith"]],
        right_authors=[["Smith, A."]],
    )
    assert a2.tolist() == [0] and au2[0] == 1.0
    # Candidates: every scored pair, even below the least score.
    ca, cb, cs, *_ = _core._near_match(
        ["x"], [text], ["y"], [text + " extra words"], min_score=100, candidates=True
    )
    assert ca.tolist() == [0] and cs[0] < 100
    assert _core._near_match(["x"], [text], ["y"], [text + " extra words"], min_score=100)[0].tolist() == []


def test_bad_input_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="left_abstracts has 1 items, the titles 2"):
        _core._near_match(["a", "b"], ["x"], ["c"], ["y"])
    with pytest.raises(ValueError, match="right_authors"):
        _core._near_match(["a"], ["x"], ["c"], ["y"], right_authors=[["A"], ["B"]])
    with pytest.raises(TypeError, match="str"):
        _core._near_match(["a"], ["x"], ["c"], ["y"], left_authors=[[1]])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="margin"):
        _core._near_match(["a"], ["x"], ["c"], ["y"], margin=0.0)
    with pytest.raises(TypeError, match="int or None"):
        _core._near_match(["a"], ["x"], ["c"], ["y"], left_years=["1999"])  # type: ignore[list-item]


def test_threads_give_the_same_result(crawls: list[list[Record]]) -> None:
    old, new = crawls[5], crawls[6]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: match(old, new), range(4)))
    assert all(r == results[0] for r in results)
    assert len(results[0]) == len(old)
