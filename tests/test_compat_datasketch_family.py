"""The rest of datasketch's MinHash family in neardup.compat.datasketch, against datasketch 2.0.0 itself:
LeanMinHash, bBitMinHash, WeightedMinHash(Generator), MinHashLSHForest, MinHashLSHEnsemble, and
MinHashLSH over weighted MinHashes. Same values, same bytes, same candidates; objects of either library
accepted by the other."""

from __future__ import annotations

import pickle
import random
import threading
from typing import Any

import numpy as np
import pytest

ds = pytest.importorskip("datasketch")
sparse = pytest.importorskip("scipy.sparse")

from neardup.compat import datasketch as nd  # noqa: E402

SCHEMES = ["affine32", "legacy", "affine64"]


def token_sets(n: int, seed: int = 0) -> list[list[bytes]]:
    """Sets over a small vocabulary, some near-copies of earlier ones (so queries find neighbours)."""
    rng = random.Random(seed)
    out: list[list[bytes]] = []
    for _ in range(n):
        if out and rng.random() < 0.4:
            base = list(rng.choice(out))
            for _ in range(rng.randint(1, 4)):
                base[rng.randrange(len(base))] = f"t{rng.randrange(3000)}".encode()
            out.append(base)
        else:
            out.append([f"t{rng.randrange(3000)}".encode() for _ in range(rng.randint(5, 80))])
    return out


def pairs(
    n: int, scheme: str = "affine32", num_perm: int = 128, seed: int = 0
) -> tuple[list[Any], list[Any]]:
    docs = token_sets(n, seed)
    return (
        nd.MinHash.bulk(docs, num_perm=num_perm, scheme=scheme),
        ds.MinHash.bulk(docs, num_perm=num_perm, scheme=scheme),
    )


# ---- LeanMinHash --------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("byteorder", ["@", "=", "<", ">", "!"])
def test_lean_serialize_is_byte_identical(scheme: str, byteorder: str) -> None:
    ours_m, theirs_m = pairs(5, scheme, num_perm=37)
    for o, t in zip(ours_m, theirs_m, strict=True):
        lo, lt = nd.LeanMinHash(o), ds.LeanMinHash(t)
        assert lo.bytesize(byteorder) == lt.bytesize(byteorder)
        bo, bt = bytearray(lo.bytesize(byteorder)), bytearray(lt.bytesize(byteorder))
        lo.serialize(bo, byteorder)
        lt.serialize(bt, byteorder)
        assert bo == bt
        # Each reads the other's bytes back to an equal sketch.
        back = nd.LeanMinHash.deserialize(bt, byteorder)
        assert back.scheme == scheme and back.seed == lt.seed
        np.testing.assert_array_equal(back.hashvalues, lt.hashvalues)
        assert back.hashvalues.dtype == lt.hashvalues.dtype
        theirs_back = ds.LeanMinHash.deserialize(bo, byteorder)
        np.testing.assert_array_equal(theirs_back.hashvalues, lo.hashvalues)
        assert hash(lo) == hash(lt) == hash(back)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_lean_pickle_and_interop(scheme: str) -> None:
    ours_m, theirs_m = pairs(4, scheme, num_perm=16)
    lo = nd.LeanMinHash(theirs_m[0])  # ours built from datasketch's MinHash
    lt = ds.LeanMinHash(ours_m[0])  # datasketch's built from ours
    np.testing.assert_array_equal(lo.hashvalues, lt.hashvalues)
    assert lo.scheme == lt.scheme == scheme and isinstance(lo, nd.MinHash)
    # Pickled state is datasketch's native serialisation.
    assert lo.__getstate__() == lt.__getstate__()
    back = pickle.loads(pickle.dumps(lo))
    assert back == lo and type(back) is nd.LeanMinHash and back != ours_m[0]
    assert lo.jaccard(nd.LeanMinHash(ours_m[1])) == lt.jaccard(ds.LeanMinHash(theirs_m[1]))
    u = nd.LeanMinHash.union(lo, nd.LeanMinHash(ours_m[1]))
    np.testing.assert_array_equal(
        u.hashvalues, ds.LeanMinHash.union(lt, ds.LeanMinHash(theirs_m[1])).hashvalues
    )
    with pytest.raises(TypeError):
        lo.update(b"x")
    with pytest.raises(ValueError, match="conflicts"):
        nd.LeanMinHash(ours_m[0], scheme="legacy" if scheme != "legacy" else "affine32")
    with pytest.raises(ValueError, match="scheme must be specified"):
        nd.LeanMinHash(seed=1, hashvalues=lo.hashvalues)
    with pytest.raises(ValueError, match="too short"):
        nd.LeanMinHash.deserialize(bytearray(lo.__getstate__())[:-1])
    copy = lo.copy()
    assert copy == lo and copy is not lo


