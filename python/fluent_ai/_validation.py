"""Checks of the public API's arguments, made before anything is sent.

Every check raises :class:`~fluent_ai.errors.ArgumentTypeError` (a wrong type; also a
``TypeError``) or :class:`~fluent_ai.errors.InvalidArgumentError` (a wrong value; a
``ValueError``) whose message names the argument, says what was expected and what was given.
A value is shown only when it cannot be a secret: numbers, ``None``, booleans and short strings
of arguments that hold no credential; anything else is described by its type.

Rules shared by every entry point: ``bool`` is not a number or a count (``True`` is not
``1``); durations are finite and positive (``NaN``, infinities, zero and negatives are
refused: ``None`` means no limit); counts are ``int``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from .errors import ArgumentTypeError, InvalidArgumentError

__all__ = [
    "INT64_MAX",
    "MAX_SECONDS",
    "U64_MAX",
    "argument_error",
    "check_count",
    "check_limit",
    "check_mapping",
    "check_number",
    "check_seconds",
    "check_string",
    "check_strings",
    "describe",
    "fail_type",
    "fail_value",
    "metric_number",
]

_SHOWN_TEXT = 40
_SHOWN_BITS = 256

#: The largest limit the native core stores; a larger one is the same: no limit one can reach.
U64_MAX = (1 << 64) - 1
#: The largest count sent to a provider (a JSON integer every provider reads: signed 64-bit).
INT64_MAX = (1 << 63) - 1
#: The longest duration (one year): longer ones overflow the platform's socket and clock
#: arithmetic ("timestamp out of range for platform time_t"); ``None`` is no limit.
MAX_SECONDS = 365 * 24 * 3600.0


def describe(value: object, *, secret: bool = False) -> str:
    """``value`` as an error message shows it: its type, plus the value itself when that is
    safe to print."""
    kind = type(value).__name__
    if value is None or isinstance(value, bool):
        return repr(value)
    if secret:
        return f"a value of type {kind}"
    if isinstance(value, int) and value.bit_length() > _SHOWN_BITS:
        # A huge int's repr is slow or refused (CPython's 4300-digit limit): its size only.
        return f"{kind} of {value.bit_length()} bits"
    if isinstance(value, (int, float)):
        return f"{kind} {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= _SHOWN_TEXT else value[:_SHOWN_TEXT] + "..."
        return f"str {shown!r}"
    return f"a value of type {kind}"


def fail_type(argument: str, expected: str, value: object, *, secret: bool = False) -> NoReturn:
    raise ArgumentTypeError(
        f"{argument} must be {expected}, not {describe(value, secret=secret)}",
        argument=argument,
        expected=expected,
    )


def fail_value(argument: str, expected: str, value: object, *, secret: bool = False) -> NoReturn:
    raise InvalidArgumentError(
        f"{argument} must be {expected}, not {describe(value, secret=secret)}",
        argument=argument,
        expected=expected,
    )


def is_number(value: object) -> bool:
    """An ``int`` or ``float`` that is not a ``bool``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_count(
    argument: str, value: object, *, minimum: int = 0, maximum: int | None = None
) -> int:
    """An ``int`` (not ``bool``) of at least ``minimum`` (and at most ``maximum``)."""
    expected = f"an int >= {minimum}" if maximum is None else f"an int in [{minimum}, {maximum}]"
    if not isinstance(value, int) or isinstance(value, bool):
        fail_type(argument, expected, value)
    if value < minimum or (maximum is not None and value > maximum):
        fail_value(argument, expected, value)
    return value


