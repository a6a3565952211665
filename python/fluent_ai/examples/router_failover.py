"""Failover, shown live: ``python -m fluent_ai.examples.router_failover [--redis URL]``.

Starts two OpenAI-compatible providers on 127.0.0.1 (tiny stdlib HTTP servers, each in a
process of its own), routes calls to the alias ``chat`` over both, kills the first one's
process, shows the calls moving to the second, starts the first again and shows traffic
coming back after its cooldown. With ``--redis`` the
router's state (budgets, cooldowns, in-flight calls) lives in that Redis.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fluent_ai import BreakerPolicy, Metrics, Timeout
from fluent_ai.router import Deployment, MemoryState, Router, route_of


def _serve(name: str, port: int) -> None:
    """A provider that answers every chat with ``hello from <name>`` (its own process)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = json.dumps(
                {
                    "id": "1",
                    "object": "chat.completion",
                    "model": "demo",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": f"hello from {name}"},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
                }
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(name: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fluent_ai.examples.router_failover", "--serve", name, str(port)]
    )
    for _ in range(500):  # up to 10 s for it to listen
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"the {name} provider did not start")


def _ask(router: Router, label: str) -> None:
    answer = router.chat("chat", [{"role": "user", "content": "hi"}])
    route = route_of(answer)  # answer.route, typed
    assert route is not None
    tried = " -> ".join(f"{a.deployment}:{a.outcome}" for a in route.attempts)
    skipped = ", ".join(f"{n} ({why})" for n, why in route.skipped.items())
    print(
        f"{label:<10} {answer.text!r:<22} tried {tried}"
        + (f"; skipped {skipped}" if skipped else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--redis", help="redis://host:port/db for the shared state")
    parser.add_argument("--serve", nargs=2, metavar=("NAME", "PORT"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        _serve(options.serve[0], int(options.serve[1]))
        return
    if options.redis:
        from fluent_ai.router import RedisState  # noqa: PLC0415  (needs fluent-ai[redis])

        state: Any = RedisState(options.redis)
    else:
        state = MemoryState()
    ports = {"east": _free_port(), "west": _free_port()}
    east, west = _start("east", ports["east"]), _start("west", ports["west"])

    def deployment(name: str, priority: int) -> Deployment:
        return Deployment(
            model=f"{name}/demo",
            name=name,
            base_url=f"http://127.0.0.1:{ports[name]}/v1",
            api_key="sk-demo",
            settings={"dialect": "openai-chat"},
            priority=priority,  # east first; west serves when east cannot
        )

    router = Router(
        {"chat": [deployment("east", 0), deployment("west", 1)]},
        state=state,
        breaker=BreakerPolicy(failure_threshold=1, recovery_time=1.0),
        timeout=Timeout(connect=1.0, total=5.0),
        metrics=Metrics(),
    )
    try:
        with router:
            for _ in range(2):
                _ask(router, "both up")
            east.kill()
            east.wait()
            print("-- east killed")
            for _ in range(3):
                _ask(router, "east down")
            east = _start("east", ports["east"])
            print("-- east is back; its cooldown (1 s) ends")
            time.sleep(1.1)
            for _ in range(2):
                _ask(router, "recovered")
            attempts = router.metrics.snapshot()["counters"]["fluent_ai_router_attempts"]
            print("attempts:", json.dumps(attempts, indent=1, sort_keys=True))
    finally:
        for process in (east, west):
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
