"""Synthetic, reproducible corpora for the benchmarks (fixed seeds; nothing downloaded, nothing committed).

Abstract-like documents: ~150 words (~1 KB) drawn from a Zipfian vocabulary of invented words, cut into
sentences with capitals and punctuation. A share of documents are edited copies of earlier ones (word
substitutions, insertions and deletions), so near-duplicate pairs of known origin exist.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

SCALE = os.environ.get("NEARDUP_BENCH_SCALE", "smoke")


def size(smoke: int, full: int) -> int:
    """Input size for the current scale: tiny in CI smoke runs, the issue's sizes in full runs."""
    if SCALE == "full":
        return full
    if SCALE == "ci":
        return max(smoke, full // 4)
    return smoke


_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"] + ["qu", "th", "ch", "sh"]


def vocabulary(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    #: (original index, copy index) of every edited copy.
    planted: list[tuple[int, int]]


def _sentence_case(words: list[str], rng: random.Random) -> str:
    out: list[str] = []
    start = True
    for w in words:
        out.append(w.capitalize() if start else w)
        start = False
        if rng.random() < 0.07:
            out[-1] += "."
            start = True
        elif rng.random() < 0.05:
            out[-1] += ","
    return " ".join(out) + "."


def edit_words(words: list[str], vocab: list[str], rng: random.Random, rate: float) -> list[str]:
    """Substitutes, deletes or inserts about `rate` of the words."""
    out: list[str] = []
    for w in words:
        r = rng.random()
        if r < rate / 3:
            out.append(rng.choice(vocab))
        elif r < 2 * rate / 3:
            continue
        elif r < rate:
            out.extend([w, rng.choice(vocab)])
        else:
            out.append(w)
    return out


def abstracts(
    n: int, *, seed: int = 42, edited_share: float = 0.2, words: int = 150, edit_rate: float = 0.05
) -> Corpus:
    rng = random.Random(seed)
    vocab = vocabulary(30_000, seed)
    weights = [1.0 / (rank + 1) for rank in range(len(vocab))]
    n_orig = max(1, int(round(n * (1 - edited_share))))
    raw: list[list[str]] = [
        rng.choices(vocab, weights=weights, k=rng.randint(words * 3 // 4, words * 5 // 4))
        for _ in range(n_orig)
    ]
    planted: list[tuple[int, int]] = []
    while len(raw) < n:
        src = rng.randrange(n_orig)
        planted.append((src, len(raw)))
        raw.append(edit_words(raw[src], vocab, rng, edit_rate))
    texts = [_sentence_case(ws, random.Random(seed * 7919 + i)) for i, ws in enumerate(raw)]
    return Corpus(texts, planted)
