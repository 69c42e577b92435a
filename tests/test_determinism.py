"""Determinism and conservation of `neardup diff` through the command line.

- The JSON and JSONL reports are byte-identical across runs and across thread counts
  (``RAYON_NUM_THREADS=1`` against the default and an oversubscribed pool), on a generated corpus large
  enough for every parallel path of the core to split its work.
- Shuffling the entries of JSONL snapshots (whose order means nothing) moves positions but not the
  classification: the same papers are added, removed, changed, unchanged and duplicated.
- Conservation (hypothesis, random snapshot pairs): every old entry is accounted for exactly once among
  removed / changed / unchanged, every new entry exactly once among added / changed / unchanged, in the
  JSON and in the JSONL report, and the summary, the exit status and the duplicate groups agree with that.
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run as neardup_run
from conftest import write_jsonl
from neardup.cli import main

Record = dict[str, Any]

# ---- a generated corpus ------------------------------------------------------------------------------


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    common = [
        "the",
        "of",
        "and",
        "to",
        "in",
        "a",
        "is",
        "that",
        "for",
        "we",
        "on",
        "with",
        "as",
        "by",
        "this",
        "are",
        "from",
        "an",
        "be",
        "our",
        "which",
        "model",
        "data",
    ]
    made = {
        "".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(3, 10))) for _ in range(size)
    }
    return common * 20 + sorted(made)


def _sentence(rng: random.Random, words: list[str], n: int) -> str:
    return " ".join(rng.choice(words) for _ in range(n))


def _edit(rng: random.Random, words: list[str], text: str, share: float) -> str:
    """`text` with about `share` of its words replaced."""
    out = text.split()
    for i in range(len(out)):
        if rng.random() < share:
            out[i] = rng.choice(words)
    return " ".join(out)


def corpus(seed: int, papers: int = 300) -> tuple[list[Record], list[Record]]:
    """Old and new snapshots of one listing, as JSONL records: kept, edited, re-titled, revised, removed,
    added and duplicated papers, about half of them with arXiv ids (versions bumped on revision)."""
    rng = random.Random(seed)
    words = _vocabulary(rng)
    old: list[Record] = []
    new: list[Record] = []
    for i in range(papers):
        title = _sentence(rng, words, rng.randint(5, 11)).capitalize()
        abstract = _sentence(rng, words, rng.randint(40, 120)) + "."
        record: Record = {"title": title, "abstract": abstract, "upvotes": rng.randint(0, 99)}
        keyed = rng.random() < 0.5
        if keyed:
            record["id"] = f"2407.{i:05d}v1"
        fate = rng.choices(
            ["same", "edited", "retitled", "revised", "removed", "added", "listed twice"],
            weights=[40, 15, 10, 10, 10, 10, 5],
        )[0]
        later = {**record, "upvotes": rng.randint(0, 99)}
        if fate == "edited":
            later["abstract"] = _edit(rng, words, abstract, 0.05)
        elif fate == "retitled":
            later["title"] = title.upper() if rng.random() < 0.5 else _edit(rng, words, title, 0.3)
            later["abstract"] = _edit(rng, words, abstract, 0.02)
        elif fate == "revised":
            later["abstract"] = _edit(rng, words, abstract, 0.3)
            if keyed:
                later["id"] = f"2407.{i:05d}v2"
        if fate != "added":
            old.append(record)
        if fate != "removed":
            new.append(later)
        if fate == "listed twice":
            new.append(dict(later))
    return old, new


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """``neardup ARGS`` with the thread count of ``env`` only (none inherited from this environment)."""
    return neardup_run(*args, env=env, unset=["RAYON_NUM_THREADS"])


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Record], list[Record]]:
    d = tmp_path_factory.mktemp("corpus")
    old, new = corpus(7)
    return write_jsonl(d / "old.jsonl", old), write_jsonl(d / "new.jsonl", new), old, new


# ---- byte-identical reports ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_reports_are_byte_identical_across_runs_and_thread_counts(
    pair: tuple[Path, Path, list[Record], list[Record]], fmt: str
) -> None:
    old, new, _, _ = pair
    args = ("diff", old, new, "--format", fmt)
    first = run(*args)
    assert first.returncode == 1 and first.stderr == b"", first.stderr
    doc = (
        [json.loads(line) for line in first.stdout.splitlines()]
        if fmt == "jsonl"
        else [json.loads(first.stdout)]
    )
    summary = doc[0]["summary"] if fmt == "json" else doc[0]
    # The corpus exercises every kind of outcome.
    assert all(summary[k] > 0 for k in ("unchanged", "changed", "added", "removed", "duplicates")), summary
    for env in (None, {"RAYON_NUM_THREADS": "1"}, {"RAYON_NUM_THREADS": "3"}):
        again = run(*args, env=env)
        assert again.returncode == 1
        assert again.stdout == first.stdout, f"report differs with {env}"


def test_hf_text_report_is_byte_identical_across_thread_counts(tmp_path: Path) -> None:
    """The same through the hf-text reader and the text report (word diffs rendered)."""
    from neardup import Entry
    from neardup.formats.hf_text import render

    old, new = corpus(11, papers=120)
    paths = []
    for name, records in (("old.txt", old), ("new.txt", new)):
        entries = [Entry(title=r["title"], abstract=r["abstract"]) for r in records]
        path = tmp_path / name
        path.write_text(render(entries, "Jul 30"), encoding="utf-8")
        paths.append(path)
    runs = [
        run("diff", *paths, "--word-diff", "porcelain", env={"RAYON_NUM_THREADS": n}) for n in ("1", "2", "4")
    ]
    assert all(r.returncode == 1 and r.stderr == b"" for r in runs)
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    assert b" changed, " in runs[0].stdout.split(b"\n")[0]


# ---- order independence --------------------------------------------------------------------------------


def classification(report: Record, old: list[Record], new: list[Record]) -> Counter[tuple[Any, ...]]:
    """What happened to which paper, by title: independent of positions."""
    out: Counter[tuple[Any, ...]] = Counter()
    for m in report["changed"]:
        out["changed", m["old"]["title"], m["new"]["title"], m["match"]] += 1
    for m in report["unchanged"]:
        out["unchanged", old[m["old_position"]]["title"], new[m["new_position"]]["title"], m["match"]] += 1
    for e in report["added"]:
        out["added", e["title"]] += 1
    for e in report["removed"]:
        out["removed", e["title"]] += 1
    for g in report["duplicates"]:
        side = old if g["snapshot"] == "old" else new
        out["duplicates", g["snapshot"], tuple(sorted(side[p]["title"] for p in g["members"]))] += 1
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffling_jsonl_entries_keeps_the_classification(
    tmp_path: Path, pair: tuple[Path, Path, list[Record], list[Record]], seed: int
) -> None:
    old_path, new_path, old, new = pair
    base = run("diff", old_path, new_path, "--format", "json")
    want = classification(json.loads(base.stdout), old, new)
    rng = random.Random(seed)
    shuffled_old, shuffled_new = rng.sample(old, len(old)), rng.sample(new, len(new))
    r = run(
        "diff",
        write_jsonl(tmp_path / "old.jsonl", shuffled_old),
        write_jsonl(tmp_path / "new.jsonl", shuffled_new),
        "--format",
        "json",
    )
    assert r.returncode == base.returncode == 1
    got = classification(json.loads(r.stdout), shuffled_old, shuffled_new)
    assert got == want


# ---- conservation ------------------------------------------------------------------------------------

_WORDS = [
    "graph",
    "neural",
    "network",
    "transformer",
    "protein",
    "folding",
    "ocean",
    "sensor",
    "traffic",
    "language",
    "model",
    "vision",
    "robot",
]
_TITLE = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6).map(" ".join)
_ABSTRACT = st.lists(st.sampled_from(_WORDS), max_size=30).map(" ".join)


@st.composite
def snapshot_pair(draw: st.DrawFn) -> tuple[list[Record], list[Record]]:
    """Two small snapshots drawn from a shared pool of papers, with keys, shared titles, edits and
    repeats in any mix (including the awkward ones: one title for different keys, one key twice)."""
    pool = draw(st.lists(st.tuples(_TITLE, _ABSTRACT, st.none() | st.integers(0, 5)), min_size=1, max_size=8))

    def pick() -> Record:
        title, abstract, key = draw(st.sampled_from(pool))
        record: Record = {"title": title, "abstract": abstract}
        if key is not None:
            record["id"] = f"2407.{key:05d}v{draw(st.integers(1, 2))}"
        if draw(st.integers(0, 3)) == 0:
            record["abstract"] = draw(_ABSTRACT)
        return record

    return (
        [pick() for _ in range(draw(st.integers(0, 8)))],
        [pick() for _ in range(draw(st.integers(0, 8)))],
    )


def check_conservation(doc: Record, n_old: int, n_new: int) -> None:
    olds = [e["position"] for e in doc["removed"]]
    olds += [m["old"]["position"] for m in doc["changed"]]
    olds += [m["old_position"] for m in doc["unchanged"]]
    news = [e["position"] for e in doc["added"]]
    news += [m["new"]["position"] for m in doc["changed"]]
    news += [m["new_position"] for m in doc["unchanged"]]
    # An unmatched member of a duplicate group holding a matched member is a listing of a matched paper
    # again: reported by its group only, unless its own key sets it apart (then it is also added or
    # removed).
    for side, positions in (("old", olds), ("new", news)):
        matched = set(positions) - {e["position"] for e in doc["removed" if side == "old" else "added"]}
        for g in doc["duplicates"]:
            if g["snapshot"] == side and matched & set(g["members"]):
                positions += [p for p in g["members"] if p not in positions]
    assert sorted(olds) == list(range(n_old)), "old entries not accounted for exactly once"
    assert sorted(news) == list(range(n_new)), "new entries not accounted for exactly once"
    summary = doc["summary"]
    for kind in ("changed", "added", "removed", "unchanged", "duplicates"):
        assert summary[kind] == len(doc[kind])
    assert (doc["old"]["entries"], doc["new"]["entries"]) == (n_old, n_new)
    for side, n in (("old", n_old), ("new", n_new)):
        members = [p for g in doc["duplicates"] if g["snapshot"] == side for p in g["members"]]
        assert len(members) == len(set(members)), "an entry in two duplicate groups"
        assert all(0 <= p < n for p in members)
    for g in doc["duplicates"]:
        assert len(g["members"]) >= 2 and g["members"] == sorted(g["members"])
        assert 0.0 <= g["similarity"] <= 1.0


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot_pair(), st.sampled_from([[], ["--include-meta"], ["--threshold", "1"], ["--threshold", "8"]]))
def test_every_entry_is_accounted_for_exactly_once(
    pair: tuple[list[Record], list[Record]], extra: list[str]
) -> None:
    old, new = pair
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        # An empty JSONL file is refused (there is nothing to read); a header-only page is an empty snapshot.
        paths = []
        for name, records in (("old", old), ("new", new)):
            if records:
                paths.append(str(write_jsonl(d / f"{name}.jsonl", records)))
            else:
                (d / f"{name}.txt").write_text("Daily Papers\n\nJul 30\n", encoding="utf-8")
                paths.append(str(d / f"{name}.txt"))
        status = main(["diff", *paths, "--format", "json", "-o", str(d / "report.json"), *extra])
        doc = json.loads((d / "report.json").read_text(encoding="utf-8"))
        check_conservation(doc, len(old), len(new))
        assert status == (1 if doc["changed"] or doc["added"] or doc["removed"] else 0)
        # The JSONL report tells the same story, record by record.
        assert main(["diff", *paths, "--format", "jsonl", "-o", str(d / "report.jsonl"), *extra]) == status
        lines = [json.loads(line) for line in (d / "report.jsonl").read_text(encoding="utf-8").splitlines()]
        assert lines[0]["kind"] == "summary"
        kinds = Counter(r["kind"] for r in lines[1:])
        for kind in ("changed", "added", "removed", "unchanged", "duplicates"):
            assert kinds[kind] == doc["summary"][kind]
        regrouped = {
            "changed": [{k: v for k, v in r.items() if k != "kind"} for r in lines if r["kind"] == "changed"],
            "added": [r["entry"] for r in lines if r["kind"] == "added"],
            "removed": [r["entry"] for r in lines if r["kind"] == "removed"],
            "unchanged": [
                {k: v for k, v in r.items() if k != "kind"} for r in lines if r["kind"] == "unchanged"
            ],
            "duplicates": [
                {k: v for k, v in r.items() if k != "kind"} for r in lines if r["kind"] == "duplicates"
            ],
            "summary": {k: v for k, v in lines[0].items() if k in doc["summary"]},
            "old": lines[0]["old"],
            "new": lines[0]["new"],
        }
        check_conservation(regrouped, len(old), len(new))
        assert regrouped["changed"] == doc["changed"] and regrouped["unchanged"] == doc["unchanged"]
