//! `diff`, `diff_many`, `Diff`: thin wrappers over `neardup_core::diff`.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySlice, PyString, PyTuple};
use pyo3::{intern, IntoPyObjectExt};

use neardup_core::diff::{self as core, Cleanup, DiffResult, Op, Style, Tag, Unit};

use crate::errors::{detached, to_py};
use crate::texts::{text, Text};

/// Version of the pickled state read by `Diff._from_state`.
const STATE_VERSION: u32 = 1;

/// Below this many bytes a single diff takes microseconds: releasing and re-taking the GIL would cost a
/// noticeable share of it, so small pairs are diffed attached.
const DETACH_BYTES: usize = 16 * 1024;

/// The word (or character) diff of two texts.
#[pyclass(module = "neardup", name = "Diff", frozen)]
pub struct PyDiff {
    old: Py<PyString>,
    new: Py<PyString>,
    inner: DiffResult,
}

/// `tag, i1, i2, j1, j2` of an opcode, as `ops` and `to_dict` give them.
fn op_items<'py>(py: Python<'py>, op: &Op) -> PyResult<[Bound<'py, PyAny>; 5]> {
    Ok([
        tag_str(py, op.tag).clone().into_any(),
        op.old.cp_start.into_bound_py_any(py)?,
        op.old.cp_end.into_bound_py_any(py)?,
        op.new.cp_start.into_bound_py_any(py)?,
        op.new.cp_end.into_bound_py_any(py)?,
    ])
}

fn tag_str<'py>(py: Python<'py>, tag: Tag) -> &'py Bound<'py, PyString> {
    match tag {
        Tag::Equal => intern!(py, "equal"),
        Tag::Delete => intern!(py, "delete"),
        Tag::Insert => intern!(py, "insert"),
        Tag::Replace => intern!(py, "replace"),
    }
}

/// Private-use blocks of 0x800 code points (one per possible lone surrogate) tried as stand-ins.
const PUA_BLOCKS: [u32; 2] = [0xF0000, 0x100000];

/// Both texts of a pair, as UTF-8. Lone surrogates (which UTF-8 cannot hold) would become '?' in
/// `texts::text`, which would let an "equal" op pair a surrogate with a real '?' (or two different
/// surrogates). Instead each surrogate `U+D800 + k` maps to `base + k` in a private-use block used by neither
/// text: like a surrogate it is one code point that is neither `\w` nor `\s`, so offsets, tokens and
/// equality are exactly Python's. Only when all 62 blocks are taken do surrogates fall back to '?'.
fn pair_texts(
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    what: (&str, &str),
) -> PyResult<(Text, Text, Option<u32>)> {
    let (ta, tb) = (text(a, what.0)?, text(b, what.1)?);
    if matches!((&ta, &tb), (Text::Borrowed(_), Text::Borrowed(_))) {
        return Ok((ta, tb, None));
    }
    let used = |t: &Text, base: u32| {
        t.as_ref()
            .chars()
            .any(|c| (base..base + 0x800).contains(&(c as u32)))
    };
    let Some(base) = PUA_BLOCKS
        .iter()
        .flat_map(|&start| (0..31).map(move |k| start + k * 0x800))
        .find(|&base| !used(&ta, base) && !used(&tb, base))
    else {
        return Ok((ta, tb, None));
    };
    let remap = |obj: &Bound<'_, PyAny>, t: Text| -> PyResult<Text> {
        if let Text::Borrowed(_) = t {
            return Ok(t);
        }
        let bytes = obj.call_method1("encode", ("utf-8", "surrogatepass"))?;
        let bytes: &[u8] = bytes.extract()?;
        Ok(Text::Owned(with_stand_ins(bytes, base)))
    };
    Ok((remap(a, ta)?, remap(b, tb)?, Some(base)))
}

/// Decodes UTF-8 extended with encoded surrogates (`ED A0..BF 80..BF`), mapping surrogate `U+D800 + k` to
/// `base + k`.
fn with_stand_ins(bytes: &[u8], base: u32) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let (ok, bad) = rest.split_at(e.valid_up_to());
                // `valid_up_to` bytes are valid UTF-8 by definition.
                out.push_str(std::str::from_utf8(ok).unwrap_or_default());
                match bad {
                    [0xED, hi @ 0xA0..=0xBF, lo @ 0x80..=0xBF, ..] => {
                        let k = (u32::from(*hi & 0x1F) << 6) | u32::from(*lo & 0x3F);
                        out.push(char::from_u32(base + k).unwrap_or('?'));
                        rest = &bad[3..];
                    }
                    _ => {
                        out.push('?');
                        rest = &bad[1..];
                    }
                }
            }
        }
    }
    out
}

