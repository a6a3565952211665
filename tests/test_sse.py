"""SSE decoder: WHATWG conformance under every chunking, state properties, limits, errors,
the ``SseEvent`` value type, and agreement of the native and pure-Python backends."""

from __future__ import annotations

import base64
import json
import pickle
from types import ModuleType
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chunking import bytewise, random_splits, two_way_splits
from conftest import BACKENDS, CONFORMANCE
from fluent_ai.errors import ArgumentTypeError, InvalidArgumentError, LimitExceeded

Fields = tuple[str, str, str, Optional[int]]

CASES: list[dict[str, Any]] = json.loads((CONFORMANCE / "sse" / "cases.json").read_text())
BIG_INPUT = 4096  # above this, two-way splits use 64 evenly spaced points


def fields(events: list[Any]) -> list[Fields]:
    return [(e.event, e.data, e.id, e.retry) for e in events]


def decode(core: ModuleType, chunks: list[bytes], **options: int) -> list[Fields]:
    decoder = core.SseDecoder(**options)
    events = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.finish())
    return fields(events)


# --- conformance -------------------------------------------------------------------------


def test_conformance_file_has_all_cases() -> None:
    assert len(CASES) == 93


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_conformance(core: ModuleType, case: dict[str, Any]) -> None:
    data = base64.b64decode(case["input_b64"])
    expected = [(e["event"], e["data"], e["id"], e["retry"]) for e in case["events"]]
    assert decode(core, [data]) == expected
    assert decode(core, bytewise(data)) == expected
    max_points = 64 if len(data) > BIG_INPUT else 0
    for chunks in two_way_splits(data, max_points):
        assert decode(core, chunks) == expected, f"split at {len(chunks[0])}"
    for seed in range(10):
        assert decode(core, random_splits(data, seed)) == expected, f"seed {seed}"


def test_bom_split_and_partial_bom(core: ModuleType) -> None:
    decoder = core.SseDecoder()
    assert decoder.feed(b"\xef") == []
    assert (decoder.position, decoder.pending_bytes) == (1, 1)
    assert decoder.feed(b"\xbb") == []
    assert decoder.feed(b"\xbfdata: a\n\n") == [core.SseEvent(data="a")]
    # A BOM prefix followed by something else is content (a field name here).
    decoder = core.SseDecoder()
    decoder.feed(b"\xef\xbb")
    assert fields(decoder.feed(b"data: a\n\n\xef\xbb\xbfdata: b\n\n")) == []


# --- state properties ----------------------------------------------------------------------


def test_event_fields_and_defaults(core: ModuleType) -> None:
    decoder = core.SseDecoder()
    events = decoder.feed(b"retry: 10\nid: 1\nevent: add\ndata: x\ndata: y\n\ndata: z\n\n")
    assert fields(events) == [("add", "x\ny", "1", 10), ("message", "z", "1", 10)]


def test_last_event_id_is_committed_at_every_blank_line(core: ModuleType) -> None:
    decoder = core.SseDecoder()
    assert decoder.last_event_id == ""
    decoder.feed(b"id: 7\n")
    assert decoder.last_event_id == ""  # not before the blank line
    assert decoder.feed(b"\n") == []  # no data: nothing dispatched, ID committed anyway
    assert decoder.last_event_id == "7"
    decoder.feed(b"id\n\n")
    assert decoder.last_event_id == ""
    decoder.feed(b"id: 8\ndata: x")
    assert decoder.finish() == []
    assert decoder.last_event_id == ""  # the unterminated block is discarded
    decoder = core.SseDecoder()
    decoder.feed(b"id: 1\n\nid: a\x00b\n\n")
    assert decoder.last_event_id == "1"


