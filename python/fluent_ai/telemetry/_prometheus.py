"""The clients' Prometheus metrics: histograms with fixed buckets (so that the series of many
processes add up), token and cost counters per provider and model, requests, errors, retries
and circuit-breaker state, each with a help text that says what it is.

``LLMMetrics`` keeps them (one lock; recording costs a dict look-up and a few additions);
:meth:`LLMMetrics.prometheus` writes the text exposition format 0.0.4 and
:class:`PrometheusCollector` hands the same families to ``prometheus_client``.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FAMILIES", "Family", "LLMMetrics", "PrometheusCollector"]

# Latency buckets for whole LLM calls: a cached embedding answers in tens of milliseconds, a
# long reasoning answer in minutes (the clients' default total limit is 600 s).
REQUEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0,
                   600.0)  # fmt: skip
FIRST_CHUNK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
# Gaps between the reads of a stream that brought events: a token every few milliseconds
# while it flows, seconds when a model stops to think or to call a tool.
CHUNK_GAP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
TOKEN_BUCKETS = (16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576)

_CALL = ("provider", "model", "operation")


@dataclass(frozen=True)
class Family:
    """One metric: its exposed name (counters end in ``_total``), kind, labels and help."""

    name: str
    kind: str  # counter, gauge or histogram
    labels: tuple[str, ...]
    help: str
    buckets: tuple[float, ...] = ()


FAMILIES = (
    Family(
        "fluent_ai_llm_requests_total",
        "counter",
        (*_CALL, "outcome"),
        "Client calls (chat, stream, embed, rerank) that ended, by outcome: ok, closed (a "
        "stream the caller closed early) or the exception class the caller got.",
    ),
    Family(
        "fluent_ai_llm_errors_total",
        "counter",
        (*_CALL, "error_type"),
        "Client calls that ended in an exception, by its class (after all retries).",
    ),
    Family(
        "fluent_ai_llm_retries_total",
        "counter",
        (*_CALL, "reason"),
        "Attempts made again after a failed one, by what failed: the HTTP status, or the "
        "exception class when there was no response.",
    ),
    Family(
        "fluent_ai_llm_tokens_total",
        "counter",
        ("provider", "model", "type"),
        "Tokens the provider reported, by type: input (all prompt tokens, cached included), "
        "output, cache_read, cache_write, reasoning (part of output).",
    ),
    Family(
        "fluent_ai_llm_cost_usd_total",
        "counter",
        ("provider", "model"),
        "Cost in USD of the calls whose price the model catalog knows (fluent_ai.catalog).",
    ),
    Family(
        "fluent_ai_llm_requests_in_flight",
        "gauge",
        ("provider",),
        "Client calls started and not yet ended.",
    ),
    Family(
        "fluent_ai_llm_circuit_state",
        "gauge",
        ("provider", "state"),
        "Circuit breaker of the provider's endpoint: 1 for its current state (closed, open, "
        "half_open), 0 for the others; as of the provider's last call.",
    ),
    Family(
        "fluent_ai_llm_request_duration_seconds",
        "histogram",
        _CALL,
        "Duration of client calls in seconds, from the call to its end (a stream's last "
        "event), retries and waits included.",
        REQUEST_BUCKETS,
    ),
    Family(
        "fluent_ai_llm_time_to_first_chunk_seconds",
        "histogram",
        ("provider", "model"),
        "Streams: seconds from the call to the first events reaching the caller.",
        FIRST_CHUNK_BUCKETS,
    ),
    Family(
        "fluent_ai_llm_time_per_output_chunk_seconds",
        "histogram",
        ("provider", "model"),
        "Streams: seconds between consecutive network reads that brought events, after the first.",
        CHUNK_GAP_BUCKETS,
    ),
    Family(
        "fluent_ai_llm_tokens_per_request",
        "histogram",
        ("provider", "model", "type"),
        "Tokens per call (input and output), as the provider reported them.",
        TOKEN_BUCKETS,
    ),
)

_BY_NAME = {family.name: family for family in FAMILIES}
_OVERFLOW = ("overflow", "true")
_CIRCUIT_STATES = ("closed", "open", "half_open")


class _Histogram:
    __slots__ = ("count", "counts", "sum")

    def __init__(self, buckets: int) -> None:
        self.counts = [0] * (buckets + 1)  # the last one is +Inf
        self.count = 0
        self.sum = 0.0


class LLMMetrics:
    """The clients' Prometheus series (thread-safe).

    ``max_series`` bounds the label sets of each metric, as ``fluent_ai.Metrics`` does: a new
    label set past it is counted in the metric's series labelled ``overflow="true"``, so memory
    stays bounded whatever model names callers pass.
    """

    def __init__(self, max_series: int = 1000) -> None:
        if isinstance(max_series, bool) or not isinstance(max_series, int) or max_series < 1:
            raise ValueError(f"max_series must be an int >= 1, not {max_series!r}")
        self.max_series = max_series
        self._lock = threading.Lock()
        self._series: dict[str, dict[tuple[str, ...], Any]] = {f.name: {} for f in FAMILIES}

    # Recording ----------------------------------------------------------------------------

    def _key(self, series: dict[tuple[str, ...], Any], key: tuple[str, ...]) -> tuple[str, ...]:
        if key in series or len(series) < self.max_series:
            return key
        return _OVERFLOW

    def inc(self, name: str, labels: tuple[str, ...], value: float = 1.0) -> None:
        """Adds ``value`` (finite, >= 0) to a counter's series ``labels`` (its label values)."""
        with self._lock:
            self._add(name, labels, value)

    def gauge_add(self, name: str, labels: tuple[str, ...], delta: float) -> None:
        with self._lock:
            series = self._series[name]
            key = self._key(series, labels)
            series[key] = series.get(key, 0.0) + delta

    def circuit(self, provider: str, state: str) -> None:
        """Records the state of ``provider``'s breaker (one series per state, 1 for it)."""
        with self._lock:
            self._circuit(provider, state)

    def observe(self, name: str, labels: tuple[str, ...], value: float) -> None:
        """Counts ``value`` (finite, >= 0) in a histogram's buckets."""
        with self._lock:
            self._observe(name, labels, value)

    def call_ended(
        self,
        labels: tuple[str, str, str],
        outcome: str,
        *,
        failed: bool,
        seconds: float,
        circuit: str | None,
        tokens: Sequence[tuple[str, int]],
        cost: float | None,
    ) -> None:
        """Everything one call's end records (``labels``: provider, model, operation), under
        one lock acquisition."""
        provider, model, _ = labels
        with self._lock:
            in_flight = self._series["fluent_ai_llm_requests_in_flight"]
            key = self._key(in_flight, (provider,))
            in_flight[key] = in_flight.get(key, 0.0) - 1.0
            self._add("fluent_ai_llm_requests_total", (*labels, outcome), 1.0)
            if failed:
                self._add("fluent_ai_llm_errors_total", (*labels, outcome), 1.0)
            self._observe("fluent_ai_llm_request_duration_seconds", labels, seconds)
            if circuit is not None:
                self._circuit(provider, circuit)
            for kind, count in tokens:
                self._add("fluent_ai_llm_tokens_total", (provider, model, kind), count)
                if kind in ("input", "output"):
                    self._observe(
                        "fluent_ai_llm_tokens_per_request", (provider, model, kind), count
                    )
            if cost:
                self._add("fluent_ai_llm_cost_usd_total", (provider, model), cost)

    # With the lock held --------------------------------------------------------------------

    def _add(self, name: str, labels: tuple[str, ...], value: float) -> None:
        if not 0 <= value < math.inf:
            return
        series = self._series[name]
        key = self._key(series, labels)
        series[key] = series.get(key, 0.0) + value

    def _circuit(self, provider: str, state: str) -> None:
        series = self._series["fluent_ai_llm_circuit_state"]
        for candidate in _CIRCUIT_STATES:
            key = self._key(series, (provider, candidate))
            series[key] = 1.0 if candidate == state else 0.0

    def _observe(self, name: str, labels: tuple[str, ...], value: float) -> None:
        if not 0 <= value < math.inf:
            return
        buckets = _BY_NAME[name].buckets
        # ``le`` is inclusive: a value equal to a bound belongs to that bucket.
        position = bisect_left(buckets, value)
        series = self._series[name]
        key = self._key(series, labels)
        histogram = series.get(key)
        if histogram is None:
            histogram = series[key] = _Histogram(len(buckets))
        histogram.counts[position] += 1
        histogram.count += 1
        histogram.sum += value

    # Reading ------------------------------------------------------------------------------

    def samples(self) -> Iterator[tuple[Family, list[tuple[tuple[tuple[str, str], ...], Any]]]]:
        """Each family with its series as ``(label pairs, value)``, sorted by labels; a
        histogram's value is ``(cumulative bucket counts, count, sum)``. A family without
        series is left out."""
        with self._lock:
            copied = {
                name: [
                    (key, (list(v.counts), v.count, v.sum) if isinstance(v, _Histogram) else v)
                    for key, v in series.items()
                ]
                for name, series in self._series.items()
            }
        for family in FAMILIES:
            rows = []
            for key, stored in sorted(copied[family.name]):
                pairs = (_OVERFLOW,) if key == _OVERFLOW else tuple(zip(family.labels, key))
                value = stored
                if family.kind == "histogram":
                    counts, count, total = stored
                    running, cumulative = 0, []
                    for part in counts:
                        running += part
                        cumulative.append(running)
                    value = (cumulative, count, total)
                rows.append((pairs, value))
            if rows:
                yield family, rows

    def prometheus(self) -> str:
        """The text exposition format 0.0.4 of every series."""
        out: list[str] = []
        for family, rows in self.samples():
            out.append(f"# HELP {family.name} {_escape_help(family.help)}\n")
            out.append(f"# TYPE {family.name} {family.kind}\n")
            for pairs, value in rows:
                if family.kind != "histogram":
                    _line(out, family.name, pairs, _number(value))
                    continue
                cumulative, count, total = value
                bounds = [*(_number(b) for b in family.buckets), "+Inf"]
                for bound, running in zip(bounds, cumulative):
                    _line(out, f"{family.name}_bucket", (*pairs, ("le", bound)), str(running))
                _line(out, f"{family.name}_sum", pairs, _number(total))
                _line(out, f"{family.name}_count", pairs, str(count))
        return "".join(out)


