"""``python -m fluent_ai.demo``: decode a streamed OpenAI tool-calling response, then time it.

The example response (shipped in :mod:`fluent_ai.examples`) is read in small chunks, framed
by :class:`~fluent_ai.SseDecoder`, and the arguments of each tool call go into their own
:class:`~fluent_ai.JsonStream`, whose ``partial()`` value is printed after every fragment.
Then both backends decode a generated stream of a few MB, and their throughput is compared.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
import textwrap
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable

from . import _purepy, examples
from ._backend import backend, core

WIDTH = 100
EXAMPLE_READ_BYTES = 256  # small reads, so events and characters arrive split
BENCH_READ_BYTES = 16 * 1024
ENVELOPE = (
    '{"id":"chatcmpl-demo","object":"chat.completion.chunk","created":1730812244,'
    '"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_45cf54deae",'
    '"choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]}'
)
WORDS = ("the", "forecast", "for", "Zürich", "café", "東京", 'say "hi"', "50 %", "naïve", "—")


@dataclass
class ToolCall:
    """One tool call being streamed: its id and name, and a JsonStream for its arguments."""

    index: int
    id: str
    name: str
    arguments: Any  # the JsonStream of the backend in use


@dataclass
class Response:
    """What a chat-completions stream said, accumulated."""

    text: list[str] = field(default_factory=list)
    calls: dict[int, ToolCall] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    events: int = 0


def _ignore(*_args: object) -> None:
    pass


@dataclass(frozen=True)
class Hooks:
    """What to do while a stream is decoded: the demo prints, the timing runs do nothing."""

    text: Callable[[str], None] = _ignore
    """Called with each text delta."""
    fragment: Callable[[ToolCall, str, object], None] = _ignore
    """Called with the call, the arguments fragment just fed and ``partial()`` after it."""


def decode(core: ModuleType, reads: list[bytes], hooks: Hooks = Hooks()) -> Response:
    """Run a chat-completions stream through ``core``'s SseDecoder and JsonStream."""
    response = Response()
    decoder = core.SseDecoder()

    def handle(events: list[Any]) -> None:
        for event in events:
            response.events += 1
            if event.data != "[DONE]":
                _apply(core, response, json.loads(event.data), hooks)

    for chunk in reads:
        handle(decoder.feed(chunk))
    handle(decoder.finish())
    return response


def _apply(core: ModuleType, response: Response, chunk: dict[str, Any], hooks: Hooks) -> None:
    if chunk.get("usage"):
        response.usage = chunk["usage"]
    for choice in chunk["choices"]:
        delta = choice["delta"]
        if delta.get("content"):
            response.text.append(delta["content"])
            hooks.text(delta["content"])
        for part in delta.get("tool_calls") or ():
            index = part["index"]
            if index not in response.calls:  # the first fragment names the call
                function = part["function"]
                call = ToolCall(index, part["id"], function["name"], core.JsonStream())
                response.calls[index] = call
            call = response.calls[index]
            fragment = part.get("function", {}).get("arguments", "")
            if fragment:
                call.arguments.feed(fragment)
                hooks.fragment(call, fragment, call.arguments.partial())
        response.finish_reason = choice.get("finish_reason") or response.finish_reason


