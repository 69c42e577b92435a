"""A file that shrinks while the core has it mapped, read by a library user (issue 21): the call raises
`InputChangedError` naming the file, where the process used to die of SIGBUS (the command line's handler
was the only one). The file is truncated by a real second thread of the reading process, once the core has
mapped it; the reading runs in a child interpreter so that a SIGBUS cannot take the test run down."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Child-script source (test_hostile.py's concurrent case runs it too): a function, for a thread of the
# reading process, that truncates ``path`` to 100,000 bytes as soon as the process has it mapped, that
# is while the core reads it.
TRUNCATE_ONCE_MAPPED = textwrap.dedent(
    """
    import os, time

    def truncate_once_mapped(path):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if path in open("/proc/self/maps").read():
                os.truncate(path, 100_000)
                return
            time.sleep(0.0005)
    """
)

CHILD = TRUNCATE_ONCE_MAPPED + textwrap.dedent(
    """
    import json, os, signal, sys, threading, time
    import neardup
    from neardup import fast_diff
    from neardup.formats.source import InputChangedError

    how, old, new, own_handler = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
    if own_handler:
        signal.signal(signal.SIGBUS, lambda *_: None)

    threading.Thread(target=truncate_once_mapped, args=(old,), daemon=True).start()
    try:
        if how == "diff":
            fast_diff.diff_report(old, new, fmt="json")
        elif how == "catalog":
            from neardup.catalog.ingest import prepare_file

            prepare_file(old, "a.jsonl", "jsonl")
        else:
            neardup.dedup_files([old])
    except InputChangedError as e:
        print("raised:", e)
    else:
        print("no error")
    # The user's own handler is in place again after the call.
    print("handler:", "own" if signal.getsignal(signal.SIGBUS) not in (signal.SIG_DFL, None) else "default")
    """
)


def records(n: int) -> bytes:
    return b"".join(
        b'{"id": "p%d", "title": "Paper number %d on a topic", "abstract": "words %d of an abstract"}\n'
        % (i, i, i)
        for i in range(n)
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
@pytest.mark.parametrize("how", ["diff", "dedup", "catalog"])
@pytest.mark.parametrize("own_handler", [False, True])
def test_a_mapped_file_that_shrinks_raises_for_a_library_user(
    tmp_path: Path, how: str, own_handler: bool
) -> None:
    old, new = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    old.write_bytes(records(400_000))
    new.write_bytes(records(2_000))
    r = subprocess.run(
        [sys.executable, "-c", CHILD, how, str(old), str(new), "1" if own_handler else "0"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    lines = r.stdout.splitlines()
    assert lines[0] == f"raised: {old} changed while being read", r.stdout
    assert lines[1] == ("handler: own" if own_handler else "handler: default"), r.stdout
