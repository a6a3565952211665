"""The AWS event-stream framer (``EventStreamDecoder``) on both backends.

Conformance vectors (``conformance/eventstream/``) are fed whole, one byte per call and split
in two at every point; errors must come from the call that supplies the byte that reveals
them (byte 12 of a message for the prelude checks, its last byte for the message CRC) with
the documented position. Messages encoded here cover every header type, limits, truncation
and malformed header blocks; hypothesis checks random messages and random bytes, and that the
native and pure-Python backends agree on everything (messages, error classes, kinds,
messages, positions, excerpts).
"""

from __future__ import annotations

import base64
import datetime
import json
import struct
import sys
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chunking import bytewise, random_splits, two_way_splits
from conftest import CONFORMANCE
from fluent_ai import _core, _purepy
from fluent_ai.errors import (
    ArgumentTypeError,
    EventStreamError,
    InvalidArgumentError,
    LimitExceeded,
    StreamDecodeError,
)

EVENTSTREAM = CONFORMANCE / "eventstream"
GO = EVENTSTREAM / "aws-sdk-go"
SMITHY = EVENTSTREAM / "smithy-rs"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MIN_MS = -62_135_596_800_000  # 0001-01-01T00:00:00Z
MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
DEFAULT_LIMIT = 16 * 1024 * 1024

Typed = list[tuple[str, type, object]]


# --- encoding (the test's own encoder) -------------------------------------------------------


def frame(block: bytes, payload: bytes = b"") -> bytes:
    """A message with header block ``block`` and correct lengths and CRCs."""
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def header(name: str, code: int, value: object = None) -> bytes:
    """One encoded header; ``value`` is the wire value (ms for 8, 16 bytes for 9)."""
    raw = name.encode()
    head = bytes([len(raw)]) + raw + bytes([code])
    if code in (0, 1):
        return head
    if code in (2, 3, 4, 5, 8):
        assert isinstance(value, int)
        return head + struct.pack({2: ">b", 3: ">h", 4: ">i", 5: ">q", 8: ">q"}[code], value)
    if code in (6, 7):
        data = value.encode() if isinstance(value, str) else value
        assert isinstance(data, bytes)
        return head + struct.pack(">H", len(data)) + data
    assert code == 9 and isinstance(value, bytes) and len(value) == 16
    return head + value


def python_value(code: int, value: object) -> tuple[type, object]:
    """The type and value that ``.headers`` gives for a wire value."""
    if code in (0, 1):
        return bool, code == 0
    if code in (2, 3, 4, 5):
        return int, value
    if code == 6:
        return bytes, value
    if code == 7:
        return str, value
    if code == 8:
        assert isinstance(value, int)
        return datetime.datetime, EPOCH + datetime.timedelta(milliseconds=value)
    assert isinstance(value, bytes)
    return uuid.UUID, uuid.UUID(bytes=value)


def typed(message: Any) -> Typed:
    """The headers with their types, so ``True`` and ``1`` differ."""
    result: Typed = []
    for name, value in message.headers.items():
        if isinstance(value, datetime.datetime):
            assert value.tzinfo is datetime.timezone.utc
        result.append((name, type(value), value))
    return result


# --- feeding ----------------------------------------------------------------------------------


def decode(core: ModuleType, chunks: list[bytes], **options: int) -> list[Any]:
    decoder = core.EventStreamDecoder(**options)
    messages = []
    for chunk in chunks:
        messages.extend(decoder.feed(chunk))
    messages.extend(decoder.finish())
    assert decoder.position == sum(map(len, chunks))
    return messages


def chunkings(data: bytes) -> Iterator[list[bytes]]:
    """Whole, one byte per call, and every split into two."""
    yield [data]
    yield bytewise(data)
    yield from two_way_splits(data)


class Failure(NamedTuple):
    call: int  # index of the feed() call that raised (len(chunks) for finish())
    error: StreamDecodeError
    returned: list[Any]  # messages returned before the error


def first_failure(core: ModuleType, chunks: list[bytes], **options: int) -> Failure:
    decoder = core.EventStreamDecoder(**options)
    returned: list[Any] = []
    for call, chunk in enumerate(chunks):
        try:
            returned.extend(decoder.feed(chunk))
        except StreamDecodeError as error:
            return Failure(call, error, returned)
    try:
        returned.extend(decoder.finish())
    except StreamDecodeError as error:
        return Failure(len(chunks), error, returned)
    raise AssertionError(f"no error; decoded {returned!r}")


