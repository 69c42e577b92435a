"""Identity of a snapshot entry (DESIGN §5): arXiv ids, DOIs and normalised titles.

In order of preference an entry is identified by its arXiv id without the version suffix (the
version is kept separately), then by its DOI (lower-cased; arXiv's own ``10.48550/arXiv.<id>`` DOIs
map back to the arXiv id), then by its normalised title.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import unquote

__all__ = ["arxiv_key", "doi_key", "identity_key", "normalize_doi", "normalize_title"]

# New-style ids (0704.0001 onwards: YYMM.NNNN, five digits from 1501) and old-style ids
# (archive[.SUBJECT]/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136).
_ARXIV_ID = (
    r"(?P<id>[0-9]{4}\.[0-9]{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2})?/[0-9]{7})"  # new | old style
    r"(?:v(?P<version>[0-9]{1,9}))?"
)
_ARXIV_FORMS = re.compile(
    r"""
    (?:
        (?:arxiv:\s*)                                                 # arXiv:2502.13138v2
      | (?:oai:arxiv\.org:)                                           # OAI-PMH / RSS guid
      | (?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/)   # abs/pdf URLs
      | (?:https?://(?:www\.)?huggingface\.co/papers/)                # HF paper pages use arXiv ids
      | (?:10\.48550/arxiv\.)                                         # arXiv's DOI (bare)
    )?
    """
    + _ARXIV_ID
    + r"""
    (?:\.pdf)?/?(?:[?\#].*)?
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.|www\.)?doi\.org/)", re.IGNORECASE)
_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")


def arxiv_key(text: str) -> tuple[str, int | None] | None:
    """Parse an arXiv identifier: ``("arxiv:<id>", version)``, or None if `text` is not one.

    Accepts a bare id (``2502.13138``, ``hep-th/9901001``), an ``arXiv:`` prefix, an abs/pdf URL, an
    ``oai:arXiv.org:`` guid, a Hugging Face paper URL, or arXiv's DOI ``10.48550/arXiv.<id>``; the
    ``vN`` suffix, when present, becomes the version.

    >>> arxiv_key("http://arxiv.org/abs/2502.13138v2")
    ('arxiv:2502.13138', 2)
    >>> arxiv_key("oai:arXiv.org:hep-th/9901001")
    ('arxiv:hep-th/9901001', None)
    """
    text = text.strip()
    if text[:4].lower() == "doi:" or _DOI_PREFIX.match(text):
        text = _DOI_PREFIX.sub("", text)
    match = _ARXIV_FORMS.fullmatch(text)
    if match is None:
        return None
    ident = match["id"]
    if not _plausible(ident):
        return None
    if "/" in ident:  # old style: the archive is lower case, the subject class upper case
        archive, _, number = ident.partition("/")
        name, dot, subject = archive.partition(".")
        ident = f"{name.lower()}{dot}{subject.upper()}/{number}"
    version = match["version"]
    return f"arxiv:{ident}", int(version) if version is not None else None


def _plausible(ident: str) -> bool:
    """Reject ids whose YYMM is not a month, and four-digit numbers after 2014 (they have five)."""
    yymm, _, number = ident.rpartition("/")[2].partition(".")
    if not number:  # old style: YYMMNNN
        yymm = yymm[:4]
    month = int(yymm[2:4])
    if not 1 <= month <= 12:
        return False
    return not (number and len(number) == 4 and int(yymm) >= 1501)


def normalize_doi(text: str) -> str | None:
    """Return the DOI in `text` lower-cased without any ``doi:`` or resolver prefix, or None.

    >>> normalize_doi("https://doi.org/10.1145/375663.375678")
    '10.1145/375663.375678'
    """
    text = text.strip()
    stripped = _DOI_PREFIX.sub("", text)
    if stripped != text:
        stripped = unquote(stripped)
    doi = stripped.strip().lower()
    return doi if _DOI.match(doi) else None


def doi_key(text: str) -> str | None:
    """Return ``"doi:<doi>"`` for a DOI, ``"arxiv:<id>"`` for arXiv's own DOIs, or None."""
    doi = normalize_doi(text)
    if doi is None:
        return None
    if doi.startswith("10.48550/arxiv."):
        parsed = arxiv_key(doi)
        if parsed is not None:
            return parsed[0]
    return f"doi:{doi}"


def identity_key(text: str) -> tuple[str, int | None] | None:
    """The key of an id field: an arXiv id (with its version), else a DOI, else None."""
    parsed = arxiv_key(text)
    if parsed is not None:
        return parsed
    doi = doi_key(text)
    return (doi, None) if doi is not None else None


# ---- titles -------------------------------------------------------------------------------------

_LATEX_ESCAPES = re.compile(r"\\([&%$#_{}])")
_LATEX_ACCENT_MARKS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "H": "\u030b",
    "u": "\u0306",
    "k": "\u0328",
    "r": "\u030a",
}
# \'e  \'{e}  {\'e}  \c{c}  \v s
_LATEX_ACCENT = re.compile(r"\\(['`^\"~=.]|[cvHukr](?=[\s{]))\s*(?:\{\s*([A-Za-z]|\\[ij])\s*\}|([A-Za-z]))")
_LATEX_LETTERS = {
    "ss": "ß",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
}
_GREEK_LETTERS = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "varpi": "π",
    "rho": "ρ",
    "varrho": "ρ",
    "sigma": "σ",
    "varsigma": "ς",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}
