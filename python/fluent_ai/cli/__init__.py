"""The ``fluent-ai`` command (also ``python -m fluent_ai``): chat, stream, models, cost,
decode, record and replay from a terminal or a script. Standard library only (argparse).

Keys come from the environment (the provider registry's variables) or a config file
(``--config`` / ``$FLUENT_AI_CONFIG``), never from the command line, and are never printed.
``docs/cli.md`` documents every command, the ``--json`` output and the exit codes.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from ._setup import EXIT, EXIT_TEXT, CommandError, report
from ._terminal import Style, print_json, table, wants_colour

__all__ = ["build_parser", "main"]

_DIALECTS = (
    "openai-chat",
    "openai-responses",
    "anthropic",
    "gemini",
    "bedrock",
    "cohere",
    "ollama",
)
_SORTS = ("name", "input_price", "output_price", "context_window", "max_output_tokens")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout, for scripts")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colours: auto (only on a terminal, and not when NO_COLOR is set), always, never",
    )


def _talk(parser: argparse.ArgumentParser, *, message_required: bool) -> None:
    parser.add_argument("model", help='"provider/model", e.g. openai/gpt-4.1-mini')
    parser.add_argument(
        "message",
        nargs="*" if not message_required else "+",
        default=None,
        help="the user message (words are joined); none: read stdin, or on a terminal start "
        "an interactive session",
    )
    parser.add_argument("--system", help="a system message before the conversation")
    parser.add_argument(
        "--tools",
        metavar="FILE",
        help="a JSON list of OpenAI-style tool definitions the model may call (calls are "
        "shown, not run)",
    )
    parser.add_argument("--max-tokens", type=_positive_int, help="most output tokens")
    parser.add_argument("--temperature", type=float, help="sampling temperature (0-2)")
    parser.add_argument(
        "--reasoning-effort",
        choices=("minimal", "low", "medium", "high"),
        help="reasoning budget, translated per provider",
    )
    parser.add_argument("--timeout", type=_seconds, help="total seconds per call (default 600)")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help='JSON {"providers": {...}} of provider settings and keys (default: '
        "$FLUENT_AI_CONFIG); keys are otherwise read from the environment",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="send to this base URL (a provider name the registry does not know is taken as "
        "an OpenAI-compatible server there)",
    )
    parser.add_argument("--record", metavar="DIR", help="record every exchange into cassette DIR")
    parser.add_argument("--replay", metavar="DIR", help="answer from cassette DIR, no network")
    _common(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fluent-ai",
        description="Talk to LLM providers, search the model catalog, estimate costs, decode "
        "captured streams, record and replay provider traffic.",
        epilog=EXIT_TEXT
        + "\nkeys: from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) or --config; "
        "never on the command line.\nNO_COLOR=1 turns colours off.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__  # noqa: PLC0415

    parser.add_argument("--version", action="version", version=f"fluent-ai {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    chat = commands.add_parser(
        "chat",
        help="one message and its whole answer, or an interactive session",
        description="Send one message and print the answer (usage and cost on stderr). Without "
        "a message on a terminal: an interactive session that keeps the history (answers "
        "stream live; /reset forgets, /exit or Ctrl-D ends, Ctrl-C stops an answer).",
    )
    _talk(chat, message_required=False)

    stream = commands.add_parser(
        "stream",
        help="stream an answer live: text, reasoning, tool calls; usage and cost at the end",
        description="Stream the answer: text as it arrives, reasoning dimmed, tool calls with "
        "their arguments as they are generated; usage and cost on stderr at the end. --json: "
        "one event per line, then the whole response.",
    )
    _talk(stream, message_required=False)

    models = commands.add_parser(
        "models",
        help="search the model catalog (a table of limits, prices, capabilities)",
        description="Search the packaged model catalog (LiteLLM snapshot, plus live lists "
        "after --refresh). Words filter the names; the flags filter capabilities.",
    )
    models.add_argument("query", nargs="*", help="words the model name must contain")
    models.add_argument("--provider", action="append", help="only this provider (repeatable)")
    models.add_argument("--mode", action="append", help="chat, embedding, rerank, ... (repeatable)")
    for flag, text in (
        ("tools", "function calling"),
        ("vision", "image input"),
        ("reasoning", "reasoning models"),
        ("structured-output", "JSON schema output"),
    ):
        models.add_argument(f"--{flag}", action="store_true", help=f"only models with {text}")
    models.add_argument("--min-context", type=_positive_int, metavar="TOKENS")
    models.add_argument("--min-output", type=_positive_int, metavar="TOKENS")
    models.add_argument("--max-input-price", type=float, metavar="USD", help="per million")
    models.add_argument("--max-output-price", type=float, metavar="USD", help="per million")
    models.add_argument("--sort", choices=_SORTS, default="name")
    models.add_argument(
        "--limit", type=_positive_int, default=50, help="rows shown (0: all; default 50)"
    )
    models.add_argument(
        "--refresh",
        nargs="?",
        const="*",
        metavar="PROVIDER",
        help="fetch the live model lists first (all configured providers, or one)",
    )
    models.add_argument("--config", metavar="FILE", help="provider settings (see chat --help)")
    _common(models)

    cost = commands.add_parser(
        "cost",
        help="estimate the cost of a call from token counts",
        description="The cost of a call to MODEL from the catalog's prices (USD).",
    )
    cost.add_argument("model", help='"provider/model" (aliases resolve)')
    cost.add_argument(
        "--input",
        type=_positive_int,
        required=True,
        metavar="TOKENS",
        help="prompt tokens, cached ones included",
    )
    cost.add_argument("--output", type=_positive_int, default=0, metavar="TOKENS")
    cost.add_argument("--cache-read", type=_positive_int, default=0, metavar="TOKENS")
    cost.add_argument("--cache-write", type=_positive_int, default=0, metavar="TOKENS")
    _common(cost)

    decode = commands.add_parser(
        "decode",
        help="turn a captured response body into normalized events",
        description="Decode a captured streamed response body (or a cassette exchange file) "
        "with the stream decoder of DIALECT and print the events.",
    )
    decode.add_argument("file", help="the captured body ('-': stdin), or a cassette NNNN.json")
    decode.add_argument("--dialect", "-d", required=True, choices=_DIALECTS)
    decode.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=0,
        metavar="BYTES",
        help="feed the body in pieces of this size (0: whole; a cassette keeps its reads)",
    )
    _common(decode)

    record = commands.add_parser(
        "record",
        help="run chat/stream while recording into a cassette",
        description="fluent-ai record DIR stream MODEL MESSAGE: the command after DIR runs "
        "with --record DIR (credentials are never written).",
    )
    record.add_argument("cassette", metavar="DIR")
    record.add_argument("rest", nargs=argparse.REMAINDER, metavar="chat|stream ...")

    replay = commands.add_parser(
        "replay",
        help="run chat/stream from a cassette, or list what it holds",
        description="fluent-ai replay DIR [chat|stream MODEL MESSAGE]: without a command, "
        "list the exchanges of the cassette.",
    )
    replay.add_argument("cassette", metavar="DIR")
    replay.add_argument("rest", nargs=argparse.REMAINDER, metavar="chat|stream ...")
    _common(replay)
    return parser


def _list_cassette(args: Any, style: Style) -> int:
    from ..recording import Cassette  # noqa: PLC0415
    from ._setup import fail  # noqa: PLC0415

    if not os.path.isdir(args.cassette):
        raise fail(f"no cassette at {args.cassette!r}", "cassette")
    exchanges = Cassette(args.cassette).exchanges()
    if args.json:
        for item in exchanges:
            print_json(
                {
                    "file": item.path.name,
                    "match": item.match,
                    "status": item.status,
                    "chunks": len(item.chunks),
                    "bytes": sum(len(chunk) for _, chunk in item.chunks),
                    "complete": item.complete,
                    "error": item.error,
                }
            )
        return 0
    rows = [
        [
            item.path.name,
            item.match.rsplit(" ", 1)[0],
            "-" if item.status is None else str(item.status),
            str(len(item.chunks)),
            str(sum(len(chunk) for _, chunk in item.chunks)),
            "yes" if item.complete else ("error" if item.error else "cut"),
        ]
        for item in exchanges
    ]
    header = ["file", "request", "status", "reads", "bytes", "complete"]
    sys.stdout.write(table(rows, header, style) + "\n")
    return 0


def _dispatch(args: Any, parser: argparse.ArgumentParser, style: Style, err: Style) -> int:
    if args.command in ("record", "replay"):
        if not args.rest or (args.command == "replay" and args.rest[0].startswith("-")):
            if args.command == "replay":
                listing = argparse.ArgumentParser(prog="fluent-ai replay DIR")
                _common(listing)
                options = listing.parse_args(args.rest)
                args.json = args.json or options.json
                style = Style(wants_colour(sys.stdout, options.color) and not args.json)
                return _list_cassette(args, style)
            parser.error("record needs a command to run: fluent-ai record DIR stream MODEL ...")
        if args.rest[0] not in ("chat", "stream"):
            parser.error(f"{args.command} runs chat or stream, not {args.rest[0]!r}")
        inner = parser.parse_args(args.rest)
        setattr(inner, args.command, args.cassette)
        style = Style(wants_colour(sys.stdout, inner.color) and not inner.json)
        err = Style(wants_colour(sys.stderr, inner.color))
        return _dispatch(inner, parser, style, err)
    if args.command == "chat":
        from ._chat import run_chat  # noqa: PLC0415

        return run_chat(args, style, err)
    if args.command == "stream":
        from ._chat import run_stream  # noqa: PLC0415

        return run_stream(args, style, err)
    if args.command == "models":
        from ._catalog import run_models  # noqa: PLC0415

        return run_models(args, style, err)
    if args.command == "cost":
        from ._catalog import run_cost  # noqa: PLC0415

        return run_cost(args, style, err)
    from ._decode import run_decode  # noqa: PLC0415

    return run_decode(args, style, err)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command; returns its exit code (see ``EXIT``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # The command reports failures itself, once: the library's warnings (a catalog refresh
    # that fell back to the snapshot) are not printed a second time by logging's last resort.
    logging.getLogger("fluent_ai").addHandler(logging.NullHandler())
    colour = getattr(args, "color", "auto")
    style = Style(wants_colour(sys.stdout, colour) and not getattr(args, "json", False))
    err = Style(wants_colour(sys.stderr, colour))
    try:
        return _dispatch(args, parser, style, err)
    except KeyboardInterrupt:
        sys.stdout.flush()
        sys.stderr.write("\n" + err("interrupted", "yellow") + "\n")
        return EXIT["interrupted"]
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as the standard tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT["ok"]
    except CommandError as error:
        return report(error, err, as_json=_json_wanted(args))
    except Exception as error:
        from ..errors import FluentAIError  # noqa: PLC0415

        if not isinstance(error, (FluentAIError, KeyError, OSError)):
            raise
        return report(error, err, as_json=_json_wanted(args))


def _json_wanted(args: Any) -> bool:
    if getattr(args, "json", False):
        return True
    rest = getattr(args, "rest", None) or []
    return "--json" in rest
