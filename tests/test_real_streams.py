"""Real recorded provider streams (``shared/real``, listed with source and licence in its
MANIFEST.json) through ``StreamDecoder`` on both backends and every split, checked against
the providers' own SDKs where one can accumulate a stream (openai, anthropic, botocore)."""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from anthropic._models import construct_type as anthropic_construct
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import RawMessageStreamEvent
from botocore.eventstream import EventStreamBuffer
from dialect_checks import all_splits
from openai._models import construct_type as openai_construct
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk
from streams import check_invariants, decode, error_summary

from chunking import random_splits
from conftest import SHARED
from fluent_ai.errors import StreamTruncated

# The bytes live in the steering repository's shared/ (see tests/data/real/README.md); the
# manifest here pins each file by its SHA-256.
REAL = SHARED / "real"

# The bytes are not in this repository (see tests/data/real/README.md): without shared/real
# beside the checkout these tests cannot run, and say so.
pytestmark = pytest.mark.skipif(
    not (SHARED / "real").is_dir(),
    reason="recorded provider streams: ../shared/real is absent (tests/data/real/README.md)",
)
MANIFEST_PATH = Path(__file__).parent / "data" / "real" / "MANIFEST.json"
MANIFEST = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["streams"]
DIALECTS = {"openai-chat", "openai-responses", "anthropic", "gemini", "bedrock", "cohere"}


def entries(dialect: str | None = None) -> list[Any]:
    chosen = [e for e in MANIFEST if dialect is None or e["dialect"] == dialect]
    return [pytest.param(e, id=e["file"]) for e in chosen]


def data_of(entry: dict[str, Any]) -> bytes:
    return (REAL / entry["file"]).read_bytes()


def splits(data: bytes) -> list[list[bytes]]:
    """Whole, byte by byte (7-byte pieces past 64 KiB, to bound the time) and random."""
    if len(data) <= 64 * 1024:
        return all_splits(data)
    sevens = [data[i : i + 7] for i in range(0, len(data), 7)]
    return [[data], sevens, *[random_splits(data, seed, 64) for seed in range(3)]]


