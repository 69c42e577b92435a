"""``neardup dedup``: near-duplicate groups of a corpus, or a deduplicated copy of it.

Registered on the ``neardup`` group by `neardup.cli`. Reports and records go to stdout or ``-o``,
diagnostics and progress to stderr.

Exit status: 2 on trouble. Otherwise a report of the groups follows diff(1) and ``git diff --exit-code``
(0 no duplicates, 1 duplicates found: ``neardup dedup corpus.jsonl || echo "has duplicates"``), while
``--keep-first``, whose job is the deduplicated copy, exits 0 once that copy is written, so that
``neardup dedup --keep-first -o out.jsonl in.jsonl && next-step`` runs the next step. ``--exit-code``
and ``--no-exit-code`` choose either behaviour explicitly.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, Any

import click

from neardup.cli_output import StdoutStream, write_output
from neardup.corpus import (
    BAD_RECORD_CHOICES,
    CLUSTER_CHOICES,
    DEFAULT_THRESHOLD,
    EXACT,
    FIELDS,
    STAGES,
    TEXT_FIELDS,
    DedupResult,
    Input,
    ReadSpec,
    dedup_inputs,
    open_atomic,
    rereadable,
)
from neardup.formats.cli_options import (
    choice_option,
    input_options,
    option_group,
    quiet_option,
    source_options,
)
from neardup.formats.names import ABSTRACT_FIELDS, ID_FIELDS, TITLE_FIELDS
from neardup.terminal import neutralise

__all__ = ["SCHEMA_VERSION", "Member", "dedup", "describe_members", "render"]

EXIT_NONE, EXIT_DUPLICATES = 0, 1
REPORT_FORMATS = ("text", "json", "jsonl")
#: Version of the JSON and JSON Lines reports' layout (``schema_version``).
SCHEMA_VERSION = 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Member:
    """What a report says of a clustered document: its title when it has one, and its exact shingle
    Jaccard similarity to the kept member of its cluster (1.0 for the kept one)."""

    title: str | None
    similarity: float


def _locate(inputs: Sequence[Input], docs: Sequence[int]) -> Iterator[tuple[Input, list[int], list[int]]]:
    """`docs` (ascending global numbers) grouped by input: ``(input, global numbers, local numbers)``."""
    start = 0
    at = 0
    for read in inputs:
        end = start + len(read)
        mine: list[int] = []
        while at < len(docs) and docs[at] < end:
            mine.append(docs[at])
            at += 1
        if mine:
            yield read, mine, [d - start for d in mine]
        start = end


def describe_members(inputs: Sequence[Input], result: DedupResult) -> dict[int, Member]:
    """The titles of the clustered documents (read again, only they) and their similarities to the kept
    member of their cluster."""
    wanted = sorted(i for c in result.clusters for i in c)
    out: dict[int, Member] = {}
    for read, mine, local in _locate(inputs, wanted):
        for doc, title in zip(mine, read.titles(local), strict=True):
            out[doc] = Member(title, float(result.similarity[doc]))
    return out


def _one_line(text: str) -> str:
    return neutralise(" ".join(text.split()), one_line=True)


def _write(text: str, output: str | None) -> None:
    if output is None or output == "-":
        write_output(text, None)  # every write checked: exit 2 with one line on a full disk
        return
    with open_atomic(output) as fh:
        fh.write(text)


def render(
    result: DedupResult,
    fmt: str,
    members: dict[int, Member] | None = None,
    parameters: dict[str, Any] | None = None,
) -> str:
    """The clusters of `result` as a ``text``, ``json`` or ``jsonl`` report: each member by its id
    (else its index), its title and its similarity to the kept member when `members` tells them, and
    for each dropped one the stage that dropped it (``exact`` or ``near``) and the id of the kept member
    that replaced it. JSON carries ``schema_version`` and the `parameters` of the run; JSON Lines is one
    line per member."""
    ids = result.ids
    members = members or {}

    def name(i: int) -> str:
        return ids[i] if ids is not None else str(i)

    def about(i: int) -> dict[str, Any]:
        m = members.get(i)
        out: dict[str, Any] = {}
        if m is not None:
            out = {"title": m.title, "similarity": round(m.similarity, 6)}
        by = int(result.replaced_by[i])
        out["stage"] = STAGES[int(result.stage[i])]
        out["replaced_by"] = name(by) if by >= 0 else None
        return out

    def ordered(k: int) -> list[int]:
        """A cluster's members, the kept one first."""
        kept = result.kept[k]
        return [kept, *(i for i in result.clusters[k] if i != kept)]

    if fmt == "json":
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "parameters": parameters or {},
            "documents": result.size,
            "skipped": result.skipped,
            "duplicates": result.duplicates,
            "exact_duplicates": result.exact_duplicates,
            "near_duplicates": result.near_duplicates,
            "clusters": [
                {
                    "cluster": k,
                    "keep": name(result.kept[k]),
                    "members": [{"index": i, "id": name(i), **about(i)} for i in ordered(k)],
                }
                for k in range(len(result.clusters))
            ],
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        lines = [
            json.dumps(
                {"id": name(i), "index": i, "cluster": k, "keep": j == 0, **about(i)}, ensure_ascii=False
            )
            for k in range(len(result.clusters))
            for j, i in enumerate(ordered(k))
        ]
        return "".join(f"{line}\n" for line in lines)
    out: list[str] = []
    for k, c in enumerate(result.clusters):
        out.append(f"cluster {k}: {len(c)} documents")
        order = ordered(k)
        names = [_one_line(name(i)) for i in order]
        width = max(len(n) for n in names)
        for j, (i, shown) in enumerate(zip(order, names, strict=True)):
            m = members.get(i)
            score = "" if j == 0 or m is None else f"{m.similarity:.3f}"
            title = _one_line(m.title) if m is not None and m.title else ""
            line = f"  {'keep' if j == 0 else 'drop'}  {shown.ljust(width)}  {score:>5}  {title}"
            out.append(line.rstrip())
        out.append("")
    plural = "" if len(result.clusters) == 1 else "s"
    stages = ""
    if result.duplicates:
        stages = f" ({result.exact_duplicates} exact, {result.near_duplicates} near)"
    skipped = ""
    if result.skipped:
        skipped = f", {result.skipped} bad record{'' if result.skipped == 1 else 's'} skipped"
    out.append(
        f"{result.size} documents, {len(result.clusters)} cluster{plural}, {result.duplicates} duplicates"
        f"{stages}{skipped}"
    )
    return "\n".join(out) + "\n"


