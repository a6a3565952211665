"""The argument rules of ``Client`` / ``AsyncClient`` and their calls (README, Clients).

Each function checks one entry point's arguments with :mod:`fluent_ai._validation` and raises
before a provider is resolved or a request is built, so a bad argument never reaches a server.
Messages and tools are OpenAI-style dicts; fields not named here pass through unchecked (they
are provider extensions), the ones named must have the shapes below.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ._validation import (
    INT64_MAX,
    MAX_SECONDS,
    check_count,
    check_mapping,
    check_number,
    check_sequence,
    check_string,
    check_strings,
    fail_type,
    fail_value,
)
from .errors import InvalidArgumentError
from .providers._options import REASONING_EFFORTS
from .resilience import MAX_RETRIES
from .types import Timeout

__all__ = [
    "ROLES",
    "check_chat",
    "check_embed",
    "check_headers",
    "check_messages",
    "check_model",
    "check_options",
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
    check_number(argument, value, above=0.0, maximum=MAX_SECONDS)


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
        check_count("max_tokens", max_tokens, minimum=1, maximum=INT64_MAX)
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
        _check_one_choice("extra", fields)


def check_options(
    *,
    top_p: object,
    stop: object,
    seed: object,
    presence_penalty: object,
    frequency_penalty: object,
    parallel_tool_calls: object,
    reasoning_effort: object,
    user: object,
    metadata: object,
    headers: object,
    extra_headers: object,
    extra_body: object,
    extra: object,
    max_retries: object,
) -> None:
    """The request options of ``chat`` and ``stream`` (README, Clients: request options)."""
    if top_p is not None:
        check_number("top_p", top_p, minimum=0.0, maximum=1.0)
    if stop is not None:
        _check_json("stop", _check_stop(stop))
    if seed is not None:
        _check_seed(seed)
    for name, value in (
        ("presence_penalty", presence_penalty),
        ("frequency_penalty", frequency_penalty),
    ):
        if value is not None:
            check_number(name, value, minimum=-2.0, maximum=2.0)
    if parallel_tool_calls is not None and not isinstance(parallel_tool_calls, bool):
        fail_type("parallel_tool_calls", "a bool or None", parallel_tool_calls)
    if reasoning_effort is not None:
        expected = "one of " + ", ".join(map(repr, REASONING_EFFORTS))
        if not isinstance(reasoning_effort, str):
            fail_type("reasoning_effort", expected, reasoning_effort)
        if reasoning_effort not in REASONING_EFFORTS:
            fail_value("reasoning_effort", expected, reasoning_effort)
    if user is not None:
        check_string("user", user)
        _check_json("user", user)
    if metadata is not None:
        for key, value in check_mapping("metadata", metadata).items():
            if not isinstance(value, str):
                fail_type(f"metadata[{key!r}]", "a str", value)
        _check_json("metadata", metadata)
    for name, value in (("headers", headers), ("extra_headers", extra_headers)):
        if value is not None:
            check_headers(name, value)
    if extra_body is not None:
        _check_one_choice("extra_body", check_mapping("extra_body", extra_body))
        _check_json("extra_body", extra_body)
        if extra is not None:
            fail_value("extra", "None when extra_body is given (extra is its older name)", "given")
    if max_retries is not None:
        check_count("max_retries", max_retries, maximum=MAX_RETRIES)


_ONE_CHOICE = (
    "1 or absent: a ChatResponse carries one choice (make several calls for several answers)"
)


def _check_one_choice(argument: str, fields: Mapping[str, object]) -> None:
    """Several choices in one answer (OpenAI's ``n``, Gemini's ``candidateCount``) cannot be
    carried by a ``ChatResponse`` or one stream's answer: refused before sending rather than
    billed and then joined into one text."""
    places: list[tuple[str, object]] = [(f"{argument}['n']", fields.get("n"))]
    config = fields.get("generationConfig")
    if isinstance(config, Mapping):
        for name in ("candidateCount", "candidate_count"):
            places.append((f"{argument}['generationConfig'][{name!r}]", config.get(name)))
    for where, value in places:
        if value is None or (value == 1 and type(value) is int):
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            fail_type(where, _ONE_CHOICE, value)
        fail_value(where, _ONE_CHOICE, value)


def _check_json(argument: str, value: object) -> None:
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError, RecursionError) as problem:
        raise InvalidArgumentError(
            f"{argument} must hold only JSON values (str, number, bool, None, lists and dicts "
            f"with str keys; no NaN or infinity, no lone surrogate): {problem}",
            argument=argument,
            expected="JSON values",
        ) from None


_SEED_RANGE = (-(1 << 63), (1 << 63) - 1)


def _check_stop(stop: object) -> list[str]:
    """The stop sequences given (a lone str is one)."""
    expected = "a non-empty str or a list of them"
    if isinstance(stop, str):
        return [check_string("stop", stop)]
    items = check_sequence("stop", stop, expected)
    return [check_string(f"stop[{position}]", item) for position, item in enumerate(items)]


def _check_seed(seed: object) -> None:
    expected = "an int in the signed 64-bit range"
    if not isinstance(seed, int) or isinstance(seed, bool):
        fail_type("seed", expected, seed)
    if not _SEED_RANGE[0] <= seed <= _SEED_RANGE[1]:
        fail_value("seed", expected, seed)


def check_headers(argument: str, value: object) -> dict[str, str]:
    """Header names and values: ``str``, the names non-empty tokens, no line breaks anywhere
    (values are never shown in the message: they may be credentials)."""
    headers = check_mapping(argument, value)
    for name, item in headers.items():
        if not name or not name.isascii() or any(c in name for c in _NOT_IN_NAMES):
            fail_value(
                f"a key of {argument}", "a header name (no spaces, ':' or line breaks)", name
            )
        if not isinstance(item, str):
            fail_type(f"{argument}[{name!r}]", "a str", item, secret=True)
        if not item.isascii() or any(c in item for c in "\r\n\0"):
            expected = "an ASCII str without line breaks"
            fail_value(f"{argument}[{name!r}]", expected, item, secret=True)
    return dict(headers)


_NOT_IN_NAMES = frozenset(' \t\r\n\0:()<>@,;"/[]?={}')


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
    _check_json("inputs", inputs)
    if dimensions is not None:
        check_count("dimensions", dimensions, minimum=1, maximum=INT64_MAX)
    if input_type is not None:
        _check_json("input_type", check_string("input_type", input_type))
    check_timeout(timeout)


def check_rerank(query: object, documents: object, *, top_n: object, timeout: object) -> None:
    _check_json("query", check_string("query", query))
    check_strings("documents", documents)
    _check_json("documents", documents)
    if top_n is not None:
        check_count("top_n", top_n, minimum=1, maximum=INT64_MAX)
    check_timeout(timeout)


def check_provider_name(value: object, argument: str = "provider") -> str:
    return check_string(argument, value)
