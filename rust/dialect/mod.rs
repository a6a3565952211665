//! Raw response bytes -> framer -> JSON per frame -> provider fields -> normalized events,
//! one file per stream dialect. [`StreamDecoder`] drives the framer and hands each frame to
//! the dialect, which reports what it found through [`Output`].

mod anthropic;
mod bedrock;
mod cohere;
mod error_fields;
mod frame;
mod gemini;
mod gemini_partial;
mod ollama;
mod openai_chat;
mod openai_chunk;
mod openai_responses;
mod output;
mod recorder;

use crate::error::{DecodeError, ErrorClass};
use crate::events::{Event, FinishReason, PartialToolCall, Usage};
use crate::eventstream;
use crate::metrics::{Metrics, MetricsError};
use crate::ndjson::LineSplitter;
use crate::sse::{Block, SseDecoder};
use recorder::Recorder;
use std::sync::Arc;

pub use frame::{
    at, parse_frame, parse_frame_keeping, str_of, u64_of, Dialect, Frame, MAX_FRAME_DEPTH,
};
pub use output::Output;

/// The dialect names [`StreamDecoder::new`] accepts, in the order error messages list them.
pub const DIALECTS: &[&str] = &[
    "openai-chat",
    "openai-responses",
    "anthropic",
    "gemini",
    "bedrock",
    "cohere",
    "ollama",
];

/// The framing of a dialect's byte stream.
#[derive(Debug)]
enum Framer {
    Sse(SseDecoder),
    Ndjson(LineSplitter),
    EventStream(eventstream::Decoder),
}

/// A failed `feed()`/`finish()`: the error, plus the events that call had completed before
/// it (nothing received is dropped).
#[derive(Debug)]
pub struct Failure {
    pub error: DecodeError,
    pub completed: Vec<Event>,
}

/// Decodes one streamed response of one dialect into normalized events.
pub struct StreamDecoder {
    name: &'static str,
    framer: Framer,
    dialect: Box<dyn Dialect>,
    out: Output,
    frames: u64,
    error: Option<DecodeError>,
    recorder: Option<Recorder>,
}

