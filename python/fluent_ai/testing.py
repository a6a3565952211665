"""The pytest plugin of fluent-ai: tests that talk to providers replay recorded exchanges in
CI (no network, no key) and record them again when asked.

Registered as a ``pytest11`` entry point, so installing fluent-ai makes it available::

    def test_weather(fluent_ai_cassette):
        with fluent_ai_cassette.client() as client:        # Client(replay=...) or (record=...)
            answer = client.chat("openai/gpt-4.1-mini", [{"role": "user", "content": "Hi"}])
        assert answer.text

``pytest`` replays from the test's cassette; ``pytest --fluent-ai-record`` empties it and
records against the real providers (keys from the environment). The cassette of a test is
``<directory of the test file>/cassettes/<module>/<test name>``; ``--fluent-ai-cassettes DIR``
(or the ``fluent_ai_cassettes`` ini option) moves the root, and
``@pytest.mark.fluent_ai_cassette("name")`` names a test's directory. When replaying, every
registry provider whose key variable is unset gets the placeholder key ``fluent-ai-replay``,
so the clients build their requests as they would with a key.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

__all__ = ["REPLAY_KEY", "CassetteFixture"]

REPLAY_KEY = "fluent-ai-replay"
"""The key a replaying test's providers get when their variable is unset."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class CassetteFixture:
    """What the ``fluent_ai_cassette`` fixture gives: the test's cassette and its mode."""

    def __init__(self, path: Path, mode: str) -> None:
        self.path = path
        self.mode = mode  # "record" or "replay"

    @property
    def recording(self) -> bool:
        return self.mode == "record"

    @property
    def options(self) -> dict[str, Any]:
        """``{"record": path}`` or ``{"replay": path}``, for ``Client(**options)``."""
        return {self.mode: str(self.path)}

    def client(self, **options: Any) -> Any:
        """A ``fluent_ai.Client`` that records into or replays from this cassette."""
        from .client import Client  # noqa: PLC0415

        return Client(**options, **self.options)

    def async_client(self, **options: Any) -> Any:
        """A ``fluent_ai.AsyncClient`` that records into or replays from this cassette."""
        from .client import AsyncClient  # noqa: PLC0415

        return AsyncClient(**options, **self.options)

    def __repr__(self) -> str:
        return f"<CassetteFixture {self.mode} {str(self.path)!r}>"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fluent-ai", "fluent-ai record and replay")
    group.addoption(
        "--fluent-ai-record",
        action="store_true",
        default=False,
        help="record the fluent_ai_cassette tests against the real providers (empties each "
        "test's cassette first); without it they replay",
    )
    group.addoption(
        "--fluent-ai-cassettes",
        default=None,
        metavar="DIR",
        help="root directory of the cassettes (default: cassettes/ next to each test file)",
    )
    parser.addini("fluent_ai_cassettes", "root directory of the fluent-ai cassettes", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fluent_ai_cassette(name): the cassette directory name of this test (fluent-ai)",
    )


def _cassette_path(request: pytest.FixtureRequest) -> Path:
    config = request.config
    root_option = config.getoption("--fluent-ai-cassettes") or config.getini("fluent_ai_cassettes")
    module = Path(str(request.node.path))
    if root_option:
        root = Path(root_option)
        if not root.is_absolute():
            root = Path(str(config.rootpath)) / root
    else:
        root = module.parent / "cassettes"
    marker = request.node.get_closest_marker("fluent_ai_cassette")
    if marker is not None and marker.args:
        name = str(marker.args[0])
    else:
        name = _UNSAFE.sub("-", request.node.name).strip("-") or "test"
    return root / module.stem / name


def _placeholder_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from .providers import registry  # noqa: PLC0415

    for spec in registry.PROVIDERS.values():
        if spec.key_env and not any(os.environ.get(name) for name in spec.key_env):
            monkeypatch.setenv(spec.key_env[0], REPLAY_KEY)


@pytest.fixture
def fluent_ai_cassette(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> CassetteFixture:
    """This test's cassette: replayed, or recorded with ``--fluent-ai-record``."""
    path = _cassette_path(request)
    if request.config.getoption("--fluent-ai-record"):
        if path.is_dir():
            shutil.rmtree(path)
        return CassetteFixture(path, "record")
    _placeholder_keys(monkeypatch)
    return CassetteFixture(path, "replay")