def test_retry_is_set_immediately_and_only_by_digits(core: ModuleType) -> None:
    decoder = core.SseDecoder()
    assert decoder.retry is None
    decoder.feed(b"retry: 1500\n")
    assert decoder.retry == 1500
    for bad in (b"retry:\n", b"retry: -1\n", b"retry: 1.5\n", b"retry:  7\n", b"retry\n"):
        decoder.feed(bad)
        assert decoder.retry == 1500, bad
    decoder.feed(b"retry: 0\n")
    assert decoder.retry == 0
    # Values beyond 2**64 - 1 are ignored; leading zeros are fine.
    decoder.feed(b"retry: 18446744073709551616\n")
    assert decoder.retry == 0
    decoder.feed(b"retry: 00000018446744073709551615\n")
    assert decoder.retry == 2**64 - 1
    assert fields(decoder.feed(b"data: x\n\n")) == [("message", "x", "", 2**64 - 1)]


def test_position_and_pending_bytes(core: ModuleType) -> None:
    decoder = core.SseDecoder()
    assert (decoder.position, decoder.pending_bytes) == (0, 0)
    decoder.feed(b"\xef\xbb\xbf")
    assert (decoder.position, decoder.pending_bytes) == (3, 0)
    decoder.feed(b"data: a\n")
    assert (decoder.position, decoder.pending_bytes) == (11, 8)
    assert len(decoder.feed(b"\ndata: b")) == 1
    assert (decoder.position, decoder.pending_bytes) == (19, 7)
    decoder.feed(b"\r")  # a CR at the end has already ended its line
    assert decoder.pending_bytes == 8
    assert len(decoder.feed(b"\r")) == 1
    assert decoder.pending_bytes == 0
    decoder.feed(b"\n")  # completes the CRLF of the blank line: in no block
    assert (decoder.position, decoder.pending_bytes) == (22, 0)
    decoder.feed(b": comment\r")
    decoder.feed(b"\n")  # completes a CRLF inside a block: counted
    assert decoder.pending_bytes == 11
    assert decoder.finish() == []
    assert (decoder.position, decoder.pending_bytes) == (33, 11)


def test_empty_feed_changes_nothing(core: ModuleType) -> None:
    decoder = core.SseDecoder()
    decoder.feed(b"data: a\r")
    assert decoder.feed(b"") == []
    # The LF still completes the CRLF, so both data lines are in one event.
    assert fields(decoder.feed(b"\ndata: b\n\n")) == [("message", "a\nb", "", None)]


def test_feed_takes_bytes_like_objects(core: ModuleType) -> None:
    decoder = core.SseDecoder()
    assert fields(decoder.feed(bytearray(b"data: a\n"))) == []
    assert fields(decoder.feed(memoryview(b"\n"))) == [("message", "a", "", None)]
    with pytest.raises(TypeError, match=r"^SseDecoder.feed\(\) argument must be bytes, not str$"):
        decoder.feed("data: a\n\n")


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-1, InvalidArgumentError, "max_event_bytes must be an int >= 0, not int -1"),
        (1.5, ArgumentTypeError, "max_event_bytes must be an int >= 0, not float 1.5"),
        (True, ArgumentTypeError, "max_event_bytes must be an int >= 0, not True"),
        ("9", ArgumentTypeError, "max_event_bytes must be an int >= 0, not str '9'"),
    ],
)
def test_max_event_bytes_is_checked(
    core: ModuleType, value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        core.SseDecoder(value)
    assert type(info.value) is error
    assert str(info.value) == message
    assert core.SseDecoder(2**64).feed(b"data: a\n\n")  # past u64: no reachable limit


# --- limits and errors ---------------------------------------------------------------------


def test_limit_accepts_an_event_of_exactly_max_event_bytes(core: ModuleType) -> None:
    block = b"data: abc\n\n"  # 11 bytes, line ends included
    decoder = core.SseDecoder(max_event_bytes=len(block))
    for _ in range(3):
        assert fields(decoder.feed(block)) == [("message", "abc", "", None)]
    assert (
        decode(core, bytewise(block * 3), max_event_bytes=len(block))
        == [("message", "abc", "", None)] * 3
    )


@pytest.mark.parametrize("chunk_size", [1, 4, 1000])
def test_limit_one_byte_more_raises_from_the_crossing_feed(
    core: ModuleType, chunk_size: int
) -> None:
    stream = b"data: ok\n\n" + b"data: abcd\n\n"  # second block: 12 bytes, from offset 10
    decoder = core.SseDecoder(max_event_bytes=11)
    received = []
    with pytest.raises(LimitExceeded) as info:
        for start in range(0, len(stream), chunk_size):
            chunk = stream[start : start + chunk_size]
            received.extend(decoder.feed(chunk))
    error = info.value
    assert error.position == 21  # block start 10 + 11
    assert start <= 21 < start + chunk_size  # raised by the feed that brought byte 21
    assert error.limit == 11
    assert error.message == "SSE event larger than max_event_bytes=11"
    assert str(error).startswith("SSE event larger than max_event_bytes=11 (at byte 21")
    assert decoder.position == 21
    assert decoder.pending_bytes == 11
    if chunk_size < 10:
        assert fields(received) == [("message", "ok", "", None)]
        assert error.completed == []
    else:
        assert received == []  # the event completed in the failing chunk is not returned...
        assert fields(error.completed) == [("message", "ok", "", None)]  # ...but kept here


def test_limit_inside_a_long_line(core: ModuleType) -> None:
    decoder = core.SseDecoder(max_event_bytes=100)
    decoder.feed(b"data: " + b"x" * 50)
    decoder.feed(b"x" * 44)
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"yz")
    assert info.value.position == 100
    assert info.value.excerpt == "x" * 16 + "yz"


