"""OpenAI's Responses API (``POST /responses``) as a client path: ``api="responses"``.

The call is the same lingua-franca call as for Chat Completions (OpenAI-style messages and
tools); this module translates it into a Responses request and a whole Responses answer back
into this dialect's stream, which the ``openai-responses`` ``StreamDecoder`` normalizes (so
``chat()`` and ``stream()`` give the same ``ChatResponse``). Sources: the OpenAI API reference
and the openai-python types (``types/responses/response_create_params.py``,
``response_input_param.py``, ``function_tool_param.py``), ../shared/spec/providers.md §3.

Which path a call takes (:func:`adapter_for_api`): ``api=`` on the call, else the provider's
``api`` setting, else ``"chat"``. The Responses path exists for OpenAI, Azure OpenAI and xAI,
and for any other OpenAI-compatible provider whose settings say ``"api": "responses"``; asking
another provider for it raises ``UnsupportedParameterError`` before anything is sent.

Request translation (README, "Clients: the Responses API"):

- ``system``/``developer``/``user`` messages -> message items with the same role (text parts
  -> ``input_text``, ``image_url`` parts -> ``input_image``, ``file`` parts -> ``input_file``);
  an assistant message -> its text as an assistant message item, then one ``function_call``
  item per tool call; a ``role="tool"`` result -> a ``function_call_output`` item;
- tools -> flat function tools (``strict`` is sent as given, ``false`` when not given: the
  Responses API's default is ``true``, Chat Completions' ``false``); ``tool_choice`` for one
  function -> ``{"type": "function", "name": ...}``;
- ``max_tokens`` -> ``max_output_tokens``; ``response_format`` -> ``text.format``;
  ``reasoning_effort`` -> ``reasoning: {effort, summary}`` (``summary`` from the
  ``reasoning_summary`` setting, default ``auto``, so summaries stream as ``ReasoningDelta``);
  ``top_p``, ``parallel_tool_calls``, ``user``, ``metadata`` under their names;
- ``stop``, ``seed``, ``presence_penalty`` and ``frequency_penalty`` have no Responses field:
  ``UnsupportedParameterError``;
- ``store: false`` (the API's default is to store the response; fluent-ai sends the whole
  conversation every turn and stores nothing unless ``extra_body={"store": True}`` says so).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .._validation import fail_type, fail_value
from ..errors import ConfigurationError, UnsupportedParameterError
from ._messages import text_of
from ._options import compat_unsupported, options_set
from .base import Adapter, ChatParams, HttpRequest, dumps
from .openai_chat import AzureOpenAIChat, OpenAIChat

__all__ = [
    "API_CHOICES",
    "REASONING_SUMMARIES",
    "RESPONSES_PROVIDERS",
    "AzureOpenAIResponses",
    "OpenAIResponses",
    "adapter_for_api",
    "check_api",
    "responses_input",
    "responses_tools",
]

#: The values of ``api=`` and of the ``api`` provider setting.
API_CHOICES = ("chat", "responses")

#: Providers documented to serve the Responses API (others opt in with ``"api": "responses"``).
RESPONSES_PROVIDERS = frozenset({"openai", "azure", "xai"})

#: The values of the ``reasoning_summary`` setting (``none``: no summary is asked for).
REASONING_SUMMARIES = ("auto", "concise", "detailed", "none")

# The request options that have no field in a Responses request.
_NO_FIELD = frozenset({"stop", "seed", "presence_penalty", "frequency_penalty"})


def check_api(api: object) -> str | None:
    """``api=`` of a call: ``None``, ``"chat"`` or ``"responses"``."""
    if api is None:
        return None
    if not isinstance(api, str):
        fail_type("api", "'chat', 'responses' or None", api)
    if api not in API_CHOICES:
        fail_value("api", "'chat' or 'responses'", api)
    return api


def adapter_for_api(adapter: Adapter, api: str | None) -> Adapter:
    """The adapter of the API a call uses: ``adapter`` for Chat Completions (the default), a
    Responses adapter for ``"responses"``; ``UnsupportedParameterError`` naming the provider and
    ``api`` when the provider has no Responses API."""
    provider = adapter.provider
    setting = provider.params.get("api")
    chosen = api if api is not None else setting or "chat"
    if chosen == "chat":
        return adapter
    if not isinstance(adapter, OpenAIChat) or (
        provider.name not in RESPONSES_PROVIDERS and setting != "responses"
    ):
        raise UnsupportedParameterError(
            provider.name,
            "api",
            "it has no Responses API in fluent-ai (OpenAI, Azure OpenAI and xAI have; another "
            'OpenAI-compatible server that serves /responses takes providers={"<name>": '
            '{"api": "responses"}})',
        )
    if isinstance(adapter, AzureOpenAIChat):
        return AzureOpenAIResponses(provider)
    return OpenAIResponses(provider)


class OpenAIResponses(OpenAIChat):
    """The Responses API of OpenAI, xAI and compatible servers (``{base_url}/responses``)."""

    dialect = "openai-responses"

    def chat_request(self, params: ChatParams) -> HttpRequest:
        return self.post(self.chat_path(params.model), self.chat_body(params), stream=params.stream)

    def chat_path(self, model: str) -> str:
        return "/responses"

    def chat_body(self, params: ChatParams) -> dict[str, Any]:
        body: dict[str, Any] = {"model": params.model, "input": responses_input(params.messages)}
        if params.tools:
            body["tools"] = responses_tools(params.tools)
        if params.tool_choice is not None:
            body["tool_choice"] = _tool_choice(params.tool_choice)
        if params.max_tokens is not None:
            body["max_output_tokens"] = params.max_tokens
        if params.temperature is not None:
            body["temperature"] = params.temperature
        if params.response_format is not None:
            body["text"] = {"format": _text_format(params.response_format)}
        if params.stream:
            body["stream"] = True
        body["store"] = False
        self._responses_options(params, body)
        if params.extra:
            body.update(params.extra)
        return body

    def _responses_options(self, params: ChatParams, body: dict[str, Any]) -> None:
        name = self.provider.name
        for option, value in options_set(params).items():
            if option in _NO_FIELD:
                raise self.no_option(option, 'the Responses API has no such field (api="chat" has)')
            if compat_unsupported(name, params.model, option):
                raise self.no_option(
                    option, "the provider rejects or ignores it (README, request options)"
                )
            if option == "reasoning_effort":
                reasoning: dict[str, Any] = {"effort": value}
                summary = self.provider.params.get("reasoning_summary") or "auto"
                if summary != "none":
                    reasoning["summary"] = summary
                body["reasoning"] = reasoning
            elif option == "metadata":
                body[option] = dict(value)
            else:  # top_p, parallel_tool_calls, user
                body[option] = value

    def replay(self, body: Any) -> bytes:
        return replay_response(body)


class AzureOpenAIResponses(OpenAIResponses, AzureOpenAIChat):
    """Azure OpenAI's Responses API, with the deployment name as ``model`` (no deployment in
    the URL). Microsoft documents it on the v1 API: ``{endpoint}/openai/v1/responses``, no
    ``api-version`` (a base URL that already ends in ``/v1`` takes ``/responses``). An
    ``api_version`` setting that names a dated version with the Responses API (2025-03-01
    or later) takes the dated route instead, as the openai SDK's ``AzureOpenAI`` sends it:
    ``{endpoint}/openai/responses?api-version=...``. The default version (2024-10-21)
    predates the Responses API, so the default is v1."""

    def chat_request(self, params: ChatParams) -> HttpRequest:
        request = super().chat_request(params)
        version = self._dated_version()
        if version is not None:
            request.url += "?api-version=" + quote(version, safe="")
        return request

    def chat_path(self, model: str) -> str:
        if self._v1() or self._dated_version() is not None:
            return "/responses"
        return "/v1/responses"

    def _dated_version(self) -> str | None:
        version = self.provider.params.get("api_version")
        if self._v1() or not isinstance(version, str) or not _DATED.fullmatch(version):
            return None
        return version if version[:10] >= _FIRST_RESPONSES_VERSION else None


# Azure's dated API versions, and the first that has the Responses API.
_DATED = re.compile(r"\d{4}-\d{2}-\d{2}(?:-preview)?")
_FIRST_RESPONSES_VERSION = "2025-03-01"


# --- Request pieces -----------------------------------------------------------------------------


def responses_input(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``input`` items of OpenAI-style ``messages`` (see the module documentation)."""
    items: list[dict[str, Any]] = []
    for number, message in enumerate(messages):
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer", "user"):
            items.append({"role": role, "content": _input_content(content, number)})
        elif role == "assistant":
            text = text_of(content) if not isinstance(content, str) else content
            if text:
                items.append({"role": "assistant", "content": text})
            for call in message.get("tool_calls") or ():
                items.append(_function_call(call, number))
        elif role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.get("tool_call_id"),
                    "output": _tool_output(content, number),
                }
            )
        else:
            raise ConfigurationError(
                f"message {number} has role {role!r}; expected system, developer, user, "
                "assistant or tool"
            )
    return items


