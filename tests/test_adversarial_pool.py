"""Many streams at once on the clients' own pools, with ``first_event=30``: 500 threads sharing
one ``Client`` (its pool has a gate, as ``AsyncClient``'s has: without it the threads spent
their time in httpcore's bookkeeping and late first events timed out) and 400 tasks on one
``AsyncClient``; and a storm of failures from 16 threads sharing one ``Client``, after which
every connection of the pool must be back. Each run is a process of its own
(``adversarial_play.py``) with a deadline."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fluent_ai.resilience import Watchdog

HERE = Path(__file__).parent


@pytest.mark.parametrize(("mode", "count"), [("syncpool", 500), ("asyncpool", 400), ("storm", 100)])
def test_every_concurrent_stream_succeeds(mode: str, count: int) -> None:
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "adversarial_play.py"), mode, str(count)],
            capture_output=True,
            text=True,
            timeout=150,
            check=False,
            cwd=HERE,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{count} concurrent streams ({mode}): still running after 150 s")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["ok", str(count), "0"], (done.stdout, done.stderr[-2000:])


def test_a_fired_alarm_keeps_the_limit_that_fired() -> None:
    # Under load the first event can arrive just as its limit passes: the watchdog fires
    # (shutting the socket down) while the reader, which got the event, moves the alarm on to
    # the idle limit. The error must name the limit that fired, not "idle" (which was unset:
    # the message read "no event arrived for 0s").
    fired = threading.Event()
    alarm = Watchdog().alarm(fired.set)
    alarm.set(time.monotonic() - 1, "first_event")
    assert fired.wait(5)
    alarm.set(float("inf"), "idle")
    assert (alarm.fired, alarm.reason) == (True, "first_event")
