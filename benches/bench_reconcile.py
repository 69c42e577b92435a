"""Reconciliation quality on real labelled data, with the time it takes.

Near-matching scenarios (`near_quality`, from `evaldata.near_scenarios`) run the near stage itself, the
current decision (`_core._near_match`) beside the previous one (`_core._near_cross`: weighted Jaccard of
title and abstract at 0.07, greedy one-to-one), on what a user meets:
  listings  every consecutive pair of the ten arxiv-listings crawls, ids stripped, after the title stage
            (so all that is left is removed and added papers: any pair is a different-papers error);
  catalog   the same crawls replayed: each crawl against every paper seen before it;
  iterater  the 178 IteraTeR revisions (abstracts only) mixed into two pairs of consecutive listings;
  events    the three real revision events of arxiv-listings, each between its two whole crawls;
  authors   the events with the new side's author lists reversed and respelled ("Smith, A. B."), and a
            weekend re-fetch without titles, authors respelled;
  dblp      DBLP-ACM: title and author list (and the year), no training; F1 against the mapping.
Reported per family: pairs found with the right partner, wrong pairs (different papers), and truth pairs.
Targets: zero wrong everywhere, >= 99% found, DBLP-ACM F1 >= 0.99.

(a) Real arXiv revisions without titles or keys: old = the `before` abstracts, new = the `after` ones,
    mixed with the distinct seed abstracts as unchanged distractors (one round per revision depth, so each
    paper appears once per side). Reported: share of revisions found as changed with the right partner,
    and wrong matches. Targets: ≥ 95%, zero wrong.
(b) DBLP-ACM: title + authors as the text, venue and year as metadata; precision, recall and F1 of the
    matched pairs against the perfect mapping. Target F1 ≥ 0.98, no training.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import evaldata
import neardup
from neardup import _core

#: The previous rule's threshold (IDF-weighted Jaccard of title and abstract), for the `old` rows.
OLD_THRESHOLD = 0.07


def revisions_quality() -> dict[str, float]:
    distractors = evaldata.seed_abstracts()
    right = wrong = total = 0
    for rs in evaldata.revision_rounds():
        old = [neardup.Entry(title="", abstract=str(r["before"])) for r in rs]
        new = [neardup.Entry(title="", abstract=str(r["after"])) for r in rs]
        old += [neardup.Entry(title="", abstract=a) for a in distractors]
        new += [neardup.Entry(title="", abstract=a) for a in reversed(distractors)]
        d = neardup.compare(neardup.Snapshot(old), neardup.Snapshot(new))
        total += len(rs)
        for m in d.changed:
            ok = m.old.position < len(rs) and m.new.position == m.old.position
            right += ok
            wrong += not ok
        wrong += sum(1 for m in d.unchanged if m.old.abstract != m.new.abstract)
    return {"revisions_found": right / total, "revisions_wrong": float(wrong), "revisions": float(total)}


def dblp_acm_quality() -> dict[str, float]:
    dblp, acm, gold = evaldata.dblp_acm()
    d = neardup.compare(dblp, acm)
    pred = {(m.old.extra["id"], m.new.extra["id"]) for m in (*d.unchanged, *d.changed)}
    tp = len(pred & gold)
    p, r = tp / len(pred), tp / len(gold)
    return {"dblp_precision": p, "dblp_recall": r, "dblp_f1": 2 * p * r / (p + r)}


def _old_near(left: evaldata.Side, right: evaldata.Side, texts: str) -> list[tuple[int, int]]:
    def text(s: evaldata.Side, i: int) -> str:
        second = ", ".join(s.authors[i]) if texts == "authors" else s.abstracts[i]
        return f"{s.titles[i]}\n{second}"

    a, b, _ = _core._near_cross(
        [text(left, i) for i in range(len(left))],
        [text(right, j) for j in range(len(right))],
        threshold=OLD_THRESHOLD,
    )
    return list(zip(a.tolist(), b.tolist(), strict=True))


def _new_near(left: evaldata.Side, right: evaldata.Side) -> list[tuple[int, int]]:
    a, b, *_ = _core._near_match(
        left.titles,
        left.abstracts,
        right.titles,
        right.abstracts,
        left_authors=left.authors,
        right_authors=right.authors,
        left_categories=left.categories,
        right_categories=right.categories,
        left_years=left.years,
        right_years=right.years,
    )
    return list(zip(a.tolist(), b.tolist(), strict=True))


def _tally(
    left: evaldata.Side, right: evaldata.Side, pairs: list[tuple[int, int]], gold: set[tuple[str, str]] | None
) -> tuple[int, int, int]:
    """(right pairs, wrong pairs, truth pairs); truth is shared ids unless `gold` pairs are given."""
    if gold is None:
        rids = set(right.ids)
        truth = sum(1 for i in left.ids if i in rids)
        ok = sum(1 for i, j in pairs if left.ids[i] == right.ids[j])
    else:
        truth = len(gold)
        ok = sum(1 for i, j in pairs if (left.ids[i], right.ids[j]) in gold)
    return ok, len(pairs) - ok, truth


def near_quality() -> dict[str, dict[str, float]]:
    """Per scenario family and decision (`old`, `new`): found share, wrong pairs, truth pairs (and F1
    for DBLP-ACM)."""
    out: dict[str, dict[str, float]] = {}

    def add(key: str, counts: tuple[int, int, int]) -> None:
        q = out.setdefault(key, {"right": 0.0, "wrong": 0.0, "truth": 0.0})
        for name, v in zip(("right", "wrong", "truth"), counts, strict=True):
            q[name] += v

    for sc in evaldata.near_scenarios():
        add(f"{sc.group} old", _tally(sc.left, sc.right, _old_near(sc.left, sc.right, "abstract"), None))
        add(f"{sc.group} new", _tally(sc.left, sc.right, _new_near(sc.left, sc.right), None))
    for years in (False, True):
        left, right, gold = evaldata.dblp_acm_sides(years=years)
        name = "dblp+year" if years else "dblp"
        if not years:
            add(f"{name} old", _tally(left, right, _old_near(left, right, "authors"), gold))
        add(f"{name} new", _tally(left, right, _new_near(left, right), gold))
    # As the engine runs it: titles equal and unique on both sides pair first, the rest goes to near.
    left, right, gold = evaldata.dblp_acm_sides(years=True)
    titled, (rest_l, rest_r) = evaldata.title_stage(left, right)
    near = [(rest_l[i], rest_r[j]) for i, j in _new_near(left.subset(rest_l), right.subset(rest_r))]
    add("dblp+year+title new", _tally(left, right, titled + near, gold))
    for q in out.values():
        q["found"] = q["right"] / q["truth"] if q["truth"] else 1.0
        if q["truth"]:
            p = q["right"] / max(q["right"] + q["wrong"], 1)
            q["f1"] = 2 * p * q["found"] / (p + q["found"]) if p + q["found"] else 0.0
    return out


def print_near_quality(q: dict[str, dict[str, float]]) -> None:
    print(f"{'scenario':<18}{'found':>8}{'right':>8}{'wrong':>7}{'truth':>7}{'F1':>8}")
    for k in sorted(q):
        v = q[k]
        print(
            f"{k:<18}{v['found']:>8.4f}{v['right']:>8.0f}{v['wrong']:>7.0f}{v['truth']:>7.0f}"
            f"{v.get('f1', float('nan')):>8.4f}"
        )


def measure_once(benchmark: Any, measure: Callable[[], Any], needs: str | None = None) -> Any:
    """``measure()``'s figures, run once under the benchmark (a quality row, not a timing); fails first
    when ``needs``, a data set of ../shared/eval, is missing."""
    if needs is not None and not (evaldata.EVAL / needs).exists():
        pytest.fail(f"../shared/eval/{needs} is missing")
    benchmark.group = "reconcile quality"
    benchmark.extra_info["impl"] = "neardup"
    return benchmark.pedantic(measure, rounds=1, iterations=1)


def test_near_scenarios(benchmark: Any, quality: Any) -> None:
    q = measure_once(benchmark, near_quality, needs="arxiv-listings")
    print_near_quality(q)
    new = {k: v for k, v in q.items() if k.endswith(" new")}
    figures = {
        f"near_{k.replace(' new', '').replace('+', '_')}_{m}": v[m]
        for k, v in new.items()
        for m in ("found", "wrong")
    }
    benchmark.extra_info.update(figures)
    quality(**figures)
    for k, v in new.items():
        assert v["wrong"] == 0 or k.startswith("dblp"), (k, v)
    assert new["iterater new"]["found"] >= 0.99
    assert new["dblp+year new"]["f1"] >= 0.98


def test_revisions(benchmark: Any, quality: Any) -> None:
    q = measure_once(benchmark, revisions_quality)
    benchmark.extra_info.update(q)
    quality(revisions_found=q["revisions_found"], revisions_wrong=q["revisions_wrong"])
    assert q["revisions_wrong"] == 0
    assert q["revisions_found"] >= 0.95


def test_dblp_acm(benchmark: Any, quality: Any) -> None:
    q = measure_once(benchmark, dblp_acm_quality, needs="dblp-acm")
    benchmark.extra_info.update(q)
    quality(**q)
    assert q["dblp_f1"] >= 0.99


if __name__ == "__main__":
    print_near_quality(near_quality())
