//! Incremental server-sent-events framer: WHATWG HTML, "Server-sent events", sections
//! "Parsing an event stream" and "Interpreting an event stream".
//!
//! Bytes go in chunk by chunk; every blank line that ends a block with data dispatches an
//! event. Lines end at CRLF, LF or CR (a CR that ends one chunk and an LF that starts the next
//! are one line end). Each line is decoded as UTF-8 with U+FFFD replacement on its own, which
//! equals decoding the whole stream because CR and LF are ASCII and end every invalid
//! sequence. One leading BOM is removed, even when it arrives in pieces.
//!
//! Limits: the current block (every byte after the last event boundary, line ends included)
//! may hold at most `max_event_bytes` bytes. The boundary is the end of a blank line's line
//! end, or the start of the stream after the optional BOM. The LF that completes the CRLF of a
//! dispatching blank line belongs to no block: the event was complete at the CR. The chunk
//! that brings the first byte beyond the limit fails with [`ErrorClass::Limit`] at offset
//! `block start + max_event_bytes`; lines before that byte have been interpreted (so
//! `retry` and `last_event_id` reflect them), and their events have been passed to the
//! callback (the binding attaches them to the exception, not to a return value).
//! The decoder then stays failed: every later call returns the same error.

use crate::error::{DecodeError, ErrorClass};
use crate::excerpt::RecentBytes;
use crate::simd::find_cr_or_lf;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The default for `max_event_bytes`: 8 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: u64 = 8 * 1024 * 1024;

/// A dispatched event, borrowed from the decoder for the duration of a callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// The event type; `"message"` when the block set none.
    pub event_type: &'a str,
    /// The data lines joined with LF.
    pub data: &'a str,
    /// The last event ID in effect at dispatch (`""` when none).
    pub id: &'a str,
    /// The reconnection time from the latest valid `retry` field, if any.
    pub retry: Option<u64>,
}

/// What [`SseDecoder::feed_items`] hands out, in stream order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block<'a> {
    /// A dispatched event.
    Event(EventRef<'a>),
    /// A line that is no field nor comment (only when captured), without its line end.
    Stray(&'a str),
}

/// An owned dispatched event (see [`EventRef`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The event type; `"message"` when the block set none.
    pub event_type: String,
    /// The data lines joined with LF.
    pub data: String,
    /// The last event ID in effect at dispatch (`""` when none).
    pub id: String,
    /// The reconnection time from the latest valid `retry` field, if any.
    pub retry: Option<u64>,
}

impl From<EventRef<'_>> for Event {
    fn from(event: EventRef<'_>) -> Self {
        Self {
            event_type: event.event_type.to_owned(),
            data: event.data.to_owned(),
            id: event.id.to_owned(),
            retry: event.retry,
        }
    }
}

