"""OpenAI Chat Completions streams (``chat.completion.chunk`` objects over SSE, ending with
``data: [DONE]``), as sent by OpenAI, Azure OpenAI and every OpenAI-compatible server
(mirrors ``rust/dialect/openai_chat.rs``)."""

from __future__ import annotations

from typing import Any

from ..sse import SseEvent
from ..toolcall import compact_json
from ._frame import array_of, as_u64, at, parse_frame, str_of, u64_of
from ._output import Output

__all__ = ["OpenAiChat", "openai_usage"]


class OpenAiChat:
    """See the module documentation."""

    framing = "sse"
    end_marker = "data: [DONE]"

    __slots__ = ("_finished", "_seen", "_unindexed_count", "_unindexed_id", "_unindexed_key")

    def __init__(self) -> None:
        # Calls without an ``index`` (some compatible servers): the key of the latest one.
        self._unindexed_key: int | None = None
        self._unindexed_count = 0
        # The provider's id of the latest call without ``index``, once one came.
        self._unindexed_id: str | None = None
        # Choice indexes seen and those that got a ``finish_reason`` (the clean-end rule).
        self._seen: set[int] = set()
        self._finished: set[int] = set()

    def ends_cleanly(self) -> bool:
        """Perplexity, GPUStack and others end the body after the last ``finish_reason``
        without ``data: [DONE]``: complete once every choice seen has finished."""
        return bool(self._finished) and self._seen <= self._finished

    def frame(self, frame: SseEvent, start: int, out: Output) -> None:
        data = frame.data
        if data.strip() == "[DONE]":
            out.end()
            return
        chunk = parse_frame(data.encode("utf-8", "surrogatepass"), start, "openai-chat")
        is_object = type(chunk) is dict
        error = chunk.get("error") if is_object else None
        # An `event: error` frame, or a bare error object (`"object": "error"`, as vLLM and
        # other servers send it): the payload itself is the error.
        bare = frame.event == "error" or (is_object and chunk.get("object") == "error")
        if error is not None or bare:
            # TGI names a text error beside it: `{"error": "...", "error_type": "validation"}`.
            kind = str_of(chunk, "error_type") if type(error) is str else None
            _report_error(chunk if error is None else error, data, out, kind or None)
            return
        if not is_object:
            return
        for choice in array_of(chunk, "choices"):
            self._choice(choice, out)
        # Groq sends its usage in ``x_groq.usage``, Moonshot in the finishing choice's
        # ``usage`` (each read only when there is no standard one).
        usage = chunk.get("usage")
        if usage is None:
            usage = at(chunk, "x_groq", "usage")
        if usage is None:
            usage = next(
                (c["usage"] for c in array_of(chunk, "choices")
                 if type(c) is dict and c.get("usage") is not None),
                None,
            )  # fmt: skip
        if type(usage) is dict:
            openai_usage(usage, out)

    def _choice(self, choice: Any, out: Output) -> None:
        # Indexes are 32-bit (a bigger one is cut to its low 32 bits, on both backends).
        choice_index = (u64_of(choice, "index") or 0) & 0xFFFFFFFF
        self._seen.add(choice_index)
        delta = at(choice, "delta")
        if delta is not None:
            out.reasoning(str_of(delta, "reasoning_content") or str_of(delta, "reasoning"))
            content = delta.get("content") if type(delta) is dict else None
            if type(content) is list:
                _content_parts(content, choice_index, out)
            out.add_text(str_of(delta, "content"), choice_index)
            out.add_text(str_of(delta, "refusal"), choice_index)
            for call in array_of(delta, "tool_calls"):
                self._tool_call(choice_index, call, out)
        reason = str_of(choice, "finish_reason")
        if reason:
            self._finished.add(choice_index)
            out.stop(reason)

    def _tool_call(self, choice: int, call: Any, out: Output) -> None:
        id = str_of(call, "id")
        index = u64_of(call, "index")
        key = (choice << 32) | (index & 0xFFFFFFFF) if index is not None else self._unindexed(id)
        function = at(call, "function")
        arguments = at(function, "arguments")
        if not isinstance(arguments, (str, dict, list)):
            arguments = None
        out.tool(key, id, str_of(function, "name"), arguments)

    def _unindexed(self, id: str | None) -> int:
        """A fragment without ``index``: an id other than the latest call's starts a call;
        anything else (no id, the same id, or the first id of a call that had none)
        continues it."""
        if self._unindexed_key is not None:
            if not id:
                return self._unindexed_key
            if self._unindexed_id is None or self._unindexed_id == id:
                self._unindexed_id = id
                return self._unindexed_key
        self._unindexed_count += 1
        self._unindexed_key = -self._unindexed_count
        self._unindexed_id = id or None
        return self._unindexed_key


def _content_parts(parts: list[Any], choice_index: int, out: Output) -> None:
    """A list-form ``content`` (Mistral's reasoning models), in order: ``text`` parts are
    answer text, ``thinking`` parts (a list of text parts, or a string) reasoning; other part
    types carry no text."""
    for part in parts:
        kind = str_of(part, "type")
        if kind == "text":
            out.add_text(str_of(part, "text"), choice_index)
        elif kind == "thinking":
            thinking = part.get("thinking")
            if type(thinking) is str:
                out.reasoning(thinking)
            elif type(thinking) is list:
                parts_text = [str_of(item, "text") for item in thinking]
                kinds = [str_of(item, "type") for item in thinking]
                out.reasoning(
                    "".join(t for t, k in zip(parts_text, kinds) if k == "text" and t is not None)
                )


def _report_error(error: Any, raw: str, out: Output, kind: str | None = None) -> None:
    """An ``{"error": {...}}`` payload: OpenAI's mid-stream error (OpenRouter adds ``code``);
    ``kind`` names a text error."""
    error_type = kind if kind is not None else str_of(error, "type")
    if error_type is None and type(error) is dict and "code" in error:
        error_type = _scalar_text(error["code"])
    message = str_of(error, "message")
    if message is None:
        message = error if type(error) is str else ""
    out.provider_error(error_type, message, raw)


def _scalar_text(value: Any) -> str:
    """A string or number as text (error codes come as either)."""
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    return compact_json(value)


def openai_usage(usage: Any, out: Output) -> None:
    """OpenAI usage (also DeepSeek's ``prompt_cache_hit_tokens``)."""
    cache_read = as_u64(at(usage, "prompt_tokens_details", "cached_tokens"))
    if cache_read is None:
        cache_read = u64_of(usage, "prompt_cache_hit_tokens")
    out.add_usage(
        input_tokens=u64_of(usage, "prompt_tokens"),
        output_tokens=u64_of(usage, "completion_tokens"),
        total_tokens=u64_of(usage, "total_tokens"),
        cache_read_tokens=cache_read,
        reasoning_tokens=as_u64(at(usage, "completion_tokens_details", "reasoning_tokens")),
    )
