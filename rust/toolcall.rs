//! Assembles parallel tool calls from argument fragments (or whole argument objects) into
//! `ToolCallStart` / `ToolCallDelta` / `ToolCallDone` / `ToolCallInvalid` events.
//!
//! Each call's fragments go through its own incremental [`JsonParser`], so every byte is
//! scanned once however the text is split, and the call is reported done the moment its
//! JSON value closes. Calls are keyed by the provider's identifier (OpenAI's `index`,
//! Anthropic's content-block index, ...) and numbered 0, 1, ... in order of first appearance.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{DecodeError, ErrorClass};
use crate::events::{Event, PartialToolCall};
use crate::json::{
    is_too_deep, to_compact_json, JsonParser, Value, ValueBuilder, DEFAULT_MAX_DEPTH,
};

pub const DEFAULT_MAX_CALLS: usize = 64;
pub const DEFAULT_MAX_ARGUMENT_BYTES: u64 = 8 * 1024 * 1024;

/// The arguments carried by one provider frame.
#[derive(Debug)]
pub enum Arguments<'a> {
    /// A piece of the JSON text (OpenAI, Anthropic, Bedrock, Cohere, Responses).
    Fragment(&'a str),
    /// The whole value at once (Gemini, Ollama).
    Whole(&'a Value),
    /// The whole value at once, already as compact JSON text (which may not be valid JSON:
    /// Python's `json.dumps` writes `NaN`).
    WholeText(&'a str),
    /// A piece of the JSON text that is not UTF-8: a Python `str` holding a lone surrogate,
    /// encoded with `surrogatepass` (as `JsonStream.feed` reads such a `str`). Its bytes are
    /// counted and parsed (so the call fails where `JsonStream` would); the text reported in
    /// events has U+FFFD in place of what is not UTF-8.
    Encoded(&'a [u8]),
    /// [`Arguments::WholeText`] that is not UTF-8 (see [`Arguments::Encoded`]).
    EncodedWhole(&'a [u8]),
}

/// A process-wide unique id for a call whose provider sent none (Gemini, older Ollama).
pub fn synthesized_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("call_fai_{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    Open,
    /// The arguments are not JSON: the first error, reported when the call is over.
    Failed(String),
    Over,
}

#[derive(Debug)]
struct Call {
    key: i64,
    index: u32,
    id: String,
    /// Whether `id` is the provider's (not synthesized): only then does another id under the
    /// same key start a new call; otherwise a later id is adopted.
    provided_id: bool,
    name: String,
    raw: String,
    /// Bytes of the arguments so far (those of `raw`, unless a fragment was not UTF-8).
    size: u64,
    parser: JsonParser,
    builder: ValueBuilder,
    state: State,
}

impl Call {
    fn partial(&self) -> PartialToolCall {
        PartialToolCall {
            index: self.index,
            id: self.id.clone(),
            name: self.name.clone(),
            raw: self.raw.clone(),
            partial: self.builder.partial(self.parser.partial_string()),
        }
    }
}

/// See the module documentation.
#[derive(Debug)]
pub struct ToolCallAssembler {
    max_calls: usize,
    max_argument_bytes: u64,
    calls: Vec<Call>,
}

impl Default for ToolCallAssembler {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_CALLS, DEFAULT_MAX_ARGUMENT_BYTES)
    }
}

impl ToolCallAssembler {
    pub fn new(max_calls: usize, max_argument_bytes: u64) -> Self {
        Self {
            max_calls,
            max_argument_bytes,
            calls: Vec::new(),
        }
    }

    /// How many calls have begun.
    pub fn count(&self) -> usize {
        self.calls.len()
    }

    /// The argument text of the call numbered `index` so far.
    pub fn raw(&self, index: u32) -> Option<&str> {
        self.calls.get(index as usize).map(|c| c.raw.as_str())
    }

    /// Whether the call with this provider key is still open.
    pub fn is_open(&self, key: i64) -> bool {
        self.find(key).is_some_and(|c| c.state != State::Over)
    }

    /// Add what a frame says of the call `key`: the id and name (usually only on its first
    /// frame, but either may come in any later one) and a piece of its arguments. A frame
    /// under a known key with a different id ends that call and starts a new one, unless the
    /// call had no id of the provider's yet: then the id is adopted.
    pub fn add(
        &mut self,
        key: i64,
        id: Option<&str>,
        name: Option<&str>,
        arguments: Option<Arguments<'_>>,
        out: &mut Vec<Event>,
    ) -> Result<(), DecodeError> {
        let slot = match self.calls.iter().rposition(|c| c.key == key) {
            Some(slot) if id.is_none_or(|id| id.is_empty() || id == self.calls[slot].id) => slot,
            Some(slot) if !self.calls[slot].provided_id => {
                // The id came in a later fragment than the call's first: it is this call's.
                let call = &mut self.calls[slot];
                call.id.clear();
                call.id.push_str(id.unwrap_or_default());
                call.provided_id = true;
                slot
            }
            Some(slot) => {
                // Another call under the same key (some servers reuse index 0): the old one
                // is over.
                close(&mut self.calls[slot], out);
                self.start(key, id, name, out)?
            }
            None => self.start(key, id, name, out)?,
        };
        let call = &mut self.calls[slot];
        if call.name.is_empty() {
            if let Some(name) = name {
                call.name.push_str(name);
            }
        }
        match arguments {
            None => Ok(()),
            Some(Arguments::Fragment(fragment)) => append(
                call,
                fragment,
                fragment.as_bytes(),
                self.max_argument_bytes,
                out,
            ),
            Some(Arguments::Encoded(bytes)) => append(
                call,
                &String::from_utf8_lossy(bytes),
                bytes,
                self.max_argument_bytes,
                out,
            ),
            Some(Arguments::Whole(value)) => {
                let text = to_compact_json(value);
                append_whole(call, &text, text.as_bytes(), self.max_argument_bytes, out)
            }
            Some(Arguments::WholeText(text)) => {
                append_whole(call, text, text.as_bytes(), self.max_argument_bytes, out)
            }
            Some(Arguments::EncodedWhole(bytes)) => append_whole(
                call,
                &String::from_utf8_lossy(bytes),
                bytes,
                self.max_argument_bytes,
                out,
            ),
        }
    }

    /// The provider said the call `key` is over (Anthropic `content_block_stop`, ...):
    /// report it now if its value has not closed yet.
    pub fn end(&mut self, key: i64, out: &mut Vec<Event>) {
        if let Some(call) = self.calls.iter_mut().rev().find(|c| c.key == key) {
            close(call, out);
        }
    }

    /// Every call is over (the turn ended): report the ones still open, in index order.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        for call in &mut self.calls {
            close(call, out);
        }
    }

    /// The calls that have not finished, for a stream that broke off.
    pub fn unfinished(&self) -> Vec<PartialToolCall> {
        self.calls
            .iter()
            .filter(|c| c.state != State::Over)
            .map(Call::partial)
            .collect()
    }

    fn find(&self, key: i64) -> Option<&Call> {
        self.calls.iter().rev().find(|c| c.key == key)
    }

    fn start(
        &mut self,
        key: i64,
        id: Option<&str>,
        name: Option<&str>,
        out: &mut Vec<Event>,
    ) -> Result<usize, DecodeError> {
        let open = self.calls.iter().filter(|c| c.state != State::Over).count();
        if open >= self.max_calls {
            return Err(DecodeError {
                class: ErrorClass::Limit(self.max_calls as u64),
                message: format!(
                    "more than max_calls={} unfinished tool calls",
                    self.max_calls
                ),
                position: 0,
                excerpt: String::new(),
            });
        }
        let call = Call {
            key,
            index: self.calls.len() as u32,
            id: match id {
                Some(id) if !id.is_empty() => id.to_owned(),
                _ => synthesized_id(),
            },
            provided_id: id.is_some_and(|id| !id.is_empty()),
            name: name.unwrap_or_default().to_owned(),
            raw: String::new(),
            size: 0,
            // The byte limit is checked here (with a message naming the call), not by the parser.
            parser: JsonParser::new(DEFAULT_MAX_DEPTH, u64::MAX),
            builder: ValueBuilder::default(),
            state: State::Open,
        };
        out.push(Event::ToolCallStart {
            index: call.index,
            id: call.id.clone(),
            name: call.name.clone(),
        });
        self.calls.push(call);
        Ok(self.calls.len() - 1)
    }
}

