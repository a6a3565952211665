"""``list_models``: the catalog's models-endpoint plans, driven through a client call."""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ._calls import Call
from .errors import APIError
from .providers.base import HttpRequest

if TYPE_CHECKING:
    from .catalog._live import Plan
    from .catalog._model import ModelInfo

__all__ = ["ModelsPage"]


class ModelsPage:
    """Walks the pages of one provider's models list (no I/O: the client sends
    :attr:`request` and passes each body to :meth:`advance`)."""

    def __init__(self, call: Call) -> None:
        # The catalog loads when models are listed, not when the client is imported.
        from .catalog._live import plan_for  # noqa: PLC0415

        self.call = call
        self.kind, self.url = call.adapter.models_url()
        self._plan: Plan = plan_for(self.kind, self.url)
        self.request = self._get(*next(self._plan))
        self.models: list[ModelInfo] | None = None

    def advance(self, body: Any) -> bool:
        """Takes one page; ``True`` when :attr:`models` is complete."""
        try:
            self.request = self._get(*self._plan.send(body))
        except StopIteration as stop:
            self.models = self._infos(stop.value[0])
            return True
        except ValueError as error:
            message = f"unexpected models list from {self.url}: {error}"
            raise APIError(message, provider=self.call.name) from None
        return False

    def _get(self, url: str, params: dict[str, str]) -> HttpRequest:
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return HttpRequest("GET", url, self.call.adapter.headers())

    def _infos(self, models: dict[str, dict[str, Any]]) -> list[ModelInfo]:
        from .catalog._live import LiveSet  # noqa: PLC0415
        from .catalog._store import _overlay  # noqa: PLC0415

        now = time.time()
        as_of = datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc)
        live = LiveSet(
            provider=self.call.name,
            base_url=self.call.provider.base_url,
            source=f"GET {self.url}",
            as_of=as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
            fetched_at=now,
            models=models,
        )
        return [
            _overlay(None, self.call.name, model_id, live, fields)
            for model_id, fields in sorted(models.items())
        ]
