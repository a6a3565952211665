"""A user's script: it must pass ``mypy --strict`` and pyright in strict mode with no error.

tests/test_typing.py type-checks it against the installed package (and runs ``summarize`` on
real events); tests/typing/bad_usage.py holds the mistakes the checkers must catch.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any, TypedDict

import fluent_ai
from fluent_ai import (
    AsyncChatStream,
    AsyncClient,
    ChatResponse,
    ChatStream,
    Client,
    Cost,
    EmbeddingResponse,
    Event,
    Finish,
    ModelInfo,
    PartialToolCall,
    ProviderErrorEvent,
    ReasoningDelta,
    RerankResponse,
    TextDelta,
    Timeout,
    ToolCallDelta,
    ToolCallDone,
    ToolCallInvalid,
    ToolCallStart,
    Usage,
)
from fluent_ai.errors import StreamInterrupted, StreamTruncated, StructuredOutputError

MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "What is the weather in Paris?"}]
TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def summarize(events: Sequence[Event]) -> dict[str, Any]:
    """What a stream said, read through each event's precise fields."""
    text: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, str] = {}
    finished: list[tuple[str, str, Any]] = []
    problems: list[str] = []
    tokens: int | None = None
    reason: str | None = None
    for event in events:
        if isinstance(event, TextDelta):
            text.append(event.text)
            choice: int = event.index
            assert choice >= 0
        elif isinstance(event, ReasoningDelta):
            reasoning.append(event.text)
        elif isinstance(event, ToolCallStart):
            calls[event.index] = event.name + ":" + event.id
        elif isinstance(event, ToolCallDelta):
            calls[event.index] += event.fragment
        elif isinstance(event, ToolCallDone):
            finished.append((event.id, event.name, event.arguments))
            raw: str = event.raw
            assert raw
        elif isinstance(event, ToolCallInvalid):
            problems.append(f"{event.name}: {event.error} in {event.raw!r}")
        elif isinstance(event, Usage):
            if event.output_tokens is not None:
                tokens = event.output_tokens + (event.reasoning_tokens or 0)
        elif isinstance(event, Finish):
            reason = event.reason
            raw_reason: str | None = event.raw_reason
            del raw_reason
        elif isinstance(event, ProviderErrorEvent):
            kind: str | None = event.type
            problems.append(f"{kind}: {event.message}")
        else:  # OutputPartial: only with a structured response_format
            so_far: Any = event.value
            del so_far
    return {
        "text": "".join(text),
        "reasoning": "".join(reasoning),
        "calls": finished,
        "problems": problems,
        "tokens": tokens,
        "reason": reason,
        "as_json": json.dumps([event.to_dict() for event in events]),
    }


def tool_results(response: ChatResponse) -> list[dict[str, Any]]:
    """One tool message per call (every call, not only the first)."""
    results: list[dict[str, Any]] = []
    for call in response.tool_calls:
        arguments: Any = call.arguments
        results.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(arguments)})
    return results


def report(response: ChatResponse) -> str:
    usage: Usage | None = response.usage
    prompt: int = 0 if usage is None or usage.input_tokens is None else usage.input_tokens
    cost: Cost | None = response.cost
    dollars: float | None = None if cost is None else cost.total
    reason: str | None = response.finish_reason
    saved: str = json.dumps(response.to_dict())
    return f"{response.provider}/{response.model} {reason} {prompt} {dollars} {len(saved)}"


def run(client: Client) -> ChatResponse:
    answer: ChatResponse = client.chat(
        "openai/gpt-4.1-mini",
        MESSAGES,
        tools=TOOLS,
        max_tokens=200,
        temperature=0.2,
        timeout=Timeout(connect=5.0, first_event=10.0, idle=30.0, total=120.0),
    )
    conversation = [*MESSAGES, answer.message, *tool_results(answer)]
    stream: ChatStream
    with client.stream("anthropic/claude-sonnet-4-5", conversation, timeout=60) as stream:
        events: list[Event] = []
        try:
            for event in stream:
                events.append(event)
        except StreamInterrupted as error:
            done: list[ToolCallDone] = error.tool_calls
            partial: list[PartialToolCall] = error.partial_tool_calls
            print(error.partial_text, [call.name for call in done], [p.raw for p in partial])
            raise
        print(summarize(events)["text"])
    final: ChatResponse = stream.response
    embedded: EmbeddingResponse = client.embed("openai/text-embedding-3-small", ["a", "b"])
    first: list[float] = embedded.embeddings[0]
    ranked: RerankResponse = client.rerank("cohere/rerank-v3.5", "query", ["x", "y"], top_n=1)
    best: float = ranked.results[0].relevance_score
    models: list[ModelInfo] = client.list_models("openai")
    window: int | None = models[0].context_window if models else None
    print(report(final), first[:1], best, window, json.dumps(ranked.to_dict()))
    return final


async def run_async(client: AsyncClient) -> str:
    answer = await client.chat("openai/gpt-4.1-mini", MESSAGES)
    pieces: list[str] = []
    stream: AsyncChatStream = client.stream("openai/gpt-4.1-mini", MESSAGES)
    async with stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                pieces.append(event.text)
            elif isinstance(event, ProviderErrorEvent):
                pieces.append(event.message)
    collected: ChatResponse = stream.response
    return answer.text + "".join(pieces) + collected.text


def decode(chunks: Sequence[bytes]) -> list[Event]:
    """The core directly: the decoder yields the same precise events."""
    decoder = fluent_ai.StreamDecoder("openai-chat")
    events: list[Event] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    try:
        events.extend(decoder.finish())
    except StreamTruncated as error:
        partial: list[PartialToolCall] = error.partial_tool_calls
        print(error.partial_text, [call.partial for call in partial])
    calls: list[ToolCallDone] = decoder.tool_calls
    print(decoder.text, len(calls), decoder.finish_reason)
    return events


def parse(fragments: Sequence[str]) -> int:
    """JSON values are ``Any``, as from ``json.loads``: index them without a cast."""
    parser = fluent_ai.JsonStream(max_depth=64)
    for fragment in fragments:
        if parser.feed(fragment):
            break
    preview: dict[str, Any] | None = parser.partial()
    document = parser.finish()
    lines = fluent_ai.NdjsonDecoder().feed(b'{"n": 1}\n{"n": 2}\n')
    total: int = document["items"][0] + sum(line["n"] for line in lines)
    print(preview, parser.position, parser.complete)
    return total


class Weather(TypedDict):
    city: str
    celsius: float


def structured(client: Client) -> Weather:
    """Structured output: partial values while streaming, the validated object at the end."""
    with client.stream("openai/gpt-4.1-mini", MESSAGES, response_format=Weather) as stream:
        for event in stream:
            if isinstance(event, fluent_ai.OutputPartial):
                print(event.value)
    try:
        answer = client.chat("openai/gpt-4.1-mini", MESSAGES, response_format={"type": "object"})
    except StructuredOutputError as error:
        print(error.text, error.errors)
    else:
        print(answer.parsed)
    parsed: Weather = stream.response.parsed
    return parsed


def catalog_lookup() -> float | None:
    info: ModelInfo = fluent_ai.catalog.get("openai/gpt-4.1-mini")
    cost: Cost = fluent_ai.catalog.cost(info, Usage(input_tokens=1000, output_tokens=50))
    print(json.dumps(info.to_dict()), json.dumps(cost.to_dict()))
    return cost.total


def main() -> None:
    with Client(max_retries=1, timeout=30.0) as client:
        run(client)

    async def go() -> None:
        async with AsyncClient() as client:
            print(await run_async(client))

    asyncio.run(go())
    print(catalog_lookup())
