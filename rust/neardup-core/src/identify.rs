//! The identity of a snapshot entry (DESIGN §5), in its one implementation: arXiv ids, DOIs and
//! normalised titles. Python's `neardup.identity` and every reader call these functions.
//!
//! * [`arxiv_key`]: an arXiv identifier in any common spelling — a bare id (`2502.13138`,
//!   `hep-th/9901001`), an `arXiv:` prefix, an abs/pdf/html URL, an `oai:arXiv.org:` guid, a Hugging Face
//!   paper URL or arXiv's DOI `10.48550/arXiv.<id>` — as `("arxiv:<id>", version)`; the `vN` suffix
//!   becomes the version. Ids whose YYMM is not a month, and four-digit numbers after 2014, are refused.
//! * [`doi_key`]: `"doi:<doi>"` lower-cased without resolver prefix (arXiv's own DOIs map back to the
//!   arXiv id).
//! * [`identity_key`]: an id field's key: an arXiv id, else a DOI.
//! * [`normalize_title`]: LaTeX escapes to their characters, NFKC, full Unicode case folding,
//!   punctuation, symbols and hyphens to spaces, invisible format characters dropped, whitespace
//!   collapsed. Plain-ASCII titles take the fast path of [`normalize_title_ascii`],
//!   which the tests hold to the general definition.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;

use rayon::prelude::*;
use regex::bytes::Regex;
use unicode_general_category::{get_general_category, GeneralCategory as G};
use unicode_normalization::UnicodeNormalization;
use xxhash_rust::xxh3::xxh3_64;

use crate::text::space::{is_py_space, py_collapse, py_strip};

mod title;
pub use title::normalize_title_ascii;

/// Python's `\s` in ASCII mode.
const S: &str = r"[ \t\n\r\x0b\x0c]";

static ARXIV_FORMS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i-u)^(?:(?:arxiv:{S}*)|(?:oai:arxiv\.org:)|(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/)|(?:https?://(?:www\.)?huggingface\.co/papers/)|(?:10\.48550/arxiv\.))?(?P<id>[0-9]{{4}}\.[0-9]{{4,5}}|[a-z]+(?:-[a-z]+)*(?:\.[a-z]{{2}})?/[0-9]{{7}})(?:v(?P<version>[0-9]{{1,9}}))?(?:\.pdf)?/?(?:[?#][^\n]*)?$"
    ))
    .expect("valid arXiv pattern")
});
static DOI_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i-u)^(?:doi:{S}*|https?://(?:dx\.|www\.)?doi\.org/)"
    ))
    .expect("valid DOI prefix pattern")
});

/// `("arxiv:<id>", version)` for an arXiv identifier in any spelling the module doc lists, else `None`.
pub fn arxiv_key(text: &str) -> Option<(String, Option<u32>)> {
    let mut text = py_strip(text);
    if let Some(m) = DOI_PREFIX.find(text.as_bytes()) {
        text = &text[m.end()..];
    }
    let caps = ARXIV_FORMS.captures(text.as_bytes())?;
    // The pattern is ASCII in the groups read here.
    let ident = std::str::from_utf8(caps.name("id")?.as_bytes()).ok()?;
    if !plausible(ident) {
        return None;
    }
    let ident = match ident.split_once('/') {
        // Old style: the archive lower case, the subject class upper case.
        Some((archive, number)) => match archive.split_once('.') {
            Some((name, subject)) => format!(
                "{}.{}/{number}",
                name.to_ascii_lowercase(),
                subject.to_ascii_uppercase()
            ),
            None => format!("{}/{number}", archive.to_ascii_lowercase()),
        },
        None => ident.to_owned(),
    };
    let version = caps
        .name("version")
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok()?.parse().ok());
    Some((format!("arxiv:{ident}"), version))
}

