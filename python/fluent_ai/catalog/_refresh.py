"""Live refresh: fetch the providers' model lists, cache them on disk, lay them over the snapshot.

Which providers: a named one is always tried; ``provider=None`` means every registered provider
with a models endpoint that is configured here (an API key found, or a base URL given by an
override or ``FLUENT_AI_<NAME>_BASE_URL``); the others are reported as ``skipped``.

Per provider, in order: a cache file younger than ``ttl`` seconds (fetched from the same base
URL) is used without a request, unless ``force``; otherwise the endpoint is fetched (all pages),
the cache file rewritten atomically and the list laid over the snapshot. When the fetch fails
the cached list, however old, is used, else the snapshot alone; the failure is reported in the
result (status ``failed``, ``fallback`` ``"cache"`` or ``"snapshot"``, the error message) and
logged as a warning on the ``fluent_ai.catalog`` logger. A refresh never raises for a provider
failure; it raises only for an unknown provider name.
"""

from __future__ import annotations

import datetime
import importlib
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import _http_errors
from .._json_text import loads_bounded
from ..errors import APIError, ConfigurationError, UnknownProviderError
from ..providers.registry import (
    PROVIDERS,
    ProviderOverrides,
    ResolvedProvider,
    base_url_env_var,
    check_providers,
    resolve,
)
from . import _cache
from ._arguments import check_client, check_refresh
from ._live import PROVIDER_KINDS, LiveSet, Plan, plan_for
from ._lookup import canonical_provider
from ._store import Store, store

__all__ = ["ProviderRefresh", "RefreshResult", "arefresh", "refresh"]

logger = logging.getLogger("fluent_ai.catalog")


@dataclass(frozen=True)
class ProviderRefresh:
    """What a refresh did for one provider.

    ``status``: ``"fetched"`` (the endpoint answered), ``"cached"`` (the cache file was fresh,
    no request), ``"failed"`` (see ``error``; ``fallback`` says whether the cached list or only
    the snapshot is in use) or ``"skipped"`` (not configured, or no models endpoint; see
    ``error``). ``models`` counts the live models in use, ``source``/``as_of`` say where and
    when they were fetched.
    """

    provider: str
    status: str
    models: int = 0
    source: str | None = None
    as_of: str | None = None
    fallback: str | None = None
    error: str | None = None


class RefreshResult(dict[str, ProviderRefresh]):
    """The outcome of a refresh, by provider name."""

    @property
    def ok(self) -> bool:
        """No provider failed."""
        return all(outcome.status != "failed" for outcome in self.values())

    @property
    def failed(self) -> dict[str, ProviderRefresh]:
        """The providers whose fetch failed."""
        return {k: v for k, v in self.items() if v.status == "failed"}


@dataclass
class _Job:
    provider: str
    resolved: ResolvedProvider
    kind: str
    url: str
    cached: LiveSet | None


def refresh(
    provider: str | None = None,
    client: Any = None,
    *,
    ttl: float = 86400.0,
    force: bool = False,
    providers: ProviderOverrides | None = None,
    timeout: float = 30.0,
) -> RefreshResult:
    """Fetches live model lists (see :func:`fluent_ai.catalog.refresh`)."""
    _check(provider, client, providers, ttl=ttl, force=force, timeout=timeout)
    catalog, result, jobs = _prepare(provider, client, providers, ttl=ttl, force=force)
    if not jobs:
        return result
    http, owned = _transport(client, timeout, asynchronous=False)
    try:
        for job in jobs:
            try:
                models = _run_sync(job, http, timeout)
            except _FAILURES as error:
                result[job.provider] = _failed(catalog, job, error)
            else:
                result[job.provider] = _fetched(catalog, job, models)
    finally:
        if owned:
            http.close()
    return result


async def arefresh(
    provider: str | None = None,
    client: Any = None,
    *,
    ttl: float = 86400.0,
    force: bool = False,
    providers: ProviderOverrides | None = None,
    timeout: float = 30.0,
) -> RefreshResult:
    """:func:`refresh` for asyncio: the providers are fetched concurrently."""
    _check(provider, client, providers, ttl=ttl, force=force, timeout=timeout)
    catalog, result, jobs = _prepare(provider, client, providers, ttl=ttl, force=force)
    if not jobs:
        return result
    # Imported here, not at module level: importing the catalog must stay cheap.
    asyncio = importlib.import_module("asyncio")
    http, owned = _transport(client, timeout, asynchronous=True)

    async def one(job: _Job) -> ProviderRefresh:
        try:
            models = await _run_async(job, http, timeout)
        except _FAILURES as error:
            return _failed(catalog, job, error)
        return _fetched(catalog, job, models)

    try:
        outcomes = await asyncio.gather(*(one(job) for job in jobs))
    finally:
        if owned:
            await http.aclose()
    for outcome in outcomes:
        result[outcome.provider] = outcome
    return result


