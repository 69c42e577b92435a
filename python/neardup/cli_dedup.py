"""``neardup dedup``: near-duplicate groups of a corpus, or a deduplicated copy of it.

Registered on the ``neardup`` group by `neardup.cli`. Exit status: 0 no duplicates, 1 duplicates found,
2 trouble. Reports and records go to stdout or ``-o``, diagnostics and progress to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import ExitStack
from typing import IO, Any

import click

from neardup.cli_output import StdoutStream, write_output
from neardup.dedup import (
    DEFAULT_THRESHOLD,
    FIELDS,
    DedupResult,
    PathLike,
    ReadSpec,
    dedup_sources,
    open_atomic,
    records_of,
    rereadable,
)
from neardup.formats import FORMATS
from neardup.terminal import neutralise

__all__ = ["dedup", "render"]

EXIT_NONE, EXIT_DUPLICATES = 0, 1
REPORT_FORMATS = ("text", "json", "jsonl")


def _write(text: str, output: str | None) -> None:
    if output is None or output == "-":
        write_output(text, None)  # every write checked: exit 2 with one line on a full disk
        return
    with open_atomic(output) as fh:
        fh.write(text)


def render(result: DedupResult, fmt: str) -> str:
    """The clusters of `result` as a ``text``, ``json`` or ``jsonl`` report (ids when known, else indices)."""
    ids = result.ids

    def name(i: int) -> str:
        return ids[i] if ids is not None else str(i)

    if fmt == "json":
        doc: dict[str, Any] = {
            "documents": result.size,
            "duplicates": result.duplicates,
            "clusters": [
                {
                    "cluster": k,
                    "keep": name(c[0]),
                    "members": [{"index": i, "id": name(i)} for i in c],
                }
                for k, c in enumerate(result.clusters)
            ],
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        lines = [
            json.dumps({"id": name(i), "index": i, "cluster": k, "keep": j == 0}, ensure_ascii=False)
            for k, c in enumerate(result.clusters)
            for j, i in enumerate(c)
        ]
        return "".join(f"{line}\n" for line in lines)
    out: list[str] = []
    for k, c in enumerate(result.clusters):
        out.append(f"cluster {k}: {len(c)} documents")
        out.extend(f"  {'keep' if j == 0 else 'drop'}  {neutralise(name(i))}" for j, i in enumerate(c))
        out.append("")
    plural = "" if len(result.clusters) == 1 else "s"
    out.append(
        f"{result.size} documents, {len(result.clusters)} cluster{plural}, {result.duplicates} duplicates"
    )
    return "\n".join(out) + "\n"


def _keep_first(
    sources: Sequence[PathLike | IO[bytes]], spec: ReadSpec, result: DedupResult, output: str | None
) -> None:
    """Writes the kept records of `sources` as JSON lines (stdout, or `output` atomically)."""
    keep = result.keep
    with ExitStack() as stack:
        out: IO[str] | StdoutStream = (
            StdoutStream() if output is None or output == "-" else stack.enter_context(open_atomic(output))
        )
        for i, record in enumerate(records_of(sources, spec, raw=True)):
            if i < len(keep) and keep[i]:
                out.write(f"{record.raw}\n")
        out.flush()


@click.command("dedup")
@click.argument("files", nargs=-1, required=True, type=str)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Minimum exact Jaccard similarity of the word n-gram sets (see --ngram).",
)
@click.option(
    "--field",
    type=click.Choice(list(FIELDS)),
    default="title+abstract",
    show_default=True,
    help="Which text of each record is compared.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(REPORT_FORMATS)),
    default="text",
    show_default=True,
    help="Report format (the groups; with --engine ray, the run's summary).",
)
@click.option(
    "-o",
    "--output",
    type=str,
    default=None,
    help="Write the report (with --keep-first: the records) to FILE; with --engine ray: the output dir.",
)
@click.option(
    "--keep-first",
    is_flag=True,
    help="Write the deduplicated records as JSON lines instead of the groups (a cluster keeps its first).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Run here, or as Ray tasks (one shard per FILE; needs neardup[ray]).",
)
@click.option("--address", default=None, help="Ray cluster address (e.g. auto, ray://head:10001).")
@click.option(
    "--partitions", type=click.IntRange(1), default=None, help="Ray shuffle partitions (default: CPUs)."
)
@click.option(
    "--from",
    "from_format",
    type=click.Choice(["auto", *FORMATS]),
    default="auto",
    show_default=True,
    help="Input format of every FILE.",
)
@click.option("--id-field", default=None, help="Field holding the id (jsonl, csv, hf-json).")
@click.option("--title-field", default=None, help="Field holding the title.")
@click.option("--abstract-field", default=None, help="Field holding the abstract.")
@click.option(
    "--text-field", default=None, help="Field holding the whole text (jsonl, csv; overrides --field)."
)
@click.option("--ngram", type=click.IntRange(1, 64), default=3, show_default=True, help="Words per shingle.")
@click.option(
    "--num-perm", type=click.IntRange(1, 65536), default=128, show_default=True, help="MinHash values."
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; only the exit status tells.")
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
) -> int:
    """Find near-duplicate documents in FILE... (any snapshot format, or JSONL/CSV corpora; '-' reads
    standard input) and print the groups, or with --keep-first write the deduplicated records.

    Exit status: 0 no duplicates, 1 duplicates found, 2 trouble."""
    spec = ReadSpec(from_format, field, id_field, title_field, abstract_field, text_field)
    if engine == "ray":
        return _run_ray(
            files, spec, threshold, ngram, num_perm, fmt, output, keep_first, address, partitions, quiet
        )
    if address is not None or partitions is not None:
        raise click.UsageError("--address and --partitions need --engine ray")
    if files.count("-") > 1:
        raise click.UsageError("standard input ('-') can be read only once")
    with rereadable(list(files)) as sources:
        result = dedup_sources(sources, threshold, ngram, num_perm, spec, None)
        if not quiet:
            if keep_first:
                _keep_first(sources, spec, result, output)
            else:
                _write(render(result, fmt), output)
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
