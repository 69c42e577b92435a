"""Strict JSON out of Python values: what every JSON text neardup writes from Python goes through.

JSON has no non-finite numbers; a record may still hold one (``1e999`` reads as infinity). `dumps` spells
such a value as the string ``"Infinity"`` (``"-Infinity"``, ``"NaN"``), which every parser accepts, as the
core's report writer does, instead of the bare ``Infinity`` that strict parsers refuse (and the core's own
JSON reader would drop).
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["dumps"]


def _finite(value: Any) -> Any:
    """`value` with every non-finite float replaced by its name as a string."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def dumps(value: Any, **options: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, **options)` as strict JSON."""
    options.setdefault("ensure_ascii", False)
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:  # only non-finite floats make it fail: walk the value once more
        return json.dumps(_finite(value), allow_nan=False, **options)
