"""Structural pattern matching over ``Event`` (Python 3.10+): each case binds precisely typed
fields through ``__match_args__``, and the match is exhaustive, so a function that returns in
every case needs no fallback (the checkers would report a missing return otherwise)."""

from __future__ import annotations

from typing import Any

from fluent_ai import (
    Event,
    Finish,
    ProviderErrorEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallInvalid,
    ToolCallStart,
    Usage,
)
from fluent_ai.structured import OutputPartial


def describe(event: Event) -> str:
    match event:
        case TextDelta(text, index):
            return f"text[{index + 1}] {text.upper()}"
        case ReasoningDelta(text):
            return f"thinking {text.strip()}"
        case ToolCallStart(index, call_id, name):
            return f"call {index + 1} {call_id.lower()} {name.lower()}"
        case ToolCallDelta(index=index, fragment=fragment):
            return f"call {index + 1} += {fragment.strip()}"
        case ToolCallDone(index, call_id, name, arguments, raw):
            parsed: Any = arguments
            return f"call {index + 1} {call_id} {name}({raw.strip()}) -> {parsed!r}"
        case ToolCallInvalid(index, call_id, name, raw, error):
            return f"call {index + 1} {call_id} {name} invalid {raw.strip()}: {error.lower()}"
        case Usage(input_tokens, output_tokens):
            total = (input_tokens or 0) + (output_tokens or 0)
            return f"usage {total}"
        case Finish(reason, raw_reason):
            return f"finish {reason.upper()} ({raw_reason or '-'})"
        case ProviderErrorEvent(kind, message, raw):
            return f"error {kind or '?'}: {message.strip()} ({len(raw)} bytes)"
        case OutputPartial(value):
            so_far: Any = value
            return f"output so far {so_far!r}"
