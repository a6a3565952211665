"""The state one stream accumulates and the events it emits, shared by every dialect
(mirrors ``rust/dialect/output.rs``): ``Finish`` last and after any ``Usage``, tool-call
numbering and the end of the stream live here, once."""

from __future__ import annotations

from ..events import Finish, ProviderErrorEvent, ReasoningDelta, TextDelta, Usage
from ..toolcall import ToolCallAssembler

__all__ = ["Output", "finish_reason"]

_STREAMING, _AWAITING_TRAILER, _ENDED = 0, 1, 2

_STOP = frozenset(
    {"stop", "end_turn", "stop_sequence", "STOP_SEQUENCE", "STOP", "COMPLETE", "completed"}
)
_STOP_WITH_TOOLS = frozenset({"stop", "STOP", "completed"})
_LENGTH = frozenset({"length", "max_tokens", "MAX_TOKENS", "max_output_tokens"})
_TOOL_CALLS = frozenset({"tool_calls", "tool_use", "TOOL_CALL"})
_CONTENT_FILTER = frozenset(
    {
        "content_filter",
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "guardrail_intervened",
    }
)


def finish_reason(raw: str, made_tool_calls: bool) -> str:
    """Map a provider's stop word. A plain "stop" of a turn that made tool calls is reported
    as ``tool_calls`` (Gemini, Ollama and OpenAI Responses say "stop"/"completed" then)."""
    if made_tool_calls and raw in _STOP_WITH_TOOLS:
        return "tool_calls"
    if raw in _STOP:
        return "stop"
    if raw in _LENGTH:
        return "length"
    if raw in _TOOL_CALLS:
        return "tool_calls"
    if raw in _CONTENT_FILTER:
        return "content_filter"
    return "other"


class Output:
    """Events of the current ``feed()`` call plus what the stream has accumulated."""

    __slots__ = ("_phase", "_stop", "events", "finish_reason", "text", "tools", "usage")

    def __init__(self) -> None:
        self.events: list[object] = []
        self.tools = ToolCallAssembler()
        self.text: list[str] = []
        self.usage: Usage | None = None
        self._stop: tuple[str, str | None] | None = None
        self.finish_reason: str | None = None
        self._phase = _STREAMING

    def add_text(self, text: str | None, index: int) -> None:
        """A text delta of choice ``index`` (empty text is not an event)."""
        if text:
            self.text.append(text)
            self.events.append(TextDelta._of(text, index))

    def reasoning(self, text: str | None) -> None:
        """A reasoning delta (empty text is not an event)."""
        if text:
            self.events.append(ReasoningDelta._of(text))

    def add_usage(
        self,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        total_tokens: int | None = None,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> None:
        """Token counts (the total is filled in when the provider sent none)."""
        if total_tokens is None and input_tokens is not None and output_tokens is not None:
            # Saturating, as the native u64 sum.
            total_tokens = min(input_tokens + output_tokens, 2**64 - 1)
        usage = Usage._of(
            input_tokens,
            output_tokens,
            total_tokens,
            cache_read_tokens,
            cache_write_tokens,
            reasoning_tokens,
        )
        self.usage = usage
        self.events.append(usage)

    def tool(self, key: int, id: str | None, name: str | None, arguments: object = None) -> None:
        """A piece of the tool call the provider identifies by ``key``."""
        self.tools._add(key, id, name, arguments, self.events)

    def tool_end(self, key: int) -> None:
        """The provider's explicit end of the call ``key``."""
        self.tools.end(key, self.events)

    def stop(self, raw: str) -> None:
        """The provider's stop reason: every open tool call is over; ``Finish`` is held
        until the end of the stream (usage may still follow)."""
        self.stop_as(finish_reason(raw, self.tools.count() > 0), raw)

    def stop_as(self, reason: str, raw: str) -> None:
        """A stop whose normalized reason the dialect decides (Gemini's blocked prompt is a
        content filter whatever its word): otherwise as :meth:`stop`."""
        self.tools.finish_into(self.events)
        self._stop = (reason, raw)

    def end(self) -> None:
        """The end marker: emit ``Finish`` now."""
        self.tools.finish_into(self.events)
        self._phase = _ENDED
        self._emit_finish()

    def end_before_trailer(self) -> None:
        """The end marker of a dialect whose trailer (usage) may follow: ``Finish`` is
        emitted by :meth:`end` when the trailer comes, or at the end of input."""
        self.tools.finish_into(self.events)
        self._phase = _AWAITING_TRAILER

    def provider_error(self, error_type: str | None, message: str, raw: str) -> None:
        """An error reported inside the stream: it ends the stream."""
        self.tools.finish_into(self.events)
        self.events.append(ProviderErrorEvent._of(error_type, message, raw))
        self._stop = ("error", error_type)
        self._phase = _ENDED
        self._emit_finish()

    @property
    def has_ended(self) -> bool:
        """Whether the end marker has arrived (later frames are ignored)."""
        return self._phase == _ENDED

    @property
    def reached_end(self) -> bool:
        """Whether the stream reached its end marker, trailer or not."""
        return self._phase != _STREAMING

    def close(self) -> None:
        """End of input after the end marker: release a ``Finish`` waiting for a trailer."""
        if self._phase == _AWAITING_TRAILER:
            self._phase = _ENDED
            self._emit_finish()

    def _emit_finish(self) -> None:
        reason, raw_reason = self._stop or ("other", None)
        self._stop = None
        self.finish_reason = reason
        self.events.append(Finish._of(reason, raw_reason))
