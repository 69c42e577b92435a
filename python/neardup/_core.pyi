"""Type stubs and user-facing docs of the Rust extension ``neardup._core``."""

from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from typing import Any, Self, TypeVar, final

import numpy as np
import numpy.typing as npt
from typing_extensions import disjoint_base

__version__: str
__all__ = [
    "__version__",
    "NeardupError",
    "IndexFormatError",
    "MinHasher",
    "jaccard",
    "shingle_jaccard",
    "LSHIndex",
    "_dedup",
    "_banding",
    "_band_keys",
    "_partition_band_keys",
    "_buckets_of_entries",
    "_buckets_of_keys",
    "_shingle_sets",
    "_cluster_buckets",
    "_components",
    "_CorpusPart",
    "_HeldBudget",
    "_corpus_file",
    "_corpus_texts",
    "_corpus_dedup",
    "_dedup_texts",
    "_columnar_rows",
    "_install_fault_handlers",
    "_near_cross",
    "_set_activity",
    "_track_temp",
    "_compression_of",
    "_encoding",
    "_TextReader",
    "_near_match",
    "_generic_title",
    "_near_self",
    "normalize_title",
    "arxiv_key",
    "normalize_doi",
    "doi_key",
    "identity_key",
    "unlatex",
    "_reconcile",
    "_EngineOptions",
    "_duplicate_groups",
    "_resolve_shared",
    "_diff_files",
    "Reconciled",
    "Report",
    "Diff",
    "diff",
    "diff_many",
    "_DsHasher",
    "_DsLsh",
    "_DsForest",
    "_DsWeighted",
    "_ds_optimal_param",
    "_read_jsonl_batch",
    "EntryBase",
    "_catalog_read",
    "_catalog_prepare",
    "_text_digests",
]

class NeardupError(Exception):
    """Base class of neardup's domain errors."""

class IndexFormatError(NeardupError):
    """A saved index is truncated, corrupt, of a newer format, or not an index at all."""

# ---- MinHash ---------------------------------------------------------------------------------------

@final
class MinHasher:
    """MinHash signatures of texts, computed in the Rust core.

    Texts are normalised (NFKC + lower case, unless ``normalize=False``), tokenised into words (runs of
    ``\\w``) or characters, and cut into ``ngram`` shingles. ``scheme="oph"`` (default) is one-permutation
    hashing with optimal densification; ``"kperm"`` is classic k-permutation MinHash.
    """

    def __new__(
        cls,
        num_perm: int = 128,
        *,
        ngram: int = 3,
        unit: str = "word",
        seed: int = 1,
        normalize: bool = True,
        scheme: str = "oph",
    ) -> MinHasher: ...
    @property
    def num_perm(self) -> int: ...
    @property
    def ngram(self) -> int: ...
    @property
    def unit(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def normalize(self) -> bool: ...
    @property
    def scheme(self) -> str: ...
    def signature(self, text_: str, /) -> npt.NDArray[np.uint32]:
        """Signature of one text: uint32 array of length ``num_perm``."""
    def signatures(self, texts_: Iterable[str] | Any, /) -> npt.NDArray[np.uint32]:
        """Signatures of many texts (a sequence of str, or Arrow strings read in place: any
        `__arrow_c_stream__` / `__arrow_c_array__` exporter, nulls as empty texts): ``(n, num_perm)``,
        computed in parallel with the GIL released."""
    def signatures_from_tokens(self, docs: Iterable[Sequence[str]], /) -> npt.NDArray[np.uint32]:
        """Signatures of texts the caller tokenised (tokens are not normalised)."""
    def __reduce__(self) -> Any: ...

def jaccard(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32], /) -> float:
    """Estimated Jaccard similarity of two signatures (0.0 if either is the empty-set signature)."""

def shingle_jaccard(
    a: str, b: str, /, *, ngram: int = 3, unit: str = "word", normalize: bool = True
) -> float:
    """Exact Jaccard similarity of the shingle sets of two texts (0.0 if either has no shingle)."""

# ---- LSH -------------------------------------------------------------------------------------------

