"""Every core test runs against both backends: the native module and the pure-Python one."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

from fluent_ai import _core, _purepy

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CONFORMANCE = SHARED / "conformance"

BACKENDS = {"native": _core, "python": _purepy}


@pytest.fixture(params=sorted(BACKENDS))
def core(request: pytest.FixtureRequest) -> ModuleType:
    """The core module of one backend (``fluent_ai._core`` or ``fluent_ai._purepy``)."""
    return BACKENDS[request.param]


def pytest_report_header() -> str:
    setting = os.environ.get("FLUENT_AI_SIMD", "")
    return f"fluent_ai native SIMD level: {_core.SIMD_LEVEL} (FLUENT_AI_SIMD={setting!r})"