def _number(value: float) -> str:
    if value == math.inf:
        return "+Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return f"{float(value):.1f}"
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _line(out: list[str], name: str, pairs: Sequence[tuple[str, str]], value: str) -> None:
    if pairs:
        labels = ",".join(f'{key}="{_escape(text)}"' for key, text in pairs)
        out.append(f"{name}{{{labels}}} {value}\n")
    else:
        out.append(f"{name} {value}\n")


class PrometheusCollector:
    """A ``prometheus_client`` collector of an :class:`LLMMetrics` (the process-wide one by
    default): ``prometheus_client.REGISTRY.register(PrometheusCollector())``. With
    ``library=fluent_ai.metrics`` (a ``fluent_ai.Metrics``) its series are collected too."""

    def __init__(self, metrics: LLMMetrics | None = None, *, library: Any = None) -> None:
        self._metrics = metrics
        self._library = library

    def describe(self) -> list[Any]:
        return []  # collected on each scrape only

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (  # noqa: PLC0415  (an optional dependency)
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        from . import _hook  # noqa: PLC0415

        metrics = self._metrics if self._metrics is not None else _hook.registry()
        for family, rows in metrics.samples():
            overflow = any(pairs == (_OVERFLOW,) for pairs, _ in rows)
            labels = [*family.labels, "overflow"] if overflow else list(family.labels)

            def values(pairs: tuple[tuple[str, str], ...], names: list[str] = labels) -> list[str]:
                given = dict(pairs)
                return [given.get(name, "") for name in names]

            if family.kind == "counter":
                counter = CounterMetricFamily(family.name, family.help, labels=labels)
                for pairs, value in rows:
                    counter.add_metric(values(pairs), value)
                yield counter
            elif family.kind == "gauge":
                gauge = GaugeMetricFamily(family.name, family.help, labels=labels)
                for pairs, value in rows:
                    gauge.add_metric(values(pairs), value)
                yield gauge
            else:
                histogram = HistogramMetricFamily(family.name, family.help, labels=labels)
                bounds = [*(_number(b) for b in family.buckets), "+Inf"]
                for pairs, (cumulative, _, total) in rows:
                    histogram.add_metric(values(pairs), list(zip(bounds, cumulative)), total)
                yield histogram
        if self._library is not None:
            from prometheus_client.parser import (  # noqa: PLC0415
                text_string_to_metric_families,
            )

            yield from text_string_to_metric_families(self._library.prometheus())
