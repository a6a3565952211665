"""A scripted model behind real provider endpoints on 127.0.0.1: what ``make demo`` and the
documentation's examples talk to.

``DemoServer`` is a threaded HTTP/1.1 server on an ephemeral port of the loopback address. It
speaks the providers' own wire formats, so the clients reach it through their normal code
paths (only the base URL differs):

- OpenAI Chat Completions (``/openai/v1/chat/completions``, whole or SSE), the Responses API
  (``/openai/v1/responses``, whole or SSE), embeddings and the models list; every
  OpenAI-compatible provider of the registry can point there;
- Anthropic Messages (``/anthropic/v1/messages``, whole or SSE) and its models list;
- Cohere rerank (``/cohere/v2/rerank``); Ollama ``/api/chat`` (``/ollama/api/chat``, NDJSON);
- Gemini ``generateContent`` and ``streamGenerateContent`` (``/gemini/v1beta/models/...``,
  ``x-goog-api-key`` required);
- Vertex AI's Gemini and Claude endpoints (``/vertex/v1/projects/.../publishers/{google,
  anthropic}/models/<model>:...``, a bearer token required) and a Google OAuth
  token endpoint (``/google/token``, the JWT-bearer grant) for service-account keys;
- Bedrock Converse (``/bedrock/model/<model>/converse``, a SigV4 or bearer signature required).

The model is a script, the same every run: a turn that ends with tool results gets an answer
quoting them; a turn with tools gets one call of the first tool (or of the one ``tool_choice``
names) per capitalised word of the last user message after its first word ("weather in Paris
and Tokyo?" -> two parallel calls); a ``response_format`` JSON schema gets a value of that schema;
any other turn gets a short answer echoing the question. Requests are checked the way the
providers check them, and refused with their status and error shape: an API key must be sent,
Anthropic needs ``anthropic-version``, and every tool call of an assistant turn must be
answered (OpenAI: a ``tool`` message per ``tool_call_id``; Anthropic: a ``tool_result`` per
``tool_use`` in the very next user turn), which is what a loop answering only the first of
parallel calls gets wrong.

:meth:`DemoServer.environ` gives the environment variables that point the clients (and the
openai and anthropic SDKs) at the server.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

__all__ = ["DemoServer", "Reply", "ToolCall"]

#: The OpenAI-compatible providers whose base URL :meth:`DemoServer.environ` points at the
#: OpenAI route, with the variable each reads its key from.
OPENAI_COMPATIBLE = {
    "openai": "OPENAI_API_KEY",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "together": "TOGETHER_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "xai": "XAI_API_KEY",
}
_DEMO_KEY = "sk-demo-not-a-real-key"
_WORD = re.compile(r"[A-Z][\w'-]*")
_MAX_BODY = 8 * 1024 * 1024


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass
class Reply:
    """What the scripted model says: text and/or tool calls, and the token counts."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def words(self) -> list[str]:
        """The text cut into the pieces a stream sends (each keeps its leading space)."""
        return re.findall(r"\s*\S+", self.text) or ([self.text] if self.text else [])


