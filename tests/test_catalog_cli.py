"""The catalog's questions and answers (issue 19): date order and backfills, dates without a year, the same
listing on a new day, ``dropped``, ``show`` by title, every listing in text/json/md/html and to ``-o FILE``,
the progress bar of ``add`` on a terminal, and the upgrade of a schema-1 catalog."""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, write_jsonl
from neardup import Catalog, CatalogError, Entry, Snapshot, _core
from neardup.catalog import SCHEMA_VERSION, AmbiguousPaperError
from neardup.catalog.dates import parse_day
from neardup.cli import main

ABSTRACT = (
    "We study how model editing methods scale to thousands of simultaneous edits and find that "
    "a low-rank update applied to the middle layers keeps accuracy on unrelated prompts intact."
)


def _jsonl(path: Path, rows: list[dict[str, object]]) -> str:
    return str(write_jsonl(path, rows))


def _paper(n: int, title: str, abstract: str | None = None) -> dict[str, object]:
    return {
        "id": f"2408.{n:05d}",
        "title": title,
        "abstract": abstract or f"Paper {n} studies topic {n} with a method of its own, number {n}.",
    }


# ---- dates ----------------------------------------------------------------------------------------------


def test_a_date_without_a_year_is_the_latest_such_day_up_to_today() -> None:
    assert parse_day("Dec 10", today=dt.date(2027, 1, 5)) == "2026-12-10"
    assert parse_day("Dec 10", today=dt.date(2026, 12, 10)) == "2026-12-10"
    assert parse_day("Dec 10", today=dt.date(2026, 12, 9)) == "2025-12-10"
    assert parse_day("10 December", today=dt.date(2026, 12, 9)) == "2025-12-10"
    assert parse_day("Jul 30", today=dt.date(2026, 12, 6)) == "2026-07-30"
    assert parse_day("Feb 29", today=dt.date(2027, 3, 1)) == "2024-02-29"
    assert parse_day("Feb 30", today=dt.date(2027, 3, 1)) is None
    # A year given, or an explicit default year, is taken as it is.
    assert parse_day("Dec 10, 2030", today=dt.date(2026, 1, 1)) == "2030-12-10"
    assert parse_day("Dec 10", default_year=2030) == "2030-12-10"
    # With no `today`, it is today: never a day in the future.
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    day = parse_day(tomorrow.strftime("%b %d"))
    assert day is not None and day <= dt.datetime.now(dt.UTC).date().isoformat()


# ---- date order and backfills -------------------------------------------------------------------------


