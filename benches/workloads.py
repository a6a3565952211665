"""Deterministic benchmark inputs: tool-argument JSON documents and an OpenAI SSE body.

Everything is generated from a fixed seed, so every run (and every peer in a run) sees the
same bytes. Documents are assembled from a list of pieces joined once, never by repeated
concatenation, so building the 64 KiB one costs no more than writing it out.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

SEED = 20240926
JSON_SIZES_KIB = (1, 4, 16, 64)
FRAGMENT_CHARS = 8
SSE_EVENTS = 10_000
SSE_READ_SIZES = (1024, 16 * 1024)
SSE_SCALING_EVENTS = (2_500, 10_000, 40_000)

# Words with the characters a JSON scanner must not take shortcuts on: quotes, backslashes,
# control characters (escaped by the encoder), 2-, 3- and 4-byte UTF-8 (the emoji become
# surrogate pairs when encoded with ensure_ascii).
_WORDS = (
    "weather", "forecast", "city", "temperature", "humidity", "wind", "the", "a", "of",
    "report", "station", "north", "value", "query", "result", "limit", "offset", "page",
    "café", "naïve", "Zürich", "São Paulo", "東京", "Привет", "Ελλάδα", "€42", "—", "😀", "🚀",
    'say "hi"', "C:\\temp\\file", "line\nbreak", "tab\there", "bell\u0007", "a/b", "</script>",
)  # fmt: skip


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _number(rng: random.Random) -> float | int:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.randrange(-1_000_000, 1_000_000)
    if kind == 1:
        return rng.randrange(2**53, 2**63)  # beyond float precision: must stay an int
    if kind == 2:
        return round(rng.uniform(-1000.0, 1000.0), rng.randrange(1, 7))
    return rng.uniform(1e-9, 1e-5) * 10.0 ** rng.randrange(-30, 30)  # exponent notation


def _record(rng: random.Random, index: int) -> dict[str, object]:
    return {
        "id": index,
        "name": _sentence(rng, rng.randrange(1, 4)),
        "active": rng.random() < 0.5,
        "score": _number(rng),
        "tags": [_sentence(rng, 1) for _ in range(rng.randrange(0, 5))],
        "location": {
            "lat": round(rng.uniform(-90.0, 90.0), 6),
            "lon": round(rng.uniform(-180.0, 180.0), 6),
            "readings": [[_number(rng), _number(rng)] for _ in range(rng.randrange(1, 4))],
            "station": None if rng.random() < 0.3 else {"code": rng.randrange(100, 999)},
        },
        "notes": _sentence(rng, rng.randrange(5, 30)),
    }


def tool_arguments(kib: int, seed: int = SEED) -> str:
    """A JSON object of exactly ``kib`` KiB of UTF-8, shaped like a large tool call's arguments.

    Records are encoded alternately with and without ``ensure_ascii`` (so the text has both raw
    non-ASCII and ``\\uXXXX`` escapes); a ``summary`` string of words fills the rest, and a few
    ASCII characters make the size exact.
    """
    rng = random.Random(seed * 1000 + kib)
    room = kib * 1024 - len('{"results": [], "summary": ""}')
    pieces = ['{"results": [']
    index = 0
    while True:
        text = json.dumps(_record(rng, index), ensure_ascii=index % 2 == 0)
        text = ", " + text if index else text
        if len(text.encode()) > room:
            break
        pieces.append(text)
        room -= len(text.encode())
        index += 1
    pieces.append('], "summary": "')
    while True:  # JSON escapes characters one by one, so encoded lengths add up
        word = json.dumps(" " + rng.choice(_WORDS), ensure_ascii=False)[1:-1]
        if len(word.encode()) > room:
            break
        pieces.append(word)
        room -= len(word.encode())
    pieces.append("x" * room + '"}')
    document = "".join(pieces)
    assert len(document.encode()) == kib * 1024
    return document


def fragments(text: str, size: int = FRAGMENT_CHARS) -> list[str]:
    """``text`` cut into ``str`` fragments of ``size`` characters, as LLM deltas arrive."""
    return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass(frozen=True)
class SseBody:
    """An SSE response body and the ``data`` of every event a decoder must yield from it."""

    body: bytes
    data: list[str]


_CHUNK_HEAD = (
    '{"id":"chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63","object":"chat.completion.chunk",'
    '"created":1727346178,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5050236cbd",'
    '"choices":[{"index":0,"delta":'
)


def _chunk(delta: object, finish_reason: str | None = None) -> str:
    tail = json.dumps(finish_reason)
    delta_text = json.dumps(delta, ensure_ascii=False, separators=(",", ":"))
    return f'{_CHUNK_HEAD}{delta_text},"logprobs":null,"finish_reason":{tail}}}]}}'


def _tool_call(index: int, name: str, arguments: str, count: int) -> list[str]:
    """A call's header chunk then ``count - 1`` argument fragments (of 1 to a few chars)."""
    header = {
        "index": index,
        "id": f"call_{index:024d}",
        "type": "function",
        "function": {"name": name, "arguments": ""},
    }
    chunks = [_chunk({"tool_calls": [header]})]
    cuts = [len(arguments) * i // (count - 1) for i in range(count)]
    for start, end in zip(cuts, cuts[1:]):
        part = {"index": index, "function": {"arguments": arguments[start:end]}}
        chunks.append(_chunk({"tool_calls": [part]}))
    return chunks


def chat_completion_stream(events: int = SSE_EVENTS, seed: int = SEED) -> SseBody:
    """An OpenAI chat-completions stream of ``events`` events (``[DONE]`` included).

    A role chunk, text deltas (70 %), two tool calls streamed one after the other, the finish
    chunk, a usage chunk and ``data: [DONE]``, in the wire format of the recorded transcripts.
    """
    rng = random.Random(seed)
    per_call = (events - 4 - events * 7 // 10) // 2
    texts = events - 4 - 2 * per_call
    data = [_chunk({"role": "assistant", "content": ""})]
    data += [_chunk({"content": " " + _sentence(rng, rng.randrange(1, 3))}) for _ in range(texts)]
    kib = max(1, events // 2500)  # arguments grow with the stream: 4 and 8 KiB at 10,000 events
    data += _tool_call(0, "search_stations", tool_arguments(2 * kib, seed), per_call)
    data += _tool_call(1, "get_weather", tool_arguments(kib, seed), per_call)
    data.append(_chunk({}, "tool_calls"))
    usage = {"prompt_tokens": 149, "completion_tokens": events, "total_tokens": 149 + events}
    usage_text = json.dumps(usage, separators=(",", ":"))
    data.append(_CHUNK_HEAD.split('"choices"', 1)[0] + f'"choices":[],"usage":{usage_text}}}')
    data.append("[DONE]")
    assert len(data) == events
    body = "".join(f"data: {item}\n\n" for item in data).encode()
    return SseBody(body, data)


def reads(body: bytes, size: int) -> list[bytes]:
    """``body`` as a network would deliver it: ``size``-byte reads (they may split characters)."""
    return [body[i : i + size] for i in range(0, len(body), size)]


def anthropic_tool_use_stream(events: int = SSE_EVENTS, seed: int = SEED) -> bytes:
    """An Anthropic Messages stream of about ``events`` SSE events: text deltas (70 %), then
    two ``tool_use`` blocks whose arguments arrive as ``input_json_delta`` fragments."""
    rng = random.Random(seed)

    def event(name: str, payload: object) -> str:
        return f"event: {name}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"

    start = {
        "type": "message_start",
        "message": {
            "id": "msg_bench", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5", "content": [], "stop_reason": None,
            "usage": {"input_tokens": 149, "output_tokens": 1},
        },
    }  # fmt: skip
    out = [event("message_start", start)]
    block = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    out.append(event("content_block_start", block))
    texts = events * 7 // 10
    for _ in range(texts):
        delta = {"type": "text_delta", "text": " " + _sentence(rng, rng.randrange(1, 3))}
        out.append(
            event(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
        )
    out.append(event("content_block_stop", {"type": "content_block_stop", "index": 0}))
    per_call = (events - texts - 6) // 2 - 2
    kib = max(1, events // 2500)
    for index, (name, size) in enumerate((("search_stations", 2 * kib), ("get_weather", kib)), 1):
        tool = {"type": "tool_use", "id": f"toolu_{index:022d}", "name": name, "input": {}}
        out.append(
            event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": tool},
            )
        )
        arguments = tool_arguments(size, seed)
        cuts = [len(arguments) * i // per_call for i in range(per_call + 1)]
        for a, b in zip(cuts, cuts[1:]):
            delta = {"type": "input_json_delta", "partial_json": arguments[a:b]}
            out.append(
                event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        out.append(event("content_block_stop", {"type": "content_block_stop", "index": index}))
    stop = {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use"},
        "usage": {"output_tokens": events},
    }
    out.append(event("message_delta", stop))
    out.append(event("message_stop", {"type": "message_stop"}))
    return "".join(out).encode()