def test_lean_empty_legacy_round_trips_and_affine_refuses() -> None:
    lm = nd.LeanMinHash(seed=1, hashvalues=[], scheme="legacy")
    buf = bytearray(lm.bytesize("<"))
    lm.serialize(buf, "<")
    assert nd.LeanMinHash.deserialize(buf, "<").scheme == "legacy"
    with pytest.raises(ValueError):
        nd.LeanMinHash(seed=1, hashvalues=[], scheme="affine32")


# ---- bBitMinHash --------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("b", [0, 1, 2, 3, 4, 5, 8, 12, 16, 32])
def test_bbit_state_is_byte_identical(scheme: str, b: int) -> None:
    ours_m, theirs_m = pairs(3, scheme, num_perm=70)
    for r in (0.0, 0.25):
        o = nd.bBitMinHash(ours_m[0], b=b, r=r)
        t = ds.bBitMinHash(theirs_m[0], b=b, r=r)
        np.testing.assert_array_equal(o.hashvalues, t.hashvalues)
        assert o.bytesize() == t.bytesize()
        assert o.__getstate__() == t.__getstate__()
        back = pickle.loads(pickle.dumps(o))
        assert back == o
        theirs_back = object.__new__(ds.bBitMinHash)
        theirs_back.__setstate__(o.__getstate__())
        np.testing.assert_array_equal(theirs_back.hashvalues, o.hashvalues)
        if b:
            o2, t2 = nd.bBitMinHash(ours_m[1], b=b, r=r), ds.bBitMinHash(theirs_m[1], b=b, r=r)
            assert o.jaccard(o2) == t.jaccard(t2)


def test_bbit_errors() -> None:
    m = nd.MinHash(num_perm=8)
    with pytest.raises(ValueError):
        nd.bBitMinHash(m, b=33)
    with pytest.raises(ValueError):
        nd.bBitMinHash(m, r=1.5)
    with pytest.raises(ValueError, match="different b"):
        nd.bBitMinHash(m, b=1).jaccard(nd.bBitMinHash(m, b=2))


# ---- WeightedMinHash ----------------------------------------------------------------------------


def weight_vectors(n: int, dim: int, seed: int = 3) -> np.ndarray[Any, Any]:
    rng = np.random.RandomState(seed)
    x = rng.uniform(0.0, 50.0, (n, dim))
    x[rng.uniform(size=(n, dim)) < 0.6] = 0.0  # sparse rows, like term weights
    x[1] = 0.0  # an all-zero row
    x[2, :3] = [1e-30, 1e30, 7.0]  # extreme weights
    return x


