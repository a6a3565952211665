"""The clients' Prometheus series: the text of two processes parsed with prometheus_client's
parser and added up (histograms aggregate, counters add), the prometheus_client collector,
bounded label sets, bucket edges, help texts, and breaker state."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from client_helpers import FAST, Runner, server  # noqa: F401
from fake_providers import KEY, OPENAI_TOOLS_WHOLE, install, openai_checks
from loopback import LoopbackServer
from prometheus_client import (
    CollectorRegistry,
    generate_latest,
    parser,  # the test group installs prometheus-client
)

import fluent_ai
from fluent_ai import BreakerPolicy, Usage, catalog, telemetry
from fluent_ai.errors import CircuitOpenError
from fluent_ai.telemetry import FAMILIES, LLMMetrics, PrometheusCollector
from fluent_ai.telemetry._hook import _cost

CHAT = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "Hi"}]
INPUT_TOKENS = OPENAI_TOOLS_WHOLE["usage"]["prompt_tokens"]  # type: ignore[index]

_WORKER = """
import sys
sys.path[:0] = {paths!r}
from fluent_ai import Client, RetryPolicy, telemetry
url, key, calls, failures = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fast = RetryPolicy(max_retries=0)
with Client(providers={{"openai": {{"base_url": url, "api_key": key}}}}, retry=fast) as client:
    for _ in range(calls):
        client.chat("openai/gpt-4o", [{{"role": "user", "content": "Hi"}}])
    for _ in range(failures):
        try:
            client.chat("openai/no-such-route", [{{"role": "user", "content": "Hi"}}])
        except Exception:
            pass
