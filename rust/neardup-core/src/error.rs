//! The one error type of the core. Each variant is a failure a caller can act on; the binding crate maps
//! them to Python exceptions in one place (`src/errors.rs`).

use thiserror::Error;

/// Everything the core can refuse or fail at.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// A parameter is out of its valid range; `param` names it for the user.
    #[error("{param}: {message}")]
    InvalidParameter {
        param: &'static str,
        message: String,
    },
    /// Two signatures (or a signature and an index) disagree on their length.
    #[error("signature length mismatch: expected {expected}, got {got}")]
    LengthMismatch { expected: usize, got: usize },
    /// A saved index could not be read back.
    #[error("invalid index data: {0}")]
    IndexFormat(String),
}

pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(param: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidParameter {
        param,
        message: message.into(),
    }
}
