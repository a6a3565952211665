"""The one hook the clients call: a ``CallObserver`` per chat, stream, embed or rerank call,
told when the call starts, retries, delivers stream chunks, gets its answer and ends. It
records the Prometheus series (always; cheap) and, when the application configured
OpenTelemetry, the GenAI span and metrics.

The observer never raises into the call: telemetry that fails is dropped and logged once.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from typing import Any

from . import _otel
from ._names import operation_name, provider_name, server_of
from ._prometheus import LLMMetrics

__all__ = ["CallObserver", "registry", "set_registry", "start"]

logger = logging.getLogger("fluent_ai.client")
_telemetry_log = logging.getLogger("fluent_ai.telemetry")

_registry = LLMMetrics()

# The response id near the start of a stream, per dialect: OpenAI chat and responses,
# Anthropic and Cohere put the answer's ``"id"`` before any other id (tool calls come later),
# Gemini sends ``"responseId"``; Ollama and Bedrock streams carry none.
_ID = rb'"%s"\s*:\s*"([^"\\]{1,200})"'
_STREAM_IDS = {
    "openai-chat": re.compile(_ID % b"id"),
    "openai-responses": re.compile(_ID % b"id"),
    "anthropic": re.compile(_ID % b"id"),
    "cohere": re.compile(_ID % b"id"),
    "gemini": re.compile(_ID % b"responseId"),
}
_HEAD_LIMIT = 16 * 1024
# Outcomes that are no error of the call: an answer, a stream the caller closed, a caller's
# task cancelled (asyncio, trio), which is also how an event loop ends a dropped async stream.
_NOT_FAILURES = frozenset({"ok", "closed", "CancelledError", "Cancelled"})
_failed_once = False


def registry() -> LLMMetrics:
    """The :class:`LLMMetrics` the clients record into."""
    return _registry


def set_registry(metrics: LLMMetrics) -> LLMMetrics:
    """Makes the clients record into ``metrics`` from now on; returns the one before."""
    global _registry
    if not isinstance(metrics, LLMMetrics):
        raise TypeError(f"metrics must be a fluent_ai.telemetry.LLMMetrics, not {metrics!r}")
    previous, _registry = _registry, metrics
    return previous


def start(call: Any) -> CallObserver | None:
    """The observer of ``call`` (when its first attempt starts, or when it ends before any),
    or ``None`` for operations that are not GenAI calls (``list_models``)."""
    operation = operation_name(call.operation)
    if operation is None:
        return None
    try:
        return CallObserver(call, operation, _otel.active())
    except Exception:
        _dropped()
        return None


def _safe(method: Any) -> Any:
    """Telemetry that fails is skipped (and logged once); the call goes on."""

    @functools.wraps(method)
    def guarded(*args: Any) -> None:
        try:
            method(*args)
        except Exception:
            _dropped()

    return guarded


def _dropped() -> None:
    global _failed_once
    if not _failed_once:
        _failed_once = True
        _telemetry_log.warning("fluent-ai telemetry failed and was skipped", exc_info=True)


class CallObserver:
    """What one call reports. Methods are called by ``_calls.Call`` and ``_streaming``."""

    __slots__ = (
        "_call",
        "_context_token",
        "_ended",
        "_first_chunk",
        "_head",
        "_id_pattern",
        "_instruments",
        "_labels",
        "_last_chunk",
        "_metrics",
        "_model",
        "_operation",
        "_response_id",
        "_response_model",
        "_span",
        "_usage",
        "head_open",
    )

    def __init__(self, call: Any, operation: str, instruments: Any) -> None:
        self._call = call
        self._operation = operation
        self._instruments = instruments
        self._metrics = _registry
        self._model = getattr(call, "model", None) or ""
        self._labels = (call.name, self._model, call.operation)
        self._response_model: str | None = None
        self._usage: Any = None
        self._first_chunk: float | None = None
        self._last_chunk = 0.0
        self._ended = False
        self._span: Any = None
        # The first bytes of a stream, until its response id is found (spans only).
        self._head = b""
        self._response_id: str | None = None
        self.head_open = False
        self._id_pattern: Any = None
        self._context_token: Any = None
        self._metrics.gauge_add("fluent_ai_llm_requests_in_flight", (call.name,), 1.0)
        if instruments is not None and instruments.tracer is not None:
            self._span = self._start_span()
            self._id_pattern = _STREAM_IDS.get(getattr(call.adapter, "dialect", ""))
            self.head_open = self._span is not None and self._id_pattern is not None
            if self._span is not None and call.operation != "stream":
                # The span is current while a chat, embed or rerank runs (one with block in
                # one thread or task), so the HTTP client's own spans become its children.
                # A stream is read wherever its caller iterates: it is current nowhere.
                self._context_token = instruments.current(self._span)
        if logger.isEnabledFor(logging.DEBUG):
            address, port = server_of(call.provider.base_url)
            logger.debug(
                "%s %s/%s started (server %s:%s)",
                call.operation,
                call.name,
                self._model,
                address,
                port,
            )

    # Span ---------------------------------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        call = self._call
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": self._operation,
            "gen_ai.provider.name": provider_name(call.name),
        }
        if self._model:
            attributes["gen_ai.request.model"] = self._model
        address, port = server_of(call.provider.base_url)
        if address is not None:
            attributes["server.address"] = address
            attributes["server.port"] = port
        return attributes

    def _start_span(self) -> Any:
        call = self._call
        attributes = self._common()
        attributes["fluent_ai.provider"] = call.name
        params = getattr(call, "params", None)
        if params is not None:
            _request_attributes(attributes, params)
            if call.operation == "stream":
                attributes["gen_ai.request.stream"] = True
        # The span starts when the call was made, not at its first attempt (a rate-limit wait
        # or a breaker check comes before).
        started = time.time_ns() - int(call.deadline.elapsed() * 1e9)
        name = f"{self._operation} {self._model}" if self._model else self._operation
        span = self._instruments.tracer.start_span(
            name, kind=self._instruments.client_kind, attributes=attributes, start_time=started
        )
        if not span.is_recording():
            return None
        if params is not None and _otel.capture_content():
            system, messages = _otel.input_messages(params.messages)
            if system is not None:
                span.set_attribute("gen_ai.system_instructions", system)
            span.set_attribute("gen_ai.input.messages", messages)
            if params.tools:
                span.set_attribute("gen_ai.tool.definitions", _otel._json(list(params.tools)))
        return span

    # Events of the call -------------------------------------------------------------------

    @_safe
    def retry(self, error: BaseException, status: int | None, delay: float, attempt: int) -> None:
        """Attempt ``attempt`` failed with ``error``; the next starts in ``delay`` seconds."""
        reason = str(status) if status is not None else type(error).__name__
        self._metrics.inc("fluent_ai_llm_retries_total", (*self._labels, reason))
        span = self._span
        if span is not None:
            attributes: dict[str, Any] = {
                "fluent_ai.retry.attempt": attempt,
                "fluent_ai.retry.delay": delay,
                "error.type": type(error).__name__,
                "exception.type": type(error).__name__,
                "exception.message": self._call.redact(str(error)),
            }
            if status is not None:
                attributes["http.response.status_code"] = status
            span.add_event("fluent_ai.retry", attributes)

    @_safe
    def chunk(self) -> None:
        """Events of one network read are about to reach the caller."""
        now = time.monotonic()
        call = self._call
        labels = (call.name, self._model)
        instruments = self._instruments
        if self._first_chunk is None:
            elapsed = now - call.deadline.started
            self._first_chunk = elapsed
            self._metrics.observe("fluent_ai_llm_time_to_first_chunk_seconds", labels, elapsed)
            if instruments is not None and instruments.first_chunk is not None:
                instruments.first_chunk.record(elapsed, self._metric_attributes())
        else:
            gap = now - self._last_chunk
            self._metrics.observe("fluent_ai_llm_time_per_output_chunk_seconds", labels, gap)
            if instruments is not None and instruments.per_chunk is not None:
                instruments.per_chunk.record(gap, self._metric_attributes())
        self._last_chunk = now

    @_safe
    def head(self, chunk: bytes) -> None:
        """Bytes of a stream (or of a whole answer replayed), read until the response id."""
        self._head = head = self._head + chunk
        match = self._id_pattern.search(head)
        if match is not None:
            self._response_id = match.group(1).decode("utf-8", "replace")
        if match is not None or len(head) > _HEAD_LIMIT:
            self.head_open = False
            self._head = b""

    @_safe
    def chat_response(self, response: Any, raw: Any) -> None:
        """A chat answer was built (``raw``: the body of ``chat()``, ``None`` for a stream)."""
        self._response_model = response.model
        self._usage = response.usage
        span = self._span
        if span is None:
            return
        span.set_attribute("gen_ai.response.model", response.model)
        response_id = _response_id(raw) or self._response_id
        if response_id:
            span.set_attribute("gen_ai.response.id", response_id)
        if response.finish_reason:
            span.set_attribute("gen_ai.response.finish_reasons", [response.finish_reason])
        if response.raw_finish_reason:  # the provider's own word (end_turn, STOP, ...)
            span.set_attribute("fluent_ai.response.raw_finish_reason", response.raw_finish_reason)
        if self._first_chunk is not None:
            span.set_attribute("gen_ai.response.time_to_first_chunk", self._first_chunk)
        if _otel.capture_content():
            span.set_attribute("gen_ai.output.messages", _otel.output_messages(response))

    @_safe
    def result(self, response: Any) -> None:
        """The answer of ``embed`` or ``rerank``."""
        self._response_model = getattr(response, "model", None)
        self._usage = getattr(response, "usage", None)
        span = self._span
        if span is not None and self._response_model:
            span.set_attribute("gen_ai.response.model", self._response_model)
        if span is not None and getattr(response, "embeddings", None):
            span.set_attribute("gen_ai.embeddings.dimension.count", len(response.embeddings[0]))

    @_safe
    def finish(self, outcome: str, elapsed: float) -> None:
        """The call ended: ``ok``, ``closed`` or the class name of the exception raised."""
        if self._ended:
            return
        self._ended = True
        call = self._call
        failed = outcome not in _NOT_FAILURES
        breaker = call.breaker
        usage = self._usage
        tokens = _tokens(usage)
        cost = None
        if usage is not None and call.operation in ("chat", "stream"):
            cost = _cost(call.name, self._response_model or self._model, usage)
        self._metrics.call_ended(
            self._labels,
            outcome,
            failed=failed,
            seconds=elapsed,
            circuit=None if breaker is None else breaker.breaker.state,
            tokens=tokens,
            cost=cost,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s/%s ended: %s in %.3fs (%d retries)",
                call.operation,
                call.name,
                self._model,
                outcome,
                elapsed,
                call.attempt,
            )
        instruments = self._instruments
        if instruments is None:
            return
        attributes = self._metric_attributes()
        if failed:
            attributes["error.type"] = outcome
        if instruments.duration is not None:
            instruments.duration.record(elapsed, attributes)
        if instruments.tokens is not None:
            for kind, count in tokens:
                if kind in ("input", "output"):
                    instruments.tokens.record(count, {**attributes, "gen_ai.token.type": kind})
        span = self._span
        if span is None:
            return
        if self._context_token is not None:
            token, self._context_token = self._context_token, None
            instruments.restore(token)
        for kind, count in tokens:
            span.set_attribute(_USAGE_ATTRIBUTES[kind], count)
        span.set_attribute("fluent_ai.outcome", outcome)
        if call.attempt:
            span.set_attribute("fluent_ai.retries", call.attempt)
        if failed:
            span.set_attribute("error.type", outcome)
            span.set_status(instruments.status_of(instruments.error_code, outcome))
        span.end()

    def _metric_attributes(self) -> dict[str, Any]:
        attributes = self._common()
        if self._response_model:
            attributes["gen_ai.response.model"] = self._response_model
        return attributes


_USAGE_ATTRIBUTES = {
    "input": "gen_ai.usage.input_tokens",
    "output": "gen_ai.usage.output_tokens",
    "cache_read": "gen_ai.usage.cache_read.input_tokens",
    "cache_write": "gen_ai.usage.cache_write.input_tokens",
    "reasoning": "gen_ai.usage.reasoning.output_tokens",
}


def _tokens(usage: Any) -> list[tuple[str, int]]:
    if usage is None:
        return []
    found = []
    for kind, field in (
        ("input", "input_tokens"),
        ("output", "output_tokens"),
        ("cache_read", "cache_read_tokens"),
        ("cache_write", "cache_write_tokens"),
        ("reasoning", "reasoning_tokens"),
    ):
        count = getattr(usage, field, None)
        if isinstance(count, int) and count >= 0:
            found.append((kind, count))
    return found


def _cost(provider: str, model: str, usage: Any) -> float | None:
    """The call's cost in USD by the catalog's prices and its rule (uncached input = input -
    cache reads - cache writes), in floats: the exact ``catalog.cost`` takes 30 µs."""
    prices = _prices(f"{provider}/{model}")
    if prices is None:
        return None
    total = 0.0
    cache_read = usage.cache_read_tokens or 0
    cache_write = usage.cache_write_tokens or 0
    uncached = None if usage.input_tokens is None else usage.input_tokens - cache_read - cache_write
    for tokens, price in zip((uncached, usage.output_tokens, cache_read, cache_write), prices):
        if tokens is None:
            return None  # a count the provider did not send: the cost is unknown
        if tokens:
            if price is None or tokens < 0:
                return None
            total += tokens * price / 1e6
    return total


_PRICES: dict[str, Any] = {}


def _prices(name: str) -> tuple[float | None, ...] | None:
    """The four per-million prices of a model (``None`` when unknown), cached."""
    if name in _PRICES:
        return _PRICES[name]  # type: ignore[no-any-return]
    from .. import catalog  # noqa: PLC0415  (loaded on the first answer with a usage)

    try:
        info = catalog.get(name)
    except (KeyError, ValueError):
        found = None
    else:
        found = (info.input_price, info.output_price, info.cache_read_price, info.cache_write_price)
    if len(_PRICES) < 4096:  # bounded like the series: model names come from callers
        _PRICES[name] = found
    return found


def _request_attributes(attributes: dict[str, Any], params: Any) -> None:
    for name, value in (
        ("gen_ai.request.temperature", params.temperature),
        ("gen_ai.request.max_tokens", params.max_tokens),
        ("gen_ai.request.top_p", params.top_p),
        ("gen_ai.request.seed", params.seed),
        ("gen_ai.request.presence_penalty", params.presence_penalty),
        ("gen_ai.request.frequency_penalty", params.frequency_penalty),
        ("gen_ai.request.reasoning.level", params.reasoning_effort),
    ):
        if value is not None:
            attributes[name] = value
    stop = params.stop
    if stop is not None:
        attributes["gen_ai.request.stop_sequences"] = (
            [stop] if isinstance(stop, str) else list(stop)
        )
    response_format = params.response_format
    if response_format:
        kind = response_format.get("type")
        attributes["gen_ai.output.type"] = (
            "json" if kind in ("json_object", "json_schema") else "text"
        )


def _response_id(raw: Any) -> str | None:
    if isinstance(raw, dict):
        for key in ("id", "responseId"):
            value = raw.get(key)
            if isinstance(value, str) and value:
                return value
    return None