_LATEX_WORD = re.compile(r"\\([A-Za-z]+)\s*")
# Commands that only format their argument: drop the command, keep the argument.
_LATEX_FORMATTING = frozenset(
    {
        "textbf",
        "textit",
        "textsc",
        "textsf",
        "texttt",
        "textrm",
        "textup",
        "textsl",
        "textnormal",
        "text",
        "emph",
        "mbox",
        "hbox",
        "mathrm",
        "mathbf",
        "mathit",
        "mathsf",
        "mathtt",
        "mathcal",
        "mathbb",
        "mathfrak",
        "mathscr",
        "boldsymbol",
        "bm",
        "operatorname",
    }
)


def _latex_word(match: re.Match[str]) -> str:
    name = match[1]
    if name in _LATEX_FORMATTING:
        return ""
    letter = _LATEX_LETTERS.get(name) or _GREEK_LETTERS.get(name)
    if letter is not None:
        return letter
    return " " + name + " "


def _latex_accent(match: re.Match[str]) -> str:
    base = match[2] or match[3]
    base = {"\\i": "i", "\\j": "j"}.get(base, base)
    return unicodedata.normalize("NFC", base + _LATEX_ACCENT_MARKS[match[1]])


def unlatex(text: str) -> str:
    """Replace the LaTeX found in titles by the characters it stands for: escapes (``\\&``), accents
    (``\\'e``), special letters (``\\ss``), Greek letters (``\\alpha``); drop formatting commands
    (``\\emph``), grouping braces and math ``$`` delimiters."""
    if "\\" in text:
        text = _LATEX_ESCAPES.sub(lambda m: "\x00" + m[1], text)  # protect escaped specials
        text = _LATEX_ACCENT.sub(_latex_accent, text)
        text = _LATEX_WORD.sub(_latex_word, text)
    if "{" in text or "}" in text or "$" in text:
        text = re.sub(r"(?<!\x00)[{}$]", "", text)
    return text.replace("\x00", "")


@lru_cache(maxsize=4096)
def _is_separator(char: str) -> bool:
    """Punctuation and symbols (Unicode P* and S*) separate words in a normalised title."""
    return unicodedata.category(char)[0] in "PS"


@lru_cache(maxsize=4096)
def _is_format(char: str) -> bool:
    """Invisible format characters (soft hyphen, zero-width joiners) are dropped altogether."""
    return unicodedata.category(char) == "Cf"


_ASCII_SEPARATORS = {code: " " for code in range(128) if _is_separator(chr(code)) or chr(code).isspace()}


def normalize_title(title: str) -> str:
    """The normalised title of DESIGN §5, used to match entries that have no arXiv id or DOI.

    LaTeX escapes become their characters, then NFKC, casefold, punctuation, symbols and hyphens
    become spaces, invisible format characters vanish, and whitespace is collapsed.

    >>> normalize_title("Embedding\\\\&MLP: a Re-Take")
    'embedding mlp a re take'
    """
    text = unicodedata.normalize("NFKC", unlatex(title)).casefold()
    if text.isascii():
        text = text.translate(_ASCII_SEPARATORS)
    else:
        text = unicodedata.normalize("NFKC", text)  # casefold can leave unnormalised sequences
        text = "".join(" " if _is_separator(c) else "" if _is_format(c) else c for c in text)
    return " ".join(text.split())
