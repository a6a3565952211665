"""Every ```python block of README.md and docs/ runs, against provider endpoints on 127.0.0.1.

One test per example: a block, alone in a fresh namespace, with the blocks marked to continue
it (see tests/docs_examples.py for the convention, docs/writing-docs.md for writers). The
environment points every client at a ``DemoServer`` started for the example (base URLs and
keys: ``DemoServer.environ()``), plus test AWS credentials and a Google service-account key;
the working directory and the catalog cache are the test's own temporary
directories. An example passes when it runs without an exception (its own ``assert``s
included), prints something, and every request it sent was accepted (status < 400) and passes
the test suite's independent provider checks (tests/fake_providers.py). A block marked
``<!-- docs-test: skip: reason -->`` is its own test item, skipped with that reason.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docs_examples import ROOT, Block, MarkerError, blocks_of, examples, pages
from fake_providers import anthropic_checks, openai_checks
from loopback import Request

from fluent_ai import Client, catalog
from fluent_ai._demo_server import DemoServer, Recorded
from fluent_ai.errors import BadRequestError

# Test AWS credentials (the SigV4 example signs with them; nothing is sent to AWS).
AWS_ENVIRON = {
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_REGION": "us-east-1",
}


def _collect() -> tuple[list[Any], list[Any]]:
    runnable, skipped = [], []
    for path in pages():
        blocks = blocks_of(path)
        runnable += [pytest.param(chain, id=chain[0].where) for chain in examples(path)]
        skipped += [
            pytest.param(block, id=f"{block.where} skip: {block.skip}")
            for block in blocks
            if block.skip is not None
        ]
    return runnable, skipped


RUNNABLE, SKIPPED = _collect()


# The "work" profile of the shared credentials file the Bedrock example names.
AWS_CREDENTIALS = """[default]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY

[work]
aws_access_key_id = AKIDWORKEXAMPLE
aws_secret_access_key = work/K7MDENG+bPxRfiCYEXAMPLEKEY
"""


@pytest.fixture(scope="session")
def service_account_key() -> dict[str, str]:
    """A Google service-account key (its RSA key made here; the token URI is set per test)."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": "demo-key-1",
        "private_key": pem,
        "client_email": "docs@demo-project.iam.gserviceaccount.com",
        "client_id": "1",
    }


@pytest.fixture
def demo_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service_account_key: dict[str, str]
) -> Iterator[DemoServer]:
    """The documented environment: the demo server's variables, test AWS credentials (and a
    "work" profile), a service-account key at ``key.json`` (also
    ``GOOGLE_APPLICATION_CREDENTIALS``) whose token URI is the server's, a private cache, and
    a temporary working directory."""
    with DemoServer() as server:
        key = {**service_account_key, "token_uri": server.token_uri}
        (tmp_path / "key.json").write_text(json.dumps(key))
        (tmp_path / "aws-credentials").write_text(AWS_CREDENTIALS)
        (tmp_path / "aws-config").write_text("")
        for name in [n for n in os.environ if n.startswith(("AWS_", "GOOGLE_"))]:
            monkeypatch.delenv(name)
        environ = {
            **server.environ(),
            **AWS_ENVIRON,
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
            "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
            "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "key.json"),
            "FLUENT_AI_CACHE_DIR": str(tmp_path / "cache"),
        }
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        yield server
    catalog.reload()  # the catalog example refreshed the in-process catalog from the server


def run_blocks(blocks: list[Block]) -> str:
    """Runs the blocks in one namespace; returns what they printed. A failure names the page
    and line (each block is compiled with its own line numbers) and shows the output so far."""
    # A module of its own, as a script is: classes defined by the example (dataclasses,
    # TypedDicts) find their module in sys.modules.
    module = types.ModuleType("__docs_example__")
    namespace: dict[str, Any] = module.__dict__
    output = io.StringIO()
    for block in blocks:
        # Padding with newlines makes the traceback's line numbers those of the Markdown file;
        # dont_inherit: the example gets none of this file's __future__ imports.
        code = compile("\n" * (block.line - 1) + block.code, block.page, "exec", dont_inherit=True)
        try:
            sys.modules[module.__name__] = module
            with contextlib.redirect_stdout(output):
                exec(code, namespace)
        except BaseException as error:
            printed = output.getvalue()[-2000:]
            raise AssertionError(
                f"the example at {block.where} failed: {type(error).__name__}: {error}\n"
                f"--- it printed so far ---\n{printed}"
            ) from error
        finally:
            sys.modules.pop(module.__name__, None)
    return output.getvalue()


def run_example(blocks: list[Block]) -> str:
    """Runs an example (:func:`run_blocks`), then collects its garbage: a socket or file it
    left open is reported (ResourceWarning, an error in the suite) by its own test item, not
    by whichever later example the garbage collector happens to run in."""
    printed = run_blocks(blocks)
    gc.collect()
    return printed


def _newer_syntax(block: Block) -> bool:
    try:
        compile(block.code, block.where, "exec")
    except SyntaxError:
        return True
    return False


def _independent_checks(recorded: Recorded) -> list[str]:
    """What tests/fake_providers.py finds wrong in a chat request the server accepted."""
    if recorded.method != "POST" or not recorded.path.endswith(("/chat/completions", "/messages")):
        return []
    request = Request(
        method=recorded.method,
        path=recorded.path,
        query={},
        headers=recorded.headers,
        body=json.dumps(recorded.body).encode(),
    )
    if recorded.path.endswith("/messages"):
        return anthropic_checks()(request)
    return openai_checks(stream_options=True)(request)


