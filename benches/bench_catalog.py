"""The model catalog: first load of the packaged snapshot, then lookups.

- ``first_load_fresh_process``: a new interpreter imports ``fluent_ai.catalog`` and calls
  ``get`` once; the time of that first ``get`` (reading and parsing the snapshot) is measured
  inside the child, so interpreter start-up does not count. The issue's target is < 50 ms.
- ``reload_and_get``: the same load in this process (``catalog.reload()`` then ``get``).
- ``get_exact``, ``get_alias``, ``find_chat_tools``, ``cost``: after the load.

``python -m benches.bench_catalog`` prints the fresh-process figures used in the README.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from fluent_ai import catalog

from .harness import run

_CHILD = """
import json, time
t0 = time.perf_counter()
import fluent_ai
t1 = time.perf_counter()
import fluent_ai.catalog as catalog
t2 = time.perf_counter()
info = catalog.get("openai/gpt-4.1-mini")
t3 = time.perf_counter()
catalog.get("anthropic/claude-sonnet-4-5")
t4 = time.perf_counter()
print(json.dumps({"import_fluent_ai": t1 - t0, "import_catalog": t2 - t1,
                  "first_get": t3 - t2, "second_get": t4 - t3, "id": info.id}))
"""


def first_load_in_fresh_process() -> dict[str, float]:
    """Seconds per step in a new interpreter (no cache files, so only the snapshot is read)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "FLUENT_AI_CACHE_DIR": cache}
        done = subprocess.run(
            [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True
        )
    figures = json.loads(done.stdout)
    assert figures.pop("id") == "gpt-4.1-mini"
    return {k: float(v) for k, v in figures.items()}


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("FLUENT_AI_CACHE_DIR", str(tmp_path))
    catalog.reload()


def test_first_load_fresh_process(benchmark: BenchmarkFixture) -> None:
    benchmark.group = "catalog load"
    figures = run(benchmark, first_load_in_fresh_process, rounds=5)
    assert figures["first_get"] < 0.05  # the budget for the first get


def test_reload_and_get(benchmark: BenchmarkFixture) -> None:
    benchmark.group = "catalog load"

    def load() -> str:
        catalog.reload()
        return catalog.get("openai/gpt-4.1-mini").id

    assert run(benchmark, load) == "gpt-4.1-mini"


def test_get_exact(benchmark: BenchmarkFixture) -> None:
    benchmark.group = "catalog lookup"
    catalog.get("openai/gpt-4.1-mini")
    assert run(benchmark, lambda: catalog.get("openai/gpt-4.1-mini")).input_price == 0.4


def test_get_alias(benchmark: BenchmarkFixture) -> None:
    benchmark.group = "catalog lookup"
    name = "anthropic/claude-sonnet-4-5-20991231"
    assert run(benchmark, lambda: catalog.get(name)).id == "claude-sonnet-4-5"


def test_find_chat_tools(benchmark: BenchmarkFixture) -> None:
    benchmark.group = "catalog lookup"
    found = run(benchmark, lambda: catalog.find(mode="chat", tools=True, min_context=200_000))
    assert found and all(m.tools for m in found)


def test_cost(benchmark: BenchmarkFixture) -> None:
    benchmark.group = "catalog lookup"
    usage = {"input_tokens": 10_000, "output_tokens": 2_000, "cache_read_tokens": 6_000}
    cost = run(benchmark, lambda: catalog.cost("anthropic/claude-sonnet-4-5", usage))
    assert cost.total == 0.0438


def main() -> None:
    runs = [first_load_in_fresh_process() for _ in range(15)]
    for key in runs[0]:
        values = sorted(r[key] * 1000 for r in runs)
        print(
            f"{key:>17}: median {statistics.median(values):6.2f} ms, "
            f"min {values[0]:6.2f} ms, max {values[-1]:6.2f} ms"
        )


if __name__ == "__main__":
    main()
