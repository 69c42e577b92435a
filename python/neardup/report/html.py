"""The HTML report: one self-contained page (inline CSS, no external assets, no JavaScript) with the
summary, then sections changed → added → removed → duplicates. Word changes are ``<del>``/``<ins>``
(red struck through / green); added and removed entries fold their abstracts into ``<details>``.

Every piece of snapshot text (titles, abstracts, paths, keys, dates) is HTML-escaped, so a title such
as ``<script>…</script>`` shows as text and never becomes markup. Deterministic: the same diff gives
the same bytes.
"""

from __future__ import annotations

import html
from typing import Any

from neardup._core import Diff
from neardup.model import Entry, Snapshot
from neardup.reconcile import DuplicateGroup, Match, SnapshotDiff
from neardup.terminal import for_markup

__all__ = ["render"]

_FIELDS = ("title", "abstract")

_CSS = """
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --panel: #f6f8fa; --del-bg: #ffebe9; --del-fg: #82071e; --ins-bg: #dafbe1; --ins-fg: #116329; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --panel: #151b23;
    --del-bg: #5d1a1d; --del-fg: #ffdcd7; --ins-bg: #1a4224; --ins-fg: #aff5b4; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1.5rem; color: var(--fg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; padding-bottom: .3rem;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h4 { font-size: .8rem; margin: .75rem 0 .25rem; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.muted, .where { color: var(--muted); font-size: .9rem; }
dl.snapshots { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .75rem; margin: 0; }
dl.snapshots dt { font-weight: 600; }
dl.snapshots dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .7rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.entry { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }
.diff { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; padding: .5rem .75rem;
  background: var(--panel); border-radius: 4px; }
del { background: var(--del-bg); color: var(--del-fg); text-decoration: line-through; }
ins { background: var(--ins-bg); color: var(--ins-fg); text-decoration: none; }
del, ins { border-radius: 3px; padding: 0 .1em; }
ol.entries { padding-left: 0; list-style: none; }
ol.entries li { margin: .3rem 0; }
details > summary { cursor: pointer; overflow-wrap: anywhere; }
details > p { white-space: pre-wrap; margin: .4rem 0 .6rem 1.1rem; }
.added summary::marker { color: var(--ins-fg); }
.removed summary::marker { color: var(--del-fg); }
.added .title { border-left: 3px solid var(--ins-fg); padding-left: .4rem; }
.removed .title { border-left: 3px solid var(--del-fg); padding-left: .4rem; }
.empty { font-style: italic; }
.entry > p.where:first-child { margin-top: 0; }
"""


def _esc(text: str) -> str:
    return html.escape(for_markup(text), quote=True)


def _title(entry: Entry) -> str:
    title = " ".join(entry.title.split())
    return _esc(title) if title else '<span class="empty">(untitled)</span>'


def _where(entry: Entry) -> str:
    return f"#{entry.position}" + (f", line {entry.line}" if entry.line is not None else "")


def _snapshot(label: str, snap: Snapshot) -> str:
    parts = [f"<code>{_esc(snap.path)}</code>" if snap.path else '<span class="muted">(no path)</span>']
    if snap.date:
        parts.append(f"listed {_esc(snap.date)}")
    if snap.format:
        parts.append(f"format {_esc(snap.format)}")
    parts.append(f"{len(snap.entries)} entries")
    return f"<dt>{label}</dt><dd>{', '.join(parts)}</dd>"


def _summary(diff: SnapshotDiff) -> list[str]:
    s = diff.summary()
    rows = [
        ("unchanged", s["unchanged"], None),
        ("changed", s["changed"], "changed"),
        ("added", s["added"], "added"),
        ("removed", s["removed"], "removed"),
        ("duplicate groups", s["duplicates"], "duplicates"),
        ("metadata changed", s["meta_changed"], None),
    ]
    out = [
        '<table class="summary">',
        "<thead><tr><th></th><th>entries</th></tr></thead>",
        "<tbody>",
    ]
    for label, count, anchor in rows:
        cell = f'<a href="#{anchor}">{label}</a>' if anchor and count else label
        out.append(f'<tr><th scope="row">{cell}</th><td class="n">{count}</td></tr>')
    out += ["</tbody>", "</table>"]
    return out


