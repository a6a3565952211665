"""The type and message of an error object sent inside a stream, shared by the dialects
whose errors carry a ``code`` (OpenAI Responses) or may be a bare string (Cohere)
(mirrors ``rust/dialect/error_fields.rs``)."""

from __future__ import annotations

from typing import Any

from ._frame import as_u64, str_of

__all__ = ["error_event", "error_fields"]


def _code_text(error: Any) -> str | None:
    """An error ``code`` as text: a string, or a non-negative integer in decimal. Other
    values (null, floats, objects) give None, so both backends agree on the text."""
    if type(error) is not dict:
        return None
    code = error.get("code")
    if type(code) is str:
        return code
    number = as_u64(code)
    return None if number is None else str(number)


def error_fields(error: Any) -> tuple[str | None, str]:
    """``(type, message)`` of an error payload: the ``type`` member, else its ``code``; the
    ``message`` member, or the payload itself when it is a bare string."""
    error_type = str_of(error, "type")
    if error_type is None:
        error_type = _code_text(error)
    message = str_of(error, "message")
    if message is None:
        message = error if type(error) is str else ""
    return error_type, message


def error_event(chunk: Any) -> tuple[str | None, str]:
    """``(type, message)`` of an error event: the error object (or text) under ``error``,
    else the event's own ``code`` and ``message`` (its ``type`` names the event, e.g.
    ``"error"``, so the error's type is the ``code``)."""
    error = chunk.get("error") if type(chunk) is dict else None
    if error is not None:
        return error_fields(error)
    return _code_text(chunk), str_of(chunk, "message") or ""