/// YYMM must name a month, and four-digit numbers ended with 1412.
fn plausible(ident: &str) -> bool {
    let last = ident.rsplit('/').next().unwrap_or(ident);
    let (yymm, number) = match last.split_once('.') {
        Some((yymm, number)) => (yymm, number),
        None => (&last[..4.min(last.len())], ""),
    };
    let (Some(month), Ok(year_month)) = (yymm.get(2..4), yymm.parse::<u32>()) else {
        return false;
    };
    let month: u32 = month.parse().unwrap_or(0);
    (1..=12).contains(&month) && !(number.len() == 4 && year_month >= 1501)
}

/// The DOI in `text`, lower-cased, without a `doi:` or resolver prefix; `None` when it is none.
pub fn normalize_doi(text: &str) -> Option<String> {
    let text = py_strip(text);
    let stripped: Cow<str> = match DOI_PREFIX.find(text.as_bytes()) {
        Some(m) => Cow::Owned(
            percent_encoding::percent_decode_str(&text[m.end()..])
                .decode_utf8_lossy()
                .into_owned(),
        ),
        None => Cow::Borrowed(text),
    };
    let doi = py_strip(&stripped).to_lowercase();
    let rest = doi.strip_prefix("10.")?;
    let (registrant, suffix) = rest.split_once('/')?;
    let digits = registrant.len();
    let ok = (4..=9).contains(&digits)
        && registrant.bytes().all(|b| b.is_ascii_digit())
        && !suffix.is_empty()
        && !suffix.chars().any(is_py_space);
    ok.then_some(doi)
}

/// `"doi:<doi>"` for a DOI, `"arxiv:<id>"` for arXiv's own DOIs, else `None`.
pub fn doi_key(text: &str) -> Option<String> {
    let doi = normalize_doi(text)?;
    if doi.starts_with("10.48550/arxiv.") {
        if let Some((key, _)) = arxiv_key(&doi) {
            return Some(key);
        }
    }
    Some(format!("doi:{doi}"))
}

/// The key of an id field: an arXiv id (with its version), else a DOI, else `None`.
pub fn identity_key(text: &str) -> Option<(String, Option<u32>)> {
    arxiv_key(text).or_else(|| doi_key(text).map(|k| (k, None)))
}

// ---- titles ------------------------------------------------------------------------------------

static LATEX_ACCENT: LazyLock<fancy_regex::Regex> = LazyLock::new(|| {
    fancy_regex::Regex::new(
        r#"\\(['`^"~=.]|[cvHukr](?=[\s{]))\s*(?:\{\s*([A-Za-z]|\\[ij])\s*\}|([A-Za-z]))"#,
    )
    .expect("valid accent pattern")
});
static LATEX_WORD: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\\([A-Za-z]+)\s*").expect("valid command pattern"));

fn accent_mark(mark: &str) -> char {
    match mark {
        "'" => '\u{301}',
        "`" => '\u{300}',
        "^" => '\u{302}',
        "\"" => '\u{308}',
        "~" => '\u{303}',
        "=" => '\u{304}',
        "." => '\u{307}',
        "c" => '\u{327}',
        "v" => '\u{30c}',
        "H" => '\u{30b}',
        "u" => '\u{306}',
        "k" => '\u{328}',
        _ => '\u{30a}', // "r", the last the pattern allows
    }
}

/// The character a LaTeX letter or Greek-letter command stands for.
fn latex_letter(name: &str) -> Option<&'static str> {
    Some(match name {
        "ss" => "ß",
        "ae" => "æ",
        "AE" => "Æ",
        "oe" => "œ",
        "OE" => "Œ",
        "aa" => "å",
        "AA" => "Å",
        "o" => "ø",
        "O" => "Ø",
        "l" => "ł",
        "L" => "Ł",
        "i" => "ı",
        "j" => "ȷ",
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" | "varepsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" | "vartheta" => "θ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" | "varpi" => "π",
        "rho" | "varrho" => "ρ",
        "sigma" => "σ",
        "varsigma" => "ς",
        "tau" => "τ",
        "upsilon" => "υ",
        "phi" | "varphi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Xi" => "Ξ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Upsilon" => "Υ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        _ => return None,
    })
}

