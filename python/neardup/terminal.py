"""Neutralising control characters in what neardup prints for people: the one rule, used by every text
report, listing and diagnostic written from Python (the core applies the same rule to rendered word
diffs, ``neardup_core::diff::controls``).

A title holding ``ESC ] 0 ; … BEL`` must not retitle the reader's terminal, ``ESC [ 2 J`` or a C1 CSI must
not clear it, and a bidi override must not reorder the line it is on. Dangerous are: C0 controls other than
``\\n`` and ``\\t``, DEL, the C1 controls U+0080–U+009F, the bidirectional formatting characters
(U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), and lone surrogates (which UTF-8 cannot hold).

For a terminal (`neutralise`) each becomes a visible escape (``\\x1b``, ``\\u202e``), so nothing is
hidden; with ``one_line=True`` line breaks are escaped too (an error message is one line). For HTML and
Markdown (`for_markup`) each but ``\\r`` becomes U+FFFD.
"""

from __future__ import annotations

import re

__all__ = ["for_markup", "neutralise"]

_OTHERS = "\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_DANGEROUS = f"\x00-\x08\x0b-\x0d{_OTHERS}"
_TEXT = re.compile(f"[{_DANGEROUS}]")
_LINE = re.compile(f"[{_DANGEROUS}\n\t\u2028\u2029]")
# In markup a carriage return is only whitespace.
_MARKUP = re.compile(f"[\x00-\x08\x0b\x0c{_OTHERS}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: str, *, one_line: bool = False) -> str:
    """`text` safe to print on a terminal: dangerous characters as visible escapes (and, with
    `one_line`, line breaks and tabs too)."""
    return (_LINE if one_line else _TEXT).sub(_escape, text)


def for_markup(text: str) -> str:
    """`text` with dangerous characters replaced by U+FFFD (for HTML and Markdown)."""
    return _MARKUP.sub("\ufffd", text)
