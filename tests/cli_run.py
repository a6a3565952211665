"""Running the ``fluent-ai`` command as a script would: a child process with its own
environment (keys from the environment only), stdout and stderr captured."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from uuid import uuid4

import fluent_ai

__all__ = ["KEY", "command_env", "run_cli"]

#: The canary key: never on the screen, in a file or in an error.
KEY = "sk-canary-cli-4e8b2a6f1d93c7"

_SOURCE = str(Path(fluent_ai.__file__).resolve().parents[1])


def command_env(base_url: str | None, **more: str) -> dict[str, str]:
    """The child's environment: fluent_ai importable as in this run, the provider pointed at
    the loopback server, no colour settings inherited, no other provider keys."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.endswith(("_API_KEY", "_TOKEN")) and name not in ("NO_COLOR", "TERM")
    }
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = _SOURCE if not path else _SOURCE + os.pathsep + path
    env["OPENAI_API_KEY"] = KEY
    # No catalog cache of this machine (refreshed prices would change the costs shown): a
    # directory that does not exist reads as empty; a test that refreshes passes its own.
    env["FLUENT_AI_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / f"fluent-ai-none-{uuid4()}")
    if base_url is not None:
        env["FLUENT_AI_OPENAI_BASE_URL"] = base_url
    env.update(more)
    return env


def run_cli(
    *args: str,
    env: Mapping[str, str],
    stdin: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m fluent_ai ARGS`` (stdin closed unless given)."""
    return subprocess.run(
        [sys.executable, "-m", "fluent_ai", *args],
        env=dict(env),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )
