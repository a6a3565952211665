"""Structured output: ``response_format=`` with a JSON Schema, a pydantic model class, a
dataclass or a ``TypedDict``; ``ChatResponse.parsed``; ``OutputPartial`` stream events.

See docs/structured-output.md and the README section "Structured output".
"""

from __future__ import annotations

from ._events import OutputPartial
from ._format import JSON_MODE_ONLY, OutputFormat, ResponseFormat, output_format
from ._output import OutputStream
from ._schema import schema_of
from ._strict import strict_schema

__all__ = [
    "JSON_MODE_ONLY",
    "OutputFormat",
    "OutputPartial",
    "OutputStream",
    "ResponseFormat",
    "output_format",
    "schema_of",
    "strict_schema",
]
