"""Corpus-scale near-duplicate clustering.

`dedup` clusters texts held in memory; `dedup_files` streams snapshot files and plain JSONL/CSV corpora.
Both run the same pipeline in the Rust core: MinHash signatures → LSH band keys → buckets of documents
sharing a band → exact shingle-Jaccard verification of bucket members → connected components. A cluster is
a connected component of the graph whose edges are the pairs that share a bucket and whose exact Jaccard
is at least the threshold, so the result does not depend on threads, chunking or sharding
(`neardup.distributed.ray.dedup` gives the same clusters).

Memory of `dedup_files`: the first pass keeps, per document, its band keys (8 bytes per band: 112 bytes at
the default threshold; the signature itself is dropped) and its id. The second pass re-reads the files and
computes shingle sets only for documents that share a bucket with another one.

``threshold=1.0`` asks for exact duplicates: documents whose normalised texts are equal (NFKC, lower case,
the sequence of words — runs of ``\\w`` — with punctuation and whitespace ignored). They are grouped by a
128-bit digest of that word sequence, in one pass and without MinHash.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, TypeAlias

from neardup import _core
from neardup._core import NeardupError
from neardup.errors import SnapshotFormatError
from neardup.formats import FORMATS, read_snapshot
from neardup.formats.detect import detect_format
from neardup.formats.fields import ABSTRACT_FIELDS, ID_FIELDS, TITLE_FIELDS, describe
from neardup.formats.jsonl import parse_object
from neardup.formats.source import Source, open_source
from neardup.model import Entry

if TYPE_CHECKING:  # numpy is imported where it is used: `import neardup` stays quick for the CLI
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "BAD_RECORD_CHOICES",
    "DEFAULT_THRESHOLD",
    "EXACT",
    "FIELDS",
    "TEXT_FIELDS",
    "DedupResult",
    "ReadSpec",
    "Record",
    "dedup",
    "dedup_files",
    "dedup_sources",
    "iter_records",
    "open_atomic",
    "records_of",
    "rereadable",
    "shingle_sets_of",
]

DEFAULT_THRESHOLD = 0.8
FIELDS: tuple[str, ...] = ("title", "abstract", "title+abstract")
"""What `field` may name: the text of a record that is compared."""
TEXT_FIELDS: tuple[str, ...] = ("text", "content", "body")
"""Fields read from JSONL/CSV records that have neither a title nor an abstract field (plain corpora)."""

_CHUNK = 4096
"""Documents per call into the core while streaming: big enough to use every core, small enough to keep
only a few MB of text alive."""

EXACT = 1.0
"""The threshold that means exact duplicates of the normalised text (see the module doc)."""
BAD_RECORD_CHOICES: tuple[str, ...] = ("error", "skip")
"""What `ReadSpec.on_bad_record` may be."""

PathLike: TypeAlias = str | os.PathLike[str]


@dataclass(frozen=True, slots=True, repr=False)
class DedupResult:
    """Near-duplicate clusters of a corpus.

    Attributes:
        clusters: clusters of two or more documents (indices into the input, in input order across
            files), members ascending, clusters ordered by their first member.
        size: the number of documents.
        ids: for `dedup_files`, the id of each document (its id field, else ``path:line``); else None.
        skipped: bad records skipped (``ReadSpec(on_bad_record="skip")``); they are not documents.
        skip_example: the error of the first record skipped, when any.
        counts: for `dedup_files`, the documents of each file, in order; else None.
    """

    clusters: list[list[int]]
    size: int
    ids: Sequence[str] | None = field(default=None, repr=False)
    skipped: int = 0
    skip_example: str | None = field(default=None, repr=False)
    counts: tuple[int, ...] | None = field(default=None, repr=False)

    @property
    def representative(self) -> list[int]:
        """The document kept for each cluster: its first member."""
        return [c[0] for c in self.clusters]

    @property
    def keep(self) -> npt.NDArray[np.bool_]:
        """Boolean mask over the documents: True for documents in no cluster and for each cluster's
        first member."""
        import numpy as np

        mask = np.ones(self.size, dtype=np.bool_)
        for c in self.clusters:
            mask[c[1:]] = False
        return mask

    @property
    def duplicates(self) -> int:
        """How many documents a deduplicated copy drops."""
        return sum(len(c) - 1 for c in self.clusters)

    @property
    def has_duplicates(self) -> bool:
        return bool(self.clusters)

    def __repr__(self) -> str:
        return f"DedupResult(size={self.size}, clusters={len(self.clusters)}, duplicates={self.duplicates})"

    def labels(self) -> npt.NDArray[np.int64]:
        """The cluster number of each document (its position in `clusters`), -1 for unclustered ones."""
        import numpy as np

        out = np.full(self.size, -1, dtype=np.int64)
        for number, c in enumerate(self.clusters):
            out[c] = number
        return out


def _clusters(offsets: npt.NDArray[np.uint64], members: npt.NDArray[np.uint64]) -> list[list[int]]:
    flat = members.tolist()
    bounds = offsets.tolist()
    return [flat[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


_WORD = re.compile(r"\w+")


def exact_digest(text: str) -> bytes | None:
    """The 128-bit digest of the normalised word sequence of `text` (NFKC, lower case, ``\\w`` runs),
    or None when it has no word (such a document is nobody's duplicate)."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
    if not words:
        return None
    return hashlib.blake2b(" ".join(words).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _exact_clusters(digests: Iterable[bytes | None]) -> tuple[list[list[int]], int]:
    """Clusters of equal digests (members ascending, clusters by first member) and the document count."""
    groups: dict[bytes, list[int]] = {}
    n = 0
    for i, d in enumerate(digests):
        n = i + 1
        if d is not None:
            groups.setdefault(d, []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0]), n


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold <= EXACT:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")


def dedup(
    texts: Iterable[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    ngram: int = 3,
    num_perm: int = 128,
) -> DedupResult:
    """Near-duplicate clusters of `texts`.

    Texts are normalised (NFKC, lower case), cut into word `ngram` shingles and MinHashed with `num_perm`
    values; documents sharing an LSH band are verified on their exact shingle Jaccard, and those at or above
    `threshold` are joined. All of it runs in the Rust core, in parallel, with the GIL released.

    Args:
        texts: the documents (a sequence or any iterable of str).
        threshold: minimum exact Jaccard similarity of two word-shingle sets, in (0, 1); 1.0 groups
            exact duplicates of the normalised text (see the module doc).
        ngram: words per shingle.
        num_perm: MinHash values per signature.

    Returns:
        A `DedupResult`: ``clusters`` (lists of indices), ``representative``, ``keep``.

    Raises:
        ValueError: a parameter is out of range.
        TypeError: a text is not a str.
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of str, not a single str")
    seq = texts if isinstance(texts, Sequence) else list(texts)
    _check_threshold(threshold)
    if threshold >= EXACT:
        for t in seq:
            if not isinstance(t, str):
                raise TypeError(f"texts must be str, got {type(t).__name__}")
        clusters, _ = _exact_clusters(exact_digest(t) for t in seq)
        return DedupResult(clusters, len(seq))
    offsets, members = _core._dedup_corpus(seq, threshold=threshold, ngram=ngram, num_perm=num_perm)
    return DedupResult(_clusters(offsets, members), len(seq))


# ---- reading records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadSpec:
    """How documents are read from files (picklable, so distributed workers read the same way).

    Attributes:
        format: a snapshot format (`neardup.formats.FORMATS`) or ``"auto"``.
        field: which text is compared: ``title``, ``abstract`` or ``title+abstract``.
        id_field, title_field, abstract_field: the fields holding them (JSONL, CSV, hf-json); None
            guesses from common names.
        text_field: for JSONL/CSV corpora, one field holding the whole text (overrides `field`).
        on_bad_record: ``"error"`` (default): a JSONL line or CSV row that is not a usable record
            stops the run with its `SnapshotFormatError`; ``"skip"``: it is left out and counted
            (`DedupResult.skipped`). Files that cannot be read at all, and the whole-page snapshot
            formats, are errors either way.
    """

    format: str = "auto"
    field: str = "title+abstract"
    id_field: str | None = None
    title_field: str | None = None
    abstract_field: str | None = None
    text_field: str | None = None
    on_bad_record: str = "error"

    def __post_init__(self) -> None:
        if self.on_bad_record not in BAD_RECORD_CHOICES:
            raise ValueError(f"on_bad_record must be error or skip, got {self.on_bad_record!r}")
        if self.field not in FIELDS:
            raise ValueError(f"field must be one of {', '.join(FIELDS)}, got {self.field!r}")
        if self.format != "auto" and self.format not in FORMATS:
            known = ", ".join(("auto", *FORMATS))
            raise ValueError(f"unknown snapshot format {self.format!r}; expected one of {known}")


@dataclass(frozen=True, slots=True)
class Record:
    """One document: its id, the text compared, (on request) the record as one JSON line, and its title
    when the record has one and it was read."""

    id: str
    text: str
    line: int | None
    raw: str | None = None
    title: str | None = None
    row: tuple[str, ...] | None = None
    """For CSV records read with ``raw``: the row's fields as in the file."""


def _lookup(record: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    if name in record:
        return True, record[name]
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


@dataclass(frozen=True, slots=True)
class _Plan:
    """The guessed field names present in records with one set of keys, in preference order (records of
    one file nearly always share their keys, so this is worked out once per key set)."""

    title: tuple[str, ...]
    abstract: tuple[str, ...]
    text: tuple[str, ...]
    ids: tuple[str, ...]


_PLAN_CACHE_LIMIT = 256


class _Mapper:
    """Maps JSONL/CSV records to `Record`s, raising `SnapshotFormatError` for unusable ones."""

    def __init__(self, source: Source, spec: ReadSpec) -> None:
        self.source = source
        self.spec = spec
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def _plan(self, record: Mapping[str, Any]) -> _Plan:
        keys = tuple(record)
        plan = self._plans.get(keys)
        if plan is None:
            present = set(keys)
            plan = _Plan(
                tuple(n for n in TITLE_FIELDS if n in present),
                tuple(n for n in ABSTRACT_FIELDS if n in present),
                tuple(n for n in TEXT_FIELDS if n in present),
                tuple(n for n in ID_FIELDS if n in present),
            )
            if len(self._plans) < _PLAN_CACHE_LIMIT:
                self._plans[keys] = plan
        return plan

    def _string(self, value: Any, name: str, line: int) -> str:
        if type(value) is str:
            return value
        if value is None:
            return ""
        if isinstance(value, str):
            return str(value)
        raise self.source.error(line, f"a string in field {name!r}", describe(value))

    def _explicit(self, record: Mapping[str, Any], name: str, line: int) -> str:
        found, value = _lookup(record, name)
        if not found:
            raise self.source.error(line, f"a field {name!r}", describe(record))
        return self._string(value, name, line)

    def _guess(self, record: Mapping[str, Any], names: tuple[str, ...], line: int) -> str | None:
        """The first of `names` with a non-empty value, else the first of them; None when none is there."""
        if not names:
            return None
        for name in names:
            value = record[name]
            if value is not None and value != "":
                return self._string(value, name, line)
        return self._string(record[names[0]], names[0], line)

    def _id(self, record: Mapping[str, Any], plan: _Plan, line: int) -> str:
        id_field = self.spec.id_field
        if id_field is not None:
            found, value = _lookup(record, id_field)
            if not found or value is None or value == "":
                raise self.source.error(line, f"a field {id_field!r} (id)", describe(record))
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise self.source.error(line, f"a string id in field {id_field!r}", describe(value))
            return str(value)
        for name in plan.ids:
            value = record[name]
            if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
                return str(value)
        return f"{self.source.name}:{line}"

    def record(self, record: Mapping[str, Any], line: int, raw: str | None) -> Record:
        paper = record.get("paper")
        if isinstance(paper, Mapping):  # a Daily Papers item: the paper's own fields win
            record = {**{k: v for k, v in record.items() if k != "paper"}, **paper}
        spec = self.spec
        plan = self._plan(record)
        title: str | None = None
        if spec.text_field is not None:
            text = self._explicit(record, spec.text_field, line)
        else:
            abstract: str | None = None
            if spec.field != "abstract":
                title = (
                    self._explicit(record, spec.title_field, line)
                    if spec.title_field is not None
                    else self._guess(record, plan.title, line)
                )
            if spec.field != "title":
                abstract = (
                    self._explicit(record, spec.abstract_field, line)
                    if spec.abstract_field is not None
                    else self._guess(record, plan.abstract, line)
                )
            if title is None and abstract is None:
                plain = self._guess(record, plan.text, line)
                if plain is None:
                    wanted = {"title": TITLE_FIELDS, "abstract": ABSTRACT_FIELDS}.get(
                        spec.field, TITLE_FIELDS + ABSTRACT_FIELDS
                    )
                    names = ", ".join((*wanted, *TEXT_FIELDS))
                    raise self.source.error(line, f"a text field ({names})", describe(record))
                text = plain
            elif spec.field == "title+abstract":
                text = f"{title or ''}\n{abstract or ''}"
            else:
                text = title if title is not None else abstract or ""
        return Record(self._id(record, plan, line), text, line, raw, title or None)


BadRecord: TypeAlias = "Callable[[SnapshotFormatError], None] | None"


def _jsonl_records(
    source: Source, spec: ReadSpec, raw: bool, only: Sequence[int] | None = None, bad: BadRecord = None
) -> Iterator[Record]:
    """Records of a JSONL source; with `only` (ascending record numbers), just those, and the other lines
    are not even parsed (they were checked by an earlier pass) unless bad records are skipped (then
    every line is parsed, to number the good ones alike in every pass)."""
    mapper = _Mapper(source, spec)
    skip = spec.on_bad_record == "skip"
    lines = seen = at = 0
    for number, data in source.binary_lines():
        if not data.strip():
            continue
        lines += 1
        record: Record | None = None
        if skip:
            try:
                record = _jsonl_record(source, mapper, number, data, raw)
            except SnapshotFormatError as error:
                if bad is not None:
                    bad(error)
                continue
        seen += 1
        if only is not None:
            if at >= len(only):
                return
            if only[at] != seen - 1:
                continue
            at += 1
        yield record if record is not None else _jsonl_record(source, mapper, number, data, raw)
    if not lines:
        raise source.error(None, "at least one JSON object", "only blank lines")


def _jsonl_record(source: Source, mapper: _Mapper, number: int, data: bytes, raw: bool) -> Record:
    """The record of one non-blank JSONL line (`SnapshotFormatError` when it is not a usable one)."""
    record = parse_object(source, number, data)
    return mapper.record(record, number, data.decode("utf-8").strip() if raw else None)


def _delimiter(first_line: str) -> str:
    """Tab-separated when the header line has tabs and no comma, else comma-separated."""
    return "\t" if "\t" in first_line and "," not in first_line else ","


def _csv_records(source: Source, spec: ReadSpec, raw: bool, bad: BadRecord = None) -> Iterator[Record]:
    lines = (text for _, text in source.text_lines())
    first = next(lines, None)
    if first is None:  # pragma: no cover - empty files are refused when opened
        raise source.error(None, "a header row", "an empty file")
    delimiter = _delimiter(first)
    skip = spec.on_bad_record == "skip"

    def replay() -> Iterator[str]:
        yield first
        yield from lines

    reader = csv.reader(replay(), delimiter=delimiter, strict=True)
    mapper = _Mapper(source, spec)
    try:
        header = [name.strip() for name in next(reader)]
        lowered = {column.lower(): column for column in reversed(header)}
        # Guessed field names match the header case-insensitively ("Title" is the title).
        renames = {
            known: lowered[known]
            for known in (*ID_FIELDS, *TITLE_FIELDS, *ABSTRACT_FIELDS, *TEXT_FIELDS)
            if known in lowered and lowered[known] != known and known not in header
        }
        line = reader.line_num + 1
        for row in reader:
            if row and any(cell.strip() for cell in row):
                try:
                    if len(row) != len(header):
                        raise source.error(
                            line, f"a row of {len(header)} fields like the header", f"{len(row)} fields"
                        )
                    record = dict(zip(header, row, strict=True))
                    for known, column in renames.items():
                        record[known] = record.pop(column)
                    text = json.dumps(record, ensure_ascii=False) if raw else None
                    found = mapper.record(record, line, text)
                except SnapshotFormatError as error:
                    if not skip:
                        raise
                    if bad is not None:
                        bad(error)
                else:
                    yield dataclasses.replace(found, row=tuple(row)) if raw else found
            line = reader.line_num + 1
    except csv.Error as error:
        raise source.error(reader.line_num or 1, "a CSV row", str(error)) from None


def _entry_text(entry: Entry, field: str) -> str:
    if field == "title":
        return entry.title
    if field == "abstract":
        return entry.abstract
    return f"{entry.title}\n{entry.abstract}"


def _snapshot_records(source: Source, format: str, spec: ReadSpec, raw: bool) -> Iterator[Record]:
    try:
        snapshot = read_snapshot(
            source.stream,
            format,
            id_field=spec.id_field,
            title_field=spec.title_field,
            abstract_field=spec.abstract_field,
            keep_extra=raw,
        )
    except SnapshotFormatError as error:
        if error.path == source.name:
            raise
        raise SnapshotFormatError(source.name, error.line, error.expected, error.got) from None
    for entry in snapshot.entries:
        yield Record(
            entry.key or f"{source.name}:{entry.line}",
            _entry_text(entry, spec.field),
            entry.line,
            json.dumps(entry.to_dict(), ensure_ascii=False) if raw else None,
            entry.title or None,
        )


def iter_records(
    path: PathLike | IO[bytes],
    spec: ReadSpec | None = None,
    *,
    raw: bool = False,
    name: str | None = None,
    only: Sequence[int] | None = None,
    bad: Callable[[SnapshotFormatError], None] | None = None,
) -> Iterator[Record]:
    """The documents of one file, in file order: streamed for JSONL and CSV, read whole for the snapshot
    formats (pages of a few hundred entries).

    Args:
        path: a path, ``"-"`` for standard input, or a binary file object.
        spec: how to read it (`ReadSpec`).
        raw: also give each record as one JSON line (`Record.raw`): the line itself for JSONL, the row as
            an object for CSV, `Entry.to_dict` for the snapshot formats.
        name: the name to show for the file in ids and errors (default: its path).
        only: just the records with these numbers (0-based, ascending), for a file read before: JSONL
            lines outside them are not parsed.
        bad: with ``spec.on_bad_record == "skip"``, called with the error of each record skipped.

    Raises:
        SnapshotFormatError: the file is missing, unreadable or not valid in its format.
    """
    spec = spec or ReadSpec()
    with open_source(path) as source:
        if name is not None:
            source.name = name
        fmt = detect_format(source.head, path=source.name) if spec.format == "auto" else spec.format
        if fmt == "jsonl":
            yield from _jsonl_records(source, spec, raw, only, bad)
            return
        records = (
            _csv_records(source, spec, raw, bad)
            if fmt == "csv"
            else _snapshot_records(source, fmt, spec, raw)
        )
        if only is None:
            yield from records
            return
        at = 0
        for index, record in enumerate(records):
            if at >= len(only):
                return
            if only[at] == index:
                at += 1
                yield record


SPOOL_LIMIT = 1 << 36
"""Most bytes spooled from a non-seekable input (64 GiB; ``NEARDUP_SPOOL_LIMIT`` overrides it): past it the
run stops with one line asking for a file, rather than filling the temporary directory."""


def _spool_limit() -> int:
    try:
        return int(os.environ.get("NEARDUP_SPOOL_LIMIT", SPOOL_LIMIT))
    except ValueError:
        return SPOOL_LIMIT


def _needs_spool(path: PathLike) -> bool:
    """Whether `path` cannot be read twice: standard input, a FIFO, a character device, a process
    substitution (``<(…)``, ``/dev/fd/N``)."""
    if path == "-":
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False  # missing or odd: the reader says what is wrong with it


# The name to show for each live spooled input (by `id`, removed when its file closes).
_SPOOLED_NAMES: dict[int, str] = {}


def _spool_failed(name: str, exc: OSError) -> NeardupError:
    where = tempfile.gettempdir()
    return NeardupError(f"{name}: cannot spool to a temporary file in {where}: {exc.strerror or exc}")


def _spool(path: PathLike, stack: ExitStack) -> IO[bytes]:
    """The whole of a read-once input copied to an anonymous temporary file (at most `_spool_limit`
    bytes), read exactly once."""
    name = "<stdin>" if path == "-" else os.fspath(path)
    limit = _spool_limit()
    try:
        # Unbuffered, written in a loop: a buffered file drops the rest of a write the disk took in part.
        spooled = stack.enter_context(tempfile.TemporaryFile(buffering=0))  # noqa: SIM115 - closed by `stack`
    except OSError as exc:
        raise _spool_failed(name, exc) from None
    try:
        source = sys.stdin.buffer if path == "-" else stack.enter_context(open(path, "rb"))  # noqa: SIM115
    except OSError as exc:
        raise SnapshotFormatError(name, None, "a readable file", exc.strerror or str(exc)) from None
    total = 0
    while True:
        try:
            chunk = source.read(1 << 20)
        except OSError as exc:
            raise SnapshotFormatError(name, None, "a readable file", exc.strerror or str(exc)) from None
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise NeardupError(
                f"{name}: more than {limit} bytes to hold for a second pass; save it to a file and name "
                "the file (or raise NEARDUP_SPOOL_LIMIT)"
            )
        view = memoryview(chunk)
        while view:
            try:
                view = view[spooled.write(view) or 0 :]
            except OSError as exc:
                raise _spool_failed(name, exc) from None
    # Read back through a buffer (the passes read it line by line).
    reader = stack.enter_context(os.fdopen(os.dup(spooled.fileno()), "rb"))
    _SPOOLED_NAMES[id(reader)] = name
    stack.callback(_SPOOLED_NAMES.pop, id(reader), None)
    return reader


@contextmanager
def rereadable(paths: Sequence[PathLike]) -> Iterator[list[PathLike | IO[bytes]]]:
    """`paths` made re-readable: an input that can be read only once (``-`` for standard input, a FIFO,
    ``/dev/stdin``, a process substitution) is read once into a temporary file (bounded by
    `SPOOL_LIMIT`), which the passes then read."""
    with ExitStack() as stack:
        out: list[PathLike | IO[bytes]] = []
        spooled: dict[str, IO[bytes]] = {}
        for p in paths:
            if _needs_spool(p):
                key = os.fspath(p)
                if key not in spooled:
                    spooled[key] = _spool(p, stack)
                out.append(spooled[key])
            else:
                out.append(p)
        yield out


def _source_records(
    p: PathLike | IO[bytes],
    spec: ReadSpec,
    raw: bool = False,
    only: Sequence[int] | None = None,
    bad: BadRecord = None,
) -> Iterator[Record]:
    if isinstance(p, str | os.PathLike):
        return iter_records(p, spec, raw=raw, only=only, bad=bad)
    p.seek(0)
    return iter_records(p, spec, raw=raw, name=_SPOOLED_NAMES.get(id(p), "<stdin>"), only=only, bad=bad)


def records_of(
    paths: Sequence[PathLike | IO[bytes]],
    spec: ReadSpec,
    raw: bool = False,
    only: Sequence[int] | None = None,
    counts: Sequence[int] | None = None,
) -> Iterator[Record]:
    """The records of several sources of `rereadable`, in order; with `only` (ascending document numbers
    across all sources), just those, and with the documents per source (`counts`, as
    `DedupResult.counts` gives them) the other JSONL lines are not even parsed."""
    if only is None:
        for p in paths:
            yield from _source_records(p, spec, raw)
        return
    if counts is not None:
        lo = start = 0
        for p, count in zip(paths, counts, strict=True):
            hi = lo
            while hi < len(only) and only[hi] < start + count:
                hi += 1
            if hi > lo:
                yield from _source_records(p, spec, raw, only=[i - start for i in only[lo:hi]])
            lo, start = hi, start + count
        return
    at = start = 0
    for p in paths:
        if at >= len(only):
            return
        count = 0
        for record in _source_records(p, spec, raw):
            if at < len(only) and only[at] == start + count:
                at += 1
                yield record
            count += 1
        start += count


def input_layout(p: PathLike | IO[bytes], spec: ReadSpec) -> tuple[str, tuple[str, ...] | None, str]:
    """The format of a source of `rereadable` and, for CSV, its header fields and delimiter."""
    if not isinstance(p, str | os.PathLike):
        p.seek(0)
    with open_source(p) as source:
        fmt = detect_format(source.head, path=source.name) if spec.format == "auto" else spec.format
        if fmt != "csv":
            return fmt, None, ","
        first = next((text for _, text in source.text_lines()), "")
    delimiter = _delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    return fmt, tuple(header), delimiter


@contextmanager
def open_atomic(path: PathLike) -> Iterator[IO[str]]:
    """A text file that replaces `path` only once it is completely written (a temporary file in the same
    directory, renamed over it); nothing is left behind on failure.

    Raises:
        NeardupError: the file cannot be written.
    """
    from neardup.cli_output import Trouble, output_target

    try:
        target = output_target(os.fspath(path))  # through symbolic links (a link stays a link)
    except Trouble as exc:
        raise NeardupError(str(exc)) from None
    directory = os.path.dirname(target) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise NeardupError(f"{target}: cannot write: {exc.strerror or exc}") from None
    _core._track_temp(tmp, True)  # removed by the CLI's signal handlers if the run is interrupted
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
        # mkstemp creates the file private (0600); give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        raise NeardupError(f"{target}: cannot write: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        _core._track_temp(tmp, False)


# ---- progress -----------------------------------------------------------------------------------------


class _Progress:
    """One status line on stderr, rewritten in place; silent unless enabled (default: stderr is a tty)."""

    def __init__(self, enabled: bool | None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.shown = False

    def __call__(self, message: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[Kneardup: {message}")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


# ---- streaming pipeline -------------------------------------------------------------------------------


def _chunks(records: Iterator[Record], size: int = _CHUNK) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for r in records:
        chunk.append(r)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def dedup_files(
    paths: Sequence[PathLike] | PathLike,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    ngram: int = 3,
    num_perm: int = 128,
    spec: ReadSpec | None = None,
    progress: bool | None = None,
) -> DedupResult:
    """Near-duplicate clusters of the documents of `paths` (any snapshot format, or JSONL/CSV corpora;
    ``-`` is standard input), in file order across files. Same clusters as `dedup` on the same texts.

    The files are read twice: once for band keys (kept: 8 bytes per band per document) and ids, once for
    the texts of documents that share a bucket with another one (their shingle sets are computed then).

    Args:
        spec: how to read the files (`ReadSpec`: format, compared field, field names, what to do with
            a bad record).
        threshold: minimum exact Jaccard similarity of two word-shingle sets, in (0, 1); 1.0 groups
            exact duplicates of the normalised text (see the module doc).
        progress: show progress on stderr (None: only when stderr is a terminal).

    Raises:
        SnapshotFormatError: a file is missing, unreadable or invalid.
        NeardupError: a file changed between the two passes.
        ValueError: a parameter is out of range.
    """
    path_list: list[PathLike] = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not path_list:
        raise ValueError("no input files")
    with rereadable(path_list) as sources:
        return dedup_sources(sources, threshold, ngram, num_perm, spec or ReadSpec(), progress)


def dedup_sources(
    sources: Sequence[PathLike | IO[bytes]],
    threshold: float,
    ngram: int,
    num_perm: int,
    spec: ReadSpec,
    progress: bool | None,
) -> DedupResult:
    """`dedup_files` over sources made re-readable (`rereadable`)."""
    import numpy as np

    _check_threshold(threshold)
    skips = _Skips()
    show = _Progress(progress)
    if threshold >= EXACT:
        try:
            return _exact_pass(sources, spec, show, skips)
        finally:
            show.done()
    _core._banding(threshold=threshold, num_perm=num_perm)  # parameters checked before reading
    try:
        ids, counts, keys, empty = _first_pass(sources, spec, threshold, ngram, num_perm, show, skips)
        show(f"grouping {len(ids):,} documents into buckets")
        offsets, docs = _core._buckets_of_keys(keys, empty)
        del keys, empty
        needed = np.unique(docs)
        stores = _second_pass(sources, spec, counts, needed, ngram, show)
        show(f"verifying {len(needed):,} candidate documents")
        roots = _core._cluster_buckets(offsets, docs, stores, threshold=threshold)
        clusters = _clusters(*_core._components(*roots))
    finally:
        show.done()
    return DedupResult(clusters, len(ids), ids, skips.count, skips.first, tuple(counts))


class _Skips:
    """Counts the bad records skipped (first pass only) and keeps the first one's error."""

    def __init__(self) -> None:
        self.count = 0
        self.first: str | None = None

    def __call__(self, error: SnapshotFormatError) -> None:
        self.count += 1
        if self.first is None:
            self.first = str(error)


def _exact_pass(
    sources: Sequence[PathLike | IO[bytes]], spec: ReadSpec, show: Callable[[str], None], skips: _Skips
) -> DedupResult:
    """Exact duplicates of the normalised text: one pass, a digest per document."""
    ids: list[str] = []
    digests: list[bytes | None] = []
    counts: list[int] = []
    for source in sources:
        before = len(ids)
        for chunk in _chunks(_source_records(source, spec, bad=skips)):
            ids.extend(r.id for r in chunk)
            digests.extend(exact_digest(r.text) for r in chunk)
            show(f"read {len(ids):,} documents")
        counts.append(len(ids) - before)
    clusters, _ = _exact_clusters(digests)
    return DedupResult(clusters, len(ids), ids, skips.count, skips.first, tuple(counts))


def _first_pass(
    sources: Sequence[PathLike | IO[bytes]],
    spec: ReadSpec,
    threshold: float,
    ngram: int,
    num_perm: int,
    show: Callable[[str], None],
    skips: _Skips | None = None,
) -> tuple[list[str], list[int], npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    """Ids, documents per source, band keys and empty mask of every document."""
    import numpy as np

    ids: list[str] = []
    counts: list[int] = []
    key_blocks: list[npt.NDArray[np.uint64]] = []
    empty_blocks: list[npt.NDArray[np.bool_]] = []
    for source in sources:
        before = len(ids)
        for chunk in _chunks(_source_records(source, spec, bad=skips)):
            k, e = _core._band_keys(
                [r.text for r in chunk], threshold=threshold, ngram=ngram, num_perm=num_perm
            )
            ids.extend(r.id for r in chunk)
            key_blocks.append(k)
            empty_blocks.append(e)
            show(f"read {len(ids):,} documents")
        counts.append(len(ids) - before)
    bands, _ = _core._banding(threshold=threshold, num_perm=num_perm)
    keys = np.concatenate(key_blocks) if key_blocks else np.zeros((0, bands), dtype=np.uint64)
    empty = np.concatenate(empty_blocks) if empty_blocks else np.zeros(0, dtype=np.bool_)
    return ids, counts, keys, empty


_Store: TypeAlias = "tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.uint64]]"


def shingle_sets_of(
    records: Iterator[Record], ids: Sequence[int], ngram: int, show: Callable[[str], None] | None = None
) -> list[_Store]:
    """Shingle-set stores of `records` (the documents `ids`, in order), a few thousand per store."""
    import numpy as np

    stores: list[_Store] = []
    texts: list[str] = []
    at = 0
    for record in records:
        texts.append(record.text)
        if len(texts) >= _CHUNK:
            stores.append(
                _core._shingle_sets(texts, np.array(ids[at : at + len(texts)], np.uint64), ngram=ngram)
            )
            at += len(texts)
            texts = []
            if show is not None:
                show(f"re-read {at:,} of {len(ids):,} candidate documents")
    if texts:
        stores.append(_core._shingle_sets(texts, np.array(ids[at : at + len(texts)], np.uint64), ngram=ngram))
        at += len(texts)
    if at != len(ids):
        raise NeardupError(f"the input changed while it was read ({len(ids)} candidate documents, then {at})")
    return stores


def _second_pass(
    sources: Sequence[PathLike | IO[bytes]],
    spec: ReadSpec,
    counts: Sequence[int],
    needed: npt.NDArray[np.uint64],
    ngram: int,
    show: Callable[[str], None],
) -> list[_Store]:
    """Shingle sets of the `needed` documents, re-read (and only they parsed) from their sources."""
    stores: list[_Store] = []
    start = 0
    wanted = needed.tolist()
    lo = 0
    for source, count in zip(sources, counts, strict=True):
        hi = lo
        while hi < len(wanted) and wanted[hi] < start + count:
            hi += 1
        if hi > lo:
            mine = wanted[lo:hi]
            local = [i - start for i in mine]
            stores.extend(shingle_sets_of(_source_records(source, spec, only=local), mine, ngram, show))
        lo = hi
        start += count
    return stores