/// Incremental SSE decoder: one per stream.
#[derive(Clone, Debug)]
pub struct SseDecoder {
    max_event_bytes: u64,
    /// Bytes consumed so far (after an error: the error position).
    position: u64,
    /// Stream offset of the first byte of the current block.
    block_start: u64,
    /// `Some(n)`: the stream so far is the first `n` bytes of a BOM, held until it is
    /// known whether the BOM is complete. `None`: decided.
    bom_held: Option<u8>,
    /// The last line ended with a CR at the end of a chunk: an LF starting the next one
    /// completes that line end.
    skip_lf: bool,
    /// The start of a line that continues in a later chunk (complete lines are read in place).
    line: Vec<u8>,
    data: String,
    event_type: String,
    id_buffer: String,
    last_event_id: String,
    retry: Option<u64>,
    recent: RecentBytes,
    error: Option<DecodeError>,
    /// Whether lines that are no field (nor comment) are handed out (see
    /// [`SseDecoder::capture_stray_lines`]).
    stray: bool,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl SseDecoder {
    /// A decoder whose blocks may hold at most `max_event_bytes` bytes.
    pub fn new(max_event_bytes: u64) -> Self {
        Self {
            max_event_bytes,
            position: 0,
            block_start: 0,
            bom_held: Some(0),
            skip_lf: false,
            line: Vec::new(),
            data: String::new(),
            event_type: String::new(),
            id_buffer: String::new(),
            last_event_id: String::new(),
            retry: None,
            recent: RecentBytes::default(),
            error: None,
            stray: false,
        }
    }

    /// Hand out the lines whose field name is none of `data`, `event`, `id`, `retry` (and
    /// that are not comments) as [`Block::Stray`] through [`Self::feed_items`], in stream
    /// order with the events, instead of ignoring them. Gemini may send a bare,
    /// pretty-printed JSON error object inside an SSE stream.
    pub fn capture_stray_lines(&mut self) {
        self.stray = true;
    }

    /// The configured limit.
    pub fn max_event_bytes(&self) -> u64 {
        self.max_event_bytes
    }

    /// Bytes consumed so far: the total fed, or the error position once a call failed.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Bytes received since the last event boundary (lost if the stream ends now).
    pub fn pending_bytes(&self) -> u64 {
        self.position - self.block_start
    }

    /// The last event ID string, updated at every blank line.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time from the latest valid `retry` field.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// Consume a chunk, calling `on_event` for each event it completes, in order.
    ///
    /// On error the events already passed to `on_event` during this call are those the
    /// lines before the error completed; the caller reports them with the error (they are
    /// not part of a successful result: the chunk as a whole failed).
    pub fn feed_with<F: FnMut(EventRef<'_>)>(
        &mut self,
        chunk: &[u8],
        mut on_event: F,
    ) -> Result<(), DecodeError> {
        self.feed_blocks(chunk, |event, _| on_event(event))
    }

    /// [`Self::feed_with`], also passing the stream offset of the first byte of each event's
    /// block (where a consumer's error about the event's data should point).
    pub fn feed_blocks<F: FnMut(EventRef<'_>, u64)>(
        &mut self,
        chunk: &[u8],
        mut on_event: F,
    ) -> Result<(), DecodeError> {
        self.feed_items(chunk, |item, start| {
            if let Block::Event(event) = item {
                on_event(event, start);
            }
        })
    }

    /// [`Self::feed_blocks`], also handing out stray lines (when captured) at the point of
    /// the stream where they end, each with the offset of its first byte.
    pub fn feed_items<F: FnMut(Block<'_>, u64)>(
        &mut self,
        chunk: &[u8],
        mut on_event: F,
    ) -> Result<(), DecodeError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let chunk_start = self.position;
        match self.consume(chunk, chunk_start, &mut on_event) {
            Ok(()) => {
                self.position += chunk.len() as u64;
                self.recent.push(chunk);
                Ok(())
            }
            Err(position) => Err(self.fail(chunk, chunk_start, position)),
        }
    }

