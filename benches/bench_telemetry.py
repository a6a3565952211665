"""What telemetry costs a client call: ``Client.chat`` and a streamed chat through an
in-process transport (``httpx.MockTransport``, no socket, so the client's own work is what is
timed), with

- ``no hook``: the telemetry hook switched off (the client as before telemetry),
- ``otel absent``: as if ``opentelemetry`` were not installed (the Prometheus series only),
- ``otel api, no provider``: the API installed but no provider set (the default),
- ``otel sdk``: an SDK tracer provider (spans recorded, not exported) and meter provider.

Each run checks the answer (and, with the SDK, that one span per call was made), so
``--benchmark-disable`` runs it as a test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from fluent_ai import Client, telemetry
from fluent_ai.telemetry import _hook, _otel

from .harness import run

ANSWER = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hello there"},
         "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
}  # fmt: skip
STREAM = b"".join(
    b"data: " + json.dumps(chunk).encode() + b"\n\n"
    for chunk in [
        {"id": "c1", "model": "gpt-4o", "choices": [{"index": 0, "delta": {"content": word}}]}
        for word in ("Hello", " there", ",", " friend")
    ]
    + [
        {"id": "c1", "model": "gpt-4o",
         "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"id": "c1", "model": "gpt-4o", "choices": [],
         "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}},
    ]
) + b"data: [DONE]\n\n"  # fmt: skip
MESSAGES = [{"role": "user", "content": "Hi"}]
VARIANTS = ("no hook", "otel absent", "otel api, no provider", "otel sdk")


def _answer(request: httpx.Request) -> httpx.Response:
    if json.loads(request.content).get("stream"):
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=STREAM)
    return httpx.Response(200, json=ANSWER)


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    spans = None
    if request.param == "no hook":
        monkeypatch.setattr(_hook, "start", lambda call: None)
    elif request.param == "otel absent":
        monkeypatch.setattr(_otel, "_api", False)
    elif request.param == "otel sdk":
        sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
        from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415 (optional)
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: PLC0415
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: PLC0415
            InMemorySpanExporter,
        )

        spans = InMemorySpanExporter()
        tracer_provider = sdk_trace.TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
        meters = MeterProvider(metric_readers=[InMemoryMetricReader()])
        telemetry.set_providers(tracer_provider, meters)
    try:
        yield request.param, spans
    finally:
        telemetry.set_providers()


def _client() -> Client:
    http = httpx.Client(transport=httpx.MockTransport(_answer))
    return Client(http_client=http, providers={"openai": {"api_key": "sk-bench"}})


def test_chat(benchmark: BenchmarkFixture, variant: Any) -> None:
    name, spans = variant
    benchmark.group = "telemetry: Client.chat (in-process transport)"
    benchmark.name = f"chat[{name}]"
    client = _client()
    answer = run(benchmark, lambda: client.chat("openai/gpt-4o", MESSAGES))
    assert answer.text == "Hello there" and answer.usage.output_tokens == 2
    if spans is not None:
        finished = spans.get_finished_spans()
        assert finished and all(s.name == "chat gpt-4o" for s in finished)
        assert finished[-1].attributes["gen_ai.response.id"] == "chatcmpl-bench"


def test_stream(benchmark: BenchmarkFixture, variant: Any) -> None:
    name, spans = variant
    benchmark.group = "telemetry: Client.stream, 6 chunks (in-process transport)"
    benchmark.name = f"stream[{name}]"
    client = _client()

    def stream() -> str:
        with client.stream("openai/gpt-4o", MESSAGES) as events:
            return events.collect().text

    assert run(benchmark, stream) == "Hello there, friend"
    if spans is not None:
        finished = spans.get_finished_spans()
        assert finished[-1].attributes["gen_ai.usage.output_tokens"] == 4
