"""Memory per open async stream: fluent's ``AsyncClient`` against raw httpx2 (issue 13, item 6).

    python -m benches.e2e_memory                  # 1,000 open streams per client
    python -m benches.e2e_memory --streams 200

Each client runs in a fresh process against the server process's ``/hold`` answers (the
headers and one event, then the connection stays open): it opens ``--streams`` streams at
once on one pool of as many connections, reads each stream's first event, and reports the
growth of its resident set size (``/proc/self/statm``) divided by the number of streams, with
every stream still open. Both clients get the same pool (an ``httpx2.AsyncClient`` with
``max_connections`` = streams, given to fluent's client as ``http_client``): what is compared
is what each stream costs above its connection.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .e2e_clients import API_KEY, MESSAGES, MODEL
from .e2e_server import Server

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ("fluent_async", "raw_async")


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _open_fluent(http: Any, base_url: str, streams: int, held: asyncio.Event) -> Any:
    from fluent_ai import AsyncClient, TextDelta  # noqa: PLC0415

    providers = {"openai": {"base_url": base_url, "api_key": API_KEY}}
    client = AsyncClient(http_client=http, providers=providers, max_retries=0)

    async def one(ready: list[int]) -> None:
        async with client.stream(f"openai/{MODEL}", MESSAGES) as stream:
            async for event in stream:
                if type(event) is TextDelta:
                    break
            ready.append(1)
            await held.wait()

    return one


async def _open_raw(http: Any, base_url: str, streams: int, held: asyncio.Event) -> Any:
    body = {"model": MODEL, "messages": MESSAGES, "stream": True}
    headers = {"authorization": f"Bearer {API_KEY}"}

    async def one(ready: list[int]) -> None:
        url = base_url + "/chat/completions"
        async with http.stream("POST", url, json=body, headers=headers) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    json.loads(line[6:])
                    break
            ready.append(1)
            await held.wait()

    return one


async def measure(name: str, base_url: str, streams: int) -> float:
    """Bytes of RSS per open stream of client ``name`` (in this process)."""
    from fluent_ai._http import httpx  # noqa: PLC0415

    limits = httpx.Limits(max_connections=streams, max_keepalive_connections=streams)
    timeout = httpx.Timeout(60.0)
    held = asyncio.Event()
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as http:
        opener = _open_fluent if name == "fluent_async" else _open_raw
        one = await opener(http, base_url, streams, held)
        warm: list[int] = []
        task = asyncio.ensure_future(one(warm))  # imports and first allocations
        while not warm:
            await asyncio.sleep(0.01)
        held.set()
        await task
        held.clear()
        gc.collect()
        before = rss()
        ready: list[int] = []
        tasks = [asyncio.ensure_future(one(ready)) for _ in range(streams)]
        while len(ready) < streams:
            await asyncio.sleep(0.05)
            for done in tasks:
                if done.done() and done.exception() is not None:
                    raise RuntimeError(f"{name}: a stream failed") from done.exception()
        gc.collect()
        after = rss()
        held.set()
        await asyncio.gather(*tasks)
    return (after - before) / streams


def in_fresh_process(name: str, base_url: str, streams: int) -> float:
    args = [sys.executable, "-m", "benches.e2e_memory", "--child", name, base_url, str(streams)]
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"{name} failed:\n{out.stderr[-2000:]}")
    return float(json.loads(out.stdout.strip().splitlines()[-1])["rss_per_stream"])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        name, base_url, streams = sys.argv[2:5]
        per_stream = asyncio.run(measure(name, base_url, int(streams)))
        print(json.dumps({"rss_per_stream": per_stream}))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--streams", type=int, default=1000)
    options = parser.parse_args()
    with Server() as server:
        results = {n: in_fresh_process(n, server.hold_url(), options.streams) for n in CLIENTS}
    for name, value in results.items():
        ratio = value / results["raw_async"]
        print(f"{name}: {value / 1024:.1f} KiB per open stream ({ratio:.2f}x raw_async)")


if __name__ == "__main__":
    main()
