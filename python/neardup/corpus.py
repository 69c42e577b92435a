"""Corpus-scale deduplication: `dedup` for texts in memory, `dedup_files` for files.

Both run one pipeline in the Rust core, with the GIL released (``neardup_core::cluster::corpus``):

1. **Band keys** of every document (MinHash signatures cut into LSH bands; the signature is dropped).
2. The documents sharing a band with another one are read again: only they can have a duplicate.
3. **Exact duplicates**: documents with the same normalised text (NFKC, lower case, the sequence of
   words — runs of ``\\w`` — with punctuation and whitespace ignored), by a 128-bit digest. Each group
   keeps one document; the others are dropped (``stage == "exact"``).
4. **Near duplicates** among the rest: documents sharing a band are verified on their exact word-shingle
   Jaccard, and those at or above the threshold are joined, as connected components
   (``clusters="components"``) or as stars around the kept document (``clusters="star"``: every dropped
   document is within the threshold of the one that replaced it; components chain edited copies of
   copies).

Which member of a cluster is kept: the first (``keep="first"``), the longest text (``"longest"``) or the
largest value of a field (``keep="field:NAME"``, files only). Results do not depend on threads or on how
the corpus is cut into files.

Files: JSON Lines and CSV are read by the core (memory-mapped; no Python object per record); memory
holds, per document, its band keys (8 bytes a band: 112 bytes at the default threshold), its id, line
and byte range. The page formats of ``neardup diff`` (hf-text, hf-json, arXiv Atom) are read by their
Python readers. A bad record stops the run with `SnapshotFormatError` (``path:line: expected ..., got
...``, the message ``neardup diff`` gives), or is skipped and counted (``ReadSpec(on_bad_record="skip")``).

``threshold=1.0`` runs the exact stage alone, on every document, without MinHash.
"""

from __future__ import annotations

import bisect
import io
import itertools
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, TypeAlias, overload

from neardup import _core, temp_files
from neardup._core import NeardupError
from neardup.errors import SnapshotFormatError
from neardup.formats import FORMATS
from neardup.formats.detect import detect_format
from neardup.formats.source import BOM, Source, open_source
from neardup.spool import display_name, needs_spool, spool, spool_failed

if TYPE_CHECKING:  # numpy is imported where it is used: `import neardup` stays quick for the CLI
    import numpy as np
    import numpy.typing as npt

    from neardup._core import _Outcome
    from neardup.model import Entry

__all__ = [
    "BAD_RECORD_CHOICES",
    "CLUSTER_CHOICES",
    "DEFAULT_THRESHOLD",
    "EXACT",
    "FIELDS",
    "TEXT_FIELDS",
    "DedupResult",
    "Input",
    "ReadSpec",
    "dedup",
    "dedup_files",
    "dedup_inputs",
    "open_atomic",
    "read_input",
    "rereadable",
]

DEFAULT_THRESHOLD = 0.8
FIELDS: tuple[str, ...] = ("title", "abstract", "title+abstract")
"""What `ReadSpec.field` may name: the text of a record that is compared."""
TEXT_FIELDS: tuple[str, ...] = ("text", "content", "body")
"""Fields read from JSONL/CSV records that have neither a title nor an abstract field (plain corpora)."""
EXACT = 1.0
"""The threshold that means exact duplicates of the normalised text (see the module doc)."""
BAD_RECORD_CHOICES: tuple[str, ...] = ("error", "skip")
"""What `ReadSpec.on_bad_record` may be."""
CLUSTER_CHOICES: tuple[str, ...] = ("components", "star")
"""What `clusters` may be."""
STAGES: tuple[str | None, ...] = (None, "exact", "near")
"""`DedupResult.stage` codes: kept, dropped as an exact duplicate, dropped as a near duplicate."""

PathLike: TypeAlias = str | os.PathLike[str]


