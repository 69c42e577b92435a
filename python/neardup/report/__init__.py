"""Reports of a `SnapshotDiff`: ``text``, ``json``, ``jsonl``, ``md`` and ``html``.

Every report is rendered by the Rust core's renderers (``rust/neardup-core/src/engine/report.rs``)
from the engine's result that `neardup.compare` keeps in the diff, the same renderers ``neardup diff``
uses whichever reader read the snapshots: one definition of each report. Deterministic: the same diff
gives the same bytes, whatever the thread count.
"""

from __future__ import annotations

from typing import Any

from neardup import _core
from neardup.defaults import REPORT_FORMATS, WORD_DIFF_CHOICES
from neardup.model import Snapshot, SnapshotDiff

__all__ = ["FORMATS", "SCHEMA_VERSION", "render", "report_of"]

FORMATS: tuple[str, ...] = REPORT_FORMATS
"""The names `render` accepts (kept in `neardup.defaults`, which the CLI reads without importing this
package)."""

SCHEMA_VERSION = 1
"""The version of the json and jsonl reports' schema (documented in the README)."""


def _named(snapshot: Snapshot) -> tuple[str | None, str | None, str | None]:
    return snapshot.path, snapshot.format, snapshot.date


def report_of(
    diff: SnapshotDiff,
    format: str = "text",
    *,
    context: int | None = None,
    word_diff: str = "color",
    color: bool = False,
) -> _core.Report:
    """The report as the core holds it (``bytes(r)``, or ``r.write_to(fd)`` without a copy); see
    `render`."""
    if format not in FORMATS:
        raise ValueError(f"unknown report format {format!r}; expected one of {', '.join(FORMATS)}")
    if word_diff not in WORD_DIFF_CHOICES:
        raise ValueError(f"word_diff: expected color, plain or porcelain, got {word_diff!r}")
    if context is not None and context < 0:
        raise ValueError(f"context: expected a number of words >= 0 or None, got {context}")
    engine = diff._engine
    if engine is None:
        raise ValueError("this SnapshotDiff was not made by neardup.compare: it has no result to render")
    return engine.render(
        format,
        _named(diff.old),
        _named(diff.new),
        context=context,
        word_diff=word_diff,
        color=color,
    )


def render(diff: SnapshotDiff, format: str = "text", **options: Any) -> str:
    """Render `diff` (a `neardup.compare` result) as ``text``, ``json``, ``jsonl``, ``md`` or ``html``.

    Options: ``context=N`` keeps ``N`` words of unchanged text around each change of a word diff (default
    None: whole texts; text, md and html); ``word_diff`` (``"color"``, ``"plain"`` or ``"porcelain"``) and
    ``color`` (bool) pick how the text report shows word changes (colour needs both).
    """
    return bytes(report_of(diff, format, **options)).decode("utf-8")
