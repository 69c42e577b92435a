"""The identity rules as the engine applies them (DESIGN §5), checked through `neardup.compare` and the
command line's JSON Lines road: each test states a rule and fails when the rule is changed (for example if
title normalisation kept `_`, or the core's fast path for ASCII titles drifted from
`neardup.identity.normalize_title`, which the core calls for every other title)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neardup
from neardup.cli import main
from neardup.identity import normalize_title

# (a, b, same normalised title)
TITLES = [
    ("Embedding\\&MLP: a Re-Take", "embedding mlp a re take", True),
    ("Fast_Model Editing", "fast model editing", True),
    ("C++ tricks (2nd ed.)", "c tricks 2nd ed", True),
    ("Caf\u00e9 Society", "CAF\u00c9 society", True),
    ("The $\\alpha$-rule", "The \u03b1 rule", True),
    ("Stra\u00dfe networks", "STRASSE networks", True),
    ("Graph", "Graphs", False),
    ("Re-take", "Retake", False),
]


def title_matched(a: str, b: str) -> bool:
    """Whether two entries with these titles and unrelated abstracts are matched by the title stage."""
    old = neardup.Snapshot([neardup.Entry(title=a, abstract="alpha beta gamma delta")])
    new = neardup.Snapshot([neardup.Entry(title=b, abstract="unrelated words entirely here")])
    d = neardup.compare(old, new, near=False)
    return [m.how for m in (*d.unchanged, *d.changed)] == ["title"]


@pytest.mark.parametrize(("a", "b", "same"), TITLES)
def test_title_rule(a: str, b: str, same: bool) -> None:
    assert (normalize_title(a) == normalize_title(b)) is same
    assert title_matched(a, b) is same


@pytest.mark.parametrize(("a", "b", "same"), TITLES)
def test_title_rule_on_the_jsonl_road(tmp_path: Path, a: str, b: str, same: bool) -> None:
    paths = []
    for name, title, text in (("o", a, "alpha beta gamma delta"), ("n", b, "unrelated words entirely")):
        path = tmp_path / f"{name}.jsonl"
        path.write_text(json.dumps({"title": title, "abstract": text}) + "\n", encoding="utf-8")
        paths.append(str(path))
    out = tmp_path / "r.json"
    main(["diff", *paths, "--format", "json", "--threshold", "1", "-o", str(out)])
    doc = json.loads(out.read_text(encoding="utf-8"))
    hows = [m["match"] for m in doc["changed"]] + [m["match"] for m in doc["unchanged"]]
    assert (hows == ["title"]) is same


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aAbZ9 _-.:&'\t", min_size=1, max_size=12), st.text(alphabet="aAbZ9 _-", max_size=12))
def test_engine_titles_are_the_identity_definition(a: str, b: str) -> None:
    """The core normalises plain-ASCII titles itself: its title stage must agree with the definition."""
    if not normalize_title(a) or not normalize_title(b):
        return  # an empty normalised title is no identity
    assert title_matched(a, b) is (normalize_title(a) == normalize_title(b))


def test_declared_ids_are_keys_and_keep_distinct_papers_apart() -> None:
    text = "We propose a method for sparse attention in long documents and evaluate it widely."
    old = neardup.Snapshot([neardup.Entry(title="Sparse attention", abstract=text, key="P-1")])
    new = neardup.Snapshot(
        [
            neardup.Entry(title="Sparse attention", abstract=text + " Revised.", key="P-1"),
            neardup.Entry(title="Sparse attention", abstract=text, key="P-2"),
        ]
    )
    d = neardup.compare(old, new)
    # The same declared id is the same paper even though the other entry's text is identical.
    assert [(m.old.key, m.new.key, m.how) for m in d.changed] == [("P-1", "P-1", "key")]
    assert [e.key for e in d.added] == ["P-2"]


def test_an_arxiv_id_and_its_doi_meet() -> None:
    old = neardup.Snapshot([neardup.Entry(title="A", abstract="x", key="arxiv:2401.00001")])
    rows = [{"doi": "10.48550/arXiv.2401.00001", "title": "B", "abstract": "y"}]
    new = neardup.read_snapshot(_jsonl(rows), "jsonl")
    d = neardup.compare(old, new)
    assert [m.how for m in d.changed] == ["key"]


def _jsonl(rows: list[dict[str, str]]) -> object:
    import io

    return io.BytesIO("".join(json.dumps(r) + "\n" for r in rows).encode())


def test_a_paper_listed_twice_is_not_added() -> None:
    e = neardup.Entry(title="Listed twice", abstract="some words about a paper listed twice today")
    d = neardup.compare(neardup.Snapshot([e]), neardup.Snapshot([e, e]))
    assert d.added == () and len(d.unchanged) == 1
    assert [(g.snapshot, g.members) for g in d.duplicates] == [("new", (0, 1))]
    d = neardup.compare(neardup.Snapshot([e, e]), neardup.Snapshot([e]))
    assert d.removed == () and [(g.snapshot, g.members) for g in d.duplicates] == [("old", (0, 1))]


def test_unchanged_entries_are_unchanged_whatever_the_order() -> None:
    a = neardup.Entry(title="Erratum", abstract="table two is wrong not three")
    b = neardup.Entry(title="Erratum", abstract="table three is wrong not two")
    for new in ([a, b], [b, a]):
        d = neardup.compare(neardup.Snapshot([a, b]), neardup.Snapshot(new))
        assert (len(d.unchanged), len(d.changed)) == (2, 0)