/// Commands that only format their argument: the command goes, the argument stays.
const FORMATTING: [&str; 25] = [
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
];

/// The LaTeX found in titles replaced by the characters it stands for: escapes (`\&`), accents (`\'e`),
/// special and Greek letters (`\ss`, `\alpha`); formatting commands (`\emph`), grouping braces and math
/// `$` dropped; any other command kept as a word.
pub fn unlatex(text: &str) -> String {
    let mut text = text.to_owned();
    if text.contains('\\') {
        // Escaped specials are protected by a NUL until the braces and dollars are dropped.
        let mut protected = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek()) {
                ('\\', Some(&n)) if "&%$#_{}".contains(n) => {
                    protected.push('\0');
                    protected.push(n);
                    chars.next();
                }
                _ => protected.push(c),
            }
        }
        text = LATEX_ACCENT
            .replace_all(&protected, |caps: &fancy_regex::Captures<'_, str>| {
                let base = caps.get(2).or(caps.get(3)).map_or("", |m| m.as_str());
                let base = match base {
                    "\\i" => "i",
                    "\\j" => "j",
                    b => b,
                };
                let mark = accent_mark(caps.get(1).map_or("r", |m| m.as_str()));
                format!("{base}{mark}").nfc().collect::<String>()
            })
            .into_owned();
        text = LATEX_WORD
            .replace_all(&text, |caps: &regex::Captures| {
                let name = &caps[1];
                if FORMATTING.contains(&name) {
                    String::new()
                } else if let Some(letter) = latex_letter(name) {
                    letter.to_owned()
                } else {
                    format!(" {name} ")
                }
            })
            .into_owned();
    }
    if text.contains(['{', '}', '$']) {
        let mut kept = String::with_capacity(text.len());
        let mut previous = None;
        for c in text.chars() {
            if !(matches!(c, '{' | '}' | '$') && previous != Some('\0')) {
                kept.push(c);
            }
            previous = Some(c);
        }
        text = kept;
    }
    text.replace('\0', "")
}

/// Punctuation and symbols (Unicode P* and S*) separate words in a normalised title.
fn is_separator(c: char) -> bool {
    matches!(
        get_general_category(c),
        G::ConnectorPunctuation
            | G::DashPunctuation
            | G::OpenPunctuation
            | G::ClosePunctuation
            | G::InitialPunctuation
            | G::FinalPunctuation
            | G::OtherPunctuation
            | G::MathSymbol
            | G::CurrencySymbol
            | G::ModifierSymbol
            | G::OtherSymbol
    )
}

/// The normalised title of DESIGN §5, which entries without an arXiv id or DOI are matched by.
pub fn normalize_title(title: &str) -> String {
    if let Some(fast) = normalize_title_ascii(title) {
        return fast;
    }
    let folded = caseless::default_case_fold_str(&unlatex(title).nfkc().collect::<String>());
    let spaced: String = if folded.is_ascii() {
        folded
            .chars()
            .map(|c| if c.is_ascii_punctuation() { ' ' } else { c })
            .collect()
    } else {
        // Case folding can leave unnormalised sequences.
        folded
            .nfkc()
            .filter(|&c| get_general_category(c) != G::Format)
            .map(|c| if is_separator(c) { ' ' } else { c })
            .collect()
    };
    py_collapse(&spaced).into_owned()
}

/// An identity (key or normalised title) with its hash, computed once (by the reader, while the record's
/// line is in cache) for every table and partition that identity goes into. Never empty: an empty
/// identity is no identity.
///
/// Maps keyed by identities ([`IdMap`]) take the stored hash as it is; equality compares the text, so two
/// identities whose hashes collide stay distinct.
#[derive(Debug, Clone, Copy)]
pub struct Id<'a> {
    pub(crate) hash: u64,
    pub(crate) text: &'a str,
}

