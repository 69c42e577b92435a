"""The Markdown and HTML reports: structure, escaping, determinism, and the HTML page rendered in a real
headless Chromium (Debian's ``chromium`` + ``chromium-driver``, driven by Selenium with the system
chromedriver; nothing is downloaded at run time)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neardup
from neardup import report
from neardup.reconcile import SnapshotDiff, compare

SCRIPT_TITLE = "Sketching <script>window.__pwned = 1</script> Rare Events"
IMG_TITLE = 'Pictures <img src="x" onerror="window.__pwned = 2"> of Cats'
AMP_TITLE = "Trees & Forests | A *Survey* of [links](http://x) and `code`"
AMP_TITLE_NEW = "Trees & Forests | A *Short Survey* of [links](http://x) and `code`"
ABSTRACT = (
    "We study the estimation of rare events in streaming data with sketches. Our method uses "
    "count-min and hyperloglog to bound the error, and we show experiments on ten data sets."
)
ABSTRACT_NEW = ABSTRACT.replace("We study", "We analyse").replace("ten data", "twelve public data")
FOREST = (
    "Random forests are ensembles of decision trees grown on bootstrap samples. We survey twenty "
    "years of work on their consistency, variable importance and calibration."
)
TWICE = "Graph neural networks for molecule property prediction with attention pooling layers."


@pytest.fixture(scope="module")
def diff() -> SnapshotDiff:
    old = neardup.Snapshot(
        [
            neardup.Entry(title=SCRIPT_TITLE, abstract=ABSTRACT, line=3),
            neardup.Entry(title=AMP_TITLE, abstract=FOREST, line=7),
            neardup.Entry(title="Gone <b>Paper</b>", abstract="Quantum widgets, gone.", line=11),
            neardup.Entry(title="Twice Listed Paper", abstract=TWICE, line=15),
            neardup.Entry(title="Stable Paper", abstract="Nothing changes here at all.", line=19),
        ],
        path="old <dir>/a&b.txt",
        date="Jul 29",
        format="hf-text",
    )
    new = neardup.Snapshot(
        [
            neardup.Entry(title=SCRIPT_TITLE, abstract=ABSTRACT_NEW, line=3),
            neardup.Entry(title=AMP_TITLE_NEW, abstract=FOREST, line=7),
            neardup.Entry(title=IMG_TITLE, abstract="A <i>new</i> result & more.", key="arxiv:1|2"),
            neardup.Entry(title="Twice Listed Paper", abstract=TWICE, line=15),
            neardup.Entry(title="Twice Listed Paper", abstract=TWICE, line=19),
            neardup.Entry(title="Stable Paper", abstract="Nothing changes here at all.", line=23),
        ],
        path="new.txt",
        date="Jul 30",
        format="hf-text",
    )
    d = compare(old, new)
    # The fixture exercises every section: check the classification it relies on.
    assert d.summary() == {
        "unchanged": 2,
        "changed": 2,
        "added": 1,  # the second listing of "Twice Listed Paper" is reported by its group only
        "removed": 1,
        "duplicates": 1,
        "meta_changed": 0,
    }
    assert [sorted(m.fields) for m in d.changed] == [["abstract"], ["title"]]
    return d


# ---- Markdown ----------------------------------------------------------------------------------


def _cells(row: str) -> list[str]:
    """The cells of a GFM table row (split at unescaped pipes)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_md_title_summary_and_sections_in_order(diff: SnapshotDiff) -> None:
    md = report.render(diff, "md")
    assert md.startswith("# neardup diff\n")
    assert diff.summary_line() in md
    headings = re.findall(r"^## (.*)$", md, flags=re.M)
    assert headings == ["changed (2)", "added (1)", "removed (1)", "duplicates (1)"]
    rows = {_cells(r)[0]: _cells(r)[1] for r in md.splitlines() if r.startswith("| ")}
    assert rows["unchanged"] == "2"
    assert rows["[changed](#changed-2)"] == "2"
    assert rows["[added](#added-1)"] == "1"
    assert rows["[removed](#removed-1)"] == "1"
    assert rows["[duplicate groups](#duplicates-1)"] == "1"
    assert rows["metadata changed"] == "0"


