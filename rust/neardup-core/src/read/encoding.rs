//! Text in other encodings than UTF-8, transcoded to UTF-8 as it is read, so that every reader downstream
//! (the core's and Python's) sees UTF-8 only and numbers lines as the original does (a line end stays a
//! line end).
//!
//! Names are those users type (`latin-1`, `cp1252`, `utf-16`, and every WHATWG label: `shift_jis`,
//! `gbk`, …). One exception to the WHATWG rules, where browsers read `latin-1` as windows-1252: here it
//! is ISO-8859-1 proper, byte for code point, as Python, iconv and spreadsheets read it. Bytes an
//! encoding does not define (a broken Shift_JIS sequence, say) are an error naming the line, not a silent
//! replacement character. (windows-1252 maps its five unassigned bytes to the C1 controls of the same
//! value, as browsers do.)

use std::io::{self, Read};

use encoding_rs::{DecoderResult, Encoding};

/// An input encoding other than plain UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// ISO-8859-1: each byte is the code point of its value.
    Latin1,
    /// Any encoding `encoding_rs` decodes (a UTF-8 or UTF-16 byte-order mark, when present, wins).
    Other(&'static Encoding),
}

impl TextEncoding {
    /// The encoding named `name` (case and `-`/`_` aside); `Ok(None)` for UTF-8 (nothing to transcode),
    /// `Err` with the name for one not known.
    pub fn by_name(name: &str) -> Result<Option<TextEncoding>, String> {
        let lower = name.trim().to_ascii_lowercase().replace('_', "-");
        match lower.as_str() {
            "utf-8" | "utf8" | "utf-8-sig" => return Ok(None),
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "iso-ir-100" => {
                return Ok(Some(TextEncoding::Latin1))
            }
            "cp1252" | "windows-1252" => {
                return Ok(Some(TextEncoding::Other(encoding_rs::WINDOWS_1252)))
            }
            _ => {}
        }
        match Encoding::for_label(lower.as_bytes()) {
            Some(e) if e == encoding_rs::UTF_8 => Ok(None),
            // The replacement "encoding" turns whole inputs into one U+FFFD: no one means it.
            Some(e) if e == encoding_rs::REPLACEMENT => Err(name.to_owned()),
            Some(e) => Ok(Some(TextEncoding::Other(e))),
            None => Err(name.to_owned()),
        }
    }

    /// The encoding's canonical name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Latin1 => "latin-1",
            TextEncoding::Other(e) => e.name(),
        }
    }

    /// The encoding a byte-order mark at the start of `head` announces when it is not UTF-8's: UTF-16
    /// read by its mark when no encoding is named.
    pub fn of_bom(head: &[u8]) -> Option<TextEncoding> {
        // UTF-32's little-endian mark begins with UTF-16's: that one stays refused by the readers.
        if head.starts_with(b"\xff\xfe\x00\x00") {
            return None;
        }
        match Encoding::for_bom(head) {
            Some((e, _)) if e != encoding_rs::UTF_8 => Some(TextEncoding::Other(e)),
            _ => None,
        }
    }
}

/// A reader of the UTF-8 transcoding of what `inner` yields in `encoding`.
pub struct Transcoder<R> {
    inner: R,
    encoding: TextEncoding,
    decoder: Option<encoding_rs::Decoder>,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
    output: Vec<u8>,
    out_start: usize,
    /// Line ends written so far: the line of an undecodable byte.
    lines: u64,
}

const CHUNK: usize = 1 << 16;

impl<R: Read> Transcoder<R> {
    pub fn new(inner: R, encoding: TextEncoding) -> Self {
        Transcoder {
            inner,
            encoding,
            decoder: match encoding {
                TextEncoding::Latin1 => None,
                TextEncoding::Other(e) => Some(e.new_decoder_with_bom_removal()),
            },
            input: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            done: false,
            output: Vec::with_capacity(3 * CHUNK + 16),
            out_start: 0,
            lines: 0,
        }
    }

