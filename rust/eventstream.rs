//! AWS event-stream framing (`application/vnd.amazon.eventstream`), the binary format of
//! Bedrock `ConverseStream` and other AWS streaming APIs.
//!
//! A message is `total_length` (u32 BE), `headers_length` (u32 BE), `prelude_crc` (CRC-32 of
//! the first 8 bytes), the header block, the payload, and `message_crc` (CRC-32 of every
//! preceding byte). Checks run in a fixed order, so that every decoder reports the same error
//! for the same bytes however they are split into chunks:
//!
//! 1. as soon as 12 bytes of a message are known: the prelude CRC, then the lengths
//!    (`total_length >= 16`, header block inside the message), then `max_message_bytes`;
//! 2. when the last byte arrives: the message CRC, and only then the header block (CRC first,
//!    so a corrupted message is reported as corrupted rather than as a puzzling header).
//!
//! Error positions (stream offsets): the prelude CRC field (message start + 8) for a prelude
//! CRC mismatch; the message start for impossible lengths and `LimitExceeded`; the message CRC
//! field (message start + `total_length` - 4) for a message CRC mismatch; the header's
//! name-length byte for a malformed header; the number of bytes received for a stream that
//! ends inside a message. Timestamps outside years 1 to 9999 are malformed headers, so both
//! backends can hand every timestamp out as a Python `datetime`.
//!
//! Complete messages are decoded straight from the caller's chunk; only a message split across
//! chunks is copied into a buffer, which the length limit keeps bounded.

use crate::error::{DecodeError, ErrorClass, EventStreamErrorKind};
use crate::excerpt::RecentBytes;

/// Size of the prelude: `total_length`, `headers_length`, `prelude_crc`.
pub const PRELUDE_LEN: usize = 12;
/// The smallest message: a prelude and a message CRC, no headers, no payload.
pub const MIN_MESSAGE_LEN: usize = 16;
/// The default `max_message_bytes`.
pub const DEFAULT_MAX_MESSAGE_BYTES: u64 = 16 * 1024 * 1024;
/// Timestamps that a Python `datetime` can hold (0001-01-01 to 9999-12-31T23:59:59.999 UTC),
/// in milliseconds since the Unix epoch. Both backends reject the others the same way.
pub const TIMESTAMP_RANGE_MS: std::ops::RangeInclusive<i64> =
    -62_135_596_800_000..=253_402_300_799_999;

/// A buffer that held a message larger than this is released rather than kept for reuse.
const KEEP_BUFFER_BYTES: usize = 1 << 20;

/// One header value, typed as on the wire (type codes 0 to 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderValue<'a> {
    /// Types 0 (`true`) and 1 (`false`).
    Bool(bool),
    /// Type 2.
    Byte(i8),
    /// Type 3.
    Short(i16),
    /// Type 4.
    Int(i32),
    /// Type 5.
    Long(i64),
    /// Type 6.
    Bytes(&'a [u8]),
    /// Type 7.
    String(&'a str),
    /// Type 8: milliseconds since the Unix epoch, within [`TIMESTAMP_RANGE_MS`].
    Timestamp(i64),
    /// Type 9.
    Uuid([u8; 16]),
}

/// One header: a non-empty UTF-8 name and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: &'a str,
    pub value: HeaderValue<'a>,
}

/// A decoded message, borrowing from the chunk (or the decoder's buffer) it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// Every header in wire order, duplicates included.
    pub headers: Vec<Header<'a>>,
    pub payload: &'a [u8],
    /// Stream offset of the message's first byte.
    pub start: u64,
}

impl<'a> Message<'a> {
    /// The value of the header called `name`; the last one wins if the name repeats (as in the
    /// Python `dict` of `EventStreamMessage.headers`).
    pub fn header(&self, name: &str) -> Option<HeaderValue<'a>> {
        self.headers
            .iter()
            .rev()
            .find(|h| h.name == name)
            .map(|h| h.value)
    }
}

/// Incremental event-stream decoder: chunks in, complete CRC-checked messages out.
#[derive(Clone, Debug)]
pub struct Decoder {
    max_message_bytes: u64,
    /// The start of a message that began in an earlier chunk and is not complete yet.
    pending: Vec<u8>,
    /// `total_length` of the pending message once its prelude has passed the checks.
    pending_total: Option<usize>,
    position: u64,
    recent: RecentBytes,
    /// The first error; every later call reports it again.
    failure: Option<DecodeError>,
}

