"""Normalizes LiteLLM's ``model_prices_and_context_window.json`` into catalog entries.

Used by :mod:`fluent_ai.catalog.generate` (never at run time). The rules, which the README
repeats:

Providers
    ``LITELLM_PROVIDERS`` maps LiteLLM's ``litellm_provider`` to ours; every ``vertex_ai`` and
    ``vertex_ai-*`` provider is ``vertex``. Entries of other LiteLLM providers are left out.

Ids
    The model id is the LiteLLM key without its routing prefix (``gemini/``, ``vertex_ai/``,
    ``together_ai/``, ...). For providers whose ids never contain ``/`` (``FLAT_IDS``), a key
    that still has one is a pricing variant (an AWS region or commitment term, an Azure data
    zone, an image size) and is left out. When two keys give the same id (``deepseek-chat`` and
    ``deepseek/deepseek-chat``) the one spelling the routing prefix is used, whole; values of
    the two are never mixed.

Limits
    LiteLLM's legacy ``max_tokens`` is ignored (it means output for some entries and context for
    others). ``max_input_tokens`` and ``max_output_tokens`` are copied. For the modes that
    generate tokens (``GENERATIVE_MODES``) LiteLLM's ``max_input_tokens`` is the provider's
    published context window, a budget shared by prompt and output (OpenAI, Anthropic, Mistral,
    DeepSeek, xAI and the open-model hosts all publish it that way), so it is also the
    ``context_window``. Two exceptions keep ``context_window`` ``None``: Google's Gemini and
    Gemma models (the Gemini API publishes separate ``inputTokenLimit`` and
    ``outputTokenLimit``), and entries whose ``max_output_tokens`` exceeds
    ``max_input_tokens``, which cannot describe a shared budget. Embedding, rerank and other
    modes have no output tokens, hence no ``context_window``.

Prices
    ``*_cost_per_token`` values are USD per token; the catalog stores USD per million tokens,
    computed in decimal from the shortest repr of the source float and rounded to 12
    significant digits, which removes float noise such as ``1.6000000000000001e-06`` and keeps
    every real digit. Tiered (``_above_200k_tokens``), batch, priority and flex prices are not
    carried. ``cache_write_price`` is ``cache_creation_input_token_cost`` (Anthropic's
    5-minute cache write).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Any

from ._names import LITELLM_PROVIDERS, our_provider

__all__ = [
    "FLAT_IDS",
    "GENERATIVE_MODES",
    "LITELLM_PROVIDERS",
    "normalize",
    "our_provider",
    "per_million",
    "round_price",
]

# Routing prefixes LiteLLM puts in front of ids, per catalog provider (its own name otherwise).
_ROUTES: Mapping[str, tuple[str, ...]] = {
    "vertex": ("vertex_ai",),
    "bedrock": ("bedrock", "bedrock_converse"),
    "together": ("together_ai",),
    "fireworks": ("fireworks_ai",),
    "zhipuai": ("bigmodel",),
    "jina": ("jina_ai",),
    "vllm": ("hosted_vllm",),
    "ollama": ("ollama", "ollama_chat"),
}

FLAT_IDS = frozenset(
    {
        "openai", "anthropic", "azure", "bedrock", "gemini", "xai", "deepseek", "mistral",
        "cohere", "moonshot", "zai", "zhipuai", "dashscope", "ai21", "minimax", "voyage", "jina",
        "cerebras",
    }
)  # fmt: skip
"""Providers whose model ids never contain ``/``."""

GENERATIVE_MODES = frozenset({"chat", "completion", "responses", "realtime"})

_FLAGS = (
    ("tools", "supports_function_calling"),
    ("parallel_tools", "supports_parallel_function_calling"),
    ("vision", "supports_vision"),
    ("structured_output", "supports_response_schema"),
    ("reasoning", "supports_reasoning"),
    ("prompt_caching", "supports_prompt_caching"),
    ("audio_input", "supports_audio_input"),
)
_PRICES = (
    ("input_price", "input_cost_per_token"),
    ("output_price", "output_cost_per_token"),
    ("cache_read_price", "cache_read_input_token_cost"),
    ("cache_write_price", "cache_creation_input_token_cost"),
)
_SIGNIFICANT = Context(prec=12)
_MILLION = Decimal(1_000_000)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def per_million(value: object) -> float | None:
    """USD per token -> USD per million tokens (12 significant digits), ``None`` if unusable."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return float(_SIGNIFICANT.multiply(Decimal(repr(value)), _MILLION).normalize())


def round_price(value: object) -> float | None:
    """A price already per million tokens, rounded the same way; ``None`` if unusable."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return float(_SIGNIFICANT.plus(Decimal(repr(value))).normalize())


def normalize(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Catalog entries for every covered LiteLLM entry, sorted by provider and id.

    Each entry has ``provider``, ``id``, ``key`` (the LiteLLM key it was taken from) and the
    data fields that the source states.
    """
    chosen: dict[tuple[str, str], tuple[bool, str]] = {}
    for key, entry in data.items():
        if not isinstance(entry, dict):
            continue
        provider = our_provider(entry.get("litellm_provider"))
        if provider is None:
            continue
        model_id, prefixed = _strip_route(provider, key)
        if not model_id or (provider in FLAT_IDS and "/" in model_id):
            continue
        previous = chosen.get((provider, model_id))
        if previous is None or (prefixed and not previous[0]):
            chosen[(provider, model_id)] = (prefixed, key)
    entries = [
        _entry(provider, model_id, key, data[key])
        for (provider, model_id), (_, key) in chosen.items()
    ]
    entries.sort(key=lambda e: (e["provider"], e["id"]))
    return entries


def _strip_route(provider: str, key: str) -> tuple[str, bool]:
    for route in _ROUTES.get(provider, (provider,)):
        if key.startswith(route + "/"):
            return key[len(route) + 1 :], True
    return key, False


def _entry(provider: str, model_id: str, key: str, source: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"provider": provider, "id": model_id, "key": key}
    mode = source.get("mode")
    if isinstance(mode, str):
        entry["mode"] = mode
    max_in = _count(source.get("max_input_tokens"))
    max_out = _count(source.get("max_output_tokens"))
    if max_in is not None:
        entry["max_input_tokens"] = max_in
    if max_out is not None:
        entry["max_output_tokens"] = max_out
    if (
        max_in is not None
        and mode in GENERATIVE_MODES
        and not _separate_limits(provider, model_id, source)
        and (max_out is None or max_out <= max_in)
    ):
        entry["context_window"] = max_in
    for field, name in _PRICES:
        price = per_million(source.get(name))
        if price is not None:
            entry[field] = price
    for field, name in _FLAGS:
        flag = source.get(name)
        if isinstance(flag, bool):
            entry[field] = flag
    dimensions = _count(source.get("output_vector_size"))
    if dimensions is not None:
        entry["embedding_dimensions"] = dimensions
    date = source.get("deprecation_date")
    if isinstance(date, str) and _DATE.fullmatch(date):
        entry["deprecation_date"] = date
    url = source.get("source")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        entry["reference_url"] = url
    return entry


def _separate_limits(provider: str, model_id: str, source: Mapping[str, Any]) -> bool:
    """Google's own models: the Gemini API states input and output limits separately."""
    if provider == "gemini":
        return True
    if provider != "vertex":
        return False
    litellm_provider = str(source.get("litellm_provider", ""))
    return litellm_provider == "vertex_ai-language-models" or model_id.startswith(
        ("gemini", "gemma")
    )


def _count(value: object) -> int | None:
    """A positive token count (or vector size), ``None`` for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    if value != int(value) or value <= 0:
        return None
    return int(value)
