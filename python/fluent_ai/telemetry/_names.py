"""Names from the OpenTelemetry GenAI semantic conventions (semantic-conventions 1.37+,
``gen_ai.provider.name`` replacing ``gen_ai.system``) and how fluent-ai's own names map to
them."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

__all__ = [
    "CHUNK_BUCKETS",
    "DURATION_BUCKETS",
    "TOKEN_BUCKETS",
    "operation_name",
    "provider_name",
    "server_of",
]

# The client operations of fluent-ai -> ``gen_ai.operation.name``. A stream is a chat
# (``gen_ai.request.stream`` says how it was asked); rerank has no well-known value, so it
# keeps its own name, as the conventions allow.
_OPERATIONS = {"chat": "chat", "stream": "chat", "embed": "embeddings", "rerank": "rerank"}

# Registry names -> the well-known ``gen_ai.provider.name`` values; others keep their name.
_PROVIDERS = {
    "openai": "openai",
    "azure": "azure.ai.openai",
    "anthropic": "anthropic",
    "bedrock": "aws.bedrock",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "gemini": "gcp.gemini",
    "vertex": "gcp.vertex_ai",
    "groq": "groq",
    "mistral": "mistral_ai",
    "perplexity": "perplexity",
    "xai": "x_ai",
}

#: Bucket advice of the conventions: ``gen_ai.client.token.usage`` (powers of 4) ...
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                 16777216, 67108864)  # fmt: skip
#: ... ``gen_ai.client.operation.duration``, time to first chunk and per output chunk.
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                    40.96, 81.92)  # fmt: skip
CHUNK_BUCKETS = DURATION_BUCKETS


def operation_name(operation: str) -> str | None:
    """``gen_ai.operation.name`` of a client operation; ``None`` for ``models`` (not traced)."""
    return _OPERATIONS.get(operation)


def provider_name(provider: str) -> str:
    return _PROVIDERS.get(provider, provider)


@lru_cache(maxsize=256)
def server_of(base_url: str) -> tuple[str | None, int | None]:
    """``server.address`` and ``server.port`` of a base URL (credentials never included)."""
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError:
        return None, None
    if parts.hostname is None:
        return None, None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return parts.hostname, port
