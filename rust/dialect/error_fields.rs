//! The type and message of an error object sent inside a stream, shared by the dialects
//! whose errors carry a `code` (OpenAI Responses) or may be a bare string (Cohere).

use crate::json::Value;

use super::frame::str_of;

/// An error `code` as text: a string, or a non-negative integer in decimal. Other values
/// (null, floats, objects) give `None`, so both backends agree on the text.
fn code_text(error: &Value) -> Option<String> {
    match error.get("code") {
        Some(Value::String(code)) => Some(code.clone()),
        Some(other) => other.as_u64().map(|code| code.to_string()),
        None => None,
    }
}

/// `(type, message)` of an error payload: the `type` member, else its `code`; the
/// `message` member, or the payload itself when it is a bare string.
pub fn error_fields(error: &Value) -> (Option<String>, String) {
    let error_type = str_of(error, "type")
        .map(str::to_owned)
        .or_else(|| code_text(error));
    let message = str_of(error, "message")
        .or_else(|| error.as_str())
        .unwrap_or_default()
        .to_owned();
    (error_type, message)
}

/// `(type, message)` of an error event: the error object (or text) under `error`, else the
/// event's own `code` and `message` (its `type` names the event, e.g. `"error"`, so the
/// error's type is the `code`).
pub fn error_event(chunk: &Value) -> (Option<String>, String) {
    match Value::non_null(chunk.get("error")) {
        Some(error) => error_fields(error),
        None => (
            code_text(chunk),
            str_of(chunk, "message").unwrap_or_default().to_owned(),
        ),
    }
}
