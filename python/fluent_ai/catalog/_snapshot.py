"""Reads the packaged snapshot (``snapshot.json``) and turns its rows into :class:`ModelInfo`.

Nothing here runs at import: :func:`load` is called by the catalog on first use.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from ._model import DATA_FIELDS, ModelInfo

__all__ = ["LICENSE_FILE", "ROW_FIELDS", "SNAPSHOT_FILE", "Snapshot", "load", "snapshot_path"]

SNAPSHOT_FILE = "snapshot.json"
LICENSE_FILE = "LITELLM-LICENSE.txt"

ROW_FIELDS: tuple[str, ...] = (
    "id",
    *(field for field in DATA_FIELDS if field != "display_name"),  # no source has names
    "key",
)
"""Column order the generator writes (the file repeats it, and the reader follows the file)."""


def snapshot_path() -> Path:
    """The packaged snapshot file."""
    return Path(__file__).resolve().with_name(SNAPSHOT_FILE)


class Snapshot:
    """The parsed snapshot: metadata and one raw row per ``"provider/id"`` name."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.meta: dict[str, Any] = {k: v for k, v in document.items() if k != "models"}
        source = document["source"]
        self.as_of: str = document["as_of"]
        self.label = f"LiteLLM {source['version']} {source['name'].split()[-1]}"
        fields: list[str] = document["fields"]
        self._columns = [(i, name) for i, name in enumerate(fields) if name in DATA_FIELDS]
        self._id = fields.index("id")
        self._key = fields.index("key")
        self._urls: list[str] = document["urls"]
        self.rows: dict[str, tuple[str, list[Any]]] = {}
        for provider, rows in document["models"].items():
            for row in rows:
                self.rows[f"{provider}/{row[self._id]}"] = (provider, row)

    def info(self, provider: str, row: list[Any]) -> ModelInfo:
        """The :class:`ModelInfo` of one row, with ``source`` naming the LiteLLM key."""
        values: dict[str, Any] = {name: row[i] for i, name in self._columns if row[i] is not None}
        url = values.get("reference_url")
        if url is not None:
            values["reference_url"] = self._urls[url]
        date = values.get("deprecation_date")
        if date is not None:
            values["deprecation_date"] = datetime.date.fromisoformat(date)
        return ModelInfo(
            provider=provider,
            id=row[self._id],
            source=f"{self.label}: {row[self._key]}",
            as_of=self.as_of,
            **values,
        )

    def source_key(self, name: str) -> str | None:
        """The LiteLLM key an entry was taken from."""
        found = self.rows.get(name)
        return None if found is None else str(found[1][self._key])


def load(path: Path | None = None) -> Snapshot:
    """Reads and parses the snapshot (the packaged one unless ``path`` is given)."""
    with open(path or snapshot_path(), "rb") as file:
        return Snapshot(json.loads(file.read()))
