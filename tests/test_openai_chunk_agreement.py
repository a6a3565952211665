"""The native openai-chat decoder reads common chunks without building a tree and falls
back to the tree for anything unusual (rust/dialect/openai_chunk.rs). Random chunks with
repeated members, nulls and values of unexpected types must decode exactly as the pure-Python
backend (which always reads the parsed JSON) decodes them."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from streams import decode

from conftest import BACKENDS


class Members(list):  # type: ignore[type-arg]
    """A JSON object as a list of (key, value) pairs, so keys may repeat."""


def _text(value: Any) -> str:
    if isinstance(value, Members):
        return "{" + ",".join(json.dumps(k) + ":" + _text(v) for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_text(v) for v in value) + "]"
    return json.dumps(value)


class _Chunks:
    ODD = (None, 0, 1, 1.0, 2**70, "", "x", "stop", True, [], Members(), [1], '{"a":1}')

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def odd(self) -> Any:
        return self.rng.choice(self.ODD)

    def members(self, keys: list[str], value: Any, most: int = 5) -> Members:
        pairs = Members()
        for _ in range(self.rng.randrange(most)):
            key = self.rng.choice(keys)
            pairs.append((key, value(key) if self.rng.random() < 0.75 else self.odd()))
        return pairs

    def function(self, _key: str) -> Any:
        return self.rng.choice(["f", '{"a":', "1}", "", None, Members([("q", 1)])])

    def call(self, key: str) -> Any:
        if key == "function":
            return self.members(["name", "arguments", "x"], self.function)
        if key == "index":
            return self.rng.choice([0, 1, 2, None, 1.0])
        return self.rng.choice(["c1", "c2", "", None])

    def delta(self, key: str) -> Any:
        if key == "tool_calls":
            keys = ["index", "id", "function", "type"]
            return [
                self.members(keys, self.call) if self.rng.random() < 0.9 else self.odd()
                for _ in range(self.rng.randrange(3))
            ]
        if key == "content" and self.rng.random() < 0.3:
            return self.parts()
        return self.rng.choice(["hi", "", None, "é", 3])

    def parts(self) -> list[Any]:
        """List-form content (Mistral's reasoning models), sometimes malformed."""
        kinds = [
            lambda: Members([("type", "text"), ("text", self.rng.choice(["a", "", 3, None]))]),
            lambda: Members(
                [
                    ("type", "thinking"),
                    (
                        "thinking",
                        self.rng.choice(
                            [
                                [Members([("type", "text"), ("text", "r")]), self.odd()],
                                "s",
                                None,
                                [],
                            ]
                        ),
                    ),
                ]
            ),
            lambda: Members([("type", self.odd())]),
            self.odd,
        ]
        return [self.rng.choice(kinds)() for _ in range(self.rng.randrange(3))]

    def choice(self, key: str) -> Any:
        if key == "delta":
            keys = ["content", "reasoning_content", "reasoning", "refusal", "tool_calls", "role"]
            return self.members(keys, self.delta)
        if key == "index":
            return self.rng.choice([0, 1, None, 1.0])
        if key == "finish_reason":
            return self.rng.choice(["stop", "tool_calls", "", None, "length"])
        return None

    def chunk(self) -> str:
        keys = ["index", "delta", "finish_reason", "logprobs"]
        choices = [
            self.members(keys, self.choice) if self.rng.random() < 0.95 else self.odd()
            for _ in range(self.rng.randrange(1, 3))
        ]
        top = Members([("id", "x"), ("choices", choices)])
        extras = [
            (0.1, ("usage", Members([("prompt_tokens", 3)]))),
            (0.1, ("usage", None)),
            (0.05, ("choices", [])),
            (0.03, ("error", Members([("message", "m")]))),
            (0.1, ("x_groq", Members([("id", "r"), ("usage", Members([("prompt_tokens", 2)]))]))),
            (0.05, ("x_groq", Members([("id", "r"), ("usage", None)]))),
            (0.05, ("x_groq", self.odd())),
        ]
        top += [member for chance, member in extras if self.rng.random() < chance]
        return _text(top)

    def stream(self) -> bytes:
        frames = [self.chunk() for _ in range(self.rng.randrange(1, 6))]
        # Without `[DONE]` the clean-end rule decides (complete or truncated).
        done = "data: [DONE]\n\n" if self.rng.random() < 0.7 else ""
        return ("".join(f"data: {f}\n\n" for f in frames) + done).encode()


@pytest.mark.parametrize("seed", range(40))
def test_random_chunks_decode_the_same_on_both_backends(seed: int) -> None:
    chunks = _Chunks(seed)
    for _ in range(25):
        data = chunks.stream()
        native, python = (decode(core, "openai-chat", [data]) for core in BACKENDS.values())
        assert native.plain() == python.plain(), data
        assert repr(native.error) == repr(python.error), data
