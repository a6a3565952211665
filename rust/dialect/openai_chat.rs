//! OpenAI Chat Completions streams (`chat.completion.chunk` objects over SSE, ending with
//! `data: [DONE]`), as sent by OpenAI, Azure OpenAI and every OpenAI-compatible server.

use crate::error::DecodeError;
use crate::events::Usage;
use crate::json::Value;
use crate::toolcall::Arguments;

use super::frame::{at, parse_frame_keeping, str_of, u64_of, Dialect, Frame};
use super::openai_chunk::{extract, Call, CallArguments, Choice};
use super::output::Output;

/// The members of a chunk the tree path reads (ids, model and fingerprints are skipped),
/// and a bare error object's (`object`, `type`, `code`, `message`).
const CHUNK_MEMBERS: &[&str] = &[
    "choices",
    "usage",
    "x_groq",
    "error",
    "error_type",
    "object",
    "type",
    "code",
    "message",
];

/// See the module documentation.
#[derive(Debug, Default)]
pub struct OpenAiChat {
    /// Calls without an `index` (some compatible servers): the key of the latest one.
    unindexed_key: Option<i64>,
    unindexed_count: i64,
    /// The provider's id of the latest call without `index`, once one came.
    unindexed_id: Option<String>,
    choices: Choices,
}

/// The choice indexes seen and those that got a `finish_reason`, for the clean-end rule.
#[derive(Debug, Default)]
struct Choices {
    seen: Vec<u64>,
    finished: Vec<u64>,
}

impl Choices {
    fn saw(&mut self, index: u64) {
        if !self.seen.contains(&index) {
            self.seen.push(index);
        }
    }

    fn finished(&mut self, index: u64) {
        if !self.finished.contains(&index) {
            self.finished.push(index);
        }
    }

    /// Every choice seen has finished (and there was one).
    fn all_finished(&self) -> bool {
        !self.finished.is_empty() && self.seen.iter().all(|i| self.finished.contains(i))
    }
}

impl Dialect for OpenAiChat {
    fn frame(&mut self, frame: Frame<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError> {
        let Frame::Sse { event, data } = frame else {
            return Ok(());
        };
        if data.trim() == "[DONE]" {
            out.end();
            return Ok(());
        }
        // A chunk that may be an error (an `error` member or value anywhere, or an `event:
        // error` frame) is read through the tree, which looks at its root.
        let maybe_error = event == "error" || data.contains("\"error\"");
        if !maybe_error {
            if let Some(choices) = extract(data) {
                for choice in choices {
                    self.choice(choice, out)?;
                }
                return Ok(());
            }
        }
        // Unusual chunks (usage, errors, repeated members...) and invalid JSON (for the
        // exact error) go through the tree.
        let chunk = parse_frame_keeping(data, start, "openai-chat", CHUNK_MEMBERS)?;
        let bare_error = event == "error" || str_of(&chunk, "object") == Some("error");
        // An `event: error` frame, or a bare error object (`"object": "error"`, as vLLM and
        // other servers send it): the payload itself is the error.
        let error = Value::non_null(chunk.get("error")).or(bare_error.then_some(&chunk));
        if let Some(error) = error {
            // TGI names a text error beside it: `{"error": "...", "error_type": "validation"}`.
            let kind = error
                .as_str()
                .and_then(|_| str_of(&chunk, "error_type"))
                .filter(|kind| !kind.is_empty());
            report_error(error, kind, data, out);
            return Ok(());
        }
        let choices = chunk.get("choices").and_then(Value::as_array);
        for choice in choices.unwrap_or(&[]) {
            self.choice(Choice::from_value(choice), out)?;
        }
        // Groq sends its usage in `x_groq.usage`, Moonshot in the finishing choice's `usage`
        // (each read only when there is no standard one).
        let usage = Value::non_null(chunk.get("usage"))
            .or_else(|| Value::non_null(chunk.get("x_groq").and_then(|x| x.get("usage"))))
            .or_else(|| {
                choices
                    .unwrap_or(&[])
                    .iter()
                    .find_map(|choice| Value::non_null(choice.get("usage")))
            });
        if let Some(usage) = usage.filter(|usage| usage.is_object()) {
            out.usage(openai_usage(usage));
        }
        Ok(())
    }

    fn end_marker(&self) -> &'static str {
        "data: [DONE]"
    }

    /// Perplexity, GPUStack and others end the body after the last `finish_reason` without
    /// `data: [DONE]`: complete once every choice seen has finished.
    fn ends_cleanly(&self) -> bool {
        self.choices.all_finished()
    }
}

impl OpenAiChat {
    fn choice(&mut self, choice: Choice, out: &mut Output) -> Result<(), DecodeError> {
        // Indexes are 32-bit (a bigger one is cut to its low 32 bits, on both backends).
        let choice_index = choice.index & 0xFFFF_FFFF;
        self.choices.saw(choice_index);
        out.reasoning(choice.reasoning.as_deref().unwrap_or(""));
        for (is_reasoning, text) in &choice.content_parts {
            match is_reasoning {
                true => out.reasoning(text),
                false => out.text(text, choice_index as u32),
            }
        }
        out.text(choice.content.as_deref().unwrap_or(""), choice_index as u32);
        out.text(choice.refusal.as_deref().unwrap_or(""), choice_index as u32);
        for call in &choice.calls {
            self.tool_call(choice_index, call, out)?;
        }
        match choice.finish_reason.as_deref() {
            Some(reason) if !reason.is_empty() => {
                self.choices.finished(choice_index);
                out.stop(reason);
            }
            _ => {}
        }
        Ok(())
    }

    fn tool_call(&mut self, choice: u64, call: &Call, out: &mut Output) -> Result<(), DecodeError> {
        let id = call.id.as_deref();
        let key = match call.index {
            Some(index) => ((choice << 32) | (index & 0xFFFF_FFFF)) as i64,
            None => self.unindexed(id),
        };
        let arguments = match &call.arguments {
            CallArguments::Text(text) => Some(Arguments::Fragment(text)),
            CallArguments::Whole(value) => Some(Arguments::Whole(value)),
            CallArguments::None => None,
        };
        out.tool(key, id, call.name.as_deref(), arguments)
    }

    /// A fragment without `index`: an id other than the latest call's starts a call; anything
    /// else (no id, the same id, or the first id of a call that had none) continues it.
    fn unindexed(&mut self, id: Option<&str>) -> i64 {
        let id = id.filter(|id| !id.is_empty());
        match (self.unindexed_key, id) {
            (Some(key), None) => key,
            // The latest call has no id yet, or this is its id again: the same call.
            (Some(key), Some(id)) if self.unindexed_id.as_deref().is_none_or(|own| own == id) => {
                if self.unindexed_id.is_none() {
                    self.unindexed_id = Some(id.to_owned());
                }
                key
            }
            _ => {
                self.unindexed_count += 1;
                let key = -self.unindexed_count;
                self.unindexed_key = Some(key);
                self.unindexed_id = id.map(str::to_owned);
                key
            }
        }
    }
}

/// An `{"error": {...}}` payload: OpenAI's mid-stream error (OpenRouter adds `code`);
/// `kind` names a text error.
fn report_error(error: &Value, kind: Option<&str>, raw: &str, out: &mut Output) {
    let error_type = kind
        .or_else(|| str_of(error, "type"))
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
