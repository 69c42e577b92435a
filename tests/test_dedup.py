"""Corpus-scale near-duplicate clustering, local engine: `neardup.dedup`, `dedup_files`, `neardup dedup`."""

from __future__ import annotations

import io
import json
import os
import pickle
import random
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neardup
from conftest import REPO, SEED_NEW, SEED_OLD
from neardup import _core
from neardup.cli import cli, main
from neardup.cli_dedup import dedup as dedup_command
from neardup.corpus import DedupResult, ReadSpec, dedup_files, open_atomic, read_input

if "dedup" not in cli.commands:  # until neardup.cli registers it
    cli.add_command(dedup_command)

VOCAB = [f"w{i}" for i in range(2000)]


def planted(seed: int = 7, groups: int = 40, singles: int = 300) -> tuple[list[str], list[set[int]]]:
    """Distinct random documents plus groups of light edits of one base (one substitution in 120 words:
    two copies share at least 112 of their 118 word 3-grams, Jaccard > 0.9); returns the shuffled texts
    and the planted groups (by index)."""
    rng = random.Random(seed)
    docs: list[tuple[int, str]] = []
    for g in range(groups):
        base = [rng.choice(VOCAB) for _ in range(120)]
        for _ in range(rng.randint(2, 4)):
            copy = base[:]
            copy[rng.randrange(len(copy))] = rng.choice(VOCAB)
            docs.append((g, " ".join(copy)))
    for _ in range(singles):
        docs.append((-1, " ".join(rng.choice(VOCAB) for _ in range(120))))
    rng.shuffle(docs)
    truth: dict[int, set[int]] = {}
    for i, (g, _) in enumerate(docs):
        if g >= 0:
            truth.setdefault(g, set()).add(i)
    return [t for _, t in docs], list(truth.values())


def test_planted_groups_are_found_exactly() -> None:
    texts, truth = planted()
    r = neardup.dedup(texts)
    assert sorted(map(sorted, truth)) == r.clusters
    assert r.representative == [c[0] for c in r.clusters]
    assert r.size == len(texts)
    keep = r.keep
    assert keep.dtype == np.bool_ and keep.shape == (len(texts),)
    assert int((~keep).sum()) == r.duplicates == sum(len(g) - 1 for g in truth)
    for c in r.clusters:
        assert keep[c[0]] and not keep[c[1:]].any()
    labels = r.labels()
    assert (labels >= 0).sum() == sum(len(c) for c in r.clusters)


def test_result_shape_is_canonical() -> None:
    texts, _ = planted(seed=3)
    r = neardup.dedup(texts)
    assert all(len(c) >= 2 and c == sorted(c) for c in r.clusters)
    assert [c[0] for c in r.clusters] == sorted(c[0] for c in r.clusters)
    members = [i for c in r.clusters for i in c]
    assert len(members) == len(set(members))


def reference(texts: list[str], threshold: float, ngram: int = 3, num_perm: int = 128) -> list[list[int]]:
    """Every pair sharing a band of an `LSHIndex` with the same banding, verified exactly, in Python."""
    bands, rows = _core._banding(threshold=threshold, num_perm=num_perm)
    index = neardup.LSHIndex(num_perm=num_perm, params=(bands, rows))
    if texts:
        index.insert_many(range(len(texts)), neardup.MinHasher(num_perm, ngram=ngram).signatures(texts))
    parent = list(range(len(texts)))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in index.candidate_pairs().tolist():
        if neardup.shingle_jaccard(texts[a], texts[b], ngram=ngram) >= threshold:
            ra, rb = find(a), find(b)
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(find(i), []).append(i)
    return sorted(g for g in groups.values() if len(g) > 1)


def test_same_clusters_as_the_reference_pipeline() -> None:
    rng = random.Random(11)
    small = VOCAB[:60]
    texts: list[str] = []
    for _ in range(400):
        if texts and rng.random() < 0.5:
            words = rng.choice(texts).split()
            for _ in range(rng.randint(0, 6)):
                words[rng.randrange(len(words))] = rng.choice(small)
            texts.append(" ".join(words))
        else:
            texts.append(" ".join(rng.choice(small) for _ in range(rng.randint(3, 30))))
    for threshold in (0.3, 0.5, 0.8, 0.95):
        for ngram in (1, 3):
            got = neardup.dedup(texts, threshold=threshold, ngram=ngram).clusters
            assert got == reference(texts, threshold, ngram), (threshold, ngram)


