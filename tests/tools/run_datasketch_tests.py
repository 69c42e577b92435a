"""Runs datasketch's own test files with ``neardup.compat.datasketch`` standing in for datasketch.

Usage: ``python tests/tools/run_datasketch_tests.py DIR [pytest args...]`` where ``DIR`` holds
datasketch's ``test/`` folder (its ``__init__.py``, ``utils.py`` and the ``test_*.py`` files), e.g. a
checkout of the datasketch repository. Nothing is fetched: the files are read where they are.

A throw-away ``datasketch`` package is written to a temporary folder put first on ``PYTHONPATH``; each of
its modules (``datasketch.minhash``, ``datasketch.lsh``, …) re-exports neardup's classes, so the test
files import neardup's code wherever they import datasketch's. ``--real`` runs them against the
installed datasketch instead (the baseline to compare with). Prints pytest's summary; exits as pytest
does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

FILES = [
    "test_minhash.py",
    "test_lsh.py",
    "test_lean_minhash.py",
    "test_weighted_minhash.py",
    "test_lshforest.py",
    "test_lshensemble.py",
]

_ALL = "from neardup.compat.datasketch import *  # noqa: F403\n"
# Each shim module and the names it re-exports beyond the package's (private helpers tests import).
MODULES = {
    "__init__": _ALL,
    "minhash": _ALL,
    "lsh": _ALL,
    "lean_minhash": _ALL,
    "b_bit_minhash": _ALL,
    "weighted_minhash": _ALL,
    "lshforest": _ALL,
    "lshensemble": _ALL,
    "hashfunc": _ALL,
    "storage": _ALL,
}


def write_shim(root: Path) -> None:
    package = root / "datasketch"
    package.mkdir()
    for name, body in MODULES.items():
        (package / f"{name}.py").write_text(body)


def main(argv: list[str]) -> int:
    real = "--real" in argv
    args = [a for a in argv if a != "--real"]
    if not args or not (Path(args[0]) / "test").is_dir():
        print(
            "usage: run_datasketch_tests.py DIR [--real] [pytest args...] (DIR holds test/)", file=sys.stderr
        )
        return 2
    tests_dir = Path(args[0]).resolve()
    missing = [f for f in FILES if not (tests_dir / "test" / f).is_file()]
    if missing:
        print(f"{tests_dir / 'test'}: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ds-shim-") as tmp:
        env = dict(os.environ)
        paths = [str(tests_dir)]
        if not real:
            write_shim(Path(tmp))
            paths.insert(0, tmp)
        env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")])
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *[f"test/{f}" for f in FILES]]
        return subprocess.call(cmd + args[1:], cwd=tests_dir, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
