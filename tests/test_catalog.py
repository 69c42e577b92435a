"""The catalog (neardup.Catalog and ``neardup catalog …``): seeds, a generated month of daily snapshots with
known ground truth, real arXiv revisions, crash safety, idempotency, concurrency and errors."""

from __future__ import annotations

import itertools
import json
import os
import pickle
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neardup
from conftest import REPO, SEED_NEW, SEED_OLD
from neardup import Catalog, CatalogError, Entry, Snapshot
from neardup.catalog import SCHEMA_VERSION
from neardup.catalog.dates import parse_day
from neardup.cli import cli, main
from neardup.cli_catalog import catalog as catalog_group

# ---- helpers -------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _catalog_command() -> Iterator[None]:
    """Makes ``neardup catalog`` reachable through `neardup.cli.main` (registered in memory only if the
    CLI does not register it yet)."""
    registered = "catalog" in cli.commands
    if not registered:
        cli.add_command(catalog_group)
    yield
    if not registered:
        cli.commands.pop("catalog", None)


# A child process runs the CLI with the catalog group registered the same way.
_CHILD_PRELUDE = (
    "import sys\n"
    "from neardup.cli import cli, main\n"
    "from neardup.cli_catalog import catalog\n"
    "if 'catalog' not in cli.commands:\n"
    "    cli.add_command(catalog)\n"
)


def _child(code: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD_PRELUDE + code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )


_RUN_MAIN = "raise SystemExit(main(sys.argv[1:]))\n"


def _sightings(cat: Catalog) -> dict[tuple[int, int], int]:
    """(snapshot id, position) -> paper id, for every sighting."""
    out = {}
    for p in cat.papers():
        for s in cat.history(p.id).sightings:
            out[(s.snapshot, s.position)] = p.id
    return out


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def _consistent(path: Path) -> None:
    """Integrity, and only whole snapshots: every snapshot's sightings equal its entry count, and the
    papers' running counts equal what the rows say."""
    assert _integrity(path) == "ok"
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for sid, entries in conn.execute("SELECT id, entries FROM snapshot"):
            seen = conn.execute("SELECT count(*) FROM sighting WHERE snapshot = ?", (sid,)).fetchone()[0]
            assert seen == entries
        bad = conn.execute(
            "SELECT count(*) FROM paper AS p WHERE p.sightings != "
            "(SELECT count(*) FROM sighting AS s WHERE s.paper = p.id) OR p.versions != "
            "(SELECT count(*) FROM version AS v WHERE v.paper = p.id)"
        ).fetchone()[0]
        assert bad == 0
        orphans = conn.execute(
            "SELECT count(*) FROM sighting WHERE snapshot NOT IN (SELECT id FROM snapshot)"
        ).fetchone()[0]
        assert orphans == 0
    finally:
        conn.close()


_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


class _Words:
    """Invented words with Zipfian frequencies: abstract-like texts that are unrelated unless copied."""

    def __init__(self, rng: random.Random, n: int = 6000) -> None:
        self.rng = rng
        vocab: set[str] = set()
        while len(vocab) < n:
            vocab.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
        self.vocab = sorted(vocab)
        self.cum = list(itertools.accumulate(1.0 / (i + 1) for i in range(n)))

    def text(self, lo: int, hi: int) -> str:
        words = self.rng.choices(self.vocab, cum_weights=self.cum, k=self.rng.randint(lo, hi))
        return " ".join(words).capitalize()

    def edit(self, text: str, rate: float) -> str:
        """Replaces, deletes or inserts about `rate` of the words."""
        words = text.split()
        for _ in range(max(1, round(len(words) * rate))):
            i = self.rng.randrange(len(words))
            op = self.rng.random()
            if op < 0.5:
                words[i] = self.rng.choice(self.vocab)
            elif op < 0.75 and len(words) > 3:
                del words[i]
            else:
                words.insert(i, self.rng.choice(self.vocab))
        return " ".join(words)