def _tool_output(content: Any, number: int) -> str | list[dict[str, Any]]:
    """A tool result: text as text; a list with an image or a file as ``input_*`` parts."""
    if content is None or isinstance(content, str):
        return content or ""
    parts = [content] if isinstance(content, Mapping) else list(content)
    if all(
        isinstance(part, str) or (isinstance(part, Mapping) and part.get("type", "text") == "text")
        for part in parts
    ):
        return text_of(parts)
    return [_input_part(part, number) for part in parts]


def _input_content(content: Any, number: int) -> str | list[dict[str, Any]]:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = [content] if isinstance(content, Mapping) else content
    return [_input_part(part, number) for part in parts]


def _input_part(part: Any, number: int) -> dict[str, Any]:
    if isinstance(part, str):
        return {"type": "input_text", "text": part}
    if not isinstance(part, Mapping):
        raise ConfigurationError(f"message {number}: content part {part!r} is not a dict")
    kind = part.get("type", "text")
    if kind == "text":
        return {"type": "input_text", "text": part.get("text", "")}
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        detail = image.get("detail") if isinstance(image, Mapping) else None
        return {"type": "input_image", "image_url": url, "detail": detail or "auto"}
    if kind == "file":
        file = part.get("file")
        fields = dict(file) if isinstance(file, Mapping) else {}
        return {"type": "input_file", **fields}
    if kind in ("input_text", "input_image", "input_file"):
        return dict(part)  # already a Responses part
    raise ConfigurationError(
        f"message {number}: content part type {kind!r} has no Responses API equivalent "
        "(text, image_url, file and the input_* parts have)"
    )