def test_md_changed_entries_show_match_positions_and_word_diffs(diff: SnapshotDiff) -> None:
    md = report.render(diff, "md")
    changed = md.split("## changed (2)")[1].split("## added")[0]
    assert "old #0 (line 3) → new #0 (line 3) · matched by **title**, similarity" in changed
    assert "old #1 (line 7) → new #1 (line 7) · matched by **near**" in changed
    assert "> We ~~study~~ **analyse** the estimation" in changed
    assert "~~ten~~ **twelve public**" in changed
    assert "**abstract**" in changed and "**title**" in changed
    assert "> Trees \\& Forests \\| A \\***Short** Survey\\* of" in changed


def test_md_escapes_titles(diff: SnapshotDiff) -> None:
    md = report.render(diff, "md")
    assert "### Sketching \\<script\\>window.\\_\\_pwned = 1\\</script\\> Rare Events" in md
    # No raw "<" outside the one code span holding the path: no HTML can start.
    assert re.findall(r"(?<!\\)<", md.replace("`old <dir>/a&b.txt`", "")) == []
    assert "Trees \\& Forests \\| A \\*Short Survey\\* of \\[links\\](http://x) and \\`code\\`" in md
    # Tables keep their shape whatever the titles and keys contain.
    for section in ("added", "removed"):
        body = md.split(f"## {section} (")[1].split("\n## ")[0]
        rows = [r for r in body.splitlines() if r.startswith("| ")]
        assert rows and all(len(_cells(r)) == 4 for r in rows), rows
    added = md.split("## added (")[1].split("\n## ")[0]
    assert "`arxiv:1\\|2`" in added
    assert '\\<img src="x" onerror="window.\\_\\_pwned = 2"\\>' in added
    assert "`old <dir>/a&b.txt`" in md  # a path in a code span renders literally


def test_md_duplicates_list_members(diff: SnapshotDiff) -> None:
    md = report.render(diff, "md")
    dup = md.split("## duplicates (1)")[1]
    assert "- **new** #3, #4, similarity 1.000" in dup
    assert "  - #3 (line 15): Twice Listed Paper" in dup
    assert "  - #4 (line 19): Twice Listed Paper" in dup


def test_md_abstract_line_starts_cannot_open_blocks() -> None:
    old = neardup.Snapshot([neardup.Entry(title="T", abstract="1. one\n- two\n+ three\n===\n    x")])
    new = neardup.Snapshot([neardup.Entry(title="T", abstract="1. one\n- two\n+ three\n===\n    y")])
    md = report.render(compare(old, new), "md")
    quote = [line for line in md.splitlines() if line.startswith(">")]
    assert quote == ["> 1\\. one", "> \\- two", "> \\+ three", "> \\===", "> ~~x~~ **y**"]


@given(st.text(st.characters(exclude_categories=("Cs",))).filter(lambda t: t.strip()))
@settings(max_examples=60, deadline=None)
def test_md_escape_leaves_no_active_markup(text: str) -> None:
    gone = compare(neardup.Snapshot([neardup.Entry(title=text)]), neardup.Snapshot([]))
    row = report.render(gone, "md").split("## removed (1)")[1].strip().splitlines()[-1]
    escaped = row.removeprefix("| 0 |  |  | ").removesuffix(" |")
    assert "\n" not in escaped
    # Every special character is preceded by an odd number of backslashes, i.e. escaped.
    for m in re.finditer(r"[`*_\[\]<>#|~&!]", escaped):
        run = len(escaped[: m.start()]) - len(escaped[: m.start()].rstrip("\\"))
        assert run % 2 == 1, (text, escaped)


def test_md_context_option_shortens_diffs(diff: SnapshotDiff) -> None:
    full = report.render(diff, "md")
    short = report.render(diff, "md", context=2)
    assert "hyperloglog" in full and "hyperloglog" not in short
    assert "…" in short


