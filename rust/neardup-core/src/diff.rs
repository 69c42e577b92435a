//! Word-level diff (filled in by the diff work).
