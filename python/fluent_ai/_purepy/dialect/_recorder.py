"""What a ``StreamDecoder`` records into a ``Metrics`` registry (mirrors
``rust/dialect/recorder.rs``; the metric names are listed in the README)."""

from __future__ import annotations

import time
from collections import Counter

from ..._validation import argument_error
from ..metrics import Metrics

__all__ = ["Recorder"]

EVENT_NAMES = (
    "TextDelta",
    "ReasoningDelta",
    "ToolCallStart",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallInvalid",
    "Usage",
    "Finish",
    "ProviderErrorEvent",
)
_COUNTERS = ("fluent_ai_stream_bytes", "fluent_ai_stream_frames", "fluent_ai_tool_calls")
_HISTOGRAMS = ("fluent_ai_time_to_first_event_seconds", "fluent_ai_event_gap_seconds")


class Recorder:
    """One decoder's series and timing state."""

    __slots__ = ("_created", "_dialect", "_last_events_at", "_metrics")

    def __init__(self, metrics: object, dialect: str) -> None:
        if not isinstance(metrics, Metrics):
            raise argument_error(
                "metrics must be a fluent_ai.Metrics (of the python backend)",
                "metrics",
                wrong_type=True,
            )
        # The series exist from the start, as with the native backend's handles.
        for name in EVENT_NAMES:
            metrics._ensure("counter", "fluent_ai_stream_events", dialect=dialect, event=name)
        for name in _COUNTERS:
            metrics._ensure("counter", name, dialect=dialect)
        for name in _HISTOGRAMS:
            metrics._ensure("histogram", name, dialect=dialect)
        self._metrics = metrics
        self._dialect = dialect
        self._created = time.perf_counter()
        self._last_events_at: float | None = None

    def record(self, nbytes: int, frames: int, events: list[object]) -> None:
        """Account for one ``feed()``/``finish()`` call."""
        metrics = self._metrics
        dialect = self._dialect
        if nbytes:
            metrics.inc("fluent_ai_stream_bytes", nbytes, dialect=dialect)
        if frames:
            metrics.inc("fluent_ai_stream_frames", frames, dialect=dialect)
        if not events:
            return
        counts = Counter(type(event).__name__ for event in events)
        for name, count in counts.items():
            metrics.inc("fluent_ai_stream_events", count, dialect=dialect, event=name)
        ended = counts["ToolCallDone"] + counts["ToolCallInvalid"]
        if ended:
            metrics.inc("fluent_ai_tool_calls", ended, dialect=dialect)
        now = time.perf_counter()
        if self._last_events_at is None:
            metrics.observe(
                "fluent_ai_time_to_first_event_seconds", now - self._created, dialect=dialect
            )
        else:
            metrics.observe(
                "fluent_ai_event_gap_seconds", now - self._last_events_at, dialect=dialect
            )
        self._last_events_at = now