class ProviderError(Exception):
    """A request the provider would refuse: its status and message."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


# --- The scripted model ----------------------------------------------------------------------


def _count(text: str) -> int:
    return max(1, len(text.split()))


def _schema_example(schema: Any, hint: str, root: Any = None, depth: int = 0) -> Any:
    """A small value that satisfies a JSON Schema: objects (every property), arrays (one item),
    scalars, ``enum``/``const``, the ``required`` properties only (all without ``required``),
    local ``$ref``s (``#/$defs/...``, as pydantic writes them),
    ``anyOf``/``oneOf``/``allOf`` (the first choice that is not null); type names in either
    case (Gemini's ``OBJECT``). Nesting past 16 levels (a recursive schema) ends in an empty
    array, object or string."""
    root = schema if root is None else root
    if not isinstance(schema, Mapping):
        return hint
    if depth > 16:
        return [] if str(schema.get("type", "")).lower() == "array" else hint
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/"):
        target: Any = root
        for step in reference[2:].split("/"):
            target = target.get(step) if isinstance(target, Mapping) else None
        return _schema_example(target, hint, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        choices = [c for c in schema.get(combinator) or () if isinstance(c, Mapping)]
        usable = [c for c in choices if str(c.get("type", "")).lower() != "null"] or choices
        if len(usable) < len(choices) and depth > 4:
            return None  # a nullable value deep down: null ends a recursive schema
        if usable:
            return _schema_example(usable[0], hint, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    kind = str(kind or "").lower()
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        required = schema.get("required")
        return {
            name: _schema_example(sub, name, root, depth + 1)
            for name, sub in properties.items()
            if not isinstance(required, list) or name in required  # optional ones left out
        }
    if kind == "array":
        return [_schema_example(schema.get("items"), hint, root, depth + 1)]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return hint


def _arguments(parameters: Any, subject: str) -> dict[str, Any]:
    """The first tool's arguments for ``subject``: its first string property gets it."""
    arguments = _schema_example(parameters, subject)
    if not isinstance(arguments, dict):
        return {}
    properties = parameters.get("properties") if isinstance(parameters, Mapping) else None
    for name, sub in (properties or {}).items():
        if isinstance(sub, Mapping) and sub.get("type", "string") == "string":
            arguments[name] = subject
            break
    return arguments


def script(
    *,
    last_user: str,
    results: list[str],
    tools: list[tuple[str, Any]],
    schema: Any,
    prompt_words: int,
    call_prefix: str,
) -> Reply:
    """The scripted answer to a conversation (see the module docstring)."""
    if results:
        text = "Here is what the tools said: " + "; ".join(results) + "."
        reply = Reply(text=text)
    elif schema is not None:
        reply = Reply(text=json.dumps(_schema_example(schema, last_user[:40]), ensure_ascii=False))
    elif tools:
        name, parameters = tools[0]
        subjects = _WORD.findall(last_user)[1:5] or [last_user[:40]]
        calls = [
            ToolCall(f"{call_prefix}{index + 1}", name, _arguments(parameters, subject))
            for index, subject in enumerate(dict.fromkeys(subjects))
        ]
        reply = Reply(text="Let me look that up.", tool_calls=calls)
    else:
        reply = Reply(text=f"Hello from the fluent-ai demo model. You asked: {last_user}")
    reply.input_tokens = prompt_words
    reply.output_tokens = _count(reply.text) + 8 * len(reply.tool_calls)
    return reply


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    return ""


def _schema_of(response_format: Any) -> Any:
    if not isinstance(response_format, Mapping):
        return None
    if response_format.get("type") == "json_schema":
        inner = response_format.get("json_schema") or {}
        return inner.get("schema", inner) if isinstance(inner, Mapping) else None
    if response_format.get("type") == "json_object":
        return {"type": "object", "properties": {}}
    return response_format.get("schema")


# --- OpenAI ----------------------------------------------------------------------------------


def openai_reply(body: Mapping[str, Any]) -> Reply:
    """Checks a Chat Completions body as OpenAI does and runs the script on it."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ProviderError(400, "'messages' must be a non-empty array")
    open_calls: dict[str, str] = {}
    results: list[str] = []
    last_user = ""
    words = 0
    for number, message in enumerate(messages):
        role = message.get("role") if isinstance(message, Mapping) else None
        if open_calls and role != "tool":
            missing = ", ".join(open_calls)
            raise ProviderError(
                400,
                "An assistant message with 'tool_calls' must be followed by tool messages "
                f"responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {missing} (messages[{number}])",
            )
        text = _text_of(message.get("content"))
        words += _count(text)
        if role == "assistant":
            results = []
            for call in message.get("tool_calls") or ():
                open_calls[call.get("id")] = (call.get("function") or {}).get("name", "")
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in open_calls:
                raise ProviderError(
                    400,
                    f"Invalid parameter: messages with role 'tool' must be a response to a "
                    f"preceding message with 'tool_calls' (messages[{number}])",
                )
            del open_calls[call_id]
            results.append(text)
        elif role == "user":
            last_user, results = text, []
    if open_calls:
        missing = ", ".join(open_calls)
        raise ProviderError(
            400,
            "An assistant message with 'tool_calls' must be followed by tool messages "
            f"responding to each 'tool_call_id'. The following tool_call_ids did not have "
            f"response messages: {missing}",
        )
    tools = [
        (tool["function"]["name"], tool["function"].get("parameters"))
        for tool in body.get("tools") or ()
        if isinstance(tool, Mapping) and isinstance(tool.get("function"), Mapping)
    ]
    choice = body.get("tool_choice")
    if choice == "none":
        tools = []
    elif isinstance(choice, Mapping):  # one named function: that tool is called
        name = (choice.get("function") or {}).get("name")
        tools = [tool for tool in tools if tool[0] == name]
    return script(
        last_user=last_user,
        results=results,
        tools=tools,
        schema=_schema_of(body.get("response_format")),
        prompt_words=words,
        call_prefix="call_demo_",
    )


def _openai_usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


def openai_whole(reply: Reply, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in reply.tool_calls
        ]
    return {
        "id": "chatcmpl-demo",
        "object": "chat.completion",
        "created": 1764900000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": _openai_usage(reply),
    }


def _pieces(text: str, size: int = 7) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def openai_stream(reply: Reply, model: str, usage: bool) -> Iterator[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        data = {
            "id": "chatcmpl-demo",
            "object": "chat.completion.chunk",
            "created": 1764900000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return b"data: " + json.dumps(data).encode() + b"\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for word in reply.words:
        yield chunk({"content": word})
    for index, call in enumerate(reply.tool_calls):
        function = {"name": call.name, "arguments": ""}
        start = {"index": index, "id": call.id, "type": "function", "function": function}
        yield chunk({"tool_calls": [start]})
        for piece in _pieces(json.dumps(call.arguments)):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
    if usage:
        data = {
            "id": "chatcmpl-demo",
            "object": "chat.completion.chunk",
            "created": 1764900000,
            "model": model,
            "choices": [],
            "usage": _openai_usage(reply),
        }
        yield b"data: " + json.dumps(data).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"


def _vector(text: str, dimensions: int = 8) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [round(byte / 255 - 0.5, 4) for byte in digest[:dimensions]]


def openai_embeddings(body: Mapping[str, Any]) -> dict[str, Any]:
    inputs = body.get("input")
    texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
    if not texts or not all(isinstance(text, str) for text in texts):
        raise ProviderError(400, "'input' must be a string or an array of strings")
    dimensions = body.get("dimensions") or 8
    tokens = sum(_count(text) for text in texts)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": index, "embedding": _vector(text, dimensions)}
            for index, text in enumerate(texts)
        ],
        "model": body.get("model"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


# --- OpenAI Responses ------------------------------------------------------------------------


def responses_reply(body: Mapping[str, Any]) -> Reply:
    """Checks a Responses API body as OpenAI does (every ``function_call`` item answered by a
    ``function_call_output`` with its ``call_id``, and no output without its call) and runs
    the script on it."""
    if body.get("previous_response_id"):
        raise ProviderError(400, "previous_response_id: the demo server keeps no responses")
    items = body.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    if not isinstance(items, list) or not items:
        raise ProviderError(400, "Missing required parameter: 'input'.")
    calls: dict[str, str] = {}
    answered: set[str] = set()
    results: list[str] = []
    last_user = ""
    words = _count(str(body.get("instructions") or ""))
    for item in items:
        kind = item.get("type", "message")
        if kind == "function_call":
            calls[item.get("call_id")] = item.get("name", "")
            results = []
        elif kind == "function_call_output":
            call_id = item.get("call_id")
            if call_id not in calls:
                raise ProviderError(
                    400, f"No tool call found for function call output with call_id {call_id}."
                )
            answered.add(call_id)
            results.append(str(item.get("output", "")))
        elif kind == "message":
            content = item.get("content")
            parts = (
                [{"type": "text", "text": content}]
                if isinstance(content, str)
                else [
                    {"type": "text", "text": part.get("text", "")}
                    for part in content or ()
                    if isinstance(part, Mapping) and "text" in part
                ]
            )
            text = _text_of(parts)
            words += _count(text)
            if item.get("role") == "user":
                last_user, results = text, []
    for call_id in calls:
        if call_id not in answered:
            raise ProviderError(400, f"No tool output found for function call {call_id}.")
    tools = [
        (tool.get("name", ""), tool.get("parameters"))
        for tool in body.get("tools") or ()
        if isinstance(tool, Mapping) and tool.get("type") == "function"
    ]
    choice = body.get("tool_choice")
    if choice == "none":
        tools = []
    elif isinstance(choice, Mapping):
        tools = [tool for tool in tools if tool[0] == choice.get("name")]
    text_format = (body.get("text") or {}).get("format") or {}
    return script(
        last_user=last_user,
        results=results,
        tools=tools,
        schema=text_format.get("schema") if text_format.get("type") == "json_schema" else None,
        prompt_words=words,
        call_prefix="call_demo_",
    )


def _responses_items(reply: Reply) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if reply.text:
        part = {"type": "output_text", "text": reply.text, "annotations": []}
        items.append(
            {
                "id": "msg_demo",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [part],
            }
        )
    items += [
        {
            "id": f"fc_demo_{index}",
            "type": "function_call",
            "status": "completed",
            "arguments": json.dumps(call.arguments),
            "call_id": call.id,
            "name": call.name,
        }
        for index, call in enumerate(reply.tool_calls)
    ]
    return items


def responses_whole(reply: Reply, model: str) -> dict[str, Any]:
    return {
        "id": "resp_demo",
        "object": "response",
        "created_at": 1764900000,
        "status": "completed",
        "model": model,
        "output": _responses_items(reply),
        "usage": {
            "input_tokens": reply.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": reply.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": reply.input_tokens + reply.output_tokens,
        },
    }


def responses_stream(reply: Reply, model: str) -> Iterator[bytes]:
    sequence = 0

    def event(name: str, **data: Any) -> bytes:
        nonlocal sequence
        sequence += 1
        payload = {"type": name, **data, "sequence_number": sequence - 1}
        return f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode()

    whole = responses_whole(reply, model)
    started = {**whole, "status": "in_progress", "output": [], "usage": None}
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    for index, item in enumerate(whole["output"]):
        if item["type"] == "message":
            opened = {**item, "status": "in_progress", "content": []}
            yield event("response.output_item.added", output_index=index, item=opened)
            part = {"type": "output_text", "text": "", "annotations": []}
            ids = {"item_id": item["id"], "output_index": index, "content_index": 0}
            yield event("response.content_part.added", **ids, part=part)
            for word in reply.words:
                yield event("response.output_text.delta", **ids, delta=word)
            yield event("response.output_text.done", **ids, text=reply.text)
            yield event("response.content_part.done", **ids, part=item["content"][0])
        else:
            opened = {**item, "status": "in_progress", "arguments": ""}
            yield event("response.output_item.added", output_index=index, item=opened)
            ids = {"item_id": item["id"], "output_index": index}
            for piece in _pieces(item["arguments"]):
                yield event("response.function_call_arguments.delta", **ids, delta=piece)
            yield event("response.function_call_arguments.done", **ids, arguments=item["arguments"])
        yield event("response.output_item.done", output_index=index, item=item)
    yield event("response.completed", response=whole)


# --- Gemini ----------------------------------------------------------------------------------


def gemini_reply(body: Mapping[str, Any]) -> Reply:
    """Checks a generateContent body as Gemini does (a function-response turn answers every
    call of the turn before it) and runs the script on it."""
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise ProviderError(400, "* GenerateContentRequest.contents: contents is not specified")
    calls = 0
    results: list[str] = []
    last_user = ""
    words = 0
    for turn in contents:
        parts = turn.get("parts") or []
        responses = [p["functionResponse"] for p in parts if "functionResponse" in p]
        if calls and len(responses) != calls:
            raise ProviderError(
                400,
                "Please ensure that the number of function response parts is equal to the "
                "number of function call parts of the function call turn.",
            )
        calls = sum(1 for part in parts if "functionCall" in part)
        texts = [str(part["text"]) for part in parts if "text" in part]
        words += _count(" ".join(texts))
        if turn.get("role") == "user":
            results = [_function_result(r.get("response")) for r in responses]
            if texts:
                last_user = " ".join(texts)
    tools = [
        (declaration.get("name", ""), declaration.get("parameters"))
        for tool in body.get("tools") or ()
        for declaration in tool.get("functionDeclarations") or ()
    ]
    mode = (((body.get("toolConfig") or {}).get("functionCallingConfig")) or {}).get("mode")
    if mode == "NONE":
        tools = []
    config = body.get("generationConfig") or {}
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    return script(
        last_user=last_user,
        results=results,
        tools=tools,
        schema=schema,
        prompt_words=words,
        call_prefix="",
    )


def _function_result(response: Any) -> str:
    """The text of a ``functionResponse.response``: its one value when it has one."""
    if isinstance(response, Mapping) and len(response) == 1:
        (value,) = response.values()
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return json.dumps(response, ensure_ascii=False)


def gemini_chunk(reply: Reply, model: str, parts: list[dict[str, Any]], last: bool) -> bytes:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    chunk: dict[str, Any] = {"candidates": [candidate], "modelVersion": model}
    if last:
        candidate["finishReason"] = "STOP"
        chunk["usageMetadata"] = {
            "promptTokenCount": reply.input_tokens,
            "candidatesTokenCount": reply.output_tokens,
            "totalTokenCount": reply.input_tokens + reply.output_tokens,
        }
    return json.dumps(chunk).encode()


def _gemini_calls(reply: Reply) -> list[dict[str, Any]]:
    return [{"functionCall": {"name": c.name, "args": c.arguments}} for c in reply.tool_calls]


def gemini_whole(reply: Reply, model: str) -> Any:
    parts = ([{"text": reply.text}] if reply.text else []) + _gemini_calls(reply)
    return json.loads(gemini_chunk(reply, model, parts, last=True))


def gemini_stream(reply: Reply, model: str) -> Iterator[bytes]:
    for word in reply.words:
        yield b"data: " + gemini_chunk(reply, model, [{"text": word}], last=False) + b"\r\n\r\n"
    last = gemini_chunk(reply, model, _gemini_calls(reply), last=True)
    yield b"data: " + last + b"\r\n\r\n"


# --- Ollama ----------------------------------------------------------------------------------


def ollama_reply(body: Mapping[str, Any]) -> Reply:
    """Checks an ``/api/chat`` body as Ollama does (text content, object arguments) and runs
    the script on it. Ollama itself does not check that every call got its result."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ProviderError(400, "messages is required")
    results: list[str] = []
    last_user = ""
    words = 0
    for message in messages:
        content = message.get("content")
        if not isinstance(content, str):
            raise ProviderError(400, "json: cannot unmarshal array into Go struct field content")
        for call in message.get("tool_calls") or ():
            if not isinstance((call.get("function") or {}).get("arguments"), dict):
                raise ProviderError(400, "json: cannot unmarshal string into arguments")
        words += _count(content)
        role = message.get("role")
        if role == "assistant":
            results = []
        elif role == "tool":
            results.append(content)
        elif role == "user":
            last_user, results = content, []
    tools = [
        (tool["function"].get("name", ""), tool["function"].get("parameters"))
        for tool in body.get("tools") or ()
        if isinstance(tool, Mapping) and isinstance(tool.get("function"), Mapping)
    ]
    schema = body.get("format")
    return script(
        last_user=last_user,
        results=results,
        tools=tools,
        schema={"type": "object"} if schema == "json" else schema,
        prompt_words=words,
        call_prefix="call_ollama_",
    )


def _ollama_line(model: str, message: dict[str, Any], done: Reply | None = None) -> bytes:
    line: dict[str, Any] = {
        "model": model,
        "created_at": "2026-12-05T00:00:00Z",
        "message": {"role": "assistant", "content": "", **message},
        "done": done is not None,
    }
    if done is not None:
        line["done_reason"] = "stop"
        line["prompt_eval_count"] = done.input_tokens
        line["eval_count"] = done.output_tokens
    return json.dumps(line).encode() + b"\n"


def _ollama_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "function": {"index": i, "name": c.name, "arguments": c.arguments}}
        for i, c in enumerate(reply.tool_calls)
    ]