def _keep_arg(keep: str) -> tuple[str, str | None]:
    """The core's keep policy and rank field of a ``keep`` argument."""
    if keep in ("first", "longest"):
        return keep, None
    if keep.startswith("field:") and len(keep) > len("field:"):
        return "rank", keep[len("field:") :]
    raise ValueError(f"keep must be first, longest or field:NAME, got {keep!r}")


def _check(threshold: float, clusters: str) -> None:
    if not 0.0 < threshold <= EXACT:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if clusters not in CLUSTER_CHOICES:
        raise ValueError(f"clusters must be components or star, got {clusters!r}")


class _Ids(Sequence[str]):
    """The ids of the documents of several inputs, decoded on access (no Python object per document
    until asked): the record's id, else ``path:line``."""

    def __init__(self, inputs: Sequence[Input]) -> None:
        self._inputs = list(inputs)
        self._starts: list[int] = []
        at = 0
        for i in self._inputs:
            self._starts.append(at)
            at += len(i)
        self._len = at

    def __len__(self) -> int:
        return self._len

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(other) == self._len and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type[list[str]], tuple[list[str]]]:
        return list, (list(self),)  # pickled as the plain list of ids it stands for

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("document index out of range")
        k = bisect.bisect_right(self._starts, index) - 1
        return self._inputs[k].id(index - self._starts[k])


