"""JSONTestSuite (``conformance/json/``) through ``JsonStream``: whole, bytewise, split in two.

``y_`` files must parse to what ``json.loads`` gives (same types too), ``n_`` files must be
rejected with a ``StreamDecodeError``, and each ``i_`` file follows the policy written down in
``IMPLEMENTATION_DEFINED`` below (from ``notes/json-spec.md``). Whatever the split, the outcome
(the value, or the error's class, message and position) is the one of the whole input.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from json_helpers import Accepted, Outcome, Rejected, outcome

from chunking import bytewise, two_way_splits
from conftest import CONFORMANCE
from fluent_ai.errors import JsonStreamError, LimitExceeded

PARSING = CONFORMANCE / "json" / "test_parsing"
TRANSFORM = CONFORMANCE / "json" / "test_transform"
FILES = sorted(PARSING.iterdir())
# Larger files are split at this many evenly spaced points instead of everywhere.
LARGE = 4096
SPLIT_POINTS = 64

INVALID_UTF8 = "invalid JSON: invalid UTF-8 in string"
REPLACEMENT = "\ufffd"


def utf8_error(position: int) -> Rejected:
    return Rejected(JsonStreamError, INVALID_UTF8, position)


def unexpected(expected: str, found: str, position: int) -> Rejected:
    return Rejected(JsonStreamError, f"invalid JSON: expected {expected}, found {found}", position)


def nested(depth: int) -> object:
    value: list[object] = []
    for _ in range(depth - 1):
        value = [value]
    return value


# Our policy for each implementation-defined file (notes/json-spec.md): numbers out of range
# are valued like json.loads (inf, 0.0, big int); unpaired surrogate escapes become U+FFFD;
# invalid UTF-8, UTF-16 and a BOM are rejected; nesting follows max_depth (256 by default).
IMPLEMENTATION_DEFINED: dict[str, Outcome] = {
    "i_number_double_huge_neg_exp.json": Accepted([0.0]),
    "i_number_huge_exp.json": Accepted([float("inf")]),
    "i_number_neg_int_huge_exp.json": Accepted([float("-inf")]),
    "i_number_pos_double_huge_exp.json": Accepted([float("inf")]),
    "i_number_real_neg_overflow.json": Accepted([float("-inf")]),
    "i_number_real_pos_overflow.json": Accepted([float("inf")]),
    "i_number_real_underflow.json": Accepted([0.0]),
    "i_number_too_big_neg_int.json": Accepted([-123123123123123123123123123123]),
    "i_number_too_big_pos_int.json": Accepted([100000000000000000000]),
    "i_number_very_big_negative_int.json": Accepted(
        [-237462374673276894279832749832423479823246327846]
    ),
    "i_object_key_lone_2nd_surrogate.json": Accepted({REPLACEMENT: 0}),
    "i_string_1st_surrogate_but_2nd_missing.json": Accepted([REPLACEMENT]),
    "i_string_1st_valid_surrogate_2nd_invalid.json": Accepted([REPLACEMENT + "\u1234"]),
    "i_string_UTF-16LE_with_BOM.json": unexpected("a value", "byte 0xff", 0),
    "i_string_UTF-8_invalid_sequence.json": utf8_error(7),
    "i_string_UTF8_surrogate_U+D800.json": utf8_error(2),
    "i_string_incomplete_surrogate_and_escape_valid.json": Accepted([REPLACEMENT + "\n"]),
    "i_string_incomplete_surrogate_pair.json": Accepted([REPLACEMENT + "a"]),
    "i_string_incomplete_surrogates_escape_valid.json": Accepted([REPLACEMENT * 2 + "\n"]),
    "i_string_invalid_lonely_surrogate.json": Accepted([REPLACEMENT]),
    "i_string_invalid_surrogate.json": Accepted([REPLACEMENT + "abc"]),
    "i_string_invalid_utf-8.json": utf8_error(2),
    "i_string_inverted_surrogates_U+1D11E.json": Accepted([REPLACEMENT * 2]),
    "i_string_iso_latin_1.json": utf8_error(2),
    "i_string_lone_second_surrogate.json": Accepted([REPLACEMENT]),
    "i_string_lone_utf8_continuation_byte.json": utf8_error(2),
    "i_string_not_in_unicode_range.json": utf8_error(2),
    "i_string_overlong_sequence_2_bytes.json": utf8_error(2),
    "i_string_overlong_sequence_6_bytes.json": utf8_error(2),
    "i_string_overlong_sequence_6_bytes_null.json": utf8_error(2),
    "i_string_truncated-utf-8.json": utf8_error(2),
    "i_string_utf16BE_no_BOM.json": unexpected("a value", "byte 0x00", 0),
    "i_string_utf16LE_no_BOM.json": unexpected("a value or ']'", "byte 0x00", 1),
    "i_structure_500_nested_arrays.json": Rejected(
        LimitExceeded, "invalid JSON: nesting deeper than max_depth=256", 256
    ),
    "i_structure_UTF-8_BOM_empty_object.json": unexpected("a value", "byte 0xef", 0),
}


def splits(data: bytes) -> list[list[bytes]]:
    """Bytewise, then every two-way split (evenly spaced ones for large files)."""
    ways = [bytewise(data)]
    ways.extend(two_way_splits(data, SPLIT_POINTS if len(data) > LARGE else 0))
    return ways


def assert_split_independent(core: ModuleType, data: bytes, expected: Outcome) -> None:
    for chunks in splits(data):
        assert outcome(core, chunks) == expected, [len(chunk) for chunk in chunks]


def test_the_suite_is_complete() -> None:
    names = [path.name for path in FILES]
    assert sum(name.startswith("y_") for name in names) == 95
    assert sum(name.startswith("n_") for name in names) == 188
    assert sorted(name for name in names if name.startswith("i_")) == sorted(IMPLEMENTATION_DEFINED)


@pytest.mark.parametrize(
    "path", [p for p in FILES if p.name.startswith("y_")], ids=lambda p: p.name
)
def test_accepted(core: ModuleType, path: Path) -> None:
    data = path.read_bytes()
    expected = Accepted(json.loads(data))
    whole = outcome(core, [data])
    assert whole == expected
    assert_split_independent(core, data, expected)
    stream = core.JsonStream()
    stream.feed(data)
    stream.finish()
    assert stream.complete
    assert stream.position == len(data)


@pytest.mark.parametrize(
    "path", [p for p in FILES if p.name.startswith("n_")], ids=lambda p: p.name
)
def test_rejected(core: ModuleType, path: Path) -> None:
    data = path.read_bytes()
    whole = outcome(core, [data])
    assert isinstance(whole, Rejected)
    assert whole.kind in (JsonStreamError, LimitExceeded)
    assert 0 <= whole.position <= len(data)
    assert_split_independent(core, data, whole)


@pytest.mark.parametrize(
    "path", [p for p in FILES if p.name.startswith("i_")], ids=lambda p: p.name
)
def test_implementation_defined(core: ModuleType, path: Path) -> None:
    data = path.read_bytes()
    expected = IMPLEMENTATION_DEFINED[path.name]
    assert outcome(core, [data]) == expected
    assert_split_independent(core, data, expected)


def test_500_nested_arrays_within_a_larger_max_depth(core: ModuleType) -> None:
    data = (PARSING / "i_structure_500_nested_arrays.json").read_bytes()
    expected = Accepted(nested(500))
    assert outcome(core, [data], max_depth=1000) == expected
    assert outcome(core, bytewise(data), max_depth=1000) == expected
    assert outcome(core, [data], max_depth=500) == expected
    assert outcome(core, [data], max_depth=499) == Rejected(
        LimitExceeded, "invalid JSON: nesting deeper than max_depth=499", 499
    )


# test_transform/: inputs whose value is implementation-specific; these are ours.
TRANSFORMED: dict[str, Outcome] = {
    "number_-9223372036854775808.json": Accepted([-9223372036854775808]),
    "number_-9223372036854775809.json": Accepted([-9223372036854775809]),
    "number_1.0.json": Accepted([1.0]),
    "number_1.000000000000000005.json": Accepted([1.0]),
    "number_1000000000000000.json": Accepted([1000000000000000]),
    "number_10000000000000000999.json": Accepted([10000000000000000999]),
    "number_1e-999.json": Accepted([0.0]),
    "number_1e6.json": Accepted([1000000.0]),
    "number_9223372036854775807.json": Accepted([9223372036854775807]),
    "number_9223372036854775808.json": Accepted([9223372036854775808]),
    "object_key_nfc_nfd.json": Accepted({"\u00e9": "NFC", "e\u0301": "NFD"}),
    "object_key_nfd_nfc.json": Accepted({"e\u0301": "NFD", "\u00e9": "NFC"}),
    "object_same_key_different_values.json": Accepted({"a": 2}),
    "object_same_key_same_value.json": Accepted({"a": 1}),
    "object_same_key_unclear_values.json": Accepted({"a": 0}),
    "string_1_escaped_invalid_codepoint.json": Accepted([REPLACEMENT]),
    "string_1_invalid_codepoint.json": utf8_error(2),
    "string_2_escaped_invalid_codepoints.json": Accepted([REPLACEMENT * 2]),
    "string_2_invalid_codepoints.json": utf8_error(2),
    "string_3_escaped_invalid_codepoints.json": Accepted([REPLACEMENT * 3]),
    "string_3_invalid_codepoints.json": utf8_error(2),
    "string_with_escaped_NULL.json": Accepted(["A\x00B"]),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMED))
def test_transform(core: ModuleType, name: str) -> None:
    data = (TRANSFORM / name).read_bytes()
    expected = TRANSFORMED[name]
    assert outcome(core, [data]) == expected
    assert_split_independent(core, data, expected)


def test_transform_table_is_complete() -> None:
    assert sorted(path.name for path in TRANSFORM.iterdir()) == sorted(TRANSFORMED)
