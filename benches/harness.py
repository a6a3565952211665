"""What the benchmark modules share: both fluent-ai backends, the runner, peer imports."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Callable, TypeVar

from pytest_benchmark.fixture import BenchmarkFixture

from fluent_ai import _core, _purepy

BACKENDS = {"native": _core, "python": _purepy}

T = TypeVar("T")


def run(benchmark: BenchmarkFixture, fn: Callable[[], T], rounds: int | None = None) -> T:
    """Time ``fn``: calibrated by pytest-benchmark, or ``rounds`` single runs for slow peers."""
    if rounds is None:
        return benchmark(fn)
    return benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0)


def httpx_sse_decoders() -> ModuleType:
    """``httpx_sse._decoders``.

    httpx-sse imports ``httpx``; current stacks ship it as ``httpx2`` (what openai depends on),
    which provides the documented alias for code that still imports the old name.
    """
    try:
        importlib.import_module("httpx")
    except ImportError:
        importlib.import_module("httpx2").alias_httpx()
    return importlib.import_module("httpx_sse._decoders")