def _csv_row_object(header: bytes, row: bytes, delimiter: str) -> dict[str, str]:
    """A CSV row as the object of its header's names."""
    names, cells = csv.reader([header.decode("utf-8"), row.decode("utf-8")], delimiter=delimiter)
    columns = [n.strip() for n in names]
    record = dict(zip(columns, cells, strict=False))
    # Guessed field names in another case are renamed, as the readers see them ("Title" is the title).
    lowered = {column.lower(): column for column in reversed(columns)}
    for known in (*ID_FIELDS, *TITLE_FIELDS, *ABSTRACT_FIELDS, *TEXT_FIELDS):
        column = lowered.get(known)
        if column is not None and column != known and known not in record:
            record[known] = record.pop(column)
    return record


def _delimiter(header: bytes) -> str:
    return "\t" if b"\t" in header and b"," not in header else ","


def _write_kept(inputs: Sequence[Input], result: DedupResult, output: str | None) -> None:
    """Writes the kept records (stdout, or `output` atomically) in the inputs' own format: CSV (the
    header, then the kept rows as they are) when every input is CSV with the same header, else JSON
    lines (JSONL lines as they are, CSV rows as objects, snapshot entries as `Entry.to_dict`)."""
    import numpy as np

    keep = result.keep
    headers = {i.header() for i in inputs if i.format == "csv"}
    as_csv = len(headers) == 1 and all(i.format == "csv" for i in inputs)
    with ExitStack() as stack:
        out: IO[str] | StdoutStream = (
            StdoutStream() if output is None or output == "-" else stack.enter_context(open_atomic(output))
        )
        if as_csv:
            header = next(iter(headers))
            out.write(header.decode("utf-8").rstrip("\r\n") + "\n")
        start = 0
        for read in inputs:
            local = np.flatnonzero(keep[start : start + len(read)]).tolist()
            start += len(read)
            if read.entries is not None:
                for i in local:
                    out.write(json.dumps(read.entries[i].to_dict(), ensure_ascii=False) + "\n")
                continue
            header = read.header() if read.format == "csv" else b""
            for raw in read.records(local):
                if as_csv or read.format == "jsonl":
                    text = raw.decode("utf-8")
                    out.write((text.strip() if read.format == "jsonl" else text.rstrip("\r\n")) + "\n")
                else:
                    row = _csv_row_object(header, raw, _delimiter(header))
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()


