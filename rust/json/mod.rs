//! Incremental (push) JSON parser for one JSON text (RFC 8259, strict).
//!
//! Bytes arrive in fragments of any size; each byte is examined once, and the parser reports
//! the structure it recognises to a [`Sink`] as it goes (no re-parsing of what came before),
//! so the cost of a stream is linear in its length however it is split. String bodies are
//! scanned with the SIMD kernels of [`crate::simd`]. Errors carry the byte position in the
//! whole stream and are identical to those of the pure-Python backend
//! (`python/fluent_ai/_purepy/json/`).

mod dump;
mod iterative;
mod messages;
mod number;
mod parser;
mod sink;
mod string;
mod value;

pub use dump::to_compact_json;
pub use messages::is_too_deep;
pub use parser::{JsonParser, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, MAX_INTEGER_DIGITS};
pub use sink::Sink;
pub use value::{parse_value, Value, ValueBuilder};

#[cfg(test)]
mod tests;