def test_limit_crlf_of_the_dispatching_blank_line_is_free(core: ModuleType) -> None:
    stream = b"data: a\r\n\r\n" * 3  # 10 bytes per block up to the dispatching CR
    assert len(decode(core, [stream], max_event_bytes=10)) == 3
    assert len(decode(core, bytewise(stream), max_event_bytes=10)) == 3
    with pytest.raises(LimitExceeded) as info:
        decode(core, [stream], max_event_bytes=9)
    assert info.value.position == 9


def test_limit_counts_the_lf_of_a_crlf_inside_a_block(core: ModuleType) -> None:
    decoder = core.SseDecoder(max_event_bytes=8)
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"data: a\r\n")  # the LF is byte 9 of the block
    assert info.value.position == 8
    assert decoder.position == 8
    decoder = core.SseDecoder(max_event_bytes=8)
    decoder.feed(b"data: a\r")
    with pytest.raises(LimitExceeded):
        decoder.feed(b"\n")


def test_errors_persist(core: ModuleType) -> None:
    decoder = core.SseDecoder(max_event_bytes=8)
    decoder.feed(b"retry: 5")  # 8 bytes: at the limit; the LF that ends the line is beyond
    first = None
    for call in (lambda: decoder.feed(b"\n"), decoder.finish, lambda: decoder.feed(b"")):
        with pytest.raises(LimitExceeded) as info:
            call()
        details = (info.value.message, info.value.position, info.value.limit, info.value.excerpt)
        first = first or details
        assert details == first
    assert first == ("SSE event larger than max_event_bytes=8", 8, 8, "retry: 5\n")
    assert decoder.position == 8
    assert decoder.retry is None  # the line whose end crossed the limit was not interpreted


def test_zero_limit_rejects_every_byte(core: ModuleType) -> None:
    decoder = core.SseDecoder(max_event_bytes=0)
    decoder.feed(b"")
    with pytest.raises(LimitExceeded) as info:
        decoder.feed(b"\n")
    assert info.value.position == 0


# --- SseEvent ------------------------------------------------------------------------------


def test_sse_event_value_semantics(core: ModuleType) -> None:
    event = core.SseEvent(event="add", data="hi", id="7", retry=100)
    assert (event.event, event.data, event.id, event.retry) == ("add", "hi", "7", 100)
    assert event == core.SseEvent("add", "hi", "7", 100)
    assert event != core.SseEvent("add", "hi", "7", None)
    assert event != ("add", "hi", "7", 100)
    assert hash(event) == hash(core.SseEvent("add", "hi", "7", 100))
    assert hash(event) == hash(("add", "hi", "7", 100))  # the same on both backends
    assert len({event, core.SseEvent("add", "hi", "7", 100)}) == 1
    default = core.SseEvent()
    assert (default.event, default.data, default.id, default.retry) == ("message", "", "", None)
    assert pickle.loads(pickle.dumps(event)) == event


