//! OpenAI Responses API streams (`/v1/responses` with `stream: true`): SSE events whose
//! `type` names what they carry; the stream ends with `response.completed`,
//! `response.incomplete`, `response.failed` or an `error` event (there is no `[DONE]`).
//!
//! Text comes from `response.output_text.delta` (and `response.refusal.delta`), reasoning
//! from `response.reasoning_summary_text.delta` and `response.reasoning_text.delta`. A
//! function call is an output item: `response.output_item.added` carries its `call_id`
//! (the id a client sends back, so the id of the events) and name,
//! `response.function_call_arguments.delta` the argument fragments and
//! `response.function_call_arguments.done` the explicit end of the call. Calls are keyed by
//! `output_index`; a frame without one is matched by its item id, else to the latest call.

use crate::error::DecodeError;
use crate::events::Usage;
use crate::json::Value;
use crate::toolcall::Arguments;

use super::error_fields::{error_event, error_fields};
use super::frame::{at, parse_frame_keeping, str_of, u64_of, Dialect, Frame};
use super::output::Output;

/// A function-call output item seen so far.
#[derive(Debug)]
struct Item {
    key: i64,
    item_id: Option<String>,
    /// Whether argument text has arrived (fragments, or the whole text on a `done` frame).
    has_arguments: bool,
}

/// The top-level members this dialect reads (the others are parsed, not built).
const MEMBERS: &[&str] = &[
    "type",
    "delta",
    "item",
    "item_id",
    "output_index",
    "arguments",
    "response",
    "error",
    "code",
    "message",
];

/// See the module documentation.
#[derive(Debug, Default)]
pub struct OpenAiResponses {
    items: Vec<Item>,
    /// Keys handed to items without an `output_index` (negative: never an index).
    unindexed: i64,
}

impl Dialect for OpenAiResponses {
    fn frame(&mut self, frame: Frame<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError> {
        let Frame::Sse { event, data } = frame else {
            return Ok(());
        };
        // Not this API's end marker; a stream that only has it is reported as truncated.
        if data.trim() == "[DONE]" {
            return Ok(());
        }
        let chunk = parse_frame_keeping(data, start, "openai-responses", MEMBERS)?;
        match str_of(&chunk, "type").unwrap_or(event) {
            "response.output_text.delta" | "response.refusal.delta" => {
                out.text(str_of(&chunk, "delta").unwrap_or(""), 0);
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                out.reasoning(str_of(&chunk, "delta").unwrap_or(""));
            }
            "response.output_item.added" => self.item(&chunk, false, out)?,
            "response.output_item.done" => self.item(&chunk, true, out)?,
            "response.function_call_arguments.delta" => {
                let key = self.key_of(&chunk, str_of(&chunk, "item_id"));
                self.arguments(key, None, None, str_of(&chunk, "delta"), out)?;
            }
            "response.function_call_arguments.done" => {
                let key = self.key_of(&chunk, str_of(&chunk, "item_id"));
                self.late_arguments(key, None, None, str_of(&chunk, "arguments"), out)?;
                out.tool_end(key);
            }
            "response.completed" => finished(&chunk, "completed", out),
            "response.incomplete" => {
                let reason = at(&chunk, &["response", "incomplete_details", "reason"])
                    .and_then(Value::as_str)
                    .filter(|reason| !reason.is_empty())
                    .unwrap_or("incomplete");
                finished(&chunk, reason, out);
            }
            "response.failed" => {
                if let Some(usage) = usage_of(&chunk) {
                    out.usage(usage);
                }
                let (error_type, message) = at(&chunk, &["response", "error"])
                    .map(error_fields)
                    .unwrap_or_default();
                out.provider_error(error_type.as_deref(), &message, data);
            }
            "error" => {
                let (error_type, message) = error_event(&chunk);
                out.provider_error(error_type.as_deref(), &message, data);
            }
            _ => {}
        }
        Ok(())
    }

    fn end_marker(&self) -> &'static str {
        "response.completed, response.incomplete, response.failed or error"
    }
}

impl OpenAiResponses {
    /// `response.output_item.added` / `.done`: only function calls matter (message text and
    /// reasoning were streamed). `done` is the last word on the call: it supplies arguments
    /// that never came as fragments, and ends the call.
    fn item(&mut self, chunk: &Value, done: bool, out: &mut Output) -> Result<(), DecodeError> {
        let Some(item) = chunk.get("item") else {
            return Ok(());
        };
        if str_of(item, "type") != Some("function_call") {
            return Ok(());
        }
        let item_id = str_of(item, "id");
        let key = if done {
            self.key_of(chunk, item_id)
        } else {
            self.new_key(chunk, item_id)
        };
        let id = str_of(item, "call_id").or(item_id);
        let name = str_of(item, "name");
        let arguments = str_of(item, "arguments");
        if done {
            self.late_arguments(key, id, name, arguments, out)?;
            out.tool_end(key);
            Ok(())
        } else {
            self.arguments(key, id, name, arguments, out)
        }
    }

    /// Argument text for the call `key` (starting it when it is new).
    fn arguments(
        &mut self,
        key: i64,
        id: Option<&str>,
        name: Option<&str>,
        text: Option<&str>,
        out: &mut Output,
    ) -> Result<(), DecodeError> {
        let item = self.item_mut(key);
        if text.is_some_and(|text| !text.is_empty()) {
            item.has_arguments = true;
        }
        out.tool(key, id, name, text.map(Arguments::Fragment))
    }

