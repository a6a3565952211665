"""``JsonStream`` rule by rule, as written in ``notes/json-spec.md``, on both backends."""

from __future__ import annotations

import json
import random
from types import ModuleType
from typing import Union

import pytest
from json_helpers import Accepted, Outcome, Rejected, outcome, same_value

from chunking import bytewise, random_splits, two_way_splits
from fluent_ai.errors import (
    ArgumentTypeError,
    InvalidArgumentError,
    JsonStreamError,
    LimitExceeded,
    StreamDecodeError,
)

Data = Union[bytes, str]
END = "invalid JSON: unexpected end of input"
UTF8 = "invalid JSON: invalid UTF-8 in string"


def syntax(expected: str, found: str, position: int) -> Rejected:
    return Rejected(JsonStreamError, f"invalid JSON: expected {expected}, found {found}", position)


def control(found: str, position: int) -> Rejected:
    return Rejected(
        JsonStreamError, f"invalid JSON: control character in string, found {found}", position
    )


def end(position: int) -> Rejected:
    return Rejected(JsonStreamError, END, position)


def utf8(position: int) -> Rejected:
    return Rejected(JsonStreamError, UTF8, position)


def parse(core: ModuleType, data: Data, **options: int) -> Outcome:
    return outcome(core, [data], **options)


def all_ways(data: bytes) -> list[list[bytes]]:
    ways = [[data], bytewise(data)]
    ways.extend(two_way_splits(data))
    ways.extend(random_splits(data, seed) for seed in range(5))
    return ways


def assert_outcome_everywhere(core: ModuleType, data: bytes, expected: Outcome) -> None:
    """The outcome is ``expected`` whichever way ``data`` is cut."""
    for chunks in all_ways(data):
        assert outcome(core, chunks) == expected, [len(chunk) for chunk in chunks]


def raise_of(stream: object, call: str, *args: object) -> StreamDecodeError:
    with pytest.raises(StreamDecodeError) as info:
        getattr(stream, call)(*args)
    return info.value


# --------------------------------------------------------------------------------------------
# Error messages and positions: one row per message of the spec (and per `found` rendering).

