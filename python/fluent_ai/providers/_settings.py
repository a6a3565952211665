"""The provider settings the clients read (``providers={"<name>": {<setting>: value}}``).

A setting name that no part of fluent-ai reads is an error, never silently kept: a misspelled
``base_ur`` would otherwise send the prompt and the key to the provider's production URL
instead of the server meant. Each name has a kind, and its value is checked when the client is
made (``UnknownSettingError``, ``ArgumentTypeError``, ``InvalidArgumentError``). Values of
credential settings are never shown in a message.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping, Sequence
from urllib.parse import urlsplit

from .._validation import check_count, check_string, fail_type, fail_value
from ..errors import UnknownSettingError

__all__ = ["AUTH_SCHEMES", "COMMON_SETTINGS", "DIALECT_SETTINGS", "check_setting", "valid_settings"]

#: The Responses API's settings (``fluent_ai.providers.openai_responses``): which API a call
#: uses by default, and the reasoning summary asked for with ``reasoning_effort``.
RESPONSES_SETTINGS = ("api", "reasoning_summary")
_SETTING_CHOICES = {
    "api": ("chat", "responses"),
    "reasoning_summary": ("auto", "concise", "detailed", "none"),
}

#: Settings of every provider.
COMMON_SETTINGS = ("api_key", "api_key_env", "auth", "base_url", "dialect", "headers")

#: The settings each dialect's adapter reads, besides the common ones and the provider's own
#: parameters (``region``, ``endpoint``, ``project``, ...; see ``ProviderSpec.params``).
DIALECT_SETTINGS: Mapping[str, tuple[str, ...]] = {
    "openai-chat": ("max_tokens_field", "reasoning_split", "stream_options", *RESPONSES_SETTINGS),
    "azure-openai": (
        "api_version",
        "azure_ad_token",
        "max_tokens_field",
        "stream_options",
        *RESPONSES_SETTINGS,
    ),
    "anthropic": ("anthropic_version", "api_version", "beta", "default_max_tokens"),
    "gemini": ("api_version",),
    "vertex": (
        "access_token",
        "anthropic_version",
        "api_version",
        "beta",
        "credentials",
        "credentials_file",
        "default_max_tokens",
        "location",
        "project",
        "quota_project",
        "token_uri",
    ),
    "bedrock": (
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "control_base_url",
        "profile",
        "region",
    ),
    "cohere": (),
    "ollama": (),
    "jina": (),
    "voyage": (),
}

#: The ``auth`` setting's values (how the key is sent).
AUTH_SCHEMES = ("bearer", "x-api-key", "x-goog-api-key", "api-key", "sigv4", "google-oauth")

# The kind of each setting's value; names not listed are provider parameters (plain text).
_SECRET = ("api_key", "azure_ad_token", "aws_access_key_id", "aws_secret_access_key",
           "aws_session_token", "access_token")  # fmt: skip
_URLS = ("base_url", "control_base_url", "token_uri", "endpoint")
_KNOWN = frozenset(
    {*COMMON_SETTINGS, *_SECRET, *_URLS, *(n for names in DIALECT_SETTINGS.values() for n in names)}
)


# RFC 9110 §5.6.2: the characters of a header name.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def valid_settings(dialect: str, params: Sequence[str] = ()) -> list[str] | None:
    """The setting names a provider of ``dialect`` with parameters ``params`` reads, sorted;
    ``None`` for a dialect registered by the application (its adapter's settings are not
    known here, so none is refused)."""
    extra = DIALECT_SETTINGS.get(dialect)
    if extra is None:
        return None
    return sorted({*COMMON_SETTINGS, *extra, *params})


def check_setting(
    provider: str, name: object, value: object, valid: Collection[str] | None
) -> None:
    """One ``providers[provider][name] = value`` entry."""
    where = f"providers[{provider!r}]"
    if not isinstance(name, str):
        fail_type(f"a setting name of {where}", "a str", name)
    if valid is not None and name not in valid:
        close = difflib.get_close_matches(name, list(valid), n=3, cutoff=0.6)
        raise UnknownSettingError(provider, name, sorted(valid), close)
    if valid is None and name not in _KNOWN:
        return  # a setting of an application's own adapter: its kind is not known here
    _check_value(f"{where}[{name!r}]", name, value)


def _check_value(where: str, name: str, value: object) -> None:
    if value is None:
        return  # unset: the environment or the default applies
    if name in _SECRET:
        check_string(where, value, secret=True)
        if not _header_safe(value):  # type: ignore[arg-type]
            fail_value(where, "printable ASCII without spaces", value, secret=True)
    elif name in _URLS:
        text = check_string(where, value, secret=True)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            fail_value(where, "an http:// or https:// URL with a host", value, secret=True)
    elif name == "headers":
        if not isinstance(value, Mapping):
            fail_type(where, "a dict of str header names to str values", value)
        for header, text in value.items():
            check_string(f"a header name in {where}", header)
            if not _TOKEN.fullmatch(header):
                fail_value(f"a header name in {where}", "an HTTP token", header)
            check_string(f"{where}[{header!r}]", text, empty=True, secret=True)
            if any(c in text for c in "\r\n\0"):  # would split or end the header
                fail_value(f"{where}[{header!r}]", "one line", text, secret=True)
    elif name in ("stream_options", "reasoning_split"):
        if not isinstance(value, bool):
            fail_type(where, "a bool", value)
    elif name == "default_max_tokens":
        check_count(where, value, minimum=1)
    elif name == "credentials":
        if not isinstance(value, Mapping):
            fail_type(where, "the service-account key as a dict", value, secret=True)
    elif name == "beta":
        if not isinstance(value, str):
            if isinstance(value, (bytes, Mapping)) or not isinstance(value, Sequence):
                fail_type(where, "a str or a list of str", value)
            for item in value:
                check_string(f"an item of {where}", item)
    elif name in _SETTING_CHOICES:
        check_string(where, value)
        if value not in _SETTING_CHOICES[name]:
            fail_value(where, "one of " + ", ".join(_SETTING_CHOICES[name]), value)
    elif name == "auth":
        check_string(where, value)
        if value not in AUTH_SCHEMES:
            fail_value(where, "one of " + ", ".join(AUTH_SCHEMES), value)
    else:
        check_string(where, value)


def _header_safe(text: str) -> bool:
    return text.isascii() and text.isprintable() and not any(c.isspace() for c in text)
