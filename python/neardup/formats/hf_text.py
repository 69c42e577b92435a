"""Reader for ``hf-text``: the text of a Hugging Face Daily Papers page (DESIGN §4).

The file is a header of one-line paragraphs ending with the page date, then entries: a one-line
title, an abstract paragraph and, on some pages, a three-line meta block (``  • 5 authors`` or an
organisation line, then ``·``, then the date and an optional upvote count). Paragraphs are separated
by blank lines; the last line may lack its newline; CRLF line ends, a UTF-8 BOM and trailing blank
lines are tolerated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from neardup.formats.fields import FieldSpec
from neardup.formats.names import HEADER, HEADER_LINES
from neardup.formats.source import Source
from neardup.model import Entry

__all__ = ["HEADER", "HEADER_LINES", "read", "render"]

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_PAGE_DATE = re.compile(rf"{_MONTH} [0-9]{{1,2}}(?:, [0-9]{{4}})?")
_META_DATE = re.compile(
    rf"(?P<date>{_MONTH} [0-9]{{1,2}}(?:, [0-9]{{4}})?)(?:\s+(?P<upvotes>[0-9]{{1,12}}))?"
)
_AUTHOR_COUNT = re.compile(r"\s*•\s*(?P<count>[0-9]{1,9})\s+authors?\s*")
_META_DOT = "·"
MAX_TITLE_CHARS = 400
"""Longer "titles" are abstracts whose title is missing."""


@dataclass(frozen=True, slots=True)
class _Paragraph:
    line: int  # 1-based line of its first line
    lines: list[str]  # without line ends


def _paragraphs(source: Source) -> Iterator[_Paragraph]:
    current: list[str] = []
    start = 0
    for number, text in source.text_lines():
        text = text.rstrip("\r\n")
        if text.strip():
            if not current:
                start = number
            current.append(text)
        elif current:
            yield _Paragraph(start, current)
            current = []
    if current:
        yield _Paragraph(start, current)


def _looks_like_meta(paragraph: _Paragraph) -> bool:
    lines = paragraph.lines
    return (len(lines) >= 2 and lines[1].strip() == _META_DOT) or bool(_AUTHOR_COUNT.fullmatch(lines[0]))


@dataclass(slots=True)
class _Meta:
    authors_count: int | None = None
    organization: str | None = None
    published: str | None = None
    upvotes: int | None = None


class _Parser:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.entries: list[Entry] = []

    def meta(self, paragraph: _Paragraph) -> _Meta:
        lines = paragraph.lines
        if len(lines) != 3 or lines[1].strip() != _META_DOT:
            got = f"{len(lines)} line{'s' if len(lines) != 1 else ''}"
            raise self.source.error(paragraph.line, "a meta block of three lines (authors, '·', date)", got)
        meta = _Meta()
        count = _AUTHOR_COUNT.fullmatch(lines[0])
        if count is not None:
            meta.authors_count = int(count["count"])
        else:
            meta.organization = lines[0].strip()
        date = _META_DATE.fullmatch(lines[2].strip())
        if date is None:
            raise self.source.error(
                paragraph.line + 2,
                "a date like 'Jul 30' or 'Oct 15, 2024', optionally followed by upvotes",
                repr(lines[2].strip()),
            )
        meta.published = date["date"]
        if date["upvotes"] is not None:
            meta.upvotes = int(date["upvotes"])
        return meta

    def check_title(self, paragraph: _Paragraph) -> str:
        if _looks_like_meta(paragraph):
            raise self.source.error(paragraph.line, "a title", "a meta block with no entry before it")
        if len(paragraph.lines) != 1:
            got = f"a paragraph of {len(paragraph.lines)} lines"
            raise self.source.error(paragraph.line, "a one-line title", got)
        title = paragraph.lines[0].strip()
        if "\r" in title:
            got = "a carriage return inside the line (CR-only line ends?)"
            raise self.source.error(paragraph.line, "LF or CRLF line ends", got)
        if title in HEADER_LINES:
            got = f"the page header line {title!r} again (two pages in one file?)"
            raise self.source.error(paragraph.line, "a title", got)
        if len(title) > MAX_TITLE_CHARS:
            raise self.source.error(
                paragraph.line, "a title", f"{len(title)} characters (an abstract with no title?)"
            )
        return title

    def add(self, title: _Paragraph, abstract: _Paragraph, meta: _Meta | None) -> None:
        meta = meta or _Meta()
        self.entries.append(
            Entry(
                title=title.lines[0].strip(),
                abstract="\n".join(line.strip() for line in abstract.lines),
                authors_count=meta.authors_count,
                organization=meta.organization,
                published=meta.published,
                upvotes=meta.upvotes,
                position=len(self.entries),
                line=title.line,
            )
        )

    def run(self) -> tuple[list[Entry], str | None]:
        paragraphs = _paragraphs(self.source)
        date: str | None = None
        seen_header = False
        title: _Paragraph | None = None
        abstract: _Paragraph | None = None
        for paragraph in paragraphs:
            if not self.entries and title is None:  # still in the header?
                only = paragraph.lines[0].strip() if len(paragraph.lines) == 1 else None
                if only in HEADER_LINES:
                    seen_header = True
                    continue
                if seen_header and date is None and only and _PAGE_DATE.fullmatch(only):
                    date = only
                    continue
            if title is None:
                self.check_title(paragraph)
                title = paragraph
            elif abstract is None:
                if _looks_like_meta(paragraph):
                    raise self.source.error(
                        paragraph.line,
                        f"an abstract after the title on line {title.line}",
                        "a meta block",
                    )
                abstract = paragraph
            elif _looks_like_meta(paragraph):
                self.add(title, abstract, self.meta(paragraph))
                title = abstract = None
            else:
                self.add(title, abstract, None)
                self.check_title(paragraph)
                title, abstract = paragraph, None
        if title is not None:
            if abstract is None:
                raise self.source.error(
                    title.line, "an abstract after this title", "end of file (truncated entry?)"
                )
            self.add(title, abstract, None)
        return self.entries, date


def read(source: Source, spec: FieldSpec) -> tuple[list[Entry], str | None]:
    """Read the entries and the page date of an ``hf-text`` snapshot (`spec` is not used)."""
    return _Parser(source).run()


def _meta_paragraph(entry: Entry) -> str | None:
    if entry.published is None:
        return None
    if entry.authors_count is not None:
        who = f"  • {entry.authors_count} authors"
    elif entry.organization is not None:
        who = entry.organization
    elif entry.authors is not None:
        who = f"  • {len(entry.authors)} authors"
    else:
        raise ValueError(f"entry {entry.title!r} has a date but no author count or organization")
    when = entry.published if entry.upvotes is None else f"{entry.published} {entry.upvotes}"
    return f"{who}\n{_META_DOT}\n{when}"


def render(entries: Iterable[Entry], date: str | None = None) -> str:
    """Write entries in the ``hf-text`` format (the inverse of `read`), without a final newline.

    Entries with a ``published`` date get a meta block (author count or organisation, ``·``, date
    and upvotes). Raises ValueError for text the format cannot hold: a title that is empty or spans
    lines, an empty abstract, or an abstract containing a blank line.
    """
    paragraphs = list(HEADER)
    if date is not None:
        paragraphs.append(date)
    for entry in entries:
        title = entry.title.strip()
        if not title or "\n" in title or "\r" in title:
            raise ValueError(f"title {entry.title!r} must be one non-empty line")
        lines = [line.strip() for line in entry.abstract.strip().splitlines()]
        if not lines or not all(lines):
            raise ValueError(f"abstract of {title!r} must be non-empty without blank lines")
        paragraphs += [title, "\n".join(lines)]
        meta = _meta_paragraph(entry)
        if meta is not None:
            paragraphs.append(meta)
    return "\n\n".join(paragraphs)
