"""``fluent-ai chat`` and ``fluent-ai stream``: one message, or an interactive session that
keeps the conversation; text, reasoning and tool calls shown as they arrive, usage and cost at
the end."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from .._backend import core
from ._setup import client_options, fail
from ._terminal import Progress, Style, print_json

__all__ = ["run_chat", "run_stream"]


def event_dict(event: Any) -> dict[str, Any]:
    """An event as one JSON line: ``{"type": "TextDelta", ...its fields}``."""
    return {"type": type(event).__name__, **event.to_dict()}


def _messages(args: Any, text: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": text})
    return messages


def _call_options(args: Any) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.tools is not None:
        options["tools"] = _tools(args.tools)
    if args.max_tokens is not None:
        options["max_tokens"] = args.max_tokens
    if args.temperature is not None:
        options["temperature"] = args.temperature
    if args.reasoning_effort is not None:
        options["reasoning_effort"] = args.reasoning_effort
    return options


_NOT_RUN = "(not run: the fluent-ai command does not execute tools)"


def _tools(path: str) -> list[dict[str, Any]]:
    """``--tools FILE``: a JSON list of OpenAI-style tool definitions."""
    try:
        tools = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise fail(f"cannot read the tools file {path!r}: {error.strerror}", "usage") from None
    except ValueError as error:
        raise fail(f"the tools file {path!r} is not JSON: {error}", "usage") from None
    if not isinstance(tools, list):
        raise fail(f"the tools file {path!r} must hold a JSON list of tools", "usage")
    return tools


def _usage_line(response: Any, style: Style) -> str:
    usage = response.usage
    parts = []
    if usage is not None:
        parts.append(f"tokens in {usage.input_tokens} / out {usage.output_tokens}")
        if usage.reasoning_tokens:
            parts.append(f"reasoning {usage.reasoning_tokens}")
    cost = response.cost
    parts.append(f"cost ${cost.total:.6f}" if cost is not None else "cost unknown")
    if response.finish_reason:
        parts.append(f"finish {response.finish_reason}")
    return style(" · ".join(parts), "dim")


def _response_dict(response: Any) -> dict[str, Any]:
    data = {"type": "response", **response.to_dict()}
    cost = response.cost
    data["cost"] = None if cost is None else cost.to_dict()
    return data


class _Printer:
    """Writes events to a terminal (or a pipe) as they arrive."""

    def __init__(self, out: TextIO, style: Style, prefix: str = "") -> None:
        self.out = out
        self.style = style
        # Written before the first event (after the progress line was cleared).
        self.prefix = prefix
        self.in_reasoning = False
        self.at_line_start = True

    def _write(self, text: str) -> None:
        if text:
            self.out.write(text)
            self.at_line_start = text.endswith("\n")
            self.out.flush()

    def _newline(self) -> None:
        if not self.at_line_start:
            self._write("\n")

    def event(self, event: Any) -> None:
        if self.prefix:
            self._write(self.prefix)
            self.prefix = ""
            self.at_line_start = True  # a label: what follows starts on its line
        if isinstance(event, core.ReasoningDelta):
            if not self.in_reasoning:
                self._newline()
                self._write(self.style("thinking: ", "magenta", "dim"))
                self.in_reasoning = True
            self._write(self.style(event.text, "dim"))
            return
        if self.in_reasoning and not isinstance(event, (core.Usage,)):
            self.in_reasoning = False
            self._newline()
        if isinstance(event, core.TextDelta):
            self._write(event.text)
        elif isinstance(event, core.ToolCallStart):
            self._newline()
            self._write(self.style(f"tool call {event.name}(", "cyan"))
        elif isinstance(event, core.ToolCallDelta):
            self._write(self.style(event.fragment, "cyan"))
        elif isinstance(event, core.ToolCallDone):
            self._write(self.style(")", "cyan") + self.style(f"  [{event.id}]", "dim") + "\n")
        elif isinstance(event, core.ToolCallInvalid):
            self._newline()
            self._write(self.style(f"tool call {event.name}: invalid ({event.error})", "red"))
            self._write("\n")
        elif isinstance(event, core.ProviderErrorEvent):
            self._newline()
            self._write(self.style(f"provider error: {event.message}", "red") + "\n")

    def finish(self) -> None:
        self._newline()


def _stream_once(
    client: Any,
    args: Any,
    messages: list[dict[str, Any]],
    style: Style,
    err_style: Style,
    *,
    prefix: str = "",
) -> Any:
    """Streams one answer to stdout; returns the response."""
    out = sys.stdout
    printer = _Printer(out, style, prefix)
    with Progress("waiting for the first token…") as progress:
        stream = client.stream(args.model, messages, **_call_options(args))
        try:
            for event in stream:
                progress.done()
                if args.json:
                    print_json(event_dict(event), out)
                else:
                    printer.event(event)
            response = stream.response
        finally:
            stream.close()
    if args.json:
        print_json(_response_dict(response), out)
    else:
        printer.finish()
        sys.stderr.write(_usage_line(response, err_style) + "\n")
    return response


def _chat_once(
    client: Any, args: Any, messages: list[dict[str, Any]], style: Style, err_style: Style
) -> Any:
    with Progress("waiting for the answer…"):
        response = client.chat(args.model, messages, **_call_options(args))
    if args.json:
        print_json(_response_dict(response))
        return response
    out = sys.stdout
    if response.reasoning:
        out.write(style("thinking: " + response.reasoning, "dim") + "\n")
    out.write(response.text)
    if response.text and not response.text.endswith("\n"):
        out.write("\n")
    for call in response.tool_calls:
        out.write(style(f"tool call {call.name}({call.raw})  [{call.id}]", "cyan") + "\n")
    out.flush()
    sys.stderr.write(_usage_line(response, err_style) + "\n")
    return response


def _one_message(args: Any) -> str | None:
    if args.message:
        return " ".join(args.message)
    if not sys.stdin.isatty():
        text = sys.stdin.read()
        if not text.strip():
            raise fail("no message: give one as an argument or on stdin", "usage")
        return text.rstrip("\r\n")
    return None


def _interactive(client: Any, args: Any, style: Style, err_style: Style) -> int:
    """A session on the terminal: each line is a user turn, the history is kept. ``/reset``
    forgets it, ``/exit`` or Ctrl-D ends it; Ctrl-C stops the answer being written."""
    with contextlib.suppress(ImportError):  # line editing and the up-arrow history
        import readline  # noqa: F401, PLC0415
    # readline counts the prompt's width: escape sequences are marked as zero-width.
    prompt = "\001\033[1;32m\002you> \001\033[0m\002" if style.enabled else "you> "
    history: list[dict[str, Any]] = []
    if args.system:
        history.append({"role": "system", "content": args.system})
    err = sys.stderr
    err.write(
        err_style(f"fluent-ai chat with {args.model} — /reset forgets, /exit or Ctrl-D ends", "dim")
        + "\n"
    )
    err.flush()
    while True:
        try:
            line = input(prompt)
        except EOFError:
            err.write("\n")
            return 0
        text = line.strip()
        if not text:
            continue
        if text in ("/exit", "/quit"):
            return 0
        if text == "/reset":
            del history[1 if args.system else 0 :]
            err.write(err_style("(history cleared)", "dim") + "\n")
            continue
        history.append({"role": "user", "content": text})
        try:
            answer = _stream_once(
                client, args, history, style, err_style, prefix=style("ai> ", "blue", "bold")
            )
        except KeyboardInterrupt:
            # The answer is dropped (not added to the history); the session goes on.
            history.pop()
            sys.stdout.write("\n")
            err.write(err_style("(interrupted)", "yellow") + "\n")
            continue
        except Exception:
            history.pop()
            raise
        history.append(answer.message)
        # The command runs no tools; each call gets a result saying so, which keeps the
        # conversation valid for providers that require one after every call.
        history.extend(
            {"role": "tool", "tool_call_id": call.id, "content": _NOT_RUN}
            for call in answer.tool_calls
        )


def _run(args: Any, style: Style, err_style: Style, streaming: bool) -> int:
    from ..client import Client  # noqa: PLC0415

    text = _one_message(args)
    with Client(**client_options(args)) as client:
        if text is None:  # a terminal and no message: a session, answers streamed live
            return _interactive(client, args, style, err_style)
        once = _stream_once if streaming else _chat_once
        once(client, args, _messages(args, text), style, err_style)
    return 0


def run_chat(args: Any, style: Style, err_style: Style) -> int:
    return _run(args, style, err_style, streaming=False)


def run_stream(args: Any, style: Style, err_style: Style) -> int:
    return _run(args, style, err_style, streaming=True)
