"""The clients of the end-to-end benchmark: each streams one answer from a base URL and returns
``(text, arguments)``, the text and the parsed arguments of every tool call, by index.

- ``fluent``/``fluent_async``: ``Client.stream`` / ``AsyncClient.stream``, text from
  ``TextDelta`` events, arguments from ``ToolCallDone`` (parsed by the decoder);
- ``raw``/``raw_async``: the floor: the HTTP library alone (``client.stream`` +
  ``iter_lines`` + ``json.loads``) and the same accumulation, written as tightly as we can;
- ``openai``/``openai_async``: ``chat.completions.create(stream=True)``, the same accumulation
  over the SDK's chunk objects;
- ``openai_helper``/``openai_helper_async``: ``chat.completions.stream()``, the SDK helper
  that accumulates itself (``get_final_completion()``).

Each runner owns one client (made once, like an application does) and streams many times.
"""

# ruff: noqa: PLC0415  (each client imports only its own library: a fresh process measures it alone)
from __future__ import annotations

import json
from typing import Any, Callable

MODEL = "gpt-4o-2024-08-06"
MESSAGES = [{"role": "user", "content": "What is the weather at the stations near Zurich?"}]
API_KEY = "sk-bench-000000000000"

Result = tuple[str, list[Any]]


def _accumulate(chunk: Any, text: list[str], calls: dict[int, list[str]]) -> None:
    """The work every caller does per chunk: keep the text, join each call's arguments."""
    for choice in chunk["choices"]:
        delta = choice["delta"]
        content = delta.get("content")
        if content:
            text.append(content)
        for call in delta.get("tool_calls") or ():
            fragment = call["function"].get("arguments")
            parts = calls.get(call["index"])
            if parts is None:
                calls[call["index"]] = parts = []
            if fragment:
                parts.append(fragment)


def _result(text: list[str], calls: dict[int, list[str]]) -> Result:
    return "".join(text), [json.loads("".join(calls[index])) for index in sorted(calls)]


class Fluent:
    is_async = False

    def __init__(self, base_url: str) -> None:
        from fluent_ai import Client

        providers = {"openai": {"base_url": base_url, "api_key": API_KEY}}
        self.client = Client(providers=providers, max_retries=0)

    def once(self) -> Result:
        from fluent_ai import TextDelta, ToolCallDone

        text: list[str] = []
        arguments: dict[int, Any] = {}
        with self.client.stream(f"openai/{MODEL}", MESSAGES) as stream:
            for event in stream:
                kind = type(event)
                if kind is TextDelta:
                    text.append(event.text)
                elif kind is ToolCallDone:
                    arguments[event.index] = event.arguments
        return "".join(text), [arguments[index] for index in sorted(arguments)]

    def close(self) -> None:
        self.client.close()


class FluentAsync:
    is_async = True

    def __init__(self, base_url: str) -> None:
        from fluent_ai import AsyncClient

        providers = {"openai": {"base_url": base_url, "api_key": API_KEY}}
        self.client = AsyncClient(providers=providers, max_retries=0)

    async def once(self) -> Result:
        from fluent_ai import TextDelta, ToolCallDone

        text: list[str] = []
        arguments: dict[int, Any] = {}
        async with self.client.stream(f"openai/{MODEL}", MESSAGES) as stream:
            async for event in stream:
                kind = type(event)
                if kind is TextDelta:
                    text.append(event.text)
                elif kind is ToolCallDone:
                    arguments[event.index] = event.arguments
        return "".join(text), [arguments[index] for index in sorted(arguments)]

    async def close(self) -> None:
        await self.client.aclose()