def ollama_whole(reply: Reply, model: str) -> Any:
    message: dict[str, Any] = {"content": reply.text}
    if reply.tool_calls:
        message["tool_calls"] = _ollama_calls(reply)
    return json.loads(_ollama_line(model, message, reply))


def ollama_stream(reply: Reply, model: str) -> Iterator[bytes]:
    for word in reply.words:
        yield _ollama_line(model, {"content": word})
    for call in _ollama_calls(reply):
        yield _ollama_line(model, {"tool_calls": [call]})
    yield _ollama_line(model, {}, reply)


# --- Anthropic -------------------------------------------------------------------------------


def anthropic_reply(body: Mapping[str, Any]) -> Reply:
    """Checks a Messages body as Anthropic does and runs the script on it."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ProviderError(400, "messages: Field required")
    if not isinstance(body.get("max_tokens"), int):
        raise ProviderError(400, "max_tokens: Field required")
    expected = "user"
    pending: list[Any] = []
    results: list[str] = []
    last_user = ""
    words = _count(_text_of(body.get("system")))
    for number, message in enumerate(messages):
        role = message.get("role")
        if role != expected:
            raise ProviderError(
                400, f"messages.{number}: roles must alternate between 'user' and 'assistant'"
            )
        expected = "assistant" if role == "user" else "user"
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        answered = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
        if pending and not set(pending) <= answered:
            missing = ", ".join(i for i in pending if i not in answered)
            raise ProviderError(
                400,
                f"messages.{number}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {missing}. Each `tool_use` block must have a "
                "corresponding `tool_result` block in the next message.",
            )
        if answered - set(pending):
            raise ProviderError(
                400,
                f"messages.{number}.content: unexpected `tool_use_id` found in `tool_result` "
                "blocks. Each `tool_result` block must have a corresponding `tool_use` block "
                "in the previous message.",
            )
        pending = [b.get("id") for b in blocks if b.get("type") == "tool_use"]
        texts = [str(b.get("text", "")) for b in blocks if b.get("type") == "text"]
        words += _count(" ".join(texts))
        if role == "user":
            results = [_text_of(b.get("content")) for b in blocks if b.get("type") == "tool_result"]
            if texts:
                last_user = " ".join(texts)
    if pending:
        raise ProviderError(400, "the last message must be a user turn with the tool results")
    choice = body.get("tool_choice") or {}
    tools = [
        (tool.get("name", ""), tool.get("input_schema"))
        for tool in body.get("tools") or ()
        if choice.get("type") != "none"
        and (choice.get("type") != "tool" or tool.get("name") == choice.get("name"))
    ]
    schema = ((body.get("output_config") or {}).get("format") or {}).get("schema")
    return script(
        last_user=last_user,
        results=results,
        tools=tools,
        schema=schema,
        prompt_words=words,
        call_prefix="toolu_demo_",
    )


def anthropic_whole(reply: Reply, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    content += [
        {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        for call in reply.tool_calls
    ]
    return {
        "id": "msg_demo",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
    }


def anthropic_stream(reply: Reply, model: str) -> Iterator[bytes]:
    def event(name: str, data: dict[str, Any]) -> bytes:
        return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()

    start = {**anthropic_whole(reply, model), "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": reply.input_tokens, "output_tokens": 1}
    yield event("message_start", {"message": start})
    index = 0
    if reply.text:
        block: dict[str, Any] = {"type": "text", "text": ""}
        yield event("content_block_start", {"index": 0, "content_block": block})
        yield event("ping", {})
        for word in reply.words:
            delta = {"type": "text_delta", "text": word}
            yield event("content_block_delta", {"index": 0, "delta": delta})
        yield event("content_block_stop", {"index": 0})
        index = 1
    for call in reply.tool_calls:
        block = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
        yield event("content_block_start", {"index": index, "content_block": block})
        for piece in ["", *_pieces(json.dumps(call.arguments))]:
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield event("content_block_delta", {"index": index, "delta": delta})
        yield event("content_block_stop", {"index": index})
        index += 1
    stop = "tool_use" if reply.tool_calls else "end_turn"
    yield event(
        "message_delta",
        {
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": reply.output_tokens},
        },
    )
    yield event("message_stop", {})


# --- Bedrock Converse ------------------------------------------------------------------------


def bedrock_reply(body: Mapping[str, Any]) -> Reply:
    """Checks a Converse body as Bedrock does (every ``toolUse`` answered by a
    ``toolResult`` in the next user turn) and runs the script on it."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ProviderError(400, "ValidationException: messages is required")
    pending: set[Any] = set()
    results: list[str] = []
    last_user = ""
    words = 0
    for number, message in enumerate(messages):
        blocks = message.get("content") or []
        answered = {b["toolResult"].get("toolUseId") for b in blocks if "toolResult" in b}
        if pending != answered and (pending or answered):
            raise ProviderError(
                400,
                f"ValidationException: messages.{number}: the number of toolResult blocks "
                "exceeds or is less than the number of toolUse blocks of the previous turn.",
            )
        pending = {b["toolUse"].get("toolUseId") for b in blocks if "toolUse" in b}
        texts = [str(b["text"]) for b in blocks if "text" in b]
        words += _count(" ".join(texts))
        if message.get("role") == "user":
            results = [
                _text_of([{"type": "text", **part} for part in b["toolResult"].get("content", [])])
                for b in blocks
                if "toolResult" in b
            ]
            if texts:
                last_user = " ".join(texts)
    tools = [
        (spec["toolSpec"].get("name", ""), (spec["toolSpec"].get("inputSchema") or {}).get("json"))
        for spec in (body.get("toolConfig") or {}).get("tools") or ()
        if "toolSpec" in spec
    ]
    text_format = (body.get("outputConfig") or {}).get("textFormat") or {}
    structure = (text_format.get("structure") or {}).get("jsonSchema") or {}
    try:
        schema = json.loads(structure["schema"]) if "schema" in structure else None
    except (TypeError, ValueError):
        raise ProviderError(400, "ValidationException: the JSON schema is not JSON") from None
    return script(
        last_user=last_user,
        results=results,
        tools=tools,
        schema=schema,
        prompt_words=words,
        call_prefix="tooluse_demo_",
    )


