"""Drop-in, bit-identical replacements for datasketch 2.x's MinHash family.

Switch with one import line::

    from neardup.compat.datasketch import MinHash, MinHashLSH, LeanMinHash, MinHashLSHForest

Every class keeps datasketch's constructor, methods, attributes, pickling, equality and
serialisation, gives the same hash values and candidates, and takes datasketch's own objects (and
datasketch's classes take these): a user can switch one class at a time. The heavy paths (token
hashing, permutations, band lookup, forest walks, weighted sampling) run in Rust with the GIL released.
``MinHashLSH(storage_config={"type": "redis", ...})`` reads and writes the Redis keys datasketch does.
"""

from ._ensemble import MinHashLSHEnsemble
from ._forest import MinHashLSHForest
from ._lean import LeanMinHash, bBitMinHash
from ._lsh import MinHashLSH, MinHashLSHDeletionSession, MinHashLSHInsertionSession
from ._minhash import MinHash, sha1_hash32, sha1_hash64
from ._redis import RedisListStorage, RedisMinHashLSH, RedisSetStorage
from ._weighted import WeightedMinHash, WeightedMinHashGenerator

__all__ = [
    "LeanMinHash",
    "MinHash",
    "MinHashLSH",
    "MinHashLSHDeletionSession",
    "MinHashLSHEnsemble",
    "MinHashLSHForest",
    "MinHashLSHInsertionSession",
    "RedisListStorage",
    "RedisMinHashLSH",
    "RedisSetStorage",
    "WeightedMinHash",
    "WeightedMinHashGenerator",
    "bBitMinHash",
    "sha1_hash32",
    "sha1_hash64",
]
