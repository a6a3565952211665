"""Abandoned streams in the ways the lifecycle tests did not try: every dialect (SSE, NDJSON,
AWS event-stream), ``chat()`` between them, threads sharing one client, the caller's own small
``httpx.Client`` pool, the last reference dropped in another thread, generators kept after their
stream, ``gc.freeze()``, and ``AsyncClient`` on asyncio and trio; on both backends. Each run is
a process of its own (``adversarial_play.py``) with a deadline, so a hang fails instead of
blocking the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent

RUNS = [
    ("dialects", 3000),
    ("threads", 1200),
    ("custom", 600),
    ("crossdel", 600),
    ("freeze", 600),
    ("async", 600),
    ("trio", 600),
]


@pytest.mark.parametrize("backend", ["native", "python"])
@pytest.mark.parametrize(("mode", "count"), RUNS)
def test_abandoned_streams_never_hang_nor_stay_in_flight(
    backend: str, mode: str, count: int
) -> None:
    if backend == "python" and mode == "dialects":
        count = 1000  # the same paths; the pure decoders are slower
    env = {**os.environ, "FLUENT_AI_BACKEND": backend}
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "adversarial_play.py"), mode, str(count)],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
            env=env,
            cwd=HERE,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{count} abandoned streams ({mode}, {backend}): still running after 90 s")
    assert done.returncode == 0, done.stderr[-3000:]
    # Every stream ended: no request is left in flight.
    assert done.stdout.split() == ["ok", str(count), "0"], (done.stdout, done.stderr[-2000:])
