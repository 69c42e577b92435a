//! Bit-exact re-implementations of other libraries' schemes, so their users can switch without
//! invalidating stored signatures.

pub mod datasketch;
pub mod mt19937;
