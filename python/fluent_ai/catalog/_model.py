"""The catalog's value types: :class:`ModelInfo`, :class:`Provenance` and :class:`Cost`."""

from __future__ import annotations

import dataclasses
import datetime
import difflib
from dataclasses import dataclass
from typing import Any, NamedTuple

from .._validation import check_string, fail_value

__all__ = ["DATA_FIELDS", "Cost", "ModelInfo", "Provenance"]


class Provenance(NamedTuple):
    """Where one value came from and when: a snapshot entry or a live endpoint."""

    source: str
    as_of: str


@dataclass(frozen=True)
class ModelInfo:
    """What a model can do and what it costs.

    The three limits have one meaning for every provider:

    - ``context_window``: the most tokens one request may use in total, prompt plus output,
      when the provider states such a shared budget; ``None`` when it states separate limits
      only (Google's Gemini models) or the source does not say;
    - ``max_input_tokens``: the most prompt tokens accepted. Where the provider publishes only a
      shared context window, the prompt can fill it only if the output is tiny, so this equals
      ``context_window``;
    - ``max_output_tokens``: the most tokens one response may generate.

    A request fits when ``input <= max_input_tokens``, ``output <= max_output_tokens`` and,
    when ``context_window`` is known, ``input + output <= context_window``.

    Prices are USD per million tokens: ``input_price`` for prompt tokens that are neither read
    from nor written to a prompt cache, ``cache_read_price`` and ``cache_write_price`` for the
    cached ones, ``output_price`` for generated tokens (reasoning included). Capability flags
    are ``True``/``False`` when the source says so and ``None`` when it does not. Every value
    the source lacks is ``None``, never a guess (a price of ``0.0`` is a stated zero).

    ``source``/``as_of`` say where the entry came from (the packaged snapshot, or a live
    endpoint for a model only known live); fields named in ``live_fields`` were taken from
    ``live_source`` at ``live_as_of`` instead. :meth:`provenance` answers for one field.
    """

    provider: str
    id: str
    mode: str | None = None
    context_window: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    cache_read_price: float | None = None
    cache_write_price: float | None = None
    tools: bool | None = None
    parallel_tools: bool | None = None
    vision: bool | None = None
    structured_output: bool | None = None
    reasoning: bool | None = None
    prompt_caching: bool | None = None
    audio_input: bool | None = None
    embedding_dimensions: int | None = None
    deprecation_date: datetime.date | None = None
    display_name: str | None = None
    reference_url: str | None = None
    source: str = ""
    as_of: str = ""
    live_source: str | None = None
    live_as_of: str | None = None
    live_fields: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        """``"provider/id"``, the name :func:`fluent_ai.catalog.get` and the clients take."""
        return f"{self.provider}/{self.id}"

    @property
    def json_mode(self) -> bool | None:
        """Same as ``structured_output`` (JSON-schema constrained output)."""
        return self.structured_output

    def provenance(self, field: str) -> Provenance:
        """Where the value of ``field`` came from (``source``/``as_of`` or the live endpoint)."""
        if field not in DATA_FIELDS:
            # A typed argument error (a ValueError; a TypeError too for a non-str).
            check_string("field", field)
            close = difflib.get_close_matches(field, DATA_FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            fail_value("field", "one of " + ", ".join(DATA_FIELDS) + hint, field)
        if field in self.live_fields and self.live_source is not None:
            return Provenance(self.live_source, self.live_as_of or "")
        return Provenance(self.source, self.as_of)

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON data: ``deprecation_date`` as an ISO date string
        (``"2026-01-31"``), ``live_fields`` as a sorted list."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if self.deprecation_date is not None:
            data["deprecation_date"] = self.deprecation_date.isoformat()
        data["live_fields"] = sorted(self.live_fields)
        return data


DATA_FIELDS: tuple[str, ...] = (
    "mode",
    "context_window",
    "max_input_tokens",
    "max_output_tokens",
    "input_price",
    "output_price",
    "cache_read_price",
    "cache_write_price",
    "tools",
    "parallel_tools",
    "vision",
    "structured_output",
    "reasoning",
    "prompt_caching",
    "audio_input",
    "embedding_dimensions",
    "deprecation_date",
    "display_name",
    "reference_url",
)
"""The fields a source can supply (everything but identity and provenance)."""


@dataclass(frozen=True)
class Cost:
    """The price of one call in USD.

    ``input`` covers the prompt tokens that were neither cache reads nor cache writes,
    ``cache_read``/``cache_write`` the cached ones, ``output`` the generated tokens. A part is
    ``None`` when it has tokens but the model's price for them is unknown (or the usage does
    not say how many); ``total`` is then ``None`` too. Amounts are computed exactly in decimal
    and rounded once to the nearest float.
    """

    model: str
    input: float | None
    output: float | None
    cache_read: float | None
    cache_write: float | None
    total: float | None

    def to_dict(self) -> dict[str, Any]:
        """``{"model", "input", "output", "cache_read", "cache_write", "total"}``: plain JSON
        data (amounts in USD, ``None`` where unknown)."""
        return dataclasses.asdict(self)
