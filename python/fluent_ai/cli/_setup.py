"""Exit codes, the client the commands use (keys from the environment or a config file only),
and turning exceptions into one line on stderr."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import (
    APIError,
    CassetteError,
    ConfigurationError,
    FluentAIError,
    InvalidArgumentError,
    MissingCredentialsError,
    StreamDecodeError,
    UnknownProviderError,
    UnrecordedRequestError,
)

__all__ = ["EXIT", "client_options", "exit_code_of", "fail", "load_config"]

# The command's exit codes (documented in docs/cli.md and `fluent-ai --help`).
EXIT = {
    "ok": 0,
    "api": 1,  # the provider answered with an error, or the connection failed
    "usage": 2,  # bad command-line arguments (argparse's own code)
    "config": 3,  # a missing key, an unknown provider or model, a bad config file
    "decode": 4,  # `decode`: the captured body is not a valid stream of its dialect
    "cassette": 5,  # replay: the request is not in the cassette, or a cassette file is bad
    "interrupted": 130,  # Ctrl-C
}

EXIT_TEXT = """exit codes:
  0    success
  1    the provider answered with an error, or the connection failed
  2    bad command-line arguments
  3    configuration: missing key, unknown provider or model, bad config file
  4    decode: the captured body is not a valid stream of its dialect
  5    replay: the request is not in the cassette (or a cassette file is unreadable)
  130  interrupted (Ctrl-C)
"""


class CommandError(Exception):
    """A failure the command reports in one line with its exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, kind: str) -> CommandError:
    return CommandError(message, EXIT[kind])


def exit_code_of(error: BaseException) -> int:
    if isinstance(error, CommandError):
        return error.code
    if isinstance(error, (UnrecordedRequestError, CassetteError)):
        return EXIT["cassette"]
    if isinstance(error, StreamDecodeError):
        return EXIT["decode"]
    if isinstance(
        error, (MissingCredentialsError, ConfigurationError, UnknownProviderError, KeyError)
    ):
        return EXIT["config"]
    if isinstance(error, InvalidArgumentError):
        return EXIT["usage"]
    if isinstance(error, APIError):
        return EXIT["api"]
    return EXIT["api"] if isinstance(error, FluentAIError) else 1


def load_config(path: str | None) -> dict[str, Any]:
    """The provider overrides of ``--config FILE`` or ``$FLUENT_AI_CONFIG``: a JSON object
    ``{"providers": {"name": {"base_url": ..., "api_key": ...}}}`` (the ``providers=`` of
    the clients). No file: ``{}``."""
    chosen = path or os.environ.get("FLUENT_AI_CONFIG")
    if not chosen:
        return {}
    try:
        data = json.loads(Path(chosen).read_text(encoding="utf-8"))
    except OSError as error:
        raise fail(f"cannot read the config file {chosen!r}: {error.strerror}", "config") from None
    except ValueError as error:
        raise fail(f"the config file {chosen!r} is not JSON: {error}", "config") from None
    if not isinstance(data, dict) or not isinstance(data.get("providers", {}), dict):
        raise fail(
            f'the config file {chosen!r} must hold {{"providers": {{"name": {{...}}}}}}', "config"
        )
    return {"providers": data.get("providers") or None}


def client_options(args: Any) -> dict[str, Any]:
    """The ``Client`` arguments of a chat/stream command."""
    options: dict[str, Any] = dict(load_config(getattr(args, "config", None)))
    record = getattr(args, "record", None)
    replay = getattr(args, "replay", None)
    if record and replay:
        raise fail("--record and --replay cannot be used together", "usage")
    if record:
        options["record"] = record
    if replay:
        options["replay"] = replay
        if not Path(replay).is_dir():
            raise fail(f"no cassette at {replay!r} (a directory made by record)", "cassette")
    if getattr(args, "timeout", None) is not None:
        options["timeout"] = args.timeout
    base_url = getattr(args, "base_url", None)
    if base_url:
        # The model's provider at another URL; a name the registry does not know becomes an
        # OpenAI-compatible provider there (a local server: no key needed).
        from ..providers.registry import PROVIDERS  # noqa: PLC0415

        provider = str(args.model).partition("/")[0]
        providers = dict(options.get("providers") or {})
        entry = dict(providers.get(provider) or {})
        entry["base_url"] = base_url
        if provider not in PROVIDERS and "dialect" not in entry:
            entry["dialect"] = "openai-chat"
        providers[provider] = entry
        options["providers"] = providers
    return options


def error_line(error: BaseException) -> str:
    """What the command prints for ``error`` (messages are redacted by the library)."""
    name = type(error).__name__
    text = str(error) or name
    if isinstance(error, CommandError):
        return text
    return f"{name}: {text}"


def report(error: BaseException, style: Any, *, as_json: bool = False) -> int:
    """Writes ``error`` on stderr (one line; JSON with ``--json``); returns the exit code."""
    code = exit_code_of(error)
    if as_json:
        line = json.dumps(
            {
                "error": type(error).__name__,
                "message": str(error) or type(error).__name__,
                "exit_code": code,
            },
            ensure_ascii=False,
        )
        sys.stderr.write(line + "\n")
    else:
        sys.stderr.write(style("error: ", "red", "bold") + error_line(error) + "\n")
    sys.stderr.flush()
    return code