def _check(
    provider: object,
    client: object,
    providers: object,
    *,
    ttl: object,
    force: object,
    timeout: object,
) -> None:
    """The arguments, before anything is read or sent (typed errors naming the argument)."""
    check_refresh(provider, ttl=ttl, force=force, timeout=timeout)
    check_client(client)
    check_providers(providers)


# Every failure of a fetch arrives as an APIError: HTTP statuses, transport errors and bodies
# that are not a model list are mapped before they leave the runners.
_FAILURES = (APIError,)


def _transport_errors() -> tuple[type[BaseException], ...]:
    http = importlib.import_module("fluent_ai._http")
    return (*http.ERRORS.http, OSError)


def _prepare(
    provider: str | None,
    client: Any,
    providers: ProviderOverrides | None,
    *,
    ttl: float,
    force: bool,
) -> tuple[Store, RefreshResult, list[_Job]]:
    """Resolves the providers to refresh, answers the ones that need no request (skipped, or
    cached within ``ttl``) and returns the fetches left to do."""
    catalog = store()
    result = RefreshResult()
    if provider is not None:
        name = canonical_provider(provider) or provider
        if name not in PROVIDERS and name not in (providers or {}):
            raise UnknownProviderError(provider, sorted(PROVIDERS))
        names = [name]
    else:
        names = [n for n, spec in PROVIDERS.items() if spec.models_path is not None]
        names += [n for n in providers or {} if n not in PROVIDERS]
    jobs = []
    now = time.time()
    for name in names:
        try:
            resolved = _resolve(name, client, providers, single=provider is not None)
        except ConfigurationError as error:
            result[name] = ProviderRefresh(name, "skipped", error=str(error))
            continue
        spec = resolved.spec
        kind = PROVIDER_KINDS.get(name, "openai" if spec.dialect == "openai-chat" else "")
        if spec.models_path is None or not kind:
            result[name] = ProviderRefresh(
                name,
                "skipped",
                error=f"{name!r} documents no models endpoint that a key can list "
                f"(dialect {spec.dialect}); the snapshot is used, no request was sent",
            )
            continue
        if provider is None and not _configured(resolved, providers, client):
            variables = " or ".join(spec.key_env) or base_url_env_var(name)
            result[name] = ProviderRefresh(
                name, "skipped", error=f"not configured (set {variables})"
            )
            continue
        cached = _cache.read(name)
        if cached is not None and cached.base_url != resolved.base_url:
            cached = None
        if cached is not None and not force and 0 <= now - cached.fetched_at < ttl:
            catalog.set_live(cached)
            result[name] = ProviderRefresh(
                name, "cached", len(cached.models), cached.source, cached.as_of
            )
            continue
        url = resolved.models_url() or ""
        if kind == "ollama" and resolved.base_url.endswith("/v1"):
            kind, url = "openai", resolved.url("/models")  # Ollama's OpenAI-compatible surface
        jobs.append(_Job(name, resolved, kind, url, cached))
    return catalog, result, jobs


def _resolve(
    name: str, client: Any, providers: ProviderOverrides | None, *, single: bool
) -> ResolvedProvider:
    resolver = getattr(client, "resolve_provider", None)
    if callable(resolver):  # a fluent_ai Client: its own provider settings
        resolved: ResolvedProvider = resolver(name)
        return resolved
    overrides: dict[str, Mapping[str, Any]] = dict(providers or {})
    own = overrides.get(name) or {}
    client_base = str(getattr(client, "base_url", "") or "") if client is not None else ""
    # An httpx client with a base_url, passed to refresh one provider, points at that provider.
    if (
        single
        and client_base
        and not own.get("base_url")
        and not os.environ.get(base_url_env_var(name))
    ):
        overrides[name] = {**own, "base_url": client_base}
    return resolve(name, overrides)


