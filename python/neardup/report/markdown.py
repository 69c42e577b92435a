"""The Markdown report (GitHub Flavored Markdown): a title, a summary table, then sections changed →
added → removed → duplicates. Changed entries show a word diff per differing field as
``~~removed~~ **added**``.

Every piece of snapshot text is escaped, so a title can neither break a table (``|``) nor turn into
markup (``*``, ``_``, ``<script>``, ``#``, ``[…](…)``); abstracts keep their line breaks inside a quote
block, with line-start markers (``- ``, ``1. ``, ``===``) defused. Deterministic: the same diff gives the
same bytes.
"""

from __future__ import annotations

import re
from typing import Any

from neardup._core import Diff
from neardup.model import Entry, Snapshot
from neardup.reconcile import DuplicateGroup, Match, SnapshotDiff
from neardup.terminal import for_markup

__all__ = ["escape", "render"]

# Inline-significant punctuation: emphasis, code, links, raw HTML, entities, tables, headings,
# strikethrough. Any ASCII punctuation may be backslash-escaped in CommonMark, so over-escaping is safe.
_INLINE = re.compile(r"([\\`*_\[\]<>#|~&!])")
# At the start of a line these open a block (list item, thematic break, setext heading).
_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_LINE_MARKER = re.compile(r"^([-+=])")

_FIELDS = ("title", "abstract")


def _clean(text: str) -> str:
    return for_markup(text)


def escape(text: str) -> str:
    """`text` as one line of inline Markdown that renders literally (whitespace collapsed)."""
    return _INLINE.sub(r"\\\1", " ".join(_clean(text).split()))


def _title(entry: Entry) -> str:
    return escape(entry.title) if entry.title.strip() else "*(untitled)*"


def _code(text: str) -> str:
    """`text` as an inline code span (fenced with more backticks than it contains)."""
    text = " ".join(_clean(text).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _where(entry: Entry) -> str:
    return f"#{entry.position}" + (f" (line {entry.line})" if entry.line is not None else "")


def _quote(body: str) -> list[str]:
    """A rendered (already escaped) diff as a quote block, keeping its line breaks."""
    out: list[str] = []
    for raw in _clean(body).split("\n"):
        line = raw.strip()
        line = _LIST_NUMBER.sub(r"\1\\\2", line)
        line = _LINE_MARKER.sub(r"\\\1", line)
        out.append(f"> {line}" if line else ">")
    return out


def _snapshot_line(label: str, snap: Snapshot) -> str:
    parts = [_code(snap.path) if snap.path else "*(no path)*"]
    if snap.date:
        parts.append(f"listed {escape(snap.date)}")
    if snap.format:
        parts.append(f"format {escape(snap.format)}")
    parts.append(f"{len(snap.entries)} entries")
    return f"**{label}:** " + ", ".join(parts)


def _summary_table(diff: SnapshotDiff) -> list[str]:
    s = diff.summary()
    rows = [
        ("unchanged", s["unchanged"], None),
        ("changed", s["changed"], "changed"),
        ("added", s["added"], "added"),
        ("removed", s["removed"], "removed"),
        ("duplicate groups", s["duplicates"], "duplicates"),
        ("metadata changed", s["meta_changed"], None),
    ]
    out = ["| | entries |", "| --- | ---: |"]
    for label, count, anchor in rows:
        cell = f"[{label}](#{anchor}-{count})" if anchor and count else label
        out.append(f"| {cell} | {count} |")
    return out


def _field_diff(d: Diff, context: int | None) -> str:
    return d.render("markdown", context=context) if context is not None else d.render("markdown")


def _changed(m: Match, context: int | None) -> list[str]:
    how = f"matched by **{m.how}**, similarity {m.similarity:.3f}"
    out = ["", f"### {_title(m.new)}", "", f"old {_where(m.old)} → new {_where(m.new)} · {how}"]
    for name in _FIELDS:
        d = m.fields.get(name)
        if d is None:
            continue
        out += ["", f"**{name}**", "", *_quote(_field_diff(d, context))]
    if m.meta_changed:
        out += ["", "metadata changed: " + ", ".join(m.meta_changed)]
    return out


def _entry_table(entries: tuple[Entry, ...]) -> list[str]:
    out = ["| # | line | key | title |", "| ---: | ---: | --- | --- |"]
    for e in entries:
        line = str(e.line) if e.line is not None else ""
        # GFM splits table cells at "|" even inside code spans, unless escaped.
        key = _code(e.key).replace("|", "\\|") if e.key else ""
        out.append(f"| {e.position} | {line} | {key} | {_title(e)} |")
    return out


def _duplicates(diff: SnapshotDiff, g: DuplicateGroup) -> list[str]:
    snap = diff.old if g.snapshot == "old" else diff.new
    positions = ", ".join(f"#{p}" for p in g.members)
    out = ["", f"- **{g.snapshot}** {positions}, similarity {g.similarity:.3f}"]
    for p in g.members:
        out.append(f"  - {_where(snap.entries[p])}: {_title(snap.entries[p])}")
    return out


def render(diff: SnapshotDiff, *, context: int | None = None, **_options: Any) -> str:
    """The Markdown report. ``context=N`` shortens each word diff to ``N`` tokens around each change
    (default: whole texts)."""
    out = [
        "# neardup diff",
        "",
        _snapshot_line("old", diff.old) + "  ",
        _snapshot_line("new", diff.new),
        "",
        diff.summary_line(),
        "",
        *_summary_table(diff),
    ]
    if diff.changed:
        out += ["", f"## changed ({len(diff.changed)})"]
        for m in diff.changed:
            out += _changed(m, context)
    for label, entries in (("added", diff.added), ("removed", diff.removed)):
        if entries:
            out += ["", f"## {label} ({len(entries)})", "", *_entry_table(entries)]
    if diff.duplicates:
        out += ["", f"## duplicates ({len(diff.duplicates)})"]
        for g in diff.duplicates:
            out += _duplicates(diff, g)
    return "\n".join(out) + "\n"
