"""Compressed inputs against the same uncompressed file (issue 18's target: at most 1.3x the time).

`neardup diff OLD NEW --format json` and `neardup dedup FILE --format json` on the generated snapshot pair
of `snapshots.py`, written plain, as gzip (level 6, what `gzip` writes) and as zstd (level 3, what `zstd`
writes); each run is a separate process (what a user runs), output to /dev/null. Rounds alternate between
the variants so that a busy neighbour weighs on all of them alike; the table gives medians and the ratio
to the plain file.

    python benches/inputs.py 100000      # the issue's size (about a minute)
"""

from __future__ import annotations

import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from snapshots import make_pair  # noqa: E402

ROUNDS = 5


def _zstd(data: bytes) -> bytes:
    import pyarrow as pa

    out: bytes = pa.Codec("zstd", compression_level=3).compress(data, asbytes=True)
    return out


def _variants(path: Path) -> dict[str, Path]:
    data = path.read_bytes()
    gz, zst = path.with_name(path.name + ".gz"), path.with_name(path.name + ".zst")
    gz.write_bytes(gzip.compress(data, compresslevel=6))
    zst.write_bytes(_zstd(data))
    return {"plain": path, ".gz": gz, ".zst": zst}


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    code = subprocess.call(cmd, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if code not in (0, 1):
        raise RuntimeError(f"{cmd} exited {code}")
    return elapsed


def measure(n: int, rounds: int = ROUNDS) -> list[str]:
    """The table rows for `n` records."""
    neardup = [sys.executable, "-m", "neardup"]
    with tempfile.TemporaryDirectory(prefix="neardup-inputs-") as tmp:
        pair = make_pair(Path(tmp), n)
        old, new = _variants(pair.old_jsonl), _variants(pair.new_jsonl)
        commands = {
            "diff": {k: [*neardup, "diff", str(old[k]), str(new[k]), "--format", "json"] for k in old},
            "dedup": {k: [*neardup, "dedup", str(old[k]), "--format", "json"] for k in old},
        }
        lines = [
            f"| {n:,} records | plain | .jsonl.gz | ratio | .jsonl.zst | ratio |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, variants in commands.items():
            times: dict[str, list[float]] = {k: [] for k in variants}
            for _ in range(rounds):
                for k, cmd in variants.items():
                    times[k].append(_time(cmd))
            med = {k: statistics.median(v) for k, v in times.items()}
            cells = [f"{med['plain']:.2f} s"]
            for k in (".gz", ".zst"):
                cells += [f"{med[k]:.2f} s", f"{med[k] / med['plain']:.2f}x"]
            lines.append(f"| `neardup {name}` | " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    print("\n".join(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)))
