"""Telemetry of the clients: OpenTelemetry GenAI spans and metrics, Prometheus series that
aggregate across processes, and logging (see docs/telemetry.md).

    from fluent_ai import telemetry
    print(telemetry.prometheus_text())                   # text exposition format 0.0.4
    prometheus_client.REGISTRY.register(telemetry.PrometheusCollector())
    telemetry.set_capture_content(True)                  # prompts and answers on spans
    telemetry.configure_logging("debug")                 # or FLUENT_AI_LOG=debug

OpenTelemetry needs only ``opentelemetry-api`` (``pip install fluent-ai[otel]``) and a tracer
or meter provider set by the application; without them nothing is recorded and a call costs
two ``isinstance`` checks more.
"""

from __future__ import annotations

from typing import Any

from ._hook import registry, set_registry
from ._logging import LEVELS, LOGGERS, configure_logging
from ._otel import capture_content, set_capture_content, set_providers
from ._prometheus import FAMILIES, Family, LLMMetrics, PrometheusCollector

__all__ = [
    "FAMILIES",
    "LEVELS",
    "LOGGERS",
    "Family",
    "LLMMetrics",
    "PrometheusCollector",
    "capture_content",
    "configure_logging",
    "prometheus_text",
    "registry",
    "set_capture_content",
    "set_providers",
    "set_registry",
]


def prometheus_text(*, library: Any = None) -> str:
    """The clients' series (:func:`registry`) in the Prometheus text format 0.0.4; with
    ``library=fluent_ai.metrics`` (a ``fluent_ai.Metrics``), its series follow, so one scrape
    gets both."""
    text = registry().prometheus()
    if library is not None:
        text += library.prometheus()
    return text