/// Undoes the stand-ins of `pair_texts` in a rendering: lone surrogates show as '?'.
fn without_stand_ins(s: String, base: Option<u32>) -> String {
    match base {
        None => s,
        Some(base) => s
            .chars()
            .map(|c| {
                if (base..base + 0x800).contains(&(c as u32)) {
                    '?'
                } else {
                    c
                }
            })
            .collect(),
    }
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// `repr` of a text cut to `n` code points.
fn short_repr(s: &Bound<'_, PyString>, n: usize) -> PyResult<String> {
    let len = s.len()?;
    if len <= n {
        return Ok(s.repr()?.to_string());
    }
    let head = s.get_item(PySlice::new(s.py(), 0, n as isize, 1))?;
    Ok(format!("{}…", head.repr()?))
}

impl PyDiff {
    /// The diff `inner` of the two Python strings it was computed from.
    pub(crate) fn from_parts(old: Py<PyString>, new: Py<PyString>, inner: DiffResult) -> PyDiff {
        PyDiff { old, new, inner }
    }
}

#[pymethods]
impl PyDiff {
    /// `(tag, i1, i2, j1, j2)` tuples, code-point offsets into `old` and `new`.
    #[getter]
    fn ops<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .inner
            .ops
            .iter()
            .map(|op| PyTuple::new(py, op_items(py, op)?))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }
    /// Tokens deleted plus tokens inserted; minimal (Indel distance) with ``cleanup="none"``.
    #[getter]
    fn distance(&self) -> usize {
        self.inner.distance
    }
    /// ``1 - distance / (tokens in old + tokens in new)``; 1.0 for two empty texts.
    #[getter]
    fn ratio(&self) -> f64 {
        self.inner.ratio()
    }
    /// Whether any token changed (``distance > 0``).
    #[getter]
    fn changed(&self) -> bool {
        self.inner.changed()
    }
    /// The old text, as given.
    #[getter(old)]
    fn old_text(&self, py: Python<'_>) -> Py<PyString> {
        self.old.clone_ref(py)
    }
    /// The new text, as given.
    #[getter(new)]
    fn new_text(&self, py: Python<'_>) -> Py<PyString> {
        self.new.clone_ref(py)
    }
    /// ``"word"`` or ``"char"``.
    #[getter]
    fn unit(&self) -> &'static str {
        self.inner.unit.name()
    }
    /// ``"semantic"`` or ``"none"``.
    #[getter]
    fn cleanup(&self) -> &'static str {
        self.inner.cleanup.name()
    }

    /// A JSON-ready dict: ``old``, ``new``, ``unit``, ``cleanup``, ``distance``, ``ratio``,
    /// ``changed`` and ``ops`` (a list of ``[tag, i1, i2, j1, j2]``).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("old", &self.old)?;
        d.set_item("new", &self.new)?;
        d.set_item("unit", self.inner.unit.name())?;
        d.set_item("cleanup", self.inner.cleanup.name())?;
        d.set_item("distance", self.inner.distance)?;
        d.set_item("ratio", self.inner.ratio())?;
        d.set_item("changed", self.inner.changed())?;
        let ops = PyList::empty(py);
        for op in &self.inner.ops {
            let row = PyList::new(py, op_items(py, op)?)?;
            ops.append(row)?;
        }
        d.set_item("ops", ops)?;
        Ok(d)
    }

    /// The diff as text in one of the styles:
    ///
    /// * ``"plain"``: ``[-removed-]{+added+}``, as ``git diff --word-diff=plain``;
    /// * ``"porcelain"``: one line per run prefixed with ``" "``, ``"-"`` or ``"+"``, and ``"~"``
    ///   for a newline of the text, as ``git diff --word-diff=porcelain``;
    /// * ``"ansi"``: removed text red, added text green;
    /// * ``"html"``: ``<del>removed</del><ins>added</ins>``, all text HTML-escaped;
    /// * ``"markdown"``: ``~~removed~~ **added**``, Markdown punctuation escaped.
    ///
    /// ``context=N`` keeps ``N`` tokens around each change and replaces the rest with ``…`` (an
    /// unchanged pair then renders as ``""``). Unknown styles raise ValueError listing the choices.
    /// Lone surrogates render as ``"?"``.
    #[pyo3(signature = (style="plain", *, context=None))]
    fn render(&self, py: Python<'_>, style: &str, context: Option<i64>) -> PyResult<String> {
        let style = Style::parse(style).map_err(to_py)?;
        let context = match context {
            Some(n) if n < 0 => {
                return Err(PyValueError::new_err(format!(
                    "context: must be at least 0, got {n}"
                )))
            }
            Some(n) => Some(n as usize),
            None => None,
        };
        let (o, n, base) = pair_texts(self.old.bind(py), self.new.bind(py), ("old", "new"))?;
        let out = self.inner.render(o.as_ref(), n.as_ref(), style, context);
        Ok(without_stand_ins(out, base))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Diff(old={}, new={}, unit='{}', cleanup='{}', distance={}, ratio={:.4}, changed={})",
            short_repr(self.old.bind(py), 24)?,
            short_repr(self.new.bind(py), 24)?,
            self.inner.unit.name(),
            self.inner.cleanup.name(),
            self.inner.distance,
            self.inner.ratio(),
            py_bool(self.inner.changed()),
        ))
    }

    fn __eq__(&self, py: Python<'_>, other: &Self) -> PyResult<bool> {
        Ok(self.inner == other.inner
            && PyAnyMethods::eq(self.old.bind(py).as_any(), other.old.bind(py))?
            && PyAnyMethods::eq(self.new.bind(py).as_any(), other.new.bind(py))?)
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<u64> {
        let mut h = DefaultHasher::new();
        self.inner.hash(&mut h);
        self.old.bind(py).hash()?.hash(&mut h);
        self.new.bind(py).hash()?.hash(&mut h);
        Ok(h.finish())
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let me = slf.get();
        let ops: Vec<(&str, usize, usize, usize, usize)> = me
            .inner
            .cp_ops()
            .into_iter()
            .map(|(tag, os, oe, ns, ne)| (tag.name(), os, oe, ns, ne))
            .collect();
        let state = (
            STATE_VERSION,
            me.old.clone_ref(py),
            me.new.clone_ref(py),
            me.inner.unit.name(),
            me.inner.cleanup.name(),
            ops,
        );
        let ctor = slf.get_type().getattr("_from_state")?;
        (ctor, (state,)).into_bound_py_any(py)
    }

    /// Rebuilds a pickled diff, validating every op against the texts.
    #[staticmethod]
    fn _from_state(py: Python<'_>, state: &Bound<'_, PyAny>) -> PyResult<Self> {
        type State<'py> = (
            u32,
            Bound<'py, PyAny>,
            Bound<'py, PyAny>,
            String,
            String,
            Vec<(String, usize, usize, usize, usize)>,
        );
        let (version, old, new, unit, cleanup, ops): State<'_> = state
            .extract()
            .map_err(|_| PyValueError::new_err("invalid Diff state"))?;
        if version != STATE_VERSION {
            return Err(PyValueError::new_err(format!(
                "Diff state version {version} is not supported (expected {STATE_VERSION})"
            )));
        }
        let unit = Unit::parse(&unit).map_err(to_py)?;
        let cleanup = Cleanup::parse(&cleanup).map_err(to_py)?;
        let ops = ops
            .into_iter()
            .map(|(t, a, b, c, d)| Tag::parse(&t).map(|t| (t, a, b, c, d)))
            .collect::<neardup_core::Result<Vec<_>>>()
            .map_err(to_py)?;
        let (o, n, _) = pair_texts(&old, &new, ("old", "new"))?;
        let inner = py
            .detach(|| DiffResult::from_ops(o.as_ref(), n.as_ref(), unit, cleanup, &ops))
            .map_err(to_py)?;
        Ok(PyDiff {
            old: old.cast_into::<PyString>()?.unbind(),
            new: new.cast_into::<PyString>()?.unbind(),
            inner,
        })
    }
}

