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