def test_manifest_covers_every_dialect_and_names_its_sources() -> None:
    assert {e["dialect"] for e in MANIFEST} >= DIALECTS
    for entry in MANIFEST:
        data = (REAL / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        for key in ("source_repository", "source_path", "licence", "provider", "exact", "how"):
            assert entry[key] not in (None, ""), (entry["file"], key)
    assert len(MANIFEST) >= 700


@pytest.mark.parametrize("entry", entries())
def test_every_split_decodes_to_the_same_complete_stream(
    core: ModuleType, entry: dict[str, Any]
) -> None:
    data = data_of(entry)
    whole = decode(core, entry["dialect"], [data])
    # Every recorded stream is a complete response: nothing truncated, nothing invalid.
    assert whole.error is None, whole.error
    check_invariants(whole)
    assert whole.of("Finish"), "a Finish ends the stream"
    for chunks in splits(data)[1:]:
        result = decode(core, entry["dialect"], chunks)
        assert result.plain() == whole.plain()
        assert error_summary(result.error) == error_summary(whole.error)


# --- openai-chat: the openai SDK's ChatCompletionStreamState ---------------------------


def sse_data(data: bytes) -> list[str]:
    """The data of each SSE block (a plain reading: blocks end at a blank line)."""
    text = data.decode("utf-8").replace("\r\n", "\n")
    blocks = []
    for block in text.split("\n\n"):
        lines = [line[5:] for line in block.split("\n") if line.startswith("data:")]
        lines = [line[1:] if line.startswith(" ") else line for line in lines]
        if lines:
            blocks.append("\n".join(lines))
    return blocks


def chat_direct(data: bytes) -> dict[str, Any]:
    """The chunks read plainly: choice 0's text (string or list-form content), reasoning,
    calls by index (a call without one continues the latest), finish word and usage."""
    text, reasoning, finish, usage = [], [], None, None
    calls: dict[Any, list[Any]] = {}
    for payload in sse_data(data):
        if payload.strip() == "[DONE]":
            break
        chunk = json.loads(payload)
        if chunk.get("error") is not None:
            return {"error": chunk["error"]}
        usage = chunk.get("usage") or (chunk.get("x_groq") or {}).get("usage") or usage
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            reasoning.append(delta.get("reasoning_content") or delta.get("reasoning") or "")
            content = delta.get("content")
            if isinstance(content, list):
                for part in content:
                    if part.get("type") == "text":
                        text.append(part["text"])
                    elif part.get("type") == "thinking":
                        reasoning += [t["text"] for t in part["thinking"]]
            else:
                text.append(content or "")
                text.append(delta.get("refusal") or "")
            for call in delta.get("tool_calls") or []:
                key = call.get("index")
                if key is None:
                    key = ("new", len(calls)) if call.get("id") or not calls else list(calls)[-1]
                entry = calls.setdefault(key, [None, None, ""])
                function = call.get("function") or {}
                entry[0] = entry[0] or call.get("id")
                entry[1] = entry[1] or function.get("name")
                entry[2] += function.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    return {
        "text": "".join(text),
        "reasoning": "".join(reasoning),
        "calls": [(i, n, json.loads(a or "{}")) for i, n, a in calls.values()],
        "finish": finish,
        "usage": usage,
    }


def chat_sdk(data: bytes) -> dict[str, Any] | None:
    """What the openai SDK's ``ChatCompletionStreamState`` accumulates for choice 0, or
    None when it cannot read the stream (chunks beyond its model: list-form content, calls
    without ``index``, annotation lists without ``index``) or reads it wrongly: it joins an
    id or name that a server repeats in every delta (OpenRouter's Novita route does)."""
    named: set[Any] = set()
    for payload in sse_data(data):
        if payload.strip() == "[DONE]":
            break
        for choice in json.loads(payload).get("choices") or []:
            for call in (choice.get("delta") or {}).get("tool_calls") or []:
                if (call.get("function") or {}).get("name"):
                    if call.get("index") in named:
                        return None
                    named.add(call.get("index"))

    state: Any = ChatCompletionStreamState()
    try:
        with warnings.catch_warnings():
            # Pydantic warns where a chunk holds what the SDK's model does not (a list).
            warnings.simplefilter("error")
            for payload in sse_data(data):
                if payload.strip() == "[DONE]":
                    break
                chunk = json.loads(payload)
                if chunk.get("error") is not None:
                    return None
                state.handle_chunk(openai_construct(type_=ChatCompletionChunk, value=chunk))
            completion = state.current_completion_snapshot
    except (TypeError, KeyError, RuntimeError, AssertionError, UserWarning):
        return None
    choice = next(c for c in completion.choices if c.index == 0)
    return {
        "text": (choice.message.content or "") + (choice.message.refusal or ""),
        "calls": [
            (c.id, c.function.name, json.loads(c.function.arguments or "{}"))
            for c in choice.message.tool_calls or []
        ],
        "finish": choice.finish_reason,
    }


def chat_reading(data: bytes) -> dict[str, Any]:
    return chat_direct(data)


@pytest.mark.parametrize("entry", entries("openai-chat"))
def test_openai_chat_matches_the_openai_sdk(core: ModuleType, entry: dict[str, Any]) -> None:
    data = data_of(entry)
    ours = decode(core, "openai-chat", random_splits(data, 1, 16))
    text = "".join(e.text for e in ours.of("TextDelta") if e.index == 0)
    done = [(c.id, c.name, c.arguments) for c in ours.of("ToolCallDone")]
    oracle = chat_direct(data)
    if "error" in oracle:
        (error,) = ours.of("ProviderErrorEvent")
        assert error.message == oracle["error"].get("message", "")
        assert ours.events[-1].reason == "error"
        return
    sdk = chat_sdk(data)
    for reading in (oracle, sdk) if sdk is not None else (oracle,):
        assert text == reading["text"]
        assert [c[1:] for c in done if c[0].startswith("call_fai_")] == [
            c[1:] for c in reading["calls"] if c[0] is None
        ]
        assert [c for c in done if not c[0].startswith("call_fai_")] == [
            c for c in reading["calls"] if c[0] is not None
        ]
        assert ours.events[-1].raw_reason == reading["finish"]
    assert ours.reasoning == oracle["reasoning"]
    usage = oracle["usage"]
    if usage is not None:
        last = ours.of("Usage")[-1]
        assert (last.input_tokens, last.output_tokens, last.total_tokens) == (
            usage["prompt_tokens"],
            usage["completion_tokens"],
            usage["total_tokens"],
        )
    else:
        assert ours.of("Usage") == []


# --- anthropic: the anthropic SDK's accumulate_event --------------------------------------


@pytest.mark.parametrize("entry", entries("anthropic"))
def test_anthropic_matches_the_anthropic_sdk(core: ModuleType, entry: dict[str, Any]) -> None:
    if "json_bufs" not in inspect.signature(accumulate_event).parameters:
        # anthropic 2.x (Python >= 3.10) keeps tool arguments' raw text in json_bufs; the
        # 0.x releases that CPython 3.9 gets do not expose it.
        pytest.skip("this anthropic SDK's accumulate_event has no json_bufs (the oracle needs it)")
    data = data_of(entry)
    ours = decode(core, "anthropic", random_splits(data, 2, 16))
    snapshot: Any = None
    json_bufs: dict[int, bytes] = {}
    usage: dict[str, Any] = {}
    for payload in sse_data(data):
        event = json.loads(payload)
        if event.get("type") in ("ping", "error"):
            continue
        usage.update((event.get("message") or {}).get("usage") or {})
        usage.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
        model = anthropic_construct(type_=RawMessageStreamEvent, value=event)
        snapshot = accumulate_event(event=model, current_snapshot=snapshot, json_bufs=json_bufs)
    blocks = snapshot.content
    assert ours.text == "".join(b.text for b in blocks if b.type == "text")
    assert ours.reasoning == "".join(b.thinking for b in blocks if b.type == "thinking")
    done, invalid = [], []
    for index, block in enumerate(blocks):
        if block.type != "tool_use":
            continue
        raw = json_bufs.get(index, b"").decode("utf-8")
        try:
            done.append((block.id, block.name, json.loads(raw) if raw else block.input))
        except ValueError:  # arguments cut off (max_tokens): the SDK keeps a partial value
            invalid.append((block.id, block.name, raw))
    assert [(c.id, c.name, c.arguments) for c in ours.of("ToolCallDone")] == done
    assert [(c.id, c.name, c.raw) for c in ours.of("ToolCallInvalid")] == invalid
    assert ours.events[-1].raw_reason == snapshot.stop_reason
    last = ours.of("Usage")[-1]
    cached = (usage.get("cache_read_input_tokens") or 0) + (
        usage.get("cache_creation_input_tokens") or 0
    )
    assert last.input_tokens == usage["input_tokens"] + cached
    assert last.output_tokens == usage["output_tokens"]
    thinking = (usage.get("output_tokens_details") or {}).get("thinking_tokens")
    assert last.reasoning_tokens == thinking


# --- bedrock: botocore's EventStreamBuffer ----------------------------------------------


@pytest.mark.parametrize("entry", entries("bedrock"))
def test_bedrock_matches_botocore(core: ModuleType, entry: dict[str, Any]) -> None:
    data = data_of(entry)
    ours = decode(core, "bedrock", random_splits(data, 3, 16))
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    text, reasoning, stop, usage = [], [], None, None
    calls: dict[int, list[Any]] = {}
    for message in buffer:
        payload = json.loads(message.payload)
        if message.headers[":message-type"] == "exception":
            # The stream ends with the exception: what came before it, then the error.
            kind = message.headers[":exception-type"]
            (error,) = ours.of("ProviderErrorEvent")
            assert (error.type, error.message) == (kind, payload["message"])
            assert (ours.events[-1].reason, ours.events[-1].raw_reason) == ("error", kind)
            assert ours.text == "".join(text)
            return
        kind = message.headers[":event-type"]
        if kind == "contentBlockStart" and "toolUse" in payload["start"]:
            tool = payload["start"]["toolUse"]
            calls[payload["contentBlockIndex"]] = [tool["toolUseId"], tool["name"], ""]
        elif kind == "contentBlockDelta":
            delta = payload["delta"]
            text.append(delta.get("text", ""))
            reasoning.append((delta.get("reasoningContent") or {}).get("text", ""))
            if "toolUse" in delta:
                calls[payload["contentBlockIndex"]][2] += delta["toolUse"]["input"]
        elif kind == "messageStop":
            stop = payload["stopReason"]
        elif kind == "metadata":
            usage = payload["usage"]
    assert ours.text == "".join(text)
    assert ours.reasoning == "".join(reasoning)
    expected = [(i, n, json.loads(a or "{}")) for i, n, a in calls.values()]
    assert [(c.id, c.name, c.arguments) for c in ours.of("ToolCallDone")] == expected
    assert ours.events[-1].raw_reason == stop
    last = ours.of("Usage")[-1]
    assert (last.output_tokens, last.total_tokens) == (usage["outputTokens"], usage["totalTokens"])


# --- the rules the real streams showed (issue 10) ---------------------------------------


def real(file_part: str) -> list[dict[str, Any]]:
    found = [e for e in MANIFEST if file_part in e["file"]]
    assert found, file_part
    return found


def test_mistral_list_content_thinking_is_reasoning_and_text_is_text(core: ModuleType) -> None:
    (entry,) = real("mistral__pydantic-ai__mistral__test_mistral_model_thinking_part_iter")
    result = decode(core, "openai-chat", [data_of(entry)])
    oracle = chat_reading(data_of(entry))
    assert result.reasoning == oracle["reasoning"] != ""
    assert result.text == oracle["text"] != ""
    # Reasoning came first, then the answer: no TextDelta before the last ReasoningDelta.
    names = [type(e).__name__ for e in result.events]
    last_reasoning = max(i for i, n in enumerate(names) if n == "ReasoningDelta")
    assert "TextDelta" not in names[:last_reasoning]


def test_groq_usage_comes_from_x_groq(core: ModuleType) -> None:
    (entry,) = real("groq__pydantic-ai__groq__test_groq_model_thinking_part_iter__0")
    result = decode(core, "openai-chat", [data_of(entry)])
    usage = result.of("Usage")
    assert [(u.input_tokens, u.output_tokens, u.total_tokens) for u in usage] == [(21, 988, 1009)]


def test_anthropic_thinking_tokens_are_reasoning_tokens(core: ModuleType) -> None:
    found = [e for e in real("anthropic/") if b'"thinking_tokens":261' in data_of(e)]
    assert found
    result = decode(core, "anthropic", [data_of(found[0])])
    assert result.of("Usage")[-1].reasoning_tokens == 261


@pytest.mark.parametrize("entry", entries("openai-chat"))
def test_clean_end_of_body_after_every_finish(core: ModuleType, entry: dict[str, Any]) -> None:
    """Real openai-chat bodies cut before ``data: [DONE]`` are complete when every choice
    seen has a ``finish_reason``, and ``StreamTruncated`` (with the text so far) when none
    has: cut before the first finish, or a stream that sends none (Snowflake)."""
    data = data_of(entry)
    full = decode(core, "openai-chat", [data])
    done = data.find(b"data: [DONE]")
    cut = data if done < 0 else data[:done]
    first_finish = max(data.find(b'"finish_reason":"'), data.find(b'"finish_reason": "'))
    result = decode(core, "openai-chat", [cut])
    if first_finish < 0 and not full.of("ProviderErrorEvent"):
        assert type(result.error).__name__ == "StreamTruncated"
        assert result.error.partial_text == full.text
        return
    assert result.error is None
    assert result.plain() == full.plain()
    if first_finish >= 0:
        block = data.rfind(b"\n\n", 0, first_finish) + 2
        early = decode(core, "openai-chat", [data[:block]])
        assert type(early.error).__name__ == "StreamTruncated"
        assert early.error.partial_text == early.text


# --- openai-responses: the response the final event carries -----------------------------


def final_response(data: bytes) -> dict[str, Any] | None:
    """The ``response`` of the ``response.completed`` / ``incomplete`` / ``failed`` event
    (the provider's own summary of what it streamed)."""
    for payload in sse_data(data):
        if payload.strip() == "[DONE]":
            continue
        event = json.loads(payload)
        if event.get("type") in ("response.completed", "response.incomplete", "response.failed"):
            return event["response"]
    return None


@pytest.mark.parametrize("entry", entries("openai-responses"))
def test_openai_responses_match_the_final_response(core: ModuleType, entry: dict[str, Any]) -> None:
    data = data_of(entry)
    ours = decode(core, "openai-responses", random_splits(data, 4, 16))
    response = final_response(data)
    if response is None:  # a mid-stream `error` event ends this one
        assert ours.events[-1].reason == "error"
        return
    output = response.get("output") or []
    texts = [
        part.get("text") or part.get("refusal") or ""
        for item in output
        if item.get("type") == "message"
        for part in item.get("content") or []
    ]
    calls = [
        (item.get("call_id") or item["id"], item["name"], json.loads(item["arguments"] or "{}"))
        for item in output
        if item.get("type") == "function_call"
    ]
    if output or ours.text == "":
        # Some servers (background mode replays) leave `output` out of the final event.
        assert ours.text == "".join(texts)
        assert [(c.id, c.name, c.arguments) for c in ours.of("ToolCallDone")] == calls
    summaries = [
        part.get("text", "")
        for item in output
        if item.get("type") == "reasoning"
        for part in (item.get("summary") or []) + (item.get("content") or [])
    ]
    if any(summaries):
        assert ours.reasoning == "".join(summaries)
    usage = response.get("usage")
    if usage:
        last = ours.of("Usage")[-1]
        assert (last.input_tokens, last.output_tokens, last.total_tokens) == (
            usage["input_tokens"],
            usage["output_tokens"],
            usage["total_tokens"],
        )
        details = usage.get("output_tokens_details") or {}
        assert last.reasoning_tokens == details.get("reasoning_tokens")


def test_clean_end_needs_every_choice_to_finish(core: ModuleType) -> None:
    """A real ``n=3`` stream without ``[DONE]`` is complete; drop the finishing chunk of one
    choice and it is truncated (that choice may still have been streaming)."""
    (entry,) = real("a491adda08c3d4fde95f5b2ee3f60f7f745f1a56d82e62f58031cc2add502380")
    data = data_of(entry)
    blocks = [b for b in data.split(b"\n\n") if b.strip() and b"[DONE]" not in b]
    complete = decode(core, "openai-chat", [b"\n\n".join(blocks) + b"\n\n"])
    assert complete.error is None
    assert sorted({e.index for e in complete.of("TextDelta")}) == [0, 1, 2]
    for choice in range(3):
        marker = f'"index":{choice},"delta":{{}},"logprobs":null,"finish_reason":"stop"'.encode()
        kept = [b for b in blocks if marker not in b]
        assert len(kept) == len(blocks) - 1, "the stream has one finishing chunk per choice"
        cut = decode(core, "openai-chat", [b"\n\n".join(kept) + b"\n\n"])
        assert isinstance(cut.error, StreamTruncated)
        assert cut.error.partial_text == cut.text


# --- gemini, cohere, ollama: the frames read plainly ---------------------------------------


def set_path(root: dict[str, Any], path: str, value: Any, append: bool) -> None:
    """Set ``value`` at a JSON path of ``.name`` / ``[index]`` steps (the real streams use
    no other form)."""
    steps: list[Any] = []
    for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path[1:]):
        steps.append(name if name else int(index))
    node: Any = root
    for step, after in zip(steps, steps[1:]):
        empty: Any = [] if isinstance(after, int) else {}
        if isinstance(node, list):
            node.extend([None] * (step + 1 - len(node)))
            node[step] = node[step] if isinstance(node[step], type(empty)) else empty
        else:
            node[step] = node.get(step) if isinstance(node.get(step), type(empty)) else empty
        node = node[step]
    last = steps[-1]
    if isinstance(node, list):
        node.extend([None] * (last + 1 - len(node)))
        old = node[last]
    else:
        old = node.get(last)
    node[last] = old + value if append and isinstance(old, str) else value


