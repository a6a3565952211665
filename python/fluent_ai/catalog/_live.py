"""The providers' models-list endpoints: request plans and normalizers (no I/O here).

Each plan is a generator that yields ``(url, params)`` requests, receives each decoded JSON body
and returns the normalized models, so the sync and async refresh drive the same code (and a
client's ``list_models`` can too). Shapes follow ../shared/spec/providers.md §10 (and §2.8,
§4.5, §5.6, §7.4, §8.3, §11). Only fields the endpoint states are kept, converted to the
catalog's meaning:

- OpenAI-style lists (OpenAI, DeepSeek, xAI, Groq, Mistral and the compatible servers): the id,
  plus ``context_window``/``context_length``/``max_context_length``/``max_model_len`` as
  ``context_window`` and ``max_completion_tokens``/``max_output_tokens`` as
  ``max_output_tokens`` when a server adds them; Mistral's ``capabilities``, ``aliases`` and
  ``deprecation``; OpenAI's ``shutdown_date``.
- Anthropic: ``max_input_tokens`` is Claude's context window (input and output share it), so it
  gives both ``context_window`` and ``max_input_tokens``; ``max_tokens`` is the output limit;
  ``capabilities`` give ``vision``, ``structured_output`` and ``reasoning``.
- Gemini: ``inputTokenLimit``/``outputTokenLimit`` are separate limits (no context window);
  ``supportedGenerationMethods`` gives the mode; ``thinking`` gives ``reasoning``.
- Cohere: ``context_length`` is the context window; ``endpoints`` the mode; ``features`` the
  flags.
- Together: a bare array; ``context_length``; ``pricing.input``/``output`` already per million.
- OpenRouter: ``context_length``, ``top_provider.max_completion_tokens``, per-token price
  strings (``"-1"`` means variable: unknown), modalities and supported parameters.
- Hugging Face router: the first provider in ``providers[]`` that is live.
- Ollama ``/api/tags``: names only (``:latest`` dropped, as Ollama resolves it).
- Bedrock ``/foundation-models`` (control plane): ``modelName``, the mode from
  ``outputModalities``, ``vision`` from ``inputModalities``; no limits (the endpoint has none).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._litellm import per_million, round_price

__all__ = ["KINDS", "LiveSet", "Plan", "plan_for"]

Fields = dict[str, Any]
Models = dict[str, Fields]
Aliases = dict[str, str]
Plan = Generator["tuple[str, dict[str, str]]", Any, "tuple[Models, Aliases]"]

# Most pages followed for one provider (a broken server must not loop forever).
_MAX_PAGES = 50


@dataclass
class LiveSet:
    """The models one provider's endpoint listed, normalized, with where and when."""

    provider: str
    base_url: str
    source: str
    as_of: str
    fetched_at: float
    models: Models
    aliases: Aliases = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1,
            "provider": self.provider,
            "base_url": self.base_url,
            "source": self.source,
            "as_of": self.as_of,
            "fetched_at": self.fetched_at,
            "models": self.models,
            "aliases": self.aliases,
        }

    @classmethod
    def from_json(cls, data: object) -> LiveSet:
        """Parses a cache document; raises ``ValueError`` for anything malformed."""
        if not isinstance(data, dict) or data.get("format") != 1:
            raise ValueError("not a catalog cache document (format 1)")
        strings = ("provider", "base_url", "source", "as_of")
        if not all(isinstance(data.get(key), str) for key in strings):
            raise ValueError("missing provider, base_url, source or as_of")
        fetched_at = data.get("fetched_at")
        models = data.get("models")
        aliases = data.get("aliases", {})
        if isinstance(fetched_at, bool) or not isinstance(fetched_at, (int, float)):
            raise ValueError("fetched_at is not a number")
        if not isinstance(models, dict) or not isinstance(aliases, dict):
            raise ValueError("models or aliases is not an object")
        checked: Models = {}
        for model_id, fields in models.items():
            if not isinstance(fields, dict):
                raise ValueError(f"model {model_id!r} is not an object")
            checked[model_id] = _checked_fields(fields)
        return cls(
            provider=data["provider"],
            base_url=data["base_url"],
            source=data["source"],
            as_of=data["as_of"],
            fetched_at=float(fetched_at),
            models=checked,
            aliases={str(k): str(v) for k, v in aliases.items()},
        )


