"""Reconciliation: the seeds, modified seeds, real revisions, conservation, determinism, errors."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neardup
from conftest import SEED_NEW, SEED_OLD
from neardup.formats import hf_text
from neardup.reconcile import compare

OFFLINE_A = "Revisiting Design Choices in Offline Model-Based Reinforcement Learning"
OFFLINE_B = "The Edge-of-Reach Problem in Offline Model-Based Reinforcement Learning"


@pytest.fixture(scope="module")
def seeds() -> tuple[neardup.Snapshot, neardup.Snapshot]:
    return neardup.read_snapshot(SEED_OLD), neardup.read_snapshot(SEED_NEW)


def check_conservation(d: neardup.SnapshotDiff) -> None:
    """Every entry is in exactly one of matched / added (removed) / listed again: an unmatched member of a
    duplicate group that also holds a matched member."""
    for side, unmatched in (("old", d.removed), ("new", d.added)):
        matched = {getattr(m, side).position for m in (*d.unchanged, *d.changed)}
        listed = {e.position for e in unmatched}
        again = {
            p
            for g in d.duplicates
            if g.snapshot == side and matched & set(g.members)
            for p in g.members
            if p not in matched and p not in listed  # a member under a key of its own is listed too
        }
        positions = sorted([*matched, *listed, *again])
        assert positions == list(range(len(getattr(d, side))))


def test_distinct_ids_with_one_text_are_two_entries_and_one_duplicate_group() -> None:
    """Any declared id is a key: a second id listing the same text is an entry of its own (added), and the
    two form a duplicate group; the same text listed again without a key is that paper again (not added).
    The catalog keeps the two ids as two papers."""
    text = {"title": "Sparse Attention for Long Documents", "abstract": "We study sparse attention " * 8}
    old = neardup.read_snapshot([{"id": "2401.00001", **text}])
    for extra, added in (({"id": "2401.00002", **text}, ["arxiv:2401.00002"]), (dict(text), [])):
        d = compare(old, neardup.read_snapshot([{"id": "2401.00001", **text}, extra]))
        check_conservation(d)
        assert [e.key for e in d.added] == added
        assert [(g.snapshot, g.members) for g in d.duplicates] == [("new", (0, 1))]
        assert len(d.unchanged) == 1 and not d.changed and not d.removed
    from neardup.catalog import Catalog

    with Catalog(":memory:") as cat:
        cat.add(neardup.read_snapshot([{"id": "2401.00001", **text}, {"id": "2401.00002", **text}]))
        assert cat.counts()["papers"] == 2


def test_seeds(seeds: tuple[neardup.Snapshot, neardup.Snapshot]) -> None:
    d = compare(*seeds)
    assert d.summary_line() == "39 unchanged, 0 changed, 26 added, 53 removed, 0 duplicate groups"
    assert d.has_differences
    check_conservation(d)
    pairs = {(m.old.title, m.new.title) for m in (*d.unchanged, *d.changed)}
    assert (OFFLINE_A, OFFLINE_B) not in pairs and (OFFLINE_B, OFFLINE_A) not in pairs
    assert all(m.old.abstract == m.new.abstract for m in d.unchanged)
    # Upvotes and dates differ between the two listings: metadata only.
    assert d.summary()["meta_changed"] > 0
    assert compare(*seeds, include_meta=True).summary()["changed"] > 0


def test_identical_snapshots_have_no_differences(
    seeds: tuple[neardup.Snapshot, neardup.Snapshot],
) -> None:
    d = compare(seeds[0], seeds[0])
    assert not d.has_differences
    assert len(d.unchanged) == len(seeds[0])


def _write(tmp_path: Path, name: str, entries: list[neardup.Entry], **kw: str) -> Path:
    text = hf_text.render(entries, date="Jul 30")
    if kw.get("crlf"):
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if kw.get("bom"):
        data = b"\xef\xbb\xbf" + data
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("variant", ["plain", "crlf", "bom"])
def test_modified_seed_classifications(
    tmp_path: Path, seeds: tuple[neardup.Snapshot, neardup.Snapshot], variant: str
) -> None:
    old = list(seeds[1].entries)
    new = list(old)
    # 0: abstract edited; 1: title re-cased and re-punctuated; 2: listed twice; 3: removed.
    edited = new[0].abstract.replace(" the ", " THE NEW ", 1) + " We also release code."
    new[0] = new[0].replace(abstract=edited)
    new[1] = new[1].replace(title=new[1].title.upper().replace(" ", " - ", 1) + "!")
    removed_title = new[3].title
    del new[3]
    new.append(new[2])
    path = _write(tmp_path, "new.txt", new, crlf=variant == "crlf", bom=variant == "bom")
    d = compare(neardup.Snapshot(old), neardup.read_snapshot(path))
    check_conservation(d)
    changed = {m.old.title: m for m in d.changed}
    assert set(changed) == {old[0].title, old[1].title}
    assert set(changed[old[0].title].fields) == {"abstract"}
    assert changed[old[0].title].how == "key" or changed[old[0].title].how in {"title", "near"}
    assert set(changed[old[1].title].fields) == {"title"}
    assert changed[old[1].title].how == "title"
    assert [e.title for e in d.removed] == [removed_title]
    assert d.added == ()  # the second listing of entry 2 is reported by its duplicate group, not as added
    assert len(d.duplicates) == 1
    group = d.duplicates[0]
    assert group.snapshot == "new" and len(group.members) == 2
    assert {d.new.entries[p].title for p in group.members} == {old[2].title}
    # The word diff marks exactly the edit.
    ops = changed[old[0].title].fields["abstract"].ops
    assert any(tag != "equal" for tag, *_ in ops)


def test_retitled_and_revised_without_keys_is_near_match(
    seeds: tuple[neardup.Snapshot, neardup.Snapshot],
) -> None:
    base = seeds[0].entries[5]
    words = base.abstract.split()
    revised = " ".join(
        words[: len(words) // 2] + ["Moreover, we add a new ablation."] + words[len(words) // 2 :]
    )
    old = neardup.Snapshot([base, seeds[0].entries[6]])
    new = neardup.Snapshot([neardup.Entry(title="A Completely New Title", abstract=revised)])
    d = compare(old, new)
    assert [(m.how, m.old.title) for m in d.changed] == [("near", base.title)]
    assert set(d.changed[0].fields) == {"title", "abstract"}
    assert [e.title for e in d.removed] == [seeds[0].entries[6].title]


def test_keys_take_precedence_and_different_keys_never_match() -> None:
    a = neardup.Entry(title="Same Title", abstract="alpha beta gamma", key="arxiv:1111.1111")
    b = neardup.Entry(title="Same Title", abstract="alpha beta gamma", key="arxiv:2222.2222")
    d = compare(neardup.Snapshot([a]), neardup.Snapshot([b]))
    assert len(d.added) == 1 and len(d.removed) == 1
    c = neardup.Entry(title="Renamed", abstract="other words entirely", key="arxiv:1111.1111")
    d = compare(neardup.Snapshot([a]), neardup.Snapshot([c]))
    assert [m.how for m in d.changed] == ["key"]


def test_whitespace_only_change_is_unchanged() -> None:
    a = neardup.Entry(title="A  title", abstract="some text\nwrapped here")
    b = neardup.Entry(title="A title", abstract="some text wrapped   here")
    d = compare(neardup.Snapshot([a]), neardup.Snapshot([b]))
    assert len(d.unchanged) == 1 and not d.changed


def test_real_revisions_are_found_with_their_partner(
    revisions: list[dict[str, object]], seeds: tuple[neardup.Snapshot, neardup.Snapshot]
) -> None:
    """Old = the `before` texts, new = the `after` texts, no titles or keys, with the seed abstracts as
    unchanged distractors; each revision depth is one round so every paper appears once per side."""
    distractors = list({e.abstract: e for s in seeds for e in s}.values())
    by_depth: dict[object, list[dict[str, object]]] = collections.defaultdict(list)
    for r in revisions:
        by_depth[r["revision_depth"]].append(r)
    right = wrong = total = 0
    for rs in by_depth.values():
        old = [neardup.Entry(title="", abstract=str(r["before"])) for r in rs]
        new = [neardup.Entry(title="", abstract=str(r["after"])) for r in rs]
        old += [neardup.Entry(title="", abstract=e.abstract) for e in distractors]
        new += [neardup.Entry(title="", abstract=e.abstract) for e in reversed(distractors)]
        d = compare(neardup.Snapshot(old), neardup.Snapshot(new))
        check_conservation(d)
        total += len(rs)
        assert len(d.unchanged) == len(distractors)
        for m in d.changed:
            if m.old.position < len(rs) and m.new.position == m.old.position:
                right += 1
            else:
                wrong += 1
        for m in d.unchanged:
            assert m.old.abstract == m.new.abstract
    assert wrong == 0
    assert right / total >= 0.95, (right, total)


entry_st = st.builds(
    neardup.Entry,
    title=st.sampled_from(["Alpha", "Beta study", "Gamma rays", "", "Delta-force", "alpha"]),
    abstract=st.sampled_from(
        [
            "",
            "we study alpha particles in detail",
            "we study alpha particles in great detail",
            "unrelated text about cooking pasta",
            "beta decay measurements at low energy",
        ]
    ),
    key=st.sampled_from([None, None, "arxiv:1", "arxiv:2", "doi:10.1/x"]),
    upvotes=st.one_of(st.none(), st.integers(0, 5)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(entry_st, max_size=12), st.lists(entry_st, max_size=12))
def test_conservation_property(old: list[neardup.Entry], new: list[neardup.Entry]) -> None:
    d = compare(neardup.Snapshot(old), neardup.Snapshot(new))
    check_conservation(d)
    for m in d.unchanged:
        assert " ".join(m.old.title.split()) == " ".join(m.new.title.split())
    for g in d.duplicates:
        assert len(g.members) >= 2 and list(g.members) == sorted(g.members)


def test_json_is_deterministic(seeds: tuple[neardup.Snapshot, neardup.Snapshot]) -> None:
    from neardup import report

    a = report.render(compare(*seeds), "json")
    b = report.render(compare(*seeds), "json")
    assert a == b
    doc = json.loads(a)
    assert doc["schema_version"] == 1
    assert doc["summary"]["added"] == 26
    assert set(doc) >= {"old", "new", "summary", "changed", "added", "removed", "unchanged", "duplicates"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 0.0},
        {"threshold": 0.07},  # the old rule's default: refused, not read as a far looser new one
        {"threshold": float("nan")},
        {"threshold": float("inf")},
        {"duplicate_threshold": 1.0},
    ],
)
def test_invalid_thresholds(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="threshold"):
        compare(neardup.Snapshot([]), neardup.Snapshot([]), **kwargs)


def test_same_title_listed_for_two_papers_is_disambiguated_by_content() -> None:
    """Two distinct papers with one title (journal and conference versions, say) on both sides: each old
    entry goes to the new entry that agrees with it, not to the first in listing order."""
    old = [
        neardup.Entry(title="Book review column", abstract="Karl Aberer", extra={"year": "2002"}),
        neardup.Entry(title="Book review column", abstract="Alice Smith, Bob Jones", extra={"year": "2003"}),
    ]
    new = [
        neardup.Entry(title="Book Review Column", abstract="Alice Smith, Bob Jones", extra={"year": "2003"}),
        neardup.Entry(title="Book review column", abstract="Karl Aberer", extra={"year": "2002"}),
    ]
    d = compare(neardup.Snapshot(old), neardup.Snapshot(new))
    got = sorted((m.old.position, m.new.position) for m in (*d.unchanged, *d.changed))
    assert got == [(0, 1), (1, 0)]
    assert all(m.how == "title" for m in (*d.unchanged, *d.changed))
    # Same content, metadata decides: the year agrees.
    old2 = [neardup.Entry(title="Editorial", abstract="J. Doe", extra={"year": y}) for y in ("1999", "2001")]
    new2 = [neardup.Entry(title="Editorial", abstract="J. Doe", extra={"year": y}) for y in ("2001", "1999")]
    d2 = compare(neardup.Snapshot(old2), neardup.Snapshot(new2))
    assert sorted((m.old.position, m.new.position) for m in d2.unchanged) == [(0, 1), (1, 0)]


def test_similarity_of_key_and_title_matches_is_the_text_ratio() -> None:
    a = neardup.Entry(title="T", abstract="one two three four five six seven eight", key="arxiv:1")
    b = neardup.Entry(title="T", abstract="one two three four five six seven nine", key="arxiv:1")
    d = compare(neardup.Snapshot([a]), neardup.Snapshot([b]))
    (m,) = d.changed
    assert m.how == "key"
    assert 0.8 < m.similarity < 1.0
    assert set(m.fields) == {"abstract"}