STAGE_NAMES = ("kept", "exact", "near")
"""The names of `DedupResult.stage`'s values 0, 1 and 2 in `DedupResult.to_arrow` and the like."""


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class DedupResult:
    """Duplicates found in a corpus.

    Attributes:
        clusters: clusters of two or more documents (indices into the input, in input order across
            files), members ascending, clusters ordered by their first member.
        size: the number of documents.
        kept: the kept member of each cluster.
        replaced_by: for each document, the kept document that replaced it, or -1 when it is kept.
        stage: for each document, 0 when kept, 1 when dropped as an exact duplicate, 2 as a near one.
        similarity: for each dropped document, its shingle Jaccard to the document that replaced it
            (1.0 for kept ones).
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
    kept: list[int] = field(default_factory=list, repr=False)
    replaced_by: npt.NDArray[np.int64] = field(default=None, repr=False)  # type: ignore[arg-type]
    stage: npt.NDArray[np.uint8] = field(default=None, repr=False)  # type: ignore[arg-type]
    similarity: npt.NDArray[np.float32] = field(default=None, repr=False)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        # Built from clusters alone (e.g. by another engine): each keeps its first member, near stage.
        if self.replaced_by is None:
            import numpy as np

            replaced_by = np.full(self.size, -1, dtype=np.int64)
            for c in self.clusters:
                replaced_by[c[1:]] = c[0]
            object.__setattr__(self, "kept", [c[0] for c in self.clusters])
            object.__setattr__(self, "replaced_by", replaced_by)
            object.__setattr__(self, "stage", np.where(replaced_by >= 0, 2, 0).astype(np.uint8))
            object.__setattr__(self, "similarity", np.ones(self.size, dtype=np.float32))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DedupResult):
            return NotImplemented
        import numpy as np

        return (
            (self.clusters, self.size, self.kept, self.skipped, self.counts)
            == (other.clusters, other.size, other.kept, other.skipped, other.counts)
            and (self.ids is None) == (other.ids is None)
            and (self.ids is None or other.ids is None or list(self.ids) == list(other.ids))
            and np.array_equal(self.replaced_by, other.replaced_by)
            and np.array_equal(self.stage, other.stage)
            and np.array_equal(self.similarity, other.similarity)
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def representative(self) -> list[int]:
        """The document kept for each cluster (`kept`)."""
        return self.kept

    @property
    def keep(self) -> npt.NDArray[np.bool_]:
        """Boolean mask over the documents: True for the documents a deduplicated copy keeps."""
        return self.replaced_by < 0

    @property
    def duplicates(self) -> int:
        """How many documents a deduplicated copy drops."""
        return sum(len(c) - 1 for c in self.clusters)

    @property
    def exact_duplicates(self) -> int:
        """How many of them the exact stage drops."""
        return int((self.stage == 1).sum())

    @property
    def near_duplicates(self) -> int:
        """How many of them the near stage drops."""
        return int((self.stage == 2).sum())

    @property
    def has_duplicates(self) -> bool:
        return bool(self.clusters)

    def __repr__(self) -> str:
        return (
            f"DedupResult(size={self.size}, clusters={len(self.clusters)}, duplicates={self.duplicates}, "
            f"exact={self.exact_duplicates}, near={self.near_duplicates})"
        )

    def columns(self) -> dict[str, Any]:
        """One row per document, as numpy columns built from the engine's: ``document`` (its index),
        ``id`` (`dedup_files` only: its id, else absent), ``cluster`` (`labels`), ``keep``,
        ``replaced_by`` (-1 when kept), ``stage`` (0 kept, 1 exact duplicate, 2 near duplicate; names in
        `STAGE_NAMES`) and ``similarity`` (to the document that replaced it; 1.0 when kept)."""
        import numpy as np

        out: dict[str, Any] = {"document": np.arange(self.size, dtype=np.int64)}
        if self.ids is not None:
            out["id"] = list(self.ids)
        out.update(
            cluster=self.labels(),
            keep=self.keep,
            replaced_by=np.asarray(self.replaced_by, dtype=np.int64),
            stage=np.asarray(self.stage, dtype=np.uint8),
            similarity=np.asarray(self.similarity, dtype=np.float32),
        )
        return out

    def to_arrow(self) -> Any:
        """`columns` as a ``pyarrow.Table`` (needs pyarrow: the ``arrow`` extra); ``stage`` is a
        dictionary column of the names in `STAGE_NAMES`."""
        import pyarrow as pa

        cols = self.columns()
        stage = pa.DictionaryArray.from_arrays(pa.array(cols.pop("stage").astype("int8")), list(STAGE_NAMES))
        table = pa.table({k: pa.array(v) for k, v in cols.items()})
        return table.add_column(table.column_names.index("replaced_by") + 1, "stage", stage)

    def to_pandas(self) -> Any:
        """`columns` as a ``pandas.DataFrame`` (needs pandas); ``stage`` is categorical."""
        import pandas as pd

        cols = self.columns()
        cols["stage"] = pd.Categorical.from_codes(cols["stage"].astype("int8"), categories=list(STAGE_NAMES))
        return pd.DataFrame(cols)

    def to_polars(self) -> Any:
        """`columns` as a ``polars.DataFrame`` (needs polars); ``stage`` is an enum of `STAGE_NAMES`."""
        import numpy as np
        import polars as pl

        cols = self.columns()
        names = np.array(STAGE_NAMES)[cols["stage"]]
        cols["stage"] = pl.Series("stage", names, dtype=pl.Enum(list(STAGE_NAMES)))
        return pl.DataFrame(cols)

    def labels(self) -> npt.NDArray[np.int64]:
        """The cluster number of each document (its position in `clusters`), -1 for unclustered ones."""
        import numpy as np

        out = np.full(self.size, -1, dtype=np.int64)
        for number, c in enumerate(self.clusters):
            out[c] = number
        return out


def _result(
    raw: _Outcome,
    size: int,
    ids: Sequence[str] | None = None,
    skipped: int = 0,
    skip_example: str | None = None,
    counts: tuple[int, ...] | None = None,
) -> DedupResult:
    import numpy as np

    offsets, members, kept, replaced_by, stage, similarity = raw
    flat = members.tolist()
    bounds = offsets.tolist()
    clusters = [flat[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    return DedupResult(
        clusters,
        size,
        ids,
        skipped,
        skip_example,
        counts,
        kept.tolist(),
        replaced_by.view(np.int64),
        stage,
        similarity,
    )


def dedup(
    texts: Iterable[str | None] | object,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    ngram: int = 3,
    num_perm: int = 128,
    keep: str = "first",
    clusters: str = "components",
    on_missing: str = "empty",
    text_field: str | None = None,
) -> DedupResult:
    """Near-duplicate clusters of `texts`.

    Texts are normalised (NFKC, lower case), cut into word `ngram` shingles and MinHashed with `num_perm`
    values; exact duplicates of the normalised text are grouped first, then documents sharing an LSH band
    are verified on their exact shingle Jaccard, and those at or above `threshold` are joined. All of it
    runs in the Rust core, in parallel, with the GIL released.

    Args:
        texts: the documents: a sequence or any iterable of str, or Arrow strings, read in place from
            their buffers (no Python object per text): any object exporting Arrow data through the
            Arrow PyCapsule interface (a pyarrow array, chunked array or table, a polars Series or
            DataFrame, a pandas DataFrame), of type string, large_string or string_view. A pandas
            Series is read as a sequence.
        threshold: minimum exact Jaccard similarity of two word-shingle sets, in (0, 1); 1.0 groups
            exact duplicates of the normalised text only.
        ngram: words per shingle.
        num_perm: MinHash values per signature.
        keep: which member of a cluster is kept: ``"first"`` or ``"longest"``.
        clusters: ``"components"`` (connected components) or ``"star"`` (every dropped document within
            the threshold of its kept one).
        on_missing: what a missing text (None, NaN, an Arrow null) is: ``"empty"`` (an empty text,
            in no cluster) or ``"error"`` (a ValueError naming the first one).
        text_field: for a table, the column holding the texts (default: ``text``, else its only
            string column).

    Returns:
        A `DedupResult`: ``clusters`` (lists of indices), ``kept``, ``replaced_by``, ``keep``.

    Raises:
        ValueError: a parameter is out of range, or a text is missing with ``on_missing="error"``.
        TypeError: a text is not a str.
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of str, not a single str")
    arrow = hasattr(texts, "__arrow_c_stream__") or hasattr(texts, "__arrow_c_array__")
    if arrow or isinstance(texts, Sequence):
        seq: object = texts
    elif isinstance(texts, Iterable):
        seq = list(texts)
    else:
        raise TypeError(f"texts must be a sequence of str or Arrow strings, not {type(texts).__name__}")
    _check(threshold, clusters)
    policy, rank = _keep_arg(keep)
    if rank is not None:
        raise ValueError("keep='field:NAME' needs records: use dedup_files")
    raw = _core._dedup_texts(
        seq,
        threshold=threshold,
        ngram=ngram,
        num_perm=num_perm,
        keep=policy,
        star=clusters == "star",
        on_missing=on_missing,
        text_field=text_field,
    )
    return _result(raw, len(raw[3]))


