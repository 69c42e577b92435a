"""``neardup catalog …``: the command-line face of `neardup.Catalog`, a thin layer over its API.

Data go to stdout, one-line diagnostics to stderr. Failures raise `neardup.NeardupError` subclasses
(`CatalogError`: not a catalog, newer schema, busy, no such paper; `SnapshotFormatError`) or `ValueError`,
which ``neardup.cli.main`` reports on one line with exit status 2. This module does not import
``neardup.cli`` (which registers the group), so either can be imported first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from neardup import formats
from neardup.catalog import DEFAULT_TIMEOUT, Catalog, PaperHistory, PaperRecord
from neardup.catalog.records import SnapshotRecord
from neardup.cli_output import write_output
from neardup.report.json import dumps as strict_json
from neardup.terminal import neutralise

__all__ = ["catalog"]

_STYLE = {"color": "ansi", "plain": "plain", "porcelain": "porcelain"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _dump(value: Any) -> str:
    return strict_json(value, indent=2) + "\n"


def _out(text: str) -> None:
    # Every write checked (a full disk, a closed pipe): exit 2 with one line, never a cut listing.
    write_output(text, None)


_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)


@click.group("catalog")
def catalog() -> None:
    """A history of papers across many snapshots, kept in an SQLite database DB.

    Each snapshot added is reconciled against the papers already known (key, then normalised title,
    then verified near-duplicate text), so each paper appears once, with every listing (sighting) and
    every text revision (version)."""


@catalog.command("add")
@click.argument("db", type=str)
@click.argument("snapshots", nargs=-1, required=True, type=str)
@click.option(
    "--from",
    "from_format",
    type=click.Choice(["auto", *formats.FORMATS]),
    default="auto",
    show_default=True,
    help="Input format of the snapshots.",
)
@click.option("--id-field", default=None, help="Field holding the id (jsonl, csv, hf-json).")
@click.option("--title-field", default=None, help="Field holding the title.")
@click.option("--abstract-field", default=None, help="Field holding the abstract.")
@click.option(
    "--date",
    default=None,
    help="Listing date to record (YYYY-MM-DD) instead of the snapshot's own; one SNAPSHOT only.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.0),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for another process writing to DB before failing as busy.",
)
@_format_option
def add_command(
    db: str,
    snapshots: Sequence[str],
    from_format: str,
    id_field: str | None,
    title_field: str | None,
    abstract_field: str | None,
    date: str | None,
    timeout: float,
    fmt: str,
) -> int:
    """Add SNAPSHOT files to the catalog DB (created if missing), in the order given, each in its own
    transaction. A snapshot already in the catalog (same content hash) is skipped and reported so.

    Prints one line per snapshot: new papers, new versions, sightings. Exit status 0, or 2 on trouble
    (the snapshots before the failing one stay added)."""
    if date is not None and len(snapshots) != 1:
        raise click.UsageError("--date applies to a single SNAPSHOT")
    if snapshots.count("-") > 1:
        raise click.UsageError("standard input ('-') can be read only once")
    results = []
    with Catalog(db, timeout=timeout) as cat:
        for path in snapshots:
            snapshot = formats.read_snapshot(
                path,
                from_format,
                id_field=id_field,
                title_field=title_field,
                abstract_field=abstract_field,
            )
            result = cat.add(snapshot, date=date)
            if fmt == "text":
                _out(result.summary_line() + "\n")
            results.append(result.to_dict())
    if fmt == "json":
        _out(_dump(results))
    return 0


def _papers_text(papers: Sequence[PaperRecord]) -> str:
    head = ("ID", "VERSIONS", "SIGHTINGS", "FIRST", "LAST", "KEY", "TITLE")
    rows = [
        (
            str(p.id),
            str(p.versions),
            str(p.sightings),
            f"#{p.first_snapshot} {p.first_day}",
            f"#{p.last_snapshot} {p.last_day}",
            neutralise(p.key or "-", one_line=True),
            neutralise(" ".join(p.title.split())),
        )
        for p in papers
    ]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head) - 1)]
    lines = []
    for r in (head, *rows):
        cells = [c.rjust(w) if i < 3 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=False))]
        lines.append("  ".join([*cells, r[-1]]).rstrip())
    return "\n".join(lines) + "\n"


@catalog.command("papers")
@click.argument("db", type=str)
@_format_option
@click.option(
    "--since",
    default=None,
    metavar="DATE",
    help="Only papers listed in a snapshot of DATE (YYYY-MM-DD) or later.",
)
def papers_command(db: str, fmt: str, since: str | None) -> int:
    """List the papers of the catalog DB: id, versions, sightings, first and last snapshot (id and
    day), key and current title, in order of first sight."""
    with Catalog(db, create=False) as cat:
        papers = cat.papers(since=since)
    _out(_dump([p.to_dict() for p in papers]) if fmt == "json" else _papers_text(papers))
    return 0


def _history_text(h: PaperHistory, style: str, color: bool) -> str:
    p = h.paper

    def bold(text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if color else text

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    key = f" ({neutralise(p.key, one_line=True)})" if p.key else ""
    out = [bold(f"paper {p.id}{key}: {neutralise(' '.join(p.title.split()))}")]
    out.append(
        f"{plural(p.sightings, 'sighting')}, {plural(p.versions, 'version')}; first in snapshot "
        f"{p.first_snapshot} ({p.first_day}), last in snapshot {p.last_snapshot} ({p.last_day})"
    )
    for v in h.versions:
        how = "first sight" if v.how == "new" else f"matched by {v.how}"
        if v.similarity is not None:
            how += f", similarity {v.similarity:.3f}"
        out += ["", bold(f"== version {v.number}: snapshot {v.snapshot} ({v.day}), {how} ==")]
        for name in ("title", "abstract"):
            text = neutralise(getattr(v, name))
            d = v.changes.get(name)
            if d is not None:
                body = d.render(style)
                if style == "porcelain":
                    out.append(f"  {name}:")
                    out.extend("    " + line for line in body.splitlines())
                    continue
                text = body
            elif v.number > 1:
                text = "(unchanged)"
            out.append(f"  {name}: {text}")
    out += ["", bold("== sightings ==")]
    for s in h.sightings:
        extra = f", upvotes {s.upvotes}" if s.upvotes is not None else ""
        how = s.how if s.similarity is None else f"{s.how} {s.similarity:.3f}"
        out.append(f"  snapshot {s.snapshot} ({s.day}) #{s.position}: version {s.version}, {how}{extra}")
    return "\n".join(out) + "\n"


@catalog.command("show")
@click.argument("db", type=str)
@click.argument("paper", type=str)
@_format_option
@click.option(
    "--word-diff",
    type=click.Choice(["color", "plain", "porcelain"]),
    default="color",
    show_default=True,
    help="How word changes between versions show in the text output.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output (auto: only on a terminal, and not when NO_COLOR is set).",
)
def show_command(db: str, paper: str, fmt: str, word_diff: str, color: str) -> int:
    """Show the history of PAPER (an id, or a key such as arxiv:2407.01234) in the catalog DB: its
    versions with word diffs between consecutive ones, and every sighting."""
    with Catalog(db, create=False) as cat:
        history = cat.history(paper)
    if fmt == "json":
        _out(_dump(history.to_dict()))
        return 0
    use_color = _use_color(color)
    style = _STYLE[word_diff]
    if style == "ansi" and not use_color:
        style = "plain"
    _out(_history_text(history, style, use_color))
    return 0


def _snapshots_text(snaps: Sequence[SnapshotRecord]) -> str:
    head = ("ID", "DAY", "ENTRIES", "NEW", "VERSIONS", "HASH", "ADDED", "PATH")
    rows = [
        (
            str(s.id),
            s.day,
            str(s.entries),
            str(s.new_papers),
            str(s.new_versions),
            s.hash[:16],
            s.added_at,
            neutralise(s.path or "-", one_line=True),
        )
        for s in snaps
    ]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head) - 1)]
    numeric = {0, 2, 3, 4}
    lines = []
    for r in (head, *rows):
        cells = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=False))
        ]
        lines.append("  ".join([*cells, r[-1]]).rstrip())
    return "\n".join(lines) + "\n"


@catalog.command("snapshots")
@click.argument("db", type=str)
@_format_option
def snapshots_command(db: str, fmt: str) -> int:
    """List the snapshots ingested into the catalog DB: id, day, entries, new papers, new versions,
    content hash, when added, path."""
    with Catalog(db, create=False) as cat:
        snaps = cat.snapshots()
    _out(_dump([s.to_dict() for s in snaps]) if fmt == "json" else _snapshots_text(snaps))
    return 0