def call_supplying(chunks: list[bytes], index: int) -> int:
    """The index of the chunk that holds byte ``index`` of the stream."""
    end = 0
    for call, chunk in enumerate(chunks):
        end += len(chunk)
        if index < end:
            return call
    raise AssertionError("index past the stream")


def outcome(core: ModuleType, chunks: list[bytes], limit: int = DEFAULT_LIMIT) -> object:
    """Everything observable about feeding ``chunks``, comparable across backends."""
    decoder = core.EventStreamDecoder(limit)
    batches = []
    error: tuple[object, ...] | None = None
    try:
        for chunk in chunks:
            batches.append([(typed(m), m.payload) for m in decoder.feed(chunk)])
        batches.append([(typed(m), m.payload) for m in decoder.finish()])
    except StreamDecodeError as exc:
        error = (
            type(exc),
            getattr(exc, "kind", None),
            getattr(exc, "limit", None),
            exc.message,
            exc.position,
            exc.excerpt,
            str(exc),
        )
    return batches, error, decoder.position


# --- conformance vectors -------------------------------------------------------------------


class Positive(NamedTuple):
    data: bytes
    decoded: dict[str, Any]  # the aws-sdk-go layout


def positives() -> dict[str, Positive]:
    found = {}
    for path in sorted((GO / "encoded" / "positive").iterdir()):
        decoded = json.loads((GO / "decoded" / "positive" / path.name).read_text())
        found[f"aws-sdk-go/{path.name}"] = Positive(path.read_bytes(), decoded)
    for entry in json.loads((SMITHY / "expected.json").read_text()):
        if entry["valid"]:
            path = SMITHY / entry["file"]
            found[f"smithy-rs/{path.name}"] = Positive(path.read_bytes(), entry["decoded"])
    return found


POSITIVES = positives()


def expected_headers(decoded: dict[str, Any]) -> Typed:
    result: Typed = []
    for item in decoded["headers"]:
        code, value = item["type"], item["value"]
        if code in (0, 1):
            assert value is (code == 0)
        if code in (6, 9):
            value = base64.b64decode(value)
        elif code == 7:
            value = base64.b64decode(value).decode()
        kind, python = python_value(code, value)
        result.append((item["name"], kind, python))
    return result


def test_the_vectors_are_what_they_say() -> None:
    assert len(POSITIVES) == 8
    for name, (data, decoded) in POSITIVES.items():
        total, headers_length, prelude_crc = struct.unpack(">III", data[:12])
        assert (total, headers_length) == (decoded["total_length"], decoded["headers_length"])
        assert len(data) == total, name
        # aws-sdk-go writes the CRCs as signed ints, smithy-rs as unsigned.
        assert prelude_crc == decoded["prelude_crc"] % 2**32 == zlib.crc32(data[:8])
        (message_crc,) = struct.unpack(">I", data[-4:])
        assert message_crc == decoded["message_crc"] % 2**32 == zlib.crc32(data[:-4])


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_positive_vector(core: ModuleType, name: str) -> None:
    data, decoded = POSITIVES[name]
    payload = base64.b64decode(decoded["payload"])
    headers = expected_headers(decoded)
    for chunks in chunkings(data):
        (message,) = decode(core, chunks)
        assert typed(message) == headers
        assert message.payload == payload
        assert type(message.payload) is bytes


def test_all_positives_in_one_stream(core: ModuleType) -> None:
    stream = b"".join(vector.data for vector in POSITIVES.values())
    expected = [
        (expected_headers(v.decoded), base64.b64decode(v.decoded["payload"]))
        for v in POSITIVES.values()
    ]
    for chunks in chunkings(stream):
        assert [(typed(m), m.payload) for m in decode(core, chunks)] == expected


class Negative(NamedTuple):
    data: bytes
    kind: str
    position: int  # of the error, from the start of the message
    trigger: int  # index of the byte whose arrival raises it