def _function_call(call: Any, number: int) -> dict[str, Any]:
    if not isinstance(call, Mapping):
        raise ConfigurationError(f"message {number}: tool call {call!r} is not a dict")
    function = call.get("function") or {}
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = "{}" if arguments is None else dumps(arguments).decode()
    return {
        "type": "function_call",
        "call_id": call.get("id"),
        "name": function.get("name"),
        "arguments": arguments,
    }


def responses_tools(tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Chat-style function tools as flat Responses function tools; other tools (the
    Responses API's own: ``web_search``, ``file_search``, ...) as given."""
    flat: list[dict[str, Any]] = []
    for tool in tools:
        function = tool.get("function")
        if tool.get("type") != "function" or not isinstance(function, Mapping):
            flat.append(dict(tool))
            continue
        entry: dict[str, Any] = {"type": "function", "name": function.get("name")}
        if function.get("description") is not None:
            entry["description"] = function["description"]
        parameters = function.get("parameters")
        entry["parameters"] = (
            dict(parameters) if parameters is not None else {"type": "object", "properties": {}}
        )
        strict = function.get("strict")
        entry["strict"] = bool(strict) if strict is not None else False
        flat.append(entry)
    return flat


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, Mapping):
        function = choice.get("function")
        if choice.get("type") == "function" and isinstance(function, Mapping):
            return {"type": "function", "name": function.get("name")}
        return dict(choice)
    return choice


def _text_format(response_format: Mapping[str, Any]) -> dict[str, Any]:
    """``response_format`` as ``text.format``: a ``json_schema`` format is flattened (its
    ``name``, ``schema``, ``strict``, ``description`` beside ``type``)."""
    schema = response_format.get("json_schema")
    if response_format.get("type") == "json_schema" and isinstance(schema, Mapping):
        return {"type": "json_schema", **schema}
    return dict(response_format)


# --- A whole response as stream events ----------------------------------------------------------


def replay_response(body: Any) -> bytes:
    """A whole Responses answer as the events a stream of it would have carried: text and
    refusals as ``output_text``/``refusal`` deltas, reasoning summaries (and reasoning text) as
    their deltas, each function call as its ``output_item.done``, then the end event of its
    ``status`` (``completed``; ``incomplete`` with its reason; ``failed`` with its error; a
    response still ``queued``/``in_progress`` or ``cancelled`` ends as ``incomplete`` with the
    status as the reason)."""
    response = body if isinstance(body, dict) else {}
    frames: list[bytes] = []

    def emit(kind: str, **fields: Any) -> None:
        frame = dumps({"type": kind, **fields})
        frames.append(b"event: " + kind.encode() + b"\ndata: " + frame + b"\n\n")

    output = response.get("output")
    for index, item in enumerate(output if isinstance(output, list) else ()):
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "message":
            for part in _dicts(item.get("content")):
                if part.get("type") == "output_text" and isinstance(part.get("text"), str):
                    emit("response.output_text.delta", output_index=index, delta=part["text"])
                elif part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
                    emit("response.refusal.delta", output_index=index, delta=part["refusal"])
        elif kind == "reasoning":
            for part in _dicts(item.get("summary")):
                if isinstance(part.get("text"), str):
                    emit(
                        "response.reasoning_summary_text.delta",
                        output_index=index,
                        delta=part["text"],
                    )
            for part in _dicts(item.get("content")):
                if isinstance(part.get("text"), str):
                    emit("response.reasoning_text.delta", output_index=index, delta=part["text"])
        elif kind == "function_call":
            call = dict(item)
            arguments = call.get("arguments")
            if arguments is not None and not isinstance(arguments, str):
                call["arguments"] = json.dumps(arguments, ensure_ascii=False)
            emit("response.output_item.done", output_index=index, item=call)
    end = {key: response[key] for key in ("id", "model", "status", "usage") if key in response}
    status = response.get("status") or "completed"
    if status == "completed":
        emit("response.completed", response=end)
    elif status == "failed":
        emit("response.failed", response={**end, "error": response.get("error")})
    else:
        details = response.get("incomplete_details")
        if status != "incomplete" or not isinstance(details, dict):
            details = {"reason": str(status)}
        emit("response.incomplete", response={**end, "incomplete_details": details})
    return b"".join(frames)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []
