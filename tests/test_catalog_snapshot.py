"""The packaged snapshot against its source, LiteLLM's model file in ../shared/data."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog_helpers import isolate_catalog

from conftest import SHARED
from fluent_ai import catalog
from fluent_ai.catalog import _store
from fluent_ai.catalog._litellm import per_million
from fluent_ai.catalog._snapshot import LICENSE_FILE, snapshot_path
from fluent_ai.catalog.generate import build_snapshot, main, render
from fluent_ai.providers.registry import PROVIDERS

SOURCE = SHARED / "data" / "litellm-1.109.1_model_prices_and_context_window.json"
LICENSE = SHARED / "data" / "litellm-LICENSE.txt"
DATA: dict[str, Any] = json.loads(SOURCE.read_bytes())

FLAGS = {
    "tools": "supports_function_calling",
    "parallel_tools": "supports_parallel_function_calling",
    "vision": "supports_vision",
    "structured_output": "supports_response_schema",
    "reasoning": "supports_reasoning",
    "prompt_caching": "supports_prompt_caching",
    "audio_input": "supports_audio_input",
}
PRICES = {
    "input_price": "input_cost_per_token",
    "output_price": "output_cost_per_token",
    "cache_read_price": "cache_read_input_token_cost",
    "cache_write_price": "cache_creation_input_token_cost",
}


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    isolate_catalog(monkeypatch, tmp_path)
    yield
    catalog.reload()


def entries() -> list[tuple[catalog.ModelInfo, dict[str, Any], str]]:
    """Every snapshot entry with the LiteLLM entry and key it came from."""
    snapshot = _store.store().snapshot
    found = []
    for info in catalog.find():
        key = snapshot.source_key(info.name)
        assert key is not None, info.name
        found.append((info, DATA[key], key))
    return found


def test_committed_snapshot_is_exactly_the_generator_output(tmp_path: Path) -> None:
    committed = snapshot_path().read_text(encoding="utf-8")
    document = build_snapshot(
        SOURCE.read_bytes(),
        file_name=SOURCE.name,
        version="1.109.1",
        as_of=json.loads(committed)["as_of"],
        copyright_line="Copyright (c) 2023 Berri AI",
    )
    assert render(document) == committed
    # The command line gives the same bytes and copies the licence.
    as_of = json.loads(committed)["as_of"]
    assert main([str(SOURCE), "--as-of", as_of, "--out", str(tmp_path)]) == 0
    assert (tmp_path / "snapshot.json").read_text(encoding="utf-8") == committed
    assert (tmp_path / LICENSE_FILE).read_bytes() == LICENSE.read_bytes()


def test_generator_with_another_file_name(tmp_path: Path) -> None:
    source = tmp_path / "prices.json"
    source.write_text(json.dumps({"gpt-x": {"litellm_provider": "openai", "mode": "chat"}}))
    out = tmp_path / "out"
    out.mkdir()
    (out / LICENSE_FILE).write_bytes(LICENSE.read_bytes())
    assert main([str(source), "--out", str(out), "--as-of", "2027-01-02"]) == 0
    document = json.loads((out / "snapshot.json").read_text(encoding="utf-8"))
    assert document["source"]["version"] == "unknown"
    assert document["models"] == {"openai": [["gpt-x", "chat", *[None] * 17, "gpt-x"]]}
    with pytest.raises(SystemExit):
        main([str(source), "--out", str(tmp_path / "empty")])


def test_source_and_attribution_are_recorded() -> None:
    meta = catalog.snapshot_info()
    source = meta["source"]
    assert source["file"] == SOURCE.name
    assert source["version"] == "1.109.1"
    assert source["license"] == "MIT"
    assert source["copyright"] == "Copyright (c) 2023 Berri AI"
    assert (snapshot_path().parent / source["license_file"]).read_bytes() == LICENSE.read_bytes()
    assert len(meta["as_of"]) == 10 and meta["as_of"].startswith("20")


def test_every_value_equals_the_source_and_none_is_invented() -> None:
    checked = 0
    for info, source, key in entries():
        assert info.source.endswith(f": {key}") and "LiteLLM 1.109.1" in info.source
        assert info.as_of == catalog.snapshot_info()["as_of"]
        assert info.mode == source.get("mode")
        for field in ("max_input_tokens", "max_output_tokens"):
            assert getattr(info, field) == _count(source.get(field)), (key, field)
        assert info.embedding_dimensions == _count(source.get("output_vector_size"))
        if info.context_window is not None:
            assert info.context_window == source["max_input_tokens"], key
        for field, name in PRICES.items():
            value = source.get(name)
            if isinstance(value, (int, float)):
                assert getattr(info, field) == pytest.approx(value * 1e6, rel=1e-9, abs=0), key
            else:
                assert getattr(info, field) is None, (key, field)
        for field, name in FLAGS.items():
            value = source.get(name)
            assert getattr(info, field) is (value if isinstance(value, bool) else None), (
                key,
                field,
            )
        date = info.deprecation_date
        assert (None if date is None else date.isoformat()) == source.get("deprecation_date")
        url = source.get("source")
        assert info.reference_url == (url if str(url).startswith("http") else None), key
        assert info.live_source is None and info.display_name is None
        checked += 1
    assert checked > 2000


def _count(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and value > 0 else None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "openai/gpt-4.1-mini",
            {
                "mode": "chat",
                "context_window": 1047576,
                "max_input_tokens": 1047576,
                "max_output_tokens": 32768,
                "input_price": 0.4,
                "output_price": 1.6,
                "cache_read_price": 0.1,
                "cache_write_price": None,
                "tools": True,
                "vision": True,
            },
        ),
        (
            "anthropic/claude-sonnet-4-5",
            {
                "context_window": 200000,
                "max_output_tokens": 64000,
                "input_price": 3.0,
                "output_price": 15.0,
                "cache_read_price": 0.3,
                "cache_write_price": 3.75,
                "parallel_tools": None,
            },
        ),
        (
            "gemini/gemini-2.5-flash",
            {
                "context_window": None,
                "max_input_tokens": 1048576,
                "max_output_tokens": 65536,
                "input_price": 0.3,
                "output_price": 2.5,
                "audio_input": True,
            },
        ),
        (
            "openai/text-embedding-3-small",
            {
                "mode": "embedding",
                "context_window": None,
                "max_input_tokens": 8191,
                "max_output_tokens": None,
                "input_price": 0.02,
                "output_price": 0.0,
                "embedding_dimensions": 1536,
            },
        ),
        ("deepseek/deepseek-chat", {"cache_write_price": 0.0}),  # the prefixed LiteLLM key wins
        ("cohere/command-a-03-2025", {"context_window": 256000, "max_output_tokens": 8000}),
        ("vertex/claude-sonnet-4-5", {"context_window": 200000, "input_price": 3.0}),
        ("vertex/gemini-2.5-pro", {"context_window": None, "max_output_tokens": 65535}),
        ("bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0", {"context_window": 200000}),
        ("novita/Sao10K/L3-8B-Stheno-v3.2", {"context_window": None, "max_output_tokens": 32000}),
        ("ollama/llama3.1", {"input_price": 0.0, "output_price": 0.0}),
    ],
)
def test_sample_values(name: str, expected: dict[str, Any]) -> None:
    info = catalog.get(name)
    assert info.name == name
    for field, value in expected.items():
        assert getattr(info, field) == value, field


def test_float_noise_is_removed() -> None:
    assert DATA["novita/deepseek/deepseek-v4-pro"]["input_cost_per_token"] == 1.6000000000000001e-06
    assert catalog.get("novita/deepseek/deepseek-v4-pro").input_price == 1.6
    # Real digits are kept.
    source = DATA["databricks/databricks-claude-sonnet-4-1"]["input_cost_per_token"]
    assert source == 2.9999900000000002e-06  # not covered, but the rule is the same:
    assert per_million(source) == 2.99999
    assert per_million(9.499999999999999e-07) == 0.95
    assert per_million(-1.0) is None and per_million(math.nan) is None and per_million(True) is None


def test_context_window_rule() -> None:
    for info, source, key in entries():
        google = info.provider == "gemini" or (
            info.provider == "vertex"
            and (
                source["litellm_provider"] == "vertex_ai-language-models"
                or info.id.startswith(("gemini", "gemma"))
            )
        )
        generative = info.mode in ("chat", "completion", "responses", "realtime")
        # Google states separate input and output limits; other modes generate no tokens.
        if google or not generative:
            assert info.context_window is None, key
        elif info.max_input_tokens is not None and (
            info.max_output_tokens is None or info.max_output_tokens <= info.max_input_tokens
        ):
            assert info.context_window == info.max_input_tokens, key
        else:
            assert info.context_window is None, key
        assert "max_tokens" not in source or info.max_output_tokens == _count(
            source.get("max_output_tokens")
        )


def test_pricing_variants_are_left_out() -> None:
    names = {info.name for info in catalog.find()}
    assert not any(n.startswith("bedrock/") and "/" in n[len("bedrock/") :] for n in names)
    assert not any(n.startswith(("azure/eu/", "azure/us/", "openai/1024-x-1024/")) for n in names)
    assert "bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0" in names


def test_covers_the_client_providers_that_the_source_has() -> None:
    expected = {
        "openai", "anthropic", "gemini", "vertex", "bedrock", "azure", "cohere", "mistral",
        "groq", "deepseek", "together", "xai", "ollama", "perplexity", "deepinfra", "fireworks",
        "moonshot", "zai", "zhipuai", "dashscope", "cloudflare", "ai21", "cerebras", "sambanova",
        "nebius", "novita", "voyage", "jina", "minimax",
    }  # fmt: skip
    assert expected <= set(catalog.providers())
    assert set(catalog.providers()) <= set(PROVIDERS)  # every one is callable by the clients


def test_import_does_not_read_the_snapshot() -> None:
    code = textwrap.dedent(
        """
        import sys
        opened = []

        def hook(event, args):
            if event == "open" and str(args[0]).endswith("snapshot.json"):
                opened.append(args[0])

        sys.addaudithook(hook)
        import fluent_ai
        import fluent_ai.catalog
        from fluent_ai.catalog import _store
        assert fluent_ai.catalog.get is not None
        assert not opened and not _store.loaded(), opened
        fluent_ai.catalog.get("openai/gpt-4.1-mini")
        assert len(opened) == 1, opened
        fluent_ai.catalog.get("anthropic/claude-sonnet-4-5")
        fluent_ai.catalog.find(mode="chat")
        assert len(opened) == 1, opened
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