/// An error before the excerpt is attached.
struct Fault {
    class: ErrorClass,
    message: String,
    position: u64,
}

#[cold]
fn fault(kind: EventStreamErrorKind, message: String, position: u64) -> Fault {
    Fault {
        class: ErrorClass::EventStream(kind),
        message,
        position,
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_MESSAGE_BYTES)
    }
}

impl Decoder {
    /// A decoder that rejects messages longer than `max_message_bytes` (both CRCs included).
    pub fn new(max_message_bytes: u64) -> Self {
        Self {
            max_message_bytes,
            pending: Vec::new(),
            pending_total: None,
            position: 0,
            recent: RecentBytes::default(),
            failure: None,
        }
    }

    /// Bytes consumed so far: everything fed by calls that succeeded.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Consume a chunk, passing each message it completes to `sink`, in order.
    ///
    /// An error is final: this and every later call return it. Messages that the failing
    /// chunk completed before the bad one have already gone to `sink`.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut sink: impl FnMut(Message<'_>),
    ) -> Result<(), DecodeError> {
        if let Some(error) = &self.failure {
            return Err(error.clone());
        }
        match self.scan(chunk, &mut sink) {
            Ok(()) => {
                self.position += chunk.len() as u64;
                self.recent.push(chunk);
                Ok(())
            }
            Err(fault) => Err(self.fail(fault, chunk)),
        }
    }

    /// Signal the end of the stream: an error if a message is unfinished.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        if let Some(error) = &self.failure {
            return Err(error.clone());
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let received = self.pending.len();
        let message = match self.pending_total {
            Some(total) => format!(
                "event-stream ended inside a message ({received} of its {total} bytes received)"
            ),
            None => format!(
                "event-stream ended inside a message prelude ({received} of its 12 bytes received)"
            ),
        };
        let fault = fault(EventStreamErrorKind::Length, message, self.position);
        Err(self.fail(fault, &[]))
    }

    #[cold]
    fn fail(&mut self, fault: Fault, chunk: &[u8]) -> DecodeError {
        let error = DecodeError {
            class: fault.class,
            message: fault.message,
            position: fault.position,
            excerpt: self.recent.excerpt(chunk, self.position, fault.position),
        };
        self.failure = Some(error.clone());
        self.pending = Vec::new();
        error
    }

    fn scan(&mut self, chunk: &[u8], sink: &mut impl FnMut(Message<'_>)) -> Result<(), Fault> {
        let mut rest = chunk;
        if !self.pending.is_empty() {
            let start = self.position - self.pending.len() as u64;
            let total = match self.pending_total {
                Some(total) => total,
                None => {
                    rest = fill(&mut self.pending, rest, PRELUDE_LEN);
                    if self.pending.len() < PRELUDE_LEN {
                        return Ok(());
                    }
                    let total = check_prelude(&self.pending, start, self.max_message_bytes)?;
                    self.pending.reserve_exact(total - PRELUDE_LEN);
                    self.pending_total = Some(total);
                    total
                }
            };
            rest = fill(&mut self.pending, rest, total);
            if self.pending.len() < total {
                return Ok(());
            }
            decode_message(&self.pending, start, sink)?;
            self.pending_total = None;
            if self.pending.capacity() > KEEP_BUFFER_BYTES {
                self.pending = Vec::new();
            } else {
                self.pending.clear();
            }
        }
        // Stream offset of `rest[0]`.
        let mut offset = self.position + (chunk.len() - rest.len()) as u64;
        while !rest.is_empty() {
            if rest.len() < PRELUDE_LEN {
                self.pending.extend_from_slice(rest);
                return Ok(());
            }
            let total = check_prelude(rest, offset, self.max_message_bytes)?;
            if rest.len() < total {
                self.pending.reserve_exact(total);
                self.pending.extend_from_slice(rest);
                self.pending_total = Some(total);
                return Ok(());
            }
            let (message, tail) = rest.split_at(total);
            decode_message(message, offset, sink)?;
            rest = tail;
            offset += total as u64;
        }
        Ok(())
    }
}

