//! Fused word tokeniser for ASCII text: the hot path of MinHash signatures from raw text.
//!
//! For ASCII, NFKC is the identity and lower-casing is a byte map, so normalising, tokenising and hashing
//! need no decoding. One pass over 64-byte chunks ([`crate::text::byteclass::classify_lowering`]) computes the
//! word-byte mask of the text and writes the text, lower-cased when normalising, to a reusable buffer. Word runs are then read
//! off the mask with bit tricks (`starts = m & !(m << 1)`, `ends = !m & (m << 1)`), and each word is hashed
//! straight from the buffer: no lower-cased `String`, no `&str` slicing with its char-boundary checks.
//!
//! Results are those of the general path ([`super::normalize`] then [`super::for_each_word`]) by
//! construction; the tests in `shingle.rs` check it on arbitrary input.

/// Reusable buffers of the fused tokeniser.
#[derive(Debug, Default, Clone)]
pub(super) struct AsciiScratch {
    /// Bit `i` of word `i / 64` is set when byte `i` is a word byte (`[0-9A-Za-z_]`).
    mask: Vec<u64>,
    /// The text (lower-cased when normalising), padded to whole 64-byte chunks.
    lower: Vec<u8>,
}

/// The words of `text` (lower-cased when `lowercase`), in order; `None` when `text` is not ASCII: the
/// caller then takes the general path.
#[inline(always)]
pub(super) fn words<'a>(
    text: &'a [u8],
    lowercase: bool,
    scratch: &'a mut AsciiScratch,
) -> Option<Words<'a>> {
    if !classify(text, lowercase, scratch) {
        return None;
    }
    let bytes = &scratch.lower[..text.len()];
    Some(Words {
        bytes,
        mask: &scratch.mask,
        next_word: 0,
        base: 0,
        starts: 0,
        ends: 0,
        carry: 0,
        start: 0,
    })
}

/// Fills `scratch.mask` and `scratch.lower` (the text, lower-cased when `lowercase`) for `text`; `false`
/// on a non-ASCII byte.
#[inline(always)]
fn classify(text: &[u8], lowercase: bool, scratch: &mut AsciiScratch) -> bool {
    let chunks = text.len().div_ceil(64);
    scratch.mask.clear();
    scratch.mask.resize(chunks, 0);
    // Every byte is overwritten below; resizing only grows the buffer the first times.
    scratch.lower.resize(chunks * 64, 0);
    // Lower-casing ORs letters with `case`: 0x20, or 0 to keep the text as it is.
    let case = if lowercase { 0x20 } else { 0 };
    // The last chunk is padded with zeros: separators, so no run crosses the end of the text.
    let mut padded = [0u8; 64];
    let out = scratch
        .mask
        .iter_mut()
        .zip(scratch.lower.chunks_exact_mut(64));
    for (chunk, (mask, lower)) in text.chunks(64).zip(out) {
        let block: &[u8; 64] = match chunk.try_into() {
            Ok(b) => b,
            Err(_) => {
                padded[..chunk.len()].copy_from_slice(chunk);
                &padded
            }
        };
        let lower: &mut [u8; 64] = lower.try_into().expect("chunks of 64");
        let c = crate::text::byteclass::classify_lowering(block, case, lower);
        if c.high {
            return false;
        }
        *mask = c.word;
    }
    true
}

/// Iterator over the words of a classified text: the maximal runs of set bits of the mask.
///
/// A 64-bit mask word `m` with `carry` (the previous word's top bit) has run starts at the set bits of
/// `m & !(m << 1 | carry)` and run ends (one past the run) at those of `!m & (m << 1 | carry)`. Starts
/// and ends alternate, so every end closes the run opened by the latest start: at most one run is open
/// between mask words, exactly when `carry` is set.
pub(super) struct Words<'a> {
    /// The text as classified (lower-cased when normalising).
    bytes: &'a [u8],
    mask: &'a [u64],
    /// Index of the next mask word to load; `mask.len()` stands for a virtual all-clear word that closes
    /// a run reaching the end of the text (its end is then `64 * mask.len()` = `bytes.len()`: the zero
    /// padding of the last chunk closes every other run inside the mask).
    next_word: usize,
    /// Byte offset of the current mask word, and its starts and ends not yet consumed.
    base: usize,
    starts: u64,
    ends: u64,
    carry: u64,
    /// Start of the open run.
    start: usize,
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    #[inline(always)]
    fn next(&mut self) -> Option<&'a [u8]> {
        while self.ends == 0 {
            if self.next_word > self.mask.len() {
                return None;
            }
            let m = self.mask.get(self.next_word).copied().unwrap_or(0);
            self.base = self.next_word * 64;
            self.next_word += 1;
            let prev = (m << 1) | self.carry;
            let open = self.carry != 0;
            self.carry = m >> 63;
            self.starts = m & !prev;
            self.ends = !m & prev;
            if !open {
                self.pop_start();
            }
        }
        let end = self.base + self.ends.trailing_zeros() as usize;
        self.ends &= self.ends - 1;
        let start = self.start;
        // The next run of this mask word, if any (else `start` is set again before it is used).
        self.pop_start();
        Some(&self.bytes[start..end])
    }
}

impl Words<'_> {
    #[inline(always)]
    fn pop_start(&mut self) {
        self.start = self.base + self.starts.trailing_zeros() as usize;
        self.starts &= self.starts.wrapping_sub(1);
    }
}
