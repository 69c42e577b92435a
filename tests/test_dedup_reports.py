"""``neardup dedup`` reports people and scripts can act on (issue 19): members named by id and title with
their similarity to the kept member, ``schema_version`` and parameters in JSON, ``--threshold 1.0`` for exact
duplicates, ``--keep-first`` in the input's own format, ``--exit-code``, and ``--on-bad-record skip``."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest

import neardup
from conftest import write_jsonl
from neardup.cli import main
from neardup.corpus import ReadSpec, dedup_files

_rng = random.Random(5)
_WORDS = [f"w{i}" for i in range(3000)]


def _text(n: int = 60) -> str:
    return " ".join(_rng.choice(_WORDS) for _ in range(n))


BASE = _text()
EDITED = BASE.replace(BASE.split()[30], "changed", 1)  # one word of sixty: Jaccard about 0.9
OTHER = _text()


@pytest.fixture()
def papers(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "papers.jsonl",
        [
            {"id": "p1", "title": "Kept Paper", "abstract": BASE},
            {"id": "p2", "title": "Unrelated", "abstract": OTHER},
            {"id": "p3", "title": "Near Copy", "abstract": EDITED},
        ],
    )


def test_text_report_names_members_by_title_with_their_similarity(
    papers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dedup", str(papers), "--field", "abstract"]) == 1
    out = capsys.readouterr().out.splitlines()
    similarity = neardup.shingle_jaccard(BASE, EDITED)
    assert 0.8 <= similarity < 1.0
    assert out[0] == "cluster 0: 2 documents"
    assert out[1].split() == ["keep", "p1"]  # no title read: --field abstract
    assert out[2].split() == ["drop", "p3", f"{similarity:.3f}"]
    assert main(["dedup", str(papers)]) == 1  # title+abstract: the titles come with it
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["keep", "p1", "Kept", "Paper"]
    drop = out[2].split()
    assert drop[:2] == ["drop", "p3"] and drop[3:] == ["Near", "Copy"]
    assert float(drop[2]) == round(neardup.shingle_jaccard(f"Kept Paper\n{BASE}", f"Near Copy\n{EDITED}"), 3)


def test_snapshot_members_are_named_by_title(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entry = "{title}\n\n{abstract}\n\n"
    page = "Daily Papers\n\nJul 30\n\n" + "".join(
        entry.format(title=t, abstract=a)
        for t, a in (("Listed Once", BASE), ("Something Else", OTHER), ("Listed Twice", BASE))
    )
    path = tmp_path / "page.txt"
    path.write_text(page, encoding="utf-8")
    assert main(["dedup", str(path), "--field", "abstract", "--from", "hf-text"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1].endswith("Listed Once") and out[1].split()[0] == "keep"
    assert out[2].endswith("1.000  Listed Twice") and out[2].split()[0] == "drop"


def test_json_report_has_schema_version_parameters_titles_and_similarities(
    papers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dedup", str(papers), "--format", "json", "--threshold", "0.7", "--ngram", "2"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_version"] == 1
    params = doc["parameters"]
    assert (params["threshold"], params["ngram"], params["num_perm"], params["field"]) == (
        0.7,
        2,
        128,
        "title+abstract",
    )
    assert params["on_bad_record"] == "error" and doc["skipped"] == 0
    (cluster,) = doc["clusters"]
    keep, drop = cluster["members"]
    assert (keep["id"], keep["title"], keep["similarity"]) == ("p1", "Kept Paper", 1.0)
    expected = neardup.shingle_jaccard(f"Kept Paper\n{BASE}", f"Near Copy\n{EDITED}", ngram=2)
    assert (drop["id"], drop["title"], drop["similarity"]) == ("p3", "Near Copy", round(expected, 6))
    assert main(["dedup", str(papers), "--format", "jsonl"]) == 1
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["id"], x["keep"], x["title"]) for x in lines] == [
        ("p1", True, "Kept Paper"),
        ("p3", False, "Near Copy"),
    ]


# ---- exact duplicates ---------------------------------------------------------------------------------


def test_threshold_one_means_exact_duplicates_of_the_normalised_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = [
        "Hello, World! A study of greetings.",
        "hello world a study of greetings",  # case and punctuation aside: the same
        "Hello World: a study of greetings, revisited",  # one more word: not exact
        "ＨＥＬＬＯ world — a study of greetings.",  # full-width letters fold under NFKC
        "!!!",  # no word at all: nobody's duplicate
        "...",
    ]
    assert neardup.dedup(texts, threshold=1.0).clusters == [[0, 1, 3]]
    path = write_jsonl(tmp_path / "t.jsonl", [{"id": f"t{i}", "text": t} for i, t in enumerate(texts)])
    assert dedup_files(path, threshold=1.0).clusters == [[0, 1, 3]]
    assert main(["dedup", str(path), "--threshold", "1.0", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [[m["id"] for m in c["members"]] for c in doc["clusters"]] == [["t0", "t1", "t3"]]
    assert all(m["similarity"] == 1.0 for m in doc["clusters"][0]["members"])
    assert main(["dedup", str(path), "--threshold", "1.01"]) == 2


# ---- keep-first in the input's format ------------------------------------------------------------------


def test_keep_first_writes_csv_for_csv_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.csv"
    rows = [
        ["ID", "Title", "abstract", "note"],
        ["a", "Kept", BASE, 'has "quotes", commas'],
        ["b", "Other", OTHER, "multi\nline"],
        ["c", "Dropped", BASE, ""],
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    out = tmp_path / "out.csv"
    assert main(["dedup", str(path), "--keep-first", "-o", str(out)]) == 0
    back = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert back == [rows[0], rows[1], rows[2]]
    # Tab-separated stays tab-separated.
    tsv = tmp_path / "in.tsv"
    tsv.write_text("".join("\t".join(r).replace("\n", " ") + "\n" for r in rows), encoding="utf-8")
    assert main(["dedup", str(tsv), "--keep-first"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "ID\tTitle\tabstract\tnote" and len(lines) == 3 and lines[2].startswith("b\tOther\t")
    # Mixed inputs (CSV and JSONL) are written as JSON lines, as before.
    jsonl = write_jsonl(tmp_path / "more.jsonl", [{"id": "d", "title": "Kept", "abstract": BASE}])
    assert main(["dedup", str(path), str(jsonl), "--keep-first"]) == 0
    kept = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [k.get("id") for k in kept] == ["a", "b"]


# ---- exit status ----------------------------------------------------------------------------------------


def test_exit_codes_follow_what_a_script_expects(
    papers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out.jsonl")
    cases = [
        ([], 1),  # a report: 1 when there are duplicates, like diff
        (["--no-exit-code"], 0),
        (["--keep-first", "-o", out], 0),  # a copy: 0 once written, so `&& next` runs
        (["--keep-first", "-o", out, "--exit-code"], 1),
        (["-q"], 1),
    ]
    for extra, status in cases:
        assert main(["dedup", str(papers), *extra]) == status, extra
    unique = write_jsonl(tmp_path / "u.jsonl", [{"id": "x", "text": BASE}, {"id": "y", "text": OTHER}])
    assert main(["dedup", str(unique), "--exit-code"]) == 0
    assert main(["dedup", str(tmp_path / "missing.jsonl"), "--no-exit-code"]) == 2
    capsys.readouterr()


# ---- bad records -----------------------------------------------------------------------------------------


def test_bad_records_stop_the_run_or_are_skipped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "title": "T", "abstract": BASE}),
                '{"id": "broken", ',  # invalid JSON
                json.dumps({"id": "c", "upvotes": 3}),  # no text field
                json.dumps({"id": "d", "title": "U", "abstract": OTHER}),
                json.dumps({"id": "e", "title": "T", "abstract": EDITED}),
                json.dumps(["not", "an", "object"]),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    assert main(["dedup", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}:2" in err
    assert main(["dedup", str(path), "--on-bad-record", "skip", "--format", "json"]) == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["documents"] == 3 and doc["skipped"] == 3
    assert [[m["id"] for m in c["members"]] for c in doc["clusters"]] == [["a", "e"]]
    first = f"neardup: skipped 3 bad records (the first: {path}:2: expected a JSON object, got invalid JSON"
    assert captured.err.startswith(first) and captured.err.count("\n") == 1
    # The same clusters as the clean file (so both passes numbered the good records alike).
    clean = write_jsonl(
        tmp_path / "clean.jsonl",
        [
            {"id": i, "title": t, "abstract": a}
            for i, t, a in (("a", "T", BASE), ("d", "U", OTHER), ("e", "T", EDITED))
        ],
    )
    assert dedup_files(path, spec=ReadSpec(on_bad_record="skip")).clusters == dedup_files(clean).clusters
    assert dedup_files(path, spec=ReadSpec(on_bad_record="skip")).skipped == 3
    # --keep-first leaves the bad lines out as well.
    assert main(["dedup", str(path), "--on-bad-record", "skip", "--keep-first", "-q"]) == 0
    assert main(["dedup", str(path), "--on-bad-record", "skip", "--keep-first"]) == 0
    kept = [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()]
    assert kept == ["a", "d"]
    # A CSV row with the wrong number of fields is a bad record too.
    table = tmp_path / "bad.csv"
    table.write_text(f"id,title,abstract\nx,T,{BASE}\ny,oops\nz,T,{EDITED}\n", encoding="utf-8")
    assert main(["dedup", str(table)]) == 2
    capsys.readouterr()
    assert main(["dedup", str(table), "--on-bad-record", "skip"]) == 1
    captured = capsys.readouterr()
    assert "skipped 1 bad record (the first:" in captured.err and f"{table}:3" in captured.err
    assert captured.out.endswith("1 cluster, 1 duplicates (0 exact, 1 near), 1 bad record skipped\n")
    with pytest.raises(ValueError, match="on_bad_record"):
        ReadSpec(on_bad_record="ignore")


def test_members_across_files_are_named_from_their_own_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = write_jsonl(tmp_path / "one.jsonl", [{"id": "x1", "title": "First", "abstract": OTHER}])
    two = write_jsonl(
        tmp_path / "two.jsonl",
        [
            {"id": "x2", "title": "Second", "abstract": BASE},
            {"id": "x3", "title": "Third", "abstract": OTHER},
            {"id": "x4", "title": "Fourth", "abstract": EDITED},
        ],
    )
    assert main(["dedup", str(one), str(two), "--field", "abstract", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    named = [[(m["id"], m["title"], m["similarity"]) for m in c["members"]] for c in doc["clusters"]]
    assert named == [
        [("x1", None, 1.0), ("x3", None, 1.0)],
        [("x2", None, 1.0), ("x4", None, round(neardup.shingle_jaccard(BASE, EDITED), 6))],
    ]
    assert main(["dedup", str(one), str(two), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [[m["title"] for m in c["members"]] for c in doc["clusters"]] == [
        ["First", "Third"],
        ["Second", "Fourth"],
    ]
