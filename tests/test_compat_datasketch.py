"""neardup.compat.datasketch against datasketch itself: same hash values, (b, r) and candidates."""

from __future__ import annotations

import pickle
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ds = pytest.importorskip("datasketch")
ds_lsh = pytest.importorskip("datasketch.lsh")

from neardup.compat import datasketch as nd  # noqa: E402

SCHEMES = ["affine32", "legacy", "affine64"]
SEEDS = [0, 1, 7, 42, 12345, 2**31 - 1, 2**31, 2**32 - 1]
NUM_PERMS = [1, 2, 3, 7, 16, 64, 128, 256]

TOKEN_SETS: dict[str, list[bytes]] = {
    "empty": [],
    "empty-token": [b""],
    "ascii": [b"the", b"quick", b"brown", b"fox", b"the"],
    "non-ascii": [
        t.encode()
        for t in ["naïve", "東京", "Ελληνικά", "🦀 crab", "\u00e9", "e\u0301", "ß", "İ", "\U0010ffff"]
    ],
    "binary": [bytes(range(256)), b"\x00", b"\xff" * 3, b"\x00\x01"],
    # 55/56/63/64/119/120 bytes straddle SHA-1's one- and two-block padding cases.
    "long": [b"x" * n for n in (55, 56, 57, 63, 64, 65, 119, 120, 1000, 10_000)],
}


def shingles(words: list[str], n: int = 3) -> list[bytes]:
    return [" ".join(words[i : i + n]).encode() for i in range(max(1, len(words) - n + 1))]


