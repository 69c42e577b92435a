"""Drop-in replacements for other libraries' APIs, bit-compatible with their stored data.

``neardup.compat.datasketch`` provides datasketch's ``MinHash`` and ``MinHashLSH``: switch with one
import line and keep existing signatures valid.
"""

__all__: list[str] = []