ERRORS: list[tuple[bytes, Rejected]] = [
    # expected a value: top level, after ':', after ',' in an array
    (b"x", syntax("a value", "'x'", 0)),
    (b"  ]", syntax("a value", "']'", 2)),
    (b'{"a":}', syntax("a value", "'}'", 5)),
    (b"[1,]", syntax("a value", "']'", 3)),
    (b"[1, ,", syntax("a value", "','", 4)),
    (b"NaN", syntax("a value", "'N'", 0)),
    (b"Infinity", syntax("a value", "'I'", 0)),
    (b"+1", syntax("a value", "'+'", 0)),
    (b".5", syntax("a value", "'.'", 0)),
    (b"\xef\xbb\xbf{}", syntax("a value", "byte 0xef", 0)),
    (b"\x0c1", syntax("a value", "byte 0x0c", 0)),
    (b"\xc2\xa01", syntax("a value", "byte 0xc2", 0)),
    (b"'a'", syntax("a value", "byte 0x27", 0)),
    (b"\\n", syntax("a value", "byte 0x5c", 0)),
    # right after '['
    (b"[,", syntax("a value or ']'", "','", 1)),
    (b"[ }", syntax("a value or ']'", "'}'", 2)),
    (b"[\x7f", syntax("a value or ']'", "byte 0x7f", 1)),
    (b"[\x00", syntax("a value or ']'", "byte 0x00", 1)),
    (b"[\xc3\xa9]", syntax("a value or ']'", "byte 0xc3", 1)),
    # after an array element
    (b"[1 2]", syntax("',' or ']'", "'2'", 3)),
    (b'[1:"a"]', syntax("',' or ']'", "':'", 2)),
    (b"[1}", syntax("',' or ']'", "'}'", 2)),
    (b"[[]2]", syntax("',' or ']'", "'2'", 3)),
    (b'["a""b"]', syntax("',' or ']'", "'\"'", 4)),
    (b"[true false]", syntax("',' or ']'", "'f'", 6)),
    # right after '{'
    (b"{1:2}", syntax("a string key or '}'", "'1'", 1)),
    (b"{ ]", syntax("a string key or '}'", "']'", 2)),
    (b"{'a':1}", syntax("a string key or '}'", "byte 0x27", 1)),
    # after ',' in an object
    (b'{"a":1,}', syntax("a string key", "'}'", 7)),
    (b'{"a":1, 2:3}', syntax("a string key", "'2'", 8)),
    # after an object key
    (b'{"a" 1}', syntax("':'", "'1'", 5)),
    (b'{"a",', syntax("':'", "','", 4)),
    (b'{"a"}', syntax("':'", "'}'", 4)),
    # after an object member value
    (b'{"a":1 "b":2}', syntax("',' or '}'", "'\"'", 7)),
    (b'{"a":1]', syntax("',' or '}'", "']'", 6)),
    (b'{"a":{}:', syntax("',' or '}'", "':'", 7)),
    # after the complete top-level value
    (b"{} x", syntax("end of input", "'x'", 3)),
    (b"[]]", syntax("end of input", "']'", 2)),
    (b'""x', syntax("end of input", "'x'", 2)),
    (b"1 2", syntax("end of input", "'2'", 2)),
    (b"01", syntax("end of input", "'1'", 1)),
    (b"-01", syntax("end of input", "'1'", 2)),
    (b"1.5.", syntax("end of input", "'.'", 3)),
    (b"1e5e", syntax("end of input", "'e'", 3)),
    (b"1-", syntax("end of input", "'-'", 1)),
    (b"true false", syntax("end of input", "'f'", 5)),
    (b"truex", syntax("end of input", "'x'", 4)),
    (b"null\x00", syntax("end of input", "byte 0x00", 4)),
    (b"1\x0b", syntax("end of input", "byte 0x0b", 1)),
    # numbers: a byte that cannot continue a complete number ends it ...
    (b"[01]", syntax("',' or ']'", "'1'", 2)),
    (b"[1.5e3.]", syntax("',' or ']'", "'.'", 6)),
    (b"[0x1]", syntax("',' or ']'", "'x'", 2)),
    (b"[1+2]", syntax("',' or ']'", "'+'", 2)),
    (b'{"a":-0 1}', syntax("',' or '}'", "'1'", 8)),
    # ... while an incomplete number needs a digit
    (b"-a", syntax("a digit", "'a'", 1)),
    (b"[-]", syntax("a digit", "']'", 2)),
    (b"[- 1]", syntax("a digit", "byte 0x20", 2)),
    (b"[1.]", syntax("a digit", "']'", 3)),
    (b"1.e5", syntax("a digit", "'e'", 2)),
    (b"-.5", syntax("a digit", "'.'", 1)),
    (b"1e+x", syntax("a digit", "'x'", 3)),
    (b"1e-]", syntax("a digit", "']'", 3)),
    (b"1E+-1", syntax("a digit", "'-'", 3)),
    (b"-Infinity", syntax("a digit", "'I'", 1)),
    (b"1ex", syntax("a digit, '+' or '-'", "'x'", 2)),
    (b"[0E]", syntax("a digit, '+' or '-'", "']'", 3)),
    (b"1e\xe5", syntax("a digit, '+' or '-'", "byte 0xe5", 2)),
    # literals: the byte that does not continue the literal
    (b"trux", syntax("'true'", "'x'", 3)),
    (b"[t]", syntax("'true'", "']'", 2)),
    (b"True", syntax("a value", "'T'", 0)),
    (b"fals0", syntax("'false'", "'0'", 4)),
    (b"[f ]", syntax("'false'", "byte 0x20", 2)),
    (b"nul!", syntax("'null'", "'!'", 3)),
    (b"[nule]", syntax("'null'", "'e'", 4)),
    (b"nil", syntax("'null'", "'i'", 1)),
    # escapes
    (b'"\\a"', syntax("an escape character", "'a'", 2)),
    (b'"\\U0041"', syntax("an escape character", "'U'", 2)),
    (b'"\\x41"', syntax("an escape character", "'x'", 2)),
    (b'"\\\'"', syntax("an escape character", "byte 0x27", 2)),
    (b'"\\ "', syntax("an escape character", "byte 0x20", 2)),
    (b'"\\\xc3\xa9"', syntax("an escape character", "byte 0xc3", 2)),
    (b'"\\u12g4"', syntax("a hex digit", "'g'", 5)),
    (b'"\\u"', syntax("a hex digit", "'\"'", 3)),
    (b'"\\uD800\\u12"', syntax("a hex digit", "'\"'", 11)),
    (b'"\\u 123"', syntax("a hex digit", "byte 0x20", 3)),
    (b'"\\uD800\\x"', syntax("an escape character", "'x'", 8)),
    # raw control bytes in strings (0x7f is not one)
    (b'"a\nb"', control("byte 0x0a", 2)),
    (b'["\t"]', control("byte 0x09", 2)),
    (b'"\x00"', control("byte 0x00", 1)),
    (b'{"k\x1f":1}', control("byte 0x1f", 3)),
    (b'"\\u0041\r"', control("byte 0x0d", 7)),
    # invalid UTF-8: the first byte of the ill-formed sequence
    (b'"ab\xff"', utf8(3)),
    (b'"\x80"', utf8(1)),
    (b'"\xc3("', utf8(1)),
    (b'"\xc3"', utf8(1)),
    (b'"\xc0\xaf"', utf8(1)),
    (b'"\xc1\xbf"', utf8(1)),
    (b'"\xe0\x80\x80"', utf8(1)),
    (b'"\xe0\x9f\xbf"', utf8(1)),
    (b'"\xed\xa0\x80"', utf8(1)),
    (b'"\xed\xbf\xbf"', utf8(1)),
    (b'"\xe2\x82"', utf8(1)),
    (b'"\xe2\x82\\n"', utf8(1)),
    (b'"\xf0\x8f\xbf\xbf"', utf8(1)),
    (b'"\xf0\x9f\x98"', utf8(1)),
    (b'"\xf4\x90\x80\x80"', utf8(1)),
    (b'"\xf5\x80\x80\x80"', utf8(1)),
    (b'"\xf8\x88\x80\x80\x80"', utf8(1)),
    (b'"\xe9t\xe9"', utf8(1)),
    (b'"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x82"', utf8(10)),
    (b'{"\xb9":"0"}', utf8(2)),
    (b'["ok", "\xe6\x97\xa5\xd1\x88\xfa"]', utf8(13)),
    # unexpected end of input: position = bytes fed
    (b"", end(0)),
    (b" \t\r\n", end(4)),
    (b"[", end(1)),
    (b"[1,", end(3)),
    (b'{"a', end(3)),
    (b'{"a"', end(4)),
    (b'{"a": ', end(6)),
    (b'{"a": 1', end(7)),
    (b'"abc', end(4)),
    (b'"abc\\', end(5)),
    (b'"\\u00', end(5)),
    (b'"\\uD800', end(7)),
    (b'"\xe2\x82', end(3)),
    (b"-", end(1)),
    (b"1.", end(2)),
    (b"1e", end(2)),
    (b"1e+", end(3)),
    (b"tru", end(3)),
    (b"[[1]", end(4)),
]