# ---- reading inputs -----------------------------------------------------------------------------------


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
        encoding: the inputs' text encoding (``latin-1``, ``cp1252``, …; default UTF-8, or UTF-16 by
            its byte-order mark), as ``neardup diff --encoding``: such an input is transcoded to a
            temporary UTF-8 file first (`rereadable`).
        delimiter: the CSV field delimiter; default: the most frequent of comma, semicolon and tab in
            the header row, as ``neardup diff``.
    """

    format: str = "auto"
    field: str = "title+abstract"
    id_field: str | None = None
    title_field: str | None = None
    abstract_field: str | None = None
    text_field: str | None = None
    on_bad_record: str = "error"
    encoding: str | None = None
    delimiter: str | None = None

    def __post_init__(self) -> None:
        if self.encoding is not None:
            _core._encoding(self.encoding)  # ValueError for a name not known
        if self.delimiter is not None and (
            len(self.delimiter) != 1 or self.delimiter in '"\r\n' or not self.delimiter.isascii()
        ):
            raise ValueError(f"delimiter {self.delimiter!r}: expected one ASCII character")
        if self.on_bad_record not in BAD_RECORD_CHOICES:
            raise ValueError(f"on_bad_record must be error or skip, got {self.on_bad_record!r}")
        if self.field not in FIELDS:
            raise ValueError(f"field must be one of {', '.join(FIELDS)}, got {self.field!r}")
        if self.format != "auto" and self.format not in FORMATS:
            known = ", ".join(("auto", *FORMATS))
            raise ValueError(f"unknown snapshot format {self.format!r}; expected one of {known}")


def _entry_text(entry: Entry, compared: str) -> str:
    if compared == "title":
        return entry.title
    if compared == "abstract":
        return entry.abstract
    return f"{entry.title}\n{entry.abstract}"


@dataclass(frozen=True, slots=True, eq=False)
class Input:
    """One input read by its first pass: the core's columns (`part`), and how to name and re-read its
    documents.

    Attributes:
        name: the file as the user named it (``<stdin>`` for standard input).
        path: where it is read from (a spooled copy for standard input).
        format: its format.
        part: the core's first pass.
        entries: for the page formats, the entries read (kept for the deduplicated copy).
    """

    name: str
    path: str
    format: str
    part: _core._CorpusPart
    entries: tuple[Entry, ...] | None = None
    _ids: tuple[bytes, npt.NDArray[np.uint64], npt.NDArray[np.bool_], npt.NDArray[np.uint64]] | None = None

    def __len__(self) -> int:
        return len(self.part)

    def id(self, i: int) -> str:
        """The id of document `i` of this input."""
        if self.entries is not None:
            entry = self.entries[i]
            return entry.key or f"{self.name}:{entry.line}"
        assert self._ids is not None
        data, ends, has_id, lines = self._ids
        if not has_id[i]:
            return f"{self.name}:{int(lines[i])}"
        start = int(ends[i - 1]) if i else 0
        return data[start : int(ends[i])].decode("utf-8")

    def line(self, i: int) -> int | None:
        """The line of document `i`."""
        if self.entries is not None:
            return self.entries[i].line
        assert self._ids is not None
        return int(self._ids[3][i])

    def titles(self, docs: Sequence[int]) -> list[str | None]:
        """The titles of documents `docs` (ascending), read again."""
        return [title for _, title in self.part.texts_of(list(docs))]

    def records(self, docs: Sequence[int]) -> Iterator[bytes]:
        """The records of documents `docs` as they are in the file (JSONL lines, CSV rows; line end
        included), for the core's formats."""
        starts, ends, _, _ = self.spans()
        yield from _spans_of(self.part, self.path, ((int(starts[i]), int(ends[i])) for i in docs))

    def spans(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], int, bool]:
        spans = self.part.spans()
        if spans is None:
            raise ValueError(f"{self.name}: no byte ranges for the {self.format} format")
        return spans

    def header(self) -> bytes:
        """A CSV file's header row, line end included."""
        _, _, end, _ = self.spans()
        return next(_spans_of(self.part, self.path, [(0, end)]))


