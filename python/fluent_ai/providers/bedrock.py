"""AWS Bedrock Runtime Converse and ConverseStream (../shared/spec/providers.md §6).

``POST {base}/model/{modelId}/converse`` and ``.../converse-stream``, where ``base`` is
``https://bedrock-runtime.{region}.amazonaws.com`` (the ``base_url`` override or
``FLUENT_AI_BEDROCK_BASE_URL`` replaces it) and ``modelId`` (a model id, an inference profile or
an ARN) is one path segment with everything but ``A-Z a-z 0-9 - . _ ~`` percent-encoded (``:``
is ``%3A`` on the wire, ``%253A`` in the signed path).

Auth: SigV4 (service ``bedrock``) with the credentials of the ``providers={"bedrock": {...}}``
override (``aws_access_key_id``, ``aws_secret_access_key``, ``aws_session_token``, or
``profile``), else the environment, else the shared files; region from the override,
``AWS_REGION`` / ``AWS_DEFAULT_REGION``, else the profile. A Bedrock API key (the override's
``api_key`` or ``AWS_BEARER_TOKEN_BEDROCK``) is sent as a bearer token instead, unless explicit
AWS credentials or a profile are given.

The body follows ``_bedrock_messages``; ``max_tokens`` and ``temperature`` go to
``inferenceConfig``, and so do ``top_p`` and ``stop`` (the other request options: ``_options``
below); ``extra_body`` is merged last, one level deep (``{"additionalModelRequestFields":
{"top_k": 40}}`` adds to the thinking set here). A whole Converse answer is replayed as the
messages of its stream, so ``chat()`` and ``stream()`` share the ``StreamDecoder("bedrock")``.
``list_models`` reads the control plane: ``GET https://bedrock.{region}.amazonaws.com/
foundation-models`` (the ``control_base_url`` setting; by default the runtime base URL with
``bedrock-runtime`` replaced by ``bedrock``, or the overridden base URL as it is).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from ._aws_eventstream import encode_message
from ._bedrock_messages import bedrock_messages, bedrock_output_config, bedrock_tool_config
from ._options import ANTHROPIC_THINKING_BUDGETS, stop_list, thinking_max_tokens
from ._sigv4_auth import SigV4Auth
from .anthropic import DEFAULT_MAX_TOKENS
from .base import Adapter, ApiKeyAuth, Auth, ChatParams, HttpRequest, dumps

__all__ = ["Bedrock"]

# Settings that ask for SigV4 even when a Bedrock API key is set in the environment.
_SIGV4_SETTINGS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "profile")


class Bedrock(Adapter):
    """See the module documentation."""

    dialect = "bedrock"
    # Converse streams do not name the model; a tool argument called "model" must not count.
    stream_model = re.compile(rb"(?!)")

    def auth(self) -> Auth:
        provider = self.provider
        params = provider.params
        if provider.api_key and not any(params.get(name) for name in _SIGV4_SETTINGS):
            return ApiKeyAuth.of(provider)
        return SigV4Auth(
            provider.headers,
            service="bedrock",
            region=_text(params.get("region")),
            access_key_id=_text(params.get("aws_access_key_id")),
            secret_access_key=_text(params.get("aws_secret_access_key")),
            session_token=_text(params.get("aws_session_token")),
            profile=_text(params.get("profile")),
        )

    def headers(self, *, stream: bool = False) -> dict[str, str]:
        # What the AWS SDKs send: the event stream is the operation's answer, not negotiated.
        return {"content-type": "application/json"}

    # Chat ---------------------------------------------------------------------------------

    def chat_request(self, params: ChatParams) -> HttpRequest:
        action = "converse-stream" if params.stream else "converse"
        path = f"/model/{quote(params.model, safe='')}/{action}"
        return self.post(path, self.chat_body(params), stream=params.stream)

    def chat_body(self, params: ChatParams) -> dict[str, Any]:
        system, messages = bedrock_messages(params.messages)
        body: dict[str, Any] = {"messages": messages}
        if system:
            body["system"] = system
        inference: dict[str, Any] = {}
        if params.max_tokens is not None:
            inference["maxTokens"] = params.max_tokens
        if params.temperature is not None:
            inference["temperature"] = params.temperature
        self._options(params, body, inference)
        if inference:
            body["inferenceConfig"] = inference
        tool_config = bedrock_tool_config(params.tools, params.tool_choice, messages)
        if tool_config is not None:
            body["toolConfig"] = tool_config
        if params.response_format is not None:
            output = bedrock_output_config(params.response_format, self.provider.name)
            if output is not None:
                body["outputConfig"] = output
        for name, value in (params.extra or {}).items():
            mine = body.get(name)
            if isinstance(mine, dict) and isinstance(value, Mapping):
                body[name] = {**mine, **value}
            else:
                body[name] = value
        return body

    def _options(self, params: ChatParams, body: dict[str, Any], inference: dict[str, Any]) -> None:
        """``top_p`` and ``stop`` -> ``inferenceConfig.topP`` / ``stopSequences``;
        ``reasoning_effort`` for a Claude model -> ``additionalModelRequestFields.thinking``
        (the Anthropic budgets; ``maxTokens`` raised above the budget when needed);
        ``metadata`` -> ``requestMetadata``. Converse has no seed, penalties, parallel-call
        switch or end-user field."""
        for option in ("seed", "presence_penalty", "frequency_penalty", "user"):
            if getattr(params, option) is not None:
                raise self.no_option(option, "Converse has no such field")
        if params.parallel_tool_calls is False:
            raise self.no_option("parallel_tool_calls", "Converse has no such switch")
        if params.top_p is not None:
            inference["topP"] = params.top_p
        if params.stop is not None:
            inference["stopSequences"] = stop_list(params.stop)
        if params.reasoning_effort is not None:
            if "claude" not in params.model.lower():
                raise self.no_option(
                    "reasoning_effort",
                    "fluent-ai maps it for Claude models on Bedrock only (send the model's "
                    "own field in extra_body={'additionalModelRequestFields': ...})",
                )
            budget = ANTHROPIC_THINKING_BUDGETS[params.reasoning_effort]
            limit = inference.get("maxTokens", DEFAULT_MAX_TOKENS)
            inference["maxTokens"] = thinking_max_tokens(limit, budget)
            thinking = {"type": "enabled", "budget_tokens": budget}
            body["additionalModelRequestFields"] = {"thinking": thinking}
        if params.metadata is not None:
            body["requestMetadata"] = dict(params.metadata)

    def replay(self, body: Any) -> bytes:
        """A whole Converse answer as ConverseStream messages: each content block as its
        deltas, then ``messageStop`` and the ``metadata`` trailer with the usage."""
        events = _stream_events(body if isinstance(body, dict) else {})
        return b"".join(_message(kind, payload) for kind, payload in events)

    # Models -------------------------------------------------------------------------------

    def models_url(self) -> tuple[str, str]:
        control = self.provider.params.get("control_base_url")
        base = str(control).rstrip("/") if control else _control_plane(self.provider.base_url)
        return "bedrock", base + "/foundation-models"


def _message(kind: str, payload: Mapping[str, Any]) -> bytes:
    headers = (
        (":event-type", kind),
        (":content-type", "application/json"),
        (":message-type", "event"),
    )
    return encode_message(headers, dumps(payload))


def _stream_events(body: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    output = body.get("output")
    message = output.get("message") if isinstance(output, dict) else None
    message = message if isinstance(message, dict) else {}
    yield "messageStart", {"role": message.get("role") or "assistant"}
    content = message.get("content")
    for index, block in enumerate(content if isinstance(content, list) else ()):
        if isinstance(block, dict):
            for kind, payload in _block_events(block):
                yield kind, {"contentBlockIndex": index, **payload}
            yield "contentBlockStop", {"contentBlockIndex": index}
    stop: dict[str, Any] = {"stopReason": body.get("stopReason")}
    if body.get("additionalModelResponseFields") is not None:
        stop["additionalModelResponseFields"] = body["additionalModelResponseFields"]
    yield "messageStop", stop
    trailer = {key: body[key] for key in ("usage", "metrics", "trace") if key in body}
    if trailer:
        yield "metadata", trailer


def _block_events(block: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(block.get("text"), str):
        yield "contentBlockDelta", {"delta": {"text": block["text"]}}
    tool = block.get("toolUse")
    if isinstance(tool, dict):
        start = {"toolUseId": tool.get("toolUseId"), "name": tool.get("name")}
        yield "contentBlockStart", {"start": {"toolUse": start}}
        arguments = json.dumps(tool.get("input", {}), ensure_ascii=False)
        yield "contentBlockDelta", {"delta": {"toolUse": {"input": arguments}}}
    reasoning = block.get("reasoningContent")
    if isinstance(reasoning, dict):
        text = reasoning.get("reasoningText")
        if isinstance(text, dict):
            for key in ("text", "signature"):
                if isinstance(text.get(key), str):
                    yield "contentBlockDelta", {"delta": {"reasoningContent": {key: text[key]}}}
        if "redactedContent" in reasoning:
            redacted = {"redactedContent": reasoning["redactedContent"]}
            yield "contentBlockDelta", {"delta": {"reasoningContent": redacted}}
    citations = block.get("citationsContent")
    if isinstance(citations, dict):
        for part in citations.get("content") or ():
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                yield "contentBlockDelta", {"delta": {"text": part["text"]}}


def _control_plane(base_url: str) -> str:
    """The control-plane base URL next to a runtime one: ``bedrock-runtime[-fips].<region>...``
    becomes ``bedrock[-fips].<region>...``; any other host (a test server, a proxy) is kept."""
    parts = urlsplit(base_url)
    host = parts.netloc
    if host.startswith("bedrock-runtime"):
        host = "bedrock" + host[len("bedrock-runtime") :]
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def _text(value: Any) -> str | None:
    return str(value) if value else None