@pytest.mark.parametrize(("data", "expected"), ERRORS, ids=[repr(row[0]) for row in ERRORS])
def test_error_message_and_position(core: ModuleType, data: bytes, expected: Rejected) -> None:
    assert_outcome_everywhere(core, data, expected)


def test_control_bytes_in_strings_all_rejected(core: ModuleType) -> None:
    for byte in range(0x20):
        data = b'"a' + bytes([byte]) + b'"'
        assert parse(core, data) == control(f"byte 0x{byte:02x}", 2)
    assert parse(core, b'"\x7f"') == Accepted("\x7f")


# Bytes that would continue `[1` rather than be reported after it.
_CONTINUING = b" \t\r\n,]0123456789.eE"


@pytest.mark.parametrize("byte", [byte for byte in range(256) if byte not in _CONTINUING])
def test_found_rendering(core: ModuleType, byte: int) -> None:
    """Printable ASCII other than quote and backslash in quotes, any other byte in hex."""
    result = parse(core, b"[1" + bytes([byte]))
    shown = (
        f"'{chr(byte)}'" if 0x21 <= byte <= 0x7E and byte not in b"'\\" else f"byte 0x{byte:02x}"
    )
    assert result == syntax("',' or ']'", shown, 2)


# --------------------------------------------------------------------------------------------
# Excerpts: the last 16 bytes fed before the current call + the current chunk, within 16 bytes
# either side of the error position.


def reference_excerpt(before: bytes, chunk: bytes, position: int) -> str:
    known_start = len(before) - min(len(before), 16)
    stream = before + chunk
    low = max(position - 16, known_start, 0)
    high = min(position + 16, len(stream))
    return stream[low:high].decode("utf-8", "replace")


EXCERPT_CASES = [
    b'{"a": [1, 2, 3], "bbbbbbbbbbbbbbbbbbbbbbbbbbb": x}',
    b'["' + "\u00e9".encode() * 10 + b'", 1 2, "\xe2\x82\xac"]',
    b'["0123456789abcdefghijklmnopqrstuvwxyz\xff0123456789abcdefghijklmnopqrstuvwxyz"]',
    b"[" * 40,
    b"[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13",
]


@pytest.mark.parametrize("data", EXCERPT_CASES, ids=range(len(EXCERPT_CASES)))
def test_excerpt_rule_across_fragments(core: ModuleType, data: bytes) -> None:
    for chunks in all_ways(data):
        stream = core.JsonStream(max_depth=20)
        fed = b""
        error = None
        for chunk in chunks:
            try:
                stream.feed(chunk)
            except StreamDecodeError as caught:
                error = caught
                assert error.excerpt == reference_excerpt(fed, chunk, error.position)
                break
            fed += chunk
        if error is None:
            error = raise_of(stream, "finish")
            assert error.excerpt == reference_excerpt(fed, b"", error.position)
        assert error.excerpt


def test_excerpt_examples(core: ModuleType) -> None:
    stream = core.JsonStream()
    stream.feed(b'{"name": "0123456789abcdefghij",')
    error = raise_of(stream, "feed", b' "n": tru, "x": 1}')
    assert error.position == 41
    assert error.excerpt == 'fghij", "n": tru, "x": 1}'
    assert str(error) == (
        "invalid JSON: expected 'true', found ','"
        ' (at byte 41, near \'fghij", "n": tru, "x": 1}\')'
    )
    stream = core.JsonStream()
    stream.feed(b"[1, 2")
    error = raise_of(stream, "finish")
    assert (error.position, error.excerpt) == (5, "[1, 2")


# --------------------------------------------------------------------------------------------
# Fail fast: the feed that supplies the offending byte raises (a lookahead to the end of the
# current number, literal, escape or UTF-8 character is the only delay).

FAIL_FAST: list[tuple[bytes, int, Rejected]] = [
    (b"[1,]", 3, syntax("a value", "']'", 3)),
    (b'["a\x01"]', 3, control("byte 0x01", 3)),
    (b"[12x", 3, syntax("',' or ']'", "'x'", 3)),
    (b"12x", 2, syntax("end of input", "'x'", 2)),
    (b"1.x", 2, syntax("a digit", "'x'", 2)),
    (b"trx", 2, syntax("'true'", "'x'", 2)),
    (b'"\\u12x', 5, syntax("a hex digit", "'x'", 5)),
    (b'"\\q', 2, syntax("an escape character", "'q'", 2)),
    (b'"\xe2\x82(', 3, utf8(1)),
    (b'"\xe2\x82"', 3, utf8(1)),
    (b'"\xe2\x82\\', 3, utf8(1)),
    (b'"\xe2\x82\n', 3, utf8(1)),
    (b'"\xed\xa0', 2, utf8(1)),
    (b'"\xe0\x80', 2, utf8(1)),
    (b'"\xf4\x90', 2, utf8(1)),
    (b'"\xf0\x9f\x98"', 4, utf8(1)),
    (b'"\xf0\x9f\x98\xff', 4, utf8(1)),
    (b'"\xff', 1, utf8(1)),
    (
        b"[" + b"1" * 4301 + b"]",
        4302,
        Rejected(LimitExceeded, "invalid JSON: integer with more than 4300 digits", 1),
    ),
    (
        b"[" * 257,
        256,
        Rejected(LimitExceeded, "invalid JSON: nesting deeper than max_depth=256", 256),
    ),
]