def test_coarser_than_the_all_pairs_dedup() -> None:
    # `_core._dedup` (reconciliation's) bands with equal error weights; dedup's banding favours recall.
    texts, _ = planted(seed=17)
    label = neardup.dedup(texts).labels()
    for a, b, _ in _core._dedup(texts)[0]:
        assert label[a] >= 0 and label[a] == label[b]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="ab cdé.", max_size=30), max_size=25),
    st.sampled_from([0.2, 0.5, 0.8]),
    st.randoms(use_true_random=False),
)
def test_property_reference_and_permutation(texts: list[str], threshold: float, rnd: random.Random) -> None:
    r = neardup.dedup(texts, threshold=threshold, ngram=2, num_perm=32)
    assert r.clusters == reference(texts, threshold, ngram=2, num_perm=32)
    # Clusters depend on the texts, not their order.
    order = list(range(len(texts)))
    rnd.shuffle(order)
    shuffled = neardup.dedup([texts[i] for i in order], threshold=threshold, ngram=2, num_perm=32)
    back = sorted(sorted(order[i] for i in c) for c in shuffled.clusters)
    assert back == r.clusters


def test_identical_and_empty_texts() -> None:
    texts = ["", "same text here ok", "  ", "Same text, here OK!", "same text here ok", "", "x"]
    r = neardup.dedup(texts)
    assert r.clusters == [[1, 3, 4]]  # empty texts are near-duplicates of nothing
    assert neardup.dedup([]).clusters == [] and neardup.dedup([]).size == 0
    assert not neardup.dedup(["only one"]).has_duplicates
    many = neardup.dedup(["boilerplate footer text"] * 5000)
    assert many.clusters == [list(range(5000))]


def test_unicode_and_surrogates() -> None:
    texts = [
        "Über die Straße gehen wir",
        "über die strasse gehen wir",
        "ÜBER DIE STRAẞE GEHEN WIR",
        "\ud800 x y",
    ]
    r = neardup.dedup(texts, threshold=0.5)
    assert [0, 2] in r.clusters or [0, 1, 2] in r.clusters
    assert neardup.dedup(["\udcff a b c", "\udcff a b c"]).clusters == [[0, 1]]


def test_iterables_are_accepted() -> None:
    texts, _ = planted(seed=5, groups=5, singles=20)
    assert neardup.dedup(iter(texts)).clusters == neardup.dedup(texts).clusters
    assert neardup.dedup(tuple(texts)).clusters == neardup.dedup(texts).clusters


def test_errors() -> None:
    for bad in (0.0, -0.1, 1.5, 1.0000001, float("nan")):
        with pytest.raises(ValueError, match="threshold"):
            neardup.dedup(["a"], threshold=bad)
    with pytest.raises(ValueError, match="ngram"):
        neardup.dedup(["a"], ngram=0)
    with pytest.raises(ValueError, match="num_perm"):
        neardup.dedup(["a"], num_perm=0)
    with pytest.raises(TypeError, match="str"):
        neardup.dedup(["a", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="single str"):
        neardup.dedup("abc")
    with pytest.raises(ValueError, match="field"):
        ReadSpec(field="body")
    with pytest.raises(ValueError, match="format"):
        ReadSpec(format="xml")


def test_private_pieces_refuse_bad_layouts() -> None:
    u = np.array([0, 5], dtype=np.uint64)
    with pytest.raises(ValueError, match="offsets"):
        _core._cluster_buckets(np.array([0, 3], np.uint64), u, [], threshold=0.5)
    with pytest.raises(ValueError, match="no shingle set"):
        _core._cluster_buckets(np.array([0, 2], np.uint64), u, [], threshold=0.5)
    with pytest.raises(ValueError, match="uint64"):
        _core._components(np.array([1.0]), np.array([1.0]))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same length"):
        _core._components(u, u[:1])
    with pytest.raises(ValueError, match="ascending"):
        _core._shingle_sets(["a", "b"], np.array([2, 1], np.uint64))
    with pytest.raises(ValueError):
        _core._buckets_of_keys(np.zeros((2, 3), np.uint64), np.zeros(3, np.bool_))
    with pytest.raises(ValueError, match="parts"):
        _core._partition_band_keys(np.zeros((1, 3), np.uint64), np.zeros(1, np.bool_), doc_base=0, parts=0)


def test_pickle_and_repr() -> None:
    r = DedupResult([[0, 2]], 3, ["a", "b", "c"])
    back = pickle.loads(pickle.dumps(r))
    assert back == r and back.ids == ["a", "b", "c"]
    assert repr(r) == "DedupResult(size=3, clusters=1, duplicates=1, exact=0, near=1)"


def test_threads_share_the_core() -> None:
    texts, _ = planted(seed=9)
    want = neardup.dedup(texts).clusters
    results: list[list[list[int]]] = []

    def work() -> None:
        results.append(neardup.dedup(texts).clusters)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [want] * 4


def test_deterministic_across_thread_counts(tmp_path: Path) -> None:
    texts, _ = planted(seed=13, groups=60, singles=2000)
    data = tmp_path / "texts.json"
    data.write_text(json.dumps(texts))
    script = (
        "import json, sys, neardup; "
        f"t = json.load(open({str(data)!r})); "
        "print(json.dumps(neardup.dedup(t, threshold=0.5).clusters))"
    )
    outs = set()
    for threads in ("1", "2", "3"):
        env = {**os.environ, "RAYON_NUM_THREADS": threads}
        r = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, env=env, check=True, timeout=120
        )
        outs.add(r.stdout)
    assert len(outs) == 1


