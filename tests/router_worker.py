"""A worker process of the Redis tests: ``python router_worker.py CONFIG_JSON`` makes a
``Router`` over one loopback deployment with a ``RedisState``, sends ``requests`` chats and
prints what happened as JSON (answers, rate-limit refusals, other errors)."""

from __future__ import annotations

import json
import sys
import time

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
    # Start together: every worker waits for the same moment.
    time.sleep(max(0.0, config["start"] - time.time()))
    counts = {"ok": 0, "limited": 0, "other": 0}
    for _ in range(config["requests"]):
        try:
            router.chat("m", [{"role": "user", "content": "hello"}])
            counts["ok"] += 1
        except RateLimitError:
            counts["limited"] += 1
        except Exception as error:
            counts["other"] += 1
            print(repr(error), file=sys.stderr)
    router.close()
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
