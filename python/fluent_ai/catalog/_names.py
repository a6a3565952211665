"""Provider names: LiteLLM's names mapped to the catalog's (a leaf module, cheap to import)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LITELLM_PROVIDERS", "our_provider"]

LITELLM_PROVIDERS: Mapping[str, str] = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "azure": "azure",
    "azure_text": "azure",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "together_ai": "together",
    "xai": "xai",
    "ollama": "ollama",
    "ollama_chat": "ollama",
    "openrouter": "openrouter",
    "perplexity": "perplexity",
    "deepinfra": "deepinfra",
    "fireworks_ai": "fireworks",
    "fireworks_ai-embedding-models": "fireworks",
    "moonshot": "moonshot",
    "bigmodel": "zhipuai",
    "zai": "zai",
    "dashscope": "dashscope",
    "github": "github",
    "cloudflare": "cloudflare",
    "ai21": "ai21",
    "minimax": "minimax",
    "huggingface": "huggingface",
    "cerebras": "cerebras",
    "sambanova": "sambanova",
    "nebius": "nebius",
    "novita": "novita",
    "jina_ai": "jina",
    "voyage": "voyage",
    "lm_studio": "lm_studio",
    "hosted_vllm": "vllm",
}
"""LiteLLM provider name -> catalog provider name (plus every ``vertex_ai*`` -> ``vertex``)."""


def our_provider(litellm_provider: object) -> str | None:
    """The catalog provider for a LiteLLM provider name, or ``None`` when not covered."""
    if not isinstance(litellm_provider, str):
        return None
    if litellm_provider == "vertex_ai" or litellm_provider.startswith("vertex_ai-"):
        return "vertex"
    return LITELLM_PROVIDERS.get(litellm_provider)
