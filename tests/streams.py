"""Helpers for the StreamDecoder tests: decode a stream in given chunks, and turn events
into plain tuples so that native and pure-Python events (different classes) compare."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from conftest import SHARED

TRANSCRIPTS = SHARED / "spec" / "transcripts"

# Ids the decoder makes up when the provider sends none differ between runs and backends.
_SYNTHESIZED = re.compile(r"^call_fai_\d+$")


def plain(event: Any) -> tuple[Any, ...]:
    """``(class name, field values...)``, with synthesized ids replaced by ``"<synthesized>"``."""
    values = tuple(getattr(event, name) for name in type(event).__match_args__)
    if "id" in type(event).__match_args__:
        position = type(event).__match_args__.index("id")
        if isinstance(values[position], str) and _SYNTHESIZED.match(values[position]):
            values = (*values[:position], "<synthesized>", *values[position + 1 :])
    return (type(event).__name__, *values)


@dataclass
class Decoded:
    """Everything one decoding produced."""

    events: list[Any]
    error: BaseException | None = None
    calls: list[int] = field(default_factory=list)  # events returned by each feed() call
    decoder: Any = None

    def plain(self) -> list[tuple[Any, ...]]:
        return [plain(e) for e in self.events]

    def of(self, name: str) -> list[Any]:
        return [e for e in self.events if type(e).__name__ == name]

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.of("TextDelta"))

    @property
    def reasoning(self) -> str:
        return "".join(e.text for e in self.of("ReasoningDelta"))


def decode(core: ModuleType, dialect: str, chunks: Iterable[bytes]) -> Decoded:
    """Feed ``chunks`` then finish; an error ends the decoding (its ``completed`` events are
    kept, in order, as the caller would have them)."""
    decoder = core.StreamDecoder(dialect)
    result = Decoded(events=[], decoder=decoder)
    try:
        for chunk in chunks:
            batch = decoder.feed(chunk)
            result.calls.append(len(batch))
            result.events += batch
        batch = decoder.finish()
        result.calls.append(len(batch))
        result.events += batch
    except Exception as error:  # the tests look at the class
        result.events += getattr(error, "completed", [])
        result.error = error
    return result


def error_summary(error: BaseException | None) -> tuple[Any, ...] | None:
    """What must not depend on the split: class, message, position."""
    if error is None:
        return None
    return (type(error).__name__, getattr(error, "message", str(error)), error.position)  # type: ignore[attr-defined]


def arguments_of(events: Sequence[Any]) -> dict[int, str]:
    """The concatenated ``ToolCallDelta`` fragments of each call index."""
    fragments: dict[int, str] = {}
    for event in events:
        if type(event).__name__ == "ToolCallDelta":
            fragments[event.index] = fragments.get(event.index, "") + event.fragment
    return fragments


def check_invariants(result: Decoded) -> None:
    """Rules every decoded stream obeys whatever the dialect (issue 3, section 7)."""
    names = [type(e).__name__ for e in result.events]
    finishes = [i for i, n in enumerate(names) if n == "Finish"]
    if result.error is None:
        assert len(finishes) == 1, names
        assert finishes[0] == len(names) - 1, "Finish must be the last event"
    else:
        assert len(finishes) <= 1
    starts = {e.index: e for e in result.of("ToolCallStart")}
    assert sorted(starts) == list(range(len(starts))), "calls are numbered 0, 1, ... in order"
    fragments = arguments_of(result.events)
    ended = result.of("ToolCallDone") + result.of("ToolCallInvalid")
    for event in ended:
        assert event.index in starts
        assert event.id == starts[event.index].id
        assert fragments.get(event.index, "") == event.raw, "fragments concatenate to raw"
    assert len({e.index for e in ended}) == len(ended), "each call ends once"
