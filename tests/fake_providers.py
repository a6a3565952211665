"""Provider plays for the client tests: routes on the loopback server that check each request
the way the provider would (path, auth, headers, the body shape of the dialect) and answer with
recorded stream bytes (../shared/spec/transcripts) or a whole JSON response.

A request that breaks a rule gets a 400 naming every problem, so a test fails with the reason;
every request is also kept in ``server.requests`` for closer checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from loopback import LoopbackServer, Request, Response, json_response

from conftest import SHARED

__all__ = [
    "ANTHROPIC_TOOLS_WHOLE",
    "GEMINI_TOOLS_WHOLE",
    "KEY",
    "OPENAI_TOOLS_WHOLE",
    "TOOLS",
    "anthropic_checks",
    "frames",
    "install",
    "openai_checks",
    "transcript",
]

TRANSCRIPTS = SHARED / "spec" / "transcripts"

#: The canary key: the secrets test searches every output for it.
KEY = "sk-canary-7f3a9c1e5b2d8046"

SSE = {"content-type": "text/event-stream"}

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather of a city",
            "parameters": {
                "type": "object",
                "properties": {"location": {"type": "string"}},
                "required": ["location"],
            },
        },
    }
]

# The whole (non-stream) answers that say what the tool transcripts say.
OPENAI_TOOLS_WHOLE = {
    "id": "chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63",
    "object": "chat.completion",
    "created": 1727346178,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_JMW1whyEaYG438VE1OIflxA2",
                        "type": "function",
                        "function": {
                            "name": "GetWeatherArgs",
                            "arguments": '{"city": "Edinburgh", "country": "GB", "units": "c"}',
                        },
                    },
                    {
                        "id": "call_DNYTawLBoN8fj3KN6qU9N1Ou",
                        "type": "function",
                        "function": {
                            "name": "get_stock_price",
                            "arguments": '{"ticker": "AAPL", "exchange": "NASDAQ"}',
                        },
                    },
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 149,
        "completion_tokens": 60,
        "total_tokens": 209,
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
}

ANTHROPIC_TOOLS_WHOLE = {
    "id": "msg_019Q1hrJbZG26Fb9BQhrkHEr",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-20250514",
    "content": [
        {"type": "text", "text": "I'll check the current weather in Paris for you."},
        {
            "type": "tool_use",
            "id": "toolu_01NRLabsLyVHZPKxbKvkfSMn",
            "name": "get_weather",
            "input": {"location": "Paris"},
        },
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 377,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 65,
    },
}

GEMINI_TOOLS_WHOLE = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {"text": "Let me look up the current weather in Tokyo for you.\n"},
                    {
                        "functionCall": {"name": "getWeather", "args": {"location": "Tokyo"}},
                        "thoughtSignature": "c3ludGhldGljLXRoaW5raW5nLXNpZ25hdHVyZS1mb3Itc3BlYy"
                        "10cmFuc2NyaXB0LW5vdC1yZWFs",
                    },
                ],
            },
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 83,
        "candidatesTokenCount": 26,
        "totalTokenCount": 213,
        "thoughtsTokenCount": 104,
    },
    "modelVersion": "gemini-2.5-flash",
}


def transcript(name: str) -> bytes:
    return (TRANSCRIPTS / name).read_bytes()


def frames(data: bytes) -> list[bytes]:
    """``data`` cut after each SSE event (blank line), one event per chunk."""
    pieces: list[bytes] = []
    start = 0
    while start < len(data):
        end = data.find(b"\n\n", start)
        end = len(data) if end < 0 else end + 2
        pieces.append(data[start:end])
        start = end
    return pieces


Checker = Callable[[Request], list[str]]


def install(
    server: LoopbackServer,
    path: str,
    *,
    auth: tuple[str, str],
    checks: Checker,
    stream: Sequence[bytes] = (),
    whole: object = None,
    headers: Mapping[str, str] | None = None,
    streaming: bool | None = None,
    **options: Any,
) -> None:
    """A POST route at ``path`` that requires the ``auth`` header, runs ``checks`` and answers
    a streamed request with the ``stream`` chunks (``options`` are ``Response`` fields:
    ``pauses``, ``delay``, ``disconnect_after``, ...) and another with ``whole`` as JSON. A
    request streams when its body says ``"stream": true``, or always when ``streaming`` is
    true (Gemini streams by path)."""
    name, value = auth

    def handle(request: Request) -> Response:
        if request.headers.get(name) != value:
            error = {"message": f"missing or wrong {name}", "type": "authentication_error"}
            return json_response({"error": error}, 401)
        problems = checks(request)
        if problems:
            error = {"message": "; ".join(problems), "type": "invalid_request_error"}
            return json_response({"error": error}, 400)
        if streaming or (streaming is None and request.json().get("stream")):
            return Response(200, {**SSE, **(headers or {})}, list(stream), **options)
        return json_response(whole, headers=headers)

    server.route("POST", path, handle)


# --- What each dialect's server accepts --------------------------------------------------------


def _body(request: Request, problems: list[str]) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("application/json"):
        problems.append("content-type is not application/json")
    try:
        body = request.json()
    except ValueError:
        problems.append("body is not JSON")
        return {}
    if not isinstance(body, dict):
        problems.append("body is not an object")
        return {}
    if not isinstance(body.get("model"), str) or not body["model"]:
        problems.append("model missing")
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        problems.append("messages missing")
    return body


def openai_checks(*, stream_options: bool = True, model_in_body: bool = True) -> Checker:
    """OpenAI Chat Completions rules (providers.md §2.1)."""

    def check(request: Request) -> list[str]:
        problems: list[str] = []
        body = _body(request, problems)
        if not model_in_body:
            problems = [p for p in problems if p != "model missing"]
        call_ids: set[str] = set()
        for number, message in enumerate(body.get("messages") or ()):
            role = message.get("role") if isinstance(message, dict) else None
            if role not in ("system", "developer", "user", "assistant", "tool"):
                problems.append(f"message {number}: bad role {role!r}")
                continue
            _openai_content(message.get("content"), number, problems)
            for call in message.get("tool_calls") or ():
                function = call.get("function") or {}
                if call.get("type") != "function" or not isinstance(function.get("arguments"), str):
                    problems.append(f"message {number}: bad tool call {call!r}")
                call_ids.add(call.get("id"))
            if role == "tool" and message.get("tool_call_id") not in call_ids:
                problems.append(f"message {number}: tool result for an unknown call")
        for tool in body.get("tools") or ():
            function = tool.get("function") or {}
            if tool.get("type") != "function" or not isinstance(function.get("parameters"), dict):
                problems.append(f"bad tool {tool!r}")
        if "max_tokens" in body and "max_completion_tokens" in body:
            problems.append("both max_tokens and max_completion_tokens")
        if body.get("stream"):
            if body["stream"] is not True:
                problems.append("stream is not true")
            sent = body.get("stream_options")
            if stream_options and sent != {"include_usage": True}:
                problems.append(f"stream_options {sent!r} do not ask for usage")
            if not stream_options and sent is not None:
                problems.append("stream_options sent to a server that rejects them")
        elif "stream_options" in body:
            problems.append("stream_options without stream")
        return problems

    return check


def _openai_content(content: Any, number: int, problems: list[str]) -> None:
    if content is None or isinstance(content, str):
        return
    if not isinstance(content, list):
        problems.append(f"message {number}: content is neither text nor parts")
        return
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        if kind == "image_url" and isinstance((part.get("image_url") or {}).get("url"), str):
            continue
        problems.append(f"message {number}: bad content part {part!r}")


_ANTHROPIC_BLOCKS = {
    "user": {"text", "image", "document", "tool_result"},
    "assistant": {"text", "tool_use", "thinking", "redacted_thinking"},
}


def anthropic_checks(*, version: str = "2023-06-01") -> Checker:
    """Anthropic Messages rules (providers.md §4.1)."""

    def check(request: Request) -> list[str]:
        problems: list[str] = []
        if request.headers.get("anthropic-version") != version:
            problems.append(f"anthropic-version is not {version}")
        body = _body(request, problems)
        max_tokens = body.get("max_tokens")
        if not isinstance(max_tokens, int) or max_tokens < 1:
            problems.append("max_tokens missing")
        system = body.get("system")
        if system is not None and not isinstance(system, (str, list)):
            problems.append("bad system")
        used: set[str] = set()
        expected_role = "user"
        for number, message in enumerate(body.get("messages") or ()):
            role = message.get("role")
            if role != expected_role:
                problems.append(f"message {number}: role {role!r}, expected {expected_role!r}")
            expected_role = "assistant" if role == "user" else "user"
            content = message.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
            if not isinstance(blocks, list) or not blocks:
                problems.append(f"message {number}: empty content")
                continue
            for block in blocks:
                _anthropic_block(block, role, number, used, problems)
        for tool in body.get("tools") or ():
            if not isinstance(tool.get("name"), str) or not isinstance(
                tool.get("input_schema"), dict
            ):
                problems.append(f"bad tool {tool!r}")
        choice = body.get("tool_choice")
        if choice is not None and choice.get("type") not in ("auto", "any", "tool", "none"):
            problems.append(f"bad tool_choice {choice!r}")
        if "stream" in body and body["stream"] is not True:
            problems.append("stream is not true")
        return problems

    return check


def _anthropic_block(
    block: Any, role: str, number: int, used: set[str], problems: list[str]
) -> None:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind not in _ANTHROPIC_BLOCKS.get(role, set()):
        problems.append(f"message {number}: block {kind!r} not allowed in a {role} turn")
        return
    if kind == "text" and not isinstance(block.get("text"), str):
        problems.append(f"message {number}: text block without text")
    elif kind == "tool_use":
        if not isinstance(block.get("input"), dict) or not block.get("id"):
            problems.append(f"message {number}: bad tool_use {block!r}")
        used.add(block.get("id"))
    elif kind == "tool_result" and block.get("tool_use_id") not in used:
        problems.append(f"message {number}: tool_result for an unknown tool_use")
    elif kind == "image":
        source = block.get("source") or {}
        if source.get("type") == "base64":
            if not source.get("media_type") or not source.get("data"):
                problems.append(f"message {number}: bad base64 image")
        elif source.get("type") != "url" or not source.get("url"):
            problems.append(f"message {number}: bad image source")


def sse_json(data: object, event: str | None = None) -> bytes:
    """One SSE event carrying ``data`` as JSON."""
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + json.dumps(data).encode() + b"\n\n"


# --- Gemini, Cohere, Ollama ------------------------------------------------------------------


def gemini_checks(request: Request) -> list[str]:
    """Gemini API rules (providers.md §5.2): user/model turns of parts, named function
    responses with object results, no key in the URL."""
    problems: list[str] = []
    if "key" in request.query:
        problems.append("API key in the URL")
    body = request.json()
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return [*problems, "contents missing"]
    for number, turn in enumerate(contents):
        if turn.get("role") not in ("user", "model"):
            problems.append(f"turn {number}: bad role {turn.get('role')!r}")
        if number and turn.get("role") == contents[number - 1].get("role"):
            problems.append(f"turn {number}: same role twice")
        for part in turn.get("parts") or [None]:
            keys = set(part or {}) - {"thoughtSignature"}
            if len(keys) != 1 or not keys <= {
                "text",
                "inlineData",
                "fileData",
                "functionCall",
                "functionResponse",
            }:
                problems.append(f"turn {number}: bad part {part!r}")
            response = (part or {}).get("functionResponse")
            if response is not None and (
                not response.get("name") or not isinstance(response.get("response"), dict)
            ):
                problems.append(f"turn {number}: bad functionResponse {response!r}")
    for tool in body.get("tools") or ():
        for declaration in tool.get("functionDeclarations") or [None]:
            if not isinstance(declaration, dict) or not declaration.get("name"):
                problems.append(f"bad function declaration {declaration!r}")
    if "model" in body:
        problems.append("model in the body (it belongs in the path)")
    return problems


def cohere_checks(request: Request) -> list[str]:
    """Cohere v2 chat rules (providers.md §7.1)."""
    problems: list[str] = []
    body = _body(request, problems)
    ids: set[str] = set()
    for number, message in enumerate(body.get("messages") or ()):
        role = message.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            problems.append(f"message {number}: bad role {role!r}")
        for call in message.get("tool_calls") or ():
            ids.add(call.get("id"))
        if role == "tool" and message.get("tool_call_id") not in ids:
            problems.append(f"message {number}: tool result for an unknown call")
        if "content" in message and message["content"] is None:
            problems.append(f"message {number}: null content")
    if body.get("tool_choice") not in (None, "REQUIRED", "NONE"):
        problems.append(f"bad tool_choice {body.get('tool_choice')!r}")
    return problems


def ollama_checks(request: Request) -> list[str]:
    """Ollama /api/chat rules (providers.md §8.1)."""
    problems: list[str] = []
    body = _body(request, problems)
    if not isinstance(body.get("stream"), bool):
        problems.append("stream not sent (Ollama streams by default)")
    for number, message in enumerate(body.get("messages") or ()):
        if not isinstance(message.get("content"), str):
            problems.append(f"message {number}: content is not text")
        for image in message.get("images") or ():
            if not isinstance(image, str) or image.startswith("data:"):
                problems.append(f"message {number}: image is not bare base64")
        for call in message.get("tool_calls") or ():
            if not isinstance((call.get("function") or {}).get("arguments"), dict):
                problems.append(f"message {number}: tool call arguments are not an object")
    return problems
