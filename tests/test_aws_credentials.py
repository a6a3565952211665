"""AWS credentials and region resolution: arguments, environment, shared files, errors, and a
canary secret that must never be shown."""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from fluent_ai.auth import AwsCredentials, resolve_credentials, resolve_region, sign
from fluent_ai.errors import ConfigurationError

CANARY_SECRET = "CANARYsecret/0123456789+abcdefABCDEF"
CANARY_TOKEN = "CANARYtoken//FwoGZXIvYXdz0123456789=="
AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty home directory and no AWS variables."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    (tmp_path / ".aws").mkdir()
    yield tmp_path


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _shown(error: BaseException) -> str:
    """Everything a user could see of an exception."""
    return (
        str(error)
        + repr(error)
        + "".join(traceback.format_exception(type(error), error, error.__traceback__))
    )


# -- the value object ----------------------------------------------------------------------


def test_repr_and_str_never_show_secret_or_token() -> None:
    creds = AwsCredentials("AKIAIOSFODNN7EXAMPLE", CANARY_SECRET, CANARY_TOKEN)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds]), repr({"c": creds})):
        assert CANARY_SECRET not in text
        assert CANARY_TOKEN not in text
    assert repr(creds) == "AwsCredentials(access_key_id='AKIA...MPLE', session_token=set)"
    assert repr(AwsCredentials("AKID", CANARY_SECRET)) == (
        "AwsCredentials(access_key_id='****', session_token=none)"
    )
    # A secret passed as the key id by mistake is never printed whole either.
    assert CANARY_SECRET not in repr(AwsCredentials(CANARY_SECRET, "x"))