def gemini_reading(data: bytes) -> dict[str, Any]:
    text, thoughts, calls, finish, usage = [], [], [], None, None
    streamed: dict[str, Any] | None = None
    going_on: set[str] = set()
    # Without `alt=sse` the stream is one JSON array of the same chunks.
    array = data.lstrip().startswith(b"[")
    for response in json.loads(data) if array else map(json.loads, sse_data(data)):
        usage = response.get("usageMetadata") or usage
        for candidate in response.get("candidates") or []:
            for part in (candidate.get("content") or {}).get("parts") or []:
                if "text" in part:
                    (thoughts if part.get("thought") else text).append(part["text"])
                call = part.get("functionCall")
                if call is None:
                    continue
                if "name" in call and streamed is not None:
                    calls.append((streamed["name"], streamed["args"]))
                    streamed = None
                if "partialArgs" in call or call.get("willContinue"):
                    if streamed is None:
                        streamed, going_on = {"name": call.get("name"), "args": {}}, set()
                    for arg in call.get("partialArgs") or []:
                        value = next(
                            (
                                arg[k]
                                for k in ("stringValue", "numberValue", "boolValue")
                                if k in arg
                            ),
                            None if "nullValue" in arg else ...,
                        )
                        if value is not ...:
                            set_path(
                                streamed["args"],
                                arg["jsonPath"],
                                value,
                                arg["jsonPath"] in going_on,
                            )
                        (going_on.add if arg.get("willContinue") else going_on.discard)(
                            arg["jsonPath"]
                        )
                    if not call.get("willContinue"):
                        calls.append((streamed["name"], streamed["args"]))
                        streamed = None
                elif call == {} and streamed is not None:
                    calls.append((streamed["name"], streamed["args"]))
                    streamed = None
                elif "name" in call:
                    calls.append((call["name"], call.get("args") or {}))
            if candidate.get("finishReason"):
                if streamed is not None:
                    calls.append((streamed["name"], streamed["args"]))
                    streamed = None
                finish = candidate["finishReason"]
        if finish:
            break
    return {
        "text": "".join(text),
        "reasoning": "".join(thoughts),
        "calls": calls,
        "finish": finish,
        "usage": usage,
    }


