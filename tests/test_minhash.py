"""MinHasher, jaccard and shingle_jaccard: shapes, determinism, accuracy, errors, threads, pickling."""

from __future__ import annotations

import pickle
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neardup


def token_pairs(n: int, seed: int) -> list[tuple[list[str], list[str], float]]:
    """Token-set pairs with exactly known Jaccard spread over [0, 1]."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        size = int(rng.integers(20, 400))
        common = int(round(rng.uniform(0, 1) * size))
        rest = size - common
        toks = [f"t{i}_{k}" for k in range(size)]
        a = toks[:common] + toks[common : common + rest // 2]
        b = toks[:common] + toks[common + rest // 2 :]
        out.append((a, b, common / size))
    return out


def test_signature_shape_dtype_and_determinism() -> None:
    h = neardup.MinHasher(64)
    s = h.signature("the quick brown fox jumps over the lazy dog")
    assert s.dtype == np.uint32 and s.shape == (64,)
    m = h.signatures(["the quick brown fox jumps over the lazy dog", "x y z"])
    assert m.shape == (2, 64) and m.dtype == np.uint32
    assert np.array_equal(m[0], s)
    assert np.array_equal(neardup.MinHasher(64).signatures(["a b c d"]), h.signatures(["a b c d"]))
    assert not np.array_equal(neardup.MinHasher(64, seed=2).signature("a b c d"), h.signature("a b c d"))


def test_normalisation_switch() -> None:
    h = neardup.MinHasher()
    assert np.array_equal(h.signature("The  CAT sat."), h.signature("the cat sat"))
    raw = neardup.MinHasher(normalize=False)
    assert not np.array_equal(raw.signature("The CAT sat"), raw.signature("the cat sat"))


def test_empty_text_signature_and_jaccard() -> None:
    h = neardup.MinHasher(32)
    e = h.signature("")
    assert np.all(e == np.iinfo(np.uint32).max)
    assert neardup.jaccard(e, e) == 0.0
    assert neardup.jaccard(e, h.signature("a b c")) == 0.0
    assert neardup.shingle_jaccard("", "") == 0.0
    assert neardup.shingle_jaccard("", "a b c") == 0.0


def test_short_text_is_one_shingle() -> None:
    assert neardup.shingle_jaccard("two words", "two words") == 1.0
    assert neardup.shingle_jaccard("a b c d", "a b c") == 0.5


def test_char_unit() -> None:
    assert neardup.shingle_jaccard("abcd", "abce", ngram=3, unit="char") == pytest.approx(1 / 3)
    h = neardup.MinHasher(ngram=4, unit="char")
    assert h.unit == "char"
    assert np.array_equal(h.signature("ab  cd"), h.signature("ab cd"))


@pytest.mark.parametrize("scheme", ["oph", "kperm"])
def test_estimate_mean_absolute_error(scheme: str) -> None:
    """MAE of the num_perm=128 estimate over pairs spread on [0, 1] is at most 0.03."""
    pairs = token_pairs(600, seed=11)
    h = neardup.MinHasher(128, ngram=1, scheme=scheme)
    sa = h.signatures_from_tokens([a for a, _, _ in pairs])
    sb = h.signatures_from_tokens([b for _, b, _ in pairs])
    est = np.array([neardup.jaccard(x, y) for x, y in zip(sa, sb, strict=True)])
    true = np.array([j for _, _, j in pairs])
    mae = float(np.abs(est - true).mean())
    assert mae <= 0.03, mae
    # Unbiased: the mean signed error is small.
    assert abs(float((est - true).mean())) < 0.01


def test_shingle_jaccard_matches_python_reference() -> None:
    import re
    import unicodedata

    def shingles(t: str, n: int = 3) -> set[tuple[str, ...]]:
        toks = re.findall(r"\w+", unicodedata.normalize("NFKC", t).lower())
        if not toks:
            return set()
        n = min(n, len(toks))
        return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}

    a = "We propose a new method for near-duplicate detection in large corpora of text."
    b = "We propose a novel method for near duplicate detection in very large corpora."
    sa, sb = shingles(a), shingles(b)
    assert neardup.shingle_jaccard(a, b) == pytest.approx(len(sa & sb) / len(sa | sb))


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text())
def test_arbitrary_text_never_crashes(a: str, b: str) -> None:
    h = neardup.MinHasher(16)
    m = h.signatures([a, b])
    j = neardup.jaccard(m[0], m[1])
    assert 0.0 <= j <= 1.0
    assert neardup.jaccard(m[0], m[0]) in (0.0, 1.0)
    assert 0.0 <= neardup.shingle_jaccard(a, b) <= 1.0
    assert neardup.shingle_jaccard(a, b) == neardup.shingle_jaccard(b, a)


def test_odd_strings() -> None:
    h = neardup.MinHasher(16)
    lone = "abc \ud800 def ghi"
    assert h.signature(lone).shape == (16,)
    assert h.signature("nul\x00byte in the text").shape == (16,)
    assert h.signature("emoji 😀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 text").shape == (16,)
    big = "lorem ipsum dolor sit amet " * 400_000  # ~10 MB
    assert h.signatures([big]).shape == (1, 16)


def test_pyarrow_input_matches_str_input() -> None:
    pa = pytest.importorskip("pyarrow")
    texts = ["alpha beta gamma delta", "", "ünïcode wörds here", "x y z w v"]
    h = neardup.MinHasher(32)
    expected = h.signatures(texts)
    for arr in (pa.array(texts), pa.array(texts, type=pa.large_string())):
        assert np.array_equal(h.signatures(arr), expected)
    sliced = pa.array(texts).slice(1, 2)
    assert np.array_equal(h.signatures(sliced), expected[1:3])
    chunked = pa.chunked_array([texts[:2], texts[2:]])
    assert np.array_equal(h.signatures(chunked), expected)
    with_null = pa.array(["a b c", None])
    assert np.array_equal(h.signatures(with_null)[1], h.signature(""))


def test_signatures_from_tokens() -> None:
    h = neardup.MinHasher(32, normalize=False)
    assert np.array_equal(h.signatures_from_tokens([["a", "b", "c", "d"]])[0], h.signature("a b c d"))


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"num_perm": 0}, "num_perm"),
        ({"num_perm": -5}, "num_perm"),
        ({"ngram": 0}, "ngram"),
        ({"unit": "sentence"}, "unit"),
        ({"scheme": "bogus"}, "scheme"),
    ],
)
def test_invalid_parameters(kwargs: dict[str, object], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        neardup.MinHasher(**kwargs)  # type: ignore[arg-type]


def test_wrong_types_and_dtypes() -> None:
    h = neardup.MinHasher(8)
    with pytest.raises(TypeError):
        h.signature(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        h.signatures("not a list")
    with pytest.raises(TypeError):
        h.signatures(["ok", 3])  # type: ignore[list-item]
    s = h.signature("a b c")
    with pytest.raises(ValueError, match="uint32"):
        neardup.jaccard(s.astype(np.int64), s)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="length"):
        neardup.jaccard(s, s[:4])
    with pytest.raises(TypeError):
        neardup.jaccard([1, 2], s)  # type: ignore[arg-type]


def test_pickle_and_repr() -> None:
    h = neardup.MinHasher(16, ngram=2, unit="char", seed=9, normalize=False, scheme="kperm")
    h2 = pickle.loads(pickle.dumps(h))
    assert repr(h2) == repr(h)
    assert "num_perm=16" in repr(h)
    assert np.array_equal(h2.signature("abcdef"), h.signature("abcdef"))


def test_threads_identical_and_gil_released() -> None:
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(5000)]
    texts = [" ".join(rng.choice(words, 150)) for _ in range(3000)]
    h = neardup.MinHasher(128)
    expected = h.signatures(texts)
    results: list[np.ndarray] = []
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def work() -> None:
        t0 = time.perf_counter()
        r = h.signatures(texts)
        t1 = time.perf_counter()
        with lock:
            results.append(r)
            spans.append((t0, t1))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert all(np.array_equal(r, expected) for r in results)
    # With the GIL released, the calls overlap in time instead of running one after another.
    spans.sort()
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))
