"""Metrics recording cost: one call from Python, and a loop of calls made from Rust.

Groups:

- ``metrics: one call from Python``: ``Metrics.inc`` / ``Metrics.observe`` with two labels,
  native against pure Python; the time includes the Python call and argument passing.
- ``metrics: loop of N recordings``: ``_metrics_record_loop(metrics, N)``, which makes ``N``
  recordings (alternately ``inc`` and ``observe``, each looked up by name and two unsorted
  labels) from Rust on the native backend and from Python on the pure one. Per-call cost is
  the mean divided by ``N`` (stored as ``extra_info["ns_per_call"]``).
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from .harness import BACKENDS, run

LABELS = {"provider": "openai", "model": "gpt-4.1"}
KEY = "model=gpt-4.1,provider=openai"
LOOP = 100_000


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("method", ["inc", "observe"])
def test_one_call(benchmark: BenchmarkFixture, backend: str, method: str) -> None:
    benchmark.group = "metrics: one call from Python"
    metrics = BACKENDS[backend].Metrics()
    record = getattr(metrics, method)
    run(benchmark, lambda: record("fluent_ai_bench", 0.0125, **LABELS))
    kind = "counters" if method == "inc" else "histograms"
    series: Any = metrics.snapshot()[kind]["fluent_ai_bench"][KEY]
    assert (series if method == "inc" else series["sum"]) > 0


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_record_loop(benchmark: BenchmarkFixture, backend: str) -> None:
    benchmark.group = f"metrics: loop of {LOOP:,} recordings (per call: mean / {LOOP:,})"
    core = BACKENDS[backend]
    metrics = core.Metrics()
    # The pure-Python loop takes ~0.2 s: a few single rounds are enough there.
    rounds = None if backend == "native" else 5
    run(benchmark, lambda: core._metrics_record_loop(metrics, LOOP), rounds=rounds)
    counters = metrics.snapshot()["counters"]["fluent_ai_bench_calls"]
    assert counters[KEY] % (LOOP // 2) == 0
    if benchmark.stats is not None:
        benchmark.extra_info["ns_per_call"] = benchmark.stats.stats.mean / LOOP * 1e9
