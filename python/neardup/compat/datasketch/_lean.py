"""datasketch's ``LeanMinHash`` and ``bBitMinHash``: compact, read-only MinHashes.

Both keep only the seed, the scheme and the hash values (no permutations), and serialise to datasketch's
exact byte layouts, so buffers written by either library load in the other:

- ``LeanMinHash``: ``seed`` (int64), then the count of hash values (int32), then the values (uint32
  each). The affine schemes write the count negated, then a scheme code byte (1 = "affine32",
  2 = "affine64"), then values in the scheme's width (uint32 or uint64), aligned as ``struct`` aligns
  them for the byte order given (``"@"``, the default, pads; ``"<"``, ``">"``, ``"="`` and ``"!"`` do not).
  Pickles hold the native-order (``"@"``) form.
- ``bBitMinHash`` (Li & König, "b-Bit Minwise Hashing", WWW 2010): the lowest ``b`` bits of each value
  packed into big-endian-ordered slots of little-endian uint64 blocks, after a little-endian header
  ``seed, b, r, count`` (and the scheme code byte for the affine schemes, count negated).

The values are converted with numpy in one step where datasketch packs them one argument at a time.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._minhash import _VALID_SCHEMES, HashValues, MinHash, _Config, _to_scheme_array

__all__ = ["LeanMinHash", "bBitMinHash"]

_SCHEME_CODES = {"affine32": 1, "affine64": 2}
_SCHEME_OF_CODE = {code: scheme for scheme, code in _SCHEME_CODES.items()}
_VALUE_FMT = {"legacy": "I", "affine32": "I", "affine64": "Q"}
_ORDERS = {"@": "=", "=": "=", "<": "<", ">": ">", "!": ">"}


def _value_dtype(scheme: str, byteorder: str) -> np.dtype[Any]:
    if byteorder not in _ORDERS:
        raise ValueError(f"byteorder must be one of @, =, <, >, !, got {byteorder!r}")
    return np.dtype(_ORDERS[byteorder] + ("u8" if _VALUE_FMT[scheme] == "Q" else "u4"))


def _check_scheme(scheme: Any) -> str:
    if scheme not in _VALID_SCHEMES:
        raise ValueError("scheme must be one of {}, got {!r}".format(", ".join(_VALID_SCHEMES), scheme))
    return str(scheme)


class LeanMinHash(MinHash):
    """datasketch's ``LeanMinHash``: a MinHash without permutations (it cannot be updated), hashable,
    smaller to pickle, with ``serialize``/``deserialize`` byte-compatible with datasketch's.

    Args:
        minhash: the MinHash (ours or datasketch's) to copy seed, scheme and hash values from.
        seed, hashvalues: instead of ``minhash``; ``scheme`` must then be given.
        scheme: the scheme of ``minhash`` (a conflicting one raises) or of ``hashvalues``.
    """

    __slots__ = ()

    def _initialize_slots(self, seed: Any, hashvalues: Any, scheme: str = "legacy") -> None:
        scheme = _check_scheme(scheme)
        if scheme == "legacy":
            values: HashValues = np.array(hashvalues, dtype=np.uint64)
        else:
            values = _to_scheme_array(hashvalues, scheme, "hash values")
            if len(values) == 0:
                # An empty affine payload would be read back as legacy (count 0 is not negative).
                raise ValueError("hashvalues must not be empty")
        self.hashvalues = values
        self._cfg = _Config(scheme, seed, len(values), _default_hashfunc(scheme), None, False, "disable")

    def __init__(
        self,
        minhash: Any = None,
        seed: int | None = None,
        hashvalues: Iterable[Any] | None = None,
        scheme: str | None = None,
    ) -> None:
        if minhash is not None:
            if scheme is not None and scheme != minhash.scheme:
                raise ValueError(
                    f"scheme {scheme!r} conflicts with the scheme {minhash.scheme!r} of the given MinHash"
                )
            self._initialize_slots(minhash.seed, minhash.hashvalues, minhash.scheme)
        elif hashvalues is not None and seed is not None:
            if scheme is None:
                raise ValueError(
                    "scheme must be specified explicitly when initializing from existing "
                    "hash values: pass the scheme of the MinHash they came from, or "
                    "scheme='legacy' for hash values created by datasketch before 2.0.0."
                )
            self._initialize_slots(seed, hashvalues, scheme)
        else:
            raise ValueError(
                "Init parameters cannot be None: make sure to set either minhash or both of "
                "hash values and seed"
            )

    def update(self, b: Any) -> None:
        """A LeanMinHash cannot be updated (it keeps no permutations)."""
        raise TypeError("Cannot update a LeanMinHash")

    def update_batch(self, b: Iterable[Any]) -> None:
        """A LeanMinHash cannot be updated (it keeps no permutations)."""
        raise TypeError("Cannot update a LeanMinHash")

    def copy(self) -> LeanMinHash:
        return _lean(self.seed, self.hashvalues, self.scheme)

    def _layout(self, byteorder: str) -> tuple[str, int]:
        """The header format and the offset of the first hash value."""
        if self.scheme == "legacy":
            head = f"{byteorder}qi"
            return head, struct.calcsize(head)
        head = f"{byteorder}qiB"
        return head, struct.calcsize(f"{head}0{_VALUE_FMT[self.scheme]}")

    def bytesize(self, byteorder: str = "@") -> int:
        """Bytes ``serialize`` writes with this byte order."""
        _, offset = self._layout(byteorder)
        return offset + len(self) * _value_dtype(self.scheme, byteorder).itemsize

    def serialize(self, buf: Any, byteorder: str = "@") -> None:
        """Writes this LeanMinHash into ``buf`` (a writable buffer of at least ``bytesize`` bytes)."""
        size = self.bytesize(byteorder)
        if len(buf) < size:
            raise ValueError("The buffer does not have enough space for holding this MinHash.")
        head, offset = self._layout(byteorder)
        if self.scheme == "legacy":
            struct.pack_into(head, buf, 0, self.seed, len(self))
        else:
            struct.pack_into(head, buf, 0, self.seed, -len(self), _SCHEME_CODES[self.scheme])
        raw = np.asarray(self.hashvalues).astype(_value_dtype(self.scheme, byteorder)).tobytes()
        memoryview(buf).cast("B")[offset : offset + len(raw)] = raw

    @classmethod
    def deserialize(cls, buf: Any, byteorder: str = "@") -> LeanMinHash:
        """Reads a LeanMinHash written by ``serialize`` (ours or datasketch's)."""
        return _read_lean(buf, byteorder)

    def __getstate__(self) -> bytearray:  # type: ignore[override]
        buf = bytearray(self.bytesize())
        self.serialize(buf)
        return buf

    def __setstate__(self, buf: Any) -> None:
        other = _read_lean(buf, "@")
        self.hashvalues = other.hashvalues
        self._cfg = other._cfg

    def __hash__(self) -> int:  # type: ignore[override]
        return hash((self.scheme, self.seed, tuple(self.hashvalues)))

    def __repr__(self) -> str:
        return f"LeanMinHash(num_perm={len(self)}, seed={self.seed!r}, scheme={self.scheme!r})"

    @classmethod
    def union(cls, *lmhs: Any) -> LeanMinHash:
        """A new LeanMinHash for the union of the sets of ``lmhs`` (at least 2)."""
        if len(lmhs) < 2:
            raise ValueError("Cannot union less than 2 MinHash")
        first = lmhs[0]
        if any(first.seed != m.seed or len(first) != len(m) or first.scheme != m.scheme for m in lmhs):
            raise ValueError(
                "The unioning MinHash must have the same seed, number of permutation functions and scheme."
            )
        return _lean(first.seed, np.minimum.reduce([m.hashvalues for m in lmhs]), first.scheme)


def _default_hashfunc(scheme: str) -> Any:
    from ._minhash import sha1_hash32, sha1_hash64

    return sha1_hash64 if scheme == "affine64" else sha1_hash32


def _lean(seed: Any, hashvalues: Any, scheme: str) -> LeanMinHash:
    lmh = object.__new__(LeanMinHash)
    lmh._initialize_slots(seed, hashvalues, scheme)
    return lmh


def _read_lean(buf: Any, byteorder: str) -> LeanMinHash:
    view = memoryview(buf).cast("B")
    seed, count = struct.unpack_from(f"{byteorder}qi", view, 0)
    if count >= 0:
        scheme = "legacy"
        offset = struct.calcsize(f"{byteorder}qi")
    else:
        count = -count
        (code,) = struct.unpack_from(f"{byteorder}B", view, struct.calcsize(f"{byteorder}qi"))
        if code not in _SCHEME_OF_CODE:
            raise ValueError(f"Unknown permutation scheme code: {code}")
        scheme = _SCHEME_OF_CODE[code]
        offset = struct.calcsize(f"{byteorder}qiB0{_VALUE_FMT[scheme]}")
    dtype = _value_dtype(scheme, byteorder)
    if len(view) < offset + count * dtype.itemsize:
        raise ValueError(
            f"LeanMinHash buffer too short: {len(view)} bytes for {count} hash values of scheme {scheme!r}"
        )
    values = np.frombuffer(view, dtype=dtype, count=count, offset=offset)
    return _lean(seed, values.astype(dtype.newbyteorder("=")), scheme)


class bBitMinHash:  # noqa: N801 (datasketch's name)
    """datasketch's ``bBitMinHash``: the lowest ``b`` bits of each hash value of a MinHash.

    Args:
        minhash: a MinHash (ours or datasketch's).
        b: bits kept per hash value, 0 to 32.
        r: the expected ratio of set size to the size of the universe (0 for tiny sets); corrects the
            chance collisions of ``b``-bit values in ``jaccard``.
    """

    __slots__ = ("b", "hashvalues", "r", "scheme", "seed")

    _PARAMS = "<qBdi"

    def __init__(self, minhash: Any, b: int = 1, r: float = 0.0) -> None:
        b = int(b)
        r = float(r)
        if b > 32 or b < 0:
            raise ValueError("b must be an integer in [0, 32]")
        if r > 1.0:
            raise ValueError("r must be a float in [0.0, 1.0]")
        self.hashvalues = np.bitwise_and(minhash.hashvalues, (1 << b) - 1).astype(np.uint32)
        self.seed = minhash.seed
        self.scheme = _check_scheme(minhash.scheme)
        self.b = b
        self.r = r

    def __eq__(self, other: object) -> bool:
        return (
            type(self) is type(other)
            and isinstance(other, bBitMinHash)
            and self.scheme == other.scheme
            and self.seed == other.seed
            and self.b == other.b
            and self.r == other.r
            and bool(np.array_equal(self.hashvalues, other.hashvalues))
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"bBitMinHash(num_perm={self.hashvalues.size}, b={self.b}, r={self.r}, scheme={self.scheme!r})"

    def jaccard(self, other: bBitMinHash) -> float:
        """Estimated Jaccard similarity, corrected for chance collisions of ``b``-bit values."""
        if self.b != other.b:
            raise ValueError("Cannot compare two b-bit MinHashes with different b values")
        if self.scheme != other.scheme:
            raise ValueError("Cannot compare two b-bit MinHashes with different permutation schemes")
        if self.seed != other.seed:
            raise ValueError("Cannot compare two b-bit MinHashes with different set of permutations")
        raw = float(np.count_nonzero(self.hashvalues == other.hashvalues)) / float(self.hashvalues.size)
        a1 = _chance(self.r, self.b)
        a2 = _chance(other.r, other.b)
        if self.r == 0.0 and other.r == 0.0:
            c1, c2 = a1, a2
        else:
            div = 1 / (self.r + other.r)
            c1 = (a1 * other.r + a2 * self.r) * div
            c2 = (a1 * self.r + a2 * other.r) * div
        return (raw - c1) / (1 - c2)

    def _layout(self) -> tuple[str, int, int, int]:
        """Header format, bits per slot, slots per 64-bit block, number of blocks."""
        head = self._PARAMS if self.scheme == "legacy" else self._PARAMS + "B"
        slot = _slot_bits(self.b)
        per_block = 64 // slot
        blocks = -(-self.hashvalues.size // per_block)
        return head, slot, per_block, blocks

    def bytesize(self) -> int:
        """Bytes of the serialised (pickled) form."""
        head, _, _, blocks = self._layout()
        return struct.calcsize(head) + 8 * blocks

    def __getstate__(self) -> bytearray:
        head, slot, per_block, blocks = self._layout()
        n = self.hashvalues.size
        padded = np.zeros(blocks * per_block, dtype=np.uint64)
        padded[:n] = self.hashvalues
        # The first value of a block sits in its highest slot.
        shifts = np.arange(per_block - 1, -1, -1, dtype=np.uint64) * np.uint64(slot)
        packed = np.bitwise_or.reduce(padded.reshape(blocks, per_block) << shifts, axis=1)
        buf = bytearray(self.bytesize())
        if self.scheme == "legacy":
            struct.pack_into(head, buf, 0, self.seed, self.b, self.r, n)
        else:
            struct.pack_into(head, buf, 0, self.seed, self.b, self.r, -n, _SCHEME_CODES[self.scheme])
        buf[struct.calcsize(head) :] = packed.astype("<u8").tobytes()
        return buf

    def __setstate__(self, buf: Any) -> None:
        view = memoryview(buf).cast("B")
        self.seed, self.b, self.r, count = struct.unpack_from(self._PARAMS, view, 0)
        offset = struct.calcsize(self._PARAMS)
        if count >= 0:
            self.scheme = "legacy"
        else:
            count = -count
            (code,) = struct.unpack_from("<B", view, offset)
            if code not in _SCHEME_OF_CODE:
                raise ValueError(f"Unknown permutation scheme code: {code}")
            self.scheme = _SCHEME_OF_CODE[code]
            offset += 1
        self.hashvalues = np.zeros(count, dtype=np.uint32)
        _, slot, per_block, blocks = self._layout()
        packed = np.frombuffer(view, dtype="<u8", count=blocks, offset=offset).astype(np.uint64)
        shifts = np.arange(per_block - 1, -1, -1, dtype=np.uint64) * np.uint64(slot)
        mask = np.uint64((1 << slot) - 1)
        values = (packed[:, None] >> shifts) & mask
        self.hashvalues = values.reshape(-1)[:count].astype(np.uint32)


def _chance(r: float, b: int) -> float:
    """Probability that two unrelated ``b``-bit values collide (Li & König's A(r, b))."""
    if r == 0.0:
        return 1.0 / (1 << b)
    return float(r * (1 - r) ** (2**b - 1) / (1 - (1 - r) ** (2 * b)))


def _slot_bits(b: int) -> int:
    """Bits per packed slot: 1 and 2 as they are, else the next of 4, 8, 16, 32 (0 takes 4)."""
    if b in (1, 2):
        return b
    for bits in (4, 8, 16, 32):
        if b <= bits:
            return bits
    raise ValueError("Incorrect value of b")
