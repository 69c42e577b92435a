"""The human-readable report: a one-line summary, then changed → added → removed → duplicates."""

from __future__ import annotations

from typing import Any

from neardup.model import Entry
from neardup.reconcile import Match, SnapshotDiff
from neardup.terminal import neutralise

# Every piece of snapshot text goes through `neutralise` (word diffs come neutralised from the core), so a
# title cannot send escape sequences to the reader's terminal.

_STYLE = {"color": "ansi", "plain": "plain", "porcelain": "porcelain"}
BOLD, DIM, RED, GREEN, RESET = "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[0m"


def _where(entry: Entry) -> str:
    return f"#{entry.position}" + (f" line {entry.line}" if entry.line is not None else "")


def _heading(title: str, count: int, color: bool) -> str:
    text = f"== {title} ({count}) =="
    return f"{BOLD}{text}{RESET}" if color else text


def _changed(m: Match, style: str, color: bool) -> list[str]:
    how = f"matched by {m.how}, similarity {m.similarity:.3f}"
    head = f"* {neutralise(m.new.title)}"
    lines = [f"{BOLD}{head}{RESET}" if color else head]
    lines.append(f"  old {_where(m.old)} -> new {_where(m.new)}; {how}")
    for name in ("title", "abstract"):
        d = m.fields.get(name)
        if d is None:
            continue
        body = d.render(style)
        if style == "porcelain":
            lines.append(f"  {name}:")
            lines.extend("    " + line for line in body.splitlines())
        else:
            lines.append(f"  {name}: {body}")
    if m.meta_changed:
        lines.append(f"  metadata changed: {neutralise(', '.join(m.meta_changed))}")
    return lines


def render(diff: SnapshotDiff, *, word_diff: str = "color", color: bool = False, **_options: Any) -> str:
    """The text report. ``word_diff`` picks how word changes show: ``color`` (red/green when `color`
    is on, else the plain ``[-…-]{+…+}`` markers), ``plain`` or ``porcelain``."""
    style = _STYLE.get(word_diff)
    if style is None:
        raise ValueError(f"word_diff: expected color, plain or porcelain, got {word_diff!r}")
    if style == "ansi" and not color:
        style = "plain"
    out = [neutralise(diff.summary_line())]
    if diff.changed:
        out += ["", _heading("changed", len(diff.changed), color)]
        for m in diff.changed:
            out += _changed(m, style, color)
    for title, entries, sign, tint in (
        ("added", diff.added, "+", GREEN),
        ("removed", diff.removed, "-", RED),
    ):
        if entries:
            out += ["", _heading(title, len(entries), color)]
            for e in entries:
                line = f"{sign} {neutralise(e.title)}  ({_where(e)})"
                out.append(f"{tint}{line}{RESET}" if color else line)
    if diff.duplicates:
        out += ["", _heading("duplicates", len(diff.duplicates), color)]
        for g in diff.duplicates:
            snap = diff.old if g.snapshot == "old" else diff.new
            titles = "; ".join(neutralise(repr(snap.entries[p].title)) for p in g.members)
            positions = ", ".join(f"#{p}" for p in g.members)
            out.append(f"* {g.snapshot}: {positions} (similarity {g.similarity:.3f}): {titles}")
    return "\n".join(out) + "\n"
