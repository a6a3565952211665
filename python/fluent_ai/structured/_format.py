"""What ``response_format=`` asked for: the form sent to the provider and how the answer's
text becomes ``ChatResponse.parsed``.

Every form becomes OpenAI's, which each adapter then translates for its provider
(``providers/*.py``): ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``
for a schema or a class, ``{"type": "json_object"}`` and ``{"type": "text"}`` as given.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Mapping
from typing import Any, Union

from .._validation import fail_type
from ..errors import InvalidArgumentError, StructuredOutputError
from ._schema import is_typed_dict, schema_of
from ._strict import strict_schema
from ._validate import build, problems

__all__ = ["JSON_MODE_ONLY", "OutputFormat", "ResponseFormat", "output_format"]

#: OpenAI-compatible providers documented to take JSON mode (``{"type": "json_object"}``) but
#: no schema: a schema or a class there is ``UnsupportedParameterError``, not a silent drop.
JSON_MODE_ONLY = {
    "deepseek": "DeepSeek's JSON Output takes only {'type': 'json_object'} (api-docs.deepseek.com)",
}

#: What ``response_format=`` takes: a JSON Schema dict, OpenAI's own ``{"type": ...}`` forms,
#: a pydantic model class, a dataclass or a ``TypedDict``.
ResponseFormat = Union[Mapping[str, Any], type]

# A dict without "type" is a schema when it has one of these (an empty dict is no schema).
_SCHEMA_KEYWORDS = ("properties", "anyOf", "oneOf", "allOf", "$ref", "enum", "const")
_SCHEMA_TYPE = (
    "'json_object', 'json_schema', 'text', or a JSON Schema type ('object', ...; or a list)"
)
_NAME_CHARACTER = re.compile(r"[^a-zA-Z0-9_-]")
_EXPECTED = (
    "a JSON Schema dict, {'type': 'json_object'} or {'type': 'json_schema', ...}, a pydantic "
    "model class, a dataclass or a TypedDict"
)


@dataclasses.dataclass(frozen=True)
class OutputFormat:
    """One call's structured output: ``wire`` (OpenAI's form, for the adapter), ``schema``
    (to validate against; ``None`` for JSON mode: any JSON value), ``target`` (the class to
    build, ``None`` for a dict schema)."""

    wire: dict[str, Any]
    schema: Any = None
    target: Any = None
    pydantic: bool = False

    def validate(self, value: Any, text: str) -> Any:
        """``value`` (the decoded output) validated and built as the target; raises
        ``StructuredOutputError`` with every problem found."""
        if self.pydantic:
            from pydantic import ValidationError  # noqa: PLC0415  (an optional dependency)

            try:
                return self.target.model_validate(value)
            except ValidationError as error:
                found = [
                    f"$.{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
                    for problem in error.errors(include_url=False)
                ]
                raise _invalid(text, found) from None
        if self.schema is not None:
            found = problems(value, self.schema)
            if found:
                raise _invalid(text, found)
        return value if self.target is None else build(self.target, value)


def _invalid(text: str, found: list[str]) -> StructuredOutputError:
    shown = "; ".join(found[:5]) + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
    return StructuredOutputError(
        f"the structured output does not match its schema: {shown}", text=text, errors=found
    )


def output_format(response_format: object) -> OutputFormat | None:
    """The ``OutputFormat`` of ``response_format`` (``None`` for none, or for text).
    Anything else raises ``ArgumentTypeError`` naming the argument."""
    if response_format is None:
        return None
    if isinstance(response_format, Mapping):
        return _of_mapping(response_format)
    if isinstance(response_format, type):
        if _is_pydantic_model(response_format):
            try:
                schema = response_format.model_json_schema()  # type: ignore[attr-defined]
            except Exception as error:  # a field type pydantic has no JSON Schema for
                raise InvalidArgumentError(
                    f"response_format ({response_format.__name__}) has no JSON Schema: "
                    f"{type(error).__name__}: {str(error)[:300]}",
                    argument="response_format",
                    expected="a pydantic model with a JSON Schema",
                ) from None
            return _of_schema(
                schema, response_format.__name__, target=response_format, pydantic=True
            )
        if dataclasses.is_dataclass(response_format) or is_typed_dict(response_format):
            schema = schema_of(response_format)
            return _of_schema(schema, response_format.__name__, target=response_format)
    fail_type("response_format", _EXPECTED, response_format)


def _of_mapping(form: Mapping[str, Any]) -> OutputFormat | None:
    for key in form:
        if not isinstance(key, str):
            fail_type("a key of response_format", "a str", key)
    kind = form.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return OutputFormat(dict(form))
    if kind == "json_schema":
        spec = form.get("json_schema")
        if spec is not None and (
            not isinstance(spec, Mapping) or not isinstance(spec.get("schema", {}), Mapping)
        ):
            fail_type("response_format['json_schema']", "a dict with a 'schema' dict", spec)
        # OpenAI's own form goes out as given (its strictness is the caller's choice).
        return OutputFormat(dict(form), schema=None if spec is None else spec.get("schema"))
    if kind is None and not any(keyword in form for keyword in _SCHEMA_KEYWORDS):
        fail_type("response_format['type']", _SCHEMA_TYPE, kind)
    if kind is not None and not (
        isinstance(kind, str)
        or (isinstance(kind, list) and kind and all(isinstance(k, str) for k in kind))
    ):
        fail_type("response_format['type']", _SCHEMA_TYPE, kind)
    return _of_schema(form, form.get("title"))


def _of_schema(
    schema: Mapping[str, Any], title: object, *, target: Any = None, pydantic: bool = False
) -> OutputFormat:
    sent, strict = strict_schema(schema)
    spec: dict[str, Any] = {"name": _name(title), "schema": sent, "strict": strict}
    return OutputFormat(
        {"type": "json_schema", "json_schema": spec},
        schema=dict(schema),
        target=target,
        pydantic=pydantic,
    )


def _name(title: object) -> str:
    """OpenAI's ``json_schema.name``: ``[a-zA-Z0-9_-]{1,64}``, from the title or class name."""
    name = _NAME_CHARACTER.sub("_", title)[:64] if isinstance(title, str) else ""
    return name or "response"


def _is_pydantic_model(cls: type) -> bool:
    # Only a pydantic that is already imported can have made the class: never imported here.
    pydantic = sys.modules.get("pydantic")
    base = getattr(pydantic, "BaseModel", None)
    return base is not None and issubclass(cls, base)
