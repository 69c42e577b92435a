//! Bit-exact datasketch MinHash schemes (filled in by the datasketch-compat work).
