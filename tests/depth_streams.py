"""Streams of every dialect carrying deeply nested JSON, for the depth-limit tests.

Payloads are written as JSON text around a placeholder, so a nesting of any depth can be put
in without ``json.dumps`` (which recurses once per level).
"""

from __future__ import annotations

import json
import re
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

FRAME_DEPTH = 512  # StreamDecoder: a frame's JSON may nest this deep
ARGUMENT_DEPTH = 256  # tool-call arguments, as text or as an object
SMALL_STACK = 256 * 1024

_DEEP = "__DEEP__"
T = TypeVar("T")


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def arrays(depth: int) -> str:
    """``[[...]]``: ``depth`` nested arrays."""
    return "[" * depth + "]" * depth


def objects(depth: int) -> str:
    """``{"a":{"a":...{}}}``: ``depth`` nested objects (compact, as ``json.dumps`` writes)."""
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def nesting(value: object) -> int:
    """How many containers deep ``value`` is, counted without recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            pending.extend((member, depth + 1) for member in item.values())
        elif isinstance(item, list):
            pending.extend((member, depth + 1) for member in item)
        else:
            deepest = max(deepest, depth)
            continue
        if not item:
            deepest = max(deepest, depth + 1)
    return deepest


def splice(payload: dict[str, Any], deep: str) -> str:
    """``payload`` as JSON text with ``deep`` (JSON text) where the placeholder is."""
    text = _dumps(payload)
    assert text.count(_dumps(_DEEP)) == 1
    return text.replace(_dumps(_DEEP), deep)


def on_small_stack(body: Callable[[], T]) -> T:
    """Run ``body`` on a thread with a 256 KiB stack (restoring the default after)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, body()))
        except BaseException as error:  # handed to the caller
            outcome.append((False, error))

    previous = threading.stack_size(SMALL_STACK)
    try:
        thread = threading.Thread(target=run)
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


@dataclass
class Built:
    """A stream, and where its deep frame starts (stream offset) and its payload."""

    data: bytes
    start: int = 0
    payload: str = ""

    def byte_in_frame(self, marker: str, levels: int) -> int:
        """The frame byte where the bracket after ``levels`` brackets following ``marker``
        opens (the one a depth limit refuses)."""
        at = self.payload.index(marker) + len(marker)
        seen = 0
        for offset in range(at, len(self.payload)):
            if self.payload[offset] in "[{":
                if seen == levels:
                    return len(self.payload[:offset].encode())
                seen += 1
        raise AssertionError("not that deep")


class DepthDialect:
    """How to write a text stream with a deep member, and tool calls, in one dialect."""

    name = ""
    object_arguments = True  # whether the dialect takes arguments as a JSON value

    def frame(self, payload: str) -> bytes:
        raise NotImplementedError

    def head(self) -> list[str]:
        return []

    def text(self, pad: str) -> str:
        raise NotImplementedError

    def text_tail(self) -> list[str]:
        raise NotImplementedError

    def call(self, fragments: list[str]) -> list[str]:
        raise NotImplementedError

    def object_call(self, arguments: str) -> list[str]:
        raise NotImplementedError

    def end(self) -> bytes:
        return b""

    def _join(self, payloads: list[str]) -> bytes:
        return b"".join(self.frame(p) for p in payloads) + self.end()

    def text_stream(self, pad: str) -> Built:
        """Text "hi" in a frame that also has ``"pad": <pad>`` (its first member)."""
        head = b"".join(self.frame(p) for p in self.head())
        deep = self.text(pad)
        rest = self._join(self.text_tail())
        return Built(head + self.frame(deep) + rest, len(head), deep)

    def call_stream(self, fragments: list[str]) -> Built:
        """One call "f" whose arguments come as these text fragments."""
        return Built(self._join([*self.head(), *self.call(fragments)]))

    def call_prefix(self, fragments: list[str]) -> bytes:
        """The stream of ``call_stream`` cut after the frame of its last fragment."""
        payloads = [*self.head(), *self.call(fragments)][: len(self.head()) + 1 + len(fragments)]
        return b"".join(self.frame(p) for p in payloads)

    def object_stream(self, arguments: str) -> Built:
        """One call "f" whose arguments come as this JSON value (text)."""
        payloads = [*self.head(), *self.object_call(arguments)]
        return Built(self._join(payloads), payload="".join(payloads))


def _typed_sse(payload: str) -> bytes:
    """An SSE event named after the payload's leading ``"type"`` member."""
    match = re.match(r'\{"type":"([^"]+)"', payload)
    assert match is not None, payload[:40]
    return _sse(match.group(1), payload)


def _sse(kind: str | None, payload: str) -> bytes:
    line = f"event: {kind}\n" if kind else ""
    return f"{line}data: {payload}\n\n".encode()