/// Add a fragment of the arguments: `text` as reported, `bytes` as counted and parsed (the
/// same but for [`Arguments::Encoded`]).
fn append(
    call: &mut Call,
    text: &str,
    bytes: &[u8],
    max_argument_bytes: u64,
    out: &mut Vec<Event>,
) -> Result<(), DecodeError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let length = call.size + bytes.len() as u64;
    if length > max_argument_bytes {
        return Err(DecodeError {
            class: ErrorClass::Limit(max_argument_bytes),
            message: format!(
                "tool call {} arguments longer than max_argument_bytes={}",
                call.index, max_argument_bytes
            ),
            position: max_argument_bytes,
            excerpt: String::new(),
        });
    }
    // Parsed before the fragment is reported: nesting beyond the depth limit refuses the
    // fragment, as the byte limit does (other errors only make the call invalid).
    let parsed = match &call.state {
        State::Open => Some(call.parser.feed(bytes, &mut call.builder)),
        // Text after the value closed: only whitespace is allowed there.
        State::Over if call.parser.is_complete() => {
            Some(call.parser.feed(bytes, &mut call.builder))
        }
        State::Over | State::Failed(_) => None,
    };
    if let Some(Err(error)) = &parsed {
        if is_too_deep(&error.message) {
            call.state = State::Failed(describe(error));
            return Err(too_deep(call.index, error));
        }
    }
    call.size = length;
    call.raw.push_str(text);
    out.push(Event::ToolCallDelta {
        index: call.index,
        fragment: text.to_owned(),
    });
    match (&call.state, parsed) {
        (State::Open, Some(Ok(true))) if call.builder.has_root() => done(call, out),
        (State::Open, Some(Err(error))) => call.state = State::Failed(describe(&error)),
        (State::Over, Some(Err(error))) => out.push(invalid(call, describe(&error))),
        _ => {}
    }
    Ok(())
}

