"""Start-up rules (README, "HTTP library: httpx2"): importing the client and making one load
no HTTP library, provider adapter or catalog, and the blocking client never imports asyncio,
not even to send a request. Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fake_providers import KEY
from loopback import LoopbackServer, json_response

SCRIPT = """
import json, sys
loaded = lambda: {name: name in sys.modules for name in WATCHED}
WATCHED = ("asyncio", "httpx2", "httpx", "fluent_ai.providers.adapters", "fluent_ai.catalog")
from fluent_ai import Client
seen = {"import": loaded()}
client = Client(providers={"openai": {"base_url": sys.argv[1], "api_key": sys.argv[2]}})
seen["construct"] = loaded()
answer = client.chat("openai/gpt-4o", [{"role": "user", "content": "Hi"}])
seen["chat"] = loaded()
client.close()
seen["text"] = answer.text
print(json.dumps(seen))
"""

ANSWER = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


def test_the_sync_client_loads_lazily_and_never_imports_asyncio() -> None:
    with LoopbackServer() as server:
        server.route("POST", "/v1/chat/completions", json_response(ANSWER))
        python_dir = str(Path(__import__("fluent_ai").__file__).parent.parent)
        env = {**os.environ, "PYTHONPATH": python_dir}
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, server.url + "/v1", KEY],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["text"] == "Hello"
    nothing = dict.fromkeys(seen["import"], False)
    assert seen["import"] == nothing
    assert seen["construct"] == nothing
    # The request loaded the HTTP library and the adapters, and still no asyncio.
    on_httpx2 = sys.version_info >= (3, 11)
    assert seen["chat"]["asyncio"] is False
    assert seen["chat"]["httpx2" if on_httpx2 else "httpx"] is True
    assert seen["chat"]["fluent_ai.providers.adapters"] is True