KINDS = {
    "Prelude checksum mismatch": "prelude_crc",
    "Message checksum mismatch": "message_crc",
    "prelude_checksum_mismatch": "prelude_crc",
    "message_checksum_mismatch": "message_crc",
}


def negative(data: bytes, kind: str) -> Negative:
    total = struct.unpack(">I", data[:4])[0]
    if kind == "message_crc":
        return Negative(data, kind, total - 4, total - 1)
    return Negative(data, kind, 8 if kind == "prelude_crc" else 0, 11)


def negatives() -> dict[str, Negative]:
    found = {}
    for path in sorted((GO / "encoded" / "negative").iterdir()):
        text = (GO / "decoded" / "negative" / path.name).read_text().strip()
        found[f"aws-sdk-go/{path.name}"] = negative(path.read_bytes(), KINDS[text])
    for entry in json.loads((SMITHY / "expected.json").read_text()):
        if entry["valid"]:
            continue
        data = (SMITHY / entry["file"]).read_bytes()
        total, headers_length = struct.unpack(">II", data[:8])
        if not entry["prelude_crc_ok"]:
            kind = "prelude_crc"
        elif headers_length > total - 16:
            # The prelude itself is impossible (`invalid_headers_length`): the length check
            # runs as soon as the prelude CRC passes, before the message CRC can be checked.
            kind = "length"
        else:
            assert not entry["message_crc_ok"]
            kind = "message_crc"
        if kind != "length":
            assert kind == KINDS[entry["error_if_crcs_checked_first"]]
        found[f"smithy-rs/{Path(entry['file']).name}"] = negative(data, kind)
    return found


NEGATIVES = negatives()


def test_negative_vector_set() -> None:
    assert len(NEGATIVES) == 12
    kinds = sorted(n.kind for n in NEGATIVES.values())
    assert kinds == ["length"] + ["message_crc"] * 8 + ["prelude_crc"] * 3
    assert NEGATIVES["smithy-rs/invalid_headers_length"].kind == "length"
    assert NEGATIVES["aws-sdk-go/corrupted_length"].kind == "prelude_crc"


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_negative_vector(core: ModuleType, name: str) -> None:
    data, kind, position, trigger = NEGATIVES[name]
    for chunks in chunkings(data):
        failure = first_failure(core, chunks)
        assert isinstance(failure.error, EventStreamError)
        assert failure.error.kind == kind
        assert failure.error.position == position
        assert failure.returned == []
        assert failure.call == call_supplying(chunks, trigger), chunks


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_negative_vector_after_good_messages(core: ModuleType, name: str) -> None:
    prefix = b"".join(vector.data for vector in POSITIVES.values())
    data, kind, position, trigger = NEGATIVES[name]
    stream = prefix + data
    for chunks in ([prefix, data], [stream], bytewise(stream), [stream[:100], stream[100:]]):
        failure = first_failure(core, chunks)
        assert isinstance(failure.error, EventStreamError)
        assert (failure.error.kind, failure.error.position) == (kind, len(prefix) + position)
        assert failure.call == call_supplying(chunks, len(prefix) + trigger)
    # Messages completed by earlier calls were returned by those calls.
    assert len(first_failure(core, [prefix, data]).returned) == len(POSITIVES)


# --- limits, lengths, truncation, persistence -------------------------------------------------


def test_limit_boundary(core: ModuleType) -> None:
    message = frame(header("a", 0), b"x" * 81)
    assert len(message) == 100
    assert len(decode(core, [message], max_message_bytes=100)) == 1
    stream = frame(b"") + message
    for chunks in chunkings(stream):
        failure = first_failure(core, chunks, max_message_bytes=99)
        assert isinstance(failure.error, LimitExceeded)
        assert (failure.error.limit, failure.error.position) == (99, 16)
        assert failure.error.message == (
            "event-stream message of 100 bytes exceeds max_message_bytes (99)"
        )
        # Raised as soon as the message's prelude is known, before its body arrives.
        assert failure.call == call_supplying(chunks, 16 + 11)


