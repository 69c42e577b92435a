"""Generate the bad-input corpus in tests/data/bad/: snapshot files a scraper might produce that neardup
must refuse with one clear line (or, where they are valid but odd, read correctly).

Every file is small and derived from fixed text, so running this script again reproduces the committed
files byte for byte (tests/test_bad_inputs.py checks that). Inputs that are not plain files (a directory,
a FIFO, a missing or unreadable file) and the 50 MB single line are made by the tests themselves, in a
temporary directory: see `long_line`.

Usage: ``python tests/data/make_bad.py [OUTPUT_DIR]`` (default: tests/data/bad beside this script).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from neardup.formats.names import HEADER

ENTRIES = [
    (
        "Lattice Gardens: Growing Sparse Transformers from Seed Graphs",
        "Sparse transformers usually start dense and are pruned afterwards. We instead grow them from a "
        "small seed graph of attention edges.",
    ),
    (
        "Quiet Tokens: Pruning Redundant Context in Long-Document Readers",
        "Readers of long documents spend most of their budget on passages that never influence the answer.",
    ),
    (
        "Counting Crows: Few-Shot Object Counting in Aerial Imagery",
        "Counting objects in aerial images needs many labels. We count from five examples per class.",
    ),
]
META = "  • 4 authors\n·\nJul 29 12"


def page(entries: list[tuple[str, str]] = ENTRIES, *, meta: bool = True) -> str:
    """An hf-text page: header paragraphs, the page date, then title / abstract (/ meta) paragraphs."""
    paragraphs = [*HEADER, "Jul 30"]
    for title, abstract in entries:
        paragraphs += [title, abstract, *([META] if meta else [])]
    return "\n\n".join(paragraphs) + "\n"


def _hf_json(entries: list[tuple[str, str]]) -> str:
    items = [{"paper": {"id": f"2407.0000{i}", "title": t, "summary": a}} for i, (t, a) in enumerate(entries)]
    return json.dumps(items, indent=1) + "\n"


def corpus() -> dict[str, bytes]:
    """File name → content of every committed bad input."""
    good = page()
    lines = good.split("\n")
    files: dict[str, bytes] = {}
    files["empty.txt"] = b""
    files["blank_lines.txt"] = b"\n\n  \n\t\n"
    files["header_only.txt"] = page([]).encode()
    # A PNG signature and a few chunk bytes: what a scraper saves when it fetched an image.
    files["binary.png"] = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000010") + bytes(range(256))
    nul_lines = list(lines)
    nul_lines[12] = nul_lines[12][:20] + "\x00" + nul_lines[12][20:]
    files["nul_byte.txt"] = "\n".join(nul_lines).encode()
    bad_utf8 = "\n".join(lines).encode()
    at = bad_utf8.index(b"Quiet Tokens")
    files["invalid_utf8.txt"] = bad_utf8[:at] + b"Qu\xe9et" + bad_utf8[at + len("Quiet") :]  # latin-1 é
    files["latin1.txt"] = page([("Café Society: A Study", "Naïve readers of résumés.")], meta=False).encode(
        "latin-1"
    )
    files["utf16_bom.txt"] = good.encode("utf-16")  # with its byte-order mark (FF FE)
    files["utf16be_bom.txt"] = b"\xfe\xff" + good.encode("utf-16-be")
    files["utf8_bom.txt"] = b"\xef\xbb\xbf" + good.encode()  # valid: the UTF-8 BOM is tolerated
    # The last entry cut after its title (a download that stopped early).
    files["truncated_entry.txt"] = "\n\n".join([*HEADER, "Jul 30", *ENTRIES[0], META, ENTRIES[1][0]]).encode()
    files["truncated_meta.txt"] = "\n\n".join([*HEADER, "Jul 30", *ENTRIES[0], "  • 4 authors\n·"]).encode()
    # An abstract where a title should be: a long paragraph of several lines.
    no_title = "\n\n".join(
        [
            *HEADER,
            "Jul 30",
            *ENTRIES[0],
            META,
            "We study things.\nOver several lines.\nWithout a title.",
            META,
        ]
    )
    files["abstract_without_title.txt"] = no_title.encode()
    files["duplicate_headers.txt"] = (
        "\n\n".join([*HEADER, *HEADER]) + "\n\n" + page().split("\n\n", 5)[5]
    ).encode()
    files["repeated_page.txt"] = (page() + "\n" + page()).encode()  # two pages pasted together
    mixed = "\n".join(line + ("\r" if i % 3 == 0 else "") for i, line in enumerate(lines))
    files["mixed_crlf_lf.txt"] = mixed.encode()  # valid: reads like the LF page
    files["crlf.txt"] = good.replace("\n", "\r\n").encode()
    files["cr_only.txt"] = good.replace("\n", "\r").encode()  # classic Mac line ends: not supported
    files["no_final_newline.txt"] = good.rstrip("\n").encode()  # valid
    files["invalid.json"] = _hf_json(ENTRIES[:2])[:-40].encode()  # cut inside the second item
    files["invalid.jsonl"] = (
        json.dumps({"title": ENTRIES[0][0], "abstract": ENTRIES[0][1]})
        + "\n"
        + '{"title": "Second", "abstract": "unterminated\n'
    ).encode()
    files["wrong_shape.json"] = b'{\n  "status": "ok",\n  "count": 3\n}\n'
    files["wrong_item.json"] = b'[\n  {"paper": {"title": "T", "summary": "S"}},\n  42\n]\n'
    files["wrong_type.jsonl"] = (
        b'{"title": "T", "abstract": "S"}\n{"title": ["not", "a", "string"], "abstract": "S"}\n'
    )
    files["not_object.jsonl"] = b'{"title": "T", "abstract": "S"}\n["a", "list"]\n'
    files["lone_surrogate.json"] = b'[\n {"paper": {"title": "T \\udc80", "summary": "S"}}\n]\n'
    files["lone_surrogate.jsonl"] = (
        b'{"title": "T", "abstract": "S"}\n{"title": "U", "abstract": "S", "venue": "\\ud800"}\n'
    )
    files["deeply_nested.json"] = b"[" * 10_000 + b"]" * 10_000
    files["huge_int.jsonl"] = b'{"title": "T", "abstract": "S", "n": ' + b"9" * 5000 + b"}\n"
    files["unknown_encoding.xml"] = (
        b'<?xml version="1.0" encoding="x-unknown"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        b"<entry><id>http://arxiv.org/abs/2407.00001v1</id><title>T</title><summary>S</summary></entry>\n</feed>\n"
    )
    files["broken.xml"] = (
        b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n<entry><title>T</title>\n'
        b"<summary>S</entry>\n</feed>\n"
    )
    files["ragged.csv"] = b"id,title,abstract\n2407.00001,T,S\n2407.00002,Only a title\n"
    return files


def long_line(path: Path, size: int = 50 * 1024 * 1024) -> Path:
    """Write a single line of `size` bytes of words (no newline anywhere) to `path`."""
    chunk = b"lorem ipsum dolor sit amet consectetur adipiscing elit " * 1024
    with path.open("wb") as fh:
        left = size
        while left > 0:
            part = chunk[:left]
            fh.write(part)
            left -= len(part)
    return path


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "bad"
    out.mkdir(parents=True, exist_ok=True)
    for name, data in corpus().items():
        (out / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