# ---- files ------------------------------------------------------------------------------------------


def write_jsonl(path: Path, texts: list[str], start: int = 0) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i, t in enumerate(texts, start):
            title, _, abstract = t.partition(" ")
            fh.write(json.dumps({"id": f"doc{i}", "title": title, "abstract": abstract}) + "\n")


def test_files_equal_memory_and_keep_ids(tmp_path: Path) -> None:
    texts, _ = planted(seed=21)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_jsonl(a, texts[:200])
    write_jsonl(b, texts[200:], start=200)
    r = dedup_files([a, b])
    joined = [f"{t.partition(' ')[0]}\n{t.partition(' ')[2]}" for t in texts]
    assert r.clusters == neardup.dedup(joined).clusters
    assert r.ids is not None and list(r.ids) == [f"doc{i}" for i in range(len(texts))]
    assert r.size == len(texts)


def test_fields_formats_and_plain_corpora(tmp_path: Path) -> None:
    plain = tmp_path / "plain.jsonl"
    plain.write_text(
        '{"text": "alpha beta gamma delta epsilon"}\n\n{"text": "Alpha beta gamma delta epsilon."}\n'
        '{"text": null}\n{"text": "zeta eta theta"}\n'
    )
    r = dedup_files(plain)
    assert r.clusters == [[0, 1]]
    assert r.ids == [f"{plain}:1", f"{plain}:3", f"{plain}:4", f"{plain}:5"]
    table = tmp_path / "corpus.csv"
    table.write_text("ID,Title,Summary\n1,same title here,one\n2,Same title here,two\n3,other words now,x\n")
    assert dedup_files(table, spec=ReadSpec(field="title")).clusters == [[0, 1]]
    assert dedup_files(table, spec=ReadSpec(field="abstract")).clusters == []
    assert dedup_files(table).ids == ["1", "2", "3"]
    custom = tmp_path / "custom.jsonl"
    custom.write_text('{"k": "a", "body2": "x y z w"}\n{"k": "b", "body2": "x y z w"}\n')
    r = dedup_files(custom, spec=ReadSpec(id_field="k", text_field="body2"))
    assert r.clusters == [[0, 1]] and r.ids == ["a", "b"]


def test_snapshot_formats(tmp_path: Path) -> None:
    # hf-text seeds: 39 entries are in both files with identical abstracts.
    r = dedup_files([SEED_OLD, SEED_NEW], spec=ReadSpec(field="abstract"))
    assert sum(len(c) == 2 for c in r.clusters) >= 39
    assert all(r.ids is not None and r.ids[c[0]].startswith(str(SEED_OLD)) for c in r.clusters if len(c) == 2)
    ex = dedup_files([REPO / "examples" / "old.txt", REPO / "examples" / "old.txt"])
    assert len(ex.clusters) == ex.size // 2


