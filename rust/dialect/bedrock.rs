//! Bedrock `ConverseStream`: AWS event-stream messages whose `:event-type` header names the
//! event and whose payload is its JSON (`messageStart`, `contentBlockStart`,
//! `contentBlockDelta`, `contentBlockStop`, `messageStop`, then `metadata` with the usage).
//!
//! - `:message-type` `event` (or absent) is an event; `exception` is an error inside the
//!   stream (`:exception-type` names it, the payload's `message` says it); `error` carries
//!   `:error-code` / `:error-message` headers. Unknown event and message types are skipped
//!   without parsing their payload.
//! - Text blocks have no `contentBlockStart`: `delta.text` is text whatever the block.
//!   Reasoning: `delta.reasoningContent.text` (its `signature` / `redactedContent` are not
//!   text). Tool calls: `contentBlockStart` `start.toolUse` (`toolUseId`, `name`), keyed by
//!   `contentBlockIndex`; `delta.toolUse.input` fragments; `contentBlockStop` ends the call.
//! - `messageStop` (`stopReason`) is the end marker, but `Finish` waits for the `metadata`
//!   trailer (or the end of input); other events between the two are ignored, exceptions
//!   are not.
//! - Usage: `inputTokens` does not count cache reads and writes, which Bedrock reports beside
//!   it (`cacheReadInputTokens`, `cacheWriteInputTokens`); `input_tokens` is their sum.
//!   `totalTokens` is kept as sent.
//! - The `p` padding member of every payload is ignored.

use crate::error::DecodeError;
use crate::events::Usage;
use crate::eventstream::{HeaderValue, Message};
use crate::json::Value;
use crate::toolcall::Arguments;

use super::frame::{at, parse_frame, str_of, u64_of, Dialect, Frame};
use super::output::Output;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Bedrock;

impl Dialect for Bedrock {
    fn frame(&mut self, frame: Frame<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError> {
        let Frame::Message(message) = frame else {
            return Ok(());
        };
        match header(message, ":message-type") {
            None | Some("event") => event(message, start, out),
            Some("exception") => {
                let payload = parse_frame(message.payload, start, "bedrock")?;
                let text = str_of(&payload, "message")
                    .or_else(|| str_of(&payload, "Message"))
                    .unwrap_or("");
                let raw = String::from_utf8_lossy(message.payload);
                out.provider_error(header(message, ":exception-type"), text, &raw);
                Ok(())
            }
            Some("error") => {
                let text = header(message, ":error-message").unwrap_or("");
                let raw = String::from_utf8_lossy(message.payload);
                out.provider_error(header(message, ":error-code"), text, &raw);
                Ok(())
            }
            Some(_) => Ok(()),
        }
    }

    fn end_marker(&self) -> &'static str {
        "messageStop"
    }
}

/// The string header `name`, if present and a string.
fn header<'m>(message: &Message<'m>, name: &str) -> Option<&'m str> {
    match message.header(name) {
        Some(HeaderValue::String(value)) => Some(value),
        _ => None,
    }
}

fn event(message: &Message<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError> {
    let kind = header(message, ":event-type").unwrap_or("");
    if !matches!(
        kind,
        "messageStart"
            | "contentBlockStart"
            | "contentBlockDelta"
            | "contentBlockStop"
            | "messageStop"
            | "metadata"
    ) {
        return Ok(());
    }
    if out.reached_end() && kind != "metadata" {
        // After `messageStop` only the trailer belongs to the stream.
        return Ok(());
    }
    let payload = parse_frame(message.payload, start, "bedrock")?;
    match kind {
        "contentBlockStart" => {
            if let Some(tool) = at(&payload, &["start", "toolUse"]).filter(|t| t.is_object()) {
                let (id, name) = (str_of(tool, "toolUseId"), str_of(tool, "name"));
                out.tool(block_key(&payload), id, name, None)?;
            }
        }
        "contentBlockDelta" => {
            let Some(delta) = payload.get("delta") else {
                return Ok(());
            };
            out.text(str_of(delta, "text").unwrap_or(""), 0);
            if let Some(reasoning) = delta.get("reasoningContent") {
                out.reasoning(str_of(reasoning, "text").unwrap_or(""));
            }
            if let Some(fragment) = at(delta, &["toolUse", "input"]).and_then(Value::as_str) {
                let fragment = Some(Arguments::Fragment(fragment));
                out.tool(block_key(&payload), None, None, fragment)?;
            }
        }
        "contentBlockStop" => out.tool_end(block_key(&payload)),
        "messageStop" => {
            match str_of(&payload, "stopReason") {
                Some(reason) if !reason.is_empty() => out.stop(reason),
                _ => {}
            }
            out.end_before_trailer();
        }
        "metadata" => {
            if let Some(usage) = payload.get("usage").filter(|u| u.is_object()) {
                out.usage(bedrock_usage(usage));
            }
            if out.reached_end() {
                out.end();
            }
        }
        _ => {}
    }
    Ok(())
}

/// The `contentBlockIndex` of an event, as the tool-call key (cut to 32 bits, on both
/// backends).
fn block_key(payload: &Value) -> i64 {
    (u64_of(payload, "contentBlockIndex").unwrap_or(0) & 0xFFFF_FFFF) as i64
}

/// Bedrock `TokenUsage`, with the cache reads and writes counted in `input_tokens`.
fn bedrock_usage(usage: &Value) -> Usage {
    let cache_read = u64_of(usage, "cacheReadInputTokens");
    let cache_write = u64_of(usage, "cacheWriteInputTokens");
    let cached = cache_read
        .unwrap_or(0)
        .saturating_add(cache_write.unwrap_or(0));
    Usage {
        input_tokens: u64_of(usage, "inputTokens").map(|input| input.saturating_add(cached)),
        output_tokens: u64_of(usage, "outputTokens"),
        total_tokens: u64_of(usage, "totalTokens"),
        cache_read_tokens: cache_read,
        cache_write_tokens: cache_write,
        reasoning_tokens: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::StreamDecoder;
    use crate::error::ErrorClass;
    use crate::events::{Event, FinishReason};

    /// One event-stream message with string headers.
    fn message(headers: &[(&str, &str)], payload: &str) -> Vec<u8> {
        let mut block = Vec::new();
        for (name, value) in headers {
            block.push(name.len() as u8);
            block.extend_from_slice(name.as_bytes());
            block.push(7);
            block.extend_from_slice(&(value.len() as u16).to_be_bytes());
            block.extend_from_slice(value.as_bytes());
        }
        let total = (16 + block.len() + payload.len()) as u32;
        let mut out = Vec::new();
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
        out.extend_from_slice(&block);
        out.extend_from_slice(payload.as_bytes());
        out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
        out
    }

    fn event(kind: &str, payload: &str) -> Vec<u8> {
        message(
            &[(":event-type", kind), (":message-type", "event")],
            payload,
        )
    }

    #[test]
    fn finish_waits_for_metadata_and_usage_counts_cache() {
        let mut decoder = StreamDecoder::new("bedrock").unwrap();
        let mut stream = event(
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"hm"}},"p":"ab"}"#,
        );
        stream.extend(event("messageStop", r#"{"stopReason":"end_turn"}"#));
        let events = decoder.feed(&stream).unwrap();
        assert_eq!(events, vec![Event::Reasoning { text: "hm".into() }]);
        let metadata = event(
            "metadata",
            r#"{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":307,"cacheReadInputTokens":300}}"#,
        );
        let events = decoder.feed(&metadata).unwrap();
        let Event::Usage(usage) = &events[0] else {
            panic!("{events:?}");
        };
        assert_eq!(
            (
                usage.input_tokens,
                usage.total_tokens,
                usage.cache_read_tokens
            ),
            (Some(303), Some(307), Some(300))
        );
        assert!(matches!(
            &events[1],
            Event::Finish { reason: FinishReason::Stop, raw_reason: Some(raw) } if raw == "end_turn"
        ));
        assert!(decoder.finish(true).unwrap().is_empty());
    }

    #[test]
    fn exception_and_bad_payload() {
        let mut decoder = StreamDecoder::new("bedrock").unwrap();
        let stream = message(
            &[
                (":exception-type", "throttlingException"),
                (":message-type", "exception"),
            ],
            r#"{"message":"slow down"}"#,
        );
        let events = decoder.feed(&stream).unwrap();
        assert!(matches!(
            &events[0],
            Event::ProviderError { error_type: Some(t), message, .. } if t == "throttlingException" && message == "slow down"
        ));
        let mut decoder = StreamDecoder::new("bedrock").unwrap();
        let first = event("messageStart", r#"{"role":"assistant"}"#);
        let mut stream = first.clone();
        stream.extend(event("contentBlockDelta", "{\"delta\":"));
        let failure = decoder.feed(&stream).unwrap_err();
        assert_eq!(failure.error.class, ErrorClass::Json);
        assert_eq!(failure.error.position, first.len() as u64);
    }
}
