"""Models-list endpoints of each provider, played on the loopback server.

Bodies follow the shapes of ../shared/spec/providers.md §10 (and §2.8, §4.5, §5.6, §7.4, §8.3),
with ids chosen so that some merge with snapshot entries and some exist only live. Each play
checks the provider's auth header, and the paged ones serve two pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loopback import LoopbackServer, Request, Response, json_response, requiring

__all__ = ["PLAYS", "Play"]


@dataclass(frozen=True)
class Play:
    """``base`` is appended to the server URL for ``FLUENT_AI_<P>_BASE_URL``; ``path`` is where
    the server answers; ``auth`` maps a key to the headers the server requires; ``pages``
    returns the body for a request (so paging can follow the query)."""

    provider: str
    key_env: str | None
    base: str
    path: str
    auth: Callable[[str], dict[str, str]]
    pages: Callable[[Request], Any]

    def install(self, server: LoopbackServer, key: str) -> None:
        def answer(request: Request) -> Response:
            return json_response(self.pages(request))

        server.route("GET", self.path, requiring(self.auth(key) if key else None, answer))


def _bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def _one(body: Any) -> Callable[[Request], Any]:
    return lambda _request: body


def _anthropic(request: Request) -> Any:
    if request.param("after_id") == "claude-sonnet-4-5-20250929":
        return {
            "data": [
                {
                    "type": "model",
                    "id": "claude-live-only-1",
                    "display_name": "Claude Live Only",
                    "created_at": "2026-10-01T00:00:00Z",
                    "max_input_tokens": 500000,
                    "max_tokens": 32000,
                }
            ],
            "has_more": False,
            "first_id": "claude-live-only-1",
            "last_id": "claude-live-only-1",
        }
    return {
        "data": [
            {
                "type": "model",
                "id": "claude-sonnet-4-5-20250929",
                "display_name": "Claude Sonnet 4.5",
                "created_at": "2025-09-29T00:00:00Z",
                "max_input_tokens": 200000,
                "max_tokens": 128000,
                "capabilities": {
                    "image_input": {"supported": True},
                    "structured_outputs": {"supported": True},
                    "thinking": {"supported": True},
                },
            }
        ],
        "has_more": True,
        "first_id": "claude-sonnet-4-5-20250929",
        "last_id": "claude-sonnet-4-5-20250929",
    }


def _gemini(request: Request) -> Any:
    if request.param("pageToken") == "page-2":
        return {
            "models": [
                {
                    "name": "models/gemini-live-embedding-1",
                    "displayName": "Live Embedding",
                    "inputTokenLimit": 2048,
                    "outputTokenLimit": 1,
                    "supportedGenerationMethods": ["embedContent"],
                }
            ]
        }
    return {
        "models": [
            {
                "name": "models/gemini-2.5-flash",
                "version": "001",
                "displayName": "Gemini 2.5 Flash",
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65535,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
                "thinking": True,
            }
        ],
        "nextPageToken": "page-2",
    }


def _cohere(request: Request) -> Any:
    if request.param("page_token") == "next":
        return {"models": [{"name": "embed-live-v9", "endpoints": ["embed"], "features": []}]}
    return {
        "models": [
            {
                "name": "command-a-03-2025",
                "endpoints": ["chat"],
                "finetuned": False,
                "context_length": 288000,
                "features": ["tools", "vision"],
                "is_deprecated": False,
            }
        ],
        "next_page_token": "next",
    }


def _openai_list(*items: dict[str, Any]) -> Callable[[Request], Any]:
    return _one({"object": "list", "data": list(items)})


PLAYS: dict[str, Play] = {
    play.provider: play
    for play in (
        Play(
            "openai",
            "OPENAI_API_KEY",
            "/v1",
            "/v1/models",
            _bearer,
            _openai_list(
                {
                    "id": "gpt-4.1-mini",
                    "object": "model",
                    "created": 1744000000,
                    "owned_by": "system",
                },
                {
                    "id": "gpt-live-only-1",
                    "object": "model",
                    "created": 1790000000,
                    "owned_by": "system",
                    "shutdown_date": "2027-03-01",
                },
            ),
        ),
        Play(
            "anthropic",
            "ANTHROPIC_API_KEY",
            "",
            "/v1/models",
            lambda key: {"x-api-key": key, "anthropic-version": "2023-06-01"},
            _anthropic,
        ),
        Play(
            "gemini",
            "GEMINI_API_KEY",
            "",
            "/v1beta/models",
            lambda key: {"x-goog-api-key": key},
            _gemini,
        ),
        Play(
            "mistral",
            "MISTRAL_API_KEY",
            "/v1",
            "/v1/models",
            _bearer,
            _openai_list(
                {
                    "id": "mistral-large-2512",
                    "object": "model",
                    "capabilities": {
                        "completion_chat": True,
                        "function_calling": True,
                        "vision": False,
                    },
                    "max_context_length": 262144,
                    "aliases": ["mistral-large-live-alias"],
                    "deprecation": "2027-06-30T00:00:00Z",
                    "type": "base",
                }
            ),
        ),
        Play(
            "groq",
            "GROQ_API_KEY",
            "/openai/v1",
            "/openai/v1/models",
            _bearer,
            _openai_list(
                {
                    "id": "openai/gpt-oss-120b",
                    "object": "model",
                    "owned_by": "OpenAI",
                    "active": True,
                    "context_window": 131072,
                    "max_completion_tokens": 32766,
                }
            ),
        ),
        Play(
            "xai",
            "XAI_API_KEY",
            "/v1",
            "/v1/models",
            _bearer,
            _openai_list({"id": "grok-4.3", "object": "model", "owned_by": "xai"}),
        ),
        Play(
            "deepseek",
            "DEEPSEEK_API_KEY",
            "",
            "/models",
            _bearer,
            _openai_list({"id": "deepseek-chat", "object": "model", "owned_by": "deepseek"}),
        ),
        Play(
            "together",
            "TOGETHER_API_KEY",
            "/v1",
            "/v1/models",
            _bearer,
            _one(
                [
                    {
                        "id": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
                        "object": "model",
                        "type": "chat",
                        "display_name": "Llama 3.3 70B Instruct Turbo",
                        "context_length": 131072,
                        "pricing": {"hourly": 0, "input": 0.88, "output": 0.88, "base": 0},
                    },
                    {
                        "id": "acme/dedicated-only",
                        "object": "model",
                        "type": "chat",
                        "pricing": {"hourly": 5.5, "input": 0, "output": 0},
                    },
                ]
            ),
        ),
        Play(
            "openrouter",
            "OPENROUTER_API_KEY",
            "/api/v1",
            "/api/v1/models",
            _bearer,
            _openai_list(
                {
                    "id": "anthropic/claude-sonnet-4.5",
                    "name": "Anthropic: Claude Sonnet 4.5",
                    "context_length": 1000000,
                    "architecture": {
                        "input_modalities": ["text", "image"],
                        "output_modalities": ["text"],
                    },
                    "pricing": {
                        "prompt": "0.000003",
                        "completion": "0.000015",
                        "input_cache_read": "0.0000003",
                        "input_cache_write": "0.00000375",
                    },
                    "top_provider": {"context_length": 1000000, "max_completion_tokens": 64000},
                    "supported_parameters": [
                        "tools",
                        "tool_choice",
                        "reasoning",
                        "structured_outputs",
                    ],
                },
                {
                    "id": "openrouter/auto",
                    "name": "Auto Router",
                    "context_length": 2000000,
                    "pricing": {"prompt": "-1", "completion": "-1"},
                },
            ),
        ),
        Play("cohere", "CO_API_KEY", "", "/v1/models", _bearer, _cohere),
        Play(
            "ollama",
            None,
            "",
            "/api/tags",
            lambda key: {},
            _one(
                {
                    "models": [
                        {
                            "name": "llama3.1:latest",
                            "model": "llama3.1:latest",
                            "size": 4920753328,
                            "details": {"family": "llama", "parameter_size": "8.0B"},
                        },
                        {
                            "name": "qwen3:4b",
                            "model": "qwen3:4b",
                            "size": 2500000000,
                            "details": {},
                        },
                    ]
                }
            ),
        ),
        Play(
            "huggingface",
            "HF_TOKEN",
            "/v1",
            "/v1/models",
            _bearer,
            _openai_list(
                {
                    "id": "meta-llama/Llama-3.3-70B-Instruct",
                    "object": "model",
                    "providers": [
                        {"provider": "slowco", "status": "staging", "context_length": 8192},
                        {
                            "provider": "novita",
                            "status": "live",
                            "context_length": 131072,
                            "pricing": {"input": 0.39, "output": 0.39},
                            "supports_tools": True,
                        },
                    ],
                }
            ),
        ),
    )
}
