"""The streamed answers of the end-to-end benchmark, and what every client must make of them.

Two OpenAI chat-completions bodies, in the wire format of the recorded transcripts:

- ``text``: a role chunk, text deltas, the finish chunk, a usage chunk, ``[DONE]``;
- ``tools``: 60 % text deltas, then two parallel tool calls whose argument fragments arrive
  interleaved (call 0, call 1, call 0, ...): 40 % of the events are argument fragments.

Each body comes in two framings: ``chunked`` (one HTTP chunk per SSE event, what real servers
send) and ``length`` (a ``Content-Length`` body, so many events arrive in one read).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from .workloads import SEED, _chunk, _sentence, tool_arguments

BODIES = ("text", "tools")
FRAMINGS = ("chunked", "length")
TOOL_SHARE = 0.4
_NAMES = ("search_stations", "get_weather")


@dataclass(frozen=True)
class Answer:
    """One streamed answer: its SSE events (``data`` payloads) and the expected result."""

    data: list[str]
    text: str
    arguments: list[Any]  # the parsed arguments of each tool call, by index

    @property
    def events(self) -> int:
        return len(self.data)


def answer(body: str, events: int, seed: int = SEED) -> Answer:
    """The ``body`` answer with ``events`` SSE events (``[DONE]`` included)."""
    if body not in BODIES:
        raise ValueError(f"unknown body {body!r}")
    rng = random.Random(seed)
    fragments = int(events * TOOL_SHARE) if body == "tools" else 0
    fragments -= fragments % 2
    headers = 2 if fragments else 0
    texts = events - 4 - fragments - headers  # role, finish, usage, [DONE]
    if texts < 1:
        raise ValueError(f"{events} events are too few for the {body} body")
    data = [_chunk({"role": "assistant", "content": ""})]
    pieces = [" " + _sentence(rng, rng.randrange(1, 3)) for _ in range(texts)]
    data += [_chunk({"content": piece}) for piece in pieces]
    arguments: list[Any] = []
    if fragments:
        per_call = fragments // 2
        kib = max(1, events // 2500)
        texts_of = [tool_arguments(2 * kib, seed), tool_arguments(kib, seed + 1)]
        cuts = [_cuts(len(text), per_call) for text in texts_of]
        for index, name in enumerate(_NAMES):
            header = {
                "index": index,
                "id": f"call_{index:024d}",
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
            data.append(_chunk({"tool_calls": [header]}))
        for step in range(per_call):
            for index, text in enumerate(texts_of):
                part = text[cuts[index][step] : cuts[index][step + 1]]
                call = {"index": index, "function": {"arguments": part}}
                data.append(_chunk({"tool_calls": [call]}))
        arguments = [json.loads(text) for text in texts_of]
    data.append(_chunk({}, "tool_calls" if fragments else "stop"))
    usage = {"prompt_tokens": 149, "completion_tokens": events, "total_tokens": 149 + events}
    usage_text = json.dumps(usage, separators=(",", ":"))
    head = _chunk({}).split('"choices"', 1)[0]
    data.append(head + f'"choices":[],"usage":{usage_text}}}')
    data.append("[DONE]")
    assert len(data) == events, (len(data), events)
    return Answer(data, "".join(pieces), arguments)


def _cuts(length: int, parts: int) -> list[int]:
    return [length * i // parts for i in range(parts + 1)]


def http_response(answer: Answer, framing: str) -> bytes:
    """The whole HTTP/1.1 response carrying ``answer`` in ``framing``."""
    events = [f"data: {item}\n\n".encode() for item in answer.data]
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    if framing == "chunked":
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(event), event) for event in events)
        return head + b"transfer-encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    if framing == "length":
        body = b"".join(events)
        return head + b"content-length: %d\r\n\r\n" % len(body) + body
    raise ValueError(f"unknown framing {framing!r}")
