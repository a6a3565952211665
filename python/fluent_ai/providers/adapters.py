"""Which adapter speaks each registry dialect; new dialects (Bedrock, Vertex, ...) register
here with :func:`register_adapter`."""

from __future__ import annotations

from typing import Callable

from ..errors import ConfigurationError
from .anthropic import Anthropic
from .base import Adapter
from .bedrock import Bedrock
from .cohere import Cohere
from .gemini import Gemini
from .ollama import Ollama
from .openai_chat import AzureOpenAIChat, OpenAIChat
from .registry import ResolvedProvider
from .retrieval import Jina, Voyage
from .vertex import Vertex

__all__ = ["AdapterFactory", "adapter_for", "register_adapter", "supported_dialects"]

AdapterFactory = Callable[[ResolvedProvider], Adapter]

_ADAPTERS: dict[str, AdapterFactory] = {
    "openai-chat": OpenAIChat,
    "azure-openai": AzureOpenAIChat,
    "anthropic": Anthropic,
    "bedrock": Bedrock,
    "gemini": Gemini,
    "cohere": Cohere,
    "ollama": Ollama,
    "jina": Jina,
    "voyage": Voyage,
    "vertex": Vertex,
}


def register_adapter(dialect: str, factory: AdapterFactory) -> None:
    """Makes providers of registry dialect ``dialect`` use adapters made by ``factory``."""
    _ADAPTERS[dialect] = factory


def supported_dialects() -> list[str]:
    return sorted(_ADAPTERS)


def adapter_for(provider: ResolvedProvider) -> Adapter:
    """The adapter for ``provider``'s dialect; ``ConfigurationError`` when there is none."""
    factory = _ADAPTERS.get(provider.spec.dialect)
    if factory is None:
        raise ConfigurationError(
            f"provider {provider.name!r} uses dialect {provider.spec.dialect!r}, which the "
            f"clients do not speak yet (they speak {', '.join(supported_dialects())})"
        )
    return factory(provider)
