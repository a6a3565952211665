"""The canary key is not in the local variables of any frame of a failed call's traceback (and
its whole chain), as an error reporter that records locals (Sentry, ``traceback`` with
``capture_locals=True``) would show them: servers that echo the key in an error body, for each
way a key is sent (bearer, x-api-key, x-goog-api-key, Azure's api-key, a custom header, a
password in the base URL), both clients, chat and stream."""

from __future__ import annotations

import asyncio
import json
import traceback
from typing import Any

import pytest
from client_helpers import mode  # noqa: F401
from hostile_server import HostileServer, Seen, response

from fluent_ai import AsyncClient, Client, RetryPolicy, Timeout

KEY = "sk-canary-locals-9f8e7d6c5b4a"
PASSWORD = "pw-canary-77e1"
MESSAGES = [{"role": "user", "content": "Hi"}]
MODELS = ["openai/gpt-4o", "anthropic/claude", "gemini/gemini-2.5-flash", "azure/gpt", "groq/x"]
ECHO = json.dumps({"error": {"message": f"Incorrect API key provided: {KEY}"}}).encode()

ANSWERS = {
    "401": [response(401, ECHO)],
    "500-text": [response(500, ECHO, "text/plain")],
    "200-error-object": [response(200, ECHO)],
    "200-not-json": [response(200, b"<html>" + KEY.encode(), "application/json")],
}


def settings(url: str) -> dict[str, dict[str, Any]]:
    with_password = url.replace("http://", f"http://user:{PASSWORD}@")
    return {
        "openai": {"base_url": url + "/v1", "api_key": KEY},
        "anthropic": {"base_url": url, "api_key": KEY},
        "gemini": {"base_url": url, "api_key": KEY},
        "azure": {"endpoint": with_password, "api_key": KEY},
        "groq": {"base_url": with_password, "api_key": KEY, "headers": {"X-Gateway-Token": KEY}},
    }


def frame_locals(error: BaseException) -> str:
    """The locals of every frame of ``error``'s traceback and of its whole chain."""
    texts = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        shown = traceback.TracebackException.from_exception(current, capture_locals=True)
        texts += [repr(frame.locals) for frame in shown.stack if frame.filename != __file__]
        todo += [current.__cause__, current.__context__]
    return "\n".join(texts)


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_no_frame_of_a_failed_call_holds_the_key(mode: str, case: str) -> None:  # noqa: F811
    def answer(seen: Seen) -> list[Any]:
        return list(ANSWERS[case])

    errors: list[BaseException] = []
    with HostileServer(answer) as server:
        options: dict[str, Any] = {
            "providers": settings(server.url),
            "retry": RetryPolicy(max_retries=1, backoff_base=0.001, backoff_max=0.002),
            "timeout": Timeout(connect=2, total=5),
            "breaker": None,
        }
        if mode == "sync":
            client = Client(**options)
            for model in MODELS:
                for api in ("chat", "stream"):
                    try:
                        if api == "chat":
                            client.chat(model, MESSAGES)
                        else:
                            client.stream(model, MESSAGES).collect()
                    except Exception as error:
                        errors.append(error)
            client.close()
        else:

            async def run() -> None:
                async with AsyncClient(**options) as client:
                    for model in MODELS:
                        for api in ("chat", "stream"):
                            try:
                                if api == "chat":
                                    await client.chat(model, MESSAGES)
                                else:
                                    await client.stream(model, MESSAGES).collect()
                            except Exception as error:
                                errors.append(error)

            asyncio.run(run())
    assert len(errors) == 2 * len(MODELS)
    for error in errors:
        shown = frame_locals(error)
        assert KEY not in shown and KEY[10:] not in shown, (repr(error), shown[-3000:])
        assert PASSWORD not in shown, repr(error)
