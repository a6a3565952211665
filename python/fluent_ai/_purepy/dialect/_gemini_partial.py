"""Vertex AI's streamed function-call arguments (``streamFunctionCallArguments``): a call
comes as a ``functionCall`` part with its ``name`` and ``willContinue: true``, then parts
whose ``partialArgs`` each set one value at a JSON path (RFC 9535, e.g. ``$.a.b[0]``), and
ends with an empty ``functionCall: {}`` (or a part whose ``willContinue`` is not true). A
string value whose ``willContinue`` is true goes on in the next entry for the same path
(mirrors ``rust/dialect/gemini_partial.rs``)."""

from __future__ import annotations

from typing import Any, Union

from ...errors import JsonStreamError, LimitExceeded
from ..toolcall import compact_json
from ._frame import str_of

__all__ = ["MAX_PATH_DEPTH", "MAX_PATH_INDEX", "PartialArguments"]

# Deepest JSON path accepted (segments after ``$``), and the largest array index.
MAX_PATH_DEPTH = 64
MAX_PATH_INDEX = 65_535

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_NO_VALUE = object()

Segment = Union[str, int]


class PartialArguments:
    """The arguments of one streamed call."""

    __slots__ = ("_any", "_continuing", "_root")

    def __init__(self) -> None:
        self._root: dict[str, Any] = {}
        self._continuing: list[str] = []
        self._any = False

    def apply(self, entry: Any, start: int) -> None:
        """Apply one ``partialArgs`` entry; ``start`` is the frame's offset (for errors)."""
        path_text = str_of(entry, "jsonPath")
        if path_text is None:
            raise _path_error("a partialArgs entry has no jsonPath", start)
        path = _parse_path(path_text, start)
        self._any = True
        continues = entry.get("willContinue") is True
        was_continuing = path_text in self._continuing
        value = _entry_value(entry)
        if value is not _NO_VALUE:
            container, last = self._slot(path)
            existing = container[last] if _has(container, last) else None
            if was_continuing and type(existing) is str and type(value) is str:
                container[last] = existing + value
            else:
                container[last] = value
        self._continuing = [p for p in self._continuing if p != path_text]
        if continues:
            self._continuing.append(path_text)

    def text(self) -> str | None:
        """The compact JSON text of the arguments, or None when no entry came."""
        return compact_json(self._root) if self._any else None

    def open_text(self) -> str | None:
        """The text of the arguments received so far without the closing brace of the
        object, for a call cut off (an error or the end of input before its closing part):
        its assembler reports it as unfinished JSON, with the value received so far."""
        text = self.text()
        return None if text is None else text[:-1]

    def _slot(self, path: list[Segment]) -> tuple[Any, Segment]:
        """The container holding the last segment of ``path``, created (and containers on
        the way replaced when of the wrong kind) as needed."""
        node: Any = self._root
        for depth, segment in enumerate(path[:-1]):
            wanted: type = list if type(path[depth + 1]) is int else dict
            child = node[segment] if _has(node, segment) else None
            if type(child) is not wanted:
                child = wanted()
                _put(node, segment, child)
            node = child
        last = path[-1]
        if not _has(node, last):
            _put(node, last, None)
        return node, last


def _has(node: Any, segment: Segment) -> bool:
    if type(node) is dict:
        return segment in node
    return type(segment) is int and segment < len(node)


def _put(node: Any, segment: Segment, value: Any) -> None:
    if type(node) is list:
        assert type(segment) is int  # containers are made for the segment after them
        if len(node) <= segment:
            node.extend([None] * (segment + 1 - len(node)))
    node[segment] = value


def _entry_value(entry: dict[str, Any]) -> Any:
    """``stringValue``, ``numberValue``, ``boolValue``, or None for ``nullValue``; no value
    when the entry only announces the path."""
    value = entry.get("stringValue")
    if type(value) is str:
        return value
    value = entry.get("numberValue")
    if type(value) in (int, float):
        return value
    value = entry.get("boolValue")
    if type(value) is bool:
        return value
    return None if "nullValue" in entry else _NO_VALUE


def _parse_path(text: str, start: int) -> list[Segment]:
    """``$`` followed by ``.name``, ``['name']`` / ``["name"]`` (a backslash takes the next
    character, ``\\n`` ``\\t`` ``\\r`` ``\\b`` ``\\f`` as in JSON) and ``[index]`` segments;
    the first names a member."""
    invalid = _path_error(f"jsonPath '{text}' is not a path of names and indexes", start)
    if text[:1] != "$":
        raise invalid
    path: list[Segment] = []
    i, n = 1, len(text)
    while i < n:
        c = text[i]
        i += 1
        if c == ".":
            end = i
            while end < n and text[end] not in ".[":
                end += 1
            if end == i:
                raise invalid
            path.append(text[i:end])
            i = end
        elif c == "[" and i < n and text[i] in "'\"":
            quote = text[i]
            i += 1
            name: list[str] = []
            while True:
                if i >= n:
                    raise invalid
                c = text[i]
                i += 1
                if c == quote:
                    break
                if c == "\\":
                    if i >= n:
                        raise invalid
                    name.append(_ESCAPES.get(text[i], text[i]))
                    i += 1
                else:
                    name.append(c)
            if text[i : i + 1] != "]":
                raise invalid
            i += 1
            path.append("".join(name))
        elif c == "[" and i < n and "0" <= text[i] <= "9":
            end = i
            while end < n and "0" <= text[end] <= "9":
                end += 1
            if text[end : end + 1] != "]":
                raise invalid
            index = int(text[i:end])
            i = end + 1
            if index > MAX_PATH_INDEX:
                raise _limit_error(
                    f"jsonPath '{text}' has an index beyond {MAX_PATH_INDEX}",
                    MAX_PATH_INDEX,
                    start,
                )
            path.append(index)
        else:
            raise invalid
        if len(path) > MAX_PATH_DEPTH:
            raise _limit_error(
                f"jsonPath is deeper than {MAX_PATH_DEPTH} levels", MAX_PATH_DEPTH, start
            )
    if not path or type(path[0]) is not str:
        raise invalid
    return path


def _path_error(message: str, start: int) -> JsonStreamError:
    return JsonStreamError(f"invalid gemini frame: {message}", position=start, excerpt="")


def _limit_error(message: str, limit: int, start: int) -> LimitExceeded:
    return LimitExceeded(
        f"gemini functionCall.partialArgs: {message}", position=start, excerpt="", limit=limit
    )
