"""The JSON Schema of a dataclass or a ``TypedDict``, derived with the ``typing`` module.

Supported annotations: ``str``, ``int``, ``float``, ``bool``, ``None``, ``Any``, ``list[X]``
(and ``Sequence``, ``set``, ``tuple[X, ...]``), ``dict[str, X]``, ``Optional``/``Union``/``|``,
``Literal``, ``Enum`` subclasses, ``Annotated[X, ...]`` (the metadata is ignored), and nested
dataclasses and ``TypedDict`` classes (as ``$defs``, so recursive ones work). Anything else
raises ``InvalidArgumentError`` naming the field: a schema that guessed would let the model
produce what the class cannot hold.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import sys
import types
import typing
from typing import Any, Union

from .._validation import fail_value
from ..errors import InvalidArgumentError

__all__ = ["is_typed_dict", "schema_of", "type_hints"]

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
}
_LISTS = (
    list,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Set,
    collections.abc.Iterable,
)
_DICTS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_UNION_TYPES: tuple[Any, ...] = (Union,)
if sys.version_info >= (3, 10):
    _UNION_TYPES += (types.UnionType,)


def is_typed_dict(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, dict) and hasattr(value, "__total__")


def type_hints(cls: type) -> dict[str, Any]:
    """The field annotations of ``cls``, resolved (``Annotated`` kept for the caller to
    unwrap)."""
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except Exception as error:  # a name that does not resolve, a string that is not a type
        raise InvalidArgumentError(
            f"response_format ({cls.__name__}): its annotations do not resolve "
            f"(module-level names only): {type(error).__name__}: {str(error)[:300]}",
            argument="response_format",
            expected="a class whose annotations resolve",
        ) from None


def schema_of(cls: type) -> dict[str, Any]:
    """The JSON Schema of the dataclass or ``TypedDict`` ``cls``: the root object inline,
    nested classes under ``$defs``."""
    builder = _Builder()
    root = builder.object_schema(cls)
    if builder.defs:
        root["$defs"] = builder.defs
    return root


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self._names: dict[type, str] = {}

    def object_schema(self, cls: type) -> dict[str, Any]:
        hints = type_hints(cls)
        if dataclasses.is_dataclass(cls):
            fields = [f for f in dataclasses.fields(cls) if f.init]
            names = [f.name for f in fields]
            required = [
                f.name
                for f in fields
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            ]
        else:
            names = list(hints)
            required = [name for name in names if name in cls.__required_keys__]  # type: ignore[attr-defined]
        properties = {name: self.schema(hints[name], f"{cls.__name__}.{name}") for name in names}
        schema: dict[str, Any] = {
            "type": "object",
            "title": cls.__name__,
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
        doc = _own_doc(cls)
        if doc:
            schema["description"] = doc
        return schema

    def schema(self, hint: Any, where: str) -> dict[str, Any]:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin is typing.Annotated:
            return self.schema(args[0], where)
        if hint is Any or hint is object:
            return {}
        if hint in _SCALARS:
            return dict(_SCALARS[hint])
        if hint is None:
            return {"type": "null"}
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return _enum([member.value for member in hint], where)
        if origin is typing.Literal:
            return _enum(list(args), where)
        if origin in _UNION_TYPES:
            return {"anyOf": [self.schema(arg, where) for arg in args]}
        if origin in _LISTS or hint in _LISTS:
            items = self.schema(args[0], where) if args else {}
            return {"type": "array", "items": items}
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.schema(args[0], where)}
            return {
                "type": "array",
                "prefixItems": [self.schema(arg, where) for arg in args],
                "minItems": len(args),
                "maxItems": len(args),
            }
        if origin in _DICTS or hint in _DICTS:
            if args and args[0] is not str:
                fail_value(f"response_format ({where})", "a dict with str keys", hint)
            values = self.schema(args[1], where) if args else {}
            return {"type": "object", "additionalProperties": values}
        if isinstance(hint, type) and (dataclasses.is_dataclass(hint) or is_typed_dict(hint)):
            return {"$ref": "#/$defs/" + self._define(hint)}
        fail_value(
            f"response_format ({where})",
            "a type with a JSON Schema (str, int, float, bool, None, list, dict, Union, "
            "Literal, Enum, a dataclass or a TypedDict)",
            hint,
        )

    def _define(self, cls: type) -> str:
        name = self._names.get(cls)
        if name is None:
            name = cls.__name__
            taken = set(self._names.values())
            suffix = 2
            while name in taken:
                name, suffix = f"{cls.__name__}{suffix}", suffix + 1
            self._names[cls] = name
            self.defs[name] = {}  # reserved first: a recursive class refers to itself
            self.defs[name] = self.object_schema(cls)
        return name


def _enum(values: list[Any], where: str) -> dict[str, Any]:
    kinds = set()
    for value in values:
        kind = _SCALARS.get(type(value))
        if kind is None:
            fail_value(f"response_format ({where})", "Literal/Enum values of JSON types", value)
        kinds.add(kind["type"])
    schema: dict[str, Any] = {"enum": values}
    if len(kinds) == 1:
        schema["type"] = kinds.pop()
    return schema


def _own_doc(cls: type) -> str | None:
    doc = cls.__dict__.get("__doc__")
    # A dataclass without a docstring gets a generated signature; a TypedDict gets none.
    if not doc or (dataclasses.is_dataclass(cls) and doc.startswith(cls.__name__ + "(")):
        return None
    return " ".join(doc.split())
