"""Numeric arguments converted as the native core's ``f64`` / ``u64`` parameters convert
them, with the same exceptions and messages (used by ``metrics`` and ``breaker``)."""

from __future__ import annotations

import operator

_U64_MAX = (1 << 64) - 1


def real(value: object) -> float:
    """A number as CPython's ``PyFloat_AsDouble`` takes it (float, ``__float__``, ``__index__``)."""
    if isinstance(value, float):
        return value
    kind = type(value)
    if hasattr(kind, "__float__"):
        return float(value)  # type: ignore[arg-type]
    if hasattr(kind, "__index__"):
        return float(operator.index(value))  # type: ignore[arg-type]
    raise TypeError(f"must be real number, not {kind.__name__}")


def unsigned(value: object) -> int:
    """An integer as the native ``u64`` parameters take it."""
    number = operator.index(value)  # type: ignore[arg-type]
    if number < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if number > _U64_MAX:
        raise OverflowError("int too big to convert")
    return int(number)
