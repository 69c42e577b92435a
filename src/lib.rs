//! `neardup._core`: the PyO3 binding of `neardup-core`. No algorithms live here; each file wraps one area.

use pyo3::prelude::*;

pub(crate) use alloc::BatchJob;

mod alloc;
mod arrow;
mod catalog;
mod cluster;
mod compat;
mod corpus;
mod diff;
mod engine;
mod entry;
mod errors;
mod identity;
mod input;
mod lsh;
mod minhash;
mod near;
mod reconcile;
mod records;
mod texts;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    alloc::init();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    minhash::register(m)?;
    lsh::register(m)?;
    cluster::register(m)?;
    catalog::register(m)?;
    corpus::register(m)?;
    near::register(m)?;
    diff::register(m)?;
    compat::register(m)?;
    records::register(m)?;
    reconcile::register(m)?;
    engine::register(m)?;
    entry::register(m)?;
    identity::register(m)?;
    input::register(m)?;
    alloc::imported();
    Ok(())
}
