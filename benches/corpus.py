"""Synthetic, reproducible corpora for the benchmarks (fixed seeds; nothing downloaded, nothing committed).

Abstract-like documents: ~150 words (~1 KB) drawn from a Zipfian vocabulary of invented words, cut into
sentences with capitals and punctuation. A share of documents are edited copies of earlier ones (word
substitutions, insertions and deletions), so near-duplicate pairs of known origin exist.
"""

from __future__ import annotations

import functools
import itertools
import os
import random
from dataclasses import dataclass
from typing import Any

SCALE = os.environ.get("NEARDUP_BENCH_SCALE", "smoke")


def size(smoke: int, full: int) -> int:
    """Input size for the current scale: tiny in CI smoke runs, the issue's sizes in full runs."""
    if SCALE == "full":
        return full
    if SCALE == "ci":
        return max(smoke, full // 4)
    return smoke


_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"] + ["qu", "th", "ch", "sh"]


@functools.lru_cache(maxsize=4)
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


# ---- the fast path: corpora of millions (benches/scale_run.py) ------------------------------------------

#: Edit rates of planted copies at scale: true word-3-gram Jaccard from about 0.6 to 1.0 (0.0 is a verbatim
#: copy, an exact duplicate).
SCALE_EDIT_RATES = (0.0, 0.003, 0.01, 0.02, 0.03, 0.05, 0.08)


@dataclass(frozen=True)
class Shard:
    """Documents `first .. first + len(texts)` of a scale corpus."""

    first: int
    texts: list[str]
    #: (original, copy) global numbers of every planted copy (the original is in the same shard).
    planted: list[tuple[int, int]]


def abstracts_shard(
    n: int,
    *,
    first: int = 0,
    seed: int = 42,
    edited_share: float = 0.2,
    words: int = 150,
    vocab_size: int = 30_000,
) -> Shard:
    """The same kind of documents as `abstracts` (Zipfian invented words, sentences, edited copies), made
    with numpy a block at a time so that millions take minutes: shard `first // n` of a corpus is drawn
    from its own seed, so shards can be generated in parallel processes and agree whoever makes them.
    Copies are edited at one of `SCALE_EDIT_RATES` (substitutions, deletions, insertions as
    `edit_words`)."""
    import numpy as np

    rng = np.random.default_rng([seed, first])
    cdf = np.cumsum(1.0 / np.arange(1, vocab_size + 1))
    cdf /= cdf[-1]
    n_orig = max(1, int(round(n * (1 - edited_share))))
    lengths = rng.integers(words * 3 // 4, words * 5 // 4 + 1, size=n_orig)
    flat = np.minimum(np.searchsorted(cdf, rng.random(int(lengths.sum()))), vocab_size - 1)
    bounds = np.concatenate(([0], np.cumsum(lengths)))
    docs: list[np.ndarray] = [flat[bounds[i] : bounds[i + 1]] for i in range(n_orig)]
    planted: list[tuple[int, int]] = []
    rates = rng.choice(np.array(SCALE_EDIT_RATES), size=n - n_orig)
    sources = rng.integers(0, n_orig, size=n - n_orig)
    # Fresh words for the copies' edits, drawn at once (a word of a copy takes the one at its position).
    pool = np.minimum(np.searchsorted(cdf, rng.random(words * 5 // 4 + 1)), vocab_size - 1)
    for rate, src in zip(rates.tolist(), sources.tolist(), strict=True):
        base = docs[src]
        if rate == 0.0:
            docs.append(base)
        else:
            r = rng.random(len(base))
            fresh = np.roll(pool, int(r[0] * len(pool)))[: len(base)]
            out = np.where(r < rate / 3, fresh, base)
            keep = ~((r >= rate / 3) & (r < 2 * rate / 3))
            insert = (r >= 2 * rate / 3) & (r < rate)
            # Each kept word, followed by a fresh word where one is inserted after it.
            pairs = np.stack([out, np.where(insert, fresh[::-1], -1)], axis=1)[keep].ravel()
            docs.append(pairs[pairs >= 0])
        planted.append((first + src, first + len(docs) - 1))
    lengths = np.array([len(d) for d in docs])
    bounds = np.concatenate(([0], np.cumsum(lengths))).tolist()
    words_of = _render(np.concatenate(docs), bounds, seed, vocab_size, rng)
    texts = [" ".join(words_of[a:b]) + "." for a, b in itertools.pairwise(bounds)]
    return Shard(first, texts, planted)


@functools.lru_cache(maxsize=2)
def _forms(n: int, seed: int) -> Any:
    """The six forms of each word of `vocabulary(n, seed)`: as it is, with a comma, with a full stop, and
    the same three capitalised."""
    import numpy as np

    forms = [
        f
        for w in vocabulary(n, seed)
        for f in (w, w + ",", w + ".", w.capitalize(), w.capitalize() + ",", w.capitalize() + ".")
    ]
    return np.array(forms, dtype=object)


def _render(flat: Any, bounds: list[int], seed: int, vocab_size: int, rng: Any) -> list[str]:
    """The words `flat` (vocabulary numbers) as sentences: about one word in 14 ends one with a full
    stop, the next begins with a capital, one in 25 takes a comma; each document begins a sentence. One
    numpy pass over the whole shard picks each word's form from a table of six."""
    import numpy as np

    forms = _forms(vocab_size, seed)
    r = rng.random(len(flat))
    stop = r < 0.07
    comma = (r > 0.96) & ~stop
    capital = np.concatenate(([True], stop[:-1]))
    capital[np.array(bounds[:-1], dtype=np.int64)] = True
    form = flat * 6 + capital * 3 + np.where(stop, 2, np.where(comma, 1, 0))
    return forms[form].tolist()  # type: ignore[no-any-return]
