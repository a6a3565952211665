"""``StreamDecodeError.completed``: nothing received is lost when a framer's call fails.

For each framer (SSE, event-stream, NDJSON) a stream of good items is followed by a bad one.
The failing ``feed()``/``finish()`` raises with ``.completed`` holding exactly the items that
call had completed before the error (equal to what a clean feed of the good part gives);
items of earlier calls are not repeated; every later call raises a fresh copy of the error
with ``completed == []``; for any split, what the calls returned plus ``.completed`` is
exactly the good items. Both backends agree on all of it.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_eventstream import frame, header

from chunking import bytewise, random_splits, two_way_splits
from fluent_ai import _core, _purepy
from fluent_ai.errors import (
    EventStreamError,
    JsonStreamError,
    LimitExceeded,
    StreamDecodeError,
)


class Case(NamedTuple):
    """``good`` are units that complete one item each; ``bad`` makes the decoder fail (in
    ``finish()`` when ``at_finish``); ``after`` is good input that must never be decoded."""

    make: Callable[[ModuleType], Any]
    good: list[bytes]
    bad: bytes
    error: type[StreamDecodeError]
    after: bytes = b""
    at_finish: bool = False


def _corrupt(message: bytes, index: int) -> bytes:
    return message[:index] + bytes([message[index] ^ 0xFF]) + message[index + 1 :]


_MESSAGES = [
    frame(header(":event-type", 7, "chunk"), b'{"bytes":"aGk="}'),
    frame(b"", b""),
    frame(header("n", 4, -7) + header("b", 6, b"\x00\x01"), b"payload"),
]
_BIG = frame(header("x", 7, "y"), b"z" * 200)

CASES = {
    "sse-limit": Case(
        lambda core: core.SseDecoder(max_event_bytes=64),
        [b"event: a\nid: 1\ndata: x\n\n", b"data: y\r\n\r\n", b"retry: 5\rdata: z\rdata: w\r\r"],
        b"data: " + b"q" * 100 + b"\n\n",
        LimitExceeded,
        b"data: after\n\n",
    ),
    "sse-limit-in-crlf": Case(
        lambda core: core.SseDecoder(max_event_bytes=12),
        [b":c\ndata: 1\n\n", b"data: 22\n\n"],
        b"data: 34567\r\n\r\n",  # the block's 13th byte is the LF of its first CRLF
        LimitExceeded,
    ),
    "eventstream-prelude-crc": Case(
        lambda core: core.EventStreamDecoder(),
        _MESSAGES,
        _corrupt(_MESSAGES[0], 9),
        EventStreamError,
        _MESSAGES[1],
    ),
    "eventstream-message-crc": Case(
        lambda core: core.EventStreamDecoder(),
        _MESSAGES,
        _corrupt(_MESSAGES[2], len(_MESSAGES[2]) - 3),
        EventStreamError,
        _MESSAGES[0],
    ),
    "eventstream-header": Case(
        lambda core: core.EventStreamDecoder(),
        _MESSAGES,
        frame(header("t", 8, 2**62)),
        EventStreamError,
    ),
    "eventstream-limit": Case(
        lambda core: core.EventStreamDecoder(max_message_bytes=128),
        _MESSAGES,
        _BIG,
        LimitExceeded,
        _MESSAGES[1],
    ),
    "eventstream-truncated": Case(
        lambda core: core.EventStreamDecoder(),
        _MESSAGES,
        _MESSAGES[0][:20],
        EventStreamError,
        at_finish=True,
    ),
    "ndjson-invalid": Case(
        lambda core: core.NdjsonDecoder(),
        [b'{"a": [1, 2.5]}\n', b"\r\n" + b'"\xc3\xa9"\r\n', b"  \n7\n"],
        b"[1,]\n",
        JsonStreamError,
        b"{}\n",
    ),
    "ndjson-limit": Case(
        lambda core: core.NdjsonDecoder(max_line_bytes=32),
        [b"null\n", b'{"k": "v"}\n', b"[true, false]\n"],
        b"[" + b"1," * 40 + b"1]\n",
        LimitExceeded,
        b"{}\n",
    ),
    "ndjson-unterminated": Case(
        lambda core: core.NdjsonDecoder(),
        [b"1\n", b"2\n"],
        b'{"open": ',
        JsonStreamError,
        at_finish=True,
    ),
}


class Outcome(NamedTuple):
    returned: list[object]
    error: StreamDecodeError
    call: int  # index of the failing call; len(chunks) means finish()


def run(decoder: Any, chunks: list[bytes]) -> Outcome:
    """Feed ``chunks`` then finish, up to the first error (which must come)."""
    returned: list[object] = []
    for index, chunk in enumerate(chunks):
        try:
            returned.extend(decoder.feed(chunk))
        except StreamDecodeError as error:
            return Outcome(returned, error, index)
    try:
        returned.extend(decoder.finish())
    except StreamDecodeError as error:
        return Outcome(returned, error, len(chunks))
    raise AssertionError("the stream did not fail")


def clean(core: ModuleType, case: Case, units: list[bytes]) -> list[object]:
    """What a decoder returns for ``units`` without any error."""
    decoder = case.make(core)
    items: list[object] = []
    for unit in units:
        items.extend(decoder.feed(unit))
    items.extend(decoder.finish())
    return items


def stream(case: Case) -> bytes:
    return b"".join(case.good) + case.bad + case.after


def fields(error: StreamDecodeError) -> tuple[object, ...]:
    """Everything but ``completed`` and ``excerpt`` (which may depend on the split)."""
    extra = getattr(error, "kind", None), getattr(error, "limit", None)
    return (type(error), error.message, error.position, *extra)


def test_each_good_unit_completes_one_item(core: ModuleType) -> None:
    for case in CASES.values():
        assert len(clean(core, case, case.good)) == len(case.good)
        for unit in case.good:
            assert len(clean(core, case, [unit])) == 1


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("good", [0, 1, 3])
def test_completed_holds_the_items_of_the_failing_call(
    core: ModuleType, name: str, good: int
) -> None:
    case = CASES[name]
    units = case.good[:good]
    outcome = run(case.make(core), [b"".join(units) + case.bad + case.after])
    assert isinstance(outcome.error, case.error)
    if case.at_finish:
        # The chunk was accepted: its items were returned by feed(), finish() completed none.
        assert outcome.call == 1
        assert outcome.returned == clean(core, case, units)
        assert outcome.error.completed == []
    else:
        assert outcome.call == 0
        assert outcome.returned == []
        assert outcome.error.completed == clean(core, case, units)
        assert len(outcome.error.completed) == len(units)
        assert type(outcome.error.completed) is list


@pytest.mark.parametrize("name", sorted(CASES))
def test_items_of_earlier_calls_are_not_repeated(core: ModuleType, name: str) -> None:
    case = CASES[name]
    first, *rest = case.good
    outcome = run(case.make(core), [first, b"".join(rest) + case.bad])
    expected = clean(core, case, case.good)
    if case.at_finish:
        assert outcome.returned == expected
        assert outcome.error.completed == []
    else:
        assert outcome.call == 1
        assert outcome.returned == expected[:1]
        assert outcome.error.completed == expected[1:]


@pytest.mark.parametrize("name", sorted(CASES))
def test_later_calls_raise_a_fresh_error_with_nothing_completed(
    core: ModuleType, name: str
) -> None:
    case = CASES[name]
    decoder = case.make(core)
    first = run(decoder, [b"".join(case.good) + case.bad])
    for call in (
        lambda: decoder.feed(case.good[0]),
        lambda: decoder.feed(b""),
        decoder.finish,
        decoder.finish,
    ):
        with pytest.raises(StreamDecodeError) as again:
            call()
        error = again.value
        assert error is not first.error
        assert fields(error) == fields(first.error)
        assert error.excerpt == first.error.excerpt
        assert error.completed == []
    assert first.error.completed == ([] if case.at_finish else clean(core, case, case.good))


@pytest.mark.parametrize("name", sorted(CASES))
def test_small_splits_lose_nothing(core: ModuleType, name: str) -> None:
    case = CASES[name]
    data = stream(case)
    expected = clean(core, case, case.good)
    reference = fields(run(case.make(core), [data]).error)
    for chunks in [bytewise(data), *two_way_splits(data, max_points=60)]:
        outcome = run(case.make(core), chunks)
        assert fields(outcome.error) == reference
        assert outcome.returned + outcome.error.completed == expected


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(CASES)),
    seed=st.integers(0, 2**32),
    pieces=st.integers(1, 24),
)
def test_random_splits_lose_nothing_and_backends_agree(name: str, seed: int, pieces: int) -> None:
    case = CASES[name]
    data = stream(case)
    chunks = random_splits(data, seed, pieces)
    results = []
    for core in (_core, _purepy):
        outcome = run(case.make(core), chunks)
        assert isinstance(outcome.error, case.error)
        assert outcome.returned + outcome.error.completed == clean(core, case, case.good)
        results.append(
            (
                outcome.call,
                len(outcome.returned),
                fields(outcome.error),
                outcome.error.excerpt,
                len(outcome.error.completed),
            )
        )
    assert results[0] == results[1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_with_completed_items_pickles(core: ModuleType, name: str) -> None:
    case = CASES[name]
    error = run(case.make(core), [b"".join(case.good) + case.bad]).error
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert fields(copy) == fields(error)
    assert copy.completed == error.completed
    assert str(copy) == str(error)
    assert repr(copy) == repr(error) == f"{type(error).__name__}({error.message!r})"


def test_constructor_argument() -> None:
    assert StreamDecodeError("m", position=1).completed == []
    assert StreamDecodeError("m", position=1, completed=None).completed == []
    items = [1, "two"]
    error = JsonStreamError("m", position=1, completed=items)
    assert error.completed == items
    assert type(error.completed) is list
    assert error.completed is not items  # a copy: the caller's list stays theirs
    assert JsonStreamError("m", position=0, completed=(3,)).completed == [3]
    assert EventStreamError("m", position=0, kind="header", completed=[b"x"]).completed == [b"x"]
    assert LimitExceeded("m", position=0, limit=5, completed=[None]).completed == [None]
    assert (
        StreamDecodeError("m", position=1).completed
        is not StreamDecodeError("m", position=1).completed
    )
    with pytest.raises(TypeError):
        StreamDecodeError("m", [1], position=1)  # type: ignore[misc, arg-type]
