//! The one loop of the readers that parse a file in pieces: the pieces parsed in parallel, each
//! numbering its records from its own first line, then joined in file order with every line number
//! shifted by the lines of the pieces before. JSON Lines ([`super::file`]) and CSV
//! ([`super::csv_table`]) both read this way; a reader that cannot take some piece gives `None`, and the
//! Python reader then reads the file and names its first bad line.

use rayon::prelude::*;

use super::file::Record;

/// Appends to `records`, in the order of `pieces`, the records `read` gives for each piece (read in
/// parallel), their lines shifted from the piece's own count (from 1) to the file's: `before`, plus the
/// lines of the pieces before. `read` gives a piece's records and how many lines it holds. Returns the
/// number of the last line (`before` plus every piece's lines), or `None` when `read` refused a piece.
pub(crate) fn read_in_order<'a, P: Send>(
    pieces: Vec<P>,
    before: u64,
    records: &mut Vec<Record<'a>>,
    read: impl Fn(P) -> Option<(Vec<Record<'a>>, u64)> + Sync + Send,
) -> Option<u64> {
    let read: Vec<(Vec<Record<'a>>, u64)> =
        pieces.into_par_iter().map(read).collect::<Option<_>>()?;
    records.reserve(read.iter().map(|(rs, _)| rs.len()).sum());
    let mut before = before;
    for (mut rs, lines) in read {
        for r in &mut rs {
            r.line += before;
        }
        before += lines;
        records.append(&mut rs);
    }
    Some(before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    /// A piece `(records' lines within it, its line count)` read as records titled by their piece.
    fn read((piece, lines, count): (usize, Vec<u64>, u64)) -> Option<(Vec<Record<'static>>, u64)> {
        let title = |_| Cow::Owned(format!("piece {piece}"));
        let rs = lines
            .iter()
            .map(|&l| Record::from_parts(title(l), Cow::Borrowed(""), None, None, l, None));
        (count != 0).then(|| (rs.collect(), count))
    }

    #[test]
    fn records_keep_file_order_and_file_lines() {
        // Many pieces, so that threads finish out of order; piece `p` holds lines 1 and 3 of its 4.
        let pieces: Vec<_> = (0..200).map(|p| (p, vec![1, 3], 4)).collect();
        let mut records = vec![Record::from_parts(
            "kept".into(),
            "".into(),
            None,
            None,
            1,
            None,
        )];
        let last = read_in_order(pieces, 2, &mut records, read);
        assert_eq!(last, Some(2 + 200 * 4));
        assert_eq!(records.len(), 401);
        for (k, r) in records[1..].iter().enumerate() {
            let p = k as u64 / 2;
            assert_eq!(r.title(), format!("piece {p}"));
            assert_eq!(r.line, 2 + 4 * p + [1, 3][k % 2]);
        }
        // A piece without records still counts its lines.
        let mut records = Vec::new();
        let pieces = vec![(0, vec![], 5), (1, vec![2], 3)];
        assert_eq!(read_in_order(pieces, 0, &mut records, read), Some(8));
        assert_eq!(records[0].line, 7);
    }

    #[test]
    fn a_refused_piece_refuses_the_file() {
        let pieces = vec![(0, vec![1], 2), (1, vec![1], 0), (2, vec![1], 2)];
        assert_eq!(read_in_order(pieces, 0, &mut Vec::new(), read), None);
    }
}
