//! What a dialect receives from the framer, and the JSON parsing every dialect shares.

use crate::error::{DecodeError, ErrorClass};
use crate::eventstream::Message;
use crate::json::{JsonParser, Value, ValueBuilder};

use super::output::Output;

/// How deeply a frame's JSON may nest: deeper is `LimitExceeded`. Twice `JsonStream`'s
/// default `max_depth`, so that tool arguments sent as an object inside a provider's envelope
/// reach the assembler, whose own limit ([`crate::json::DEFAULT_MAX_DEPTH`]) applies to them
/// however they arrive.
pub const MAX_FRAME_DEPTH: usize = 512;

/// One frame as the stream's framer delivers it.
#[derive(Debug)]
pub enum Frame<'a> {
    /// A dispatched server-sent event.
    Sse { event: &'a str, data: &'a str },
    /// One NDJSON line (without its line end).
    Line(&'a [u8]),
    /// One AWS event-stream message.
    Message(&'a Message<'a>),
    /// A line of an SSE stream that is no field (only for dialects that ask for them).
    Stray(&'a str),
}

/// Turns the frames of one provider's stream into normalized events.
pub trait Dialect: Send + Sync {
    /// Handle one frame whose first byte is at stream offset `start`.
    fn frame(&mut self, frame: Frame<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError>;

    /// How the provider marks the end of a stream (for the truncation message).
    fn end_marker(&self) -> &'static str;

    /// Whether an end of input before the end marker is still a complete stream.
    fn ends_cleanly(&self) -> bool {
        false
    }

    /// The input ended before the end marker (the stream is truncated): hand what is still
    /// held back to `out` so that it is reported as unfinished.
    fn end_of_input(&mut self, _out: &mut Output) -> Result<(), DecodeError> {
        Ok(())
    }
}

/// Parse the JSON payload of a frame that starts at stream offset `start`. The error points
/// at the frame (the `position` is `start`) and says where in the payload it failed.
pub fn parse_frame(payload: &[u8], start: u64, dialect: &str) -> Result<Value, DecodeError> {
    parse_with(
        Payload::Bytes(payload),
        start,
        dialect,
        ValueBuilder::default(),
    )
}

/// [`parse_frame`] for a text payload (an SSE event's data), building only the `wanted`
/// members of a top-level object (the rest is still parsed, so a malformed frame fails the
/// same way).
pub fn parse_frame_keeping(
    payload: &str,
    start: u64,
    dialect: &str,
    wanted: &'static [&'static str],
) -> Result<Value, DecodeError> {
    let builder = ValueBuilder::with_top_level_keys(wanted);
    parse_with(Payload::Text(payload), start, dialect, builder)
}

enum Payload<'a> {
    Bytes(&'a [u8]),
    Text(&'a str),
}

fn parse_with(
    payload: Payload<'_>,
    start: u64,
    dialect: &str,
    mut builder: ValueBuilder,
) -> Result<Value, DecodeError> {
    let mut parser = JsonParser::new(MAX_FRAME_DEPTH, u64::MAX);
    let fed = match payload {
        Payload::Bytes(bytes) => parser.feed(bytes, &mut builder),
        Payload::Text(text) => parser.feed_str(text, &mut builder),
    };
    let parsed = fed.and_then(|_| parser.finish(&mut builder));
    match parsed {
        Ok(()) => Ok(builder.take().unwrap_or(Value::Null)),
        Err(inner) => {
            let detail = inner
                .message
                .strip_prefix("invalid JSON: ")
                .unwrap_or(&inner.message);
            Err(DecodeError {
                class: match inner.class {
                    ErrorClass::Limit(limit) => ErrorClass::Limit(limit),
                    _ => ErrorClass::Json,
                },
                message: format!(
                    "invalid JSON in the {dialect} frame starting at byte {start}: {detail} \
                     (byte {} of the frame)",
                    inner.position
                ),
                position: start,
                excerpt: inner.excerpt,
            })
        }
    }
}

/// The string member `key` of `value`, if present and a string.
pub fn str_of<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

/// The integer member `key` of `value`, if present and a non-negative integer.
pub fn u64_of(value: &Value, key: &str) -> Option<u64> {
    value.get(key).and_then(Value::as_u64)
}

/// The member at `path` (each step an object key).
pub fn at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_value;

    #[test]
    fn keeping_builds_only_the_wanted_top_level_members() {
        let text = br#"{"id": "x", "skip": {"a": [1, {"b": [true, null]}], "c": "d"},
            "keep": {"id": [1, {"z": 2}]}, "n": 3, "choices": [], "id2": [[], {}]}"#;
        let text = std::str::from_utf8(text).unwrap();
        let kept = parse_frame_keeping(text, 0, "test", &["keep", "choices"]).unwrap();
        let expected = parse_value(br#"{"keep": {"id": [1, {"z": 2}]}, "choices": []}"#).unwrap();
        assert_eq!(kept, expected);
        // A top-level value that is not an object is built whole.
        assert_eq!(
            parse_frame_keeping("[1, 2]", 0, "test", &[]).unwrap(),
            parse_value(b"[1, 2]").unwrap()
        );
    }

    #[test]
    fn frames_nest_to_max_frame_depth_and_no_further_on_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let frame = |inner: usize| {
                    let pad = format!("{}{}", "[".repeat(inner), "]".repeat(inner));
                    format!(r#"{{"pad":{pad},"x":1}}"#)
                };
                let ok = frame(MAX_FRAME_DEPTH - 1);
                assert!(parse_frame(ok.as_bytes(), 0, "test").is_ok());
                assert!(parse_frame_keeping(&ok, 0, "test", &["x"]).is_ok());
                for inner in [MAX_FRAME_DEPTH, 1_000_000] {
                    let deep = frame(inner);
                    for error in [
                        parse_frame(deep.as_bytes(), 9, "test").unwrap_err(),
                        parse_frame_keeping(&deep, 9, "test", &["x"]).unwrap_err(),
                    ] {
                        assert_eq!(error.class, ErrorClass::Limit(MAX_FRAME_DEPTH as u64));
                        assert_eq!(error.position, 9);
                        assert!(
                            error.message.ends_with(
                                "nesting deeper than max_depth=512 (byte 518 of the frame)"
                            ),
                            "{}",
                            error.message
                        );
                    }
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn keeping_still_rejects_malformed_skipped_members() {
        let plain = parse_frame(br#"{"skip": [1, }"#, 7, "test").unwrap_err();
        let kept = parse_frame_keeping(r#"{"skip": [1, }"#, 7, "test", &[]).unwrap_err();
        assert_eq!(plain, kept);
        assert_eq!(kept.position, 7);
        assert!(
            kept.message.contains("(byte 13 of the frame)"),
            "{}",
            kept.message
        );
    }
}
