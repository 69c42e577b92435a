"""A generated series of daily arXiv-like listings for the catalog-add benchmark (fixed seed, written as
JSON Lines to a temp dir; nothing committed).

Day 1 lists `n` papers; each later day drops 2% of the previous listing, lists again 0.5% of earlier-dropped
papers, adds new papers to keep `n`, revises 3% of the abstracts and retitles 0.5% of the papers. Every
paper has an arXiv id, but each day 30% of the listings carry none, so the title and near stages of the
catalog's matching do real work. Upvote counts change every day (metadata: a sighting, not a version).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from corpus import vocabulary
from snapshots import _texts


def make_series(directory: Path, n: int, days: int, seed: int = 2030) -> list[Path]:
    """Writes `days` listings of `n` records each (``day-01.jsonl`` …) and returns their paths."""
    rng = np.random.default_rng(seed)
    vocab = np.array(vocabulary(30_000, seed))
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    total = n + (days - 1) * (n * 25 // 1000 + 1)
    titles = _texts(rng, vocab, p, total, 9)
    abstracts = _texts(rng, vocab, p, total, 150)
    ids = [f"{24 + i // 1_200_000:02d}{1 + (i // 100_000) % 12:02d}.{i % 100_000:05d}" for i in range(total)]
    upvotes = np.zeros(total, dtype=np.int64)
    listed = np.arange(n)
    born = n
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for day in range(days):
        if day:
            keep = np.ones(len(listed), dtype=bool)
            keep[rng.choice(len(listed), n * 2 // 100, replace=False)] = False
            gone = np.setdiff1d(np.arange(born), listed)
            listed = listed[keep]
            back = rng.choice(gone, min(len(gone), n * 5 // 1000), replace=False)
            fresh = np.arange(born, born + n - len(listed) - len(back))
            born += len(fresh)
            listed = np.concatenate([listed, back, fresh])
            for i in rng.choice(listed, n * 3 // 100, replace=False).tolist():
                words = abstracts[i].split()
                k = int(rng.integers(5, len(words) - 5))
                words[k : k + 3] = vocab[rng.integers(0, len(vocab), 4)].tolist()
                abstracts[i] = " ".join(words)
            for i in rng.choice(listed, n * 5 // 1000, replace=False).tolist():
                titles[i] = "Revisited: " + titles[i].lower()
            listed = rng.permutation(listed)
        upvotes[listed] += rng.integers(0, 6, len(listed))
        keyless = rng.random(len(listed)) < 0.3
        path = directory / f"day-{day + 1:02d}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i, bare in zip(listed.tolist(), keyless.tolist(), strict=True):
                rec = {"title": titles[i], "abstract": abstracts[i], "upvotes": int(upvotes[i])}
                if not bare:
                    rec = {"id": ids[i], **rec}
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths
