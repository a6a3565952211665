"""``FLUENT_AI_LOG`` and ``configure_logging``: a readable handler for fluent-ai's loggers at
the level asked, and no secret in any record (canary keys in the key, the environment, a base
URL, a per-call header and an error body that echoes them)."""

# The fixtures server comes from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from client_helpers import server  # noqa: F401
from fake_providers import OPENAI_TOOLS_WHOLE
from loopback import LoopbackServer, json_response

from fluent_ai import telemetry

CANARIES = {
    "key": "sk-canary-log-5d1e9a7c3b",
    "env": "sk-canary-env-8e2f4a6b0c",
    "password": "pw-canary-3c7d9e1f5a",
    "header": "tok-canary-6a8b0c2d4e",
}
CHAT = "/v1/chat/completions"

_SCRIPT = """
import sys
sys.path[:0] = {paths!r}
from fluent_ai import Client, RetryPolicy
url, key, header = sys.argv[1], sys.argv[2], sys.argv[3]
fast = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.002)
with Client(providers={{"openai": {{"base_url": url, "api_key": key}}}}, retry=fast) as client:
    messages = [{{"role": "user", "content": "Hi"}}]
    client.chat("openai/gpt-4o", messages, headers={{"x-gateway-token": header}})
    try:
        client.chat("openai/gpt-4o", messages, headers={{"x-gateway-token": header}})
    except Exception as error:
        print("raised", type(error).__name__)
"""


def run(server: LoopbackServer, level: str) -> subprocess.CompletedProcess[str]:
    server.reset()
    echo = {"error": {"message": " ".join(CANARIES.values()), "type": "server_error"}}
    # The first call: one 503 (retried, logged at INFO) then the answer; the second: 401s.
    server.once("POST", CHAT, json_response(echo, 503))
    server.once("POST", CHAT, json_response(OPENAI_TOOLS_WHOLE))
    server.once("POST", CHAT, json_response(echo, 401), times=5)
    host = server.url.removeprefix("http://")
    url = f"http://user:{CANARIES['password']}@{host}/v1"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "FLUENT_AI_LOG": level,
        "OPENAI_API_KEY": CANARIES["env"],
    }
    script = _SCRIPT.format(paths=[str(Path(__file__).parent)])
    return subprocess.run(
        [sys.executable, "-c", script, url, CANARIES["key"], CANARIES["header"]],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_debug_shows_calls_and_retries_without_secrets(server: LoopbackServer) -> None:
    done = run(server, "debug")
    assert done.returncode == 0, done.stderr
    assert "raised AuthenticationError" in done.stdout
    lines = done.stderr.splitlines()
    client_lines = [line for line in lines if " fluent_ai.client: " in line]
    assert any(" DEBUG " in line and "chat openai/gpt-4o started" in line for line in lines)
    assert any(" INFO " in line and "retrying openai chat" in line for line in client_lines)
    ended = [line for line in client_lines if "ended: " in line]
    assert len(ended) == 2
    assert "ok in" in ended[0] and "AuthenticationError in" in ended[1]
    everything = done.stdout + done.stderr
    for canary in CANARIES.values():
        assert canary not in everything


def test_warning_hides_info(server: LoopbackServer) -> None:
    done = run(server, "WARNING")
    assert done.returncode == 0, done.stderr
    assert "fluent_ai.client" not in done.stderr
    assert all(canary not in done.stderr for canary in CANARIES.values())


def test_unknown_level_is_a_warning(server: LoopbackServer) -> None:
    done = run(server, "loud")
    assert done.returncode == 0, done.stderr
    assert "FLUENT_AI_LOG='loud' is not one of debug, info, warning" in done.stderr
    assert "fluent_ai.client" not in done.stderr


def test_handler_redacts_environment_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another library's record under fluent_ai, holding a key from the environment."""
    monkeypatch.setenv("ACME_API_KEY", CANARIES["env"])
    out = io.StringIO()
    telemetry.configure_logging("info", stream=out)
    try:
        log = logging.getLogger("fluent_ai.client")
        log.info("sending with %s", CANARIES["env"])
        log.debug("not shown at info")
        try:
            raise RuntimeError(f"failed with {CANARIES['env']}")
        except RuntimeError:
            log.warning("it failed", exc_info=True)
    finally:
        telemetry.configure_logging(None)
    text = out.getvalue()
    assert "sending with [REDACTED]" in text
    assert "RuntimeError: failed with [REDACTED]" in text
    assert "not shown" not in text
    assert CANARIES["env"] not in text
    assert text.splitlines()[0].split()[2:4] == ["INFO", "fluent_ai.client:"]
    with pytest.raises(ValueError, match="level must be one of"):
        telemetry.configure_logging("verbose")
