//! The push parser: a state machine over bytes with an explicit stack (no recursion, so
//! nesting depth is bounded only by `max_depth`).

use super::messages::{self, Expected};
use super::number::{NumberScan, NumberState};
use super::sink::Sink;
use super::string::StringState;
use crate::error::{DecodeError, ErrorClass};
use crate::excerpt::RecentBytes;
use crate::simd;

pub const DEFAULT_MAX_DEPTH: usize = 256;
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// CPython refuses to convert longer integer literals (`sys.get_int_max_str_digits()`), so
/// longer ones are a limit error on both backends rather than a bare `ValueError`.
pub const MAX_INTEGER_DIGITS: usize = 4300;

/// An error before its excerpt is attached.
#[derive(Debug)]
pub struct Failure {
    pub class: ErrorClass,
    pub position: u64,
    pub message: String,
}

impl Failure {
    pub fn json(position: u64, message: String) -> Self {
        Self {
            class: ErrorClass::Json,
            position,
            message,
        }
    }

    fn limit(limit: u64, position: u64, message: String) -> Self {
        Self {
            class: ErrorClass::Limit(limit),
            position,
            message,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Container {
    Array,
    Object,
}

/// The token being read when a fragment ends inside it. Kept to a few bytes: the main loop
/// reads it for every byte, and a wide enum there costs a store-forwarding stall each time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    None,
    String,
    Number,
    Literal { word: Word, matched: u8 },
}

/// The three literal names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Word {
    True,
    False,
    Null,
}

impl Word {
    fn text(self) -> &'static [u8] {
        match self {
            Word::True => b"true",
            Word::False => b"false",
            Word::Null => b"null",
        }
    }
}

/// Incremental parser for one JSON text. See the module documentation.
#[derive(Debug)]
pub struct JsonParser {
    max_depth: usize,
    max_bytes: u64,
    stack: Vec<Container>,
    /// What may come next between tokens.
    expect: Expected,
    token: Token,
    string: StringState,
    number: NumberState,
    position: u64,
    done: bool,
    error: Option<DecodeError>,
    recent: RecentBytes,
    /// The fragment being parsed came as `&str` (see [`Self::feed_str`]).
    fragment_is_str: bool,
}

impl JsonParser {
    pub fn new(max_depth: usize, max_bytes: u64) -> Self {
        Self {
            max_depth,
            max_bytes,
            stack: Vec::new(),
            expect: Expected::Value,
            token: Token::None,
            string: StringState::new(),
            number: NumberState::new(),
            position: 0,
            done: false,
            error: None,
            recent: RecentBytes::default(),
            fragment_is_str: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Whether the top-level value is complete.
    pub fn is_complete(&self) -> bool {
        self.done
    }

    /// The characters of a string value being read (for partial values); `None` when the
    /// parser is not inside a string value.
    pub fn partial_string(&self) -> Option<&str> {
        (self.token == Token::String && !self.string.is_key).then_some(self.string.text.as_str())
    }

    /// [`Self::feed`] for a fragment already known to be UTF-8 (an SSE event's data, a Python
    /// `str`), which spares re-validating its strings.
    pub fn feed_str(&mut self, data: &str, sink: &mut impl Sink) -> Result<bool, DecodeError> {
        self.fragment_is_str = true;
        let outcome = self.feed(data.as_bytes(), sink);
        self.fragment_is_str = false;
        outcome
    }

    /// Consume a fragment. Returns whether the top-level value is complete.
    pub fn feed(&mut self, data: &[u8], sink: &mut impl Sink) -> Result<bool, DecodeError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let allowed = self.max_bytes.saturating_sub(self.position);
        let head = &data[..data
            .len()
            .min(usize::try_from(allowed).unwrap_or(usize::MAX))];
        if head.len() < data.len() {
            // The cut at the byte limit may split a character: validate what is read.
            self.fragment_is_str = false;
        }
        let mut outcome = self.run(head, sink);
        if outcome.is_ok() && head.len() < data.len() {
            outcome = Err(Failure::limit(
                self.max_bytes,
                self.max_bytes,
                messages::too_long(self.max_bytes),
            ));
        }
        if let Err(failure) = outcome {
            return Err(self.fail(failure, data));
        }
        self.position += data.len() as u64;
        self.recent.push(data);
        Ok(self.done)
    }

    /// Signal the end of input: completes a top-level number, and fails if no whole value
    /// was read.
    pub fn finish(&mut self, sink: &mut impl Sink) -> Result<(), DecodeError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if !self.done
            && self.token == Token::Number
            && self.stack.is_empty()
            && self.number.is_complete()
        {
            if let Err(failure) = self.number_done(sink) {
                return Err(self.fail(failure, &[]));
            }
        }
        if self.done {
            return Ok(());
        }
        let failure = Failure::json(self.position, messages::UNEXPECTED_END.into());
        Err(self.fail(failure, &[]))
    }

