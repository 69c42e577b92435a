//! Persistence of an [`LshIndex`](super::LshIndex): its binary form ([`format`]: a versioned header
//! with the body's length and checksum, then the parameters and every slot) and files written atomically
//! and read without trust ([`file`]).
//!
//! The format is the contract with every index saved so far: it stores band keys, so the key function
//! ([`super::bands`]) is part of it too; a change to either needs a new version number and a reader for
//! the old one (version 1, without checksum, is still read).

mod file;
mod format;

pub use file::{load_file, save_file, FileError};