impl std::fmt::Debug for StreamDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamDecoder")
            .field("dialect", &self.name)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl StreamDecoder {
    /// A decoder for `dialect` (one of [`DIALECTS`]); the error message lists the valid names.
    pub fn new(dialect: &str) -> Result<Self, String> {
        let (name, framer, handler): (&'static str, Framer, Box<dyn Dialect>) = match dialect {
            "openai-chat" => (
                "openai-chat",
                sse(),
                Box::<openai_chat::OpenAiChat>::default(),
            ),
            "openai-responses" => (
                "openai-responses",
                sse(),
                Box::<openai_responses::OpenAiResponses>::default(),
            ),
            "anthropic" => ("anthropic", sse(), Box::<anthropic::Anthropic>::default()),
            "gemini" => (
                "gemini",
                sse_with_stray_lines(),
                Box::<gemini::Gemini>::default(),
            ),
            "bedrock" => ("bedrock", event_stream(), Box::new(bedrock::Bedrock)),
            "cohere" => ("cohere", sse(), Box::<cohere::Cohere>::default()),
            "ollama" => ("ollama", ndjson(), Box::<ollama::Ollama>::default()),
            _ => {
                return Err(format!(
                    "unknown stream dialect '{dialect}'; expected one of: {}",
                    DIALECTS.join(", ")
                ))
            }
        };
        Ok(Self {
            name,
            framer,
            dialect: handler,
            out: Output::default(),
            frames: 0,
            error: None,
            recorder: None,
        })
    }

    /// Record bytes, frames, events, tool calls and timings into `metrics` (the names are
    /// listed in the README), labelled with this decoder's dialect.
    pub fn record_into(&mut self, metrics: &Arc<Metrics>) -> Result<(), MetricsError> {
        self.recorder = Some(Recorder::new(metrics, self.name)?);
        Ok(())
    }

    /// The dialect's name.
    pub fn dialect(&self) -> &'static str {
        self.name
    }

    /// Consume one network read; return the events it completes.
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<Event>, Failure> {
        if let Some(error) = &self.error {
            return Err(Failure {
                error: error.clone(),
                completed: Vec::new(),
            });
        }
        let frames = self.frames;
        let outcome = self.run(data);
        self.settle(outcome, data.len(), frames)
    }

    /// Signal the end of input: flush an unterminated final frame, release a held `Finish`,
    /// and fail with [`ErrorClass::Truncated`] if the end marker never came. `clean` says the
    /// body ended as its transport meant it to; only then may a dialect without an end marker
    /// on the wire (openai-chat without `[DONE]`) count its stream complete
    /// (`Dialect::ends_cleanly`). A broken connection passes `false`.
    pub fn finish(&mut self, clean: bool) -> Result<Vec<Event>, Failure> {
        if let Some(error) = &self.error {
            return Err(Failure {
                error: error.clone(),
                completed: Vec::new(),
            });
        }
        let frames = self.frames;
        let mut outcome = self.flush();
        if outcome.is_ok() && !self.out.reached_end() {
            if clean && self.dialect.ends_cleanly() {
                self.out.end();
            } else {
                outcome = self.dialect.end_of_input(&mut self.out);
            }
        }
        if outcome.is_ok() {
            self.out.close();
            if !self.out.reached_end() {
                outcome = Err(DecodeError {
                    class: ErrorClass::Truncated,
                    message: format!(
                        "the {} stream ended after {} bytes without its end marker ({})",
                        self.name,
                        self.position(),
                        self.dialect.end_marker()
                    ),
                    position: self.position(),
                    excerpt: String::new(),
                });
            }
        }
        self.settle(outcome, 0, frames)
    }

    /// Hand out the call's events (on the error when it failed), after recording the call:
    /// `bytes` fed, and the frame count before it.
    fn settle(
        &mut self,
        outcome: Result<(), DecodeError>,
        bytes: usize,
        frames_before: u64,
    ) -> Result<Vec<Event>, Failure> {
        let events = std::mem::take(&mut self.out.events);
        if let Some(recorder) = &mut self.recorder {
            recorder.record(bytes, self.frames - frames_before, &events);
        }
        match outcome {
            Ok(()) => Ok(events),
            Err(error) => {
                self.error = Some(error.clone());
                Err(Failure {
                    error,
                    completed: events,
                })
            }
        }
    }

    fn run(&mut self, data: &[u8]) -> Result<(), DecodeError> {
        let mut delivery = Delivery {
            dialect: self.dialect.as_mut(),
            out: &mut self.out,
            frames: &mut self.frames,
            failed: None,
        };
        let framed = match &mut self.framer {
            // Stray lines come in stream order with the events, so the events and an error
            // object sent as bare lines keep their order however the input is split.
            Framer::Sse(sse) => sse.feed_items(data, |item, start| match item {
                Block::Event(event) => {
                    let frame = Frame::Sse {
                        event: event.event_type,
                        data: event.data,
                    };
                    delivery.frame(frame, start);
                }
                Block::Stray(line) => delivery.stray(line, start),
            }),
            Framer::Ndjson(lines) => lines.feed(data, |line, start| {
                delivery.frame(Frame::Line(line), start);
                Ok(())
            }),
            Framer::EventStream(messages) => messages.feed(data, |message| {
                delivery.frame(Frame::Message(&message), message.start);
            }),
        };
        delivery.failed.map_or(framed, Err)
    }

    /// End of input for the framer. An SSE block cut off by the end of the stream is
    /// dispatched here, as if its blank line had come (a final `data: [DONE]` often lacks it).
    fn flush(&mut self) -> Result<(), DecodeError> {
        match &mut self.framer {
            Framer::Sse(sse) if sse.pending_bytes() > 0 => self.run(b"\n\n"),
            Framer::Sse(_) => Ok(()),
            Framer::EventStream(messages) => messages.finish(),
            Framer::Ndjson(lines) => {
                let mut delivery = Delivery {
                    dialect: self.dialect.as_mut(),
                    out: &mut self.out,
                    frames: &mut self.frames,
                    failed: None,
                };
                let framed = lines.finish(|line, start| {
                    delivery.frame(Frame::Line(line), start);
                    Ok(())
                });
                delivery.failed.map_or(framed, Err)
            }
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        match &self.framer {
            Framer::Sse(sse) => sse.position(),
            Framer::Ndjson(lines) => lines.position(),
            Framer::EventStream(messages) => messages.position(),
        }
    }

    /// Frames seen so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The text of every `TextDelta` so far.
    pub fn text(&self) -> &str {
        self.out.accumulated_text()
    }

    /// The latest `Usage`.
    pub fn usage(&self) -> Option<&Usage> {
        self.out.last_usage()
    }

    /// The reason of the `Finish` event, once emitted.
    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.out.finish_reason()
    }

    /// Tool calls that have not finished (for a truncated stream).
    pub fn unfinished_tool_calls(&self) -> Vec<PartialToolCall> {
        self.out.tools().unfinished()
    }
}

/// Hands frames to the dialect until one fails; frames after the end marker are ignored.
struct Delivery<'a> {
    dialect: &'a mut dyn Dialect,
    out: &'a mut Output,
    frames: &'a mut u64,
    failed: Option<DecodeError>,
}

impl Delivery<'_> {
    fn frame(&mut self, frame: Frame<'_>, start: u64) {
        *self.frames += 1;
        self.deliver(frame, start);
    }

    /// A stray SSE line (not a frame, so not counted as one).
    fn stray(&mut self, line: &str, start: u64) {
        self.deliver(Frame::Stray(line), start);
    }

    fn deliver(&mut self, frame: Frame<'_>, start: u64) {
        if self.failed.is_none() && !self.out.has_ended() {
            self.failed = self.dialect.frame(frame, start, self.out).err();
        }
    }
}

fn sse() -> Framer {
    Framer::Sse(SseDecoder::new(crate::sse::DEFAULT_MAX_EVENT_BYTES))
}

/// SSE whose non-field lines reach the dialect as [`Frame::Stray`].
fn sse_with_stray_lines() -> Framer {
    let mut sse = SseDecoder::new(crate::sse::DEFAULT_MAX_EVENT_BYTES);
    sse.capture_stray_lines();
    Framer::Sse(sse)
}

fn ndjson() -> Framer {
    Framer::Ndjson(LineSplitter::new(crate::ndjson::DEFAULT_MAX_LINE_BYTES))
}

fn event_stream() -> Framer {
    Framer::EventStream(eventstream::Decoder::default())
}