def _word_error(
    name: str, path: str, fmt: str, part: _core._CorpusPart, bad: tuple[int, int, int, str | None, str | None]
) -> str:
    """The message of a bad record the core met (its own wording, or the Python reader's)."""
    line, start, end, expected, got = bad
    if expected is not None:
        return str(SnapshotFormatError(name, line or None, expected, got))
    if fmt == "csv":
        return str(_csv_error(name, path))
    return str(_jsonl_error(name, line, next(_spans_of(part, path, [(start, end)]))))


_SPANS_AT_ONCE = 4096
"""Records the core hands over in one call when it kept the text (a bound on the bytes objects alive)."""


def _spans_of(part: _core._CorpusPart, path: str, spans: Iterable[tuple[int, int]]) -> Iterator[bytes]:
    """The bytes of each `(start, end)` range of the text the core read (offsets after a BOM): from the
    text the core kept of a compressed or streamed input (or decompressed again by the core when it was
    too long to keep), else from the file itself."""
    spans = iter(spans)
    first = list(itertools.islice(spans, _SPANS_AT_ONCE))
    held = part.kept(first)
    if held is None:
        yield from _read_spans(path, itertools.chain(first, spans))
        return
    while held:
        yield from held
        held = part.kept(list(itertools.islice(spans, _SPANS_AT_ONCE)))
        assert held is not None