def test_default_limit_is_16_mib(core: ModuleType) -> None:
    big = frame(b"", b"\x00" * (DEFAULT_LIMIT - 16))
    assert decode(core, [big[:1000], big[1000:]])[0].payload == big[12:-4]
    prelude = struct.pack(">II", DEFAULT_LIMIT + 1, 0)
    prelude += struct.pack(">I", zlib.crc32(prelude))
    with pytest.raises(LimitExceeded) as caught:
        core.EventStreamDecoder().feed(prelude)
    assert caught.value.limit == DEFAULT_LIMIT


def test_limit_argument(core: ModuleType) -> None:
    assert core.EventStreamDecoder(16).feed(frame(b"")) != []
    assert core.EventStreamDecoder(2**70).position == 0
    with pytest.raises(InvalidArgumentError, match=r"^max_message_bytes must be an int >= 16, "):
        core.EventStreamDecoder(15)
    with pytest.raises(ArgumentTypeError, match=r"^max_message_bytes must be an int >= 16, not s"):
        core.EventStreamDecoder("16")
    with pytest.raises(ArgumentTypeError, match=r"not True$"):
        core.EventStreamDecoder(True)


def prelude_only(total: int, headers_length: int) -> bytes:
    prelude = struct.pack(">II", total, headers_length)
    return prelude + struct.pack(">I", zlib.crc32(prelude))


@pytest.mark.parametrize(
    ("total", "headers_length", "text"),
    [
        (0, 0, "event-stream message length 0 is below the 16-byte minimum"),
        (15, 0, "event-stream message length 15 is below the 16-byte minimum"),
        (20, 5, "event-stream headers length 5 does not fit in a message of 20 bytes"),
        (
            16,
            2**32 - 1,
            "event-stream headers length 4294967295 does not fit in a message of 16 bytes",
        ),
    ],
)
def test_impossible_lengths(core: ModuleType, total: int, headers_length: int, text: str) -> None:
    stream = frame(b"") + prelude_only(total, headers_length) + b"\x00" * 40
    for chunks in chunkings(stream):
        failure = first_failure(core, chunks)
        assert isinstance(failure.error, EventStreamError)
        assert (failure.error.kind, failure.error.message) == ("length", text)
        assert failure.error.position == 16
        assert failure.call == call_supplying(chunks, 16 + 11)


def test_headers_may_fill_the_message(core: ModuleType) -> None:
    (message,) = decode(core, [frame(header("a", 0))])
    assert message.headers == {"a": True}


def test_truncated_stream_fails_at_finish(core: ModuleType) -> None:
    data = POSITIVES["aws-sdk-go/all_headers"].data
    assert decode(core, [b""]) == []
    for cut in range(1, len(data)):
        decoder = core.EventStreamDecoder()
        assert decoder.feed(data[:cut]) == []
        with pytest.raises(EventStreamError) as caught:
            decoder.finish()
        assert (caught.value.kind, caught.value.position) == ("length", cut)
        if cut < 12:
            text = f"event-stream ended inside a message prelude ({cut} of its 12 bytes received)"
        else:
            text = f"event-stream ended inside a message ({cut} of its 204 bytes received)"
        assert caught.value.message == text


def test_errors_are_final(core: ModuleType) -> None:
    data = bytearray(POSITIVES["aws-sdk-go/payload_no_headers"].data)
    data[-1] ^= 1
    decoder = core.EventStreamDecoder()
    with pytest.raises(EventStreamError) as caught:
        decoder.feed(bytes(data))
    first = caught.value
    assert decoder.position == 0
    for again in (
        lambda: decoder.feed(b""),
        lambda: decoder.feed(frame(b"")),
        decoder.finish,
        decoder.finish,
    ):
        with pytest.raises(EventStreamError) as caught:
            again()
        error = caught.value
        assert error is not first
        assert (error.kind, error.message, error.position, error.excerpt) == (
            first.kind,
            first.message,
            first.position,
            first.excerpt,
        )
    assert decoder.position == 0


def test_excerpt_follows_the_rule(core: ModuleType) -> None:
    data = bytearray(frame(b"", b"0123456789abcdefghijklmnopqrstuvwxyz"))
    data[-1] ^= 1
    whole = first_failure(core, [bytes(data)]).error
    assert whole.excerpt.startswith("klmnopqrstuvwxyz")
    # One byte per call: the 16 bytes before the failing call, and that call's byte.
    single = first_failure(core, bytewise(bytes(data))).error
    assert single.excerpt.startswith("nopqrstuvwxyz")
    assert str(single).startswith("event-stream message checksum mismatch (computed 0x")


