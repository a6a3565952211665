"""catalog.get (aliases, dated versions, unknown names), find, providers and cost."""

from __future__ import annotations

import dataclasses
import datetime
import pickle
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from catalog_helpers import isolate_catalog

from fluent_ai import catalog
from fluent_ai.catalog._lookup import _newest_dated
from fluent_ai.errors import (
    ArgumentTypeError,
    FluentAIError,
    InvalidArgumentError,
    ModelNotFoundError,
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    isolate_catalog(monkeypatch, tmp_path)
    yield
    catalog.reload()


@pytest.mark.parametrize(
    ("name", "resolved"),
    [
        ("openai/gpt-4.1-mini", "openai/gpt-4.1-mini"),
        ("gpt-4.1-mini", "openai/gpt-4.1-mini"),  # bare id: first-party provider first
        ("OpenAI/GPT-4.1-Mini", "openai/gpt-4.1-mini"),  # case-insensitive
        ("openai/gpt-4.1-mini-2025-04-14", "openai/gpt-4.1-mini-2025-04-14"),  # dated, exact
        ("openai/gpt-4.1-mini-2031-01-01", "openai/gpt-4.1-mini"),  # unknown date -> base
        ("anthropic/claude-sonnet-4-5-20991231", "anthropic/claude-sonnet-4-5"),
        ("claude-sonnet-4-5", "anthropic/claude-sonnet-4-5"),
        ("anthropic/claude-haiku-4-5-latest", "anthropic/claude-haiku-4-5"),
        ("vertex_ai/claude-3-5-haiku@20241022", "vertex/claude-3-5-haiku@20241022"),
        ("vertex/claude-haiku-4-5@20991231", "vertex/claude-haiku-4-5"),
        ("google/gemini-2.5-flash", "gemini/gemini-2.5-flash"),
        ("gemini-2.5-flash", "gemini/gemini-2.5-flash"),
        (
            "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "together/meta-llama/Llama-3.3-70B-Instruct-Turbo",
        ),
        (
            "fireworks_ai/accounts/fireworks/models/glm-4p7",
            "fireworks/accounts/fireworks/models/glm-4p7",
        ),
        (
            "bedrock/eu.anthropic.claude-3-5-sonnet-20241022-v2:0",
            "bedrock/eu.anthropic.claude-3-5-sonnet-20241022-v2:0",
        ),
        (
            "bedrock/jp.anthropic.claude-3-5-sonnet-20241022-v2:0",
            "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
        ),
        ("bedrock/global.meta.llama3-1-8b-instruct-v1:0", "bedrock/meta.llama3-1-8b-instruct-v1:0"),
        ("ollama/llama3.1:latest", "ollama/llama3.1"),
        ("ollama/llama3:8b", "ollama/llama3:8b"),
        ("ollama/mistral:7b-instruct-q4", "ollama/mistral"),
        ("deepseek/deepseek-chat", "deepseek/deepseek-chat"),
        ("mistral/mistral-large-latest", "mistral/mistral-large-latest"),
        ("mistral/mistral-medium-2999", "mistral/mistral-medium"),
    ],
)
def test_get_resolves_names(name: str, resolved: str) -> None:
    assert catalog.get(name).name == resolved


def test_undated_name_resolves_to_newest_dated_version() -> None:
    ids = {i.id for i in catalog.find(provider="anthropic")}
    undated = [i for i in ("claude-opus-4-1", "claude-3-7-sonnet") if i not in ids]
    for model_id in undated:
        dated = sorted(i for i in ids if i.startswith(model_id + "-2"))
        if dated:
            assert catalog.get(f"anthropic/{model_id}").id == dated[-1]
    # A synthetic check independent of the data: the newest of several dated ids wins.
    ids_map = dict.fromkeys(["m-20240101", "m-2025-02-03", "m@20231231", "m-9999", "m-20241399"])
    assert _newest_dated(ids_map, "m") == "m-2025-02-03"
    assert _newest_dated(ids_map, "x") is None


def test_get_returns_the_same_object() -> None:
    assert catalog.get("openai/gpt-4o") is catalog.get("openai/gpt-4o")


def test_unknown_model_suggests_close_matches() -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        catalog.get("openai/gpt-4.1-mimi")
    error = caught.value
    assert isinstance(error, KeyError) and isinstance(error, FluentAIError)
    assert error.name == "openai/gpt-4.1-mimi"
    assert error.suggestions[0] == "openai/gpt-4.1-mini"
    assert all(s.startswith("openai/") for s in error.suggestions)
    assert "did you mean 'openai/gpt-4.1-mini'" in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.name, copy.suggestions, str(copy)) == (error.name, error.suggestions, str(error))
    with pytest.raises(ModelNotFoundError) as bare:
        catalog.get("claude-sonet-4-5")
    assert "anthropic/claude-sonnet-4-5" in bare.value.suggestions
    with pytest.raises(ModelNotFoundError) as nothing:
        catalog.get("zzzz/qqqq-xxxx")
    assert nothing.value.suggestions == []
    assert str(nothing.value) == "unknown model 'zzzz/qqqq-xxxx'"


