"""Defaults and names that the command line needs as soon as it starts (click option defaults and
choices), in a module without imports.

They live here rather than in `neardup.reconcile` and `neardup.report` (which re-export them) so that
``neardup diff`` on JSON Lines, whose work runs in the Rust core, does not pay for importing those
modules at start-up.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_CONTEXT",
    "DEFAULT_DUPLICATE_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "REPORT_FORMATS",
    "threshold_problem",
]

#: The least score of a near match: the summed log-likelihood ratio (natural log) of the evidence of
#: title, abstract, authors, categories and year (`rust/neardup-core/src/engine/near/decide.rs`), which must
#: also beat each side's runner-up by a margin. 3 is e^3 ≈ 20 times likelier the same paper than not.
DEFAULT_THRESHOLD = 3.0
#: The least threshold taken: below 1, a value is most likely meant for the old rule (an IDF-weighted
#: Jaccard in (0, 1], default 0.07) and would loosen the new one far below its calibration.
MIN_THRESHOLD = 1.0


def threshold_problem(value: float) -> str | None:
    """Why `value` is no near-match threshold, or None when it is one."""
    if MIN_THRESHOLD <= value < float("inf"):  # NaN fails too
        return None
    return (
        f"must be a number >= {MIN_THRESHOLD:g}, the least evidence score of a near match (a "
        f"log-likelihood ratio, default {DEFAULT_THRESHOLD:g}), got {value!r}; values in (0, 1] were the "
        "old rule's word-similarity threshold, which no longer applies"
    )


#: Minimum word-3-gram Jaccard for two entries of one snapshot to count as the same paper listed twice.
DEFAULT_DUPLICATE_THRESHOLD = 0.8

REPORT_FORMATS: tuple[str, ...] = ("text", "json", "jsonl", "md", "html")
"""The report formats of `neardup.report.render` (``neardup.report.FORMATS``)."""
WORD_DIFF_CHOICES: tuple[str, ...] = ("color", "plain", "porcelain")
"""How word changes show in a text report (``--word-diff``, `neardup.report.render`'s ``word_diff``)."""
COLOR_CHOICES: tuple[str, ...] = ("auto", "always", "never")
"""When the CLI colours its text output (``--color``)."""
DEFAULT_CONTEXT = 8
"""Words of unchanged text the CLI's text, md and html reports keep around each change of a word diff
(``--context``; the API renders whole texts unless asked)."""
