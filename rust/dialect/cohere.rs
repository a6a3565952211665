//! Cohere v2 chat streams (`/v2/chat` with `stream: true`): SSE events whose `type` names
//! what they carry; the stream ends with `message-end`, after which a `data: [DONE]` may
//! follow (ignored, as is a `[DONE]` before it: only `message-end` says how the turn ended).
//!
//! Text comes from `content-delta` text and from `tool-plan-delta` (the plan is text shown to
//! the user), reasoning from `thinking` content. A tool call is `tool-call-start` (id, name),
//! `tool-call-delta` fragments and `tool-call-end` (its explicit end), keyed by the event's
//! `index`; events without one belong to the latest call. `message-end` carries the finish
//! word and the usage, whose `tokens` pair is reported (it counts every token the model
//! read and wrote; `billed_units` leaves some out, and is used only when `tokens` is absent).
//! A failure is a `message-end` with `finish_reason: "ERROR"` and an `error` text; a frame
//! with `type: "error"` or a top-level `error` member is reported the same way.

use crate::error::DecodeError;
use crate::events::Usage;
use crate::json::Value;
use crate::toolcall::Arguments;

use super::error_fields::{error_event, error_fields};
use super::frame::{at, parse_frame_keeping, str_of, u64_of, Dialect, Frame};
use super::output::Output;

/// The top-level members this dialect reads (the others are parsed, not built).
const MEMBERS: &[&str] = &["type", "index", "delta", "error", "code", "message"];

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Cohere {
    /// The key of the latest tool call (for events without `index`).
    current: Option<i64>,
    /// Keys handed to calls without `index` (negative: never an index).
    unindexed: i64,
}

impl Dialect for Cohere {
    fn frame(&mut self, frame: Frame<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError> {
        let Frame::Sse { event, data } = frame else {
            return Ok(());
        };
        if data.trim() == "[DONE]" {
            return Ok(());
        }
        let chunk = parse_frame_keeping(data, start, "cohere", MEMBERS)?;
        let kind = str_of(&chunk, "type").unwrap_or(event);
        if kind == "error" || Value::non_null(chunk.get("error")).is_some() {
            let (error_type, message) = error_event(&chunk);
            out.provider_error(error_type.as_deref(), &message, data);
            return Ok(());
        }
        match kind {
            "content-start" | "content-delta" => {
                match at(&chunk, &["delta", "message", "content"]) {
                    Some(Value::Array(parts)) => parts.iter().for_each(|part| content(part, out)),
                    Some(part) => content(part, out),
                    None => {}
                }
            }
            "tool-plan-delta" => {
                let plan = at(&chunk, &["delta", "message", "tool_plan"]).and_then(Value::as_str);
                out.text(plan.unwrap_or(""), 0);
            }
            "tool-call-start" => {
                let key = match u64_of(&chunk, "index") {
                    Some(index) => index_key(index),
                    None => self.unindexed_key(),
                };
                self.current = Some(key);
                tool_call(key, &chunk, out)?;
            }
            "tool-call-delta" => {
                let key = self.key_of(&chunk);
                tool_call(key, &chunk, out)?;
            }
            "tool-call-end" => {
                let key = self.key_of(&chunk);
                out.tool_end(key);
            }
            "message-end" => message_end(&chunk, data, out),
            _ => {}
        }
        Ok(())
    }

    fn end_marker(&self) -> &'static str {
        "message-end"
    }
}

impl Cohere {
    /// The call a `tool-call-delta`/`-end` is about: its `index`, else the latest call.
    fn key_of(&mut self, chunk: &Value) -> i64 {
        let key = match (u64_of(chunk, "index"), self.current) {
            (Some(index), _) => index_key(index),
            (None, Some(key)) => key,
            (None, None) => self.unindexed_key(),
        };
        self.current = Some(key);
        key
    }

    fn unindexed_key(&mut self) -> i64 {
        self.unindexed += 1;
        -self.unindexed
    }
}

/// A tool call's `index` as an assembler key (non-negative, so never an unindexed key).
fn index_key(index: u64) -> i64 {
    (index & 0x7FFF_FFFF_FFFF_FFFF) as i64
}

/// One content part: `{text}` or `{thinking}`.
fn content(part: &Value, out: &mut Output) {
    out.reasoning(str_of(part, "thinking").unwrap_or(""));
    out.text(str_of(part, "text").unwrap_or(""), 0);
}

