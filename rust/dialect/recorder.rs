//! What a [`super::StreamDecoder`] records into a [`Metrics`] registry: handles resolved once
//! per decoder, so each `feed()` costs a few atomic adds. The metric names are a public
//! contract (README, "Metrics and circuit breakers").

use std::sync::Arc;
use std::time::Instant;

use crate::events::Event;
use crate::metrics::{CounterHandle, HistogramHandle, Metrics, MetricsError};

/// The event class names, in [`event_slot`] order (the `event` label).
const EVENT_NAMES: [&str; 9] = [
    "TextDelta",
    "ReasoningDelta",
    "ToolCallStart",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallInvalid",
    "Usage",
    "Finish",
    "ProviderErrorEvent",
];

fn event_slot(event: &Event) -> usize {
    match event {
        Event::Text { .. } => 0,
        Event::Reasoning { .. } => 1,
        Event::ToolCallStart { .. } => 2,
        Event::ToolCallDelta { .. } => 3,
        Event::ToolCallDone { .. } => 4,
        Event::ToolCallInvalid { .. } => 5,
        Event::Usage(_) => 6,
        Event::Finish { .. } => 7,
        Event::ProviderError { .. } => 8,
    }
}

/// One decoder's metric handles and timing state.
#[derive(Debug)]
pub struct Recorder {
    bytes: CounterHandle,
    frames: CounterHandle,
    events: Vec<CounterHandle>,
    tool_calls: CounterHandle,
    first_event: HistogramHandle,
    gap: HistogramHandle,
    created: Instant,
    last_events_at: Option<Instant>,
}

impl Recorder {
    /// Resolve the series of `dialect` in `metrics`.
    pub fn new(metrics: &Arc<Metrics>, dialect: &str) -> Result<Self, MetricsError> {
        let labels = [("dialect", dialect)];
        let events = EVENT_NAMES
            .iter()
            .map(|name| {
                metrics.counter(
                    "fluent_ai_stream_events",
                    &[("dialect", dialect), ("event", name)],
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            bytes: metrics.counter("fluent_ai_stream_bytes", &labels)?,
            frames: metrics.counter("fluent_ai_stream_frames", &labels)?,
            events,
            tool_calls: metrics.counter("fluent_ai_tool_calls", &labels)?,
            first_event: metrics.histogram("fluent_ai_time_to_first_event_seconds", &labels)?,
            gap: metrics.histogram("fluent_ai_event_gap_seconds", &labels)?,
            created: Instant::now(),
            last_events_at: None,
        })
    }

    /// Account for one `feed()`/`finish()` call: `bytes` fed, `frames` delivered, and the
    /// events it returned.
    pub fn record(&mut self, bytes: usize, frames: u64, events: &[Event]) {
        if bytes > 0 {
            self.bytes.add(bytes as f64);
        }
        if frames > 0 {
            self.frames.add(frames as f64);
        }
        if events.is_empty() {
            return;
        }
        let mut counts = [0u32; EVENT_NAMES.len()];
        for event in events {
            counts[event_slot(event)] += 1;
        }
        for (handle, count) in self.events.iter().zip(counts) {
            if count > 0 {
                handle.add(f64::from(count));
            }
        }
        let ended = counts[4] + counts[5];
        if ended > 0 {
            self.tool_calls.add(f64::from(ended));
        }
        let now = Instant::now();
        match self.last_events_at {
            None => self.first_event.observe((now - self.created).as_secs_f64()),
            Some(last) => self.gap.observe((now - last).as_secs_f64()),
        }
        self.last_events_at = Some(now);
    }
}