/// Move bytes from `input` to `buffer` until it holds `target` bytes; return what is left.
fn fill<'a>(buffer: &mut Vec<u8>, input: &'a [u8], target: usize) -> &'a [u8] {
    let take = target.saturating_sub(buffer.len()).min(input.len());
    buffer.extend_from_slice(&input[..take]);
    &input[take..]
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Check the prelude at the start of `bytes` (at least 12 long) of a message starting at
/// stream offset `start`; return the message's total length.
fn check_prelude(bytes: &[u8], start: u64, max_message_bytes: u64) -> Result<usize, Fault> {
    let total = be_u32(bytes, 0);
    let headers = be_u32(bytes, 4);
    let stated = be_u32(bytes, 8);
    let computed = crc32fast::hash(&bytes[..8]);
    if computed != stated {
        return Err(fault(
            EventStreamErrorKind::PreludeCrc,
            format!(
                "event-stream prelude checksum mismatch (computed 0x{computed:08X}, message says 0x{stated:08X})"
            ),
            start + 8,
        ));
    }
    if total < MIN_MESSAGE_LEN as u32 {
        return Err(fault(
            EventStreamErrorKind::Length,
            format!("event-stream message length {total} is below the 16-byte minimum"),
            start,
        ));
    }
    if headers > total - MIN_MESSAGE_LEN as u32 {
        return Err(fault(
            EventStreamErrorKind::Length,
            format!(
                "event-stream headers length {headers} does not fit in a message of {total} bytes"
            ),
            start,
        ));
    }
    if u64::from(total) > max_message_bytes {
        return Err(Fault {
            class: ErrorClass::Limit(max_message_bytes),
            message: format!(
                "event-stream message of {total} bytes exceeds max_message_bytes ({max_message_bytes})"
            ),
            position: start,
        });
    }
    Ok(total as usize)
}

/// Check the message CRC of a whole message (prelude already checked), then parse it.
fn decode_message(
    bytes: &[u8],
    start: u64,
    sink: &mut impl FnMut(Message<'_>),
) -> Result<(), Fault> {
    let crc_at = bytes.len() - 4;
    let stated = be_u32(bytes, crc_at);
    let computed = crc32fast::hash(&bytes[..crc_at]);
    if computed != stated {
        return Err(fault(
            EventStreamErrorKind::MessageCrc,
            format!(
                "event-stream message checksum mismatch (computed 0x{computed:08X}, message says 0x{stated:08X})"
            ),
            start + crc_at as u64,
        ));
    }
    let headers_end = PRELUDE_LEN + be_u32(bytes, 4) as usize;
    let headers = parse_headers(&bytes[PRELUDE_LEN..headers_end], start + PRELUDE_LEN as u64)?;
    sink(Message {
        headers,
        payload: &bytes[headers_end..crc_at],
        start,
    });
    Ok(())
}

/// Parse a header block that starts at stream offset `block_start`.
fn parse_headers(block: &[u8], block_start: u64) -> Result<Vec<Header<'_>>, Fault> {
    let mut headers = Vec::new();
    let mut at = 0;
    while at < block.len() {
        let (header, next) = parse_header(block, at).map_err(|message| {
            fault(
                EventStreamErrorKind::Header,
                message,
                block_start + at as u64,
            )
        })?;
        headers.push(header);
        at = next;
    }
    Ok(headers)
}