def _tail(text: str, width: int) -> str:
    """The end of ``text`` (where a growing value changes), at most ``width`` characters."""
    return text if len(text) <= width else "..." + text[3 - width :]


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def show_example() -> None:
    """Decode the shipped example with the active backend, printing values as they grow."""
    data = examples.read(examples.OPENAI_CHAT_TOOL_CALLS)
    print(f"\nExample: {examples.OPENAI_CHAT_TOOL_CALLS} ({len(data):,} bytes, ", end="")
    print(f"read {EXAMPLE_READ_BYTES} bytes at a time)")
    current = -1
    print("text: ", end="")

    def on_text(delta: str) -> None:
        print(delta, end="", flush=True)

    def on_fragment(call: ToolCall, fragment: str, partial: object) -> None:
        nonlocal current
        if call.index != current:
            print("" if current >= 0 else "\n", end="")
            current = call.index
            print(f"tool call {call.index}: {call.name} ({call.id}), partial() after each fragment")
        fed = f"  + {fragment!r:<14} -> "
        print(fed + _tail(_show(partial), WIDTH - len(fed)))

    response = decode(core, _split(data, EXAMPLE_READ_BYTES), Hooks(on_text, on_fragment))
    for call in response.calls.values():
        print(f"final arguments of {call.name}:")
        for line in textwrap.wrap(_show(call.arguments.finish()), WIDTH - 4, max_lines=3):
            print(f"    {line}")
    usage = response.usage or {}
    print(
        f"finish_reason: {response.finish_reason}; {response.events} events; usage: "
        f"{usage.get('prompt_tokens')} prompt + {usage.get('completion_tokens')} completion tokens"
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


def _best(fn: Callable[[ModuleType], object], module: ModuleType, seconds: float = 0.5) -> float:
    """The fastest of a few runs of ``fn(module)``: at least 2, more while under ``seconds``."""
    times: list[float] = []
    while len(times) < 2 or (sum(times) < seconds and len(times) < 10):
        start = time.perf_counter()
        fn(module)
        times.append(time.perf_counter() - start)
    return min(times)


def _frame(core: ModuleType, reads: list[bytes]) -> int:
    decoder = core.SseDecoder()
    count = sum(len(decoder.feed(chunk)) for chunk in reads)
    return count + len(decoder.finish())


def _arguments(core: ModuleType, calls: list[list[str]]) -> None:
    for fragments in calls:
        stream = core.JsonStream()
        for fragment in fragments:
            stream.feed(fragment)
            stream.partial()
        stream.finish()


@dataclass(frozen=True)
class _Workload:
    label: str
    run: Callable[[ModuleType], object]
    nbytes: int
    count: int


def show_throughput(backends: dict[str, ModuleType]) -> None:
    """Time each backend on a generated stream; print MB/s and items/s (events or fragments)."""
    body = generated_stream()
    reads = _split(body, BENCH_READ_BYTES)
    calls: dict[int, list[str]] = {}

    def keep(call: ToolCall, fragment: str, _partial: object) -> None:
        calls.setdefault(call.index, []).append(fragment)

    events = decode(core, reads, Hooks(fragment=keep))
    fragments = [fragment for call in calls.values() for fragment in call]
    size = sum(len(fragment.encode()) for fragment in fragments)
    print(
        f"\nThroughput on a generated {len(body) / 1e6:.1f} MB stream ({events.events:,} events, "
        f"{len(fragments):,} argument fragments, {BENCH_READ_BYTES // 1024} KiB reads)"
    )
    workloads = (
        _Workload("SseDecoder (events)", lambda c: _frame(c, reads), len(body), events.events),
        _Workload(
            "JsonStream+partial() (fragments)",
            lambda c: _arguments(c, list(calls.values())),
            size,
            len(fragments),
        ),
        _Workload(
            "all + json.loads (events)", lambda c: decode(c, reads), len(body), events.events
        ),
    )
    print(f"  {'best run of each':<33}" + "".join(f"{name:^25}" for name in backends), end="")
    print("  speedup" if len(backends) == 2 else "")
    for work in workloads:
        times = {name: _best(work.run, module) for name, module in backends.items()}
        cells = "".join(
            f"{work.nbytes / t / 1e6:>9.1f} MB/s {work.count / t / 1e3:>7.0f}k/s"
            for t in times.values()
        )
        speedup = f"{times['python'] / times['native']:>8.1f}x" if len(times) == 2 else ""
        print(f"  {work.label:<33}{cells}{speedup}")


def main() -> None:
    if isinstance(sys.stdout, io.TextIOWrapper):  # never fail on a terminal that is not UTF-8
        sys.stdout.reconfigure(errors="backslashreplace")
    info = backend()
    print(f"fluent-ai {info.version}: backend {info.name}, SIMD {info.simd or 'none (python)'}")
    show_example()
    try:
        native = importlib.import_module("fluent_ai._core")
    except ImportError:
        print("\n(the native module is not available: timing the python backend only)")
        show_throughput({"python": _purepy})
    else:
        show_throughput({"native": native, "python": _purepy})


if __name__ == "__main__":
    main()