@pytest.mark.parametrize(
    ("data", "raised_at", "expected"), FAIL_FAST, ids=[repr(row[0][:12]) for row in FAIL_FAST]
)
def test_fail_fast(core: ModuleType, data: bytes, raised_at: int, expected: Rejected) -> None:
    stream = core.JsonStream()
    for index, byte in enumerate(bytewise(data)):
        if index < raised_at:
            assert stream.feed(byte) is False
            continue
        error = raise_of(stream, "feed", byte)
        assert Rejected(type(error), error.message, error.position) == expected
        break
    else:
        pytest.fail("no error raised")
    assert parse(core, data) == expected


# --------------------------------------------------------------------------------------------
# Errors persist; partial() keeps working.


def test_errors_persist(core: ModuleType) -> None:
    stream = core.JsonStream()
    stream.feed(b'{"a": [1, "xy')
    first = raise_of(stream, "feed", b'z", 2 3]}')
    assert (type(first), first.message, first.position) == (
        JsonStreamError,
        "invalid JSON: expected ',' or ']', found '3'",
        19,
    )
    for call, args in [("feed", (b"]}",)), ("feed", (b"",)), ("feed", ("  ",)), ("finish", ())]:
        again = raise_of(stream, call, *args)
        assert type(again) is type(first)
        assert (again.message, again.position, again.excerpt) == (
            first.message,
            first.position,
            first.excerpt,
        )
    assert stream.partial() == {"a": [1, "xyz", 2]}
    assert stream.complete is False


def test_finish_error_persists(core: ModuleType) -> None:
    stream = core.JsonStream()
    stream.feed(b"[1")
    first = raise_of(stream, "finish")
    assert (first.message, first.position) == (END, 2)
    again = raise_of(stream, "finish")
    assert (type(again), again.message, again.position, again.excerpt) == (
        type(first),
        first.message,
        first.position,
        first.excerpt,
    )
    again = raise_of(stream, "feed", b"]")
    assert (again.message, again.position) == (END, 2)
    assert stream.partial() == []


def test_limit_errors_persist(core: ModuleType) -> None:
    stream = core.JsonStream(max_depth=2)
    error = raise_of(stream, "feed", b"[[[")
    assert isinstance(error, LimitExceeded)
    assert error.limit == 2
    again = raise_of(stream, "finish")
    assert isinstance(again, LimitExceeded)
    assert (again.limit, again.message, again.position) == (2, error.message, 2)
    assert stream.partial() == [[]]


def test_partial_after_errors_is_what_was_parsed(core: ModuleType) -> None:
    cases: list[tuple[bytes, object]] = [
        (b'["ab\xff', ["ab"]),
        (b'{"k": "v\\x', {"k": "v"}),
        (b"[1, 2, 3x", [1, 2, 3]),
        (b"[true, fx", [True]),
        (b'[{"a": 1}, }', [{"a": 1}]),
        (b"[1, {]", [1, {}]),
    ]
    for data, expected in cases:
        stream = core.JsonStream()
        raise_of(stream, "feed", data)
        assert same_value(stream.partial(), expected), data


# --------------------------------------------------------------------------------------------
# Limits.


def nested_arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def nested_objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"{}" + b"}" * depth


def test_max_depth_boundary(core: ModuleType) -> None:
    assert parse(core, nested_arrays(256)) == Accepted(json.loads(nested_arrays(256)))
    assert parse(core, nested_arrays(257)) == Rejected(
        LimitExceeded, "invalid JSON: nesting deeper than max_depth=256", 256
    )
    # The objects: 255 '{"a":' plus the innermost {} make 256 containers.
    assert parse(core, nested_objects(255)) == Accepted(json.loads(nested_objects(255)))
    assert parse(core, nested_objects(256)) == Rejected(
        LimitExceeded, "invalid JSON: nesting deeper than max_depth=256", 256 * 5
    )
    mixed = b'[{"a":[{"b":[' + b"]}]}]"
    assert parse(core, mixed, max_depth=5) == Accepted([{"a": [{"b": []}]}])
    assert parse(core, mixed, max_depth=4) == Rejected(
        LimitExceeded, "invalid JSON: nesting deeper than max_depth=4", 12
    )
    assert parse(core, b"[]", max_depth=1) == Accepted([])
    assert parse(core, b"[[]]", max_depth=1) == Rejected(
        LimitExceeded, "invalid JSON: nesting deeper than max_depth=1", 1
    )
    assert parse(core, b"{}", max_depth=0) == Rejected(
        LimitExceeded, "invalid JSON: nesting deeper than max_depth=0", 0
    )
    assert parse(core, b'"scalars need no depth"', max_depth=0) == Accepted("scalars need no depth")


def test_max_depth_error_carries_the_limit(core: ModuleType) -> None:
    stream = core.JsonStream(max_depth=3)
    stream.feed(b"[[ [")
    error = raise_of(stream, "feed", b" [")
    assert isinstance(error, LimitExceeded)
    assert (error.limit, error.position) == (3, 5)