def test_feed_takes_bytes(core: ModuleType) -> None:
    decoder = core.EventStreamDecoder()
    for wrong in (bytearray(b"x"), "x", memoryview(b"x")):
        with pytest.raises(TypeError, match=f"feed\\(\\) takes bytes, not {type(wrong).__name__}"):
            decoder.feed(wrong)
    assert decoder.position == 0


# --- headers ------------------------------------------------------------------------------------


def test_every_header_type(core: ModuleType) -> None:
    uid = bytes(range(16))
    wire = [
        ("true", 0, None),
        ("false", 1, None),
        ("byte", 2, -128),
        ("short", 3, 32767),
        ("int", 4, -(2**31)),
        ("long", 5, 2**63 - 1),
        ("bytes", 6, b"\x00\xff"),
        ("empty", 6, b""),
        (":event-type", 7, "contentBlockDelta \u00e9\U0001f600"),
        ("epoch", 8, 0),
        ("before", 8, -1),
        ("first", 8, MIN_MS),
        ("last", 8, MAX_MS),
        ("uuid", 9, uid),
    ]
    data = frame(b"".join(header(*h) for h in wire), b"{}")
    expected = [(name, *python_value(code, value)) for name, code, value in wire]
    for chunks in chunkings(data):
        (message,) = decode(core, chunks)
        assert typed(message) == expected
    headers = message.headers
    assert headers["last"] == datetime.datetime(
        9999, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc
    )
    assert headers["before"].utcoffset() == datetime.timedelta(0)
    assert headers["first"] == datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc)
    assert headers["uuid"] == uuid.UUID("00010203-0405-0607-0809-0a0b0c0d0e0f")


def test_repeated_header_name_last_wins(core: ModuleType) -> None:
    block = header("a", 4, 1) + header("b", 0) + header("a", 7, "last")
    (message,) = decode(core, [frame(block)])
    assert list(message.headers.items()) == [("a", "last"), ("b", True)]


# A header block made of the good header "a" (3 bytes, stream offset 12) and then a bad one
# at stream offset 15.
GOOD = header("a", 0)
MALFORMED = [
    (b"\x00\x00", "event-stream header name is empty"),
    (b"\x05ab", "event-stream header name runs past the end of the header block"),
    (b"\x01\xff\x00", "event-stream header name is not valid UTF-8"),
    (b"\x02\xed\xa0\x00", "event-stream header name is not valid UTF-8"),
    (b"\x01x", 'event-stream header "x" runs past the end of the header block'),
    (b"\x01x\x0a", 'event-stream header "x" has unknown value type 10'),
    (b"\x01x\xff\x00\x00", 'event-stream header "x" has unknown value type 255'),
    (b"\x01x\x02", 'event-stream header "x" runs past the end of the header block'),
    (b"\x01x\x04\x00\x00\x00", 'event-stream header "x" runs past the end of the header block'),
    (b"\x01x\x06\x00", 'event-stream header "x" runs past the end of the header block'),
    (b"\x01x\x07\x00\x02a", 'event-stream header "x" runs past the end of the header block'),
    (b"\x01x\x09" + b"\x00" * 15, 'event-stream header "x" runs past the end of the header block'),
    (b"\x01x\x07\x00\x01\x80", 'event-stream header "x" string value is not valid UTF-8'),
    (
        b"\x01x\x08" + struct.pack(">q", MAX_MS + 1),
        'event-stream header "x" timestamp 253402300800000 ms is outside years 1 to 9999',
    ),
    (
        b"\x01x\x08" + struct.pack(">q", MIN_MS - 1),
        'event-stream header "x" timestamp -62135596800001 ms is outside years 1 to 9999',
    ),
]


@pytest.mark.parametrize(("bad", "text"), MALFORMED)
def test_malformed_header(core: ModuleType, bad: bytes, text: str) -> None:
    data = frame(GOOD + bad, b"payload")
    for chunks in chunkings(data):
        failure = first_failure(core, chunks)
        assert isinstance(failure.error, EventStreamError)
        assert (failure.error.kind, failure.error.message) == ("header", text)
        assert failure.error.position == 15
        assert failure.call == call_supplying(chunks, len(data) - 1)


