"""Snapshot dates as sortable ISO days.

Snapshots carry their listing date as displayed ("Jul 30", "Oct 15, 2024", ISO timestamps from JSON and
Atom, RFC 2822 dates from RSS). The catalog stores that text as is and, beside it, the ISO day
(``YYYY-MM-DD``) that ``papers(since=...)`` compares against. A date without a year is in the year of
ingestion (DESIGN §4: "no year = the current year"); a snapshot without a readable date gets the day it was
ingested.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

__all__ = ["parse_day"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:$|[T\s])")
_MONTH_DAY = re.compile(r"^\s*([A-Za-z]+)\.?\s+(\d{1,2})(?:(?:,\s*|\s+)(\d{4}))?\s*$")
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})\s+([A-Za-z]+)\.?(?:\s+(\d{4}))?\s*$")


def _day(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_day(text: str | None, *, default_year: int) -> str | None:
    """The ISO day of a displayed date, or None when `text` is not a date this understands.

    Understands ISO dates and timestamps, ``Mon DD[, YYYY]``, ``DD Mon [YYYY]`` (month names or their
    three-letter abbreviations, any case) and RFC 2822 dates; a missing year is `default_year`.
    """
    if not text:
        return None
    m = _ISO.match(text)
    if m:
        return _day(int(m[1]), int(m[2]), int(m[3]))
    m = _MONTH_DAY.match(text)
    if m and m[1].casefold() in _MONTHS:
        return _day(int(m[3]) if m[3] else default_year, _MONTHS[m[1].casefold()], int(m[2]))
    m = _DAY_MONTH.match(text)
    if m and m[2].casefold() in _MONTHS:
        return _day(int(m[3]) if m[3] else default_year, _MONTHS[m[2].casefold()], int(m[1]))
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.date().isoformat()