def test_stdin_is_read_twice_from_a_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts, _ = planted(seed=4, groups=5, singles=30)
    src = tmp_path / "in.jsonl"
    write_jsonl(src, texts)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(src.read_bytes())))
    r = dedup_files("-")
    assert r.clusters == dedup_files(src).clusters
    assert r.ids is not None and r.ids[0] == "doc0"


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(neardup.SnapshotFormatError, match="no such file"):
        dedup_files(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "a"}\n{"title": \n')
    with pytest.raises(neardup.SnapshotFormatError, match=r"bad.jsonl:2: expected a JSON object"):
        dedup_files(bad)
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"title": 3}\n')
    with pytest.raises(neardup.SnapshotFormatError, match="a string title in field 'title'"):
        dedup_files(wrong)
    none = tmp_path / "none.jsonl"
    none.write_text('{"x": "y"}\n')
    with pytest.raises(neardup.SnapshotFormatError, match="a text field"):
        dedup_files(none)
    with pytest.raises(neardup.SnapshotFormatError, match="'nope'"):
        dedup_files(none, spec=ReadSpec(text_field="nope"))
    with pytest.raises(ValueError, match="no input"):
        dedup_files([])
    with pytest.raises(ValueError, match="threshold"):
        dedup_files(none, threshold=2.0)


def test_records_keep_their_bytes_ids_and_lines(tmp_path: Path) -> None:
    p = tmp_path / "r.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"id": "x", "title": "T", "extra": [1, 2]}\r\n\n{"text": "plain"}\n')
    read, skipped, _ = read_input(p, ReadSpec())
    assert (len(read), skipped) == (2, 0)
    assert [read.id(0), read.id(1)] == ["x", f"{p}:3"]
    assert [read.line(0), read.line(1)] == [1, 3]
    first, second = read.records([0, 1])
    assert json.loads(first) == {"id": "x", "title": "T", "extra": [1, 2]} and first.endswith(b"\r\n")
    assert second == b'{"text": "plain"}\n'
    assert read.part.texts_of([0, 1]) == [("T\n", "T"), ("plain", None)]


