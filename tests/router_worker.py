"""A worker process of the Redis tests: ``python router_worker.py CONFIG_JSON`` makes a
``Router`` over one loopback deployment with a ``RedisState``, sends ``requests`` chats and
prints what happened as JSON (answers, rate-limit refusals, other errors)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from fluent_ai import Metrics
from fluent_ai.errors import RateLimitError
from fluent_ai.router import Deployment, RedisState, Router


def main() -> None:
    config = json.loads(sys.argv[1])
    state = RedisState(config["redis"], prefix=config["prefix"], timeout=0.2, retry_interval=0.2)
    deployment = Deployment(
        model="loop/m",
        name="d",
        base_url=config["url"],
        api_key="sk-test",
        settings={"dialect": "openai-chat"},
        rpm=config.get("rpm"),
        tpm=config.get("tpm"),
    )
    router = Router(
        {"m": [deployment]},
        state=state,
        on_limit=config["on_limit"],
        window=config["window"],
        metrics=Metrics(),
        max_wait=30,
    )
    # Phases start at the same moments in every worker: (start time, requests).
    phases = config.get("phases") or [(config["start"], config["requests"])]
    if phases == "stdin":  # the test sends the phases once every worker is ready
        print("ready", flush=True)
        phases = json.loads(sys.stdin.readline())
    counts: dict[str, Any] = {"ok": 0, "limited": 0, "other": 0, "slowest": 0.0, "spans": []}
    for start, requests in phases:
        time.sleep(max(0.0, start - time.time()))
        for _ in range(requests):
            began, wall = time.monotonic(), time.time()
            try:
                router.chat("m", [{"role": "user", "content": "hello"}])
                counts["ok"] += 1
            except RateLimitError:
                counts["limited"] += 1
            except Exception as error:  # reported, and the test fails on it
                counts["other"] += 1
                print(repr(error), file=sys.stderr)
            counts["slowest"] = max(counts["slowest"], time.monotonic() - began)
            counts["spans"].append((wall, time.time()))
    counts["outages"] = state.outages
    router.close()
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
