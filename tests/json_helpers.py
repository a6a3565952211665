"""Helpers shared by the JSON parser tests: strict value comparison and feeding outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Union

from fluent_ai.errors import StreamDecodeError


def same_value(a: object, b: object) -> bool:
    """Equal as JSON values *and* as Python types: ``1 != 1.0``, ``0.0 != -0.0``, key order counts.

    Iterative, so arbitrarily deep values can be compared.
    """
    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, float):
            # repr tells -0.0 from 0.0 and compares inf; the values compared here are NaN-free.
            if repr(x) != repr(y):
                return False
        elif isinstance(x, list):
            assert isinstance(y, list)
            if len(x) != len(y):
                return False
            pending.extend(zip(x, y))
        elif isinstance(x, dict):
            assert isinstance(y, dict)
            if list(x) != list(y):
                return False
            pending.extend((x[key], y[key]) for key in x)
        elif x != y:
            return False
    return True


@dataclass(frozen=True)
class Accepted:
    value: Any

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Accepted) and same_value(self.value, other.value)

    def __hash__(self) -> int:
        return 0


@dataclass(frozen=True)
class Rejected:
    kind: type
    message: str
    position: int


Outcome = Union[Accepted, Rejected]


def outcome(core: ModuleType, chunks: Iterable[bytes | str], **options: int) -> Outcome:
    """Feed ``chunks`` to a new ``JsonStream``, then finish: the value or the error raised.

    Only ``StreamDecodeError`` is caught: anything else fails the test that called this.
    """
    stream = core.JsonStream(**options)
    try:
        for chunk in chunks:
            stream.feed(chunk)
        value = stream.finish()
    except StreamDecodeError as error:
        return Rejected(type(error), error.message, error.position)
    return Accepted(value)
