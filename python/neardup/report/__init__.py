"""Renderers of a `SnapshotDiff`: one module per output format.

``render(diff, format, ...)`` returns the whole report as one string; every renderer is deterministic
(same diff, same bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from neardup.defaults import REPORT_FORMATS
from neardup.reconcile import SnapshotDiff
from neardup.report import html, jsonl, markdown, text
from neardup.report import json as json_report

__all__ = ["FORMATS", "render"]

_RENDERERS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": json_report.render,
    "jsonl": jsonl.render,
    "md": markdown.render,
    "html": html.render,
}
FORMATS: tuple[str, ...] = REPORT_FORMATS
"""The names `render` accepts (kept in `neardup.defaults`, which the CLI reads without importing this
package)."""


def render(diff: SnapshotDiff, format: str = "text", **options: Any) -> str:
    """Render `diff` as ``text``, ``json``, ``jsonl``, ``md`` or ``html``.

    Options understood by the text renderer: ``word_diff`` (``"color"``, ``"plain"`` or
    ``"porcelain"``) and ``color`` (bool). Other renderers ignore options they do not use.
    """
    try:
        renderer = _RENDERERS[format]
    except KeyError:
        raise ValueError(f"unknown report format {format!r}; expected one of {', '.join(FORMATS)}") from None
    return renderer(diff, **options)
