"""Example provider streams shipped with the package (``python -m fluent_ai.demo`` reads them).

Written for fluent-ai in the wire formats of recorded responses (ids and counts invented):

- ``openai_chat_tool_calls.sse``: an OpenAI chat-completions stream (SSE,
  ``chat.completion.chunk`` events) with text and two parallel tool calls;
- ``anthropic_tool_use.sse``: an Anthropic Messages stream with a thinking block, text and
  two ``tool_use`` blocks whose ``input_json_delta`` fragments split UTF-8 text;
- ``ollama_tool_calls.ndjson``: an Ollama ``/api/chat`` NDJSON stream with thinking, text and
  two whole tool calls.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["ANTHROPIC_TOOL_USE", "EXAMPLES", "OLLAMA_TOOL_CALLS", "OPENAI_CHAT_TOOL_CALLS", "read"]

OPENAI_CHAT_TOOL_CALLS = "openai_chat_tool_calls.sse"
ANTHROPIC_TOOL_USE = "anthropic_tool_use.sse"
OLLAMA_TOOL_CALLS = "ollama_tool_calls.ndjson"

# Example file -> the StreamDecoder dialect that reads it.
EXAMPLES = {
    OPENAI_CHAT_TOOL_CALLS: "openai-chat",
    ANTHROPIC_TOOL_USE: "anthropic",
    OLLAMA_TOOL_CALLS: "ollama",
}


def read(name: str) -> bytes:
    """The bytes of the example stream ``name`` (a file in this package, also in the wheel)."""
    return resources.files(__name__).joinpath(name).read_bytes()