    /// Consume a chunk and return the events it completes.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Event>, DecodeError> {
        let mut events = Vec::new();
        self.feed_with(chunk, |event| events.push(event.into()))?;
        Ok(events)
    }

    /// Signal end of input. SSE dispatches only at blank lines, so this returns no event:
    /// an unterminated block is discarded (its size is [`Self::pending_bytes`]). It repeats
    /// the error of an earlier call, and changes no state.
    pub fn finish(&mut self) -> Result<Vec<Event>, DecodeError> {
        match &self.error {
            Some(error) => Err(error.clone()),
            None => Ok(Vec::new()),
        }
    }

    #[cold]
    fn fail(&mut self, chunk: &[u8], chunk_start: u64, position: u64) -> DecodeError {
        let error = DecodeError {
            class: ErrorClass::Limit(self.max_event_bytes),
            message: format!(
                "SSE event larger than max_event_bytes={}",
                self.max_event_bytes
            ),
            position,
            excerpt: self.recent.excerpt(chunk, chunk_start, position),
        };
        self.position = position;
        self.line = Vec::new();
        self.data = String::new();
        self.error = Some(error.clone());
        error
    }

    /// Stream offset of the first byte that would exceed the limit in the current block.
    fn limit_at(&self) -> u64 {
        self.block_start.saturating_add(self.max_event_bytes)
    }

    /// Interpret `chunk` (which starts at stream offset `offset`); `Err` holds the offset
    /// of the first byte beyond the limit.
    fn consume<F: FnMut(Block<'_>, u64)>(
        &mut self,
        chunk: &[u8],
        mut offset: u64,
        on_event: &mut F,
    ) -> Result<(), u64> {
        let mut rest = chunk;
        if let Some(held) = self.bom_held {
            let held = usize::from(held);
            let wanted = &BOM[held..];
            let common = wanted.len().min(rest.len());
            if rest[..common] != wanted[..common] {
                // Not a BOM: the held bytes start the first line.
                self.bom_held = None;
                self.line.extend_from_slice(&BOM[..held]);
            } else if common < wanted.len() {
                self.bom_held = Some((held + common) as u8);
                return Ok(());
            } else {
                self.bom_held = None;
                rest = &rest[common..];
                offset += common as u64;
                self.block_start = offset;
            }
        }
        if self.skip_lf && !rest.is_empty() {
            self.skip_lf = false;
            if rest[0] == b'\n' {
                self.skip_completing_lf(offset)?;
                rest = &rest[1..];
                offset += 1;
            }
        }
        while let Some(index) = find_cr_or_lf(rest) {
            let line_end = offset + index as u64;
            if line_end >= self.limit_at() {
                return Err(self.limit_at());
            }
            if self.line.is_empty() {
                self.interpret(&rest[..index], line_end, on_event);
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&rest[..index]);
                self.interpret(&line, line_end, on_event);
                line.clear();
                self.line = line;
            }
            let was_cr = rest[index] == b'\r';
            rest = &rest[index + 1..];
            offset = line_end + 1;
            if was_cr {
                match rest.first() {
                    None => self.skip_lf = true,
                    Some(b'\n') => {
                        self.skip_completing_lf(offset)?;
                        rest = &rest[1..];
                        offset += 1;
                    }
                    Some(_) => {}
                }
            }
        }
        if !rest.is_empty() {
            let last = offset + rest.len() as u64 - 1;
            if last >= self.limit_at() {
                return Err(self.limit_at());
            }
            self.line.extend_from_slice(rest);
        }
        Ok(())
    }

    /// Account for the LF of a CRLF whose CR already ended a line; the LF is at `offset`.
    fn skip_completing_lf(&mut self, offset: u64) -> Result<(), u64> {
        if self.block_start == offset {
            // The CR ended a blank line: the event is complete and the LF belongs to no block.
            self.block_start += 1;
        } else if offset >= self.limit_at() {
            return Err(self.limit_at());
        }
        Ok(())
    }

    /// Interpret one complete line whose line end is at stream offset `line_end`.
    fn interpret<F: FnMut(Block<'_>, u64)>(
        &mut self,
        line: &[u8],
        line_end: u64,
        on_event: &mut F,
    ) {
        if line.is_empty() {
            self.dispatch(on_event);
            self.block_start = line_end + 1;
            return;
        }
        // A comment (leading ':') has an empty name, which matches no field.
        let (name, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        // Slice patterns compile to inline byte compares (no memcmp call per line).
        match name {
            [b'd', b'a', b't', b'a'] => {
                push_lossy(&mut self.data, value);
                self.data.push('\n');
            }
            [b'e', b'v', b'e', b'n', b't'] => {
                self.event_type.clear();
                push_lossy(&mut self.event_type, value);
            }
            // An ID containing NUL is ignored.
            [b'i', b'd'] if memchr::memchr(0, value).is_none() => {
                self.id_buffer.clear();
                push_lossy(&mut self.id_buffer, value);
            }
            [b'r', b'e', b't', b'r', b'y'] => {
                if let Some(retry) = parse_retry(value) {
                    self.retry = Some(retry);
                }
            }
            // A comment (empty name), or an ID containing NUL (ignored).
            [] | [b'i', b'd'] => {}
            _ => {
                if self.stray {
                    let start = line_end - line.len() as u64;
                    on_event(Block::Stray(&String::from_utf8_lossy(line)), start);
                }
            }
        }
    }

    /// The blank-line step of the spec: commit the last event ID, dispatch if there is data,
    /// reset the data and event type buffers.
    fn dispatch<F: FnMut(Block<'_>, u64)>(&mut self, on_event: &mut F) {
        if !same_text(&self.last_event_id, &self.id_buffer) {
            self.last_event_id.clone_from(&self.id_buffer);
        }
        if !self.data.is_empty() {
            self.data.pop(); // the LF after the last data line
            let event_type = if self.event_type.is_empty() {
                "message"
            } else {
                &self.event_type
            };
            on_event(
                Block::Event(EventRef {
                    event_type,
                    data: &self.data,
                    id: &self.last_event_id,
                    retry: self.retry,
                }),
                self.block_start,
            );
            self.data.clear();
        }
        self.event_type.clear();
    }
}

/// String equality that settles the common cases (different lengths, both empty) without a
/// `memcmp` call, which costs more than the comparison itself for such short strings.
#[inline]
pub fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