def _request(base_url: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    body = {"model": MODEL, "messages": MESSAGES, "stream": True}
    return base_url + "/chat/completions", body, {"authorization": f"Bearer {API_KEY}"}


class Raw:
    is_async = False

    def __init__(self, base_url: str) -> None:
        from fluent_ai._http import httpx

        self.client = httpx.Client()
        self.url, self.body, self.headers = _request(base_url)

    def once(self) -> Result:
        text: list[str] = []
        calls: dict[int, list[str]] = {}
        loads = json.loads
        with self.client.stream("POST", self.url, json=self.body, headers=self.headers) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    payload = line[6:]
                    if payload == "[DONE]":
                        break
                    _accumulate(loads(payload), text, calls)
        return _result(text, calls)

    def close(self) -> None:
        self.client.close()


class RawAsync:
    is_async = True

    def __init__(self, base_url: str) -> None:
        from fluent_ai._http import httpx

        self.client = httpx.AsyncClient()
        self.url, self.body, self.headers = _request(base_url)

    async def once(self) -> Result:
        text: list[str] = []
        calls: dict[int, list[str]] = {}
        loads = json.loads
        async with self.client.stream("POST", self.url, json=self.body, headers=self.headers) as r:
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    payload = line[6:]
                    if payload == "[DONE]":
                        break
                    _accumulate(loads(payload), text, calls)
        return _result(text, calls)

    async def close(self) -> None:
        await self.client.aclose()


def _sdk_accumulate(chunk: Any, text: list[str], calls: dict[int, list[str]]) -> None:
    for choice in chunk.choices:
        delta = choice.delta
        if delta.content:
            text.append(delta.content)
        for call in delta.tool_calls or ():
            parts = calls.get(call.index)
            if parts is None:
                calls[call.index] = parts = []
            if call.function is not None and call.function.arguments:
                parts.append(call.function.arguments)


def _final(completion: Any) -> Result:
    message = completion.choices[0].message
    calls = message.tool_calls or []
    return message.content or "", [json.loads(call.function.arguments) for call in calls]


class OpenAISDK:
    is_async = False

    def __init__(self, base_url: str) -> None:
        import openai

        self.client = openai.OpenAI(base_url=base_url, api_key=API_KEY, max_retries=0)

    def once(self) -> Result:
        text: list[str] = []
        calls: dict[int, list[str]] = {}
        stream = self.client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
        )
        with stream:
            for chunk in stream:
                _sdk_accumulate(chunk, text, calls)
        return _result(text, calls)

    def close(self) -> None:
        self.client.close()


class OpenAISDKAsync:
    is_async = True

    def __init__(self, base_url: str) -> None:
        import openai

        self.client = openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY, max_retries=0)

    async def once(self) -> Result:
        text: list[str] = []
        calls: dict[int, list[str]] = {}
        stream = await self.client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
        )
        async with stream:
            async for chunk in stream:
                _sdk_accumulate(chunk, text, calls)
        return _result(text, calls)

    async def close(self) -> None:
        await self.client.close()


class OpenAIHelper(OpenAISDK):
    def once(self) -> Result:
        with self.client.chat.completions.stream(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
        ) as stream:
            for _ in stream:
                pass
            return _final(stream.get_final_completion())


class OpenAIHelperAsync(OpenAISDKAsync):
    async def once(self) -> Result:
        async with self.client.chat.completions.stream(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
        ) as stream:
            async for _ in stream:
                pass
            return _final(await stream.get_final_completion())


class LiteLLM:
    """``litellm.completion(stream=True)``, when LiteLLM is installed."""

    is_async = False

    def __init__(self, base_url: str) -> None:
        import litellm

        self.litellm = litellm
        self.base_url = base_url

    def once(self) -> Result:
        text: list[str] = []
        calls: dict[int, list[str]] = {}
        response = self.litellm.completion(
            model=f"openai/{MODEL}",
            messages=MESSAGES,
            api_base=self.base_url,
            api_key=API_KEY,
            stream=True,
        )
        for chunk in response:
            _sdk_accumulate(chunk, text, calls)
        return _result(text, calls)

    def close(self) -> None:
        pass


CLIENTS: dict[str, Callable[[str], Any]] = {
    "fluent": Fluent,
    "fluent_async": FluentAsync,
    "raw": Raw,
    "raw_async": RawAsync,
    "openai": OpenAISDK,
    "openai_async": OpenAISDKAsync,
    "openai_helper": OpenAIHelper,
    "openai_helper_async": OpenAIHelperAsync,
    "litellm": LiteLLM,
}
# What each client needs installed beyond fluent-ai.
NEEDS = {
    "openai": "openai",
    "openai_async": "openai",
    "openai_helper": "openai",
    "openai_helper_async": "openai",
    "litellm": "litellm",
}
