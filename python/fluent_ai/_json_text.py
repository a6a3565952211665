"""JSON and Python values without recursion by the input's depth.

``loads_bounded(text)`` is ``json.loads`` for text from outside (a response body, arguments a
model wrote) that refuses, as a ``ValueError``, nesting deeper than ``MAX_LOADS_DEPTH``
before ``json.loads`` would recurse that deep in C.

``compact_json(value)`` is ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``,
text and errors alike, for a value of any depth and on any thread stack: ``json.dumps``
recurses in C once per nesting level, so it is only called on values at most
``_DUMPS_DEPTH`` deep (checked without recursion); deeper values are written by a loop with
its own stack. Both backends' ``ToolCallAssembler`` use it, so they report the same ``raw``
text, and the same depth error from their parser.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from itertools import accumulate
from json.encoder import encode_basestring
from typing import Any

from ._validation import argument_error

__all__ = [
    "MAX_LOADS_DEPTH",
    "arguments_json",
    "compact_json",
    "compact_json_of_frame_value",
    "loads_bounded",
    "nesting_bound",
]

# json.loads recurses in C once per nesting level (a few hundred bytes of stack each): this
# many levels fit any thread stack Python runs on (256 KiB on musl), whatever the
# interpreter's recursion limit allows.
MAX_LOADS_DEPTH = 512

# A string, or an unterminated one up to the end (so that every match attempt succeeds and
# the scan stays linear). Brackets inside strings are not structure.
_STRING = re.compile(rb'"(?:[^"\\]+|\\.)*"?', re.DOTALL)
_BRACKETS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[{]}")


def nesting_bound(data: bytes | bytearray, enough: int) -> int:
    """A bound of the depth to which a JSON parser reading ``data`` nests before it ends or
    fails: the number of opening brackets when that is at most ``enough``, else the depth of
    the brackets outside strings (exact for valid JSON). Linear in the length."""
    opening = data.count(b"[") + data.count(b"{")
    if opening <= enough:
        return opening
    steps = _STRING.sub(b"", data).translate(_BRACKETS, _NOT_BRACKETS)
    return max(accumulate(steps, lambda depth, step: depth + step - 1, initial=0))


def loads_bounded(text: str | bytes | bytearray) -> Any:
    """``json.loads(text)``, raising ``ValueError`` for nesting deeper than
    ``MAX_LOADS_DEPTH`` (instead of recursing that deep)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if nesting_bound(data, MAX_LOADS_DEPTH) > MAX_LOADS_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_LOADS_DEPTH} levels")
    return json.loads(text)


# json.dumps recurses in C as json.loads does (see MAX_LOADS_DEPTH).
_DUMPS_DEPTH = 256
_CONTAINERS = (list, tuple, dict)


def compact_json(value: object) -> str:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, without recursion."""
    if _nests_at_most(value, _DUMPS_DEPTH):
        try:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        except RecursionError:
            pass  # The caller's own frames used most of the limit.
    return _dumps_iteratively(value)


def arguments_json(value: object) -> str:
    """``compact_json`` of the whole arguments a caller gives ``ToolCallAssembler.add()``
    (both backends): a value ``json.dumps`` cannot write (an object of another type, a key
    that is not a str, int, float, bool or None, a circular reference) raises
    ``ArgumentTypeError`` naming ``arguments``, not ``json``'s own ``TypeError``."""
    try:
        return compact_json(value)
    except (TypeError, ValueError) as problem:
        message = f"arguments must hold only JSON values: {problem}"
        raise argument_error(message, "arguments", "JSON values", wrong_type=True) from None


def compact_json_of_frame_value(value: object) -> str:
    """``compact_json`` for a value parsed from a stream frame, which nests at most 512 levels
    (the frame limit): ``json.dumps`` is safe on any stack that deep, so the check is spared."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except RecursionError:
        return _dumps_iteratively(value)  # The caller's own frames used most of the limit.


def _nests_at_most(value: object, limit: int) -> bool:
    """Whether ``value`` has at most ``limit`` containers along every path (a cycle has not)."""
    if not isinstance(value, _CONTAINERS):
        return True
    open_members = [iter(value.values() if isinstance(value, dict) else value)]
    while open_members:
        for item in open_members[-1]:
            if isinstance(item, _CONTAINERS):
                if len(open_members) >= limit:
                    return False
                open_members.append(iter(item.values() if isinstance(item, dict) else item))
                break
        else:
            open_members.pop()
    return True


def _float(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if number == float("inf"):
        return "Infinity"
    if number == -float("inf"):
        return "-Infinity"
    return float.__repr__(number)


def _scalar(value: object) -> str | None:
    """The text of a scalar as ``json.dumps`` writes it; ``None`` for a container."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, _CONTAINERS):
        return None
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _key(key: object) -> str:
    """A dict key as ``json.dumps`` turns it into a string."""
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _float(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _dumps_iteratively(value: object) -> str:
    """``json.dumps``' compact text, written with a stack of open containers on the heap."""
    parts: list[str] = []
    # Each open container: its members, whether it is a dict, whether none was written yet.
    open_containers: list[tuple[Iterator[Any], bool, list[bool]]] = []
    markers: list[int] = []  # ids of the open containers, to refuse a cycle
    marked: set[int] = set()
    pending: Any = value
    has_pending = True
    while True:
        if has_pending:
            has_pending = False
            text = _scalar(pending)
            if text is not None:
                parts.append(text)
            else:
                ident = id(pending)
                if ident in marked:
                    raise ValueError("Circular reference detected")
                marked.add(ident)
                markers.append(ident)
                if isinstance(pending, dict):
                    parts.append("{")
                    open_containers.append((iter(pending.items()), True, [True]))
                else:
                    parts.append("[")
                    open_containers.append((iter(pending), False, [True]))
        if not open_containers:
            return "".join(parts)
        members, is_dict, first = open_containers[-1]
        for member in members:
            if first[0]:
                first[0] = False
            else:
                parts.append(",")
            if is_dict:
                key, pending = member
                parts.append(encode_basestring(_key(key)))
                parts.append(":")
            else:
                pending = member
            has_pending = True
            break
        else:
            parts.append("}" if is_dict else "]")
            open_containers.pop()
            marked.discard(markers.pop())
