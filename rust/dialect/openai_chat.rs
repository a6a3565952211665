//! OpenAI Chat Completions streams (`chat.completion.chunk` objects over SSE, ending with
//! `data: [DONE]`), as sent by OpenAI, Azure OpenAI and every OpenAI-compatible server.

use crate::error::DecodeError;
use crate::events::Usage;
use crate::json::{Shape, Value};
use crate::toolcall::Arguments;

use super::frame::{at, parse_frame_shaped, str_of, u64_of, Dialect, Frame};
use super::output::Output;

/// The parts of a chunk this dialect reads (ids, model, fingerprints, roles and
/// log-probabilities are parsed but not built).
const CHUNK: Shape = Shape::Nested(&[("choices", CHOICE), ("usage", ALL), ("error", ALL)]);
const CHOICE: Shape = Shape::Nested(&[("index", ALL), ("finish_reason", ALL), ("delta", DELTA)]);
const DELTA: Shape = Shape::Nested(&[
    ("content", ALL),
    ("reasoning_content", ALL),
    ("reasoning", ALL),
    ("refusal", ALL),
    ("tool_calls", TOOL_CALL),
]);
const TOOL_CALL: Shape = Shape::Nested(&[
    ("index", ALL),
    ("id", ALL),
    ("function", Shape::Members(&["name", "arguments"])),
]);
const ALL: Shape = Shape::All;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct OpenAiChat {
    /// Calls without an `index` (some compatible servers): the key of the latest one.
    unindexed_key: Option<i64>,
    unindexed_count: i64,
}

impl Dialect for OpenAiChat {
    fn frame(&mut self, frame: Frame<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError> {
        let Frame::Sse { data, .. } = frame else {
            return Ok(());
        };
        if data.trim() == "[DONE]" {
            out.end();
            return Ok(());
        }
        let chunk = parse_frame_shaped(data, start, "openai-chat", CHUNK)?;
        if let Some(error) = Value::non_null(chunk.get("error")) {
            report_error(error, data, out);
            return Ok(());
        }
        for choice in chunk
            .get("choices")
            .and_then(Value::as_array)
            .unwrap_or(&[])
        {
            self.choice(choice, out)?;
        }
        if let Some(usage) = Value::non_null(chunk.get("usage")) {
            out.usage(openai_usage(usage));
        }
        Ok(())
    }

    fn end_marker(&self) -> &'static str {
        "data: [DONE]"
    }
}

impl OpenAiChat {
    fn choice(&mut self, choice: &Value, out: &mut Output) -> Result<(), DecodeError> {
        // Indexes are 32-bit (a bigger one is cut to its low 32 bits, on both backends).
        let choice_index = u64_of(choice, "index").unwrap_or(0) & 0xFFFF_FFFF;
        if let Some(delta) = choice.get("delta") {
            let reasoning = str_of(delta, "reasoning_content")
                .filter(|text| !text.is_empty())
                .or_else(|| str_of(delta, "reasoning"));
            out.reasoning(reasoning.unwrap_or(""));
            out.text(str_of(delta, "content").unwrap_or(""), choice_index as u32);
            out.text(str_of(delta, "refusal").unwrap_or(""), choice_index as u32);
            for call in delta
                .get("tool_calls")
                .and_then(Value::as_array)
                .unwrap_or(&[])
            {
                self.tool_call(choice_index, call, out)?;
            }
        }
        match str_of(choice, "finish_reason") {
            Some(reason) if !reason.is_empty() => out.stop(reason),
            _ => {}
        }
        Ok(())
    }

    fn tool_call(
        &mut self,
        choice: u64,
        call: &Value,
        out: &mut Output,
    ) -> Result<(), DecodeError> {
        let id = str_of(call, "id");
        let key = match u64_of(call, "index") {
            Some(index) => ((choice << 32) | (index & 0xFFFF_FFFF)) as i64,
            None => self.unindexed(id),
        };
        let function = call.get("function");
        let name = function.and_then(|f| str_of(f, "name"));
        let arguments = match function.and_then(|f| f.get("arguments")) {
            Some(Value::String(text)) => Some(Arguments::Fragment(text)),
            Some(value @ (Value::Object(_) | Value::Array(_))) => Some(Arguments::Whole(value)),
            _ => None,
        };
        out.tool(key, id, name, arguments)
    }

    /// A fragment without `index`: a new non-empty id starts a call, anything else continues
    /// the latest one.
    fn unindexed(&mut self, id: Option<&str>) -> i64 {
        match (self.unindexed_key, id) {
            (Some(key), None | Some("")) => key,
            _ => {
                self.unindexed_count += 1;
                let key = -self.unindexed_count;
                self.unindexed_key = Some(key);
                key
            }
        }
    }
}

/// An `{"error": {...}}` payload: OpenAI's mid-stream error (OpenRouter adds `code`).
fn report_error(error: &Value, raw: &str, out: &mut Output) {
    let error_type = str_of(error, "type")
        .map(str::to_owned)
        .or_else(|| error.get("code").map(scalar_text));
    let message = str_of(error, "message")
        .map(str::to_owned)
        .or_else(|| error.as_str().map(str::to_owned))
        .unwrap_or_default();
    out.provider_error(error_type.as_deref(), &message, raw);
}

/// A string or number as text (error codes come as either).
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Integer(text) => text.clone(),
        other => crate::json::to_compact_json(other),
    }
}

/// OpenAI usage (also DeepSeek's `prompt_cache_hit_tokens`).
pub fn openai_usage(usage: &Value) -> Usage {
    Usage {
        input_tokens: u64_of(usage, "prompt_tokens"),
        output_tokens: u64_of(usage, "completion_tokens"),
        total_tokens: u64_of(usage, "total_tokens"),
        cache_read_tokens: at(usage, &["prompt_tokens_details", "cached_tokens"])
            .and_then(Value::as_u64)
            .or_else(|| u64_of(usage, "prompt_cache_hit_tokens")),
        cache_write_tokens: None,
        reasoning_tokens: at(usage, &["completion_tokens_details", "reasoning_tokens"])
            .and_then(Value::as_u64),
    }
}
