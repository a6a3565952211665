"""Every Python example of docs/structured-output.md runs verbatim against loopback OpenAI and
Anthropic servers (reached through the documented ``FLUENT_AI_<NAME>_BASE_URL`` variables),
and prints what the page says it prints."""

# The fixture server comes from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from client_helpers import server  # noqa: F401
from loopback import LoopbackServer, Request, Response, json_response
from structured_play import (
    anthropic_stream,
    anthropic_whole,
    is_prefix,
    openai_stream,
    openai_whole,
)

PAGE = Path(__file__).resolve().parent.parent / "docs" / "structured-output.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)

WEATHER = {"city": "Paris", "celsius": 21.5, "conditions": ["sunny", "light wind"]}
REPORT = {
    "city": "Paris",
    "readings": [{"kind": "temperature", "value": 21.5}, {"kind": "wind", "value": 12}],
    "warning": None,
}


def _answer_for(body: dict[str, Any]) -> str:
    name = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
    return json.dumps(REPORT if name == "Report" else WEATHER)


def _serve(server: LoopbackServer) -> None:
    server.reset()
    sse = {"content-type": "text/event-stream"}

    def openai(request: Request) -> Response:
        body = request.json()
        text = _answer_for(body)
        if body.get("stream"):
            return Response(
                200, sse, openai_stream([text[i : i + 4] for i in range(0, len(text), 4)])
            )
        return json_response(openai_whole(text))

    def anthropic(request: Request) -> Response:
        body = request.json()
        text = _answer_for(body)
        if body.get("stream"):
            return Response(
                200, sse, anthropic_stream([text[i : i + 4] for i in range(0, len(text), 4)])
            )
        return json_response(anthropic_whole(text))

    server.route("POST", "/v1/chat/completions", openai)
    server.route("POST", "/v1/messages", anthropic)


def test_the_page_has_its_examples() -> None:
    assert len(EXAMPLES) == 5


@pytest.mark.parametrize("number", range(len(EXAMPLES)))
def test_each_example_runs(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    _serve(server)
    monkeypatch.setenv("FLUENT_AI_OPENAI_BASE_URL", server.url + "/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-docs")
    monkeypatch.setenv("FLUENT_AI_ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-docs")
    module = types.ModuleType(f"structured_docs_example_{number}")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look it up
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(
            compile(EXAMPLES[number], f"{PAGE.name} example {number + 1}", "exec"), module.__dict__
        )
    lines = printed.getvalue().splitlines()
    assert server.requests, "the example sent nothing"
    if number == 0:
        assert lines == [
            "city='Paris' celsius=21.5 conditions=['sunny', 'light wind']",
            "21.5",
            json.dumps(WEATHER),
        ]
    elif number == 1:
        assert lines == ["Paris [21.5, 12.0]", "Paris"]
    elif number == 2:
        partials = [ast.literal_eval(line) for line in lines[:-1]]  # the dicts printed
        assert len(partials) > 5 and all(is_prefix(p, WEATHER) for p in partials)
        assert partials[-1] == WEATHER and lines[-1] == str(WEATHER)
    elif number == 3:
        assert lines[-1] == "Paris" and ast.literal_eval(lines[-2]) == WEATHER
    else:
        assert lines == [
            "[\"$: the required property 'population' is missing\"]",
            f"stop {json.dumps(WEATHER)}",
        ]