@pytest.mark.parametrize("seed", [1, 7])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_weighted_minhash_is_bit_identical(seed: int, dtype: Any) -> None:
    x = weight_vectors(40, 60)
    if np.dtype(dtype).kind == "i":
        x = np.minimum(x, 1e9)  # integer weights: keep the extreme row castable
    x = x.astype(dtype)
    ours = nd.WeightedMinHashGenerator(60, sample_size=64, seed=seed)
    theirs = ds.WeightedMinHashGenerator(60, sample_size=64, seed=seed)
    np.testing.assert_array_equal(ours.rs, theirs.rs)
    for row in x:
        if not row.any():
            with pytest.raises(ValueError):
                ours.minhash(row)
            continue
        o, t = ours.minhash(row), theirs.minhash(row)
        assert o.hashvalues.dtype == t.hashvalues.dtype
        np.testing.assert_array_equal(o.hashvalues, t.hashvalues)
        assert o == nd.WeightedMinHash(t.seed, t.hashvalues)
    # Lists are accepted as datasketch accepts them.
    np.testing.assert_array_equal(ours.minhash(list(x[0])).hashvalues, theirs.minhash(list(x[0])).hashvalues)


@pytest.mark.parametrize("kind", ["dense", "csr", "csc"])
def test_weighted_minhash_many_is_bit_identical(kind: str) -> None:
    x = weight_vectors(50, 80).astype(np.float32)
    mat: Any = {"dense": x, "csr": sparse.csr_matrix(x), "csc": sparse.csc_matrix(x)}[kind]
    ours = nd.WeightedMinHashGenerator(80, sample_size=32)
    theirs = ds.WeightedMinHashGenerator(80, sample_size=32)
    got, want = ours.minhash_many(mat), theirs.minhash_many(mat)
    assert len(got) == len(want)
    for o, t in zip(got, want, strict=True):
        assert (o is None) == (t is None)
        if o is not None:
            np.testing.assert_array_equal(o.hashvalues, t.hashvalues)
    assert got[1] is None


def _hashes(out: list[Any]) -> list[bytes | None]:
    return [None if m is None else m.hashvalues.tobytes() for m in out]


def edge_weights(n: int, dim: int, seed: int) -> np.ndarray[Any, Any]:
    """Sparse float64 rows of term-like weights with, in some rows, the weights that stress the rule:
    float32's extremes (tiny, subnormal, huge), values that round to zero in float32, +inf, NaN and
    negative weights (a NaN log: ignored by ``minhash``, the minimum for ``minhash_many``)."""
    rng = np.random.RandomState(seed)
    x = rng.lognormal(0.0, 3.0, (n, dim))
    x[rng.uniform(size=(n, dim)) < 0.85] = 0.0
    x[0] = 0.0
    x[1, :6] = [1e-30, 1e30, 1e-45, 3e38, 1e-50, 7.0]
    x[2, :2] = [np.inf, 1.0]
    x[3, :3] = [-1.0, 2.0, np.nan]
    x[4, :] = 0.0
    x[4, 5] = -3.0  # only negative: datasketch's minhash_many picks the NaN
    x[5, 3], x[5, 10] = 4.0, -2.0  # a negative weight after a positive one
    return x


def messy_csr(x: np.ndarray[Any, Any]) -> Any:
    """``x`` as a CSR matrix with each row's columns in descending order and each normal weight split
    into two equal halves stored side by side (exact: the halves add back to the weight)."""
    data: list[float] = []
    cols: list[int] = []
    indptr = [0]
    for row in x:
        for c in np.flatnonzero(row)[::-1]:
            v = row[c]
            if np.isfinite(v) and 1e-30 < abs(v) < 1e30:
                data += [v / 2, v / 2]
                cols += [c, c]
            else:
                data.append(v)
                cols.append(c)
        indptr.append(len(cols))
    return sparse.csr_matrix((np.array(data, dtype=x.dtype), np.array(cols), np.array(indptr)), shape=x.shape)


