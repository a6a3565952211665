"""Connections cut at every byte, with a FIN or a reset, empty bodies, against a server that
counts what it sent (``cut_server``): the caller gets exactly one answer or one typed error, a
retry starts over (new decoder, new accounting), an answer the server sent whole is never asked
for again (billed twice) nor lost, what reached the caller is never replayed, and
``StreamInterrupted`` holds exactly what reached the caller, however the cut falls."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterable
from typing import Any

import pytest
from cut_server import CutServer, Plan, wire
from fake_providers import ANTHROPIC_TOOLS_WHOLE, KEY, OPENAI_TOOLS_WHOLE, transcript

from fluent_ai import AsyncClient, Client, RetryPolicy, StreamDecoder, Timeout, errors

MESSAGES = [{"role": "user", "content": "What's the weather?"}]
MODELS = {
    "anthropic": "anthropic/claude-sonnet-4-5",
    "openai": "openai/gpt-4o",
    "ollama": "ollama/llama3.2",
}
WHOLE = {"anthropic": ANTHROPIC_TOOLS_WHOLE, "openai": OPENAI_TOOLS_WHOLE}
DIALECT = {"anthropic": "anthropic", "openai": "openai-chat", "ollama": "ollama"}
# Where a frame of each dialect ends.
FRAME_END = {"anthropic": b"\n\n", "openai": b"\n\n", "ollama": b"\n"}


def providers(server: CutServer) -> dict[str, dict[str, str]]:
    return {
        "openai": {"base_url": server.url + "/v1", "api_key": KEY},
        "anthropic": {"base_url": server.url, "api_key": KEY},
        "ollama": {"base_url": server.url},
    }


def text_and_parallel_calls() -> bytes:
    """The recorded OpenAI parallel tool-call stream with two text deltas put before its
    calls (the same chunk shape as the recording's own text chunks)."""
    data = transcript("openai_chat_parallel_tool_calls.txt")
    first, _, rest = data.partition(b"\n\n")
    chunk = json.loads(first[len(b"data: ") :])
    frames = []
    for text in ("Let me check ", "both for you. "):
        chunk["choices"][0]["delta"] = {"content": text}
        frames.append(b"data: " + json.dumps(chunk, separators=(",", ":")).encode())
    return b"\n\n".join([first, *frames, rest])


STREAMS = {
    "anthropic": transcript("anthropic_tool_use.txt"),
    "openai": text_and_parallel_calls(),
    "ollama": transcript("ollama_chat_tool_call.ndjson"),
}


def run_calls(
    mode: str, server: CutServer, calls: Iterable[tuple[str, str, int]], retries: int
) -> list[tuple[list[Any], Any, BaseException | None]]:
    """Makes each ``(api, provider, trial)`` call on one client; returns for each the events
    that reached the caller, the answer, and the exception that ended it."""
    options: dict[str, Any] = {
        "providers": providers(server),
        "retry": RetryPolicy(max_retries=retries, backoff_base=0.0005, backoff_max=0.001),
        "timeout": Timeout(connect=5, total=20),
        "breaker": None,
    }

    if mode == "sync":
        results = []
        with Client(**options) as client:
            for api, provider, trial in calls:
                events: list[Any] = []
                try:
                    if api == "chat":
                        answer = client.chat(MODELS[provider], MESSAGES, extra={"trial": trial})
                    else:
                        stream = client.stream(MODELS[provider], MESSAGES, extra={"trial": trial})
                        with stream:
                            events.extend(stream)
                        answer = stream.response
                    results.append((events, answer, None))
                except Exception as error:
                    results.append((events, None, error))
        return results

    async def run() -> list[tuple[list[Any], Any, BaseException | None]]:
        results = []
        async with AsyncClient(**options) as client:
            for api, provider, trial in calls:
                events: list[Any] = []
                try:
                    if api == "chat":
                        answer = await client.chat(
                            MODELS[provider], MESSAGES, extra={"trial": trial}
                        )
                    else:
                        stream = client.stream(MODELS[provider], MESSAGES, extra={"trial": trial})
                        async with stream:
                            async for event in stream:
                                events.append(event)
                        answer = stream.response
                    results.append((events, answer, None))
                except Exception as error:
                    results.append((events, None, error))
        return results

    return asyncio.run(run())


def all_events(dialect: str, data: bytes) -> list[Any]:
    decoder = StreamDecoder(dialect)
    return [*decoder.feed(data), *decoder.finish()]


# --- Every cut point of a stream: what StreamInterrupted reports ----------------------------


def expected_after(dialect: str, body: bytes, end: bytes, *, clean: bool) -> tuple[list[Any], Any]:
    """What a caller gets from a stream whose body ended after ``body`` (``clean``: as its
    HTTP framing meant it to, not by a reset or a cut chunked/length body): the events of the
    whole frames in it, and either the decoder's ``StreamTruncated`` for exactly those frames
    (an independent account: the frames end where the decoder's input ends) or ``None`` when
    they make a complete answer."""
    decoder = StreamDecoder(dialect)
    try:  # a last frame without its blank line still counts when it ends the stream
        return [*decoder.feed(body), *decoder.finish(clean=clean)], None
    except errors.StreamDecodeError:
        pass
    # A frame cut in two: the stream did not end as it should, whatever the framing said.
    whole_frames = body[: body.rfind(end) + len(end)] if end in body else b""
    decoder = StreamDecoder(dialect)
    events = list(decoder.feed(whole_frames))
    try:
        events += decoder.finish(clean=False)
    except errors.StreamTruncated as truncated:
        truncated.tool_calls = decoder.tool_calls  # type: ignore[attr-defined]
        return events, truncated
    return events, None


def cut_plans(data: bytes, every: int, end: bytes) -> list[tuple[int, Plan]]:
    """A plan for each cut point (every ``every``-th byte of the response, and each byte next
    to a frame boundary), alternating FIN and reset, chunked and close-delimited bodies."""
    plans = []
    head = wire(Plan(body=data))[1] - len(data)
    boundaries = {i + len(end) for i in range(len(data)) if data.startswith(end, i)}
    near = {head + b + d for b in boundaries for d in (-2, -1, 0, 1)}
    for index, cut in enumerate(sorted(set(range(0, head + len(data) + 9, every)) | near)):
        framing = "close" if index % 4 == 1 else "chunked"
        plans.append((cut, Plan(body=data, framing=framing, cut=cut, rst=index % 3 == 0)))
    return plans


@pytest.mark.parametrize("provider", ["anthropic", "openai", "ollama"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stream_cut_at_every_byte_reports_exactly_what_reached_the_caller(
    mode: str, provider: str
) -> None:
    data = STREAMS[provider]
    dialect = DIALECT[provider]
    complete = all_events(dialect, data)
    every = 1 if mode == "sync" and provider != "openai" else 5
    plans = cut_plans(data, every, FRAME_END[provider])
    by_trial = dict(enumerate(plan for _, plan in plans))
    with CutServer(lambda fields, attempt: by_trial[fields["trial"]]) as server:
        results = run_calls(mode, server, [("stream", provider, t) for t in by_trial], 0)
    interrupted = 0
    for (cut, plan), (events, answer, error) in zip(plans, results):
        response, body_end = wire(plan)
        body_start = body_end - len(data)
        received = data[: max(0, min(cut, len(response)) - body_start)]
        clean = cut >= len(response) or (plan.framing == "close" and not plan.rst)
        expected, truncated = expected_after(dialect, received, FRAME_END[provider], clean=clean)
        where = f"cut at {cut} ({plan.framing}, rst={plan.rst})"
        assert events == expected, where
        if truncated is None:  # the end marker had arrived: the answer is whole
            assert error is None, where
            assert events == complete, where
            continue
        assert answer is None, where
        if not expected:
            # Nothing reached the caller: a cut connection, never a decode error.
            assert type(error) is errors.ConnectionError, (where, error)
            continue
        interrupted += 1
        assert isinstance(error, errors.StreamInterrupted), (where, error)
        assert isinstance(error, errors.ConnectionError), where
        assert error.partial_text == truncated.partial_text, where
        assert error.tool_calls == truncated.tool_calls, where  # type: ignore[attr-defined]
        assert error.partial_tool_calls == truncated.partial_tool_calls, where
    assert interrupted > len(plans) // 2


def test_partial_tool_calls_of_a_call_cut_inside_its_arguments() -> None:
    # The openai stream cut inside the second call's arguments, mid-frame: the first call is
    # done, the second open with the arguments received so far.
    data = STREAMS["openai"]
    cut = data.index(b'\\"exch') + 3
    plan = Plan(
        body=data, framing="close", cut=wire(Plan(body=data, framing="close"))[1] - len(data) + cut
    )
    with CutServer(lambda fields, attempt: plan) as server:
        ((events, _, error),) = run_calls("sync", server, [("stream", "openai", 0)], 0)
    assert isinstance(error, errors.StreamInterrupted)
    assert [type(e).__name__ for e in events].count("ToolCallDone") == 1
    assert error.partial_text == "Let me check both for you. "
    assert [c.name for c in error.tool_calls] == ["GetWeatherArgs"]
    (open_call,) = error.partial_tool_calls
    assert open_call.name == "get_stock_price"
    assert open_call.partial == {"ticker": "AAPL"}
    assert open_call.raw.startswith('{"ticker": "AAPL"')


# --- Random faults with retries: no lost, duplicated or billed-twice answers ----------------


def fault(rng: random.Random, body: bytes, content_type: str) -> Plan:
    """A random failed answer: an empty 200 (any framing), or a cut anywhere in the response
    with a FIN or a reset."""
    framing = rng.choice(["length", "chunked", "close"])
    if rng.random() < 0.25:
        return Plan(content_type=content_type, body=b"", framing=framing)
    size = len(wire(Plan(body=body, framing=framing))[0])
    return Plan(
        content_type=content_type,
        body=body,
        framing=framing,
        cut=rng.randrange(0, size + 1),
        rst=rng.random() < 0.5,
    )


@pytest.mark.parametrize("api", ["chat", "stream"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_random_faults_give_one_answer_or_one_typed_error(mode: str, api: str) -> None:
    provider = "openai" if api == "stream" else "anthropic"
    rng = random.Random(f"{mode}-{api}")
    if api == "stream":
        body, content_type = STREAMS[provider], "text/event-stream"
        complete = all_events(DIALECT[provider], body)
    else:
        body, content_type = json.dumps(WHOLE[provider]).encode(), "application/json"
    retries = 3
    # Per trial: the plan of each attempt (faults, then a clean answer, or faults only).
    schedules = []
    for _ in range(150):
        faults = rng.choice([1, 1, 1, 2, 3, retries + 1])
        plans = [fault(rng, body, content_type) for _ in range(faults)]
        schedules.append([*plans, Plan(content_type=content_type, body=body)])

    def answer(fields: dict[str, Any], attempt: int) -> Plan:
        return schedules[fields["trial"]][attempt]

    with CutServer(answer) as server:
        results = run_calls(
            mode, server, [(api, provider, t) for t in range(len(schedules))], retries
        )
        trials = dict(server.trials)
    lost = duplicated = billed_twice = 0
    for trial, (events, response, error) in enumerate(results):
        record = trials[trial]
        billed_twice += record.billed > 1
        where = f"trial {trial}: {schedules[trial][: record.requests]}"
        if error is None:
            if api == "stream":
                duplicated += events != complete
                assert response.tool_calls == tuple(
                    complete[i]
                    for i in range(len(complete))
                    if type(complete[i]).__name__ == "ToolCallDone"
                )
            else:
                assert response.tool_calls[0].arguments == {"location": "Paris"}
            assert record.billed == 1, where
            continue
        lost += record.billed > 0
        # One typed error: the cut connection, or the interrupted stream. Never a decode error.
        assert isinstance(error, errors.ConnectionError), (where, repr(error))
        assert not isinstance(error, errors.StreamDecodeError), where
        if events:
            # Output reached the caller: no retry after it, and nothing was replayed.
            assert isinstance(error, errors.StreamInterrupted), where
            assert events == complete[: len(events)], where
            assert record.cuts[-1] is not None, where
        else:
            assert not isinstance(error, errors.StreamInterrupted), where
    assert (lost, duplicated, billed_twice) == (0, 0, 0)
    # The schedules exercised both outcomes.
    assert sum(error is None for _, _, error in results) > 20
    assert sum(error is not None for _, _, error in results) > 5


@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
@pytest.mark.parametrize("api", ["chat", "stream"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_empty_200_is_retried_with_a_fresh_decoder(mode: str, api: str, framing: str) -> None:
    # The first answer is an empty 200; the retry's whole answer is the one the caller gets.
    provider = "anthropic"
    if api == "stream":
        body, content_type = STREAMS[provider], "text/event-stream"
    else:
        body, content_type = json.dumps(WHOLE[provider]).encode(), "application/json"
    plans = [
        Plan(content_type=content_type, framing=framing),
        Plan(content_type=content_type, body=body),
    ]
    with CutServer(lambda fields, attempt: plans[attempt]) as server:
        ((events, response, error),) = run_calls(mode, server, [(api, provider, 0)], 2)
        assert server.trials[0].requests == 2
        assert server.trials[0].billed == 1
    assert error is None, repr(error)
    assert response.text == "I'll check the current weather in Paris for you."
    assert response.tool_calls[0].arguments == {"location": "Paris"}
    if api == "stream":
        assert events == all_events("anthropic", body)
    # Without retries it is a ConnectionError that says so.
    with CutServer(lambda fields, attempt: plans[0]) as server:
        ((events, response, error),) = run_calls(mode, server, [(api, provider, 0)], 0)
    assert type(error) is errors.ConnectionError
    assert "empty" in str(error)


@pytest.mark.parametrize("api", ["chat", "stream"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_answer_sent_whole_is_kept_when_the_connection_breaks_after_it(
    mode: str, api: str
) -> None:
    # The connection resets inside the end of the chunked encoding, after the whole answer:
    # the answer is used (asking again would bill a second one).
    provider = "anthropic"
    if api == "stream":
        body, content_type = STREAMS[provider], "text/event-stream"
    else:
        body, content_type = json.dumps(WHOLE[provider]).encode(), "application/json"
    end = wire(Plan(content_type=content_type, body=body))[1]
    plans = [
        Plan(content_type=content_type, body=body, cut=end + cut, rst=True) for cut in (0, 2, 4)
    ]
    with CutServer(lambda fields, attempt: plans[fields["trial"]]) as server:
        results = run_calls(mode, server, [(api, provider, t) for t in range(3)], 2)
        assert [server.trials[t].requests for t in range(3)] == [1, 1, 1]
    for _, response, error in results:
        assert error is None, repr(error)
        assert response.tool_calls[0].arguments == {"location": "Paris"}