class OpenAiChat(DepthDialect):
    name = "openai-chat"

    def frame(self, payload: str) -> bytes:
        return _sse(None, payload)

    def end(self) -> bytes:
        return b"data: [DONE]\n\n"

    @staticmethod
    def _choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def text(self, pad: str) -> str:
        return splice({"pad": _DEEP, **self._choice({"content": "hi"})}, pad)

    def text_tail(self) -> list[str]:
        return [_dumps(self._choice({}, "stop"))]

    def _call(self, arguments: object) -> dict[str, Any]:
        call = {"index": 0, "id": "call_1", "type": "function"}
        return self._choice({"tool_calls": [{**call, "function": {"name": "f", **arguments}}]})  # type: ignore[dict-item]

    def call(self, fragments: list[str]) -> list[str]:
        first = _dumps(self._call({"arguments": ""}))
        more = [
            _dumps(self._choice({"tool_calls": [{"index": 0, "function": {"arguments": f}}]}))
            for f in fragments
        ]
        return [first, *more, _dumps(self._choice({}, "tool_calls"))]

    def object_call(self, arguments: str) -> list[str]:
        return [splice(self._call({"arguments": _DEEP}), arguments), *self.call([])[-1:]]


class OpenAiResponses(DepthDialect):
    name = "openai-responses"
    object_arguments = False

    def frame(self, payload: str) -> bytes:
        return _typed_sse(payload)

    def text(self, pad: str) -> str:
        payload = {"type": "response.output_text.delta", "pad": _DEEP, "item_id": "msg_0"}
        payload.update({"output_index": 0, "content_index": 0, "delta": "hi"})
        return splice(payload, pad)

    def text_tail(self) -> list[str]:
        return [_dumps({"type": "response.completed", "response": {"status": "completed"}})]

    def call(self, fragments: list[str]) -> list[str]:
        item = {"id": "fc_0", "type": "function_call", "arguments": "", "call_id": "call_1"}
        added = {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**item, "name": "f"},
        }
        deltas = [
            {
                "type": "response.function_call_arguments.delta",
                "item_id": "fc_0",
                "output_index": 0,
                "delta": f,
            }
            for f in fragments
        ]
        return [_dumps(p) for p in [added, *deltas]] + self.text_tail()


class Anthropic(DepthDialect):
    name = "anthropic"

    def frame(self, payload: str) -> bytes:
        return _typed_sse(payload)

    def head(self) -> list[str]:
        message = {"id": "msg_1", "type": "message", "role": "assistant", "content": []}
        usage = {"input_tokens": 1, "output_tokens": 1}
        return [_dumps({"type": "message_start", "message": {**message, "usage": usage}})]

    @staticmethod
    def _stop(reason: str) -> list[str]:
        delta = {"type": "message_delta", "delta": {"stop_reason": reason}}
        return [_dumps({**delta, "usage": {"output_tokens": 2}}), '{"type":"message_stop"}']

    def text(self, pad: str) -> str:
        delta = {"type": "content_block_delta", "pad": _DEEP, "index": 0}
        return splice({**delta, "delta": {"type": "text_delta", "text": "hi"}}, pad)

    def text_tail(self) -> list[str]:
        return ['{"type":"content_block_stop","index":0}', *self._stop("end_turn")]

    def _start(self, arguments: str) -> str:
        block = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": _DEEP}
        return splice(
            {"type": "content_block_start", "index": 0, "content_block": block}, arguments
        )

    def call(self, fragments: list[str]) -> list[str]:
        deltas = [
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": f},
            }
            for f in fragments
        ]
        return [
            self._start("{}"),
            *map(_dumps, deltas),
            *self.text_tail()[:1],
            *self._stop("tool_use"),
        ]

    def object_call(self, arguments: str) -> list[str]:
        return [self._start(arguments), *self.text_tail()[:1], *self._stop("tool_use")]


class Gemini(DepthDialect):
    name = "gemini"

    def frame(self, payload: str) -> bytes:
        return f"data: {payload}\r\n\r\n".encode()

    @staticmethod
    def _chunk(part: dict[str, Any], finish: str | None = "STOP", **extra: Any) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": [part], "role": "model"}}
        if finish:
            candidate["finishReason"] = finish
        return {**extra, "candidates": [candidate]}

    def text(self, pad: str) -> str:
        return splice(self._chunk({"text": "hi"}, None, pad=_DEEP), pad)

    def text_tail(self) -> list[str]:
        return [_dumps(self._chunk({"text": ""}))]

    def call(self, fragments: list[str]) -> list[str]:
        # Gemini sends a call whole: the text arrives as one string.
        return [_dumps(self._chunk({"functionCall": {"name": "f", "args": "".join(fragments)}}))]

    def object_call(self, arguments: str) -> list[str]:
        return [splice(self._chunk({"functionCall": {"name": "f", "args": _DEEP}}), arguments)]