@final
class LSHIndex:
    """Banded LSH index over MinHash signatures. Keys are int or str.

    ``(bands, rows)`` minimise the weighted false-positive and false-negative areas at ``threshold``
    (datasketch's rule), unless ``params=(bands, rows)`` is given.
    """

    def __new__(
        cls,
        threshold: float = 0.5,
        num_perm: int = 128,
        *,
        weights: tuple[float, float] = ...,
        params: tuple[int, int] | None = None,
    ) -> LSHIndex: ...
    @property
    def bands(self) -> int: ...
    @property
    def rows(self) -> int: ...
    @property
    def num_perm(self) -> int: ...
    @property
    def threshold(self) -> float | None: ...
    def insert(self, key_: int | str, sig: npt.NDArray[np.uint32], /) -> None:
        """Inserts one key; a key already present raises ValueError."""
    def insert_many(self, keys: Iterable[int | str], sigs: npt.NDArray[np.uint32] | Iterable[Any], /) -> None:
        """Inserts many keys at once (all or nothing)."""
    def query(self, sig: npt.NDArray[np.uint32], /) -> list[int | str]:
        """Keys sharing at least one band with ``sig``, in insertion order."""
    def query_many(self, sigs: npt.NDArray[np.uint32] | Iterable[Any], /) -> list[list[int | str]]:
        """``query`` for each row, in parallel."""
    def remove(self, key_: int | str, /) -> None:
        """Removes a key; KeyError if absent."""
    def keys(self) -> list[int | str]:
        """Live keys in insertion order."""
    def key_at(self, index: int, /) -> int | str:
        """Key of an insertion index, as used by ``candidate_pairs``."""
    def candidate_pairs(self) -> npt.NDArray[np.int64]:
        """All pairs of insertion indices sharing a band, each once, as an ``(m, 2)`` array, sorted."""
    def to_bytes(self) -> bytes:
        """The versioned binary form read by ``from_bytes``: a header (magic, format version, the
        body's length and its checksum), then the body."""
    @staticmethod
    def from_bytes(data: bytes, /) -> LSHIndex:
        """Reads ``to_bytes`` output (this version's or the previous one's); IndexFormatError on
        anything else, including a truncated, extended or altered copy (checksum)."""
    def save(self, path: str | PathLike[str], /) -> None:
        """Writes the index to ``path`` atomically: a temporary file beside it, synced to disk, then
        renamed over it, so that a failure (a full disk, a kill) leaves an existing file intact.
        OSError naming the file on a file-system failure."""
    @staticmethod
    def load(path: str | PathLike[str], /) -> LSHIndex:
        """Loads a saved index; IndexFormatError (naming the file) if it is truncated, corrupt or not
        an index. Reads the header first and never more than it announces, so a device such as
        ``/dev/zero`` fails at once."""
    def __len__(self) -> int: ...
    def __contains__(self, key_: object, /) -> bool: ...
    def __reduce__(self) -> Any: ...

# ---- fuzzy matching (reconciliation's near stage) ----------------------------------------------------

def _install_fault_handlers() -> None: ...
def _track_temp(path: str, on: bool, /) -> None: ...
def _set_activity(what: str, /) -> None: ...
def _compression_of(head: bytes, /) -> str | None:
    """The compression whose magic bytes `head` starts with (gzip, zstd, bzip2, xz), or None."""

def _encoding(name: str, /) -> str | None:
    """The canonical name of the encoding `name`, None for UTF-8; `ValueError` when not known."""

@final
class _TextReader:
    """The UTF-8 text of a binary stream: decompressed, transcoded (see `neardup.formats.source`)."""

    def __new__(cls, stream: object, encoding: str | None = None, /) -> _TextReader: ...
    @property
    def compression(self) -> str | None: ...
    def read(self, size: int) -> bytes:
        """Up to `size` decompressed bytes; ``b""`` at the end; `OSError` on corrupt data."""

def _near_cross(
    left: Iterable[str], right: Iterable[str], /, *, threshold: float, one_to_one: bool = True
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.float64]]: ...
def _generic_title(title: str, /) -> bool:
    """Whether a title names no paper on its own ("Editorial", "Book review column"): the title stage
    does not take it for identity."""