    /// Decodes the next run of input into `output`; false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        self.output.clear();
        self.out_start = 0;
        while self.output.is_empty() {
            if self.done {
                return Ok(false);
            }
            if self.start == self.end && !self.eof {
                let n = loop {
                    match self.inner.read(&mut self.input) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other?,
                    }
                };
                self.start = 0;
                self.end = n;
                self.eof = n == 0;
            }
            let src = &self.input[self.start..self.end];
            match &mut self.decoder {
                None => {
                    self.output.resize(2 * src.len(), 0);
                    let n = encoding_rs::mem::convert_latin1_to_utf8(src, &mut self.output);
                    self.output.truncate(n);
                    self.start = self.end;
                    self.done = self.eof;
                }
                Some(decoder) => {
                    let room = decoder
                        .max_utf8_buffer_length_without_replacement(src.len())
                        .unwrap_or(3 * CHUNK + 16);
                    self.output.resize(room.max(16), 0);
                    let (result, read, written) =
                        decoder.decode_to_utf8_without_replacement(src, &mut self.output, self.eof);
                    self.output.truncate(written);
                    self.start += read;
                    match result {
                        DecoderResult::InputEmpty => self.done = self.eof,
                        DecoderResult::OutputFull => {}
                        DecoderResult::Malformed(bad, after) => {
                            let line = self.lines
                                + memchr::memchr_iter(b'\n', &self.output).count() as u64
                                + 1;
                            let at = self
                                .start
                                .saturating_sub(bad as usize + after as usize)
                                .min(self.end);
                            let byte = self.input.get(at).copied().unwrap_or(0);
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                format!(
                                    "line {line}: byte 0x{byte:02x} is not {} text",
                                    self.encoding.name()
                                ),
                            ));
                        }
                    }
                }
            }
            self.lines += memchr::memchr_iter(b'\n', &self.output).count() as u64;
        }
        Ok(true)
    }
}

impl<R: Read> Read for Transcoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_start == self.output.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.output.len() - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcode(data: &[u8], name: &str) -> io::Result<String> {
        let enc = TextEncoding::by_name(name).unwrap().unwrap();
        let mut out = String::new();
        // Tiny reads: characters and line ends cut across reads still come out whole.
        let mut t = Transcoder::new(std::io::BufReader::with_capacity(3, data), enc);
        t.read_to_string(&mut out)?;
        Ok(out)
    }

    #[test]
    fn names() {
        assert_eq!(TextEncoding::by_name("UTF_8"), Ok(None));
        assert_eq!(
            TextEncoding::by_name("Latin-1"),
            Ok(Some(TextEncoding::Latin1))
        );
        assert_eq!(
            TextEncoding::by_name("cp1252").unwrap().unwrap().name(),
            "windows-1252"
        );
        assert_eq!(
            TextEncoding::by_name("shift_jis").unwrap().unwrap().name(),
            "Shift_JIS"
        );
        assert_eq!(TextEncoding::by_name("klingon"), Err("klingon".to_owned()));
    }

    #[test]
    fn latin1_is_iso_8859_1_and_cp1252_is_windows() {
        let data = b"caf\xe9 \x80\n\xc7a\n";
        assert_eq!(transcode(data, "latin-1").unwrap(), "café \u{80}\nÇa\n");
        assert_eq!(transcode(data, "cp1252").unwrap(), "café €\nÇa\n");
        assert_eq!(transcode(b"\x81", "cp1252").unwrap(), "\u{81}");
        let e = transcode(b"ok\nstill ok\nbad \x81\x20\n", "shift_jis").unwrap_err();
        assert_eq!(e.to_string(), "line 3: byte 0x81 is not Shift_JIS text");
    }

    #[test]
    fn utf16_by_its_mark() {
        let mut data = vec![0xff, 0xfe];
        for u in "Ça va\nbien\n".encode_utf16() {
            data.extend(u.to_le_bytes());
        }
        let enc = TextEncoding::of_bom(&data).unwrap();
        let mut out = String::new();
        Transcoder::new(&data[..], enc)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "Ça va\nbien\n");
        assert_eq!(TextEncoding::of_bom(b"\xff\xfe\x00\x00"), None);
        assert_eq!(TextEncoding::of_bom(b"\xef\xbb\xbfx"), None);
    }
}
