"""The provider registry: defaults, overrides, environment and auth headers."""

from __future__ import annotations

import pytest

from fluent_ai.errors import ConfigurationError, UnknownProviderError
from fluent_ai.providers import PROVIDERS, base_url_env_var, join_url, resolve


def test_defaults_from_the_spec() -> None:
    openai = resolve("openai", environ={"OPENAI_API_KEY": "sk-1"})
    assert openai.base_url == "https://api.openai.com/v1"
    assert openai.url(openai.spec.models_path or "") == "https://api.openai.com/v1/models"
    assert openai.request_headers() == {"Authorization": "Bearer sk-1"}
    anthropic = resolve("anthropic", environ={"ANTHROPIC_API_KEY": "a-1"})
    assert anthropic.request_headers() == {"anthropic-version": "2023-06-01", "x-api-key": "a-1"}
    assert anthropic.url("/v1/models") == "https://api.anthropic.com/v1/models"
    gemini = resolve("gemini", environ={"GOOGLE_API_KEY": "g-2", "GEMINI_API_KEY": "g-1"})
    assert gemini.request_headers() == {"x-goog-api-key": "g-1"}
    azure = resolve(
        "azure",
        environ={
            "AZURE_OPENAI_API_KEY": "z",
            "AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com/",
        },
    )
    assert azure.base_url == "https://r.openai.azure.com/openai"
    assert azure.params["api_version"] == "2024-10-21"
    assert azure.request_headers() == {"api-key": "z"}
    assert resolve("ollama", environ={}).api_key is None
    assert resolve("ollama", environ={}).request_headers() == {}


def test_every_entry_is_well_formed() -> None:
    for name, spec in PROVIDERS.items():
        assert spec.name == name
        assert spec.base_url.startswith(("https://", "http://localhost", "{"))
        assert spec.auth in {
            "bearer",
            "x-api-key",
            "x-goog-api-key",
            "api-key",
            "sigv4",
            "google-oauth",
        }
        assert spec.key_env or spec.auth == "google-oauth"


def test_base_url_overrides_in_order() -> None:
    env = {"FLUENT_AI_OPENAI_BASE_URL": "http://127.0.0.1:1/v1/"}
    assert resolve("openai", environ=env).base_url == "http://127.0.0.1:1/v1"
    override = {
        "openai": {"base_url": "http://127.0.0.1:2/v1", "api_key": "k", "headers": {"X-T": "1"}}
    }
    resolved = resolve("openai", override, environ=env)
    assert resolved.base_url == "http://127.0.0.1:2/v1"
    assert resolved.request_headers() == {"X-T": "1", "Authorization": "Bearer k"}
    assert base_url_env_var("lm-studio") == "FLUENT_AI_LM_STUDIO_BASE_URL"


def test_placeholders_and_missing_settings() -> None:
    bedrock = resolve("bedrock", environ={"AWS_DEFAULT_REGION": "eu-west-1"})
    assert bedrock.base_url == "https://bedrock-runtime.eu-west-1.amazonaws.com"
    assert resolve("bedrock", {"bedrock": {"region": "us-west-2"}}, environ={}).base_url.endswith(
        "us-west-2.amazonaws.com"
    )
    with pytest.raises(ConfigurationError, match="AWS_REGION or AWS_DEFAULT_REGION"):
        resolve("bedrock", environ={})
    local = resolve(
        "bedrock", {"bedrock": {"base_url": "http://127.0.0.1:3", "region": "x"}}, environ={}
    )
    assert (local.base_url, local.params["region"]) == ("http://127.0.0.1:3", "x")
    assert resolve("vertex", environ={"GOOGLE_CLOUD_LOCATION": "global"}).base_url == (
        "https://aiplatform.googleapis.com/v1"
    )
    assert resolve("vertex", environ={"GOOGLE_CLOUD_LOCATION": "eu"}).base_url == (
        "https://aiplatform.eu.rep.googleapis.com/v1"
    )
    assert (
        resolve("vertex", environ={}).base_url == "https://us-central1-aiplatform.googleapis.com/v1"
    )
    with pytest.raises(ConfigurationError, match="CLOUDFLARE_ACCOUNT_ID"):
        resolve("cloudflare", environ={})


def test_custom_openai_compatible_provider() -> None:
    custom = {"my-llm": {"dialect": "openai-chat", "base_url": "http://127.0.0.1:4/v1"}}
    resolved = resolve("my-llm", custom, environ={"MY_LLM_API_KEY": "m"})
    assert (resolved.spec.dialect, resolved.api_key, resolved.url("/models")) == (
        "openai-chat",
        "m",
        "http://127.0.0.1:4/v1/models",
    )
    with pytest.raises(UnknownProviderError) as caught:
        resolve("my-llm", environ={})
    assert "openai" in caught.value.known


def test_key_never_in_repr() -> None:
    resolved = resolve(
        "openai",
        {"openai": {"api_key": "sk-hidden", "headers": {"Authorization": "Bearer sk-hidden"}}},
        environ={},
    )
    assert "sk-hidden" not in repr(resolved) and "sk-hidden" not in str(resolved)


@pytest.mark.parametrize(
    ("base", "path", "url"),
    [
        ("https://api.anthropic.com", "/v1/models", "https://api.anthropic.com/v1/models"),
        ("https://api.anthropic.com/v1", "/v1/models", "https://api.anthropic.com/v1/models"),
        ("https://api.anthropic.com/v1/", "/v1/models", "https://api.anthropic.com/v1/models"),
        ("http://h/v1beta", "/v1beta/models", "http://h/v1beta/models"),
        ("http://h/v1", "/v1beta/models", "http://h/v1/models"),  # Gemini under v1
        ("https://api.openai.com/v1", "/models", "https://api.openai.com/v1/models"),
        ("http://h/api/v1", "/v1/models", "http://h/api/v1/models"),
        ("http://h", "api/tags", "http://h/api/tags"),
        ("http://h/x", "", "http://h/x"),
    ],
)
def test_join_url(base: str, path: str, url: str) -> None:
    assert join_url(base, path) == url
