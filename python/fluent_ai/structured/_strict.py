"""OpenAI's strict mode for a JSON Schema.

With ``strict: true`` OpenAI guarantees the schema, but accepts only schemas where every
object has ``additionalProperties: false`` and lists every property in ``required``. The rule
here (README, "Structured output"): a copy of the schema is made strict-compatible by adding
``additionalProperties: false`` to each object that sets nothing, making every property
required (an optional field of the class then comes as its value or ``null`` where the type
allows it; the class still validates what arrives), dropping ``default: null`` (redundant
once the property is required) and copying in the schema of a ``$ref`` that has siblings
(strict mode refuses those): what the openai SDK's ``to_strict_json_schema`` sends for a
pydantic model, checked against it in the tests. A schema that allows extra properties
(``additionalProperties: true`` or a schema, a ``dict[str, X]`` field), has
``patternProperties``, or whose described references lead back to themselves cannot be
strict: it is sent as given with ``strict: false``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["strict_schema"]

# Keywords whose values are schemas, or lists or maps of schemas.
_ONE = ("items", "not", "if", "then", "else", "contains", "additionalItems")
_MANY = ("anyOf", "oneOf", "allOf", "prefixItems")
_MAP = ("properties", "$defs", "definitions")


def strict_schema(schema: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """``(schema to send, strict)``: the strict-compatible copy and ``True``, or the schema as
    given and ``False`` when it cannot be strict."""
    result = _copy(schema)
    # Iterative: a schema is user data, and its depth must not be a recursion depth.
    pending: list[Any] = [result]
    unravelled = 0
    while pending:
        node = pending.pop()
        if not isinstance(node, dict):
            continue
        if "patternProperties" in node:
            return dict(schema), False
        all_of = node.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            # One allOf entry (pydantic's older way to describe a reference): merged in.
            del node["allOf"]
            node.update({**all_of[0], **node})
        ref = node.get("$ref")
        if isinstance(ref, str) and len(node) > 1:
            # Strict mode refuses a $ref with siblings (a described reference): the referenced
            # schema is copied in, the node's own keywords winning (as the openai SDK does).
            resolved = _resolve(result, ref)
            unravelled += 1
            if (
                not isinstance(resolved, Mapping)
                or unravelled > _MAX_UNRAVEL
                or _recursive(result, ref)
            ):
                return dict(schema), False  # a dangling or endlessly recursive reference
            # Copied before the node changes: the node may be inside what it refers to.
            referenced = _copy(resolved)
            del node["$ref"]
            node.update({**referenced, **node})
            pending.append(node)
            continue
        if "default" in node and node["default"] is None:
            del node["default"]
        if node.get("type") == "object" or "properties" in node:
            extra = node.get("additionalProperties", False)
            if extra is not False:
                return dict(schema), False
            node["additionalProperties"] = False
            node["required"] = list(node.get("properties") or {})
        for key in _ONE:
            if isinstance(node.get(key), dict):
                pending.append(node[key])
        for key in _MANY:
            if isinstance(node.get(key), list):
                pending.extend(node[key])
        for key in _MAP:
            if isinstance(node.get(key), dict):
                pending.extend(node[key].values())
    return result, True


_MAX_UNRAVEL = 256


def _resolve(root: Any, ref: str) -> Any:
    if not ref.startswith("#/"):
        return None
    node = root
    for token in ref[2:].split("/"):
        part = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _recursive(root: Any, ref: str) -> bool:
    """Whether the schema ``ref`` names leads back to itself through references that have
    siblings (the ones copied in): copying would never end. A plain ``$ref`` stays a
    reference, so a recursive class is fine."""
    seen: set[str] = set()
    targets = [ref]
    while targets:
        pending = [_resolve(root, targets.pop())]
        while pending:
            node = pending.pop()
            if isinstance(node, Mapping):
                inner = node.get("$ref")
                if isinstance(inner, str) and len(node) > 1:
                    if inner == ref:
                        return True
                    if inner not in seen:
                        seen.add(inner)
                        targets.append(inner)
                pending.extend(node.values())
            elif isinstance(node, list):
                pending.extend(node)
    return False


def _copy(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the dicts and lists of ``schema`` (iterative, for the same reason)."""
    root: dict[str, Any] = dict(schema)
    pending: list[Any] = [root]
    while pending:
        node = pending.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, Mapping):
                node[key] = dict(value)
            elif isinstance(value, (list, tuple)):
                node[key] = list(value)
            else:
                continue
            pending.append(node[key])
    return root