def _near_match(
    left_titles: Iterable[str],
    left_abstracts: Iterable[str],
    right_titles: Iterable[str],
    right_abstracts: Iterable[str],
    /,
    *,
    left_authors: Iterable[Iterable[str]] | None = None,
    right_authors: Iterable[Iterable[str]] | None = None,
    left_categories: Iterable[Iterable[str]] | None = None,
    right_categories: Iterable[Iterable[str]] | None = None,
    left_years: Iterable[int | None] | None = None,
    right_years: Iterable[int | None] | None = None,
    left_keys: Iterable[str | None] | None = None,
    right_keys: Iterable[str | None] | None = None,
    min_score: float | None = None,
    margin: float | None = None,
    candidate_threshold: float | None = None,
    candidates: bool = False,
) -> tuple[
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]:
    """Near matches between two collections given as columns (`neardup_core::near::match_entries`).

    Each pair's score is a sum of log-likelihood ratios of its fields' evidence (title, abstract,
    authors as a set of people, categories, year), computed from the two entries alone; a pair is
    accepted when it scores at least `min_score` (default 3) and beats each side's runner-up by
    `margin` (default 0.75): one-to-one, best first. Empty strings, empty lists and None are missing
    fields (neutral). Entries whose keys are both given and differ are known to be different papers:
    never candidates (the engine's rule). Returns `(left, right, score, title_sim, abstract_sim,
    authors_sim)`, NaN where a field is missing on either side; with `candidates`, every scored
    candidate pair instead.
    ValueError when a column's length differs from its side's titles or a parameter is out of range.
    """

def _near_self(
    texts_: Iterable[str], /, *, threshold: float
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.float64]]: ...

# ---- reconciliation steps ------------------------------------------------------------------------

_Columns = tuple[list[Any], ...]
_Evidence = tuple[float | None, float | None, float | None]
_PyMatch = tuple[int, int, str, float, list[tuple[str, Diff]], list[str], _Evidence | None]

def normalize_title(title: str, /) -> str:
    """The normalised title of DESIGN §5: LaTeX to characters, NFKC, casefold, punctuation and symbols to
    spaces, format characters dropped, whitespace collapsed."""

def arxiv_key(text: str, /) -> tuple[str, int | None] | None:
    """``("arxiv:<id>", version)`` for an arXiv identifier in any common spelling, else None."""

def normalize_doi(text: str, /) -> str | None:
    """The DOI in `text`, lower-cased without a ``doi:`` or resolver prefix, else None."""

def doi_key(text: str, /) -> str | None:
    """``"doi:<doi>"`` for a DOI, ``"arxiv:<id>"`` for arXiv's own DOIs, else None."""

def identity_key(text: str, /) -> tuple[str, int | None] | None:
    """The key of an id field: an arXiv id (with its version), else a DOI, else None."""

def unlatex(text: str, /) -> str:
    """The LaTeX found in titles replaced by the characters it stands for."""

@final
class _EngineOptions:
    """The engine's options, given to both reconciling entry points (`_reconcile`, `_diff_files`)."""

    def __new__(
        cls,
        *,
        threshold: float,
        duplicate_threshold: float,
        include_meta: bool = False,
        near: bool = True,
        ignore_fields: list[str] = ...,
        text_fields: list[str] = ...,
    ) -> _EngineOptions: ...

def _reconcile(
    old: _Columns,
    new: _Columns,
    /,
    *,
    options: _EngineOptions,
) -> tuple[
    list[_PyMatch],
    list[_PyMatch],
    list[int],
    list[int],
    list[tuple[list[int], float]],
    list[tuple[list[int], float]],
    Reconciled,
]: ...

_Named = tuple[str | None, str | None, str | None]

@final
class Reconciled:
    """The engine's result on two snapshots, with the records it read: what every report of a
    `SnapshotDiff` is rendered from."""

    def render(
        self,
        format: str,
        old: _Named,
        new: _Named,
        /,
        *,
        context: int | None = None,
        word_diff: str = "plain",
        color: bool = False,
    ) -> Report:
        """The report in `format` (text, json, jsonl, md or html); `old` and `new` are `(path, format,
        date)` of each snapshot."""

def _duplicate_groups(entries: _Columns, /, *, threshold: float) -> list[tuple[list[int], float]]: ...
def _resolve_shared(old: _Columns, new: _Columns, /) -> list[tuple[int, int]]: ...

