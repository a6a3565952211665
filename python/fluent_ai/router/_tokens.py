"""Token estimates made before a call, for the tokens-per-minute budgets (corrected with the
usage the provider reports when the call ends)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["CHARS_PER_TOKEN", "estimate_chat", "estimate_texts"]

CHARS_PER_TOKEN = 4
"""The usual rule of thumb for English text with BPE tokenizers (OpenAI's, Anthropic's)."""


def _tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


def estimate_chat(messages: Any, tools: Any, max_tokens: Any) -> int:
    """Input tokens from the characters of ``messages`` and ``tools`` (as JSON text, plus 4
    per message for the role framing), plus ``max_tokens`` when the call sets it (the most
    the answer may use; the correction gives back what it did not)."""
    try:
        text = json.dumps(messages, ensure_ascii=False, default=str)
        text += json.dumps(tools, ensure_ascii=False, default=str) if tools else ""
        count = len(messages) if isinstance(messages, Sequence) else 1
    except (TypeError, ValueError):  # the client reports bad arguments precisely
        text, count = "", 1
    output = max_tokens if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) else 0
    return _tokens(len(text)) + 4 * count + max(0, output)


def estimate_texts(*texts: Any) -> int:
    """Tokens of the strings (or lists of strings) given: embeddings, rerank."""
    chars = 0
    for text in texts:
        if isinstance(text, str):
            chars += len(text)
        elif isinstance(text, Sequence):
            chars += sum(len(t) for t in text if isinstance(t, str))
    return max(1, _tokens(chars))


def used_tokens(usage: Any) -> int | None:
    """Input + output tokens of a provider's ``Usage`` (``None`` when it reported none)."""
    if usage is None:
        return None
    total = getattr(usage, "total_tokens", None)
    if isinstance(total, int):
        return total
    parts = [getattr(usage, "input_tokens", None), getattr(usage, "output_tokens", None)]
    known = [p for p in parts if isinstance(p, int)]
    return sum(known) if known else None
