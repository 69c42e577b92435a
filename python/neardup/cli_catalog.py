"""``neardup catalog …``: the command-line face of `neardup.Catalog`, a thin layer over its API.

Data go to stdout (or atomically to ``-o FILE``); one-line diagnostics, and the progress bar of ``add`` on
a terminal, go to stderr. Every listing is text, JSON, Markdown or HTML (`neardup.catalog.render`).
Failures raise `neardup.NeardupError` subclasses (`CatalogError`: not a catalog, newer schema, busy, no
such paper; `SnapshotFormatError`) or `ValueError`, which ``neardup.cli.main`` reports on one line with
exit status 2. This module does not import ``neardup.cli`` (which registers the group), so either can be
imported first.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from neardup.catalog import DEFAULT_TIMEOUT, Catalog, CatalogError
from neardup.catalog.render import FORMATS, dump_json, render_history, render_papers, render_snapshots
from neardup.cli_output import write_output
from neardup.defaults import COLOR_CHOICES, WORD_DIFF_CHOICES
from neardup.formats.cli_options import choice_option, input_options, source_options

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

__all__ = ["catalog"]

_STYLE = {"color": "ansi", "plain": "plain", "porcelain": "porcelain"}
_PHASES = ("reading", "grouping", "matching")


def _use_color(choice: str, output: str | None) -> bool:
    if choice == "always":
        return True
    if choice == "never" or (output is not None and output != "-"):
        return False
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _out(text: str) -> None:
    # Every write checked (a full disk, a closed pipe): exit 2 with one line, never a cut listing.
    write_output(text, None)


_format_option = choice_option("--format", "fmt", choices=FORMATS, default="text", help="Output format.")
_output_option = click.option(
    "-o",
    "--output",
    type=str,
    default=None,
    metavar="FILE",
    help="Write to FILE (replaced atomically, only once complete) instead of standard output.",
)


@click.group("catalog")
def catalog() -> None:
    """A history of papers across many snapshots, kept in an SQLite database DB.

    Each snapshot added is reconciled against the papers already known (key, then normalised title,
    then verified near-duplicate text), so each paper appears once, with every listing (sighting) and
    every distinct text (version). Snapshots are ordered by their date, whatever order they were added
    in."""


@contextmanager
def _progress(total: int) -> Iterator[Callable[[str, str], None]]:
    """A progress bar on stderr over the phases of adding `total` snapshots, only when stderr is a
    terminal; yields a callback taking (snapshot name, phase)."""
    if not sys.stderr.isatty():
        yield lambda _name, _phase: None
        return
    label = {"text": ""}

    def show(_item: int | None) -> str:
        return label["text"]

    bar: ProgressBar[int | None]
    with click.progressbar(
        length=total * len(_PHASES),
        label="neardup catalog add",
        file=sys.stderr,
        item_show_func=show,
        show_pos=False,
    ) as bar:
        started = {"phases": 0}

        def step(name: str, phase: str) -> None:
            # The bar shows the phases finished: the one starting now is named beside it.
            label["text"] = f"{phase} {name}"
            bar.update(1 if started["phases"] else 0)
            started["phases"] += 1

        yield step


@catalog.command("add")
@click.argument("db", type=str)
@click.argument("snapshots", nargs=-1, required=True, type=str)
@source_options("the snapshots")
@input_options
@click.option(
    "--date",
    default=None,
    help="Listing date to record (YYYY-MM-DD, or e.g. 'Jul 30') instead of the snapshot's own; one "
    "SNAPSHOT only.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.0),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for another process writing to DB before failing as busy.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def add_command(
    db: str,
    snapshots: Sequence[str],
    from_format: str,
    id_field: str | None,
    title_field: str | None,
    abstract_field: str | None,
    encoding: str | None,
    delimiter: str | None,
    date: str | None,
    timeout: float,
    fmt: str,
) -> int:
    """Add SNAPSHOT files to the catalog DB (created if missing), each in its own transaction.

    Each snapshot takes its place in history by its date (its own, or --date; a date without a year is
    the latest such day up to today; no date at all is today), so a backfilled snapshot may be added
    after later ones. The same listing on the same day is skipped and reported so; on another day it
    is recorded as that day's sightings.

    Prints one line per snapshot: new papers, new versions, sightings; a progress bar on stderr when it
    is a terminal. Exit status 0, or 2 on trouble (the snapshots before the failing one stay added)."""
    if date is not None and len(snapshots) != 1:
        raise click.UsageError("--date applies to a single SNAPSHOT")
    if snapshots.count("-") > 1:
        raise click.UsageError("standard input ('-') can be read only once")
    results = []
    lines: list[str] = []
    with Catalog(db, timeout=timeout) as cat, _progress(len(snapshots)) as step:
        for path in snapshots:
            result = cat.add_file(
                path,
                from_format=from_format,
                id_field=id_field,
                title_field=title_field,
                abstract_field=abstract_field,
                encoding=encoding,
                delimiter=delimiter,
                date=date,
                progress=functools.partial(step, path),
            )
            if fmt == "text":
                if sys.stderr.isatty():
                    lines.append(result.summary_line() + "\n")  # printed below the finished bar
                else:
                    _out(result.summary_line() + "\n")
            results.append(result.to_dict())
    if lines:
        _out("".join(lines))
    if fmt == "json":
        _out(dump_json(results))
    return 0


@catalog.command("papers")
@click.argument("db", type=str)
@_format_option
@_output_option
@click.option(
    "--since",
    default=None,
    metavar="DATE",
    help="Only papers listed in a snapshot of DATE (YYYY-MM-DD) or later.",
)
def papers_command(db: str, fmt: str, output: str | None, since: str | None) -> int:
    """List the papers of the catalog DB: id, versions, sightings, first and last snapshot (id and
    day), key and current title, in date order of first sight."""
    with Catalog(db, create=False) as cat:
        papers = cat.papers(since=since)
    write_output(render_papers(papers, fmt, "papers"), output)
    return 0


@catalog.command("dropped")
@click.argument("db", type=str)
@click.option(
    "--since",
    default=None,
    metavar="SNAPSHOT|DATE",
    help="From this snapshot id, or from the first snapshot of this day (YYYY-MM-DD); default: the "
    "snapshot before the latest.",
)
@_format_option
@_output_option
def dropped_command(db: str, since: str | None, fmt: str, output: str | None) -> int:
    """List the papers that dropped out of the listings of the catalog DB: those listed in some
    snapshot from --since on (in date order) but absent from the latest snapshot (the last by date).

    --since SNAPSHOT (an id, as 'catalog snapshots' shows) starts at that snapshot, --since DATE at the
    first snapshot of that day; without it, the papers of the previous snapshot that the latest one
    lacks. Ordered by when each was last listed. Exit status 0 (also when the list is empty)."""
    with Catalog(db, create=False) as cat:
        papers = cat.dropped(since)
    write_output(render_papers(papers, fmt, "dropped papers"), output)
    return 0


def _show(db: str, paper: str, fmt: str, output: str | None, word_diff: str, color: str) -> int:
    with Catalog(db, create=False) as cat:
        found = cat.find(paper)
        if not found:
            raise CatalogError(db, f"no paper {paper.strip()!r} in the catalog")
        if len(found) > 1:
            shown = found[:20]
            more = f" (the first {len(shown)})" if len(found) > len(shown) else ""
            sys.stderr.write(
                f"neardup: {db}: {paper.strip()!r} matches {len(found)} papers{more}; "
                "name one by its id:\n" + render_papers(shown, "text")
            )
            sys.stderr.flush()
            return 2
        history = cat.history(found[0].id)
    use_color = _use_color(color, output)
    style = _STYLE[word_diff]
    if style == "ansi" and not use_color:
        style = "plain"
    write_output(render_history(history, fmt, style=style, color=use_color), output)
    return 0


@click.argument("db", type=str)
@click.argument("paper", type=str)
@_format_option
@_output_option
@choice_option(
    "--word-diff",
    choices=WORD_DIFF_CHOICES,
    default="color",
    help="How word changes between versions show in the text output.",
)
@choice_option(
    "--color",
    choices=COLOR_CHOICES,
    default="auto",
    help="Colour the text output (auto: only on a terminal, and not when NO_COLOR is set).",
)
def show_command(db: str, paper: str, fmt: str, output: str | None, word_diff: str, color: str) -> int:
    """Show the history of PAPER in the catalog DB: its versions with word diffs between consecutive
    ones, and every sighting.

    PAPER is an id, a key (arxiv:2407.01234, 2407.01234, a DOI) or a title: the normalised title
    exactly, else the titles containing every word given, else the closest titles by spelling. When
    several papers match, they are listed on stderr (id, …, title) and the exit status is 2."""
    return _show(db, paper, fmt, output, word_diff, color)


_show_command = catalog.command("show")(show_command)
catalog.add_command(
    click.Command(
        "history",
        params=list(_show_command.params),
        callback=show_command,
        help="The same as 'show': the history of PAPER (an id, a key or a title).",
        short_help="The same as 'show'.",
    )
)


@catalog.command("snapshots")
@click.argument("db", type=str)
@_format_option
@_output_option
def snapshots_command(db: str, fmt: str, output: str | None) -> int:
    """List the snapshots of the catalog DB in date order (by day, then order of ingestion): id,
    day, entries, new papers, new versions, content hash, when added, path."""
    with Catalog(db, create=False) as cat:
        snaps = cat.snapshots()
    write_output(render_snapshots(snaps, fmt, "snapshots"), output)
    return 0
