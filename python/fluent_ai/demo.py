"""``python -m fluent_ai.demo``: the client against a local server, then the decoders.

First :class:`~fluent_ai.Client` and :class:`~fluent_ai.AsyncClient` talk to a scripted model
that the demo starts on 127.0.0.1 (:mod:`fluent_ai._demo_server`: real OpenAI and Anthropic
wire formats, no network, no key): a chat answer, a stream with two parallel tool calls that
are all answered before the next turn, and two calls at once with ``asyncio.gather``.

Then each example response shipped in :mod:`fluent_ai.examples` (OpenAI chat completions over SSE,
Anthropic Messages over SSE, Ollama over NDJSON) is fed in small reads to one
:class:`~fluent_ai.StreamDecoder`; the normalized events are printed as they come, each
``ToolCallDone`` with the byte at which it arrived (before the stream ended), then the metrics
the decoders recorded. Last, both backends decode a generated stream of a few MB.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import json
import os
import sys
import time
from types import ModuleType
from typing import Any, Callable

from . import _purepy, examples
from ._backend import backend, core
from ._demo_server import DemoServer

WIDTH = 100
EXAMPLE_READ_BYTES = 256  # small reads, so frames and characters arrive split
BENCH_READ_BYTES = 16 * 1024
ENVELOPE = (
    '{"id":"chatcmpl-demo","object":"chat.completion.chunk","created":1730812244,'
    '"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_45cf54deae",'
    '"choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]}'
)
WORDS = ("the", "forecast", "for", "Zürich", "café", "東京", 'say "hi"', "50 %", "naïve", "—")
# Deltas are printed merged: one line per run of the same kind.
_DELTAS = {"TextDelta": "text", "ReasoningDelta": "reasoning", "ToolCallDelta": "arguments"}


def _short(value: object, width: int = WIDTH - 30) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def _split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


class _Printer:
    """Prints events, merging consecutive deltas of one kind (and one call) into one line."""

    def __init__(self) -> None:
        self.run: tuple[str, int] | None = None
        self.text: list[str] = []

    def event(self, event: Any, position: int, total: int) -> None:
        name = type(event).__name__
        kind = _DELTAS.get(name)
        run = (kind, getattr(event, "index", 0)) if kind else None
        if run != self.run:
            self.flush()
        if run is not None:
            self.run = run
            self.text.append(event.fragment if name == "ToolCallDelta" else event.text)
        elif name == "ToolCallDone":
            where = f"at byte {position:,} of {total:,}"
            print(f"  {name}  #{event.index} {event.name}({_short(event.arguments, 50)})  {where}")
        else:
            print(f"  {_short(repr(event), WIDTH - 2)}")

    def flush(self) -> None:
        if self.run is not None:
            label = self.run[0] if self.run[0] != "arguments" else f"args #{self.run[1]}"
            print(f"  {label:<10} {_short(''.join(self.text))!r}")
        self.run, self.text = None, []


# --- The client against the demo server -------------------------------------------------------

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather now in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
FORECASTS = {"Paris": "21C and sunny", "Tokyo": "18C, light rain"}


def get_weather(city: str) -> str:
    """The demo's tool."""
    return FORECASTS.get(city, "no data")


def show_chat(client: Any) -> None:
    print("\nClient.chat: one whole answer")
    answer = client.chat("openai/gpt-4.1-mini", [{"role": "user", "content": "Say hello"}])
    print(f"  text    {answer.text!r}")
    usage, cost = answer.usage, answer.cost
    print(
        f"  usage   {usage.input_tokens} in, {usage.output_tokens} out" if usage else "  no usage"
    )
    print(f"  finish  {answer.finish_reason!r}; cost {cost.total if cost else None} USD")


def show_tool_loop(client: Any, model: str) -> None:
    from . import TextDelta, ToolCallDone  # noqa: PLC0415

    print(f"\nClient.stream with tools ({model}): every tool call answered, then the next turn")
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "What is the weather in Paris and Tokyo?"}
    ]
    while True:
        results = []
        in_text = False  # the deltas of one text are printed on one line, as they arrive
        with client.stream(model, messages, tools=[WEATHER_TOOL]) as stream:
            for event in stream:
                if isinstance(event, TextDelta):
                    print(event.text if in_text else f"  text    {event.text}", end="", flush=True)
                    in_text = True
                elif isinstance(event, ToolCallDone):  # as soon as its arguments close
                    if in_text:
                        print()
                        in_text = False
                    output = get_weather(**event.arguments)
                    print(f"  tool    #{event.index} {event.name}({event.arguments}) -> {output!r}")
                    results.append({"role": "tool", "tool_call_id": event.id, "content": output})
        if in_text:
            print()
        reply = stream.response
        print(f"  finish  {reply.finish_reason!r} with {len(reply.tool_calls)} tool call(s)")
        if not reply.tool_calls:
            break
        messages += [reply.message, *results]  # one result for EVERY call, in order


def show_async() -> None:
    from . import AsyncClient  # noqa: PLC0415

    async def main() -> None:
        async with AsyncClient() as client:
            question = [{"role": "user", "content": "Which client is this?"}]
            started = time.perf_counter()
            answers = await asyncio.gather(
                client.chat("openai/gpt-4.1-mini", question),
                client.chat("anthropic/claude-haiku-4-5", question),
            )
            took = (time.perf_counter() - started) * 1e3
            print(f"\nAsyncClient: two providers at once with asyncio.gather ({took:.0f} ms)")
            for answer in answers:
                print(f"  {answer.provider:<10} {answer.text!r}")

    asyncio.run(main())