class Bedrock(DepthDialect):
    name = "bedrock"
    object_arguments = False

    def frame(self, payload: str) -> bytes:
        kind, body = payload.split(" ", 1)
        headers = {
            ":event-type": kind,
            ":content-type": "application/json",
            ":message-type": "event",
        }
        block = b""
        for name, value in headers.items():
            raw = value.encode()
            block += (
                bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw
            )
        data = body.encode()
        prelude = struct.pack(">II", 16 + len(block) + len(data), len(block))
        prelude += struct.pack(">I", zlib.crc32(prelude))
        message = prelude + block + data
        return message + struct.pack(">I", zlib.crc32(message))

    def text_stream(self, pad: str) -> Built:
        built = super().text_stream(pad)
        built.payload = built.payload.split(" ", 1)[1]  # the message payload is the frame
        return built

    def head(self) -> list[str]:
        return ['messageStart {"role":"assistant"}']

    @staticmethod
    def _stop(reason: str) -> list[str]:
        usage = (
            '{"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}'
        )
        return [f'messageStop {{"stopReason":"{reason}"}}', f"metadata {usage}"]

    def text(self, pad: str) -> str:
        return "contentBlockDelta " + splice(
            {"pad": _DEEP, "contentBlockIndex": 0, "delta": {"text": "hi"}}, pad
        )

    def text_tail(self) -> list[str]:
        return ['contentBlockStop {"contentBlockIndex":0}', *self._stop("end_turn")]

    def call(self, fragments: list[str]) -> list[str]:
        start = {
            "contentBlockIndex": 0,
            "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "f"}},
        }
        deltas = [
            "contentBlockDelta "
            + _dumps({"contentBlockIndex": 0, "delta": {"toolUse": {"input": f}}})
            for f in fragments
        ]
        return [
            "contentBlockStart " + _dumps(start),
            *deltas,
            *self.text_tail()[:1],
            *self._stop("tool_use"),
        ]


class Cohere(DepthDialect):
    name = "cohere"

    def frame(self, payload: str) -> bytes:
        return _typed_sse(payload)

    @staticmethod
    def _end(reason: str) -> str:
        return _dumps({"type": "message-end", "delta": {"finish_reason": reason}})

    def text(self, pad: str) -> str:
        delta = {"message": {"content": {"text": "hi"}}}
        return splice({"type": "content-delta", "pad": _DEEP, "index": 0, "delta": delta}, pad)

    def text_tail(self) -> list[str]:
        return [self._end("COMPLETE")]

    def _start(self, arguments: str) -> str:
        call = {"id": "c_1", "type": "function", "function": {"name": "f", "arguments": _DEEP}}
        payload = {
            "type": "tool-call-start",
            "index": 0,
            "delta": {"message": {"tool_calls": call}},
        }
        return splice(payload, arguments)

    def call(self, fragments: list[str]) -> list[str]:
        deltas = [
            {
                "type": "tool-call-delta",
                "index": 0,
                "delta": {"message": {"tool_calls": {"function": {"arguments": f}}}},
            }
            for f in fragments
        ]
        end = _dumps({"type": "tool-call-end", "index": 0})
        return [self._start('""'), *map(_dumps, deltas), end, self._end("TOOL_CALL")]

    def object_call(self, arguments: str) -> list[str]:
        end = _dumps({"type": "tool-call-end", "index": 0})
        return [self._start(arguments), end, self._end("TOOL_CALL")]


class Ollama(DepthDialect):
    name = "ollama"

    def frame(self, payload: str) -> bytes:
        return payload.encode() + b"\n"

    @staticmethod
    def _line(message: dict[str, Any], done: bool = False, **extra: Any) -> dict[str, Any]:
        line = {**extra, "model": "m", "message": {"role": "assistant", "content": "", **message}}
        return {**line, "done": done, **({"done_reason": "stop"} if done else {})}

    def text(self, pad: str) -> str:
        return splice(self._line({"content": "hi"}, pad=_DEEP), pad)

    def text_tail(self) -> list[str]:
        return [_dumps(self._line({}, done=True))]

    def call(self, fragments: list[str]) -> list[str]:
        # Ollama sends a call whole: the text arrives as one string.
        call = {"function": {"name": "f", "arguments": "".join(fragments)}}
        return [_dumps(self._line({"tool_calls": [call]})), *self.text_tail()]

    def object_call(self, arguments: str) -> list[str]:
        call = {"function": {"name": "f", "arguments": _DEEP}}
        return [splice(self._line({"tool_calls": [call]}), arguments), *self.text_tail()]


DIALECTS: dict[str, DepthDialect] = {
    d.name: d
    for d in (OpenAiChat(), OpenAiResponses(), Anthropic(), Gemini(), Bedrock(), Cohere(), Ollama())
}
OBJECT_DIALECTS = sorted(name for name, d in DIALECTS.items() if d.object_arguments)


def pieces(text: str, size: int = 97) -> Iterator[str]:
    """``text`` in fragments of ``size`` characters."""
    return (text[i : i + size] for i in range(0, len(text), size))


def decode_all(
    core: Any, dialect: str, data: bytes, chunk: int = 4096
) -> tuple[list[Any], BaseException | None]:
    """Feed ``data`` in chunks then finish: the events (with an error's ``completed``) and the
    error, if any."""
    decoder = core.StreamDecoder(dialect)
    events: list[Any] = []
    try:
        for i in range(0, len(data), chunk):
            events += decoder.feed(data[i : i + chunk])
        events += decoder.finish()
    except Exception as error:  # the tests look at it
        return events + list(getattr(error, "completed", [])), error
    return events, None
