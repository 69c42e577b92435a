//! Text as the rest of the core reads it: the one SIMD byte-class module with its scalar reference
//! ([`byteclass`]), Python's whitespace rules ([`space`]), shingles ([`shingle`]) and JSON spelling of
//! strings and numbers ([`json`]).

pub mod byteclass;
pub mod json;
pub mod shingle;
pub mod space;
