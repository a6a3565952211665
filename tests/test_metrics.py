"""Metrics on both backends: snapshot shape, exact counts under threads, quantile error,
overflow folding, validation, Prometheus text, and native/pure agreement."""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from api_shape import assert_same_methods, needs_class_signatures, parameters
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

import fluent_ai
from fluent_ai import _core, _purepy

ERROR_BOUND = 0.01


def exact_quantile(values: list[float], q: float) -> float:
    """Nearest rank: the value of rank ``max(1, ceil(q * n))`` in sorted order."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def test_snapshot_shape(core: ModuleType) -> None:
    metrics = core.Metrics()
    metrics.inc("fluent_ai_requests", provider="openai", model="gpt-4.1")
    metrics.inc("fluent_ai_requests", 2, model="gpt-4.1", provider="openai")
    metrics.inc("fluent_ai_requests")
    metrics.gauge_add("fluent_ai_in_flight", 3)
    metrics.gauge_add("fluent_ai_in_flight", -2)
    metrics.observe("fluent_ai_latency_seconds", 0.25, provider="openai")
    assert metrics.snapshot() == {
        "counters": {"fluent_ai_requests": {"": 1.0, "model=gpt-4.1,provider=openai": 3.0}},
        "gauges": {"fluent_ai_in_flight": {"": {"value": 1.0, "peak": 3.0}}},
        "histograms": {
            "fluent_ai_latency_seconds": {
                "provider=openai": {
                    "count": 1,
                    "sum": 0.25,
                    "p50": 0.25,
                    "p90": 0.25,
                    "p99": 0.25,
                    "p999": 0.25,
                }
            }
        },
    }
    assert core.Metrics().snapshot() == {"counters": {}, "gauges": {}, "histograms": {}}


def test_snapshot_keys_are_sorted(core: ModuleType) -> None:
    metrics = core.Metrics()
    for name in ["zeta", "alpha", "mid"]:
        for model in ["b", "a", "c"]:
            metrics.inc(name, model=model)
    counters = metrics.snapshot()["counters"]
    assert list(counters) == ["alpha", "mid", "zeta"]
    assert list(counters["mid"]) == ["model=a", "model=b", "model=c"]


def test_a_gauge_keeps_its_peak(core: ModuleType) -> None:
    metrics = core.Metrics()
    for delta in [2, 3, -4, 1.5, -10]:
        metrics.gauge_add("open_streams", delta)
    assert metrics.snapshot()["gauges"]["open_streams"][""] == {"value": -7.5, "peak": 5.0}


def run_threads(count: int, body: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=body, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_counts_and_sums_are_exact_under_threads(core: ModuleType) -> None:
    metrics = core.Metrics()
    values = [(i % 64) / 1024 for i in range(100_000)]  # dyadic: any summing order is exact

    def record(index: int) -> None:
        provider = "openai" if index % 2 else "anthropic"
        for value in values:
            metrics.observe("latency_seconds", value, provider=provider)

    run_threads(8, record)
    histograms = metrics.snapshot()["histograms"]["latency_seconds"]
    for provider in ["anthropic", "openai"]:
        series = histograms[f"provider={provider}"]
        assert series["count"] == 400_000
        assert series["sum"] == 4 * sum(values)


def test_counters_and_gauges_are_exact_under_threads(core: ModuleType) -> None:
    metrics = core.Metrics()

    def record(index: int) -> None:
        for _ in range(20_000):
            metrics.inc("calls", 1)
            metrics.gauge_add("balance", 1 if index % 2 else -1)

    run_threads(8, record)
    snapshot = metrics.snapshot()
    assert snapshot["counters"]["calls"][""] == 160_000.0
    assert snapshot["gauges"]["balance"][""]["value"] == 0.0


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=1e-9, max_value=3600.0, allow_nan=False), min_size=1, max_size=400
    )
)
def test_quantiles_are_within_one_percent(values: list[float]) -> None:
    for core in (_core, _purepy):
        metrics = core.Metrics()
        for value in values:
            metrics.observe("latency", value)
        series = metrics.snapshot()["histograms"]["latency"][""]
        for key, q in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)]:
            truth = exact_quantile(values, q)
            assert abs(series[key] - truth) <= ERROR_BOUND * truth, (key, series[key], truth)


@pytest.mark.parametrize("distribution", ["lognormal", "exponential", "uniform", "bimodal"])
def test_quantiles_of_large_random_samples(core: ModuleType, distribution: str) -> None:
    rng = random.Random(distribution)
    draw: dict[str, Callable[[], float]] = {
        "lognormal": lambda: rng.lognormvariate(-3.0, 1.5),
        "exponential": lambda: rng.expovariate(20.0),
        "uniform": lambda: rng.uniform(0.001, 2.0),
        "bimodal": lambda: rng.choice([0.002, 1.5]) * rng.uniform(0.9, 1.1),
    }
    values = [draw[distribution]() for _ in range(50_000)]
    metrics = core.Metrics()
    for value in values:
        metrics.observe("latency", value)
    series = metrics.snapshot()["histograms"]["latency"][""]
    assert series["count"] == len(values)
    assert series["sum"] == pytest.approx(sum(values), rel=1e-9)
    for key, q in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)]:
        truth = exact_quantile(values, q)
        assert abs(series[key] - truth) <= ERROR_BOUND * truth


def test_values_outside_the_bucket_range_report_the_observed_extremes(core: ModuleType) -> None:
    metrics = core.Metrics()
    # Below 2**-30 s the underflow bucket reports the smallest value observed, from
    # 2**16 s up the overflow bucket the largest.
    metrics.observe("tiny", 2e-12)
    metrics.observe("tiny", 1e-12)
    metrics.observe("huge", 10 * 24 * 3600.0)
    metrics.observe("huge", 20 * 24 * 3600.0)
    histograms = metrics.snapshot()["histograms"]
    assert histograms["tiny"][""]["p999"] == 1e-12
    assert histograms["huge"][""]["p50"] == 20 * 24 * 3600.0
    metrics.observe("zero", 0.0)
    assert histograms["huge"][""]["count"] == 2
    assert metrics.snapshot()["histograms"]["zero"][""]["p50"] == 0.0


def test_label_sets_past_max_series_fold_into_overflow(core: ModuleType) -> None:
    metrics = core.Metrics(max_series=3)
    assert metrics.max_series == 3
    for i in range(10):
        metrics.inc("calls", model=f"m{i}")
        metrics.observe("latency", 0.5, model=f"m{i}")
    metrics.inc("calls", 5, model="m1")  # an existing series is still recorded into
    metrics.inc("other", model="m9")  # the limit is per metric name
    snapshot = metrics.snapshot()
    assert snapshot["counters"]["calls"] == {
        "model=m0": 1.0,
        "model=m1": 6.0,
        "model=m2": 1.0,
        "overflow=true": 7.0,
    }
    assert snapshot["histograms"]["latency"]["overflow=true"]["count"] == 7
    assert snapshot["counters"]["other"] == {"model=m9": 1.0}
    assert core.Metrics(max_series=0).snapshot() == {"counters": {}, "gauges": {}, "histograms": {}}
    zero = core.Metrics(max_series=0)
    zero.inc("calls")
    assert zero.snapshot()["counters"] == {"calls": {"overflow=true": 1.0}}


BAD_CALLS: list[tuple[str, Callable[[Any], None]]] = [
    ("non-str label", lambda m: m.inc("calls", provider=1)),
    ("non-str name", lambda m: m.inc(b"calls")),
    ("empty name", lambda m: m.inc("")),
    ("bad name", lambda m: m.observe("a-b", 1.0)),
    ("bad label name", lambda m: m.gauge_add("g", 1, **{"x-y": "1"})),
    ("quantile label", lambda m: m.observe("h", 1.0, quantile="0.5")),
    ("negative increment", lambda m: m.inc("calls", -1)),
    ("nan seconds", lambda m: m.observe("h", math.nan)),
    ("negative seconds", lambda m: m.observe("h", -0.5)),
    ("infinite delta", lambda m: m.gauge_add("g", math.inf)),
    ("str value", lambda m: m.inc("calls", "1")),
    ("huge value", lambda m: m.inc("calls", 10**400)),
    ("kind conflict", lambda m: (m.inc("x"), m.observe("x", 1.0))),
    ("kind conflict, new labels", lambda m: (m.inc("x"), m.gauge_add("x", 1.0, a="1"))),
    ("negative max_series", lambda m: type(m)(max_series=-1)),
    ("float max_series", lambda m: type(m)(max_series=1.5)),
]


@pytest.mark.parametrize("call", [c for _, c in BAD_CALLS], ids=[i for i, _ in BAD_CALLS])
def test_bad_calls_fail_identically_on_both_backends(call: Callable[[Any], None]) -> None:
    outcomes = []
    for core in (_core, _purepy):
        metrics = core.Metrics()
        with pytest.raises((TypeError, ValueError, OverflowError)) as caught:
            call(metrics)
        outcomes.append((type(caught.value), str(caught.value)))
        # A rejected call records nothing.
        assert metrics.snapshot()["counters"].get("calls") is None
    assert outcomes[0] == outcomes[1]


def test_error_messages(core: ModuleType) -> None:
    metrics = core.Metrics()
    with pytest.raises(TypeError, match=r"^label 'provider' must be a str, not int$"):
        metrics.inc("calls", provider=1)
    with pytest.raises(ValueError, match=r"^metric name '' must match"):
        metrics.inc("")
    metrics.inc("x")
    with pytest.raises(ValueError, match=r"^metric 'x' is a counter, not a histogram$"):
        metrics.observe("x", 1.0)
    with pytest.raises(ValueError, match=r"^counter increment must be finite and >= 0, not -1.0$"):
        metrics.inc("x", -1)


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_prometheus_text_parses_and_matches_the_snapshot(core: ModuleType) -> None:
    metrics = core.Metrics()
    tricky = 'quote " backslash \\ newline \n é'
    metrics.inc("fluent_ai_stream_bytes", 1234, dialect="openai-chat")
    metrics.inc("fluent_ai_stream_bytes", 10, dialect=tricky)
    metrics.inc("already_total", 2)
    metrics.gauge_add("fluent_ai_in_flight", 2, provider="openai")
    metrics.gauge_add("fluent_ai_in_flight", -1, provider="openai")
    for value in [0.1, 0.2, 0.3, 5.0]:
        metrics.observe("fluent_ai_time_to_first_event_seconds", value, dialect="anthropic")
    families = {f.name: f.type for f in text_string_to_metric_families(metrics.prometheus())}
    assert families == {
        "fluent_ai_stream_bytes": "counter",
        "already": "counter",
        "fluent_ai_in_flight": "gauge",
        "fluent_ai_in_flight_peak": "gauge",
        "fluent_ai_time_to_first_event_seconds": "summary",
    }
    samples = parse(metrics.prometheus())
    assert samples["fluent_ai_stream_bytes_total", (("dialect", "openai-chat"),)] == 1234.0
    assert samples["fluent_ai_stream_bytes_total", (("dialect", tricky),)] == 10.0
    assert samples["already_total", ()] == 2.0
    assert samples["fluent_ai_in_flight", (("provider", "openai"),)] == 1.0
    assert samples["fluent_ai_in_flight_peak", (("provider", "openai"),)] == 2.0
    histogram = metrics.snapshot()["histograms"]["fluent_ai_time_to_first_event_seconds"]
    series = histogram["dialect=anthropic"]
    name, labels = "fluent_ai_time_to_first_event_seconds", (("dialect", "anthropic"),)
    for key, quantile in [("p50", "0.5"), ("p90", "0.9"), ("p99", "0.99"), ("p999", "0.999")]:
        assert samples[name, (*labels, ("quantile", quantile))] == series[key]
    assert samples[f"{name}_sum", labels] == series["sum"]
    assert samples[f"{name}_count", labels] == 4
    assert core.Metrics().prometheus() == ""


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["inc", "observe", "gauge_add"]),
        st.sampled_from(["a", "b", "c_total"]),
        st.dictionaries(
            st.sampled_from(["provider", "model", "dialect"]),
            st.text(max_size=4),
            max_size=3,
        ),
        st.floats(min_value=0.0, max_value=1e5) | st.floats(min_value=-50.0, max_value=50.0),
    ),
    max_size=60,
)


def apply(core: ModuleType, operations: list[tuple[str, str, dict[str, str], float]]) -> Any:
    metrics = core.Metrics(max_series=4)
    outcomes = []
    for method, name, labels, value in operations:
        try:
            getattr(metrics, method)(name, value, **labels)
            outcomes.append(None)
        except (TypeError, ValueError) as error:
            outcomes.append((type(error), str(error)))
    return outcomes, metrics.snapshot(), metrics.prometheus()


@settings(max_examples=150, deadline=None)
@given(operations=OPERATIONS)
def test_native_and_pure_agree(operations: list[tuple[str, str, dict[str, str], float]]) -> None:
    assert apply(_core, operations) == apply(_purepy, operations)


def test_record_loop(core: ModuleType) -> None:
    metrics = core.Metrics()
    core._metrics_record_loop(metrics, 1001)
    snapshot = metrics.snapshot()
    key = "model=gpt-4.1,provider=openai"
    assert snapshot["counters"]["fluent_ai_bench_calls"][key] == 501.0
    assert snapshot["histograms"]["fluent_ai_bench_seconds"][key]["count"] == 500
    with pytest.raises(TypeError):
        core._metrics_record_loop(object(), 1)


def test_the_record_loops_agree() -> None:
    native, pure = _core.Metrics(), _purepy.Metrics()
    _core._metrics_record_loop(native, 3000)
    _purepy._metrics_record_loop(pure, 3000)
    assert native.snapshot() == pure.snapshot()


def test_the_default_instance_and_repr(core: ModuleType) -> None:
    assert isinstance(fluent_ai.metrics, fluent_ai.Metrics)
    assert fluent_ai.metrics.max_series == 1000
    assert repr(core.Metrics(7)) == "Metrics(max_series=7)"
    metrics = core.Metrics()
    with pytest.raises(AttributeError):
        metrics.anything = 1


@settings(max_examples=200, deadline=None)
@given(
    deltas=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=5),
    seconds=st.floats(min_value=0.0, max_value=1e300),
)
def test_numbers_are_written_identically(deltas: list[float], seconds: float) -> None:
    texts = []
    for core in (_core, _purepy):
        metrics = core.Metrics()
        for delta in deltas:
            metrics.gauge_add("g", delta)
        metrics.observe("h", seconds)
        texts.append(metrics.prometheus())
    assert texts[0] == texts[1]


@needs_class_signatures
@pytest.mark.parametrize("name", ["Metrics", "CircuitBreaker"])
def test_both_backends_have_the_same_constructors(name: str) -> None:
    assert parameters(getattr(_core, name)) == parameters(getattr(_purepy, name))


@pytest.mark.parametrize("name", ["Metrics", "CircuitBreaker"])
def test_both_backends_have_the_same_methods(name: str) -> None:
    assert_same_methods(getattr(_core, name), getattr(_purepy, name))
