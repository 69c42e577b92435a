"""Drop-in replacements for other libraries' APIs, bit-compatible with their stored data.

``neardup.compat.datasketch`` provides datasketch's MinHash family (``MinHash``, ``LeanMinHash``,
``bBitMinHash``, ``WeightedMinHash``/``WeightedMinHashGenerator``, ``MinHashLSH`` in memory or on Redis,
``MinHashLSHForest``, ``MinHashLSHEnsemble``): switch with one import line and keep existing signatures,
serialised sketches and Redis indexes valid.
"""

__all__: list[str] = []
