"""Fixtures for the benchmarks.

Every benchmark returns its result and the test compares it with the expected value, so
``pytest benches --benchmark-disable`` runs each peer once as a correctness test.
"""

from __future__ import annotations

import os

import pytest

from fluent_ai import _core

from . import workloads


@pytest.fixture(scope="session", params=workloads.JSON_SIZES_KIB, ids=lambda k: f"{k}KiB")
def document(request: pytest.FixtureRequest) -> tuple[int, str]:
    """``(KiB, text)`` of one tool-argument document."""
    return request.param, workloads.tool_arguments(request.param)


@pytest.fixture(scope="session")
def sse_body() -> workloads.SseBody:
    """The 10,000-event chat-completions stream."""
    return workloads.chat_completion_stream()


def pytest_report_header() -> str:
    simd = os.environ.get("FLUENT_AI_SIMD", "")
    return f"fluent_ai native SIMD level (benches): {_core.SIMD_LEVEL} (FLUENT_AI_SIMD={simd!r})"
