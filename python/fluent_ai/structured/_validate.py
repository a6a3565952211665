"""Checks a decoded JSON value against a JSON Schema, and builds dataclass instances.

The validator knows the keywords the structured-output schemas of the providers use: ``type``
(one or a list), ``enum``, ``const``, ``properties``, ``required``, ``additionalProperties``,
``items``, ``prefixItems``, ``minItems``/``maxItems``, ``minLength``/``maxLength``,
``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum``, ``pattern``, ``anyOf``,
``oneOf``, ``allOf`` and local ``$ref`` (``#/...``). Other keywords (``format``,
``description``, ...) constrain nothing here. Every problem is reported, with its JSON path.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
from collections.abc import Mapping
from typing import Any

from ._schema import _UNION_TYPES, is_typed_dict, type_hints

__all__ = ["build", "problems"]

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _is(kind: str, value: Any) -> bool:
    if kind == "integer":
        return type(value) is int or (type(value) is float and value.is_integer())
    if kind == "number":
        return type(value) in (int, float)
    expected = _TYPES.get(kind)
    return expected is not None and type(value) is expected


def problems(value: Any, schema: Any, root: Any = None, path: str = "$") -> list[str]:
    """What is wrong with ``value`` under ``schema`` (empty when it is valid)."""
    found: list[str] = []
    _check(value, schema, root if root is not None else schema, path, found, 0)
    return found


def _check(  # noqa: PLR0917  (one walk's state)
    value: Any, schema: Any, root: Any, path: str, found: list[str], refs: int
) -> None:
    if schema is True or not isinstance(schema, Mapping):
        return
    if schema is False:
        found.append(f"{path}: no value is allowed here")
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if refs > 64:  # a cycle of references with no value between them
            found.append(f"{path}: $ref {ref!r} refers to itself")
            return
        _check(value, _resolve(root, ref), root, path, found, refs + 1)
    kinds = schema.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_is(kind, value) for kind in names):
            found.append(f"{path}: expected {' or '.join(names)}, got {_name(value)}")
            return
    if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
        found.append(f"{path}: {_short(value)} is not one of {schema['enum']!r}")
    if "const" in schema and not _same(value, schema["const"]):
        found.append(f"{path}: expected {schema['const']!r}, got {_short(value)}")
    for keyword in ("anyOf", "oneOf"):
        options = schema.get(keyword)
        if options:
            matching = sum(not problems(value, option, root, path) for option in options)
            if matching == 0 or (keyword == "oneOf" and matching > 1):
                text = "none" if matching == 0 else f"{matching}"
                found.append(f"{path}: {text} of the {keyword} alternatives match")
    for option in schema.get("allOf") or ():
        _check(value, option, root, path, found, refs)
    if isinstance(value, dict):
        _object(value, schema, root, path, found, refs)
    elif isinstance(value, list):
        _array(value, schema, root, path, found, refs)
    elif isinstance(value, str):
        _string(value, schema, path, found)
    elif type(value) in (int, float):
        _number(value, schema, path, found)


def _object(  # noqa: PLR0917  (one walk's state)
    value: dict[str, Any], schema: Any, root: Any, path: str, found: list[str], refs: int
) -> None:
    properties = schema.get("properties") or {}
    for name in schema.get("required") or ():
        if name not in value:
            found.append(f"{path}: the required property {name!r} is missing")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        where = f"{path}.{name}" if name.isidentifier() else f"{path}[{name!r}]"
        if name in properties:
            _check(item, properties[name], root, where, found, refs)
        elif extra is False:
            found.append(f"{path}: the property {name!r} is not allowed")
        elif isinstance(extra, Mapping):
            _check(item, extra, root, where, found, refs)


def _array(  # noqa: PLR0917  (one walk's state)
    value: list[Any], schema: Any, root: Any, path: str, found: list[str], refs: int
) -> None:
    prefix = schema.get("prefixItems") or []
    for position, item in enumerate(value):
        if position < len(prefix):
            _check(item, prefix[position], root, f"{path}[{position}]", found, refs)
        elif "items" in schema:
            _check(item, schema["items"], root, f"{path}[{position}]", found, refs)
    low, high = schema.get("minItems"), schema.get("maxItems")
    if low is not None and len(value) < low:
        found.append(f"{path}: {len(value)} items, fewer than minItems {low}")
    if high is not None and len(value) > high:
        found.append(f"{path}: {len(value)} items, more than maxItems {high}")


def _string(value: str, schema: Any, path: str, found: list[str]) -> None:
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None and len(value) < low:
        found.append(f"{path}: shorter than minLength {low}")
    if high is not None and len(value) > high:
        found.append(f"{path}: longer than maxLength {high}")
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and re.search(pattern, value) is None:
        found.append(f"{path}: {_short(value)} does not match {pattern!r}")


def _number(value: float, schema: Any, path: str, found: list[str]) -> None:
    for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = schema.get(keyword)
        if type(bound) not in (int, float):
            continue
        broken = {
            "minimum": value < bound,
            "maximum": value > bound,
            "exclusiveMinimum": value <= bound,
            "exclusiveMaximum": value >= bound,
        }[keyword]
        if broken:
            found.append(f"{path}: {value!r} breaks {keyword} {bound!r}")


def _resolve(root: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        return True  # a remote schema: nothing fetched, nothing checked
    node = root
    for token in ref[1:].split("/")[1:] if ref != "#" else []:
        part = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return True
    return node


def _same(value: Any, option: Any) -> bool:
    # JSON equality: 1 and true differ, 1 and 1.0 do not.
    if isinstance(value, bool) or isinstance(option, bool):
        return type(value) is type(option) and value == option
    return bool(value == option)


def _name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}.get(
        type(value), "object"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# Building -----------------------------------------------------------------------------------


def build(hint: Any, value: Any) -> Any:
    """``value`` (valid JSON for ``hint``'s schema) as ``hint``: dataclasses are instantiated,
    Enum members looked up, tuples and sets made; dicts stay dicts (``TypedDict``)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return build(args[0], value)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            hints = type_hints(hint)
            return hint(**{name: build(hints.get(name, Any), item) for name, item in value.items()})
        if is_typed_dict(hint) and isinstance(value, dict):
            hints = type_hints(hint)
            return {name: build(hints.get(name, Any), item) for name, item in value.items()}
        if issubclass(hint, enum.Enum):
            return hint(value)
        if hint is float and type(value) is int:
            return float(value)
        if hint is int and type(value) is float:
            return int(value)
    if origin in _UNION_TYPES:
        for arg in args:
            if _fits(arg, value):
                return build(arg, value)
        return value
    if isinstance(value, list) and args:
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(build(args[0], item) for item in value)
            return tuple(build(arg, item) for arg, item in zip(args, value))
        items = [build(args[0], item) for item in value]
        return set(items) if origin in (set, frozenset) else items
    if isinstance(value, dict) and len(args) == 2:
        return {name: build(args[1], item) for name, item in value.items()}
    return value


def _fits(hint: Any, value: Any) -> bool:
    """Whether ``value`` is the JSON shape of ``hint`` (to pick a ``Union`` member)."""
    origin = typing.get_origin(hint) or hint
    if origin is typing.Annotated:
        return _fits(typing.get_args(hint)[0], value)
    if hint is Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    if origin is typing.Literal:
        return any(_same(value, option) for option in typing.get_args(hint))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return any(_same(value, member.value) for member in hint)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return _is("integer", value)
    if hint is float:
        return _is("number", value)
    if hint is str:
        return isinstance(value, str)
    if isinstance(hint, type) and (dataclasses.is_dataclass(hint) or is_typed_dict(hint)):
        return isinstance(value, dict) and not problems(value, _schema_cache(hint))
    if origin in _UNION_TYPES:
        return any(_fits(arg, value) for arg in typing.get_args(hint))
    if isinstance(origin, type) and issubclass(origin, (list, tuple, set, frozenset)):
        return isinstance(value, list)
    return (
        isinstance(value, dict) if isinstance(origin, type) and issubclass(origin, dict) else True
    )


def _schema_cache(cls: type) -> dict[str, Any]:
    from ._schema import schema_of  # noqa: PLC0415

    return schema_of(cls)
