"""Identity of a snapshot entry (DESIGN §5): arXiv ids, DOIs and normalised titles.

In order of preference an entry is identified by an id it declares, its arXiv id without the version
suffix (the version is kept separately), its DOI (lower-cased; arXiv's own ``10.48550/arXiv.<id>`` DOIs
map back to the arXiv id), then its normalised title. The rules have one implementation, in the Rust core
(``rust/neardup-core/src/identify.rs``); these are its Python names.

>>> arxiv_key("http://arxiv.org/abs/2502.13138v2")
('arxiv:2502.13138', 2)
>>> arxiv_key("oai:arXiv.org:hep-th/9901001")
('arxiv:hep-th/9901001', None)
>>> normalize_doi("https://doi.org/10.1145/375663.375678")
'10.1145/375663.375678'
>>> normalize_title("Embedding\\\\&MLP: a Re-Take")
'embedding mlp a re take'
"""

from __future__ import annotations

from neardup._core import arxiv_key, doi_key, identity_key, normalize_doi, normalize_title, unlatex

__all__ = ["arxiv_key", "doi_key", "identity_key", "normalize_doi", "normalize_title", "unlatex"]
