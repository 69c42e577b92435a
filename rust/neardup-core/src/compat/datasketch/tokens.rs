//! A batch of documents, each a list of byte tokens, packed into three flat buffers so that a whole
//! batch crosses from Python in one go and is shared read-only by worker threads.

/// Documents of byte tokens: token `t` is `data[token_ends[t-1]..token_ends[t]]`, document `d` holds
/// tokens `doc_ends[d-1]..doc_ends[d]`.
#[derive(Debug, Clone, Default)]
pub struct ByteDocs {
    data: Vec<u8>,
    token_ends: Vec<usize>,
    doc_ends: Vec<usize>,
}

impl ByteDocs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Empties the batch, keeping its memory for reuse.
    pub fn clear(&mut self) {
        self.data.clear();
        self.token_ends.clear();
        self.doc_ends.clear();
    }

    /// Appends a token to the document being built.
    pub fn push_token(&mut self, token: &[u8]) {
        self.data.extend_from_slice(token);
        self.token_ends.push(self.data.len());
    }

    /// Closes the document being built (possibly with no tokens).
    pub fn end_doc(&mut self) {
        self.doc_ends.push(self.token_ends.len());
    }

    /// Number of closed documents.
    pub fn len(&self) -> usize {
        self.doc_ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.doc_ends.is_empty()
    }

    /// Total number of tokens pushed so far.
    pub fn num_tokens(&self) -> usize {
        self.token_ends.len()
    }

    /// Tokens of document `d` (empty when `d` is out of range).
    pub fn doc(&self, d: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let end = self.doc_ends.get(d).copied().unwrap_or(0);
        let start = match d.checked_sub(1) {
            Some(p) => self.doc_ends.get(p).copied().unwrap_or(end),
            None => 0,
        };
        (start..end).map(move |t| {
            let hi = self.token_ends[t];
            let lo = if t == 0 { 0 } else { self.token_ends[t - 1] };
            &self.data[lo..hi]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_tokens_including_empty_ones() {
        let mut docs = ByteDocs::new();
        docs.push_token(b"a");
        docs.push_token(b"");
        docs.end_doc();
        docs.end_doc();
        docs.push_token("ü".as_bytes());
        docs.end_doc();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs.doc(0).collect::<Vec<_>>(), [b"a".as_slice(), b""]);
        assert_eq!(docs.doc(1).count(), 0);
        assert_eq!(docs.doc(2).collect::<Vec<_>>(), ["ü".as_bytes()]);
        assert_eq!(docs.doc(3).count(), 0);
    }
}
