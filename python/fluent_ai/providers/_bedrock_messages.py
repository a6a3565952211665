"""OpenAI-style messages, tools and tool choice -> Bedrock Converse (providers.md §6.3).

- ``system`` / ``developer`` messages become the top-level ``system`` text blocks;
- user turns become ``text`` and ``image`` blocks (``image_url`` parts with a ``data:`` URL as
  ``{"bytes": <base64>}``, an ``s3://`` URL as ``s3Location``; Bedrock fetches no web URLs);
- an assistant's ``tool_calls`` become ``toolUse`` blocks (``arguments`` parsed: Bedrock takes an
  object), ``role="tool"`` results ``toolResult`` blocks of a user turn (text, or the text and
  image parts of a list; ``"is_error": true`` gives ``status: "error"``);
- a part with ``cache_control`` is followed by a ``cachePoint`` block;
- consecutive turns of one role merge (Bedrock alternates user and assistant; see
  ``role_turns``) and blank text is left out (Bedrock refuses blank text blocks);
- parts already in Bedrock's shape (no ``type``: ``{"document": ...}``, ``{"cachePoint": ...}``,
  ``{"guardContent": ...}``, ...) pass through unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ConfigurationError, UnsupportedParameterError
from ._messages import call_arguments, data_url, image_url, role_turns

__all__ = ["bedrock_messages", "bedrock_output_config", "bedrock_tool_config"]

Block = dict[str, Any]

_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
_CACHE_POINT: Block = {"cachePoint": {"type": "default"}}


def bedrock_messages(
    messages: Sequence[Mapping[str, Any]],
) -> tuple[list[Block], list[dict[str, Any]]]:
    """``(system, messages)`` in Converse's shape."""
    return role_turns(messages, blocks=_blocks, tool_use=_tool_use, tool_result=_tool_result)


def bedrock_tool_config(
    tools: Sequence[Mapping[str, Any]] | None,
    choice: Any,
    turns: Sequence[Mapping[str, Any]],
) -> dict[str, Any] | None:
    """``toolConfig``: the tools as ``toolSpec`` entries and the choice as ``auto``/``any``/
    ``tool``. Converse has no "none": ``tool_choice="none"`` leaves the tools out, unless the
    conversation already holds tool blocks (Bedrock then needs the tool list; the model keeps
    its own choice)."""
    if not tools:
        return None
    if choice == "none":
        if not any(_has_tool_block(turn) for turn in turns):
            return None
        choice = None
    config: dict[str, Any] = {"tools": [_tool_spec(tool) for tool in tools]}
    if choice is not None:
        config["toolChoice"] = _tool_choice(choice)
    return config


def bedrock_output_config(
    response_format: Mapping[str, Any], provider: str = "bedrock"
) -> dict[str, Any] | None:
    """A JSON-schema ``response_format`` as ``outputConfig.textFormat`` (the schema travels as
    a JSON string); ``{"type": "text"}`` is the default and sends nothing."""
    kind = response_format.get("type") if hasattr(response_format, "get") else None
    if kind == "text":
        return None
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema: dict[str, Any] = {
            "schema": json.dumps(spec.get("schema", {}), separators=(",", ":")),
            "name": spec.get("name") or "response",
        }
        if spec.get("description"):
            schema["description"] = spec["description"]
        structure = {"jsonSchema": schema}
        return {"textFormat": {"type": "json_schema", "structure": structure}}
    # JSON mode without a schema: Converse's textFormat takes only json_schema.
    raise UnsupportedParameterError(
        provider,
        "response_format",
        f"{kind!r} has no Converse equivalent; pass a JSON Schema, a pydantic model, a "
        "dataclass or a TypedDict (docs/structured-output.md)",
    )


def _blocks(content: Any) -> list[Block]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content.strip() else []
    blocks: list[Block] = []
    for part in [content] if isinstance(content, Mapping) else content:
        blocks += _part(part)
    return blocks


def _part(part: Any) -> list[Block]:
    if isinstance(part, str):
        return [{"text": part}] if part.strip() else []
    if not isinstance(part, Mapping):
        raise ConfigurationError(f"message content part {part!r} is not a dict")
    kind = part.get("type")
    if kind is None:
        return [dict(part)]  # already a Bedrock content block
    url = image_url(part)
    if url is not None:
        blocks = [_image(url)]
    elif kind == "text":
        text = part.get("text") or ""
        blocks = [{"text": text}] if text.strip() else []
    else:
        raise ConfigurationError(
            f"content part of type {kind!r} has no Bedrock equivalent; pass a Bedrock block "
            "(a dict without 'type', such as {'document': ...})"
        )
    if part.get("cache_control"):
        blocks.append(dict(_CACHE_POINT))
    return blocks


def _image(url: str) -> Block:
    inline = data_url(url)
    if inline:
        image_format = _IMAGE_FORMATS.get(inline[0].lower())
        if image_format is None:
            raise ConfigurationError(
                f"Bedrock takes png, jpeg, gif and webp images, not {inline[0]!r}"
            )
        return {"image": {"format": image_format, "source": {"bytes": inline[1]}}}
    if url.startswith("s3://"):
        extension = url.rsplit(".", 1)[-1].lower()
        image_format = _IMAGE_FORMATS.get(f"image/{extension}", "png")
        return {"image": {"format": image_format, "source": {"s3Location": {"uri": url}}}}
    raise ConfigurationError(
        "Bedrock does not fetch images from web URLs: pass a data: URL (base64) or an s3:// URL"
    )


def _tool_use(call: Any) -> Block:
    arguments = call_arguments(call)
    name = (call.get("function") or {}).get("name")
    return {"toolUse": {"toolUseId": call.get("id"), "name": name, "input": arguments}}


def _tool_result(message: Mapping[str, Any]) -> Block:
    content = message.get("content")
    if content is None or isinstance(content, str):
        blocks: list[Block] = [{"text": content or ""}]
    else:
        blocks = [block for block in _blocks(content) if "cachePoint" not in block]
    result: Block = {"toolUseId": message.get("tool_call_id"), "content": blocks}
    if message.get("is_error"):
        result["status"] = "error"
    return {"toolResult": result}


def _has_tool_block(turn: Mapping[str, Any]) -> bool:
    return any("toolUse" in block or "toolResult" in block for block in turn.get("content") or ())


def _tool_spec(tool: Mapping[str, Any]) -> dict[str, Any]:
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, Mapping):
        return dict(tool)  # already Bedrock's ({"toolSpec": ...}, {"cachePoint": ...})
    spec: dict[str, Any] = {"name": function.get("name")}
    if function.get("description"):
        spec["description"] = function["description"]
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    spec["inputSchema"] = {"json": parameters}
    if "strict" in function:
        spec["strict"] = function["strict"]
    return {"toolSpec": spec}


def _tool_choice(choice: Any) -> dict[str, Any]:
    if choice == "auto":
        return {"auto": {}}
    if choice in ("required", "any"):
        return {"any": {}}
    if isinstance(choice, Mapping):
        function = choice.get("function")
        if choice.get("type") == "function" and isinstance(function, Mapping):
            return {"tool": {"name": function.get("name")}}
        if len(choice) == 1 and next(iter(choice)) in ("auto", "any", "tool"):
            return dict(choice)  # already Bedrock's
    raise ConfigurationError(f"tool_choice {choice!r} has no Bedrock Converse equivalent")
