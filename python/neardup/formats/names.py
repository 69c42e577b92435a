"""Field names, wrapper keys and page headers known to both the readers and format detection.

They are kept apart, in a module without imports, so that `detect_format` (which ``neardup diff`` runs
on JSON Lines inputs before the Rust core reads them) does not import the readers at start-up. The
reader modules re-export them (``neardup.formats.fields.TITLE_FIELDS``, ``hf_text.HEADER``, ...).
"""

from __future__ import annotations

__all__ = ["ABSTRACT_FIELDS", "HEADER", "HEADER_LINES", "ID_FIELDS", "LIST_KEYS", "TITLE_FIELDS"]

ID_FIELDS = ("id", "arxiv_id", "arxiv", "paper_id", "doc_id", "doi", "url", "link", "guid")
TITLE_FIELDS = ("title", "paper_title")
ABSTRACT_FIELDS = ("abstract", "summary", "paper_abstract", "description")

LIST_KEYS = ("papers", "dailyPapers", "items", "data")
"""The keys under which an ``hf-json`` object wraps its array of items."""

HEADER = (
    "new",
    "Get trending papers in your email inbox!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
)
"""The ``hf-text`` page header's lines, in page order (each followed by a blank line, then the page
date)."""
HEADER_LINES = frozenset(HEADER)

DELIMITERS = (",", ";", "\t")
"""The delimiters a header is sniffed for, in the order that breaks ties."""


def sniff_delimiter(first: str) -> str:
    """The delimiter of a CSV file whose header row is `first`: of comma, semicolon and tab, the one
    found most often outside quotes (ties in that order; a comma when there is none). The core's reader
    (``read::csv_table::sniff_delimiter``) applies the same rule."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = DELIMITERS[0]
    for delimiter in DELIMITERS[1:]:
        if counts[delimiter] > counts[best]:
            best = delimiter
    return best
