"""The catalog's listings (snapshots, papers, dropped papers, a paper's history) as text, JSON, Markdown
or HTML, for ``neardup catalog …``.

Text is aligned columns for people and ``cut``/``awk`` alike (one row per line, the free-text title
last); JSON is the records' ``to_dict`` (a list for listings, an object for a history), the same bytes for
the same catalog; Markdown is a GitHub table; HTML is one self-contained page. Every piece of catalog text
is escaped for its format, and control characters are neutralised.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from neardup.catalog.records import PaperHistory, PaperRecord, SnapshotRecord
from neardup.strict_json import dumps as strict_json
from neardup.terminal import for_markup, neutralise

__all__ = ["FORMATS", "render_history", "render_papers", "render_snapshots"]

FORMATS = ("text", "json", "md", "html")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"
_CSS = (
    "body{margin:0 auto;max-width:70rem;padding:1.5rem;font:15px/1.5 system-ui,sans-serif}"
    "table{border-collapse:collapse}th,td{border:1px solid #d1d9e0;padding:.25rem .6rem;text-align:left;"
    "vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "del{background:#ffebe9;color:#82071e}ins{background:#dafbe1;color:#116329;text-decoration:none}"
    ".text{white-space:pre-wrap;overflow-wrap:anywhere}"
)


# Inline-significant Markdown punctuation: any ASCII punctuation may be backslash-escaped in CommonMark,
# so escaping more than needed is safe.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>#|~&!])")


def md_escape(text: str) -> str:
    """`text` as one line of inline Markdown that renders literally (whitespace collapsed)."""
    return _MD_INLINE.sub(r"\\\1", " ".join(for_markup(text).split()))


def _line(text: str) -> str:
    """One line of plain text: whitespace collapsed, control and bidi characters made harmless (the one
    rule of `neardup.terminal`)."""
    return " ".join(for_markup(text).split())


def _esc(text: str) -> str:
    return html.escape(_line(text), quote=True)


def _page(title: str, body: list[str]) -> str:
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="generator" content="neardup">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_esc(title)}</h1>",
    ]
    return "\n".join([*head, *body, "</body>", "</html>"]) + "\n"


def dump_json(value: Any) -> str:
    return strict_json(value, indent=2) + "\n"


@dataclass(frozen=True)
class _Column:
    name: str
    value: Callable[[Any], str]
    numeric: bool = False


def _table(rows: Sequence[Any], columns: Sequence[_Column], fmt: str, title: str) -> str:
    cells = [[_line(c.value(r)) for c in columns] for r in rows]
    if fmt == "md":
        out = [f"# {md_escape(title)}", "", f"{len(rows)} rows", ""]
        out.append("| " + " | ".join(c.name.lower() for c in columns) + " |")
        out.append("|" + "|".join("---:" if c.numeric else "---" for c in columns) + "|")
        out += ["| " + " | ".join(md_escape(v) or " " for v in row) + " |" for row in cells]
        return "\n".join(out) + "\n"
    if fmt == "html":
        body = [f"<p>{len(rows)} rows</p>", "<table>", "<thead><tr>"]
        body += [f"<th>{_esc(c.name.lower())}</th>" for c in columns]
        body.append("</tr></thead>")
        body.append("<tbody>")
        for row in cells:
            tds = "".join(
                f'<td class="n">{_esc(v)}</td>' if c.numeric else f"<td>{_esc(v)}</td>"
                for c, v in zip(columns, row, strict=True)
            )
            body.append(f"<tr>{tds}</tr>")
        body += ["</tbody>", "</table>"]
        return _page(title, body)
    head = [c.name for c in columns]
    widths = [max(len(r[i]) for r in (head, *cells)) for i in range(len(columns) - 1)]
    lines = []
    for r in (head, *cells):
        padded = [
            v.rjust(w) if c.numeric else v.ljust(w) for v, w, c in zip(r, widths, columns, strict=False)
        ]
        lines.append("  ".join([*padded, r[-1]]).rstrip())
    return "\n".join(lines) + "\n"


_PAPER_COLUMNS = (
    _Column("ID", lambda p: str(p.id), True),
    _Column("VERSIONS", lambda p: str(p.versions), True),
    _Column("SIGHTINGS", lambda p: str(p.sightings), True),
    _Column("FIRST", lambda p: f"#{p.first_snapshot} {p.first_day}"),
    _Column("LAST", lambda p: f"#{p.last_snapshot} {p.last_day}"),
    _Column("KEY", lambda p: p.key or "-"),
    _Column("TITLE", lambda p: p.title),
)

_SNAPSHOT_COLUMNS = (
    _Column("ID", lambda s: str(s.id), True),
    _Column("DAY", lambda s: s.day),
    _Column("ENTRIES", lambda s: str(s.entries), True),
    _Column("NEW", lambda s: str(s.new_papers), True),
    _Column("VERSIONS", lambda s: str(s.new_versions), True),
    _Column("HASH", lambda s: s.hash[:16]),
    _Column("ADDED", lambda s: s.added_at),
    _Column("PATH", lambda s: s.path or "-"),
)


def render_papers(papers: Sequence[PaperRecord], fmt: str, title: str = "papers") -> str:
    """A listing of papers: id, versions, sightings, first and last snapshot, key, current title."""
    if fmt == "json":
        return dump_json([p.to_dict() for p in papers])
    return _table(papers, _PAPER_COLUMNS, fmt, title)


def render_snapshots(snaps: Sequence[SnapshotRecord], fmt: str, title: str = "snapshots") -> str:
    """A listing of snapshots: id, day, entries, new papers and versions, hash, when added, path."""
    if fmt == "json":
        return dump_json([s.to_dict() for s in snaps])
    return _table(snaps, _SNAPSHOT_COLUMNS, fmt, title)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _headline(h: PaperHistory) -> tuple[str, str]:
    p = h.paper
    name = f"paper {p.id}" + (f" ({p.key})" if p.key else "") + f": {_line(p.title)}"
    summary = (
        f"{_plural(p.sightings, 'sighting')}, {_plural(p.versions, 'version')}; first in snapshot "
        f"{p.first_snapshot} ({p.first_day}), last in snapshot {p.last_snapshot} ({p.last_day})"
    )
    return name, summary


def _how(how: str, similarity: float | None) -> str:
    text = "first sight" if how == "new" else f"matched by {how}"
    return text if similarity is None else f"{text}, similarity {similarity:.3f}"


def _sighting_line(s: Any) -> str:
    extra = f", upvotes {s.upvotes}" if s.upvotes is not None else ""
    how = s.how if s.similarity is None else f"{s.how} {s.similarity:.3f}"
    return f"snapshot {s.snapshot} ({s.day}) #{s.position}: version {s.version}, {how}{extra}"


def _history_text(h: PaperHistory, style: str, color: bool) -> str:
    def bold(text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if color else text

    name, summary = _headline(h)
    out = [bold(name), summary]
    for v in h.versions:
        out += [
            "",
            bold(f"== version {v.number}: snapshot {v.snapshot} ({v.day}), {_how(v.how, v.similarity)} =="),
        ]
        for field in ("title", "abstract"):
            text = neutralise(getattr(v, field))
            d = v.changes.get(field)
            if d is not None:
                body = d.render(style)
                if style == "porcelain":
                    out.append(f"  {field}:")
                    out.extend("    " + line for line in body.splitlines())
                    continue
                text = body
            elif v.number > 1:
                text = "(unchanged)"
            out.append(f"  {field}: {text}")
    out += ["", bold("== sightings ==")]
    out += [f"  {_sighting_line(s)}" for s in h.sightings]
    return "\n".join(out) + "\n"


def _history_md(h: PaperHistory) -> str:
    name, summary = _headline(h)
    out = [f"# {md_escape(name)}", "", md_escape(summary)]
    for v in h.versions:
        out += [
            "",
            f"## version {v.number}: snapshot {v.snapshot} ({v.day}), {md_escape(_how(v.how, v.similarity))}",
        ]
        for field in ("title", "abstract"):
            d = v.changes.get(field)
            if d is not None:
                text = " ".join(d.render("markdown").split())
            elif v.number > 1:
                text = "*(unchanged)*"
            else:
                text = md_escape(getattr(v, field))
            out += ["", f"**{field}:** {text}"]
    out += ["", "## sightings", ""]
    out += [f"- {md_escape(_sighting_line(s))}" for s in h.sightings]
    return "\n".join(out) + "\n"


def _history_html(h: PaperHistory) -> str:
    name, summary = _headline(h)
    body = [f"<p>{_esc(summary)}</p>"]
    for v in h.versions:
        how = _esc(_how(v.how, v.similarity))
        body.append(f"<h2>version {v.number}: snapshot {v.snapshot} ({_esc(v.day)}), {how}</h2>")
        for field in ("title", "abstract"):
            d = v.changes.get(field)
            if d is not None:
                text = for_markup(d.render("html"))
            elif v.number > 1:
                text = "<em>(unchanged)</em>"
            else:
                text = _esc(getattr(v, field))
            body.append(f'<p class="text"><strong>{field}:</strong> {text}</p>')
    body += ["<h2>sightings</h2>", "<ul>"]
    body += [f"<li>{_esc(_sighting_line(s))}</li>" for s in h.sightings]
    body.append("</ul>")
    return _page(name, body)


def render_history(h: PaperHistory, fmt: str, *, style: str = "plain", color: bool = False) -> str:
    """A paper's history: its versions with word diffs between consecutive ones, and its sightings.
    `style` (``ansi``, ``plain``, ``porcelain``) and `color` apply to the text format."""
    if fmt == "json":
        return dump_json(h.to_dict())
    if fmt == "md":
        return _history_md(h)
    if fmt == "html":
        return _history_html(h)
    return _history_text(h, style, color)
