"""The decoder on a tool-heavy stream (issue 13, item 5): ``StreamDecoder("openai-chat")``
against SSEDecoder + ``json.loads`` and the openai SDK's per-event path, on the end-to-end
benchmark's ``tools`` body (10,000 events, 40 % of them argument fragments of two parallel
calls, interleaved), in 16 KiB reads. Peers as in ``bench_stream_decoder``; every result is
checked (the fluent decoders and the SDK helper give both calls' parsed arguments)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai._models import construct_type
from openai.types.chat import ChatCompletionChunk
from pytest_benchmark.fixture import BenchmarkFixture

from . import e2e_bodies, workloads
from .bench_stream_decoder import READ_SIZE, _fluent, _payloads
from .harness import BACKENDS, run

EVENTS = 10_000
GROUP = "stream decoder: openai-chat, tool-heavy (40 % parallel argument fragments), 16 KiB reads"


@pytest.fixture(scope="module")
def heavy() -> tuple[list[bytes], list[tuple[str, Any]], int]:
    answer = e2e_bodies.answer("tools", EVENTS)
    body = "".join(f"data: {data}\n\n" for data in answer.data).encode()
    expected = list(zip(("search_stations", "get_weather"), answer.arguments))
    return workloads.reads(body, READ_SIZE), expected, EVENTS - 1


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_fluent(benchmark: BenchmarkFixture, heavy: Any, backend: str) -> None:
    benchmark.group = GROUP
    reads, expected, _ = heavy
    assert run(benchmark, _fluent(BACKENDS[backend], reads)) == expected


def test_a_sse_json(benchmark: BenchmarkFixture, heavy: Any) -> None:
    benchmark.group = GROUP
    reads, _, count = heavy
    assert run(benchmark, lambda: len([json.loads(d) for d in _payloads(reads)])) == count


def test_b_sdk_chunks(benchmark: BenchmarkFixture, heavy: Any) -> None:
    benchmark.group = GROUP
    reads, _, count = heavy

    def go() -> int:
        chunks = [
            construct_type(type_=ChatCompletionChunk, value=json.loads(data))
            for data in _payloads(reads)
        ]
        return len(chunks)

    assert run(benchmark, go, rounds=3) == count