def bedrock_whole(reply: Reply) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"text": reply.text}] if reply.text else []
    content += [
        {"toolUse": {"toolUseId": call.id, "name": call.name, "input": call.arguments}}
        for call in reply.tool_calls
    ]
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "tool_use" if reply.tool_calls else "end_turn",
        "usage": {
            "inputTokens": reply.input_tokens,
            "outputTokens": reply.output_tokens,
            "totalTokens": reply.input_tokens + reply.output_tokens,
        },
        "metrics": {"latencyMs": 1},
    }


# --- Cohere and the models lists -------------------------------------------------------------


def cohere_rerank(body: Mapping[str, Any]) -> dict[str, Any]:
    query = set(str(body.get("query", "")).lower().split())
    documents = body.get("documents") or []
    if not query or not documents:
        raise ProviderError(400, "query and documents are required")
    scores = [
        (len(query & set(str(text).lower().split())) / len(query), index)
        for index, text in enumerate(documents)
    ]
    ranked = sorted(scores, key=lambda pair: (-pair[0], pair[1]))[: body.get("top_n") or None]
    return {
        "id": "rerank-demo",
        "results": [{"index": i, "relevance_score": round(s, 4)} for s, i in ranked],
        "meta": {"billed_units": {"search_units": 1}},
    }


