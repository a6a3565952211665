"""Prometheus text exposition format 0.0.4, as ``rust/metrics/exposition.rs`` writes it.

A counter ``x`` is exposed as ``x_total`` (unchanged if it already ends in ``_total``), a gauge
``x`` as ``x`` and ``x_peak``, a histogram ``x`` as a ``summary`` with ``quantile`` labels plus
``x_sum`` and ``x_count``. Counters come first, then gauges, then histograms, each by name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")
Labels = Sequence[tuple[str, str]]
#: ``(labels, value)`` of each series of one metric, sorted by label key; labels by name.
Families = dict[str, list[tuple[Labels, T]]]

_QUANTILE_LABELS = ("0.5", "0.9", "0.99", "0.999")
_HISTOGRAM_HELP = "Latency recorded with Metrics.observe(); quantiles within 1% relative error."


def number(value: float) -> str:
    """A sample value: ``repr`` for finite floats, else ``+Inf``, ``-Inf``, ``NaN``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _sample(out: list[str], name: str, labels: Iterable[tuple[str, str]], value: str) -> None:
    pairs = ",".join(f'{key}="{_escape(text)}"' for key, text in labels)
    out.append(f"{name}{{{pairs}}} {value}\n" if pairs else f"{name} {value}\n")


def _header(out: list[str], name: str, kind: str, help_text: str) -> None:
    out.append(f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n")


def prometheus_text(
    counters: Families[float],
    gauges: Families[tuple[float, float]],
    histograms: Families[tuple[int, float, list[float]]],
) -> str:
    """The text of every family; each dict maps sorted names to their series.

    Gauge values are ``(value, peak)``, histogram values ``(count, sum, [p50 .. p999])``.
    """
    out: list[str] = []
    for name, counter in counters.items():
        exposed = name if name.endswith("_total") else f"{name}_total"
        _header(out, exposed, "counter", "Counter recorded with Metrics.inc().")
        for labels, total in counter:
            _sample(out, exposed, labels, number(total))
    for name, gauge in gauges.items():
        _header(out, name, "gauge", "Gauge recorded with Metrics.gauge_add().")
        for labels, (value, _) in gauge:
            _sample(out, name, labels, number(value))
        peak_name = f"{name}_peak"
        _header(out, peak_name, "gauge", "Highest value the gauge has held.")
        for labels, (_, peak) in gauge:
            _sample(out, peak_name, labels, number(peak))
    for name, histogram in histograms.items():
        _header(out, name, "summary", _HISTOGRAM_HELP)
        for labels, (count, total, quantiles) in histogram:
            for label, quantile in zip(_QUANTILE_LABELS, quantiles):
                _sample(out, name, [*labels, ("quantile", label)], number(quantile))
            _sample(out, f"{name}_sum", labels, number(total))
            _sample(out, f"{name}_count", labels, str(count))
    return "".join(out)
