"""Smoke test of an installed fluent-ai: run by the Python of a fresh venv holding one artifact.

    <venv>/bin/python scripts/smoke.py --expect native|python [--version 0.1.0]

Checks, in this order, and prints one line each:
1. the import comes from the venv's site-packages (not a source tree), and ``backend()`` names
   the expected implementation (``native`` for a platform wheel, ``python`` for the pure wheel
   or an sdist built without Rust); with ``--expect python`` the native module must be absent;
2. every example stream shipped in ``fluent_ai.examples`` decodes, read whole and in 7-byte
   pieces, to the same events, with two complete tool calls and a ``Finish``, and the same
   events as the pure-Python core (always in the package) gives;
3. a round trip of ``Client`` and ``AsyncClient`` over a real HTTP server on 127.0.0.1 that this
   script starts, answering with the shipped OpenAI stream: the events equal the decoder's and
   the request went out as a streamed chat completion with the API key.

Exits non-zero with the failing check named. Written for every CPython >= 3.9 (no 3.10 syntax).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import json
import os
import sys
import sysconfig
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

KEY = "sk-smoke-test"
PIECE = 7


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"SMOKE FAILED: {what}")


def interpreter() -> str:
    gil = getattr(sys, "_is_gil_enabled", None)
    threading_kind = "" if gil is None else (" (GIL on)" if gil() else " (free-threaded, GIL off)")
    return f"{sys.implementation.name} {sys.version.split()[0]}{threading_kind}"


def check_install(expect: str, version: str | None) -> Any:
    import fluent_ai  # noqa: PLC0415

    where = Path(fluent_ai.__file__).resolve()
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    check(site in where.parents, f"fluent_ai imported from {where}, not from {site}")
    info = fluent_ai.backend()
    check(info.name == expect, f"backend {info.name!r}, expected {expect!r}")
    if version is not None:
        check(fluent_ai.__version__ == version, f"version {fluent_ai.__version__} != {version}")
    native = importlib.util.find_spec("fluent_ai._core")
    if expect == "python":
        check(native is None, f"the pure install has a native module: {native}")
    else:
        check(native is not None and native.origin is not None, "no native module")
    print(f"ok install: {interpreter()}: fluent_ai {fluent_ai.__version__} from {where.parent}")
    print(f"ok backend: {info}")
    return fluent_ai


def describe(events: list[Any]) -> list[Any]:
    """Events as comparable plain values (the two cores' classes differ, their fields do not)."""
    return [(type(e).__name__, repr(e).split("(", 1)[-1]) for e in events]


def decode(core: Any, dialect: str, data: bytes, piece: int) -> list[Any]:
    decoder = core.StreamDecoder(dialect)
    events: list[Any] = []
    for start in range(0, len(data), piece):
        events += decoder.feed(data[start : start + piece])
    return events + list(decoder.finish())


def check_examples(fluent_ai: Any) -> None:
    from fluent_ai import _purepy, examples  # noqa: PLC0415

    for name, dialect in sorted(examples.EXAMPLES.items()):
        data = examples.read(name)
        whole = decode(fluent_ai, dialect, data, len(data))
        pieces = decode(fluent_ai, dialect, data, PIECE)
        check(describe(whole) == describe(pieces), f"{name}: whole and split reads differ")
        check(
            describe(whole) == describe(decode(_purepy, dialect, data, PIECE)),
            f"{name}: the active core and the pure-Python core disagree",
        )
        done = [e for e in whole if type(e).__name__ == "ToolCallDone"]
        check(len(done) == 2, f"{name}: {len(done)} complete tool calls, expected 2")
        check(all(isinstance(e.arguments, dict) and e.name for e in done), f"{name}: bad calls")
        check(type(whole[-1]).__name__ == "Finish", f"{name}: the last event is not Finish")
        print(
            f"ok example: {name} ({dialect}): {len(whole)} events, calls "
            f"{', '.join(e.name for e in done)}"
        )


class _Handler(BaseHTTPRequestHandler):
    body = b""
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        request = json.loads(self.rfile.read(length))
        self.seen.append(
            {"path": self.path, "auth": self.headers.get("authorization"), "body": request}
        )
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for start in range(0, len(self.body), 512):
            part = self.body[start : start + 512]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args: Any) -> None:  # quiet
        pass


def check_client(fluent_ai: Any) -> None:
    from fluent_ai import examples  # noqa: PLC0415

    data = examples.read(examples.OPENAI_CHAT_TOOL_CALLS)
    _Handler.body = data
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.timeout = 10
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        options = {"providers": {"openai": {"base_url": url, "api_key": KEY}}, "max_retries": 0}
        messages = [{"role": "user", "content": "What is the weather?"}]
        expected = describe(decode(fluent_ai, "openai-chat", data, len(data)))
        with fluent_ai.Client(**options) as client, client.stream("openai/gpt-4o", messages) as s:
            events = list(s)
            response = s.response
        check(describe(events) == expected, "Client: the streamed events differ from the decoder's")
        check(len(response.tool_calls) == 2, "Client: the response lacks the two tool calls")

        async def run() -> list[Any]:
            async with (
                fluent_ai.AsyncClient(**options) as client,
                client.stream("openai/gpt-4o", messages) as stream,
            ):
                return [event async for event in stream]

        check(describe(asyncio.run(run())) == expected, "AsyncClient: the events differ")
        check(len(_Handler.seen) == 2, f"{len(_Handler.seen)} requests arrived, expected 2")
        for request in _Handler.seen:
            check(request["path"] == "/v1/chat/completions", f"request to {request['path']}")
            check(request["auth"] == f"Bearer {KEY}", "the API key was not sent")
            check(request["body"].get("stream") is True, "the request did not ask for a stream")
        print(f"ok client: Client and AsyncClient streamed {len(events)} events over {url}")
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Smoke test of an installed fluent-ai.")
    parser.add_argument("--expect", choices=("native", "python"), required=True)
    parser.add_argument("--version", help="the version the install must report")
    args = parser.parse_args()
    # The test must see the installed package, never a source tree next to this script.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
    os.environ.pop("FLUENT_AI_BACKEND", None)
    importlib.invalidate_caches()
    fluent_ai = check_install(args.expect, args.version)
    check_examples(fluent_ai)
    check_client(fluent_ai)
    print(f"SMOKE PASSED: {interpreter()}, backend {fluent_ai.backend().name}")


if __name__ == "__main__":
    main()
