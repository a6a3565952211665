//! Google Gemini API and Vertex AI streams (`streamGenerateContent?alt=sse`): every SSE event
//! is a whole `GenerateContentResponse`; there is no `[DONE]`, the chunk carrying a
//! `finishReason` is the last one.

use std::collections::BTreeSet;

use crate::error::DecodeError;
use crate::events::{FinishReason, Usage};
use crate::json::Value;
use crate::toolcall::Arguments;

use super::frame::{parse_frame, str_of, u64_of, Dialect, Frame};
use super::gemini_partial::PartialArguments;
use super::output::Output;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Gemini {
    /// Function calls seen so far: each `functionCall` part is a call of its own (Gemini
    /// sends calls whole and usually without an id), keyed by this counter.
    calls: i64,
    /// The call whose arguments are streaming as `partialArgs` (Vertex AI).
    streamed: Option<Streamed>,
    /// A bare JSON object arriving as stray SSE lines (an error sent without `data:`).
    bare: BareObject,
    /// Candidate indexes seen without a `finishReason` yet, and those that got one: the
    /// stream ends when a finish leaves none open (`candidateCount` > 1 may finish the
    /// candidates in different chunks).
    open: BTreeSet<u32>,
    finished: BTreeSet<u32>,
}

/// A call whose arguments stream as `partialArgs`, open until its closing part.
#[derive(Debug)]
struct Streamed {
    key: i64,
    name: Option<String>,
    id: Option<String>,
    arguments: PartialArguments,
}

impl Streamed {
    /// Whether a part with this name, id and no `args` goes on with this call: a part that
    /// repeats the call's name or id (or gives none) does, another name or id does not.
    fn continued_by(&self, name: Option<&str>, id: Option<&str>) -> bool {
        let same = |sent: Option<&str>, open: &Option<String>| match (sent, open) {
            (Some(sent), Some(open)) => sent == open,
            _ => true,
        };
        same(name, &self.name) && same(id, &self.id)
    }
}

/// Collects the lines of bare JSON objects until their braces balance (as Google's SDK
/// does): an error sent without `data:`, or the JSON-array stream (no `alt=sse`), whose `[`,
/// `,` and `]` between the objects are skipped.
#[derive(Debug, Default)]
struct BareObject {
    text: String,
    start: u64,
    depth: u32,
}

impl BareObject {
    /// Add a stray line; returns each object's text and stream offset once its braces
    /// balance.
    fn line(&mut self, line: &str, start: u64) -> Vec<(String, u64)> {
        let mut whole = Vec::new();
        let mut at = 0;
        loop {
            if self.text.is_empty() {
                // Between objects: array punctuation, then an object or an unknown field.
                at += line[at..]
                    .bytes()
                    .take_while(|byte| matches!(byte, b' ' | b'\t' | b'[' | b']' | b','))
                    .count();
                if !line[at..].starts_with('{') {
                    return whole;
                }
                self.start = start + at as u64;
            }
            match self.scan(&line[at..]) {
                Some(length) => {
                    self.text.push_str(&line[at..at + length]);
                    whole.push((std::mem::take(&mut self.text), self.start));
                    at += length;
                }
                None => {
                    self.text.push_str(&line[at..]);
                    self.text.push('\n');
                    return whole;
                }
            }
        }
    }

