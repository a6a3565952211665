"""The model catalog: what each model can do and costs, with where every value came from.

A snapshot generated from LiteLLM's model file ships in the package (see
:mod:`fluent_ai.catalog.generate`); it is read on the first :func:`get`, :func:`find`,
:func:`providers` or :func:`cost`, never at import. :func:`refresh` / :func:`arefresh` fetch the
providers' live model lists, cache them on disk and lay them over the snapshot: live values win
for the fields an endpoint gives, the snapshot fills the rest, and :meth:`ModelInfo.provenance`
tells which is which. The meaning of the limits and prices is documented on
:class:`ModelInfo`; the README's "Model catalog" section has the rules in full.
"""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import ModelNotFoundError
from . import _lookup, _store
from ._arguments import check_find, check_model_name
from ._cache import CatalogCacheWarning, cache_dir
from ._cost import compute_cost
from ._model import Cost, ModelInfo, Provenance

if TYPE_CHECKING:
    from ._refresh import ProviderRefresh, RefreshResult, arefresh, refresh

# Loaded on first use (module __getattr__): the refresh machinery imports logging, the provider
# registry and the HTTP error mapping, which get() and find() never need.
_LAZY = {
    "ProviderRefresh": "._refresh",
    "RefreshResult": "._refresh",
    "arefresh": "._refresh",
    "refresh": "._refresh",
}

__all__ = [
    "CatalogCacheWarning",
    "Cost",
    "ModelInfo",
    "ModelNotFoundError",
    "Provenance",
    "ProviderRefresh",
    "RefreshResult",
    "arefresh",
    "cache_dir",
    "cost",
    "find",
    "get",
    "providers",
    "refresh",
    "reload",
    "snapshot_info",
]


def get(name: str) -> ModelInfo:
    """The model called ``name`` (``"openai/gpt-4.1-mini"``).

    Aliases resolve: LiteLLM provider names (``vertex_ai/...``), bare ids (``gpt-4.1-mini``,
    first-party providers first), dated versions and tags (``...-2025-04-14``, ``@20241022``,
    ``:latest``), Bedrock cross-region prefixes, and an undated id to its newest dated version.
    Raises :class:`ModelNotFoundError` (a ``KeyError``) with close matches otherwise.
    """
    return _lookup.resolve(_store.store(), check_model_name(name))


def find(
    provider: str | Iterable[str] | None = None,
    mode: str | Iterable[str] | None = None,
    *,
    tools: bool | None = None,
    parallel_tools: bool | None = None,
    vision: bool | None = None,
    structured_output: bool | None = None,
    reasoning: bool | None = None,
    prompt_caching: bool | None = None,
    audio_input: bool | None = None,
    min_context: int | None = None,
    min_output: int | None = None,
    max_input_price: float | None = None,
    max_output_price: float | None = None,
    include_deprecated: bool = True,
    today: datetime.date | None = None,
    sort: str = "name",
) -> list[ModelInfo]:
    """The models that pass every filter given.

    ``provider`` and ``mode`` take one value or several. A capability filter (``tools=True``)
    keeps the models whose flag is exactly that value (unknown flags never match).
    ``min_context`` compares with the context window, or the input limit where the provider
    states no shared window (Gemini); ``min_output`` with ``max_output_tokens``; the price
    limits (USD per million tokens) drop models without a known price. With
    ``include_deprecated=False`` models whose deprecation date is ``today`` (default: the
    current date) or earlier are dropped.

    ``sort``: ``"name"`` (default, ``provider/id``), ``"input_price"`` or ``"output_price"``
    (cheapest first), ``"context_window"`` or ``"max_output_tokens"`` (largest first); unknown
    values sort last.
    """
    flags: dict[str, bool | None] = {
        "tools": tools,
        "parallel_tools": parallel_tools,
        "vision": vision,
        "structured_output": structured_output,
        "reasoning": reasoning,
        "prompt_caching": prompt_caching,
        "audio_input": audio_input,
    }
    check_find(
        provider=provider,
        mode=mode,
        flags=flags,
        counts={"min_context": min_context, "min_output": min_output},
        prices={"max_input_price": max_input_price, "max_output_price": max_output_price},
        include_deprecated=include_deprecated,
        today=today,
        sort=sort,
    )
    return _lookup.find(
        _store.store(),
        provider=provider,
        mode=mode,
        flags=flags,
        min_context=min_context,
        min_output=min_output,
        max_input_price=max_input_price,
        max_output_price=max_output_price,
        include_deprecated=include_deprecated,
        today=today,
        sort=sort,
    )


def providers() -> list[str]:
    """The providers that have at least one model in the catalog, sorted."""
    return sorted(_store.store().ids())


def cost(model: str | ModelInfo, usage: object) -> Cost:
    """The cost in USD of a call with ``usage`` on ``model``.

    ``usage`` is a normalized ``Usage`` event, a response with a ``.usage``, or a mapping, with
    ``input_tokens`` (every prompt token, cached ones included), ``output_tokens``,
    ``cache_read_tokens`` and ``cache_write_tokens`` (missing or ``None``: 0 for the cache
    counts, unknown for the others). Uncached input = input - cache reads - cache writes.
    Raises ``InvalidArgumentError`` (a ``ValueError``) when the cache counts exceed
    ``input_tokens``, ``ArgumentTypeError`` for a usage of another shape or a count that is
    not a whole number.
    """
    info = model if isinstance(model, ModelInfo) else get(check_model_name(model, "model"))
    return compute_cost(info, usage)


def snapshot_info() -> dict[str, Any]:
    """The packaged snapshot's metadata: ``source`` (file, LiteLLM version, licence), ``as_of``."""
    return dict(_store.store().snapshot.meta)


def reload() -> None:
    """Forgets the loaded catalog and the live lists; the next call reads the snapshot and the
    cache files again."""
    _store.reset()


# Hidden from type checkers: a module ``__getattr__`` would make every misspelt name ``Any``
# to them (the lazy names are declared by the ``TYPE_CHECKING`` imports above).
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value
