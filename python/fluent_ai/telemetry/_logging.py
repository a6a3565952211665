"""fluent-ai's loggers, and ``FLUENT_AI_LOG`` (``debug``, ``info``, ``warning``): a readable
handler on stderr, switched on by the environment (like ``OPENAI_LOG``) or by
:func:`configure_logging`.

The loggers (all under ``fluent_ai``; nothing is printed unless the application or the switch
configures logging):

- ``fluent_ai.client``: INFO, each retry (provider, operation, wait, the redacted error);
  DEBUG, each call's start (provider, model, server) and end (outcome, seconds, retries).
- ``fluent_ai.catalog``: WARNING, a catalog refresh that fell back to the packaged snapshot.
- ``fluent_ai.auth``: DEBUG, Google access tokens fetched (never the token).
- ``fluent_ai.telemetry``: WARNING, telemetry that failed and was skipped (once).

What the records say is redacted where it is made; the handler installed here also replaces
any value of a credential environment variable (``*_API_KEY``, ``*_TOKEN``, ...) it finds in a
message or traceback by ``[REDACTED]``, in case another library logs one.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import TextIO

__all__ = ["LEVELS", "LOGGERS", "apply_env", "configure_logging"]

LOGGERS = ("fluent_ai.client", "fluent_ai.catalog", "fluent_ai.auth", "fluent_ai.telemetry")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
# Values shorter than this are not secrets worth a search (and would redact common words).
_MIN_SECRET = 8


class _Redacting(logging.Filter):
    """Replaces the values of credential environment variables in a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _environment_secrets()
        if not secrets:
            return True
        message = record.getMessage()
        redacted = _redact(message, secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = _redact(record.stack_info, secrets)
        return True


def _environment_secrets() -> list[str]:
    found = [
        value
        for name, value in os.environ.items()
        if len(value) >= _MIN_SECRET and any(word in name.upper() for word in _SECRET_WORDS)
    ]
    return sorted(found, key=len, reverse=True)  # a longer secret first, if one holds another


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    return text


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler :func:`configure_logging` installs (found again to be replaced)."""


def configure_logging(level: str | int | None = "info", stream: TextIO | None = None) -> None:
    """Shows fluent-ai's log records at ``level`` (``"debug"``, ``"info"``, ``"warning"`` or a
    ``logging`` level) on ``stream`` (stderr), one readable line each; ``None`` removes the
    handler again. Calling it again replaces the handler."""
    root = logging.getLogger("fluent_ai")
    for handler in list(root.handlers):
        if isinstance(handler, _Handler):
            root.removeHandler(handler)
    if level is None:
        root.setLevel(logging.NOTSET)
        return
    if isinstance(level, str):
        if level.lower() not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        number = LEVELS[level.lower()]
    elif isinstance(level, int) and not isinstance(level, bool):
        number = level
    else:
        raise TypeError(f"level must be a str or an int, not {type(level).__name__}")
    handler = _Handler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(_Redacting())
    root.addHandler(handler)
    root.setLevel(number)


def apply_env() -> None:
    """Applies ``FLUENT_AI_LOG`` (read when ``fluent_ai`` is imported); an unknown value is a
    warning, not an error."""
    value = os.environ.get("FLUENT_AI_LOG", "").strip().lower()
    if not value:
        return
    if value not in LEVELS:
        warnings.warn(
            f"FLUENT_AI_LOG={value!r} is not one of {', '.join(LEVELS)}; ignored",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    configure_logging(value)