def test_deep_nesting_needs_no_recursion(core: ModuleType) -> None:
    depth = 100_000
    stream = core.JsonStream()
    error = raise_of(stream, "feed", b"[" * depth)
    assert isinstance(error, LimitExceeded)
    stream = core.JsonStream(max_depth=depth)
    assert stream.feed(b"[" * depth) is False
    partial = stream.partial()
    assert stream.feed(b"]" * depth) is True
    value = stream.finish()
    for _ in range(depth - 1):
        assert isinstance(value, list)
        assert len(value) == 1
        value = value[0]
        assert isinstance(partial, list)
        partial = partial[0]
    assert value == []
    assert partial == []


def test_max_bytes_boundary(core: ModuleType) -> None:
    data = b'{"a": [1, 2]}'
    n = len(data)
    assert parse(core, data, max_bytes=n) == Accepted({"a": [1, 2]})
    too_long = Rejected(LimitExceeded, f"invalid JSON: input longer than max_bytes={n - 1}", n - 1)
    assert_outcome_everywhere_with(core, data, too_long, max_bytes=n - 1)
    # Whitespace counts.
    assert parse(core, data + b" ", max_bytes=n) == Rejected(
        LimitExceeded, f"invalid JSON: input longer than max_bytes={n}", n
    )
    assert parse(core, b"", max_bytes=0) == end(0)
    assert parse(core, b" ", max_bytes=0) == Rejected(
        LimitExceeded, "invalid JSON: input longer than max_bytes=0", 0
    )


def assert_outcome_everywhere_with(
    core: ModuleType, data: bytes, expected: Outcome, **options: int
) -> None:
    for chunks in all_ways(data):
        assert outcome(core, chunks, **options) == expected, [len(chunk) for chunk in chunks]


def test_max_bytes_error_details(core: ModuleType) -> None:
    stream = core.JsonStream(max_bytes=10)
    assert stream.feed(b"[1, 2, ") is False
    error = raise_of(stream, "feed", b'"abcdef"]')
    assert isinstance(error, LimitExceeded)
    assert (error.limit, error.position) == (10, 10)
    assert error.message == "invalid JSON: input longer than max_bytes=10"
    # The bytes before the limit were parsed.
    assert stream.partial() == [1, 2, "ab"]


def test_max_bytes_cut_inside_a_character_of_str_input(core: ModuleType) -> None:
    # The limit falls between the two bytes of "é": the str fragment is cut mid-character.
    stream = core.JsonStream(max_bytes=3)
    error = raise_of(stream, "feed", '["\u00e9"]')
    assert (type(error), error.position) == (LimitExceeded, 3)
    assert stream.partial() == [""]
    bytes_stream = core.JsonStream(max_bytes=3)
    assert raise_of(bytes_stream, "feed", '["\u00e9"]'.encode()).position == 3
    for limit in range(1, 12):
        text = '{"\u00e9\U0001f600": "\u20ac"}'
        assert outcome(core, [text], max_bytes=limit) == outcome(
            core, [text.encode()], max_bytes=limit
        ), limit


def test_max_bytes_earlier_syntax_error_wins(core: ModuleType) -> None:
    stream = core.JsonStream(max_bytes=8)
    error = raise_of(stream, "feed", b"[1, x, 2, 3, 4]")
    assert (type(error), error.position) == (JsonStreamError, 4)
    # An error at or after the limit is not seen: the limit is reported.
    stream = core.JsonStream(max_bytes=8)
    error = raise_of(stream, "feed", b"[1, 2, 3x 4]")
    assert (type(error), error.position) == (LimitExceeded, 8)
    stream = core.JsonStream(max_bytes=8)
    error = raise_of(stream, "feed", b"[1, 2, 3]x")
    assert (type(error), error.position) == (LimitExceeded, 8)


