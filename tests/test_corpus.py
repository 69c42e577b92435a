"""What dedup users expect of `neardup.corpus`: the exact stage before the near one, the keep policy, star
clusters, the replacing member of every dropped record, and bad records worded as `neardup diff` words
them."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

import neardup
from conftest import write_jsonl
from neardup.cli import main
from neardup.corpus import ReadSpec, dedup_files

VOCAB = [f"v{i}" for i in range(5000)]


def _words(rng: random.Random, n: int = 100) -> list[str]:
    return [rng.choice(VOCAB) for _ in range(n)]


def _edit(words: list[str], at: range, mark: str) -> list[str]:
    return [f"{mark}{w}" if i in at else w for i, w in enumerate(words)]


def test_exact_copies_are_dropped_by_the_exact_stage_and_edits_by_the_near_one() -> None:
    rng = random.Random(1)
    base = _words(rng)
    texts = [
        " ".join(base),
        " ".join(_words(rng)),
        " ".join(base).upper() + " ...",  # the same words: an exact duplicate of the normalised text
        " ".join(_edit(base, range(40, 42), "x")),  # two words changed: a near duplicate
    ]
    r = neardup.dedup(texts)
    assert r.clusters == [[0, 2, 3]] and r.kept == [0]
    assert r.stage.tolist() == [0, 0, 1, 2]
    assert r.replaced_by.tolist() == [-1, -1, 0, 0]
    assert (r.exact_duplicates, r.near_duplicates) == (1, 1)
    assert r.similarity[3] == pytest.approx(neardup.shingle_jaccard(texts[0], texts[3]), abs=1e-6)
    # threshold 1.0: the exact stage alone
    exact = neardup.dedup(texts, threshold=1.0)
    assert exact.clusters == [[0, 2]] and exact.stage.tolist() == [0, 0, 1, 0]


def test_keep_policies_choose_the_member_kept() -> None:
    rng = random.Random(2)
    base = _words(rng, 120)
    texts = [" ".join(base[:115]), " ".join(base), " ".join(_words(rng))]
    assert neardup.dedup(texts).kept == [0]
    longest = neardup.dedup(texts, keep="longest")
    assert longest.kept == [1] and longest.replaced_by.tolist() == [1, -1, -1]
    assert longest.keep.tolist() == [False, True, True]
    with pytest.raises(ValueError, match="keep"):
        neardup.dedup(texts, keep="biggest")


def test_keep_a_field_keeps_the_largest_value(tmp_path: Path) -> None:
    rng = random.Random(3)
    base = _words(rng)
    rows = [
        {"id": "a", "text": " ".join(base), "score": 1},
        {"id": "b", "text": " ".join(_edit(base, range(10, 11), "y")), "score": "7.5"},
        {"id": "c", "text": " ".join(_edit(base, range(20, 21), "z"))},  # no score: ranks last
        {"id": "d", "text": " ".join(_words(rng)), "score": 100},
    ]
    path = write_jsonl(tmp_path / "scored.jsonl", rows)
    r = dedup_files(path, keep="field:score")
    assert r.clusters == [[0, 1, 2]] and r.kept == [1]
    assert [r.ids[int(i)] if i >= 0 else None for i in r.replaced_by] == ["b", None, "b", None]
    # the CLI writes the kept records in input order
    out = tmp_path / "kept.jsonl"
    assert main(["dedup", str(path), "--keep", "score", "--records", "-o", str(out)]) == 0
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["b", "d"]


def _chain() -> list[str]:
    """0 ~ 1 ~ 2 above 0.75 pairwise along the chain, 0 and 2 below it."""
    rng = random.Random(4)
    base = _words(rng)
    one = _edit(base, range(0, 8), "x")
    two = _edit(one, range(50, 58), "y")
    return [" ".join(base), " ".join(one), " ".join(two)]


def test_star_clusters_keep_every_dropped_member_within_the_threshold() -> None:
    texts = _chain()
    j = neardup.shingle_jaccard
    assert j(texts[0], texts[1]) >= 0.75 and j(texts[1], texts[2]) >= 0.75 > j(texts[0], texts[2])
    components = neardup.dedup(texts, threshold=0.75)
    assert components.clusters == [[0, 1, 2]] and components.replaced_by.tolist() == [-1, 0, 0]
    star = neardup.dedup(texts, threshold=0.75, clusters="star")
    assert star.clusters == [[0, 1]] and star.replaced_by.tolist() == [-1, 0, -1]
    for d, by in enumerate(star.replaced_by.tolist()):
        if by >= 0:
            assert j(texts[by], texts[d]) >= 0.75


def test_reports_name_the_stage_and_the_replacing_member(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(5)
    base = _words(rng)
    rows = [
        {"id": "keep", "title": "T", "abstract": " ".join(base)},
        {"id": "same", "title": "t!", "abstract": " ".join(base)},
        {"id": "near", "title": "T", "abstract": " ".join(_edit(base, range(30, 31), "q"))},
    ]
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    assert main(["dedup", str(path), "--format", "jsonl"]) == 1
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["id"], x["stage"], x["replaced_by"]) for x in lines] == [
        ("keep", None, None),
        ("same", "exact", "keep"),
        ("near", "near", "keep"),
    ]
    assert main(["dedup", str(path)]) == 1
    assert capsys.readouterr().out.endswith("3 documents, 1 cluster, 2 duplicates (1 exact, 1 near)\n")


@pytest.mark.parametrize(
    "content",
    [
        '{"title": "A", "abstract": "x"}\n{"title": "B", "abstract": \n',  # invalid JSON
        '{"title": "A"}\n{"title": "\\udc00"}\n',  # a lone surrogate
        '{"title": "A"}\n{"title": "B", "title": "C"}\n',  # a member named twice
        '{"title": "A"}\n{"title": 7}\n',  # a title that is not a string
        '{"title": "A"}\n[1, 2]\n',  # not an object
        '{"title": "A"}\n{"title": "B\x00"}\n',  # binary data
    ],
)
def test_bad_records_are_worded_as_diff_words_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    good = write_jsonl(tmp_path / "good.jsonl", [{"title": "A", "abstract": "x"}])
    assert main(["diff", str(good), str(bad)]) == 2
    diff_says = capsys.readouterr().err.strip()
    assert main(["dedup", str(bad)]) == 2
    dedup_says = capsys.readouterr().err.strip()
    assert dedup_says == diff_says and dedup_says.count("\n") == 0
    assert f"{bad}:2: expected" in dedup_says


def test_csv_is_read_by_the_core_likewrite_jsonl(tmp_path: Path) -> None:
    rng = random.Random(6)
    base = " ".join(_words(rng))
    table = tmp_path / "t.csv"
    table.write_text(
        f'ID,Title,Abstract\r\nx,"Quoted, title",{base}\r\n\r\ny,"Quoted, title","{base}"\r\n',
        encoding="utf-8",
    )
    r = dedup_files(table)
    assert r.clusters == [[0, 1]] and list(r.ids) == ["x", "y"]
    assert r.stage.tolist() == [0, 1]
    plain = write_jsonl(
        tmp_path / "t.jsonl",
        [{"id": "x", "title": "Quoted, title", "abstract": base}] * 2,
    )
    assert np.array_equal(dedup_files(plain).replaced_by, r.replaced_by)
    short = tmp_path / "short.csv"
    short.write_text("id,title\nx,T\ny\n", encoding="utf-8")
    with pytest.raises(neardup.SnapshotFormatError, match=r"short.csv:3: expected a row of 2 fields"):
        dedup_files(short)
    skipped = dedup_files(short, spec=ReadSpec(on_bad_record="skip"))
    assert (skipped.size, skipped.skipped) == (1, 1)
