"""Mistakes a user can make: each line marked ``# expect:`` must be reported by both checkers,
with the mypy error code and the pyright rule it names, and no other line may be reported
(tests/test_typing.py checks both). If the package's types went back to ``Any``, these lines
would pass unnoticed."""

from __future__ import annotations

from typing import Any

import fluent_ai
from fluent_ai import (
    AsyncClient,
    ChatResponse,
    Client,
    Cost,
    Event,
    Finish,
    ModelInfo,
    TextDelta,
    ToolCallDone,
    Usage,
)
from fluent_ai.errors import StreamInterrupted

MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "Hi"}]


def events(client: Client) -> None:
    for event in client.stream("openai/gpt-4.1-mini", MESSAGES):
        print(event.text)  # expect: mypy=union-attr pyright=reportAttributeAccessIssue
        if isinstance(event, TextDelta):
            print(event.txt)  # expect: mypy=attr-defined pyright=reportAttributeAccessIssue
            length: str = event.index  # expect: mypy=assignment pyright=reportAssignmentType
            event.text = "changed"  # expect: mypy=misc pyright=reportAttributeAccessIssue
            print(length)
        if isinstance(event, ToolCallDone):
            name: int = event.name  # expect: mypy=assignment pyright=reportAssignmentType
            print(name)


def constructors() -> None:
    TextDelta(123)  # expect: mypy=arg-type pyright=reportArgumentType
    Finish("stop")  # expect: mypy=call-arg pyright=reportCallIssue
    Usage(input_tokens="12")  # expect: mypy=arg-type pyright=reportArgumentType
    ToolCallDone(0, "call_1", "f", {}, raw=b"{}")  # expect: mypy=arg-type pyright=reportArgumentType
    usage: Usage = Finish("stop", None)  # expect: mypy=assignment pyright=reportAssignmentType
    print(usage)


def events_only(value: Event) -> None:
    print(value)


def not_an_event(info: ModelInfo) -> None:
    events_only(info)  # expect: mypy=arg-type pyright=reportArgumentType


def calls(client: Client) -> None:
    client.chat(123, MESSAGES)  # expect: mypy=arg-type pyright=reportArgumentType
    client.chat("openai/gpt-4.1-mini", "Hi", max_tokens="10")  # expect: mypy=arg-type pyright=reportArgumentType
    client.stream("openai/gpt-4.1-mini", MESSAGES, temprature=0.5)  # expect: mypy=call-arg pyright=reportCallIssue
    client.embed("openai/text-embedding-3-small", [1, 2])  # expect: mypy=list-item pyright=reportArgumentType


def responses(client: Client) -> None:
    response = client.chat("openai/gpt-4.1-mini", MESSAGES)
    tokens: int = response.usage.input_tokens  # expect: mypy=union-attr pyright=reportOptionalMemberAccess
    response.text = "edited"  # expect: mypy=misc pyright=reportAttributeAccessIssue
    cost: Cost = response.cost  # expect: mypy=assignment pyright=reportAssignmentType
    print(response.finish_reason.upper())  # expect: mypy=union-attr pyright=reportOptionalMemberAccess
    print(tokens, cost)


def models(info: ModelInfo) -> int:
    return info.context_window + 1  # expect: mypy=operator pyright=reportOptionalOperand


async def forgot_await(client: AsyncClient) -> None:
    response: ChatResponse = client.chat("openai/gpt-4.1-mini", MESSAGES)  # expect: mypy=assignment pyright=reportAssignmentType
    print(response)


def sync_stream_in_async_for(client: Client) -> None:
    async def go() -> None:
        async for _ in client.stream("openai/gpt-4.1-mini", MESSAGES):  # expect: mypy=attr-defined pyright=reportGeneralTypeIssues
            pass

    print(go)


def interrupted(error: StreamInterrupted) -> None:
    print(error.tool_calls[0].arguments, error.tool_calls[0].fragment)  # expect: mypy=attr-defined pyright=reportAttributeAccessIssue
    print(error.partial_tool_calls[0].partial, fluent_ai.TextDelta("x").to_json())  # expect: mypy=attr-defined pyright=reportAttributeAccessIssue


def misspelt_names() -> None:
    fluent_ai.TextDelt("x")  # expect: mypy=attr-defined pyright=reportAttributeAccessIssue
    fluent_ai.catalog.refesh()  # expect: mypy=attr-defined pyright=reportAttributeAccessIssue


async def async_misuse(client: AsyncClient) -> None:
    for _ in client.stream("openai/gpt-4.1-mini", MESSAGES):  # expect: mypy=attr-defined pyright=reportGeneralTypeIssues
        pass
    await client.stream("openai/gpt-4.1-mini", MESSAGES)  # expect: mypy=misc pyright=reportGeneralTypeIssues


def settings() -> None:
    fluent_ai.Timeout(total="5")  # expect: mypy=arg-type pyright=reportArgumentType
    Client(max_retries="2")  # expect: mypy=arg-type pyright=reportArgumentType
    with AsyncClient():  # expect: mypy=attr-defined pyright=reportGeneralTypeIssues
        pass


def frozen_results(response: ChatResponse, call: ToolCallDone) -> None:
    response.tool_calls.append(call)  # expect: mypy=attr-defined pyright=reportAttributeAccessIssue


def structured(event: fluent_ai.OutputPartial) -> None:
    print(event.text)  # expect: mypy=attr-defined pyright=reportAttributeAccessIssue
    fluent_ai.OutputPartial()  # expect: mypy=call-arg pyright=reportCallIssue
