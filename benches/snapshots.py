"""Generated arXiv-like snapshot pairs for the end-to-end benchmarks (fixed seed, written to a temp dir).

Each pair: `n` old records; the new snapshot revises 5% of abstracts, retitles 1%, removes 2% and adds 2%;
keys (arXiv ids) are dropped on half of the records of each side so that title and near matching do
real work. Written as JSONL (for neardup) and CSV (for csv-diff, which needs an id on every row, so the
CSV keeps all ids: it is given the easier job).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus import vocabulary


@dataclass(frozen=True)
class Pair:
    old_jsonl: Path
    new_jsonl: Path
    old_csv: Path
    new_csv: Path
    n: int


def _texts(rng: np.random.Generator, vocab: np.ndarray, p: np.ndarray, n: int, words: int) -> list[str]:
    lengths = rng.integers(words * 3 // 4, words * 5 // 4, size=n)
    flat = rng.choice(len(vocab), size=int(lengths.sum()), p=p)
    out, start = [], 0
    for length in lengths.tolist():
        ws = vocab[flat[start : start + length]]
        start += length
        out.append(" ".join(ws.tolist()).capitalize() + ".")
    return out


def make_pair(directory: Path, n: int, seed: int = 2024) -> Pair:
    rng = np.random.default_rng(seed)
    vocab = np.array(vocabulary(30_000, seed))
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    n_added = n * 2 // 100
    titles = _texts(rng, vocab, p, n + n_added, 9)
    abstracts = _texts(rng, vocab, p, n + n_added, 150)
    # Plausible new-style arXiv ids (YYMM.NNNNN, months 01-12), so keyed records really match by key.
    ids = [
        f"{24 + i // 1_200_000:02d}{1 + (i // 100_000) % 12:02d}.{i % 100_000:05d}"
        for i in range(n + n_added)
    ]
    old = [{"id": ids[i], "title": titles[i], "abstract": abstracts[i]} for i in range(n)]
    order = rng.permutation(n)
    removed = set(order[: n * 2 // 100].tolist())
    revised = set(order[n * 2 // 100 : n * 7 // 100].tolist())
    retitled = set(order[n * 7 // 100 : n * 8 // 100].tolist())
    new = []
    for i, rec in enumerate(old):
        if i in removed:
            continue
        rec = dict(rec)
        if i in revised:
            words = rec["abstract"].split()
            k = int(rng.integers(5, len(words) - 5))
            words[k : k + 3] = vocab[rng.integers(0, len(vocab), 4)].tolist()
            rec["abstract"] = " ".join(words)
        if i in retitled:
            rec["title"] = "Revisited: " + rec["title"].lower()
        new.append(rec)
    new += [{"id": ids[i], "title": titles[i], "abstract": abstracts[i]} for i in range(n, n + n_added)]

    def drop_keys(records: list[dict[str, str]], salt: int) -> list[dict[str, str]]:
        keep = np.random.default_rng(seed + salt).random(len(records)) < 0.5
        return [
            r if k else {kk: v for kk, v in r.items() if kk != "id"}
            for r, k in zip(records, keep.tolist(), strict=True)
        ]

    directory.mkdir(parents=True, exist_ok=True)
    paths = Pair(
        directory / f"old-{n}.jsonl",
        directory / f"new-{n}.jsonl",
        directory / f"old-{n}.csv",
        directory / f"new-{n}.csv",
        n,
    )
    for path, records in ((paths.old_jsonl, drop_keys(old, 1)), (paths.new_jsonl, drop_keys(new, 2))):
        with path.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    for path, records in ((paths.old_csv, old), (paths.new_csv, new)):
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["id", "title", "abstract"])
            w.writeheader()
            w.writerows(records)
    return paths