    /// The whole argument text on a frame that ends the call: used only when no fragment
    /// came (a server that skips the deltas), so nothing is counted twice.
    fn late_arguments(
        &mut self,
        key: i64,
        id: Option<&str>,
        name: Option<&str>,
        text: Option<&str>,
        out: &mut Output,
    ) -> Result<(), DecodeError> {
        if self.item_mut(key).has_arguments {
            return Ok(());
        }
        self.arguments(key, id, name, text, out)
    }

    /// The key of a new item: its `output_index`, else a fresh negative key.
    fn new_key(&mut self, chunk: &Value, item_id: Option<&str>) -> i64 {
        let key = match u64_of(chunk, "output_index") {
            Some(index) => index_key(index),
            None => {
                self.unindexed += 1;
                -self.unindexed
            }
        };
        self.items.push(Item {
            key,
            item_id: item_id.map(str::to_owned),
            has_arguments: false,
        });
        key
    }

    /// The key of the item a frame is about: its `output_index`, else the item with its
    /// item id, else the latest item (else a new one).
    fn key_of(&mut self, chunk: &Value, item_id: Option<&str>) -> i64 {
        if let Some(index) = u64_of(chunk, "output_index") {
            return index_key(index);
        }
        let known = item_id.and_then(|item_id| {
            self.items
                .iter()
                .rev()
                .find(|item| item.item_id.as_deref() == Some(item_id))
        });
        match known.or(self.items.last()) {
            Some(item) => item.key,
            None => self.new_key(chunk, item_id),
        }
    }

    fn item_mut(&mut self, key: i64) -> &mut Item {
        let slot = match self.items.iter().rposition(|item| item.key == key) {
            Some(slot) => slot,
            None => {
                self.items.push(Item {
                    key,
                    item_id: None,
                    has_arguments: false,
                });
                self.items.len() - 1
            }
        };
        &mut self.items[slot]
    }
}

/// An `output_index` as an assembler key (non-negative, so never an unindexed key).
fn index_key(index: u64) -> i64 {
    (index & 0x7FFF_FFFF_FFFF_FFFF) as i64
}

/// `response.completed` / `response.incomplete`: the stop word, the usage, then `Finish`.
fn finished(chunk: &Value, raw_reason: &str, out: &mut Output) {
    out.stop(raw_reason);
    if let Some(usage) = usage_of(chunk) {
        out.usage(usage);
    }
    out.end();
}

/// `response.usage` (`input_tokens` already counts the cached ones).
fn usage_of(chunk: &Value) -> Option<Usage> {
    let usage = Value::non_null(at(chunk, &["response", "usage"]))?;
    Some(Usage {
        input_tokens: u64_of(usage, "input_tokens"),
        output_tokens: u64_of(usage, "output_tokens"),
        total_tokens: u64_of(usage, "total_tokens"),
        cache_read_tokens: at(usage, &["input_tokens_details", "cached_tokens"])
            .and_then(Value::as_u64),
        cache_write_tokens: None,
        reasoning_tokens: at(usage, &["output_tokens_details", "reasoning_tokens"])
            .and_then(Value::as_u64),
    })
}

#[cfg(test)]
mod tests {
    use crate::dialect::StreamDecoder;
    use crate::events::{Event, FinishReason};

    fn decode(data: &[u8]) -> Vec<Event> {
        let mut decoder = StreamDecoder::new("openai-responses").unwrap();
        let mut events = decoder.feed(data).unwrap();
        events.extend(decoder.finish(true).unwrap());
        events
    }

    #[test]
    fn transcript_function_call() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/spec/transcripts/openai_responses_function_call.txt"
        );
        let events = decode(&std::fs::read(path).unwrap());
        let done: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::ToolCallDone { id, name, raw, .. } => {
                    Some((id.as_str(), name.as_str(), raw.as_str()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            done,
            [("call_7VaiUXZYuuuwWwviCrckxq6t", "add", r#"{"a":3,"b":5}"#)]
        );
        let Some(Event::Usage(usage)) = events.iter().rev().nth(1) else {
            panic!("{events:?}");
        };
        assert_eq!(
            (usage.input_tokens, usage.output_tokens, usage.total_tokens),
            (Some(58), Some(18), Some(76))
        );
        assert_eq!(
            events.last(),
            Some(&Event::Finish {
                reason: FinishReason::ToolCalls,
                raw_reason: Some("completed".into())
            })
        );
    }

    #[test]
    fn incomplete_and_error_events() {
        let incomplete = b"data: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n\
            data: {\"type\":\"response.incomplete\",\"response\":{\"incomplete_details\":\
            {\"reason\":\"max_output_tokens\"}}}\n\n";
        let events = decode(incomplete);
        assert_eq!(
            events.last(),
            Some(&Event::Finish {
                reason: FinishReason::Length,
                raw_reason: Some("max_output_tokens".into())
            })
        );
        let error = b"event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"boom\"}\n\n";
        let events = decode(error);
        assert!(matches!(
            &events[0],
            Event::ProviderError { error_type: Some(t), message, .. } if t == "server_error" && message == "boom"
        ));
    }
}
