"""``MinHashLSH`` over Redis, reading and writing the keys datasketch's Redis storage does.

Layout (datasketch 2.x, ``storage_config={"type": "redis", "redis": {...}, "basename": b"..."}``):

- ``<basename>_keys``: a hash mapping each stored key (pickled unless ``prepickle=False``) to the name
  of a list, ``<basename>_keys<key>``, holding the key's band keys in band order;
- ``<basename>_bucket_<i>`` (``i`` as 2 big-endian bytes), one per band: a hash mapping each band key
  ``H`` to the name of a set, ``<basename>_bucket_<i><H>``, holding the stored keys of that bucket.

An index written by datasketch is read by this class and the reverse, given the same ``basename``,
``num_perm`` and ``(b, r)``. The speed comes from round trips: datasketch sends one command per band
(``2·b + 3`` round trips per insert, ``b`` per query), this class sends each insert, query and removal
as one pipeline, and computes every band key of a signature with one byte swap.
"""

from __future__ import annotations

import os
import pickle
import random
import string
import struct
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import numpy as np

from ._lsh import MinHashLSH, _BufferSized

__all__ = ["RedisMinHashLSH"]


def _random_name(length: int) -> bytes:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(length)).encode("utf8")


def _resolve(config: dict[str, Any]) -> dict[str, Any]:
    """Connection parameters, ``{"env": NAME, "default": value}`` read from the environment."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict) and "env" in value:
            value = os.getenv(value["env"], value.get("default"))
        out[key] = value
    return out


def _connect(params: dict[str, Any]) -> Any:
    try:
        import redis
    except ImportError as err:  # pragma: no cover - the redis package is an optional dependency
        raise ImportError("storage type 'redis' needs the redis package: pip install redis") from err
    return redis.Redis(**params)


class _Buffer:
    """A pipeline run automatically once ``size`` commands are queued (datasketch's buffer)."""

    def __init__(self, redis: Any, transaction: bool, size: int) -> None:
        self._pipe = redis.pipeline(transaction=transaction)
        self._queued = 0
        self.buffer_size = size

    def __getattr__(self, name: str) -> Callable[..., Any]:
        command = getattr(self._pipe, name)

        def queue(*args: Any, **kwargs: Any) -> Any:
            if self._queued >= self.buffer_size:
                self.execute()
            self._queued += 1
            return command(*args, **kwargs)

        return queue

    def execute(self) -> Any:
        self._queued = 0
        return self._pipe.execute()


class RedisListStorage(_BufferSized):
    """One named Redis hash of keys, each with a list of values (datasketch's ``RedisListStorage``)."""

    def __init__(self, config: dict[str, Any], name: bytes | None = None, client: Any = None) -> None:
        self.config = config
        self._buffer_size = 50000
        # One index's storages share one client (datasketch opens one per storage).
        self._redis = client if client is not None else _connect(_resolve(config["redis"]))
        transaction = _resolve(config.get("redis_buffer", {})).get("transaction", True)
        self._buffer: Any = _Buffer(self._redis, transaction, self._buffer_size)
        self._name = name if name is not None else _random_name(11)

    def _resize_buffers(self, size: int) -> None:
        self._buffer.buffer_size = size

    def redis_key(self, key: bytes | str) -> bytes:
        if isinstance(key, str):
            key = key.encode("utf8")
        return self._name + key

    def keys(self) -> list[bytes]:
        return list(self._redis.hkeys(self._name))

    def redis_keys(self) -> list[bytes]:
        return list(self._redis.hvals(self._name))

    def status(self) -> dict[str, Any]:
        out = _resolve(self.config["redis"])
        out.update(keyspace_size=len(self))
        return out

    def _read(self, r: Any, redis_key: bytes) -> Any:
        return r.lrange(redis_key, 0, -1)

    def _write(self, r: Any, key: bytes, *values: Any) -> None:
        redis_key = self.redis_key(key)
        r.hset(self._name, key, redis_key)
        r.rpush(redis_key, *values)

    def _drop_value(self, r: Any, redis_key: bytes, value: Any) -> None:
        r.lrem(redis_key, 0, value)

    def _count(self, r: Any, redis_key: bytes) -> Any:
        return r.llen(redis_key)

    def get(self, key: Any) -> Any:
        return self._read(self._redis, self.redis_key(key))

    def __getitem__(self, key: Any) -> Any:
        return self.get(key)

    def getmany(self, *keys: Any) -> list[Any]:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            self._read(pipe, self.redis_key(key))
        return list(pipe.execute())

    def insert(self, key: Any, *vals: Any, buffer: bool = False) -> None:
        self._write(self._buffer if buffer else self._redis, key, *vals)

    def remove(self, *keys: Any, buffer: bool = False) -> None:
        self.remove_in(self._buffer if buffer else self._redis, *keys)

    def remove_val(self, key: Any, val: Any, buffer: bool = False) -> None:
        redis_key = self.redis_key(key)
        if buffer:
            self._drop_value(self._buffer, redis_key, val)
            return
        self._drop_value(self._redis, redis_key, val)
        if not self._redis.exists(redis_key):
            self._redis.hdel(self._name, key)

    def _drop_field(self, r: Any, key: Any) -> None:
        r.hdel(self._name, key)

    def remove_in(self, r: Any, *keys: Any) -> None:
        """Queues the removal of ``keys`` on ``r`` (a pipeline)."""
        r.hdel(self._name, *keys)
        r.delete(*[self.redis_key(key) for key in keys])

    def size(self) -> int:
        return int(self._redis.hlen(self._name))

    def __len__(self) -> int:
        return self.size()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.keys())

    def has_key(self, key: Any) -> bool:
        return bool(self._redis.hexists(self._name, key))

    def __contains__(self, key: Any) -> bool:
        return self.has_key(key)

    def itemcounts(self) -> dict[bytes, int]:
        keys = self.keys()
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            self._count(pipe, self.redis_key(key))
        return dict(zip(keys, pipe.execute(), strict=True))

    def empty_buffer(self) -> None:
        self._buffer.execute()

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config, "name": self._name, "buffer_size": self._buffer_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        RedisListStorage.__init__(self, state["config"], name=state["name"])
        self.buffer_size = state["buffer_size"]


