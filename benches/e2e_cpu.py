"""CPU per event of each end-to-end client, each in a fresh process, against one server process.

    python -m benches.e2e_cpu                     # 10,000 events, 3 measured streams each
    python -m benches.e2e_cpu --events 2000 --clients fluent,raw --bodies tools

For every body (text, tools) and framing (chunked, length) each client runs in a process of
its own: it makes its client, streams once to warm up, then streams ``--rounds`` times; the
process time (user + system CPU of that process, ``time.process_time``) of those rounds
divided by the events streamed is its CPU per event. Every answer is checked (text and parsed
tool arguments) before a number is reported. The ratio column compares each client with the
raw HTTP-library floor of the same kind (sync with ``raw``, async with ``raw_async``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import e2e_bodies, e2e_clients
from .e2e_server import Server

ROOT = Path(__file__).resolve().parent.parent


def measure(name: str, base_url: str, body: str, events: int, rounds: int) -> float:
    """CPU seconds per event of ``rounds`` streams of client ``name`` in this process."""
    expected = e2e_bodies.answer(body, events)
    runner = e2e_clients.CLIENTS[name](base_url)
    if runner.is_async:
        return asyncio.run(_measure_async(runner, expected, rounds))
    try:
        check(name, runner.once(), expected)
        start = time.process_time()
        for _ in range(rounds):
            result = runner.once()
            check(name, result, expected)
        return (time.process_time() - start) / (rounds * events)
    finally:
        runner.close()


async def _measure_async(runner: Any, expected: e2e_bodies.Answer, rounds: int) -> float:
    try:
        check("async", await runner.once(), expected)
        start = time.process_time()
        for _ in range(rounds):
            check("async", await runner.once(), expected)
        return (time.process_time() - start) / (rounds * expected.events)
    finally:
        await runner.close()


def check(name: str, result: tuple[str, list[Any]], expected: e2e_bodies.Answer) -> None:
    text, arguments = result
    if text != expected.text:
        raise AssertionError(f"{name}: wrong text ({len(text)} vs {len(expected.text)} chars)")
    if arguments != expected.arguments:
        raise AssertionError(f"{name}: wrong tool arguments")


def in_fresh_process(name: str, base_url: str, body: str, events: int, rounds: int) -> float:
    """:func:`measure` in a new interpreter (nothing warmed or imported by another client)."""
    args = [sys.executable, "-m", "benches.e2e_cpu", "--child", name, base_url, body]
    args += [str(events), str(rounds)]
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"{name} failed:\n{out.stderr[-2000:]}")
    return float(json.loads(out.stdout.strip().splitlines()[-1])["cpu_per_event"])


def available(name: str) -> bool:
    module = e2e_clients.NEEDS.get(name)
    return module is None or importlib.util.find_spec(module) is not None


def table(
    clients: list[str], bodies: list[str], framings: list[str], events: int, rounds: int
) -> str:
    results: dict[tuple[str, str, str], float] = {}
    with Server() as server:
        for body in bodies:
            for framing in framings:
                url = server.base_url(body, events, framing)
                for name in clients:
                    results[name, body, framing] = in_fresh_process(name, url, body, events, rounds)
    columns = [(b, f) for b in bodies for f in framings]
    head = "| client | " + " | ".join(f"{b}, {f}: µs/event (x floor)" for b, f in columns) + " |"
    lines = [head, "|---" * (len(columns) + 1) + "|"]
    for name in clients:
        floor = "raw_async" if name.endswith("_async") else "raw"
        cells = []
        for body, framing in columns:
            value = results[name, body, framing]
            base = results.get((floor, body, framing))
            ratio = f" ({value / base:.2f}x)" if base else ""
            cells.append(f"{value * 1e6:.2f}{ratio}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        name, base_url, body, events, rounds = sys.argv[2:7]
        cpu = measure(name, base_url, body, int(events), int(rounds))
        print(json.dumps({"cpu_per_event": cpu}))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", default=",".join(e2e_clients.CLIENTS))
    parser.add_argument("--bodies", default=",".join(e2e_bodies.BODIES))
    parser.add_argument("--framings", default=",".join(e2e_bodies.FRAMINGS))
    options = parser.parse_args()
    clients = []
    for name in options.clients.split(","):
        if available(name):
            clients.append(name)
        else:
            print(f"{name}: not installed, left out", file=sys.stderr)
    print(
        table(
            clients,
            options.bodies.split(","),
            options.framings.split(","),
            options.events,
            options.rounds,
        )
    )


if __name__ == "__main__":
    main()
