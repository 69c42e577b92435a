//! Rendering a diff as marked-up text: git's word-diff forms, ANSI colour, HTML and Markdown.
//!
//! The rendering reads as the new text with the old text's changed words interleaved: equal text once, each
//! change as its removed then its added words. In the word unit the whitespace around a change stays outside
//! the markers (`the [-cat-]{+dog+} sat`, as `git diff --word-diff=plain`), and whitespace-only ops print the
//! new whitespace unmarked.
//!
//! Control characters of the texts are neutralised ([`super::controls`]): shown as escapes in the terminal
//! styles (plain, porcelain, ansi), replaced by U+FFFD in HTML and Markdown.

use std::borrow::Cow;
use std::fmt::Write;

use super::controls;
use super::tokens::{tokenize, Token};
use super::{DiffResult, Unit};
use crate::error::{invalid, Result};
use crate::text::shingle::is_space;

/// Output form of [`DiffResult::render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// `[-removed-]{+added+}`, as `git diff --word-diff=plain`.
    Plain,
    /// One line per run, prefixed ` `, `-` or `+`; a newline of the text is a line `~`
    /// (`git diff --word-diff=porcelain`).
    Porcelain,
    /// Removed text red and struck through, added text green and underlined (SGR 31;9 / 32;4, reset
    /// with `ESC[m`, per line), a space between a removal and the insertion that replaces it, so the
    /// two read apart where a terminal shows neither strike nor underline.
    Ansi,
    /// `<del>removed</del><ins>added</ins>`, all text HTML-escaped.
    Html,
    /// `~~removed~~ **added**`, Markdown punctuation backslash-escaped.
    Markdown,
}