# A snapshot prepared for the catalog: (hash, reps, group_of, keys, norm_titles, generic, metas, upvotes,
# too_large (line, field, value) or None, titles, abstracts, (authors, categories, years) per group,
# the groups' text digests end to end).
_CatalogColumns = tuple[
    str,
    list[int],
    list[int],
    list[str | None],
    list[str],
    list[bool],
    list[str],
    list[int | None],
    tuple[int, str, str] | None,
    list[str],
    list[str],
    tuple[list[list[str]], list[list[str]], list[int | None]],
    bytes,
]

def _catalog_read(
    path: str | PathLike[str],
    format: str,
    /,
    *,
    date: str | None,
    duplicate_threshold: float,
    title_field: str | None = None,
    abstract_field: str | None = None,
    id_field: str | None = None,
    int_max_str_digits: int = 4300,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> _CatalogColumns | None: ...
def _catalog_prepare(
    columns: _Columns, /, *, date: str | None, duplicate_threshold: float
) -> _CatalogColumns: ...
def _text_digests(titles: list[str], abstracts: list[str]) -> bytes: ...
def _diff_files(
    old_path: str | PathLike[str],
    new_path: str | PathLike[str],
    old_name: str,
    new_name: str,
    /,
    *,
    options: _EngineOptions,
    title_field: str | None = None,
    abstract_field: str | None = None,
    id_field: str | None = None,
    old_format: str = "jsonl",
    new_format: str = "jsonl",
    int_max_str_digits: int = 4300,
    out_fd: int | None = None,
    report_format: str = "json",
    context: int | None = None,
    word_diff: str = "plain",
    color: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> tuple[Report | OSError | None, bool] | None:
    """Without `out_fd`: the report and whether the snapshots differ. With it: the report is written to
    `out_fd` as it is rendered, and the `OSError` that stopped the writing (or None) comes first."""

@final
class Report:
    """A UTF-8 report held by the core in pieces (see `neardup.fast_diff`)."""

    def __len__(self) -> int: ...
    def __bytes__(self) -> bytes: ...
    def write_to(self, fd: int, /) -> None:
        """Writes the report to the open file descriptor `fd` (left open)."""

# ---- clustering ------------------------------------------------------------------------------------

def _dedup(
    texts_: Iterable[str],
    /,
    *,
    threshold: float = 0.8,
    ngram: int = 3,
    num_perm: int = 128,
    unit: str = "word",
    seed: int = 1,
) -> tuple[list[tuple[int, int, float]], list[list[int]]]: ...

# Corpus-scale pieces of neardup.corpus and neardup.distributed.ray (private; numpy arrays in and out).

def _banding(*, threshold: float = 0.8, num_perm: int = 128) -> tuple[int, int]:
    """``(bands, rows)`` of the LSH banding used at `threshold`."""

def _band_keys(
    texts_: Iterable[str] | Any, /, *, threshold: float = 0.8, ngram: int = 3, num_perm: int = 128
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    """Band keys ``(n, bands)`` of texts (a sequence of str, or Arrow strings, a null an empty text) and
    the mask of texts without shingles."""

def _partition_band_keys(
    keys: npt.NDArray[np.uint64], empty: npt.NDArray[np.bool_], /, *, doc_base: int, parts: int
) -> list[tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint64], npt.NDArray[np.uint64]]]:
    """``(band, key, doc)`` entries of each of `parts` reducers; documents numbered from `doc_base`."""

def _buckets_of_entries(
    band: npt.NDArray[np.uint32], key: npt.NDArray[np.uint64], doc: npt.NDArray[np.uint64], /
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Buckets ``(offsets, docs)`` of shuffled entries."""

def _buckets_of_keys(
    keys: npt.NDArray[np.uint64], empty: npt.NDArray[np.bool_], /
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Buckets ``(offsets, docs)`` of a key matrix (row i is document i)."""

def _shingle_sets(
    texts_: Iterable[str] | Any, ids: npt.NDArray[np.uint64], /, *, ngram: int = 3
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Shingle-set store ``(ids, offsets, values)`` of texts stored under `ids` (ascending)."""

def _cluster_buckets(
    offsets: npt.NDArray[np.uint64],
    docs: npt.NDArray[np.uint64],
    sets: Sequence[tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.uint64]]],
    /,
    *,
    threshold: float = 0.8,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Verified partial components ``(docs, roots)`` of buckets, roots the smallest members."""

def _components(
    docs: npt.NDArray[np.uint64], roots: npt.NDArray[np.uint64], /
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Components ``(offsets, members)`` of the edges ``docs[i] — roots[i]``."""

# Corpus dedup of neardup.corpus (private): the first pass over one input, then the run over them.

_Outcome = tuple[
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint8],
    npt.NDArray[np.float32],
]

@final
class _CorpusPart:
    """The documents of one input, read by the first pass (band keys, lengths; for a file: ids, lines,
    byte ranges, bad records)."""

    def __len__(self) -> int: ...
    def ids(
        self,
    ) -> tuple[bytes, npt.NDArray[np.uint64], npt.NDArray[np.bool_], npt.NDArray[np.uint64]] | None:
        """``(id bytes, id ends, has id, lines)`` of a file's documents."""
    def keys(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
        """Band keys ``(n, bands)`` and the mask of documents without shingles."""
    def spans(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], int, bool] | None:
        """``(starts, ends, header_end, bom)``: each record's byte range in a file (after its BOM)."""
    def bad(self) -> list[tuple[int, int, int, str | None, str | None]]:
        """Bad records: ``(line, start, end, expected, got)``; line 0 concerns the whole file."""
    def skipped(self) -> int:
        """How many bad records were skipped."""
    def held_bytes(self) -> int:
        """Bytes of the input's text held in memory for the second pass (from its `_HeldBudget`): 0 for
        a plain file, or a compressed one that did not fit and is decompressed again."""
    def kept(self, spans: list[tuple[int, int]]) -> list[bytes] | None:
        """The bytes of each ``(start, end)`` span (after a BOM) of the text the first pass kept of a
        compressed or streamed input; None when it kept none (a plain file: read the spans from it)."""
    def texts_of(self, docs: list[int]) -> list[tuple[str, str | None]]:
        """Texts and titles of documents `docs` (ascending), read again."""

@final
class _HeldBudget:
    """The decompressed text one run may hold in memory for its second pass, shared by all of its files
    (the files read first are held first); `limit` in bytes, None for the default (512 MiB, at most a
    quarter of the machine's memory)."""

    def __new__(cls, limit: int | None = None, /) -> _HeldBudget: ...
    @property
    def limit(self) -> int: ...
    @property
    def used(self) -> int:
        """Bytes the live texts read with this budget hold."""

def _corpus_file(
    path: str | PathLike[str],
    format: str,
    /,
    *,
    field: str = "title+abstract",
    text_field: str | None = None,
    id_field: str | None = None,
    title_field: str | None = None,
    abstract_field: str | None = None,
    rank_field: str | None = None,
    skip_bad: bool = False,
    threshold: float = 0.8,
    ngram: int = 3,
    num_perm: int = 128,
    delimiter: str | None = None,
    held: _HeldBudget | None = None,
) -> _CorpusPart:
    """The first pass over a JSONL or CSV file, in the core; a compressed text is held in memory for the
    second pass as long as it fits in `held` (a budget of its own when None)."""

def _corpus_texts(
    texts_: list[str],
    titles: list[str | None],
    /,
    *,
    threshold: float = 0.8,
    ngram: int = 3,
    num_perm: int = 128,
) -> _CorpusPart:
    """The first pass over texts held in memory (with their titles)."""

def _corpus_dedup(
    parts: list[_CorpusPart],
    /,
    *,
    threshold: float = 0.8,
    ngram: int = 3,
    num_perm: int = 128,
    keep: str = "first",
    star: bool = False,
) -> _Outcome:
    """``(offsets, members, kept, replaced_by, stage, similarity)`` of the documents of `parts`."""

def _dedup_texts(
    texts_: Iterable[str | None] | Any,
    /,
    *,
    threshold: float = 0.8,
    ngram: int = 3,
    num_perm: int = 128,
    keep: str = "first",
    star: bool = False,
    on_missing: str = "empty",
    text_field: str | None = None,
) -> _Outcome:
    """As `_corpus_dedup`, for texts held in memory: a sequence of str, or Arrow strings (an array, a
    chunked array, or the column `text_field` of a table) read in place from their buffers. Missing
    texts (None, NaN, Arrow nulls) are empty texts or an error, as `on_missing` says."""

# ---- datasketch compat -----------------------------------------------------------------------------
# Private engines of neardup.compat.datasketch (its MinHash / MinHashLSH are the public face).

@final
class _DsHasher:
    """The permutations of one datasketch ``MinHash(num_perm, seed, scheme)`` configuration."""

    def __new__(cls, scheme: str, seed: int, num_perm: int) -> _DsHasher: ...
    @staticmethod
    def from_permutations(scheme: str, a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> _DsHasher: ...
    @property
    def scheme(self) -> str: ...
    @property
    def num_perm(self) -> int: ...
    def permutations(self) -> npt.NDArray[Any]:
        """``(2, num_perm)`` parameters ``a``, ``b`` in the scheme's dtype."""
    def update(
        self, hashvalues: npt.NDArray[Any], tokens: Iterable[Any], wide_tokens: bool
    ) -> npt.NDArray[Any]:
        """A new array: ``hashvalues`` updated with SHA-1 hashes of byte tokens."""
    def update_hashed(self, hashvalues: npt.NDArray[Any], hashes: npt.NDArray[np.uint64]) -> npt.NDArray[Any]:
        """A new array: ``hashvalues`` updated with already computed token hashes."""
    def bulk(
        self, docs: Iterable[Iterable[Any]], init: npt.NDArray[Any], wide_tokens: bool
    ) -> npt.NDArray[Any]:
        """``(len(docs), num_perm)`` signatures, each starting from ``init``; GIL released."""

@final
class _DsLsh:
    """Banded LSH with datasketch's candidate sets, over numbered slots."""

    def __new__(cls, num_perm: int, bands: int, rows: int) -> _DsLsh: ...
    @property
    def num_perm(self) -> int: ...
    @property
    def bands(self) -> int: ...
    @property
    def rows(self) -> int: ...
    def insert(self, hashvalues: npt.NDArray[Any]) -> int: ...
    def insert_bands(self, values: npt.NDArray[np.uint64]) -> list[int]: ...
    def remove(self, slot: int) -> None: ...
    def query(self, hashvalues: npt.NDArray[Any]) -> list[int]: ...
    def query_bands(self, hashvalues: npt.NDArray[Any], bands: int) -> list[int]: ...
    def insert_many(self, matrix: npt.NDArray[Any]) -> npt.NDArray[np.uint32]: ...
    def query_many(self, matrix: npt.NDArray[Any], keys: list[Any] | None = None) -> list[list[Any]]: ...
    def query_bands_hits(
        self, matrix: npt.NDArray[Any], rows: list[int], bands: list[int]
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]: ...
    def band_values(self, slot: int) -> npt.NDArray[np.uint64] | None: ...
    def export(self) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint64]]: ...
    def buckets(self, band: int) -> list[tuple[npt.NDArray[np.uint64], list[int]]]: ...
    def __len__(self) -> int: ...

@final
class _DsForest:
    """datasketch's LSH Forest over numbered slots: ``trees`` prefix trees of ``rows`` rows of ``width``
    values (2 for weighted MinHashes)."""

    def __new__(cls, trees: int, rows: int, width: int) -> _DsForest: ...
    def add(self, slot: int, hashvalues: npt.NDArray[Any]) -> None: ...
    def index(self) -> None: ...
    def is_empty(self) -> bool: ...
    def query(self, hashvalues: npt.NDArray[Any], n: int) -> list[int]:
        """Up to ``n`` slots, in the order datasketch's walk finds them."""
    def query_many(self, matrix: npt.NDArray[Any], n: int) -> list[list[int]]:
        """``query`` for each row; GIL released, all cores."""

@final
class _DsWeighted:
    """The parameters of a datasketch ``WeightedMinHashGenerator`` (``sample_size × dim`` float32)."""

    def __new__(
        cls, rs: npt.NDArray[np.float32], ln_cs: npt.NDArray[np.float32], betas: npt.NDArray[np.float32]
    ) -> _DsWeighted: ...
    def hash_rows(
        self,
        indptr: npt.NDArray[np.int32] | npt.NDArray[np.int64],
        cols: npt.NDArray[np.int32] | npt.NDArray[np.int64],
        logs: npt.NDArray[np.float32],
    ) -> tuple[npt.NDArray[np.int64], list[bool]]:
        """``(rows, sample_size, 2)`` ``(k, t)`` values of CSR rows (``minhash_many``'s formula) and a
        per-row "has a sample" mask."""
    def hash_one(self, cols: npt.NDArray[np.int64], logs: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        """``(sample_size, 2)`` ``(k, t)`` values of one vector (``minhash``'s formula)."""

def _ds_optimal_param(threshold: float, num_perm: int, fp_weight: float, fn_weight: float) -> tuple[int, int]:
    """datasketch's ``(b, r)`` choice."""

# ---- diff ----------------------------------------------------------------------------------

@final
class Diff:
    """The word (or character) diff of two texts, made by :func:`diff` or :func:`diff_many`.

    ``ops`` cover both texts completely and in order: joining ``old[i1:i2]`` over all ops gives
    ``old``, joining ``new[j1:j2]`` gives ``new``, and every ``"equal"`` op has identical text on
    both sides. Whitespace between tokens belongs to the neighbouring ops; in the word unit a
    difference in whitespace alone is carried by an op that counts no tokens, so it does not change
    ``distance``, ``ratio`` or ``changed`` and renders as plain text.
    """

    @property
    def ops(self) -> list[tuple[str, int, int, int, int]]:
        """``(tag, i1, i2, j1, j2)``: tag ``"equal"``, ``"delete"``, ``"insert"`` or ``"replace"``,
        code-point offsets (``str`` indices) into ``old`` and ``new``."""
    @property
    def distance(self) -> int:
        """Tokens deleted plus tokens inserted; minimal (Indel distance) with ``cleanup="none"`` as long
        as an exact script fits the core's budget (about 10^5 shared tokens a side); past it, e.g. two
        long texts with the same words in another order, the script stays exact but may be coarser
        (time and memory stay near-linear)."""
    @property
    def ratio(self) -> float:
        """``1 - distance / (tokens in old + tokens in new)``; 1.0 for two empty texts."""
    @property
    def changed(self) -> bool:
        """Whether any token changed (``distance > 0``)."""
    @property
    def old(self) -> str: ...
    @property
    def new(self) -> str: ...
    @property
    def unit(self) -> str:
        """``"word"`` or ``"char"``."""
    @property
    def cleanup(self) -> str:
        """``"semantic"`` or ``"none"``."""
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``old``, ``new``, ``unit``, ``cleanup``, ``distance``, ``ratio``,
        ``changed`` and ``ops`` (a list of ``[tag, i1, i2, j1, j2]``)."""
    def render(self, style: str = "plain", *, context: int | None = None) -> str:
        """The diff as text in one of the styles:

        * ``"plain"``: ``[-removed-]{+added+}``, as ``git diff --word-diff=plain``;
        * ``"porcelain"``: one line per run prefixed with ``" "``, ``"-"`` or ``"+"``, and ``"~"``
          for a newline of the text, as ``git diff --word-diff=porcelain``;
        * ``"ansi"``: removed text red, added text green;
        * ``"html"``: ``<del>removed</del><ins>added</ins>``, all text HTML-escaped;
        * ``"markdown"``: ``~~removed~~ **added**``, Markdown punctuation escaped.

        ``context=N`` keeps ``N`` tokens around each change and replaces the rest with ``…`` (an
        unchanged pair then renders as ``""``). Unknown styles raise ValueError listing the choices.
        Lone surrogates render as ``"?"``. Control characters of the texts (C0 but newline and tab,
        DEL, C1, bidi formatting characters) are neutralised: as visible escapes (``\\x1b``) in the
        plain, porcelain and ansi styles, as U+FFFD in html and markdown.
        """
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> Any: ...
    @staticmethod
    def _from_state(state: Any) -> Diff: ...

def diff(old: str, new: str, *, unit: str = "word", cleanup: str = "semantic") -> Diff:
    """The diff of two texts, computed in the Rust core.

    ``unit="word"`` (default) compares tokens: maximal runs of ``\\w`` and every other
    non-whitespace character on its own; ``unit="char"`` compares code points.
    ``cleanup="semantic"`` (default) folds short coincidental equalities between two changes into
    them, so that a reworded clause reads as one replacement (as diff-match-patch's semantic cleanup
    does); ``cleanup="none"`` returns a minimal edit script. TypeError for non-``str`` texts,
    ValueError (listing the choices) for unknown options.
    """

def diff_many(
    pairs: Iterable[tuple[str, str]] | Iterable[Sequence[str]],
    *,
    unit: str = "word",
    cleanup: str = "semantic",
) -> list[Diff]:
    """:func:`diff` of every ``(old, new)`` pair, in parallel on all cores with the GIL released,
    results in input order."""

# ---- snapshot records ------------------------------------------------------------------------------

_E = TypeVar("_E")

@disjoint_base
class EntryBase:
    """The fields of `neardup.Entry` (its base class): immutable; the constructor checks that
    ``title`` and ``abstract`` are strings and keeps ``authors`` as a tuple."""

    def __new__(
        cls,
        title: str,
        abstract: str = ...,
        key: str | None = ...,
        version: int | None = ...,
        authors: Sequence[str] | None = ...,
        authors_count: int | None = ...,
        organization: str | None = ...,
        published: str | None = ...,
        upvotes: int | None = ...,
        position: int = ...,
        line: int | None = ...,
        extra: Mapping[str, Any] = ...,
    ) -> Self: ...
    @property
    def title(self) -> str: ...
    @property
    def abstract(self) -> str: ...
    @property
    def key(self) -> str | None: ...
    @property
    def version(self) -> int | None: ...
    @property
    def authors(self) -> tuple[str, ...] | None: ...
    @property
    def authors_count(self) -> int | None: ...
    @property
    def organization(self) -> str | None: ...
    @property
    def published(self) -> str | None: ...
    @property
    def upvotes(self) -> int | None: ...
    @property
    def position(self) -> int: ...
    @property
    def line(self) -> int | None: ...
    @property
    def extra(self) -> Mapping[str, Any]: ...

def _read_jsonl_batch(
    data: bytes,
    end: int,
    first_line: int,
    first_position: int,
    entry_type: type[_E],
    *,
    title_field: str | None = None,
    abstract_field: str | None = None,
    id_field: str | None = None,
    keep_extra: bool = True,
    int_max_str_digits: int = 4300,
) -> tuple[
    list[_E | tuple[int, bytes] | tuple[int, str, str, str | None, int | None]],
    str | None,
    list[int],
    list[int],
    int,
]:
    """Read the whole JSON lines in ``data[:end]`` (the first being line `first_line`) for the
    ``jsonl`` reader.

    Lines are parsed in parallel with the GIL released; blank lines are skipped. Returns
    ``(items, rest_json, rest_at, fallback_at, line_count)``, one item per other line, in order:

    * an `entry_type` instance, `entry_type` called with the twelve fields of `EntryBase` by
      position: ``title`` (whitespace collapsed), ``abstract`` (stripped), ``key``, ``version``,
      ``position`` (`first_position` plus the item's index), ``line`` and a new ``extra`` dict, the
      other fields None;
    * ``(line, title, abstract, key, version)`` for a record whose other members include fields the
      reader interprets (authors, versions, dates, counts);
    * ``(line, raw bytes)`` for a line left to the Python reader (its indices are `fallback_at`): not
      UTF-8 or not a JSON object by the strict grammar, duplicate keys, a ``paper`` item, a title,
      abstract or id of another type, no title, or an id in a spelling other than a bare arXiv id.

    `rest_json` is a JSON array with, for each item listed in `rest_at`, an object of the record's
    other members (their raw text, in order), or None when no record has any. `line_count` counts
    all lines, blank ones too. ValueError if `end` is beyond the data.

    Field names as in `neardup.read_snapshot`; ValueError for dotted names and the fields the
    Python reader interprets after the fact (authors, versions, dates, counts, paper).
    `int_max_str_digits` is ``sys.get_int_max_str_digits()``: records dropping a longer integer
    (without `keep_extra`) go back to Python, which refuses them.
    """

def _columnar_rows(path: str | PathLike[str], /, *, text_columns: list[str]) -> bool:
    """Whether the core reads the file at `path` as the JSON Lines of its rows: a Parquet or Arrow IPC
    file whose columns all have a plain JSON spelling. False for any other file, or one the core cannot
    open."""