OPENAI_MODELS = {
    "object": "list",
    "data": [
        {"id": model, "object": "model", "created": 1744000000, "owned_by": "openai"}
        for model in ("gpt-4.1", "gpt-4.1-mini", "text-embedding-3-small")
    ],
}
ANTHROPIC_MODELS = {
    "data": [
        {
            "type": "model",
            "id": "claude-sonnet-4-5-20250929",
            "display_name": "Claude Sonnet 4.5",
            "created_at": "2025-09-29T00:00:00Z",
        },
        {
            "type": "model",
            "id": "claude-haiku-4-5-20251001",
            "display_name": "Claude Haiku 4.5",
            "created_at": "2025-10-01T00:00:00Z",
        },
    ],
    "has_more": False,
    "first_id": "claude-sonnet-4-5-20250929",
    "last_id": "claude-haiku-4-5-20251001",
}


def google_token(form: Any) -> dict[str, Any]:
    """The JWT-bearer grant: a signed assertion (three base64url parts) gets a token."""
    if not isinstance(form, Mapping):
        raise ProviderError(400, "invalid_request: a form body is expected")
    grant = form.get("grant_type")
    assertion = str(form.get("assertion") or "")
    if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" or assertion.count(".") != 2:
        raise ProviderError(400, "invalid_grant: a signed JWT assertion is expected")
    digest = hashlib.sha256(assertion.encode()).hexdigest()[:24]
    return {"access_token": f"ya29.demo-{digest}", "expires_in": 3600, "token_type": "Bearer"}


