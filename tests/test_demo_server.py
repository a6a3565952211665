"""The scripted provider endpoints of ``make demo`` and the docs examples
(``fluent_ai._demo_server``), checked with the official SDKs as oracles: what the server sends
must be what the openai and anthropic SDKs read as the same answer whole and streamed, and it
must refuse what the providers refuse (a tool call left without its result above all)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, Optional

import httpx
import pytest

from fluent_ai import Client
from fluent_ai._demo_server import DemoServer
from fluent_ai.errors import BadRequestError

anthropic = pytest.importorskip("anthropic")
openai = pytest.importorskip("openai")

QUESTION = "What is the weather in Paris and Tokyo?"
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoServer]:
    with DemoServer() as running:
        for name, value in running.environ().items():
            monkeypatch.setenv(name, value)
        yield running


def test_openai_chat_whole_and_streamed_agree(server: DemoServer) -> None:
    tools: Any = [{"type": "function", "function": {"name": "get_weather", "parameters": CITY}}]
    messages: Any = [{"role": "user", "content": QUESTION}]
    with openai.OpenAI() as sdk:
        whole = sdk.chat.completions.create(model="gpt-4.1", messages=messages, tools=tools)
        with sdk.chat.completions.stream(
            model="gpt-4.1", messages=messages, tools=tools, stream_options={"include_usage": True}
        ) as stream:
            streamed = stream.get_final_completion()
    for completion in (whole, streamed):
        message = completion.choices[0].message
        assert message.content == "Let me look that up."
        assert [
            (c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []
        ] == [
            ("call_demo_1", "get_weather", '{"city": "Paris"}'),
            ("call_demo_2", "get_weather", '{"city": "Tokyo"}'),
        ]
        assert completion.choices[0].finish_reason == "tool_calls"
        assert completion.usage is not None and completion.usage.completion_tokens > 0


def test_openai_responses_whole_and_streamed_agree(server: DemoServer) -> None:
    tools: Any = [{"type": "function", "name": "get_weather", "parameters": CITY, "strict": False}]
    with openai.OpenAI() as sdk:
        whole = sdk.responses.create(model="gpt-4.1", input=QUESTION, tools=tools)
        with sdk.responses.stream(model="gpt-4.1", input=QUESTION, tools=tools) as stream:
            streamed = stream.get_final_response()
        calls = [item for item in whole.output if item.type == "function_call"]
        answer = sdk.responses.create(
            model="gpt-4.1",
            tools=tools,
            input=[
                {"role": "user", "content": QUESTION},
                *[
                    {
                        "type": "function_call",
                        "call_id": c.call_id,
                        "name": c.name,
                        "arguments": c.arguments,
                    }
                    for c in calls
                ],
                *[
                    {"type": "function_call_output", "call_id": c.call_id, "output": f"{n}C"}
                    for n, c in enumerate(calls)
                ],
            ],
        )
    keys = ("type", "call_id", "name", "arguments")
    assert [[getattr(i, k, None) for k in keys] for i in streamed.output] == [
        [getattr(i, k, None) for k in keys] for i in whole.output
    ]
    assert whole.output_text == streamed.output_text == "Let me look that up."
    assert [c.arguments for c in calls] == ['{"city": "Paris"}', '{"city": "Tokyo"}']
    assert answer.output_text == "Here is what the tools said: 0C; 1C."


def test_anthropic_whole_and_streamed_agree(server: DemoServer) -> None:
    tools: Any = [{"name": "get_weather", "input_schema": CITY}]
    messages: Any = [{"role": "user", "content": QUESTION}]
    with anthropic.Anthropic() as sdk:
        whole = sdk.messages.create(
            model="claude-sonnet-4-5", max_tokens=100, messages=messages, tools=tools
        )
        with sdk.messages.stream(
            model="claude-sonnet-4-5", max_tokens=100, messages=messages, tools=tools
        ) as stream:
            streamed = stream.get_final_message()
    for message in (whole, streamed):
        assert [block.type for block in message.content] == ["text", "tool_use", "tool_use"]
        assert [b.input for b in message.content if b.type == "tool_use"] == [
            {"city": "Paris"},
            {"city": "Tokyo"},
        ]
        assert message.stop_reason == "tool_use"
    assert whole.usage.output_tokens == streamed.usage.output_tokens


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("openai/gpt-4.1", "did not have response messages: call_demo_2"),
        ("anthropic/claude-sonnet-4-5", "without `tool_result` blocks immediately after"),
        ("bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0", "number of toolResult blocks"),
        ("gemini/gemini-2.5-flash", "number of function response parts is equal"),
    ],
)
def test_a_call_without_its_result_is_refused(
    model: str, message: str, server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "demo-bedrock-token")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": CITY}}]
    messages: list[Any] = [{"role": "user", "content": QUESTION}]
    with Client(max_retries=0) as client:
        reply = client.chat(model, messages, tools=tools)
        assert len(reply.tool_calls) == 2
        first = {"role": "tool", "tool_call_id": reply.tool_calls[0].id, "content": "21C"}
        with pytest.raises(BadRequestError, match=message):
            client.chat(model, [*messages, reply.message, first], tools=tools)


def test_responses_refuses_a_call_without_output_and_an_output_without_call(
    server: DemoServer,
) -> None:
    call = {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "call_2", "output": "x"}
    headers = {"authorization": "Bearer demo"}
    url = f"{server.url}/openai/v1/responses"
    for items, refusal in (([call], "No tool output found"), ([output], "No tool call found")):
        body = {"model": "gpt-4.1", "input": [{"role": "user", "content": "hi"}, *items]}
        answer = httpx.post(url, json=body, headers=headers)
        assert answer.status_code == 400 and refusal in answer.json()["error"]["message"]


def test_keys_and_versions_are_required(server: DemoServer) -> None:
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    anthropic_url = f"{server.url}/anthropic/v1/messages"
    assert httpx.post(anthropic_url, json=body).status_code == 401
    refused = httpx.post(anthropic_url, json=body, headers={"x-api-key": "k"})
    assert refused.status_code == 400 and "anthropic-version" in refused.text
    assert httpx.post(f"{server.url}/openai/v1/chat/completions", json=body).status_code == 401
    bedrock = f"{server.url}/bedrock/model/m/converse"
    assert httpx.post(bedrock, json=body, headers={"authorization": "k"}).status_code == 403


def test_the_demo_shows_the_client(capsys: pytest.CaptureFixture[str]) -> None:
    from fluent_ai import demo  # noqa: PLC0415

    before = dict(os.environ)
    demo.show_client()
    printed = capsys.readouterr().out
    assert os.environ == before  # the demo's variables do not outlive it
    for line in (
        "Client.chat: one whole answer",
        "tool    #0 get_weather({'city': 'Paris'}) -> '21C and sunny'",
        "tool    #1 get_weather({'city': 'Tokyo'}) -> '18C, light rain'",
        "text    Here is what the tools said: 21C and sunny; 18C, light rain.",
        "finish  'stop' with 0 tool call(s)",
        "AsyncClient: two providers at once",
        "5 requests reached the demo server",
    ):
        assert line in printed


@pytest.mark.parametrize(
    "model",
    [
        "openai/gpt-4.1",
        "anthropic/claude-sonnet-4-5",
        "gemini/gemini-2.5-flash",
        "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
        "ollama/llama3.2",
    ],
)
def test_a_json_schema_gets_a_value_of_that_schema(
    model: str, server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a pydantic model's schema (``$defs``, ``$ref``, optional and recursive fields)
    asks for, through each provider's structured-output field."""
    pydantic = pytest.importorskip("pydantic")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "demo-bedrock-token")
    monkeypatch.setenv("AWS_REGION", "us-east-1")

    class Address(pydantic.BaseModel):
        city: str
        zip: Optional[int] = None  # noqa: UP045 (pydantic evaluates it on 3.9)

    class Person(pydantic.BaseModel):
        name: str
        age: int
        addresses: list[Address]
        boss: Optional[Person] = None  # noqa: UP045

    schema = Person.model_json_schema()
    response_format = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}
    with Client() as client:
        answer = client.chat(
            model, [{"role": "user", "content": "Who?"}], response_format=response_format
        )
    person = Person.model_validate_json(answer.text)
    assert person.addresses[0].city == "city" and person.age == 1
