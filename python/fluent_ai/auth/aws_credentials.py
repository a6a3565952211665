"""AWS credentials and region, resolved the way the AWS SDKs do (static keys only).

Credentials, highest priority first:

1. explicit arguments (``access_key_id`` and ``secret_access_key``, optional ``session_token``);
2. the environment: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``
   (``AWS_SECURITY_TOKEN`` as the legacy name) - skipped when a profile is passed explicitly,
   as botocore does;
3. the shared files: ``~/.aws/credentials`` (``AWS_SHARED_CREDENTIALS_FILE``) section
   ``[name]``, then ``~/.aws/config`` (``AWS_CONFIG_FILE``) section ``[profile name]``
   (``[default]`` for the default profile); the profile is the explicit one, else
   ``AWS_PROFILE``, else ``AWS_DEFAULT_PROFILE``, else ``default``.

Region: explicit, then ``AWS_REGION``, ``AWS_DEFAULT_REGION``, then the profile's ``region``.

Nothing here ever puts a secret access key or a session token into a message or a ``repr``.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .._validation import check_mapping, check_string
from ..errors import ConfigurationError

__all__ = ["AwsCredentials", "profile_name", "resolve_credentials", "resolve_region"]

_KEY_ID = "aws_access_key_id"
_SECRET = "aws_secret_access_key"
_TOKEN = "aws_session_token"
_LEGACY_TOKEN = "aws_security_token"
# Profile settings that mean "credentials come from elsewhere" (not supported here).
_INDIRECT = (
    "role_arn",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
)


@dataclass(frozen=True)
class AwsCredentials:
    """An access key pair, with the session token of temporary credentials.

    ``repr``/``str`` show only a masked access key id and whether a token is set.
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.access_key_id, str) or not self.access_key_id:
            raise ConfigurationError("AwsCredentials: access_key_id must be a non-empty string")
        if not isinstance(self.secret_access_key, str) or not self.secret_access_key:
            raise ConfigurationError("AwsCredentials: secret_access_key must be a non-empty string")
        if self.session_token is not None and (
            not isinstance(self.session_token, str) or not self.session_token
        ):
            raise ConfigurationError(
                "AwsCredentials: session_token must be a non-empty string or None"
            )

    def __repr__(self) -> str:
        token = "set" if self.session_token else "none"
        return f"AwsCredentials(access_key_id={_mask(self.access_key_id)!r}, session_token={token})"

    __str__ = __repr__


def _mask(key_id: str) -> str:
    # Access key ids are not secret, but a caller may pass a secret by mistake: show 4+4 chars
    # of long values only, so a misplaced secret is never printed whole.
    if len(key_id) <= 12:
        return "*" * len(key_id)
    return f"{key_id[:4]}...{key_id[-4:]}"


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    if environ is None:
        return os.environ
    return check_mapping("environ", environ)


def profile_name(profile: str | None = None, *, environ: Mapping[str, str] | None = None) -> str:
    """The profile to read: ``profile``, else ``AWS_PROFILE``, ``AWS_DEFAULT_PROFILE``, else
    ``default``."""
    env = _environ(environ)
    if profile is not None:
        check_string("profile", profile)
    return profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"


def resolve_credentials(
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    session_token: str | None = None,
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> AwsCredentials:
    """The first complete credentials of the chain (see the module docs).

    Raises :class:`~fluent_ai.errors.ConfigurationError` naming every place looked at when none
    is found, or naming the missing half of a pair that is only partly set.
    """
    env = _environ(environ)
    for argument, value in (
        ("access_key_id", access_key_id),
        ("secret_access_key", secret_access_key),
        ("session_token", session_token),
    ):
        if value is not None:
            check_string(argument, value, empty=True, secret=True)
    if profile is not None:
        check_string("profile", profile)
    if access_key_id or secret_access_key:
        if not access_key_id:
            raise ConfigurationError("AWS secret_access_key was passed without access_key_id")
        if not secret_access_key:
            raise ConfigurationError("AWS access_key_id was passed without secret_access_key")
        return AwsCredentials(access_key_id, secret_access_key, session_token or None)

    if profile is None:
        from_env = _from_environment(env)
        if from_env is not None:
            return from_env

    name = profile_name(profile, environ=env)
    files = _SharedFiles(env)
    settings = files.profile(name)
    if settings is not None:
        return _from_profile(name, settings, files)
    looked = (
        "explicit access_key_id/secret_access_key, "
        + ("" if profile is not None else "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ")
        + f"profile {name!r} in {files.describe()}"
    )
    raise ConfigurationError(f"No AWS credentials found (looked for: {looked})")


def resolve_region(
    region: str | None = None,
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """``region``, else ``AWS_REGION``, ``AWS_DEFAULT_REGION``, else the profile's ``region``."""
    env = _environ(environ)
    if region is not None:
        check_string("region", region)
    if profile is not None:
        check_string("profile", profile)
    found = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if found:
        return found
    name = profile_name(profile, environ=env)
    files = _SharedFiles(env)
    settings = files.profile(name) or {}
    if settings.get("region"):
        return settings["region"]
    raise ConfigurationError(
        "No AWS region (looked for: an explicit region, AWS_REGION, AWS_DEFAULT_REGION, "
        f"region of profile {name!r} in {files.describe()})"
    )


def _from_environment(env: Mapping[str, str]) -> AwsCredentials | None:
    key_id = env.get("AWS_ACCESS_KEY_ID")
    secret = env.get("AWS_SECRET_ACCESS_KEY")
    if not key_id and not secret:
        return None
    if not key_id:
        raise ConfigurationError("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
    if not secret:
        raise ConfigurationError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
    token = env.get("AWS_SESSION_TOKEN") or env.get("AWS_SECURITY_TOKEN") or None
    return AwsCredentials(key_id, secret, token)


def _from_profile(name: str, settings: Mapping[str, str], files: _SharedFiles) -> AwsCredentials:
    key_id = settings.get(_KEY_ID)
    secret = settings.get(_SECRET)
    where = f"profile {name!r} in {files.describe()}"
    if key_id and secret:
        token = settings.get(_TOKEN) or settings.get(_LEGACY_TOKEN) or None
        return AwsCredentials(key_id, secret, token)
    if key_id or secret:
        missing = _SECRET if key_id else _KEY_ID
        raise ConfigurationError(f"AWS {where} has no {missing}")
    indirect = [setting for setting in _INDIRECT if setting in settings]
    if indirect:
        raise ConfigurationError(
            f"AWS {where} uses {', '.join(indirect)}, which fluent-ai does not support; "
            f"set {_KEY_ID}/{_SECRET} (and {_TOKEN}) or the AWS_* environment variables"
        )
    raise ConfigurationError(f"AWS {where} has no {_KEY_ID}/{_SECRET}")


class _SharedFiles:
    """The shared credentials and config files named by the environment (read on use)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        home_aws = os.path.join("~", ".aws")
        self.credentials_path = os.path.expanduser(
            env.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join(home_aws, "credentials")
        )
        self.config_path = os.path.expanduser(
            env.get("AWS_CONFIG_FILE") or os.path.join(home_aws, "config")
        )

    def describe(self) -> str:
        def state(path: str) -> str:
            return path if os.path.isfile(path) else f"{path} (missing)"

        return f"{state(self.credentials_path)} and {state(self.config_path)}"

    def profile(self, name: str) -> dict[str, str] | None:
        """The profile's settings, the credentials file winning over the config file (as in
        botocore); ``None`` when neither file has the profile."""
        config = _read_ini(self.config_path)
        credentials = _read_ini(self.credentials_path)
        sections = [f"profile {name}"] if name != "default" else ["default", "profile default"]
        merged: dict[str, str] | None = None
        for section in sections:
            if section in config:
                merged = {**(merged or {}), **config[section]}
        if name in credentials:
            merged = {**(merged or {}), **credentials[name]}
        return merged


def _read_ini(path: str) -> dict[str, dict[str, str]]:
    if not os.path.isfile(path):
        return {}
    parser = configparser.RawConfigParser(strict=False, default_section="\x00no-defaults")
    failed = False
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (configparser.Error, UnicodeDecodeError, OSError):
        # configparser's messages quote the offending line, which may hold a secret: raise a
        # message of our own, outside the except block so no context is chained.
        failed = True
    if failed:
        raise ConfigurationError(f"Cannot parse the AWS shared file {path}")
    return {
        section: {key: value.strip() for key, value in parser.items(section)}
        for section in parser.sections()
    }