def _configured(
    resolved: ResolvedProvider, providers: ProviderOverrides | None, client: Any
) -> bool:
    if resolved.api_key or callable(getattr(client, "resolve_provider", None)):
        return True
    own = (providers or {}).get(resolved.name) or {}
    return bool(own.get("base_url") or os.environ.get(base_url_env_var(resolved.name)))


def _transport(client: Any, timeout: float, *, asynchronous: bool) -> tuple[Any, bool]:
    if client is not None:
        return getattr(client, "http_client", client), False
    # Here: loading the catalog must not pay for the HTTP library.
    httpx = importlib.import_module("fluent_ai._http").httpx
    if asynchronous:
        return httpx.AsyncClient(timeout=timeout, follow_redirects=True), True
    return httpx.Client(timeout=timeout, follow_redirects=True), True


def _run_sync(job: _Job, http: Any, timeout: float) -> tuple[dict[str, Any], dict[str, str]]:
    plan = plan_for(job.kind, job.url)
    headers = job.resolved.request_headers()
    url, params = next(plan)
    while True:
        try:
            response = http.get(url, params=params, headers=headers, timeout=timeout)
        except _transport_errors() as error:
            raise _mapped_transport(job, error) from _scrubbed(job, error)
        url, params, done = _advance(job, plan, response)
        if done is not None:
            return done


async def _run_async(job: _Job, http: Any, timeout: float) -> tuple[dict[str, Any], dict[str, str]]:
    plan = plan_for(job.kind, job.url)
    headers = job.resolved.request_headers()
    url, params = next(plan)
    while True:
        try:
            response = await http.get(url, params=params, headers=headers, timeout=timeout)
        except _transport_errors() as error:
            raise _mapped_transport(job, error) from _scrubbed(job, error)
        url, params, done = _advance(job, plan, response)
        if done is not None:
            return done


def _advance(
    job: _Job, plan: Plan, response: Any
) -> tuple[str, dict[str, str], tuple[dict[str, Any], dict[str, str]] | None]:
    """Feeds one response to the plan: the next request, or the finished result."""
    secrets = [job.resolved.api_key]
    if response.status_code >= 400:
        raise _http_errors.error_from_response(response, provider=job.provider, secrets=secrets)
    try:
        body = loads_bounded(response.content)
    except ValueError as error:
        raise APIError(
            f"the models endpoint {job.url} did not answer JSON",
            provider=job.provider,
            status_code=response.status_code,
        ) from error
    try:
        url, params = plan.send(body)
    except StopIteration as stop:
        return "", {}, stop.value
    except ValueError as error:
        raise APIError(
            f"unexpected models list from {job.url}: {error}",
            provider=job.provider,
            status_code=response.status_code,
        ) from error
    return url, params, None


def _scrubbed(job: _Job, error: BaseException) -> BaseException:
    """The transport exception without the request headers (the key) it would carry."""
    return _http_errors.scrub(error, job.resolved.secrets())


def _mapped_transport(job: _Job, error: BaseException) -> APIError:
    return _http_errors.error_from_transport(
        error, provider=job.provider, secrets=[job.resolved.api_key]
    )


def _fetched(
    catalog: Store, job: _Job, result: tuple[dict[str, Any], dict[str, str]]
) -> ProviderRefresh:
    models, aliases = result
    fetched_at = time.time()
    as_of = datetime.datetime.fromtimestamp(fetched_at, tz=datetime.timezone.utc)
    live = LiveSet(
        provider=job.provider,
        base_url=job.resolved.base_url,
        source=f"GET {job.url}",
        as_of=as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        fetched_at=fetched_at,
        models=models,
        aliases=aliases,
    )
    _cache.write(live)
    catalog.set_live(live)
    return ProviderRefresh(job.provider, "fetched", len(models), live.source, live.as_of)


def _failed(catalog: Store, job: _Job, error: BaseException) -> ProviderRefresh:
    message = _http_errors.redact(str(error), [job.resolved.api_key])
    if job.cached is not None:
        catalog.set_live(job.cached)
        outcome = ProviderRefresh(
            job.provider,
            "failed",
            len(job.cached.models),
            job.cached.source,
            job.cached.as_of,
            fallback="cache",
            error=message,
        )
    else:
        outcome = ProviderRefresh(job.provider, "failed", fallback="snapshot", error=message)
    logger.warning(
        "catalog refresh of %s failed (%s); using the %s", job.provider, message, outcome.fallback
    )
    return outcome