def test_integer_digit_limit(core: ModuleType) -> None:
    digits = "7" * 4300
    assert parse(core, f"[{digits}]".encode()) == Accepted([int(digits)])
    assert parse(core, f"[-{digits}]".encode()) == Accepted([-int(digits)])
    assert parse(core, digits.encode()) == Accepted(int(digits))
    too_many = Rejected(LimitExceeded, "invalid JSON: integer with more than 4300 digits", 1)
    assert parse(core, f"[{digits}7]".encode()) == too_many
    assert parse(core, f"[-{digits}7]".encode()) == too_many
    assert parse(core, f" {digits}7".encode()) == too_many
    assert parse(core, f" {digits}7 ".encode()) == too_many
    assert parse(core, f'{{"k": {digits}7}}'.encode()) == Rejected(
        LimitExceeded, too_many.message, 6
    )
    # Only integers are limited: float() takes any length.
    assert parse(core, f"[{digits}7.0]".encode()) == Accepted([float("inf")])
    assert parse(core, f"[{digits}7e-4400]".encode()) == Accepted([float(f"{digits}7e-4400")])
    stream = core.JsonStream()
    assert stream.feed(b"[" + b"9" * 5000) is False  # raised when the number ends
    error = raise_of(stream, "feed", b",")
    assert isinstance(error, LimitExceeded)
    assert (error.limit, error.position) == (4300, 1)
    stream = core.JsonStream()
    assert stream.feed(b"9" * 5000) is False
    error = raise_of(stream, "finish")
    assert isinstance(error, LimitExceeded)
    assert (error.limit, error.position) == (4300, 0)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"max_depth": -1}, InvalidArgumentError, "max_depth must be an int >= 0, not int -1"),
        ({"max_bytes": -1}, InvalidArgumentError, "max_bytes must be an int >= 0, not int -1"),
        ({"max_depth": True}, ArgumentTypeError, "max_depth must be an int >= 0, not True"),
        ({"max_depth": 1.5}, ArgumentTypeError, "max_depth must be an int >= 0, not float 1.5"),
        ({"max_bytes": "1"}, ArgumentTypeError, "max_bytes must be an int >= 0, not str '1'"),
    ],
)
def test_invalid_limits(
    core: ModuleType, options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        core.JsonStream(**options)
    assert str(info.value) == message


def test_limits_take_any_unsigned_64_bit_value(core: ModuleType) -> None:
    stream = core.JsonStream(max_depth=2**64 - 1, max_bytes=2**64 - 1)
    assert stream.feed(b"[[[[]]]]") is True


# --------------------------------------------------------------------------------------------
# Completion.


def test_top_level_number_completes_at_finish(core: ModuleType) -> None:
    for text, value in [("42", 42), ("-0.1", -0.1), ("0", 0), ("-0", 0), ("1e3", 1000.0)]:
        stream = core.JsonStream()
        assert stream.feed(text) is False
        assert stream.complete is False
        assert stream.partial() is None
        assert same_value(stream.finish(), value)
        assert stream.complete is True
        assert same_value(stream.partial(), value)
        assert same_value(stream.finish(), value)


def test_top_level_number_completes_at_whitespace(core: ModuleType) -> None:
    for space in " \t\r\n":
        stream = core.JsonStream()
        assert stream.feed("4") is False
        assert stream.feed("2") is False
        assert stream.feed(space) is True
        assert stream.complete is True
        assert stream.partial() == 42
        assert stream.feed("  ") is True
        assert stream.finish() == 42


def test_incomplete_top_level_numbers(core: ModuleType) -> None:
    for text in ["-", "1.", "1e", "1E-"]:
        stream = core.JsonStream()
        assert stream.feed(text) is False
        error = raise_of(stream, "finish")
        assert (error.message, error.position) == (END, len(text))


def test_feed_returns_true_once_complete(core: ModuleType) -> None:
    stream = core.JsonStream()
    assert stream.feed(b"") is False
    assert stream.feed(b'{"a": [tr') is False
    assert stream.complete is False
    assert stream.feed(b"ue]") is False
    assert stream.feed(b"}") is True
    assert stream.complete is True
    assert stream.feed(b"") is True
    assert stream.feed(b" \n") is True
    assert stream.finish() == {"a": [True]}
    assert stream.position == 15


@pytest.mark.parametrize("text", ['"s"', "[]", "{}", "true", "false", "null"])
def test_completion_at_last_byte(core: ModuleType, text: str) -> None:
    stream = core.JsonStream()
    assert stream.feed(text[:-1]) is False
    assert stream.feed(text[-1]) is True
    assert same_value(stream.partial(), json.loads(text))


def test_finish_is_idempotent(core: ModuleType) -> None:
    stream = core.JsonStream()
    stream.feed('{"a": [1, 2.5]}')
    first = stream.finish()
    second = stream.finish()
    assert first == second == {"a": [1, 2.5]}
    assert stream.complete


def test_feeding_after_finish_continues(core: ModuleType) -> None:
    stream = core.JsonStream()
    stream.feed("12")
    assert stream.finish() == 12
    assert stream.feed("  \n") is True
    assert stream.finish() == 12
    error = raise_of(stream, "feed", "3")
    assert (error.message, error.position) == (syntax("end of input", "'3'", 5).message, 5)


def test_empty_input(core: ModuleType) -> None:
    stream = core.JsonStream()
    assert stream.partial() is None
    error = raise_of(stream, "finish")
    assert (type(error), error.message, error.position, error.excerpt) == (
        JsonStreamError,
        END,
        0,
        "",
    )


def test_position_counts_bytes(core: ModuleType) -> None:
    stream = core.JsonStream()
    assert stream.position == 0
    stream.feed(b"[1, ")
    assert stream.position == 4
    stream.feed('"\u00e9\u20ac\U0001f600')  # a quote and 2 + 3 + 4 bytes
    assert stream.position == 14
    stream.feed(b"\xe2")  # a cut character counts too
    assert stream.position == 15
    stream.feed(b'\x82\xac"]')
    assert stream.position == 19
    assert stream.finish() == [1, "\u00e9\u20ac\U0001f600\u20ac"]


def test_position_after_an_error(core: ModuleType) -> None:
    """A feed() that fails consumes nothing; finish() consumes nothing either."""
    stream = core.JsonStream()
    stream.feed(b"[1, ")
    raise_of(stream, "feed", b"2 x]")
    assert stream.position == 4
    raise_of(stream, "feed", b"]")
    assert stream.position == 4
    stream = core.JsonStream(max_bytes=5)
    stream.feed(b"[1")
    raise_of(stream, "feed", b", 2, 3]")
    assert stream.position == 2


@pytest.mark.parametrize("data", [bytearray(b"[]"), memoryview(b"[]"), 1, None, ["[]"]])
def test_feed_takes_str_or_bytes_only(core: ModuleType, data: object) -> None:
    stream = core.JsonStream()
    with pytest.raises(TypeError, match=r"^JsonStream\.feed\(\) takes str or bytes, not "):
        stream.feed(data)
    assert stream.feed(b"[]") is True


def test_feed_argument_forms(core: ModuleType) -> None:
    stream = core.JsonStream()
    assert stream.feed(data="[1") is False
    assert stream.feed("]") is True
    for args, kwargs in [
        ((), {}),
        (("[", "]"), {}),
        ((), {"text": "[]"}),
        (("[",), {"data": "]"}),
    ]:
        with pytest.raises(TypeError, match=r"feed\(\)"):
            core.JsonStream().feed(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# Values: the types of json.loads.

VALUES = [
    "0",
    "-0",
    "-0.0",
    "0.0",
    "1",
    "1.0",
    "1E2",
    "1e-2",
    "-1.5e+3",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "1e400",
    "-1e400",
    "1e-400",
    "-1e-400",
    "2.2250738585072014e-308",
    "1.7976931348623157e308",
    "0.1",
    "3.141592653589793238462643383279",
    '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
    '"\\u0000\\u001f\\u00e9\\u20AC\\ud83d\\ude00"',
    '"\u00e9\u20ac\U0001f600"',
    "[]",
    "{}",
    '[1, 1.0, -0, -0.0, true, false, null, "x", [], {}]',
    '{"b": 1, "a": 2, "c": {"b": [3]}}',
    '{"a": 1, "a": 2, "b": 3, "a": [4]}',
    '{"": ""}',
    ' \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \t\r\n"a" \t\r\n: \t\r\nnull \t\r\n} \t\r\n] \t\r\n',
]


@pytest.mark.parametrize("text", VALUES)
def test_values_like_json_loads(core: ModuleType, text: str) -> None:
    expected = Accepted(json.loads(text))
    assert_outcome_everywhere(core, text.encode(), expected)


def test_many_keys_repeated_and_colliding(core: ModuleType) -> None:
    # Keys recur (the native backend reuses their strings) and outnumber any small cache;
    # some share prefixes, are long, non-ASCII or escaped.
    rng = random.Random(7)
    names = [f"k{n}" for n in range(300)] + ["", "a" * 24, "a" * 25, "a" * 200, "\u00e9t\u00e9"]
    names += ["k1\u0000", "\U0001f600", "kk", "k"]
    records = []
    for _ in range(200):
        chosen = rng.sample(names, 12)
        records.append({name: rng.choice([len(name), name, None, [name]]) for name in chosen})
    for ensure_ascii in (True, False):
        text = json.dumps(records, ensure_ascii=ensure_ascii)
        expected = Accepted(records)
        assert outcome(core, [text]) == expected
        assert outcome(core, [text[i : i + 8] for i in range(0, len(text), 8)]) == expected
        data = text.encode()
        assert outcome(core, [data[i : i + 5] for i in range(0, len(data), 5)]) == expected


def test_number_types(core: ModuleType) -> None:
    value = parse(core, b"[1, 1.0, -0, -0.0, 1e400, -1e400, 1e-400, 10E1]")
    assert isinstance(value, Accepted)
    assert [type(item) for item in value.value] == [
        int,
        float,
        int,
        float,
        float,
        float,
        float,
        float,
    ]
    assert repr(value.value) == "[1, 1.0, 0, -0.0, inf, -inf, 0.0, 100.0]"


# --------------------------------------------------------------------------------------------
# Surrogate escapes: pairs combine, anything unpaired becomes U+FFFD.

SURROGATES = [
    ('"\\uD83D\\uDE00"', "\U0001f600"),
    ('"\\ud83d\\ude00"', "\U0001f600"),
    ('"\\uDBFF\\uDFFF"', "\U0010ffff"),
    ('"\\uD800\\u0041"', "\ufffdA"),
    ('"\\uD800\\uD800\\uDC00"', "\ufffd\U00010000"),
    ('"\\uD800x"', "\ufffdx"),
    ('"\\uDC00"', "\ufffd"),
    ('"\\uD800"', "\ufffd"),
    ('"\\uD800\\n"', "\ufffd\n"),
    ('"\\uD800\\uD800"', "\ufffd\ufffd"),
    ('"\\uDC00\\uD800"', "\ufffd\ufffd"),
    ('"\\uD800\u00e9"', "\ufffd\u00e9"),
    ('"a\\uDFFFb"', "a\ufffdb"),
    ('{"\\uD800": "\\uDC00"}', {"\ufffd": "\ufffd"}),
]


@pytest.mark.parametrize(("text", "value"), SURROGATES)
def test_surrogate_escapes(core: ModuleType, text: str, value: object) -> None:
    assert_outcome_everywhere(core, text.encode(), Accepted(value))


# --------------------------------------------------------------------------------------------
# Input: str and bytes fragments.


def test_str_fragments_split_escapes_and_astral_characters(core: ModuleType) -> None:
    text = '{"k\u00e9y": ["\\u00e9\\ud83d\\ude00", "\U0001f600\u20ac", "\\n\\"\\\\"]}'
    expected = json.loads(text)
    for cut in range(len(text) + 1):
        assert outcome(core, [text[:cut], text[cut:]]) == Accepted(expected), cut
    assert outcome(core, list(text)) == Accepted(expected)


def test_str_positions_count_utf8_bytes(core: ModuleType) -> None:
    text = '["\u00e9\U0001f600", x]'
    assert parse(core, text) == syntax("a value", "'x'", 11)
    assert outcome(core, list(text)) == syntax("a value", "'x'", 11)


def test_lone_surrogates_in_str_input(core: ModuleType) -> None:
    # Encoded with surrogatepass: ED A0 80 is invalid UTF-8 inside a string ...
    assert parse(core, '["\ud800"]') == utf8(2)
    # ... and an unexpected byte outside one; halves of a pair fed apart do not pair up.
    assert parse(core, "[\ud800]") == syntax("a value or ']'", "byte 0xed", 1)
    assert outcome(core, ['"\ud83d', '\ude00"']) == utf8(1)


def test_mixed_str_and_bytes_fragments(core: ModuleType) -> None:
    assert outcome(core, [b'["\xc3', "\u00a9", b'\xa9"]']) == utf8(2)
    assert outcome(core, [b'["\xc3\xa9', '\u00e9"', b"]"]) == Accepted(["\u00e9\u00e9"])


@pytest.mark.parametrize("char", ["\u00e9", "\u20ac", "\uffff", "\U0001f600", "\U0010ffff"])
def test_bytes_split_inside_utf8_characters(core: ModuleType, char: str) -> None:
    data = f'["{char}", {{"{char}{char}": "a{char}"}}]'.encode()
    assert_outcome_everywhere(core, data, Accepted(json.loads(data)))


def test_cr_lf_split(core: ModuleType) -> None:
    assert_outcome_everywhere(core, b"\r\n[\r\n1\r\n]\r\n", Accepted([1]))


# --------------------------------------------------------------------------------------------
# partial(): the spec's examples, one by one.

PARTIALS: list[tuple[Data, object]] = [
    (b"", None),
    (b"  \n", None),
    (b"[1, 2", [1]),
    (b"42", None),
    (b"42 ", 42),
    (b"-", None),
    (b"[tru", []),
    (b"[true", [True]),
    (b"[fals", []),
    (b"[null", [None]),
    (b"nul", None),
    (b'{"a', {}),
    (b'{"a"', {}),
    (b'{"a": ', {}),
    (b'{"a": "', {"a": ""}),
    (b'{"a": [', {"a": []}),
    (b'{"a": 1', {}),
    (b'{"a": 1,', {"a": 1}),
    (b'{"a": 1, "b', {"a": 1}),
    (b'{"a": t', {}),
    (b'{"a": {"b": ', {"a": {}}),
    (b'{"a": [1, {"b": "c', {"a": [1, {"b": "c"}]}),
    (b'"abc', "abc"),
    (b'"', ""),
    (b'["ab\\', ["ab"]),
    (b'["ab\\u00', ["ab"]),
    (b'["ab\\u00e9', ["ab\u00e9"]),
    (b'["a\\ud83d', ["a"]),
    (b'["a\\ud83d\\', ["a"]),
    (b'["a\\ud83d\\ude', ["a"]),
    (b'["a\\ud83d\\ude00', ["a\U0001f600"]),
    (b'["a\\ud83dx', ["a\ufffdx"]),
    (b'["a\xc3', ["a"]),
    (b'["a\xf0\x9f\x98', ["a"]),
    (b'["a\xf0\x9f\x98\x80', ["a\U0001f600"]),
    (b"[1.5", []),
    (b"[1.5,", [1.5]),
    (b"[[1, [2", [[1, []]]),
    (b"[[], {}", [[], {}]),
    (b'{"a": 1, "a": [', {"a": []}),
    (b"[1]", [1]),
]


@pytest.mark.parametrize(("data", "expected"), PARTIALS, ids=[repr(row[0]) for row in PARTIALS])
def test_partial_examples(core: ModuleType, data: Data, expected: object) -> None:
    stream = core.JsonStream()
    stream.feed(data)
    assert same_value(stream.partial(), expected)
    # However the same bytes arrived.
    raw = data if isinstance(data, bytes) else data.encode()
    for chunks in all_ways(raw):
        stream = core.JsonStream()
        for chunk in chunks:
            stream.feed(chunk)
        assert same_value(stream.partial(), expected), [len(chunk) for chunk in chunks]


def test_partial_returns_fresh_open_containers(core: ModuleType) -> None:
    stream = core.JsonStream()
    stream.feed(b'{"a": [1, {"b": [2')
    first = stream.partial()
    assert first == {"a": [1, {"b": []}]}
    assert isinstance(first, dict)
    first["a"].append("mutated")
    first["a"][1]["b"].append("mutated")
    first["z"] = 0
    assert stream.partial() == {"a": [1, {"b": []}]}
    stream.feed(b"]}]}")
    assert stream.finish() == {"a": [1, {"b": [2]}]}


def test_partial_once_complete_is_the_value(core: ModuleType) -> None:
    stream = core.JsonStream()
    stream.feed(b'{"a": [1, "b"]}')
    assert stream.partial() == {"a": [1, "b"]}
    assert stream.partial() == stream.finish()


def test_partial_grows_with_a_long_string(core: ModuleType) -> None:
    text = "\u00e9t\u00e9 \U0001f600 " * 200
    data = json.dumps({"text": text}, ensure_ascii=False).encode()
    stream = core.JsonStream()
    previous = ""
    for start in range(0, len(data), 7):
        stream.feed(data[start : start + 7])
        partial = stream.partial()
        assert isinstance(partial, dict)
        current = partial.get("text", "")
        assert current.startswith(previous)
        assert text.startswith(current)
        previous = current
    assert stream.finish() == {"text": text}
