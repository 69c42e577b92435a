"""``MinHashLSH(storage_config={"type": "redis", ...})`` against a real redis-server started here, and
against datasketch 2.0.0's Redis storage on the same server: the same keys written, indexes built by one
library queried by the other."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

ds = pytest.importorskip("datasketch")
redis = pytest.importorskip("redis")

from neardup.compat import datasketch as nd  # noqa: E402
from servers import running_redis  # noqa: E402
from test_compat_datasketch_family import pairs  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A throw-away redis-server on a free port, its files in a temp dir; stopped at the end."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (Debian: apt-get install -y redis-server)")
    with running_redis(tmp_path_factory.mktemp("redis")) as started:
        # Host and port only: the tests open their own clients (`conn`, `config`).
        yield {"host": started["host"], "port": started["port"]}


@pytest.fixture()
def conn(server: dict[str, Any]) -> Iterator[Any]:
    client = redis.Redis(**server)
    client.flushdb()
    yield client
    client.close()


def config(server: dict[str, Any], basename: bytes) -> dict[str, Any]:
    return {"type": "redis", "redis": dict(server), "basename": basename}


def dump(client: Any, prefix: bytes) -> dict[bytes, Any]:
    """Every Redis value under ``prefix``, with the prefix cut off (so two basenames compare)."""
    out: dict[bytes, Any] = {}
    for key in client.keys(prefix + b"*"):
        kind = client.type(key)
        if kind == b"hash":
            value: Any = {f: v[len(prefix) :] for f, v in client.hgetall(key).items()}
        elif kind == b"list":
            value = client.lrange(key, 0, -1)
        else:
            value = client.smembers(key)
        out[key[len(prefix) :]] = value
    return out


def test_writes_the_keys_datasketch_writes(server: dict[str, Any], conn: Any) -> None:
    ours_m, theirs_m = pairs(40)
    ours = nd.MinHashLSH(threshold=0.5, num_perm=128, storage_config=config(server, b"ours"))
    theirs = ds.MinHashLSH(threshold=0.5, num_perm=128, storage_config=config(server, b"theirs"))
    assert type(ours) is nd.RedisMinHashLSH and isinstance(ours, nd.MinHashLSH)
    for i, (o, t) in enumerate(zip(ours_m, theirs_m, strict=True)):
        ours.insert(("k", i), o)
        theirs.insert(("k", i), t)
    assert dump(conn, b"ours") == dump(conn, b"theirs") != {}
    for o, t in zip(ours_m, theirs_m, strict=True):
        assert set(ours.query(o)) == set(theirs.query(t))
    assert ours.get_counts() == theirs.get_counts()
    assert ours.get_subset_counts(("k", 1), ("k", 2)) == theirs.get_subset_counts(("k", 1), ("k", 2))
    # Removal leaves the same state behind in both.
    for i in range(0, 40, 3):
        ours.remove(("k", i))
        theirs.remove(("k", i))
    assert dump(conn, b"ours") == dump(conn, b"theirs")
    assert ("k", 0) not in ours and ("k", 1) in ours
    with pytest.raises(ValueError, match="does not exist"):
        ours.remove(("k", 0))
    with pytest.raises(ValueError, match="already exists"):
        ours.insert(("k", 1), ours_m[1])


def test_one_index_shared_by_both_libraries(server: dict[str, Any], conn: Any) -> None:
    ours_m, theirs_m = pairs(60, seed=4)
    built_by_them = ds.MinHashLSH(threshold=0.6, num_perm=128, storage_config=config(server, b"shared"))
    for i, t in enumerate(theirs_m[:30]):
        built_by_them.insert(f"d{i}", t)
    # neardup opens the same index and queries it, then adds to it.
    ours = nd.MinHashLSH(threshold=0.6, num_perm=128, storage_config=config(server, b"shared"))
    assert len(ours) == 30 and "d3" in ours
    for o, t in zip(ours_m[:30], theirs_m, strict=False):
        assert set(ours.query(o)) == set(built_by_them.query(t))
    for i, o in enumerate(ours_m[30:], start=30):
        ours.insert(f"d{i}", o)
    # ... and datasketch sees neardup's additions and removals.
    reopened = ds.MinHashLSH(threshold=0.6, num_perm=128, storage_config=config(server, b"shared"))
    ours.remove("d0")
    for o, t in zip(ours_m, theirs_m, strict=True):
        assert set(reopened.query(t)) == set(ours.query(o))
    assert "d0" not in reopened and "d45" in reopened


def test_sessions_merge_pickle_and_bytes_keys(server: dict[str, Any], conn: Any) -> None:
    ours_m, theirs_m = pairs(50, seed=9)
    a = nd.MinHashLSH(threshold=0.5, num_perm=128, storage_config=config(server, b"a"))
    with a.insertion_session(buffer_size=7) as session:
        for i, o in enumerate(ours_m[:25]):
            session.insert(i, o)
    ref = ds.MinHashLSH(threshold=0.5, num_perm=128, storage_config=config(server, b"ref"))
    with ref.insertion_session() as session:
        for i, t in enumerate(theirs_m[:25]):
            session.insert(i, t)
    assert dump(conn, b"a") == dump(conn, b"ref")
    a.add_to_query_buffer(ours_m[0])
    a.add_to_query_buffer(ours_m[0])
    assert set(a.collect_query_buffer()) == set(a.query(ours_m[0]))

    b = nd.MinHashLSH(threshold=0.5, num_perm=128, storage_config=config(server, b"b"))
    for i, o in enumerate(ours_m[25:], start=25):
        b.insert(i, o)
    a.merge(b)
    with pytest.raises(ValueError, match="overlapping"):
        a.merge(b, check_overlap=True)
    assert len(a) == 50 and all(i in a for i in range(50))

    back = pickle.loads(pickle.dumps(a))
    assert type(back) is nd.RedisMinHashLSH
    for o in ours_m:
        assert set(back.query(o)) == set(a.query(o))

    with a.deletion_session() as session:
        for i in range(0, 50, 2):
            session.remove(i)
    assert all((i in a) == (i % 2 == 1) for i in range(50))
    for o in ours_m[1::2]:
        assert set(a.query(o)) <= set(range(1, 50, 2))

    raw = nd.MinHashLSH(threshold=0.5, num_perm=128, storage_config=config(server, b"raw"), prepickle=False)
    with pytest.raises(TypeError, match="bytes keys"):
        raw.insert("text", ours_m[0])
    raw.insert(b"bytes", ours_m[0])
    assert raw.query(ours_m[0]) == [b"bytes"] and conn.hexists(b"raw_keys", b"bytes")


def test_env_config_hashfunc_and_weighted(
    server: dict[str, Any], conn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ND_TEST_REDIS_PORT", str(server["port"]))
    cfg = {
        "type": "redis",
        "redis": {"host": server["host"], "port": {"env": "ND_TEST_REDIS_PORT", "default": 1}},
        "basename": b"env",
    }
    ours_m, theirs_m = pairs(20, seed=2)
    ours = nd.MinHashLSH(threshold=0.5, num_perm=128, storage_config=cfg, hashfunc=lambda b: b[:4])
    theirs = ds.MinHashLSH(
        threshold=0.5, num_perm=128, storage_config={**cfg, "basename": b"envt"}, hashfunc=lambda b: b[:4]
    )
    for i, (o, t) in enumerate(zip(ours_m, theirs_m, strict=True)):
        ours.insert(i, o)
        theirs.insert(i, t)
    assert dump(conn, b"env_") == dump(conn, b"envt_")
    gen_o, gen_t = nd.WeightedMinHashGenerator(10, 32), ds.WeightedMinHashGenerator(10, 32)
    x = np.random.RandomState(1).uniform(1, 5, (10, 10))
    wo = nd.MinHashLSH(threshold=0.5, num_perm=32, storage_config=config(server, b"wo"))
    wt = ds.MinHashLSH(threshold=0.5, num_perm=32, storage_config=config(server, b"wt"))
    for i, v in enumerate(x):
        wo.insert(i, gen_o.minhash(v))
        wt.insert(i, gen_t.minhash(v))
    assert dump(conn, b"wo") == dump(conn, b"wt")


def test_ensemble_over_redis(server: dict[str, Any], conn: Any) -> None:
    from test_compat_datasketch_family import ensemble_entries

    ours = nd.MinHashLSHEnsemble(threshold=0.7, num_part=4, storage_config=config(server, b"ens"))
    theirs = ds.MinHashLSHEnsemble(threshold=0.7, num_part=4, storage_config=config(server, b"enst"))
    ours_e, theirs_e = ensemble_entries(nd, 40), ensemble_entries(ds, 40)
    ours.index(ours_e)
    theirs.index(theirs_e)
    for (_, o, size), (_, t, _) in zip(ours_e[:20], theirs_e, strict=False):
        assert sorted(ours.query(o, size)) == sorted(theirs.query(t, size))
    assert not ours.is_empty()
