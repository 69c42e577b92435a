"""Documentation at run time: every public class, function, method and property of the extension carries
its docstring (``help(neardup.diff)`` shows it, not only the stubs in ``_core.pyi``), with a signature."""

from __future__ import annotations

import inspect
import pydoc
from collections.abc import Iterator
from typing import Any

import pytest

import neardup
from neardup import _core


def _public_callables() -> Iterator[tuple[str, Any]]:
    for name in sorted(dir(_core)):
        if name.startswith("_"):
            continue
        obj = getattr(_core, name)
        if not callable(obj):
            continue
        yield name, obj
        if inspect.isclass(obj) and obj.__module__ == "neardup":
            for attr, value in sorted(vars(obj).items()):
                if not attr.startswith("_"):
                    yield f"{name}.{attr}", value


PUBLIC = list(_public_callables())


def test_the_extension_has_public_callables() -> None:
    names = {name for name, _ in PUBLIC}
    assert {"diff", "diff_many", "MinHasher.signatures", "LSHIndex.query", "Diff.render"} <= names
    assert len(names) > 40


@pytest.mark.parametrize(("name", "obj"), PUBLIC, ids=[name for name, _ in PUBLIC])
def test_every_public_callable_has_a_docstring(name: str, obj: Any) -> None:
    doc = getattr(obj, "__doc__", None)
    assert isinstance(doc, str) and doc.strip(), f"{name} has no docstring"


def test_help_shows_the_documentation() -> None:
    cases = [
        (neardup.diff, "The diff of two texts"),
        (neardup.diff_many, "in parallel on all cores"),
        (neardup.MinHasher.signatures, "Signatures of many texts"),
        (neardup.LSHIndex.query, "Keys sharing at least one band"),
        (neardup.Diff.render, "The diff as text in one of the styles"),
        (neardup.Diff, "diff of two texts"),
    ]
    for obj, text in cases:
        assert text in pydoc.render_doc(obj), obj


def test_signatures_are_visible() -> None:
    assert str(inspect.signature(neardup.diff)) == "(old, new, *, unit='word', cleanup='semantic')"
    assert str(inspect.signature(neardup.MinHasher.signatures)) == "(self, texts_, /)"
    assert str(inspect.signature(neardup.Diff.render)) == "(self, /, style='plain', *, context=None)"
