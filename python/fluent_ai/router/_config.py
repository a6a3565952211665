"""What a router is made of: deployments (one provider model with its own settings and
limits) grouped under model aliases, and the strategies that choose among them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ..errors import ArgumentTypeError, InvalidArgumentError

__all__ = ["STRATEGIES", "Deployment", "check_aliases"]

STRATEGIES = ("weighted", "round_robin", "least_in_flight", "lowest_latency", "lowest_cost")


@dataclass(frozen=True)
class Deployment:
    """One place a model alias can be served from.

    ``model``: ``"provider/model"`` as the clients name it. ``name``: a unique id (default
    ``"<alias>/<index>"``), used in routes, metrics and shared-state keys. ``api_key``,
    ``base_url``, ``region`` (Bedrock's ``region``, Vertex's ``location``) and ``settings``
    (any other provider setting, README "Clients") override the provider's. ``weight``: share
    of traffic under the ``weighted`` strategy. ``rpm`` / ``tpm``: requests / tokens per window
    for this deployment; ``key_rpm`` / ``key_tpm``: the same for its API key, shared by every
    deployment with the same provider and key. ``priority``: lower is tried first; deployments
    of a higher number serve only when all lower ones cannot.
    """

    model: str
    name: str | None = None
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    region: str | None = None
    settings: Mapping[str, Any] | None = field(default=None, repr=False)  # may hold keys
    weight: float = 1.0
    rpm: int | None = None
    tpm: int | None = None
    key_rpm: int | None = None
    key_tpm: int | None = None
    priority: int = 0

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0]

    @property
    def model_id(self) -> str:
        return self.model.split("/", 1)[1]

    def provider_settings(self) -> dict[str, Any]:
        """The overrides handed to the deployment's client for its provider."""
        settings = dict(self.settings or {})
        if self.api_key is not None:
            settings["api_key"] = self.api_key
        if self.base_url is not None:
            settings["base_url"] = self.base_url
        if self.region is not None:
            settings["location" if self.provider == "vertex" else "region"] = self.region
        return settings

    def key_scope(self) -> str:
        """The budget key of this deployment's API key: a digest, never the key itself."""
        key = self.api_key or str((self.settings or {}).get("api_key", ""))
        digest = hashlib.sha256(f"{self.provider}\0{key}".encode()).hexdigest()[:16]
        return f"key:{self.provider}:{digest}"


def _fail(
    argument: str, expected: str, value: object, *, kind: type = InvalidArgumentError
) -> NoReturn:
    shown = f"{type(value).__name__}" if kind is ArgumentTypeError else repr(value)[:80]
    raise kind(f"{argument} must be {expected}, got {shown}", argument=argument, expected=expected)


def _count(argument: str, value: object, *, positive: bool = True) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(argument, "an int", value, kind=ArgumentTypeError)
    elif positive and value < 1:
        _fail(argument, "an int >= 1", value)


def _deployment(alias: str, index: int, value: object) -> Deployment:
    where = f"model_list[{alias!r}][{index}]"
    if isinstance(value, Mapping):
        try:
            value = Deployment(**value)
        except TypeError as error:
            raise InvalidArgumentError(
                f"{where}: {error}", argument=where, expected="Deployment fields"
            ) from None
    if not isinstance(value, Deployment):
        _fail(
            where,
            "a fluent_ai.router.Deployment or a dict of its fields",
            value,
            kind=ArgumentTypeError,
        )
    deployment: Deployment = value
    model = deployment.model
    if not isinstance(model, str) or "/" not in model or not all(model.split("/", 1)):
        _fail(f"{where}.model", 'a str "provider/model"', model)
    if deployment.name is None:
        deployment = _replace(deployment, name=f"{alias}/{index}")
    elif not isinstance(deployment.name, str) or not deployment.name:
        _fail(f"{where}.name", "a non-empty str", deployment.name)
    weight = deployment.weight
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight >= 0:
        _fail(f"{where}.weight", "a number >= 0", weight)
    for name in ("rpm", "tpm", "key_rpm", "key_tpm"):
        _count(f"{where}.{name}", getattr(deployment, name))
    _count(f"{where}.priority", deployment.priority, positive=False)
    for name in ("api_key", "base_url", "region"):
        text = getattr(deployment, name)
        if text is not None and (not isinstance(text, str) or not text):
            _fail(f"{where}.{name}", "a non-empty str or None", type(text).__name__)
    if deployment.settings is not None and not isinstance(deployment.settings, Mapping):
        _fail(
            f"{where}.settings",
            "a dict of provider settings",
            deployment.settings,
            kind=ArgumentTypeError,
        )
    return deployment


def _replace(deployment: Deployment, **changes: Any) -> Deployment:
    from dataclasses import replace  # noqa: PLC0415

    return replace(deployment, **changes)


def check_aliases(model_list: object) -> dict[str, list[Deployment]]:
    """``model_list`` checked: alias -> its deployments (names unique across the router)."""
    if not isinstance(model_list, Mapping) or not model_list:
        _fail(
            "model_list",
            "a non-empty dict of alias -> list of deployments",
            model_list,
            kind=ArgumentTypeError,
        )
    aliases: dict[str, list[Deployment]] = {}
    seen: set[str] = set()
    for alias, deployments in model_list.items():
        if not isinstance(alias, str) or not alias:
            _fail("model_list", "keyed by non-empty str aliases", alias)
        if (
            isinstance(deployments, (str, Mapping, Deployment))
            or not isinstance(deployments, Sequence)
            or not deployments
        ):
            _fail(
                f"model_list[{alias!r}]",
                "a non-empty list of deployments",
                deployments,
                kind=ArgumentTypeError,
            )
        checked = [_deployment(alias, i, d) for i, d in enumerate(deployments)]
        for deployment in checked:
            assert deployment.name is not None
            if deployment.name in seen:
                _fail(f"model_list[{alias!r}]", "deployments with unique names", deployment.name)
            seen.add(deployment.name)
        aliases[alias] = checked
    return aliases


def check_fallbacks(
    name: str, fallbacks: object, aliases: Mapping[str, object]
) -> dict[str, list[str]]:
    """A mapping alias -> aliases to fall back to, each naming a known alias."""
    if fallbacks is None:
        return {}
    if not isinstance(fallbacks, Mapping):
        _fail(name, "a dict of alias -> list of aliases", fallbacks, kind=ArgumentTypeError)
    checked: dict[str, list[str]] = {}
    for alias, given in fallbacks.items():
        targets = [given] if isinstance(given, str) else given
        if alias not in aliases or not isinstance(targets, Sequence):
            _fail(name, "keyed by aliases of model_list, each to a list of aliases", alias)
        for target in targets:
            if target not in aliases:
                _fail(f"{name}[{alias!r}]", f"aliases of model_list ({', '.join(aliases)})", target)
        checked[alias] = list(targets)
    return checked
