"""The loopback server playing each chat provider's answer to a structured-output request: the
output text cut into pieces, sent in the provider's own stream format (SSE for OpenAI,
Anthropic, Gemini and Cohere, NDJSON for Ollama, AWS event-stream for Bedrock), or as its whole
JSON answer; and the check of the translated ``response_format`` in each request body.

The frame shapes follow each provider's documented stream format (the same shapes as the
dialect tests' transcripts: ../shared/spec/providers.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import bedrock_play
from loopback import LoopbackServer, Request, Response, json_response

__all__ = ["PROVIDERS", "Provider", "is_prefix", "play", "settings"]

KEY = "sk-structured-test"
SSE = {"content-type": "text/event-stream"}


def _sse(payload: object, event: str | None = None, end: bytes = b"\n\n") -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + json.dumps(payload).encode() + end


def openai_stream(pieces: Sequence[str]) -> list[bytes]:
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4.1-2025-04-14"}
    frames = [
        _sse(
            {
                **chunk,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": ""},
                        "finish_reason": None,
                    }
                ],
            }
        )
    ]
    for piece in pieces:
        frames.append(
            _sse(
                {
                    **chunk,
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
            )
        )
    frames.append(_sse({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    usage = {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29}
    frames.append(_sse({**chunk, "choices": [], "usage": usage}) + b"data: [DONE]\n\n")
    return frames


def openai_whole(text: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text, "refusal": None}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4.1-2025-04-14",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29},
    }


def anthropic_stream(pieces: Sequence[str]) -> list[bytes]:
    message = {
        "id": "msg_1", "type": "message", "role": "assistant", "content": [],
        "model": "claude-sonnet-4-5-20250929", "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 20, "output_tokens": 1},
    }  # fmt: skip
    frames = [
        _sse({"type": "message_start", "message": message}, "message_start"),
        _sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        ),
    ]
    for piece in pieces:
        delta = {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": piece},
        }
        frames.append(_sse(delta, "content_block_delta"))
    frames += [
        _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        _sse(
            {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
             "usage": {"output_tokens": 9}},
            "message_delta",
        ),
        _sse({"type": "message_stop"}, "message_stop"),
    ]  # fmt: skip
    return frames


def anthropic_whole(text: str) -> dict[str, Any]:
    return {
        "id": "msg_1", "type": "message", "role": "assistant",
        "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 20, "output_tokens": 9},
    }  # fmt: skip


def gemini_stream(pieces: Sequence[str]) -> list[bytes]:
    frames = []
    for piece in pieces:
        candidate = {"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0}
        frames.append(
            _sse({"candidates": [candidate], "modelVersion": "gemini-2.5-flash"}, end=b"\r\n\r\n")
        )
    last = {
        "content": {"parts": [{"text": ""}], "role": "model"},
        "finishReason": "STOP",
        "index": 0,
    }
    usage = {"promptTokenCount": 20, "candidatesTokenCount": 9, "totalTokenCount": 29}
    frames.append(
        _sse(
            {"candidates": [last], "usageMetadata": usage, "modelVersion": "gemini-2.5-flash"},
            end=b"\r\n\r\n",
        )
    )
    return frames


def gemini_whole(text: str) -> dict[str, Any]:
    candidate = {
        "content": {"parts": [{"text": text}], "role": "model"},
        "finishReason": "STOP",
        "index": 0,
    }
    usage = {"promptTokenCount": 20, "candidatesTokenCount": 9, "totalTokenCount": 29}
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "gemini-2.5-flash"}


def cohere_stream(pieces: Sequence[str]) -> list[bytes]:
    start = {
        "id": "c1",
        "type": "message-start",
        "delta": {
            "message": {
                "role": "assistant",
                "content": [],
                "tool_plan": "",
                "tool_calls": [],
                "citations": [],
            }
        },
    }
    frames = [
        _sse(start, "message-start"),
        _sse(
            {
                "type": "content-start",
                "index": 0,
                "delta": {"message": {"content": {"type": "text", "text": ""}}},
            },
            "content-start",
        ),
    ]
    for piece in pieces:
        frames.append(
            _sse(
                {
                    "type": "content-delta",
                    "index": 0,
                    "delta": {"message": {"content": {"text": piece}}},
                },
                "content-delta",
            )
        )
    usage = {
        "billed_units": {"input_tokens": 20, "output_tokens": 9},
        "tokens": {"input_tokens": 30, "output_tokens": 9},
    }
    frames += [
        _sse({"type": "content-end", "index": 0}, "content-end"),
        _sse(
            {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}},
            "message-end",
        ),
        b"data: [DONE]\n\n",
    ]
    return frames


def cohere_whole(text: str) -> dict[str, Any]:
    return {
        "id": "c1",
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": text}]},
        "usage": {
            "billed_units": {"input_tokens": 20, "output_tokens": 9},
            "tokens": {"input_tokens": 30, "output_tokens": 9},
        },
    }


def ollama_stream(pieces: Sequence[str]) -> list[bytes]:
    head = {"model": "llama3.2", "created_at": "2026-12-05T07:00:00.000000Z"}
    lines = [
        json.dumps(
            {**head, "message": {"role": "assistant", "content": piece}, "done": False}
        ).encode()
        + b"\n"
        for piece in pieces
    ]
    final = {
        **head, "message": {"role": "assistant", "content": ""},
        "done": True, "done_reason": "stop",
        "total_duration": 1000, "prompt_eval_count": 20, "eval_count": 9,
    }  # fmt: skip
    return [*lines, json.dumps(final).encode() + b"\n"]


def ollama_whole(text: str) -> dict[str, Any]:
    return {
        "model": "llama3.2", "created_at": "2026-12-05T07:00:00.000000Z",
        "message": {"role": "assistant", "content": text}, "done": True, "done_reason": "stop",
        "prompt_eval_count": 20, "eval_count": 9,
    }  # fmt: skip


def bedrock_stream(pieces: Sequence[str]) -> list[bytes]:
    event = bedrock_play.event
    frames = [event("messageStart", {"p": "abc", "role": "assistant"})]
    for piece in pieces:
        frames.append(
            event(
                "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}, "p": "ab"}
            )
        )
    usage = {"inputTokens": 20, "outputTokens": 9, "totalTokens": 29}
    frames += [
        event("contentBlockStop", {"contentBlockIndex": 0, "p": "abcd"}),
        event("messageStop", {"p": "abcdef", "stopReason": "end_turn"}),
        event("metadata", {"metrics": {"latencyMs": 300}, "p": "abc", "usage": usage}),
    ]
    return frames


def bedrock_whole(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 20, "outputTokens": 9, "totalTokens": 29},
        "metrics": {"latencyMs": 300},
    }


# What each provider must receive for a schema (``spec`` is the OpenAI form sent).
def _openai_wire(body: dict[str, Any], spec: dict[str, Any]) -> None:
    assert body["response_format"] == {"type": "json_schema", "json_schema": spec}


def _anthropic_wire(body: dict[str, Any], spec: dict[str, Any]) -> None:
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": spec["schema"]}}
    assert "response_format" not in body


def _gemini_wire(body: dict[str, Any], spec: dict[str, Any]) -> None:
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == spec["schema"]


def _cohere_wire(body: dict[str, Any], spec: dict[str, Any]) -> None:
    assert body["response_format"] == {"type": "json_object", "json_schema": spec["schema"]}


def _ollama_wire(body: dict[str, Any], spec: dict[str, Any]) -> None:
    assert body["format"] == spec["schema"]


def _bedrock_wire(body: dict[str, Any], spec: dict[str, Any]) -> None:
    text_format = body["outputConfig"]["textFormat"]
    assert text_format["type"] == "json_schema"
    schema = text_format["structure"]["jsonSchema"]
    assert schema["name"] == spec["name"]
    assert json.loads(schema["schema"]) == spec["schema"]  # Converse takes it as a JSON string


@dataclass(frozen=True)
class Provider:
    name: str
    model: str
    stream: Callable[[Sequence[str]], list[bytes]]
    whole: Callable[[str], dict[str, Any]]
    wire: Callable[[dict[str, Any], dict[str, Any]], None]


PROVIDERS = {
    "openai": Provider("openai", "gpt-4.1", openai_stream, openai_whole, _openai_wire),
    "anthropic": Provider(
        "anthropic", "claude-sonnet-4-5", anthropic_stream, anthropic_whole, _anthropic_wire
    ),
    "gemini": Provider("gemini", "gemini-2.5-flash", gemini_stream, gemini_whole, _gemini_wire),
    "cohere": Provider("cohere", "command-a-03-2025", cohere_stream, cohere_whole, _cohere_wire),
    "ollama": Provider("ollama", "llama3.2", ollama_stream, ollama_whole, _ollama_wire),
    "bedrock": Provider(
        "bedrock", bedrock_play.MODEL, bedrock_stream, bedrock_whole, _bedrock_wire
    ),
}  # fmt: skip


def settings(server: LoopbackServer) -> dict[str, dict[str, Any]]:
    url = server.url
    return {
        "openai": {"base_url": url + "/v1", "api_key": KEY},
        "anthropic": {"base_url": url, "api_key": KEY},
        "gemini": {"base_url": url, "api_key": KEY},
        "cohere": {"base_url": url, "api_key": KEY},
        "ollama": {"base_url": url},
        **bedrock_play.overrides(server),
    }


def play(server: LoopbackServer, provider: Provider, text: str, piece: int = 3) -> None:
    """Routes answering ``provider``'s chat with ``text``: streamed in pieces of ``piece``
    characters, or whole."""
    pieces = [text[i : i + piece] for i in range(0, len(text), piece)]
    frames = provider.stream(pieces)
    whole = provider.whole(text)
    if provider.name == "bedrock":
        bedrock_play.play(server, stream=frames, whole=whole)
        return
    server.reset()
    ndjson = {"content-type": "application/x-ndjson"}

    def answer(request: Request) -> Response:
        streamed = ":streamGenerateContent" in request.path or request.json().get("stream") is True
        if not streamed:
            return json_response(whole)
        return Response(200, ndjson if provider.name == "ollama" else SSE, list(frames))

    paths = {
        "openai": ["/v1/chat/completions"],
        "anthropic": ["/v1/messages"],
        "gemini": [
            f"/v1beta/models/{provider.model}:streamGenerateContent",
            f"/v1beta/models/{provider.model}:generateContent",
        ],
        "cohere": ["/v2/chat"],
        "ollama": ["/api/chat"],
    }[provider.name]
    for path in paths:
        server.route("POST", path, answer)


def is_prefix(partial: Any, final: Any) -> bool:
    """Whether ``partial`` is what ``final`` looked like earlier in its text: strings are
    prefixes, containers hold the same first members with only the last one unfinished,
    scalars are equal."""
    if isinstance(partial, str):
        return isinstance(final, str) and final.startswith(partial)
    if isinstance(partial, list):
        if not isinstance(final, list) or len(partial) > len(final):
            return False
        return all(a == b for a, b in zip(partial[:-1], final)) and (
            not partial or is_prefix(partial[-1], final[len(partial) - 1])
        )
    if isinstance(partial, dict):
        if not isinstance(final, dict) or list(partial) != list(final)[: len(partial)]:
            return False
        keys = list(partial)
        return all(partial[k] == final[k] for k in keys[:-1]) and (
            not keys or is_prefix(partial[keys[-1]], final[keys[-1]])
        )
    return type(partial) is type(final) and partial == final
