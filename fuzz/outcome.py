"""What one decoder made of one input on one backend, in a form both backends can be compared
in: plain values (no backend classes), the error's class, message, position and excerpt, and
the decoder's state after ``finish``. Values are flattened without recursion, so an adversarially
deep value cannot crash the comparison itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from fluent_ai import _core, _purepy
from fluent_ai.errors import FluentAIError

BACKENDS: dict[str, ModuleType] = {"native": _core, "python": _purepy}

# Ids a decoder makes up when the provider sends none differ between backends.
_SYNTHESIZED = re.compile(r"^call_fai_\d+$")


class BudgetSpent(BaseException):
    """Raised inside a fuzz example when the time budget is over (not a finding)."""


def flatten(value: Any) -> tuple[Any, ...]:
    """``value`` as a flat tuple of typed tokens: ``1`` and ``1.0`` and ``True`` differ, key
    order counts, and depth costs no stack."""
    tokens: list[Any] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Close):
            tokens.append(item.token)
        elif isinstance(item, dict):
            tokens.append(("{", len(item)))
            stack.append(_Close("}"))
            for key, child in reversed(list(item.items())):
                stack.append(child)
                stack.append(_Key(key))
        elif isinstance(item, _Key):
            tokens.append(("key", item.key))
        elif isinstance(item, (list, tuple)):
            tokens.append(("[", len(item)))
            stack.append(_Close("]"))
            stack.extend(reversed(item))
        elif isinstance(item, float):
            tokens.append(("float", repr(item)))
        else:
            tokens.append((type(item).__name__, item))
    return tuple(tokens)


@dataclass
class _Close:
    token: str


@dataclass
class _Key:
    key: Any


def plain(item: Any) -> tuple[Any, ...]:
    """An event, SSE event or event-stream message as ``(class name, flattened fields)``."""
    fields = getattr(type(item), "__match_args__", None)
    if fields is None:  # a JSON value (NDJSON lines)
        return ("value", flatten(item))
    values = []
    for name in fields:
        value = getattr(item, name)
        if name == "id" and isinstance(value, str) and _SYNTHESIZED.match(value):
            value = "<synthesized>"
        if name == "headers":
            value = {k: repr(v) for k, v in value.items()}  # datetime, UUID, bytes
        values.append(flatten(value))
    return (type(item).__name__, *values)


@dataclass
class Outcome:
    """Everything compared between backends."""

    items: list[tuple[Any, ...]] = field(default_factory=list)
    error: tuple[Any, ...] | None = None
    state: tuple[Any, ...] = ()
    undocumented: str | None = None  # an exception that is not a FluentAIError

    def comparable(self, excerpt: bool = True) -> tuple[Any, ...]:
        """What must be equal; the error's excerpt only for the same split (it shows the
        bytes received so far around the position, so it depends on where the input was cut)."""
        error = self.error
        if error is not None and not excerpt:
            error = (*error[:3], *error[4:])
        return (self.items, error, self.state)


def error_summary(error: BaseException) -> tuple[Any, ...]:
    """What must not depend on the backend or the split: class, message, position, excerpt."""
    return (
        type(error).__name__,
        getattr(error, "message", str(error)),
        getattr(error, "position", None),
        getattr(error, "excerpt", None),
        getattr(error, "kind", None),
        getattr(error, "limit", None),
    )


def run_feeds(
    feed: Callable[[Any], Iterable[Any]],
    finish: Callable[[], Iterable[Any]],
    chunks: Iterable[Any],
    state: Callable[[], tuple[Any, ...]],
) -> Outcome:
    """Feeds every chunk then finishes; the first error ends the run (its ``completed`` items
    are kept, as the caller would have them)."""
    outcome = Outcome()
    try:
        for chunk in chunks:
            outcome.items += [plain(item) for item in feed(chunk)]
        outcome.items += [plain(item) for item in finish()]
        outcome.state = state()
    except (BudgetSpent, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:
        outcome.items += [plain(item) for item in getattr(error, "completed", [])]
        outcome.error = error_summary(error)
        if not isinstance(error, FluentAIError):
            outcome.undocumented = f"{type(error).__name__}: {str(error)[:300]}"
    return outcome


def cut(data: Any, cuts: Iterable[int]) -> list[Any]:
    """``data`` (bytes or str) cut at the given offsets (clamped, sorted, deduplicated)."""
    points = sorted({min(max(c, 0), len(data)) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:])] or [data[:0]]
