"""Entry / Snapshot model and the identity helpers (arXiv ids, DOIs, normalised titles)."""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

import neardup
from neardup import Entry, Snapshot
from neardup.identity import arxiv_key, doi_key, identity_key, normalize_doi, normalize_title

# ---- Entry -----------------------------------------------------------------------------------


def test_entry_defaults_and_user_construction() -> None:
    entry = neardup.Entry(title="A Title", abstract="Some text.")
    assert entry.title == "A Title"
    assert entry.abstract == "Some text."
    assert entry.key is None and entry.version is None and entry.authors is None
    assert entry.authors_count is None and entry.organization is None
    assert entry.published is None and entry.upvotes is None
    assert entry.position == 0 and entry.line is None
    assert entry.extra == {}
    assert Entry(title="Only a title").abstract == ""


def test_entry_is_frozen_and_hashable() -> None:
    entry = Entry(title="T", abstract="A", extra={"x": [1, 2]})
    with pytest.raises(AttributeError):
        entry.title = "U"  # type: ignore[misc]
    assert hash(entry) == hash(Entry(title="T", abstract="A", extra={"x": [1, 2]}))
    assert entry == Entry(title="T", abstract="A", extra={"x": [1, 2]})
    assert entry != Entry(title="T", abstract="B")
    assert {entry, entry} == {entry}
    assert not hasattr(entry, "__dict__")  # slots


def test_entry_authors_become_a_tuple() -> None:
    entry = Entry(title="T", authors=["Ann", "Ben"])  # type: ignore[arg-type]
    assert entry.authors == ("Ann", "Ben")
    with pytest.raises(TypeError):
        Entry(title="T", authors="Ann, Ben")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [None, 3, b"bytes"])
def test_entry_rejects_non_str_text(bad: object) -> None:
    with pytest.raises(TypeError, match="title"):
        Entry(title=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="abstract"):
        Entry(title="T", abstract=bad)  # type: ignore[arg-type]


def test_entry_to_dict_is_complete_stable_and_json_ready() -> None:
    entry = Entry(
        title="T",
        abstract="A",
        key="arxiv:2401.00001",
        version=2,
        authors=("Ann",),
        published="Jul 30",
        upvotes=4,
        position=3,
        line=17,
        extra={"categories": ["cs.CL"]},
    )
    data = entry.to_dict()
    assert list(data) == [
        "key",
        "version",
        "title",
        "abstract",
        "authors",
        "authors_count",
        "organization",
        "published",
        "upvotes",
        "position",
        "line",
        "extra",
    ]
    assert data["authors"] == ["Ann"]
    assert data["authors_count"] is None and data["organization"] is None
    assert json.loads(json.dumps(data)) == data
    assert list(Entry(title="x").to_dict()) == list(data)


def test_entry_norm_title() -> None:
    assert Entry(title="Embedding\\&MLP: Re-Visited!").norm_title == "embedding mlp re visited"


def test_entry_pickles() -> None:
    entry = Entry(title="T", abstract="A", authors=("a",), extra={"k": 1})
    assert pickle.loads(pickle.dumps(entry)) == entry


# ---- Snapshot --------------------------------------------------------------------------------


def test_snapshot_sequence_behaviour() -> None:
    entries = [Entry(title="One"), Entry(title="Two"), Entry(title="Three")]
    snap = neardup.Snapshot(entries=entries, date="Jul 30")
    assert len(snap) == 3
    assert [e.title for e in snap] == ["One", "Two", "Three"]
    assert snap[1].title == "Two"
    assert [e.title for e in snap[1:]] == ["Two", "Three"]
    assert isinstance(snap.entries, tuple)
    assert snap.path is None and snap.format is None and snap.date == "Jul 30"
    assert "3 entries" in repr(snap)


def test_snapshot_positions_are_indices() -> None:
    snap = Snapshot([Entry(title="a", position=7), Entry(title="b"), Entry(title="c", position=2)])
    assert [e.position for e in snap] == [0, 1, 2]
    already = [Entry(title="a", position=0), Entry(title="b", position=1)]
    assert all(x is y for x, y in zip(Snapshot(already), already, strict=True))


def test_snapshot_rejects_non_entries() -> None:
    with pytest.raises(TypeError, match=r"entries\[1\]"):
        Snapshot([Entry(title="a"), "b"])  # type: ignore[list-item]


def test_snapshot_to_dict_and_pickle() -> None:
    snap = Snapshot([Entry(title="a", abstract="x")], date="Jul 30", path="p.txt", format="hf-text")
    data = snap.to_dict()
    assert list(data) == ["path", "date", "format", "entries"]
    assert data["entries"][0]["title"] == "a"
    assert json.loads(json.dumps(data)) == data
    assert pickle.loads(pickle.dumps(snap)) == snap
    assert len(Snapshot([])) == 0