def show_client() -> None:
    """The client part of the demo, against a :class:`DemoServer` started here."""
    from . import Client  # noqa: PLC0415

    saved = dict(os.environ)
    with DemoServer(delay=0.01) as server:
        os.environ.update(server.environ())  # the base URLs and keys of the demo providers
        try:
            print(f"demo providers (scripted model, real wire formats) on {server.url}")
            with Client() as client:
                show_chat(client)
                show_tool_loop(client, "anthropic/claude-sonnet-4-5")
            show_async()
            print(f"\n{len(server.requests)} requests reached the demo server")
        finally:
            os.environ.clear()
            os.environ.update(saved)


# --- The decoders ---------------------------------------------------------------------------


def show_example(name: str, dialect: str, metrics: object) -> None:
    """Decode one shipped example with the active backend, printing its events."""
    data = examples.read(name)
    print(f"\n{dialect}: {name} ({len(data):,} bytes, read {EXAMPLE_READ_BYTES} at a time)")
    decoder = core.StreamDecoder(dialect, metrics=metrics)
    printer = _Printer()
    position = 0
    for chunk in _split(data, EXAMPLE_READ_BYTES):
        position += len(chunk)
        for event in decoder.feed(chunk):
            printer.event(event, position, len(data))
    for event in decoder.finish():
        printer.event(event, position, len(data))
    printer.flush()


def show_metrics(metrics: Any) -> None:
    """The counters and latency histograms the decoders recorded."""
    snapshot = metrics.snapshot()
    print("\nmetrics recorded by the decoders (Metrics.snapshot())")
    for name, series in snapshot["counters"].items():
        for labels, value in series.items():
            if value:
                print(f"  {name}{{{labels}}} = {value:g}")
    for name, series in snapshot["histograms"].items():
        for labels, summary in series.items():
            print(
                f"  {name}{{{labels}}}: count {summary['count']}, "
                f"p50 {summary['p50'] * 1e6:.1f} µs, p99 {summary['p99'] * 1e6:.1f} µs"
            )


def generated_stream(text_events: int = 16_000, rows: int = 200) -> bytes:
    """A chat-completions stream of a few MB: text deltas, then two calls with big arguments."""
    events = [ENVELOPE % ('{"role":"assistant","content":""}', "null")]
    for i in range(text_events):
        delta = {"content": " " + WORDS[i % len(WORDS)]}
        events.append(ENVELOPE % (json.dumps(delta, ensure_ascii=False), "null"))
    for index, name in enumerate(("search_stations", "get_weather")):
        table = [
            {"id": i, "city": WORDS[i % len(WORDS)], "temp_c": i * 0.25 - 10, "ok": i % 3 == 0}
            for i in range(rows * (index + 1))
        ]
        arguments = json.dumps({"query": name, "rows": table}, ensure_ascii=False)
        function = {"name": name, "arguments": ""}
        first = {"index": index, "id": f"call_{index}", "type": "function", "function": function}
        events.append(ENVELOPE % (json.dumps({"tool_calls": [first]}), "null"))
        for start in range(0, len(arguments), 8):
            part = {"index": index, "function": {"arguments": arguments[start : start + 8]}}
            events.append(ENVELOPE % (json.dumps({"tool_calls": [part]}), "null"))
    events.append(ENVELOPE % ("{}", '"tool_calls"'))
    return "".join(f"data: {event}\n\n" for event in [*events, "[DONE]"]).encode()


def _best(fn: Callable[[], object], seconds: float = 0.5) -> float:
    """The fastest of a few runs of ``fn``: at least 2, more while under ``seconds``."""
    times: list[float] = []
    while len(times) < 2 or (sum(times) < seconds and len(times) < 10):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _decode_all(module: ModuleType, reads: list[bytes]) -> int:
    decoder = module.StreamDecoder("openai-chat")
    count = sum(len(decoder.feed(chunk)) for chunk in reads)
    return count + len(decoder.finish())


def show_throughput(backends: dict[str, ModuleType]) -> None:
    """Time StreamDecoder("openai-chat") on each backend over a generated stream."""
    body = generated_stream()
    reads = _split(body, BENCH_READ_BYTES)
    frames = body.count(b"\n\n")
    events = _decode_all(core, reads)
    print(
        f"\nStreamDecoder('openai-chat') on a generated {len(body) / 1e6:.1f} MB stream "
        f"({frames:,} SSE events -> {events:,} normalized events, {BENCH_READ_BYTES // 1024} KiB "
        "reads; best run)"
    )
    times = {}
    for name, module in backends.items():
        times[name] = _best(lambda module=module: _decode_all(module, reads))  # type: ignore[misc]
        seconds = times[name]
        print(
            f"  {name:<7} {len(body) / seconds / 1e6:>8.1f} MB/s "
            f"{frames / seconds / 1e3:>8.0f}k SSE events/s"
        )
    if len(times) == 2:
        print(f"  native is {times['python'] / times['native']:.1f}x the pure-Python backend")


def main() -> None:
    if isinstance(sys.stdout, io.TextIOWrapper):  # never fail on a terminal that is not UTF-8
        sys.stdout.reconfigure(errors="backslashreplace")
    info = backend()
    print(f"fluent-ai {info.version}: backend {info.name}, SIMD {info.simd or 'none (python)'}")
    show_client()
    print("\n--- the decoders under the client: example streams of three providers ---")
    metrics = core.Metrics()
    for name, dialect in examples.EXAMPLES.items():
        show_example(name, dialect, metrics)
    show_metrics(metrics)
    try:
        native = importlib.import_module("fluent_ai._core")
    except ImportError:
        print("\n(the native module is not available: timing the python backend only)")
        show_throughput({"python": _purepy})
    else:
        show_throughput({"native": native, "python": _purepy})


if __name__ == "__main__":
    main()
