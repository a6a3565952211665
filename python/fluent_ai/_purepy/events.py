"""The normalized stream events (mirrors ``rust/python/events.rs``).

Immutable, compared and hashed by value (a ``dict`` field makes an event unhashable, as
for a tuple), with a short ``repr`` (see ``fluent_ai._short_repr``), ``__match_args__`` in
field order and ``to_dict()``. The public constructors check their arguments
(``fluent_ai._event_fields``, shared with the native classes); the decoders build events with
the unchecked ``_of`` so the hot path does not pay for it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .._event_fields import check_event
from .._short_repr import short_repr

__all__ = [
    "Finish",
    "PartialToolCall",
    "ProviderErrorEvent",
    "ReasoningDelta",
    "TextDelta",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallInvalid",
    "ToolCallStart",
    "Usage",
]

_set = object.__setattr__
_new = object.__new__


class _Event:
    """Behaviour shared by every event class, driven by ``__match_args__``."""

    __slots__ = ()
    __match_args__: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__match_args__)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return short_repr(type(self).__name__, zip(self.__match_args__, self._values()))

    def to_dict(self) -> dict[str, Any]:
        """The fields by name, in ``__match_args__`` order: plain data (``json.dumps`` takes
        it; the arguments of a tool call are the event's own object, not a copy), and the
        keyword arguments that build the event again (``type(event)(**event.to_dict())``)."""
        return dict(zip(self.__match_args__, self._values()))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), self._values())


class TextDelta(_Event):
    """A piece of the answer's text; ``index`` is the choice (0 unless several were asked for)."""

    __slots__ = ("index", "text")
    __match_args__ = ("text", "index")
    text: str
    index: int

    def __init__(self, text: str, index: int = 0) -> None:
        check_event("TextDelta", self.__match_args__, (text, index))
        _set(self, "text", text)
        _set(self, "index", index)

    @classmethod
    def _of(cls, text: Any, index: Any) -> TextDelta:
        """Unchecked: for the decoders, whose values already hold the field types."""
        event = _new(cls)
        _set(event, "text", text)
        _set(event, "index", index)
        return event


class ReasoningDelta(_Event):
    """A piece of the model's reasoning (thinking) text."""

    __slots__ = ("text",)
    __match_args__ = ("text",)
    text: str

    def __init__(self, text: str) -> None:
        check_event("ReasoningDelta", self.__match_args__, (text,))
        _set(self, "text", text)

    @classmethod
    def _of(cls, text: Any) -> ReasoningDelta:
        """Unchecked: for the decoders, whose values already hold the field types."""
        event = _new(cls)
        _set(event, "text", text)
        return event


class ToolCallStart(_Event):
    """A tool call began."""

    __slots__ = ("id", "index", "name")
    __match_args__ = ("index", "id", "name")
    index: int
    id: str
    name: str

    def __init__(self, index: int, id: str, name: str) -> None:
        check_event("ToolCallStart", self.__match_args__, (index, id, name))
        _set(self, "index", index)
        _set(self, "id", id)
        _set(self, "name", name)

    @classmethod
    def _of(cls, index: Any, id: Any, name: Any) -> ToolCallStart:
        """Unchecked: for the decoders, whose values already hold the field types."""
        event = _new(cls)
        _set(event, "index", index)
        _set(event, "id", id)
        _set(event, "name", name)
        return event


class ToolCallDelta(_Event):
    """A piece of a tool call's argument text."""

    __slots__ = ("fragment", "index")
    __match_args__ = ("index", "fragment")
    index: int
    fragment: str

    def __init__(self, index: int, fragment: str) -> None:
        check_event("ToolCallDelta", self.__match_args__, (index, fragment))
        _set(self, "index", index)
        _set(self, "fragment", fragment)

    @classmethod
    def _of(cls, index: Any, fragment: Any) -> ToolCallDelta:
        """Unchecked: for the decoders, whose values already hold the field types."""
        event = _new(cls)
        _set(event, "index", index)
        _set(event, "fragment", fragment)
        return event


class ToolCallDone(_Event):
    """A tool call whose arguments closed: ``arguments`` is the parsed value, ``raw`` its text."""

    __slots__ = ("arguments", "id", "index", "name", "raw")
    __match_args__ = ("index", "id", "name", "arguments", "raw")
    index: int
    id: str
    name: str
    arguments: Any
    raw: str

    def __init__(self, index: int, id: str, name: str, arguments: Any, raw: str) -> None:
        check_event("ToolCallDone", self.__match_args__, (index, id, name, arguments, raw))
        _set(self, "index", index)
        _set(self, "id", id)
        _set(self, "name", name)
        _set(self, "arguments", arguments)
        _set(self, "raw", raw)

    @classmethod
    def _of(cls, index: Any, id: Any, name: Any, arguments: Any, raw: Any) -> ToolCallDone:
        """Unchecked: for the decoders, whose values already hold the field types."""
        event = _new(cls)
        _set(event, "index", index)
        _set(event, "id", id)
        _set(event, "name", name)
        _set(event, "arguments", arguments)
        _set(event, "raw", raw)
        return event


class ToolCallInvalid(_Event):
    """A tool call whose arguments are not valid JSON (the model's fault; the stream goes on)."""

    __slots__ = ("error", "id", "index", "name", "raw")
    __match_args__ = ("index", "id", "name", "raw", "error")
    index: int
    id: str
    name: str
    raw: str
    error: str

    def __init__(self, index: int, id: str, name: str, raw: str, error: str) -> None:
        check_event("ToolCallInvalid", self.__match_args__, (index, id, name, raw, error))
        _set(self, "index", index)
        _set(self, "id", id)
        _set(self, "name", name)
        _set(self, "raw", raw)
        _set(self, "error", error)

    @classmethod
    def _of(cls, index: Any, id: Any, name: Any, raw: Any, error: Any) -> ToolCallInvalid:
        """Unchecked: for the decoders, whose values already hold the field types."""
        event = _new(cls)
        _set(event, "index", index)
        _set(event, "id", id)
        _set(event, "name", name)
        _set(event, "raw", raw)
        _set(event, "error", error)
        return event


class Usage(_Event):
    """Token counts; a field the provider did not send is None."""

    __slots__ = (
        "cache_read_tokens",
        "cache_write_tokens",
        "input_tokens",
        "output_tokens",
        "reasoning_tokens",
        "total_tokens",
    )
    __match_args__ = (
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
    )
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    reasoning_tokens: int | None

    # Positional like the native class and __match_args__.
    def __init__(  # noqa: PLR0917
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        total_tokens: int | None = None,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> None:
        check_event(
            "Usage",
            self.__match_args__,
            (
                input_tokens,
                output_tokens,
                total_tokens,
                cache_read_tokens,
                cache_write_tokens,
                reasoning_tokens,
            ),
        )
        _set(self, "input_tokens", input_tokens)
        _set(self, "output_tokens", output_tokens)
        _set(self, "total_tokens", total_tokens)
        _set(self, "cache_read_tokens", cache_read_tokens)
        _set(self, "cache_write_tokens", cache_write_tokens)
        _set(self, "reasoning_tokens", reasoning_tokens)

    @classmethod
    def _of(  # noqa: PLR0917
        cls,
        input_tokens: Any,
        output_tokens: Any,
        total_tokens: Any,
        cache_read_tokens: Any,
        cache_write_tokens: Any,
        reasoning_tokens: Any,
    ) -> Usage:
        """Unchecked: for the decoders, whose values already hold the field types."""
        event = _new(cls)
        _set(event, "input_tokens", input_tokens)
        _set(event, "output_tokens", output_tokens)
        _set(event, "total_tokens", total_tokens)
        _set(event, "cache_read_tokens", cache_read_tokens)
        _set(event, "cache_write_tokens", cache_write_tokens)
        _set(event, "reasoning_tokens", reasoning_tokens)
        return event


class Finish(_Event):
    """The end of the response: ``reason`` normalized, ``raw_reason`` the provider's word."""

    __slots__ = ("raw_reason", "reason")
    __match_args__ = ("reason", "raw_reason")
    reason: str
    raw_reason: str | None

    def __init__(self, reason: str, raw_reason: str | None) -> None:
        check_event("Finish", self.__match_args__, (reason, raw_reason))
        _set(self, "reason", reason)
        _set(self, "raw_reason", raw_reason)

    @classmethod
    def _of(cls, reason: Any, raw_reason: Any) -> Finish:
        """Unchecked: for the decoders, whose values already hold the field types."""
        event = _new(cls)
        _set(event, "reason", reason)
        _set(event, "raw_reason", raw_reason)
        return event


class ProviderErrorEvent(_Event):
    """An error the provider sent inside the stream; ``raw`` is the payload as received."""

    __slots__ = ("message", "raw", "type")
    __match_args__ = ("type", "message", "raw")
    type: str | None
    message: str
    raw: str

    def __init__(self, type: str | None, message: str, raw: str) -> None:
        check_event("ProviderErrorEvent", self.__match_args__, (type, message, raw))
        _set(self, "type", type)
        _set(self, "message", message)
        _set(self, "raw", raw)

    @classmethod
    def _of(cls, type: Any, message: Any, raw: Any) -> ProviderErrorEvent:
        """Unchecked: for the decoders, whose values already hold the field types."""
        event = _new(cls)
        _set(event, "type", type)
        _set(event, "message", message)
        _set(event, "raw", raw)
        return event


class PartialToolCall(_Event):
    """A tool call that had not finished when its stream broke off."""

    __slots__ = ("id", "index", "name", "partial", "raw")
    __match_args__ = ("index", "id", "name", "raw", "partial")
    index: int
    id: str
    name: str
    raw: str
    partial: Any

    def __init__(self, index: int, id: str, name: str, raw: str, partial: Any) -> None:
        check_event("PartialToolCall", self.__match_args__, (index, id, name, raw, partial))
        _set(self, "index", index)
        _set(self, "id", id)
        _set(self, "name", name)
        _set(self, "raw", raw)
        _set(self, "partial", partial)

    @classmethod
    def _of(cls, index: Any, id: Any, name: Any, raw: Any, partial: Any) -> PartialToolCall:
        """Unchecked: for the decoders, whose values already hold the field types."""
        event = _new(cls)
        _set(event, "index", index)
        _set(event, "id", id)
        _set(event, "name", name)
        _set(event, "raw", raw)
        _set(event, "partial", partial)
        return event