def _write_jsonl(path: Path, entries: list[dict[str, object]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for e in entries:
            fh.write(json.dumps(e) + "\n")
    return path


def _big_jsonl(path: Path, n: int, seed: int) -> Path:
    words = _Words(random.Random(seed))
    return _write_jsonl(
        path,
        [
            {"id": f"{2400 + seed:04d}.{i:05d}", "title": words.text(6, 10), "abstract": words.text(80, 120)}
            for i in range(n)
        ],
    )


# ---- the seeds ----------------------------------------------------------------------------------------


def test_seeds_give_118_papers_39_seen_twice_none_revised(tmp_path: Path) -> None:
    old, new = neardup.read_snapshot(SEED_OLD), neardup.read_snapshot(SEED_NEW)
    with Catalog(tmp_path / "c.db") as cat:
        r1, r2 = cat.add(old), cat.add(new)
        papers = cat.papers()
        sightings = _sightings(cat)
        snaps = cat.snapshots()
    assert (r1.new_papers, r1.new_versions, r1.sightings) == (92, 0, 92)
    assert (r2.new_papers, r2.new_versions, r2.sightings) == (26, 0, 65)
    assert len(papers) == 118
    assert sum(p.sightings == 2 for p in papers) == 39
    assert sum(p.sightings == 1 for p in papers) == 79
    assert sum(p.versions >= 2 for p in papers) == 0
    # The same papers as `neardup diff` matches.
    d = neardup.compare(old, new)
    pairs = {(m.old.position, m.new.position) for m in (*d.unchanged, *d.changed)}
    assert pairs == {(i, j) for i in range(92) for j in range(65) if sightings[(1, i)] == sightings[(2, j)]}
    # (Listed by date: "Jul 30" and "Dec 10" have no year, so their order depends on today's date.)
    assert sorted((s.id, s.path, s.entries, s.format) for s in snaps) == [
        (1, str(SEED_OLD), 92, "hf-text"),
        (2, str(SEED_NEW), 65, "hf-text"),
    ]
    assert len({s.hash for s in snaps}) == 2
    # Look-alike titles stay two papers.
    titles = [p.title for p in papers]
    assert sum("Offline Model-Based Reinforcement Learning" in t for t in titles) >= 2


def test_adding_a_snapshot_again_changes_nothing(tmp_path: Path) -> None:
    snap = neardup.read_snapshot(SEED_OLD)
    with Catalog(tmp_path / "c.db") as cat:
        first = cat.add(snap)
        before = cat.counts()
        again = cat.add(neardup.read_snapshot(SEED_OLD))
        moved = cat.add(Snapshot(snap.entries, date=snap.date, path="elsewhere.txt"))
        assert cat.counts() == before
    assert not first.already_ingested
    assert again.already_ingested and moved.already_ingested
    assert again.snapshot_id == first.snapshot_id == 1
    assert again.hash == first.hash and (again.new_papers, again.sightings) == (0, 0)
    assert "already ingested" in again.summary_line()


def test_metadata_alone_never_makes_a_version(tmp_path: Path) -> None:
    a = Snapshot([Entry("A study of things", "We study things.", upvotes=1, authors_count=3)])
    b = Snapshot(
        [
            Entry(
                "A  study of things ",
                "We study\nthings.",
                upvotes=9,
                authors_count=4,
                published="Jul 3",
                organization="Org",
                version=2,
            )
        ]
    )
    with Catalog(tmp_path / "c.db") as cat:
        cat.add(a)
        r = cat.add(b)
        (paper,) = cat.papers()
        h = cat.history(paper.id)
    assert (r.new_papers, r.new_versions, r.sightings) == (0, 0, 1)
    assert paper.versions == 1 and paper.sightings == 2
    assert [s.upvotes for s in h.sightings] == [1, 9]
    assert h.sightings[1].meta["organization"] == "Org"


def test_duplicates_within_a_snapshot_are_sightings_of_one_paper(tmp_path: Path) -> None:
    entries = [
        Entry(
            "Graph networks for traffic", "We forecast traffic with graph networks.", key="arxiv:2401.00001"
        ),
        Entry("Ocean temperatures", "Arctic ocean temperatures rise."),
        Entry("Graph Networks for Traffic", "We forecast traffic with graph networks.", upvotes=4),
    ]
    with Catalog(tmp_path / "c.db") as cat:
        r = cat.add(Snapshot(entries))
        papers = cat.papers()
        h = cat.history("arxiv:2401.00001")
    assert (r.new_papers, r.sightings, r.duplicates) == (2, 3, 1)
    assert len(papers) == 2
    assert [(s.position, s.how) for s in h.sightings] == [(0, "new"), (2, "duplicate")]


def test_empty_snapshot(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.db") as cat:
        r = cat.add(Snapshot([], date="2024-07-01"))
        assert (r.entries, r.new_papers, r.sightings) == (0, 0, 0)
        assert cat.papers() == [] and len(cat.snapshots()) == 1
        assert cat.add(Snapshot([], date="2024-07-01")).already_ingested


def test_different_keys_with_one_title_are_different_papers(tmp_path: Path) -> None:
    a = Snapshot([Entry("Introduction", "Text one about cats.", key="arxiv:2401.00001")])
    b = Snapshot([Entry("Introduction", "Text two about dogs.", key="arxiv:2401.00002")])
    with Catalog(tmp_path / "c.db") as cat:
        cat.add(a)
        r = cat.add(b)
    assert r.new_papers == 1


def test_history_has_word_diffs_between_versions(tmp_path: Path) -> None:
    v1 = Entry("Fast sorting", "We sort numbers quickly with a new method.", key="arxiv:2402.00001")
    v2 = Entry("Fast sorting", "We sort integers quickly with a simple new method.", key="arxiv:2402.00001")
    v3 = Entry("Faster sorting", "We sort integers quickly with a simple new method.")
    with Catalog(tmp_path / "c.db") as cat:
        for i, e in enumerate((v1, v2, v3)):
            cat.add(Snapshot([e], date=f"2024-07-0{i + 1}"))
        h = cat.history(1)
        by_key = cat.history("2402.00001")
    assert by_key == h
    assert [v.number for v in h.versions] == [1, 2, 3]
    assert [v.how for v in h.versions] == ["new", "key", "near"]
    assert h.versions[0].changes == {}
    assert set(h.versions[1].changes) == {"abstract"}
    assert set(h.versions[2].changes) == {"title"}
    d = h.versions[1].changes["abstract"]
    assert d.old == v1.abstract and d.new == v2.abstract and "integers" in d.render("plain")
    assert h.paper.versions == 3 and h.paper.title == "Faster sorting"
    assert [v.day for v in h.versions] == ["2024-07-01", "2024-07-02", "2024-07-03"]
    json.dumps(h.to_dict())


def test_papers_since(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.db") as cat:
        cat.add(Snapshot([Entry("Paper one", "Alpha beta gamma.")], date="2024-07-01"))
        cat.add(Snapshot([Entry("Paper two", "Delta epsilon zeta.")], date="Jul 10, 2024"))
        cat.add(Snapshot([Entry("Paper one", "Alpha beta gamma.")]), date="2024-07-20")
        assert [p.title for p in cat.papers(since="2024-07-05")] == ["Paper one", "Paper two"]
        assert [p.title for p in cat.papers(since="2024-07-11")] == ["Paper one"]
        assert cat.papers(since="2024-08-01") == []
        one = cat.papers()[0]
        assert (one.first_day, one.last_day, one.first_snapshot, one.last_snapshot) == (
            "2024-07-01",
            "2024-07-20",
            1,
            3,
        )
        with pytest.raises(ValueError, match="since"):
            cat.papers(since="not a date")


def test_parse_day() -> None:
    assert parse_day("Jul 30", default_year=2024) == "2024-07-30"
    assert parse_day("Oct 15, 2023", default_year=2024) == "2023-10-15"
    assert parse_day("2024-02-29T10:00:00Z", default_year=2000) == "2024-02-29"
    assert parse_day("Tue, 30 Jul 2024 00:00:00 -0400", default_year=2000) == "2024-07-30"
    assert parse_day("30 July 2024", default_year=2000) == "2024-07-30"
    assert parse_day("Feb 30", default_year=2024) is None
    assert parse_day("soon", default_year=2024) is None
    assert parse_day(None, default_year=2024) is None


# ---- a generated month with ground truth ---------------------------------------------------------------


@dataclass
class _Truth:
    snapshots: list[Snapshot] = field(default_factory=list)
    #: (day, position) -> true paper
    paper_of: dict[tuple[int, int], int] = field(default_factory=dict)
    #: true paper -> its texts (title, abstract) in order
    versions: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


def _daily_sequence(seed: int = 11, days: int = 30, start: int = 40) -> _Truth:
    """Daily listings: each day drops some papers, adds new ones, revises a few abstracts (some titles
    too), re-lists a few dropped ones, sometimes lists one paper twice, and changes upvotes and author
    counts; 30% of listings carry no arXiv id."""
    rng = random.Random(seed)
    words = _Words(rng)
    truth = _Truth()
    texts: list[list[str]] = []  # current [title, abstract] per paper
    upvotes: list[int] = []

    def new_paper() -> int:
        texts.append([words.text(5, 10), words.text(60, 110) + "."])
        upvotes.append(rng.randint(0, 10))
        return len(texts) - 1

    listed = [new_paper() for _ in range(start)]
    for day in range(days):
        if day:
            dropped = set(rng.sample(listed, rng.randint(2, 6)))
            listed = [i for i in listed if i not in dropped]
            gone = sorted(set(range(len(texts))) - set(listed) - dropped)
            listed += rng.sample(gone, min(len(gone), rng.randint(0, 3)))
            listed += [new_paper() for _ in range(rng.randint(2, 6))]
            for i in rng.sample(listed, 3):
                texts[i][1] = words.edit(texts[i][1], 0.08)
                if rng.random() < 0.4:
                    texts[i][0] = words.edit(texts[i][0], 0.3)
            rng.shuffle(listed)
        order = list(listed)
        if day % 3 == 2:
            order.insert(rng.randrange(len(order) + 1), rng.choice(listed))
        entries = []
        for position, i in enumerate(order):
            title, abstract = texts[i]
            history = truth.versions.setdefault(i, [])
            if not history or history[-1] != (title, abstract):
                history.append((title, abstract))
            upvotes[i] += rng.randint(-1, 6)
            key = f"arxiv:2407.{i:05d}" if rng.random() >= 0.3 else None
            entries.append(
                Entry(title, abstract, key=key, upvotes=upvotes[i], authors_count=rng.randint(1, 9))
            )
            truth.paper_of[(day, position)] = i
        truth.snapshots.append(Snapshot(entries, date=f"2024-07-{day + 1:02d}", path=f"day-{day + 1:02d}"))
    return truth


def test_generated_month_matches_ground_truth_exactly(tmp_path: Path) -> None:
    truth = _daily_sequence()
    with Catalog(tmp_path / "c.db") as cat:
        results = [cat.add(s) for s in truth.snapshots]
        sightings = _sightings(cat)
        histories = {p.id: cat.history(p.id) for p in cat.papers()}
    # Papers: the same partition of all sightings.
    got: dict[int, set[tuple[int, int]]] = defaultdict(set)
    want: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for (snap, position), paper in sightings.items():
        got[paper].add((snap - 1, position))
    for where, paper in truth.paper_of.items():
        want[paper].add(where)
    assert sorted(map(sorted, got.values())) == sorted(map(sorted, want.values()))
    # Versions: each paper's texts, in order.
    for paper, where in got.items():
        true_paper = truth.paper_of[min(where)]
        versions = [(v.title, v.abstract) for v in histories[paper].versions]
        assert versions == truth.versions[true_paper], paper
        assert histories[paper].paper.sightings == len(where)
    # The sequence exercised every stage, revisions and repeats.
    assert sum(r.new_versions for r in results) == sum(len(v) - 1 for v in truth.versions.values()) > 40
    assert all(sum(r.matched.get(stage, 0) for r in results) > 0 for stage in ("key", "title", "near"))
    assert sum(r.duplicates for r in results) == 10
    assert len(histories) == len(truth.versions)


_POOL_WORDS = _Words(random.Random(21))
_POOL = [
    (title, (abstract, _POOL_WORDS.edit(abstract, 0.1)))
    for title, abstract in ((_POOL_WORDS.text(5, 8), _POOL_WORDS.text(70, 90)) for _ in range(8))
]

# A listing: (paper, variant of its abstract, with key?, upvotes) per entry.
_listing = st.lists(
    st.tuples(st.integers(0, len(_POOL) - 1), st.integers(0, 1), st.booleans(), st.integers(0, 50)),
    max_size=10,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_listing, min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_any_sequence_of_listings_gives_the_true_papers_and_versions(
    days: list[list[tuple[int, int, bool, int]]], rng: random.Random
) -> None:
    """Whatever order the dated listings are added in (backfills included), each paper's versions are
    its distinct texts in date order, its first/last days are those of its listings, and its current
    text is the one of its latest listing."""
    truth_versions: dict[int, list[str]] = {}
    truth_paper: dict[tuple[int, int], int] = {}
    truth_days: dict[int, list[int]] = defaultdict(list)
    truth_last: dict[int, str] = {}
    snapshots = []
    for day, listing in enumerate(days):
        variant_today: dict[int, int] = {}
        entries = []
        for position, (paper, variant, keyed, upvotes) in enumerate(listing):
            truth_paper[(day, position)] = paper
            # One text per paper per snapshot (two different texts of one paper on one day would
            # be two listings of different versions, which no digest does).
            variant = variant_today.setdefault(paper, variant)
            title, abstracts = _POOL[paper]
            key = f"arxiv:2405.{paper:05d}" if keyed else None
            entries.append(Entry(title, abstracts[variant], key=key, upvotes=upvotes))
        for paper, variant in variant_today.items():
            history = truth_versions.setdefault(paper, [])
            if _POOL[paper][1][variant] not in history:
                history.append(_POOL[paper][1][variant])
            truth_days[paper].append(day)
            truth_last[paper] = _POOL[paper][1][variant]
        snapshots.append(Snapshot(entries, date=f"2024-07-{day + 1:02d}"))
    order = list(range(len(days)))
    rng.shuffle(order)
    with tempfile.TemporaryDirectory() as tmp, Catalog(Path(tmp) / "c.db") as cat:
        day_of: dict[int, int] = {}
        for day in order:
            result = cat.add(snapshots[day])
            assert not result.already_ingested and result.sightings == len(days[day])
            day_of[result.snapshot_id] = day
        assert [day_of[s.id] for s in cat.snapshots()] == sorted(order)
        sightings = _sightings(cat)
        got: dict[int, set[tuple[int, int]]] = defaultdict(set)
        for (snap, position), pid in sightings.items():
            got[pid].add((day_of[snap], position))
        assert sum(s.entries for s in cat.snapshots()) == len(sightings) == len(truth_paper)
        papers_of = {pid: {truth_paper[w] for w in where} for pid, where in got.items()}
        assert all(len(ps) == 1 for ps in papers_of.values())  # no two pool papers merged
        assert len(papers_of) == len(truth_versions)  # and none split
        for pid, (paper,) in papers_of.items():
            history = cat.history(pid)
            assert [v.abstract for v in history.versions] == truth_versions[paper]
            assert [v.number for v in history.versions] == list(range(1, len(truth_versions[paper]) + 1))
            record = history.paper
            assert (day_of[record.first_snapshot], day_of[record.last_snapshot]) == (
                truth_days[paper][0],
                truth_days[paper][-1],
            )
            # The current version: the one the paper's latest listing showed (what `current_version`
            # holds; read from the database, the public records show it only through sightings).
            conn = sqlite3.connect(Path(tmp) / "c.db")
            (current,) = conn.execute(
                "SELECT v.abstract FROM paper AS p JOIN version AS v ON v.id = p.current_version "
                "WHERE p.id = ?",
                (pid,),
            ).fetchone()
            conn.close()
            assert current == truth_last[paper]


# ---- real revisions ------------------------------------------------------------------------------------


def _rounds(revisions: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    by_depth: dict[object, list[dict[str, object]]] = defaultdict(list)
    for r in revisions:
        by_depth[r["revision_depth"]].append(r)
    return [by_depth[k] for k in sorted(by_depth, key=str)]


def test_real_revisions_become_versions_of_the_same_papers(
    tmp_path: Path, revisions: list[dict[str, object]]
) -> None:
    found = total = 0
    for depth, rs in enumerate(_rounds(revisions)):
        before = Snapshot([Entry("", str(r["before"])) for r in rs], date="2024-07-01")
        after = Snapshot([Entry("", str(r["after"])) for r in rs], date="2024-07-02")
        with Catalog(tmp_path / f"rev-{depth}.db") as cat:
            cat.add(before)
            r2 = cat.add(after)
            sightings = _sightings(cat)
            papers = cat.papers()
        same = {j for j in range(len(rs)) if sightings[(1, j)] == sightings[(2, j)]}
        # Never the wrong partner: an after-text either joins its own before-text or is a new paper.
        assert all(
            sightings[(2, j)] == sightings[(1, j)] or sightings[(2, j)] > len(rs) for j in range(len(rs))
        )
        assert r2.new_versions == len(same) and r2.new_papers == len(rs) - len(same)
        assert sum(p.versions == 2 for p in papers) == len(same)
        # The same pairs as `neardup diff` finds.
        d = neardup.compare(before, after)
        assert {m.new.position for m in d.changed if m.old.position == m.new.position} == same
        found += len(same)
        total += len(rs)
    assert found / total >= 0.95


# ---- crash safety, concurrency ------------------------------------------------------------------------


_KILL_INSIDE = (
    "import time\n"
    "from neardup.catalog import ingest\n"
    "_result = ingest.AddResult\n"
    "def result(**kw):\n"
    "    if kw['sightings'] > 1000:\n"
    "        print('inside', flush=True)\n"
    "        time.sleep(120)\n"
    "    return _result(**kw)\n"
    "ingest.AddResult = result\n"
) + _RUN_MAIN


def test_sigkill_in_the_middle_of_an_add_leaves_whole_snapshots(tmp_path: Path) -> None:
    small = _big_jsonl(tmp_path / "small.jsonl", 300, 1)
    big = _big_jsonl(tmp_path / "big.jsonl", 3000, 2)
    db = tmp_path / "c.db"
    assert main(["catalog", "add", str(db), str(small)]) == 0
    # Killed after the big snapshot's rows are written, before its commit.
    child = _child(_KILL_INSIDE, "catalog", "add", str(db), str(big))
    assert child.stdout is not None
    assert child.stdout.readline() == b"inside\n"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    _consistent(db)
    with Catalog(db) as cat:
        assert [s.entries for s in cat.snapshots()] == [300]
        assert cat.counts() == {"snapshots": 1, "papers": 300, "versions": 300, "sightings": 300}
    # Killed at arbitrary moments (before, during or after the transaction): still whole snapshots.
    for delay in (0.3, 0.8, 1.5):
        child = _child(_RUN_MAIN, "catalog", "add", str(db), str(big))
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        _consistent(db)
        with Catalog(db) as cat:
            assert [s.entries for s in cat.snapshots()] in ([300], [300, 3000])
    # Adding again completes with the right counts (or says it is in already).
    assert main(["catalog", "add", str(db), str(big)]) == 0
    _consistent(db)
    with Catalog(db) as cat:
        assert cat.counts() == {"snapshots": 2, "papers": 3300, "versions": 3300, "sightings": 3300}
        assert [(s.entries, s.new_papers) for s in cat.snapshots()] == [(300, 300), (3000, 3000)]


def test_two_processes_adding_at_once(tmp_path: Path) -> None:
    files = [_big_jsonl(tmp_path / f"s{i}.jsonl", 1500, 10 + i) for i in range(2)]
    for timeout in ("30", "0"):
        db = tmp_path / f"c-{timeout}.db"
        children = [_child(_RUN_MAIN, "catalog", "add", "--timeout", timeout, str(db), str(f)) for f in files]
        outcomes = [(c.wait(timeout=300), c.communicate()) for c in children]
        for code, (_out, err) in outcomes:
            assert code in (0, 2), err
            if code == 2:
                assert b"database is busy" in err and err.count(b"\n") == 1
        if timeout == "30":
            assert [code for code, _ in outcomes] == [0, 0]
        if db.exists() and any(code == 0 for code, _ in outcomes):
            _consistent(db)
        elif db.exists():
            # Both refused as busy (with no wait, even creating the schema can collide): nothing was
            # written, and the file is still a sound (empty) database.
            assert _integrity(db) == "ok"
        # Whatever happened, adding both again completes the catalog.
        assert main(["catalog", "add", str(db), *map(str, files)]) == 0
        _consistent(db)
        with Catalog(db) as cat:
            assert cat.counts() == {"snapshots": 2, "papers": 3000, "versions": 3000, "sightings": 3000}


def test_busy_database_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "c.db"
    Catalog(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Catalog(db, timeout=0.1) as cat, pytest.raises(CatalogError, match="database is busy"):
            cat.add(neardup.read_snapshot(SEED_OLD))
        # Readers are not blocked by a writer.
        with Catalog(db, timeout=0.1) as cat:
            assert cat.papers() == []
        capsys.readouterr()
        assert main(["catalog", "add", "--timeout", "0.1", str(db), str(SEED_OLD)]) == 2
        err = capsys.readouterr().err
        assert "database is busy" in err and err.count("\n") == 1
    finally:
        holder.rollback()
        holder.close()
    assert main(["catalog", "add", str(db), str(SEED_OLD)]) == 0


def test_threads_with_their_own_catalogs(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    Catalog(db).close()
    snaps = [neardup.read_snapshot(SEED_OLD), neardup.read_snapshot(SEED_NEW)]
    errors: list[BaseException] = []

    def work(snap: Snapshot) -> None:
        try:
            with Catalog(db) as cat:
                cat.add(snap)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in snaps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _consistent(db)
    with Catalog(db) as cat:
        assert len(cat.papers()) == 118


# ---- errors ---------------------------------------------------------------------------------------------


def test_not_a_catalog_and_newer_schema_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("just some text, long enough to fill an SQLite header.\n" * 10)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    Catalog(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    cases = [
        (text, "not a neardup catalog"),
        (other, "not a neardup catalog"),
        (newer, "newer than this neardup supports"),
        (tmp_path / "missing.db", "no such catalog"),
        (tmp_path, "not a neardup catalog"),
    ]
    for path, message in cases:
        with pytest.raises(CatalogError, match=message):
            Catalog(path, create=False)
        for command in (["papers", str(path)], ["snapshots", str(path)], ["add", str(path), str(SEED_OLD)]):
            if path.name == "missing.db" and command[0] == "add":
                continue
            capsys.readouterr()
            assert main(["catalog", *command]) == 2
            err = capsys.readouterr().err
            assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert text.read_text().startswith("just some text")  # untouched
    assert not (tmp_path / "missing.db").exists()


def test_unknown_paper_bad_since_and_closed_catalog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "c.db"
    assert main(["catalog", "add", str(db), str(SEED_OLD)]) == 0
    capsys.readouterr()
    assert main(["catalog", "show", str(db), "9999"]) == 2
    assert "no paper '9999'" in capsys.readouterr().err
    assert main(["catalog", "papers", str(db), "--since", "someday"]) == 2
    assert "since" in capsys.readouterr().err
    assert main(["catalog", "add", "--date", "2024-07-01", str(db), str(SEED_OLD), str(SEED_NEW)]) == 2
    cat = Catalog(db)
    cat.close()
    cat.close()
    with pytest.raises(CatalogError, match="closed"):
        cat.papers()
    with pytest.raises(TypeError):
        Catalog(db).add([Entry("x")])  # type: ignore[arg-type]


def test_catalog_error_pickles() -> None:
    err = CatalogError("x.db", "database is busy")
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, CatalogError) and isinstance(back, neardup.NeardupError)
    assert (back.path, back.reason, str(back)) == ("x.db", "database is busy", "x.db: database is busy")


# ---- the near stage: the engine's rule ------------------------------------------------------------------


def _near_add(tmp_path: Path, known: list[Entry], new: list[Entry]) -> tuple[dict[str, int], list[int]]:
    """Adds `known` then `new` to a fresh catalog: the second add's matches by stage, and how many versions
    each known paper has after it."""
    tmp_path.mkdir(exist_ok=True)
    with Catalog(tmp_path / "c.db") as cat:
        cat.add(Snapshot(known, date="2024-07-01"))
        r = cat.add(Snapshot(new, date="2024-07-02"))
        return r.matched, [len(cat.history(p).versions) for p in range(1, len(known) + 1)]


def test_near_stage_finds_a_revision_with_a_new_title(tmp_path: Path) -> None:
    words = _Words(random.Random(3))
    abstracts = [words.text(80, 100) for _ in range(30)]
    known = [Entry(f"Title {i} {words.text(4, 6)}", a) for i, a in enumerate(abstracts)]
    revised = [Entry(f"Renamed {i} {words.text(4, 6)}", words.edit(a, 0.1)) for i, a in enumerate(abstracts)]
    matched, versions = _near_add(tmp_path, known, revised)
    assert matched["near"] == 30 and versions == [2] * 30


def test_near_stage_refuses_a_pair_that_is_not_clearly_the_best(tmp_path: Path) -> None:
    """Two known reports nearly as close to one new entry (the margin): the catalog merges neither, as
    `neardup.compare` does; with one of them alone the new entry is its revision."""
    words = _Words(random.Random(5))
    base = words.text(80, 100)
    a = Entry("Challenge report on image restoration", words.edit(base, 0.05))
    b = Entry("Challenge report on image restoration methods", words.edit(base, 0.05))
    new = Entry("Report of the image restoration challenge", base)
    assert _near_add(tmp_path / "both", [a, b], [new])[0]["near"] == 0
    d = neardup.compare(Snapshot([a, b]), Snapshot([new]))
    assert not d.changed and not d.unchanged
    assert _near_add(tmp_path / "one", [a], [new])[0]["near"] == 1


def test_near_stage_never_pairs_different_keys(tmp_path: Path) -> None:
    words = _Words(random.Random(6))
    text = words.text(80, 100)
    known = [Entry("A study of things", text, key="doi:10.1/a")]
    other = Entry("A study of many things", text, key="doi:10.1/b")
    assert _near_add(tmp_path / "k", known, [other])[0]["near"] == 0
    assert _near_add(tmp_path / "n", known, [Entry(other.title, text)])[0]["near"] == 1


def test_near_stage_reads_authors(tmp_path: Path) -> None:
    """Title and authors only (no abstracts): the authors, respelled and reordered, decide between two
    papers of one title (kept apart by their keys)."""
    title = "Query optimization in distributed databases"
    known = [
        Entry(title, "", key="doi:10.1/a", authors=("Carl Berg", "Dan Roe")),
        Entry(title, "", key="doi:10.1/b", authors=("Ann Smith", "Bo Li")),
    ]
    new = [Entry("Query optimization for distributed databases", "", authors=("Li, B.", "Smith, A."))]
    matched, versions = _near_add(tmp_path, known, new)
    assert matched["near"] == 1 and versions == [1, 2]


def test_old_catalog_near_index_is_dropped(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with Catalog(db) as cat:
        cat.add(Snapshot([Entry("One", "alpha beta")], date="2024-07-01"))
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE near_posting (k INTEGER, paper INTEGER)")
    conn.execute("INSERT INTO meta(name, value) VALUES('near_index', '{}')")
    conn.commit()
    conn.close()
    with Catalog(db) as cat:
        cat.add(Snapshot([Entry("Two", "gamma delta")], date="2024-07-02"))
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'near%'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM meta WHERE name = 'near_index'").fetchone()[0] == 0
    conn.close()


# ---- the CLI --------------------------------------------------------------------------------------------


def test_cli_add_papers_show_snapshots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.db")
    capsys.readouterr()
    assert main(["catalog", "add", db, str(SEED_OLD), str(SEED_NEW), str(SEED_OLD)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("snapshot 1, 92 entries: 92 new papers, 0 new versions, 92 sightings")
    assert lines[1].endswith("snapshot 2, 65 entries: 26 new papers, 0 new versions, 65 sightings")
    assert "already ingested" in lines[2]

    assert main(["catalog", "papers", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ID", "VERSIONS", "SIGHTINGS", "FIRST", "LAST", "KEY", "TITLE"]
    assert len(out) == 119

    assert main(["catalog", "papers", db, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 118 and sum(r["sightings"] == 2 for r in rows) == 39
    assert list(rows[0]) == [
        "id",
        "key",
        "title",
        "first_snapshot",
        "last_snapshot",
        "first_day",
        "last_day",
        "sightings",
        "versions",
    ]

    assert main(["catalog", "show", db, "1"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("paper 1: ") and "== version 1: snapshot " in text and "== sightings ==" in text
    assert main(["catalog", "show", db, "1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["paper"]["id"] == 1

    assert main(["catalog", "snapshots", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["ID", "DAY", "ENTRIES"] and len(out) == 3
    assert main(["catalog", "snapshots", db, "--format", "json"]) == 0
    snaps = json.loads(capsys.readouterr().out)
    assert sorted((s["id"], s["entries"]) for s in snaps) == [(1, 92), (2, 65)]


def test_cli_show_renders_word_diffs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.db")
    a = _write_jsonl(tmp_path / "a.jsonl", [{"id": "2401.00001", "title": "T", "abstract": "one two three"}])
    b = _write_jsonl(tmp_path / "b.jsonl", [{"id": "2401.00001v2", "title": "T", "abstract": "one 2 three"}])
    assert main(["catalog", "add", "--format", "json", db, str(a), str(b)]) == 0
    added = json.loads(capsys.readouterr().out)
    assert [r["new_versions"] for r in added] == [0, 1]
    assert main(["catalog", "show", db, "arxiv:2401.00001", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "abstract: one [-two-]{+2+} three" in out and "title: (unchanged)" in out
    assert main(["catalog", "show", db, "2401.00001", "--color", "always"]) == 0
    assert "\x1b[" in capsys.readouterr().out
    assert main(["catalog", "show", db, "1", "--word-diff", "porcelain"]) == 0
    assert "    -two" in capsys.readouterr().out


def test_cli_output_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outs = []
    for run in range(2):
        db = str(tmp_path / f"c{run}.db")
        main(["catalog", "add", db, str(SEED_OLD), str(SEED_NEW)])
        capsys.readouterr()
        main(["catalog", "papers", db, "--format", "json"])
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]


def test_catalog_help_lists_the_commands() -> None:
    r = subprocess.run(
        [sys.executable, "-c", _CHILD_PRELUDE + _RUN_MAIN, "catalog", "--help"],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert r.returncode == 0
    for command in (b"add", b"papers", b"show", b"snapshots"):
        assert command in r.stdout


# ---- the columnar road -------------------------------------------------------------------------------


def _listing(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


_RECORDS: list[dict[str, object]] = [
    {
        "id": "2401.00001",
        "title": "Graph networks for traffic",
        "abstract": "We forecast traffic.",
        "upvotes": 3,
    },
    {
        "title": "Ocean temperatures",
        "abstract": "Arctic ocean temperatures rise.",
        "authors": ["Ann One", "Bob Two"],
        "categories": "physics.ao-ph",
        "year": 2024,
        "note": {"seen": [1, 2.5]},
    },
    {"title": "Graph Networks for Traffic", "abstract": "We forecast traffic.", "upvotes": 4},
]


def test_a_file_the_core_reads_is_added_as_its_snapshot_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _listing(tmp_path / "s.jsonl", _RECORDS)
    snapshot = neardup.read_snapshot(path)
    with Catalog(tmp_path / "a.db") as a:
        by_entries = a.add(snapshot, date="2024-07-01")
        entries_history = [a.history(p.id) for p in a.papers()]
    # The core reads the file into columns: no `Snapshot` of entries is made on this road.
    monkeypatch.setattr(neardup.formats, "read_snapshot", lambda *a, **k: pytest.fail("read by Python"))
    with Catalog(tmp_path / "b.db") as b:
        by_file = b.add_file(path, date="2024-07-01")
        file_history = [b.history(p.id) for p in b.papers()]
        # One content hash for both roads: the same listing is recognised whichever way it came.
        assert b.add(snapshot, date="2024-07-01").already_ingested
    assert by_file.to_dict() == by_entries.to_dict()
    assert (by_file.new_papers, by_file.duplicates) == (2, 1)
    assert file_history == entries_history
    ocean = file_history[1].sightings[0].meta
    assert ocean["authors"] == ["Ann One", "Bob Two"] and ocean["line"] == 2
    assert ocean["extra"] == {"categories": "physics.ao-ph", "note": {"seen": [1, 2.5]}, "year": 2024}
    assert [s.upvotes for s in file_history[0].sightings] == [3, 4]


def test_a_pipe_is_added_through_the_core_under_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO (or standard input) is spooled to a temporary file that the core reads: the same papers as
    from the file, the snapshot named as given, and no copy left behind."""
    import subprocess

    path = _listing(tmp_path / "s.jsonl", _RECORDS)
    with Catalog(tmp_path / "a.db") as a:
        want = a.add_file(path, date="2024-07-01").to_dict()
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    monkeypatch.setenv("TMPDIR", str(spool_dir))
    monkeypatch.setattr("tempfile.tempdir", None)
    monkeypatch.setattr(neardup.formats, "read_snapshot", lambda *a, **k: pytest.fail("read by Python"))
    fifo = tmp_path / "s.fifo"
    os.mkfifo(fifo)
    feeder = subprocess.Popen(["sh", "-c", f'cat "{path}" > "{fifo}"'])
    with Catalog(tmp_path / "b.db") as b:
        got = b.add_file(str(fifo), date="2024-07-01").to_dict()
        shown = [s.path for s in b.snapshots()]
    assert feeder.wait() == 0
    assert shown == [str(fifo)]
    assert {k: v for k, v in got.items() if k != "path"} == {k: v for k, v in want.items() if k != "path"}
    assert list(spool_dir.iterdir()) == []


def test_a_text_equal_to_an_older_version_but_for_whitespace_is_that_version(tmp_path: Path) -> None:
    first = {"id": "2401.00001", "title": "Graph networks", "abstract": "We forecast road traffic."}
    revised = {**first, "abstract": "We forecast road and rail traffic."}
    spaced = {**first, "abstract": "We  forecast road\ntraffic. "}
    with Catalog(tmp_path / "c.db") as cat:
        for day, record in enumerate((first, revised, spaced, first), start=1):
            cat.add_file(_listing(tmp_path / f"{day}.jsonl", [record]), date=f"2024-07-0{day}")
        h = cat.history("arxiv:2401.00001")
    assert [v.number for v in h.versions] == [1, 2]
    assert [s.version for s in h.sightings] == [1, 2, 1, 1]


def test_a_count_beyond_64_bits_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = _listing(tmp_path / "s.jsonl", [{"title": "A"}, {"title": "B", "upvotes": 10**20}])
    with Catalog(tmp_path / "c.db") as cat:
        message = r"s\.jsonl:2: expected upvotes within 64 bits, got 1"
        with pytest.raises(neardup.SnapshotFormatError, match=message):
            cat.add_file(path)
        assert cat.counts()["snapshots"] == 0