def test_open_atomic_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), open_atomic(target) as fh:
        fh.write("partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with open_atomic(target) as fh:
        fh.write("done")
    assert target.read_text() == "done"
    with pytest.raises(neardup.NeardupError, match="cannot write"), open_atomic(tmp_path / "no" / "x.txt"):
        pass


# ---- CLI --------------------------------------------------------------------------------------------


@pytest.fixture()
def corpus(tmp_path: Path) -> tuple[Path, list[str]]:
    texts, _ = planted(seed=31, groups=6, singles=40)
    p = tmp_path / "corpus.jsonl"
    write_jsonl(p, texts)
    return p, texts


def test_cli_exit_codes_and_text_report(
    corpus: tuple[Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = corpus
    assert main(["dedup", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("cluster 0: ") and "  keep  doc" in out and "  drop  doc" in out
    assert out.rstrip().splitlines()[-1].endswith("duplicates (0 exact, 14 near)")
    unique = tmp_path / "unique.jsonl"
    write_jsonl(unique, ["alpha beta gamma delta", "one two three four"])
    assert main(["dedup", str(unique)]) == 0
    assert capsys.readouterr().out == "2 documents, 0 clusters, 0 duplicates\n"
    assert main(["dedup", "-q", str(path)]) == 1
    assert capsys.readouterr().out == ""


def test_cli_json_and_jsonl(corpus: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = corpus
    r = dedup_files(path)
    assert main(["dedup", "--format", "json", str(path)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["documents"] == r.size and doc["duplicates"] == r.duplicates
    assert [[m["index"] for m in c["members"]] for c in doc["clusters"]] == r.clusters
    assert main(["dedup", "--format", "jsonl", str(path)]) == 1
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == sum(len(c) for c in r.clusters)
    assert sum(x["keep"] for x in lines) == len(r.clusters)


def test_cli_keep_first_writes_records(
    corpus: tuple[Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, texts = corpus
    out = tmp_path / "dedup.jsonl"
    # --keep-first succeeds with 0 (the copy is its job); --exit-code asks for 1 on duplicates.
    assert main(["dedup", str(path), "--keep-first", "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    kept = [json.loads(x) for x in out.read_text().splitlines()]
    r = dedup_files(path)
    assert [k["id"] for k in kept] == [f"doc{i}" for i in np.flatnonzero(r.keep)]
    assert main(["dedup", str(out)]) == 0
    capsys.readouterr()
    assert main(["dedup", str(path), "--keep-first", "--exit-code"]) == 1
    assert capsys.readouterr().out == out.read_text()


def test_cli_report_to_file_and_stdin(corpus: tuple[Path, list[str]], tmp_path: Path) -> None:
    path, _ = corpus
    report = tmp_path / "report.json"
    script = (
        "import sys; from neardup.cli import cli, main; from neardup.cli_dedup import dedup; "
        "'dedup' in cli.commands or cli.add_command(dedup); sys.exit(main(sys.argv[1:]))"
    )
    r = subprocess.run(
        [sys.executable, "-c", script, "dedup", "-", "--format", "json", "-o", str(report)],
        input=path.read_bytes(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 1, r.stderr
    assert r.stdout == b"" and r.stderr == b""
    assert json.loads(report.read_text())["documents"] == len(path.read_text().splitlines())
    # --keep-first reads standard input a third time (from the spooled copy).
    kept = subprocess.run(
        [sys.executable, "-c", script, "dedup", "-", "--keep-first"],
        input=path.read_bytes(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert kept.returncode == 0, kept.stderr
    want = [line for line, k in zip(path.read_text().splitlines(), dedup_files(path).keep, strict=True) if k]
    assert kept.stdout.decode().splitlines() == want


def test_cli_trouble(
    corpus: tuple[Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = corpus
    assert main(["dedup", str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("neardup: ") and "no such file" in err and len(err.splitlines()) == 1
    assert main(["dedup", "--threshold", "1.5", str(path)]) == 2
    assert main(["dedup", "--engine", "ray", str(path)]) == 2
    assert "output directory" in capsys.readouterr().err
    assert main(["dedup", "--address", "auto", str(path)]) == 2
    assert main(["dedup", "-", "-"]) == 2
    assert main(["dedup", str(path), "-o", str(tmp_path / "no" / "dir" / "x.txt")]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert main(["dedup"]) == 2


# ---- the decompressed text a run holds (issue 22) ---------------------------------------------------------


def test_compressed_files_share_one_held_text_budget_taken_in_input_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One budget for the run: the files read first are held first; a file that does not fit in what
    is left is decompressed again (holding nothing) and a later, shorter one may still be held. The
    clusters and the records written are those of the plain files whatever the budget."""
    import gzip

    from conftest import one_line, paper_lines, run
    from neardup.corpus import dedup_inputs

    small = paper_lines(150).encode()
    large = (paper_lines(600, seed=1) + paper_lines(40)).encode()  # repeats of the small file's first 40
    texts = {"a": small, "b": large, "c": small}  # c: the same papers as a
    plain = [tmp_path / f"{k}.jsonl" for k in texts]
    packed = [tmp_path / f"{k}.jsonl.gz" for k in texts]
    for text, p, z in zip(texts.values(), plain, packed, strict=True):
        p.write_bytes(text)
        z.write_bytes(gzip.compress(text))
    want = dedup_files(plain)
    assert len(want.clusters) >= 150
    budgets = {
        # room for both small texts, not for the large one after the first
        2 * len(small) + len(large) // 2: [len(small), 0, len(small)],
        # room for one small text and a half: the third finds too little left (a budget per file
        # would hold it)
        len(small) + len(small) // 2: [len(small), 0, 0],
        0: [0, 0, 0],
        1 << 30: [len(small), len(large), len(small)],
    }
    for limit, held in budgets.items():
        monkeypatch.setenv("NEARDUP_HELD_TEXT", str(limit))
        got, inputs = dedup_inputs([(str(z), str(z)) for z in packed], 0.8, 3, 128, ReadSpec())
        assert [i.part.held_bytes() for i in inputs] == held, limit
        assert (got.clusters, got.kept) == (want.clusters, want.kept)
        assert got.replaced_by.tolist() == want.replaced_by.tolist()
    # The records written come from the held text or from decompressing again: the same bytes.
    plain_out = run("dedup", *plain, "--keep-first")
    assert plain_out.returncode == 0, plain_out.stderr
    assert plain_out.stdout.count(b"\n") == int(want.keep.sum())
    for limit in ("0", str(2 * len(small) + len(large) // 2)):
        out = run("dedup", *packed, "--keep-first", env={"NEARDUP_HELD_TEXT": limit})
        assert (out.returncode, out.stdout) == (0, plain_out.stdout), out.stderr
    bad = run("dedup", *packed, env={"NEARDUP_HELD_TEXT": "lots"})
    assert bad.returncode == 2
    one_line(bad.stderr, "NEARDUP_HELD_TEXT", "lots")
