"""The ```python blocks of README.md and docs/**/*.md, as tests/test_docs_examples.py runs them.

The convention (docs/writing-docs.md says it for writers):

- each block is a whole program, the code a user would copy and run, unchanged: it runs alone,
  in a fresh namespace, and reaches the providers through the environment
  (``OPENAI_API_KEY``, ``FLUENT_AI_OPENAI_BASE_URL``, ``OPENAI_BASE_URL``, ... set by the test
  to a ``fluent_ai._demo_server.DemoServer`` on 127.0.0.1);
- ``<!-- docs-test: continue -->`` on the line before a block (rare) runs it after the block
  before it, in that block's namespace: the two are one example;
- ``<!-- docs-test: skip: <reason> -->`` on the line before a block leaves that block out;
  the reason is the skip reason of its own test item. Any other ``docs-test:`` comment is an
  error, so a misspelt marker cannot hide a block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ROOT", "Block", "MarkerError", "blocks_of", "examples", "pages"]

ROOT = Path(__file__).resolve().parents[1]
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
_MARKER = re.compile(r"<!--\s*docs-test:\s*(.*?)\s*-->")
_SKIP = re.compile(r"skip:\s*(\S.*)")
_CONTINUE = "\x00continue"


class MarkerError(ValueError):
    """A ``docs-test:`` comment that is not one of the known markers."""


@dataclass(frozen=True)
class Block:
    """One ```python block: where it starts (the line of its first code line, 1-based)."""

    page: str
    line: int
    code: str
    skip: str | None = None
    continues: bool = False

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """README.md and every page of docs/, in a stable order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks_of(path: Path) -> list[Block]:
    """The python blocks of one Markdown file, with their markers."""
    name = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    marker: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        found = _MARKER.search(line)
        if found:
            skip = _SKIP.fullmatch(found.group(1))
            if skip is None and found.group(1) != "continue":
                raise MarkerError(
                    f"{name}:{index + 1}: unknown marker {found.group(0)!r} (the markers are "
                    "<!-- docs-test: skip: <reason> --> and <!-- docs-test: continue -->)"
                )
            marker = skip.group(1) if skip else _CONTINUE
            index += 1
            continue
        fence = _FENCE.match(line)
        if fence is None:
            if line.strip():
                marker = None  # a marker applies to the block right after it only
            index += 1
            continue
        indent, ticks, language = fence.groups()
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(ticks):
            end += 1
        if language in ("python", "py"):
            code = "\n".join(text[len(indent) :] for text in lines[index + 1 : end])
            if marker == _CONTINUE and (not blocks or blocks[-1].skip is not None):
                raise MarkerError(
                    f"{name}:{index + 1}: 'continue' needs a runnable python block before it"
                )
            continues = marker == _CONTINUE
            blocks.append(Block(name, index + 2, code, None if continues else marker, continues))
        marker = None
        index = end + 1
    return blocks


def examples(path: Path) -> list[list[Block]]:
    """The runnable examples of a page: each a block with the blocks that continue it."""
    chains: list[list[Block]] = []
    for block in blocks_of(path):
        if block.continues:
            chains[-1].append(block)
        elif block.skip is None:
            chains.append([block])
    return chains
