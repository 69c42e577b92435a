"""The near decision as the engine runs it (`neardup.compare`, `neardup diff` on both roads): the same rule
as `_core._near_match`, its evidence in the JSON report, what `--threshold` means, generic titles, and
matching that stays linear and independent of input order. Each test fails when the rule it names is
changed (the margin, the candidate bound, the generic-title rule, the threshold's meaning)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

import neardup
from neardup import Entry, Snapshot, _core
from neardup.cli import main
from neardup.report import render
from test_near import LISTINGS, crawl

WORDS = [f"w{i}{c}" for i in range(400) for c in "ab"]


def text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def revised(rng: random.Random, t: str, rate: float) -> str:
    return " ".join(rng.choice(WORDS) if rng.random() < rate else w for w in t.split())


def near_pairs(d: neardup.SnapshotDiff) -> set[tuple[int, int]]:
    return {(m.old.position, m.new.position) for m in (*d.changed, *d.unchanged) if m.how == "near"}


def test_engine_pairs_no_different_papers_in_real_listings() -> None:
    """Two consecutive real crawls with their ids stripped, through `neardup.compare`: whatever the title
    stage leaves, the near stage must not pair two different papers (the old rule paired several)."""
    paths = sorted((LISTINGS / "listings").glob("*.jsonl.gz"))
    old, new = crawl(paths[2]), crawl(paths[3])

    def snap(recs: list[dict[str, Any]]) -> Snapshot:
        return Snapshot(
            [Entry(r["title"], r.get("abstract") or "", authors=tuple(r.get("authors") or ())) for r in recs]
        )

    d = neardup.compare(snap(old), snap(new))
    wrong = [
        (m.old.title, m.new.title)
        for m in (*d.changed, *d.unchanged)
        if old[m.old.position]["id"] != new[m.new.position]["id"]
    ]
    assert wrong == []


def test_engine_decides_as_the_rule() -> None:
    """The engine's near pairs are exactly `_core._near_match`'s on the entries the title stage leaves."""
    rng = random.Random(7)
    base = [text(rng, 60) for _ in range(40)]
    titles = [f"Study {i} {text(rng, 5)}" for i in range(len(base))]
    old = [Entry(t, a) for t, a in zip(titles, base, strict=True)]
    new = [Entry(f"{t} revisited", revised(rng, a, 0.2)) for t, a in zip(titles, base, strict=True)]
    d = neardup.compare(Snapshot(old), Snapshot(new))
    a, b, *_ = _core._near_match(
        [e.title for e in old], [e.abstract for e in old], [e.title for e in new], [e.abstract for e in new]
    )
    assert near_pairs(d) == set(zip(a.tolist(), b.tolist(), strict=True))
    assert len(near_pairs(d)) >= 35


def _pair_files(tmp_path: Path) -> tuple[Path, Path]:
    rng = random.Random(3)
    abstract = text(rng, 80)
    old = [
        {"title": "Learning sparse codes for images", "abstract": abstract, "authors": ["Ann Smith", "Bo Li"]}
    ]
    new = [
        {
            "title": "Sparse image codes, learnt",
            "abstract": revised(rng, abstract, 0.1),
            "authors": ["Li, B.", "Smith, A.", "Carl Berg"],
        }
    ]
    paths = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    for p, recs in zip(paths, (old, new), strict=True):
        p.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return paths


def test_json_report_says_which_evidence_made_a_near_match(tmp_path: Path) -> None:
    old, new = _pair_files(tmp_path)
    out = tmp_path / "r.json"
    assert main(["diff", str(old), str(new), "--format", "json", "-o", str(out)]) == 1  # the core's road
    fast = json.loads(out.read_text(encoding="utf-8"))
    (m,) = fast["changed"]
    assert m["match"] == "near"
    ev = m["evidence"]
    assert set(ev) == {"title", "abstract", "authors"}
    assert ev["authors"] == 1.0  # both of the old list are in the new one, respelled and reordered
    assert 0.5 < ev["abstract"] < 1.0 and 0.0 < ev["title"] < 1.0
    assert m["similarity"] >= neardup.reconcile.DEFAULT_THRESHOLD
    # The Python road writes the same report.
    d = neardup.compare(neardup.read_snapshot(old), neardup.read_snapshot(new))
    (pm,) = d.changed
    assert pm.evidence is not None and pm.evidence.to_dict() == ev
    assert json.loads(render(d, "json"))["changed"][0]["evidence"] == ev
    # Key and title matches carry none.
    same = neardup.compare(neardup.read_snapshot(old), neardup.read_snapshot(old))
    assert [m.evidence for m in same.unchanged] == [None]
    assert "evidence" not in json.loads(render(same, "json"))["unchanged"][0]


def test_threshold_is_the_rules_least_score(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _pair_files(tmp_path)
    a, b = neardup.read_snapshot(old), neardup.read_snapshot(new)
    (m,) = neardup.compare(a, b).changed
    assert len(neardup.compare(a, b, threshold=m.similarity - 0.01).changed) == 1
    d = neardup.compare(a, b, threshold=m.similarity + 0.01)
    assert (len(d.changed), len(d.added), len(d.removed)) == (0, 1, 1)
    # The CLI and compare share the default; a value of the old rule is refused with its reason.
    capsys.readouterr()
    assert main(["diff", str(old), str(new), "--threshold", "0.07"]) == 2
    err = capsys.readouterr().err
    assert "old rule" in err and "log-likelihood" in err
    with pytest.raises(ValueError, match="old rule"):
        neardup.compare(a, b, threshold=0.07)


def test_generic_titles_are_no_identity_without_their_abstract() -> None:
    """Two "Book review column" entries a side (no abstracts): the title does not pair them, the authors
    do when they clearly differ; with equal abstracts the title stage pairs whatever the order."""
    old = [
        Entry("Book review column", "", authors=("Karl Aberer",)),
        Entry("Book Review Column", "", authors=("Ann Smith",)),
    ]
    new = [
        Entry("Book review column", "", authors=("Smith, A.",)),
        Entry("Book review column", "", authors=("K. Aberer",)),
    ]
    d = neardup.compare(Snapshot(old), Snapshot(new))
    assert {(m.old.position, m.new.position, m.how) for m in (*d.changed, *d.unchanged)} == {
        (0, 1, "near"),
        (1, 0, "near"),
    }
    # Same authors on both: nothing tells them apart, nothing is paired.
    twins = [Entry("Book review column", "", authors=("Karl Aberer",))] * 2
    d = neardup.compare(Snapshot(twins), Snapshot(list(twins)))
    assert not d.changed and not d.unchanged
    errata = [
        Entry("Erratum", "table two is wrong not three"),
        Entry("Erratum", "table three is wrong not two"),
    ]
    d = neardup.compare(Snapshot(errata), Snapshot(errata[::-1]))
    assert {(m.old.position, m.new.position, m.how) for m in d.unchanged} == {
        (0, 1, "title"),
        (1, 0, "title"),
    }


def test_candidates_stay_linear_when_texts_share_one_abstract() -> None:
    """k entries a side with one abstract and distinct titles (issue 21, item 6): the candidate stage
    indexes no feature that thousands of texts share, so each entry meets its partner only."""
    k = 3000
    abstract = "We study representation learning from data and show a method that works on many benchmarks."
    old = [f"Topic {i} alpha{i} beta{i} gamma{i}" for i in range(k)]
    new = [f"Topic {i} alpha{i} beta{i} gamma{i} revisited" for i in range(k)]
    a, b, *_ = _core._near_match(old, [abstract] * k, new, [abstract] * k, candidates=True)
    assert len(a) <= 2 * k
    a, b, *_ = _core._near_match(old, [abstract] * k, new, [abstract] * k)
    assert sorted(zip(a.tolist(), b.tolist(), strict=True)) == [(i, i) for i in range(k)]


def test_near_verdicts_do_not_depend_on_input_order() -> None:
    rng = random.Random(11)
    base = [text(rng, 50) for _ in range(60)]
    # Pairs of companion papers (near twins) among revisions: the margin decides, not the order.
    base += [revised(rng, a, 0.05) for a in base[:10]]
    titles = [f"Paper {i} {text(rng, 4)}" for i in range(len(base))]
    old = [Entry(t, a) for t, a in zip(titles, base, strict=True)]
    new = [Entry(f"{t} revisited", revised(rng, a, 0.2)) for t, a in zip(titles, base, strict=True)]

    def verdicts(o: list[Entry], n: list[Entry]) -> set[tuple[str, str]]:
        d = neardup.compare(Snapshot(o), Snapshot(n))
        return {(m.old.title, m.new.title) for m in (*d.changed, *d.unchanged)}

    want = verdicts(old, new)
    assert len(want) >= 40
    for seed in range(3):
        r = random.Random(seed)
        o, n = old[:], new[:]
        r.shuffle(o)
        r.shuffle(n)
        assert verdicts(o, n) == want
        assert verdicts(n, o) == {(y, x) for x, y in want}
