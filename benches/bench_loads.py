"""Whole-document JSON to Python objects: which parser should the decoders use?

The design suggested simd-json for whole documents. This group measures, on the same
documents as ``bench_json.py``, the two native paths (private functions of ``_core`` that
exist for this comparison) against the stdlib and orjson:

- ``own_parser``: the incremental parser fed the whole document; one pass, Python objects
  built as each value closes;
- ``simd_json``: simd-json (copy of the input, tape, borrowed value tree) then conversion to
  Python objects;
- ``json_loads`` and ``orjson_loads`` for reference.
"""

from __future__ import annotations

import json

import orjson
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from fluent_ai import _core

from .harness import run

PARSERS = {
    "own_parser": _core._loads,
    "simd_json": _core._loads_simd_json,
    "json_loads": json.loads,
    "orjson_loads": orjson.loads,
}


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_loads(benchmark: BenchmarkFixture, document: tuple[int, str], parser: str) -> None:
    kib, text = document
    benchmark.group = f"loads {kib:>2} KiB"
    data = text.encode()
    value = run(benchmark, lambda: PARSERS[parser](data))
    assert value == json.loads(text)
