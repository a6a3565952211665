"""An OpenAI-compatible provider on the loopback server for the command's tests.

What it answers depends on the last user message:

- ``tools`` (with tools in the request): the recorded parallel tool-call stream
  (../shared/spec/transcripts);
- ``think``: the recorded DeepSeek stream with reasoning;
- ``slow``: 40 words, one every 0.25 s (time to press Ctrl-C);
- ``bad key``: 401 with a body that echoes the key, as OpenAI does;
- a conversation with a tool call not followed by its tool message: 400, as OpenAI answers;
- anything else: ``You said: <message> (turn <n>)``, where n counts the user messages of the
  request, so a session's history shows on the screen.

Run as a script (``python tests/cli_provider.py URLFILE``) it serves until killed and writes
its base URL to URLFILE.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback import LoopbackServer, Request, Response, json_response

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TRANSCRIPTS = SHARED / "spec" / "transcripts"
SSE = {"content-type": "text/event-stream"}
MODEL = "gpt-4.1-mini"

__all__ = ["install", "reply_text"]


def _frames(data: bytes) -> list[bytes]:
    pieces, start = [], 0
    while start < len(data):
        end = data.find(b"\n\n", start)
        end = len(data) if end < 0 else end + 2
        pieces.append(data[start:end])
        start = end
    return pieces


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> bytes:
    body: dict[str, Any] = {
        "id": "chatcmpl-cli",
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        body["usage"] = usage
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def reply_text(messages: list[dict[str, Any]]) -> str:
    turns = sum(1 for message in messages if message.get("role") == "user")
    return f"You said: {messages[-1]['content']} (turn {turns})"


def _unanswered_calls(messages: list[dict[str, Any]]) -> str | None:
    """What OpenAI says when an assistant's tool calls are not each followed by a tool
    message with its id."""
    for number, message in enumerate(messages):
        ids = [call["id"] for call in message.get("tool_calls") or []]
        answered = set()
        for later in messages[number + 1 :]:
            if later.get("role") != "tool":
                break
            answered.add(later.get("tool_call_id"))
        missing = [call_id for call_id in ids if call_id not in answered]
        if missing:
            return (
                "An assistant message with 'tool_calls' must be followed by tool messages "
                f"responding to each 'tool_call_id'. Missing: {', '.join(missing)}"
            )
    return None


def _words_stream(words: list[str], pause: float) -> Response:
    usage = {"prompt_tokens": 12, "completion_tokens": len(words), "total_tokens": 12 + len(words)}
    pieces = [_chunk({"role": "assistant", "content": ""})]
    pieces += [_chunk({"content": word}) for word in words]
    pieces += [_chunk({}, "stop"), _chunk({}, usage=usage), b"data: [DONE]\n\n"]
    return Response(200, SSE, pieces, delay=pause)


def _answer(request: Request) -> Response:
    body = request.json()
    messages = body["messages"]
    last = messages[-1].get("content", "")
    if last == "bad key":
        key = request.headers.get("authorization", "")[len("Bearer ") :]
        error = {"message": f"Incorrect API key provided: {key}", "type": "invalid_request_error"}
        return json_response({"error": error}, 401)
    problem = _unanswered_calls(messages)
    if problem:  # as OpenAI refuses such a conversation
        return json_response({"error": {"message": problem, "type": "invalid_request_error"}}, 400)
    stream = bool(body.get("stream"))
    if stream and last == "tools" and body.get("tools"):
        data = (TRANSCRIPTS / "openai_chat_parallel_tool_calls.txt").read_bytes()
        return Response(200, SSE, _frames(data), delay=0.01)
    if stream and last == "think":
        data = (TRANSCRIPTS / "deepseek_reasoning.txt").read_bytes()
        return Response(200, SSE, _frames(data), delay=0.01)
    if stream and last == "slow":
        return _words_stream([f"word{n} " for n in range(40)], 0.25)
    text = reply_text(messages)
    if stream:
        return _words_stream([word + " " for word in text.split(" ")], 0.02)
    return json_response(
        {
            "id": "chatcmpl-cli",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
        }
    )


def install(server: LoopbackServer) -> None:
    server.route("POST", "/v1/chat/completions", _answer)


if __name__ == "__main__":
    with LoopbackServer() as running:
        install(running)
        Path(sys.argv[1]).write_text(running.url + "/v1")
        while True:
            time.sleep(3600)
