"""Loopback OpenAI-compatible providers for the router tests: each answers chat (whole and
streamed), embeddings and rerank, tags its answers with its name, counts what it received, and
can be switched to fail (status, stall, cut after the first event) while the test runs."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from loopback import LoopbackServer, Request, Response, json_response

from fluent_ai.router import Deployment

__all__ = ["USER", "Provider", "deployment"]

USER = [{"role": "user", "content": "hello"}]
USAGE = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}


def _frame(data: object) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"


@dataclass
class Provider:
    """One loopback deployment. ``mode``: ``ok``, ``status`` (answer ``status`` with
    ``headers``), ``stall`` (answer after ``stall`` seconds), ``cut`` (stream: one event, then
    the connection drops), ``error_event`` (stream: an error event first)."""

    name: str
    mode: str = "ok"
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    stall: float = 0.0
    delay: float = 0.0
    answer_headers: dict[str, str] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=lambda: dict(USAGE))

    def __post_init__(self) -> None:
        self.server = LoopbackServer()
        self.lock = threading.Lock()
        self.received = 0
        self.answered = 0
        self.times: list[float] = []
        for path in ("/v1/chat/completions", "/v1/embeddings", "/v1/rerank", "/v2/rerank"):
            self.server.route("POST", path, self._handle)

    @property
    def url(self) -> str:
        return self.server.url + "/v1"

    def _handle(self, request: Request) -> Response:
        with self.lock:
            self.received += 1
            self.times.append(time.time())
        if self.mode == "status":
            body = self.error or {
                "error": {"message": f"{self.name} failing", "type": "server_error"}
            }
            return json_response(body, self.status, self.headers)
        if self.mode == "stall":
            time.sleep(self.stall)
        if self.delay:
            time.sleep(self.delay)
        body = request.json()
        with self.lock:
            self.answered += 1
        if request.path.endswith("/embeddings"):
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [
                {"index": i, "embedding": [0.5, float(len(self.name))]} for i in range(len(inputs))
            ]
            return json_response(
                {"data": data, "model": "m", "usage": {"prompt_tokens": 4, "total_tokens": 4}},
                headers=self.answer_headers,
            )
        if request.path.endswith("/rerank"):
            results = [
                {"index": i, "relevance_score": 1.0 / (i + 1)}
                for i in range(len(body["documents"]))
            ]
            return json_response({"results": results}, headers=self.answer_headers)
        text = f"from {self.name}"
        if body.get("stream") and self.mode == "error_event":
            # A 200 stream whose first event is the provider's error (an overload).
            error = {"error": {"message": "Overloaded", "type": "overloaded_error"}}
            return Response(200, {"content-type": "text/event-stream"}, [_frame(error)])
        if body.get("stream"):
            frames = [
                _frame(
                    {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": text}}]}
                ),
                _frame(
                    {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": "!"}}]}
                ),
                _frame(
                    {
                        "id": "c",
                        "model": "m",
                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                        "usage": self.usage,
                    }
                ),
                b"data: [DONE]\n\n",
            ]
            cut = 1 if self.mode == "cut" else None
            return Response(
                200,
                {"content-type": "text/event-stream", **self.answer_headers},
                frames,
                disconnect_after=cut,
                pauses={1: 0.05} if cut else {},
            )
        return json_response(
            {
                "id": "c",
                "object": "chat.completion",
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": self.usage,
            },
            headers=self.answer_headers,
        )

    def close(self) -> None:
        self.server.close()


def deployment(provider: Provider, **fields: Any) -> Deployment:
    """A deployment of ``provider`` (an OpenAI-compatible one named after it)."""
    return Deployment(
        model=fields.pop("model", f"{provider.name}/m"),
        name=fields.pop("name", provider.name),
        base_url=provider.url,
        api_key=fields.pop("api_key", "sk-test"),
        settings={"dialect": fields.pop("dialect", "openai-chat")},
        **fields,
    )