print(telemetry.prometheus_text())
"""


def families(text: str) -> dict[str, Any]:
    return {family.name: family for family in parser.text_string_to_metric_families(text)}


def run_worker(server: LoopbackServer, calls: int, failures: int) -> str:
    script = _WORKER.format(paths=[str(Path(__file__).parent)])
    done = subprocess.run(
        [sys.executable, "-c", script, server.url + "/v1", KEY, str(calls), str(failures)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_processes_aggregate(server: LoopbackServer) -> None:
    server.reset()
    install(
        server,
        CHAT,
        auth=("authorization", f"Bearer {KEY}"),
        checks=lambda request: (
            ["unknown model"] if request.json().get("model") == "no-such-route" else []
        ),
        whole=OPENAI_TOOLS_WHOLE,
    )
    texts = [run_worker(server, 3, 1), run_worker(server, 5, 2)]
    buckets: dict[tuple[Any, ...], float] = defaultdict(float)
    counts: dict[tuple[Any, ...], float] = defaultdict(float)
    counters: dict[tuple[Any, ...], float] = defaultdict(float)
    for text in texts:
        parsed = families(text)
        for name in ("fluent_ai_llm_request_duration_seconds",):
            assert parsed[name].type == "histogram"
            for sample in parsed[name].samples:
                labels = tuple(sorted(sample.labels.items()))
                if sample.name.endswith("_bucket"):
                    buckets[labels] += sample.value
                elif sample.name.endswith("_count"):
                    counts[labels] += sample.value
        for name in ("fluent_ai_llm_requests", "fluent_ai_llm_tokens", "fluent_ai_llm_errors"):
            assert parsed[name].type == "counter"
            for sample in parsed[name].samples:
                if sample.name.endswith("_total"):
                    counters[(sample.name, *sorted(sample.labels.items()))] += sample.value
    ok = ("provider", "openai"), ("model", "gpt-4o"), ("operation", "chat")
    assert counts[tuple(sorted(ok))] == 8
    infinite = tuple(sorted((*ok, ("le", "+Inf"))))
    assert buckets[infinite] == 8
    # Cumulative buckets stay cumulative after adding up, and end at the count.
    bounds = sorted(
        (float(dict(labels)["le"]), value)
        for labels, value in buckets.items()
        if dict(labels).get("model") == "gpt-4o"
    )
    values = [value for _, value in bounds]
    assert values == sorted(values) and values[-1] == 8
    requests = "fluent_ai_llm_requests_total"
    assert counters[(requests, *sorted((*ok, ("outcome", "ok"))))] == 8
    failed = (*ok[:1], ("model", "no-such-route"), ok[2], ("outcome", "BadRequestError"))
    assert counters[(requests, *sorted(failed))] == 3
    errors = (*failed[:3], ("error_type", "BadRequestError"))
    assert counters[("fluent_ai_llm_errors_total", *sorted(errors))] == 3
    tokens = ("provider", "openai"), ("model", "gpt-4o"), ("type", "input")
    assert counters[("fluent_ai_llm_tokens_total", *sorted(tokens))] == 8 * INPUT_TOKENS


def test_text_and_collector_agree() -> None:
    metrics = LLMMetrics()
    labels = ("openai", "gpt-4o", "chat")
    for seconds in (0.04, 0.5, 0.5, 3.0, 700.0):
        metrics.observe("fluent_ai_llm_request_duration_seconds", labels, seconds)
    metrics.inc("fluent_ai_llm_requests_total", (*labels, "ok"), 5)
    metrics.inc("fluent_ai_llm_cost_usd_total", ("openai", "gpt-4o"), 0.0125)
    metrics.circuit("openai", "open")
    text = metrics.prometheus()
    parsed = families(text)
    histogram = {
        s.labels["le"]: s.value
        for s in parsed["fluent_ai_llm_request_duration_seconds"].samples
        if s.name.endswith("_bucket")
    }
    # ``le`` is inclusive: 0.5 is counted in the 0.5 bucket.
    assert histogram["0.05"] == 1 and histogram["0.25"] == 1 and histogram["0.5"] == 3
    assert histogram["2.5"] == 3 and histogram["5.0"] == 4 and histogram["600.0"] == 4
    assert histogram["+Inf"] == 5
    states = {s.labels["state"]: s.value for s in parsed["fluent_ai_llm_circuit_state"].samples}
    assert states == {"closed": 0.0, "open": 1.0, "half_open": 0.0}
    registry = CollectorRegistry()
    registry.register(PrometheusCollector(metrics))
    collected = families(generate_latest(registry).decode())

    def values(found: dict[str, Any]) -> dict[tuple[Any, ...], float]:
        return {
            (s.name, *sorted(s.labels.items())): s.value
            for family in found.values()
            for s in family.samples
            if not s.name.endswith("_created")
        }

    assert values(collected) == values(parsed)
    for family in FAMILIES:
        exposed = family.name.removesuffix("_total")
        if exposed in parsed:
            assert parsed[exposed].documentation == family.help


def test_help_and_type_lines() -> None:
    metrics = LLMMetrics()
    metrics.inc("fluent_ai_llm_retries_total", ("openai", "m", "chat", "503"))
    text = metrics.prometheus()
    assert "# HELP fluent_ai_llm_retries_total Attempts made again" in text
    assert "# TYPE fluent_ai_llm_retries_total counter" in text
    for family in FAMILIES:
        assert len(family.help) > 30 and family.help.endswith(".")


def test_label_sets_are_bounded() -> None:
    metrics = LLMMetrics(max_series=3)
    for number in range(10):
        metrics.inc("fluent_ai_llm_requests_total", ("openai", f"m{number}", "chat", "ok"))
        metrics.observe("fluent_ai_llm_request_duration_seconds", ("p", f"m{number}", "chat"), 1)
    parsed = families(metrics.prometheus())
    samples = parsed["fluent_ai_llm_requests"].samples
    assert len(samples) == 4
    overflow = [s for s in samples if s.labels == {"overflow": "true"}]
    assert len(overflow) == 1 and overflow[0].value == 7
    counts = [s for s in parsed["fluent_ai_llm_request_duration_seconds"].samples
              if s.name.endswith("_count")]  # fmt: skip
    assert sum(s.value for s in counts) == 10 and len(counts) == 4
    with pytest.raises(ValueError, match="max_series"):
        LLMMetrics(max_series=0)


def test_client_records_retries_and_breaker(server: LoopbackServer) -> None:
    server.reset()
    install(
        server,
        CHAT,
        auth=("authorization", f"Bearer {KEY}"),
        checks=openai_checks(),
        whole=OPENAI_TOOLS_WHOLE,
    )
    metrics = LLMMetrics()
    previous = telemetry.set_registry(metrics)
    try:
        server.fail("POST", CHAT, status=503, times=1)
        options = {"openai": {"base_url": server.url + "/v1", "api_key": KEY}}
        runner = Runner("sync", providers=options, retry=FAST)
        runner.chat("openai/gpt-4o", MESSAGES)
        server.fail("POST", CHAT, status=500, times=10)
        breaker = BreakerPolicy(failure_threshold=1, recovery_time=60)
        with pytest.raises(CircuitOpenError):
            Runner("sync", providers=options, retry=FAST, breaker=breaker).chat(
                "openai/gpt-4o", MESSAGES
            )
    finally:
        telemetry.set_registry(previous)
    parsed = families(metrics.prometheus())
    retries = {s.labels["reason"]: s.value for s in parsed["fluent_ai_llm_retries"].samples}
    assert retries == {"503": 1.0, "500": 1.0}  # the 500 is retried, then the breaker opens
    states = {s.labels["state"]: s.value for s in parsed["fluent_ai_llm_circuit_state"].samples}
    assert states["open"] == 1.0
    in_flight = parsed["fluent_ai_llm_requests_in_flight"].samples
    assert [s.value for s in in_flight] == [0.0]
    cost = parsed["fluent_ai_llm_cost_usd"].samples
    assert len(cost) == 1 and cost[0].value > 0


@pytest.mark.parametrize("model", ["openai/gpt-4o-2024-08-06", "anthropic/claude-sonnet-4-5",
                                   "gemini/gemini-2.5-flash", "openai/no-such-model"])  # fmt: skip
def test_cost_counter_matches_the_catalog(model: str) -> None:
    """The counter's float cost is ``catalog.cost`` (exact decimals) within rounding."""
    provider, name = model.split("/")
    for usage in (
        Usage(149, 60, 209),
        Usage(1000, 200, None, 300, 100),
        Usage(None, 5),
        Usage(7, None),
        Usage(0, 0),
        Usage(120_000, 4096, None, 100_000, 0, 2048),
    ):
        try:
            expected = catalog.cost(model, usage).total
        except KeyError:
            expected = None
        found = _cost(provider, name, usage)
        if expected is None:
            assert found is None, usage
        else:
            assert found == pytest.approx(expected, rel=1e-12), usage


def test_library_metrics_in_the_same_scrape() -> None:
    """``fluent_ai.Metrics`` series (quantile summaries) follow the clients' series, in the
    text and through the collector, without a name in common."""
    library = fluent_ai.Metrics()
    library.inc("fluent_ai_requests", provider="openai", operation="chat", outcome="ok")
    library.observe("fluent_ai_request_seconds", 0.25, provider="openai", operation="chat")
    metrics = LLMMetrics()
    metrics.inc("fluent_ai_llm_requests_total", ("openai", "gpt-4o", "chat", "ok"))
    previous = telemetry.set_registry(metrics)
    try:
        text = telemetry.prometheus_text(library=library)
        registry = CollectorRegistry()
        registry.register(PrometheusCollector(library=library))
        collected = families(generate_latest(registry).decode())
    finally:
        telemetry.set_registry(previous)
    parsed = families(text)
    for found in (parsed, collected):
        assert found["fluent_ai_requests"].samples[0].value == 1.0
        assert found["fluent_ai_request_seconds"].type == "summary"
        assert found["fluent_ai_llm_requests"].samples[0].value == 1.0
    assert "fluent_ai_llm_" not in library.prometheus()
