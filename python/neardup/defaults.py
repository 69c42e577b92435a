"""Defaults and names that the command line needs as soon as it starts (click option defaults and
choices), in a module without imports.

They live here rather than in `neardup.reconcile` and `neardup.report` (which re-export them) so that
``neardup diff`` on JSON Lines, whose work runs in the Rust core, does not pay for importing those
modules at start-up.
"""

from __future__ import annotations

__all__ = ["DEFAULT_CONTEXT", "DEFAULT_DUPLICATE_THRESHOLD", "DEFAULT_THRESHOLD", "REPORT_FORMATS"]

#: Minimum near-stage score (IDF-weighted unigram+bigram Jaccard). Calibrated on the real arXiv
#: revisions (≥ 97% found at 0.07) against unrelated papers of the same field (≤ 0.045 in the seeds).
DEFAULT_THRESHOLD = 0.07
#: Minimum word-3-gram Jaccard for two entries of one snapshot to count as the same paper listed twice.
DEFAULT_DUPLICATE_THRESHOLD = 0.8

REPORT_FORMATS: tuple[str, ...] = ("text", "json", "jsonl", "md", "html")
"""The report formats of `neardup.report.render` (``neardup.report.FORMATS``)."""
DEFAULT_CONTEXT = 8
"""Words of unchanged text the CLI's text, md and html reports keep around each change of a word diff
(``--context``; the API renders whole texts unless asked)."""
