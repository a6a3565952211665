"""The values the clients take and return: timeouts, chat, embedding and rerank responses.

Messages and tools are plain OpenAI-style dicts (``{"role": "user", "content": ...}``,
``{"type": "function", "function": {...}}``), so they need no classes here; stream events are
the core's (``TextDelta``, ``ToolCallDone``, ``Usage``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from ._short_repr import short_repr
from ._signatures import guard_signatures
from ._validation import check_seconds

if TYPE_CHECKING:
    from ._core import ToolCallDone, ToolCallInvalid, Usage
    from .catalog import Cost

__all__ = [
    "ChatResponse",
    "EmbeddingResponse",
    "Message",
    "RerankResponse",
    "RerankResult",
    "Timeout",
    "TimeoutLike",
    "Tool",
]

Message = Mapping[str, Any]
"""An OpenAI-style chat message: ``{"role": ..., "content": ...}`` (plus ``tool_calls`` on an
assistant message, ``tool_call_id`` on a ``role="tool"`` result)."""

Tool = Mapping[str, Any]
"""An OpenAI-style tool: ``{"type": "function", "function": {"name", "description",
"parameters"}}``."""


@dataclass(frozen=True)
class Timeout:
    """Time limits of one call, in seconds (``None``: no limit of that kind).

    - ``connect``: to open the connection;
    - ``first_event``: from sending the request to the first event of a stream;
    - ``idle``: between two events of a stream, counted only while the caller waits for the next
      one; keep-alive comments and pings are not events, so they do not reset it (``chat`` and
      the other whole-answer calls are bounded by ``connect`` and ``total`` only);
    - ``total``: the whole call, retries and waits included.

    A plain number means ``Timeout(total=number)``.
    """

    connect: float | None = None
    first_event: float | None = None
    idle: float | None = None
    total: float | None = None

    def __post_init__(self) -> None:
        # A finite number of seconds > 0 (not a bool, NaN or infinity) or None: an
        # ArgumentTypeError / InvalidArgumentError naming the field otherwise.
        for name in ("connect", "first_event", "idle", "total"):
            value = getattr(self, name)
            if value is not None:
                check_seconds(f"Timeout.{name}", value)

    @classmethod
    def of(cls, value: TimeoutLike) -> Timeout:
        """``value`` as a ``Timeout`` (a number sets ``total``; ``None`` is no limit)."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls()
        from ._call_arguments import check_timeout  # noqa: PLC0415

        check_timeout(value)
        return cls(total=float(value))

    def merged(self, override: TimeoutLike) -> Timeout:
        """This timeout with the limits ``override`` sets replacing ours (a per-call timeout
        over the client's)."""
        if override is None:
            return self
        other = Timeout.of(override)
        return Timeout(
            connect=self.connect if other.connect is None else other.connect,
            first_event=self.first_event if other.first_event is None else other.first_event,
            idle=self.idle if other.idle is None else other.idle,
            total=self.total if other.total is None else other.total,
        )


TimeoutLike = Union[Timeout, float, int, None]


