"""MkDocs hooks of the documentation site (``hooks:`` in mkdocs.yml).

The docstrings cross-reference with Sphinx roles (``:class:`~fluent_ai.Timeout```), which
mkdocstrings leaves as text before a code span. The role goes; a leading ``~`` keeps the last
component only, as in Sphinx.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|data|mod|attr|exc|obj|const):<code>(~?)([^<]+)</code>"
)


def _code(match: re.Match[str]) -> str:
    tilde, name = match.groups()
    return f"<code>{name.rsplit('.', 1)[-1] if tilde else name}</code>"


def on_page_content(html: str, **_: Any) -> str:
    return _ROLE.sub(_code, html)
