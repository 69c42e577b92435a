"""The `neardup` command: exit codes, output formats, determinism, colour, stdin, errors, SIGPIPE."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SEED_NEW, SEED_OLD, run
from neardup.cli import main

EXAMPLES = REPO / "examples"


def test_seeds_summary_and_exit_status() -> None:
    r = run("diff", str(SEED_OLD), str(SEED_NEW))
    assert r.returncode == 1
    first = r.stdout.decode().splitlines()[0]
    assert first == "39 unchanged, 0 changed, 26 added, 53 removed, 0 duplicate groups"
    assert r.stderr == b""


def test_same_file_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(EXAMPLES / "old.txt"), str(EXAMPLES / "old.txt")]) == 0
    assert capsys.readouterr().out.startswith("12 unchanged, 0 changed, 0 added, 0 removed")


def test_example_pair_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(EXAMPLES / "old.txt"), str(EXAMPLES / "new.txt"), "--color", "never"]) == 1
    out = capsys.readouterr().out
    assert "== changed (2) ==" in out and "== added (1) ==" in out and "== removed (1) ==" in out
    assert "[-forty-]{+fifty+}" in out
    assert "\x1b[" not in out


def test_colour_rules(capsys: pytest.CaptureFixture[str]) -> None:
    main(["diff", str(EXAMPLES / "old.txt"), str(EXAMPLES / "new.txt"), "--color", "always"])
    assert "\x1b[31m" in capsys.readouterr().out
    # auto: captured stdout is not a terminal, so no colour
    main(["diff", str(EXAMPLES / "old.txt"), str(EXAMPLES / "new.txt")])
    assert "\x1b[" not in capsys.readouterr().out


def test_no_color_env_respected_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from neardup import cli

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli._use_color("auto", Tty())
    monkeypatch.setenv("NO_COLOR", "")
    assert cli._use_color("auto", Tty())
    assert cli._use_color("always", None)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "text", "md", "html"])
def test_formats_are_byte_identical_across_runs_and_threads(fmt: str) -> None:
    args = ("diff", str(SEED_OLD), str(SEED_NEW), "--format", fmt)
    a = run(*args)
    b = run(*args, env={"RAYON_NUM_THREADS": "1"})
    assert a.returncode == b.returncode == 1
    assert a.stdout == b.stdout
    if fmt == "json":
        doc = json.loads(a.stdout)
        assert doc["summary"] == {
            "unchanged": 39,
            "changed": 0,
            "added": 26,
            "removed": 53,
            "duplicates": 0,
            "meta_changed": doc["summary"]["meta_changed"],
        }
        assert list(doc) == sorted(doc)
    if fmt == "jsonl":
        kinds = [json.loads(line)["kind"] for line in a.stdout.decode().splitlines()]
        assert kinds[0] == "summary" and kinds.count("added") == 26 and kinds.count("removed") == 53


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert (
        main(
            ["diff", str(EXAMPLES / "old.txt"), str(EXAMPLES / "new.txt"), "--format", "json", "-o", str(out)]
        )
        == 1
    )
    assert json.loads(out.read_text())["summary"]["changed"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    # A failed run leaves no partial file behind.
    bad = tmp_path / "bad.json"
    assert main(["diff", str(tmp_path / "missing.txt"), str(EXAMPLES / "new.txt"), "-o", str(bad)]) == 2
    assert not bad.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_stdin_input() -> None:
    r = run("diff", "-", str(EXAMPLES / "new.txt"), stdin=(EXAMPLES / "old.txt").read_bytes())
    assert r.returncode == 1
    assert r.stdout.decode().startswith("9 unchanged, 2 changed, 1 added, 1 removed")


def test_quiet_prints_nothing() -> None:
    r = run("diff", "-q", str(EXAMPLES / "old.txt"), str(EXAMPLES / "new.txt"))
    assert r.returncode == 1 and r.stdout == b"" and r.stderr == b""


BAD_INPUTS = {
    "empty.txt": (b"", "empty.txt"),
    "bin.txt": (b"\x00\xff\xfe binary", "bin.txt"),
    "bad.jsonl": (b'{"title": "a", "abstract": "b"}\n{oops\n', "bad.jsonl:2"),
}


@pytest.mark.parametrize("name", ["missing.txt", "<dir>", *BAD_INPUTS])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, name: str) -> None:
    if name == "<dir>":
        path, needle = tmp_path, "directory"
    elif name in BAD_INPUTS:
        data, needle = BAD_INPUTS[name]
        path = tmp_path / name
        path.write_bytes(data)
    else:
        path, needle = tmp_path / name, name
    r = run("diff", str(path), str(EXAMPLES / "new.txt"))
    assert r.returncode == 2
    err = r.stderr.decode()
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and "panicked" not in err
    assert r.stdout == b""


def test_bad_arguments_exit_2() -> None:
    r = run("diff", "--threshold", "0.5", "a", "b")
    assert r.returncode == 2 and b"threshold" in r.stderr
    assert run("diff", "-", "-").returncode == 2
    assert run("nonsense").returncode == 2


def test_sigpipe_is_quiet() -> None:
    cmd = f"{sys.executable} -m neardup diff --format jsonl {SEED_OLD} {SEED_NEW} | head -n 1"
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, timeout=120, check=False)
    assert r.stdout.count(b"\n") == 1
    assert r.stderr == b""


def test_help_and_version() -> None:
    assert run("--help").returncode == 0
    r = run("--version")
    assert r.returncode == 0 and b"neardup" in r.stdout


def test_header_only_listing_is_an_empty_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Valid but odd: a page with no papers that day. Every new paper is added."""
    path = tmp_path / "header.txt"
    path.write_bytes(b"Daily Papers\n\nJul 30\n")
    assert main(["diff", str(path), str(EXAMPLES / "new.txt")]) == 1
    assert capsys.readouterr().out.startswith("0 unchanged, 0 changed, 12 added, 0 removed")