@pytest.mark.parametrize("samples", [1, 17, 128])
def test_weighted_minhash_many_matches_on_random_and_extreme_weights(samples: int) -> None:
    dim = 300
    x = edge_weights(120, dim, seed=samples)
    # 1e-50 becomes a stored zero in float32, which datasketch's minhash_many misreads (see below).
    x[1, 4] = 0.5
    ours = nd.WeightedMinHashGenerator(dim, sample_size=samples, seed=11)
    theirs = ds.WeightedMinHashGenerator(dim, sample_size=samples, seed=11)
    with np.errstate(all="ignore"):
        want = _hashes(theirs.minhash_many(x))
        for mat in [x, x.astype(np.float32), sparse.csr_matrix(x), sparse.csr_matrix(x, dtype=np.float32)]:
            assert _hashes(ours.minhash_many(mat)) == want
        # int64 indices; a CSR whose rows are out of order and hold repeated entries (datasketch sorts
        # them and reads a repeated entry as the sum of its copies).
        wide = sparse.csr_matrix(x, dtype=np.float32)
        wide.indices, wide.indptr = wide.indices.astype(np.int64), wide.indptr.astype(np.int64)
        assert _hashes(ours.minhash_many(wide)) == want
        assert _hashes(ours.minhash_many(messy_csr(x.astype(np.float32)))) == want
    assert want[0] is None and want[4] is not None


def test_weighted_minhash_many_skips_explicit_zeros() -> None:
    # datasketch's minhash_many misreads a CSR matrix holding explicit zeros (its row ends count them,
    # its column list does not); the drop-in reads them as the zeros they are.
    x = edge_weights(30, 50, seed=2).astype(np.float32)
    stored = sparse.csr_matrix(x)
    stored.data[::3] = 0.0
    clean = stored.copy()
    clean.eliminate_zeros()
    ours = nd.WeightedMinHashGenerator(50, sample_size=20)
    theirs = ds.WeightedMinHashGenerator(50, sample_size=20)
    with np.errstate(all="ignore"):
        assert _hashes(ours.minhash_many(stored)) == _hashes(theirs.minhash_many(clean))


def test_weighted_ties_keep_the_first_column() -> None:
    # Columns 3, 7 and 9 share their parameters and weight, so every sample ties between them exactly:
    # argmin keeps the first (a `<=` in the core's comparison would pick column 9).
    dim, samples = 12, 40
    ours = nd.WeightedMinHashGenerator(dim, sample_size=samples, seed=4)
    theirs = ds.WeightedMinHashGenerator(dim, sample_size=samples, seed=4)
    for gen in (ours, theirs):
        for name in ("rs", "ln_cs", "betas"):
            m = getattr(gen, name)
            m[:, 7] = m[:, 9] = m[:, 3]
    x = np.zeros((2, dim), dtype=np.float32)
    x[:, [3, 7, 9]] = 2.5
    x[1, 0] = 1e-30  # a weight that never wins
    with np.errstate(all="ignore"):
        got = ours.minhash_many(x)
        assert _hashes(got) == _hashes(theirs.minhash_many(x))
        one = ours.minhash(x[1])
        np.testing.assert_array_equal(one.hashvalues, theirs.minhash(x[1]).hashvalues)
    assert set(got[0].hashvalues[:, 0]) == {3} and set(one.hashvalues[:, 0]) == {3}


@pytest.mark.parametrize("samples", [5, 64])
def test_weighted_minhash_matches_on_extreme_weights_and_raises_alike(samples: int) -> None:
    dim = 300
    x = edge_weights(40, dim, seed=samples)
    ours = nd.WeightedMinHashGenerator(dim, sample_size=samples, seed=2)
    theirs = ds.WeightedMinHashGenerator(dim, sample_size=samples, seed=2)
    for dtype in (np.float64, np.float32):
        for i, row in enumerate(x.astype(dtype)):
            try:
                with np.errstate(all="ignore"):
                    want = theirs.minhash(row).hashvalues
            except (ValueError, OverflowError) as e:  # all zeros, all NaN, an infinite weight
                with pytest.raises(type(e)):
                    ours.minhash(row)
                assert i in (0, 2, 4), i
                continue
            np.testing.assert_array_equal(ours.minhash(row).hashvalues, want)


