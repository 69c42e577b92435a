"""Reader for ``arxiv-atom``: arXiv API Atom feeds and arXiv listing RSS (2.0 and old RDF 1.0).

Parsed incrementally with ElementTree's pull parser (the engine behind ``iterparse``), fed a line
at a time so that each entry knows its line; every finished entry is dropped from the tree, so
memory stays flat however long the feed. Ids and guids (``http://arxiv.org/abs/2502.13138v2``,
``oai:arXiv.org:2502.13138v2``) give the key and version; hard-wrapped titles and abstracts have
their whitespace collapsed.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Any

from neardup.formats.fields import FieldSpec
from neardup.formats.source import Source
from neardup.identity import arxiv_key, doi_key, identity_key
from neardup.model import Entry

__all__ = ["read"]

_ROOTS = frozenset({"feed", "rss", "RDF"})
_CHANNELS = frozenset({"feed", "channel", "RDF"})
_ITEMS = frozenset({"entry", "item"})
_FEED_DATES = ("updated", "pubDate", "lastBuildDate", "date")
_CHUNK = 1 << 16
_RSS_ABSTRACT_PREFIX = re.compile(r"^arXiv:\S+\s+Announce Type:\s*\S+\s+Abstract:\s*", re.DOTALL)
_RDF_TITLE_SUFFIX = re.compile(r"\.?\s*\((arXiv:\S+?)(?:\s+\[[^\]]*\])?(?:\s+\w+)?\)\s*$")
_TAG = re.compile(r"<[^>]+>")
_ARXIV_NS = "http://arxiv.org/schemas/atom"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _collapse(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _children(element: ET.Element) -> dict[str, list[ET.Element]]:
    out: dict[str, list[ET.Element]] = {}
    for child in element:
        out.setdefault(_local(child.tag), []).append(child)
    return out


def _text(children: dict[str, list[ET.Element]], name: str) -> str | None:
    found = children.get(name)
    return found[0].text if found and found[0].text is not None else None


def _strip_html(text: str) -> str:
    return html.unescape(_TAG.sub(" ", text))


class _Reader:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.entries: list[Entry] = []
        self.date: str | None = None

    def entry(self, element: ET.Element, line: int) -> Entry:
        children = _children(element)
        ident = (
            _text(children, "id")
            or _text(children, "guid")
            or element.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
            or _text(children, "link")
        )
        ident = ident.strip() if ident else None
        if ident and "arxiv.org/api/errors" in ident:
            message = _collapse(_text(children, "summary")) or ident
            raise self.source.error(line, "an arXiv feed", f"an arXiv API error: {message}")
        title = _collapse(_text(children, "title"))
        suffix = _RDF_TITLE_SUFFIX.search(title)
        if suffix is not None and arxiv_key(suffix[1]) is not None:
            title = title[: suffix.start()]  # "Title. (arXiv:1903.00003v3 [cs.CL] UPDATED)"
            about = arxiv_key(ident) if ident else None
            if about is None or about[1] is None:  # the suffix carries the version
                ident = suffix[1]
        abstract_raw = (
            _text(children, "summary") or _text(children, "description") or _text(children, "content")
        )
        abstract = _collapse(abstract_raw)
        if abstract.startswith("<"):
            abstract = _collapse(_strip_html(abstract))
        abstract = _RSS_ABSTRACT_PREFIX.sub("", abstract)
        if not title:
            tag = _local(element.tag)
            got = "an abstract with no title" if abstract else "no title"
            raise self.source.error(line, f"an <{tag}> with a <title>", got)

        key: str | None = None
        version: int | None = None
        parsed = identity_key(ident) if ident else None
        if parsed is not None:
            key, version = parsed
        extra: dict[str, Any] = {}
        doi = _text(children, "doi")
        if doi:
            extra["doi"] = doi.strip()
            if key is None:
                key = doi_key(doi)
        if key is None and ident:
            extra["id"] = ident

        authors: tuple[str, ...] | None = None
        if "author" in children:
            names = [_collapse(_text(_children(a), "name") or a.text) for a in children["author"]]
            authors = tuple(name for name in names if name)
        elif "creator" in children:
            creators = ", ".join(_strip_html(c.text or "") for c in children["creator"])
            authors = tuple(_collapse(n) for n in creators.split(",") if n.strip()) or None
        published = _text(children, "published") or _text(children, "pubDate") or _text(children, "date")
        for name in ("updated", "comment", "journal_ref", "announce_type"):
            value = _text(children, name)
            if value is not None:
                extra[name] = _collapse(value)
        categories = [c.get("term") or _collapse(c.text) for c in children.get("category", [])]
        if categories:
            extra["categories"] = [c for c in categories if c]
        primary = children.get("primary_category")
        if primary and primary[0].get("term"):
            extra["primary_category"] = primary[0].get("term")
        return Entry(
            title=title,
            abstract=abstract,
            key=key,
            version=version,
            authors=authors,
            published=published.strip() if published else None,
            position=len(self.entries),
            line=line,
            extra=extra,
        )

    def run(self) -> tuple[list[Entry], str | None]:
        parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
        stack: list[ET.Element] = []
        starts: dict[int, int] = {}
        line = 1
        read = self.source.stream.readline
        while True:
            try:
                chunk = read(_CHUNK)
            except OSError as error:
                raise self.source.io_error(line, error) from None
            try:
                try:
                    if chunk:
                        parser.feed(chunk)
                    else:
                        parser.close()
                except (LookupError, ValueError) as error:
                    # The declared encoding is unknown, not a text encoding, or multi-byte (expat
                    # takes only UTF-8/16 and single-byte encodings from Python's codecs).
                    raise self.source.error(
                        line, "an XML encoding declaration expat supports", str(error)
                    ) from None
                for item in parser.read_events():  # only start/end events: (name, element)
                    if len(item) == 2 and isinstance(item[1], ET.Element):
                        self.event(item[0], item[1], stack, starts, line)
            except ET.ParseError as error:
                got = re.sub(r": line \d+, column \d+$", "", str(error))
                raise self.source.error(error.position[0], "well-formed XML", got) from None
            if not chunk:
                break
            line += chunk.count(b"\n")
        return self.entries, self.date

    def event(
        self,
        event: str,
        element: ET.Element,
        stack: list[ET.Element],
        starts: dict[int, int],
        line: int,
    ) -> None:
        name = _local(element.tag)
        if event == "start":
            if not stack and name not in _ROOTS:
                raise self.source.error(line, "an Atom <feed> or an RSS <rss>/<rdf:RDF>", f"<{name}>")
            if name in _ITEMS and stack and _local(stack[-1].tag) in _CHANNELS:
                starts[id(element)] = line
            stack.append(element)
            return
        stack.pop()
        parent = stack[-1] if stack else None
        if id(element) in starts and parent is not None:
            self.entries.append(self.entry(element, starts.pop(id(element))))
            parent.remove(element)
        elif (
            parent is not None
            and _local(parent.tag) in _CHANNELS
            and name in _FEED_DATES
            and self.date is None
            and element.text
        ):
            self.date = element.text.strip()


def read(source: Source, spec: FieldSpec) -> tuple[list[Entry], str | None]:
    """Read the entries and the feed date of an ``arxiv-atom`` snapshot (`spec` is not used)."""
    return _Reader(source).run()
