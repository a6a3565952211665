"""Every core test runs against both backends: the native module and the pure-Python one.

Installed from the pure-Python wheel (``make test-pure``), there is no native module: then
``fluent_ai._core`` is a stand-in whose every use skips the test (or the module that uses it at
import) with the reason, and the ``core`` fixture's ``native`` parameter skips, so the native
half is reported as skipped, never passed. ``FLUENT_AI_EXPECT_PURE=1`` (set by test-pure) makes
the run stop at once if a native module is importable after all.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

import fluent_ai
from fluent_ai import _purepy

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CONFORMANCE = SHARED / "conformance"


# Dunder names the tests read as the native module's data (the others are introspection).
_MODULE_DATA = {"__all__", "__version__"}
# Tests of the native module that do not touch fluent_ai._core (they read backend() or run a
# subprocess), so only their names can tell: skipped, with the reason, in a pure install.
NATIVE_ONLY_TESTS = {
    "test_backend.py::test_the_native_module_really_loaded",
    "test_backend.py::test_native_backend_is_selected_by_the_environment",
    "test_backend.py::test_simd_can_be_switched_off",
    # Child processes that import the native module themselves (or run both backends).
    "test_depth_limits.py::test_huge_depth_never_crashes_on_a_small_stack",
    "test_adversarial_lifecycle.py::test_abandoned_streams_never_hang_nor_stay_in_flight",
}
# Whole files about the native module: SIMD kernels, and the fuzzer, which compares the two
# backends with each other.
NATIVE_ONLY_FILES = {"test_simd.py", "test_fuzz_harness.py", "test_fuzz_regressions.py"}


class _NativeAbsent(ModuleType):
    """``fluent_ai._core`` when the install has no native module: any use skips the test."""

    def __init__(self, reason: str) -> None:
        super().__init__("fluent_ai._core", reason)
        self.reason = reason

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__") and name not in _MODULE_DATA:
            raise AttributeError(name)  # introspection (inspect, pickle, pytest): "absent"
        raise pytest.skip.Exception(f"native only ({name}): {self.reason}", allow_module_level=True)


def _native_module() -> ModuleType | None:
    try:
        return importlib.import_module("fluent_ai._core")
    except ImportError as error:
        absent = _NativeAbsent(f"no native module in this install ({error})")
        sys.modules["fluent_ai._core"] = absent
        fluent_ai._core = absent  # type: ignore[attr-defined]
        return None


NATIVE = _native_module()
_core: ModuleType = sys.modules["fluent_ai._core"]
if os.environ.get("FLUENT_AI_EXPECT_PURE") == "1" and NATIVE is not None:
    pytest.exit(f"FLUENT_AI_EXPECT_PURE=1 but a native module is installed: {NATIVE.__file__}", 3)

BACKENDS = {"native": _core, "python": _purepy}


@pytest.fixture(params=sorted(BACKENDS))
def core(request: pytest.FixtureRequest) -> ModuleType:
    """The core module of one backend (``fluent_ai._core`` or ``fluent_ai._purepy``)."""
    if request.param == "native" and NATIVE is None:
        pytest.skip(f"native backend: {_core.__doc__}")
    return BACKENDS[request.param]


def pytest_report_header() -> str:
    if NATIVE is None:
        return f"fluent_ai: pure-Python install, native tests skip: {_core.__doc__}"
    setting = os.environ.get("FLUENT_AI_SIMD", "")
    return f"fluent_ai native SIMD level: {NATIVE.SIMD_LEVEL} (FLUENT_AI_SIMD={setting!r})"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if NATIVE is not None:
        return
    for item in items:
        name = f"{item.path.name}::{getattr(item, 'originalname', item.name)}"
        if name in NATIVE_ONLY_TESTS or item.path.name in NATIVE_ONLY_FILES:
            item.add_marker(pytest.mark.skip(reason=f"native backend: {_core.__doc__}"))