def plan_for(kind: str, url: str) -> Plan:
    """The request plan of a models endpoint of the given ``kind`` at ``url``."""
    endpoint = KINDS[kind]
    return _paged(url, endpoint)


@dataclass(frozen=True)
class _Endpoint:
    """How to read one kind of models endpoint.

    ``key`` is the member holding the list (a bare list is accepted too); ``parse`` turns one
    item into ``(id, fields)``; ``first`` are the query parameters of the first page and
    ``token``/``cursor`` name the response member carrying the next page's cursor and the query
    parameter it goes into (``None``: not paged). ``has_more`` names a boolean that must be true
    for another page (Anthropic).
    """

    key: str
    parse: Callable[[Mapping[str, Any]], tuple[str, Fields] | None]
    first: tuple[tuple[str, str], ...] = ()
    token: str | None = None
    cursor: str = ""
    has_more: str | None = None
    numbered: bool = False


def _paged(url: str, endpoint: _Endpoint) -> Plan:
    models: Models = {}
    aliases: Aliases = {}
    params = dict(endpoint.first)
    for _ in range(_MAX_PAGES):
        body = yield url, dict(params)
        if endpoint.numbered:  # Cloudflare's v4 page/per_page paging
            items = _items(body, endpoint.key)
            _collect(items, endpoint, models, aliases)
            if not items or not _more_pages(body, int(params.get("page", "1"))):
                break
            params["page"] = str(int(params.get("page", "1")) + 1)
            continue
        for item in _items(body, endpoint.key):
            parsed = endpoint.parse(item)
            if parsed is None:
                continue
            model_id, fields = parsed
            models[model_id] = fields
            for alias in item.get("aliases") or ():  # Mistral
                if isinstance(alias, str) and alias and alias != model_id:
                    aliases[alias] = model_id
        token = body.get(endpoint.token) if endpoint.token and isinstance(body, dict) else None
        more = body.get(endpoint.has_more) if endpoint.has_more and isinstance(body, dict) else True
        if not isinstance(token, str) or not token or more is not True:
            break
        if token == params.get(endpoint.cursor):  # a server repeating its cursor would loop
            break
        params[endpoint.cursor] = token
    return models, aliases


def _collect(
    items: list[dict[str, Any]], endpoint: _Endpoint, models: Models, aliases: Aliases
) -> None:
    for item in items:
        parsed = endpoint.parse(item)
        if parsed is not None:
            models[parsed[0]] = parsed[1]


def _more_pages(body: object, page: int) -> bool:
    """Whether a Cloudflare ``result_info`` says a page follows ``page``."""
    info = body.get("result_info") if isinstance(body, dict) else None
    if not isinstance(info, dict):
        return False
    pages = _count(info.get("total_pages"))
    if pages is not None:
        return page < pages
    total, size = _count(info.get("total_count")), _count(info.get("per_page"))
    return total is not None and size is not None and page * size < total


def _id(item: Mapping[str, Any], key: str = "id") -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) and value else None


def _openai_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    model_id = _id(item)
    return None if model_id is None else (model_id, _openai_fields(item))


def _together_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    model_id = _id(item)
    if model_id is None:
        return None
    fields = _openai_fields(item)
    _put(fields, "display_name", _text(item.get("display_name")))
    _put(fields, "mode", _TOGETHER_MODES.get(str(item.get("type"))))
    pricing = item.get("pricing")
    if isinstance(pricing, dict):
        given = [_price(pricing.get(k), 1_000_000) for k in ("input", "output")]
        # Dedicated-only models list 0/0 with an hourly rate: that is no per-token price.
        hourly = _price(pricing.get("hourly"), 1_000_000)
        if not (given == [0.0, 0.0] and hourly):
            _put(fields, "input_price", given[0])
            _put(fields, "output_price", given[1])
    return model_id, fields


