"""OpenTelemetry, through ``opentelemetry-api`` only: whether it is on, and the tracer and the
GenAI instruments of the providers the application configured.

Nothing here runs unless the API is installed and the application set a tracer or meter
provider (``trace.set_tracer_provider``, ``metrics.set_meter_provider``): without them the API's
global providers are proxies that record nothing, and the clients skip OpenTelemetry after two
``isinstance`` checks per call.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ._names import CHUNK_BUCKETS, DURATION_BUCKETS, TOKEN_BUCKETS

__all__ = ["Instruments", "active", "capture_content", "set_capture_content", "set_providers"]

# The instrumentation scope the spans and metrics carry.
SCOPE = "fluent_ai"

_api: Any = None  # the opentelemetry modules, or False when they are not installed
_cached: tuple[Any, Any, Instruments | None] | None = None
# Providers given to ``set_providers`` (used instead of the global ones), or None.
_explicit: tuple[Any, Any] | None = None

# Content capture: None = decided by the environment (read at each recorded call), else the
# caller's choice.
_capture: bool | None = None
_CAPTURE_ON = frozenset({"true", "1", "yes", "span_only", "span_and_event"})


class Instruments:
    """The tracer and the GenAI metric instruments of one tracer and meter provider pair
    (``None`` for the one the application did not configure)."""

    def __init__(self, tracer_provider: Any, meter_provider: Any) -> None:
        trace = _api[0]
        from .. import __version__  # noqa: PLC0415

        self.tracer = None
        if tracer_provider is not None:
            self.tracer = tracer_provider.get_tracer(SCOPE, __version__)
        self.duration = self.tokens = self.first_chunk = self.per_chunk = None
        if meter_provider is not None:
            meter = meter_provider.get_meter(SCOPE, __version__)
            self.duration = _histogram(
                meter, "gen_ai.client.operation.duration", "s",
                "GenAI operation duration.", DURATION_BUCKETS,
            )  # fmt: skip
            self.tokens = _histogram(
                meter, "gen_ai.client.token.usage", "{token}",
                "Number of input and output tokens used.", TOKEN_BUCKETS,
            )  # fmt: skip
            self.first_chunk = _histogram(
                meter, "gen_ai.client.operation.time_to_first_chunk", "s",
                "Time to receive the first chunk of a streamed response.", CHUNK_BUCKETS,
            )  # fmt: skip
            self.per_chunk = _histogram(
                meter, "gen_ai.client.operation.time_per_output_chunk", "s",
                "Time between consecutive chunks of a streamed response.", CHUNK_BUCKETS,
            )  # fmt: skip
        from opentelemetry import context  # noqa: PLC0415  (installed with the API)

        self.current = lambda span: context.attach(trace.set_span_in_context(span))
        self.restore = context.detach
        self.client_kind = trace.SpanKind.CLIENT
        self.error_status = trace.Status(trace.StatusCode.ERROR)
        self.status_of = trace.Status
        self.error_code = trace.StatusCode.ERROR


def _histogram(meter: Any, name: str, unit: str, text: str, buckets: tuple[float, ...]) -> Any:
    try:
        return meter.create_histogram(
            name, unit=unit, description=text, explicit_bucket_boundaries_advisory=list(buckets)
        )
    except TypeError:  # opentelemetry-api < 1.23 has no bucket advice
        return meter.create_histogram(name, unit=unit, description=text)


def active() -> Instruments | None:
    """The instruments to use for a call, or ``None`` when OpenTelemetry is absent or neither
    a tracer nor a meter provider is configured."""
    global _api, _cached
    if _api is None:
        try:
            from opentelemetry import metrics, trace  # noqa: PLC0415
        except ImportError:
            _api = False
        else:
            _api = (trace, metrics)
    if _api is False:
        return None
    trace, metrics = _api
    if _explicit is not None:
        tracer_provider, meter_provider = _explicit
    else:
        tracer_provider = trace.get_tracer_provider()
        meter_provider = metrics.get_meter_provider()
    cached = _cached
    if cached is not None and cached[0] is tracer_provider and cached[1] is meter_provider:
        return cached[2]
    tracing = _configured(tracer_provider)
    measuring = _configured(meter_provider)
    instruments = None
    if tracing or measuring:
        instruments = Instruments(
            tracer_provider if tracing else None, meter_provider if measuring else None
        )
    _cached = (tracer_provider, meter_provider, instruments)
    return instruments


def set_providers(tracer_provider: Any = None, meter_provider: Any = None) -> None:
    """Records into these providers instead of OpenTelemetry's global ones (either may be
    ``None``: no spans, or no metrics); with neither, the global providers again."""
    global _explicit
    if tracer_provider is None and meter_provider is None:
        _explicit = None
    else:
        _explicit = (tracer_provider, meter_provider)


def _configured(provider: Any) -> bool:
    if provider is None:
        return False
    # The API's stand-ins until the application sets a provider: proxies and no-ops.
    name = type(provider).__name__
    return not (
        name.startswith(("Proxy", "_Proxy", "NoOp", "_NoOp")) or name == "DefaultTracerProvider"
    )


def capture_content() -> bool:
    """Whether message content goes on spans (see :func:`set_capture_content`)."""
    if _capture is not None:
        return _capture
    value = os.environ.get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "")
    return value.strip().lower() in _CAPTURE_ON


def set_capture_content(enabled: bool | None) -> None:
    """Records prompts and answers on spans (``True``), never (``False``), or as
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` says (``None``)."""
    global _capture
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool or None, not {type(enabled).__name__}")
    _capture = enabled


# Content, in the conventions' message structure (role, parts) -------------------------------


def input_messages(messages: Any) -> tuple[str | None, str | None]:
    """``gen_ai.system_instructions`` and ``gen_ai.input.messages`` as JSON text."""
    system: list[dict[str, Any]] = []
    converted: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            system += _parts(message.get("content"))
            continue
        parts = _parts(message.get("content"))
        if role == "tool":
            parts = [{
                "type": "tool_call_response",
                "id": message.get("tool_call_id"),
                "response": message.get("content"),
            }]  # fmt: skip
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            parts.append({
                "type": "tool_call",
                "id": call.get("id"),
                "name": function.get("name"),
                "arguments": function.get("arguments"),
            })  # fmt: skip
        converted.append({"role": role, "parts": parts})
    return (
        _json(system) if system else None,
        _json(converted),
    )


def output_messages(response: Any) -> str:
    parts: list[dict[str, Any]] = []
    if response.reasoning:
        parts.append({"type": "reasoning", "content": response.reasoning})
    if response.text:
        parts.append({"type": "text", "content": response.text})
    for call in response.tool_calls:
        parts.append(
            {"type": "tool_call", "id": call.id, "name": call.name, "arguments": call.arguments}
        )
    message = {"role": "assistant", "parts": parts, "finish_reason": response.finish_reason or ""}
    return _json([message])


def _parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, str):
            parts.append({"type": "text", "content": part})
        elif part.get("type") == "text":
            parts.append({"type": "text", "content": part.get("text")})
        elif part.get("type") == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if isinstance(url, str) and url.startswith("data:"):
                parts.append({"type": "blob", "modality": "image"})  # no bytes on a span
            else:
                parts.append({"type": "uri", "modality": "image", "uri": url})
        else:
            parts.append({"type": str(part.get("type"))})
    return parts


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