def test_sse_event_repr(core: ModuleType) -> None:
    assert repr(core.SseEvent(data="hi")) == (
        "SseEvent(event='message', data='hi', id='', retry=None)"
    )
    assert repr(core.SseEvent("a'b", "x\ny", "1", 5)) == (
        "SseEvent(event=\"a'b\", data='x\\ny', id='1', retry=5)"
    )


def test_sse_event_match(core: ModuleType) -> None:
    assert core.SseEvent.__match_args__ == ("event", "data", "id", "retry")
    # ``match`` needs Python 3.10; compiled at run time so this file parses on 3.9.
    source = (
        "match value:\n"
        "    case cls('ping'):\n        result = 'ping'\n"
        "    case cls('message', data, retry=None):\n        result = data\n"
        "    case _:\n        result = None\n"
    )
    try:
        code = compile(source, "<match>", "exec")
    except SyntaxError:
        pytest.skip("match needs Python 3.10")
    for value, expected in [
        (core.SseEvent(data="hi"), "hi"),
        (core.SseEvent(event="ping"), "ping"),
        (core.SseEvent(data="x", retry=5), None),
    ]:
        scope = {"value": value, "cls": core.SseEvent}
        exec(code, scope)
        assert scope["result"] == expected


def test_sse_event_is_immutable(core: ModuleType) -> None:
    event = core.SseEvent(data="hi")
    for name in ("event", "data", "id", "retry", "other"):
        with pytest.raises(AttributeError):
            setattr(event, name, "x")
    with pytest.raises(AttributeError):
        del event.data
    assert event.data == "hi"
    with pytest.raises(TypeError):
        type("Sub", (core.SseEvent,), {})


def test_sse_event_checks_types(core: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"^SseEvent\(\) argument 'data' must be str, not bytes$"):
        core.SseEvent(data=b"x")
    with pytest.raises(
        TypeError, match=r"^SseEvent\(\) argument 'retry' must be int or None, not str$"
    ):
        core.SseEvent(retry="5")


# --- properties: chunking and backend agreement --------------------------------------------

TOKENS = [
    b"data",
    b"data:",
    b"data: ",
    b"event:",
    b"id:",
    b"id",
    b"retry:",
    b":",
    b" ",
    b"x",
    b"12",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xef",
    b"\xc3\xa9",
    b"\xe2\x82",
    b"\xff",
]
streams = st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join)


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = [0, *sorted(min(point, len(data)) for point in points), len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=300, deadline=None)
@given(data=streams, points=st.lists(st.integers(0, 400), max_size=8))
def test_random_splits_give_the_same_events(data: bytes, points: list[int]) -> None:
    for core in BACKENDS.values():
        assert decode(core, cut(data, points)) == decode(core, [data])


def run(core: ModuleType, chunks: list[bytes], limit: int) -> list[object]:
    """Everything observable after each call: events or error, and the properties."""
    decoder = core.SseDecoder(max_event_bytes=limit)
    trace: list[object] = []
    for call in [*[lambda c=c: decoder.feed(c) for c in chunks], decoder.finish]:
        try:
            outcome: object = fields(call())
        except LimitExceeded as error:
            outcome = ("LimitExceeded", error.message, error.position, error.limit, error.excerpt)
        state = (decoder.position, decoder.pending_bytes, decoder.last_event_id, decoder.retry)
        trace.append((outcome, state))
    return trace


@settings(max_examples=400, deadline=None)
@given(
    data=streams,
    points=st.lists(st.integers(0, 400), max_size=8),
    limit=st.one_of(st.integers(0, 40), st.just(8 * 1024 * 1024)),
)
def test_backends_agree(data: bytes, points: list[int], limit: int) -> None:
    for chunks in [cut(data, points), bytewise(data), *two_way_splits(data)]:
        assert run(BACKENDS["native"], chunks, limit) == run(BACKENDS["python"], chunks, limit)
