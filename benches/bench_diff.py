"""Word diffs of abstract pairs, tokenising included: neardup vs difflib, cydifflib, rapidfuzz
and diff-match-patch, side by side on one corpus.

Corpus (fixed seed): related pairs of ~150-word abstracts, each revised in one to three realistic
ways (a typo fixed, a number changed, a sentence inserted or deleted, a clause reworded, a
hyphenation or whitespace change), and unrelated pairs. `NEARDUP_BENCH_SCALE=full` runs the
issue's 5,000 related and 500 unrelated pairs; the default smoke scale is tiny (CI runs it with
--benchmark-disable). neardup runs on RAYON_NUM_THREADS threads (1 unless set, see conftest.py);
`report.py` prints the tables with ratios and the 1- vs 2-thread scaling.

Quality beside speed (test_quality): the share of minimal scripts (deleted + inserted tokens equal
to the Indel distance) and, on the real arXiv revisions, the share of characters marked changed
that lie outside the human-labelled edit spans (lower is more precise).
"""

from __future__ import annotations

import difflib
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import neardup
from corpus import size, vocabulary

N_RELATED = size(50, 5_000)
N_UNRELATED = size(10, 500)
REVISIONS = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "iterater-arxiv" / "revisions.jsonl"
)
TOKEN = re.compile(r"\w+|[^\w\s]")
Pair = tuple[str, str]

# ---- corpus ---------------------------------------------------------------------------------------