@pytest.mark.parametrize("entry", entries("gemini"))
def test_gemini_matches_a_plain_reading(core: ModuleType, entry: dict[str, Any]) -> None:
    data = data_of(entry)
    ours = decode(core, "gemini", random_splits(data, 5, 16))
    reading = gemini_reading(data)
    assert ours.text == reading["text"]
    assert ours.reasoning == reading["reasoning"]
    assert [(c.name, c.arguments) for c in ours.of("ToolCallDone")] == reading["calls"]
    assert ours.events[-1].raw_reason == reading["finish"]
    usage = reading["usage"]
    last = ours.of("Usage")[-1]
    assert (last.input_tokens, last.output_tokens, last.total_tokens, last.reasoning_tokens) == (
        usage.get("promptTokenCount"),
        usage.get("candidatesTokenCount"),
        usage.get("totalTokenCount"),
        usage.get("thoughtsTokenCount"),
    )


@pytest.mark.parametrize("entry", entries("cohere"))
def test_cohere_matches_a_plain_reading(core: ModuleType, entry: dict[str, Any]) -> None:
    data = data_of(entry)
    ours = decode(core, "cohere", random_splits(data, 6, 16))
    text, thinking, calls, end = [], [], {}, None
    for payload in sse_data(data):
        if payload.strip() == "[DONE]":  # Cohere's API ends with one after `message-end`
            break
        event = json.loads(payload)
        message = (event.get("delta") or {}).get("message") or {}
        kind = event["type"]
        if kind == "content-delta":
            content = message.get("content") or {}
            text.append(content.get("text") or "")
            thinking.append(content.get("thinking") or "")
        elif kind == "tool-plan-delta":
            text.append(message.get("tool_plan") or "")
        elif kind in ("tool-call-start", "tool-call-delta"):
            call = message["tool_calls"]
            entry_ = calls.setdefault(event["index"], [call.get("id"), None, ""])
            entry_[1] = entry_[1] or (call.get("function") or {}).get("name")
            entry_[2] += (call.get("function") or {}).get("arguments") or ""
        elif kind == "message-end":
            end = event["delta"]
    assert ours.text == "".join(text)
    assert ours.reasoning == "".join(thinking)
    assert [(c.id, c.name, c.raw) for c in ours.of("ToolCallDone")] == [
        tuple(c) for c in calls.values()
    ]
    assert end is not None
    if end["finish_reason"] == "ERROR":
        # A failed turn: the error text, named by its `error_type`; no counts to report.
        (error,) = ours.of("ProviderErrorEvent")
        assert (error.type, error.message) == (end.get("error_type"), end["error"])
        assert (ours.events[-1].reason, ours.events[-1].raw_reason) == ("error", error.type)
        if not end.get("usage"):
            assert ours.of("Usage") == []
        return
    assert ours.events[-1].raw_reason == end["finish_reason"]
    tokens = end["usage"]["tokens"]
    last = ours.of("Usage")[-1]
    assert (last.input_tokens, last.output_tokens) == (
        tokens["input_tokens"],
        tokens["output_tokens"],
    )