    /// Counts brackets in `part`; the length up to and with the object's closing brace, or
    /// None when the line ends inside the object.
    fn scan(&mut self, part: &str) -> Option<usize> {
        // A string cannot span lines in JSON: each line starts outside one.
        let (mut in_string, mut escaped) = (false, false);
        for (index, byte) in part.bytes().enumerate() {
            match (in_string, escaped, byte) {
                (true, true, _) => escaped = false,
                (true, false, b'\\') => escaped = true,
                (true, false, b'"') => in_string = false,
                (false, _, b'"') => in_string = true,
                (false, _, b'{' | b'[') => self.depth += 1,
                (false, _, b'}' | b']') => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(index + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

impl Dialect for Gemini {
    fn frame(&mut self, frame: Frame<'_>, start: u64, out: &mut Output) -> Result<(), DecodeError> {
        let data = match frame {
            Frame::Sse { data, .. } => data,
            Frame::Stray(line) => {
                for (text, start) in self.bare.line(line, start) {
                    let chunk = parse_frame(text.as_bytes(), start, "gemini")?;
                    if self.chunk(&chunk, text.trim_end(), start, out)? {
                        break;
                    }
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        let payload = parse_frame(data.as_bytes(), start, "gemini")?;
        // An error body may come wrapped in a one-element array (the JSON-array stream mode).
        match &payload {
            Value::Array(items) => {
                for chunk in items {
                    if self.chunk(chunk, data, start, out)? {
                        break;
                    }
                }
                Ok(())
            }
            chunk => self.chunk(chunk, data, start, out).map(|_| ()),
        }
    }

    fn end_marker(&self) -> &'static str {
        "a chunk with finishReason"
    }

    fn end_of_input(&mut self, out: &mut Output) -> Result<(), DecodeError> {
        self.cut_streamed(out)
    }
}

impl Gemini {
    /// One `GenerateContentResponse`; true when it ended the stream.
    fn chunk(
        &mut self,
        chunk: &Value,
        raw: &str,
        start: u64,
        out: &mut Output,
    ) -> Result<bool, DecodeError> {
        if let Some(error) = Value::non_null(chunk.get("error")) {
            self.cut_streamed(out)?;
            report_error(error, raw, out);
            return Ok(true);
        }
        let candidates = chunk
            .get("candidates")
            .and_then(Value::as_array)
            .unwrap_or(&[]);
        let mut finish = false;
        for candidate in candidates {
            finish |= self.candidate(candidate, start, out)?;
        }
        let mut finished = finish && self.open.is_empty();
        if let Some(usage) = chunk.get("usageMetadata").filter(|u| u.is_object()) {
            out.usage(gemini_usage(usage));
        }
        // A blocked prompt gets no candidates, only `promptFeedback.blockReason`.
        let blocked = chunk
            .get("promptFeedback")
            .and_then(|feedback| str_of(feedback, "blockReason"))
            .filter(|reason| !reason.is_empty());
        if let (true, Some(reason)) = (candidates.is_empty(), blocked) {
            out.stop_as(FinishReason::ContentFilter, reason);
            finished = true;
        }
        if finished {
            out.end();
        }
        Ok(finished)
    }

    /// One candidate's parts; true when it carries a `finishReason`.
    fn candidate(
        &mut self,
        candidate: &Value,
        start: u64,
        out: &mut Output,
    ) -> Result<bool, DecodeError> {
        // Indexes are 32-bit (a bigger one is cut to its low 32 bits, on both backends);
        // proto3 JSON leaves out an index of 0.
        let index = (u64_of(candidate, "index").unwrap_or(0) & 0xFFFF_FFFF) as u32;
        let parts = candidate
            .get("content")
            .and_then(|content| content.get("parts"))
            .and_then(Value::as_array)
            .unwrap_or(&[]);
        for part in parts {
            if let Some(text) = str_of(part, "text") {
                if matches!(part.get("thought"), Some(Value::Bool(true))) {
                    out.reasoning(text);
                } else {
                    out.text(text, index);
                }
            }
            if let Some(call) = part.get("functionCall").filter(|c| c.is_object()) {
                self.function_call(call, start, out)?;
            }
        }
        match str_of(candidate, "finishReason") {
            Some(reason) if !reason.is_empty() => {
                // A streamed call still open (no closing part came) ends with the turn.
                self.end_streamed(out)?;
                out.stop(reason);
                self.open.remove(&index);
                self.finished.insert(index);
                Ok(true)
            }
            _ => {
                if !self.finished.contains(&index) {
                    self.open.insert(index);
                }
                Ok(false)
            }
        }
    }

    /// A `functionCall` part: a whole call, or a piece of a streamed one (see
    /// [`super::gemini_partial`]).
    fn function_call(
        &mut self,
        call: &Value,
        start: u64,
        out: &mut Output,
    ) -> Result<(), DecodeError> {
        let partial = call.get("partialArgs").and_then(Value::as_array);
        let continues = matches!(call.get("willContinue"), Some(Value::Bool(true)));
        let name = str_of(call, "name").filter(|name| !name.is_empty());
        let id = str_of(call, "id").filter(|id| !id.is_empty());
        let has_args = call.get("args").is_some();
        let named = name.is_some() || has_args;
        let goes_on = !has_args
            && self
                .streamed
                .as_ref()
                .is_some_and(|open| open.continued_by(name, id));
        if named && !goes_on {
            // Another call ends the streamed one.
            self.end_streamed(out)?;
        }
        let streams = (partial.is_some() || continues) && !has_args;
        if self.streamed.is_none() && streams {
            let key = self.calls;
            self.calls += 1;
            out.tool(key, id, name, None)?;
            self.streamed = Some(Streamed {
                key,
                name: name.map(str::to_owned),
                id: id.map(str::to_owned),
                arguments: PartialArguments::default(),
            });
        }
        if let Some(open) = &mut self.streamed {
            for entry in partial.unwrap_or(&[]) {
                open.arguments.apply(entry, start)?;
            }
            if !continues {
                self.end_streamed(out)?;
            }
            return Ok(());
        }
        if !named {
            // An empty `functionCall: {}` with no streamed call open closes nothing.
            return Ok(());
        }
        self.whole_call(call, out)
    }

    /// A streamed call cut off before its closing part: the arguments received so far, as
    /// unfinished JSON, so that the call is reported unfinished (`ToolCallInvalid` when the
    /// stream ends with an error, a `PartialToolCall` when it is truncated).
    fn cut_streamed(&mut self, out: &mut Output) -> Result<(), DecodeError> {
        if let Some(open) = self.streamed.take() {
            if let Some(text) = open.arguments.open_text() {
                out.tool(open.key, None, None, Some(Arguments::Fragment(&text)))?;
            }
        }
        Ok(())
    }

    /// The streamed call, if one is open: its assembled arguments, then its end.
    fn end_streamed(&mut self, out: &mut Output) -> Result<(), DecodeError> {
        if let Some(open) = self.streamed.take() {
            if let Some(text) = open.arguments.text() {
                out.tool(open.key, None, None, Some(Arguments::Fragment(&text)))?;
            }
            out.tool_end(open.key);
        }
        Ok(())
    }

    /// A whole call: started, given its arguments and done within this part.
    fn whole_call(&mut self, call: &Value, out: &mut Output) -> Result<(), DecodeError> {
        let key = self.calls;
        self.calls += 1;
        let arguments = match call.get("args") {
            Some(Value::String(text)) => Some(Arguments::Fragment(text)),
            Some(value @ (Value::Object(_) | Value::Array(_))) => Some(Arguments::Whole(value)),
            _ => None,
        };
        out.tool(key, str_of(call, "id"), str_of(call, "name"), arguments)?;
        // Without arguments (a function that takes none) the call is over all the same.
        out.tool_end(key);
        Ok(())
    }
}

/// A `google.rpc.Status` error object: its `status` word (or numeric `code`) is the type.
fn report_error(error: &Value, raw: &str, out: &mut Output) {
    let error_type = str_of(error, "status")
        .filter(|status| !status.is_empty())
        .map(str::to_owned)
        .or_else(|| match error.get("code") {
            Some(Value::String(code)) => Some(code.clone()),
            // A number in decimal (only whole ones: float text could differ by backend).
            Some(code) => code.as_u64().map(|code| code.to_string()),
            None => None,
        });
    let message = str_of(error, "message")
        .or_else(|| error.as_str())
        .unwrap_or_default();
    out.provider_error(error_type.as_deref(), message, raw);
}

/// `usageMetadata` (running totals on every chunk): `promptTokenCount` already includes the
/// cached tokens; `candidatesTokenCount` leaves out the thinking tokens, counted apart.
fn gemini_usage(usage: &Value) -> Usage {
    Usage {
        input_tokens: u64_of(usage, "promptTokenCount"),
        output_tokens: u64_of(usage, "candidatesTokenCount"),
        total_tokens: u64_of(usage, "totalTokenCount"),
        cache_read_tokens: u64_of(usage, "cachedContentTokenCount"),
        cache_write_tokens: None,
        reasoning_tokens: u64_of(usage, "thoughtsTokenCount"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::StreamDecoder;
    use crate::events::{Event, FinishReason};

    fn decode(stream: &[u8]) -> Vec<Event> {
        let mut decoder = StreamDecoder::new("gemini").unwrap();
        let mut events = decoder.feed(stream).unwrap();
        events.extend(decoder.finish(true).unwrap());
        events
    }

    fn finish_of(events: &[Event]) -> (FinishReason, Option<String>) {
        match events.last() {
            Some(Event::Finish { reason, raw_reason }) => (*reason, raw_reason.clone()),
            other => panic!("last event {other:?}"),
        }
    }

    #[test]
    fn bare_pretty_printed_error_object_ends_the_stream() {
        let stream =
            b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}]}\r\n\r\n\
{\n  \"error\": {\n    \"code\": 429,\n    \"message\": \"Quota {exceeded}\",\n\
    \"status\": \"RESOURCE_EXHAUSTED\"\n  }\n}\n";
        for split in [stream.len(), 60, 75, 100] {
            let mut decoder = StreamDecoder::new("gemini").unwrap();
            let mut events = decoder.feed(&stream[..split]).unwrap();
            events.extend(decoder.feed(&stream[split..]).unwrap());
            events.extend(decoder.finish(true).unwrap());
            assert!(matches!(&events[0], Event::Text { text, .. } if text == "Hi"));
            let Event::ProviderError {
                error_type,
                message,
                raw,
            } = &events[1]
            else {
                panic!("{:?}", events[1]);
            };
            assert_eq!(error_type.as_deref(), Some("RESOURCE_EXHAUSTED"));
            assert_eq!(message, "Quota {exceeded}");
            assert!(raw.starts_with("{\n  \"error\""), "{raw}");
            assert_eq!(
                finish_of(&events),
                (FinishReason::Error, Some("RESOURCE_EXHAUSTED".into()))
            );
        }
    }

    #[test]
    fn text_thought_and_whole_call_with_crlf() {
        let stream = b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hm\",\"thought\":true},\
{\"text\":\"Hi\"}]}}]}\r\n\r\n\
data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":{\"a\":[1,\"\xc3\xa9\"]}}}]},\
\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":4,\"totalTokenCount\":9,\
\"thoughtsTokenCount\":2}}\r\n\r\n";
        let events = decode(stream);
        assert!(matches!(&events[0], Event::Reasoning { text } if text == "hm"));
        assert!(matches!(&events[1], Event::Text { text, index: 0 } if text == "Hi"));
        let Event::ToolCallStart { id, .. } = &events[2] else {
            panic!("{:?}", events[2]);
        };
        assert!(id.starts_with("call_fai_"), "{id}");
        assert!(
            matches!(&events[3], Event::ToolCallDelta { fragment, .. } if fragment == "{\"a\":[1,\"\u{e9}\"]}")
        );
        assert!(
            matches!(&events[4], Event::ToolCallDone { id: done_id, raw, .. } if done_id == id && raw == "{\"a\":[1,\"\u{e9}\"]}")
        );
        assert!(
            matches!(&events[5], Event::Usage(u) if u.reasoning_tokens == Some(2) && u.total_tokens == Some(9))
        );
        assert_eq!(
            finish_of(&events),
            (FinishReason::ToolCalls, Some("STOP".into()))
        );
    }

    #[test]
    fn blocked_prompt_is_a_content_filter() {
        let events = decode(b"data: {\"promptFeedback\":{\"blockReason\":\"OTHER\"}}\n\n");
        assert_eq!(
            finish_of(&events),
            (FinishReason::ContentFilter, Some("OTHER".into()))
        );
    }

    #[test]
    fn error_object_uses_status_then_code() {
        let events = decode(b"data: [{\"error\":{\"code\":503,\"message\":\"busy\"}}]\n\n");
        assert!(
            matches!(&events[0], Event::ProviderError { error_type: Some(t), message, .. } if t == "503" && message == "busy")
        );
        assert_eq!(
            finish_of(&events),
            (FinishReason::Error, Some("503".into()))
        );
    }
}
