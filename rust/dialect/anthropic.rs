//! Anthropic Messages streams: SSE events named like their JSON `type` (`message_start`,
//! `content_block_start` / `_delta` / `_stop`, `message_delta`, `message_stop`), `ping`
//! keep-alives, and `event: error` for an error inside the stream.
//!
//! - Events are told apart by their SSE `event:` name; a block without one (`message`) by the
//!   JSON `type`. `ping` and unknown names are skipped without parsing their data.
//! - Text: `text_delta` (and a non-empty initial `text`). Reasoning: `thinking_delta` (and a
//!   non-empty initial `thinking`); `signature_delta` and `redacted_thinking` are not text.
//! - Tool calls: `tool_use` blocks, keyed by content-block index (the assembler numbers calls
//!   0, 1, ... among tool calls); `input_json_delta` fragments; `content_block_stop` ends the
//!   call. Blocks started as another type (`server_tool_use`, ...) are not client tool calls:
//!   their fragments are ignored. A `tool_use` block whose initial `input` is a non-empty
//!   object and which gets no `input_json_delta` (some compatible servers) is reported with
//!   that object, as the SDK does, when the block (or the message) ends.
//! - Usage: sent in `message_start` (input side, initial output) and `message_delta`
//!   (cumulative output, maybe input again). Each field of a later report replaces the one
//!   before, a missing field keeps the earlier value, so the last `Usage` is the total.
//!   `input_tokens` = `input_tokens` + `cache_read_input_tokens` +
//!   `cache_creation_input_tokens`.

use std::collections::HashMap;

use crate::error::DecodeError;
use crate::events::Usage;
use crate::json::Value;
use crate::toolcall::Arguments;

use super::frame::{at, parse_frame, str_of, u64_of, Dialect, Frame};
use super::output::Output;

/// Event names whose data is decoded; every other name is skipped.
const HANDLED: &[&str] = &[
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "error",
];

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Anthropic {
    /// Whether each content block seen so far is a client `tool_use` block.
    tool_blocks: HashMap<i64, bool>,
    /// Initial `input` objects of `tool_use` blocks that have had no fragment yet.
    initial_inputs: Vec<(i64, Value)>,
    /// The usage reported so far (raw Anthropic counts, later fields over earlier ones).
    counts: Counts,
}

impl Dialect for Anthropic {
    fn frame(&mut self, frame: Frame<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError> {
        let Frame::Sse { event, data } = frame else {
            return Ok(());
        };
        let named = event != "message";
        if named && !HANDLED.contains(&event) {
            return Ok(());
        }
        let payload = parse_frame(data.as_bytes(), start, "anthropic")?;
        let kind = if named {
            event
        } else {
            str_of(&payload, "type").unwrap_or("")
        };
        match kind {
            "message_start" => {
                let message = payload.get("message");
                if let Some(usage) = message.and_then(|m| m.get("usage")) {
                    self.usage(usage, out);
                }
                if let Some(message) = message {
                    Self::complete_content(message, out)?;
                }
            }
            "content_block_start" => self.block_start(&payload, out)?,
            "content_block_delta" => self.block_delta(&payload, out)?,
            "content_block_stop" => {
                let key = block_key(&payload);
                self.release_initial_input(Some(key), out)?;
                out.tool_end(key);
            }
            "message_delta" => {
                self.release_initial_input(None, out)?;
                let reason = payload.get("delta").and_then(|d| str_of(d, "stop_reason"));
                match reason {
                    Some(reason) if !reason.is_empty() => out.stop(reason),
                    _ => {}
                }
                if let Some(usage) = payload.get("usage") {
                    self.usage(usage, out);
                }
            }
            "message_stop" => {
                self.release_initial_input(None, out)?;
                out.end();
            }
            "error" => {
                self.release_initial_input(None, out)?;
                let error = payload.get("error");
                // Without an `error` member (some proxies) the payload itself holds the message.
                let source = Value::non_null(error).unwrap_or(&payload);
                let message = str_of(source, "message")
                    .or_else(|| source.as_str())
                    .unwrap_or("");
                out.provider_error(error.and_then(|e| str_of(e, "type")), message, data);
            }
            _ => {}
        }
        Ok(())
    }

    fn end_marker(&self) -> &'static str {
        "event: message_stop"
    }
}

