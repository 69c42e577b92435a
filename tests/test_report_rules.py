"""The rules of ``neardup diff``'s reports, each checked where it shows: every field is compared and shown
old → new, the user picks which fields count as text or are ignored, word diffs keep a few words of
context, colour keeps deleted and inserted words apart, similarity is that of the normalised texts, and
every format renders the same whichever reader read the snapshots, whatever the thread count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import neardup
from neardup import report
from neardup.cli import main

FORMATS = ("text", "json", "jsonl", "md", "html")
LONG = " ".join(f"word{i}" for i in range(200))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    names = list(rows[0])
    lines = [",".join(names)] + [",".join(r[n] for n in names) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def pair(tmp_path: Path, year: str = "2000") -> tuple[Path, Path]:
    old = [
        {"id": "a1", "title": "Alpha paper", "abstract": "about alpha", "year": "1999"},
        {"id": "b2", "title": "Beta paper", "abstract": "about beta", "year": "2001"},
    ]
    new = [dict(old[0], year=year), dict(old[1])]
    return write_csv(tmp_path / "old.csv", old), write_csv(tmp_path / "new.csv", new)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["diff", *args, "--color", "never"])
    return status, capsys.readouterr().out


def test_an_extra_column_change_is_shown_with_its_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = pair(tmp_path)
    status, out = run(capsys, str(old), str(new), "--format", "json")
    doc = json.loads(out)
    # Metadata only: not a change unless asked, but reported.
    assert status == 0 and doc["summary"]["meta_changed"] == 1
    assert doc["unchanged"][0]["meta_changed"] == ["year"]
    status, out = run(capsys, str(old), str(new), "--include-meta")
    assert status == 1 and "  year: 1999 -> 2000" in out
    for fmt, shown in (("md", "- year: 1999 → 2000"), ("html", "<del>1999</del></td><td><ins>2000</ins>")):
        assert shown in run(capsys, str(old), str(new), "--include-meta", "--format", fmt)[1]


def test_text_fields_count_as_changes_and_ignored_fields_are_not_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = pair(tmp_path)
    status, out = run(capsys, str(old), str(new), "--text-fields", "year")
    assert status == 1 and "1 changed" in out and "year: 1999 -> 2000" in out
    status, out = run(
        capsys, str(old), str(new), "--include-meta", "--ignore-fields", "year", "--format", "json"
    )
    assert status == 0 and json.loads(out)["summary"]["meta_changed"] == 0
    # The same rules in the API.
    a, b = neardup.read_snapshot(old), neardup.read_snapshot(new)
    assert len(neardup.compare(a, b, text_fields=["year"]).changed) == 1
    assert neardup.compare(a, b, ignore_fields=["year"]).unchanged[0].meta_changed == ()
    with pytest.raises(TypeError):
        neardup.compare(a, b, text_fields="year")


def test_metadata_changes_show_old_and_new_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = {"id": "2401.00001", "title": "Gamma", "abstract": "about gamma", "upvotes": 1}
    (tmp_path / "o.jsonl").write_text(json.dumps(rows) + "\n")
    (tmp_path / "n.jsonl").write_text(json.dumps(dict(rows, upvotes=17, abstract="about gamma rays")) + "\n")
    status, out = run(capsys, str(tmp_path / "o.jsonl"), str(tmp_path / "n.jsonl"))
    assert status == 1 and "  upvotes: 1 -> 17" in out and "{+rays+}" in out


def test_word_diffs_keep_a_few_words_of_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = {"id": "x1", "title": "Delta", "abstract": f"{LONG} forty {LONG}"}
    (tmp_path / "o.jsonl").write_text(json.dumps(rows) + "\n")
    (tmp_path / "n.jsonl").write_text(json.dumps(dict(rows, abstract=f"{LONG} fifty {LONG}")) + "\n")
    paths = [str(tmp_path / "o.jsonl"), str(tmp_path / "n.jsonl")]
    _, short = run(capsys, *paths)
    assert (
        "… word192 word193 word194 word195 word196 word197 word198 word199 [-forty-]{+fifty+} word0" in short
    )
    assert "word100" not in short
    _, whole = run(capsys, *paths, "--context", "all")
    assert "word100" in whole and "…" not in whole
    assert main(["diff", *paths, "--context", "some"]) == 2


def test_colour_keeps_deleted_and_inserted_words_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = {"id": "x1", "title": "Delta", "abstract": "we tested forty models"}
    (tmp_path / "o.jsonl").write_text(json.dumps(rows) + "\n")
    (tmp_path / "n.jsonl").write_text(json.dumps(dict(rows, abstract="we tested fifty models")) + "\n")
    main(["diff", str(tmp_path / "o.jsonl"), str(tmp_path / "n.jsonl"), "--color", "always"])
    out = capsys.readouterr().out
    # Struck through red, a space, underlined green.
    assert "\x1b[31;9mforty\x1b[m \x1b[32;4mfifty\x1b[m" in out


def test_similarity_is_that_of_the_normalised_text() -> None:
    old = neardup.Snapshot([neardup.Entry(title="Fast Model Editing at Scale", abstract="We edit models.")])
    new = neardup.Snapshot([neardup.Entry(title="fast model editing at scale", abstract="We edit models.")])
    d = neardup.compare(old, new)
    assert len(d.changed) == 1 and d.changed[0].similarity == 1.0
    assert "similarity 1.000" in report.render(d, "text")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_the_same_from_either_reader(tmp_path: Path, fmt: str) -> None:
    """The core reads regular JSON Lines files; standard input goes through the Python reader. Both give
    the engine the same records, and the one renderer the same bytes."""
    old = [
        {"id": f"2401.{i:05d}", "title": f"Paper {i}", "abstract": f"about {i} things", "n": i}
        for i in range(30)
    ]
    new = [dict(r, abstract=r["abstract"] + " more") if r["n"] % 7 == 0 else r for r in old[3:]]
    new.append({"title": "Fresh", "abstract": "new paper"})
    (tmp_path / "o.jsonl").write_text("".join(json.dumps(r) + "\n" for r in old))
    (tmp_path / "n.jsonl").write_text("".join(json.dumps(r) + "\n" for r in new))
    cmd = [sys.executable, "-m", "neardup", "diff", "--format", fmt, "--color", "always"]
    by_core = subprocess.run(
        [*cmd, str(tmp_path / "o.jsonl"), str(tmp_path / "n.jsonl")], capture_output=True
    )
    with open(tmp_path / "n.jsonl", "rb") as stdin:
        by_python = subprocess.run([*cmd, str(tmp_path / "o.jsonl"), "-"], stdin=stdin, capture_output=True)
    assert by_core.returncode == by_python.returncode == 1, by_core.stderr + by_python.stderr
    core = by_core.stdout.replace(str(tmp_path / "n.jsonl").encode(), b"NEW")
    assert core == by_python.stdout.replace(b"&lt;stdin&gt;", b"NEW").replace(b"<stdin>", b"NEW")
    assert b"Fresh" in by_core.stdout


def hf_items(n: int, edit: bool) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for i in range(n):
        paper: dict[str, object] = {
            "id": f"2506.{i:05d}",
            "title": f"Paper  {i}",
            "summary": f" about {i} things" + (" more" if edit and i % 5 == 0 else ""),
            "authors": [{"name": f"Ann {i % 7}"}, {"name": "Bob Two"}],
            "publishedAt": "2025-06-13T00:00:00.000Z",
            "upvotes": i % 9 + (1 if edit and i % 4 == 0 else 0),
        }
        items.append({"paper": paper, "numComments": i % 3, "title": "the item's own title loses"})
    return items


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_hf_json_reads_the_same_in_the_core_and_in_python(tmp_path: Path, fmt: str) -> None:
    """The Daily Papers API JSON is read by the core (items merged with their `paper`, lines of the
    item's start) as the Python reader reads it: the same report."""
    (tmp_path / "o.json").write_text(json.dumps(hf_items(40, False), indent=1))
    (tmp_path / "n.json").write_text(json.dumps(hf_items(40, True)[2:], indent=2))
    cmd = [sys.executable, "-m", "neardup", "diff", "--format", fmt, "--include-meta"]
    by_core = subprocess.run([*cmd, str(tmp_path / "o.json"), str(tmp_path / "n.json")], capture_output=True)
    with open(tmp_path / "n.json", "rb") as stdin:
        by_python = subprocess.run([*cmd, str(tmp_path / "o.json"), "-"], stdin=stdin, capture_output=True)
    assert by_core.returncode == by_python.returncode == 1, by_core.stderr + by_python.stderr
    core = by_core.stdout.replace(str(tmp_path / "n.json").encode(), b"<stdin>")
    assert core == by_python.stdout
    if fmt == "json":
        doc = json.loads(core)
        assert doc["new"]["format"] == "hf-json" and doc["summary"]["removed"] == 2
        first = doc["changed"][0]["new"]  # paper 4: its upvotes changed (papers 0 and 1 are gone)
        assert (first["title"], first["authors"], first["upvotes"]) == ("Paper 4", ["Ann 4", "Bob Two"], 5)
        # The line its item starts on: "[" then 19 lines an item (json.dumps with indent=2).
        assert first["line"] == 2 + 19 * 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_reports_do_not_depend_on_the_thread_count(tmp_path: Path, fmt: str) -> None:
    old = [{"title": f"Paper {i}", "abstract": f"{LONG} {i}"} for i in range(1500)]
    new = [dict(r, abstract=r["abstract"] + " x") if i % 3 == 0 else r for i, r in enumerate(old[100:])]
    (tmp_path / "o.jsonl").write_text("".join(json.dumps(r) + "\n" for r in old))
    (tmp_path / "n.jsonl").write_text("".join(json.dumps(r) + "\n" for r in new))
    outs = set()
    for threads in ("1", "2", "4"):
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "neardup",
                "diff",
                str(tmp_path / "o.jsonl"),
                str(tmp_path / "n.jsonl"),
                "--format",
                fmt,
            ],
            capture_output=True,
            env={**os.environ, "RAYON_NUM_THREADS": threads},
        )
        assert r.returncode == 1, r.stderr
        outs.add(r.stdout)
    assert len(outs) == 1


def test_a_diff_not_made_by_compare_cannot_be_rendered() -> None:
    snap = neardup.Snapshot([])
    d = neardup.SnapshotDiff(
        old=snap, new=snap, unchanged=(), changed=(), added=(), removed=(), duplicates=()
    )
    with pytest.raises(ValueError, match="not made by neardup.compare"):
        report.render(d)
    assert "0 unchanged" in repr(d) and len(repr(d)) < 300


def test_the_console_script_exits_with_the_whole_report_flushed(tmp_path: Path) -> None:
    old, new = pair(tmp_path, year="1999")
    new.write_text(new.read_text().replace("about alpha", "about alpha and more"))
    full = tmp_path / "full.json"
    assert main(["diff", str(old), str(new), "--format", "json", "-o", str(full)]) == 1
    r = subprocess.run(
        [sys.executable, "-m", "neardup", "diff", str(old), str(new), "--format", "json"], capture_output=True
    )
    assert (r.returncode, r.stderr) == (1, b"")
    assert r.stdout == full.read_bytes()
