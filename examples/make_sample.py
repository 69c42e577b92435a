"""Generate the sample snapshots examples/old.txt, examples/new.txt and examples/later.txt.

Two invented Hugging Face Daily Papers pages in the ``hf-text`` format (DESIGN §4), written from a
fixed seed so that running this script again reproduces the committed files byte for byte. Every
title and abstract is invented. Between the two days:

- one abstract is edited (a sentence rewritten, a few words changed),
- one paper is added and one removed,
- one title is re-cased and re-punctuated (the same paper),
- upvote counts change (volatile metadata, never a change on its own).

A third day (``later.txt``, for the catalog's worked example in the README): two papers drop out, the
edited abstract is revised once more, and the paper removed on the second day is listed again.

Usage: ``python examples/make_sample.py [OUTPUT_DIR]`` (default: the directory of this script).
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from neardup.formats.names import HEADER

SEED = 20250730

TITLES = [
    "Lattice Gardens: Growing Sparse Transformers from Seed Graphs",
    "Quiet Tokens: Pruning Redundant Context in Long-Document Readers",
    "Harbor: A Benchmark for Tool-Using Agents in Shipping Logistics",
    "Sparse Mixture Routing: A Study of Expert Collapse",
    "Tidal Attention for Streaming Speech Recognition",
    "Folding Maps: Self-Supervised Depth from Paper Origami Videos",
    "Clockwork Critics: Timing-Aware Reward Models for Dialogue",
    "Pebble: Tiny Vision-Language Models for Microcontrollers",
    "Counting Crows: Few-Shot Object Counting in Aerial Imagery",
    "Glass Box Retrieval: Explaining Dense Retrievers with Token Flows",
    "Marginalia: Learning from Reader Annotations in Digital Libraries",
    "Saltwater Kernels: Fast Convolutions for Ocean Simulation Grids",
    "Lantern: Calibrated Uncertainty for Code Generation Models",
]
ABSTRACTS = [
    (
        "Sparse transformers usually start dense and are pruned afterwards. We instead grow them: a"
        " small seed graph of attention edges is expanded during training whenever a cheap saliency"
        " probe predicts that a new edge will pay for itself. On language modelling and long-range "
        "arena tasks, grown models reach the perplexity of dense baselines with a fifth of the "
        "attention edges, and the learned graphs turn out to be strikingly regular."
    ),
    (
        "Readers of long documents spend most of their budget on passages that never influence the "
        "answer. Quiet Tokens learns, from the reader's own attention statistics, which spans can "
        "be dropped before the expensive layers run. Across four question answering collections the"
        " method removes sixty percent of the context with less than one point of accuracy lost, "
        "and it needs no labelled rationales."
    ),
    (
        "Agents that call external tools are mostly evaluated on toy web tasks. Harbor is a "
        "benchmark built around container shipping: agents must book berths, reroute cargo after "
        "storms and reconcile customs forms through forty realistic APIs. Strong proprietary models"
        " solve under a third of the episodes, and failure analysis points to brittle state "
        "tracking rather than poor tool selection."
    ),
    (
        "Mixture-of-experts layers are prone to collapse, where a few experts receive nearly all "
        "tokens. We measure collapse across eleven open checkpoints and find that it begins early "
        "and is rarely reversed. A routing penalty based on the entropy of expert assignments over "
        "a sliding window prevents it and improves downstream accuracy at every scale we tried."
    ),
    (
        "Streaming speech recognisers must emit words before the utterance ends, which limits how "
        "far they can look ahead. Tidal attention lets the look-ahead window expand and contract "
        "with the acoustic evidence, like a tide. It lowers word error rate on conversational "
        "speech while keeping median latency below two hundred milliseconds on a single mobile "
        "core."
    ),
    (
        "Paper origami videos are an unusual source of geometric supervision: the sheet is flat, "
        "its texture is known, and every fold is visible. We collect three thousand such videos and"
        " train a monocular depth network whose only signal is that the unfolded sheet must stay "
        "planar. The resulting model transfers surprisingly well to indoor scenes."
    ),
    (
        "Reward models for dialogue ignore when a reply arrives, yet a correct answer given too "
        "late is often useless. Clockwork critics condition on the timing of each turn and are "
        "trained on human preference data with explicit delays. Policies optimised against them "
        "interrupt less, answer faster when the user is in a hurry, and keep their helpfulness "
        "scores."
    ),
    (
        "Vision-language models rarely fit on microcontrollers. Pebble combines a binarised image "
        "encoder, a vocabulary of two thousand words and a tiny recurrent decoder, all within three"
        " hundred kilobytes of memory. On a new captioning set of household scenes it produces "
        "useful descriptions at four frames per second on a low-cost board."
    ),
    (
        "Counting animals in aerial images normally needs thousands of annotated examples per "
        "species. We show that three exemplar boxes suffice when the counter is trained to compare "
        "density maps instead of regressing totals. On a new survey of roosting crows the approach "
        "is within five percent of expert counts, and it generalises to seals and cattle."
    ),
    (
        "Dense retrievers are accurate but opaque. Glass box retrieval traces how each query token "
        "flows through the encoder into the final similarity score and renders the result as a "
        "short list of matched phrases. In a user study, annotators given these explanations "
        "predicted retrieval failures twice as often as those shown attention heatmaps."
    ),
    (
        "Digital libraries hold millions of reader annotations that are never used for learning. "
        "Marginalia aligns highlights and margin notes with the passages they refer to and uses "
        "them as weak labels for summarisation and question generation. Models trained this way are"
        " preferred by readers over those trained on generic web data of the same size."
    ),
    (
        "Ocean simulations run on curvilinear grids where standard fast convolutions do not apply. "
        "Saltwater kernels precompute a factorised basis for each grid patch, turning the stencil "
        "operations into small matrix products. On a global circulation model the kernels give a "
        "fourfold speed-up over the production code and reproduce its currents to within "
        "measurement noise."
    ),
    (
        "Code generation models are often confidently wrong. Lantern attaches a calibrated "
        "confidence to every generated function by running cheap property tests and combining their"
        " outcomes with the model's own token probabilities. Selective generation with Lantern "
        "answers eighty percent of benchmark problems at ninety-five percent precision, and the "
        "scores remain calibrated on unseen languages."
    ),
]
ORGANIZATIONS = ["Invented Institute of Learning", "Example University NLP Group"]


@dataclass(frozen=True)
class Paper:
    title: str
    abstract: str
    who: str  # "  • N authors" or an organisation line
    published: str
    upvotes: int | None


def _papers(rng: random.Random) -> list[Paper]:
    papers = []
    for title, abstract in zip(TITLES, ABSTRACTS, strict=True):
        who = rng.choice(ORGANIZATIONS) if rng.random() < 0.15 else f"  • {rng.randint(1, 14)} authors"
        month = rng.choice(["May", "Jun", "Jul"])
        year = rng.choice(["", "", ", 2024"])
        published = f"{month} {rng.randint(1, 28)}{year}"
        upvotes = rng.choice([None, rng.randint(1, 60)])
        papers.append(Paper(title, abstract, who, published, upvotes))
    return papers


def _page(date: str, papers: list[Paper]) -> str:
    paragraphs = [*HEADER, date]
    for paper in papers:
        when = paper.published if paper.upvotes is None else f"{paper.published} {paper.upvotes}"
        paragraphs += [paper.title, paper.abstract, f"{paper.who}\n·\n{when}"]
    return "\n\n".join(paragraphs)  # like the real pages: no final newline


def build() -> tuple[str, str]:
    """The text of old.txt and new.txt."""
    old, new, _ = _days()
    return _page("Jul 29", old), _page("Jul 30", new)


def build_later() -> str:
    """The text of later.txt: the day after new.txt."""
    old, new, _ = _days()
    later = [p for p in new if not p.title.startswith(("Quiet Tokens", "Pebble"))]  # two drop out
    harbor = next(i for i, p in enumerate(later) if p.title.startswith("Harbor"))
    revised = later[harbor].abstract.replace("fifty realistic APIs", "sixty realistic APIs")
    assert revised != later[harbor].abstract
    later[harbor] = replace(later[harbor], abstract=revised)
    returning = next(p for p in old if p.title.startswith("Clockwork Critics"))  # listed again
    later.append(replace(returning, upvotes=(returning.upvotes or 0) + 1))
    return _page("Jul 31", later)


def _days() -> tuple[list[Paper], list[Paper], list[Paper]]:
    """The papers of the first two days, and every paper."""
    rng = random.Random(SEED)
    papers = _papers(rng)
    old = papers[:12]  # the 13th paper only appears in the new snapshot
    new = list(old)

    edited = new[2]  # one abstract edited: a sentence rewritten, a number and a few words changed
    abstract = edited.abstract.replace("forty realistic APIs", "fifty realistic APIs").replace(
        "Strong proprietary models solve under a third of the episodes",
        "Even the strongest models we tested solve fewer than a quarter of the episodes",
    )
    assert abstract != edited.abstract
    new[2] = replace(edited, abstract=abstract)

    retitled = new[3]  # the same paper, re-cased and re-punctuated
    new[3] = replace(retitled, title="Sparse mixture-routing: a study of expert collapse")

    del new[6]  # one removed
    new.insert(5, papers[12])  # one added

    for index in (0, 4, 9):  # upvotes move between the two days
        paper = new[index]
        new[index] = replace(paper, upvotes=(paper.upvotes or 0) + 3 + index)
    return old, new, papers


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    old, new = build()
    (out / "old.txt").write_text(old, encoding="utf-8", newline="\n")
    (out / "new.txt").write_text(new, encoding="utf-8", newline="\n")
    (out / "later.txt").write_text(build_later(), encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