def test_weighted_jaccard_pickle_and_errors() -> None:
    x = weight_vectors(6, 20)
    ours = nd.WeightedMinHashGenerator(20, sample_size=50)
    theirs = ds.WeightedMinHashGenerator(20, sample_size=50)
    o = [ours.minhash(v) for v in x if v.any()]
    t = [theirs.minhash(v) for v in x if v.any()]
    for i in range(len(o)):
        for j in range(len(o)):
            assert o[i].jaccard(o[j]) == t[i].jaccard(t[j])
    back = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(back.minhash(x[0]).hashvalues, o[0].hashvalues)
    assert pickle.loads(pickle.dumps(o[0])) == o[0] and o[0].copy() == o[0]
    with pytest.raises(ValueError, match="dimension"):
        ours.minhash(np.ones(3))
    with pytest.raises(TypeError):
        ours.minhash(iter([1.0]))
    with pytest.raises(ValueError, match="seeds"):
        o[0].jaccard(nd.WeightedMinHash(2, o[0].hashvalues))


def test_lsh_indexes_weighted_minhashes_like_datasketch() -> None:
    x = np.random.RandomState(5).randint(0, 6, (120, 30)).astype(float)
    x[:, 0] += 1  # no all-zero rows
    x[60:90] = x[0:30] + (np.random.RandomState(6).uniform(size=(30, 30)) < 0.1)  # near-copies
    ours_g, theirs_g = nd.WeightedMinHashGenerator(30, 64), ds.WeightedMinHashGenerator(30, 64)
    ours = nd.MinHashLSH(threshold=0.5, num_perm=64)
    theirs = ds.MinHashLSH(threshold=0.5, num_perm=64)
    ours_m = [ours_g.minhash(v) for v in x]
    theirs_m = [theirs_g.minhash(v) for v in x]
    for i, (o, t) in enumerate(zip(ours_m, theirs_m, strict=True)):
        ours.insert(i, o)
        theirs.insert(i, t)
    found = 0
    for o, t in zip(ours_m, theirs_m, strict=True):
        got = ours.query(o)
        assert set(got) == set(theirs.query(t))
        found += len(got)
    assert found > len(x)
    for i in range(ours.b):
        assert {h: set(v) for h, v in ours.hashtables[i].items()} == {
            h: theirs.hashtables[i][h] for h in theirs.hashtables[i]
        }
    assert ours.keys[5] == theirs.keys[5]
    back = pickle.loads(pickle.dumps(ours))
    assert set(back.query(ours_m[3])) == set(ours.query(ours_m[3]))
    with pytest.raises(ValueError, match="mix"):
        ours.insert("plain", nd.MinHash(num_perm=64))


def test_lsh_hashtables_view_follows_changes() -> None:
    ours_m, theirs_m = pairs(60)
    ours = nd.MinHashLSH(threshold=0.5, num_perm=128)
    theirs = ds.MinHashLSH(threshold=0.5, num_perm=128)
    for i, (o, t) in enumerate(zip(ours_m, theirs_m, strict=True)):
        ours.insert(i, o)
        theirs.insert(i, t)
    tables = ours.hashtables
    for i in range(0, 60, 4):
        ours.remove(i)
        theirs.remove(i)
    for band, table in enumerate(tables):
        assert {h: set(v) for h, v in table.items()} == {
            h: theirs.hashtables[band][h] for h in theirs.hashtables[band]
        }
        assert table.get(b"missing") == []
    assert ours.get_subset_counts(1, 2, 3) == theirs.get_subset_counts(1, 2, 3)


# ---- MinHash odds and ends ----------------------------------------------------------------------


def test_union_keeps_gpu_mode_and_takes_datasketch_minhashes() -> None:
    ours_m, theirs_m = pairs(2)
    a = nd.MinHash(num_perm=128, gpu_mode="detect")
    a.update_batch([b"x", b"y"])
    assert nd.MinHash.union(a, ours_m[0])._gpu_mode == "detect"
    # datasketch's union of our MinHashes, and ours of theirs.
    theirs_u = ds.MinHash.union(a, ours_m[1])
    assert theirs_u._gpu_mode == "detect"
    ours_u = nd.MinHash.union(theirs_m[0], theirs_m[1])
    assert type(ours_u) is nd.MinHash
    np.testing.assert_array_equal(ours_u.hashvalues, ds.MinHash.union(theirs_m[0], theirs_m[1]).hashvalues)


