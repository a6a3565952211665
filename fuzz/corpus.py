"""The seed corpus: real streams shipped with the package and the shared specs, the shared
conformance suites, and ``shared/real/`` (recorded provider traffic) when it exists at run
time. Each seed says which decoders it is meant for; the mutators also feed it to the others."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLES = ROOT / "python" / "fluent_ai" / "examples"
TRANSCRIPTS = SHARED / "spec" / "transcripts"
CONFORMANCE = SHARED / "conformance"
# Recorded provider traffic: its bytes live in shared/real (see tests/data/real/README.md).
REAL = SHARED / "real"

DIALECTS = ("openai-chat", "openai-responses", "anthropic", "gemini", "bedrock", "cohere", "ollama")

# Words in a file's path that tell its dialect (the first match wins, so longer names first).
_HINTS = (
    ("openai-responses", ("openai_responses", "openai-responses", "responses")),
    ("anthropic", ("anthropic", "claude")),
    ("gemini", ("gemini", "vertex", "google")),
    ("bedrock", ("bedrock", "converse", "eventstream")),
    ("cohere", ("cohere",)),
    ("ollama", ("ollama",)),
    (
        "openai-chat",
        (
            "openai",
            "chat",
            "deepseek",
            "openrouter",
            "groq",
            "mistral",
            "perplexity",
            "azure",
            "together",
            "fireworks",
            "xai",
            "grok",
            "gpustack",
            "vllm",
            "litellm",
        ),
    ),
)
_LARGEST = 2 * 1024 * 1024  # bigger files are cut: the fuzzer needs variety, not volume


@dataclass(frozen=True)
class Seed:
    name: str
    data: bytes
    kind: str  # "sse", "ndjson", "eventstream", "json" or a dialect name


def dialect_of(path: Path) -> str | None:
    text = str(path).lower()
    for dialect, words in _HINTS:
        if any(word in text for word in words):
            return dialect
    return None


def _stream_bytes(path: Path) -> bytes:
    """A transcript's body bytes (a JSON description carries them as base64)."""
    data = path.read_bytes()[:_LARGEST]
    if path.suffix == ".json" and data.lstrip().startswith(b"{"):
        try:
            described = json.loads(data)
        except ValueError:
            return data
        if isinstance(described, dict) and isinstance(described.get("stream_base64"), str):
            return base64.b64decode(described["stream_base64"])
    return data


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


@lru_cache(maxsize=1)
def seeds() -> tuple[Seed, ...]:
    found: list[Seed] = []
    for path in _files(EXAMPLES) + _files(TRANSCRIPTS):
        if path.suffix == ".py":
            continue
        dialect = dialect_of(path.relative_to(path.parents[1]))
        found.append(Seed(path.name, _stream_bytes(path), dialect or "sse"))
    for path in _files(REAL):
        if path.suffix.lower() in {".md", ".txt"} and "manifest" in path.name.lower():
            continue
        if path.name.lower().startswith(("manifest", "license", "notice", "readme")):
            continue
        dialect = dialect_of(path.relative_to(REAL))
        found.append(Seed(f"real/{path.relative_to(REAL)}", _stream_bytes(path), dialect or "sse"))
    for path in _files(CONFORMANCE / "eventstream"):
        if "encoded" in path.parts:
            found.append(Seed(f"eventstream/{path.name}", path.read_bytes(), "eventstream"))
    cases = CONFORMANCE / "sse" / "cases.json"
    if cases.exists():
        for case in json.loads(cases.read_text()):
            found.append(Seed(f"sse/{case['name']}", base64.b64decode(case["input_b64"]), "sse"))
    for path in _files(CONFORMANCE / "json" / "test_parsing"):
        found.append(Seed(f"json/{path.name}", path.read_bytes()[:_LARGEST], "json"))
    return tuple(found)


def seeds_for(kind: str) -> tuple[Seed, ...]:
    """The seeds meant for ``kind``; every seed when none is (an unknown layout)."""
    meant = tuple(seed for seed in seeds() if seed.kind == kind)
    if kind == "sse":  # every SSE dialect's streams are SSE
        meant += tuple(s for s in seeds() if s.kind in DIALECTS and s.kind not in _BINARY)
    if kind == "ndjson":
        meant += tuple(s for s in seeds() if s.kind == "ollama")
    if kind == "eventstream":
        meant += tuple(s for s in seeds() if s.kind == "bedrock")
    return meant or seeds()


_BINARY = {"bedrock", "ollama"}


def summary() -> dict[str, int]:
    counts: dict[str, int] = {}
    for seed in seeds():
        counts[seed.kind] = counts.get(seed.kind, 0) + 1
    return counts