def test_value_semantics() -> None:
    creds = AwsCredentials("AKID", CANARY_SECRET, CANARY_TOKEN)
    assert creds == AwsCredentials("AKID", CANARY_SECRET, CANARY_TOKEN)
    assert pickle.loads(pickle.dumps(creds)) == creds
    with pytest.raises(AttributeError):
        creds.access_key_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("args", "field"),
    [(("", "s"), "access_key_id"), (("a", ""), "secret_access_key"), (("a", "s", ""), "token")],
)
def test_value_validation(args: tuple[str, ...], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        AwsCredentials(*args)


# -- the chain -----------------------------------------------------------------------------


def test_explicit_arguments_win(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    creds = resolve_credentials("ARGKEY", CANARY_SECRET, CANARY_TOKEN)
    assert creds == AwsCredentials("ARGKEY", CANARY_SECRET, CANARY_TOKEN)


@pytest.mark.parametrize(
    ("args", "missing"),
    [(("ARGKEY", None), "secret_access_key"), ((None, CANARY_SECRET), "access_key_id")],
)
def test_explicit_half_pair_is_an_error(
    home: Path, args: tuple[str | None, str | None], missing: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"without {missing}") as info:
        resolve_credentials(*args)
    assert CANARY_SECRET not in _shown(info.value)


def test_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    assert resolve_credentials() == AwsCredentials("ENVKEY", CANARY_SECRET)
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "legacy")
    assert resolve_credentials().session_token == "legacy"
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    assert resolve_credentials() == AwsCredentials("ENVKEY", CANARY_SECRET, CANARY_TOKEN)


def test_environment_beats_files_but_not_an_explicit_profile(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        home / ".aws" / "credentials",
        "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"
        "[work]\naws_access_key_id = WORKKEY\naws_secret_access_key = worksecret\n",
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    assert resolve_credentials().access_key_id == "ENVKEY"
    # AWS_PROFILE only picks the profile the files are read with; the variables still win.
    monkeypatch.setenv("AWS_PROFILE", "work")
    assert resolve_credentials().access_key_id == "ENVKEY"
    # An explicit profile skips the environment keys (as botocore does).
    assert resolve_credentials(profile="work").access_key_id == "WORKKEY"


@pytest.mark.parametrize(
    ("variable", "missing"),
    [
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
    ],
)
def test_environment_half_pair_is_an_error(
    home: Path, monkeypatch: pytest.MonkeyPatch, variable: str, missing: str
) -> None:
    monkeypatch.setenv(variable, CANARY_SECRET)
    with pytest.raises(ConfigurationError, match=f"{missing} is not") as info:
        resolve_credentials()
    assert CANARY_SECRET not in _shown(info.value)


def test_default_credentials_file(home: Path) -> None:
    _write(
        home / ".aws" / "credentials",
        "# comment\n[default]\naws_access_key_id = FILEKEY\n"
        f"aws_secret_access_key = {CANARY_SECRET}\naws_session_token={CANARY_TOKEN}\n",
    )
    assert resolve_credentials() == AwsCredentials("FILEKEY", CANARY_SECRET, CANARY_TOKEN)


def test_profiles_across_both_files(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(
        home / ".aws" / "credentials",
        "[dev]\naws_access_key_id = CREDKEY\naws_secret_access_key = credsecret\n",
    )
    _write(
        home / ".aws" / "config",
        "[default]\nregion = eu-west-1\n"
        "[profile dev]\nregion = us-west-2\naws_access_key_id = CONFKEY\n"
        "aws_secret_access_key = confsecret\n"
        "[profile cfgonly]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n"
        "aws_security_token = legacytoken\n"
        "[dev]\naws_access_key_id = NOT-A-CONFIG-PROFILE\n",
    )
    # The credentials file wins over the config file for the same profile.
    assert resolve_credentials(profile="dev") == AwsCredentials("CREDKEY", "credsecret")
    monkeypatch.setenv("AWS_PROFILE", "cfgonly")
    assert resolve_credentials() == AwsCredentials("CFGKEY", "cfgsecret", "legacytoken")
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "dev")
    assert resolve_credentials().access_key_id == "CREDKEY"
    assert resolve_region() == "us-west-2"
    assert resolve_region(profile="default") == "eu-west-1"


def test_file_locations_from_the_environment(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(home / ".aws" / "credentials", "[default]\naws_access_key_id = HOMEKEY\n")
    creds = _write(
        tmp_path / "elsewhere-creds",
        "[default]\naws_access_key_id = OTHERKEY\naws_secret_access_key = othersecret\n",
    )
    config = _write(tmp_path / "elsewhere-config", "[profile default]\nregion = ap-south-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert resolve_credentials().access_key_id == "OTHERKEY"
    assert resolve_region() == "ap-south-1"


def test_nothing_found_names_every_place(home: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credentials()
    message = str(info.value)
    assert "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY" in message
    assert "profile 'default'" in message
    assert str(home / ".aws" / "credentials") + " (missing)" in message
    assert str(home / ".aws" / "config") + " (missing)" in message


def test_unknown_profile(home: Path) -> None:
    _write(
        home / ".aws" / "credentials",
        f"[default]\naws_access_key_id = K\naws_secret_access_key = {CANARY_SECRET}\n",
    )
    with pytest.raises(ConfigurationError, match="profile 'nope'") as info:
        resolve_credentials(profile="nope")
    shown = _shown(info.value)
    assert "AWS_ACCESS_KEY_ID" not in shown  # an explicit profile does not read the variables
    assert CANARY_SECRET not in shown


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("aws_access_key_id = K\n", "has no aws_secret_access_key"),
        (f"aws_secret_access_key = {CANARY_SECRET}\n", "has no aws_access_key_id"),
        ("role_arn = arn:aws:iam::1:role/x\nsource_profile = a\n", "uses role_arn"),
        ("credential_process = /bin/secret-tool\n", "uses credential_process"),
        ("region = us-east-1\n", "has no aws_access_key_id/aws_secret_access_key"),
    ],
)
def test_incomplete_profiles(home: Path, body: str, match: str) -> None:
    _write(home / ".aws" / "credentials", "[default]\n" + body)
    with pytest.raises(ConfigurationError, match=match) as info:
        resolve_credentials()
    assert CANARY_SECRET not in _shown(info.value)


def test_unparsable_file_does_not_quote_its_lines(home: Path) -> None:
    _write(home / ".aws" / "credentials", f"aws_secret_access_key = {CANARY_SECRET}\n[default]\n")
    with pytest.raises(ConfigurationError, match="Cannot parse") as info:
        resolve_credentials()
    assert CANARY_SECRET not in _shown(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None


# -- region --------------------------------------------------------------------------------


def test_region_order(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(home / ".aws" / "config", "[default]\nregion = from-profile\n")
    assert resolve_region() == "from-profile"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "from-default")
    assert resolve_region() == "from-default"
    monkeypatch.setenv("AWS_REGION", "from-region")
    assert resolve_region() == "from-region"
    assert resolve_region("explicit") == "explicit"


def test_no_region(home: Path) -> None:
    with pytest.raises(ConfigurationError, match="No AWS region") as info:
        resolve_region(profile="p")
    assert "AWS_REGION, AWS_DEFAULT_REGION" in str(info.value)
    assert "profile 'p'" in str(info.value)


def test_environ_argument_instead_of_the_process_environment(home: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "MAPKEY", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "r"}
    assert resolve_credentials(environ=env).access_key_id == "MAPKEY"
    assert resolve_region(environ=env) == "r"


def test_canary_never_leaks_through_signing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDCANARY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    result = sign(
        "POST",
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse",
        {"content-type": "application/json"},
        b"{}",
        credentials=resolve_credentials(),
        region=resolve_region("us-east-1"),
        service="bedrock",
    )
    visible = repr(result) + str(dict(result)) + result.canonical_request + result.string_to_sign
    assert CANARY_SECRET not in visible