def _openrouter_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    model_id = _id(item)
    if model_id is None:
        return None
    fields: Fields = {"mode": "chat"}  # OpenRouter serves chat completions only
    _put(fields, "display_name", _text(item.get("name")))
    _put(fields, "context_window", _count(item.get("context_length")))
    top = item.get("top_provider")
    if isinstance(top, dict):
        _put(fields, "max_output_tokens", _count(top.get("max_completion_tokens")))
    pricing = item.get("pricing")
    if isinstance(pricing, dict):
        for ours, theirs in _OPENROUTER_PRICES:
            _put(fields, ours, _price(pricing.get(theirs), 1))
    architecture = item.get("architecture")
    if isinstance(architecture, dict):
        inputs = architecture.get("input_modalities")
        if isinstance(inputs, list):
            fields["vision"] = "image" in inputs
            fields["audio_input"] = "audio" in inputs
    parameters = item.get("supported_parameters")
    if isinstance(parameters, list):
        fields["tools"] = "tools" in parameters
        fields["structured_output"] = "structured_outputs" in parameters
        fields["reasoning"] = "reasoning" in parameters
    _put(fields, "deprecation_date", _date(item.get("expiration_date")))
    return model_id, fields


def _huggingface_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    model_id = _id(item)
    if model_id is None:
        return None
    fields = _openai_fields(item)
    offers = [p for p in item.get("providers") or () if isinstance(p, dict)]
    offer = next((p for p in offers if p.get("status") == "live"), offers[0] if offers else None)
    if offer is not None:
        _put(fields, "context_window", _count(offer.get("context_length")))
        pricing = offer.get("pricing")
        if isinstance(pricing, dict):  # USD per million tokens [UNVERIFIED, §10]
            _put(fields, "input_price", _price(pricing.get("input"), 1_000_000))
            _put(fields, "output_price", _price(pricing.get("output"), 1_000_000))
        _put(fields, "tools", _flag(offer.get("supports_tools")))
    return model_id, fields


def _anthropic_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    model_id = _id(item)
    if model_id is None:
        return None
    fields: Fields = {}
    _put(fields, "display_name", _text(item.get("display_name")))
    window = _count(item.get("max_input_tokens"))  # Claude's shared context window
    _put(fields, "context_window", window)
    _put(fields, "max_input_tokens", window)
    _put(fields, "max_output_tokens", _count(item.get("max_tokens")))
    capabilities = item.get("capabilities")
    if isinstance(capabilities, dict):
        for ours, theirs in _ANTHROPIC_CAPABILITIES:
            _put(fields, ours, _supported(capabilities.get(theirs)))
    return model_id, fields


def _gemini_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    name = _id(item, "name")
    if name is None:
        return None
    fields: Fields = {}
    _put(fields, "display_name", _text(item.get("displayName")))
    _put(fields, "max_input_tokens", _count(item.get("inputTokenLimit")))
    _put(fields, "max_output_tokens", _count(item.get("outputTokenLimit")))
    methods = item.get("supportedGenerationMethods")
    if isinstance(methods, list):
        if "generateContent" in methods:
            fields["mode"] = "chat"
        elif "embedContent" in methods or "batchEmbedContents" in methods:
            fields["mode"] = "embedding"
    _put(fields, "reasoning", _flag(item.get("thinking")))
    return name.removeprefix("models/"), fields


def _cohere_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    model_id = _id(item, "name")
    if model_id is None:
        return None
    fields: Fields = {}
    _put(fields, "context_window", _count(item.get("context_length")))
    endpoints = item.get("endpoints")
    if isinstance(endpoints, list):
        _put(fields, "mode", next((m for e, m in _COHERE_MODES if e in endpoints), None))
    features = item.get("features")
    if isinstance(features, list):
        fields["tools"] = "tools" in features or "strict_tools" in features
        fields["vision"] = "vision" in features
        fields["structured_output"] = "json_schema" in features
    return model_id, fields


def _ollama_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    name = _id(item, "name") or _id(item, "model")
    if name is None:
        return None
    return name.removesuffix(":latest"), {}  # Ollama resolves a bare name to ":latest"


