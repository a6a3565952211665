"""Live refresh against the loopback server: every provider's models endpoint, merge rules,
cache TTL, atomic writes under concurrent processes, corrupt caches and providers that fail."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog_helpers import isolate_catalog
from loopback import LoopbackServer, Response
from provider_models import PLAYS

import fluent_ai
from fluent_ai import catalog
from fluent_ai._http import httpx
from fluent_ai.catalog import _cache
from fluent_ai.catalog._live import LiveSet
from fluent_ai.errors import UnknownProviderError
from fluent_ai.providers.registry import base_url_env_var

KEY = "sk-canary-4f1e9b7c2d"


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


@pytest.fixture(autouse=True)
def cache_dir(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Path]:
    server.reset()
    yield isolate_catalog(monkeypatch, tmp_path)
    catalog.reload()


def play(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, provider: str) -> str:
    """Installs ``provider``'s endpoint and points the provider at it; returns its path."""
    scene = PLAYS[provider]
    scene.install(server, KEY if scene.key_env else "")
    monkeypatch.setenv(base_url_env_var(provider), server.url + scene.base)
    if scene.key_env:
        monkeypatch.setenv(scene.key_env, KEY)
    return scene.path


# (name, field, expected value, whether the value comes from the live endpoint)
EXPECTED: dict[str, list[tuple[str, str, Any, bool]]] = {
    "openai": [
        ("openai/gpt-4.1-mini", "input_price", 0.4, False),
        ("openai/gpt-live-only-1", "deprecation_date", datetime.date(2027, 3, 1), True),
        ("openai/gpt-live-only-1", "input_price", None, False),
    ],
    "anthropic": [
        ("anthropic/claude-sonnet-4-5-20250929", "max_output_tokens", 128000, True),
        ("anthropic/claude-sonnet-4-5-20250929", "input_price", 3.0, False),
        ("anthropic/claude-sonnet-4-5-20250929", "context_window", 200000, True),
        ("anthropic/claude-sonnet-4-5-20250929", "vision", True, True),
        ("anthropic/claude-sonnet-4-5-20250929", "reasoning", True, True),
        ("anthropic/claude-sonnet-4-5-20250929", "display_name", "Claude Sonnet 4.5", True),
        ("anthropic/claude-live-only-1", "context_window", 500000, True),
        ("anthropic/claude-live-only-1", "max_input_tokens", 500000, True),
        ("anthropic/claude-live-only-1", "max_output_tokens", 32000, True),
    ],
    "gemini": [
        ("gemini/gemini-2.5-flash", "max_output_tokens", 65535, True),
        ("gemini/gemini-2.5-flash", "context_window", None, False),
        ("gemini/gemini-2.5-flash", "max_input_tokens", 1048576, True),
        ("gemini/gemini-2.5-flash", "input_price", 0.3, False),
        ("gemini/gemini-2.5-flash", "reasoning", True, True),
        ("gemini/gemini-live-embedding-1", "mode", "embedding", True),
    ],
    "mistral": [
        ("mistral/mistral-large-2512", "context_window", 262144, True),
        ("mistral/mistral-large-2512", "tools", True, True),
        ("mistral/mistral-large-2512", "vision", False, True),
        ("mistral/mistral-large-2512", "deprecation_date", datetime.date(2027, 6, 30), True),
    ],
    "groq": [
        ("groq/openai/gpt-oss-120b", "max_output_tokens", 32766, True),
        ("groq/openai/gpt-oss-120b", "context_window", 131072, True),
        ("groq/openai/gpt-oss-120b", "input_price", 0.15, False),
    ],
    "xai": [("xai/grok-4.3", "mode", "chat", False)],
    "deepseek": [("deepseek/deepseek-chat", "output_price", 0.42, False)],
    "together": [
        ("together/meta-llama/Llama-3.3-70B-Instruct-Turbo", "input_price", 0.88, True),
        ("together/meta-llama/Llama-3.3-70B-Instruct-Turbo", "tools", True, False),
        ("together/acme/dedicated-only", "input_price", None, False),
        ("together/acme/dedicated-only", "mode", "chat", True),
    ],
    "openrouter": [
        ("openrouter/anthropic/claude-sonnet-4.5", "input_price", 3.0, True),
        ("openrouter/anthropic/claude-sonnet-4.5", "output_price", 15.0, True),
        ("openrouter/anthropic/claude-sonnet-4.5", "cache_read_price", 0.3, True),
        ("openrouter/anthropic/claude-sonnet-4.5", "cache_write_price", 3.75, True),
        ("openrouter/anthropic/claude-sonnet-4.5", "max_output_tokens", 64000, True),
        ("openrouter/anthropic/claude-sonnet-4.5", "vision", True, True),
        ("openrouter/anthropic/claude-sonnet-4.5", "tools", True, True),
        ("openrouter/openrouter/auto", "input_price", None, False),
        ("openrouter/openrouter/auto", "context_window", 2000000, True),
    ],
    "cohere": [
        ("cohere/command-a-03-2025", "context_window", 288000, True),
        ("cohere/command-a-03-2025", "max_input_tokens", 256000, False),
        ("cohere/command-a-03-2025", "vision", True, True),
        ("cohere/embed-live-v9", "mode", "embedding", True),
    ],
    "ollama": [
        ("ollama/llama3.1", "max_output_tokens", 8192, False),
        ("ollama/qwen3:4b", "mode", None, False),
    ],
    "huggingface": [
        ("huggingface/meta-llama/Llama-3.3-70B-Instruct", "context_window", 131072, True),
        ("huggingface/meta-llama/Llama-3.3-70B-Instruct", "input_price", 0.39, True),
        ("huggingface/meta-llama/Llama-3.3-70B-Instruct", "tools", True, True),
    ],
}
PAGES = {"anthropic": 2, "gemini": 2, "cohere": 2}


