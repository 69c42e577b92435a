"""The catalog's persisted near-duplicate index: which known papers a new text should be verified against.

The near stage of reconciliation (`neardup._core._near_cross`) scores pairs exactly, but a catalog cannot
hand it every paper it knows on every add. This index narrows the field, in SQLite, at a cost that grows with
the snapshot and not with the catalog:

* **Keys.** Every version text gets a one-permutation MinHash signature of its word unigrams
  (`neardup.MinHasher`, ``scheme="oph"``, 64 slots; Li, Owen & Zhang, "One permutation hashing",
  NeurIPS 2012, with Shrivastava's optimal densification). Slot ``i`` holding value ``v`` becomes the
  integer key ``i << 32 | v``. Two texts agree on a slot with probability equal to their word Jaccard
  similarity; in the real arXiv revisions (IteraTeR) every revised abstract keeps at least 18% of its
  words, so revisions share several keys with their earlier version (≥ 1 with probability > 0.999).
* **Postings.** ``near_posting(k, paper)`` maps each key to the papers whose versions carry it. A key
  shared by more than `CAP` papers is a common word's and identifies nothing: it moves to
  ``near_common`` and its postings are dropped, which bounds every posting list (and the index's size,
  at most 64 rows per version).
* **Probing.** A new text looks up its `PREFIX` most specific keys (fewest postings; a word found in one
  known paper only comes first), in the spirit of prefix filtering: an earlier version of the text shares
  exactly those rare words. Each known paper scores the IDF weights ``ln((N+1)/(n+0.5))`` of the keys it
  shares (``n`` = the key's posting count, ``N`` = papers; Spärck Jones 1972, as in the near stage itself),
  and the best `CANDIDATES` papers go on to exact verification. A probe therefore reads at most
  ``PREFIX × CAP`` postings, however large the catalog.

The index is versioned: ``meta.near_index`` records the parameters and a fingerprint (the hash of a fixed
probe text's signature). If either changes (a new neardup with other parameters or tokenisation), the index
is rebuilt from the stored versions once, inside the next write transaction.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from neardup._core import MinHasher

__all__ = ["CANDIDATES", "CAP", "NUM_PERM", "PREFIX", "NearIndex"]

#: Signature slots per text (keys per version).
NUM_PERM = 64
#: A key shared by more papers than this is common: it stops being indexed.
CAP = 32
#: Keys a probe looks up: its most specific ones (fewest postings).
PREFIX = 16
#: Papers returned per probe for exact verification, best first.
CANDIDATES = 8
_SEED = 20240801
_SLOT_SHIFT = 32
_FINGERPRINT_TEXT = (
    "Near-duplicate fingerprint: Ünïcode NFKC ﬁ ligature, digits 2024, hyphen-ated words and CamelCase; "
    "the catalog rebuilds its index when this text's signature changes."
)
_REBUILD_BATCH = 4096


def _keys(sigs: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    slots = np.arange(sigs.shape[1], dtype=np.int64) << _SLOT_SHIFT
    out: npt.NDArray[np.int64] = slots[None, :] | sigs.astype(np.int64)
    return out


class NearIndex:
    """Candidate generation for the near stage over one catalog connection (see the module doc).

    All methods that write must run inside the caller's write transaction.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._hasher = MinHasher(NUM_PERM, ngram=1, unit="word", seed=_SEED, scheme="oph")
        self._temp_ready = False

    def signatures(self, texts: Sequence[str]) -> npt.NDArray[np.uint32]:
        """MinHash signatures of `texts`, ``(len(texts), NUM_PERM)``, computed in the core."""
        if not texts:
            return np.zeros((0, NUM_PERM), dtype=np.uint32)
        return self._hasher.signatures(list(texts))

    def _settings(self) -> str:
        probe = self._hasher.signature(_FINGERPRINT_TEXT)
        fingerprint = hashlib.sha256(probe.astype("<u4").tobytes()).hexdigest()[:16]
        return json.dumps(
            {
                "scheme": "oph-word-unigram",
                "num_perm": NUM_PERM,
                "seed": _SEED,
                "cap": CAP,
                "fingerprint": fingerprint,
            },
            sort_keys=True,
        )

    def _temp_tables(self) -> None:
        if self._temp_ready:
            return
        self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS _near_new (k INTEGER, paper INTEGER)")
        self._conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _near_batch (i INTEGER PRIMARY KEY, paper INTEGER)"
        )
        self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS _near_hot (k INTEGER PRIMARY KEY)")
        self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS _near_probe (g INTEGER, k INTEGER)")
        self._conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _near_weight (k INTEGER PRIMARY KEY, n INTEGER, w REAL)"
        )
        self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS _near_pick (g INTEGER, k INTEGER, w REAL)")
        self._temp_ready = True

    def ensure(self) -> bool:
        """Checks the stored parameters and fingerprint; rebuilds the index if they differ (or on first
        use). Returns True when it rebuilt."""
        settings = self._settings()
        row = self._conn.execute("SELECT value FROM meta WHERE name = 'near_index'").fetchone()
        if row is not None and row[0] == settings:
            return False
        self._conn.execute("DELETE FROM near_posting")
        self._conn.execute("DELETE FROM near_common")
        cursor = self._conn.execute("SELECT paper, title, abstract FROM version ORDER BY id")
        while batch := cursor.fetchmany(_REBUILD_BATCH):
            papers = [paper for paper, _t, _a in batch]
            self.add(papers, self.signatures([f"{t}\n{a}" for _p, t, a in batch]))
        self._conn.execute(
            "INSERT INTO meta(name, value) VALUES('near_index', ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (settings,),
        )
        return True

    def add(self, papers: Sequence[int], sigs: npt.NDArray[np.uint32]) -> None:
        """Indexes one version text per row of `sigs` under the paper in `papers` at the same row."""
        if not len(papers):
            return
        self._temp_tables()
        keys = _keys(sigs)
        # Keys already shared by more than CAP papers within this batch are common outright: they are
        # not sent to SQLite at all (the bulk of the rows for common words).
        # Counted over distinct (paper, key) pairs: a rebuild batch may hold several versions of a paper.
        flat_keys = keys.ravel()
        if len(set(papers)) < len(papers):
            owners = np.repeat(np.asarray(papers, dtype=np.int64), keys.shape[1])
            pairs = np.unique(np.stack([flat_keys, owners]), axis=1)
            unique, counts = np.unique(pairs[0], return_counts=True)
        else:
            unique, counts = np.unique(flat_keys, return_counts=True)
        hot = unique[counts > CAP]
        conn = self._conn
        conn.execute("DELETE FROM _near_new")
        conn.execute("DELETE FROM _near_batch")
        conn.execute("DELETE FROM _near_hot")
        conn.execute(
            "INSERT INTO _near_batch(i, paper) SELECT key, value FROM json_each(?)",
            (json.dumps([int(p) for p in papers]),),
        )
        # Row r of the flattened keys belongs to batch row r // NUM_PERM; hot keys are sent as null.
        flat = flat_keys.astype(object)
        flat[np.isin(flat_keys, hot)] = None
        conn.execute(
            "INSERT INTO _near_new(k, paper) SELECT n.value, b.paper FROM json_each(?1) AS n "
            "JOIN _near_batch AS b ON b.i = n.key / ?2 WHERE n.value IS NOT NULL",
            (json.dumps(flat.tolist()), keys.shape[1]),
        )
        conn.execute("DELETE FROM _near_new WHERE k IN (SELECT k FROM near_common)")
        conn.execute(
            "INSERT OR IGNORE INTO near_posting(k, paper) SELECT k, paper FROM _near_new ORDER BY k, paper"
        )
        conn.execute(
            "INSERT INTO _near_hot(k) SELECT k FROM near_posting "
            "WHERE k IN (SELECT DISTINCT k FROM _near_new) GROUP BY k HAVING count(*) > ?",
            (CAP,),
        )
        conn.execute(
            "INSERT OR IGNORE INTO _near_hot(k) SELECT value FROM json_each(?)",
            (json.dumps(hot.tolist()),),
        )
        conn.execute("INSERT OR IGNORE INTO near_common(k) SELECT k FROM _near_hot")
        conn.execute("DELETE FROM near_posting WHERE k IN (SELECT k FROM _near_hot)")
        conn.execute("DELETE FROM _near_new")

    def candidates(
        self, sigs: npt.NDArray[np.uint32], *, papers_known: int, limit: int = CANDIDATES
    ) -> list[list[int]]:
        """For each row of `sigs`, up to `limit` known papers sharing its keys, best IDF score first (ties
        by paper id)."""
        if not len(sigs) or papers_known == 0:
            return [[] for _ in range(len(sigs))]
        self._temp_tables()
        conn = self._conn
        conn.execute("DELETE FROM _near_probe")
        keys = _keys(sigs)
        conn.execute(
            "INSERT INTO _near_probe(g, k) SELECT key / ?1, value FROM json_each(?2)",
            (keys.shape[1], json.dumps(keys.ravel().tolist())),
        )
        # Each probed key's posting count and weight; each probe keeps its PREFIX most specific keys
        # (fewest postings: a word unique to one known paper comes first); then the best-scoring papers
        # per probe. All joins and aggregation run in SQLite; only the results cross into Python.
        counts = conn.execute(
            "SELECT k, count(*) FROM near_posting WHERE k IN (SELECT DISTINCT k FROM _near_probe) GROUP BY k"
        ).fetchall()
        n1 = papers_known + 1.0
        conn.execute("DELETE FROM _near_weight")
        conn.execute(
            "INSERT INTO _near_weight(k, n, w) SELECT json_extract(j.value, '$[0]'), "
            "json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]') FROM json_each(?) AS j",
            (json.dumps([[k, n, math.log(n1 / (n + 0.5))] for k, n in counts]),),
        )
        conn.execute("DELETE FROM _near_pick")
        conn.execute(
            "INSERT INTO _near_pick(g, k, w) SELECT g, k, w FROM (SELECT p.g AS g, p.k AS k, w.w AS w, "
            "row_number() OVER (PARTITION BY p.g ORDER BY w.n, p.k) AS r FROM _near_probe AS p "
            "JOIN _near_weight AS w ON w.k = p.k) WHERE r <= ?",
            (PREFIX,),
        )
        out: list[list[int]] = [[] for _ in range(len(sigs))]
        rows = conn.execute(
            "SELECT g, paper FROM (SELECT q.g AS g, x.paper AS paper, row_number() OVER "
            "(PARTITION BY q.g ORDER BY sum(q.w) DESC, x.paper) AS r FROM _near_pick AS q "
            "JOIN near_posting AS x ON x.k = q.k GROUP BY q.g, x.paper) WHERE r <= ? ORDER BY g, r",
            (limit,),
        )
        for g, paper in rows:
            out[g].append(paper)
        conn.execute("DELETE FROM _near_probe")
        conn.execute("DELETE FROM _near_pick")
        return out