/// The error for arguments nested deeper than [`DEFAULT_MAX_DEPTH`] (`error` is the
/// parser's); its position is in the arguments, as for the byte limit.
fn too_deep(index: u32, error: &DecodeError) -> DecodeError {
    DecodeError {
        class: ErrorClass::Limit(DEFAULT_MAX_DEPTH as u64),
        message: format!(
            "tool call {index} arguments nested deeper than max_depth={DEFAULT_MAX_DEPTH} \
             (byte {} of the arguments)",
            error.position
        ),
        position: error.position,
        excerpt: error.excerpt.clone(),
    }
}

/// A call whose arguments came whole is over once they are added.
fn append_whole(
    call: &mut Call,
    text: &str,
    bytes: &[u8],
    max_argument_bytes: u64,
    out: &mut Vec<Event>,
) -> Result<(), DecodeError> {
    append(call, text, bytes, max_argument_bytes, out)?;
    if call.state == State::Open {
        close(call, out);
    }
    Ok(())
}

/// The call is over: report its value, or why it has none.
fn close(call: &mut Call, out: &mut Vec<Event>) {
    match std::mem::replace(&mut call.state, State::Over) {
        State::Over => {}
        State::Failed(error) => out.push(invalid(call, error)),
        State::Open if call.raw.trim_matches(JSON_WHITESPACE).is_empty() => {
            call.builder = ValueBuilder::default();
            out.push(Event::ToolCallDone {
                index: call.index,
                id: call.id.clone(),
                name: call.name.clone(),
                arguments: Value::Object(Vec::new()),
                raw: call.raw.clone(),
            });
        }
        State::Open => match call.parser.finish(&mut call.builder) {
            Ok(()) => {
                call.state = State::Open;
                done(call, out);
            }
            Err(error) => out.push(invalid(call, describe(&error))),
        },
    }
}

const JSON_WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

fn done(call: &mut Call, out: &mut Vec<Event>) {
    call.state = State::Over;
    out.push(Event::ToolCallDone {
        index: call.index,
        id: call.id.clone(),
        name: call.name.clone(),
        arguments: call.builder.take().unwrap_or(Value::Null),
        raw: call.raw.clone(),
    });
}