def _read_spans(path: str, spans: Iterable[tuple[int, int]]) -> Iterator[bytes]:
    """The bytes of each `(start, end)` range (offsets after a BOM) of the plain file `path`."""
    with open(path, "rb") as fh:
        skip = len(BOM) if fh.read(len(BOM)) == BOM else 0
        for start, end in spans:
            fh.seek(skip + start)
            yield fh.read(end - start)


def _jsonl_error(name: str, line: int, raw: bytes) -> SnapshotFormatError:
    """Why the Python reader refuses a JSONL line the core did not parse."""
    from neardup.formats.jsonl import parse_object

    source = Source(name, b"", io.BytesIO())
    if b"\x00" in raw:
        return source.error(line, "text", "binary data (a NUL byte)")
    try:
        parse_object(source, line, raw)
    except SnapshotFormatError as error:
        return error
    return source.error(line, "a JSON object", "a value strict JSON does not allow")


def _csv_error(name: str, path: str) -> SnapshotFormatError:
    """Why the Python CSV reader refuses a file the core did not read."""
    import csv

    with open_source(path) as source:
        source.name = name
        lines = (text for _, text in source.text_lines())
        first = next(lines, "")
        delimiter = "\t" if "\t" in first and "," not in first else ","

        def replay() -> Iterator[str]:
            yield first
            yield from lines

        reader = csv.reader(replay(), delimiter=delimiter, strict=True)
        try:
            for _ in reader:
                pass
        except csv.Error as error:
            return source.error(reader.line_num or 1, "a CSV row", str(error))
    return SnapshotFormatError(name, None, "a CSV file", "a layout the reader does not take")


def read_input(
    path: PathLike,
    spec: ReadSpec,
    *,
    name: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    ngram: int = 3,
    num_perm: int = 128,
    keep: str = "first",
    held: _core._HeldBudget | None = None,
) -> tuple[Input, int, str | None]:
    """The first pass over one file: ``(input, bad records skipped, the first one's error)``. The text
    of a compressed file is held in memory for the second pass while it fits in `held` (the run's budget,
    shared by its files: `held_text_budget`; one of its own when None), else decompressed again.

    Raises:
        SnapshotFormatError: the file is missing, unreadable or invalid.
    """
    _, rank = _keep_arg(keep)
    real = os.fspath(path)
    with open_source(real) as source:
        if name is not None:
            source.name = name
        shown = source.name
        fmt = detect_format(source.head, path=shown) if spec.format == "auto" else spec.format
        if fmt in ("parquet", "arrow") and _core._columnar_rows(real, text_columns=_text_columns(spec)):
            fmt = "jsonl"  # the core reads the rows as JSON Lines (`read/columnar.rs`)
        if fmt not in ("jsonl", "csv"):
            return _page_input(source, real, fmt, spec, threshold, ngram, num_perm), 0, None
    part = _core._corpus_file(
        real,
        fmt,
        field=spec.field,
        text_field=spec.text_field,
        id_field=spec.id_field,
        title_field=spec.title_field,
        abstract_field=spec.abstract_field,
        rank_field=rank,
        skip_bad=spec.on_bad_record == "skip",
        threshold=threshold,
        ngram=ngram,
        num_perm=num_perm,
        delimiter=spec.delimiter,
        held=held,
    )
    bad = part.bad()
    skipped = part.skipped()
    # Skipping, `bad` holds the first record skipped; a file that cannot be read at all goes last.
    if bad and (not skipped or bad[-1][0] == 0):
        line, _, _, expected, got = bad[-1]
        if expected is not None:
            raise SnapshotFormatError(shown, line or None, expected, got)
        if fmt == "csv":
            raise _csv_error(shown, real)
        raise _jsonl_error(shown, line, next(_spans_of(part, real, [bad[-1][1:3]])))
    example = _word_error(shown, real, fmt, part, bad[0]) if skipped else None
    return Input(shown, real, fmt, part, None, part.ids()), skipped, example


