//! The state one stream accumulates and the events it emits, shared by every dialect: the
//! rules on ordering (`Finish` last, after any `Usage`), tool-call numbering and the end of
//! the stream live here, once.

use crate::error::DecodeError;
use crate::events::{Event, FinishReason, Usage};
use crate::toolcall::{Arguments, ToolCallAssembler};

/// Where the stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Streaming,
    /// The end marker arrived but a trailer may still follow (Bedrock's `metadata` after
    /// `messageStop`): `Finish` waits for it or for the end of input.
    EndedAwaitingTrailer,
    Ended,
}

/// Events of the current `feed()` call plus what the stream has accumulated.
#[derive(Debug)]
pub struct Output {
    pub events: Vec<Event>,
    tools: ToolCallAssembler,
    text: String,
    usage: Option<Usage>,
    stop: Option<(FinishReason, Option<String>)>,
    finish_reason: Option<FinishReason>,
    phase: Phase,
}

impl Default for Output {
    fn default() -> Self {
        Self {
            events: Vec::new(),
            tools: ToolCallAssembler::default(),
            text: String::new(),
            usage: None,
            stop: None,
            finish_reason: None,
            phase: Phase::Streaming,
        }
    }
}

impl Output {
    /// A text delta of choice `index` (empty text is not an event).
    pub fn text(&mut self, text: &str, index: u32) {
        if !text.is_empty() {
            self.text.push_str(text);
            self.events.push(Event::Text {
                text: text.to_owned(),
                index,
            });
        }
    }

    /// A reasoning delta (empty text is not an event).
    pub fn reasoning(&mut self, text: &str) {
        if !text.is_empty() {
            self.events.push(Event::Reasoning {
                text: text.to_owned(),
            });
        }
    }

    /// Token counts (the total is filled in when the provider sent none).
    pub fn usage(&mut self, usage: Usage) {
        let usage = usage.with_total();
        self.usage = Some(usage.clone());
        self.events.push(Event::Usage(usage));
    }

    /// A piece of the tool call the provider identifies by `key`.
    pub fn tool(
        &mut self,
        key: i64,
        id: Option<&str>,
        name: Option<&str>,
        arguments: Option<Arguments<'_>>,
    ) -> Result<(), DecodeError> {
        self.tools.add(key, id, name, arguments, &mut self.events)
    }

    /// The provider's explicit end of the call `key`.
    pub fn tool_end(&mut self, key: i64) {
        self.tools.end(key, &mut self.events);
    }

    /// The provider's stop reason: every open tool call is over; `Finish` is held until the
    /// end of the stream (usage may still follow).
    pub fn stop(&mut self, raw: &str) {
        let reason = FinishReason::from_provider(raw, self.tools.count() > 0);
        self.stop_as(reason, raw);
    }

    /// A stop whose normalized reason the dialect decides (Gemini's blocked prompt is a
    /// content filter whatever its word): otherwise as [`Self::stop`].
    pub fn stop_as(&mut self, reason: FinishReason, raw: &str) {
        self.tools.finish(&mut self.events);
        self.stop = Some((reason, Some(raw.to_owned())));
    }

    /// The end marker: emit `Finish` now.
    pub fn end(&mut self) {
        self.tools.finish(&mut self.events);
        self.phase = Phase::Ended;
        self.emit_finish();
    }

    /// The end marker of a dialect whose trailer (usage) may follow: `Finish` is emitted by
    /// [`Self::end`] when the trailer comes, or at the end of input.
    pub fn end_before_trailer(&mut self) {
        self.tools.finish(&mut self.events);
        self.phase = Phase::EndedAwaitingTrailer;
    }

    /// An error reported inside the stream: it ends the stream.
    pub fn provider_error(&mut self, error_type: Option<&str>, message: &str, raw: &str) {
        self.tools.finish(&mut self.events);
        self.events.push(Event::ProviderError {
            error_type: error_type.map(str::to_owned),
            message: message.to_owned(),
            raw: raw.to_owned(),
        });
        self.stop = Some((FinishReason::Error, error_type.map(str::to_owned)));
        self.phase = Phase::Ended;
        self.emit_finish();
    }

    /// Whether the end marker has arrived (later frames are ignored).
    pub fn has_ended(&self) -> bool {
        self.phase == Phase::Ended
    }

    /// Whether the stream reached its end marker, trailer or not.
    pub fn reached_end(&self) -> bool {
        self.phase != Phase::Streaming
    }

    /// End of input after the end marker: release a `Finish` still waiting for a trailer.
    pub fn close(&mut self) {
        if self.phase == Phase::EndedAwaitingTrailer {
            self.phase = Phase::Ended;
            self.emit_finish();
        }
    }

    fn emit_finish(&mut self) {
        let (reason, raw_reason) = self.stop.take().unwrap_or((FinishReason::Other, None));
        self.finish_reason = Some(reason);
        self.events.push(Event::Finish { reason, raw_reason });
    }

    pub fn accumulated_text(&self) -> &str {
        &self.text
    }

    pub fn last_usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.finish_reason
    }

    pub fn tools(&self) -> &ToolCallAssembler {
        &self.tools
    }
}
