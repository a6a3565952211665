"""Example provider streams shipped with the package (``python -m fluent_ai.demo`` reads them).

``openai_chat_tool_calls.sse``: an OpenAI chat-completions stream (SSE, ``chat.completion.chunk``
events) with text and two parallel tool calls, in the wire format of recorded responses.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["OPENAI_CHAT_TOOL_CALLS", "read"]

OPENAI_CHAT_TOOL_CALLS = "openai_chat_tool_calls.sse"


def read(name: str) -> bytes:
    """The bytes of the example stream ``name`` (a file in this package, also in the wheel)."""
    return resources.files(__name__).joinpath(name).read_bytes()