# ---- MinHashLSHForest ---------------------------------------------------------------------------


def build_forests(ours_m: list[Any], theirs_m: list[Any], num_perm: int, l: int) -> tuple[Any, Any]:  # noqa: E741
    ours, theirs = nd.MinHashLSHForest(num_perm=num_perm, l=l), ds.MinHashLSHForest(num_perm=num_perm, l=l)
    for i, (o, t) in enumerate(zip(ours_m, theirs_m, strict=True)):
        ours.add(i, o)
        theirs.add(i, t)
    assert ours.is_empty() and theirs.is_empty()
    ours.index()
    theirs.index()
    return ours, theirs


@pytest.mark.parametrize("scheme", ["affine32", "legacy", "affine64"])
@pytest.mark.parametrize("l", [1, 4, 8, 32])
def test_forest_queries_match(scheme: str, l: int) -> None:  # noqa: E741
    ours_m, theirs_m = pairs(300, scheme, num_perm=64, seed=l)
    ours, theirs = build_forests(ours_m, theirs_m, 64, l)
    for k in (1, 5, 20):
        got_many = ours.query_many(ours_m[:50], k)
        for i in range(50):
            got = ours.query(ours_m[i], k)
            assert set(got) == set(theirs.query(theirs_m[i], k))
            assert got == got_many[i]
    assert not ours.is_empty()
    assert dict(ours.keys) == theirs.keys
    assert ours.hashtables == [dict(t) for t in theirs.hashtables]
    np.testing.assert_array_equal(ours.get_minhash_hashvalues(7), theirs.get_minhash_hashvalues(7))
    back = pickle.loads(pickle.dumps(ours))
    assert back.query(ours_m[3], 10) == ours.query(ours_m[3], 10)
    assert back.hashtables == ours.hashtables and dict(back.keys) == dict(ours.keys)


def test_forest_weighted_matches_and_errors() -> None:
    x = np.random.RandomState(2).randint(0, 20, (150, 40)).astype(float) + 0.5
    og, tg = nd.WeightedMinHashGenerator(40, 64), ds.WeightedMinHashGenerator(40, 64)
    ours, theirs = build_forests([og.minhash(v) for v in x], [tg.minhash(v) for v in x], 64, 8)
    for v in x[:40]:
        assert set(ours.query(og.minhash(v), 6)) == set(theirs.query(tg.minhash(v), 6))
    assert ours.hashtables == [dict(t) for t in theirs.hashtables]
    with pytest.raises(ValueError, match="already"):
        ours.add(0, og.minhash(x[0]))
    with pytest.raises(ValueError, match="positive"):
        ours.query(og.minhash(x[0]), 0)
    with pytest.raises(ValueError, match="out of range"):
        ours.add("short", nd.MinHash(num_perm=8))
    with pytest.raises(KeyError):
        ours.get_minhash_hashvalues("nope")


def test_forest_query_many_threads() -> None:
    ours_m, _ = pairs(200)
    forest = nd.MinHashLSHForest()
    for i, m in enumerate(ours_m):
        forest.add(i, m)
    forest.index()
    want = [forest.query(m, 10) for m in ours_m]
    out: list[Any] = [None] * 4

    def run(t: int) -> None:
        out[t] = forest.query_many(ours_m, 10)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o == want for o in out)


# ---- MinHashLSHEnsemble -------------------------------------------------------------------------


