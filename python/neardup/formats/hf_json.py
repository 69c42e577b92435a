"""Reader for ``hf-json``: the Hugging Face Daily Papers API JSON.

The document is an array of items, each with a ``paper`` object (``id``, ``title``, ``summary``,
``authors`` as ``[{"name": ...}]``, ``publishedAt``, ``upvotes``); an object wrapping that array
under ``papers``, ``dailyPapers``, ``items`` or ``data`` is accepted too. The document is parsed
item by item so that every entry, and every error, carries its line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from neardup.formats.fields import FieldSpec, RecordMapper, describe
from neardup.formats.names import LIST_KEYS
from neardup.formats.source import Source, lone_surrogate
from neardup.model import Entry

__all__ = ["LIST_KEYS", "read"]

_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()
# A \\uD800-\\uDFFF escape: the only way a lone surrogate gets into parsed JSON.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class _Walker:
    """Walks a JSON document's top level, tracking line numbers."""

    def __init__(self, source: Source, text: str) -> None:
        self.source = source
        self.text = text
        self.pos = 0
        self._line = 1
        self._counted = 0

    def line(self, pos: int | None = None) -> int:
        pos = self.pos if pos is None else pos
        if pos < self._counted:
            return self.text.count("\n", 0, pos) + 1
        self._line += self.text.count("\n", self._counted, pos)
        self._counted = pos
        return self._line

    def skip(self) -> str:
        """Skip whitespace; return the next character ("" at the end)."""
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        self.pos = pos
        return text[pos] if pos < len(text) else ""

    def expect(self, chars: str, what: str) -> str:
        char = self.skip()
        if not char or char not in chars:
            got = repr(char) if char else "end of file"
            raise self.source.error(self.line(), what, got)
        self.pos += 1
        return char

    def value(self) -> Any:
        self.skip()
        try:
            value, self.pos = _DECODER.raw_decode(self.text, self.pos)
        except json.JSONDecodeError as error:
            # Some messages end with "at" ("Unterminated string starting at"): the column follows.
            got = f"invalid JSON ({error.msg.removesuffix(' at')} at column {error.colno})"
            raise self.source.error(error.lineno, "a JSON value", got) from None
        except ValueError as error:  # e.g. an integer beyond int_max_str_digits
            raise self.source.error(self.line(), "a JSON value", f"invalid JSON ({error})") from None
        except RecursionError:
            raise self.source.error(self.line(), "JSON", "values nested too deeply") from None
        return value

    def array(self) -> Iterator[tuple[int, Any]]:
        """Yield ``(line, value)`` for each element of the array starting here."""
        self.expect("[", "a JSON array of Daily Papers items")
        if self.skip() == "]":
            self.pos += 1
            return
        while True:
            self.skip()
            line = self.line()
            yield line, self.value()
            if self.expect(",]", "',' or ']' after an array element") == "]":
                return

    def papers(self) -> Iterator[tuple[int, Any]]:
        """The items of the top-level array, or of the array under one of `LIST_KEYS`."""
        if self.skip() == "[":
            yield from self.array()
        else:
            found = False
            self.expect("{", "a JSON array of Daily Papers items")
            if self.skip() == "}":
                self.pos += 1
            else:
                while True:
                    key_line = self.line()
                    key = self.value()
                    if not isinstance(key, str):
                        raise self.source.error(key_line, "an object key", describe(key))
                    self.expect(":", "':' after an object key")
                    if key in LIST_KEYS and not found and self.skip() == "[":
                        found = True
                        yield from self.array()
                    else:
                        self.value()
                    if self.expect(",}", "',' or '}' after an object member") == "}":
                        break
            if not found:
                raise self.source.error(
                    1,
                    f"an array of items, or an object with one under {'/'.join(LIST_KEYS)}",
                    "an object without one",
                )
        if self.skip():
            raise self.source.error(self.line(), "end of file after the JSON document", "more data")


def read(source: Source, spec: FieldSpec) -> tuple[list[Entry], str | None]:
    """Read the entries of an ``hf-json`` snapshot (no date: the API JSON has none)."""
    text = source.read_text()
    walker = _Walker(source, text)
    mapper = RecordMapper(source, spec)
    entries: list[Entry] = []
    # Only a document spelling a surrogate escape needs the (slower) check of every item.
    check_surrogates = _SURROGATE_ESCAPE.search(text) is not None
    for line, item in walker.papers():
        if not isinstance(item, dict):
            raise source.error(line, "a Daily Papers item (a JSON object)", describe(item))
        lone = lone_surrogate(item) if check_surrogates else None
        if lone is not None:
            raise source.error(
                line, "valid Unicode text", f"a lone surrogate {lone} (an unpaired \\u escape)"
            )
        entries.append(mapper.entry(item, len(entries), line))
    return entries, None
