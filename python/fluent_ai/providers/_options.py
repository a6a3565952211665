"""What the request options become per provider, as data (README, Clients: request options).

The options are named as the openai SDK names them; the adapters translate them. Here are the
pieces more than one adapter shares: the thinking budgets that ``reasoning_effort`` becomes
where a provider takes a token budget, the ``max_tokens`` rule Anthropic's thinking imposes,
and the options OpenAI-compatible servers are documented to reject or rename.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ANTHROPIC_THINKING_BUDGETS",
    "COMPAT_RENAMED",
    "COMPAT_UNSUPPORTED",
    "GEMINI_THINKING_BUDGETS",
    "REASONING_EFFORTS",
    "TRANSLATED_OPTIONS",
    "compat_unsupported",
    "gemini_uses_levels",
    "options_set",
    "stop_list",
    "thinking_max_tokens",
]

#: The values ``reasoning_effort`` takes (OpenAI's names).
REASONING_EFFORTS = ("minimal", "low", "medium", "high")

#: ``reasoning_effort`` -> ``thinking.budget_tokens`` for Claude (Anthropic, Vertex, Bedrock).
#: The API's minimum is 1024 [providers.md §4.1]; the steps above it follow the 1K/8K/24K scale
#: Google documents for the same three names on Gemini's OpenAI-compatible API.
ANTHROPIC_THINKING_BUDGETS: Mapping[str, int] = {
    "minimal": 1024,
    "low": 2048,
    "medium": 8192,
    "high": 24576,
}

#: ``reasoning_effort`` -> ``thinkingConfig.thinkingBudget`` for Gemini models before 3
#: (2.5 and older). ``low``/``medium``/``high`` are Google's own mapping on its
#: OpenAI-compatible API (1K, 8K, 24K); ``minimal`` is 512, the smallest budget that every
#: 2.5 model accepts (Flash-Lite's minimum; Pro cannot turn thinking off).
GEMINI_THINKING_BUDGETS: Mapping[str, int] = {
    "minimal": 512,
    "low": 1024,
    "medium": 8192,
    "high": 24576,
}

_GEMINI_VERSION = re.compile(r"gemini-(\d+)")


def gemini_uses_levels(model: str) -> bool:
    """Gemini 3 and later take ``thinkingConfig.thinkingLevel`` (``minimal``/``low``/
    ``medium``/``high``; Google: "use thinkingLevel with Gemini 3 models"); earlier ones only
    ``thinkingBudget``. A model id that names no version is taken as a current one (levels)."""
    found = _GEMINI_VERSION.search(model)
    return found is None or int(found.group(1)) >= 3


def thinking_max_tokens(limit: int, budget: int) -> int:
    """The ``max_tokens`` to send with a Claude thinking budget. Anthropic requires
    ``budget_tokens < max_tokens`` (both count thinking); a limit that leaves no room above the
    budget becomes ``budget + limit`` (the caller's limit is then what the answer may use)."""
    return limit if limit > budget else budget + limit


#: Options OpenAI-compatible servers are documented to reject (a 400), per provider; a model
#: prefix narrows an entry to those models. Sources: Cerebras' documented unsupported OpenAI
#: fields (``frequency_penalty``, ``presence_penalty``, ``parallel_tool_calls``, and
#: ``logit_bias``/``service_tier``, which fluent-ai does not name); Mistral's chat schema (no
#: ``user``, no ``reasoning_effort``); xAI: ``stop``, ``presence_penalty`` and
#: ``frequency_penalty`` are not supported by the reasoning models grok-3-mini and grok-4, nor
#: ``reasoning_effort`` by grok-4 (providers.md §11, xAI's docs); DeepSeek documents that
#: ``deepseek-reasoner`` takes ``top_p`` and the penalties without effect (refused here rather
#: than dropped in silence by the server).
COMPAT_UNSUPPORTED: Mapping[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "cerebras": (
        ("", frozenset({"frequency_penalty", "presence_penalty", "parallel_tool_calls"})),
    ),
    "mistral": (("", frozenset({"user", "reasoning_effort"})),),
    # DeepSeek's reasoning model accepts these and ignores them (its docs): a silent drop.
    "deepseek": (
        ("deepseek-reasoner", frozenset({"top_p", "presence_penalty", "frequency_penalty"})),
    ),
    "xai": (
        ("grok-3-mini", frozenset({"stop", "presence_penalty", "frequency_penalty"})),
        (
            "grok-4",
            frozenset({"stop", "presence_penalty", "frequency_penalty", "reasoning_effort"}),
        ),
    ),
}

#: Options a compatible server takes under another name: Mistral's ``random_seed``.
COMPAT_RENAMED: Mapping[str, Mapping[str, str]] = {"mistral": {"seed": "random_seed"}}


def compat_unsupported(provider: str, model: str, option: str) -> bool:
    """Whether ``provider`` (an OpenAI-compatible one) is documented to reject ``option`` for
    ``model``."""
    for prefix, options in COMPAT_UNSUPPORTED.get(provider, ()):
        if option in options and model.startswith(prefix):
            return True
    return False


def stop_list(stop: str | tuple[str, ...]) -> list[str]:
    """``stop`` as the list of sequences the non-OpenAI dialects take."""
    return [stop] if isinstance(stop, str) else list(stop)


# The request options each adapter translates for its provider, in a fixed order.
TRANSLATED_OPTIONS = (
    "top_p",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "parallel_tool_calls",
    "reasoning_effort",
    "user",
    "metadata",
)


def options_set(params: Any) -> dict[str, Any]:
    """The request options of ``params`` that were given (not ``None``), in a fixed order."""
    return {
        name: getattr(params, name)
        for name in TRANSLATED_OPTIONS
        if getattr(params, name) is not None
    }
