"""Properties of ``JsonStream`` on generated input (hypothesis), on both backends.

* a serialized value, split anywhere, parses to what ``json.loads`` gives;
* ``partial()`` at every fragment boundary is a prefix of the final value (``is_prefix``), and
  of the next ``partial()``;
* arbitrary bytes raise nothing but ``StreamDecodeError``, whatever the split;
* the native and pure-Python backends agree on values, partial values, error classes,
  messages, positions and excerpts.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_helpers import Accepted, Rejected, outcome, same_value

from conftest import BACKENDS
from fluent_ai.errors import StreamDecodeError

# `core` is a module (stateless), so sharing it between examples is fine.
HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=HEALTH)

# Values json.dumps / json.loads round-trip exactly (no NaN; text without lone surrogates).
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.text(alphabet=st.sampled_from('"\\/\b\f\n\r\t\x00\x1f\u00e9\u2028\U0001f600 a'))
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=40,
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[Any, bytes]:
    """A value and one of its serializations (escaped or raw UTF-8, compact or indented)."""
    value = draw(values)
    text = json.dumps(
        value,
        ensure_ascii=draw(st.booleans()),
        indent=draw(st.sampled_from([None, 0, 2, "\t", " \r\n"])),
    )
    before = draw(st.sampled_from(["", " ", "\n\t"]))
    after = draw(st.sampled_from(["", " ", "\r\n"]))
    return value, (before + text + after).encode()


@st.composite
def cuts(draw: st.DrawFn, data: bytes) -> list[bytes]:
    points = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


def is_prefix(part: object, whole: object) -> bool:
    """Whether ``part`` is what ``partial()`` may show of ``whole`` before it is complete.

    Same type; a list: the elements but the last are equal, the last a prefix; an object: its
    keys are an ordered prefix of the final keys, the values but the last equal, the last a
    prefix; a string: a prefix of the final string; any other value: equal.
    """
    if type(part) is not type(whole):
        return False
    if isinstance(part, str):
        assert isinstance(whole, str)
        return whole.startswith(part)
    if isinstance(part, list):
        assert isinstance(whole, list)
        if len(part) > len(whole):
            return False
        if not part:
            return True
        return all(same_value(a, b) for a, b in zip(part[:-1], whole)) and is_prefix(
            part[-1], whole[len(part) - 1]
        )
    if isinstance(part, dict):
        assert isinstance(whole, dict)
        keys = list(part)
        if keys != list(whole)[: len(keys)]:
            return False
        if not keys:
            return True
        return all(same_value(part[k], whole[k]) for k in keys[:-1]) and is_prefix(
            part[keys[-1]], whole[keys[-1]]
        )
    return same_value(part, whole)


def check_document(core: ModuleType, value: Any, chunks: list[bytes]) -> None:
    expected = json.loads(b"".join(chunks))
    assert same_value(value, expected)
    stream = core.JsonStream()
    previous: object = None
    for chunk in chunks:
        stream.feed(chunk)
        partial = stream.partial()
        assert previous is None or is_prefix(previous, partial), (previous, partial)
        assert partial is None or is_prefix(partial, expected), (partial, expected)
        previous = partial
    assert same_value(stream.finish(), expected)
    assert stream.complete


@SETTINGS
@given(data=st.data())
def test_split_documents_parse_like_json_loads(core: ModuleType, data: st.DataObject) -> None:
    value, document = data.draw(documents())
    check_document(core, value, data.draw(cuts(document)))


@settings(max_examples=60, deadline=None, suppress_health_check=HEALTH)
@given(document=documents())
def test_partial_at_every_prefix(core: ModuleType, document: tuple[Any, bytes]) -> None:
    value, data = document
    check_document(core, value, [data[i : i + 1] for i in range(len(data))])


@SETTINGS
@given(data=st.data())
def test_str_fragments(core: ModuleType, data: st.DataObject) -> None:
    value = data.draw(values)
    text = json.dumps(value, ensure_ascii=data.draw(st.booleans()))
    points = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    bounds = [0, *points, len(text)]
    pieces = [text[a:b] for a, b in zip(bounds, bounds[1:])]
    assert outcome(core, pieces) == Accepted(json.loads(text))


# Bytes that reach every state of the parser when shuffled together.
TOKENS = [
    b"[", b"]", b"{", b"}", b'"', b":", b",", b" ", b"\n", b"\\", b"\\u", b"\\ud83d", b"\\ude00",
    b"\\n", b"-", b"0", b"7", b".", b"e", b"E", b"+", b"true", b"fals", b"null", b"t", b"a",
    b"\xc3\xa9", b"\xc3", b"\xa9", b"\xe2\x82", b"\xac", b"\xf0\x9f\x98\x80", b"\xed\xa0\x80",
    b"\xff", b"\x00", b"\x1f", b'"k":', b"12", b"1e400",
]  # fmt: skip
noise = st.binary(max_size=64) | st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join)


def run(core: ModuleType, chunks: list[bytes | str], **options: int) -> list[object]:
    """Everything observable about one run: partial values, feed results and the outcome."""
    stream = core.JsonStream(**options)
    seen: list[object] = []
    try:
        for chunk in chunks:
            seen.append(stream.feed(chunk))
            seen.append(Accepted(stream.partial()))
        seen.append(Accepted(stream.finish()))
    except StreamDecodeError as error:
        seen.append(Rejected(type(error), error.message, error.position))
        seen.append(error.excerpt)
        seen.append(getattr(error, "limit", None))
        seen.append(Accepted(stream.partial()))
    seen.append((stream.complete, stream.position))
    return seen


@SETTINGS
@given(data=st.data())
def test_arbitrary_bytes_raise_only_decode_errors(core: ModuleType, data: st.DataObject) -> None:
    blob = data.draw(noise)
    whole = outcome(core, [blob], max_depth=8)
    split = outcome(core, data.draw(cuts(blob)), max_depth=8)
    assert split == whole
    if isinstance(whole, Accepted):
        assert same_value(whole.value, loads_with_replacement(blob))


def loads_with_replacement(data: bytes) -> object:
    """``json.loads``, with the lone surrogates it keeps replaced by U+FFFD like JsonStream."""

    def walk(value: object) -> object:
        if isinstance(value, str):
            return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {walk(key): walk(item) for key, item in value.items()}
        return value

    return walk(json.loads(data))


@SETTINGS
@given(data=st.data())
def test_native_agrees_with_purepy(data: st.DataObject) -> None:
    """Same observations on both backends, for garbage and for valid documents."""
    blob = data.draw(noise) if data.draw(st.booleans()) else data.draw(documents())[1]
    chunks = [as_text_maybe(chunk, data.draw(st.booleans())) for chunk in data.draw(cuts(blob))]
    options = data.draw(
        st.fixed_dictionaries(
            {}, optional={"max_depth": st.integers(0, 6), "max_bytes": st.integers(0, 80)}
        )
    )
    native = run(BACKENDS["native"], chunks, **options)
    python = run(BACKENDS["python"], chunks, **options)
    assert native == python


def as_text_maybe(chunk: bytes, wanted: bool) -> bytes | str:
    """The chunk as ``str`` when ``wanted`` and it decodes (lone surrogates allowed: the
    native backend reads ``str`` through a different path, which must agree)."""
    if wanted:
        try:
            return chunk.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            pass
    return chunk