@pytest.mark.parametrize("provider", sorted(PLAYS))
def test_each_provider_endpoint_is_fetched_and_merged(
    provider: str, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = play(server, monkeypatch, provider)
    result = catalog.refresh(provider)
    outcome = result[provider]
    assert outcome.status == "fetched", outcome
    assert outcome.source == f"GET {server.url}{path}"
    assert server.count(path) == PAGES.get(provider, 1)
    # The play answers 401 without the provider's auth headers, so "fetched" proves them.
    for name, field, value, live in EXPECTED[provider]:
        info = catalog.get(name)
        assert getattr(info, field) == value, (name, field)
        assert info.live_source == outcome.source
        if value is not None:
            source = info.provenance(field).source
            assert (source == outcome.source) is live, (name, field, source)
    assert KEY not in repr(result)


def test_live_only_model_records_its_source(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    play(server, monkeypatch, "anthropic")
    outcome = catalog.refresh("anthropic")["anthropic"]
    info = catalog.get("anthropic/claude-live-only-1")
    assert info.source == outcome.source
    assert info.as_of == outcome.as_of
    assert info.provenance("max_output_tokens").as_of == outcome.as_of
    assert info.input_price is None
    assert "anthropic/claude-live-only-1" in {m.name for m in catalog.find(provider="anthropic")}


def test_snapshot_values_stay_where_the_endpoint_is_silent(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = catalog.get("anthropic/claude-sonnet-4-5-20250929")
    play(server, monkeypatch, "anthropic")
    catalog.refresh("anthropic")
    after = catalog.get("anthropic/claude-sonnet-4-5-20250929")
    assert after.max_output_tokens == 128000 != before.max_output_tokens
    for field in ("input_price", "output_price", "cache_read_price", "cache_write_price", "tools"):
        assert getattr(after, field) == getattr(before, field)
        assert after.provenance(field) == before.provenance(field)
    assert after.source == before.source


def test_mistral_aliases_resolve(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    play(server, monkeypatch, "mistral")
    catalog.refresh("mistral")
    assert catalog.get("mistral/mistral-large-live-alias").id == "mistral-large-2512"


def test_base_url_with_version_is_not_doubled(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    play(server, monkeypatch, "anthropic")
    monkeypatch.setenv(base_url_env_var("anthropic"), server.url + "/v1")
    assert catalog.refresh("anthropic")["anthropic"].status == "fetched"
    assert server.count("/v1/models") == 2


def test_ollama_openai_compatible_base_url(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.json("GET", "/v1/models", {"object": "list", "data": [{"id": "qwen3:4b"}]})
    monkeypatch.setenv(base_url_env_var("ollama"), server.url + "/v1")
    assert catalog.refresh("ollama")["ollama"].status == "fetched"
    assert catalog.get("ollama/qwen3:4b").live_source == f"GET {server.url}/v1/models"


def test_providers_override_and_httpx_client(server: LoopbackServer) -> None:
    PLAYS["openai"].install(server, "sk-override")
    overrides = {"openai": {"base_url": server.url + "/v1", "api_key": "sk-override"}}
    with httpx.Client() as client:
        result = catalog.refresh("openai", client=client, providers=overrides)
        assert not client.is_closed  # the caller's client stays open
    assert result["openai"].status == "fetched"


def test_fluent_ai_client_gives_provider_settings_and_transport(server: LoopbackServer) -> None:
    """``refresh(client=fluent_ai.Client(...))`` uses the client's provider settings (base
    URL, key) and its httpx client, which stays open."""
    PLAYS["openai"].install(server, "sk-from-client")
    overrides = {"openai": {"base_url": server.url + "/v1", "api_key": "sk-from-client"}}
    with fluent_ai.Client(providers=overrides) as client:
        result = catalog.refresh("openai", client=client)
        assert not client.http_client.is_closed
    assert result["openai"].status == "fetched"
    assert [r.path for r in server.requests] == ["/v1/models"]


def test_httpx_client_base_url_points_one_provider(server: LoopbackServer) -> None:
    PLAYS["deepseek"].install(server, "")
    with httpx.Client(base_url=server.url) as client:
        result = catalog.refresh("deepseek", client=client)
    assert result["deepseek"].status == "fetched"
    assert catalog.get("deepseek/deepseek-chat").live_source == f"GET {server.url}/models"


def test_refresh_all_only_touches_configured_providers(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    play(server, monkeypatch, "openai")
    play(server, monkeypatch, "ollama")  # no key needed: configured by its base URL
    result = catalog.refresh()
    assert result["openai"].status == "fetched"
    assert result["ollama"].status == "fetched"
    assert result["anthropic"].status == "skipped"
    assert "ANTHROPIC_API_KEY" in (result["anthropic"].error or "")
    assert result.ok
    assert {r.path for r in server.requests} == {"/v1/models", "/api/tags"}


def test_unknown_provider_raises() -> None:
    with pytest.raises(UnknownProviderError) as caught:
        catalog.refresh("no-such-provider")
    assert "openai" in str(caught.value)


def test_provider_without_models_endpoint_is_skipped() -> None:
    result = catalog.refresh("voyage")
    assert result["voyage"].status == "skipped"


# --- TTL -------------------------------------------------------------------------------------


def test_refresh_within_ttl_sends_no_request(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    path = play(server, monkeypatch, "openai")
    first = catalog.refresh("openai")["openai"]
    assert (cache_dir / "catalog-openai.json").is_file()
    second = catalog.refresh("openai")["openai"]
    assert second.status == "cached"
    assert (second.source, second.as_of, second.models) == (first.source, first.as_of, 2)
    assert server.count(path) == 1
    # A new process (simulated by reload) uses the cache too, still without a request.
    catalog.reload()
    assert catalog.refresh("openai")["openai"].status == "cached"
    assert catalog.get("openai/gpt-live-only-1").live_source == first.source
    assert server.count(path) == 1
    assert catalog.refresh("openai", force=True)["openai"].status == "fetched"
    assert server.count(path) == 2
    assert catalog.refresh("openai", ttl=0)["openai"].status == "fetched"
    assert server.count(path) == 3


def test_expired_cache_is_refetched(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    path = play(server, monkeypatch, "openai")
    catalog.refresh("openai")
    document = json.loads((cache_dir / "catalog-openai.json").read_text())
    document["fetched_at"] -= 7200
    (cache_dir / "catalog-openai.json").write_text(json.dumps(document))
    assert catalog.refresh("openai", ttl=3600)["openai"].status == "fetched"
    assert catalog.refresh("openai", ttl=3600)["openai"].status == "cached"
    assert server.count(path) == 2


def test_cache_from_another_base_url_is_not_used(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = play(server, monkeypatch, "openai")
    catalog.refresh("openai")
    monkeypatch.setenv(base_url_env_var("openai"), server.url + "/v1/")  # same after rstrip
    assert catalog.refresh("openai")["openai"].status == "cached"
    server.route("GET", "/other/v1/models", lambda r: Response(200, {}, b'{"data": []}'))
    monkeypatch.setenv(base_url_env_var("openai"), server.url + "/other/v1")
    assert catalog.refresh("openai")["openai"].status == "fetched"
    assert server.count(path) == 1


def test_cache_is_laid_over_the_snapshot_on_first_use(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    play(server, monkeypatch, "anthropic")
    catalog.refresh("anthropic")
    catalog.reload()
    info = catalog.get("anthropic/claude-sonnet-4-5-20250929")
    assert info.max_output_tokens == 128000
    assert server.count("/v1/models") == 2  # no new request


# --- corrupt cache ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"\xff\xfe\x00", b"[]", b'{"format": 1, "provider": "openai"}', b"null"],
)
def test_corrupt_cache_is_ignored_with_a_warning(
    content: bytes, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    path = play(server, monkeypatch, "openai")
    cache_dir.mkdir(parents=True)
    (cache_dir / "catalog-openai.json").write_bytes(content)
    with pytest.warns(catalog.CatalogCacheWarning, match="catalog-openai.json"):
        info = catalog.get("openai/gpt-4.1-mini")  # first use reads the cache files
    assert info.live_source is None
    with pytest.warns(catalog.CatalogCacheWarning):
        outcome = catalog.refresh("openai")["openai"]
    assert outcome.status == "fetched"
    assert server.count(path) == 1
    # The refresh replaced the corrupt file with a good one.
    assert json.loads((cache_dir / "catalog-openai.json").read_bytes())["provider"] == "openai"


def test_cache_file_with_bad_field_types_is_ignored(
    monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    cache_dir.mkdir(parents=True)
    document = {
        "format": 1,
        "provider": "openai",
        "base_url": "https://api.openai.com/v1",
        "source": "GET x",
        "as_of": "2026-01-01T00:00:00Z",
        "fetched_at": time.time(),
        "models": {"gpt-4.1-mini": {"context_window": "huge"}},
    }
    (cache_dir / "catalog-openai.json").write_text(json.dumps(document))
    with pytest.warns(catalog.CatalogCacheWarning, match="wrong type"):
        assert catalog.get("openai/gpt-4.1-mini").context_window == 1047576


def test_unwritable_cache_warns_and_refresh_still_applies(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    play(server, monkeypatch, "openai")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("FLUENT_AI_CACHE_DIR", str(blocker / "cache"))
    with pytest.warns(catalog.CatalogCacheWarning, match="could not write"):
        outcome = catalog.refresh("openai")["openai"]
    assert outcome.status == "fetched"
    assert catalog.get("openai/gpt-live-only-1").mode is None


# --- provider down ---------------------------------------------------------------------------


def test_failure_without_cache_falls_back_to_snapshot(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = play(server, monkeypatch, "anthropic")
    server.fail(
        "GET",
        path,
        status=503,
        body={"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    with caplog.at_level(logging.WARNING, logger="fluent_ai.catalog"):
        result = catalog.refresh("anthropic")
    outcome = result["anthropic"]
    assert (outcome.status, outcome.fallback, outcome.models) == ("failed", "snapshot", 0)
    assert "Overloaded" in (outcome.error or "") and "503" in (outcome.error or "")
    assert not result.ok and set(result.failed) == {"anthropic"}
    assert catalog.get("anthropic/claude-sonnet-4-5-20250929").max_output_tokens == 64000
    assert "anthropic" in caplog.text and "snapshot" in caplog.text
    assert KEY not in caplog.text


def test_failure_with_stale_cache_falls_back_to_cache(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = play(server, monkeypatch, "anthropic")
    first = catalog.refresh("anthropic")["anthropic"]
    catalog.reload()
    server.fail("GET", path, status=429, headers={"Retry-After": "7"})
    outcome = catalog.refresh("anthropic", force=True)["anthropic"]
    assert (outcome.status, outcome.fallback) == ("failed", "cache")
    assert (outcome.source, outcome.as_of, outcome.models) == (first.source, first.as_of, 2)
    assert "429" in (outcome.error or "")
    assert catalog.get("anthropic/claude-sonnet-4-5-20250929").max_output_tokens == 128000


def test_dropped_connection_and_refused_port_are_reported(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = play(server, monkeypatch, "openai")
    server.disconnect("GET", path)
    outcome = catalog.refresh("openai")["openai"]
    assert outcome.status == "failed" and outcome.fallback == "snapshot"
    assert "connection" in (outcome.error or "").lower()
    # A port nobody listens on (the server's own port after a fresh socket closed).
    closed = LoopbackServer()
    url = closed.url
    closed.close()
    monkeypatch.setenv(base_url_env_var("openai"), url + "/v1")
    assert catalog.refresh("openai", force=True)["openai"].status == "failed"


def test_bad_bodies_are_reported(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    path = play(server, monkeypatch, "openai")
    server.route("GET", path, Response(200, {"content-type": "text/html"}, b"<html>maintenance"))
    outcome = catalog.refresh("openai")["openai"]
    assert outcome.status == "failed" and "JSON" in (outcome.error or "")
    server.route("GET", path, Response(200, {}, b'{"data": "nope"}'))
    outcome = catalog.refresh("openai", force=True)["openai"]
    assert outcome.status == "failed" and "unexpected models list" in (outcome.error or "")


def test_wrong_key_is_an_authentication_failure_without_the_key(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = play(server, monkeypatch, "openai")
    server.fail(
        "GET",
        path,
        status=401,
        body={
            "error": {
                "message": f"Incorrect API key provided: {KEY}",
                "type": "invalid_request_error",
            }
        },
    )
    outcome = catalog.refresh("openai")["openai"]
    assert outcome.status == "failed"
    assert KEY not in (outcome.error or "") and "[REDACTED]" in (outcome.error or "")


def test_stalled_endpoint_times_out(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = play(server, monkeypatch, "openai")
    server.stall("GET", path, 1.5)
    started = time.monotonic()
    outcome = catalog.refresh("openai", timeout=0.3)["openai"]
    assert outcome.status == "failed" and "timed out" in (outcome.error or "")
    assert time.monotonic() - started < 1.4


# --- async -----------------------------------------------------------------------------------


def test_arefresh_fetches_providers_concurrently(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for provider in ("openai", "gemini", "ollama"):
        play(server, monkeypatch, provider)
    # Long stalls, so that a loaded machine's slowness stays small beside them.
    server.stall("GET", "/v1/models", 1.5)
    server.stall("GET", "/v1beta/models", 1.5)

    async def main() -> catalog.RefreshResult:
        return await catalog.arefresh(provider=None)

    started = time.monotonic()
    result = asyncio.run(main())
    elapsed = time.monotonic() - started
    assert {k for k, v in result.items() if v.status == "fetched"} == {"openai", "gemini", "ollama"}
    assert elapsed < 2.9  # two 1.5 s stalls overlapped
    assert catalog.get("gemini/gemini-live-embedding-1").mode == "embedding"
    assert asyncio.run(catalog.arefresh("openai"))["openai"].status == "cached"


def test_arefresh_with_caller_async_client_and_failure(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = play(server, monkeypatch, "openai")
    server.fail("GET", path, status=500)

    async def main() -> catalog.RefreshResult:
        async with httpx.AsyncClient() as client:
            result = await catalog.arefresh("openai", client=client)
            assert not client.is_closed
            return result

    outcome = asyncio.run(main())["openai"]
    assert (outcome.status, outcome.fallback) == ("failed", "snapshot")


# --- atomic writes under concurrent processes ------------------------------------------------

WORKER = textwrap.dedent(
    """
    import sys, warnings
    warnings.simplefilter("error")
    from fluent_ai import catalog
    for _ in range(int(sys.argv[1])):
        result = catalog.refresh("openai", force=True)
        assert result["openai"].status == "fetched", result
    """
)


def test_two_processes_refreshing_never_leave_a_corrupt_file(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    play(server, monkeypatch, "openai")
    env = dict(os.environ)
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, "25"], env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    target = cache_dir / "catalog-openai.json"
    reads = 0
    deadline = time.monotonic() + 60
    while any(w.poll() is None for w in workers) and time.monotonic() < deadline:
        if target.exists():
            document = json.loads(target.read_bytes())  # never a torn file
            assert document["provider"] == "openai" and len(document["models"]) == 2
            reads += 1
    for worker in workers:
        _, errors = worker.communicate(timeout=60)
        assert worker.returncode == 0, errors.decode()
    assert reads > 0
    assert [p.name for p in cache_dir.iterdir()] == ["catalog-openai.json"]  # no temp files
    assert server.count("/v1/models") == 50


def test_write_is_atomic_when_interrupted(monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> None:
    live = LiveSet(
        "openai", "https://api.openai.com/v1", "GET x", "2026-01-01T00:00:00Z", 1.0, {"a": {}}
    )
    assert _cache.write(live)
    good = (cache_dir / "catalog-openai.json").read_bytes()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    live.models = {"b": {}}
    with pytest.warns(catalog.CatalogCacheWarning, match="disk full"):
        assert not _cache.write(live)
    assert (cache_dir / "catalog-openai.json").read_bytes() == good
    assert [p.name for p in cache_dir.iterdir()] == ["catalog-openai.json"]