def test_model_info_is_immutable_and_named() -> None:
    info = catalog.get("anthropic/claude-sonnet-4-5")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.input_price = 0.0  # type: ignore[misc]
    assert info.name == "anthropic/claude-sonnet-4-5"
    assert info.json_mode is info.structured_output
    assert info.provenance("input_price").source == info.source
    with pytest.raises(InvalidArgumentError, match="field must be one of mode"):
        info.provenance("provider")
    with pytest.raises(ArgumentTypeError, match=r"^field must be a non-empty"):
        info.provenance(5)  # type: ignore[arg-type]
    assert hash(info) == hash(dataclasses.replace(info))


def test_providers() -> None:
    names = catalog.providers()
    assert names == sorted(names)
    assert {"openai", "anthropic", "gemini", "vertex", "bedrock"} <= set(names)


def test_find_filters() -> None:
    chat = catalog.find(provider="anthropic", mode="chat", tools=True, vision=True)
    assert chat and all(
        m.provider == "anthropic" and m.mode == "chat" and m.tools is True and m.vision is True
        for m in chat
    )
    big = catalog.find(mode="chat", min_context=1_000_000)
    assert big and all((m.context_window or m.max_input_tokens or 0) >= 1_000_000 for m in big)
    assert "gemini/gemini-2.5-flash" in {m.name for m in big}  # input limit counts for Gemini
    cheap = catalog.find(mode="chat", max_input_price=0.1, max_output_price=0.5)
    assert cheap and all(
        m.input_price is not None and m.input_price <= 0.1 and m.output_price is not None
        for m in cheap
    )
    several = catalog.find(provider=["openai", "vertex_ai"], mode=["embedding"])
    assert {m.provider for m in several} == {"openai", "vertex"}
    no_tools = catalog.find(provider="openai", tools=False)
    assert all(m.tools is False for m in no_tools)
    long_output = catalog.find(min_output=100_000)
    assert all((m.max_output_tokens or 0) >= 100_000 for m in long_output)


def test_find_deprecation_filter() -> None:
    day = datetime.date(2026, 12, 1)
    everything = catalog.find(provider="openai")
    current = catalog.find(provider="openai", include_deprecated=False, today=day)
    gone = {m.name for m in everything} - {m.name for m in current}
    assert gone and all(
        catalog.get(n).deprecation_date is not None and catalog.get(n).deprecation_date <= day  # type: ignore[operator]
        for n in gone
    )