def _page_input(
    source: Source, path: str, fmt: str, spec: ReadSpec, threshold: float, ngram: int, num_perm: int
) -> Input:
    """An input in one of the page formats, read by its Python reader (pages of a few hundred entries)."""
    from neardup.formats import read_snapshot

    try:
        snapshot = read_snapshot(
            source.stream,
            fmt,
            id_field=spec.id_field,
            title_field=spec.title_field,
            abstract_field=spec.abstract_field,
        )
    except SnapshotFormatError as error:
        if error.path == source.name:
            raise
        raise SnapshotFormatError(source.name, error.line, error.expected, error.got) from None
    entries = tuple(snapshot.entries)
    part = _core._corpus_texts(
        [_entry_text(e, spec.field) for e in entries],
        [e.title or None for e in entries],
        threshold=threshold,
        ngram=ngram,
        num_perm=num_perm,
    )
    return Input(source.name, path, fmt, part, entries)


HELD_TEXT_ENV = "NEARDUP_HELD_TEXT"
"""Environment variable setting the bytes of decompressed text a run holds in memory (`held_text_budget`)."""


def held_text_budget() -> _core._HeldBudget:
    """The budget of one run: the decompressed text (of compressed JSON Lines inputs) that its files may
    hold in memory together for the second pass, the files read first held first; a file that does not
    fit in what is left is decompressed again instead. 512 MiB by default (at most a quarter of the
    machine's memory: enough for the text of a few hundred thousand abstracts), ``NEARDUP_HELD_TEXT``
    (bytes; 0 holds nothing) overrides it. The results do not depend on it, only time and memory do."""
    raw = os.environ.get(HELD_TEXT_ENV)
    if raw is None:
        return _core._HeldBudget()
    try:
        limit = int(raw)
    except ValueError:
        limit = -1
    if limit < 0:
        raise NeardupError(f"{HELD_TEXT_ENV}: expected a number of bytes (0 or more), got {raw!r}")
    return _core._HeldBudget(limit)


# ---- inputs that can be read only once ------------------------------------------------------------------


@contextmanager
def rereadable(paths: Sequence[PathLike], spec: ReadSpec | None = None) -> Iterator[list[tuple[str, str]]]:
    """``(path to read, name to show)`` for each of `paths`: an input that can be read only once (``-``
    for standard input, a FIFO, ``/dev/stdin``, a process substitution) is read once into a temporary
    file (bounded by `SPOOL_LIMIT`), which the passes then read."""
    spec = spec or ReadSpec()
    with ExitStack() as stack:
        out: list[tuple[str, str]] = []
        spooled: dict[str, str] = {}
        for p in paths:
            key = os.fspath(p)
            name = display_name(p)
            if key not in spooled:
                spooled[key] = spool(p, stack) if needs_spool(p) else key
                spooled[key] = _transcoded(spooled[key], name, spec, stack)
            out.append((spooled[key], name))
        yield out


def _temp(name: str, suffix: str, stack: ExitStack) -> str:
    """A new temporary file, removed at the end of the run (or by the CLI's signal handlers)."""
    try:
        fd, tmp = temp_files.create(tempfile.gettempdir(), "neardup-", suffix, mode=0o600)
    except OSError as exc:
        raise spool_failed(name, exc) from None
    os.close(fd)

    stack.callback(temp_files.remove, tmp)
    return tmp