def test_a_backfilled_snapshot_takes_its_place_in_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 19: adding Aug 27, then Aug 6, made the older text current and said "first in snapshot 1
    (2025-08-27), last in snapshot 2 (2025-08-06)"."""
    db = str(tmp_path / "c.db")
    late = _jsonl(tmp_path / "late.jsonl", [_paper(1, "Fast Model Editing at Scale", ABSTRACT + " Revised.")])
    early = _jsonl(tmp_path / "early.jsonl", [_paper(1, "Fast Model Editing at Scale", ABSTRACT)])
    assert main(["catalog", "add", db, late, "--date", "2025-08-27"]) == 0
    assert main(["catalog", "add", db, early, "--date", "2025-08-06"]) == 0
    capsys.readouterr()
    assert main(["catalog", "show", db, "1", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "first in snapshot 2 (2025-08-06), last in snapshot 1 (2025-08-27)" in out
    # Version 1 is the older text (listed first by date), version 2 the revision, and it is current.
    assert "== version 1: snapshot 2 (2025-08-06)" in out and "== version 2: snapshot 1 (2025-08-27)" in out
    assert "abstract: " + ABSTRACT[:40] in out and "{+Revised.+}" in out
    sightings = out[out.index("== sightings ==") :].splitlines()[1:]
    # The earliest listing is the first sight; the later one was matched to it by key.
    assert [line.strip() for line in sightings] == [
        "snapshot 2 (2025-08-06) #0: version 1, new",
        "snapshot 1 (2025-08-27) #0: version 2, key",
    ]
    assert "== version 1: snapshot 2 (2025-08-06), first sight ==" in out
    assert "== version 2: snapshot 1 (2025-08-27), matched by key ==" in out
    with Catalog(db) as cat:
        assert [s.day for s in cat.snapshots()] == ["2025-08-06", "2025-08-27"]
        p = cat.paper(1)
        assert (p.first_snapshot, p.last_snapshot, p.versions) == (2, 1, 2)
        # The current version is what the latest listing showed.
        early_listed = [s.version for s in cat.history(1).sightings]
        assert early_listed == [1, 2]


def test_order_of_ingestion_does_not_change_the_catalog(tmp_path: Path) -> None:
    days = {
        "2025-08-01": [_paper(1, "Alpha", ABSTRACT), _paper(2, "Beta")],
        "2025-08-02": [_paper(1, "Alpha", ABSTRACT + " Second text."), _paper(3, "Gamma")],
        "2025-08-03": [_paper(1, "Alpha", ABSTRACT + " Third text."), _paper(2, "Beta")],
    }
    snaps = {
        d: Snapshot([Entry(r["title"], r["abstract"], key=f"arxiv:{r['id']}") for r in rows], date=d)
        for d, rows in days.items()
    }  # type: ignore[arg-type]

    def state(order: list[str]) -> list[tuple[object, ...]]:
        path = tmp_path / f"{'-'.join(order)}.db"
        with Catalog(path) as cat:
            ids = {d: cat.add(snaps[d]).snapshot_id for d in order}
            day_of = {v: k for k, v in ids.items()}
            out = []
            for p in sorted(cat.papers(), key=lambda p: p.key or ""):
                h = cat.history(p.id)
                out.append(
                    (
                        p.key,
                        p.title,
                        day_of[p.first_snapshot],
                        day_of[p.last_snapshot],
                        tuple((v.number, v.abstract, day_of[v.snapshot]) for v in h.versions),
                        tuple((day_of[s.snapshot], s.version) for s in h.sightings),
                    )
                )
            return out

    forward = state(["2025-08-01", "2025-08-02", "2025-08-03"])
    assert state(["2025-08-03", "2025-08-01", "2025-08-02"]) == forward
    assert state(["2025-08-02", "2025-08-03", "2025-08-01"]) == forward
    alpha = forward[0]
    assert alpha[2:4] == ("2025-08-01", "2025-08-03") and len(alpha[4]) == 3


def test_a_listing_returning_to_an_earlier_text_is_a_sighting_of_that_version(tmp_path: Path) -> None:
    a, b = ABSTRACT, ABSTRACT + " Revised."
    with Catalog(tmp_path / "c.db") as cat:
        for day, text in (("2025-08-01", a), ("2025-08-02", b), ("2025-08-03", a)):
            cat.add(Snapshot([Entry("Alpha", text, key="arxiv:2408.00001")], date=day))
        h = cat.history(1)
    assert [v.abstract for v in h.versions] == [a, b]
    assert [s.version for s in h.sightings] == [1, 2, 1]


# ---- the same listing on another day ------------------------------------------------------------------


def test_the_same_listing_on_a_new_day_is_a_sighting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.db")
    listing = _jsonl(tmp_path / "list.jsonl", [_paper(1, "Alpha"), _paper(2, "Beta")])
    assert main(["catalog", "add", db, listing, "--date", "2025-08-06"]) == 0
    assert main(["catalog", "add", db, listing, "--date", "2025-08-07"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].endswith("snapshot 2, 2 entries: 0 new papers, 0 new versions, 2 sightings")
    # The same listing on the same day again changes nothing.
    assert main(["catalog", "add", db, listing, "--date", "2025-08-07"]) == 0
    assert "already ingested as snapshot 2 of 2025-08-07" in capsys.readouterr().out
    with Catalog(db) as cat:
        assert cat.counts() == {"snapshots": 2, "papers": 2, "versions": 2, "sightings": 4}
        # A listing without any date is today's: once per day.
        undated = Snapshot([Entry("Alpha", "x", key="arxiv:2408.00001")])
        first, again = cat.add(undated), cat.add(undated)
        assert not first.already_ingested and again.already_ingested
        assert first.day == dt.datetime.now(dt.UTC).date().isoformat()
        with pytest.raises(ValueError, match="date"):
            cat.add(undated, date="someday")


# ---- dropped --------------------------------------------------------------------------------------------


@pytest.fixture()
def three_days(tmp_path: Path) -> str:
    """Papers 1-4 on Aug 1, 1-3 and 5 on Aug 2, 1 and 5 on Aug 3 (added out of order)."""
    db = str(tmp_path / "c.db")
    day3 = _jsonl(tmp_path / "d3.jsonl", [_paper(1, "Alpha"), _paper(5, "Epsilon")])
    day1 = _jsonl(
        tmp_path / "d1.jsonl", [_paper(i, t) for i, t in enumerate(("Alpha", "Beta", "Gamma", "Delta"), 1)]
    )
    day2 = _jsonl(
        tmp_path / "d2.jsonl",
        [_paper(1, "Alpha"), _paper(2, "Beta"), _paper(3, "Gamma"), _paper(5, "Epsilon")],
    )
    for path, day in ((day3, "2025-08-03"), (day1, "2025-08-01"), (day2, "2025-08-02")):
        assert main(["catalog", "add", db, path, "--date", day]) == 0
    return db


def _ids(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [row["key"] for row in json.loads(capsys.readouterr().out)]


def test_dropped_since_a_snapshot_or_a_date(three_days: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = three_days
    capsys.readouterr()
    # Default: in the snapshot before the latest (Aug 2), not in the latest (Aug 3).
    assert main(["catalog", "dropped", db, "--format", "json"]) == 0
    assert _ids(capsys) == ["arxiv:2408.00002", "arxiv:2408.00003"]
    # From Aug 1 on (a date, or snapshot 2, which is Aug 1's): Delta too, last seen first.
    assert main(["catalog", "dropped", db, "--since", "2025-08-01", "--format", "json"]) == 0
    since_date = _ids(capsys)
    assert since_date == ["arxiv:2408.00004", "arxiv:2408.00002", "arxiv:2408.00003"]
    assert main(["catalog", "dropped", db, "--since", "2", "--format", "json"]) == 0
    assert _ids(capsys) == since_date
    # Snapshot 3 is Aug 2: Delta (only on Aug 1) is not in that range.
    assert main(["catalog", "dropped", db, "--since", "3", "--format", "json"]) == 0
    assert _ids(capsys) == ["arxiv:2408.00002", "arxiv:2408.00003"]
    # From the latest snapshot on, nothing can have dropped out.
    assert main(["catalog", "dropped", db, "--since", "1", "--format", "json"]) == 0
    assert _ids(capsys) == []
    assert main(["catalog", "dropped", db]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split() == ["ID", "VERSIONS", "SIGHTINGS", "FIRST", "LAST", "KEY", "TITLE"]
    assert [line.split()[-1] for line in text[1:]] == ["Beta", "Gamma"]
    for bad, message in (("9", "no snapshot 9"), ("someday", "since")):
        assert main(["catalog", "dropped", db, "--since", bad]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1


# ---- show by title ------------------------------------------------------------------------------------


def test_show_finds_a_paper_by_its_title(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.db")
    rows = [
        {"title": "Fast Model Editing at Scale", "abstract": ABSTRACT},
        {"title": "Model Editing with Canonical Examples", "abstract": "Another text entirely, on examples."},
        {"title": "Scaling Laws for Editing", "abstract": "A third text, about laws of scaling."},
    ]
    assert main(["catalog", "add", db, _jsonl(tmp_path / "t.jsonl", rows), "--date", "2025-08-01"]) == 0
    capsys.readouterr()
    for ref in (
        "Fast Model Editing at Scale",  # exact
        "fast model-editing at SCALE!",  # the normalised title
        "editing at scale",  # every word of the query in one title only
        "Fast Modle Editing at Scael",  # spelling
    ):
        assert main(["catalog", "show", db, ref, "--format", "json"]) == 0, ref
        assert json.loads(capsys.readouterr().out)["paper"]["title"] == "Fast Model Editing at Scale"
    # Ambiguous: two titles contain "model editing"; both listed on stderr, exit 2.
    assert main(["catalog", "show", db, "model editing"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.splitlines()
    assert "'model editing' matches 2 papers" in err[0] and "name one by its id" in err[0]
    assert [line.split()[-1] for line in err[2:]] == ["Scale", "Examples"]
    assert main(["catalog", "show", db, "Quantum Chromodynamics of Penguins"]) == 2
    assert "no paper 'Quantum Chromodynamics of Penguins'" in capsys.readouterr().err
    # The same through the API.
    with Catalog(db) as cat:
        assert [p.id for p in cat.find("model editing")] == [1, 2]
        assert cat.paper("Scaling laws for editing").id == 3
        with pytest.raises(AmbiguousPaperError) as info:
            cat.history("model editing")
        assert info.value.candidates == (1, 2) and isinstance(info.value, CatalogError)
    # `history` is another name for `show`.
    assert main(["catalog", "history", db, "editing at scale", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["paper"]["id"] == 1


# ---- formats and -o -------------------------------------------------------------------------------------


def test_every_listing_in_every_format_and_to_a_file(
    three_days: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = three_days
    evil = _jsonl(tmp_path / "evil.jsonl", [_paper(9, "<script>alert(1)</script> | pipes *and* stars")])
    assert main(["catalog", "add", db, evil, "--date", "2025-08-04"]) == 0
    capsys.readouterr()
    commands = (["snapshots"], ["papers"], ["dropped", "--since", "2025-08-01"], ["show", "2408.00001"])
    for command in commands:
        name, rest = command[0], command[1:]
        outputs = {}
        for fmt in ("text", "json", "md", "html"):
            target = tmp_path / f"{name}.{fmt}"
            assert main(["catalog", name, db, *rest, "--format", fmt, "-o", str(target)]) == 0
            assert capsys.readouterr().out == ""  # all of it went to the file
            outputs[fmt] = target.read_text(encoding="utf-8")
            # The same bytes as on stdout.
            assert main(["catalog", name, db, *rest, "--format", fmt]) == 0
            assert capsys.readouterr().out == outputs[fmt]
        json.loads(outputs["json"])
        assert outputs["html"].startswith("<!DOCTYPE html>") and outputs["html"].rstrip().endswith("</html>")
        assert "<script>" not in outputs["html"]
        assert outputs["md"].startswith("# ")
        assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
    assert main(["catalog", "papers", db, "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | pipes *and* stars" in page
    assert main(["catalog", "papers", db, "--format", "md"]) == 0
    md = capsys.readouterr().out.splitlines()
    row = next(line for line in md if "script" in line)
    assert "\\<script\\>" in row and "\\| pipes \\*and\\* stars" in row
    assert row.count(" | ") == 6  # seven cells: the title's pipe is escaped
    # An unwritable -o is one line and exit 2, and leaves nothing behind.
    assert main(["catalog", "papers", db, "-o", str(tmp_path / "no" / "such" / "dir.txt")]) == 2
    assert "cannot write" in capsys.readouterr().err


# ---- progress bar --------------------------------------------------------------------------------------


def _add_with_stderr_on(tmp_path: Path, tty: bool) -> tuple[int, bytes, bytes]:
    db = tmp_path / f"c{int(tty)}.db"
    listing = _jsonl(tmp_path / "p.jsonl", [_paper(i, f"Title number {i}") for i in range(1, 30)])
    args = [sys.executable, "-m", "neardup", "catalog", "add", str(db), listing, "--date", "2025-08-01"]
    if not tty:
        r = subprocess.run(args, capture_output=True, timeout=120, check=False, cwd=REPO)
        return r.returncode, r.stdout, r.stderr
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            args, stdout=subprocess.PIPE, stderr=follower, timeout=120, check=False, cwd=REPO
        )
        os.close(follower)
        err = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
    finally:
        os.close(leader)
    return proc.returncode, proc.stdout, err


def test_add_shows_a_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    code, out, err = _add_with_stderr_on(tmp_path, tty=True)
    assert code == 0 and b"snapshot 1, 29 entries" in out
    assert b"neardup catalog add" in err and b"matching" in err
    code, out, err = _add_with_stderr_on(tmp_path, tty=False)
    assert code == 0 and b"snapshot 1, 29 entries" in out and err == b""


# ---- schema upgrade ----------------------------------------------------------------------------------


def _without_digests(conn: sqlite3.Connection) -> None:
    """The version table as schemas 1 and 2 had it: no digest column."""
    conn.execute("DROP INDEX version_digest")
    conn.execute("ALTER TABLE version DROP COLUMN digest")


def _as_schema_1(path: Path) -> None:
    """Rewrites a catalog into the schema-1 layout: snapshot hashes unique on their own, version 1."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN")
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'snapshot'").fetchone()[0]
    old = sql.replace("hash TEXT NOT NULL,", "hash TEXT NOT NULL UNIQUE,").replace(
        ",\n    UNIQUE (hash, day)", ""
    )
    assert old != sql
    conn.execute(old.replace("CREATE TABLE snapshot", "CREATE TABLE snapshot_v1"))
    conn.execute("INSERT INTO snapshot_v1 SELECT * FROM snapshot")
    conn.execute("DROP TABLE snapshot")
    conn.execute("ALTER TABLE snapshot_v1 RENAME TO snapshot")
    conn.execute("CREATE INDEX snapshot_day ON snapshot(day)")
    # Schema 1 followed the order of ingestion: the backfilled snapshot 2 was "last".
    conn.execute("UPDATE paper SET first_snapshot = 1, last_snapshot = 2")
    _without_digests(conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    conn.close()


def test_a_schema_1_catalog_is_upgraded_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert SCHEMA_VERSION == 3
    db = tmp_path / "c.db"
    listing = Snapshot([Entry("Alpha", ABSTRACT, key="arxiv:2408.00001")], date="2025-08-27")
    with Catalog(db) as cat:
        cat.add(listing)
        cat.add(Snapshot(listing.entries, date="2025-08-06"))
    _as_schema_1(db)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()
    assert main(["catalog", "papers", str(db), "--format", "json"]) == 0
    (paper,) = json.loads(capsys.readouterr().out)
    # Upgraded: the papers settled in date order ...
    assert (paper["first_day"], paper["last_day"]) == ("2025-08-06", "2025-08-27")
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # ... and the same listing on a third day is now a sighting (schema 1 refused a repeated hash).
    with Catalog(db) as cat:
        r = cat.add(Snapshot(listing.entries, date="2025-08-27"), date="2025-09-01")
        assert not r.already_ingested and cat.counts()["snapshots"] == 3


def test_a_schema_2_catalog_gets_its_version_digests(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    first = Snapshot([Entry("Alpha", ABSTRACT, key="arxiv:2408.00001")], date="2025-08-06")
    revised = Snapshot([Entry("Alpha", ABSTRACT + " Revised.", key="arxiv:2408.00001")], date="2025-08-07")
    with Catalog(db) as cat:
        cat.add(first)
        cat.add(revised)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    _without_digests(conn)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("COMMIT")
    conn.close()
    with Catalog(db) as cat:
        # Upgraded: each version's digest is that of its text ...
        conn = sqlite3.connect(db)
        rows = conn.execute("SELECT title, abstract, digest FROM version ORDER BY id").fetchall()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        conn.close()
        assert [d for _, _, d in rows] == [_core._text_digests([t], [a]) for t, a, _ in rows]
        assert len({d for _, _, d in rows}) == 2
        # ... so the current text listed again is no new version, and the first one is found again.
        assert cat.add(Snapshot(revised.entries, date="2025-08-08")).new_versions == 0
        assert cat.add(Snapshot(first.entries, date="2025-08-09")).new_versions == 0
        assert [v.number for v in cat.history(1).versions] == [1, 2]
