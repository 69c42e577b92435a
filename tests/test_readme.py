"""The README's Python examples run as written: every ```python block is executed in a fresh namespace, in a
temporary directory holding the small files the blocks name (the generated examples/ pages, two JSONL
parts). Blocks that need a Ray cluster cannot run here: they are compiled, and their calls into neardup
are checked against the real function's parameters."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

README = REPO / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks() -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def _needs_cluster(code: str) -> bool:
    return bool(re.search(r"^\s*import ray\b|ray\.init\(", code, re.MULTILINE))


BLOCKS = _blocks()
LOCAL = [(line, code) for line, code in BLOCKS if not _needs_cluster(code)]
CLUSTER = [(line, code) for line, code in BLOCKS if _needs_cluster(code)]


def test_the_readme_has_python_examples() -> None:
    assert len(LOCAL) >= 4 and len(CLUSTER) >= 1
    assert any("dedup_files" in code for _, code in LOCAL)
    assert any("Catalog(" in code for _, code in LOCAL)


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    """The files the examples name, made here: the example pages and two JSONL parts."""
    examples = tmp_path / "examples"
    examples.mkdir()
    subprocess.run([sys.executable, str(REPO / "examples" / "make_sample.py"), str(examples)], check=True)
    words = ["near", "duplicate", "detection", "of", "paper", "abstracts", "across", "daily", "digests"]
    for part in range(2):
        rows = [
            {"id": f"{part}-{i}", "title": f"Title {i}", "abstract": " ".join(words[i:] + words[:i])}
            for i in range(5)
        ]
        rows.append({"id": f"{part}-copy", "title": "Copy", "abstract": " ".join(words)})
        (tmp_path / f"part-{part}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path


@pytest.mark.parametrize(("line", "code"), LOCAL, ids=[f"README.md:{line}" for line, _ in LOCAL])
def test_python_block_runs_as_written(line: int, code: str, workdir: Path) -> None:
    before = Path.cwd()
    os.chdir(workdir)
    try:
        exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})
    finally:
        os.chdir(before)


def _parameters(path: Path, name: str) -> tuple[list[str], set[str]]:
    """Positional and keyword parameter names of the function `name` defined in `path` (read, not
    imported: the module needs Ray)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    positional = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    return positional, {a.arg for a in (*fn.args.args, *fn.args.kwonlyargs)}


@pytest.mark.parametrize(("line", "code"), CLUSTER, ids=[f"README.md:{line}" for line, _ in CLUSTER])
def test_cluster_block_compiles_and_calls_neardup_correctly(line: int, code: str) -> None:
    tree = ast.parse(code, f"README.md:{line}")
    compile(tree, f"README.md:{line}", "exec")
    imported = {
        alias.asname or alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("neardup")
        for alias in node.names
    }
    for module, names in {
        m: [n for n, mm in imported.items() if mm == m] for m in set(imported.values())
    }.items():
        source = REPO / "python" / Path(*module.split(".")).with_suffix(".py")
        assert source.exists(), module
        defined = {n.name for n in ast.parse(source.read_text(encoding="utf-8")).body if hasattr(n, "name")}
        assert set(names) <= defined, (module, names)
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)):
        module = imported.get(call.func.id)
        if module is None:
            continue
        positional, keywords = _parameters(
            REPO / "python" / Path(*module.split(".")).with_suffix(".py"), call.func.id
        )
        assert len(call.args) <= len(positional), call.func.id
        assert {k.arg for k in call.keywords} <= keywords, call.func.id


def _resolve(dotted: str) -> object:
    """`dotted` as a user reaches it: attribute by attribute from ``import neardup``, importing a
    submodule only where the attribute is not there (as ``import neardup.x`` would bind it)."""
    import importlib

    parts = dotted.split(".")
    obj: object = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        module = ".".join(parts[: i + 1])
        obj = getattr(obj, part) if hasattr(obj, part) else importlib.import_module(module)
    return obj


def test_names_in_the_prose_resolve() -> None:
    """Inline references such as `neardup.compare` name something a user can reach (the README once said
    `neardup.dedup.dedup_files`, where `neardup.dedup` is a function)."""
    text = README.read_text(encoding="utf-8")
    names = set(re.findall(r"`(neardup(?:\.[A-Za-z_]\w*)+)", text))
    assert {"neardup.compare", "neardup.Catalog"} <= names
    for name in sorted(names):
        _resolve(name)
    with pytest.raises((AttributeError, ModuleNotFoundError)):
        _resolve("neardup.dedup.dedup_files")


_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_the_catalog_worked_example_is_real_output(workdir: Path) -> None:
    """The console blocks of the README's catalog section, run in order in one directory: every command's
    output (stdout and stderr) is what the README shows, the times of adding aside."""
    import shlex

    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Catalog") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"^```console\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    transcript = "".join(blocks)
    commands = re.split(r"^\$ ", transcript, flags=re.MULTILINE)[1:]
    assert len(commands) >= 8
    status = 0
    env = {**os.environ, "NO_COLOR": "1"}
    for item in commands:
        command, _, expected = item.partition("\n")
        if command == "echo $?":
            got = f"{status}\n"
        else:
            args = shlex.split(command)
            assert args[0] == "neardup", command
            r = subprocess.run(
                [sys.executable, "-m", "neardup", *args[1:]],
                cwd=workdir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=120,
                check=False,
            )
            status, got = r.returncode, r.stdout
        assert _STAMP.sub("T", got) == _STAMP.sub("T", expected), command
