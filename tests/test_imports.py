"""Start-up imports: ``neardup diff --format json`` on JSON Lines runs in the Rust core, so its Python
start-up must not import the Python-level pipeline (reconciliation, reports, format readers, dedup,
numpy); and the public names that load lazily must still all resolve."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import neardup
from neardup import defaults, report
from neardup.cli import main

# Modules the main job has no use for (each costs milliseconds to import).
HEAVY = (
    "neardup.catalog",
    "neardup.cli_catalog",
    "neardup.cli_dedup",
    "neardup.corpus",
    "neardup.formats.arxiv_atom",
    "neardup.formats.csv_table",
    "neardup.formats.fields",
    "neardup.formats.hf_json",
    "neardup.formats.hf_text",
    "neardup.formats.jsonl",
    "neardup.model",
    "neardup.reconcile",
    "neardup.report",
    "numpy",
)


def child(code: str, *args: str) -> list[str]:
    """Runs `code` in a fresh interpreter (imports are per process) and returns its stdout as JSON."""
    r = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert r.returncode == 0, r.stderr
    result: list[str] = json.loads(r.stdout)
    return result


def loaded_heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m in HEAVY or m.startswith(tuple(f"{h}." for h in HEAVY))]


def test_cli_and_fast_diff_import_nothing_heavy() -> None:
    modules = child(
        "import json, sys, neardup.cli, neardup.fast_diff; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('neardup') or m == 'numpy')))"
    )
    assert "neardup.cli" in modules and "neardup.fast_diff" in modules
    assert loaded_heavy(modules) == []
    assert "neardup.identity" not in modules  # imported only for titles the core leaves to Python


def test_diff_json_on_jsonl_runs_without_the_python_pipeline(tmp_path: Path) -> None:
    old, new, out = tmp_path / "old.jsonl", tmp_path / "new.jsonl", tmp_path / "report.json"
    old.write_text('{"id": "2501.00001", "title": "A title", "abstract": "Some words here."}\n')
    new.write_text('{"id": "2501.00001", "title": "A title", "abstract": "Other words here."}\n')
    modules = child(
        "import json, sys; from neardup.cli import main; "
        "status = main(['diff', sys.argv[1], sys.argv[2], '--format', 'json', '-o', sys.argv[3]]); "
        "assert status == 1, status; "
        "print(json.dumps(sorted(sys.modules)))",
        str(old),
        str(new),
        str(out),
    )
    assert json.loads(out.read_text())["changed"]
    assert loaded_heavy(modules) == []
    assert "neardup.identity" not in modules  # plain ASCII titles: the core normalises them itself


def test_public_names_resolve_in_a_fresh_interpreter() -> None:
    # Each name resolves through `neardup.__getattr__` there (nothing imported it before).
    names = child(
        "import json, neardup; "
        "missing = [n for n in neardup.__all__ if getattr(neardup, n, None) is None]; "
        "hidden = sorted(set(neardup.__all__) - set(dir(neardup))); "
        "print(json.dumps(missing + hidden))"
    )
    assert names == []


def test_dedup_is_a_function_and_corpus_its_module() -> None:
    # `neardup.dedup` is the function whatever was imported first; its module is `neardup.corpus`, and
    # there is no submodule of that name to shadow it.
    kinds = child(
        "import json, neardup, neardup.cli_dedup; from neardup.corpus import DedupResult; "
        "import importlib.util as u; "
        "print(json.dumps([type(neardup.dedup).__name__, type(DedupResult).__name__, "
        "u.find_spec('neardup.dedup') is None]))"
    )
    assert kinds == ["function", "type", True]
    assert neardup.dedup is sys.modules["neardup.corpus"].dedup
    assert neardup.dedup_files is sys.modules["neardup.corpus"].dedup_files


def test_submodules_imported_by_old_versions_are_still_attributes() -> None:
    names = child(
        "import json, neardup; "
        "print(json.dumps([neardup.formats.__name__, neardup.reconcile.__name__, neardup.report.__name__]))"
    )
    assert names == ["neardup.formats", "neardup.reconcile", "neardup.report"]


@pytest.mark.parametrize("fmt", defaults.REPORT_FORMATS)
def test_every_report_format_the_cli_offers_renders(tmp_path: Path, fmt: str) -> None:
    """The CLI's format choices (kept in `defaults` for start-up) are formats the renderer knows."""
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    old.write_text('{"id": "2501.00001", "title": "A title", "abstract": "Some words here."}\n')
    new.write_text('{"id": "2501.00001", "title": "A title", "abstract": "Other words here."}\n')
    out = tmp_path / f"report.{fmt}"
    assert main(["diff", str(old), str(new), "--format", fmt, "-o", str(out)]) == 1
    assert "Other" in out.read_text(encoding="utf-8")


def test_the_cli_default_threshold_is_the_apis(tmp_path: Path) -> None:
    old = tmp_path / "old.jsonl"
    old.write_text('{"title": "A title", "abstract": "Some words here."}\n')
    out = tmp_path / "r.json"
    main(["diff", str(old), str(old), "--format", "json", "-o", str(out)])
    default = inspect.signature(neardup.compare).parameters["threshold"].default
    assert json.loads(out.read_text(encoding="utf-8"))["threshold"] == default
    assert isinstance(report.render(neardup.compare(neardup.Snapshot([]), neardup.Snapshot([])), "json"), str)


def test_help_lists_the_lazy_subcommands() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "neardup", "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert r.returncode == 0, r.stderr
    commands = r.stdout.split("Commands:")[1].split()
    assert {"catalog", "dedup", "diff"} <= set(commands)
