"""Reconciliation quality on real labelled data, with the time it takes.

(a) Real arXiv revisions without titles or keys: old = the `before` abstracts, new = the `after` ones,
    mixed with the distinct seed abstracts as unchanged distractors (one round per revision depth, so each
    paper appears once per side). Reported: share of revisions found as changed with the right partner,
    and wrong matches. Targets: ≥ 95%, zero wrong.
(b) DBLP-ACM: title + authors as the text, venue and year as metadata; precision, recall and F1 of the
    matched pairs against the perfect mapping. Target F1 ≥ 0.98, no training.
"""

from __future__ import annotations

from typing import Any

import pytest

import evaldata
import neardup


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


def test_revisions(benchmark: Any, quality: Any) -> None:
    benchmark.group = "reconcile quality"
    benchmark.extra_info["impl"] = "neardup"
    q = benchmark.pedantic(revisions_quality, rounds=1, iterations=1)
    benchmark.extra_info.update(q)
    quality(revisions_found=q["revisions_found"], revisions_wrong=q["revisions_wrong"])
    assert q["revisions_wrong"] == 0
    assert q["revisions_found"] >= 0.95


def test_dblp_acm(benchmark: Any, quality: Any) -> None:
    if not (evaldata.EVAL / "dblp-acm").exists():
        pytest.fail("../shared/eval/dblp-acm is missing")
    benchmark.group = "reconcile quality"
    benchmark.extra_info["impl"] = "neardup"
    q = benchmark.pedantic(dblp_acm_quality, rounds=1, iterations=1)
    benchmark.extra_info.update(q)
    quality(**q)
    assert q["dblp_f1"] >= 0.98