def test_message_crc_is_checked_before_headers(core: ModuleType) -> None:
    data = bytearray(frame(GOOD + b"\x00\x00"))
    data[-1] ^= 0x80
    error = first_failure(core, [bytes(data)]).error
    assert isinstance(error, EventStreamError)
    assert (error.kind, error.position) == ("message_crc", len(data) - 4)


# --- EventStreamMessage as a value ---------------------------------------------------------------


def test_message_value_semantics(core: ModuleType) -> None:
    Message = core.EventStreamMessage
    when = EPOCH + datetime.timedelta(milliseconds=5)
    given_headers: dict[str, object] = {
        "a": 1,
        "b": b"x",
        "c": "s",
        "d": when,
        "e": uuid.UUID(int=7),
    }
    message = Message(given_headers, b"payload")
    given_headers["z"] = 0
    assert "z" not in message.headers
    assert message == Message(
        {"a": 1, "b": b"x", "c": "s", "d": when, "e": uuid.UUID(int=7)}, b"payload"
    )
    assert message != Message({"a": 1}, b"payload")
    assert message != Message(message.headers, b"other")
    assert message != ("headers", "payload")
    assert Message({}, b"") == Message(headers={}, payload=b"")
    view = message.headers
    view["a"] = 2
    assert message.headers["a"] == 1
    assert message.headers is not message.headers
    with pytest.raises(AttributeError):
        message.payload = b""  # type: ignore[misc]
    with pytest.raises(AttributeError):
        message.headers = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        hash(message)
    assert Message.__match_args__ == ("headers", "payload")


def test_message_repr(core: ModuleType) -> None:
    message = core.EventStreamMessage({":event-type": "chunk", "n": True}, b"{}")
    assert repr(message) == (
        "EventStreamMessage(headers={':event-type': 'chunk', 'n': True}, payload=b'{}')"
    )
    (decoded,) = decode(core, [POSITIVES["aws-sdk-go/all_headers"].data])
    assert repr(decoded) == (
        f"EventStreamMessage(headers={decoded.headers!r}, payload={decoded.payload!r})"
    )
    assert "tzinfo=datetime.timezone.utc" in repr(decoded)
    assert "UUID('01020304-0506-0708-090a-0b0c0d0e0f10')" in repr(decoded)


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10")
def test_message_match(core: ModuleType) -> None:
    source = (
        "match message:\n"
        "    case Message({':event-type': kind}, payload):\n"
        "        found = (kind, payload)\n"
    )
    scope: dict[str, object] = {
        "message": core.EventStreamMessage({":event-type": "chunk"}, b"{}"),
        "Message": core.EventStreamMessage,
    }
    exec(compile(source, "<match>", "exec"), scope)
    assert scope["found"] == ("chunk", b"{}")


@pytest.mark.parametrize(
    ("headers", "payload", "text"),
    [
        ([("a", 1)], b"", "headers must be a dict, not list"),
        ({1: 1}, b"", "header names must be str, not int"),
        ({"a": 1.5}, b"", "header 'a' has a value of unsupported type float"),
        ({"a": None}, b"", "header 'a' has a value of unsupported type NoneType"),
        ({"a": bytearray()}, b"", "header 'a' has a value of unsupported type bytearray"),
        ({}, "x", "payload must be bytes, not str"),
        ({}, bytearray(), "payload must be bytes, not bytearray"),
    ],
)
def test_message_constructor_checks_types(
    core: ModuleType, headers: object, payload: object, text: str
) -> None:
    with pytest.raises(TypeError) as caught:
        core.EventStreamMessage(headers, payload)
    assert str(caught.value) == text


# --- both backends agree ------------------------------------------------------------------------


def test_backends_agree_on_every_single_byte_corruption() -> None:
    for name, (data, _) in POSITIVES.items():
        for index in range(len(data)):
            for flip in (0x01, 0x80):
                bad = bytearray(data)
                bad[index] ^= flip
                chunks = [bytes(bad[:40]), bytes(bad[40:])]
                native = outcome(_core, chunks)
                assert native == outcome(_purepy, chunks), (name, index, flip)
                _, error, _ = native  # type: ignore[misc]
                assert error is not None
                # CRC-32 catches every single-byte change.
                kind = "prelude_crc" if index < 12 else "message_crc"
                assert error[1] == kind, (name, index)