def test_find_sorting() -> None:
    by_name = catalog.find(provider="openai")
    assert [m.name for m in by_name] == sorted(m.name for m in by_name)
    by_price = catalog.find(mode="chat", sort="input_price")
    prices = [m.input_price for m in by_price]
    known = [p for p in prices if p is not None]
    assert known == sorted(known)
    assert prices[: len(known)] == known  # unknown prices last
    by_context = catalog.find(mode="chat", sort="context_window")
    contexts = [m.context_window or m.max_input_tokens for m in by_context]
    known_contexts = [c for c in contexts if c is not None]
    assert known_contexts == sorted(known_contexts, reverse=True)
    with pytest.raises(ValueError, match="sort must be one of"):
        catalog.find(sort="popularity")


@dataclasses.dataclass
class Usage:
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None


@dataclasses.dataclass
class ChatResponse:
    usage: Usage


def test_cost_without_cache_tokens() -> None:
    cost = catalog.cost("openai/gpt-4.1-mini", Usage(1000, 500))
    assert cost.model == "openai/gpt-4.1-mini"
    assert (cost.input, cost.output) == (0.0004, 0.0008)  # exact: 1000 * 0.4 / 1e6, 500 * 1.6 / 1e6
    assert (cost.cache_read, cost.cache_write) == (0.0, 0.0)
    assert cost.total == 0.0012


def test_cost_with_cache_tokens() -> None:
    # Anthropic: input 3, cache read 0.3, cache write 3.75, output 15 (USD per million).
    usage = {
        "input_tokens": 10_000,
        "output_tokens": 2_000,
        "cache_read_tokens": 6_000,
        "cache_write_tokens": 1_000,
    }
    cost = catalog.cost("anthropic/claude-sonnet-4-5", usage)
    assert cost.input == 0.009  # (10000 - 6000 - 1000) * 3 / 1e6
    assert cost.cache_read == 0.0018
    assert cost.cache_write == 0.00375
    assert cost.output == 0.03
    assert cost.total == 0.04455


def test_cost_of_the_streaming_core_usage_event(core: ModuleType) -> None:
    usage = core.Usage(10_000, 2_000, 12_000, 6_000, 1_000, None)
    cost = catalog.cost("anthropic/claude-sonnet-4-5", usage)
    assert (cost.input, cost.cache_read, cost.cache_write, cost.output) == (
        0.009,
        0.0018,
        0.00375,
        0.03,
    )
    assert catalog.cost("openai/gpt-4o", core.Usage(100, 10, None, None, None, None)).total == (
        catalog.cost("openai/gpt-4o", {"input_tokens": 100, "output_tokens": 10}).total
    )


def test_cost_from_a_response_and_a_model_info() -> None:
    info = catalog.get("gemini/gemini-2.5-flash")
    cost = catalog.cost(info, ChatResponse(Usage(2_000_000, 100_000, cache_read_tokens=1_000_000)))
    assert (cost.input, cost.cache_read, cost.output) == (0.3, 0.03, 0.25)
    assert cost.total == 0.58


def test_cost_with_unknown_prices() -> None:
    # gpt-4.1-mini has no cache-write price: charging cache writes is unknown, not free.
    cost = catalog.cost("openai/gpt-4.1-mini", Usage(1000, 10, cache_write_tokens=100))
    assert cost.cache_write is None and cost.total is None
    assert cost.input == 0.00036  # the known parts are still given
    unknown_output = catalog.cost("openai/gpt-4.1-mini", {"input_tokens": 10})
    assert unknown_output.output is None and unknown_output.total is None
    no_price = dataclasses.replace(catalog.get("openai/gpt-4.1-mini"), input_price=None)
    assert catalog.cost(no_price, Usage(0, 0)).total == 0.0  # nothing to charge


def test_cost_rejects_inconsistent_usage() -> None:
    with pytest.raises(ValueError, match="must count the cache reads"):
        catalog.cost("anthropic/claude-sonnet-4-5", Usage(100, 1, cache_read_tokens=200))
    with pytest.raises(ValueError, match="non-negative"):
        catalog.cost("anthropic/claude-sonnet-4-5", {"input_tokens": -1, "output_tokens": 0})
    with pytest.raises(ModelNotFoundError):
        catalog.cost("openai/not-a-model-at-all", Usage(1, 1))
