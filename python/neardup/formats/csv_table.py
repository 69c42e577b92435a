"""Reader for ``csv``: a header row, then one record per row, fields separated by the delimiter named
(``FieldSpec.delimiter``) or sniffed from the header (`sniff_delimiter`). Quoted fields may span lines;
each entry's ``line`` is the first line of its row. Text in other encodings than UTF-8 is transcoded
before it gets here (`neardup.formats.source.open_source`)."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from neardup.formats.fields import TITLE_FIELDS, FieldSpec, RecordMapper
from neardup.formats.names import DELIMITERS, sniff_delimiter
from neardup.formats.source import Source
from neardup.model import Entry

__all__ = ["DELIMITERS", "read", "sniff_delimiter"]


def _resolve(header: list[str], name: str | None) -> str | None:
    """The header's spelling of `name`, matched case-insensitively."""
    if name is None:
        return None
    if name in header:
        return name
    lowered = {column.lower(): column for column in reversed(header)}
    return lowered.get(name.lower())


def read(source: Source, spec: FieldSpec) -> tuple[list[Entry], str | None]:
    """Read the entries of a ``csv`` snapshot."""

    def lines() -> Iterator[str]:
        for _, text in source.text_lines():
            yield text

    stream = lines()
    first = next(stream, None)
    if first is None:  # pragma: no cover - empty files are refused when opened
        raise source.error(None, "a header row", "an empty file")
    delimiter = spec.delimiter or sniff_delimiter(first.rstrip("\r\n"))

    def replay() -> Iterator[str]:
        yield first
        yield from stream

    reader = csv.reader(replay(), delimiter=delimiter, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
        line = reader.line_num + 1
        fields: dict[str, str | None] = {}
        for what, name in (
            ("id", spec.id_field),
            ("title", spec.title_field),
            ("abstract", spec.abstract_field),
        ):
            column = _resolve(header, name)
            if name is not None and column is None:
                raise source.error(1, f"a column {name!r} ({what})", "columns " + ", ".join(header))
            fields[what] = column
        if fields["title"] is None and not any(n.lower() in TITLE_FIELDS for n in header):
            names = ", ".join(TITLE_FIELDS)
            raise source.error(
                1, f"a header row with a title column ({names})", "columns " + ", ".join(header)
            )
        lowered = {column.lower(): column for column in reversed(header)}
        mapper = RecordMapper(
            source,
            FieldSpec(fields["id"], fields["title"], fields["abstract"], spec.keep_extra, delimiter),
        )
        entries: list[Entry] = []
        for row in reader:
            if row and any(cell.strip() for cell in row):
                if len(row) != len(header):
                    raise source.error(
                        line, f"a row of {len(header)} fields like the header", f"{len(row)} fields"
                    )
                record = dict(zip(header, row, strict=True))
                for name in ("title", "abstract", "summary", "id", "authors", "upvotes"):
                    column = lowered.get(name)
                    if column is not None and column != name and name not in record:
                        record[name] = record.pop(column)
                entries.append(mapper.entry(record, len(entries), line))
            line = reader.line_num + 1
    except csv.Error as error:
        raise source.error(reader.line_num or 1, "a CSV row", str(error)) from None
    return entries, None