# --- The HTTP server -------------------------------------------------------------------------


@dataclass
class Recorded:
    """One request as received (header names lower-cased; ``body`` parsed JSON or ``None``)
    and the status it got."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0


class DemoServer:
    """The scripted providers on ``http://127.0.0.1:<port>``; ``delay`` seconds between the
    chunks of a stream (to watch it arrive). Use it as a context manager."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def environ(self) -> dict[str, str]:
        """Variables that point fluent-ai (``FLUENT_AI_<PROVIDER>_BASE_URL``) and the openai
        and anthropic SDKs (``OPENAI_BASE_URL``, ``ANTHROPIC_BASE_URL``) at this server, with a
        demo key for each provider."""
        env = {"OPENAI_BASE_URL": f"{self.url}/openai/v1", "ANTHROPIC_BASE_URL": ""}
        for name, key in OPENAI_COMPATIBLE.items():
            env[f"FLUENT_AI_{name.upper()}_BASE_URL"] = f"{self.url}/openai/v1"
            env[key] = _DEMO_KEY
        env["FLUENT_AI_ANTHROPIC_BASE_URL"] = env["ANTHROPIC_BASE_URL"] = f"{self.url}/anthropic"
        env["ANTHROPIC_API_KEY"] = _DEMO_KEY
        env["FLUENT_AI_COHERE_BASE_URL"] = f"{self.url}/cohere"
        env["CO_API_KEY"] = _DEMO_KEY
        env["FLUENT_AI_OLLAMA_BASE_URL"] = f"{self.url}/ollama"
        env["FLUENT_AI_GEMINI_BASE_URL"] = f"{self.url}/gemini"
        env["GEMINI_API_KEY"] = _DEMO_KEY
        env["FLUENT_AI_VERTEX_BASE_URL"] = f"{self.url}/vertex/v1"
        env["FLUENT_AI_BEDROCK_BASE_URL"] = f"{self.url}/bedrock"
        # Azure OpenAI's v1 API (a base URL ending in /v1), keyed by the api-key header.
        env["FLUENT_AI_AZURE_BASE_URL"] = f"{self.url}/azure/openai/v1"
        env["AZURE_OPENAI_API_KEY"] = _DEMO_KEY
        return env

    @property
    def token_uri(self) -> str:
        """The Google OAuth token endpoint, for a service-account key's ``token_uri``."""
        return f"{self.url}/google/token"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> DemoServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> _Answer:
        """The status and body (bytes, or chunks for a stream) for one request."""
        recorded = Recorded(method, path, headers, body)
        with self._lock:
            self.requests.append(recorded)
        provider = path.split("/")[1] if path.count("/") > 1 else ""
        try:
            answer = self._route(provider, method, path, headers, body)
        except ProviderError as error:
            answer = _error(provider, error)
        recorded.status = answer.status
        return answer

    def _route(
        self, provider: str, method: str, path: str, headers: dict[str, str], body: Any
    ) -> _Answer:
        if provider == "google" and path == "/google/token":
            return _json(google_token(body))
        if provider == "azure":
            # Azure OpenAI's v1 API is OpenAI's under /openai/v1, with an api-key header.
            if not headers.get("api-key") and not headers.get("authorization"):
                raise ProviderError(
                    401,
                    "Access denied due to invalid subscription key or wrong API endpoint.",
                    "401",
                )
            return self._route("openai", method, path[len("/azure") :], _bearer(headers), body)
        if provider == "bedrock":
            authorization = headers.get("authorization", "")
            if not authorization.startswith(("AWS4-HMAC-SHA256 Credential=", "Bearer ")):
                raise ProviderError(403, "Missing Authentication Token", "AccessDeniedException")
            if method == "POST" and path.endswith("/converse"):
                return _json(bedrock_whole(bedrock_reply(body or {})))
            raise ProviderError(404, f"no such endpoint: {method} {path}", "not_found_error")
        if provider == "anthropic":
            # An API key as x-api-key, or as a bearer token (the anthropic SDK 2.x sends that).
            if not headers.get("x-api-key") and not headers.get("authorization"):
                raise ProviderError(401, "x-api-key header is required", "authentication_error")
            if not headers.get("anthropic-version"):
                raise ProviderError(400, "anthropic-version: header is required")
        elif provider == "ollama":
            pass  # a local server: no key
        elif provider == "gemini":
            if not headers.get("x-goog-api-key"):
                raise ProviderError(
                    403, "Method doesn't allow unregistered callers", "PERMISSION_DENIED"
                )
        elif not headers.get("authorization", "").startswith("Bearer "):
            raise ProviderError(401, "You didn't provide an API key.", "invalid_api_key")
        if method == "GET" and path in ("/openai/v1/models", "/anthropic/v1/models"):
            return _json(OPENAI_MODELS if provider == "openai" else ANTHROPIC_MODELS)
        if method != "POST" or not isinstance(body, dict):
            raise ProviderError(404, f"no such endpoint: {method} {path}", "not_found_error")
        model = str(body.get("model", ""))
        if path == "/openai/v1/chat/completions":
            reply = openai_reply(body)
            if body.get("stream"):
                usage = bool((body.get("stream_options") or {}).get("include_usage"))
                return _stream(openai_stream(reply, model, usage), self.delay)
            return _json(openai_whole(reply, model))
        gemini = provider == "gemini" or "/publishers/google/models/" in path
        if gemini and path.endswith((":generateContent", ":streamGenerateContent")):
            model = path.rsplit("/", 1)[1].split(":", maxsplit=1)[0]
            reply = gemini_reply(body)
            if path.endswith(":streamGenerateContent"):
                return _stream(gemini_stream(reply, model), self.delay)
            return _json(gemini_whole(reply, model))
        vertex_claude = provider == "vertex" and "/publishers/anthropic/models/" in path
        if path == "/anthropic/v1/messages" or vertex_claude:
            if vertex_claude:
                model = path.rsplit("/", 1)[1].split(":", maxsplit=1)[0]
                if not str(body.get("anthropic_version", "")).startswith("vertex-"):
                    raise ProviderError(400, "anthropic_version: vertex-2023-10-16 expected")
            reply = anthropic_reply(body)
            if body.get("stream") or path.endswith(":streamRawPredict"):
                return _stream(anthropic_stream(reply, model), self.delay)
            return _json(anthropic_whole(reply, model))
        if path == "/openai/v1/responses":
            reply = responses_reply(body)
            if body.get("stream"):
                return _stream(responses_stream(reply, model), self.delay)
            return _json(responses_whole(reply, model))
        if path == "/ollama/api/chat":
            reply = ollama_reply(body)
            if body.get("stream", True):
                return _Answer(200, "application/x-ndjson", chunks=ollama_stream(reply, model))
            return _json(ollama_whole(reply, model))
        if path == "/openai/v1/embeddings":
            return _json(openai_embeddings(body))
        if path == "/cohere/v2/rerank":
            return _json(cohere_rerank(body))
        raise ProviderError(404, f"no such endpoint: {method} {path}", "not_found_error")


