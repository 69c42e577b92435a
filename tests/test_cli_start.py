"""The console script's start-up path (`neardup.cli_start`): ``neardup diff … --format json`` parsed
without click must mean exactly what click would make of it, and run without importing click."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

import neardup
from neardup import cli, cli_start, report
from neardup.cli_start import DIFF_DEFAULTS, DIFF_OPTIONS, parse_fast_diff

DIFF = cli.cli.commands["diff"]
OPTIONS = [p for p in DIFF.params if isinstance(p, click.Option)]


def test_the_options_table_is_the_click_commands() -> None:
    flags = {flag: (p, flag) for p in OPTIONS for flag in (*p.opts, *p.secondary_opts)}
    assert set(flags) == set(DIFF_OPTIONS)
    for flag, (name, kind) in DIFF_OPTIONS.items():
        param = flags[flag][0]
        assert param.name == name, flag
        if kind is None:
            assert param.is_flag, flag
        elif isinstance(kind, tuple):
            assert isinstance(param.type, click.Choice) and tuple(param.type.choices) == kind, flag
        elif kind is float:
            # The near stage's least score: any number >= 1, checked by the one rule both parsers call.
            assert param.type == click.FLOAT and param.callback is cli._check_threshold, flag
        else:
            assert kind is str and param.type == click.STRING, flag
    with DIFF.make_context("diff", ["a", "b"]) as ctx:
        assert ctx.params == {**DIFF_DEFAULTS, "old": "a", "new": "b"}


# Argument lists the start-up parser takes (same parameters as click) or leaves to click (None).
TAKEN = [
    ["diff", "a", "b", "--format", "json"],
    ["diff", "--format=json", "a", "b"],
    ["diff", "a", "--format", "json", "b", "-o", "out.json"],
    ["diff", "a", "b", "--format", "json", "-oout.json", "-q"],
    ["diff", "a", "b", "--format", "json", "-o=x"],
    ["diff", "a", "b", "--format", "json", "--output", "-"],
    ["diff", "a", "b", "--format", "json", "--output="],
    ["diff", "-", "b", "--format", "json", "--threshold", "2", "--threshold=1"],
    ["diff", "a", "b", "--format", "json", "--threshold", " 5e0"],
    ["diff", "a", "b", "--format", "json", "--include-meta", "--quiet", "--from", "jsonl"],
    ["diff", "a", "b", "--format", "json", "--id-field", "pid", "--title-field=t", "--abstract-field", "x y"],
    ["diff", "a", "b", "--format", "json", "--color", "never", "--word-diff", "porcelain"],
    ["diff", "a", "b", "--format", "text", "--format", "json"],
]
LEFT = [
    [],
    ["--help"],
    ["dedup", "a", "b", "--format", "json"],
    ["diff", "a", "b"],
    ["diff", "a", "b", "--format", "json", "--format", "md"],
    ["diff", "a", "b", "c", "--format", "json"],
    ["diff", "a", "--format", "json"],
    ["diff", "-", "-", "--format", "json"],
    ["diff", "a", "b", "--format", "json", "--help"],
    ["diff", "a", "b", "--format", "json", "--"],
    ["diff", "a", "b", "--format", "json", "-qo", "x"],
    ["diff", "a", "b", "--format", "json", "--quiet=yes"],
    ["diff", "a", "b", "--format", "json", "--threshold", "0"],
    ["diff", "a", "b", "--format", "json", "--threshold", "0.07"],
    ["diff", "a", "b", "--format", "json", "--threshold", "inf"],
    ["diff", "a", "b", "--format", "json", "--threshold", "nan"],
    ["diff", "a", "b", "--format", "json", "--threshold", "x"],
    ["diff", "a", "b", "--format", "json", "--color", "sometimes"],
    ["diff", "a", "b", "--format", "json", "--from", "xml"],
    ["diff", "a", "b", "--format", "json", "-o"],
    ["diff", "a", "b", "--format", "json", "-o", "--quiet"],
    ["diff", "a", "b", "--format", "json", "--out", "x"],
    ["diff", "a", "b", "--format", "JSON"],
    ["diff", "-x", "b", "--format", "json"],
]


@pytest.mark.parametrize("args", TAKEN, ids=" ".join)
def test_taken_arguments_mean_what_click_makes_of_them(args: list[str]) -> None:
    params = parse_fast_diff(args)
    assert params is not None
    with DIFF.make_context("diff", list(args[1:])) as ctx:
        assert params == ctx.params


@pytest.mark.parametrize("args", LEFT, ids=" ".join)
def test_anything_else_is_left_to_click(args: list[str]) -> None:
    assert parse_fast_diff(args) is None


def pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    kept = '{"id": "2501.00002", "title": "Kept", "abstract": "The same words."}\n'
    old.write_text('{"id": "2501.00001", "title": "A title", "abstract": "Some words here."}\n' + kept)
    new.write_text('{"id": "2501.00001", "title": "A title", "abstract": "Other words here."}\n' + kept)
    return old, new


def test_the_json_diff_runs_without_click_and_as_the_full_cli_does(tmp_path: Path) -> None:
    old, new = pair(tmp_path)
    code = (
        "import json, sys; from neardup.cli_start import main; "
        "status = main(['diff', sys.argv[1], sys.argv[2], '--format', 'json', '-o', sys.argv[3]]); "
        "print(json.dumps([status, 'click' in sys.modules]))"
    )
    out = tmp_path / "fast.json"
    r = subprocess.run(
        [sys.executable, "-c", code, str(old), str(new), str(out)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [1, False]
    # The same report as the API and the Python renderer give (not the start-up path compared with itself).
    diff = neardup.compare(neardup.read_snapshot(old), neardup.read_snapshot(new))
    assert out.read_text(encoding="utf-8") == report.render(diff, "json")


def test_other_commands_go_to_click(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair(tmp_path)
    assert cli_start.main(["diff", str(old), str(new), "--format", "md"]) == 1
    assert "Other" in capsys.readouterr().out
    assert cli_start.main(["diff", str(old), str(new), "--format", "json", "--threshold", "0.5"]) == 2
    assert "threshold" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["missing", "bad line", "unwritable output"])
def test_failures_on_the_start_up_path_are_one_line_exit_2(tmp_path: Path, case: str) -> None:
    old, new = pair(tmp_path)
    out = "-"
    if case == "missing":
        old = tmp_path / "missing.jsonl"
    elif case == "bad line":
        old.write_text('{"title": "a", "abstract": "b"}\n{oops\n')
    else:
        out = str(tmp_path / "no such directory" / "report.json")
    r = subprocess.run(
        [sys.executable, "-m", "neardup", "diff", str(old), str(new), "--format", "json", "-o", out],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("neardup: ")
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_the_console_script_exits_with_the_whole_report_flushed(tmp_path: Path) -> None:
    # `run` ends the process with `os._exit` after the start-up path: nothing may be lost on the way.
    old, new = pair(tmp_path)
    full = tmp_path / "full.json"
    assert cli.main(["diff", str(old), str(new), "--format", "json", "-o", str(full)]) == 1
    r = subprocess.run(
        [sys.executable, "-m", "neardup", "diff", str(old), str(new), "--format", "json"],
        capture_output=True,
        timeout=120,
    )
    assert (r.returncode, r.stderr) == (1, b"")
    assert r.stdout == full.read_bytes()
    same = subprocess.run(
        [sys.executable, "-m", "neardup", "diff", str(old), str(old), "--format", "json", "-q"],
        capture_output=True,
        timeout=120,
    )
    assert (same.returncode, same.stdout, same.stderr) == (0, b"", b"")
