"""Reconciliation of two snapshots: which papers were added, removed, kept, kept with changed text, and
which are listed twice.

Entries are matched in three stages, each only among what the previous stages left unmatched:

1. **key** — the same stable id (arXiv id without version, DOI, or an explicit id field);
2. **title** — the same normalised title (DESIGN §5), unless both entries carry different keys;
3. **near** — fuzzy matching of title + abstract in the Rust core (`neardup._core._near_cross`): IDF-weighted
   Jaccard over word unigrams and bigrams, candidates from rare shared terms, verified exactly, then a
   one-to-one assignment best score first. Real revisions that reword most of an abstract still share their
   rare terms and phrases, while unrelated papers of the same field do not (see the module doc of
   ``rust/neardup-core/src/near.rs`` and the calibration in ``benches/bench_reconcile.py``).

A matched pair whose title or abstract differs after collapsing whitespace is *changed* and carries a word
diff per differing field (`neardup.diff`, computed in one parallel batch); otherwise it is *unchanged*.
Differences in volatile metadata (upvotes, author counts, dates, versions) are recorded as ``meta_changed``
and only make an entry changed when ``include_meta=True``.

Within each snapshot, entries listed more than once (same key, same normalised title, or near-identical
text found by MinHash/LSH in the core) are reported as duplicate groups. Every old entry ends up in exactly
one of removed / unchanged / changed and every new entry in exactly one of added / unchanged / changed.

The catalog (`neardup.catalog`) reconciles each added snapshot with what it holds by the same rules, and
shares these building blocks with this module rather than restating them: `collapse` (whitespace),
`text_of` (the text near matching reads), `agreement` (choosing among entries sharing an identity) and
`duplicate_groups`. They are not part of the package's public API (`neardup.__all__`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from neardup import _core
from neardup.defaults import DEFAULT_DUPLICATE_THRESHOLD, DEFAULT_THRESHOLD
from neardup.identity import normalize_title
from neardup.model import Entry, Snapshot

__all__ = [
    "DEFAULT_DUPLICATE_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "META_FIELDS",
    "DuplicateGroup",
    "Match",
    "SnapshotDiff",
    "compare",
]

# DEFAULT_THRESHOLD and DEFAULT_DUPLICATE_THRESHOLD are defined in `neardup.defaults`, where the CLI reads
# them without importing this module.
#: Volatile metadata: differences here never make an entry changed unless asked to.
META_FIELDS: tuple[str, ...] = (
    "version",
    "authors",
    "authors_count",
    "organization",
    "published",
    "upvotes",
)
TEXT_FIELDS: tuple[str, ...] = ("title", "abstract")
_WORD = re.compile(r"\w+")
_META = attrgetter(*META_FIELDS)
_WHOLE = "\x00whole"  # diff job of a pair's whole text (never a field name)


def collapse(text: str) -> str:
    """`text` with its whitespace runs collapsed to single spaces and its ends stripped."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Match:
    """An old entry and the new entry found to be the same paper.

    Attributes:
        old, new: the two entries.
        how: ``"key"``, ``"title"`` or ``"near"``: the stage that matched them.
        similarity: for near matches, the matching score that passed the threshold; for key and title
            matches, the word-diff ratio of title + abstract (1.0 when the texts are equal).
        fields: for each text field that differs (``title``, ``abstract``), its word diff.
        meta_changed: names of the metadata fields whose values differ.
        changed: whether the entry counts as changed (text differs, or metadata with include_meta).
    """

    old: Entry
    new: Entry
    how: str
    similarity: float
    fields: dict[str, _core.Diff] = field(default_factory=dict)
    meta_changed: tuple[str, ...] = ()
    changed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "match": self.how,
            "similarity": round(self.similarity, 6),
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "fields": {
                name: {"old": d.old, "new": d.new, "ops": [list(op) for op in d.ops]}
                for name, d in sorted(self.fields.items())
            },
            "meta_changed": list(self.meta_changed),
        }


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Entries of one snapshot that are the same paper listed more than once.

    Attributes:
        snapshot: ``"old"`` or ``"new"``.
        members: the entries' positions, ascending.
        similarity: the lowest similarity among the links that joined the group (1.0 for identical key
            or title).
    """

    snapshot: str
    members: tuple[int, ...]
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "members": list(self.members),
            "similarity": round(self.similarity, 6),
        }


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    """The result of `compare`. Entry tuples are in snapshot order (matches by old position)."""

    old: Snapshot
    new: Snapshot
    unchanged: tuple[Match, ...]
    changed: tuple[Match, ...]
    added: tuple[Entry, ...]
    removed: tuple[Entry, ...]
    duplicates: tuple[DuplicateGroup, ...]
    threshold: float = DEFAULT_THRESHOLD

    @property
    def has_differences(self) -> bool:
        """True when anything was added, removed or changed (the CLI's exit status 1)."""
        return bool(self.changed or self.added or self.removed)

    def summary(self) -> dict[str, int]:
        return {
            "unchanged": len(self.unchanged),
            "changed": len(self.changed),
            "added": len(self.added),
            "removed": len(self.removed),
            "duplicates": len(self.duplicates),
            "meta_changed": sum(1 for m in (*self.unchanged, *self.changed) if m.meta_changed),
        }

    def summary_line(self) -> str:
        s = self.summary()
        return (
            f"{s['unchanged']} unchanged, {s['changed']} changed, {s['added']} added, "
            f"{s['removed']} removed, {s['duplicates']} duplicate groups"
        )


def _meta_differences(old: Entry, new: Entry) -> tuple[str, ...]:
    a, b = _META(old), _META(new)
    if a == b:  # the common case, compared as one tuple
        return ()
    return tuple(name for name, x, y in zip(META_FIELDS, a, b, strict=True) if x != y)


def text_of(entry: Entry) -> str:
    """The text near matching and duplicate detection read: title, newline, abstract."""
    return f"{entry.title}\n{entry.abstract}"


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.weakest: dict[int, float] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:
            nxt = self.parent.get(x, x)
            self.parent[x] = root
            x = nxt
        return root

    def union(self, a: int, b: int, similarity: float) -> None:
        ra, rb = self.find(a), self.find(b)
        low = min(similarity, self.weakest.get(ra, 1.0), self.weakest.get(rb, 1.0))
        if ra != rb:
            ra, rb = min(ra, rb), max(ra, rb)
            self.parent[rb] = ra
            self.parent.setdefault(ra, ra)
        self.weakest[ra] = low

    def groups(self) -> list[tuple[tuple[int, ...], float]]:
        members: dict[int, list[int]] = defaultdict(list)
        for x in list(self.parent):
            members[self.find(x)].append(x)
        out = [
            (tuple(sorted(ms)), self.weakest.get(root, 1.0)) for root, ms in members.items() if len(ms) > 1
        ]
        out.sort()
        return out


def duplicate_groups(
    entries: Sequence[Entry],
    titles: Sequence[str],
    label: str,
    threshold: float,
    near_pairs: Sequence[tuple[int, int, float]] | None = None,
) -> list[DuplicateGroup]:
    """Groups of entries listed more than once: same key, same normalised title (unless their keys
    differ), or near-identical text. ``near_pairs`` are the text pairs when already found (see
    `_core._duplicate_pairs`, which finds them for two snapshots at once)."""
    uf = _UnionFind()
    first_by_key: dict[str, int] = {}
    first_by_title: dict[str, int] = {}
    keys = [e.key for e in entries]
    for position, (key, title) in enumerate(zip(keys, titles, strict=True)):
        if key is not None:
            seen = first_by_key.setdefault(key, position)
            if seen != position:
                uf.union(seen, position, 1.0)
        if title:
            seen = first_by_title.setdefault(title, position)
            if seen != position and not _keys_differ(keys[seen], key):
                uf.union(seen, position, 1.0)
    if near_pairs is None and len(entries) > 1:
        # 64 permutations are plenty to find pairs this similar; every candidate is verified exactly.
        near_pairs, _ = _core._duplicate_pairs(
            [e.title for e in entries], [e.abstract for e in entries], [], [], threshold=threshold
        )
    for a, b, sim in near_pairs or ():
        if not _keys_differ(keys[a], keys[b]):
            uf.union(a, b, sim)
    return [DuplicateGroup(label, members, sim) for members, sim in uf.groups()]


def _keys_differ(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a != b


def _different_keys(a: Entry, b: Entry) -> bool:
    return a.key is not None and b.key is not None and a.key != b.key


def _words(entry: Entry) -> frozenset[str]:
    return frozenset(_WORD.findall(text_of(entry).casefold()))


def agreement(a: Entry, b: Entry) -> float:
    """How well two entries with the same identity agree beyond it: shared words of title + abstract
    (Jaccard), plus a smaller share for metadata values present on both sides and equal (author list,
    dates, the source's other fields such as venue and year). Only used to choose among several
    candidates with the same identity (a paper listed as journal and conference versions, say)."""
    wa, wb = _words(a), _words(b)
    text = len(wa & wb) / len(wa | wb) if wa | wb else 1.0
    both = [(getattr(a, n), getattr(b, n)) for n in ("authors", "published", "organization")]
    both += [(v, b.extra[k]) for k, v in a.extra.items() if k in b.extra]
    present = [(x, y) for x, y in both if x is not None and y is not None]
    meta = sum(1 for x, y in present if x == y) / len(present) if present else 0.0
    return text + 0.5 * meta


def _normalized_titles(titles: Sequence[str]) -> list[str]:
    """`normalize_title` of each title: plain-ASCII titles in one core batch, the others in Python."""
    fast = _core._normalize_titles(titles)
    return [normalize_title(t) if f is None else f for t, f in zip(titles, fast, strict=True)]


def _match_exact(
    old: Sequence[Entry],
    new: Sequence[Entry],
    old_ids: Sequence[str | None],
    new_ids: Sequence[str | None],
    label: str,
) -> list[tuple[int, int, str]]:
    """Pairs old and new entries with an equal non-empty identity (key or normalised title; None for
    entries taking no part), never two entries whose keys differ, in new order.

    One candidate on each side: they match. Several (the same title listed for distinct papers, or one
    paper listed twice): pairs are chosen best agreement first (`agreement`), then by position."""
    unique, groups = _core._match_identities(old_ids, new_ids)
    out = [(i, j, label) for i, j in unique if not _different_keys(old[i], new[j])]
    for is_, js in groups:
        scored = sorted(
            (-agreement(old[i], new[j]), i, j) for i in is_ for j in js if not _different_keys(old[i], new[j])
        )
        taken_i: set[int] = set()
        taken_j: set[int] = set()
        for _neg, i, j in scored:
            if i not in taken_i and j not in taken_j:
                taken_i.add(i)
                taken_j.add(j)
                out.append((i, j, label))
    out.sort(key=lambda t: t[1])
    return out


def _match_near(
    old: Sequence[Entry],
    new: Sequence[Entry],
    old_left: list[int],
    new_left: list[int],
    threshold: float,
) -> list[tuple[int, int, float]]:
    if not old_left or not new_left:
        return []
    li, ri, scores = _core._near_cross(
        [text_of(old[i]) for i in old_left],
        [text_of(new[j]) for j in new_left],
        threshold=threshold,
        one_to_one=False,
    )
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    out: list[tuple[int, int, float]] = []
    # Pairs arrive best first; the greedy assignment skips pairs whose keys say they differ.
    for a, b, s in zip(li.tolist(), ri.tolist(), scores.tolist(), strict=True):
        i, j = old_left[a], new_left[b]
        if i in taken_old or j in taken_new or _different_keys(old[i], new[j]):
            continue
        taken_old.add(i)
        taken_new.add(j)
        out.append((i, j, float(s)))
    return out


def compare(
    old: Snapshot,
    new: Snapshot,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    duplicate_threshold: float = DEFAULT_DUPLICATE_THRESHOLD,
    include_meta: bool = False,
    near: bool = True,
) -> SnapshotDiff:
    """Reconcile two snapshots.

    Args:
        old, new: the two snapshots (e.g. `neardup.read_snapshot` results).
        threshold: minimum score of a near match, in (0, 1].
        duplicate_threshold: minimum word-3-gram Jaccard of a within-snapshot duplicate, in (0, 1).
        include_meta: let metadata-only differences make an entry changed.
        near: run the near stage (off: match by key and title only).

    Raises:
        ValueError: a threshold is out of range.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold: must be in (0, 1], got {threshold}")
    if not 0.0 < duplicate_threshold < 1.0:
        raise ValueError(f"duplicate_threshold: must be in (0, 1), got {duplicate_threshold}")
    o, n = old.entries, new.entries
    # Columns, read once: every stage below works on them rather than on entry attributes.
    old_titles, new_titles = [e.title for e in o], [e.title for e in n]
    old_abstracts, new_abstracts = [e.abstract for e in o], [e.abstract for e in n]
    old_left = set(range(len(o)))
    new_left = set(range(len(n)))
    # Normalised titles, computed once (the title stage and duplicate detection both use them).
    titles = (_normalized_titles(old_titles), _normalized_titles(new_titles))
    pairs: list[tuple[int, int, str, float | None]] = []
    for label in ("key", "title"):
        if label == "key":
            ids = ([e.key for e in o], [e.key for e in n])
        else:
            ids = (
                [t if i in old_left else None for i, t in enumerate(titles[0])],
                [t if j in new_left else None for j, t in enumerate(titles[1])],
            )
        for i, j, how in _match_exact(o, n, ids[0], ids[1], label):
            pairs.append((i, j, how, None))
            old_left.discard(i)
            new_left.discard(j)
    if near:
        for i, j, s in _match_near(o, n, sorted(old_left), sorted(new_left), threshold):
            pairs.append((i, j, "near", s))
            old_left.discard(i)
            new_left.discard(j)

    # Which matched pairs differ in text, and the diffs of their differing fields, in one batch.
    diff_jobs: list[tuple[int, str]] = []
    diff_inputs: list[tuple[str, str]] = []
    for k, (i, j, _how, score) in enumerate(pairs):
        if old_titles[i] == new_titles[j] and old_abstracts[i] == new_abstracts[j]:
            continue  # the common case: nothing to diff
        before = len(diff_jobs)
        for name, a, b in (
            ("title", old_titles[i], new_titles[j]),
            ("abstract", old_abstracts[i], new_abstracts[j]),
        ):
            if a != b and collapse(a) != collapse(b):
                diff_jobs.append((k, name))
                diff_inputs.append((a, b))
        if score is None and len(diff_jobs) > before:
            # Key and title matches report the word-diff ratio of the whole text as their similarity.
            diff_jobs.append((k, _WHOLE))
            diff_inputs.append((text_of(o[i]), text_of(n[j])))
    diffs = _core.diff_many(diff_inputs) if diff_inputs else []
    fields_of: dict[int, dict[str, _core.Diff]] = defaultdict(dict)
    for (k, name), d in zip(diff_jobs, diffs, strict=True):
        fields_of[k][name] = d

    unchanged: list[Match] = []
    changed: list[Match] = []
    for k, (i, j, how, score) in enumerate(pairs):
        fields = fields_of.get(k, {})
        meta = _meta_differences(o[i], n[j])
        whole = fields.pop(_WHOLE, None)
        if score is None:
            score = 1.0 if whole is None else whole.ratio
        is_changed = bool(fields) or (include_meta and bool(meta))
        m = Match(o[i], n[j], how, score, fields, meta, is_changed)
        (changed if is_changed else unchanged).append(m)
    unchanged.sort(key=lambda m: m.old.position)
    changed.sort(key=lambda m: m.old.position)

    # Near-identical texts inside each snapshot, found for both at once (they share most texts).
    old_near, new_near = _core._duplicate_pairs(
        old_titles, old_abstracts, new_titles, new_abstracts, threshold=duplicate_threshold
    )
    duplicates = duplicate_groups(o, titles[0], "old", duplicate_threshold, old_near) + duplicate_groups(
        n, titles[1], "new", duplicate_threshold, new_near
    )
    return SnapshotDiff(
        old=old,
        new=new,
        unchanged=tuple(unchanged),
        changed=tuple(changed),
        added=tuple(n[j] for j in sorted(new_left)),
        removed=tuple(o[i] for i in sorted(old_left)),
        duplicates=tuple(duplicates),
        threshold=threshold,
    )