_matching_options = option_group(
    click.option(
        "--threshold",
        type=click.FloatRange(0.0, 1.0, min_open=True),
        default=DEFAULT_THRESHOLD,
        show_default=True,
        help="Minimum exact Jaccard similarity of the word n-gram sets (see --ngram); 1.0: exact duplicates "
        "of the normalised text (case, Unicode forms, punctuation and spacing ignored).",
    ),
    choice_option(
        "--field", choices=FIELDS, default="title+abstract", help="Which text of each record is compared."
    ),
)

_output_options = option_group(
    choice_option(
        "--format",
        "fmt",
        choices=REPORT_FORMATS,
        default="text",
        help="Report format (the groups; with --engine ray, the run's summary).",
    ),
    click.option(
        "-o",
        "--output",
        type=str,
        default=None,
        help="Write the report (with --keep-first: the records) to FILE; with --engine ray: the output dir.",
    ),
    click.option(
        "--keep-first",
        "--records",
        "keep_first",
        is_flag=True,
        help="Write the deduplicated records instead of the groups (each cluster keeps the member --keep "
        "chooses), in the inputs' format: CSV stays CSV, anything else is written as JSON lines.",
    ),
    click.option(
        "--keep",
        "keep",
        default="first",
        show_default=True,
        metavar="first|longest|FIELD",
        help="Which member of a cluster is kept: the first in input order, the longest text, or the one "
        "with the largest number in FIELD (records without one rank last; ties go to the first).",
    ),
    choice_option(
        "--clusters",
        choices=CLUSTER_CHOICES,
        default="components",
        help="components: documents joined through chains of similar pairs; star: every dropped document "
        "is within --threshold of the kept one that replaced it.",
    ),
    click.option(
        "--exit-code/--no-exit-code",
        "exit_code",
        default=None,
        help="Exit 1 when duplicates are found (as diff and 'git diff --exit-code' do), or 0 whenever the "
        "run succeeds. Default: --exit-code for a report of the groups, --no-exit-code with --keep-first.",
    ),
    choice_option(
        "--on-bad-record",
        choices=BAD_RECORD_CHOICES,
        default="error",
        help="A JSONL line or CSV row that is not a usable record (invalid JSON, no text field, wrong "
        "field count): stop with exit status 2 (error), or leave it out and report how many (skip).",
    ),
)

_engine_options = option_group(
    choice_option(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="Run here, or as Ray tasks (one shard per FILE; needs neardup[ray]).",
    ),
    click.option("--address", default=None, help="Ray cluster address (e.g. auto, ray://head:10001)."),
    click.option(
        "--partitions", type=click.IntRange(1), default=None, help="Ray shuffle partitions (default: CPUs)."
    ),
)

_text_options = option_group(
    source_options("every FILE"),
    click.option(
        "--text-field", default=None, help="Field holding the whole text (jsonl, csv; overrides --field)."
    ),
    click.option(
        "--ngram", type=click.IntRange(1, 64), default=3, show_default=True, help="Words per shingle."
    ),
    click.option(
        "--num-perm", type=click.IntRange(1, 65536), default=128, show_default=True, help="MinHash values."
    ),
)