HEADER_VALUES = {
    0: st.none(),
    1: st.none(),
    2: st.integers(-(2**7), 2**7 - 1),
    3: st.integers(-(2**15), 2**15 - 1),
    4: st.integers(-(2**31), 2**31 - 1),
    5: st.integers(-(2**63), 2**63 - 1),
    6: st.binary(max_size=40),
    7: st.text(max_size=20),
    8: st.integers(MIN_MS, MAX_MS),
    9: st.binary(min_size=16, max_size=16),
}
header_names = st.text(min_size=1, max_size=12).filter(lambda s: len(s.encode()) <= 255)
wire_headers = st.lists(
    st.tuples(header_names, st.sampled_from(sorted(HEADER_VALUES))).flatmap(
        lambda pair: st.tuples(st.just(pair[0]), st.just(pair[1]), HEADER_VALUES[pair[1]])
    ),
    max_size=8,
)
messages = st.tuples(wire_headers, st.binary(max_size=100))


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(messages, min_size=1, max_size=4), st.integers(0, 2**32), st.integers(1, 12))
def test_random_messages_round_trip(
    core: ModuleType,
    stream: list[tuple[list[tuple[str, int, object]], bytes]],
    seed: int,
    pieces: int,
) -> None:
    data = b"".join(frame(b"".join(header(*h) for h in hs), payload) for hs, payload in stream)
    expected = []
    for hs, payload in stream:
        headers: dict[str, tuple[type, object]] = {}
        for name, code, value in hs:
            headers[name] = python_value(code, value)
        expected.append(([(name, *tv) for name, tv in headers.items()], payload))
    chunks = random_splits(data, seed, pieces)
    assert [(typed(m), m.payload) for m in decode(core, chunks)] == expected


@settings(deadline=None)
@given(st.lists(messages, min_size=1, max_size=3), st.integers(0, 2**32), st.integers(1, 8))
def test_backends_agree_on_random_messages(
    stream: list[tuple[list[tuple[str, int, object]], bytes]], seed: int, pieces: int
) -> None:
    data = b"".join(frame(b"".join(header(*h) for h in hs), payload) for hs, payload in stream)
    chunks = random_splits(data, seed, pieces)
    assert outcome(_core, chunks) == outcome(_purepy, chunks)


@settings(deadline=None)
@given(st.binary(max_size=300), st.integers(0, 2**32), st.integers(1, 8), st.integers(16, 400))
def test_random_bytes_raise_only_decode_errors(
    data: bytes, seed: int, pieces: int, limit: int
) -> None:
    chunks = random_splits(data, seed, pieces)
    native = outcome(_core, chunks, limit)  # raises if anything but StreamDecodeError escapes
    assert native == outcome(_purepy, chunks, limit)


@settings(deadline=None)
@given(st.binary(max_size=60), st.binary(max_size=20), st.integers(0, 2**32), st.integers(1, 6))
def test_backends_agree_on_random_header_blocks(
    block: bytes, payload: bytes, seed: int, pieces: int
) -> None:
    # Correct CRCs around random header bytes, so the header parser itself is exercised.
    chunks = random_splits(frame(block, payload), seed, pieces)
    assert outcome(_core, chunks) == outcome(_purepy, chunks)


@settings(deadline=None)
@given(
    st.lists(messages, min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), min_size=1, max_size=3),
    st.integers(0, 2**32),
)
def test_backends_agree_on_corrupted_streams(
    stream: list[tuple[list[tuple[str, int, object]], bytes]],
    flips: list[tuple[int, int]],
    seed: int,
) -> None:
    good = b"".join(frame(b"".join(header(*h) for h in hs), payload) for hs, payload in stream)
    data = bytearray(good)
    for index, mask in flips:
        data[index % len(data)] ^= mask
    chunks = random_splits(bytes(data), seed, 5)
    native = outcome(_core, chunks)
    assert native == outcome(_purepy, chunks)
    if data != good:
        assert native[1] is not None  # type: ignore[index]
