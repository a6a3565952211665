"""Pieces of OpenAI-style messages that several dialects read the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from .._json_text import loads_bounded
from ..errors import ConfigurationError

__all__ = ["call_arguments", "data_url", "image_url", "role_turns", "text_of", "tool_call_names"]

Blocks = list[dict[str, Any]]

_DATA_URL = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+)(?:;[^,;]*)*;base64,(?P<data>.*)", re.S)


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or its ``text`` parts joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        content = [content]
    return "".join(
        part.get("text", "") if isinstance(part, Mapping) else str(part)
        for part in content
        if not isinstance(part, Mapping) or part.get("type", "text") == "text"
    )


def image_url(part: Mapping[str, Any]) -> str | None:
    """The URL of an ``image_url`` part (``None`` for other parts)."""
    if part.get("type") != "image_url":
        return None
    image = part.get("image_url")
    return str(image.get("url") if isinstance(image, Mapping) else image)


def data_url(url: str) -> tuple[str, str] | None:
    """``(media type, base64 data)`` of a ``data:`` URL, else ``None``."""
    match = _DATA_URL.fullmatch(url)
    return (match["type"], match["data"]) if match else None


def call_arguments(call: Any) -> Any:
    """The arguments of an assistant ``tool_calls`` entry as an object (dialects that take
    objects): the JSON text parsed, ``{}`` when empty."""
    if not isinstance(call, Mapping):
        raise ConfigurationError(f"tool call {call!r} is not a dict")
    function = call.get("function") or {}
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        if not arguments.strip():
            return {}
        try:
            return loads_bounded(arguments)
        except ValueError:
            raise ConfigurationError(
                f"the arguments of tool call {call.get('id')!r} are not JSON; this provider "
                "needs an object"
            ) from None
    return {} if arguments is None else arguments


def tool_call_names(messages: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Tool-call id -> function name, from the assistant messages (for dialects whose tool
    results name the function rather than the call)."""
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping):
                name = (call.get("function") or {}).get("name")
                if isinstance(call.get("id"), str) and isinstance(name, str):
                    names[call["id"]] = name
    return names


def role_turns(
    messages: Sequence[Mapping[str, Any]],
    *,
    blocks: Callable[[Any], Blocks],
    tool_use: Callable[[Any], dict[str, Any]],
    tool_result: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> tuple[Blocks, list[dict[str, Any]]]:
    """``(system blocks, turns)``: the walk the block-based dialects share. ``system`` and
    ``developer`` messages are collected apart; a user message is a user turn, an assistant
    message its content then a ``tool_use`` block per tool call, a ``role="tool"`` result a
    ``tool_result`` block of a user turn. Consecutive turns of one role merge (the providers
    alternate user and assistant) and empty turns are left out (they are refused)."""
    system: Blocks = []
    turns: list[dict[str, Any]] = []
    for number, message in enumerate(messages):
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            system += blocks(content)
            continue
        if role == "user":
            found = blocks(content)
        elif role == "assistant":
            found = blocks(content) + [tool_use(call) for call in message.get("tool_calls") or ()]
        elif role == "tool":
            role, found = "user", [tool_result(message)]
        else:
            raise ConfigurationError(
                f"message {number} has role {role!r}; expected system, developer, user, "
                "assistant or tool"
            )
        if not found:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += found
        else:
            turns.append({"role": role, "content": found})
    return system, turns
