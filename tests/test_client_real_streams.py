"""Real recorded streams (tests/data/real) served over loopback and read through
``Client.stream`` (openai-chat through a registered provider; anthropic, gemini, cohere and
ollama through the named providers): the caller gets exactly the events ``StreamDecoder``
gives for the same bytes, and an openai-chat body that ends cleanly after every choice
finished (Perplexity sends no ``data: [DONE]``) is a complete answer, while one cut before
any finish is an error."""

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

# The bytes are not in this repository (see tests/data/real/README.md): without shared/real
# beside the checkout these tests cannot run, and say so.
pytestmark = pytest.mark.skipif(
    not (SHARED / "real").is_dir(),
    reason="recorded provider streams: ../shared/real is absent (tests/data/real/README.md)",
)

MANIFEST = json.loads(
    (Path(__file__).parent / "data" / "real" / "MANIFEST.json").read_text(encoding="utf-8")
)["streams"]
MESSAGES = [{"role": "user", "content": "Hi"}]


# dialect: (provider, model, path, auth header, streams by path)
ROUTES = {
    "openai-chat": ("real", "real/m", "/real/v1/chat/completions", "authorization", False),
    "anthropic": ("anthropic", "anthropic/c", "/v1/messages", "x-api-key", False),
    "gemini": (
        "gemini",
        "gemini/g",
        "/v1beta/models/g:streamGenerateContent",
        "x-goog-api-key",
        True,
    ),
    "cohere": ("cohere", "cohere/c", "/v2/chat", "authorization", False),
    "ollama": ("ollama", "ollama/o", "/api/chat", "authorization", False),
}


def chosen() -> list[Any]:
    """Per dialect, the first streams of each provider and source, and every openai-chat
    stream that ends without ``[DONE]``. None when the bytes are absent (the module skips)."""
    if not (SHARED / "real").is_dir():
        return []
    picked: dict[str, Any] = {}
    seen: dict[tuple[str, str, str, str], int] = {}
    for entry in MANIFEST:
        if entry["dialect"] not in ROUTES:
            continue
        # Per file kind too: Gemini's JSON-array bodies (`.json`) beside its SSE ones.
        suffix = Path(entry["file"]).suffix
        key = (entry["dialect"], entry["provider"], entry["source_repository"], suffix)
        data = (SHARED / "real" / entry["file"]).read_bytes()
        no_done = entry["dialect"] == "openai-chat" and b"[DONE]" not in data
        if no_done or seen.get(key, 0) < 3:
            seen[key] = seen.get(key, 0) + 1
            picked[entry["file"]] = entry
    return [pytest.param(e, id=e["file"]) for e in sorted(picked.values(), key=lambda e: e["file"])]


def serve(server: LoopbackServer, dialect: str, data: bytes, **options: Any) -> Runner:
    name, _, path, header, by_path = ROUTES[dialect]
    server.reset()
    value = KEY if header != "authorization" else f"Bearer {KEY}"
    install(
        server,
        path,
        auth=(header, value),
        checks=lambda request: [],
        stream=frames(data)
        if dialect != "ollama"
        else [data[i : i + 97] for i in range(0, len(data), 97)],
        streaming=True if by_path else None,
    )
    base = server.url + "/real/v1" if name == "real" else server.url
    provider: dict[str, Any] = {"base_url": base, "api_key": KEY}
    if name == "real":
        provider["dialect"] = "openai-chat"
    return Runner(mode="sync", providers={name: provider}, **options)


@pytest.mark.parametrize("entry", chosen())
def test_real_streams_reach_the_caller_as_decoded(
    server: LoopbackServer, mode: str, entry: dict[str, Any]
) -> None:
    data = (SHARED / "real" / entry["file"]).read_bytes()
    runner = serve(server, entry["dialect"], data)
    runner.mode = mode
    result = runner.stream(ROUTES[entry["dialect"]][1], MESSAGES)
    expected = decode(_core, entry["dialect"], [data])
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
    runner = serve(server, "openai-chat", cut, max_retries=0)
    runner.mode = mode
    result = runner.stream("real/m", MESSAGES)
    # The stream ended before its end: a connection failure (retryable), with the text.
    assert isinstance(result.error, errors.ConnectionError), result.error
    assert "end marker" in str(result.error)
    assert result.response is None
    assert not [e for e in result.events if type(e).__name__ == "Finish"]
