"""The request-option translations checked against outside oracles rather than our own table:
the official openai and anthropic SDKs (what they put on the wire for the same options, to the
same loopback server) and botocore's Bedrock Runtime service model (the Converse input shape
AWS publishes, which its own parameter validator enforces)."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from client_helpers import Runner, mode, server  # noqa: F401
from fake_providers import KEY, TOOLS
from loopback import LoopbackServer
from test_client_options import BY_NAME, QUESTION, call, runner, serve

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")
botocore_session = pytest.importorskip("botocore.session")
botocore_validate = pytest.importorskip("botocore.validate")

OPTIONS = {
    "top_p": 0.5,
    "stop": ["END", "STOP"],
    "seed": 7,
    "presence_penalty": 0.25,
    "frequency_penalty": -0.5,
    "parallel_tool_calls": False,
    "reasoning_effort": "medium",
    "user": "u-42",
    "metadata": {"k": "v"},
}


def test_openai_body_matches_the_openai_sdk(server: LoopbackServer, mode: str) -> None:
    target = BY_NAME["openai"]
    server.reset()
    seen = serve(server, target)
    call(runner(mode, server, target), "chat", target, tools=TOOLS, **OPTIONS)
    sdk = openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0)
    sdk.chat.completions.create(model="gpt-5-mini", messages=QUESTION, tools=TOOLS, **OPTIONS)
    ours, theirs = seen[0].json(), seen[1].json()
    assert {k: ours[k] for k in OPTIONS} == {k: theirs[k] for k in OPTIONS}
    assert set(ours) - {"stream", "stream_options"} == set(theirs)


@pytest.mark.parametrize("effort", ["minimal", "high"])
def test_anthropic_body_matches_the_anthropic_sdk(
    server: LoopbackServer, mode: str, effort: str
) -> None:
    """The SDK is given the translation by hand (Anthropic's own names); our client the
    openai-named options: the bodies must agree field by field."""
    target = BY_NAME["anthropic"]
    server.reset()
    seen = serve(server, target)
    options = {k: OPTIONS[k] for k in ("top_p", "stop", "parallel_tool_calls", "user")}
    call(
        runner(mode, server, target),
        "chat",
        target,
        tools=TOOLS,
        max_tokens=1000,
        reasoning_effort=effort,
        **options,
    )
    budget = {"minimal": 1024, "high": 24576}[effort]
    sdk = anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0)
    sdk.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=1000 if budget < 1000 else budget + 1000,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hi"}],
        tools=[
            {
                "name": "get_weather",
                "description": "Current weather of a city",
                "input_schema": TOOLS[0]["function"]["parameters"],
            }
        ],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        # anthropic >= 1.0 dropped the sampling keywords (the API deprecates them on models
        # after Claude Opus 4.6 but keeps them on the older ones): sent as its extra body.
        extra_body={"top_p": 0.5},
        stop_sequences=["END", "STOP"],
        thinking={"type": "enabled", "budget_tokens": budget},
        metadata={"user_id": "u-42"},
        timeout=30,  # without one the SDK refuses a large non-streamed max_tokens itself
    )
    ours, theirs = seen[0].json(), seen[1].json()
    fields = ("top_p", "stop_sequences", "tool_choice", "thinking", "metadata", "max_tokens")
    assert {k: ours[k] for k in fields} == {k: theirs[k] for k in fields}
    assert set(ours) == set(theirs)


@pytest.mark.parametrize("how", ["chat", "stream"])
def test_bedrock_body_passes_botocores_converse_validation(
    server: LoopbackServer, mode: str, how: str
) -> None:
    target = BY_NAME["bedrock"]
    server.reset()
    seen = serve(server, target)
    options = {k: OPTIONS[k] for k in ("top_p", "stop", "reasoning_effort", "metadata")}
    call(runner(mode, server, target), how, target, tools=TOOLS, **options)
    body: dict[str, Any] = seen[0].json()
    model = botocore_session.get_session().get_service_model("bedrock-runtime")
    operation = "ConverseStream" if how == "stream" else "Converse"
    shape = model.operation_model(operation).input_shape
    report = botocore_validate.ParamValidator().validate({**body, "modelId": "m"}, shape)
    assert not report.has_errors(), report.generate_report()
    assert body["inferenceConfig"]["topP"] == 0.5
    assert body["requestMetadata"] == {"k": "v"}
    # A misspelt field is what the validator exists to catch: the oracle can fail.
    broken = {**body, "modelId": "m", "inferenceConfig": {"top_p": 0.5}}
    assert botocore_validate.ParamValidator().validate(broken, shape).has_errors()
