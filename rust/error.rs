//! The one error type of the core: what went wrong, where, and what the bytes looked like.
//!
//! The Python layer maps [`ErrorClass`] to the exceptions of `fluent_ai.errors`; the messages
//! are identical to the pure-Python backend's, so both report the same failure the same way.

use std::fmt;

/// Which check of an AWS event-stream message failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventStreamErrorKind {
    PreludeCrc,
    MessageCrc,
    Length,
    Header,
}

impl EventStreamErrorKind {
    /// The name the Python exception carries in `.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreludeCrc => "prelude_crc",
            Self::MessageCrc => "message_crc",
            Self::Length => "length",
            Self::Header => "header",
        }
    }
}

/// The family of a decoding error; each maps to one Python exception class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// Invalid JSON (`JsonStreamError`).
    Json,
    /// A corrupt event-stream message (`EventStreamError`).
    EventStream(EventStreamErrorKind),
    /// A configured limit was crossed (`LimitExceeded`); the value is the limit.
    Limit(u64),
    /// The stream ended before its dialect's end marker (`StreamTruncated`).
    Truncated,
}

/// A decoding failure at a byte position of the whole stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub class: ErrorClass,
    pub message: String,
    /// Offset of the first offending byte from the start of the stream.
    pub position: u64,
    /// Up to 16 bytes either side of `position`, decoded lossily (see [`crate::excerpt`]).
    pub excerpt: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.position)
    }
}

impl std::error::Error for DecodeError {}