# ---- HTML: structure -----------------------------------------------------------------------------

VOID = {"meta", "br", "hr", "img", "input", "link", "wbr"}


class _Tree(HTMLParser):
    """Collects start tags, text per innermost element, and checks that tags nest properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, list[str]] = {}
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.texts.setdefault(self.stack[-1], []).append(data)


def _parse(page: str) -> _Tree:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    assert not tree.errors and not tree.stack, (tree.errors, tree.stack)
    return tree


def test_html_is_a_well_formed_self_contained_page(diff: SnapshotDiff) -> None:
    page = report.render(diff, "html")
    assert page.startswith("<!DOCTYPE html>\n")
    tree = _parse(page)
    names = [t for t, _ in tree.tags]
    assert ("meta", {"charset": "utf-8"}) in tree.tags
    assert names.count("title") == 1 and names.count("style") == 1
    assert "script" not in names and "link" not in names and "img" not in names
    assert "".join(tree.texts["title"]) == "neardup diff: old <dir>/a&b.txt → new.txt"
    # No external assets of any kind.
    for attrs in (a for _, a in tree.tags):
        assert "src" not in attrs
        assert not (attrs.get("href") or "#").startswith(("http", "//"))
    assert "url(" not in page and "@import" not in page


def test_html_sections_summary_and_word_diffs(diff: SnapshotDiff) -> None:
    page = report.render(diff, "html")
    ids = [a["id"] for t, a in _parse(page).tags if t == "section"]
    assert ids == ["summary", "changed", "added", "removed", "duplicates"]
    for label, count in (("changed", 2), ("added", 1), ("removed", 1), ("duplicates", 1)):
        assert f"<h2>{label} ({count})</h2>" in page
    summary = page.split('<table class="summary">')[1].split("</table>")[0]
    cells = re.findall(r"<tr><th scope=\"row\">(.*?)</th><td class=\"n\">(\d+)</td></tr>", summary)
    assert cells == [
        ("unchanged", "2"),
        ('<a href="#changed">changed</a>', "2"),
        ('<a href="#added">added</a>', "1"),
        ('<a href="#removed">removed</a>', "1"),
        ('<a href="#duplicates">duplicate groups</a>', "1"),
        ("metadata changed", "0"),
    ]
    assert "We <del>study</del><ins>analyse</ins> the estimation" in page
    assert "<del>ten</del><ins>twelve public</ins>" in page
    assert "old #1, line 7 → new #1, line 7 · matched by <b>near</b>" in page
    assert "<b>new</b> snapshot: #3, #4, similarity 1.000" in page


def test_html_escapes_every_text(diff: SnapshotDiff) -> None:
    page = report.render(diff, "html")
    tree = _parse(page)
    assert "<script>" not in page and "<img" not in page and "<b>Paper" not in page
    assert "<i>new" not in page
    assert "Sketching &lt;script&gt;window.__pwned = 1&lt;/script&gt; Rare Events" in page
    assert "Pictures &lt;img src=&quot;x&quot; onerror=&quot;window.__pwned = 2&quot;&gt;" in page
    assert "Trees &amp; Forests | A *" in page
    assert "A &lt;i&gt;new&lt;/i&gt; result &amp; more." in page
    assert "<code>old &lt;dir&gt;/a&amp;b.txt</code>" in page
    assert "<code>arxiv:1|2</code>" in page
    # Decoded, the texts come back exactly.
    titles = "".join(tree.texts.get("h3", [])) + "".join(tree.texts.get("span", []))
    assert SCRIPT_TITLE in titles and IMG_TITLE in titles and "Gone <b>Paper</b>" in titles


def test_html_controls_and_surrogates_are_replaced() -> None:
    old = neardup.Snapshot([neardup.Entry(title="A\x00B\ud800C", abstract="x\x07y")])
    new = neardup.Snapshot([neardup.Entry(title="Other", abstract="entirely different words")])
    d = compare(old, new, near=False)
    for fmt in ("html", "md"):
        page = report.render(d, fmt)
        page.encode("utf-8")  # no lone surrogate left
        assert "\x00" not in page and "\x07" not in page
        # The control becomes U+FFFD; the lone surrogate, which UTF-8 cannot hold, one "?" as the core
        # reads every str.
        assert "A\ufffdB?C" in page


def test_reports_are_deterministic(diff: SnapshotDiff) -> None:
    again = compare(diff.old, diff.new)
    for fmt in ("md", "html"):
        assert report.render(diff, fmt) == report.render(again, fmt) == report.render(diff, fmt)


def test_empty_and_identical_snapshots_render() -> None:
    snap = neardup.Snapshot([neardup.Entry(title="Only", abstract="one entry")])
    d = compare(snap, snap)
    md = report.render(d, "md")
    assert "## " not in md and "| unchanged | 1 |" in md
    page = report.render(d, "html")
    _parse(page)
    assert [s for s in ("changed", "added", "removed") if f'<section id="{s}">' in page] == []
    empty = compare(neardup.Snapshot([]), neardup.Snapshot([]))
    assert "0 unchanged" in report.render(empty, "md")
    _parse(report.render(empty, "html"))


# ---- HTML: rendered in headless Chromium ---------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        # Never a silent skip in CI: .ci/run installs both. Opt out explicitly elsewhere.
        if os.environ.get("NEARDUP_SKIP_BROWSER") == "1":
            pytest.skip("NEARDUP_SKIP_BROWSER=1")
        pytest.fail(
            f"{CHROMIUM} and {CHROMEDRIVER} are needed: apt-get install chromium chromium-driver "
            "(or set NEARDUP_SKIP_BROWSER=1)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"):
        options.add_argument(arg)
    # An explicit driver path makes Selenium skip Selenium Manager: nothing is downloaded.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _rgba(value: str) -> tuple[float, ...]:
    m = re.fullmatch(r"rgba?\(([^)]*)\)", value.strip())
    assert m, value
    parts = tuple(float(p) for p in m.group(1).split(","))
    return parts if len(parts) == 4 else (*parts, 1.0)


def test_html_renders_highlighted_changes_in_chromium(
    browser: Any, diff: SnapshotDiff, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    path = tmp_path / "report.html"
    path.write_text(report.render(diff, "html"), encoding="utf-8")
    browser.get(path.as_uri())
    assert browser.title == "neardup diff: old <dir>/a&b.txt → new.txt"

    dels = browser.find_elements(By.TAG_NAME, "del")
    inss = browser.find_elements(By.TAG_NAME, "ins")
    assert {e.text for e in dels} >= {"study", "ten"}
    assert {e.text for e in inss} >= {"analyse", "twelve public"}
    for element in (*dels, *inss):
        assert element.is_displayed()
        assert element.size["width"] > 0 and element.size["height"] > 0
    for element in dels:
        assert "line-through" in element.value_of_css_property("text-decoration-line")
    for element in inss:
        assert "line-through" not in element.value_of_css_property("text-decoration-line")
    del_bg = _rgba(dels[0].value_of_css_property("background-color"))
    ins_bg = _rgba(inss[0].value_of_css_property("background-color"))
    assert del_bg[3] > 0 and ins_bg[3] > 0, (del_bg, ins_bg)  # not transparent
    assert del_bg != ins_bg
    assert del_bg[0] > del_bg[1] and ins_bg[1] > ins_bg[0]  # reddish / greenish

    # Injected markup stayed text: no script or image element, nothing ran, titles shown verbatim.
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert browser.execute_script("return window.__pwned === undefined")
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "article.changed h3")]
    assert headings[0] == SCRIPT_TITLE
    added = browser.find_element(By.CSS_SELECTOR, "ol.added summary")
    assert added.is_displayed() and IMG_TITLE in added.text
    # Self-contained: the page fetched nothing besides itself.
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
