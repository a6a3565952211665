"""``OutputPartial``: the structured output so far, as a stream event."""

from __future__ import annotations

from typing import Any, final

from .._short_repr import short_repr

__all__ = ["OutputPartial"]


@final
class OutputPartial:
    """The structured output as it stands after the text read so far: the value the JSON text
    would be if it were closed here (``JsonStream.partial()``). Each one is a prefix of the
    next and of the final value: strings and lists only grow, objects only gain members,
    numbers and ``true``/``false``/``null`` appear only once complete. ``value`` is plain JSON
    data (dicts, lists, str, int, float, bool, None), not yet validated: the validated object
    is ``stream.response.parsed`` at the end."""

    __slots__ = ("_value",)
    __match_args__ = ("value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    @property
    def value(self) -> Any:
        return self._value

    def to_dict(self) -> dict[str, Any]:
        """The fields by name: ``OutputPartial(**event.to_dict())`` is the event again."""
        return {"value": self._value}

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return OutputPartial, (self._value,)

    def __eq__(self, other: object) -> bool:
        if type(other) is not OutputPartial:
            return NotImplemented
        return bool(self._value == other._value)

    __hash__ = None  # type: ignore[assignment]  # the value is a dict or a list: mutable

    def __repr__(self) -> str:
        return short_repr("OutputPartial", [("value", self._value)])
