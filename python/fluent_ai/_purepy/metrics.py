"""Counters, gauges and latency histograms: the pure-Python mirror of ``rust/metrics/``.

Same API, rules, messages, snapshot and Prometheus text as the native ``Metrics``; a lock
keeps it thread-safe (the native one uses atomics). The rules:

- metric names match ``[a-zA-Z_:][a-zA-Z0-9_:]*``, label names ``[a-zA-Z_][a-zA-Z0-9_]*``
  (histograms may not use ``quantile``); a name keeps the kind of its first series;
- each name holds at most ``max_series`` label sets; further label sets are folded into the
  series labelled ``overflow="true"`` of that name;
- counter increments and observed seconds are finite and >= 0, gauge deltas finite.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable
from typing import Any, Union, final

from .._validation import argument_error, check_limit, metric_number
from ._arguments import unsigned
from ._exposition import Families, prometheus_text
from ._histogram import Histogram

__all__ = ["Metrics", "_metrics_record_loop"]

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_OVERFLOW_LABELS = (("overflow", "true"),)
_LIMIT_MESSAGES = {
    "counter": "counter increment must be finite and >= 0",
    "histogram": "observed seconds must be finite and >= 0",
    "gauge": "gauge delta must be finite",
}

_Labels = tuple[tuple[str, str], ...]
_Key = tuple[str, _Labels]


class _Counter:
    __slots__ = ("total",)
    kind = "counter"

    def __init__(self) -> None:
        self.total = 0.0


class _Gauge:
    __slots__ = ("peak", "value")
    kind = "gauge"

    def __init__(self) -> None:
        self.value = 0.0
        self.peak = 0.0


class _Histogram(Histogram):
    __slots__ = ()
    kind = "histogram"


_Series = Union[_Counter, _Gauge, _Histogram]
_KINDS: dict[str, type[_Counter] | type[_Gauge] | type[_Histogram]] = {
    "counter": _Counter,
    "gauge": _Gauge,
    "histogram": _Histogram,
}


def _labels(labels: dict[str, Any]) -> _Labels:
    for key, value in labels.items():
        if not isinstance(value, str):
            message = f"label {key!r} must be a str, not {type(value).__name__}"
            raise argument_error(message, key, "a str", wrong_type=True)
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                message = f"label {key!r} must be text without lone surrogates (valid UTF-8)"
                raise argument_error(message, key) from None
    return tuple(sorted(labels.items()))


def _validate(kind: str, name: str, labels: _Labels) -> None:
    if not _METRIC_NAME.match(name):
        message = f"metric name {name!r} must match [a-zA-Z_:][a-zA-Z0-9_:]*"
        raise argument_error(message, "name")
    for label, _ in labels:
        if not _LABEL_NAME.match(label):
            message = f"label name {label!r} must match [a-zA-Z_][a-zA-Z0-9_]*"
            raise argument_error(message, label)
        if kind == "histogram" and label == "quantile":
            message = f"label name {label!r} is reserved for histogram quantiles"
            raise argument_error(message, label)


# The parameter that carries the value of each kind of call.
_VALUE_ARGUMENTS = {"counter": "value", "histogram": "seconds", "gauge": "delta"}


def _conflict(name: str, existing: str, requested: str) -> ValueError:
    return argument_error(f"metric {name!r} is a {existing}, not a {requested}", "name")


def _label_key(labels: Iterable[tuple[str, str]]) -> str:
    return ",".join(f"{key}={value}" for key, value in labels)


@final
class Metrics:
    """Counters, gauges and latency histograms, keyed by name and labels; thread-safe."""

    __slots__ = ("_families", "_lock", "_max_series", "_series")

    def __init__(self, max_series: int = 1000) -> None:
        self._max_series = check_limit("max_series", max_series)
        self._lock = threading.Lock()
        self._series: dict[_Key, _Series] = {}
        #: name -> [kind, number of label sets with a series]
        self._families: dict[str, list[Any]] = {}

    def _record(self, kind: str, name: object, value: float, labels: dict[str, Any]) -> _Series:
        """Check the call as the native binding does (in the same order); return its series."""
        if not isinstance(name, str):
            message = f"metric name must be a str, not {type(name).__name__}"
            raise argument_error(message, "metric name", "a str", wrong_type=True)
        key = (name, _labels(labels))
        valid = math.isfinite(value) and (kind == "gauge" or value >= 0)
        if not valid:
            argument = _VALUE_ARGUMENTS[kind]
            raise argument_error(f"{_LIMIT_MESSAGES[kind]}, not {value!r}", argument)
        series = self._series.get(key)
        if series is None:
            series = self._create(kind, key)
        if series.kind != kind:
            raise _conflict(name, series.kind, kind)
        return series

    def _create(self, kind: str, key: _Key) -> _Series:
        name, labels = key
        _validate(kind, name, labels)
        family = self._families.setdefault(name, [kind, 0])
        if family[0] != kind:
            raise _conflict(name, family[0], kind)
        if family[1] < self._max_series:
            family[1] += 1
            series = self._series[key] = _KINDS[kind]()
            return series
        overflow = (name, _OVERFLOW_LABELS)
        if overflow not in self._series:
            self._series[overflow] = _KINDS[kind]()
        return self._series[overflow]

    def _ensure(self, kind: str, name: str, **labels: str) -> None:
        """Create the series now, as a native handle does (``StreamDecoder(metrics=...)``)."""
        with self._lock:
            self._record(kind, name, 0.0, labels)

    def inc(self, name: str, value: float = 1, **labels: str) -> None:
        """Add ``value`` (finite, >= 0) to the counter ``name`` with these labels."""
        # ``None`` is the default increment, as the native binding reads it.
        amount = 1.0 if value is None else metric_number("value", value)
        with self._lock:
            counter = self._record("counter", name, amount, labels)
            assert isinstance(counter, _Counter)
            counter.total += amount

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """Record a duration in seconds (finite, >= 0) in the histogram ``name``."""
        amount = metric_number("seconds", seconds)
        with self._lock:
            histogram = self._record("histogram", name, amount, labels)
            assert isinstance(histogram, _Histogram)
            histogram.observe(amount)

    def gauge_add(self, name: str, delta: float, **labels: str) -> None:
        """Add ``delta`` (finite, may be negative) to the gauge ``name``; it keeps its peak."""
        amount = metric_number("delta", delta)
        with self._lock:
            gauge = self._record("gauge", name, amount, labels)
            assert isinstance(gauge, _Gauge)
            gauge.value += amount
            gauge.peak = max(gauge.peak, gauge.value)

    def _families_now(
        self,
    ) -> tuple[
        Families[float], Families[tuple[float, float]], Families[tuple[int, float, list[float]]]
    ]:
        counters: Families[float] = {}
        gauges: Families[tuple[float, float]] = {}
        histograms: Families[tuple[int, float, list[float]]] = {}
        with self._lock:
            for (name, labels), series in sorted(
                self._series.items(), key=lambda item: (item[0][0], _label_key(item[0][1]))
            ):
                if isinstance(series, _Counter):
                    counters.setdefault(name, []).append((labels, series.total))
                elif isinstance(series, _Gauge):
                    gauges.setdefault(name, []).append((labels, (series.value, series.peak)))
                else:
                    summary = (series.count, series.sum, series.quantiles())
                    histograms.setdefault(name, []).append((labels, summary))
        return counters, gauges, histograms

    def snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every series now: ``{"counters": ..., "gauges": ..., "histograms": ...}``."""
        counters, gauges, histograms = self._families_now()
        return {
            "counters": {
                name: {_label_key(labels): value for labels, value in series}
                for name, series in counters.items()
            },
            "gauges": {
                name: {
                    _label_key(labels): {"value": value, "peak": peak}
                    for labels, (value, peak) in series
                }
                for name, series in gauges.items()
            },
            "histograms": {
                name: {
                    _label_key(labels): {
                        "count": count,
                        "sum": total,
                        **dict(zip(("p50", "p90", "p99", "p999"), quantiles)),
                    }
                    for labels, (count, total, quantiles) in series
                }
                for name, series in histograms.items()
            },
        }

    def prometheus(self) -> str:
        """Every series in the Prometheus text exposition format 0.0.4."""
        return prometheus_text(*self._families_now())

    @property
    def max_series(self) -> int:
        """The label sets kept per metric name before folding into ``overflow="true"``."""
        return self._max_series

    def __repr__(self) -> str:
        return f"Metrics(max_series={self._max_series})"


def _metrics_record_loop(metrics: Metrics, n: int) -> None:
    """Benchmark helper: ``n`` recordings (even: ``inc``, odd: ``observe``), as the native one."""
    if not isinstance(metrics, Metrics):
        raise TypeError(f"'{type(metrics).__name__}' object is not an instance of 'Metrics'")
    for i in range(unsigned(n)):
        if i % 2 == 0:
            metrics.inc("fluent_ai_bench_calls", 1.0, provider="openai", model="gpt-4.1")
        else:
            metrics.observe(
                "fluent_ai_bench_seconds", (i % 1000) * 1e-4, provider="openai", model="gpt-4.1"
            )
