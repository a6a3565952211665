"""Cost of one call from a model's prices and a normalized usage."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

from .._validation import fail_type, fail_value, is_number
from ..errors import InvalidArgumentError
from ._model import Cost, ModelInfo

__all__ = ["compute_cost", "usage_counts"]

_MILLION = Decimal(1_000_000)
_KEYS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def usage_counts(usage: object) -> dict[str, int | None]:
    """The four token counts of a ``Usage`` event, a response with ``.usage``, or a mapping."""
    if not isinstance(usage, Mapping) and not hasattr(usage, "input_tokens"):
        inner = getattr(usage, "usage", None)
        if inner is not None:
            usage = inner
    if not isinstance(usage, Mapping) and not hasattr(usage, "input_tokens"):
        fail_type("usage", "a Usage, a response with .usage, or a dict of token counts", usage)
    counts: dict[str, int | None] = {}
    for key in _KEYS:
        value = usage.get(key) if isinstance(usage, Mapping) else getattr(usage, key, None)
        if value is not None:
            argument = f"usage[{key!r}]"
            if not is_number(value):
                fail_type(argument, "a non-negative whole number of tokens", value)
            if not math.isfinite(value) or value < 0 or value != int(value):
                fail_value(argument, "a non-negative whole number of tokens", value)
            value = int(value)
        counts[key] = value
    return counts


def compute_cost(info: ModelInfo, usage: object) -> Cost:
    """See :func:`fluent_ai.catalog.cost`."""
    counts = usage_counts(usage)
    cache_read = counts["cache_read_tokens"] or 0
    cache_write = counts["cache_write_tokens"] or 0
    total_input = counts["input_tokens"]
    uncached: int | None = None
    if total_input is not None:
        uncached = total_input - cache_read - cache_write
        if uncached < 0:
            raise InvalidArgumentError(
                f"usage['input_tokens'] ({total_input}) must count the cache reads "
                f"(usage['cache_read_tokens'] {cache_read}) and writes ({cache_write}) too",
                argument="usage['cache_read_tokens']",
                expected="cache reads + writes <= input_tokens",
            )
    parts = (
        _part(uncached, info.input_price),
        _part(counts["output_tokens"], info.output_price),
        _part(cache_read, info.cache_read_price),
        _part(cache_write, info.cache_write_price),
    )
    total = None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
    values = [None if p is None else float(p) for p in parts]
    return Cost(
        model=info.name,
        input=values[0],
        output=values[1],
        cache_read=values[2],
        cache_write=values[3],
        total=None if total is None else float(total),
    )


def _part(tokens: int | None, price: float | None) -> Decimal | None:
    if tokens is None:
        return None
    if tokens == 0:
        return Decimal(0)
    if price is None:
        return None
    return Decimal(tokens) * Decimal(repr(price)) / _MILLION
