//! The error messages of the JSON parser: exact strings shared with the pure-Python backend.

/// What the parser expected where it found something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    Value,
    ValueOrEndArray,
    CommaOrEndArray,
    KeyOrEndObject,
    Key,
    Colon,
    CommaOrEndObject,
    EndOfInput,
    Digit,
    DigitOrSign,
    Literal(&'static str),
    EscapeCharacter,
    HexDigit,
}

impl Expected {
    fn describe(self) -> &'static str {
        match self {
            Self::Value => "a value",
            Self::ValueOrEndArray => "a value or ']'",
            Self::CommaOrEndArray => "',' or ']'",
            Self::KeyOrEndObject => "a string key or '}'",
            Self::Key => "a string key",
            Self::Colon => "':'",
            Self::CommaOrEndObject => "',' or '}'",
            Self::EndOfInput => "end of input",
            Self::Digit => "a digit",
            Self::DigitOrSign => "a digit, '+' or '-'",
            Self::Literal("true") => "'true'",
            Self::Literal("false") => "'false'",
            Self::Literal(_) => "'null'",
            Self::EscapeCharacter => "an escape character",
            Self::HexDigit => "a hex digit",
        }
    }
}

/// How an offending byte is shown: printable ASCII in quotes, anything else in hex.
pub fn found(byte: u8) -> String {
    if (0x21..=0x7e).contains(&byte) && byte != b'\'' && byte != b'\\' {
        format!("'{}'", byte as char)
    } else {
        format!("byte 0x{byte:02x}")
    }
}

pub fn unexpected(expected: Expected, byte: u8) -> String {
    format!(
        "invalid JSON: expected {}, found {}",
        expected.describe(),
        found(byte)
    )
}

pub fn control_character(byte: u8) -> String {
    format!(
        "invalid JSON: control character in string, found {}",
        found(byte)
    )
}

pub const INVALID_UTF8: &str = "invalid JSON: invalid UTF-8 in string";
pub const UNEXPECTED_END: &str = "invalid JSON: unexpected end of input";

const TOO_DEEP: &str = "invalid JSON: nesting deeper than max_depth=";

pub fn too_deep(max_depth: usize) -> String {
    format!("{TOO_DEEP}{max_depth}")
}

/// Whether `message` is that of [`too_deep`] (the limit errors share one class).
pub fn is_too_deep(message: &str) -> bool {
    message.starts_with(TOO_DEEP)
}

pub fn too_long(max_bytes: u64) -> String {
    format!("invalid JSON: input longer than max_bytes={max_bytes}")
}

pub fn too_many_digits(max_digits: usize) -> String {
    format!("invalid JSON: integer with more than {max_digits} digits")
}