impl Style {
    pub fn parse(name: &str) -> Result<Style> {
        match name {
            "plain" => Ok(Style::Plain),
            "porcelain" => Ok(Style::Porcelain),
            "ansi" => Ok(Style::Ansi),
            "html" => Ok(Style::Html),
            "markdown" => Ok(Style::Markdown),
            other => Err(invalid(
                "style",
                format!(
                    "expected 'plain', 'porcelain', 'ansi', 'html' or 'markdown', got {other:?}"
                ),
            )),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Style::Plain => "plain",
            Style::Porcelain => "porcelain",
            Style::Ansi => "ansi",
            Style::Html => "html",
            Style::Markdown => "markdown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Eq,
    Del,
    Ins,
}

/// Splits `s` into leading whitespace, core, trailing whitespace.
fn trim_parts(s: &str) -> (&str, &str, &str) {
    let core = s.trim_matches(is_space);
    let lead = s.len() - s.trim_start_matches(is_space).len();
    (&s[..lead], core, &s[lead + core.len()..])
}

/// The pieces to print, in order.
fn pieces<'a>(d: &DiffResult, old: &'a str, new: &'a str) -> Vec<(Kind, Cow<'a, str>)> {
    let mut out: Vec<(Kind, Cow<'a, str>)> = Vec::with_capacity(d.ops.len() * 2);
    let mut push = |k: Kind, s: &'a str| {
        if !s.is_empty() {
            out.push((k, Cow::Borrowed(s)));
        }
    };
    for op in &d.ops {
        // `get` keeps a mismatched text (not the one diffed) from panicking; it renders garbage instead.
        let o = old.get(op.old.bytes()).unwrap_or("");
        let n = new.get(op.new.bytes()).unwrap_or("");
        if !op.is_change() {
            push(Kind::Eq, if op.tag == super::Tag::Equal { o } else { n });
        } else if d.unit == Unit::Char {
            push(Kind::Del, o);
            push(Kind::Ins, n);
        } else {
            let ((lo, co, to), (ln, cn, tn)) = (trim_parts(o), trim_parts(n));
            let (lead, trail) = if cn.is_empty() { (lo, to) } else { (ln, tn) };
            push(Kind::Eq, lead);
            push(Kind::Del, co);
            push(Kind::Ins, cn);
            push(Kind::Eq, trail);
        }
    }
    out
}

/// Replaces each run of equal text by its `n` tokens nearest to a change, eliding the rest with `…`.
fn with_context(
    pieces: Vec<(Kind, Cow<'_, str>)>,
    unit: Unit,
    n: usize,
) -> Vec<(Kind, Cow<'_, str>)> {
    if pieces.iter().all(|(k, _)| *k == Kind::Eq) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(pieces.len());
    let mut toks: Vec<Token<usize>> = Vec::new();
    let mut run = String::new();
    let mut in_run = false;
    let mut seen_change = false;
    let mut flush =
        |run: &mut String, out: &mut Vec<(Kind, Cow<'_, str>)>, first: bool, last: bool| {
            tokenize(run, unit, &mut toks);
            let len = toks.len();
            let keep = if first || last { n } else { 2 * n };
            if len <= keep {
                out.push((Kind::Eq, Cow::Owned(std::mem::take(run))));
                return;
            }
            // head: text up to the end of the n-th token; tail: from the start of the n-th token from the end.
            let head = if n > 0 {
                toks[n - 1].end()
            } else {
                toks[0].start()
            };
            let tail = if n > 0 {
                toks[len - n].start()
            } else {
                toks[len - 1].end()
            };
            let sep = if n > 0 { " " } else { "" };
            let mut s = String::new();
            if !first {
                s.push_str(&run[..head]);
                s.push_str(sep);
            }
            s.push('…');
            if !last {
                s.push_str(sep);
                s.push_str(&run[tail..]);
            }
            run.clear();
            out.push((Kind::Eq, Cow::Owned(s)));
        };
    for (k, s) in pieces {
        if k == Kind::Eq {
            run.push_str(&s);
            in_run = true;
        } else {
            if in_run {
                flush(&mut run, &mut out, !seen_change, false);
                in_run = false;
            }
            seen_change = true;
            out.push((k, s));
        }
    }
    if in_run {
        flush(&mut run, &mut out, false, true);
    }
    out
}

/// `s` with the characters HTML gives a meaning to (quotes too) written as entities.
pub(crate) fn escape_html(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

fn escape_markdown(out: &mut String, s: &str) {
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '<' | '>' | '|' | '&' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}

fn verbatim(out: &mut String, s: &str) {
    out.push_str(s);
}

/// Writes `s` with each line's non-blank part between `open` and `close`, so markers never span a line
/// break (Markdown emphasis and terminal colours do not survive one).
fn per_line(out: &mut String, s: &str, open: &str, close: &str, esc: fn(&mut String, &str)) {
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let (lead, core, trail) = trim_parts(line);
        out.push_str(lead);
        if !core.is_empty() {
            out.push_str(open);
            esc(out, core);
            out.push_str(close);
        }
        out.push_str(trail);
    }
}

pub(crate) fn render(
    d: &DiffResult,
    old: &str,
    new: &str,
    style: Style,
    context: Option<usize>,
) -> String {
    let mut ps = pieces(d, old, new);
    if let Some(n) = context {
        ps = with_context(ps, d.unit, n);
    }
    let mut out = String::with_capacity(old.len().max(new.len()) + 16 * ps.len());
    let mut prev = Kind::Eq;
    for (k, s) in &ps {
        let s = match style {
            Style::Plain | Style::Porcelain | Style::Ansi => controls::for_terminal(s),
            Style::Html | Style::Markdown => controls::for_markup(s),
        };
        let s: &str = &s;
        match style {
            Style::Plain => match k {
                Kind::Eq => out.push_str(s),
                Kind::Del => {
                    let _ = write!(out, "[-{s}-]");
                }
                Kind::Ins => {
                    let _ = write!(out, "{{+{s}+}}");
                }
            },
            Style::Porcelain => {
                let prefix = match k {
                    Kind::Eq => ' ',
                    Kind::Del => '-',
                    Kind::Ins => '+',
                };
                for (i, line) in s.split('\n').enumerate() {
                    if i > 0 {
                        out.push_str("~\n");
                    }
                    if !line.is_empty() {
                        out.push(prefix);
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
            Style::Ansi => match k {
                Kind::Eq => out.push_str(s),
                Kind::Del => per_line(&mut out, s, "\x1b[31;9m", "\x1b[m", verbatim),
                Kind::Ins => {
                    if prev == Kind::Del {
                        out.push(' ');
                    }
                    per_line(&mut out, s, "\x1b[32;4m", "\x1b[m", verbatim)
                }
            },
            Style::Html => match k {
                Kind::Eq => escape_html(&mut out, s),
                Kind::Del | Kind::Ins => {
                    let tag = if *k == Kind::Del { "del" } else { "ins" };
                    let _ = write!(out, "<{tag}>");
                    escape_html(&mut out, s);
                    let _ = write!(out, "</{tag}>");
                }
            },
            Style::Markdown => match k {
                Kind::Eq => escape_markdown(&mut out, s),
                Kind::Del => per_line(&mut out, s, "~~", "~~", escape_markdown),
                Kind::Ins => {
                    if prev == Kind::Del {
                        out.push(' ');
                    }
                    per_line(&mut out, s, "**", "**", escape_markdown)
                }
            },
        }
        prev = *k;
    }
    out
}
