"""Gemini, Cohere and Ollama (native) end to end, and the embeddings and rerank services (Jina,
Voyage, Cohere, Gemini, Ollama): a streamed chat with tools through each, chat() equal to the
finished stream, the translation of a tool-use conversation, checked by the loopback server."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from client_helpers import Runner, mode, server  # noqa: F401
from fake_providers import (
    GEMINI_TOOLS_WHOLE,
    KEY,
    TOOLS,
    Checker,
    cohere_checks,
    frames,
    gemini_checks,
    install,
    ollama_checks,
    transcript,
)
from loopback import LoopbackServer, chunked

from fluent_ai import StreamDecoder
from fluent_ai import errors as e

PNG = "data:image/png;base64,iVBORw0KGgo="
QUESTION = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather?"}]
HISTORY: list[dict[str, Any]] = [
    *QUESTION,
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_a",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_a", "content": '{"temp_c": 21}'},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "And this?"},
            {"type": "image_url", "image_url": {"url": PNG}},
        ],
    },
]

COHERE_WHOLE = {
    "id": "fba98ad3",
    "finish_reason": "TOOL_CALL",
    "message": {
        "role": "assistant",
        "tool_plan": "I will search for the weather in Madrid and Brasilia.",
        "tool_calls": [
            {
                "id": "get_weather_p1t92w7gfgq7",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{\n    "location": "Madrid"\n}'},
            },
            {
                "id": "get_weather_ay6nmvjgp9vn",
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "arguments": '{\n    "location": "Brasilia"\n}',
                },
            },
        ],
    },
    "usage": {
        "billed_units": {"input_tokens": 37, "output_tokens": 28},
        "tokens": {"input_tokens": 913, "output_tokens": 83},
    },
}

OLLAMA_WHOLE = {
    "model": "llama3.2",
    "message": {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_k3v9x2qa",
                "function": {"name": "get_weather", "arguments": {"city": "Tokyo"}},
            },
            {
                "id": "call_7fz0m1rd",
                "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
            },
        ],
    },
    "done": True,
    "done_reason": "stop",
    "prompt_eval_count": 169,
    "eval_count": 31,
}

# provider: (model, stream path, chat path, auth header, checks, transcript, whole, calls)
PLAYS: dict[str, tuple[str, str, str, tuple[str, str], Checker, str, object, list[str]]] = {
    "gemini": (
        "gemini/gemini-2.5-flash",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        ("x-goog-api-key", KEY),
        gemini_checks,
        "gemini_text_and_function_call.txt",
        GEMINI_TOOLS_WHOLE,
        ["getWeather"],
    ),
    "cohere": (
        "cohere/command-a-03-2025",
        "/v2/chat",
        "/v2/chat",
        ("authorization", f"Bearer {KEY}"),
        cohere_checks,
        "cohere_v2_tool_call.txt",
        COHERE_WHOLE,
        ["get_weather", "get_weather"],
    ),
    "ollama": (
        "ollama/llama3.2",
        "/api/chat",
        "/api/chat",
        ("authorization", f"Bearer {KEY}"),
        ollama_checks,
        "ollama_chat_tool_call.ndjson",
        OLLAMA_WHOLE,
        ["get_weather", "get_weather"],
    ),
}
DIALECTS = {"gemini": "gemini", "cohere": "cohere", "ollama": "ollama"}


def play(server: LoopbackServer, name: str, chunks: list[bytes] | None = None) -> None:
    _, stream_path, chat_path, auth, checks, name_of_transcript, whole, _ = PLAYS[name]
    server.reset()
    data = transcript(name_of_transcript)
    chunks = chunks if chunks is not None else chunked(data, 37)
    headers = {"content-type": "application/x-ndjson"} if name == "ollama" else None
    if stream_path == chat_path:
        install(
            server, chat_path, auth=auth, checks=checks, stream=chunks, whole=whole, headers=headers
        )
        return
    install(server, stream_path, auth=auth, checks=checks, stream=chunks, streaming=True)
    install(server, chat_path, auth=auth, checks=checks, whole=whole, streaming=False)


def override(server: LoopbackServer, name: str) -> dict[str, dict[str, str]]:
    return {name: {"base_url": server.url, "api_key": KEY}}


@pytest.mark.parametrize("name", sorted(PLAYS))
def test_streamed_chat_with_tools(server: LoopbackServer, mode: str, name: str) -> None:
    model, _, _, _, _, name_of_transcript, _, calls = PLAYS[name]
    play(server, name)
    runner = Runner(mode, providers=override(server, name))
    result = runner.stream(model, QUESTION, tools=TOOLS)
    assert result.error is None, result.error
    decoder = StreamDecoder(DIALECTS[name])
    expected = [*decoder.feed(transcript(name_of_transcript)), *decoder.finish()]
    assert [type(e).__name__ for e in result.events] == [type(e).__name__ for e in expected]
    assert [c.name for c in result.of("ToolCallDone")] == calls
    assert result.response.finish_reason == "tool_calls"
    assert result.response.provider == name
    whole = runner.chat(model, QUESTION, tools=TOOLS)
    assert whole == result.response
    assert whole.usage == result.response.usage is not None


def test_gemini_request(server: LoopbackServer, mode: str) -> None:
    play(server, "gemini")
    runner = Runner(mode, providers=override(server, "gemini"))
    runner.chat(
        "gemini/gemini-2.5-flash",
        HISTORY,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        max_tokens=64,
        temperature=0.1,
        response_format={"type": "json_schema", "json_schema": {"schema": {"type": "object"}}},
    )
    request = server.requests[0]
    assert request.query == {}
    body = request.json()
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Weather?"}]},
        {
            "role": "model",
            "parts": [
                {
                    "functionCall": {
                        "name": "get_weather",
                        "args": {"location": "Paris"},
                        "id": "call_a",
                    }
                }
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "name": "get_weather",
                        "response": {"temp_c": 21},
                        "id": "call_a",
                    }
                },
                {"text": "And this?"},
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
            ],
        },
    ]
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Current weather of a city",
                    "parameters": TOOLS[0]["function"]["parameters"],
                }
            ]
        }
    ]
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}
    }
    assert body["generationConfig"] == {
        "maxOutputTokens": 64,
        "temperature": 0.1,
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object"},
    }
    runner.stream("gemini/gemini-2.5-flash", QUESTION)
    assert server.requests[1].query == {"alt": ["sse"]}


def test_gemini_tool_result_needs_its_call(mode: str) -> None:
    orphan = [*QUESTION, {"role": "tool", "tool_call_id": "nope", "content": "x"}]
    providers = {"gemini": {"base_url": "http://127.0.0.1:9", "api_key": KEY}}
    with pytest.raises(e.ConfigurationError, match="name"):
        Runner(mode, providers=providers).chat("gemini/g", orphan)


def test_cohere_request(server: LoopbackServer, mode: str) -> None:
    play(server, "cohere")
    Runner(mode, providers=override(server, "cohere")).chat(
        "cohere/command-a", HISTORY, tools=TOOLS, tool_choice="required", max_tokens=9
    )
    body = server.requests[0].json()
    assert body["tool_choice"] == "REQUIRED"
    assert body["max_tokens"] == 9
    assert body["tools"] == TOOLS
    assert body["messages"][2] == {"role": "assistant", "tool_calls": HISTORY[2]["tool_calls"]}
    assert body["messages"][3] == HISTORY[3]


def test_ollama_request(server: LoopbackServer, mode: str) -> None:
    play(server, "ollama")
    Runner(mode, providers=override(server, "ollama")).chat(
        "ollama/llama3.2", HISTORY, tools=TOOLS, max_tokens=9, temperature=0,
        response_format={"type": "json_object"},
    )  # fmt: skip
    body = server.requests[0].json()
    assert body["stream"] is False
    assert body["options"] == {"num_predict": 9, "temperature": 0}
    assert body["format"] == "json"
    assert body["messages"][2]["tool_calls"] == [
        {"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}
    ]
    assert body["messages"][3] == {
        "role": "tool",
        "content": '{"temp_c": 21}',
        "tool_name": "get_weather",
    }
    assert body["messages"][4] == {
        "role": "user",
        "content": "And this?",
        "images": ["iVBORw0KGgo="],
    }


# --- Embeddings and rerank ------------------------------------------------------------------

OPENAI_SHAPED = {
    "object": "list",
    "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 1.0]}],
    "model": "m",
    "usage": {"total_tokens": 3, "prompt_tokens": 3},
}
EMBEDDINGS: dict[str, tuple[str, object, dict[str, Any]]] = {
    "jina": (
        "/embeddings",
        OPENAI_SHAPED,
        {"model": "m", "input": ["hi"], "dimensions": 2, "task": "retrieval.query"},
    ),
    "voyage": (
        "/embeddings",
        OPENAI_SHAPED,
        {"model": "m", "input": ["hi"], "output_dimension": 2, "input_type": "retrieval.query"},
    ),
    "cohere": (
        "/v2/embed",
        {"embeddings": {"float": [[0.5, 1.0]]}, "meta": {"billed_units": {"input_tokens": 3}}},
        {
            "model": "m",
            "texts": ["hi"],
            "input_type": "retrieval.query",
            "embedding_types": ["float"],
            "output_dimension": 2,
        },
    ),
    "gemini": (
        "/v1beta/models/m:batchEmbedContents",
        {"embeddings": [{"values": [0.5, 1.0]}]},
        {
            "requests": [
                {
                    "model": "models/m",
                    "content": {"parts": [{"text": "hi"}]},
                    "taskType": "retrieval.query",
                    "outputDimensionality": 2,
                }
            ]
        },
    ),
    "ollama": (
        "/api/embed",
        {"model": "m", "embeddings": [[0.5, 1.0]], "prompt_eval_count": 3},
        {"model": "m", "input": ["hi"], "dimensions": 2},
    ),
}


@pytest.mark.parametrize("name", sorted(EMBEDDINGS))
def test_embeddings(server: LoopbackServer, mode: str, name: str) -> None:
    path, answer, sent = EMBEDDINGS[name]
    server.reset()
    header = {"x-goog-api-key": KEY} if name == "gemini" else {"authorization": f"Bearer {KEY}"}
    server.json("POST", path, answer, require=header)
    runner = Runner(mode, providers=override(server, name))
    result = runner.call("embed", f"{name}/m", ["hi"], dimensions=2, input_type="retrieval.query")
    assert result.embeddings == [[0.5, 1.0]]
    assert result.provider == name
    assert server.requests[0].json() == sent


RERANK: dict[str, tuple[str, object, dict[str, Any]]] = {
    "jina": (
        "/rerank",
        {"results": [{"index": 1, "relevance_score": 0.9, "document": {"text": "b"}},
                     {"index": 0, "relevance_score": 0.1, "document": {"text": "a"}}],
         "usage": {"total_tokens": 5}},
        {"model": "r", "query": "q", "documents": ["a", "b"], "top_n": 2},
    ),
    "voyage": (
        "/rerank",
        {"data": [{"index": 0, "relevance_score": 0.1}, {"index": 1, "relevance_score": 0.9}]},
        {"model": "r", "query": "q", "documents": ["a", "b"], "top_k": 2},
    ),
    "cohere": (
        "/v2/rerank",
        {"results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}]},
        {"model": "r", "query": "q", "documents": ["a", "b"], "top_n": 2},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(RERANK))
def test_rerank(server: LoopbackServer, mode: str, name: str) -> None:
    path, answer, sent = RERANK[name]
    server.reset()
    server.json("POST", path, answer, require={"authorization": f"Bearer {KEY}"})
    result = Runner(mode, providers=override(server, name)).call(
        "rerank", f"{name}/r", "q", ["a", "b"], top_n=2
    )
    assert [(r.index, r.relevance_score) for r in result.results] == [(1, 0.9), (0, 0.1)]
    assert server.requests[0].json() == sent
    if name == "jina":
        assert [r.document for r in result.results] == ["b", "a"]
        assert result.usage.total_tokens == 5


@pytest.mark.parametrize(
    ("name", "path", "answer"),
    [
        ("gemini", "/v1beta/models", {"models": [{"name": "models/gemini-2.5-flash"}]}),
        ("cohere", "/v1/models", {"models": [{"name": "command-a", "endpoints": ["chat"]}]}),
        ("ollama", "/api/tags", {"models": [{"name": "llama3.2:latest"}]}),
    ],
)
def test_list_models(
    server: LoopbackServer, mode: str, name: str, path: str, answer: object
) -> None:
    server.reset()
    server.json("GET", path, answer)
    models = Runner(mode, providers=override(server, name)).call("list_models", name)
    assert len(models) == 1 and models[0].provider == name


def test_a_stream_error_line_from_ollama(server: LoopbackServer, mode: str) -> None:
    lines = frames(transcript("ollama_chat_tool_call.ndjson").replace(b"\n", b"\n\n"))
    play(server, "ollama", [lines[0].rstrip(b"\n") + b"\n", b'{"error":"model runner crashed"}\n'])
    result = Runner(mode, providers=override(server, "ollama")).stream("ollama/llama3.2", QUESTION)
    assert isinstance(result.error, e.StreamInterrupted)
    assert "model runner crashed" in str(result.error)
    assert [c.name for c in result.error.tool_calls] == ["get_weather"]