def _field_diff(d: Diff, context: int | None) -> str:
    body = d.render("html", context=context) if context is not None else d.render("html")
    return for_markup(body)


def _changed(m: Match, context: int | None) -> list[str]:
    out = [
        '<article class="entry changed">',
        f'<h3 class="title">{_title(m.new)}</h3>',
        f'<p class="where">old {_where(m.old)} → new {_where(m.new)} · matched by '
        f"<b>{_esc(m.how)}</b>, similarity {m.similarity:.3f}</p>",
    ]
    for name in _FIELDS:
        d = m.fields.get(name)
        if d is not None:
            out += [f"<h4>{name}</h4>", f'<p class="diff {name}">{_field_diff(d, context)}</p>']
    if m.meta_changed:
        out.append(f'<p class="muted">metadata changed: {_esc(", ".join(m.meta_changed))}</p>')
    out.append("</article>")
    return out


def _entries(label: str, entries: tuple[Entry, ...]) -> list[str]:
    out = [f'<ol class="entries {label}">']
    for e in entries:
        key = f" · <code>{_esc(e.key)}</code>" if e.key else ""
        where = f'<span class="where">{_where(e)}{key}</span>'
        summary = f'<span class="title">{_title(e)}</span> {where}'
        if e.abstract.strip():
            out.append(f"<li><details><summary>{summary}</summary><p>{_esc(e.abstract)}</p></details></li>")
        else:
            out.append(f"<li>{summary}</li>")
    out.append("</ol>")
    return out


def _duplicates(diff: SnapshotDiff, g: DuplicateGroup) -> list[str]:
    snap = diff.old if g.snapshot == "old" else diff.new
    positions = ", ".join(f"#{p}" for p in g.members)
    out = [
        '<article class="entry duplicates">',
        f'<p class="where"><b>{g.snapshot}</b> snapshot: {positions}, similarity {g.similarity:.3f}</p>',
        "<ul>",
    ]
    for p in g.members:
        e = snap.entries[p]
        out.append(f'<li>{_title(e)} <span class="where">{_where(e)}</span></li>')
    out += ["</ul>", "</article>"]
    return out


def _section(anchor: str, label: str, count: int, body: list[str]) -> list[str]:
    return [f'<section id="{anchor}">', f"<h2>{label} ({count})</h2>", *body, "</section>"]


def _page_title(diff: SnapshotDiff) -> str:
    old, new = diff.old.path, diff.new.path
    if old or new:
        return f"neardup diff: {_esc(old or '(old)')} → {_esc(new or '(new)')}"
    return "neardup diff"


def render(diff: SnapshotDiff, *, context: int | None = None, **_options: Any) -> str:
    """The HTML report. ``context=N`` shortens each word diff to ``N`` tokens around each change
    (default: whole texts)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="neardup">',
        f"<title>{_page_title(diff)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>neardup diff</h1>",
        '<dl class="snapshots">',
        _snapshot("old", diff.old),
        _snapshot("new", diff.new),
        "</dl>",
        "</header>",
        "<main>",
        '<section id="summary">',
        "<h2>summary</h2>",
        f'<p class="summary-line">{_esc(diff.summary_line())}</p>',
        *_summary(diff),
        "</section>",
    ]
    if diff.changed:
        body = [line for m in diff.changed for line in _changed(m, context)]
        out += _section("changed", "changed", len(diff.changed), body)
    for label, entries in (("added", diff.added), ("removed", diff.removed)):
        if entries:
            out += _section(label, label, len(entries), _entries(label, entries))
    if diff.duplicates:
        body = [line for g in diff.duplicates for line in _duplicates(diff, g)]
        out += _section("duplicates", "duplicates", len(diff.duplicates), body)
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