@click.command("dedup")
@click.argument("files", nargs=-1, required=True, type=str)
@_matching_options
@_output_options
@_engine_options
@_text_options
@quiet_option
@input_options
def dedup(
    files: tuple[str, ...],
    threshold: float,
    field: str,
    fmt: str,
    output: str | None,
    keep_first: bool,
    engine: str,
    address: str | None,
    partitions: int | None,
    from_format: str,
    id_field: str | None,
    title_field: str | None,
    abstract_field: str | None,
    text_field: str | None,
    ngram: int,
    num_perm: int,
    quiet: bool,
    exit_code: bool | None,
    on_bad_record: str,
    keep: str,
    clusters: str,
    encoding: str | None,
    delimiter: str | None,
) -> int:
    """Find duplicate documents in FILE... (any snapshot format, or JSONL/CSV corpora; '-' reads
    standard input): exact copies of the normalised text first, then near copies. Print the groups (each
    member by id and title, with its similarity to the kept member and, for a dropped one, the stage that
    dropped it), or with --keep-first write the deduplicated records.

    Exit status: 2 on trouble; else, for a report, 0 no duplicates and 1 duplicates found; with
    --keep-first, 0 (see --exit-code)."""
    spec = ReadSpec(
        from_format,
        field,
        id_field,
        title_field,
        abstract_field,
        text_field,
        on_bad_record,
        encoding,
        delimiter,
    )
    policy = keep if keep in ("first", "longest") else f"field:{keep}"
    if exit_code is None:
        exit_code = not keep_first
    if engine == "ray":
        if encoding is not None:
            raise click.UsageError("--encoding runs with --engine local (transcode the inputs first)")
        if threshold >= EXACT:
            raise click.UsageError("--threshold 1.0 (exact duplicates) runs with --engine local")
        if on_bad_record != "error":
            raise click.UsageError("--on-bad-record skip runs with --engine local")
        if keep != "first" or clusters != "components":
            raise click.UsageError("--keep and --clusters run with --engine local")
        found = _run_ray(
            files, spec, threshold, ngram, num_perm, fmt, output, keep_first, address, partitions, quiet
        )
        return found if exit_code else EXIT_NONE
    if address is not None or partitions is not None:
        raise click.UsageError("--address and --partitions need --engine ray")
    if files.count("-") > 1:
        raise click.UsageError("standard input ('-') can be read only once")
    parameters = {
        "threshold": threshold,
        "ngram": ngram,
        "num_perm": num_perm,
        "field": field,
        "text_field": text_field,
        "id_field": id_field,
        "title_field": title_field,
        "abstract_field": abstract_field,
        "from": from_format,
        "on_bad_record": on_bad_record,
        "keep": keep,
        "clusters": clusters,
    }
    with rereadable(list(files), spec) as sources:
        result, inputs = dedup_inputs(sources, threshold, ngram, num_perm, spec, policy, clusters)
        if result.skipped and not quiet:
            sys.stderr.write(
                f"neardup: skipped {result.skipped} bad record{'' if result.skipped == 1 else 's'} "
                f"(the first: {result.skip_example})\n"
            )
            sys.stderr.flush()
        if not quiet:
            if keep_first:
                _write_kept(inputs, result, output)
            else:
                members = describe_members(inputs, result)
                _write(render(result, fmt, members, parameters), output)
    if not exit_code:
        return EXIT_NONE
    return EXIT_DUPLICATES if result.has_duplicates else EXIT_NONE


def _run_ray(
    files: Sequence[str],
    spec: ReadSpec,
    threshold: float,
    ngram: int,
    num_perm: int,
    fmt: str,
    output: str | None,
    keep_first: bool,
    address: str | None,
    partitions: int | None,
    quiet: bool,
) -> int:
    if output is None or output == "-":
        raise click.UsageError(
            "--engine ray writes one file per shard: name the output directory with -o DIR"
        )
    if "-" in files:
        raise click.UsageError("--engine ray reads shard files, not standard input")
    try:
        from neardup.distributed import ray as ray_engine
    except ImportError:
        raise click.UsageError("--engine ray needs Ray: pip install 'neardup[ray]'") from None
    summary = ray_engine.dedup(
        list(files),
        output,
        threshold=threshold,
        ngram=ngram,
        num_perm=num_perm,
        spec=spec,
        keep_first=keep_first,
        partitions=partitions,
        address=address,
    )
    if not quiet:
        data = summary.to_dict()
        if fmt == "text":
            counts = f"{data['documents']} documents, {data['clusters']} clusters"
            lines = [
                f"{counts}, {data['duplicates']} duplicates",
                *(f"wrote {path}" for path in (*summary.files, *summary.kept_files)),
            ]
            write_output("\n".join(lines) + "\n", None)
        else:
            indent = 2 if fmt == "json" else None
            write_output(json.dumps(data, ensure_ascii=False, indent=indent) + "\n", None)
    return EXIT_DUPLICATES if summary.clusters else EXIT_NONE