def _github_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    """GitHub Models' catalog entry (docs.github.com/rest/models/catalog)."""
    model_id = _id(item)
    if model_id is None:
        return None
    fields: Fields = {"mode": "chat"}
    _put(fields, "display_name", _text(item.get("name")))
    limits = item.get("limits")
    if isinstance(limits, dict):
        _put(fields, "max_input_tokens", _count(limits.get("max_input_tokens")))
        _put(fields, "max_output_tokens", _count(limits.get("max_output_tokens")))
    capabilities = item.get("capabilities")
    if isinstance(capabilities, list):
        fields["tools"] = "tool-calling" in capabilities
    inputs = item.get("supported_input_modalities")
    if isinstance(inputs, list):
        fields["vision"] = "image" in inputs
        fields["audio_input"] = "audio" in inputs
    outputs = item.get("supported_output_modalities")
    if isinstance(outputs, list) and "embeddings" in outputs:
        fields["mode"] = "embedding"
    return model_id, fields


_CLOUDFLARE_MODES = {
    "Text Generation": "chat",
    "Text Embeddings": "embedding",
    "Text-to-Image": "image_generation",
}


def _cloudflare_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    """A Workers AI model (``GET /accounts/{id}/ai/models/search``): ``name`` is the id the
    chat API takes (``@cf/meta/...``); ``properties`` hold ``context_window``."""
    name = _id(item, "name")
    if name is None:
        return None
    fields: Fields = {}
    task = item.get("task")
    if isinstance(task, dict):
        _put(fields, "mode", _CLOUDFLARE_MODES.get(str(task.get("name"))))
    for prop in item.get("properties") or ():
        if isinstance(prop, dict) and prop.get("property_id") == "context_window":
            value = prop.get("value")
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            _put(fields, "context_window", _count(value))
        if isinstance(prop, dict) and prop.get("property_id") == "function_calling":
            fields["tools"] = str(prop.get("value")).lower() == "true"
    return name, fields


_BEDROCK_MODES = (("TEXT", "chat"), ("EMBEDDING", "embedding"), ("IMAGE", "image_generation"))


def _bedrock_item(item: Mapping[str, Any]) -> tuple[str, Fields] | None:
    model_id = _id(item, "modelId")
    if model_id is None:
        return None
    fields: Fields = {}
    _put(fields, "display_name", _text(item.get("modelName")))
    outputs = item.get("outputModalities")
    if isinstance(outputs, list):
        _put(fields, "mode", next((m for o, m in _BEDROCK_MODES if o in outputs), None))
    inputs = item.get("inputModalities")
    if isinstance(inputs, list):
        fields["vision"] = "IMAGE" in inputs
    return model_id, fields


KINDS: Mapping[str, _Endpoint] = {
    "openai": _Endpoint("data", _openai_item),
    "together": _Endpoint("data", _together_item),
    "openrouter": _Endpoint("data", _openrouter_item),
    "huggingface": _Endpoint("data", _huggingface_item),
    "anthropic": _Endpoint(
        "data", _anthropic_item, (("limit", "1000"),), "last_id", "after_id", "has_more"
    ),
    "gemini": _Endpoint(
        "models", _gemini_item, (("pageSize", "1000"),), "nextPageToken", "pageToken"
    ),
    "cohere": _Endpoint(
        "models", _cohere_item, (("page_size", "1000"),), "next_page_token", "page_token"
    ),
    "ollama": _Endpoint("models", _ollama_item),
    "github": _Endpoint("models", _github_item),  # a bare array
    "cloudflare": _Endpoint(
        "result", _cloudflare_item, (("page", "1"), ("per_page", "100")), numbered=True
    ),
    "bedrock": _Endpoint("modelSummaries", _bedrock_item),
}
"""Endpoint kinds by name; providers not named in ``PROVIDER_KINDS`` use ``openai``."""

PROVIDER_KINDS: Mapping[str, str] = {
    "anthropic": "anthropic",
    "gemini": "gemini",
    "cohere": "cohere",
    "ollama": "ollama",
    "together": "together",
    "openrouter": "openrouter",
    "huggingface": "huggingface",
    "github": "github",
    "cloudflare": "cloudflare",
}