@dataclass(frozen=True, eq=False, repr=False)
class ChatResponse:
    """A whole chat answer, from ``chat()`` or from a finished ``stream()``.

    ``tool_calls`` are the core's ``ToolCallDone`` events (parsed ``arguments`` and ``raw``
    text); calls whose arguments were not JSON are in ``invalid_tool_calls``
    (``ToolCallInvalid``). ``finish_reason`` is the normalized reason (``stop``, ``length``,
    ``tool_calls``, ``content_filter``, ``error``, ``other``), ``raw_finish_reason`` the
    provider's word. ``usage`` is the last ``Usage`` (``None`` when the provider sent none).
    ``model`` is the model that answered as the provider names it, ``provider`` the provider's
    registry name. ``raw`` is the decoded response body of ``chat()`` (``None`` after a stream).

    Two responses are equal when everything but ``raw``, ``request_id``, the ``raw`` argument
    text of the tool calls (a streamed call's ``raw`` keeps the provider's spacing while a whole
    response may re-serialize it) and call ids the decoder made up (``call_fai_<n>``, for
    providers that send none) is equal.

    :meth:`to_dict` gives the answer as plain JSON data; the ``repr`` shows every field but
    ``raw`` and ``request_id``, each cut short when long (see the docs, "Types and
    serialization").
    """

    text: str
    tool_calls: Sequence[ToolCallDone]
    usage: Usage | None
    finish_reason: str | None
    model: str
    provider: str
    reasoning: str = ""
    invalid_tool_calls: Sequence[ToolCallInvalid] = ()
    raw_finish_reason: str | None = None
    raw: Any = field(default=None, repr=False)
    request_id: str | None = field(default=None, repr=False)
    #: The validated structured output when ``response_format=`` asked for one (a pydantic
    #: model instance, a dataclass instance, or a dict for a dict schema and a ``TypedDict``);
    #: ``None`` otherwise. Derived from ``text``: not part of equality, ``repr`` or ``to_dict``
    #: (see docs/structured-output.md).
    parsed: Any = field(default=None, repr=False)

    @property
    def cost(self) -> Cost | None:
        """The cost of this call from the model catalog's prices, or ``None`` when the model
        or one of the prices it needs is unknown (see ``fluent_ai.catalog.cost``)."""
        if self.usage is None:
            return None
        from . import catalog  # noqa: PLC0415  (the catalog loads only when a cost is asked)

        try:
            cost = catalog.cost(f"{self.provider}/{self.model}", self.usage)
        except (KeyError, ValueError):
            return None
        return cost if cost.total is not None else None

    @property
    def message(self) -> dict[str, Any]:
        """This answer as an OpenAI-style assistant message, ready to append to the
        conversation (``tool_calls`` with each call's ``raw`` argument text)."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.raw},
                }
                for call in self.tool_calls
            ]
        return message

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: every field but ``raw`` (the provider's body, often large; it is
        ``self.raw``), with the tool calls and the usage as their ``to_dict()``."""
        return {
            "text": self.text,
            "tool_calls": [call.to_dict() for call in self.tool_calls],
            "usage": None if self.usage is None else self.usage.to_dict(),
            "finish_reason": self.finish_reason,
            "model": self.model,
            "provider": self.provider,
            "reasoning": self.reasoning,
            "invalid_tool_calls": [call.to_dict() for call in self.invalid_tool_calls],
            "raw_finish_reason": self.raw_finish_reason,
            "request_id": self.request_id,
        }

    def __repr__(self) -> str:
        return short_repr(
            "ChatResponse",
            [
                ("text", self.text),
                ("tool_calls", self.tool_calls),
                ("usage", self.usage),
                ("finish_reason", self.finish_reason),
                ("model", self.model),
                ("provider", self.provider),
                ("reasoning", self.reasoning),
                ("invalid_tool_calls", self.invalid_tool_calls),
                ("raw_finish_reason", self.raw_finish_reason),
            ],
        )

    def _key(self) -> tuple[Any, ...]:
        return (
            self.text,
            [(c.index, _given(c.id), c.name, c.arguments) for c in self.tool_calls],
            self.usage,
            self.finish_reason,
            self.model,
            self.provider,
            self.reasoning,
            [(c.index, _given(c.id), c.name, c.raw) for c in self.invalid_tool_calls],
            self.raw_finish_reason,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChatResponse):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]


def _given(call_id: str) -> str | None:
    """A provider's call id; ``None`` for one the stream decoder made up."""
    return None if call_id.startswith("call_fai_") else call_id


@dataclass(frozen=True, repr=False)
class EmbeddingResponse:
    """Embeddings in the order of the inputs, with the model that made them."""

    embeddings: list[list[float]]
    model: str
    provider: str
    usage: Usage | None = None
    raw: Any = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: every field but ``raw``, the usage as its ``to_dict()``."""
        return {
            "embeddings": [list(vector) for vector in self.embeddings],
            "model": self.model,
            "provider": self.provider,
            "usage": None if self.usage is None else self.usage.to_dict(),
        }

    def __repr__(self) -> str:
        fields = ("embeddings", "model", "provider", "usage")
        return short_repr("EmbeddingResponse", [(name, getattr(self, name)) for name in fields])


@dataclass(frozen=True, repr=False)
class RerankResult:
    """One document's place: ``index`` into the documents given, its ``relevance_score`` and,
    when the provider returned it, the ``document`` text."""

    index: int
    relevance_score: float
    document: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"index", "relevance_score", "document"}``: plain JSON data."""
        return {
            "index": self.index,
            "relevance_score": self.relevance_score,
            "document": self.document,
        }

    def __repr__(self) -> str:
        fields = ("index", "relevance_score", "document")
        return short_repr("RerankResult", [(name, getattr(self, name)) for name in fields])


@dataclass(frozen=True, repr=False)
class RerankResponse:
    """Documents ranked by relevance, most relevant first."""

    results: list[RerankResult]
    model: str
    provider: str
    usage: Usage | None = None
    raw: Any = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: every field but ``raw``, the results and the usage as their
        ``to_dict()``."""
        return {
            "results": [result.to_dict() for result in self.results],
            "model": self.model,
            "provider": self.provider,
            "usage": None if self.usage is None else self.usage.to_dict(),
        }

    def __repr__(self) -> str:
        fields = ("results", "model", "provider", "usage")
        return short_repr("RerankResponse", [(name, getattr(self, name)) for name in fields])


# A misspelt keyword raises UnknownArgumentError (with the close match), not a bare TypeError.
guard_signatures(Timeout)
