"""LSHIndex: parameter choice, insert/query/remove, candidate pairs, persistence, errors."""

from __future__ import annotations

import contextlib
import pickle
from pathlib import Path

import numpy as np
import pytest

import neardup


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(3000)]
    base = [" ".join(rng.choice(words, 120)) for _ in range(200)]
    texts = list(base)
    for t in base[:50]:  # near-duplicates: one word changed
        toks = t.split()
        toks[60] = "changed"
        texts.append(" ".join(toks))
    return texts, neardup.MinHasher(128).signatures(texts)


def test_params_follow_datasketch_rule() -> None:
    datasketch_lsh = pytest.importorskip("datasketch.lsh")
    for t in (0.1, 0.3, 0.5, 0.7, 0.9):
        for k in (32, 128, 256):
            idx = neardup.LSHIndex(t, k)
            assert (idx.bands, idx.rows) == datasketch_lsh._optimal_param(t, k, 0.5, 0.5)
    idx = neardup.LSHIndex(params=(16, 8))
    assert (idx.bands, idx.rows) == (16, 8)


def test_planted_pairs_are_found(corpus: tuple[list[str], np.ndarray]) -> None:
    texts, sigs = corpus
    idx = neardup.LSHIndex(0.5)
    idx.insert_many(list(range(len(texts))), sigs)
    assert len(idx) == len(texts)
    pairs = {tuple(p) for p in idx.candidate_pairs().tolist()}
    for i in range(50):
        assert (i, 200 + i) in pairs
        assert 200 + i in idx.query(sigs[i])
    # Unrelated texts rarely collide.
    assert len(pairs) < 80
    many = idx.query_many(sigs[:5])
    assert many == [idx.query(s) for s in sigs[:5]]


def test_candidate_pairs_each_once_sorted(corpus: tuple[list[str], np.ndarray]) -> None:
    _, sigs = corpus
    idx = neardup.LSHIndex(0.3)
    idx.insert_many(list(range(len(sigs))), sigs)
    cp = idx.candidate_pairs()
    assert cp.ndim == 2 and cp.shape[1] == 2
    assert np.all(cp[:, 0] < cp[:, 1])
    assert len({tuple(p) for p in cp.tolist()}) == len(cp)
    assert cp.tolist() == sorted(cp.tolist())


def test_str_keys_remove_contains() -> None:
    h = neardup.MinHasher(64)
    s = h.signatures(["a b c d e f", "a b c d e g", "totally other words here"])
    idx = neardup.LSHIndex(0.3, 64)
    idx.insert("x", s[0])
    idx.insert("y", s[1])
    idx.insert(7, s[2])
    assert "x" in idx and 7 in idx and "z" not in idx and 3.5 not in idx
    assert idx.query(s[0]) == ["x", "y"]
    idx.remove("x")
    assert "x" not in idx and len(idx) == 2
    assert idx.query(s[0]) == ["y"]
    with pytest.raises(KeyError):
        idx.remove("x")
    with pytest.raises(ValueError, match="already"):
        idx.insert("y", s[1])
    assert idx.keys() == ["y", 7]


def test_empty_signature_matches_nothing() -> None:
    h = neardup.MinHasher(64)
    idx = neardup.LSHIndex(0.5, 64)
    e = h.signature("")
    idx.insert("e1", e)
    idx.insert("e2", e)
    assert "e1" in idx
    assert idx.query(e) == []
    assert idx.candidate_pairs().shape == (0, 2)


def test_save_load_pickle_roundtrip(tmp_path: Path, corpus: tuple[list[str], np.ndarray]) -> None:
    _, sigs = corpus
    idx = neardup.LSHIndex(0.5)
    idx.insert_many([f"k{i}" for i in range(len(sigs))], sigs)
    idx.remove("k3")
    path = tmp_path / "index.bin"
    idx.save(path)
    loaded = neardup.LSHIndex.load(path)
    assert len(loaded) == len(idx)
    assert np.array_equal(loaded.candidate_pairs(), idx.candidate_pairs())
    assert loaded.query(sigs[10]) == idx.query(sigs[10])
    again = pickle.loads(pickle.dumps(idx))
    assert again.query(sigs[10]) == idx.query(sigs[10])
    assert (again.bands, again.rows) == (idx.bands, idx.rows)


def test_corrupt_files_raise_index_format_error(tmp_path: Path) -> None:
    h = neardup.MinHasher(32)
    idx = neardup.LSHIndex(0.5, 32)
    idx.insert_many(["a", "b"], h.signatures(["one two three", "four five six"]))
    data = idx.to_bytes()
    for bad in (b"", b"garbage", data[:-3], data[: len(data) // 2], data + b"x", b"\x00" * 100):
        with pytest.raises(neardup.IndexFormatError):
            neardup.LSHIndex.from_bytes(bad)
    p = tmp_path / "foreign.bin"
    p.write_bytes(b"PK\x03\x04 not an index")
    with pytest.raises(neardup.IndexFormatError):
        neardup.LSHIndex.load(p)
    assert issubclass(neardup.IndexFormatError, neardup.NeardupError)
    rng = np.random.default_rng(0)
    for _ in range(300):
        blob = bytearray(data)
        for _ in range(3):
            blob[int(rng.integers(len(blob)))] = int(rng.integers(256))
        with contextlib.suppress(neardup.IndexFormatError):
            neardup.LSHIndex.from_bytes(bytes(blob))


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.1, 1.5])
def test_invalid_threshold(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        neardup.LSHIndex(threshold)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="num_perm"):
        neardup.LSHIndex(0.5, 0)
    with pytest.raises(ValueError, match="params"):
        neardup.LSHIndex(params=(100, 100))
    idx = neardup.LSHIndex(0.5, 64)
    with pytest.raises(ValueError, match="num_perm"):
        idx.insert("a", np.zeros(32, dtype=np.uint32))
    with pytest.raises(ValueError, match="uint32"):
        idx.insert("a", np.zeros(64, dtype=np.float64))
    with pytest.raises(TypeError):
        idx.insert(1.5, np.zeros(64, dtype=np.uint32))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same length"):
        idx.insert_many(["a"], np.zeros((2, 64), dtype=np.uint32))
    assert len(idx) == 0
    with pytest.raises(ValueError, match="weights"):
        neardup.LSHIndex(0.5, weights=(0.9, 0.9))