def corpus(n_docs: int, seed: int = 0, dup_rate: float = 0.3) -> list[list[bytes]]:
    """Abstract-like word 3-gram documents from a Zipfian vocabulary, some near-copies of others."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(2000)]
    docs: list[list[str]] = []
    for _ in range(n_docs):
        if docs and rng.random() < dup_rate:
            words = list(rng.choice(docs))
            for _ in range(rng.randint(1, 8) if words else 0):
                words[rng.randrange(len(words))] = rng.choice(vocab)
        else:
            words = [vocab[min(int(rng.paretovariate(1.1)), 1999)] for _ in range(rng.randint(0, 60))]
        docs.append(words)
    return [shingles(w) if w else [] for w in docs]


def assert_same(ours: nd.MinHash, theirs: Any) -> None:
    assert ours.hashvalues.dtype == theirs.hashvalues.dtype
    np.testing.assert_array_equal(ours.hashvalues, theirs.hashvalues)
    assert ours.scheme == theirs.scheme and ours.seed == theirs.seed


# ---- MinHash: bit-identical hash values -----------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", SEEDS)
def test_permutations_match(scheme: str, seed: int) -> None:
    for num_perm in (1, 5, 128):
        ours = nd.MinHash(num_perm=num_perm, seed=seed, scheme=scheme)  # type: ignore[arg-type]
        theirs = ds.MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
        np.testing.assert_array_equal(ours.permutations, np.asarray(theirs.permutations))
        assert ours.permutations.dtype == np.asarray(theirs.permutations).dtype


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("num_perm", NUM_PERMS)
@pytest.mark.parametrize("name", sorted(TOKEN_SETS))
def test_update_batch_matches(scheme: str, num_perm: int, name: str) -> None:
    tokens = TOKEN_SETS[name]
    for seed in (1, 2**32 - 1):
        ours = nd.MinHash(num_perm=num_perm, seed=seed, scheme=scheme)  # type: ignore[arg-type]
        theirs = ds.MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
        ours.update_batch(tokens)
        theirs.update_batch(tokens)
        assert_same(ours, theirs)
        for t in tokens[:3]:
            ours.update(t)
            theirs.update(t)
        assert_same(ours, theirs)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_long_batch_folds_like_datasketch_from_a_list_or_an_iterator(scheme: str) -> None:
    # Past 100k tokens a list, and any iterator, is read while the core hashes the chunk before, in
    # runs folded apart and merged by their minimum; slots above every hash (and one below) are kept.
    tokens = [f"token {i}".encode() for i in range(120_001)]
    start = ds.MinHash(num_perm=64, seed=3, scheme=scheme).hashvalues.copy()
    start[5] = 3
    for batch in (tokens, tokens[:7]):
        theirs = ds.MinHash(num_perm=64, seed=3, scheme=scheme, hashvalues=start.copy())
        theirs.update_batch(batch)
        for source in (batch, iter(batch)):
            ours = nd.MinHash(num_perm=64, seed=3, scheme=scheme, hashvalues=start.copy())  # type: ignore[arg-type]
            ours.update_batch(source)
            assert_same(ours, theirs)


def test_legacy_slots_above_32_bits_fold_like_datasketch() -> None:
    # Slots a user set above 2**32 (and above 2**63, beyond a signed compare) meet 32-bit hashes: the
    # narrow legacy kernel first clamps them, which must not change a result; a hash function wider
    # than 32 bits takes the full-width kernel.
    values = np.array([2**64 - 1, 2**63, 2**40, 5, 2**32, 2**32 - 1, 0, 2**63 - 1], dtype=np.uint64)
    tokens = [b"alpha", b"beta", b"gamma"]
    for hashfunc in (None, ds.hashfunc.sha1_hash64):
        kw: dict[str, Any] = {"hashfunc": hashfunc} if hashfunc else {}
        for batch in ([], tokens[:1], tokens):
            ours = nd.MinHash(num_perm=8, seed=3, scheme="legacy", hashvalues=values, **kw)
            theirs = ds.MinHash(num_perm=8, seed=3, scheme="legacy", hashvalues=values.copy(), **kw)
            ours.update_batch(batch)
            theirs.update_batch(batch)
            assert_same(ours, theirs)


@settings(max_examples=60, deadline=None)
@given(
    tokens=st.lists(st.binary(max_size=80), max_size=40),
    text=st.lists(st.text(max_size=12), max_size=10),
    seed=st.integers(0, 2**32 - 1),
    num_perm=st.integers(1, 300),
    scheme=st.sampled_from(SCHEMES),
)
def test_random_tokens_match(
    tokens: list[bytes], text: list[str], seed: int, num_perm: int, scheme: str
) -> None:
    # Arbitrary bytes and arbitrary Unicode (surrogates escaped, as a caller would encode them).
    batch = tokens + [t.encode("utf-8", "surrogatepass") for t in text]
    ours = nd.MinHash(num_perm=num_perm, seed=seed, scheme=scheme)  # type: ignore[arg-type]
    theirs = ds.MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
    ours.update_batch(batch)
    theirs.update_batch(batch)
    assert_same(ours, theirs)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_bulk_and_generator_match(scheme: str) -> None:
    # 700 documents: more than one chunk of the pipelined bulk path, with empty documents in it.
    docs = corpus(700, seed=3)
    ours = nd.MinHash.bulk(docs, num_perm=64, seed=11, scheme=scheme)
    theirs = ds.MinHash.bulk(docs, num_perm=64, seed=11, scheme=scheme)
    assert len(ours) == len(theirs) == 700
    for o, t in zip(ours, theirs, strict=True):
        assert_same(o, t)
        assert len(o) == 64 and o.is_empty() == t.is_empty()
    gen = list(nd.MinHash.generator(iter(docs), num_perm=64, seed=11, scheme=scheme))
    for o, t in zip(gen, theirs, strict=True):
        assert_same(o, t)


@pytest.mark.parametrize("n_docs", [0, 1, 255, 256, 257, 512, 513])
def test_bulk_chunk_boundaries(n_docs: int) -> None:
    docs = corpus(n_docs, seed=n_docs)
    ours = nd.MinHash.bulk((d for d in docs), num_perm=16)
    theirs = ds.MinHash.bulk(docs, num_perm=16)
    assert len(ours) == n_docs
    for o, t in zip(ours, theirs, strict=True):
        assert_same(o, t)


def test_bulk_accepts_any_iterables_and_buffers() -> None:
    docs: list[Any] = [
        (b"a", b"b"),
        iter([b"c", bytearray(b"d")]),
        [memoryview(b"e"), np.int64(5)],
        np.arange(4),
        [],
    ]
    theirs_docs: list[Any] = [(b"a", b"b"), [b"c", bytearray(b"d")], [memoryview(b"e"), np.int64(5)]]
    theirs_docs += [np.arange(4), []]
    ours = nd.MinHash.bulk(docs, num_perm=32)
    theirs = ds.MinHash.bulk(theirs_docs, num_perm=32)
    for o, t in zip(ours, theirs, strict=True):
        assert_same(o, t)


def test_state_and_arithmetic_match() -> None:
    a_tokens, b_tokens = corpus(2, seed=9, dup_rate=0.0)
    for scheme in SCHEMES:
        oa, ob = (nd.MinHash(num_perm=128, scheme=scheme) for _ in range(2))  # type: ignore[arg-type]
        ta, tb = (ds.MinHash(num_perm=128, scheme=scheme) for _ in range(2))
        oa.update_batch(a_tokens + b_tokens[:5])
        ta.update_batch(a_tokens + b_tokens[:5])
        ob.update_batch(b_tokens)
        tb.update_batch(b_tokens)
        assert oa.jaccard(ob) == ta.jaccard(tb)
        assert oa.count() == ta.count()
        assert_same(nd.MinHash.union(oa, ob), ds.MinHash.union(ta, tb))
        c = oa.copy()
        assert c == oa and c is not oa
        c.merge(ob)
        ta.merge(tb)
        assert_same(c, ta)
        assert c != oa
        np.testing.assert_array_equal(oa.digest(), oa.hashvalues)
        assert len(oa) == 128
        oa.clear()
        assert oa.is_empty() and oa == nd.MinHash(num_perm=128, scheme=scheme)  # type: ignore[arg-type]


def test_stored_datasketch_signatures_stay_valid() -> None:
    tokens = TOKEN_SETS["ascii"] + TOKEN_SETS["non-ascii"]
    for scheme in SCHEMES:
        stored = ds.MinHash(num_perm=64, seed=5, scheme=scheme)
        stored.update_batch(tokens)
        loaded = nd.MinHash(seed=5, hashvalues=stored.hashvalues, scheme=scheme)  # type: ignore[arg-type]
        fresh = nd.MinHash(num_perm=64, seed=5, scheme=scheme)  # type: ignore[arg-type]
        fresh.update_batch(tokens)
        assert loaded == fresh and loaded.jaccard(fresh) == 1.0
        # Duck-typed interplay both ways, as between two datasketch MinHashes.
        assert fresh.jaccard(stored) == 1.0 and stored.jaccard(fresh) == 1.0
        perms = nd.MinHash(seed=5, num_perm=64, permutations=stored.permutations, scheme=scheme)  # type: ignore[arg-type]
        perms.update_batch(tokens)
        assert perms == fresh


def test_custom_and_datasketch_hashfuncs() -> None:
    def h32(b: bytes) -> int:
        return int.from_bytes(b[:4].ljust(4, b"\0"), "little")

    tokens = TOKEN_SETS["ascii"] + TOKEN_SETS["binary"]
    for scheme in SCHEMES:
        for hf in (h32, ds.hashfunc.sha1_hash32, nd.sha1_hash32):
            ours = nd.MinHash(num_perm=32, scheme=scheme, hashfunc=hf)  # type: ignore[arg-type]
            theirs = ds.MinHash(num_perm=32, scheme=scheme, hashfunc=hf)
            ours.update_batch(tokens)
            theirs.update_batch(tokens)
            ours.update(b"one more")
            theirs.update(b"one more")
            assert_same(ours, theirs)
            bulk_o = nd.MinHash.bulk([tokens, []], num_perm=32, scheme=scheme, hashfunc=hf)
            bulk_t = ds.MinHash.bulk([tokens, []], num_perm=32, scheme=scheme, hashfunc=hf)
            for o, t in zip(bulk_o, bulk_t, strict=True):
                assert_same(o, t)
    wide = nd.MinHash(num_perm=8, hashfunc=ds.hashfunc.sha1_hash64)
    with pytest.raises(ValueError, match="out of range"):
        wide.update(b"x")
    with pytest.raises(ValueError, match="out of range"):
        ds.MinHash(num_perm=8, hashfunc=ds.hashfunc.sha1_hash64).update(b"x")


def test_errors_match_datasketch() -> None:
    cases: list[tuple[Callable[[Any], Any], type[Exception]]] = [
        (lambda m: m.MinHash(num_perm=0), ValueError),
        (lambda m: m.MinHash(scheme="affine16"), ValueError),
        (lambda m: m.MinHash(hashvalues=[1, 2, 3]), ValueError),
        (lambda m: m.MinHash(permutations=([1], [2])), ValueError),
        (lambda m: m.MinHash(seed=-1), ValueError),
        (lambda m: m.MinHash(seed=2**32), ValueError),
        (lambda m: m.MinHash(hashfunc=5), ValueError),
        (lambda m: m.MinHash(hashvalues=[2**33], scheme="affine32"), ValueError),
        (lambda m: m.MinHash(num_perm=2, permutations=([2, 3], [1, 1]), scheme="affine32"), ValueError),
        (lambda m: m.MinHash().update("a str"), TypeError),
        (lambda m: m.MinHash().update_batch(["a str"]), TypeError),
        (lambda m: m.MinHash().update(5), TypeError),
        (lambda m: m.MinHash().jaccard(m.MinHash(scheme="legacy")), ValueError),
        (lambda m: m.MinHash().jaccard(m.MinHash(seed=2)), ValueError),
        (lambda m: m.MinHash().merge(m.MinHash(num_perm=8)), ValueError),
        (lambda m: m.MinHash.union(m.MinHash()), ValueError),
        (lambda m: m.MinHash(gpu_mode="always").update_batch([b"x"]), RuntimeError),
    ]
    for make, exc in cases:
        with pytest.raises(exc):
            make(ds)
        with pytest.raises(exc):
            make(nd)
    nd.MinHash(gpu_mode="always").update_batch([])  # an empty batch never reaches the GPU check
    with pytest.warns(DeprecationWarning):
        nd.MinHash(hashobj=object())


def test_bulk_error_mid_stream() -> None:
    """A bad token deep inside a long input raises cleanly (the hashing pipeline stops, no hang)."""
    docs: list[list[Any]] = [[b"ok"]] * 900
    docs[700] = [b"fine", "not bytes"]
    with pytest.raises(TypeError, match="encoded"):
        nd.MinHash.bulk(docs, num_perm=16)

    def failing() -> Iterator[list[bytes]]:
        yield from [[b"a"]] * 600
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        nd.MinHash.bulk(failing(), num_perm=16)
    assert len(nd.MinHash.bulk([[b"a"]] * 600, num_perm=16)) == 600


def test_minhash_pickle_roundtrip() -> None:
    m = nd.MinHash(num_perm=32, seed=9, scheme="legacy")
    m.update_batch(TOKEN_SETS["non-ascii"])
    back = pickle.loads(pickle.dumps(m))
    assert back == m and back.scheme == "legacy" and len(back) == 32
    custom = nd.MinHash(num_perm=4, permutations=([1, 3, 5, 7], [0, 1, 2, 3]), scheme="affine32")
    custom.update(b"x")
    back = pickle.loads(pickle.dumps(custom))
    assert back == custom
    np.testing.assert_array_equal(back.permutations, custom.permutations)
    back.update(b"y")
    custom.update(b"y")
    assert back == custom


def test_threads_get_identical_results() -> None:
    docs = corpus(400, seed=5)
    want = [m.hashvalues for m in nd.MinHash.bulk(docs, num_perm=64)]
    results: list[list[np.ndarray[Any, Any]]] = [[] for _ in range(8)]

    def work(i: int) -> None:
        results[i] = [m.hashvalues for m in nd.MinHash.bulk(docs, num_perm=64)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got in results:
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)


# ---- MinHashLSH ---------------------------------------------------------------------------------


@pytest.mark.parametrize("num_perm", [2, 3, 16, 64])
def test_lsh_params_match_fine_grid(num_perm: int) -> None:
    for i in range(101):
        assert_same_params(i / 100, num_perm, (0.5, 0.5))


@pytest.mark.parametrize("num_perm", [128, 256])
@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.3, 0.7), (0.9, 0.1)])
def test_lsh_params_match_coarse_grid(num_perm: int, weights: tuple[float, float]) -> None:
    for i in range(0, 101, 5):
        assert_same_params(i / 100, num_perm, weights)


def assert_same_params(threshold: float, num_perm: int, weights: tuple[float, float]) -> None:
    want: Any
    try:
        theirs = ds.MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
        want = (theirs.b, theirs.r)
    except ValueError as err:
        want = str(err)
    try:
        ours = nd.MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
        got: Any = ours.params
        assert (ours.b, ours.r) == got
    except ValueError as err:
        got = str(err)
    assert got == want, (threshold, num_perm, weights)


def test_lsh_argument_errors_match() -> None:
    bad: list[dict[str, Any]] = [
        {"threshold": 1.5},
        {"threshold": -0.1},
        {"num_perm": 1},
        {"weights": (0.7, 0.7)},
        {"weights": (-0.5, 1.5)},
        {"params": (20, 10)},
        {"params": (1, 8)},
    ]
    for kwargs in bad:
        with pytest.raises(ValueError) as theirs:
            ds.MinHashLSH(**kwargs)
        with pytest.raises(ValueError) as ours:
            nd.MinHashLSH(**kwargs)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="Unknown storage type"):
        nd.MinHashLSH(storage_config={"type": "cassandra"})
    with pytest.raises(NotImplementedError):
        nd.MinHashLSH(hashfunc=hash)


def build_pair(
    docs: list[list[bytes]], scheme: str, threshold: float, num_perm: int = 128, **kw: Any
) -> tuple[nd.MinHashLSH, Any, list[nd.MinHash], list[Any]]:
    ours_m = nd.MinHash.bulk(docs, num_perm=num_perm, scheme=scheme)
    theirs_m = ds.MinHash.bulk(docs, num_perm=num_perm, scheme=scheme)
    ours = nd.MinHashLSH(threshold=threshold, num_perm=num_perm, **kw)
    theirs = ds.MinHashLSH(threshold=threshold, num_perm=num_perm, **kw)
    for i, (o, t) in enumerate(zip(ours_m, theirs_m, strict=True)):
        ours.insert(f"doc{i}", o)
        theirs.insert(f"doc{i}", t)
    return ours, theirs, ours_m, theirs_m


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
def test_lsh_queries_match(scheme: str, threshold: float) -> None:
    docs = corpus(300, seed=int(threshold * 10))
    ours, theirs, ours_m, theirs_m = build_pair(docs, scheme, threshold)
    assert (ours.b, ours.r) == (theirs.b, theirs.r)
    total = 0
    for o, t in zip(ours_m, theirs_m, strict=True):
        got = ours.query(o)
        assert len(got) == len(set(got))
        assert set(got) == set(theirs.query(t))
        total += len(got)
    assert total > len(docs)  # near-copies really were found
    assert ours.get_counts() == theirs.get_counts()
    assert list(ours.keys) == list(theirs.keys.keys())
    for key in list(theirs.keys.keys())[:20]:
        assert ours.keys[key] == ours.keys.get(key) == theirs.keys.get(key)
    assert ours.keys.get("missing") == theirs.keys.get("missing") == []
    assert ours.keys.size() == theirs.keys.size()
    # Remove a third, then everything must still agree.
    for i in range(0, len(docs), 3):
        ours.remove(f"doc{i}")
        theirs.remove(f"doc{i}")
    for i, (o, t) in enumerate(zip(ours_m, theirs_m, strict=True)):
        assert set(ours.query(o)) == set(theirs.query(t))
        assert (f"doc{i}" in ours) == (f"doc{i}" in theirs)
    assert ours.get_counts() == theirs.get_counts()
    assert len(ours) == len(list(theirs.keys.keys()))


@settings(max_examples=25, deadline=None)
@given(
    sets=st.lists(st.sets(st.integers(0, 40), max_size=25), min_size=1, max_size=30),
    threshold=st.floats(0.05, 0.95),
    num_perm=st.sampled_from([16, 32, 64]),
)
def test_lsh_random_sets_match(sets: list[set[int]], threshold: float, num_perm: int) -> None:
    docs = [[str(x).encode() for x in sorted(s)] for s in sets]
    try:
        ds.MinHashLSH(threshold=threshold, num_perm=num_perm)
    except ValueError:  # a (b, r) with b < 2: both refuse it
        with pytest.raises(ValueError):
            nd.MinHashLSH(threshold=threshold, num_perm=num_perm)
        return
    ours, theirs, ours_m, theirs_m = build_pair(docs, "affine32", threshold, num_perm=num_perm)
    for o, t in zip(ours_m, theirs_m, strict=True):
        assert set(ours.query(o)) == set(theirs.query(t))


def test_lsh_api_surface() -> None:
    docs = corpus(40, seed=1)
    ours, theirs, ours_m, theirs_m = build_pair(docs, "affine32", 0.5, prepickle=True)
    assert "doc0" in ours and ("doc0", 1) not in ours
    with pytest.raises(ValueError, match="already exists"):
        ours.insert("doc0", ours_m[0])
    with pytest.raises(ValueError, match="does not exist"):
        ours.remove("nope")
    with pytest.raises(ValueError, match="Expecting minhash with length"):
        ours.query(nd.MinHash(num_perm=64))
    with pytest.raises(ValueError, match="does not match scheme"):
        ours.query(nd.MinHash(num_perm=128, scheme="legacy"))
    # datasketch MinHash objects go into our index and ours into theirs (duck typing).
    mixed = nd.MinHashLSH(threshold=0.5, num_perm=128)
    for i, t in enumerate(theirs_m):
        mixed.insert(i, t)
    for i, o in enumerate(ours_m):
        assert set(mixed.query(o)) == {int(k[3:]) for k in theirs.query(theirs_m[i])}

    # Sessions, buffered queries, merge, pickling, emptiness.
    other = nd.MinHashLSH(threshold=0.5, num_perm=128)
    with other.insertion_session() as session:
        for i, o in enumerate(ours_m):
            session.insert(("t", i), o)
    other.add_to_query_buffer(ours_m[0])
    other.add_to_query_buffer(ours_m[0])
    assert set(other.collect_query_buffer()) == set(other.query(ours_m[0]))
    assert other.collect_query_buffer() == []
    back = pickle.loads(pickle.dumps(other))
    for o in ours_m:
        assert back.query(o) == other.query(o)
    merged = nd.MinHashLSH(threshold=0.5, num_perm=128)
    merged.merge(other)
    with pytest.raises(ValueError, match="overlapping"):
        merged.merge(other, check_overlap=True)
    for o in ours_m:
        assert set(merged.query(o)) == set(other.query(o))
    with other.deletion_session() as session:
        for i in range(len(ours_m)):
            session.remove(("t", i))
    assert other.is_empty() and len(other) == 0 and not list(other.keys)
    assert not merged.is_empty()


def test_lsh_duplicate_keys_without_check() -> None:
    a, b = nd.MinHash(num_perm=16), nd.MinHash(num_perm=16)
    a.update(b"a")
    b.update(b"b")
    lsh = nd.MinHashLSH(threshold=0.5, num_perm=16)
    lsh.insert("k", a)
    lsh.insert("k", b, check_duplication=False)
    assert lsh.query(a) == ["k"] and lsh.query(b) == ["k"]
    lsh.remove("k")
    assert lsh.query(a) == [] and lsh.query(b) == [] and lsh.is_empty()


def test_generator_is_lazy() -> None:
    seen: list[int] = []

    def docs() -> Iterator[list[bytes]]:
        for i in range(10_000):
            seen.append(i)
            yield [str(i).encode()]

    gen = nd.MinHash.generator(docs(), num_perm=8)
    first = next(gen)
    assert first == nd.MinHash.bulk([[b"0"]], num_perm=8)[0]
    assert len(seen) < 10_000
