//! `neardup._core`: the PyO3 binding of `neardup-core`. No algorithms live here; each file wraps one area.

use pyo3::prelude::*;

/// The core allocates and frees millions of small strings and vectors per large batch (records, shingle
/// sets, report pieces); mimalloc does that markedly faster than the system allocator and returns memory
/// to the system less eagerly (fewer page faults). It serves the Rust side only: Python keeps its own.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cluster;
mod compat;
mod diff;
mod errors;
mod lsh;
mod minhash;
mod near;
mod reconcile;
mod records;
mod texts;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    minhash::register(m)?;
    lsh::register(m)?;
    cluster::register(m)?;
    near::register(m)?;
    diff::register(m)?;
    compat::register(m)?;
    records::register(m)?;
    reconcile::register(m)?;
    Ok(())
}
