"""The loopback server playing Bedrock Runtime (providers.md §6): it recomputes each request's
SigV4 signature (tests/sigv4_verify.py; a bad one gets 403 ``InvalidSignatureException``),
checks the Converse body shape (400 ``ValidationException`` naming every problem) and answers
with exact AWS event-stream bytes (the spec's transcripts, or messages encoded here) in the
chunking a test asks for, or with a whole Converse JSON answer.

The encoder here is written from the spec's framing table, independently of the package's
(``fluent_ai.providers._aws_eventstream``), and checked against the transcripts' bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from loopback import LoopbackServer, Request, Response, json_response
from sigv4_verify import sigv4_required

from conftest import SHARED

__all__ = [
    "CHAT_PATH",
    "KEY_ID",
    "MODEL",
    "REGION",
    "REQUEST_ID",
    "SECRET",
    "STREAM_PATH",
    "TOKEN",
    "WHOLE",
    "bedrock_checks",
    "encode",
    "event",
    "exception",
    "messages_of",
    "overrides",
    "play",
    "transcript",
]

TRANSCRIPTS = SHARED / "spec" / "transcripts"

# Canaries: the secret key and the session token must never show anywhere but the wire.
KEY_ID = "AKIDFLUENTCANARY7F3A"
SECRET = "wJalrCanarySecret/K7MDENG+bPxRfiCY7f3a9c1e"
TOKEN = "FwoGZXIvYXdzCanarySessionToken//////////EJr7f3a9c1e5b2d8046"
REGION = "us-west-2"
MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
WIRE_MODEL = "anthropic.claude-3-5-sonnet-20241022-v2%3A0"
STREAM_PATH = f"/model/{WIRE_MODEL}/converse-stream"
CHAT_PATH = f"/model/{WIRE_MODEL}/converse"
REQUEST_ID = "5f2a1c9e-3b7d-4e61-9a0c-8d4f2b6e1a37"
EVENTSTREAM = {"content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": REQUEST_ID}

# The whole Converse answer that says what the tool-use transcript says.
WHOLE = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {"text": "I'll check the current weather in Seattle for you."},
                {
                    "toolUse": {
                        "toolUseId": "tooluse_Ks3VdKnzRJmTXJzAKd2pqg",
                        "name": "get_weather",
                        "input": {"location": "Seattle, WA", "unit": "fahrenheit"},
                    }
                },
            ],
        }
    },
    "stopReason": "tool_use",
    "usage": {"inputTokens": 412, "outputTokens": 87, "totalTokens": 499},
    "metrics": {"latencyMs": 1523},
}


def encode(headers: Sequence[tuple[str, str]], payload: bytes) -> bytes:
    """One event-stream message with string headers."""
    block = b""
    for name, value in headers:
        block += bytes([len(name)]) + name.encode() + b"\x07"
        block += struct.pack(">H", len(value.encode())) + value.encode()
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    body = prelude + struct.pack(">I", zlib.crc32(prelude)) + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def event(kind: str, payload: Mapping[str, Any]) -> bytes:
    headers = [(":event-type", kind), (":content-type", "application/json")]
    return encode([*headers, (":message-type", "event")], json.dumps(payload).encode())


def exception(kind: str, message: str) -> bytes:
    headers = [(":exception-type", kind), (":content-type", "application/json")]
    payload = json.dumps({"message": message}).encode()
    return encode([*headers, (":message-type", "exception")], payload)


def transcript(name: str) -> bytes:
    """The exact bytes of a JSON transcript (its ``stream_base64``)."""
    described = json.loads((TRANSCRIPTS / name).read_text())
    return base64.b64decode(described["stream_base64"])


def messages_of(data: bytes) -> list[bytes]:
    """``data`` cut at message boundaries (read from each prelude's total length)."""
    pieces = []
    while data:
        (total,) = struct.unpack(">I", data[:4])
        pieces.append(data[:total])
        data = data[total:]
    return pieces


def overrides(server: LoopbackServer, **extra: Any) -> dict[str, dict[str, Any]]:
    settings = {
        "base_url": server.url,
        "region": REGION,
        "aws_access_key_id": KEY_ID,
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
        **extra,
    }
    return {"bedrock": {k: v for k, v in settings.items() if v is not None}}


def _validation(message: str, status: int = 400) -> Response:
    kind = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    headers = {"x-amzn-errortype": kind, "x-amzn-requestid": REQUEST_ID}
    return json_response({"message": message}, status, headers)


def play(
    server: LoopbackServer,
    *,
    stream: Sequence[bytes] = (),
    whole: object = WHOLE,
    region: str = REGION,
    secrets: Mapping[str, str] | None = None,
    session_token: str | None = TOKEN,
    model_path: str = f"/model/{WIRE_MODEL}",
    **options: Any,
) -> None:
    """Routes for ConverseStream (answered with the ``stream`` chunks; ``options`` are
    ``Response`` fields such as ``pauses`` or ``disconnect_after``) and Converse (``whole``),
    both behind the signature check and the body checks."""
    server.reset()

    def streamed(request: Request) -> Response:
        problems = bedrock_checks(request)
        if problems:
            return _validation("; ".join(problems))
        return Response(200, dict(EVENTSTREAM), list(stream), **options)

    def answered(request: Request) -> Response:
        problems = bedrock_checks(request)
        if problems:
            return _validation("; ".join(problems))
        return json_response(whole, headers={"x-amzn-requestid": REQUEST_ID})

    keys = dict(secrets or {KEY_ID: SECRET})
    for suffix, handler in (("converse-stream", streamed), ("converse", answered)):
        checked = sigv4_required(
            handler, secrets=keys, region=region, service="bedrock", session_token=session_token
        )
        server.route("POST", f"{model_path}/{suffix}", checked)


# --- What Converse accepts (providers.md §6.3) -------------------------------------------------

_USER_BLOCKS = {"text", "image", "document", "toolResult", "cachePoint", "guardContent"}
_ASSISTANT_BLOCKS = {"text", "toolUse", "reasoningContent", "cachePoint"}
_INFERENCE = {"maxTokens", "temperature", "topP", "stopSequences"}
_TOP_LEVEL = {
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "additionalModelRequestFields",
    "outputConfig",
    "guardrailConfig",
    "performanceConfig",
}


def bedrock_checks(request: Request) -> list[str]:
    """Every rule of a Converse body the request breaks."""
    problems: list[str] = []
    if request.headers.get("content-type") != "application/json":
        problems.append("content-type is not application/json")
    try:
        body = request.json()
    except ValueError:
        return [*problems, "body is not JSON"]
    if not isinstance(body, dict):
        return [*problems, "body is not an object"]
    problems += [f"unknown member {name!r}" for name in sorted(set(body) - _TOP_LEVEL)]
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return [*problems, "messages missing"]
    used: set[str] = set()
    for number, message in enumerate(messages):
        expected = "user" if number % 2 == 0 else "assistant"
        if message.get("role") != expected:
            problems.append(f"message {number}: role {message.get('role')!r}, not {expected}")
        content = message.get("content")
        if not isinstance(content, list) or not content:
            problems.append(f"message {number}: empty content")
            continue
        allowed = _USER_BLOCKS if expected == "user" else _ASSISTANT_BLOCKS
        for block in content:
            _block(block, allowed, f"message {number}", used, problems)
    for block in body.get("system") or ():
        if not isinstance(block, dict) or len(block) != 1:
            problems.append(f"bad system block {block!r}")
        elif "text" in block and not str(block["text"]).strip():
            problems.append("blank system text")
    _inference(body.get("inferenceConfig"), problems)
    _tool_config(body.get("toolConfig"), bool(used), problems)
    return problems


def _block(block: Any, allowed: set[str], where: str, used: set[str], problems: list[str]) -> None:
    if not isinstance(block, dict) or len(block) != 1:
        problems.append(f"{where}: a block must have exactly one member: {block!r}")
        return
    [(kind, value)] = block.items()
    if kind not in allowed:
        problems.append(f"{where}: {kind!r} block not allowed")
    elif kind == "text" and (not isinstance(value, str) or not value.strip()):
        problems.append(f"{where}: blank text")
    elif kind == "image":
        source = value.get("source") or {}
        if value.get("format") not in ("png", "jpeg", "gif", "webp") or len(source) != 1:
            problems.append(f"{where}: bad image {value!r}")
        elif "bytes" in source:
            try:
                base64.b64decode(source["bytes"], validate=True)
            except binascii.Error:
                problems.append(f"{where}: image bytes are not base64")
    elif kind == "toolUse":
        if not value.get("toolUseId") or not value.get("name"):
            problems.append(f"{where}: toolUse without id or name")
        if not isinstance(value.get("input"), dict):
            problems.append(f"{where}: toolUse input is not an object")
        used.add(value.get("toolUseId"))
    elif kind == "toolResult":
        if value.get("toolUseId") not in used:
            problems.append(f"{where}: toolResult for an unknown toolUse")
        if not isinstance(value.get("content"), list) or value.get("status") not in (
            None,
            "success",
            "error",
        ):
            problems.append(f"{where}: bad toolResult {value!r}")


def _inference(config: Any, problems: list[str]) -> None:
    if config is None:
        return
    if not isinstance(config, dict) or set(config) - _INFERENCE:
        problems.append(f"bad inferenceConfig {config!r}")
    elif "maxTokens" in config and (
        not isinstance(config["maxTokens"], int) or config["maxTokens"] < 1
    ):
        problems.append("maxTokens must be a positive integer")


def _tool_config(config: Any, has_tool_blocks: bool, problems: list[str]) -> None:
    if config is None:
        if has_tool_blocks:
            problems.append("toolConfig must be defined when using toolUse and toolResult")
        return
    tools = config.get("tools")
    if not isinstance(tools, list) or not tools:
        problems.append("toolConfig without tools")
        return
    for tool in tools:
        spec = tool.get("toolSpec") if isinstance(tool, dict) else None
        schema = (spec or {}).get("inputSchema") or {}
        if not spec or not spec.get("name") or not isinstance(schema.get("json"), dict):
            problems.append(f"bad tool {tool!r}")
    choice = config.get("toolChoice")
    if choice is not None and (
        not isinstance(choice, dict)
        or len(choice) != 1
        or not set(choice) <= {"auto", "any", "tool"}
    ):
        problems.append(f"bad toolChoice {choice!r}")