_TOGETHER_MODES = {
    "chat": "chat",
    "language": "completion",
    "code": "completion",
    "embedding": "embedding",
    "rerank": "rerank",
    "moderation": "moderation",
    "image": "image_generation",
}
_COHERE_MODES = (("chat", "chat"), ("embed", "embedding"), ("rerank", "rerank"))
_OPENROUTER_PRICES = (
    ("input_price", "prompt"),
    ("output_price", "completion"),
    ("cache_read_price", "input_cache_read"),
    ("cache_write_price", "input_cache_write"),
)
_ANTHROPIC_CAPABILITIES = (
    ("vision", "image_input"),
    ("structured_output", "structured_outputs"),
    ("reasoning", "thinking"),
)
_CONTEXT_KEYS = ("context_window", "context_length", "max_context_length", "max_model_len")
_OUTPUT_KEYS = ("max_completion_tokens", "max_output_tokens")


def _openai_fields(item: Mapping[str, Any]) -> Fields:
    fields: Fields = {}
    _put(fields, "context_window", _first(_count(item.get(k)) for k in _CONTEXT_KEYS))
    _put(fields, "max_output_tokens", _first(_count(item.get(k)) for k in _OUTPUT_KEYS))
    _put(fields, "deprecation_date", _date(item.get("shutdown_date") or item.get("deprecation")))
    capabilities = item.get("capabilities")
    if isinstance(capabilities, dict):  # Mistral
        if capabilities.get("completion_chat") is True:
            fields["mode"] = "chat"
        _put(fields, "tools", _flag(capabilities.get("function_calling")))
        _put(fields, "vision", _flag(capabilities.get("vision")))
    return fields


def _items(body: object, key: str) -> list[dict[str, Any]]:
    if isinstance(body, dict):
        body = body.get(key)
    if not isinstance(body, list):
        raise ValueError(f"expected a list of models (or an object with {key!r})")
    return [item for item in body if isinstance(item, dict)]


def _put(fields: Fields, name: str, value: object) -> None:
    if value is not None:
        fields[name] = value


def _first(values: Iterable[object]) -> object:
    return next((v for v in values if v is not None), None)


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value) if value == int(value) and value > 0 else None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _supported(value: object) -> bool | None:
    if isinstance(value, dict):
        value = value.get("supported")
    return _flag(value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _price(value: object, unit: int) -> float | None:
    """A price given in USD per ``unit`` tokens (a number or numeric string), per million."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return per_million(value) if unit == 1 else round_price(value)


def _date(value: object) -> str | None:
    """``YYYY-MM-DD`` from an ISO date/datetime string or epoch seconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
        stamp = datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
        return stamp.date().isoformat()
    if isinstance(value, str) and len(value) >= 10:
        try:
            return datetime.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    return None


_FIELD_TYPES: Mapping[str, tuple[type, ...]] = {
    "mode": (str,),
    "display_name": (str,),
    "reference_url": (str,),
    "deprecation_date": (str,),
    "context_window": (int,),
    "max_input_tokens": (int,),
    "max_output_tokens": (int,),
    "embedding_dimensions": (int,),
    "input_price": (int, float),
    "output_price": (int, float),
    "cache_read_price": (int, float),
    "cache_write_price": (int, float),
    "tools": (bool,),
    "parallel_tools": (bool,),
    "vision": (bool,),
    "structured_output": (bool,),
    "reasoning": (bool,),
    "prompt_caching": (bool,),
    "audio_input": (bool,),
}


def _checked_fields(fields: Mapping[str, Any]) -> Fields:
    checked: Fields = {}
    for name, value in fields.items():
        types = _FIELD_TYPES.get(name)
        if types is None:
            raise ValueError(f"unknown field {name!r}")
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ValueError(f"field {name!r} has a value of the wrong type")
        if name == "deprecation_date":
            datetime.date.fromisoformat(str(value))
        checked[name] = value
    return checked
