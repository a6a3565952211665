//! Newline-delimited JSON (Ollama's native API): one JSON text per line.
//!
//! [`LineSplitter`] cuts the byte stream into lines (LF-terminated, a CR before the LF
//! dropped, blank lines skipped) with a bound on the line length; [`parse_line`] parses one
//! line with the incremental parser of [`crate::json`], so lines follow exactly the same
//! rules as `JsonStream` (except that nesting depth is bounded only by the line length).

use crate::error::{DecodeError, ErrorClass};
use crate::excerpt::RecentBytes;
use crate::json::{JsonParser, Sink};
use crate::simd;

pub const DEFAULT_MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Splits a byte stream into lines, fed in chunks of any size.
#[derive(Debug)]
pub struct LineSplitter {
    max_line_bytes: usize,
    /// The start of a line cut by the end of the previous chunk.
    pending: Vec<u8>,
    position: u64,
    recent: RecentBytes,
    error: Option<DecodeError>,
}

impl LineSplitter {
    pub fn new(max_line_bytes: usize) -> Self {
        Self {
            max_line_bytes,
            pending: Vec::new(),
            position: 0,
            recent: RecentBytes::default(),
            error: None,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Consume a chunk, calling `on_line(line, start)` for every complete non-blank line
    /// (without its line end) with the stream offset of its first byte. The first error,
    /// from the splitter or from `on_line`, is kept and returned by every later call.
    pub fn feed(
        &mut self,
        data: &[u8],
        mut on_line: impl FnMut(&[u8], u64) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let outcome = self.split(data, &mut on_line);
        if let Err(error) = outcome {
            self.error = Some(error.clone());
            return Err(error);
        }
        self.position += data.len() as u64;
        self.recent.push(data);
        Ok(())
    }

    /// Signal the end of input: a last line without a line end is handed to `on_line`.
    pub fn finish(
        &mut self,
        mut on_line: impl FnMut(&[u8], u64) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let line = std::mem::take(&mut self.pending);
        let start = self.position - line.len() as u64;
        if let Err(error) = emit(&line, start, &mut on_line) {
            self.error = Some(error.clone());
            return Err(error);
        }
        Ok(())
    }

    fn split(
        &mut self,
        data: &[u8],
        on_line: &mut impl FnMut(&[u8], u64) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        let mut i = 0;
        while let Some(found) = simd::find_lf(&data[i..]) {
            let end = i + found;
            let start = self.position + i as u64 - self.pending.len() as u64;
            if self.pending.is_empty() {
                self.check_length(end - i, start, data)?;
                emit(&data[i..end], start, on_line)?;
            } else {
                self.check_length(self.pending.len() + end - i, start, data)?;
                self.pending.extend_from_slice(&data[i..end]);
                let line = std::mem::take(&mut self.pending);
                emit(&line, start, on_line)?;
            }
            i = end + 1;
        }
        let start = self.position + i as u64 - self.pending.len() as u64;
        self.check_length(self.pending.len() + data.len() - i, start, data)?;
        self.pending.extend_from_slice(&data[i..]);
        Ok(())
    }

    fn check_length(&self, length: usize, start: u64, data: &[u8]) -> Result<(), DecodeError> {
        if length <= self.max_line_bytes {
            return Ok(());
        }
        let position = start + self.max_line_bytes as u64;
        Err(DecodeError {
            class: ErrorClass::Limit(self.max_line_bytes as u64),
            message: format!(
                "NDJSON line longer than max_line_bytes={}",
                self.max_line_bytes
            ),
            position,
            excerpt: self.recent.excerpt(data, self.position, position),
        })
    }
}

/// Hand a line to `on_line` without its CR, unless it is blank.
fn emit(
    line: &[u8],
    start: u64,
    on_line: &mut impl FnMut(&[u8], u64) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(|byte| matches!(byte, b' ' | b'\t' | b'\r')) {
        return Ok(());
    }
    on_line(line, start)
}

/// How deeply a line's JSON may nest (as a `StreamDecoder` frame): deeper is
/// `LimitExceeded`. The parser itself has no recursion, but the Python values a line becomes
/// are freed by CPython recursively, which 3.13 cannot do on a small thread stack beyond a
/// few thousand levels.
pub const MAX_LINE_DEPTH: usize = 512;

/// Parse one line as a whole JSON text into `sink`. An error's position is the line's
/// start; the message says where in the line it went wrong.
pub fn parse_line(line: &[u8], start: u64, sink: &mut impl Sink) -> Result<(), DecodeError> {
    let mut parser = JsonParser::new(MAX_LINE_DEPTH, u64::MAX);
    let outcome = parser.feed(line, sink).and_then(|_| parser.finish(sink));
    outcome.map_err(|inner| DecodeError {
        class: inner.class,
        message: format!(
            "invalid JSON on the NDJSON line starting at byte {start}: {} (byte {} of the line)",
            inner.message.trim_start_matches("invalid JSON: "),
            inner.position
        ),
        position: start,
        excerpt: inner.excerpt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{Value, ValueBuilder};

    fn decode(chunks: &[&[u8]], max_line_bytes: usize) -> Result<Vec<Value>, DecodeError> {
        let mut splitter = LineSplitter::new(max_line_bytes);
        let mut values = Vec::new();
        let mut on_line = |line: &[u8], start: u64| {
            let mut builder = ValueBuilder::default();
            parse_line(line, start, &mut builder)?;
            values.push(builder.take().unwrap_or(Value::Null));
            Ok(())
        };
        for chunk in chunks {
            splitter.feed(chunk, &mut on_line)?;
        }
        splitter.finish(&mut on_line)?;
        Ok(values)
    }

    #[test]
    fn lines_crlf_blank_and_unterminated() {
        let stream: &[u8] = b"{\"a\":1}\r\n\n  \r\n[2]\n3";
        for split in 0..=stream.len() {
            let values = decode(&[&stream[..split], &stream[split..]], 100).unwrap();
            assert_eq!(values.len(), 3, "split at {split}");
            assert_eq!(values[2], Value::Integer("3".into()));
        }
    }

    #[test]
    fn invalid_line_reports_its_start() {
        let error = decode(&[b"{}\n[1,]\n"], 100).unwrap_err();
        assert_eq!((error.class, error.position), (ErrorClass::Json, 3));
        assert!(
            error.message.contains("byte 3 of the line"),
            "{}",
            error.message
        );
    }

    #[test]
    fn line_limit_is_exact_and_raised_by_the_crossing_chunk() {
        assert!(decode(&[b"[1,2]\n"], 5).is_ok());
        let mut splitter = LineSplitter::new(5);
        let mut ignore = |_: &[u8], _: u64| Ok(());
        splitter.feed(b"{}\n[1,2", &mut ignore).unwrap();
        let error = splitter.feed(b"]]", &mut ignore).unwrap_err();
        assert_eq!((error.class, error.position), (ErrorClass::Limit(5), 8));
    }
}