/// Append `bytes` decoded as UTF-8, invalid sequences replaced by U+FFFD (maximal subparts,
/// as the WHATWG Encoding standard requires; `from_utf8_lossy` follows the same rule).
fn push_lossy(target: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => target.push_str(text),
        Err(_) => target.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// A `retry` value: one or more ASCII digits. Values beyond `u64` are ignored like invalid
/// ones (no clock can wait that long).
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |total, &byte| {
        if byte.is_ascii_digit() {
            total.checked_mul(10)?.checked_add(u64::from(byte - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use simd_json::prelude::*;

    fn feed_all(decoder: &mut SseDecoder, chunks: &[&[u8]]) -> Result<Vec<Event>, DecodeError> {
        let mut events = Vec::new();
        for chunk in chunks {
            events.extend(decoder.feed(chunk)?);
        }
        events.extend(decoder.finish()?);
        Ok(events)
    }

    fn decode(chunks: &[&[u8]]) -> Vec<Event> {
        feed_all(&mut SseDecoder::default(), chunks).expect("no limit reached")
    }

    fn event(event_type: &str, data: &str, id: &str, retry: Option<u64>) -> Event {
        Event {
            event_type: event_type.into(),
            data: data.into(),
            id: id.into(),
            retry,
        }
    }

    fn base64(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut bits, mut count) = (0u32, 0);
        for byte in text.bytes() {
            let value = match byte {
                b'A'..=b'Z' => byte - b'A',
                b'a'..=b'z' => byte - b'a' + 26,
                b'0'..=b'9' => byte - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => continue,
            };
            bits = (bits << 6) | u32::from(value);
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
            }
        }
        out
    }

    fn cases() -> Vec<(String, Vec<u8>, Vec<Event>)> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/conformance/sse/cases.json"
        );
        let mut text = std::fs::read(path).expect("conformance data in ../shared");
        let value = simd_json::to_owned_value(&mut text).expect("valid JSON");
        let field = |object: &simd_json::OwnedValue, key: &str| -> String {
            object.get(key).and_then(|v| v.as_str()).unwrap().to_owned()
        };
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|case| {
                let events = case
                    .get("events")
                    .and_then(|v| v.as_array())
                    .unwrap()
                    .iter()
                    .map(|e| Event {
                        event_type: field(e, "event"),
                        data: field(e, "data"),
                        id: field(e, "id"),
                        retry: e.get("retry").and_then(|v| v.as_u64()),
                    })
                    .collect();
                (
                    field(case, "name"),
                    base64(&field(case, "input_b64")),
                    events,
                )
            })
            .collect()
    }

    #[test]
    fn conformance_cases_whole_bytewise_and_split() {
        let cases = cases();
        assert_eq!(cases.len(), 93);
        for (name, input, expected) in &cases {
            assert_eq!(&decode(&[input]), expected, "{name} whole");
            let bytes: Vec<&[u8]> = input.chunks(1).collect();
            assert_eq!(&decode(&bytes), expected, "{name} bytewise");
            let step = if input.len() > 4096 {
                input.len() / 64
            } else {
                1
            };
            for point in (0..=input.len()).step_by(step) {
                let (a, b) = input.split_at(point);
                assert_eq!(&decode(&[a, b]), expected, "{name} split at {point}");
            }
        }
    }

    #[test]
    fn random_splits_match_whole_input() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        let alphabet: &[u8] = b"\r\n\n:: dataeventidretry0123\xef\xbb\xbf\xff\x00";
        for _ in 0..500 {
            let len = next(60);
            let input: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let whole = decode(&[&input]);
            let mut chunks = Vec::new();
            let mut start = 0;
            while start < input.len() {
                let end = (start + 1 + next(8)).min(input.len());
                chunks.push(&input[start..end]);
                start = end;
            }
            assert_eq!(decode(&chunks), whole, "{input:?}");
        }
    }

    #[test]
    fn fields_and_persistent_state() {
        let events = decode(&[b"retry: 10\nid: 1\nevent: a\ndata: x\ndata: y\n\ndata: z\n\n"]);
        assert_eq!(
            events,
            [
                event("a", "x\ny", "1", Some(10)),
                event("message", "z", "1", Some(10))
            ]
        );
    }

    #[test]
    fn last_event_id_is_committed_at_every_blank_line() {
        let mut decoder = SseDecoder::default();
        assert!(decoder.feed(b"id: 7\n").unwrap().is_empty());
        assert_eq!(decoder.last_event_id(), "");
        assert!(decoder.feed(b"\n").unwrap().is_empty());
        assert_eq!(decoder.last_event_id(), "7");
        decoder.feed(b"id: 8\ndata: x").unwrap();
        decoder.finish().unwrap();
        assert_eq!(decoder.last_event_id(), "7");
    }

    #[test]
    fn retry_is_set_immediately_and_bounded() {
        let mut decoder = SseDecoder::default();
        decoder.feed(b"retry: 5\n").unwrap();
        assert_eq!(decoder.retry(), Some(5));
        decoder
            .feed(b"retry: 18446744073709551616\nretry:\n")
            .unwrap();
        assert_eq!(decoder.retry(), Some(5));
        decoder.feed(b"retry: 000018446744073709551615\n").unwrap();
        assert_eq!(decoder.retry(), Some(u64::MAX));
    }

    #[test]
    fn position_and_pending_bytes() {
        let mut decoder = SseDecoder::default();
        decoder.feed(b"\xef\xbb").unwrap();
        assert_eq!((decoder.position(), decoder.pending_bytes()), (2, 2));
        decoder.feed(b"\xbf").unwrap();
        assert_eq!((decoder.position(), decoder.pending_bytes()), (3, 0));
        decoder.feed(b"data: a\r").unwrap();
        assert_eq!(decoder.pending_bytes(), 8);
        assert_eq!(decoder.feed(b"\r").unwrap().len(), 1);
        assert_eq!(decoder.pending_bytes(), 0);
        // The LF completing the dispatching CRLF belongs to no block.
        decoder.feed(b"\n").unwrap();
        assert_eq!((decoder.position(), decoder.pending_bytes()), (13, 0));
        decoder.feed(b"data: b\r").unwrap();
        decoder.feed(b"\n").unwrap();
        assert_eq!(decoder.pending_bytes(), 9);
        assert!(decoder.finish().unwrap().is_empty());
        assert_eq!(decoder.pending_bytes(), 9);
    }

    #[test]
    fn partial_bom_then_other_bytes_is_content() {
        let mut decoder = SseDecoder::default();
        decoder.feed(b"\xef").unwrap();
        let events = decoder.feed(b"\n\ndata: a\n\n").unwrap();
        assert_eq!(events, [event("message", "a", "", None)]);
        assert_eq!(decoder.pending_bytes(), 0);
    }

    #[test]
    fn limit_accepts_exact_size_and_rejects_one_more() {
        let block = b"data: abc\n\n"; // 11 bytes
        let mut decoder = SseDecoder::new(11);
        assert_eq!(decoder.feed(block).unwrap().len(), 1);
        assert_eq!(decoder.feed(block).unwrap().len(), 1);

        let mut decoder = SseDecoder::new(10);
        decoder.feed(b"data: a\n\n").unwrap();
        let error = decoder.feed(b"xx\ndata: abc\n\n").unwrap_err();
        assert_eq!(error.class, ErrorClass::Limit(10));
        assert_eq!(error.position, 19);
        assert_eq!(error.message, "SSE event larger than max_event_bytes=10");
        assert_eq!(decoder.position(), 19);
        assert_eq!(decoder.pending_bytes(), 10);
        assert_eq!(decoder.feed(b"").unwrap_err(), error);
        assert_eq!(decoder.finish().unwrap_err(), error);
    }

    #[test]
    fn limit_is_checked_inside_unterminated_lines() {
        let mut decoder = SseDecoder::new(5);
        decoder.feed(b"abcde").unwrap();
        let error = decoder.feed(b"f").unwrap_err();
        assert_eq!(error.position, 5);
        assert_eq!(error.excerpt, "abcdef");
    }

    #[test]
    fn events_completed_before_the_limit_byte_are_not_returned() {
        let mut decoder = SseDecoder::new(10);
        let error = decoder
            .feed(b"retry: 1\n\ndata: 123456789\n\n")
            .unwrap_err();
        assert_eq!(error.position, 20);
        // The lines before the limit byte were interpreted.
        assert_eq!(decoder.retry(), Some(1));
    }

    #[test]
    fn crlf_after_a_dispatching_cr_is_free() {
        // Each block counts 10 bytes: "data: a", CR, LF and the dispatching CR.
        let mut decoder = SseDecoder::new(10);
        let events = decoder.feed(b"data: a\r\n\r\ndata: b\r\n\r\n").unwrap();
        assert_eq!(events.len(), 2);
        let error = SseDecoder::new(9).feed(b"data: a\r\n\r\n").unwrap_err();
        assert_eq!(error.position, 9);
        // In a non-blank line the LF of CRLF counts.
        let mut decoder = SseDecoder::new(8);
        let error = decoder.feed(b"data: a\r\n\r\n").unwrap_err();
        assert_eq!(error.position, 8);
    }
}
