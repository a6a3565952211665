//! The normalized stream events every dialect decodes into (Python-free).

use crate::json::Value;

/// Why the model stopped, normalized across providers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
    Error,
    Other,
}

impl FinishReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::ToolCalls => "tool_calls",
            Self::ContentFilter => "content_filter",
            Self::Error => "error",
            Self::Other => "other",
        }
    }

    /// Map a provider's stop word. A plain "stop" of a turn that made tool calls is reported
    /// as `ToolCalls` (Gemini, Ollama and OpenAI Responses say "stop"/"completed" then).
    pub fn from_provider(raw: &str, made_tool_calls: bool) -> Self {
        match raw {
            "stop" | "STOP" | "completed" if made_tool_calls => Self::ToolCalls,
            "stop" | "end_turn" | "stop_sequence" | "STOP_SEQUENCE" | "STOP" | "COMPLETE"
            | "completed" => Self::Stop,
            "length" | "max_tokens" | "MAX_TOKENS" | "max_output_tokens" => Self::Length,
            "tool_calls" | "tool_use" | "TOOL_CALL" => Self::ToolCalls,
            "content_filter"
            | "SAFETY"
            | "RECITATION"
            | "BLOCKLIST"
            | "PROHIBITED_CONTENT"
            | "guardrail_intervened" => Self::ContentFilter,
            _ => Self::Other,
        }
    }
}

/// Token counts; `None` where the provider sent nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Every input token, cached or not.
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub total_tokens: Option<u64>,
    pub cache_read_tokens: Option<u64>,
    pub cache_write_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
}

impl Usage {
    /// Fill `total_tokens` as input + output when the provider sent no total.
    pub fn with_total(mut self) -> Self {
        if self.total_tokens.is_none() {
            if let (Some(input), Some(output)) = (self.input_tokens, self.output_tokens) {
                self.total_tokens = Some(input.saturating_add(output));
            }
        }
        self
    }
}

/// One normalized stream event.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Text {
        text: String,
        index: u32,
    },
    Reasoning {
        text: String,
    },
    ToolCallStart {
        index: u32,
        id: String,
        name: String,
    },
    ToolCallDelta {
        index: u32,
        fragment: String,
    },
    ToolCallDone {
        index: u32,
        id: String,
        name: String,
        arguments: Value,
        raw: String,
    },
    ToolCallInvalid {
        index: u32,
        id: String,
        name: String,
        raw: String,
        error: String,
    },
    Usage(Usage),
    Finish {
        reason: FinishReason,
        raw_reason: Option<String>,
    },
    ProviderError {
        error_type: Option<String>,
        message: String,
        /// The payload that carried the error, as received.
        raw: String,
    },
}

/// What is known of a tool call that had not finished when its stream broke off.
#[derive(Clone, Debug, PartialEq)]
pub struct PartialToolCall {
    pub index: u32,
    pub id: String,
    pub name: String,
    pub raw: String,
    /// The arguments as if the text so far were closed (see `JsonStream.partial()`).
    pub partial: Option<Value>,
}
