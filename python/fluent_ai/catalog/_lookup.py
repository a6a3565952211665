"""Name resolution for :func:`fluent_ai.catalog.get` and the filters of ``find``.

Rules, tried in order until one gives a model (README, section Model catalog):

1. the exact ``"provider/id"``;
2. the provider part may be a LiteLLM name (``vertex_ai/...``, ``together_ai/...``) or a
   common alias (``google/...`` is ``gemini``); without a known provider part the whole name is
   an id, looked up in every provider, first-party providers first (``gpt-4.1`` is OpenAI's,
   ``gemini-2.5-pro`` Gemini's);
3. within a provider: the exact id, an alias the provider's live list gave (Mistral), the id
   ignoring case, then the id with a version marker removed: a date suffix (``-2025-04-14``,
   ``-20250929``, ``@20241022``, ``-0613``), ``-latest``, an Ollama/Hugging Face tag
   (``:latest``, ``:fastest``), a Bedrock cross-region prefix (``us.``, ``eu.``, ``apac.``,
   ``global.``, ...); last, an undated name resolves to its newest dated version
   (``claude-3-5-haiku`` -> ``claude-3-5-haiku-20241022`` when only dated ids exist).

An unknown name raises :class:`~fluent_ai.errors.ModelNotFoundError` with up to five close
matches (``difflib``), from the same provider first.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator

from .._validation import fail_value
from ..errors import ModelNotFoundError
from ._model import ModelInfo
from ._names import LITELLM_PROVIDERS
from ._store import Store

__all__ = ["find", "resolve"]

# Extra provider spellings accepted in names (LiteLLM's names are accepted too).
_PROVIDER_ALIASES = {
    "google": "gemini",
    "google_genai": "gemini",
    "vertexai": "vertex",
    "vertex-ai": "vertex",
    "aws": "bedrock",
    "azure_openai": "azure",
    "hf": "huggingface",
    "zhipu": "zhipuai",
    "together-ai": "together",
    "fireworks-ai": "fireworks",
    "lmstudio": "lm_studio",
}

# Bare ids are looked up in these providers first: they serve their own models.
_FIRST_PARTY = (
    "openai",
    "anthropic",
    "gemini",
    "mistral",
    "cohere",
    "deepseek",
    "xai",
    "moonshot",
    "zai",
    "zhipuai",
    "dashscope",
    "ai21",
    "minimax",
    "voyage",
    "jina",
    "perplexity",
)

_DATED = re.compile(
    r"^(?P<base>.+?)(?:[-@_](?:\d{4}-\d{2}-\d{2}|\d{8})|-\d{2}-\d{4}|-\d{4}|@\d{3}|-latest)$"
)
_BEDROCK_GEO = re.compile(r"^(?:us-gov|us|eu|apac|ap|jp|au|ca|global)\.(?=[a-z])")
_DATE_IN_ID = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def canonical_provider(name: str) -> str | None:
    lowered = name.lower()
    lowered = _PROVIDER_ALIASES.get(lowered, lowered)
    if lowered.startswith("vertex_ai"):
        return "vertex"
    return LITELLM_PROVIDERS.get(lowered, lowered)


def resolve(store: Store, name: str) -> ModelInfo:
    """The model ``name`` refers to; raises ``ModelNotFoundError`` with suggestions."""
    info = store.info(name)
    if info is not None:
        return info
    ids = store.ids()
    head, slash, rest = name.partition("/")
    provider = canonical_provider(head) if slash else None
    if provider is not None and provider in ids:
        found = _in_provider(store, provider, rest)
        if found is not None:
            return found
        raise ModelNotFoundError(name, _suggest(store, name, provider))
    for candidate in _provider_order(ids):
        found = _in_provider(store, candidate, name, exact_only=True)
        if found is not None:
            return found
    for candidate in _provider_order(ids):
        found = _in_provider(store, candidate, name)
        if found is not None:
            return found
    raise ModelNotFoundError(name, _suggest(store, name, None))


def _provider_order(ids: dict[str, dict[str, None]]) -> Iterator[str]:
    for provider in _FIRST_PARTY:
        if provider in ids:
            yield provider
    for provider in sorted(ids):
        if provider not in _FIRST_PARTY:
            yield provider


def _in_provider(
    store: Store, provider: str, model_id: str, *, exact_only: bool = False
) -> ModelInfo | None:
    ids = store.ids().get(provider, {})
    target = _match(store, provider, ids, model_id)
    if target is None and not exact_only:
        for variant in _variants(model_id):
            target = _match(store, provider, ids, variant)
            if target is not None:
                break
        if target is None:
            target = _newest_dated(ids, model_id)
    return None if target is None else store.info(f"{provider}/{target}")


def _match(store: Store, provider: str, ids: dict[str, None], model_id: str) -> str | None:
    if model_id in ids:
        return model_id
    alias = store.aliases(provider).get(model_id)
    if alias is not None and alias in ids:
        return alias
    lowered = model_id.lower()
    matches = [i for i in ids if i.lower() == lowered]
    return matches[0] if len(matches) == 1 else None


def _variants(model_id: str) -> Iterator[str]:
    """Names ``model_id`` may stand for, most specific first (each rule applied once)."""
    seen = {model_id}
    queue = [model_id]
    while queue:
        current = queue.pop(0)
        for variant in _one_step(current):
            if variant and variant not in seen:
                seen.add(variant)
                queue.append(variant)
                yield variant


def _one_step(model_id: str) -> Iterable[str]:
    dated = _DATED.match(model_id)
    if dated:
        yield dated.group("base")
    if ":" in model_id:
        yield model_id.rsplit(":", 1)[0]
    geo = _BEDROCK_GEO.match(model_id)
    if geo:
        yield model_id[geo.end() :]


def _newest_dated(ids: dict[str, None], model_id: str) -> str | None:
    best: tuple[str, str] | None = None
    for candidate in ids:
        if len(candidate) <= len(model_id) or not candidate.startswith(model_id):
            continue
        suffix = candidate[len(model_id) :]
        if suffix[0] not in "-@":
            continue
        match = _DATE_IN_ID.fullmatch(suffix[1:])
        if match is None or not _valid_date(match):
            continue
        key = "".join(match.groups())
        if best is None or key > best[0]:
            best = (key, candidate)
    return None if best is None else best[1]


def _valid_date(match: re.Match[str]) -> bool:
    try:
        datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return False
    return True


def _suggest(store: Store, name: str, provider: str | None) -> list[str]:
    import difflib  # noqa: PLC0415  (only an unknown name needs it)

    names = list(store.names())
    suggestions: list[str] = []
    if provider is not None:
        own = [n for n in names if n.startswith(provider + "/")]
        suggestions = difflib.get_close_matches(f"{provider}/{name.partition('/')[2]}", own, 5)
    if len(suggestions) < 5:
        for match in difflib.get_close_matches(name, names, 5, cutoff=0.6):
            if match not in suggestions:
                suggestions.append(match)
    return suggestions[:5]


_SORTS = {
    "name": lambda i: (0, i.name),
    "input_price": lambda i: (i.input_price is None, i.input_price or 0.0, i.name),
    "output_price": lambda i: (i.output_price is None, i.output_price or 0.0, i.name),
    "context_window": lambda i: (_context(i) is None, -(_context(i) or 0), i.name),
    "max_output_tokens": lambda i: (
        i.max_output_tokens is None,
        -(i.max_output_tokens or 0),
        i.name,
    ),
}


def _context(info: ModelInfo) -> int | None:
    """The context a model can hold: its context window, else its input limit."""
    return info.context_window if info.context_window is not None else info.max_input_tokens


def find(
    store: Store,
    *,
    provider: str | Iterable[str] | None,
    mode: str | Iterable[str] | None,
    flags: dict[str, bool | None],
    min_context: int | None,
    min_output: int | None,
    max_input_price: float | None,
    max_output_price: float | None,
    include_deprecated: bool,
    today: datetime.date | None,
    sort: str,
) -> list[ModelInfo]:
    """The entries that pass every filter given (see :func:`fluent_ai.catalog.find`)."""
    if sort not in _SORTS:
        fail_value("sort", "one of " + ", ".join(_SORTS), sort)
    providers = _as_set(provider, canonical=True)
    modes = _as_set(mode)
    wanted = [(name, value) for name, value in flags.items() if value is not None]
    day = today or datetime.date.today()
    found = []
    for info in store.all():
        if providers is not None and info.provider not in providers:
            continue
        if modes is not None and info.mode not in modes:
            continue
        if any(getattr(info, name) is not value for name, value in wanted):
            continue
        if min_context is not None and (_context(info) or 0) < min_context:
            continue
        if min_output is not None and (info.max_output_tokens or 0) < min_output:
            continue
        if max_input_price is not None and (
            info.input_price is None or info.input_price > max_input_price
        ):
            continue
        if max_output_price is not None and (
            info.output_price is None or info.output_price > max_output_price
        ):
            continue
        if not include_deprecated and info.deprecation_date and info.deprecation_date <= day:
            continue
        found.append(info)
    found.sort(key=_SORTS[sort])
    return found


def _as_set(value: str | Iterable[str] | None, *, canonical: bool = False) -> set[str] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    if canonical:
        return {canonical_provider(v) or v for v in values}
    return set(values)
