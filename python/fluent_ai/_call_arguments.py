"""The argument rules of ``Client`` / ``AsyncClient`` and their calls (README, Clients).

Each function checks one entry point's arguments with :mod:`fluent_ai._validation` and raises
before a provider is resolved or a request is built, so a bad argument never reaches a server.
Messages and tools are OpenAI-style dicts; fields not named here pass through unchecked (they
are provider extensions), the ones named must have the shapes below.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._validation import (
    check_count,
    check_mapping,
    check_number,
    check_sequence,
    check_string,
    check_strings,
    fail_type,
    fail_value,
)
from .types import Timeout

__all__ = [
    "ROLES",
    "check_chat",
    "check_embed",
    "check_messages",
    "check_model",
    "check_rerank",
    "check_timeout",
    "check_tools",
]

ROLES = ("system", "developer", "user", "assistant", "tool")
_TOOL_CHOICES = ("auto", "none", "required", "any")


def check_model(value: object, argument: str = "model") -> str:
    """``"provider/model"``: a str with a non-empty part on each side of the first ``/``."""
    expected = "a str 'provider/model' (for example 'openai/gpt-4.1-mini')"
    if not isinstance(value, str):
        fail_type(argument, expected, value)
    provider, slash, model_id = value.partition("/")
    if not slash or not provider or not model_id or value != value.strip():
        fail_value(argument, expected, value)
    return value


def check_timeout(value: object, argument: str = "timeout") -> None:
    """``None``, a :class:`~fluent_ai.Timeout`, or a finite number of seconds > 0."""
    if value is None or isinstance(value, Timeout):
        return
    expected = "a fluent_ai.Timeout, a finite number of seconds > 0, or None"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail_type(argument, expected, value)
    check_number(argument, value, above=0.0)


def check_chat(
    messages: object,
    *,
    tools: object,
    tool_choice: object,
    max_tokens: object,
    temperature: object,
    response_format: object,
    timeout: object,
    extra: object,
) -> None:
    """The arguments of ``chat`` and ``stream`` (besides ``model``)."""
    check_messages(messages)
    if tools is not None:
        check_tools(tools)
    if tool_choice is not None:
        _check_tool_choice(tool_choice)
    if max_tokens is not None:
        check_count("max_tokens", max_tokens, minimum=1)
    if temperature is not None:
        check_number("temperature", temperature, minimum=0.0, maximum=2.0)
    if response_format is not None:
        form = check_mapping("response_format", response_format)
        check_string("response_format['type']", form.get("type"))
    check_timeout(timeout)
    if extra is not None:
        fields = check_mapping("extra", extra)
        if "stream" in fields:
            # Which method was called decides it: a stream answer to chat() (or a whole one to
            # stream()) would be paid for and then not understood.
            fail_value(
                "extra['stream']", "absent (chat() or stream() decides it)", fields["stream"]
            )


def check_messages(value: object) -> None:
    """A non-empty list of message dicts, each with a known ``role`` and content of a shape
    every dialect can translate."""
    items = check_sequence("messages", value, "a list of message dicts")
    if not items:
        fail_value("messages", "a list with at least one message", value)
    for position, message in enumerate(items):
        _check_message(f"messages[{position}]", message)


def _check_message(where: str, message: object) -> None:
    if not isinstance(message, Mapping):
        fail_type(where, "a message dict {'role': ..., 'content': ...}", message)
    role = message.get("role")
    if not isinstance(role, str):
        fail_type(f"{where}['role']", "one of " + ", ".join(map(repr, ROLES)), role)
    if role not in ROLES:
        fail_value(f"{where}['role']", "one of " + ", ".join(map(repr, ROLES)), role)
    content = message.get("content")
    calls = message.get("tool_calls")
    if role == "assistant":
        if calls is not None:
            _check_tool_calls(f"{where}['tool_calls']", calls)
        if content is None and calls:
            return
    if role == "tool":
        check_string(f"{where}['tool_call_id']", message.get("tool_call_id"))
    _check_content(f"{where}['content']", content)
    name = message.get("name")
    if name is not None:
        check_string(f"{where}['name']", name)


def _check_content(where: str, content: object) -> None:
    expected = "a str or a list of content parts"
    if isinstance(content, str):
        return
    if content is None or isinstance(content, (bytes, bytearray, Mapping)):
        fail_type(where, expected, content)
    parts = check_sequence(where, content, expected)
    for position, part in enumerate(parts):
        _check_part(f"{where}[{position}]", part)


def _check_part(where: str, part: object) -> None:
    if isinstance(part, str):
        return  # a bare string part is text (accepted by every dialect's translation)
    if not isinstance(part, Mapping):
        fail_type(where, "a content part dict {'type': ..., ...}", part)
    kind = check_string(f"{where}['type']", part.get("type"))
    if kind == "text":
        check_string(f"{where}['text']", part.get("text"), empty=True)
    elif kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        check_string(f"{where}['image_url']['url']", url)


def _check_tool_calls(where: str, calls: object) -> None:
    for position, call in enumerate(check_sequence(where, calls, "a list of tool call dicts")):
        at = f"{where}[{position}]"
        if not isinstance(call, Mapping):
            fail_type(at, "a tool call dict {'id', 'type': 'function', 'function'}", call)
        if call.get("id") is not None:
            check_string(f"{at}['id']", call.get("id"))
        function = call.get("function")
        if not isinstance(function, Mapping):
            fail_type(f"{at}['function']", "a dict {'name': ..., 'arguments': ...}", function)
        check_string(f"{at}['function']['name']", function.get("name"))
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, (str, Mapping)):
            fail_type(f"{at}['function']['arguments']", "a JSON str or a dict", arguments)


def check_tools(value: object) -> None:
    """A list of tool dicts; a ``{"type": "function"}`` tool names its function (other types
    are provider built-ins and pass through)."""
    tools = check_sequence("tools", value, "a list of tool dicts")
    for position, tool in enumerate(tools):
        where = f"tools[{position}]"
        if not isinstance(tool, Mapping):
            fail_type(where, "a tool dict {'type': 'function', 'function': {...}}", tool)
        kind = check_string(f"{where}['type']", tool.get("type"))
        if kind != "function":
            continue
        function = tool.get("function")
        if not isinstance(function, Mapping):
            fail_type(
                f"{where}['function']", "a dict {'name', 'description', 'parameters'}", function
            )
        check_string(f"{where}['function']['name']", function.get("name"))
        if function.get("description") is not None:
            check_string(f"{where}['function']['description']", function["description"], empty=True)
        if function.get("parameters") is not None:
            check_mapping(f"{where}['function']['parameters']", function["parameters"])


def _check_tool_choice(value: object) -> None:
    expected = "'auto', 'none', 'required' or {'type': 'function', 'function': {'name': ...}}"
    if isinstance(value, str):
        if value not in _TOOL_CHOICES:
            fail_value("tool_choice", expected, value)
        return
    if not isinstance(value, Mapping):
        fail_type("tool_choice", expected, value)
    kind = check_string("tool_choice['type']", value.get("type"))
    if kind == "function":
        function = value.get("function")
        if not isinstance(function, Mapping):
            fail_type("tool_choice['function']", "a dict {'name': ...}", function)
        check_string("tool_choice['function']['name']", function.get("name"))


def check_embed(inputs: object, *, dimensions: object, input_type: object, timeout: object) -> None:
    if not isinstance(inputs, str):
        check_strings("inputs", inputs)
    if dimensions is not None:
        check_count("dimensions", dimensions, minimum=1)
    if input_type is not None:
        check_string("input_type", input_type)
    check_timeout(timeout)


def check_rerank(query: object, documents: object, *, top_n: object, timeout: object) -> None:
    check_string("query", query)
    check_strings("documents", documents)
    if top_n is not None:
        check_count("top_n", top_n, minimum=1)
    check_timeout(timeout)


def check_provider_name(value: object, argument: str = "provider") -> str:
    return check_string(argument, value)