@pytest.mark.parametrize("entry", entries("ollama"))
def test_ollama_matches_a_plain_reading(core: ModuleType, entry: dict[str, Any]) -> None:
    data = data_of(entry)
    ours = decode(core, "ollama", random_splits(data, 7, 16))
    lines = [json.loads(line) for line in data.splitlines() if line.strip()]
    messages = [line.get("message") or {} for line in lines]
    # `/api/generate` lines carry `response` and `thinking` at the top level.
    assert ours.text == "".join(
        (m.get("content") or "") + (line.get("response") or "") for m, line in zip(messages, lines)
    )
    assert ours.reasoning == "".join(
        (m.get("thinking") or "") + (line.get("thinking") or "") for m, line in zip(messages, lines)
    )
    calls = [c["function"] for m in messages for c in m.get("tool_calls") or []]
    assert [(c.name, c.arguments) for c in ours.of("ToolCallDone")] == [
        (c["name"], c["arguments"]) for c in calls
    ]
    last = ours.of("Usage")[-1]
    # Ollama leaves `prompt_eval_count` out when the whole prompt came from its cache.
    assert (last.input_tokens, last.output_tokens) == (
        lines[-1].get("prompt_eval_count"),
        lines[-1]["eval_count"],
    )
    assert ours.events[-1].raw_reason == lines[-1].get("done_reason")