@dataclass
class _Answer:
    status: int
    content_type: str
    body: bytes | None = None
    chunks: Iterator[bytes] | None = None
    delay: float = 0.0


def _json(body: object, status: int = 200) -> _Answer:
    return _Answer(status, "application/json", json.dumps(body).encode())


def _stream(chunks: Iterator[bytes], delay: float) -> _Answer:
    return _Answer(200, "text/event-stream", chunks=chunks, delay=delay)


def _error(provider: str, error: ProviderError) -> _Answer:
    detail: dict[str, Any]
    if provider == "google":
        code, _, description = str(error).partition(": ")
        return _json({"error": code, "error_description": description}, error.status)
    if provider == "bedrock":
        return _json({"message": str(error)}, error.status)
    if provider == "gemini" or (provider == "vertex" and error.kind != "invalid_request_error"):
        status = "INVALID_ARGUMENT" if error.status == 400 else error.kind
        return _json(
            {"error": {"code": error.status, "message": str(error), "status": status}}, error.status
        )
    if provider == "anthropic":
        detail = {"type": error.kind, "message": str(error)}
        return _json({"type": "error", "error": detail}, error.status)
    detail = {"message": str(error), "type": error.kind, "param": None, "code": None}
    return _json({"error": detail}, error.status)


def _handler_for(server: DemoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def log_message(self, format: str, *args: object) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def handle_one(self) -> None:
            length = min(int(self.headers.get("content-length") or 0), _MAX_BODY)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            if "form-urlencoded" in self.headers.get("content-type", ""):
                body = {k: v[0] for k, v in parse_qs(raw.decode("latin-1")).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = server.answer(self.command, self.path.split("?")[0], headers, body)
            self.send_response(answer.status)
            self.send_header("content-type", answer.content_type)
            self.send_header("x-request-id", "req_demo")
            if answer.body is not None:
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
                return
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            try:
                for chunk in answer.chunks or ():
                    if answer.delay:
                        time.sleep(answer.delay)
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except (ConnectionError, TimeoutError):
                self.close_connection = True  # the client closed its stream early

        do_GET = do_POST = handle_one

    return Handler


def _bearer(headers: dict[str, str]) -> dict[str, str]:
    """Azure's ``api-key`` header as the bearer token the OpenAI routes check."""
    key = headers.get("api-key")
    return {**headers, "authorization": f"Bearer {key}"} if key else headers