class _Writer:
    """Abstract-like sentences: Zipfian invented words, numbers, hyphenated compounds, commas."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.vocab = vocabulary(20_000, seed=7)
        self.weights = [1.0 / (rank + 1) for rank in range(len(self.vocab))]

    def words(self, k: int) -> list[str]:
        rng = self.rng
        out = rng.choices(self.vocab, weights=self.weights, k=k)
        for i in range(len(out)):
            r = rng.random()
            if r < 0.04:
                out[i] = rng.choice(["12.5%", "2021", "0.7", "3", "95.1", "1,024", "(4.2)"])
            elif r < 0.08:
                out[i] = out[i] + "-" + rng.choice(self.vocab[:500])
            elif r < 0.15:
                out[i] += ","
        return out

    def sentence(self) -> str:
        ws = self.words(self.rng.randint(8, 24))
        ws[0] = ws[0].capitalize()
        return " ".join(ws).rstrip(",") + "."

    def abstract(self, n_words: int = 150) -> list[str]:
        sents: list[str] = []
        while sum(len(s.split()) for s in sents) < n_words:
            sents.append(self.sentence())
        return sents


def _revise(sents: list[str], w: _Writer) -> list[str]:
    rng = w.rng
    sents = list(sents)
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["typo", "number", "insert", "delete", "reword", "hyphen", "space"])
        k = rng.randrange(len(sents))
        words = sents[k].split(" ")
        if kind == "typo":
            # The old text has the typo; the new one fixes it.
            i = rng.randrange(len(words))
            word = words[i]
            if len(word) > 3:
                j = rng.randrange(len(word) - 1)
                words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif kind == "number":
            words[rng.randrange(len(words))] = str(rng.randint(2, 999))
        elif kind == "insert":
            sents.insert(k, w.sentence())
            continue
        elif kind == "delete" and len(sents) > 2:
            del sents[k]
            continue
        elif kind == "reword":
            i = rng.randrange(len(words))
            n = rng.randint(3, 8)
            words[i : i + n] = w.words(rng.randint(2, 8)) + ["the"] * rng.randint(0, 1)
        elif kind == "hyphen":
            words = [x.replace("-", " ", 1) if "-" in x else x for x in words]
        else:
            words[rng.randrange(len(words))] += rng.choice(["  ", "\n"])
        sents[k] = " ".join(x for x in words if x)
    return sents


def related_pairs(n: int, seed: int = 42) -> list[Pair]:
    w = _Writer(random.Random(seed))
    out = []
    for _ in range(n):
        new = w.abstract()
        old = _revise(new, w)
        out.append((" ".join(old), " ".join(new)))
    return out


def unrelated_pairs(n: int, seed: int = 43) -> list[Pair]:
    w = _Writer(random.Random(seed))
    return [(" ".join(w.abstract()), " ".join(w.abstract())) for _ in range(n)]


# ---- implementations: (old, new) pairs → word-level edit scripts ---------------------------------


def run_neardup(pairs: list[Pair]) -> Any:
    return neardup.diff_many(pairs)


def run_neardup_minimal(pairs: list[Pair]) -> Any:
    return neardup.diff_many(pairs, cleanup="none")


def run_neardup_per_call(pairs: list[Pair]) -> Any:
    diff = neardup.diff
    return [diff(a, b) for a, b in pairs]


def run_difflib(pairs: list[Pair]) -> Any:
    sm = difflib.SequenceMatcher
    findall = TOKEN.findall
    return [sm(None, findall(a), findall(b), autojunk=False).get_opcodes() for a, b in pairs]


def run_cydifflib(pairs: list[Pair]) -> Any:
    import cydifflib

    sm = cydifflib.SequenceMatcher
    findall = TOKEN.findall
    return [sm(None, findall(a), findall(b), autojunk=False).get_opcodes() for a, b in pairs]


def run_rapidfuzz(pairs: list[Pair]) -> Any:
    from rapidfuzz.distance import Indel

    findall = TOKEN.findall
    return [Indel.opcodes(findall(a), findall(b)) for a, b in pairs]


def dmp_word_diff(dmp: Any, a: str, b: str) -> list[tuple[int, list[str]]]:
    """diff-match-patch in word mode: tokens mapped to one character each (as its diff_linesToChars
    does for lines), diffed, semantically cleaned up, mapped back."""
    table: dict[str, str] = {}
    inverse: list[str] = []

    def encode(text: str) -> str:
        out = []
        for tok in TOKEN.findall(text):
            c = table.get(tok)
            if c is None:
                # Skip the surrogate block, which a Python str may hold but dmp cannot round-trip.
                code = len(inverse) + 1
                c = chr(code if code < 0xD800 else code + 0x800)
                table[tok] = c
                inverse.append(tok)
            out.append(c)
        return "".join(out)

    diffs = dmp.diff_main(encode(a), encode(b), False)
    dmp.diff_cleanupSemantic(diffs)
    return [
        (op, [inverse[(ord(c) if ord(c) < 0xD800 else ord(c) - 0x800) - 1] for c in s]) for op, s in diffs
    ]


def run_dmp(pairs: list[Pair]) -> Any:
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    return [dmp_word_diff(dmp, a, b) for a, b in pairs]


IMPLS: dict[str, Callable[[list[Pair]], Any]] = {
    "neardup": run_neardup,
    "neardup-minimal": run_neardup_minimal,
    "neardup-per-call": run_neardup_per_call,
    "difflib": run_difflib,
    "cydifflib": run_cydifflib,
    "rapidfuzz": run_rapidfuzz,
    "diff-match-patch": run_dmp,
}
PEER_MODULES = {
    "cydifflib": "cydifflib",
    "rapidfuzz": "rapidfuzz",
    "diff-match-patch": "diff_match_patch",
}


@pytest.fixture(scope="module")
def corpora() -> dict[str, list[Pair]]:
    return {"related": related_pairs(N_RELATED), "unrelated": unrelated_pairs(N_UNRELATED)}


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("kind", ["related", "unrelated"])
def test_diff(benchmark: Any, corpora: dict[str, list[Pair]], kind: str, impl: str) -> None:
    if impl in PEER_MODULES:
        pytest.importorskip(PEER_MODULES[impl])
    pairs = corpora[kind]
    benchmark.group = f"diff-{kind}"
    benchmark.extra_info.update(impl=impl, pairs=len(pairs))
    result = benchmark(IMPLS[impl], pairs)
    assert len(result) == len(pairs)


# ---- quality ------------------------------------------------------------------------------------


def token_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN.finditer(text)]


def changed_old_ranges(impl: str, old: str, new: str) -> tuple[list[tuple[int, int]], int]:
    """Character ranges of `old` an implementation marks changed, and its distance in tokens."""
    if impl.startswith("neardup"):
        d = neardup.diff(old, new, cleanup="none" if impl == "neardup-minimal" else "semantic")
        return [(i1, i2) for tag, i1, i2, _, _ in d.ops if tag != "equal"], d.distance
    spans = token_spans(old)
    ranges: list[tuple[int, int]] = []
    dist = 0
    if impl == "diff-match-patch":
        from diff_match_patch import diff_match_patch

        pos = 0
        for op, toks in dmp_word_diff(diff_match_patch(), old, new):
            if op == 0:
                pos += len(toks)
                continue
            dist += len(toks)
            if op == -1:
                ranges.append((spans[pos][0], spans[pos + len(toks) - 1][1]))
                pos += len(toks)
        return ranges, dist
    ops = IMPLS[impl]([(old, new)])[0]
    for tag, i1, i2, j1, j2 in ops:
        if tag != "equal":
            dist += (i2 - i1) + (j2 - j1)
            if i2 > i1:
                ranges.append((spans[i1][0], spans[i2 - 1][1]))
    return ranges, dist


def quality_of(impl: str, pairs: list[Pair], rows: list[dict[str, Any]]) -> dict[str, float]:
    from rapidfuzz.distance import Indel

    minimal = 0
    for old, new in pairs:
        _, dist = changed_old_ranges(impl, old, new)
        minimal += dist == Indel.distance(TOKEN.findall(old), TOKEN.findall(new))
    outside = marked = real_minimal = 0
    for row in rows:
        old, new = row["before"], row["after"]
        ranges, dist = changed_old_ranges(impl, old, new)
        real_minimal += dist == Indel.distance(TOKEN.findall(old), TOKEN.findall(new))
        gold = [(e["start"], e["end"]) for e in row["edits"]]
        for i1, i2 in ranges:
            for i in range(i1, i2):
                if not old[i].isspace():
                    marked += 1
                    outside += not any(s <= i < e for s, e in gold)
    return {
        "minimal_share_corpus": minimal / max(1, len(pairs)),
        "minimal_share_revisions": real_minimal / max(1, len(rows)),
        "changed_chars_outside_gold": outside / max(1, marked),
    }


def load_revisions() -> list[dict[str, Any]]:
    if not REVISIONS.exists():
        return []
    with REVISIONS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


QUALITY_IMPLS = ["neardup", "neardup-minimal", "difflib", "rapidfuzz", "diff-match-patch"]


@pytest.mark.parametrize("impl", QUALITY_IMPLS)
def test_quality(benchmark: Any, corpora: dict[str, list[Pair]], impl: str, quality: Any) -> None:
    """Minimal-script share and precision against the labelled edits, per implementation (timed once,
    so that `--benchmark-only` report runs record the figures too)."""
    pytest.importorskip("rapidfuzz")
    if impl in PEER_MODULES:
        pytest.importorskip(PEER_MODULES[impl])
    benchmark.group = "diff quality"
    benchmark.extra_info.update(impl=impl)
    rows = load_revisions()
    q = benchmark.pedantic(quality_of, args=(impl, corpora["related"][:500], rows), rounds=1, iterations=1)
    print(f"\n{impl}: " + ", ".join(f"{k}={v:.4f}" for k, v in q.items()))
    name = impl.replace("-", "_")
    figures = {
        f"diff_{name}_minimal_share": min(q["minimal_share_corpus"], q["minimal_share_revisions"]),
        f"diff_{name}_chars_outside": q["changed_chars_outside_gold"],
    }
    if impl == "neardup-minimal":
        # The requirement: every cleanup="none" script is minimal (floor 1.0 in report.py).
        figures["minimal_share"] = figures.pop(f"diff_{name}_minimal_share")
        assert figures["minimal_share"] == 1.0
    quality(**figures)
