"""Hypothesis strategies that turn seeds into hostile inputs: byte-level mutations, JSON-aware
mutations inside SSE/NDJSON frames and event-stream messages (re-framed with valid CRCs so the
dialect code behind the framer is reached), adversarial depth and size, and random splits."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import struct
import zlib
from typing import Any

from hypothesis import strategies as st

from .corpus import Seed

# Bytes that matter to some decoder: line ends, field syntax, JSON structure, escapes, UTF-8
# edge cases (overlong, CESU surrogates, out of range, BOM), event-stream-looking lengths.
TOKENS = (
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\r\n\r\n",
    b"data: ",
    b"data:",
    b"event: ",
    b"id: ",
    b"retry: 10",
    b": comment\n",
    b"data: [DONE]\n\n",
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"\\",
    b",",
    b":",
    b"null",
    b"true",
    b"-0",
    b"1e400",
    b"-1e-400",
    b"0.1e",
    b"12345678901234567890",
    b"\\u",
    b"\\ud800",
    b"\\udc00",
    b"\\ud83d\\ude00",
    b"\x00",
    b"\x1f",
    b"\x7f",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xef\xbb\xbf",
    b"\xe2\x82",
    b"\xff",
    b"\x00\x00\x00\x10",
    b"\xff\xff\xff\xff",
)
# Values a JSON-aware mutation puts in place of another: wrong types, edges, big numbers.
ODD_VALUES: tuple[Any, ...] = (
    None,
    0,
    -1,
    1.5,
    -0.0,
    2**63,
    2**70,
    -(2**64),
    1e308,
    "",
    "x",
    "\u0000",
    "\ud800",
    "é€😀",
    True,
    False,
    [],
    {},
    [None],
    {"": None},
    "stop",
    "tool_calls",
    "length",
    "end_turn",
    "function",
    "text",
    "thinking",
    "tool_use",
    "STOP",
    "MAX_TOKENS",
)
# FUZZ_MAX_DEPTH caps the nesting (to look for other findings while a depth fix is pending).
DEPTHS = tuple(
    depth
    for depth in (2, 16, 255, 256, 257, 1_000, 2_500, 10_000, 100_000, 250_000)
    if depth <= int(os.environ.get("FUZZ_MAX_DEPTH", "") or 10**9)
)
OPENERS = (b"[", b'{"a":', b'{"args":[', b'[{"x":')


def _apply_bytes(rng: random.Random, data: bytes, others: list[bytes]) -> bytes:
    """One byte-level mutation."""
    buf = bytearray(data)
    op = rng.randrange(9)
    at = rng.randint(0, len(buf))
    if op == 0 and buf:  # flip a byte
        buf[min(at, len(buf) - 1)] = rng.randrange(256)
    elif op == 1:  # insert a token
        buf[at:at] = rng.choice(TOKENS)
    elif op == 2 and buf:  # delete a range
        del buf[at : at + rng.randint(1, 64)]
    elif op == 3 and buf:  # duplicate a range elsewhere
        start = rng.randrange(len(buf))
        piece = bytes(buf[start : start + rng.randint(1, 256)])
        buf[at:at] = piece * rng.randint(1, 4)
    elif op == 4 and others:  # splice another seed
        other = rng.choice(others)
        start = rng.randint(0, len(other))
        buf[at:at] = other[start : start + rng.randint(0, 2048)]
    elif op == 5:  # truncate
        del buf[at:]
    elif op == 6:  # adversarial depth
        opener = rng.choice(OPENERS)
        buf[at:at] = opener * rng.choice(DEPTHS)
    elif op == 7:  # adversarial size: a long run of one byte
        run = rng.choice((1_000, 70_000, 1_100_000))
        buf[at:at] = bytes([rng.choice(b'a "\\0[{\n\xc3')]) * run
    elif len(buf) > 1:  # swap two bytes
        i, j = rng.randrange(len(buf)), rng.randrange(len(buf))
        buf[i], buf[j] = buf[j], buf[i]
    return bytes(buf)


def _mutate_value(rng: random.Random, value: Any, deep: bool = False) -> Any:
    """A copy of a parsed JSON value with one node replaced, removed or nested deeply (always
    nested when ``deep``)."""
    nodes: list[tuple[Any, Any]] = []  # (container, key)
    stack = [value]
    while stack and len(nodes) < 5_000:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                nodes.append((item, key))
                stack.append(child)
        elif isinstance(item, list):
            for index, child in enumerate(item):
                nodes.append((item, index))
                stack.append(child)
    if not nodes:
        return rng.choice(ODD_VALUES)
    container, key = rng.choice(nodes)
    op = 1 if deep else rng.randrange(6)
    if op == 0 and isinstance(container, dict):
        del container[key]
    elif op == 1:  # deep nesting in place of the node (written by ``dumps``)
        container[key] = f"__fuzz_deep_{rng.choice(('list', 'object'))}_{rng.choice(DEPTHS)}__"
    elif op == 2 and isinstance(container, dict):  # a neighbour's name
        container[
            rng.choice(
                [
                    "type",
                    "index",
                    "id",
                    "name",
                    "text",
                    "delta",
                    "content",
                    "arguments",
                    "args",
                    "input",
                    "partialArgs",
                    "willContinue",
                    "finish_reason",
                    "usage",
                    "error",
                    "done",
                ]
            )
        ] = container[key]
    elif op == 3 and isinstance(container[key], str):  # split / grow a string
        text = container[key]
        tail = rng.choice(["", "é", "\ud83d", "\x00", '"', "{"])
        container[key] = text[: rng.randint(0, len(text))] + tail
    else:
        container[key] = rng.choice(ODD_VALUES)
    return value


_DEEP = re.compile(rb'"__fuzz_deep_(list|object)_(\d+)__"')


def _nested(match: re.Match[bytes]) -> bytes:
    depth = int(match.group(2))
    if match.group(1) == b"list":
        return b"[" * depth + b"1" + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


def dumps(rng: random.Random, value: Any) -> bytes:
    """JSON text of a mutated value; deep-nesting markers become the nesting itself (built as
    text: the stdlib encoder would recurse)."""
    text = json.dumps(value, ensure_ascii=rng.random() < 0.3, separators=(",", ":"))
    return _DEEP.sub(_nested, text.encode("utf-8", "surrogatepass"))


def _frame_json(
    rng: random.Random, data: bytes, separator: bytes, prefix: bytes, deep: bool
) -> bytes:
    """JSON-aware mutation of some frames of an SSE (``data:`` lines) or NDJSON stream."""
    lines = data.split(separator)
    candidates = [
        i
        for i, line in enumerate(lines)
        if line.strip().startswith(prefix + b"{") or line.strip().startswith(prefix + b"[")
    ]
    if not candidates:
        return data
    for _ in range(1 if deep else rng.randint(1, 6)):
        i = rng.choice(candidates)
        text = lines[i].strip()[len(prefix) :]
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            continue
        lines[i] = prefix + dumps(rng, _mutate_value(rng, value, deep))
    return separator.join(lines)


def _eventstream_messages(data: bytes) -> list[tuple[bytes, bytes]] | None:
    """(raw headers, payload) of each well-formed message, or None."""
    messages = []
    at = 0
    while at + 16 <= len(data):
        total, headers_length = struct.unpack_from(">II", data, at)
        if total < 16 or at + total > len(data):
            return None
        headers = data[at + 12 : at + 12 + headers_length]
        payload = data[at + 12 + headers_length : at + total - 4]
        messages.append((headers, payload))
        at += total
    return messages if at == len(data) and messages else None


def encode_message(headers: bytes, payload: bytes) -> bytes:
    """An AWS event-stream message with correct lengths and CRCs."""
    total = 16 + len(headers) + len(payload)
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


def _eventstream_json(rng: random.Random, data: bytes, deep: bool) -> bytes:
    """JSON-aware mutation of the payloads of a valid event stream, re-framed."""
    messages = _eventstream_messages(data)
    if messages is None:
        return data
    out = []
    for headers, payload in messages:
        body = payload
        if rng.random() < 0.4 and payload.startswith(b"{"):
            with contextlib.suppress(ValueError, RecursionError):
                body = dumps(rng, _mutate_value(rng, json.loads(payload), deep))
        out.append(encode_message(headers, body))
    if rng.random() < 0.2:  # reorder or repeat messages
        if rng.random() < 0.5:
            rng.shuffle(out)
        else:
            out.insert(rng.randrange(len(out)), rng.choice(out))
    return b"".join(out)


def mutate(rng: random.Random, seed: Seed, others: list[bytes], deep: bool = False) -> bytes:
    """A hostile variant of ``seed``: JSON-aware (most of the time) then byte-level changes.
    ``deep``: only one member of one frame, replaced by deep nesting (a frame that stays valid
    JSON reaches the code that converts values, where unbounded recursion would crash)."""
    data = seed.data
    if deep or rng.random() < 0.6:
        if data[:4] != b"data" and _eventstream_messages(data) is not None:
            data = _eventstream_json(rng, data, deep)
        elif b"data:" in data:
            prefix = b"data: " if b"data: " in data else b"data:"
            data = _frame_json(rng, data, b"\n", prefix, deep)
        else:
            data = _frame_json(rng, data, b"\n", b"", deep)
        if deep:
            return data
    for _ in range(rng.choice((0, 0, 1, 1, 2, 4, 8))):
        data = _apply_bytes(rng, data, others)
    return data


def inputs(seeds: tuple[Seed, ...], everything: tuple[Seed, ...]) -> st.SearchStrategy[bytes]:
    """Mutated seeds (mostly of ``seeds``, sometimes of any kind), or raw random bytes."""
    others = [s.data for s in everything]

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        if draw(st.integers(0, 19)) == 0:
            return draw(st.binary(max_size=512))
        pool = seeds if draw(st.integers(0, 9)) else everything
        seed = draw(st.sampled_from(pool))
        rng = draw(st.randoms(use_true_random=False))
        return mutate(rng, seed, others, deep=draw(st.integers(0, 4)) == 0)

    return build()


def cuts(size: int) -> st.SearchStrategy[list[int]]:
    """Split points: none, a few random ones, or (for small inputs) every byte."""
    few = st.lists(st.integers(0, max(size, 0)), max_size=12)
    if size <= 4096:
        return st.one_of(few, st.just(list(range(size + 1))))
    return few