/// `delta.message.tool_calls` of a tool event: one object (an array: its first element).
fn tool_call(key: i64, chunk: &Value, out: &mut Output) -> Result<(), DecodeError> {
    let call = match at(chunk, &["delta", "message", "tool_calls"]) {
        Some(Value::Array(calls)) => calls.first(),
        other => other,
    };
    let id = call.and_then(|c| str_of(c, "id"));
    let function = call.and_then(|c| c.get("function"));
    let name = function.and_then(|f| str_of(f, "name"));
    let arguments = match function.and_then(|f| f.get("arguments")) {
        Some(Value::String(text)) => Some(Arguments::Fragment(text)),
        Some(value @ (Value::Object(_) | Value::Array(_))) => Some(Arguments::Whole(value)),
        _ => None,
    };
    out.tool(key, id, name, arguments)
}

/// `message-end`: the finish word and usage, or the error that ended the turn.
fn message_end(chunk: &Value, raw: &str, out: &mut Output) {
    let delta = chunk.get("delta");
    let reason = delta.and_then(|d| str_of(d, "finish_reason")).unwrap_or("");
    let usage = delta.and_then(|d| Value::non_null(d.get("usage")));
    let error = delta.and_then(|d| Value::non_null(d.get("error")));
    let (mut error_type, message) = error.map(error_fields).unwrap_or_default();
    if error_type.is_none() {
        // Cohere names the failure beside its text (`"error_type": "INVALID_TOOL_GENERATION"`).
        error_type = delta
            .and_then(|d| str_of(d, "error_type"))
            .filter(|kind| !kind.is_empty())
            .map(str::to_owned);
    }
    if reason == "ERROR" || !message.is_empty() || error_type.is_some() {
        if let Some(usage) = usage.and_then(cohere_usage) {
            out.usage(usage);
        }
        out.provider_error(error_type.as_deref(), &message, raw);
        return;
    }
    if !reason.is_empty() {
        out.stop(reason);
    }
    if let Some(usage) = usage.and_then(cohere_usage) {
        out.usage(usage);
    }
    out.end();
}

/// Cohere usage: the `tokens` pair (every input token), else `billed_units`; none when no
/// count is sent (a failed turn may send `"usage": {}`).
fn cohere_usage(usage: &Value) -> Option<Usage> {
    let counts =
        Value::non_null(usage.get("tokens")).or_else(|| Value::non_null(usage.get("billed_units")));
    let usage = Usage {
        input_tokens: counts.and_then(|c| u64_of(c, "input_tokens")),
        output_tokens: counts.and_then(|c| u64_of(c, "output_tokens")),
        total_tokens: None,
        cache_read_tokens: u64_of(usage, "cached_tokens"),
        cache_write_tokens: None,
        reasoning_tokens: None,
    };
    let counted = [
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_tokens,
    ];
    counted.iter().any(Option::is_some).then_some(usage)
}

#[cfg(test)]
mod tests {
    use crate::dialect::StreamDecoder;
    use crate::events::{Event, FinishReason};

    fn decode(data: &[u8]) -> Vec<Event> {
        let mut decoder = StreamDecoder::new("cohere").unwrap();
        let mut events = decoder.feed(data).unwrap();
        events.extend(decoder.finish(true).unwrap());
        events
    }

    #[test]
    fn transcript_tool_call() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/spec/transcripts/cohere_v2_tool_call.txt"
        );
        let events = decode(&std::fs::read(path).unwrap());
        let text: String = events
            .iter()
            .filter_map(|e| match e {
                Event::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            text,
            "I will search for the weather in Madrid and Brasilia."
        );
        let done: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::ToolCallDone { index, id, raw, .. } => {
                    Some((*index, id.as_str(), raw.as_str()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            done,
            [
                (
                    0,
                    "get_weather_p1t92w7gfgq7",
                    "{\n    \"location\": \"Madrid\"\n}"
                ),
                (
                    1,
                    "get_weather_ay6nmvjgp9vn",
                    "{\n    \"location\": \"Brasilia\"\n}"
                ),
            ]
        );
        let Some(Event::Usage(usage)) = events.iter().rev().nth(1) else {
            panic!("{events:?}");
        };
        assert_eq!(
            (usage.input_tokens, usage.output_tokens),
            (Some(913), Some(83))
        );
        assert_eq!(
            events.last(),
            Some(&Event::Finish {
                reason: FinishReason::ToolCalls,
                raw_reason: Some("TOOL_CALL".into())
            })
        );
    }

    #[test]
    fn error_in_message_end() {
        let data = b"data: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"ERROR\",\
            \"error\":\"internal\"}}\n\n";
        let events = decode(data);
        assert_eq!(
            events,
            [
                Event::ProviderError {
                    error_type: None,
                    message: "internal".into(),
                    raw: std::str::from_utf8(&data[6..data.len() - 2])
                        .unwrap()
                        .into(),
                },
                Event::Finish {
                    reason: FinishReason::Error,
                    raw_reason: None
                },
            ]
        );
    }
}
