"""``fluent-ai models`` (catalog search as a table) and ``fluent-ai cost`` (an estimate)."""

from __future__ import annotations

import sys
from typing import Any

from ._setup import fail, load_config
from ._terminal import Progress, Style, print_json, table

__all__ = ["run_cost", "run_models"]

_CAPABILITIES = (
    ("tools", "tools"),
    ("vision", "vision"),
    ("reasoning", "reasoning"),
    ("structured_output", "json"),
    ("prompt_caching", "cache"),
)


def _count(value: int | None) -> str:
    if value is None:
        return "-"
    if value >= 1_000_000 and value % 1_000_000 == 0:
        return f"{value // 1_000_000}M"
    if value >= 1000 and value % 1000 == 0:
        return f"{value // 1000}k"
    return f"{value:,}"


def _price(value: float | None) -> str:
    return "-" if value is None else f"${value:g}"


def _capabilities(info: Any) -> str:
    return ",".join(label for field, label in _CAPABILITIES if getattr(info, field)) or "-"


def _refresh(args: Any, err: Style) -> None:
    from .. import catalog  # noqa: PLC0415

    providers = load_config(args.config).get("providers")
    names = [args.refresh] if args.refresh != "*" else [None]
    with Progress("refreshing the model lists…") as progress:
        for name in names:
            progress.update(f"refreshing {name or 'the configured providers'}…")
            result = catalog.refresh(name, force=True, providers=providers)
    progress.done()
    skipped = []
    for provider, outcome in sorted(result.items()):
        if outcome.status == "skipped" and args.refresh == "*":
            skipped.append(provider)
            continue
        text = f"{provider}: {outcome.status}"
        if outcome.status == "fetched":
            text += f" ({outcome.models} models)"
        if outcome.error is not None:
            problem = outcome.error
            text += " — " + (
                problem if isinstance(problem, str) else f"{type(problem).__name__}: {problem}"
            )
        colour = "green" if outcome.status in ("fetched", "cached") else "yellow"
        sys.stderr.write(err(text, colour) + "\n")
    if skipped:
        sys.stderr.write(
            err(
                f"{len(skipped)} providers skipped: not configured (no key or base URL set); "
                "--refresh PROVIDER says why for one",
                "dim",
            )
            + "\n"
        )


def run_models(args: Any, style: Style, err: Style) -> int:
    from .. import catalog  # noqa: PLC0415

    if args.refresh:
        _refresh(args, err)
    flags: dict[str, Any] = {
        name: True
        for name in ("tools", "vision", "reasoning", "structured_output")
        if getattr(args, name)
    }
    found = catalog.find(
        args.provider or None,
        args.mode or None,
        min_context=args.min_context,
        min_output=args.min_output,
        max_input_price=args.max_input_price,
        max_output_price=args.max_output_price,
        sort=args.sort,
        **flags,
    )
    if args.query:
        words = [word.lower() for word in args.query]
        found = [info for info in found if all(word in info.name.lower() for word in words)]
    total = len(found)
    shown = found if args.limit == 0 else found[: args.limit]
    if args.json:
        for info in shown:
            print_json({"name": info.name, **info.to_dict()})
        return 0
    if not shown:
        sys.stderr.write(err("no model matches", "yellow") + "\n")
        return 0
    rows = [
        [
            info.name,
            _count(info.context_window or info.max_input_tokens),
            _count(info.max_output_tokens),
            _price(info.input_price),
            _price(info.output_price),
            _capabilities(info),
        ]
        for info in shown
    ]
    header = ["model", "context", "output", "in $/M", "out $/M", "capabilities"]
    sys.stdout.write(table(rows, header, style) + "\n")
    if total > len(shown):
        sys.stderr.write(err(f"{len(shown)} of {total} shown (--limit 0 shows all)", "dim") + "\n")
    return 0


def run_cost(args: Any, style: Style, err: Style) -> int:
    from .. import catalog  # noqa: PLC0415

    info = catalog.get(args.model)
    cache_read = args.cache_read or 0
    cache_write = args.cache_write or 0
    if cache_read + cache_write > args.input:
        raise fail("--cache-read plus --cache-write cannot exceed --input", "usage")
    usage = {
        "input_tokens": args.input,
        "output_tokens": args.output,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
    }
    cost = catalog.cost(info, usage)
    if args.json:
        print_json({"model": info.name, "usage": usage, "cost": cost.to_dict()})
        return 0
    rows = []
    for part, tokens, price in (
        ("input", args.input - cache_read - cache_write, info.input_price),
        ("cache read", cache_read, info.cache_read_price),
        ("cache write", cache_write, info.cache_write_price),
        ("output", args.output, info.output_price),
    ):
        if part.startswith("cache") and not tokens:
            continue
        amount = getattr(cost, part.replace(" ", "_"))
        rows.append(
            [part, f"{tokens:,}", _price(price), "unknown" if amount is None else f"${amount:.6f}"]
        )
    total = "unknown" if cost.total is None else f"${cost.total:.6f}"
    rows.append(["total", "", "", total])
    sys.stdout.write(style(info.name, "bold") + "\n")
    sys.stdout.write(table(rows, ["part", "tokens", "$/M", "cost"], style) + "\n")
    if cost.total is None:
        sys.stderr.write(err("a price this estimate needs is unknown", "yellow") + "\n")
    return 0