# ---- identity: arXiv ids and DOIs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2502.13138", ("arxiv:2502.13138", None)),
        ("2502.13138v3", ("arxiv:2502.13138", 3)),
        ("arXiv:2502.13138v2", ("arxiv:2502.13138", 2)),
        ("ARXIV: 2502.13138", ("arxiv:2502.13138", None)),
        ("http://arxiv.org/abs/2502.13138v1", ("arxiv:2502.13138", 1)),
        ("https://arxiv.org/abs/2502.13138", ("arxiv:2502.13138", None)),
        ("https://export.arxiv.org/abs/2502.13138v4", ("arxiv:2502.13138", 4)),
        ("https://arxiv.org/pdf/2502.13138v2.pdf", ("arxiv:2502.13138", 2)),
        ("https://arxiv.org/pdf/2502.13138v2", ("arxiv:2502.13138", 2)),
        ("oai:arXiv.org:2502.13138v1", ("arxiv:2502.13138", 1)),
        ("  0704.0001  ", ("arxiv:0704.0001", None)),
        ("hep-th/9901001", ("arxiv:hep-th/9901001", None)),
        ("oai:arXiv.org:hep-th/9901001v2", ("arxiv:hep-th/9901001", 2)),
        ("http://arxiv.org/abs/math.GT/0309136v1", ("arxiv:math.GT/0309136", 1)),
        ("math.gt/0309136", ("arxiv:math.GT/0309136", None)),
        ("10.48550/arXiv.2502.13138", ("arxiv:2502.13138", None)),
        ("https://doi.org/10.48550/arXiv.2502.13138", ("arxiv:2502.13138", None)),
        ("https://huggingface.co/papers/2502.13138", ("arxiv:2502.13138", None)),
    ],
)
def test_arxiv_key_parses(text: str, expected: tuple[str, int | None]) -> None:
    assert arxiv_key(text) == expected
    assert identity_key(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P-12345",
        "2502.1313",
        "1501.1234",
        "2513.12345",
        "hep-th/9913001",
        "2502.13138 extra",
        "see arXiv:2502.13138",
        "10.1145/375663.375678",
        "https://example.org/abs/2502.13138",
    ],
)
def test_arxiv_key_rejects(text: str) -> None:
    assert arxiv_key(text) is None


def test_doi_normalisation() -> None:
    assert normalize_doi("10.1145/375663.375678") == "10.1145/375663.375678"
    assert normalize_doi("DOI: 10.1145/ABC.DEF") == "10.1145/abc.def"
    assert normalize_doi("https://doi.org/10.1000/x%2Fy") == "10.1000/x/y"
    assert normalize_doi("http://dx.doi.org/10.1000/XYZ") == "10.1000/xyz"
    assert normalize_doi("not a doi") is None
    assert doi_key("https://doi.org/10.1000/XYZ") == "doi:10.1000/xyz"
    assert doi_key("10.48550/ARXIV.2502.13138") == "arxiv:2502.13138"
    assert identity_key("doi:10.1000/XYZ") == ("doi:10.1000/xyz", None)
    assert identity_key("nothing") is None


# ---- identity: normalised titles -------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Deep Interest Network", "deep interest network"),
        ("Embedding\\&MLP Paradigm", "embedding mlp paradigm"),
        ("Embedding&MLP Paradigm", "embedding mlp paradigm"),
        ("  Multi-Agent   Systems:\tA Survey ", "multi agent systems a survey"),
        ("Multi‐Agent — Systems – A “Survey”", "multi agent systems a survey"),
        ("ﬁne-tuning", "fine tuning"),  # NFKC ligature
        ("Straße", "strasse"),  # casefold
        ("Poincar\\'e Maps", "poincaré maps"),
        ("Poincar\\'{e} Maps", "poincaré maps"),
        ("{Poincar\\'e} Maps", "poincaré maps"),
        ("Poincare\u0301 Maps", "poincaré maps"),  # decomposed accent
        ("{BERT}: Pre-training", "bert pre training"),
        ("{B}ERT", "bert"),
        ("\\emph{Attention} Is All You Need", "attention is all you need"),
        ("$\\alpha$-Entmax", "α entmax"),
        ("$k$-Means", "k means"),
        ("100\\% Accuracy", "100 accuracy"),
        ("soft\u00adhyphen", "softhyphen"),
        ("What's New?", "what s new"),
        ("", ""),
    ],
)
def test_normalize_title(title: str, expected: str) -> None:
    assert normalize_title(title) == expected


def test_title_variants_agree() -> None:
    base = "Rethinking Replay Buffers in Offline Model-Based Policy Search"
    variants = [
        base.upper(),
        base.lower(),
        base.replace("-", " "),
        base.replace(" ", "  ") + ".",
        base.replace("Model-Based", "Model–Based"),
    ]
    assert {normalize_title(v) for v in variants} == {normalize_title(base)}
    other = "The Horizon Problem in Offline Model-Based Policy Search"
    assert normalize_title(other) != normalize_title(base)


@given(st.text())
def test_normalize_title_is_idempotent_and_clean(title: str) -> None:
    once = normalize_title(title)
    assert normalize_title(once) == once
    assert once == once.strip()
    assert "  " not in once


# LaTeX syntax ({ } $ \\) is not plain punctuation: braces and $ group without separating words.
@given(
    st.text(
        alphabet=st.characters(
            codec="ascii", categories=["L", "N", "P", "S", "Zs"], exclude_characters="{}$\\"
        )
    )
)
def test_normalize_title_ignores_case_and_punctuation_in_ascii(title: str) -> None:
    assert normalize_title(title.upper()) == normalize_title(title.lower())
    spaced = "".join(c if c.isalnum() else " " for c in title)
    assert normalize_title(spaced) == normalize_title(title)
