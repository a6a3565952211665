"""Real recorded openai-chat streams (tests/data/real) served over loopback and read through
``Client.stream``: the caller gets exactly the events ``StreamDecoder`` gives for the same
bytes, and a body that ends cleanly after every choice finished (Perplexity sends no
``data: [DONE]``) is a complete answer, while one cut before any finish is an error."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from client_helpers import Runner, mode, server  # noqa: F401
from fake_providers import KEY, frames, install
from loopback import LoopbackServer
from streams import decode, plain

from conftest import SHARED
from fluent_ai import _core, errors

MANIFEST = json.loads(
    (Path(__file__).parent / "data" / "real" / "MANIFEST.json").read_text(encoding="utf-8")
)["streams"]
MESSAGES = [{"role": "user", "content": "Hi"}]


def chosen() -> list[Any]:
    """One stream per provider, and every stream that ends without ``[DONE]``."""
    picked: dict[str, Any] = {}
    for entry in MANIFEST:
        if entry["dialect"] != "openai-chat":
            continue
        data = (SHARED / "real" / entry["file"]).read_bytes()
        if b"[DONE]" not in data or entry["provider"] not in picked:
            picked.setdefault(entry["provider"], entry)
            picked[entry["file"]] = entry
    unique = {e["file"]: e for e in picked.values()}
    return [pytest.param(e, id=e["file"]) for e in sorted(unique.values(), key=lambda e: e["file"])]


def serve(server: LoopbackServer, data: bytes, **options: Any) -> Runner:
    server.reset()
    install(
        server,
        "/real/v1/chat/completions",
        auth=("authorization", f"Bearer {KEY}"),
        checks=lambda request: [],
        stream=frames(data),
    )
    provider = {"base_url": server.url + "/real/v1", "api_key": KEY, "dialect": "openai-chat"}
    return Runner(mode="sync", providers={"real": provider}, **options)


@pytest.mark.parametrize("entry", chosen())
def test_real_streams_reach_the_caller_as_decoded(
    server: LoopbackServer, mode: str, entry: dict[str, Any]
) -> None:
    data = (SHARED / "real" / entry["file"]).read_bytes()
    runner = serve(server, data)
    runner.mode = mode
    result = runner.stream("real/m", MESSAGES)
    expected = decode(_core, "openai-chat", [data])
    assert expected.error is None
    if expected.of("ProviderErrorEvent"):
        assert result.error is not None
        return
    assert result.error is None, result.error
    assert [plain(e) for e in result.events] == expected.plain()
    assert result.response is not None
    assert result.response.text == "".join(e.text for e in expected.of("TextDelta") if e.index == 0)


def test_a_body_cut_before_any_finish_is_not_an_answer(server: LoopbackServer, mode: str) -> None:
    (entry,) = [
        e
        for e in MANIFEST
        if e["file"].startswith("openai-chat/perplexity__ai-perplexity__perplexity-text")
    ]
    data = (SHARED / "real" / entry["file"]).read_bytes()
    cut = data[: data.find(b'"finish_reason":"stop"')]
    cut = cut[: cut.rfind(b"\n\n") + 2]
    runner = serve(server, cut, max_retries=0)
    runner.mode = mode
    result = runner.stream("real/m", MESSAGES)
    # The stream ended before its end: a connection failure (retryable), with the text.
    assert isinstance(result.error, errors.ConnectionError), result.error
    assert "end marker" in str(result.error)
    assert result.response is None
    assert not [e for e in result.events if type(e).__name__ == "Finish"]