/// Parse the header at `block[at..]`; return it and the offset of the next one.
fn parse_header(block: &[u8], at: usize) -> Result<(Header<'_>, usize), String> {
    let name_len = usize::from(block[at]);
    if name_len == 0 {
        return Err("event-stream header name is empty".to_string());
    }
    let name_end = at + 1 + name_len;
    let name_bytes = block.get(at + 1..name_end).ok_or_else(|| {
        "event-stream header name runs past the end of the header block".to_string()
    })?;
    let name = std::str::from_utf8(name_bytes)
        .map_err(|_| "event-stream header name is not valid UTF-8".to_string())?;
    let past_end =
        || format!("event-stream header \"{name}\" runs past the end of the header block");
    let code = *block.get(name_end).ok_or_else(past_end)?;
    let value_at = name_end + 1;
    let take = |len: usize| block.get(value_at..value_at + len).ok_or_else(past_end);
    let (value, next) = match code {
        0 => (HeaderValue::Bool(true), value_at),
        1 => (HeaderValue::Bool(false), value_at),
        2 => (HeaderValue::Byte(take(1)?[0] as i8), value_at + 1),
        3 => {
            let raw = take(2)?;
            (
                HeaderValue::Short(i16::from_be_bytes([raw[0], raw[1]])),
                value_at + 2,
            )
        }
        4 => (HeaderValue::Int(be_u32(take(4)?, 0) as i32), value_at + 4),
        5 | 8 => {
            let mut raw = [0; 8];
            raw.copy_from_slice(take(8)?);
            let value = i64::from_be_bytes(raw);
            if code == 5 {
                (HeaderValue::Long(value), value_at + 8)
            } else if TIMESTAMP_RANGE_MS.contains(&value) {
                (HeaderValue::Timestamp(value), value_at + 8)
            } else {
                return Err(format!(
                    "event-stream header \"{name}\" timestamp {value} ms is outside years 1 to 9999"
                ));
            }
        }
        6 | 7 => {
            let raw = take(2)?;
            let len = usize::from(u16::from_be_bytes([raw[0], raw[1]]));
            let data = block
                .get(value_at + 2..value_at + 2 + len)
                .ok_or_else(past_end)?;
            let value = if code == 6 {
                HeaderValue::Bytes(data)
            } else {
                HeaderValue::String(std::str::from_utf8(data).map_err(|_| {
                    format!("event-stream header \"{name}\" string value is not valid UTF-8")
                })?)
            };
            (value, value_at + 2 + len)
        }
        9 => {
            let mut raw = [0; 16];
            raw.copy_from_slice(take(16)?);
            (HeaderValue::Uuid(raw), value_at + 16)
        }
        _ => {
            return Err(format!(
                "event-stream header \"{name}\" has unknown value type {code}"
            ))
        }
    };
    Ok((Header { name, value }, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message as owned data: header names with their values' debug text, and the payload.
    type Owned = (Vec<(String, String)>, Vec<u8>);

    fn frame(block: &[u8], payload: &[u8]) -> Vec<u8> {
        let total = (MIN_MESSAGE_LEN + block.len() + payload.len()) as u32;
        let mut out = Vec::new();
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
        out.extend_from_slice(block);
        out.extend_from_slice(payload);
        out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
        out
    }

    fn encode(headers: &[Header<'_>], payload: &[u8]) -> Vec<u8> {
        let mut block = Vec::new();
        for header in headers {
            block.push(header.name.len() as u8);
            block.extend_from_slice(header.name.as_bytes());
            match header.value {
                HeaderValue::Bool(value) => block.push(if value { 0 } else { 1 }),
                HeaderValue::Byte(value) => block.extend([2, value as u8]),
                HeaderValue::Short(value) => {
                    block.push(3);
                    block.extend(value.to_be_bytes());
                }
                HeaderValue::Int(value) => {
                    block.push(4);
                    block.extend(value.to_be_bytes());
                }
                HeaderValue::Long(value) => {
                    block.push(5);
                    block.extend(value.to_be_bytes());
                }
                HeaderValue::Bytes(value) => {
                    block.push(6);
                    block.extend((value.len() as u16).to_be_bytes());
                    block.extend_from_slice(value);
                }
                HeaderValue::String(value) => {
                    block.push(7);
                    block.extend((value.len() as u16).to_be_bytes());
                    block.extend_from_slice(value.as_bytes());
                }
                HeaderValue::Timestamp(value) => {
                    block.push(8);
                    block.extend(value.to_be_bytes());
                }
                HeaderValue::Uuid(value) => {
                    block.push(9);
                    block.extend(value);
                }
            }
        }
        frame(&block, payload)
    }

    fn own(message: Message<'_>) -> Owned {
        let headers = message
            .headers
            .iter()
            .map(|h| (h.name.to_string(), format!("{:?}", h.value)))
            .collect();
        (headers, message.payload.to_vec())
    }

    fn decode_chunks(chunks: &[&[u8]]) -> Result<Vec<Owned>, DecodeError> {
        let mut decoder = Decoder::default();
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, |m| out.push(own(m)))?;
        }
        decoder.finish()?;
        assert_eq!(
            decoder.position(),
            chunks.iter().map(|c| c.len() as u64).sum::<u64>()
        );
        Ok(out)
    }

    /// The error without its excerpt, which by design depends on the chunk the error came
    /// from (see [`crate::excerpt`]).
    fn verdict(
        result: &Result<Vec<Owned>, DecodeError>,
    ) -> Result<Vec<Owned>, (ErrorClass, String, u64)> {
        match result {
            Ok(messages) => Ok(messages.clone()),
            Err(e) => Err((e.class, e.message.clone(), e.position)),
        }
    }

    /// Decode `bytes` whole, bytewise and at every two-way split; all must agree.
    fn decode_every_way(bytes: &[u8]) -> Result<Vec<Owned>, DecodeError> {
        let whole = decode_chunks(&[bytes]);
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(verdict(&decode_chunks(&bytewise)), verdict(&whole));
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(
                verdict(&decode_chunks(&[a, b])),
                verdict(&whole),
                "split at {cut}"
            );
        }
        whole
    }

    fn all_types() -> Vec<Header<'static>> {
        vec![
            Header {
                name: "t",
                value: HeaderValue::Bool(true),
            },
            Header {
                name: "f",
                value: HeaderValue::Bool(false),
            },
            Header {
                name: "byte",
                value: HeaderValue::Byte(-49),
            },
            Header {
                name: "short",
                value: HeaderValue::Short(-20000),
            },
            Header {
                name: "int",
                value: HeaderValue::Int(40972),
            },
            Header {
                name: "long",
                value: HeaderValue::Long(i64::MIN),
            },
            Header {
                name: "bytes",
                value: HeaderValue::Bytes(b"\x00\xff"),
            },
            Header {
                name: ":event-type",
                value: HeaderValue::String("contentBlockDelta"),
            },
            Header {
                name: "time",
                value: HeaderValue::Timestamp(8_675_309),
            },
            Header {
                name: "uuid",
                value: HeaderValue::Uuid([7; 16]),
            },
        ]
    }

    fn kind_of(error: &DecodeError) -> Option<EventStreamErrorKind> {
        match error.class {
            ErrorClass::EventStream(kind) => Some(kind),
            _ => None,
        }
    }

    #[test]
    fn every_header_type_round_trips_however_split() {
        let headers = all_types();
        let bytes = encode(&headers, b"{\"bytes\":\"aGk=\"}");
        let mut expected = None;
        let mut decoder = Decoder::default();
        decoder
            .feed(&bytes, |m| {
                assert_eq!(m.headers, headers);
                assert_eq!(
                    m.header(":event-type"),
                    Some(HeaderValue::String("contentBlockDelta"))
                );
                expected = Some(own(m));
            })
            .unwrap();
        assert_eq!(decode_every_way(&bytes).unwrap(), vec![expected.unwrap()]);
    }

    #[test]
    fn several_messages_in_one_stream() {
        let mut stream = encode(&[], b"");
        stream.extend(encode(&all_types(), b"payload"));
        stream.extend(encode(
            &[Header {
                name: "n",
                value: HeaderValue::Int(1),
            }],
            b"",
        ));
        let messages = decode_every_way(&stream).unwrap();
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[0], (vec![], vec![]));
        assert_eq!(messages[1].1, b"payload");
    }

    #[test]
    fn repeated_header_name_last_wins_in_lookup() {
        let headers = [
            Header {
                name: "a",
                value: HeaderValue::Int(1),
            },
            Header {
                name: "a",
                value: HeaderValue::Int(2),
            },
        ];
        let mut decoder = Decoder::default();
        let mut seen = 0;
        decoder
            .feed(&encode(&headers, b""), |m| {
                assert_eq!(m.headers.len(), 2);
                assert_eq!(m.header("a"), Some(HeaderValue::Int(2)));
                assert_eq!(m.header("b"), None);
                seen += 1;
            })
            .unwrap();
        assert_eq!(seen, 1);
    }

    #[test]
    fn conformance_vectors_from_aws_sdk_go() {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/conformance/eventstream/aws-sdk-go/encoded"
        );
        for name in [
            "all_headers",
            "empty_message",
            "int32_header",
            "payload_no_headers",
            "payload_one_str_header",
        ] {
            let bytes = std::fs::read(format!("{root}/positive/{name}")).unwrap();
            assert_eq!(decode_every_way(&bytes).unwrap().len(), 1, "{name}");
        }
        for (name, kind) in [
            ("corrupted_header_len", EventStreamErrorKind::PreludeCrc),
            ("corrupted_length", EventStreamErrorKind::PreludeCrc),
            ("corrupted_headers", EventStreamErrorKind::MessageCrc),
            ("corrupted_payload", EventStreamErrorKind::MessageCrc),
        ] {
            let bytes = std::fs::read(format!("{root}/negative/{name}")).unwrap();
            let error = decode_every_way(&bytes).unwrap_err();
            assert_eq!(kind_of(&error), Some(kind), "{name}");
        }
    }

    #[test]
    fn prelude_crc_fails_on_the_twelfth_byte() {
        let mut bytes = encode(&all_types(), b"x");
        bytes[4] ^= 1;
        let mut decoder = Decoder::default();
        for byte in &bytes[..11] {
            decoder
                .feed(std::slice::from_ref(byte), |_| panic!())
                .unwrap();
        }
        let error = decoder.feed(&bytes[11..12], |_| panic!()).unwrap_err();
        assert_eq!(kind_of(&error), Some(EventStreamErrorKind::PreludeCrc));
        assert_eq!(error.position, 8);
        assert!(error
            .message
            .starts_with("event-stream prelude checksum mismatch"));
        // Final: the same error again, from feed and finish.
        assert_eq!(decoder.feed(b"", |_| panic!()), Err(error.clone()));
        assert_eq!(decoder.finish(), Err(error));
        assert_eq!(decoder.position(), 11);
    }

    #[test]
    fn message_crc_fails_on_the_last_byte_at_the_crc_field() {
        let first = encode(&[], b"ok");
        let mut second = encode(&all_types(), b"payload");
        let crc_at = second.len() - 4;
        second[crc_at - 1] ^= 0x20;
        let stream = [first.clone(), second].concat();
        let mut decoder = Decoder::default();
        let mut count = 0;
        decoder
            .feed(&stream[..stream.len() - 1], |_| count += 1)
            .unwrap();
        assert_eq!(count, 1);
        let error = decoder
            .feed(&stream[stream.len() - 1..], |_| panic!())
            .unwrap_err();
        assert_eq!(kind_of(&error), Some(EventStreamErrorKind::MessageCrc));
        assert_eq!(error.position, (first.len() + crc_at) as u64);
    }

    #[test]
    fn impossible_lengths() {
        let mut short = vec![0, 0, 0, 15, 0, 0, 0, 0];
        short.extend(crc32fast::hash(&short).to_be_bytes());
        let error = decode_every_way(&short).unwrap_err();
        assert_eq!(kind_of(&error), Some(EventStreamErrorKind::Length));
        assert_eq!(error.position, 0);
        assert_eq!(
            error.message,
            "event-stream message length 15 is below the 16-byte minimum"
        );

        let mut wide = vec![0, 0, 0, 20, 0, 0, 0, 5];
        wide.extend(crc32fast::hash(&wide).to_be_bytes());
        let error = decode_chunks(&[&encode(&[], b""), &wide]).unwrap_err();
        assert_eq!(kind_of(&error), Some(EventStreamErrorKind::Length));
        assert_eq!(error.position, 16);
        // Exactly fitting headers are fine.
        assert!(decode_every_way(&frame(&[1, b'a', 0], b"")).is_ok());
    }

    #[test]
    fn limit_is_inclusive_and_checked_on_the_prelude() {
        let bytes = encode(&[], &[b'x'; 84]);
        assert_eq!(bytes.len(), 100);
        let mut decoder = Decoder::new(100);
        let mut count = 0;
        decoder.feed(&bytes, |_| count += 1).unwrap();
        assert_eq!(count, 1);
        let mut decoder = Decoder::new(99);
        let error = decoder.feed(&bytes[..12], |_| panic!()).unwrap_err();
        assert_eq!(error.class, ErrorClass::Limit(99));
        assert_eq!(error.position, 0);
    }

    #[test]
    fn truncated_stream_fails_at_finish() {
        let bytes = encode(&all_types(), b"p");
        for cut in 1..bytes.len() {
            let mut decoder = Decoder::default();
            decoder.feed(&bytes[..cut], |_| panic!()).unwrap();
            let error = decoder.finish().unwrap_err();
            assert_eq!(kind_of(&error), Some(EventStreamErrorKind::Length));
            assert_eq!(error.position, cut as u64);
        }
        let mut decoder = Decoder::default();
        decoder.feed(&bytes[..5], |_| panic!()).unwrap();
        assert_eq!(
            decoder.finish().unwrap_err().message,
            "event-stream ended inside a message prelude (5 of its 12 bytes received)"
        );
        let mut decoder = Decoder::default();
        decoder.feed(&bytes[..20], |_| panic!()).unwrap();
        let message = decoder.finish().unwrap_err().message;
        assert_eq!(
            message,
            format!(
                "event-stream ended inside a message (20 of its {} bytes received)",
                bytes.len()
            )
        );
    }

    /// Decode one message with header block `block` and return the header error.
    fn header_error(block: &[u8]) -> DecodeError {
        let error = decode_every_way(&frame(block, b"")).unwrap_err();
        assert_eq!(kind_of(&error), Some(EventStreamErrorKind::Header));
        error
    }

    #[test]
    fn malformed_header_blocks() {
        let good = [1, b'a', 0]; // "a": true, 3 bytes at offset 12
        let cases: [(&[u8], &str); 9] = [
            (&[0, 0], "event-stream header name is empty"),
            (&[5, b'a', b'b'], "event-stream header name runs past the end of the header block"),
            (&[1, 0xff, 0], "event-stream header name is not valid UTF-8"),
            (&[1, b'x'], "event-stream header \"x\" runs past the end of the header block"),
            (&[1, b'x', 10], "event-stream header \"x\" has unknown value type 10"),
            (&[1, b'x', 4, 0, 0, 0], "event-stream header \"x\" runs past the end of the header block"),
            (&[1, b'x', 7, 0, 2, b'a'], "event-stream header \"x\" runs past the end of the header block"),
            (&[1, b'x', 7, 0, 1, 0x80], "event-stream header \"x\" string value is not valid UTF-8"),
            (
                &[1, b'x', 8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                "event-stream header \"x\" timestamp 9223372036854775807 ms is outside years 1 to 9999",
            ),
        ];
        for (bad, message) in cases {
            let error = header_error(&[&good[..], bad].concat());
            assert_eq!(error.message, message);
            assert_eq!(error.position, 15, "{message}");
        }
    }

    #[test]
    fn timestamp_range_edges_are_accepted() {
        for ms in [*TIMESTAMP_RANGE_MS.start(), *TIMESTAMP_RANGE_MS.end()] {
            let header = Header {
                name: "t",
                value: HeaderValue::Timestamp(ms),
            };
            assert!(decode_every_way(&encode(&[header], b"")).is_ok());
        }
        let mut block = vec![1, b't', 8];
        block.extend((TIMESTAMP_RANGE_MS.start() - 1).to_be_bytes());
        header_error(&block);
    }

    #[test]
    fn excerpt_shows_the_bytes_around_the_error() {
        let mut bytes = encode(&[], b"0123456789abcdefghijklmnopqrstuvwxyz");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let whole = decode_chunks(&[&bytes]).unwrap_err();
        assert!(
            whole.excerpt.starts_with("klmnopqrstuvwxyz"),
            "{:?}",
            whole.excerpt
        );
        // One byte per call: only the 16 bytes before the last call are remembered.
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        let error = decode_chunks(&bytewise).unwrap_err();
        assert!(
            error.excerpt.starts_with("nopqrstuvwxyz"),
            "{:?}",
            error.excerpt
        );
        assert!(
            !error.excerpt.starts_with("mnopqrstuvwxyz"),
            "{:?}",
            error.excerpt
        );
    }
}
