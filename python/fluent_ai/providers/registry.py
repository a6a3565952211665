"""The provider registry: where each provider lives and how it authenticates, as data.

This is the seed the clients extend (request encoders and stream dialects live elsewhere); the
catalog refresh uses it for the models endpoints. Sources: ../shared/spec/providers.md §2-§11.
Where that file reports conflicting base URLs (Nebius, Novita, GitHub Models, MiniMax) the entry
takes the newest documented one; every URL can be overridden.

Resolution (:func:`resolve`), highest priority first:

- ``base_url``: the ``providers={"<name>": {"base_url": ...}}`` override, then the
  ``FLUENT_AI_<NAME>_BASE_URL`` environment variable (name upper-cased, ``-`` as ``_``), then the
  default below with its ``{placeholders}`` filled from the overrides, the provider's standard
  variables (``AWS_REGION``, ``AZURE_OPENAI_ENDPOINT``, ...) or defaults;
- ``api_key``: the override's ``api_key``, then the first set variable of ``key_env``;
- ``headers``: the entry's fixed headers, updated by the override's ``headers``;
- any other override key (``region``, ``project``, ``location``, ``api_version``, ...) is kept
  in ``params``; a key the provider's dialect does not read raises ``UnknownSettingError``
  (see :mod:`fluent_ai.providers._settings`), and values are type-checked;
- credentials in the base URL (``http://user:password@host``) are removed from it and sent as
  ``Authorization: Basic`` (a fixed header, which an API key sent as a bearer token replaces),
  so the URL that httpx logs and exceptions show holds no secret.

A provider missing from the table is added by an override with ``"dialect"`` and
``"base_url"`` (and optionally ``"api_key"``, ``"api_key_env"``, ``"auth"``).
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit, urlunsplit

from .._validation import check_mapping, check_string, fail_type, fail_value
from ..errors import ConfigurationError, UnknownProviderError
from ._regions import REGIONS, RegionTable, check_region
from ._settings import check_setting, valid_settings

__all__ = [
    "PROVIDERS",
    "Param",
    "ProviderSpec",
    "ResolvedProvider",
    "base_url_env_var",
    "check_providers",
    "join_url",
    "resolve",
]

ProviderOverrides = Mapping[str, Mapping[str, Any]]


class Param(NamedTuple):
    """A setting a provider needs besides its key (a ``{name}`` in ``base_url`` or not)."""

    name: str
    env: tuple[str, ...] = ()
    default: str | None = None


@dataclass(frozen=True)
class ProviderSpec:
    """One provider, as data.

    ``dialect`` names the request/stream format (``openai-chat``, ``anthropic``, ``gemini``,
    ``vertex``, ``bedrock``, ``cohere``, ``ollama``, ``azure-openai``; ``jina``/``voyage`` for
    embedding-only services). ``auth`` is one of ``bearer`` (``Authorization: Bearer <key>``),
    ``x-api-key`` (Anthropic), ``x-goog-api-key`` (Gemini), ``api-key`` (Azure), ``sigv4``
    (Bedrock), ``google-oauth`` (Vertex). ``key_required`` is false for local servers and
    endpoints that work without a key; ``public_models`` is true when the models list needs
    none though the rest does. ``models_path`` is the models-list path under ``base_url``
    (``None``: no such endpoint, or not the plain HTTP-key kind); it may start with
    ``{origin}`` (the base URL's scheme and host: GitHub's ``/catalog/models``) or
    ``{parent}`` (the base URL less its last segment: Cloudflare's ``/ai/models/search``).
    ``regions`` is the provider's table of regional endpoints (see ``_regions``): its
    ``region`` setting then picks the base URL.
    """

    name: str
    dialect: str
    base_url: str
    key_env: tuple[str, ...] = ()
    auth: str = "bearer"
    key_required: bool = True
    models_path: str | None = "/models"
    public_models: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    params: tuple[Param, ...] = ()
    regions: RegionTable | None = field(default=None, repr=False)


def _compat(
    name: str, base_url: str, *key_env: str, models: str | None = "/models"
) -> ProviderSpec:
    return ProviderSpec(name, "openai-chat", base_url, tuple(key_env), models_path=models)


def _regional(name: str, *key_env: str, models: str | None = "/models") -> ProviderSpec:
    """An OpenAI-compatible provider with regional endpoints: ``base_url`` is the default
    region's, and ``region`` (plus ``workspace`` for DashScope) are its settings."""
    table = REGIONS[name]
    params = [Param("region", (table.env,))]
    if table.workspace_url:
        params.append(Param("workspace", (table.workspace_env,)))
    return ProviderSpec(
        name,
        "openai-chat",
        table.urls[table.default],
        tuple(key_env),
        models_path=models,
        params=tuple(params),
        regions=table,
    )


def _local(name: str, base_url: str, *key_env: str) -> ProviderSpec:
    return ProviderSpec(name, "openai-chat", base_url, tuple(key_env), key_required=False)


_SPECS = (
    _compat("openai", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    ProviderSpec(
        "azure",
        "azure-openai",
        "{endpoint}/openai",
        ("AZURE_OPENAI_API_KEY",),
        auth="api-key",
        models_path=None,
        params=(
            Param("endpoint", ("AZURE_OPENAI_ENDPOINT",)),
            Param("api_version", ("OPENAI_API_VERSION",), "2024-10-21"),
        ),
    ),
    ProviderSpec(
        "anthropic",
        "anthropic",
        "https://api.anthropic.com",
        ("ANTHROPIC_API_KEY",),
        auth="x-api-key",
        models_path="/v1/models",
        headers=(("anthropic-version", "2023-06-01"),),
    ),
    ProviderSpec(
        "gemini",
        "gemini",
        "https://generativelanguage.googleapis.com",
        ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        auth="x-goog-api-key",
        models_path="/v1beta/models",
    ),
    ProviderSpec(
        "vertex",
        "vertex",
        "https://{location}-aiplatform.googleapis.com/v1",
        auth="google-oauth",
        models_path=None,
        params=(
            Param("project", ("GOOGLE_CLOUD_PROJECT",)),
            Param("location", ("GOOGLE_CLOUD_LOCATION",), "us-central1"),
        ),
    ),
    ProviderSpec(
        "bedrock",
        "bedrock",
        "https://bedrock-runtime.{region}.amazonaws.com",
        ("AWS_BEARER_TOKEN_BEDROCK",),
        auth="sigv4",
        key_required=False,
        models_path=None,
        params=(Param("region", ("AWS_REGION", "AWS_DEFAULT_REGION")),),
    ),
    ProviderSpec(
        "cohere",
        "cohere",
        "https://api.cohere.com",
        ("CO_API_KEY", "COHERE_API_KEY"),
        models_path="/v1/models",
    ),
    ProviderSpec(
        "ollama",
        "ollama",
        "http://localhost:11434",
        ("OLLAMA_API_KEY",),
        key_required=False,
        models_path="/api/tags",
    ),
    _compat("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
    _compat("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    _compat("deepseek", "https://api.deepseek.com", "DEEPSEEK_API_KEY"),
    _compat(
        "together",
        "https://api.together.xyz/v1",
        "TOGETHER_API_KEY",
        "TOGETHER_AI_API_KEY",
        "TOGETHERAI_API_KEY",
    ),
    ProviderSpec(
        "openrouter",
        "openai-chat",
        "https://openrouter.ai/api/v1",
        ("OPENROUTER_API_KEY",),
        public_models=True,  # the models list needs no key (§10); chat does
    ),
    _compat("xai", "https://api.x.ai/v1", "XAI_API_KEY"),
    _compat(
        "perplexity",
        "https://api.perplexity.ai",
        "PERPLEXITY_API_KEY",
        "PERPLEXITYAI_API_KEY",
        models=None,  # Perplexity documents no models list
    ),
    _compat(
        "deepinfra", "https://api.deepinfra.com/v1/openai", "DEEPINFRA_API_KEY", "DEEPINFRA_TOKEN"
    ),
    # Fireworks documents its model list only on the control plane
    # (/v1/accounts/{account_id}/models), not under the inference URL.
    _compat(
        "fireworks",
        "https://api.fireworks.ai/inference/v1",
        "FIREWORKS_API_KEY",
        "FIREWORKS_AI_API_KEY",
        models=None,
    ),
    _regional("moonshot", "MOONSHOT_API_KEY", "KIMI_API_KEY"),
    # Zhipu's own docs (and its zai-sdk) name ZAI_API_KEY for bigmodel.cn too: read after the
    # platform-specific names, and a 401 names the other platform (see _http_errors).
    _regional("zhipuai", "ZHIPUAI_API_KEY", "ZHIPU_API_KEY", "BIGMODEL_API_KEY", "ZAI_API_KEY"),
    _regional("zai", "ZAI_API_KEY"),
    _regional("dashscope", "DASHSCOPE_API_KEY"),
    # GitHub's catalog is not under the inference URL (docs.github.com/rest/models/catalog).
    _compat(
        "github",
        "https://models.github.ai/inference",
        "GITHUB_TOKEN",
        models="{origin}/catalog/models",
    ),
    ProviderSpec(
        "cloudflare",
        "openai-chat",
        "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/v1",
        ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY"),
        models_path="{parent}/models/search",
        params=(Param("account_id", ("CLOUDFLARE_ACCOUNT_ID",)),),
    ),
    _compat("ai21", "https://api.ai21.com/studio/v1", "AI21_API_KEY", models=None),
    _compat("hunyuan", "https://api.hunyuan.cloud.tencent.com/v1", "HUNYUAN_API_KEY", models=None),
    _compat("qianfan", "https://qianfan.baidubce.com/v2", "QIANFAN_API_KEY"),
    _regional("minimax", "MINIMAX_API_KEY"),
    _compat("huggingface", "https://router.huggingface.co/v1", "HF_TOKEN"),
    _compat("cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"),
    _compat("sambanova", "https://api.sambanova.ai/v1", "SAMBANOVA_API_KEY"),
    _compat("nebius", "https://api.tokenfactory.nebius.com/v1", "NEBIUS_API_KEY"),
    _compat("novita", "https://api.novita.ai/openai", "NOVITA_API_KEY", models="/v1/models"),
    _local("lm_studio", "http://localhost:1234/v1", "LM_STUDIO_API_KEY"),
    _local("vllm", "http://localhost:8000/v1", "VLLM_API_KEY"),
    ProviderSpec("jina", "jina", "https://api.jina.ai/v1", ("JINA_API_KEY",), models_path=None),
    ProviderSpec(
        "voyage", "voyage", "https://api.voyageai.com/v1", ("VOYAGE_API_KEY",), models_path=None
    ),
)

PROVIDERS: Mapping[str, ProviderSpec] = {spec.name: spec for spec in _SPECS}
"""Every registered provider by name."""

# The registered providers that read the ``reasoning_split`` setting (MiniMax's field).
_REASONING_SPLIT = frozenset({"minimax"})

# Keys of an override that are not provider parameters.
_RESERVED = frozenset({"base_url", "api_key", "api_key_env", "headers", "dialect", "auth"})


@dataclass(frozen=True)
class ResolvedProvider:
    """A provider with its overrides and environment applied: what a request needs.

    The key and the headers are left out of ``repr`` so that logging this object never
    prints a secret.
    """

    name: str
    spec: ProviderSpec
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    params: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Settings named like a credential (an Entra token, an AWS secret) are hidden too.
        params = {
            key: "<redacted>" if _SECRET_PARAM.search(key) else _without_userinfo(value)
            for key, value in self.params.items()
        }
        return (
            f"ResolvedProvider(name={self.name!r}, base_url={self.base_url!r}, "
            f"dialect={self.spec.dialect!r}, params={params!r})"
        )

    def secrets(self) -> tuple[str, ...]:
        """Every credential this provider's settings hold, for redaction: the key, values of
        settings named like a credential, and the credentials taken out of the base URL."""
        found = [self.api_key] if self.api_key else []
        for key, value in self.params.items():
            if isinstance(value, str) and value:
                if _SECRET_PARAM.search(key):
                    found.append(value)
                found += _url_credentials(value)
        for name, value in self.headers.items():
            if (_SECRET_PARAM.search(name) or "auth" in name.lower()) and value:
                found.append(value)
                found += _credentials_in(value)
        return tuple(found)

    def url(self, path: str) -> str:
        """``path`` under ``base_url`` (see :func:`join_url`)."""
        return join_url(self.base_url, path)

    def models_url(self) -> str | None:
        """The models-list URL (``None``: the provider documents none): ``models_path``
        under ``base_url``, or after its origin (``{origin}``) or its parent (``{parent}``)."""
        path = self.spec.models_path
        if path is None:
            return None
        if path.startswith("{origin}"):
            parts = urlsplit(self.base_url)
            return f"{parts.scheme}://{parts.netloc}" + path.removeprefix("{origin}")
        if path.startswith("{parent}"):
            parent = self.base_url.rstrip("/").rsplit("/", 1)[0]
            return parent + path.removeprefix("{parent}")
        return self.url(path)

    def request_headers(self) -> dict[str, str]:
        """The fixed headers plus the key in this provider's auth scheme (when it has one)."""
        headers = dict(self.headers)
        key = self.api_key
        if key:
            auth = self.spec.auth
            if auth == "x-api-key":
                headers["x-api-key"] = key
            elif auth == "x-goog-api-key":
                headers["x-goog-api-key"] = key
            elif auth == "api-key":
                headers["api-key"] = key
            elif auth in ("bearer", "sigv4"):  # Bedrock API keys are bearer tokens
                headers["Authorization"] = f"Bearer {key}"
        return headers


_SECRET_PARAM = re.compile(r"key|token|secret|password|credential", re.IGNORECASE)


def _url_credentials(text: str) -> list[str]:
    """The password (raw and decoded) of a URL with ``user:password@``, else nothing."""
    if "@" not in text or "://" not in text:
        return []
    userinfo = urlsplit(text).netloc.rpartition("@")[0]
    password = userinfo.partition(":")[2]
    return [part for part in {password, unquote(password), userinfo} if part]


def _without_userinfo(value: Any) -> Any:
    """A URL setting as ``repr`` shows it: ``user:password@`` replaced."""
    if not isinstance(value, str) or "@" not in value or "://" not in value:
        return value
    parts = urlsplit(value)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc="[REDACTED]@" + host))


def _credentials_in(header: str) -> list[str]:
    """The token of an ``Authorization`` value, and for ``Basic`` the password in it."""
    scheme, _, token = header.partition(" ")
    if not token:
        return []
    found = [token]
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(token, validate=True).decode()
        except ValueError:
            return found
        found += [part for part in pair.partition(":")[2:] if part]
    return found


def base_url_env_var(name: str) -> str:
    """The environment variable that overrides ``name``'s base URL."""
    return f"FLUENT_AI_{name.upper().replace('-', '_')}_BASE_URL"


def join_url(base_url: str, path: str) -> str:
    """Joins a base URL and an absolute path, tolerating a version segment on both sides.

    Providers document base URLs with and without their API version
    (``https://api.anthropic.com`` or ``.../v1``). When the base already ends with a version
    segment (``/v1``, ``/v1beta``, ``/v2``) and the path starts with one, the base's is kept
    and the path's dropped: ``.../v1`` + ``/v1/models`` and a Gemini base overridden to
    ``.../v1`` + ``/v1beta/models`` both give ``.../v1/models``.
    """
    base = base_url.rstrip("/")
    if not path:
        return base
    if not path.startswith("/"):
        path = "/" + path
    first, _, rest = path[1:].partition("/")
    last = base.rsplit("/", 1)[-1]
    if rest and _VERSION.fullmatch(first) and _VERSION.fullmatch(last):
        path = "/" + rest
    return base + path


_VERSION = re.compile(r"v\d+(?:(?:alpha|beta)\d*)?")


def resolve(
    name: str,
    providers: ProviderOverrides | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> ResolvedProvider:
    """Resolves ``name`` with the ``providers`` overrides and the environment.

    Raises :class:`~fluent_ai.errors.UnknownProviderError` for a name that is neither
    registered nor defined by an override with a ``dialect``, and
    :class:`~fluent_ai.errors.ConfigurationError` when a setting the base URL needs (a region,
    an account id, ...) is missing.
    """
    env = os.environ if environ is None else environ
    override: Mapping[str, Any] = (providers or {}).get(name) or {}
    spec = PROVIDERS.get(name)
    if spec is None:
        spec = _custom_spec(name, override)
    _check_entry(name, override, spec)
    if "dialect" in override and override["dialect"] != spec.dialect:
        spec = dataclasses.replace(spec, dialect=str(override["dialect"]))
    params: dict[str, Any] = {}
    for param in spec.params:
        value = override.get(param.name)
        if value is None:
            value = next((env[var] for var in param.env if env.get(var)), param.default)
        if value is not None:
            params[param.name] = value
    params.update({k: v for k, v in override.items() if k not in _RESERVED})
    if spec.regions is not None:
        _set_region(name, spec.regions, params)
    if spec.auth == "sigv4" and not params.get("region"):
        region = _aws_profile_region(override, env)
        if region:
            params["region"] = region
    key_env = spec.key_env
    if override.get("api_key_env"):
        key_env = (str(override["api_key_env"]), *key_env)
    api_key = override.get("api_key") or next((env[v] for v in key_env if env.get(v)), None)
    headers = dict(spec.headers)
    base_url, basic = _without_credentials(_base_url(spec, override, params, env))
    if basic:
        headers["Authorization"] = basic
    headers.update(override.get("headers") or {})
    return ResolvedProvider(
        name=name,
        spec=spec,
        base_url=base_url,
        api_key=api_key,
        headers=headers,
        params=params,
    )


def _without_credentials(url: str) -> tuple[str, str | None]:
    """``url`` without ``user:password@`` and the ``Basic`` header value they make (httpx would
    send the same header, but print the password in its log line and exception URLs)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    pair = f"{unquote(user)}:{unquote(password)}".encode()
    basic = "Basic " + base64.b64encode(pair).decode("ascii")
    return urlunsplit(parts._replace(netloc=host)), basic


def check_providers(providers: object) -> None:
    """Checks a client's ``providers=`` argument whole (names, setting names and values,
    dialects, regions), before any request: raises ``ArgumentTypeError``,
    ``InvalidArgumentError``, ``UnknownSettingError`` or ``UnknownProviderError``."""
    if providers is None:
        check_region_settings()
        return
    overrides = check_mapping("providers", providers, keys_as="provider names as keys")
    for name, override in overrides.items():
        check_string("a provider name in providers", name)
        if not isinstance(override, Mapping):
            fail_type(f"providers[{name!r}]", "a dict of settings", override)
        spec = PROVIDERS.get(name)
        if spec is None:
            spec = _custom_spec(name, override)
        _check_entry(name, override, spec)
    check_region_settings(overrides)


def _check_entry(name: str, override: Mapping[str, Any], spec: ProviderSpec) -> None:
    dialect = override.get("dialect", spec.dialect)
    if dialect is not None and "dialect" in override:
        from .adapters import supported_dialects  # noqa: PLC0415  (adapters import this module)

        check_string(f"providers[{name!r}]['dialect']", dialect)
        known = supported_dialects()
        if dialect not in known:
            fail_value(f"providers[{name!r}]['dialect']", "one of " + ", ".join(known), dialect)
    valid = valid_settings(str(dialect or spec.dialect), [param.name for param in spec.params])
    if valid is not None and name in PROVIDERS and name not in _REASONING_SPLIT:
        valid = [setting for setting in valid if setting != "reasoning_split"]
    for key, value in override.items():
        check_setting(name, key, value, valid)


def _base_url(
    spec: ProviderSpec,
    override: Mapping[str, Any],
    params: Mapping[str, Any],
    env: Mapping[str, str],
) -> str:
    explicit = override.get("base_url") or env.get(base_url_env_var(spec.name))
    if explicit:
        return str(explicit).rstrip("/")
    if spec.regions is not None:
        workspace = params.get("workspace")
        return spec.regions.base_url(str(params["region"]), str(workspace) if workspace else None)
    if spec.name == "vertex":
        return _vertex_base_url(str(params.get("location", "us-central1")))
    template = spec.base_url
    for placeholder in re.findall(r"\{(\w+)\}", template):
        value = params.get(placeholder)
        if value is None:
            sources = [p.env for p in spec.params if p.name == placeholder]
            variables = " or ".join(sources[0]) if sources and sources[0] else "none"
            raise ConfigurationError(
                f"provider {spec.name!r} needs {placeholder!r}: pass providers="
                f"{{{spec.name!r}: {{{placeholder!r}: ...}}}} or set {variables} "
                f"(or set base_url / {base_url_env_var(spec.name)})"
            )
        template = template.replace("{" + placeholder + "}", str(value).rstrip("/"))
    return template


def _set_region(name: str, table: RegionTable, params: dict[str, Any]) -> None:
    """``params['region']`` as the region id it names (the default when unset), checked."""
    workspace = params.get("workspace")
    if workspace:
        _check_workspace(name, workspace)
    region = params.get("region") or table.default
    params["region"] = check_region(name, table, region, workspace=bool(workspace))


def _check_workspace(name: str, workspace: object) -> None:
    # It becomes the first label of the host name: nothing else may get in.
    if not isinstance(workspace, str) or not _HOST_LABEL.fullmatch(workspace):
        fail_value(f"providers[{name!r}]['workspace']", "a workspace id (letters, digits, -)",
                   workspace)  # fmt: skip


_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def check_region_settings(
    providers: ProviderOverrides | None = None, environ: Mapping[str, str] | None = None
) -> None:
    """The ``region`` of every provider with regional endpoints, from the overrides or the
    environment (``FLUENT_AI_<NAME>_REGION``): ``InvalidArgumentError`` for an unknown one,
    when the client is made rather than at its first request."""
    env = os.environ if environ is None else environ
    for name, table in REGIONS.items():
        override = (providers or {}).get(name) or {}
        region = override.get("region") or env.get(table.env)
        workspace = override.get("workspace") or (
            env.get(table.workspace_env) if table.workspace_env else None
        )
        if workspace:
            _check_workspace(name, workspace)
        if region:
            check_region(name, table, region, workspace=bool(workspace))


def _aws_profile_region(override: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    """The AWS profile's ``region`` (``~/.aws/config``), where the AWS SDKs look last."""
    from ..auth.aws_credentials import resolve_region  # noqa: PLC0415  (reads files)

    profile = override.get("profile")
    try:
        return resolve_region(profile=str(profile) if profile else None, environ=env)
    except ConfigurationError:
        return None


def _vertex_base_url(location: str) -> str:
    # providers.md §4.6 / §5.1: global and the us/eu multi-regions have their own hosts.
    if location == "global":
        return "https://aiplatform.googleapis.com/v1"
    if location in ("us", "eu"):
        return f"https://aiplatform.{location}.rep.googleapis.com/v1"
    return f"https://{location}-aiplatform.googleapis.com/v1"


def _custom_spec(name: str, override: Mapping[str, Any]) -> ProviderSpec:
    if not override.get("dialect") or not override.get("base_url"):
        raise UnknownProviderError(name, sorted(PROVIDERS))
    check_string(f"providers[{name!r}]['dialect']", override["dialect"])
    check_string(f"providers[{name!r}]['base_url']", override["base_url"], secret=True)
    dialect = str(override["dialect"])
    key_env = (f"{name.upper().replace('-', '_')}_API_KEY",)
    return ProviderSpec(
        name,
        dialect,
        str(override["base_url"]),
        key_env,
        auth=str(override.get("auth", "bearer")),
        key_required=False,
        models_path="/models" if dialect == "openai-chat" else None,
    )
