"""The ``fluent-ai`` command in a real terminal: tmux runs it in a pseudo-terminal, keys are
typed into it, and what the screen shows is read back (``capture-pane``): an interactive
session that keeps its history, Ctrl-C during a stream (exit 130, no traceback), colours on
a terminal and none when piped or with NO_COLOR.

Needs tmux (the Debian package ``tmux``); without it these tests fail saying so.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_provider import install
from cli_run import KEY, command_env
from loopback import LoopbackServer

MODEL = "openai/gpt-4.1-mini"
TOOLS = shlex.quote(str(Path(__file__).resolve().parent / "data" / "cli_tools.json"))
_WAIT = 20.0  # seconds a screen may take to show what is expected (a loaded CI machine)


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with LoopbackServer() as server:
        install(server)
        yield server.url + "/v1"


class Terminal:
    """One tmux session (its own server socket) running one command, 100x30."""

    def __init__(self, socket: Path, command: str, env: dict[str, str]) -> None:
        self.socket = str(socket)
        self.name = "t" + uuid.uuid4().hex[:8]
        # The pane stays after the command ends and shows its exit code. The shell catches
        # Ctrl-C itself (a trap with a command, which its children do not inherit), so the
        # key ends the command only, as in an interactive shell.
        script = f"trap 'true' INT; {command}; echo EXIT=$?; sleep 600"
        self._tmux(
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "30",
            "-s",
            self.name,
            "sh",
            "-c",
            script,
            env=env,
        )

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            ["tmux", "-S", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=env,
        )
        if result.returncode != 0:
            raise AssertionError(f"tmux {args[0]} failed: {result.stderr}")
        return result.stdout

    def screen(self, *, escapes: bool = False) -> str:
        """The visible screen (with the colour escape sequences when ``escapes``)."""
        args = ["capture-pane", "-p", "-t", self.name]
        return self._tmux(*args, *(["-e"] if escapes else []))

    def type(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def wait_for(self, pattern: str, *, escapes: bool = False) -> str:
        """The screen once ``pattern`` (a regex) is on it; fails with the screen after
        ``_WAIT`` seconds."""
        deadline = time.monotonic() + _WAIT
        while True:
            screen = self.screen(escapes=escapes)
            if re.search(pattern, screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared; the screen:\n{screen}")
            time.sleep(0.1)

    def wait_prompt(self) -> str:
        """The screen once the session waits for input (its last line is the prompt)."""
        return self.wait_for(r"(?m)^you>\s*\Z|you>\s*\n\s*\Z")

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[object]:
    if shutil.which("tmux") is None:
        pytest.fail(
            "tmux is not installed: these tests drive the command in a real terminal "
            "(Debian: apt-get install tmux)"
        )
    opened: list[Terminal] = []

    def start(arguments: str, env: dict[str, str]) -> Terminal:
        env = {**env, "TERM": "xterm-256color", "LANG": "C.UTF-8"}
        command = f"{shlex.quote(sys.executable)} -m fluent_ai {arguments}"
        session = Terminal(tmp_path / f"tmux-{len(opened)}.sock", command, env)
        opened.append(session)
        return session

    yield start
    for session in opened:
        session.close()


def _no_traceback(screen: str) -> None:
    assert "Traceback" not in screen and KEY not in screen, screen


def test_an_interactive_session_keeps_its_history(terminal: object, provider: str) -> None:
    term = terminal(f"chat {MODEL} --tools {TOOLS}", command_env(provider))  # type: ignore[operator]
    term.wait_prompt()
    term.type("hello there", "Enter")
    term.wait_for(r"ai> You said: hello there \(turn 1\)")
    term.wait_prompt()
    term.type("and again", "Enter")
    # The second request carried the first turn and its answer: turn 2.
    term.wait_for(r"ai> You said: and again \(turn 2\)")
    screen = term.wait_prompt()
    assert "cost $" in screen  # usage and cost after each answer
    # Tool calls are shown as they stream; the next turn carries them with a result each
    # (the server refuses a call without one, as OpenAI does).
    term.type("tools", "Enter")
    term.wait_for(r"(?s)ai> tool call GetWeatherArgs\(\{.*tool call get_stock_price\(")
    term.wait_prompt()
    term.type("next", "Enter")
    term.wait_for(r"You said: next \(turn 4\)")
    term.wait_prompt()
    term.type("/reset", "Enter")
    term.wait_for(r"history cleared")
    term.wait_prompt()
    term.type("fresh", "Enter")
    term.wait_for(r"You said: fresh \(turn 1\)")
    term.wait_prompt()
    term.type("C-d")
    screen = term.wait_for(r"EXIT=0")
    _no_traceback(screen)


def test_ctrl_c_during_a_stream_exits_cleanly(terminal: object, provider: str) -> None:
    term = terminal(f"stream {MODEL} slow", command_env(provider))  # type: ignore[operator]
    term.wait_for(r"word2 ")
    term.type("C-c")
    screen = term.wait_for(r"EXIT=\d+")
    assert "EXIT=130" in screen, screen
    assert "interrupted" in screen and "word39" not in screen
    _no_traceback(screen)


def test_ctrl_c_stops_an_answer_and_the_session_goes_on(terminal: object, provider: str) -> None:
    term = terminal(f"chat {MODEL}", command_env(provider))  # type: ignore[operator]
    term.wait_prompt()
    term.type("slow", "Enter")
    term.wait_for(r"word1 ")
    term.type("C-c")
    term.wait_for(r"\(interrupted\)")
    term.wait_prompt()
    # The interrupted turn is not in the history: the next one is turn 1.
    term.type("after", "Enter")
    term.wait_for(r"You said: after \(turn 1\)")
    term.wait_prompt()
    term.type("/exit", "Enter")
    screen = term.wait_for(r"EXIT=0")
    _no_traceback(screen)


def test_colours_on_a_terminal_and_none_when_piped_or_with_no_color(
    terminal: object, provider: str
) -> None:
    env = command_env(provider)
    coloured = terminal(f"stream {MODEL} tools --tools {TOOLS}", env)  # type: ignore[operator]
    screen = coloured.wait_for(r"EXIT=0", escapes=True)
    assert re.search(r"\x1b\[[0-9;]*36m\s*tool call GetWeatherArgs\(", screen), screen
    assert "\x1b[" in screen.split("tool call get_stock_price")[1]  # the dim usage line
    # Piped into cat: the answer has no escapes (stderr, still the terminal, may).
    piped = terminal(f"stream {MODEL} tools --tools {TOOLS} 2>/dev/null | cat", env)  # type: ignore[operator]
    screen = piped.wait_for(r"EXIT=0", escapes=True)
    assert "tool call GetWeatherArgs(" in screen and "\x1b[36m" not in screen
    plain = terminal(f"stream {MODEL} tools --tools {TOOLS}", {**env, "NO_COLOR": "1"})  # type: ignore[operator]
    screen = plain.wait_for(r"EXIT=0", escapes=True)
    assert "tool call GetWeatherArgs(" in screen
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m", screen), screen


def test_progress_is_shown_while_waiting_and_cleared(terminal: object, provider: str) -> None:
    term = terminal(f"stream {MODEL} slow", command_env(provider))  # type: ignore[operator]
    screen = term.wait_for(r"word0 ")
    assert "waiting for the first token" not in screen  # cleared by the first event
    term.type("C-c")
    term.wait_for(r"EXIT=130")