fn options(unit: &str, cleanup: &str) -> PyResult<(Unit, Cleanup)> {
    Ok((
        Unit::parse(unit).map_err(to_py)?,
        Cleanup::parse(cleanup).map_err(to_py)?,
    ))
}

/// The `str` object behind an argument already checked by `text`.
fn py_str(obj: &Bound<'_, PyAny>) -> PyResult<Py<PyString>> {
    Ok(obj.cast::<PyString>()?.clone().unbind())
}

/// The diff of two texts, computed in the Rust core.
///
/// ``unit="word"`` (default) compares tokens: maximal runs of ``\w`` and every other
/// non-whitespace character on its own; ``unit="char"`` compares code points.
/// ``cleanup="semantic"`` (default) folds short coincidental equalities between two changes into
/// them, so that a reworded clause reads as one replacement (as diff-match-patch's semantic cleanup
/// does); ``cleanup="none"`` returns a minimal edit script. TypeError for non-``str`` texts,
/// ValueError (listing the choices) for unknown options.
#[pyfunction]
#[pyo3(signature = (old, new, *, unit="word", cleanup="semantic"))]
fn diff(
    py: Python<'_>,
    old: &Bound<'_, PyAny>,
    new: &Bound<'_, PyAny>,
    unit: &str,
    cleanup: &str,
) -> PyResult<PyDiff> {
    let (unit, cleanup) = options(unit, cleanup)?;
    let (o, n, _) = pair_texts(old, new, ("old", "new"))?;
    let (os, ns) = (o.as_ref(), n.as_ref());
    let inner = if os.len() + ns.len() >= DETACH_BYTES {
        detached(py, || Ok(core::diff(os, ns, unit, cleanup)))?
    } else {
        core::diff(os, ns, unit, cleanup)
    };
    Ok(PyDiff {
        old: py_str(old)?,
        new: py_str(new)?,
        inner,
    })
}

/// One `(old, new)` item of `diff_many`.
fn pair<'py>(
    item: &Bound<'py, PyAny>,
    i: usize,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    if let Ok(t) = item.cast::<PyTuple>() {
        if t.len() == 2 {
            return Ok((t.get_item(0)?, t.get_item(1)?));
        }
    } else if !item.is_instance_of::<PyString>() {
        if let Ok(seq) = item.extract::<Vec<Bound<'py, PyAny>>>() {
            let mut it = seq.into_iter();
            if let (Some(a), Some(b), None) = (it.next(), it.next(), it.next()) {
                return Ok((a, b));
            }
        }
    }
    Err(PyTypeError::new_err(format!(
        "pairs[{i}] must be an (old, new) pair of str, not {}",
        item.get_type().name()?
    )))
}

/// :func:`diff` of every ``(old, new)`` pair, in parallel on all cores with the GIL released,
/// results in input order.
#[pyfunction]
#[pyo3(signature = (pairs, *, unit="word", cleanup="semantic"))]
fn diff_many<'py>(
    py: Python<'py>,
    pairs: &Bound<'py, PyAny>,
    unit: &str,
    cleanup: &str,
) -> PyResult<Bound<'py, PyList>> {
    let (unit, cleanup) = options(unit, cleanup)?;
    if pairs.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "pairs must be a sequence of (old, new) pairs, not a str",
        ));
    }
    let mut objs = Vec::with_capacity(pairs.len().unwrap_or(0));
    let mut texts = Vec::with_capacity(objs.capacity());
    for (i, item) in pairs.try_iter()?.enumerate() {
        let (a, b) = pair(&item?, i)?;
        // Type-check first so the hot path builds no error labels.
        for (k, x) in [(0, &a), (1, &b)] {
            if !x.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(format!(
                    "pairs[{i}][{k}] must be str, not {}",
                    x.get_type().name()?
                )));
            }
        }
        let (ta, tb, _) = pair_texts(&a, &b, ("old", "new"))?;
        texts.push((ta, tb));
        objs.push((py_str(&a)?, py_str(&b)?));
    }
    let results = detached(py, || Ok(core::diff_many(&texts, unit, cleanup)))?;
    drop(texts);
    let out = PyList::empty(py);
    for ((old, new), inner) in objs.into_iter().zip(results) {
        out.append(Bound::new(py, PyDiff { old, new, inner })?)?;
    }
    Ok(out)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDiff>()?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(diff_many, m)?)?;
    Ok(())
}