def ensemble_entries(lib: Any, n: int, seed: int = 11) -> list[tuple[Any, Any, int]]:
    rng = random.Random(seed)
    universe = [f"v{i}".encode() for i in range(4000)]
    sets = []
    for _ in range(n):
        if sets and rng.random() < 0.3:  # a superset or subset of an earlier set
            base = rng.choice(sets)
            s = (
                set(rng.sample(sorted(base), max(1, len(base) // 2)))
                if rng.random() < 0.5
                else base | {rng.choice(universe)}
            )
        else:
            s = set(rng.sample(universe, rng.randint(2, 400)))
        sets.append(s)
    ms = lib.MinHash.bulk([sorted(s) for s in sets], num_perm=128)
    return [(f"s{i}", m, len(s)) for i, (m, s) in enumerate(zip(ms, sets, strict=True))]


@pytest.mark.parametrize("threshold", [0.5, 0.8])
@pytest.mark.parametrize("num_part", [1, 4, 16])
def test_ensemble_queries_match(threshold: float, num_part: int) -> None:
    ours = nd.MinHashLSHEnsemble(threshold=threshold, num_perm=128, num_part=num_part)
    theirs = ds.MinHashLSHEnsemble(threshold=threshold, num_perm=128, num_part=num_part)
    np.testing.assert_array_equal(ours.params, theirs.params)
    ours_e, theirs_e = ensemble_entries(nd, 300), ensemble_entries(ds, 300)
    ours.index(ours_e)
    theirs.index(theirs_e)
    assert ours.lowers == theirs.lowers and ours.uppers == theirs.uppers
    total = 0
    many = ours.query_many((m, size) for _, m, size in ours_e[:60])
    for (key, o, size), (_, t, _), got_many in zip(ours_e[:60], theirs_e, many, strict=False):
        got = sorted(ours.query(o, size))
        assert got == sorted(theirs.query(t, size))
        assert set(got) == got_many and key in got
        total += len(got)
    assert total > 60
    assert "s3" in ours and "nope" not in ours and not ours.is_empty()
    with pytest.raises(ValueError, match="again"):
        ours.index(ours_e)


def test_ensemble_takes_datasketch_minhashes_and_errors() -> None:
    ours = nd.MinHashLSHEnsemble(threshold=0.6, num_part=4)
    theirs_e = ensemble_entries(ds, 80)
    ours.index(iter(theirs_e))  # datasketch MinHashes, from a generator
    ref = ds.MinHashLSHEnsemble(threshold=0.6, num_part=4)
    ref.index(theirs_e)
    for _, m, size in theirs_e[:20]:
        assert sorted(ours.query(m, size)) == sorted(ref.query(m, size))
    with pytest.raises(ValueError, match="empty"):
        nd.MinHashLSHEnsemble().index([])
    with pytest.raises(ValueError, match="positive"):
        nd.MinHashLSHEnsemble().index(iter([("a", nd.MinHash(), 0)]))
    with pytest.raises(ValueError):
        nd.MinHashLSHEnsemble(m=1)


def test_lsh_batch_paths_match_one_by_one() -> None:
    ours_m, theirs_m = pairs(200, seed=3)
    one = nd.MinHashLSH(threshold=0.5, num_perm=128, prepickle=True)
    batch = nd.MinHashLSH(threshold=0.5, num_perm=128, prepickle=True)
    theirs = ds.MinHashLSH(threshold=0.5, num_perm=128)
    for i, (o, t) in enumerate(zip(ours_m, theirs_m, strict=True)):
        one.insert(i, o)
        theirs.insert(i, t)
    batch.insert_many(enumerate(ours_m))
    got = batch.query_many(ours_m)
    for o, t, g in zip(ours_m, theirs_m, got, strict=True):
        assert g == one.query(o) and set(g) == set(theirs.query(t))
    assert batch.get_counts() == theirs.get_counts()
    with pytest.raises(ValueError, match="already exists"):
        batch.insert_many([("x", ours_m[0]), ("x", ours_m[1])])
    assert "x" not in batch  # nothing indexed from a refused batch
    assert batch.query_many([]) == []
