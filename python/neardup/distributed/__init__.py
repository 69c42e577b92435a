"""Engine adapters that run neardup's corpus pipelines on distributed engines (optional extras).

* `neardup.distributed.ray` — near-duplicate clustering of sharded corpora on a Ray cluster
  (``pip install "neardup[ray]"``); same clusters as the local `neardup.dedup`.
* `neardup.distributed.ray_data` — the same on a `ray.data.Dataset` (or Parquet/JSONL paths read by Ray
  Data): the rows come back with a cluster id and a keep flag.

Importing this package needs nothing beyond neardup; each adapter imports its engine when it is imported.
"""

from __future__ import annotations

__all__: list[str] = []
