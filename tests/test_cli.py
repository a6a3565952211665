"""The ``fluent-ai`` command run as a script runs it: ``--json`` output, exit codes, no colour
when piped, keys never shown, record and replay (the terminal itself: test_cli_terminal.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog_helpers import isolate_catalog
from cli_provider import install
from cli_run import KEY, command_env, run_cli
from loopback import LoopbackServer

from fluent_ai import StreamDecoder, catalog

TOOLS = str(Path(__file__).resolve().parent / "data" / "cli_tools.json")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TRANSCRIPTS = SHARED / "spec" / "transcripts"
MODEL = "openai/gpt-4.1-mini"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with LoopbackServer() as server:
        install(server)
        yield server.url + "/v1"


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _assert_clean(result: Any) -> None:
    """No key, no traceback, no escape sequence (stdout and stderr are pipes here)."""
    for text in (result.stdout, result.stderr):
        assert KEY not in text
        assert "Traceback" not in text
        assert "\x1b[" not in text


def test_stream_json_gives_every_event_then_the_response(
    provider: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate_catalog(monkeypatch, tmp_path)  # the prices the child sees (no machine cache)
    result = run_cli(
        "stream", MODEL, "tools", "--tools", TOOLS, "--json", env=command_env(provider)
    )
    assert result.returncode == 0, result.stderr
    lines = _lines(result.stdout)
    decoder = StreamDecoder("openai-chat")
    expected = decoder.feed((TRANSCRIPTS / "openai_chat_parallel_tool_calls.txt").read_bytes())
    expected += decoder.finish() or []
    assert [line["type"] for line in lines[:-1]] == [type(e).__name__ for e in expected]
    assert lines[:-1] == [{"type": type(e).__name__, **e.to_dict()} for e in expected]
    response = lines[-1]
    assert response["type"] == "response"
    assert [call["name"] for call in response["tool_calls"]] == [
        "GetWeatherArgs",
        "get_stock_price",
    ]
    cost = catalog.cost(f"openai/{response['model']}", response["usage"])
    assert response["cost"]["total"] == cost.total
    _assert_clean(result)


def test_chat_prints_the_answer_and_usage_and_cost_on_stderr(provider: str) -> None:
    result = run_cli("chat", MODEL, "hello", "there", env=command_env(provider))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "You said: hello there (turn 1)\n"
    # 12 input and 7 output tokens at $0.4 and $1.6 per million: $0.0000160.
    assert "tokens in 12 / out 7" in result.stderr and "cost $0.000016" in result.stderr
    _assert_clean(result)
    piped = run_cli("chat", MODEL, "--json", env=command_env(provider), stdin="from stdin\n")
    (answer,) = _lines(piped.stdout)
    assert answer["text"] == "You said: from stdin (turn 1)"
    assert answer["cost"]["total"] == pytest.approx(1.6e-05)


def test_stream_text_is_written_as_it_arrives_with_reasoning_marked(provider: str) -> None:
    result = run_cli("stream", MODEL, "think", env=command_env(provider))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("thinking: Okay, the user asks")
    assert result.stdout.rstrip().endswith("9.8 is larger than 9.11.")
    assert "reasoning 37" in result.stderr
    _assert_clean(result)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("chat", MODEL, "bad key"), 1, "AuthenticationError"),
        (("chat", "no-provider", "hi"), 2, "InvalidArgumentError"),
        (("stream", MODEL, "hi", "--max-tokens", "many"), 2, "not a whole number"),
        (("chat", "nowhere/model", "hi"), 3, "UnknownProviderError"),
        (("cost", "openai/no-such-model-x", "--input", "5"), 3, "ModelNotFoundError"),
        (("chat", MODEL, "hi", "--config", "/nonexistent/fluent.json"), 3, "config file"),
        (("replay", "/nonexistent/cassette"), 5, "no cassette"),
        (("frobnicate",), 2, "invalid choice"),
    ],
)
def test_exit_codes(provider: str, args: tuple[str, ...], code: int, message: str) -> None:
    result = run_cli(*args, env=command_env(provider))
    assert result.returncode == code, (result.stdout, result.stderr)
    assert message in result.stderr
    _assert_clean(result)


def test_a_missing_key_is_a_configuration_error_and_errors_are_json_with_json(
    provider: str,
) -> None:
    env = command_env(provider)
    del env["OPENAI_API_KEY"]
    result = run_cli("chat", MODEL, "hi", "--json", env=env)
    assert result.returncode == 3
    (error,) = _lines(result.stderr)
    assert error["error"] == "MissingCredentialsError" and error["exit_code"] == 3
    assert "OPENAI_API_KEY" in error["message"]
    # The key the provider echoed in its error body is not shown either.
    bad = run_cli("chat", MODEL, "bad key", "--json", env=command_env(provider))
    assert bad.returncode == 1 and "[REDACTED]" in _lines(bad.stderr)[0]["message"]
    _assert_clean(bad)


def test_the_config_file_gives_providers_and_keys(provider: str, tmp_path: Path) -> None:
    config = tmp_path / "fluent.json"
    config.write_text(
        json.dumps(
            {
                "providers": {
                    "local": {"base_url": provider, "api_key": KEY, "dialect": "openai-chat"}
                }
            }
        )
    )
    env = command_env(None)
    del env["OPENAI_API_KEY"]
    result = run_cli("chat", "local/m", "via config", "--config", str(config), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "You said: via config (turn 1)\n"
    env["FLUENT_AI_CONFIG"] = str(config)
    assert run_cli("chat", "local/m", "by env", env=env).stdout == "You said: by env (turn 1)\n"
    # --base-url: a registry provider elsewhere, or an unknown name as OpenAI-compatible.
    env_no_url = command_env(None)
    moved = run_cli("chat", MODEL, "moved", "--base-url", provider, env=env_no_url)
    assert moved.stdout == "You said: moved (turn 1)\n", moved.stderr
    local = run_cli("chat", "mylocal/llama", "local", "--base-url", provider, env=env)
    assert local.stdout == "You said: local (turn 1)\n", local.stderr
    config.write_text("{broken")
    broken = run_cli("chat", "local/m", "x", env=env)
    assert broken.returncode == 3 and "not JSON" in broken.stderr and KEY not in broken.stderr


def test_models_filters_and_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cache = isolate_catalog(monkeypatch, tmp_path)
    env = command_env(None, FLUENT_AI_CACHE_DIR=str(cache))
    result = run_cli(
        "models",
        "--provider",
        "anthropic",
        "--tools",
        "--min-context",
        "200000",
        "--sort",
        "input_price",
        "--limit",
        "0",
        "--json",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    rows = _lines(result.stdout)
    expected = catalog.find("anthropic", tools=True, min_context=200_000, sort="input_price")
    assert [row["name"] for row in rows] == [info.name for info in expected] and rows
    table = run_cli("models", "gpt-4.1-mini", "--provider", "openai", env=env)
    assert table.returncode == 0
    header, *lines = table.stdout.splitlines()
    assert header.split() == [
        "model",
        "context",
        "output",
        "in",
        "$/M",
        "out",
        "$/M",
        "capabilities",
    ]
    first = next(line for line in lines if line.startswith("openai/gpt-4.1-mini "))
    assert first.split()[1:5] == ["1,047,576", "32,768", "$0.4", "$1.6"]
    assert "tools" in first.split()[5]
    _assert_clean(table)


def test_models_refresh_reads_the_live_list(provider: str, tmp_path: Path) -> None:
    with LoopbackServer() as server:
        server.json(
            "GET",
            "/v1/models",
            {
                "object": "list",
                "data": [
                    {"id": "gpt-4.1-mini", "object": "model", "owned_by": "openai"},
                    {"id": "brand-new-model", "object": "model", "owned_by": "openai"},
                ],
            },
        )
        env = command_env(server.url + "/v1", FLUENT_AI_CACHE_DIR=str(tmp_path))
        result = run_cli("models", "brand-new", "--refresh", "openai", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert [row["name"] for row in _lines(result.stdout)] == ["openai/brand-new-model"]
    assert "openai: fetched (2 models)" in result.stderr
    _assert_clean(result)


def test_cost_estimate() -> None:
    result = run_cli(
        "cost",
        "openai/gpt-4.1-mini",
        "--input",
        "12000",
        "--output",
        "800",
        "--cache-read",
        "2000",
        "--json",
        env=command_env(None),
    )
    assert result.returncode == 0, result.stderr
    (line,) = _lines(result.stdout)
    # 10,000 uncached at $0.4/M + 2,000 cached at $0.1/M + 800 out at $1.6/M.
    assert line["cost"]["total"] == pytest.approx(0.004 + 0.0002 + 0.00128)
    text = run_cli("cost", "gpt-4.1-mini", "--input", "1000", env=command_env(None))
    assert "total" in text.stdout and "$0.000400" in text.stdout
    over = run_cli(
        "cost", "gpt-4.1-mini", "--input", "10", "--cache-read", "11", env=command_env(None)
    )
    assert over.returncode == 2


@pytest.mark.parametrize("chunk_size", ["0", "1", "7"])
def test_decode_turns_a_captured_body_into_the_events(chunk_size: str) -> None:
    path = TRANSCRIPTS / "anthropic_tool_use.txt"
    result = run_cli(
        "decode",
        str(path),
        "--dialect",
        "anthropic",
        "--chunk-size",
        chunk_size,
        "--json",
        env=command_env(None),
    )
    assert result.returncode == 0, result.stderr
    decoder = StreamDecoder("anthropic")
    expected = [*decoder.feed(path.read_bytes()), *decoder.finish()]
    assert _lines(result.stdout) == [{"type": type(e).__name__, **e.to_dict()} for e in expected]


def test_decode_reports_a_broken_stream_with_exit_code_4(tmp_path: Path) -> None:
    data = (TRANSCRIPTS / "openai_chat_text.txt").read_bytes()
    cut = tmp_path / "cut.txt"
    cut.write_bytes(data[: data.index(b"\n\n", len(data) // 2) + 2])  # whole frames only
    result = run_cli("decode", str(cut), "-d", "openai-chat", env=command_env(None))
    assert result.returncode == 4
    assert "StreamTruncated" in result.stderr and "TextDelta" in result.stdout
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b'data: {"choices": [\n\n')
    result = run_cli("decode", str(bad), "-d", "openai-chat", "--json", env=command_env(None))
    assert result.returncode == 4 and _lines(result.stdout)[-1]["error"] == "JsonStreamError"


def test_record_then_replay_without_the_server(tmp_path: Path) -> None:
    cassette = tmp_path / "cassette"
    with LoopbackServer() as server:
        install(server)
        env = command_env(server.url + "/v1")
        live = run_cli(
            "record", str(cassette), "stream", MODEL, "tools", "--tools", TOOLS, "--json", env=env
        )
        chat = run_cli("record", str(cassette), "chat", MODEL, "hello", "--json", env=env)
    assert live.returncode == 0 and chat.returncode == 0, live.stderr + chat.stderr
    env = command_env("http://127.0.0.1:9/v1", OPENAI_API_KEY="sk-some-other-key-000")
    replayed = run_cli(
        "replay", str(cassette), "stream", MODEL, "tools", "--tools", TOOLS, "--json", env=env
    )
    assert replayed.returncode == 0, replayed.stderr
    assert _lines(replayed.stdout) == _lines(live.stdout)
    again = run_cli("replay", str(cassette), "chat", MODEL, "hello", "--json", env=env)
    assert _lines(again.stdout) == _lines(chat.stdout)
    listing = run_cli("replay", str(cassette), "--json", env=env)
    assert [row["status"] for row in _lines(listing.stdout)] == [200, 200]
    missing = run_cli("replay", str(cassette), "chat", MODEL, "not recorded", env=env)
    assert missing.returncode == 5 and "UnrecordedRequestError" in missing.stderr
    for path in cassette.iterdir():
        assert KEY not in path.read_text()
    # decode reads an exchange file read by read: the stream's own events.
    decoded = run_cli("decode", str(cassette / "0001.json"), "-d", "openai-chat", "--json", env=env)
    assert decoded.returncode == 0, decoded.stderr
    assert _lines(decoded.stdout) == _lines(live.stdout)[:-1]


def test_help_texts_name_the_commands_and_the_exit_codes() -> None:
    result = run_cli("--help", env=command_env(None))
    assert result.returncode == 0
    for word in ("chat", "stream", "models", "cost", "decode", "record", "replay", "130"):
        assert word in result.stdout
    for command in ("chat", "stream", "models", "cost", "decode", "record", "replay"):
        sub = run_cli(command, "--help", env=command_env(None))
        assert sub.returncode == 0 and "usage: fluent-ai " + command in sub.stdout


def test_colours_only_when_asked_or_on_a_terminal(provider: str) -> None:
    plain = run_cli("stream", MODEL, "tools", "--tools", TOOLS, env=command_env(provider))
    assert "\x1b[" not in plain.stdout + plain.stderr
    forced = run_cli(
        "stream", MODEL, "tools", "--tools", TOOLS, "--color", "always", env=command_env(provider)
    )
    assert "\x1b[36mtool call GetWeatherArgs(" in forced.stdout
    assert "\x1b[2m" in forced.stderr
