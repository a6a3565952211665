"""The Gemini API (../shared/spec/providers.md §5) with an API key in ``x-goog-api-key`` (never
in the URL): ``{base}/{version}/models/{model}:generateContent`` and
``:streamGenerateContent?alt=sse``; ``version`` is the ``api_version`` setting (``v1beta``).

Messages become ``contents`` (``user``/``model`` turns of ``parts``; consecutive turns of one
role merge): text, images (``inlineData`` for ``data:`` URLs, ``fileData`` otherwise), an
assistant's ``tool_calls`` as ``functionCall`` parts, ``role="tool"`` results as
``functionResponse`` parts named after their call (a JSON object result is sent as is, anything
else as ``{"result": ...}``). System and developer messages become ``systemInstruction``. Tools
become ``functionDeclarations``; ``tool_choice`` becomes ``functionCallingConfig``
(``AUTO``/``ANY``/``NONE``, a named function as ``ANY`` with ``allowedFunctionNames``);
``max_tokens``, ``temperature`` and a JSON ``response_format`` go to ``generationConfig``.
An assistant tool call that carries a thought signature (``extra_content.google.
thought_signature``, as Google's OpenAI-compatible API returns it, or ``thought_signature``)
sends it back as the ``functionCall`` part's ``thoughtSignature`` (§5.2); the client's own
events have no place for signatures, so ``ChatResponse.message`` does not carry them.
Embeddings use ``:batchEmbedContents``.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .._json_text import loads_bounded
from ..errors import ConfigurationError
from ..types import EmbeddingResponse
from ._messages import call_arguments, data_url, image_url, text_of, tool_call_names
from ._options import GEMINI_THINKING_BUDGETS, gemini_uses_levels, stop_list
from .base import Adapter, ChatParams, HttpRequest, dumps

__all__ = ["Gemini"]

# Ids the stream decoder made up for calls Gemini sent without one.
_SYNTHESIZED = re.compile(r"call_fai_\d+")

Part = dict[str, Any]

# Request options that are ``generationConfig`` fields, and their names there.
_CONFIG_FIELDS = (
    ("top_p", "topP"),
    ("stop", "stopSequences"),
    ("seed", "seed"),
    ("presence_penalty", "presencePenalty"),
    ("frequency_penalty", "frequencyPenalty"),
)


class Gemini(Adapter):
    """See the module documentation."""

    dialect = "gemini"
    stream_model = re.compile(rb'"modelVersion"\s*:\s*"((?:[^"\\]|\\.){1,200})"')

    def _path(self, model: str, method: str) -> str:
        version = str(self.provider.params.get("api_version") or "v1beta")
        return f"/{version}/models/{quote(model, safe='')}:{method}"

    def chat_request(self, params: ChatParams) -> HttpRequest:
        system, contents = _contents(params.messages)
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = {"parts": system}
        if params.tools:
            body["tools"] = [{"functionDeclarations": [_declaration(t) for t in params.tools]}]
        if params.tool_choice is not None:
            body["toolConfig"] = {"functionCallingConfig": _calling(params.tool_choice)}
        config: dict[str, Any] = {}
        if params.max_tokens is not None:
            config["maxOutputTokens"] = params.max_tokens
        if params.temperature is not None:
            config["temperature"] = params.temperature
        if params.response_format is not None:
            config.update(_response_format(params.response_format))
        self._options(params, body, config)
        if config:
            body["generationConfig"] = config
        if params.extra:
            body.update(params.extra)
        if params.stream:
            path = self._path(params.model, "streamGenerateContent") + "?alt=sse"
        else:
            path = self._path(params.model, "generateContent")
        return self.post(path, body, stream=params.stream)

    def _options(self, params: ChatParams, body: dict[str, Any], config: dict[str, Any]) -> None:
        """The request options in ``generationConfig``: ``topP``, ``stopSequences``, ``seed``,
        ``presencePenalty``, ``frequencyPenalty`` and ``thinkingConfig`` (``thinkingLevel``
        for Gemini 3 and later, ``thinkingBudget`` before; see ``_options``)."""
        for option, field in _CONFIG_FIELDS:
            value = getattr(params, option)
            if value is not None:
                config[field] = stop_list(value) if option == "stop" else value
        if params.reasoning_effort is not None:
            effort = params.reasoning_effort
            if gemini_uses_levels(params.model):
                config["thinkingConfig"] = {"thinkingLevel": effort}
            else:
                config["thinkingConfig"] = {"thinkingBudget": GEMINI_THINKING_BUDGETS[effort]}
        if params.parallel_tool_calls is False:
            raise self.no_option(
                "parallel_tool_calls", "Gemini has no switch for parallel function calls"
            )
        if params.user is not None:
            raise self.no_option("user", "generateContent has no end-user field")
        if params.metadata is not None:
            self.metadata(params.metadata, body)

    def metadata(self, metadata: Mapping[str, str], body: dict[str, Any]) -> None:
        """The Gemini API has no request metadata (Vertex AI has ``labels``)."""
        raise self.no_option("metadata", "the Gemini API has no request metadata")

    def replay(self, body: Any) -> bytes:
        """A whole ``GenerateContentResponse`` is one stream chunk."""
        return b"data: " + dumps(body) + b"\r\n\r\n"

    def response_model(self, body: Any) -> str | None:
        model = body.get("modelVersion") if isinstance(body, dict) else None
        return model if isinstance(model, str) and model else None

    def embed_request(
        self,
        model: str,
        inputs: Sequence[str],
        *,
        dimensions: int | None = None,
        input_type: str | None = None,
    ) -> HttpRequest:
        requests = []
        for text in inputs:
            entry: dict[str, Any] = {
                "model": f"models/{model}",
                "content": {"parts": [{"text": text}]},
            }
            if input_type is not None:
                entry["taskType"] = input_type
            if dimensions is not None:
                entry["outputDimensionality"] = dimensions
            requests.append(entry)
        return self.post(self._path(model, "batchEmbedContents"), {"requests": requests})

    def parse_embedding(self, body: Any, model: str) -> EmbeddingResponse:
        items = body.get("embeddings") if isinstance(body, dict) else None
        vectors = [item.get("values") or [] for item in items or () if isinstance(item, dict)]
        return self.embeddings(vectors, body, model)

    def models_url(self) -> tuple[str, str]:
        version = str(self.provider.params.get("api_version") or "v1beta")
        return "gemini", self.provider.url(f"/{version}/models")


def _contents(messages: Sequence[Mapping[str, Any]]) -> tuple[list[Part], list[dict[str, Any]]]:
    names = tool_call_names(messages)
    system: list[Part] = []
    contents: list[dict[str, Any]] = []
    for number, message in enumerate(messages):
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            system += _parts(content)
        elif role == "user":
            _append(contents, "user", _parts(content))
        elif role == "assistant":
            parts = _parts(content)
            parts += [_function_call(call) for call in message.get("tool_calls") or ()]
            _append(contents, "model", parts)
        elif role == "tool":
            _append(contents, "user", [_function_response(message, names)])
        else:
            raise ConfigurationError(f"message {number} has role {role!r}")
    return system, contents


def _parts(content: Any) -> list[Part]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"text": content}]
    parts: list[Part] = []
    for part in [content] if isinstance(content, Mapping) else content:
        url = image_url(part) if isinstance(part, Mapping) else None
        if url is not None:
            parts.append(_image(url))
        elif isinstance(part, Mapping) and part.get("type") not in (None, "text"):
            parts.append({k: v for k, v in part.items() if k != "type"})  # a native part
        else:
            parts.append({"text": text_of(part)})
    return parts


def _image(url: str) -> Part:
    inline = data_url(url)
    if inline:
        return {"inlineData": {"mimeType": inline[0], "data": inline[1]}}
    mime = mimetypes.guess_type(url)[0] or "image/jpeg"
    return {"fileData": {"mimeType": mime, "fileUri": url}}


def _function_call(call: Any) -> Part:
    arguments = call_arguments(call)
    function: dict[str, Any] = {"name": (call.get("function") or {}).get("name"), "args": arguments}
    if isinstance(call.get("id"), str) and not _SYNTHESIZED.fullmatch(call["id"]):
        function["id"] = call["id"]
    part: Part = {"functionCall": function}
    signature = _thought_signature(call)
    if signature is not None:
        part["thoughtSignature"] = signature
    return part


def _thought_signature(call: Mapping[str, Any]) -> str | None:
    """The signature an assistant tool call carries: ``extra_content.google.thought_signature``
    (the shape of Google's OpenAI-compatible API) or ``thought_signature``."""
    extra = call.get("extra_content")
    google = extra.get("google") if isinstance(extra, Mapping) else None
    found = google.get("thought_signature") if isinstance(google, Mapping) else None
    if found is None:
        found = call.get("thought_signature")
    return found if isinstance(found, str) and found else None


def _function_response(message: Mapping[str, Any], names: Mapping[str, str]) -> Part:
    call_id = message.get("tool_call_id")
    name = names.get(str(call_id))
    if name is None:
        raise ConfigurationError(
            f"tool result {call_id!r} answers no tool call of an earlier assistant message; "
            "Gemini needs the function's name"
        )
    text = text_of(message.get("content"))
    try:
        result = loads_bounded(text)
    except ValueError:
        result = None
    response: dict[str, Any] = {
        "name": name,
        "response": result if isinstance(result, dict) else {"result": text},
    }
    if isinstance(call_id, str) and not _SYNTHESIZED.fullmatch(call_id):
        response["id"] = call_id
    return {"functionResponse": response}


def _append(contents: list[dict[str, Any]], role: str, parts: list[Part]) -> None:
    if not parts:
        return
    if contents and contents[-1]["role"] == role:
        contents[-1]["parts"] += parts
    else:
        contents.append({"role": role, "parts": parts})


def _declaration(tool: Mapping[str, Any]) -> dict[str, Any]:
    function = tool.get("function") if tool.get("type") == "function" else tool
    if not isinstance(function, Mapping):
        raise ConfigurationError(f"tool {tool!r} is not a function tool")
    declaration = {"name": function.get("name")}
    if function.get("description"):
        declaration["description"] = function["description"]
    if function.get("parameters"):
        declaration["parameters"] = function["parameters"]
    return declaration


def _calling(choice: Any) -> dict[str, Any]:
    modes = {"auto": "AUTO", "required": "ANY", "any": "ANY", "none": "NONE"}
    if isinstance(choice, str) and choice in modes:
        return {"mode": modes[choice]}
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        name = (choice.get("function") or {}).get("name")
        return {"mode": "ANY", "allowedFunctionNames": [name]}
    raise ConfigurationError(f"tool_choice {choice!r} has no Gemini equivalent")


def _response_format(response_format: Mapping[str, Any]) -> dict[str, Any]:
    kind = response_format.get("type")
    if kind == "json_object":
        return {"responseMimeType": "application/json"}
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema", {})
        return {"responseMimeType": "application/json", "responseJsonSchema": schema}
    return {}
