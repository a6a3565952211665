//! Ollama's native chat stream (`POST /api/chat`, and `/api/generate`'s, whose text and
//! thinking are top-level `response` and `thinking`): NDJSON, one `ChatResponse` per line; the
//! line with `"done": true` is the last one and carries the stop reason and token counts.

use crate::error::DecodeError;
use crate::events::Usage;
use crate::json::Value;
use crate::toolcall::Arguments;

use super::frame::{parse_frame, str_of, u64_of, Dialect, Frame};
use super::output::Output;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Ollama {
    /// Tool calls seen so far: Ollama sends each call whole, so every entry of
    /// `message.tool_calls` is a call of its own, keyed by this counter.
    calls: i64,
}

impl Dialect for Ollama {
    fn frame(&mut self, frame: Frame<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError> {
        let Frame::Line(line) = frame else {
            return Ok(());
        };
        let chunk = parse_frame(line, start, "ollama")?;
        if let Some(error) = Value::non_null(chunk.get("error")) {
            let message = error
                .as_str()
                .or_else(|| str_of(error, "message"))
                .unwrap_or_default();
            out.provider_error(None, message, &String::from_utf8_lossy(line));
            return Ok(());
        }
        if let Some(message) = chunk.get("message") {
            out.reasoning(str_of(message, "thinking").unwrap_or(""));
            out.text(str_of(message, "content").unwrap_or(""), 0);
            for call in message
                .get("tool_calls")
                .and_then(Value::as_array)
                .unwrap_or(&[])
            {
                self.tool_call(call, out)?;
            }
        }
        // `/api/generate` streams the same lines with `thinking` and the text (`response`) at
        // the top level.
        out.reasoning(str_of(&chunk, "thinking").unwrap_or(""));
        out.text(str_of(&chunk, "response").unwrap_or(""), 0);
        let usage = Usage {
            input_tokens: u64_of(&chunk, "prompt_eval_count"),
            output_tokens: u64_of(&chunk, "eval_count"),
            ..Usage::default()
        };
        if usage.input_tokens.is_some() || usage.output_tokens.is_some() {
            out.usage(usage);
        }
        if matches!(chunk.get("done"), Some(Value::Bool(true))) {
            match str_of(&chunk, "done_reason") {
                Some(reason) if !reason.is_empty() => out.stop(reason),
                _ => {}
            }
            out.end();
        }
        Ok(())
    }

    fn end_marker(&self) -> &'static str {
        "a line with \"done\": true"
    }
}

impl Ollama {
    /// A whole call: started, given its arguments and done within this line.
    fn tool_call(&mut self, call: &Value, out: &mut Output) -> Result<(), DecodeError> {
        if !call.is_object() {
            return Ok(());
        }
        let key = self.calls;
        self.calls += 1;
        let function = call.get("function");
        let arguments = match function.and_then(|f| f.get("arguments")) {
            // Not Ollama's own format, but some compatible servers send the JSON text.
            Some(Value::String(text)) => Some(Arguments::Fragment(text)),
            Some(value @ (Value::Object(_) | Value::Array(_))) => Some(Arguments::Whole(value)),
            _ => None,
        };
        let name = function.and_then(|f| str_of(f, "name"));
        out.tool(key, str_of(call, "id"), name, arguments)?;
        out.tool_end(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::StreamDecoder;
    use crate::error::ErrorClass;
    use crate::events::{Event, FinishReason};

    #[test]
    fn last_line_without_newline_and_crlf() {
        let stream: &[u8] =
            b"{\"message\":{\"thinking\":\"t\",\"content\":\"a\"},\"done\":false}\r\n\r\n\
{\"message\":{\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{}}}]},\
\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":5,\"eval_count\":7}";
        for split in 0..=stream.len() {
            let mut decoder = StreamDecoder::new("ollama").unwrap();
            let mut events = decoder.feed(&stream[..split]).unwrap();
            events.extend(decoder.feed(&stream[split..]).unwrap());
            events.extend(decoder.finish(true).unwrap());
            assert_eq!(events.len(), 7, "{events:?}");
            assert!(matches!(&events[4], Event::ToolCallDone { raw, .. } if raw == "{}"));
            assert!(matches!(&events[5], Event::Usage(u) if u.total_tokens == Some(12)));
            assert!(matches!(
                &events[6],
                Event::Finish { reason: FinishReason::ToolCalls, raw_reason: Some(r) } if r == "stop"
            ));
        }
    }

    #[test]
    fn error_line_ends_the_stream_and_bad_line_points_at_its_start() {
        let mut decoder = StreamDecoder::new("ollama").unwrap();
        let events = decoder.feed(b"{\"error\":\"boom\"}\n{oops\n").unwrap();
        assert!(
            matches!(&events[0], Event::ProviderError { error_type: None, message, .. } if message == "boom")
        );
        assert!(decoder.finish(true).is_ok());

        let mut decoder = StreamDecoder::new("ollama").unwrap();
        let failure = decoder.feed(b"{\"done\":false}\n{oops\n").unwrap_err();
        assert_eq!(
            (failure.error.class, failure.error.position),
            (ErrorClass::Json, 15)
        );
    }
}