@pytest.mark.parametrize("blocks", RUNNABLE)
def test_example_runs(blocks: list[Block], demo_environment: DemoServer) -> None:
    where = blocks[0].where
    if sys.version_info < (3, 10) and any(_newer_syntax(block) for block in blocks):
        pytest.skip(f"{where}: the example uses Python 3.10 syntax (match)")
    printed = run_example(blocks)
    assert printed.strip(), f"the example at {where} printed nothing: show a real result"
    for recorded in demo_environment.requests:
        assert recorded.status < 400, (
            f"{where}: {recorded.method} {recorded.path} was refused ({recorded.status})"
        )
        assert _independent_checks(recorded) == [], (recorded.path, recorded.body)


if SKIPPED:  # (no item at all while no block is marked, rather than an empty parameter set)

    @pytest.mark.parametrize("block", SKIPPED)
    def test_marked_examples_are_skipped(block: Block) -> None:
        compile(block.code, block.where, "exec")  # still valid Python, though it cannot run
        pytest.skip(f"{block.where}: {block.skip}")


# --- The harness can fail -----------------------------------------------------------------------


def test_every_page_is_collected_and_the_readme_has_its_examples() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in pages()}
    assert {"README.md", "docs/index.md", "docs/clients.md", "docs/tool-calls.md"} <= names
    readme = blocks_of(ROOT / "README.md")
    assert len(readme) >= 4 and all(block.skip is None for block in readme)
    assert any("ToolCallDone" in block.code for block in readme)
    assert any("AsyncClient" in block.code for block in readme)


def test_markers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("docs_examples.ROOT", tmp_path)
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n```python\nx = 1\n```\n\n<!-- docs-test: skip: needs a GPU -->\n"
        "```python\nimport gpu\n```\n\n```bash\nls\n```\n\n```python\nprint(x)\n```\n"
    )
    found = blocks_of(page)
    assert [(b.line, b.code, b.skip) for b in found] == [
        (4, "x = 1", None),
        (9, "import gpu", "needs a GPU"),
        (17, "print(x)", None),
    ]
    assert [[b.line for b in chain] for chain in examples(page)] == [[4], [17]]
    page.write_text(
        "```python\nx = 1\n```\n<!-- docs-test: continue -->\n```python\nprint(x)\n```\n"
        "```python\ny = 2\n```\n"
    )
    assert [[b.code for b in chain] for chain in examples(page)] == [
        ["x = 1", "print(x)"],
        ["y = 2"],
    ]
    page.write_text("<!-- docs-test: skipp: typo -->\n```python\nx = 1\n```\n")
    with pytest.raises(MarkerError, match=r"page\.md:1: unknown marker"):
        blocks_of(page)
    page.write_text("<!-- docs-test: continue -->\n```python\nx = 1\n```\n")
    with pytest.raises(MarkerError, match="needs a runnable python block before it"):
        blocks_of(page)


def test_a_failing_example_names_its_page_and_line() -> None:
    blocks = [Block("docs/x.md", 10, "print('so far')"), Block("docs/x.md", 20, "\n1 / 0")]
    with pytest.raises(AssertionError, match=r"docs/x.md:20 failed: ZeroDivisionError") as info:
        run_blocks(blocks)
    assert "so far" in str(info.value)
    assert info.value.__cause__.__traceback__.tb_next.tb_lineno == 21  # type: ignore[union-attr]


def test_a_socket_an_example_leaves_open_is_reported_by_that_example() -> None:
    """An example that never closes what it opened (a router or client without ``with``, cut
    short by an error) leaves sockets in reference cycles; its own item reports them."""
    code = (
        "import socket\nclass Pool: pass\npool = Pool()\npool.sock = socket.socket()\n"
        "pool.me = pool  # a cycle: only the garbage collector frees it\nprint('opened')"
    )
    gc.collect()
    with pytest.warns(ResourceWarning, match="unclosed <socket"):
        assert run_example([Block("docs/x.md", 1, code)]) == "opened\n"


@pytest.mark.parametrize("model", ["anthropic/claude-sonnet-4-5", "openai/gpt-4.1"])
def test_answering_only_the_first_parallel_call_is_refused(
    model: str, demo_environment: DemoServer
) -> None:
    """The loop the README used to show (a result for ``tool_calls[0]`` only) fails against
    the servers the examples run on, as it does against Anthropic and OpenAI."""
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Paris and Tokyo?"}]
    with Client() as client:
        reply = client.chat(model, messages, tools=tools)
        assert [call.arguments for call in reply.tool_calls] == [
            {"city": "Paris"},
            {"city": "Tokyo"},
        ]
        first = {"role": "tool", "tool_call_id": reply.tool_calls[0].id, "content": "21C"}
        with pytest.raises(BadRequestError, match=reply.tool_calls[1].id):
            client.chat(model, [*messages, reply.message, first], tools=tools)
        second = {"role": "tool", "tool_call_id": reply.tool_calls[1].id, "content": "18C"}
        answer = client.chat(model, [*messages, reply.message, first, second], tools=tools)
    assert answer.text == "Here is what the tools said: 21C; 18C."
    assert os.environ["OPENAI_API_KEY"] and demo_environment.requests[-1].status == 200


def test_the_readme_links_exist() -> None:
    """The README (also the PyPI page) links the docs with absolute URLs: each names a file or
    folder of this repository (the Tool calling guide among them)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(
        r"https://github\.com/fluent-ai/fluent-ai/(?:blob|tree)/main/([^)\s#]+)", text
    )
    assert len(targets) >= 15
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"
    assert "docs/tool-calls.md" in targets
