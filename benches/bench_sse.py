"""Server-sent events framing: fluent-ai's SseDecoder against the SSE decoders in use today.

One group per read size (1 KiB, 16 KiB) over the same 10,000-event OpenAI chat-completions
body. Every peer turns the reads into the list of event ``data`` strings, which must equal
the generated one. The peers:

- ``fluent_*``: ``SseDecoder.feed`` per read, then ``finish()`` (native / pure Python);
- ``openai``: ``openai._streaming.SSEDecoder().iter_bytes`` over the reads, as the SDK does;
- ``httpx_sse``: what ``EventSource.iter_sse`` does with a response's byte stream: an
  incremental UTF-8 decoder (httpx's ``iter_text``, empty texts dropped), httpx-sse's
  ``SSELineDecoder`` for lines, ``rstrip("\\n")``, ``SSEDecoder.decode`` per line (httpx's own
  generator layers under ``iter_text`` are left out, which only flatters it).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from openai._streaming import SSEDecoder as OpenAIDecoder
from pytest_benchmark.fixture import BenchmarkFixture

from . import workloads
from .harness import BACKENDS, httpx_sse_decoders, run

_httpx_sse = httpx_sse_decoders()


@pytest.fixture(params=workloads.SSE_READ_SIZES, ids=lambda n: f"{n // 1024}KiB")
def reads(
    request: pytest.FixtureRequest, benchmark: BenchmarkFixture, sse_body: workloads.SseBody
) -> list[bytes]:
    size: int = request.param
    benchmark.group = f"sse {len(sse_body.data):,} events in {size // 1024:>2} KiB reads"
    benchmark.extra_info.update(bytes=len(sse_body.body), events=len(sse_body.data))
    return workloads.reads(sse_body.body, size)


def _fluent(decoder_class: Any, reads: list[bytes]) -> Callable[[], list[str]]:
    def go() -> list[str]:
        decoder = decoder_class()
        data: list[str] = []
        for chunk in reads:
            data.extend([event.data for event in decoder.feed(chunk)])
        data.extend([event.data for event in decoder.finish()])
        return data

    return go


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_fluent(
    benchmark: BenchmarkFixture, reads: list[bytes], sse_body: workloads.SseBody, backend: str
) -> None:
    assert run(benchmark, _fluent(BACKENDS[backend].SseDecoder, reads)) == sse_body.data


@pytest.mark.parametrize("events", workloads.SSE_SCALING_EVENTS)
@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_scaling(benchmark: BenchmarkFixture, backend: str, events: int) -> None:
    """Cost against stream length: 2,500, 10,000 and 40,000 events should scale 1 : 4 : 16."""
    body = workloads.chat_completion_stream(events)
    benchmark.group = f"sse scaling, {backend} SseDecoder, 16 KiB reads"
    benchmark.extra_info.update(bytes=len(body.body), events=events)
    go = _fluent(BACKENDS[backend].SseDecoder, workloads.reads(body.body, 16 * 1024))
    assert run(benchmark, go) == body.data


def test_openai(
    benchmark: BenchmarkFixture, reads: list[bytes], sse_body: workloads.SseBody
) -> None:
    def go() -> list[str]:
        return [event.data for event in OpenAIDecoder().iter_bytes(iter(reads))]

    assert run(benchmark, go) == sse_body.data


def _httpx_sse_lines(reads: list[bytes]) -> Iterator[str]:
    """httpx's ``iter_text`` feeding httpx-sse's ``_iter_sse_lines``, as one generator."""
    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines = _httpx_sse.SSELineDecoder()
    for chunk in reads:
        decoded = text.decode(chunk)
        if decoded:  # httpx drops empty texts
            yield from lines.decode(decoded)
    decoded = text.decode(b"", True)
    if decoded:
        yield from lines.decode(decoded)
    yield from lines.flush()


def test_httpx_sse(
    benchmark: BenchmarkFixture, reads: list[bytes], sse_body: workloads.SseBody
) -> None:
    def go() -> list[str]:
        decoder = _httpx_sse.SSEDecoder()
        data: list[str] = []
        for line in _httpx_sse_lines(reads):
            event = decoder.decode(line.rstrip("\n"))
            if event is not None:
                data.append(event.data)
        return data

    assert run(benchmark, go) == sse_body.data
