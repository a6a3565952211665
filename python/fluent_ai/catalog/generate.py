"""Builds the packaged catalog snapshot from LiteLLM's model file.

Usage::

    python -m fluent_ai.catalog.generate \
        ../shared/data/litellm-1.109.1_model_prices_and_context_window.json

It writes ``snapshot.json`` (and the source's licence, ``LITELLM-LICENSE.txt``, found beside
the source file) into this package. The output depends only on the source file and the
options, so running it twice gives the same bytes; the normalization rules are in
:mod:`fluent_ai.catalog._litellm`.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._litellm import normalize
from ._snapshot import LICENSE_FILE, ROW_FIELDS, SNAPSHOT_FILE

__all__ = ["build_snapshot", "main", "render"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def build_snapshot(
    source: bytes, *, file_name: str, version: str, as_of: str, copyright_line: str | None
) -> dict[str, Any]:
    """The snapshot document for the LiteLLM file whose bytes are ``source``."""
    entries = normalize(json.loads(source))
    urls = sorted({e["reference_url"] for e in entries if "reference_url" in e})
    url_index = {url: i for i, url in enumerate(urls)}
    models: dict[str, list[list[Any]]] = {}
    for entry in entries:
        row = [entry.get(field) for field in ROW_FIELDS]
        reference = entry.get("reference_url")
        row[ROW_FIELDS.index("reference_url")] = None if reference is None else url_index[reference]
        models.setdefault(entry["provider"], []).append(row)
    return {
        "format": 1,
        "source": {
            "name": "LiteLLM model_prices_and_context_window.json",
            "file": file_name,
            "version": version,
            "sha256": hashlib.sha256(source).hexdigest(),
            "license": "MIT",
            "copyright": copyright_line,
            "license_file": LICENSE_FILE,
        },
        "as_of": as_of,
        "generator": "python -m fluent_ai.catalog.generate",
        "rules": "fluent_ai/catalog/_litellm.py (also in the README, section Model catalog)",
        "fields": list(ROW_FIELDS),
        "urls": urls,
        "models": models,
    }


def render(document: dict[str, Any]) -> str:
    """The snapshot as compact JSON with one model per line (reviewable diffs)."""
    head = {k: v for k, v in document.items() if k != "models"}
    groups = []
    for provider, rows in document["models"].items():
        lines = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
        groups.append(f"{json.dumps(provider)}: [\n{lines}\n]")
    text = json.dumps(head, ensure_ascii=False, indent=1)
    return text[:-1].rstrip() + ',\n"models": {\n' + ",\n".join(groups) + "\n}\n}\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fluent_ai.catalog.generate")
    parser.add_argument("source", type=Path, help="LiteLLM's model_prices_and_context_window.json")
    parser.add_argument("--version", help="LiteLLM version (default: from the file name)")
    parser.add_argument("--as-of", help="date of the data, YYYY-MM-DD (default: the file's mtime)")
    parser.add_argument("--license", type=Path, help="LiteLLM's licence (default: beside source)")
    parser.add_argument("--out", type=Path, default=_PACKAGE_DIR, help="output directory")
    args = parser.parse_args(argv)

    source: Path = args.source
    raw = source.read_bytes()
    version = args.version or _version_from_name(source.name) or "unknown"
    as_of = args.as_of or _mtime_date(source)
    out: Path = args.out
    license_path: Path = args.license or source.with_name("litellm-LICENSE.txt")
    if not license_path.is_file():
        # Keep the licence already shipped (the same MIT text) rather than fail.
        license_path = out / LICENSE_FILE
        if not license_path.is_file():
            parser.error("LiteLLM's licence not found beside the source; pass --license")
    license_text = license_path.read_text(encoding="utf-8")
    copyright_line = next(
        (line.strip() for line in license_text.splitlines() if line.startswith("Copyright")), None
    )
    document = build_snapshot(
        raw,
        file_name=source.name,
        version=version,
        as_of=as_of,
        copyright_line=copyright_line,
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / SNAPSHOT_FILE).write_text(render(document), encoding="utf-8")
    if license_path.resolve() != (out / LICENSE_FILE).resolve():
        shutil.copyfile(license_path, out / LICENSE_FILE)
    count = sum(len(rows) for rows in document["models"].values())
    print(f"wrote {count} models from {len(document['models'])} providers to {out / SNAPSHOT_FILE}")
    return 0


def _version_from_name(name: str) -> str | None:
    match = re.match(r"litellm-(\d+(?:\.\d+)*)_", name)
    return match.group(1) if match else None


def _mtime_date(path: Path) -> str:
    stamp = path.stat().st_mtime
    return datetime.datetime.fromtimestamp(stamp, tz=datetime.timezone.utc).date().isoformat()


if __name__ == "__main__":
    sys.exit(main())