def _transcoded(path: str, name: str, spec: ReadSpec, stack: ExitStack) -> str:
    """`path`, or when `spec` names an encoding other than UTF-8, a temporary UTF-8 copy of its text
    (decompressed too), so that the passes, the byte ranges of the records and their errors all see the
    same text. A byte the encoding cannot decode is the `SnapshotFormatError` of `open_source`."""
    if spec.encoding is None or _core._encoding(spec.encoding) is None:
        return path
    import shutil

    tmp = _temp(name, ".txt", stack)
    with open_source(path, spec.encoding) as source, open(tmp, "wb") as out:
        source.name = name
        try:
            shutil.copyfileobj(source.stream, out, 1 << 20)
        except OSError as exc:
            raise SnapshotFormatError(name, None, f"text in {spec.encoding}", str(exc)) from None
    return tmp


def _text_columns(spec: ReadSpec) -> list[str]:
    """The columns of a Parquet or Arrow file whose nulls are empty texts besides the usual ones."""
    return [c for c in (spec.text_field, spec.title_field, spec.abstract_field) if c]


# ---- the run --------------------------------------------------------------------------------------------


def dedup_files(
    paths: Sequence[PathLike] | PathLike,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    ngram: int = 3,
    num_perm: int = 128,
    spec: ReadSpec | None = None,
    keep: str = "first",
    clusters: str = "components",
) -> DedupResult:
    """Duplicates among the documents of `paths` (JSONL/CSV corpora or any snapshot format; ``-`` is
    standard input), in file order across files. Same clusters as `dedup` on the same texts.

    Args:
        spec: how to read the files (`ReadSpec`: format, compared field, field names, what to do with
            a bad record).
        threshold: minimum exact Jaccard similarity of two word-shingle sets, in (0, 1); 1.0: exact
            duplicates of the normalised text only.
        keep: which member of a cluster is kept: ``"first"``, ``"longest"`` or ``"field:NAME"`` (the
            largest number in field NAME; records without one rank last).
        clusters: ``"components"`` or ``"star"`` (see the module doc).

    Raises:
        SnapshotFormatError: a file is missing, unreadable or invalid.
        NeardupError: a file changed between the two passes.
        ValueError: a parameter is out of range.
    """
    path_list: list[PathLike] = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not path_list:
        raise ValueError("no input files")
    spec = spec or ReadSpec()
    with rereadable(path_list, spec) as sources:
        result, _ = dedup_inputs(sources, threshold, ngram, num_perm, spec, keep, clusters)
        return result


def dedup_inputs(
    sources: Sequence[tuple[str, str]],
    threshold: float,
    ngram: int,
    num_perm: int,
    spec: ReadSpec,
    keep: str = "first",
    clusters: str = "components",
) -> tuple[DedupResult, list[Input]]:
    """`dedup_files` over ``(path, name)`` pairs of `rereadable`; also returns the inputs read."""
    _check(threshold, clusters)
    policy, _ = _keep_arg(keep)
    inputs: list[Input] = []
    skipped = 0
    example: str | None = None
    held = held_text_budget()  # one for the run, taken by the files in input order
    for path, name in sources:
        read, skips, first = read_input(
            path, spec, name=name, threshold=threshold, ngram=ngram, num_perm=num_perm, keep=keep, held=held
        )
        inputs.append(read)
        skipped += skips
        example = example or first
    raw = _core._corpus_dedup(
        [i.part for i in inputs],
        threshold=threshold,
        ngram=ngram,
        num_perm=num_perm,
        keep=policy,
        star=clusters == "star",
    )
    counts = tuple(len(i) for i in inputs)
    return _result(raw, sum(counts), _Ids(inputs), skipped, example, counts), inputs


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
        fd, tmp = temp_files.create(directory, f".{os.path.basename(target)}.", ".tmp")
    except OSError as exc:
        raise NeardupError(f"{target}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
        os.replace(tmp, target)
    except OSError as exc:
        raise NeardupError(f"{target}: cannot write: {exc.strerror or exc}") from None
    finally:
        temp_files.remove(tmp)