def check_number(
    argument: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> float:
    """A finite ``int`` or ``float`` (not ``bool``) within the bounds given (``minimum`` and
    ``maximum`` inclusive, ``above`` exclusive)."""
    expected = _bounds_text(minimum, maximum, above)
    if not is_number(value):
        fail_type(argument, expected, value)
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond float range
        fail_value(argument, expected, value)
    if (
        not math.isfinite(number)
        or (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
        or (above is not None and number <= above)
    ):
        fail_value(argument, expected, value)
    return number


def check_seconds(argument: str, value: object) -> float:
    """A duration: a finite number of seconds > 0, at most ``MAX_SECONDS``."""
    return check_number(argument, value, above=0.0, maximum=MAX_SECONDS)


def _bounds_text(minimum: float | None, maximum: float | None, above: float | None) -> str:
    parts = []
    if above is not None:
        parts.append(f"> {_shown(above)}")
    if minimum is not None:
        parts.append(f">= {_shown(minimum)}")
    if maximum is not None:
        parts.append(f"<= {_shown(maximum)}")
    return "a finite number" + (" " + " and ".join(parts) if parts else "")


def _shown(bound: float) -> str:
    """A bound as a message shows it: whole numbers in full (``31536000``), others as ``:g``."""
    return str(int(bound)) if bound == int(bound) and abs(bound) < 1e15 else f"{bound:g}"


def check_string(argument: str, value: object, *, empty: bool = False, secret: bool = False) -> str:
    """A ``str`` (non-empty unless ``empty``)."""
    expected = "a str" if empty else "a non-empty str"
    if not isinstance(value, str):
        fail_type(argument, expected, value, secret=secret)
    if not empty and not value:
        fail_value(argument, expected, value, secret=secret)
    return value


def check_strings(argument: str, value: object, *, non_empty: bool = True) -> list[str]:
    """A list or tuple of ``str`` (not a ``str`` itself), at least one unless ``non_empty``
    is false."""
    expected = "a list of str" + (" with at least one item" if non_empty else "")
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Sequence):
        fail_type(argument, expected, value)
    items = list(value)
    if non_empty and not items:
        fail_value(argument, expected, value)
    for position, item in enumerate(items):
        if not isinstance(item, str):
            fail_type(f"{argument}[{position}]", "a str", item)
    return items


def check_mapping(argument: str, value: object, *, keys_as: str = "str keys") -> Mapping[str, Any]:
    """A mapping (a ``dict``) whose keys are all ``str``."""
    if not isinstance(value, Mapping):
        fail_type(argument, f"a dict with {keys_as}", value)
    for key in value:
        if not isinstance(key, str):
            fail_type(f"a key of {argument}", "a str", key)
    return value


def check_sequence(argument: str, value: object, expected: str) -> list[Any]:
    """A list or tuple (not a ``str``, ``bytes`` or mapping)."""
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Sequence):
        fail_type(argument, expected, value)
    return list(value)


def check_limit(argument: str, value: object, minimum: int = 0) -> int:
    """A size or count limit of a core decoder, the metrics or a breaker: an ``int`` (not
    ``bool``) of at least ``minimum``; values past ``U64_MAX`` are ``U64_MAX``. Both backends
    call this (the native one through Python), so their rules and messages are one."""
    return min(check_count(argument, value, minimum=minimum), U64_MAX)


def argument_error(
    message: str, argument: str, expected: str = "", wrong_type: bool = False
) -> InvalidArgumentError:
    """The exception for a bad argument whose message the caller wrote (for the native core,
    which raises what this returns)."""
    cls = ArgumentTypeError if wrong_type else InvalidArgumentError
    return cls(message, argument=argument, expected=expected)


def metric_number(argument: str, value: object) -> float:
    """The number given to ``Metrics.inc/observe/gauge_add`` (``argument`` is ``value``,
    ``seconds`` or ``delta``): a real number (``int``, ``float`` or an object with
    ``__float__`` / ``__index__``), not a ``bool`` or a string; an int too large for a float
    is a wrong value. Both backends call this (the native one off its fast path)."""
    if type(value) is float:
        return value
    expected = "a real number (int or float)"
    # complex is no real number (CPython 3.9's complex still has a __float__ that raises).
    if isinstance(value, (bool, str, bytes, bytearray, complex)):
        fail_type(argument, expected, value)
    kind = type(value)
    try:
        if hasattr(kind, "__float__"):
            return float(value)  # type: ignore[arg-type]
        if hasattr(kind, "__index__"):
            return float(kind.__index__(value))
    except OverflowError:
        fail_value(argument, "a finite number", value)
    except TypeError:  # a __float__ that refuses
        fail_type(argument, expected, value)
    fail_type(argument, expected, value)