impl Anthropic {
    fn block_start(&mut self, payload: &Value, out: &mut Output) -> Result<(), DecodeError> {
        let key = block_key(payload);
        let block = payload.get("content_block");
        let block_type = block.and_then(|b| str_of(b, "type"));
        self.tool_blocks.insert(key, block_type == Some("tool_use"));
        self.initial_inputs.retain(|(k, _)| *k != key);
        let Some(block) = block else {
            return Ok(());
        };
        match block_type {
            Some("text") => out.text(str_of(block, "text").unwrap_or(""), 0),
            Some("thinking") => out.reasoning(str_of(block, "thinking").unwrap_or("")),
            Some("tool_use") => {
                out.tool(key, str_of(block, "id"), str_of(block, "name"), None)?;
                if let Some(input @ Value::Object(members)) = block.get("input") {
                    if !members.is_empty() {
                        self.initial_inputs.push((key, input.clone()));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn block_delta(&mut self, payload: &Value, out: &mut Output) -> Result<(), DecodeError> {
        let key = block_key(payload);
        let Some(delta) = payload.get("delta") else {
            return Ok(());
        };
        match str_of(delta, "type") {
            Some("text_delta") => out.text(str_of(delta, "text").unwrap_or(""), 0),
            Some("thinking_delta") => out.reasoning(str_of(delta, "thinking").unwrap_or("")),
            Some("input_json_delta") if self.tool_blocks.get(&key) != Some(&false) => {
                if let Some(fragment) = str_of(delta, "partial_json") {
                    // Fragments replace an initial input object, as in the SDK.
                    self.initial_inputs.retain(|(k, _)| *k != key);
                    out.tool(key, None, None, Some(Arguments::Fragment(fragment)))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Report the initial input of block `key` (every block when `None`) that got no
    /// fragments.
    fn release_initial_input(
        &mut self,
        key: Option<i64>,
        out: &mut Output,
    ) -> Result<(), DecodeError> {
        let (released, kept) = std::mem::take(&mut self.initial_inputs)
            .into_iter()
            .partition(|(k, _)| key.is_none_or(|key| *k == key));
        self.initial_inputs = kept;
        for (k, input) in released {
            out.tool(k, None, None, Some(Arguments::Whole(&input)))?;
        }
        Ok(())
    }

    /// Blocks that `message_start` already carries whole (a programmatic tool call resumed
    /// by the server): their text, thinking and tool calls, keyed by their content index,
    /// and the message's stop reason.
    fn complete_content(message: &Value, out: &mut Output) -> Result<(), DecodeError> {
        let content = message.get("content").and_then(Value::as_array);
        for (index, block) in content.unwrap_or(&[]).iter().enumerate() {
            match str_of(block, "type") {
                Some("text") => out.text(str_of(block, "text").unwrap_or(""), 0),
                Some("thinking") => out.reasoning(str_of(block, "thinking").unwrap_or("")),
                Some("tool_use") => {
                    let key = (index as u64 & 0xFFFF_FFFF) as i64;
                    let input = block
                        .get("input")
                        .filter(|input| matches!(input, Value::Object(m) if !m.is_empty()));
                    let id = str_of(block, "id");
                    out.tool(key, id, str_of(block, "name"), input.map(Arguments::Whole))?;
                    out.tool_end(key);
                }
                _ => {}
            }
        }
        match str_of(message, "stop_reason") {
            Some(reason) if !reason.is_empty() => out.stop(reason),
            _ => {}
        }
        Ok(())
    }

    fn usage(&mut self, usage: &Value, out: &mut Output) {
        if !usage.is_object() {
            return;
        }
        self.counts = Counts::of(usage).or(&self.counts);
        out.usage(self.counts.usage());
    }
}

/// The content-block index of an event, as the tool-call key (cut to 32 bits, on both
/// backends).
fn block_key(payload: &Value) -> i64 {
    (u64_of(payload, "index").unwrap_or(0) & 0xFFFF_FFFF) as i64
}

/// Anthropic's token counts, as sent.
#[derive(Clone, Debug, Default)]
struct Counts {
    input: Option<u64>,
    cache_read: Option<u64>,
    cache_write: Option<u64>,
    output: Option<u64>,
    /// `output_tokens_details.thinking_tokens` (part of `output`), when sent.
    thinking: Option<u64>,
}

impl Counts {
    fn of(usage: &Value) -> Self {
        Self {
            input: u64_of(usage, "input_tokens"),
            cache_read: u64_of(usage, "cache_read_input_tokens"),
            cache_write: u64_of(usage, "cache_creation_input_tokens"),
            output: u64_of(usage, "output_tokens"),
            thinking: at(usage, &["output_tokens_details", "thinking_tokens"])
                .and_then(Value::as_u64),
        }
    }

    /// These counts, with `earlier` filling the fields they lack.
    fn or(self, earlier: &Self) -> Self {
        Self {
            input: self.input.or(earlier.input),
            cache_read: self.cache_read.or(earlier.cache_read),
            cache_write: self.cache_write.or(earlier.cache_write),
            output: self.output.or(earlier.output),
            thinking: self.thinking.or(earlier.thinking),
        }
    }

    /// The normalized usage: every input token, cached or not, in `input_tokens`.
    fn usage(&self) -> Usage {
        let cached = self
            .cache_read
            .unwrap_or(0)
            .saturating_add(self.cache_write.unwrap_or(0));
        Usage {
            input_tokens: self.input.map(|input| input.saturating_add(cached)),
            output_tokens: self.output,
            total_tokens: None,
            cache_read_tokens: self.cache_read,
            cache_write_tokens: self.cache_write,
            reasoning_tokens: self.thinking,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::StreamDecoder;
    use crate::error::ErrorClass;
    use crate::events::{Event, FinishReason, Usage};

    fn sse(events: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, data) in events {
            out.extend_from_slice(format!("event: {name}\ndata: {data}\n\n").as_bytes());
        }
        out
    }

    fn decode(stream: &[u8]) -> Vec<Event> {
        let mut decoder = StreamDecoder::new("anthropic").unwrap();
        let mut events = decoder.feed(stream).unwrap();
        events.extend(decoder.finish(true).unwrap());
        events
    }

    fn usages(events: &[Event]) -> Vec<Usage> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Usage(usage) => Some(usage.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn usage_counts_cache_tokens_and_keeps_input_side() {
        let events = decode(&sse(&[
            (
                "message_start",
                r#"{"type":"message_start","message":{"usage":{"input_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":1}}}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":9}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ]));
        let total = Usage {
            input_tokens: Some(125),
            output_tokens: Some(9),
            total_tokens: Some(134),
            cache_read_tokens: Some(100),
            cache_write_tokens: Some(20),
            reasoning_tokens: None,
        };
        let usages = usages(&events);
        assert_eq!(usages.len(), 2);
        assert_eq!(usages[0].output_tokens, Some(1));
        assert_eq!(usages[1], total);
        assert!(matches!(
            events.last(),
            Some(Event::Finish { reason: FinishReason::Length, raw_reason: Some(raw) }) if raw == "max_tokens"
        ));
    }

    #[test]
    fn tool_index_counts_tool_calls_not_blocks() {
        let events = decode(&sse(&[
            (
                "content_block_start",
                r#"{"index":0,"content_block":{"type":"thinking","thinking":""}}"#,
            ),
            (
                "content_block_delta",
                r#"{"index":0,"delta":{"type":"signature_delta","signature":"c2ln"}}"#,
            ),
            (
                "content_block_start",
                r#"{"index":1,"content_block":{"type":"server_tool_use","id":"srv","name":"web_search","input":{}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"index":1,"delta":{"type":"input_json_delta","partial_json":"{\"q\":1}"}}"#,
            ),
            (
                "content_block_start",
                r#"{"index":2,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"index":2,"delta":{"type":"input_json_delta","partial_json":""}}"#,
            ),
            ("content_block_stop", r#"{"index":2}"#),
            ("message_stop", "{}"),
        ]));
        assert_eq!(
            events[0],
            Event::ToolCallStart {
                index: 0,
                id: "t".into(),
                name: "f".into()
            }
        );
        assert!(matches!(&events[1], Event::ToolCallDone { index: 0, raw, .. } if raw.is_empty()));
        assert_eq!(events.len(), 3);
    }

    #[test]
    fn initial_input_without_fragments_is_reported_whole() {
        let events = decode(&sse(&[
            (
                "content_block_start",
                r#"{"index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{"a":1}}}"#,
            ),
            ("content_block_stop", r#"{"index":0}"#),
            ("message_stop", "{}"),
        ]));
        assert!(
            matches!(&events[1], Event::ToolCallDelta { fragment, .. } if fragment == r#"{"a":1}"#)
        );
        assert!(matches!(&events[2], Event::ToolCallDone { raw, .. } if raw == r#"{"a":1}"#));
    }

    #[test]
    fn error_event_ends_the_stream_and_bad_json_points_at_the_frame() {
        let events = decode(&sse(&[(
            "error",
            r#"{"type":"error","error":{"type":"api_error","message":"boom"}}"#,
        )]));
        assert!(
            matches!(&events[0], Event::ProviderError { error_type: Some(t), message, .. } if t == "api_error" && message == "boom")
        );
        let mut decoder = StreamDecoder::new("anthropic").unwrap();
        let stream = sse(&[("ping", "not json"), ("message_start", "{nope")]);
        let failure = decoder.feed(&stream).unwrap_err();
        assert_eq!(failure.error.class, ErrorClass::Json);
        assert_eq!(failure.error.position, 28);
    }
}
