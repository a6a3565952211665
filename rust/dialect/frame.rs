//! What a dialect receives from the framer, and the JSON parsing every dialect shares.

use crate::error::{DecodeError, ErrorClass};
use crate::eventstream::Message;
use crate::json::{JsonParser, Value, ValueBuilder};

use super::output::Output;

/// One frame as the stream's framer delivers it.
#[derive(Debug)]
pub enum Frame<'a> {
    /// A dispatched server-sent event.
    Sse { event: &'a str, data: &'a str },
    /// One NDJSON line (without its line end).
    Line(&'a [u8]),
    /// One AWS event-stream message.
    Message(&'a Message<'a>),
}

/// Turns the frames of one provider's stream into normalized events.
pub trait Dialect: Send + Sync {
    /// Handle one frame whose first byte is at stream offset `start`.
    fn frame(&mut self, frame: Frame<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError>;

    /// How the provider marks the end of a stream (for the truncation message).
    fn end_marker(&self) -> &'static str;
}

/// Parse the JSON payload of a frame that starts at stream offset `start`. The error points
/// at the frame (the `position` is `start`) and says where in the payload it failed.
pub fn parse_frame(payload: &[u8], start: u64, dialect: &str) -> Result<Value, DecodeError> {
    let mut parser = JsonParser::new(usize::MAX, u64::MAX);
    let mut builder = ValueBuilder::default();
    let parsed = parser
        .feed(payload, &mut builder)
        .and_then(|_| parser.finish(&mut builder));
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
