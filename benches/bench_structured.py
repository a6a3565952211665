"""Structured output while streaming: fluent-ai's partial objects against re-parsing the text.

The model's output is the 4, 16 and 64 KiB documents of ``workloads.tool_arguments``, typed by
a pydantic model (``Results``), arriving in 8-character deltas. Each peer shows a partial value
after every delta and ends with the validated ``Results``:

- ``fluent_*``: ``fluent_ai.structured.OutputStream``, what ``ChatStream`` runs: ONE
  incremental parse (``JsonStream``), an ``OutputPartial`` (``partial()``) after each delta that
  changed the value, the parser's final value validated once (native / pure-Python core);
- ``pydantic_core``: the accumulated text re-parsed after every delta with
  ``pydantic_core.from_json(text, allow_partial=True)`` (how pydantic-ai streams output), then
  ``Results.model_validate`` once;
- ``instructor``: instructor's own ``Partial[Results].model_from_chunks`` (instructor 1.17 from
  PyPI; it re-parses the accumulated text with jiter and re-validates a partial model after every
  chunk).

Re-parsing is quadratic in the output size, so the slow peers run a fixed, small number of rounds.
instructor takes about a minute for ONE round at 64 KiB on the 2-core reference machine: it runs
there only with ``FLUENT_AI_BENCH_SLOW=1`` (skipped with that reason otherwise).
"""

from __future__ import annotations

import json
import os
from types import ModuleType
from typing import Any, Callable, Optional

import pydantic
import pydantic_core
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from fluent_ai.structured import OutputStream, output_format
from fluent_ai.types import ChatResponse

from . import workloads
from .harness import BACKENDS, run

SIZES_KIB = (4, 16, 64)
# Rounds per KiB for peers too slow to calibrate (None: let pytest-benchmark choose).
ROUNDS: dict[str, dict[int, int | None]] = {
    "fluent_python": {4: None, 16: 5, 64: 3},
    "pydantic_core": {4: None, 16: 5, 64: 2},
    "instructor": {4: 3, 16: 1, 64: 1},
}
SLOW = os.environ.get("FLUENT_AI_BENCH_SLOW") == "1"


class Station(pydantic.BaseModel):
    code: int


class Location(pydantic.BaseModel):
    lat: float
    lon: float
    readings: list[list[float]]
    station: Optional[Station]  # noqa: UP045  (evaluated on 3.9)


class Record(pydantic.BaseModel):
    id: int
    name: str
    active: bool
    score: float
    tags: list[str]
    location: Location
    notes: str


class Results(pydantic.BaseModel):
    results: list[Record]
    summary: str


@pytest.fixture(scope="module", params=SIZES_KIB, ids=lambda k: f"{k}KiB")
def output(request: pytest.FixtureRequest) -> tuple[int, str, Results]:
    kib = request.param
    text = workloads.tool_arguments(kib)
    return kib, text, Results.model_validate_json(text)


def _setup(benchmark: BenchmarkFixture, output: tuple[int, str, Results]) -> list[str]:
    kib, text, _ = output
    benchmark.group = f"structured output {kib:>2} KiB in 8-char deltas"
    benchmark.extra_info["bytes"] = len(text.encode())
    return workloads.fragments(text)


def _fluent(core: ModuleType, fragments: list[str], text: str) -> Callable[[], Any]:
    output = output_format(Results)
    assert output is not None
    response = ChatResponse(text, (), None, "stop", "m", "p")

    def go() -> Any:
        stream = OutputStream(output, core.TextDelta, core.JsonStream)
        partials = 0
        for fragment in fragments:
            events = [core.TextDelta(fragment)]
            stream.add_partials(events)
            partials += len(events) - 1
        return partials, stream.finish(response).parsed

    return go


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_fluent(
    benchmark: BenchmarkFixture, output: tuple[int, str, Results], backend: str
) -> None:
    fragments = _setup(benchmark, output)
    kib, text, expected = output
    rounds = ROUNDS["fluent_python"][kib] if backend == "python" else None
    partials, parsed = run(benchmark, _fluent(BACKENDS[backend], fragments, text), rounds)
    assert parsed == expected
    assert partials > len(fragments) // 2  # a partial value for most deltas


def test_pydantic_core(benchmark: BenchmarkFixture, output: tuple[int, str, Results]) -> None:
    fragments = _setup(benchmark, output)
    kib, whole, expected = output

    def go() -> Any:
        text, partial = "", None
        for fragment in fragments:
            text += fragment
            partial = pydantic_core.from_json(text, allow_partial=True)
        return partial, Results.model_validate(partial)

    partial, parsed = run(benchmark, go, ROUNDS["pydantic_core"][kib])
    assert parsed == expected and partial == json.loads(whole)


def test_instructor(benchmark: BenchmarkFixture, output: tuple[int, str, Results]) -> None:
    instructor = pytest.importorskip("instructor", reason="the bench group installs instructor")
    fragments = _setup(benchmark, output)
    kib, _, expected = output
    if kib == 64 and not SLOW:
        pytest.skip("one round takes about a minute at 64 KiB: set FLUENT_AI_BENCH_SLOW=1")
    partial_model = instructor.Partial[Results]

    def go() -> Any:
        partials = list(partial_model.model_from_chunks(fragments))
        return partials[-1] if partials else None

    last = run(benchmark, go, ROUNDS["instructor"][kib])
    assert last is not None and last.model_dump() == expected.model_dump()