fn invalid(call: &Call, error: String) -> Event {
    Event::ToolCallInvalid {
        index: call.index,
        id: call.id.clone(),
        name: call.name.clone(),
        raw: call.raw.clone(),
        error,
    }
}

fn describe(error: &DecodeError) -> String {
    format!(
        "{} (byte {} of the arguments)",
        error.message, error.position
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrays(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    fn names(events: &[Event]) -> Vec<&'static str> {
        events
            .iter()
            .map(|event| match event {
                Event::ToolCallStart { .. } => "start",
                Event::ToolCallDelta { .. } => "delta",
                Event::ToolCallDone { .. } => "done",
                Event::ToolCallInvalid { .. } => "invalid",
                _ => "other",
            })
            .collect()
    }

    #[test]
    fn text_arguments_nest_to_the_default_depth_and_no_further() {
        let mut assembler = ToolCallAssembler::default();
        let mut out = Vec::new();
        let text = arrays(DEFAULT_MAX_DEPTH);
        let (head, tail) = text.split_at(100);
        assembler
            .add(
                0,
                Some("a"),
                Some("f"),
                Some(Arguments::Fragment(head)),
                &mut out,
            )
            .unwrap();
        assembler
            .add(0, None, None, Some(Arguments::Fragment(tail)), &mut out)
            .unwrap();
        assert_eq!(names(&out), ["start", "delta", "delta", "done"]);

        out.clear();
        let deeper = "[".repeat(DEFAULT_MAX_DEPTH + 1);
        let error = assembler
            .add(
                1,
                Some("b"),
                Some("f"),
                Some(Arguments::Fragment(&deeper)),
                &mut out,
            )
            .unwrap_err();
        assert_eq!(error.class, ErrorClass::Limit(DEFAULT_MAX_DEPTH as u64));
        assert_eq!(error.position, DEFAULT_MAX_DEPTH as u64);
        assert_eq!(
            error.message,
            "tool call 1 arguments nested deeper than max_depth=256 (byte 256 of the arguments)"
        );
        // The fragment is refused; the call ends invalid.
        assert_eq!(names(&out), ["start"]);
        out.clear();
        assembler.finish(&mut out);
        assert!(matches!(&out[..], [Event::ToolCallInvalid { raw, .. }] if raw.is_empty()));
    }

    #[test]
    fn a_whole_value_of_any_depth_is_refused_on_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let mut value = Value::Object(Vec::new());
                for _ in 0..1_000_000 {
                    value = Value::Array(vec![value]);
                }
                let mut assembler = ToolCallAssembler::default();
                let mut out = Vec::new();
                let error = assembler
                    .add(
                        0,
                        Some("a"),
                        Some("f"),
                        Some(Arguments::Whole(&value)),
                        &mut out,
                    )
                    .unwrap_err();
                assert_eq!(error.position, DEFAULT_MAX_DEPTH as u64);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn encoded_fragments_are_counted_and_parsed_as_bytes() {
        // `"` + a lone surrogate with surrogatepass (3 bytes) + `"`.
        let bytes = b"\"\xed\xa0\x80\"";
        let mut assembler = ToolCallAssembler::new(64, 6);
        let mut out = Vec::new();
        assembler
            .add(
                0,
                Some("a"),
                Some("f"),
                Some(Arguments::Encoded(bytes)),
                &mut out,
            )
            .unwrap();
        assembler
            .add(0, None, None, Some(Arguments::Fragment(" ")), &mut out)
            .unwrap();
        let error = assembler
            .add(0, None, None, Some(Arguments::Fragment(" ")), &mut out)
            .unwrap_err();
        assert_eq!(error.position, 6, "5 bytes, then 6, then over the limit");
        out.clear();
        assembler.finish(&mut out);
        let [Event::ToolCallInvalid { error, .. }] = &out[..] else {
            panic!("{out:?}");
        };
        assert_eq!(
            error,
            "invalid JSON: invalid UTF-8 in string (byte 1 of the arguments)"
        );
    }
}
