"""The field rules of the public event classes (``TextDelta(...)`` and the rest), one
definition for both backends: the pure classes call :func:`check_event` from ``__init__``,
the native ``#[new]`` calls it too, so the class of error and its message are the same.

The decoders build their events without this check (the native core in Rust, the pure
decoders through each class's unchecked ``_of``): what they make already holds these types.
"""

from __future__ import annotations

from ._validation import fail_type, fail_value

__all__ = ["check_event", "token_count"]

_INDEX = "index"  # an int >= 0, not bool
_TEXT = "text"  # a str (may be empty)
_OPTIONAL_TEXT = "optional text"  # a str or None
_COUNT = "count"  # an int >= 0 (not bool) or None
_ANY = "any"  # a JSON value (arguments, partial): not checked

_FIELDS: dict[str, tuple[str, ...]] = {
    "TextDelta": (_TEXT, _INDEX),
    "ReasoningDelta": (_TEXT,),
    "ToolCallStart": (_INDEX, _TEXT, _TEXT),
    "ToolCallDelta": (_INDEX, _TEXT),
    "ToolCallDone": (_INDEX, _TEXT, _TEXT, _ANY, _TEXT),
    "ToolCallInvalid": (_INDEX, _TEXT, _TEXT, _TEXT, _TEXT),
    "Usage": (_COUNT,) * 6,
    "Finish": (_TEXT, _OPTIONAL_TEXT),
    "ProviderErrorEvent": (_OPTIONAL_TEXT, _TEXT, _TEXT),
    "PartialToolCall": (_INDEX, _TEXT, _TEXT, _TEXT, _ANY),
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_event(class_name: str, names: tuple[str, ...], values: tuple[object, ...]) -> None:
    """Raise ``ArgumentTypeError`` / ``InvalidArgumentError`` naming the first field of
    ``class_name`` (fields ``names``, in ``__match_args__`` order) whose value breaks its rule."""
    for kind, name, value in zip(_FIELDS[class_name], names, values):
        if kind == _TEXT:
            if not isinstance(value, str):
                fail_type(name, "a str", value)
        elif kind == _OPTIONAL_TEXT:
            if value is not None and not isinstance(value, str):
                fail_type(name, "a str or None", value)
        elif kind == _INDEX:
            if not _is_int(value):
                fail_type(name, "an int >= 0", value)
            if value < 0:  # type: ignore[operator]
                fail_value(name, "an int >= 0", value)
        elif kind == _COUNT and value is not None:
            if not _is_int(value):
                fail_type(name, "an int >= 0 or None", value)
            if value < 0:  # type: ignore[operator]
                fail_value(name, "an int >= 0 or None", value)


def token_count(value: object) -> int | None:
    """A count a provider's JSON sent, as ``Usage`` takes it: an int >= 0, else None (a
    server's ``true`` or ``-1`` is no count, not an error of the caller's)."""
    return value if _is_int(value) and value >= 0 else None  # type: ignore[operator,return-value]
