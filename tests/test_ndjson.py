"""NdjsonDecoder on both backends: line splitting, JSON rules per line, errors, limits."""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chunking import bytewise, random_splits, two_way_splits
from fluent_ai import _core, _purepy
from fluent_ai.errors import JsonStreamError, LimitExceeded, StreamDecodeError

STREAM = b'{"model":"llama3.2","done":false}\r\n\n  \r\n[1,2.5,"\xc3\xa9"]\n{"done":true}'
EXPECTED = [{"model": "llama3.2", "done": False}, [1, 2.5, "é"], {"done": True}]


def decode(core: ModuleType, chunks: list[bytes], **options: int) -> list[object]:
    decoder = core.NdjsonDecoder(**options)
    values: list[object] = []
    for chunk in chunks:
        values.extend(decoder.feed(chunk))
    values.extend(decoder.finish())
    return values


def test_lines_crlf_blank_lines_and_a_last_line_without_newline(core: ModuleType) -> None:
    assert decode(core, [STREAM]) == EXPECTED
    assert decode(core, bytewise(STREAM)) == EXPECTED
    for chunks in two_way_splits(STREAM):
        assert decode(core, chunks) == EXPECTED


def test_values_come_from_the_feed_that_completes_the_line(core: ModuleType) -> None:
    decoder = core.NdjsonDecoder()
    assert decoder.feed(b'{"a": 1}\n{"b"') == [{"a": 1}]
    assert decoder.feed(b": 2}") == []
    assert decoder.feed(b"\n") == [{"b": 2}]
    assert decoder.finish() == []
    assert decoder.position == len(b'{"a": 1}\n{"b": 2}\n')


def test_invalid_line_raises_with_the_line_offset(core: ModuleType) -> None:
    decoder = core.NdjsonDecoder()
    assert decoder.feed(b"{}\n") == [{}]
    with pytest.raises(JsonStreamError) as caught:
        decoder.feed(b'{"a": [1,]}\n')
    error = caught.value
    assert error.position == 3
    assert error.message == (
        "invalid JSON on the NDJSON line starting at byte 3: "
        "expected a value, found ']' (byte 9 of the line)"
    )
    # The decoder stays failed: later calls raise the same error.
    with pytest.raises(JsonStreamError) as again:
        decoder.feed(b"{}\n")
    assert (again.value.message, again.value.position) == (error.message, error.position)
    with pytest.raises(JsonStreamError):
        decoder.finish()


@pytest.mark.parametrize(
    "line",
    [b"NaN", b"[Infinity]", b'"\x01"', b"\xef\xbb\xbf{}", b"[1] x", b'{"a" 1}', b'"\xed\xa0\x80"'],
)
def test_lines_follow_jsonstream_rules(core: ModuleType, line: bytes) -> None:
    with pytest.raises(JsonStreamError) as caught:
        decode(core, [b"\n" + line + b"\n"])
    assert caught.value.position == 1


def test_unterminated_invalid_last_line_raises_at_finish(core: ModuleType) -> None:
    decoder = core.NdjsonDecoder()
    assert decoder.feed(b"{}\n[1, 2") == [{}]
    with pytest.raises(JsonStreamError) as caught:
        decoder.finish()
    assert caught.value.position == 3
    assert "unexpected end of input" in caught.value.message


def test_edge_values_agree_with_jsonstream(core: ModuleType) -> None:
    big = "9" * 5000
    deep = "[" * 512 + "]" * 512
    lines = [
        b'"\\ud800x"',
        b'"\\ud83d\\ude00"',
        deep.encode(),
        b"1e400",
        b"-0",
        b"12345678901234567890123",
    ]
    values = decode(core, [b"\n".join(lines)])
    assert values[0] == "\ufffdx"
    assert values[1] == "\U0001f600"
    assert values[3] == float("inf")
    assert values[4] == 0 and isinstance(values[4], int)
    assert values[5] == 12345678901234567890123
    with pytest.raises(LimitExceeded) as caught:
        decode(core, [b"{}\n" + big.encode() + b"\n"])
    assert (caught.value.position, caught.value.limit) == (3, 4300)


def test_line_limit_is_exact_and_raised_by_the_crossing_feed(core: ModuleType) -> None:
    assert decode(core, [b"[1,2]\n[3,4]"], max_line_bytes=5) == [[1, 2], [3, 4]]
    decoder = core.NdjsonDecoder(max_line_bytes=5)
    decoder.feed(b"{}\n[1,2")
    decoder.feed(b"]")
    with pytest.raises(LimitExceeded) as caught:
        decoder.feed(b"]")
    assert (caught.value.position, caught.value.limit) == (8, 5)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(json_values, min_size=1, max_size=6),
    seed=st.integers(0, 2**32),
    crlf=st.booleans(),
)
def test_any_split_gives_the_values_on_both_backends(
    values: list[object], seed: int, crlf: bool
) -> None:
    end = b"\r\n" if crlf else b"\n"
    stream = end.join(json.dumps(value, ensure_ascii=False).encode() for value in values) + end
    expected = json.loads("[" + ",".join(json.dumps(v) for v in values) + "]")
    for core in (_core, _purepy):
        assert decode(core, random_splits(stream, seed)) == expected


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=60), seed=st.integers(0, 2**32))
def test_random_bytes_fail_the_same_way_on_both_backends(data: bytes, seed: int) -> None:
    outcomes = []
    for core in (_core, _purepy):
        try:
            outcomes.append(("ok", decode(core, random_splits(data, seed))))
        except StreamDecodeError as error:
            outcomes.append((type(error).__name__, error.message, error.position))
    assert outcomes[0] == outcomes[1]