    #[cold]
    fn fail(&mut self, failure: Failure, chunk: &[u8]) -> DecodeError {
        let error = DecodeError {
            class: failure.class,
            excerpt: self.recent.excerpt(chunk, self.position, failure.position),
            message: failure.message,
            position: failure.position,
        };
        self.error = Some(error.clone());
        error
    }

    fn run(&mut self, data: &[u8], sink: &mut impl Sink) -> Result<(), Failure> {
        let base = self.position;
        let mut i = 0;
        while i < data.len() {
            match self.token {
                Token::String => match self.string.scan(data, i, base, self.fragment_is_str)? {
                    Some(next) => {
                        i = next;
                        self.token = Token::None;
                        self.string_done(sink);
                    }
                    None => return Ok(()),
                },
                Token::Number => match self.number.scan(data, i) {
                    NumberScan::Ended(next) => {
                        i = next;
                        self.number_done(sink)?;
                    }
                    NumberScan::NeedMore => return Ok(()),
                    NumberScan::Invalid(at, expected) => {
                        return Err(unexpected(expected, data[at], base + at as u64));
                    }
                },
                Token::Literal { word, matched } => {
                    i = self.literal(word, matched, data, i, base, sink)?;
                }
                Token::None => {
                    let byte = data[i];
                    if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                        i += 1;
                    } else {
                        i = self.token_start(data, i, base, sink)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Handle the non-whitespace byte `data[i]` between tokens; returns the next index.
    fn token_start(
        &mut self,
        data: &[u8],
        i: usize,
        base: u64,
        sink: &mut impl Sink,
    ) -> Result<usize, Failure> {
        let byte = data[i];
        let position = base + i as u64;
        // By reference: `Expected` is wide (it names literals for messages), and copying it
        // for every token costs a store-forwarding stall.
        match (&self.expect, byte) {
            (Expected::Value | Expected::ValueOrEndArray, _) => {
                return self.value_start(data, i, base, sink);
            }
            (Expected::CommaOrEndArray, b',') => self.expect = Expected::Value,
            (Expected::CommaOrEndObject, b',') => self.expect = Expected::Key,
            (Expected::CommaOrEndArray, b']')
            | (Expected::KeyOrEndObject | Expected::CommaOrEndObject, b'}') => self.close(sink),
            (Expected::KeyOrEndObject | Expected::Key, b'"') => {
                return Ok(self.string_start(data, i, true, sink))
            }
            (Expected::Colon, b':') => self.expect = Expected::Value,
            (expected, _) => return Err(unexpected(*expected, byte, position)),
        }
        Ok(i + 1)
    }

    fn value_start(
        &mut self,
        data: &[u8],
        i: usize,
        base: u64,
        sink: &mut impl Sink,
    ) -> Result<usize, Failure> {
        let byte = data[i];
        let position = base + i as u64;
        match byte {
            b'"' => return Ok(self.string_start(data, i, false, sink)),
            b'{' | b'[' => {
                if self.stack.len() >= self.max_depth {
                    return Err(Failure::limit(
                        self.max_depth as u64,
                        position,
                        messages::too_deep(self.max_depth),
                    ));
                }
                if byte == b'{' {
                    self.stack.push(Container::Object);
                    sink.begin_object();
                    self.expect = Expected::KeyOrEndObject;
                } else {
                    self.stack.push(Container::Array);
                    sink.begin_array();
                    self.expect = Expected::ValueOrEndArray;
                }
            }
            b']' if self.expect == Expected::ValueOrEndArray => self.close(sink),
            b'-' | b'0'..=b'9' => {
                self.number.begin(byte, position);
                self.token = Token::Number;
            }
            b't' => {
                self.token = Token::Literal {
                    word: Word::True,
                    matched: 1,
                }
            }
            b'f' => {
                self.token = Token::Literal {
                    word: Word::False,
                    matched: 1,
                }
            }
            b'n' => {
                self.token = Token::Literal {
                    word: Word::Null,
                    matched: 1,
                }
            }
            _ => return Err(unexpected(self.expect, byte, position)),
        }
        Ok(i + 1)
    }

    /// Start a string at the quote `data[i]`. A string that closes within this fragment
    /// without escapes goes to the sink straight from the input, without copying.
    fn string_start(&mut self, data: &[u8], i: usize, is_key: bool, sink: &mut impl Sink) -> usize {
        let body = &data[i + 1..];
        let run = simd::string_run_len(body);
        if body.get(run) == Some(&b'"') {
            let text = if self.fragment_is_str {
                // SAFETY: `data` is the bytes of a `&str` (`feed_str`), and `body[..run]` lies
                // between two quote bytes of it; ASCII bytes are character boundaries in
                // UTF-8, so the slice is itself valid UTF-8.
                Ok(unsafe { std::str::from_utf8_unchecked(&body[..run]) })
            } else {
                std::str::from_utf8(&body[..run])
            };
            if let Ok(text) = text {
                if is_key {
                    sink.key(text);
                    self.expect = Expected::Colon;
                } else {
                    sink.string(text);
                    self.value_done();
                }
                return i + run + 2;
            }
        }
        self.string.begin(is_key);
        self.token = Token::String;
        i + 1
    }

    fn literal(
        &mut self,
        word: Word,
        matched: u8,
        data: &[u8],
        mut i: usize,
        base: u64,
        sink: &mut impl Sink,
    ) -> Result<usize, Failure> {
        let text = word.text();
        let mut matched = usize::from(matched);
        while matched < text.len() {
            let Some(&byte) = data.get(i) else {
                // At most 5 letters, so the count fits.
                self.token = Token::Literal {
                    word,
                    matched: matched as u8,
                };
                return Ok(i);
            };
            if byte != text[matched] {
                // `text` is one of three ASCII literals.
                let name = std::str::from_utf8(text).unwrap_or("null");
                return Err(unexpected(Expected::Literal(name), byte, base + i as u64));
            }
            matched += 1;
            i += 1;
        }
        self.token = Token::None;
        match word {
            Word::True => sink.boolean(true),
            Word::False => sink.boolean(false),
            Word::Null => sink.null(),
        }
        self.value_done();
        Ok(i)
    }

    fn close(&mut self, sink: &mut impl Sink) {
        self.stack.pop();
        sink.end_container();
        self.value_done();
    }

    fn string_done(&mut self, sink: &mut impl Sink) {
        if self.string.is_key {
            sink.key(&self.string.text);
            self.expect = Expected::Colon;
        } else {
            sink.string(&self.string.text);
            self.value_done();
        }
    }

    fn number_done(&mut self, sink: &mut impl Sink) -> Result<(), Failure> {
        self.token = Token::None;
        if self.number.is_integer() {
            if self.number.integer_digits() > MAX_INTEGER_DIGITS {
                return Err(Failure::limit(
                    MAX_INTEGER_DIGITS as u64,
                    self.number.start,
                    messages::too_many_digits(MAX_INTEGER_DIGITS),
                ));
            }
            sink.integer(&self.number.text);
        } else {
            // The grammar was checked while scanning, so this parse cannot fail; Rust
            // rounds correctly and gives ±inf out of range, as Python's float() does.
            sink.float(self.number.text.parse().unwrap_or(f64::NAN));
        }
        self.value_done();
        Ok(())
    }

    /// A value ended: what may follow depends on the enclosing container.
    fn value_done(&mut self) {
        self.expect = match self.stack.last() {
            None => {
                self.done = true;
                Expected::EndOfInput
            }
            Some(Container::Array) => Expected::CommaOrEndArray,
            Some(Container::Object) => Expected::CommaOrEndObject,
        };
    }
}

#[cold]
fn unexpected(expected: Expected, byte: u8, position: u64) -> Failure {
    Failure::json(position, messages::unexpected(expected, byte))
}