impl<'a> Id<'a> {
    /// `text` as an identity, hashed now; `None` when empty.
    pub fn new(text: &'a str) -> Option<Id<'a>> {
        Id::hashed(text, id_hash(text))
    }

    /// `text` as an identity whose [`id_hash`] was computed earlier; `None` when empty.
    pub fn hashed(text: &'a str, hash: u64) -> Option<Id<'a>> {
        debug_assert_eq!(hash, id_hash(text), "stale identity hash of {text:?}");
        (!text.is_empty()).then_some(Id { hash, text })
    }

    /// Each of `ids` hashed, in parallel.
    pub fn all(ids: &[Option<&'a str>]) -> Vec<Option<Id<'a>>> {
        ids.par_iter().map(|id| id.and_then(Id::new)).collect()
    }
}

/// The hash of an identity's text, as [`Id::hashed`] expects it.
pub fn id_hash(text: &str) -> u64 {
    xxh3_64(text.as_bytes())
}

impl PartialEq for Id<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.text == other.text
    }
}

impl Eq for Id<'_> {}

impl Hash for Id<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arxiv_spellings() {
        let k = |t: &str| arxiv_key(t);
        let id = |s: &str, v: Option<u32>| Some((s.to_owned(), v));
        assert_eq!(
            k("http://arxiv.org/abs/2502.13138v2"),
            id("arxiv:2502.13138", Some(2))
        );
        assert_eq!(
            k("oai:arXiv.org:hep-th/9901001"),
            id("arxiv:hep-th/9901001", None)
        );
        assert_eq!(k(" arXiv: 2101.00001 "), id("arxiv:2101.00001", None));
        assert_eq!(k("MATH.gt/0309136v1"), id("arxiv:math.GT/0309136", Some(1)));
        assert_eq!(
            k("https://huggingface.co/papers/2502.13138"),
            id("arxiv:2502.13138", None)
        );
        assert_eq!(
            k("doi:10.48550/arXiv.2502.13138"),
            id("arxiv:2502.13138", None)
        );
        assert_eq!(
            k("https://arxiv.org/pdf/2502.13138v3.pdf?x=1"),
            id("arxiv:2502.13138", Some(3))
        );
        assert_eq!(k("2513.00001"), None); // month 13
        assert_eq!(k("1601.0001"), None); // four digits after 2014
        assert_eq!(k("1401.0001"), id("arxiv:1401.0001", None));
        assert_eq!(k("10.1145/375663.375678"), None);
        assert_eq!(k("2502.13138\nv2"), None);
    }

    #[test]
    fn dois() {
        assert_eq!(
            normalize_doi("https://doi.org/10.1145/375663.375678").as_deref(),
            Some("10.1145/375663.375678")
        );
        assert_eq!(doi_key("DOI: 10.1000/ABC%20x"), None); // decoded, the suffix holds a space
        assert_eq!(
            doi_key("doi:10.1000/ABC").as_deref(),
            Some("doi:10.1000/abc")
        );
        assert_eq!(
            doi_key("10.48550/arXiv.2101.00001").as_deref(),
            Some("arxiv:2101.00001")
        );
        assert_eq!(normalize_doi("10.12/x"), None);
        assert_eq!(identity_key("P-1"), None);
    }

    #[test]
    fn titles() {
        let n = normalize_title;
        assert_eq!(n("Embedding\\&MLP: a Re-Take"), "embedding mlp a re take");
        assert_eq!(n("Fast_Model  Editing"), "fast model editing");
        assert_eq!(n("Caf\u{e9} \u{2014} Soci\u{e9}t\u{e9}"), "café société");
        assert_eq!(n("Stra\u{df}e"), "strasse");
        assert_eq!(n("The $\\alpha$-rule"), "the α rule");
        assert_eq!(
            n("Schr\\\"{o}dinger \\emph{bridges}"),
            "schrödinger bridges"
        );
        assert_eq!(n("\\c{c}a va"), "ça va");
        assert_eq!(n("soft\u{ad}ware"), "software");
        assert_eq!(n("\\mathcal{O}(n) \\LaTeX{} \\{set\\}"), "o n latex set");
        assert_eq!(n("\u{ff26}\u{ff55}\u{ff4c}\u{ff4c}width"), "fullwidth");
    }
}
