"""StreamDecoder(dialect, metrics=...) records the documented metrics on both backends."""

from __future__ import annotations

from collections import Counter
from types import ModuleType

import pytest

from chunking import random_splits
from conftest import BACKENDS
from fluent_ai import examples

EVENT_NAMES = {
    "TextDelta",
    "ReasoningDelta",
    "ToolCallStart",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallInvalid",
    "Usage",
    "Finish",
    "ProviderErrorEvent",
}


@pytest.mark.parametrize(("name", "dialect"), sorted(examples.EXAMPLES.items()))
def test_recorded_counts_match_what_was_decoded(core: ModuleType, name: str, dialect: str) -> None:
    data = examples.read(name)
    metrics = core.Metrics()
    decoder = core.StreamDecoder(dialect, metrics=metrics)
    events = []
    batches_with_events = 0
    for chunk in random_splits(data, seed=7, pieces=12):
        batch = decoder.feed(chunk)
        batches_with_events += bool(batch)
        events += batch
    batch = decoder.finish()
    batches_with_events += bool(batch)
    events += batch

    snapshot = metrics.snapshot()
    label = f"dialect={dialect}"
    counters = snapshot["counters"]
    assert counters["fluent_ai_stream_bytes"] == {label: len(data)}
    assert counters["fluent_ai_stream_frames"][label] > 0
    counted = Counter(type(e).__name__ for e in events)
    assert counters["fluent_ai_stream_events"] == {
        f"{label},event={event}": counted.get(event, 0) for event in EVENT_NAMES
    }
    assert counters["fluent_ai_tool_calls"] == {
        label: counted["ToolCallDone"] + counted["ToolCallInvalid"]
    }
    histograms = snapshot["histograms"]
    assert histograms["fluent_ai_time_to_first_event_seconds"][label]["count"] == 1
    assert histograms["fluent_ai_event_gap_seconds"][label]["count"] == batches_with_events - 1


def test_backends_record_the_same_counters() -> None:
    data = examples.read(examples.OPENAI_CHAT_TOOL_CALLS)
    counters = []
    for core in BACKENDS.values():
        metrics = core.Metrics()
        decoder = core.StreamDecoder("openai-chat", metrics=metrics)
        for chunk in random_splits(data, seed=3):
            decoder.feed(chunk)
        decoder.finish()
        counters.append(metrics.snapshot()["counters"])
    assert counters[0] == counters[1]


def test_metrics_must_be_a_metrics_registry(core: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"fluent_ai\.Metrics"):
        core.StreamDecoder("openai-chat", metrics={})