class RedisSetStorage(RedisListStorage):
    """One named Redis hash of keys, each with a set of values (datasketch's ``RedisSetStorage``)."""

    def _read(self, r: Any, redis_key: bytes) -> Any:
        return r.smembers(redis_key)

    def _write(self, r: Any, key: bytes, *values: Any) -> None:
        redis_key = self.redis_key(key)
        r.hset(self._name, key, redis_key)
        r.sadd(redis_key, *values)

    def _drop_value(self, r: Any, redis_key: bytes, value: Any) -> None:
        r.srem(redis_key, value)

    def _count(self, r: Any, redis_key: bytes) -> Any:
        return r.scard(redis_key)


class RedisMinHashLSH(MinHashLSH):
    """``MinHashLSH(storage_config={"type": "redis", ...})``: datasketch's Redis-backed index.

    ``keys`` and ``hashtables`` are the Redis storages themselves (as in datasketch), so stored keys are
    the pickled keys unless ``prepickle=False`` (then keys must be bytes).
    """

    def _storage_config(
        self, storage_config: dict[str, Any] | None, hashfunc: Callable[[bytes], Any] | None
    ) -> dict[str, Any]:
        """The checked storage configuration (a copy): Redis, with connection parameters."""
        config = dict(storage_config or {})
        if config.get("type") != "redis" or "redis" not in config:
            raise ValueError('storage_config must be {"type": "redis", "redis": {...connection...}}')
        return config

    def _open_storage(
        self, config: dict[str, Any], prepickle: bool | None, hashfunc: Callable[[bytes], Any] | None
    ) -> None:
        """One client, one storage per band and one for the keys, under ``config``'s basename."""
        self.prepickle = True if prepickle is None else bool(prepickle)
        self._require_bytes_keys = not self.prepickle
        self.hashfunc = hashfunc
        basename = config.get("basename", _random_name(11))
        client = _connect(_resolve(config["redis"]))
        self._table_store = [
            RedisSetStorage(
                config, name=b"".join([basename, b"_bucket_", struct.pack(">H", i)]), client=client
            )
            for i in range(self.b)
        ]
        self._key_store = RedisListStorage(config, name=basename + b"_keys", client=client)

    @property
    def keys(self) -> RedisListStorage:  # type: ignore[override]
        """The stored keys, each with its band keys (a Redis hash of lists)."""
        return self._key_store

    @property
    def hashtables(self) -> list[RedisSetStorage]:  # type: ignore[override]
        """Per band, bucket key to the set of stored keys (Redis hashes of sets)."""
        return self._table_store

    def _resize_buffers(self, size: int) -> None:
        self._key_store.buffer_size = size
        for t in self._table_store:
            t.buffer_size = size

    def _band_keys_of(self, minhash: Any) -> list[Any]:
        """Every band key of ``minhash`` from one byte swap of its banded hash values."""
        hv = np.asarray(minhash.hashvalues)
        if len(hv) != self.h:
            raise ValueError(f"Expecting minhash with length {self.h}, got {len(hv)}")
        raw = hv[: self.b * self.r].byteswap().tobytes()
        step = len(raw) // self.b
        keys = [raw[i * step : (i + 1) * step] for i in range(self.b)]
        if self.hashfunc is not None:
            return [self.hashfunc(k) for k in keys]
        return keys

    def _stored(self, key: Hashable) -> Any:
        if self._require_bytes_keys and not isinstance(key, bytes):
            raise TypeError(
                f"prepickle=False requires bytes keys for non-dict storage, got {type(key).__name__}. "
                "Either pass bytes keys or use prepickle=True for automatic serialization."
            )
        return pickle.dumps(key) if self.prepickle else key

    def _insert(
        self, key: Hashable, minhash: Any, check_duplication: bool = True, buffer: bool = False
    ) -> None:
        self._check(minhash, learn=True)
        stored = self._stored(key)
        if check_duplication and self._key_store.has_key(stored):
            raise ValueError("The given key already exists")
        self._write(stored, self._band_keys_of(minhash), buffer)

    def _write(self, stored: Any, band_keys: list[Any], buffer: bool) -> None:
        """All writes of one key in one pipeline (or the session's buffer)."""
        r = self._key_store._buffer if buffer else self._key_store._redis.pipeline(transaction=False)
        self._key_store._write(r, stored, *band_keys)
        for band_key, table in zip(band_keys, self._table_store, strict=False):
            table._write(r, band_key, stored)
        if not buffer:
            r.execute()

    def _unpickled(self, found: set[Any]) -> list[Any]:
        if self.prepickle:
            return [pickle.loads(k) for k in found]
        return list(found)

    def _bucket_sets(self, minhash: Any, bands: int) -> list[set[Any]]:
        band_keys = self._band_keys_of(minhash)[:bands]
        pipe = self._key_store._redis.pipeline(transaction=False)
        for band_key, table in zip(band_keys, self._table_store, strict=False):
            table._read(pipe, table.redis_key(band_key))
        return [set(members) for members in pipe.execute()]

    def query(self, minhash: Any) -> list[Any]:
        self._check(minhash)
        return self._unpickled(set().union(*self._bucket_sets(minhash, self.b)))

    def _query_b(self, minhash: Any, b: int) -> set[Any]:
        self._check(minhash)
        if b > self.b:
            raise ValueError("b must be less or equal to the number of hash tables")
        return set(self._unpickled(set().union(*self._bucket_sets(minhash, b))))

    def add_to_query_buffer(self, minhash: Any) -> None:
        self._check(minhash)
        self._query_buffer.append(set().union(*self._bucket_sets(minhash, self.b)))

    def collect_query_buffer(self) -> list[Any]:
        buffered, self._query_buffer = self._query_buffer, []
        if not buffered:
            return []
        return self._unpickled(set.intersection(*buffered))

    def __contains__(self, key: Hashable) -> bool:
        stored = pickle.dumps(key) if self.prepickle else key
        return self._key_store.has_key(stored)

    def remove(self, key: Hashable) -> None:
        self._remove(key, buffer=False)

    def _remove(self, key: Hashable, buffer: bool = False) -> None:
        stored = pickle.dumps(key) if self.prepickle else key
        if not self._key_store.has_key(stored):
            raise ValueError("The given key does not exist")
        band_keys = self._key_store.get(stored)
        if buffer:
            for band_key, table in zip(band_keys, self._table_store, strict=False):
                table.remove_val(band_key, stored, buffer=True)
            self._key_store.remove(stored, buffer=True)
            return
        pipe = self._key_store._redis.pipeline(transaction=False)
        for band_key, table in zip(band_keys, self._table_store, strict=False):
            redis_key = table.redis_key(band_key)
            pipe.srem(redis_key, stored)
            pipe.scard(redis_key)
        counts = pipe.execute()[1::2]
        # Buckets left empty lose their hash field too, as datasketch removes them.
        for band_key, table, count in zip(band_keys, self._table_store, counts, strict=False):
            if count == 0:
                table._drop_field(pipe, band_key)
        self._key_store.remove_in(pipe, stored)
        pipe.execute()

    def _flush(self) -> None:
        self._key_store.empty_buffer()
        for t in self._table_store:
            t.empty_buffer()

    def is_empty(self) -> bool:
        return any(t.size() == 0 for t in self._table_store)

    def get_counts(self) -> list[dict[bytes, int]]:
        return [t.itemcounts() for t in self._table_store]

    def get_subset_counts(self, *keys: Hashable) -> list[dict[bytes, int]]:
        stored = [pickle.dumps(k) for k in set(keys)] if self.prepickle else list(set(keys))
        counts: list[dict[bytes, int]] = [{} for _ in range(self.b)]
        for band_keys in self._key_store.getmany(*stored):
            for i, band_key in enumerate(band_keys[: self.b]):
                counts[i][band_key] = counts[i].get(band_key, 0) + 1
        return counts

    def merge(self, other: MinHashLSH, check_overlap: bool = False) -> None:
        self._check_mergeable(other)
        assert isinstance(other, RedisMinHashLSH)  # the check above holds them to one type
        other_keys = other.keys.keys()
        if check_overlap and set(self._key_store.keys()).intersection(other_keys):
            raise ValueError("The keys are overlapping, duplicate key exists.")
        if self._minhash_scheme is None:
            self._minhash_scheme = other._minhash_scheme
        for stored, band_keys in zip(other_keys, other.keys.getmany(*other_keys), strict=True):
            self._write(stored, list(band_keys), buffer=False)

    def __len__(self) -> int:
        return self._key_store.size()

    def __repr__(self) -> str:
        return f"RedisMinHashLSH(num_perm={self.h}, b={self.b}, r={self.r}, name={self._key_store._name!r})"

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        client = self._key_store._redis
        for table in self._table_store:
            RedisListStorage.__init__(table, table.config, name=table._name, client=client)
            table.buffer_size = self._buffer_size
