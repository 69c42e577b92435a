"""Snapshot dates as sortable ISO days.

Snapshots carry their listing date as displayed ("Jul 30", "Oct 15, 2024", ISO timestamps from JSON and
Atom, RFC 2822 dates from RSS). The catalog stores that text as is and, beside it, the ISO day
(``YYYY-MM-DD``) by which snapshots are ordered and ``papers(since=...)`` compares. A date without a year
("Dec 10") is the most recent such day on or before the day of ingestion: a listing page is never dated in
the future, so "Dec 10" read on 2027-01-05 is 2026-12-10, and read on 2026-12-10 it is that day. A snapshot
without a readable date gets the day it was ingested.
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


def _past(month: int, day: int, today: dt.date) -> str | None:
    """The most recent `month`/`day` on or before `today` (Feb 29 looks back to the last leap year)."""
    for year in range(today.year, today.year - 9, -1):
        try:
            found = dt.date(year, month, day)
        except ValueError:
            continue
        if found <= today:
            return found.isoformat()
    return None


def parse_day(
    text: str | None, *, default_year: int | None = None, today: dt.date | None = None
) -> str | None:
    """The ISO day of a displayed date, or None when `text` is not a date this understands.

    Understands ISO dates and timestamps, ``Mon DD[, YYYY]``, ``DD Mon [YYYY]`` (month names or their
    three-letter abbreviations, any case) and RFC 2822 dates. A missing year is `default_year` when given;
    otherwise the date is the most recent such day on or before `today` (default: today, UTC).
    """
    if not text:
        return None
    m = _ISO.match(text)
    if m:
        return _day(int(m[1]), int(m[2]), int(m[3]))
    month_day: tuple[int, int, str | None] | None = None
    m = _MONTH_DAY.match(text)
    if m and m[1].casefold() in _MONTHS:
        month_day = (_MONTHS[m[1].casefold()], int(m[2]), m[3])
    else:
        m = _DAY_MONTH.match(text)
        if m and m[2].casefold() in _MONTHS:
            month_day = (_MONTHS[m[2].casefold()], int(m[1]), m[3])
    if month_day is not None:
        month, day, year = month_day
        if year:
            return _day(int(year), month, day)
        if default_year is not None:
            return _day(default_year, month, day)
        if _day(2000, month, day) is None:  # no such day in any year (2000 was a leap year)
            return None
        return _past(month, day, today or dt.datetime.now(dt.UTC).date())
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.date().isoformat()
