"""Anthropic Messages (../shared/spec/providers.md §4).

``POST {base}/v1/messages`` with ``x-api-key`` and ``anthropic-version`` (default
``2023-06-01``; set another with ``providers={"anthropic": {"api_version": ...}}`` or the
``anthropic-version`` header override) and, when asked, ``anthropic-beta`` (the ``beta``
setting: a list or a comma-separated string). ``max_tokens`` is required by the API: when the
caller gives none, ``default_max_tokens`` (setting; 4096) is sent. ``response_format`` with a
JSON schema becomes ``output_config.format``.
"""

from __future__ import annotations

from typing import Any

from ._anthropic_messages import anthropic_messages, anthropic_tool_choice, anthropic_tools
from ._options import ANTHROPIC_THINKING_BUDGETS, stop_list, thinking_max_tokens
from .base import Adapter, ApiKeyAuth, Auth, ChatParams, HttpRequest, dumps

__all__ = ["Anthropic"]

DEFAULT_MAX_TOKENS = 4096


class Anthropic(Adapter):
    """See the module documentation."""

    dialect = "anthropic"

    def auth(self) -> Auth:
        provider = self.provider
        headers = provider.request_headers()
        version = provider.params.get("api_version") or provider.params.get("anthropic_version")
        if version:
            headers["anthropic-version"] = str(version)
        beta = provider.params.get("beta")
        if beta:
            headers["anthropic-beta"] = beta if isinstance(beta, str) else ",".join(beta)
        return ApiKeyAuth(headers, provider.api_key)

    def chat_request(self, params: ChatParams) -> HttpRequest:
        return self.post("/v1/messages", self.chat_body(params), stream=params.stream)

    def chat_body(self, params: ChatParams) -> dict[str, Any]:
        system, messages = anthropic_messages(params.messages)
        max_tokens = params.max_tokens
        if max_tokens is None:
            max_tokens = int(self.provider.params.get("default_max_tokens", DEFAULT_MAX_TOKENS))
        body: dict[str, Any] = {"model": params.model, "max_tokens": max_tokens}
        if system is not None:
            body["system"] = system
        body["messages"] = messages
        if params.tools:
            body["tools"] = anthropic_tools(params.tools)
        if params.tool_choice is not None:
            body["tool_choice"] = anthropic_tool_choice(params.tool_choice)
        if params.temperature is not None:
            body["temperature"] = params.temperature
        if params.response_format is not None:
            output_format = _output_format(self, params.response_format)
            if output_format is not None:
                body["output_config"] = {"format": output_format}
        if params.stream:
            body["stream"] = True
        claude_options(self, params, body)
        if params.extra:
            body.update(params.extra)
        return body

    def replay(self, body: Any) -> bytes:
        """A whole message as the events of its stream: each content block complete in its
        ``content_block_start``, the stop reason and usage in ``message_delta``."""
        message = body if isinstance(body, dict) else {}
        events: list[tuple[str, dict[str, Any]]] = [("message_start", {"message": {}})]
        content = message.get("content")
        for index, block in enumerate(content if isinstance(content, list) else ()):
            events.append(("content_block_start", {"index": index, "content_block": block}))
            events.append(("content_block_stop", {"index": index}))
        delta: dict[str, Any] = {"delta": {"stop_reason": message.get("stop_reason")}}
        if isinstance(message.get("usage"), dict):
            delta["usage"] = message["usage"]
        events += [("message_delta", delta), ("message_stop", {})]
        return b"".join(
            b"event: " + name.encode() + b"\ndata: " + dumps({"type": name, **data}) + b"\n\n"
            for name, data in events
        )

    def models_url(self) -> tuple[str, str]:
        return "anthropic", self.provider.url("/v1/models")


def claude_options(adapter: Adapter, params: ChatParams, body: dict[str, Any]) -> None:
    """The request options of a Messages body (Anthropic and Vertex). ``top_p`` as is
    (some models refuse it together with ``temperature``: the server says so); ``stop`` ->
    ``stop_sequences``; ``parallel_tool_calls=False`` ->
    ``tool_choice.disable_parallel_tool_use``; ``reasoning_effort`` -> ``thinking`` with a
    budget from :data:`ANTHROPIC_THINKING_BUDGETS` (``max_tokens`` raised above it when
    needed); ``user`` and ``metadata={"user_id": ...}`` -> ``metadata.user_id``. Messages
    has no ``seed`` and no penalties."""
    for option in ("seed", "presence_penalty", "frequency_penalty"):
        if getattr(params, option) is not None:
            raise adapter.no_option(option, "the Messages API has no such field")
    if params.top_p is not None:
        body["top_p"] = params.top_p
    if params.stop is not None:
        body["stop_sequences"] = stop_list(params.stop)
    if params.parallel_tool_calls is False:
        choice = body.get("tool_choice") or {"type": "auto"}
        if choice.get("type") != "none":
            body["tool_choice"] = {**choice, "disable_parallel_tool_use": True}
    if params.reasoning_effort is not None:
        budget = ANTHROPIC_THINKING_BUDGETS[params.reasoning_effort]
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        body["max_tokens"] = thinking_max_tokens(body["max_tokens"], budget)
    metadata = dict(params.metadata or {})
    for key in metadata:
        if key != "user_id":
            raise adapter.no_option(
                f"metadata[{key!r}]", "Anthropic's metadata holds only 'user_id'"
            )
    if params.user is not None:
        metadata["user_id"] = params.user
    if metadata:
        body["metadata"] = metadata


def _output_format(adapter: Adapter, response_format: Any) -> dict[str, Any] | None:
    kind = response_format.get("type") if hasattr(response_format, "get") else None
    if kind == "text":
        return None
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        return {"type": "json_schema", "schema": spec.get("schema", {})}
    # JSON mode without a schema: Messages has none (structured outputs need a schema).
    raise adapter.no_option(
        "response_format",
        f"{kind!r} has no Messages equivalent; pass a JSON Schema, a pydantic model, a "
        "dataclass or a TypedDict (docs/structured-output.md)",
    )
