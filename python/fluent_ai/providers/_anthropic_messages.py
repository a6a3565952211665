"""OpenAI-style messages, tools and tool choice -> Anthropic Messages (providers.md §4.1).

- ``system`` / ``developer`` messages become the top-level ``system`` (a string, or text
  blocks when a part carries ``cache_control``);
- an assistant's ``tool_calls`` become ``tool_use`` blocks (``arguments`` parsed: Anthropic
  takes an object), ``role="tool"`` results become ``tool_result`` blocks of a user turn;
- ``image_url`` parts become ``image`` blocks (``base64`` for ``data:`` URLs, ``url`` otherwise);
- consecutive turns of the same role are merged (Anthropic alternates user and assistant);
- blocks already in Anthropic's shape (``image``, ``document``, ``tool_use``, ``tool_result``,
  ``thinking``, ...) pass through unchanged, so a caller can send them where needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ConfigurationError
from ._messages import call_arguments, data_url, image_url, role_turns

__all__ = ["anthropic_messages", "anthropic_tool_choice", "anthropic_tools"]

Block = dict[str, Any]


def anthropic_messages(
    messages: Sequence[Mapping[str, Any]],
) -> tuple[str | list[Block] | None, list[dict[str, Any]]]:
    """``(system, messages)`` in Anthropic's shape."""
    system, turns = role_turns(
        messages, blocks=_blocks, tool_use=_tool_use, tool_result=_tool_result
    )
    return _system(system), turns


def anthropic_tools(tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI function tools as Anthropic tools; other tools pass through."""
    converted = []
    for tool in tools:
        function = tool.get("function")
        if tool.get("type") == "function" and isinstance(function, Mapping):
            entry: dict[str, Any] = {"name": function.get("name")}
            if function.get("description"):
                entry["description"] = function["description"]
            entry["input_schema"] = function.get("parameters") or {
                "type": "object",
                "properties": {},
            }
            if "strict" in function:
                entry["strict"] = function["strict"]
            converted.append(entry)
        else:
            converted.append(dict(tool))
    return converted


def anthropic_tool_choice(choice: Any) -> dict[str, Any]:
    """``"auto"``/``"required"``/``"none"`` or ``{"type": "function", ...}`` as Anthropic's."""
    if choice == "auto":
        return {"type": "auto"}
    if choice in ("required", "any"):
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    if isinstance(choice, Mapping):
        function = choice.get("function")
        if choice.get("type") == "function" and isinstance(function, Mapping):
            return {"type": "tool", "name": function.get("name")}
        if choice.get("type") in ("auto", "any", "tool", "none"):
            return dict(choice)
    raise ConfigurationError(f"tool_choice {choice!r} has no Anthropic equivalent")


def _blocks(content: Any) -> list[Block]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, Mapping):
        return [_part(content)]
    return [_part(part) for part in content]


def _part(part: Any) -> Block:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, Mapping):
        raise ConfigurationError(f"message content part {part!r} is not a dict")
    kind = part.get("type")
    if kind == "text":
        block = {"type": "text", "text": part.get("text", "")}
        if "cache_control" in part:
            block["cache_control"] = part["cache_control"]
        return block
    url = image_url(part)
    if url is not None:
        return _image(url)
    return dict(part)


def _image(url: str) -> Block:
    inline = data_url(url)
    if inline:
        source = {"type": "base64", "media_type": inline[0], "data": inline[1]}
        return {"type": "image", "source": source}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _tool_use(call: Any) -> Block:
    arguments = call_arguments(call)
    name = (call.get("function") or {}).get("name")
    return {"type": "tool_use", "id": call.get("id"), "name": name, "input": arguments}


def _tool_result(message: Mapping[str, Any]) -> Block:
    content = message.get("content")
    block: Block = {"type": "tool_result", "tool_use_id": message.get("tool_call_id")}
    if isinstance(content, str):
        block["content"] = content
    elif content is not None:
        block["content"] = _blocks(content)
    if message.get("is_error"):
        block["is_error"] = True
    return block


def _system(blocks: list[Block]) -> str | list[Block] | None:
    if not blocks:
        return None
    if all(set(block) == {"type", "text"} and block["type"] == "text" for block in blocks):
        return "\n\n".join(block["text"] for block in blocks)
    return blocks
