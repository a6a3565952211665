"""Issue 16: every provider as its own documentation says (providers/conformance.py,
providers/_regions.py): regions, key variables, models endpoints, request quirks, and the
generated conformance page (docs/provider-conformance.md).

The loopback plays answer like the provider would: a request with a field the provider
rejects, the wrong output-limit field or a ``stream_options`` it does not document gets a 400
naming the problem, so a regression fails here."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fake_providers import KEY, OPENAI_TOOLS_WHOLE, TOOLS, install, openai_checks
from loopback import LoopbackServer, Request, Response, json_response

from fluent_ai import Client, catalog
from fluent_ai import errors as e
from fluent_ai._http_errors import error_from_response
from fluent_ai.providers._options import COMPAT_UNSUPPORTED
from fluent_ai.providers._regions import REGIONS
from fluent_ai.providers.conformance import FACTS
from fluent_ai.providers.registry import PROVIDERS, resolve

ROOT = Path(__file__).resolve().parent.parent
COMPATIBLE = sorted(n for n, s in PROVIDERS.items() if s.dialect == "openai-chat")
MESSAGES = [{"role": "user", "content": "hi"}]


# --- The page ------------------------------------------------------------------------------


def _table_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "provider_table", ROOT / "scripts" / "provider_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_is_generated_from_the_registry() -> None:
    page = (ROOT / "docs" / "provider-conformance.md").read_text(encoding="utf-8")
    assert page == _table_script().render(), "run python scripts/provider_table.py"
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(PROVIDERS)
    assert len(rows) == 36


def test_every_provider_has_its_facts() -> None:
    assert set(FACTS) == set(PROVIDERS)
    for name, facts in FACTS.items():
        assert facts.docs.startswith("https://"), name
        assert facts.checked in ("docs", "integrator", "spec"), name
        dialect = PROVIDERS[name].dialect
        assert (facts.stream_options is None) is (dialect not in ("openai-chat", "azure-openai"))


# --- Regions -------------------------------------------------------------------------------

DOCUMENTED = {
    ("dashscope", "cn"): "https://dashscope.aliyuncs.com/compatible-mode/v1",
    ("dashscope", "intl"): "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    ("dashscope", "us"): "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
    ("dashscope", "hk"): "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1",
    ("dashscope", "cn-beijing"): "https://dashscope.aliyuncs.com/compatible-mode/v1",
    ("dashscope", "ap-southeast-1"): "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    ("dashscope", "us-east-1"): "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
    ("dashscope", "cn-hongkong"): "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1",
    ("moonshot", "global"): "https://api.moonshot.ai/v1",
    ("moonshot", "cn"): "https://api.moonshot.cn/v1",
    ("minimax", "global"): "https://api.minimax.io/v1",
    ("minimax", "cn"): "https://api.minimaxi.com/v1",
    ("zhipuai", "cn"): "https://open.bigmodel.cn/api/paas/v4",
    ("zhipuai", "global"): "https://api.z.ai/api/paas/v4",
    ("zai", "global"): "https://api.z.ai/api/paas/v4",
    ("zai", "cn"): "https://open.bigmodel.cn/api/paas/v4",
}
DEFAULTS = {
    "dashscope": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "moonshot": "https://api.moonshot.ai/v1",
    "minimax": "https://api.minimax.io/v1",
    "zhipuai": "https://open.bigmodel.cn/api/paas/v4",
    "zai": "https://api.z.ai/api/paas/v4",
}


@pytest.mark.parametrize(("name", "region"), sorted(DOCUMENTED))
def test_each_region_has_its_documented_base_url(name: str, region: str) -> None:
    assert (
        resolve(name, {name: {"region": region}}, environ={}).base_url == DOCUMENTED[(name, region)]
    )
    env = {REGIONS[name].env: region.upper()}
    assert resolve(name, environ=env).base_url == DOCUMENTED[(name, region)]


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_the_default_region(name: str) -> None:
    assert resolve(name, environ={}).base_url == DEFAULTS[name]
    # An explicit base URL beats the region.
    override = {name: {"region": "cn", "base_url": "http://127.0.0.1:9/v1"}}
    assert resolve(name, override, environ={}).base_url == "http://127.0.0.1:9/v1"


def test_dashscope_workspace_domains() -> None:
    got = resolve("dashscope", {"dashscope": {"workspace": "ws-12ab", "region": "eu"}}, environ={})
    assert got.base_url == "https://ws-12ab.eu-central-1.maas.aliyuncs.com/compatible-mode/v1"
    got = resolve("dashscope", environ={"FLUENT_AI_DASHSCOPE_WORKSPACE": "w1"})
    assert got.base_url == "https://w1.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1"
    # Frankfurt and Tokyo exist only as workspace domains.
    with pytest.raises(e.InvalidArgumentError):
        Client(providers={"dashscope": {"region": "eu-central-1"}})
    for bad in ("evil.com/x#", "a.b", "-x", ""):
        if bad:
            with pytest.raises(e.InvalidArgumentError):
                Client(providers={"dashscope": {"workspace": bad}})


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_an_unknown_region_fails_when_the_client_is_made(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(e.InvalidArgumentError) as caught:
        Client(providers={name: {"region": "atlantis"}})
    message = str(caught.value)
    assert repr(name) in message and "atlantis" in message
    assert all(region in message for region in REGIONS[name].urls)
    monkeypatch.setenv(REGIONS[name].env, "atlantis")
    with pytest.raises(e.InvalidArgumentError, match=name):
        Client()


def test_providers_without_regional_endpoints_refuse_the_setting() -> None:
    for name in ("openai", "qianfan", "groq"):
        with pytest.raises(e.UnknownSettingError):
            Client(providers={name: {"region": "cn"}})


def test_bedrock_and_vertex_keep_their_region_handling() -> None:
    bedrock = resolve("bedrock", {"bedrock": {"region": "eu-west-3"}}, environ={})
    assert bedrock.base_url == "https://bedrock-runtime.eu-west-3.amazonaws.com"
    assert resolve("bedrock", environ={"AWS_REGION": "ap-south-1"}).base_url.endswith(
        "ap-south-1.amazonaws.com"
    )
    hosts = {
        "global": "https://aiplatform.googleapis.com/v1",
        "eu": "https://aiplatform.eu.rep.googleapis.com/v1",
        "europe-west4": "https://europe-west4-aiplatform.googleapis.com/v1",
    }
    for location, url in hosts.items():
        got = resolve("vertex", {"vertex": {"location": location, "project": "p"}}, environ={})
        assert got.base_url == url


# --- Key variables -------------------------------------------------------------------------


def test_zhipu_key_variables_never_cross_silently() -> None:
    # Zhipu documents ZAI_API_KEY for bigmodel.cn: zhipuai reads it, after its own names.
    assert resolve("zhipuai", environ={"ZAI_API_KEY": "z"}).api_key == "z"
    both = {"ZAI_API_KEY": "z", "ZHIPUAI_API_KEY": "b"}
    assert resolve("zhipuai", environ=both).api_key == "b"
    # A bigmodel-only variable never feeds the z.ai provider.
    for variable in ("ZHIPUAI_API_KEY", "ZHIPU_API_KEY", "BIGMODEL_API_KEY"):
        assert resolve("zai", environ={variable: "b"}).api_key is None
    assert PROVIDERS["zai"].key_env[0] == "ZAI_API_KEY"


def test_each_provider_reads_its_own_documented_variable_first() -> None:
    own = {
        "dashscope": "DASHSCOPE_API_KEY",
        "moonshot": "MOONSHOT_API_KEY",
        "minimax": "MINIMAX_API_KEY",
        "github": "GITHUB_TOKEN",
        "cerebras": "CEREBRAS_API_KEY",
        "qianfan": "QIANFAN_API_KEY",
        "fireworks": "FIREWORKS_API_KEY",
    }
    for name, variable in own.items():
        assert PROVIDERS[name].key_env[0] == variable
    # No variable is read by two providers, except Zhipu's documented shared one.
    readers: dict[str, list[str]] = {}
    for name, spec in PROVIDERS.items():
        for variable in spec.key_env:
            readers.setdefault(variable, []).append(name)
    shared = {v: names for v, names in readers.items() if len(names) > 1}
    assert shared == {"ZAI_API_KEY": ["zhipuai", "zai"]}


class _Reply:
    def __init__(self, status: int, body: object) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.content = json.dumps(body).encode()


def test_a_401_from_zhipu_or_a_regional_provider_names_the_other_endpoint() -> None:
    body = {"error": {"code": "1000", "message": "Authentication failed"}}
    zai = error_from_response(_Reply(401, body), provider="zai")
    assert isinstance(zai, e.AuthenticationError)
    assert "open.bigmodel.cn" in str(zai) and "zhipuai" in str(zai)
    bigmodel = error_from_response(_Reply(401, body), provider="zhipuai")
    assert "z.ai" in str(bigmodel) and "'zai'" in str(bigmodel)
    for name in ("dashscope", "moonshot", "minimax"):
        assert "region" in str(error_from_response(_Reply(401, body), provider=name))
    assert "hint" not in str(error_from_response(_Reply(401, body), provider="openai"))


def test_a_401_through_the_client_carries_the_hint(server: LoopbackServer) -> None:
    server.reset()
    server.json(
        "POST", "/api/paas/v4/chat/completions", {"error": {"message": "bad key"}}, status=401
    )
    base = server.url + "/api/paas/v4"
    client = Client(providers={"zai": {"base_url": base, "api_key": KEY}}, retry=None)
    with client, pytest.raises(e.AuthenticationError, match=r"open\.bigmodel\.cn"):
        client.chat("zai/glm-4.6", MESSAGES)


# --- Context-window errors -----------------------------------------------------------------

CONTEXT_ERRORS = [
    ("ollama", {"error": "the input length exceeds the context length"}),
    ("lm_studio", {"error": "Error: Input length 6491 exceeds context length 1500"}),
    ("vllm", {"error": {"message": "This model's maximum context length is 8192 tokens."}}),
    ("moonshot", {"error": {"message": "Invalid request: Your request exceeded model token "
                            "limit: 8192", "type": "invalid_request_error"}}),
    ("dashscope", {"error": {"message": "Range of input length should be [1, 30720]"}}),
    ("cerebras", {"message": "Please reduce the length of the messages or completion."}),
    ("mistral", {"message": "Prompt contains 40000 tokens and 0 draft tokens, too large for "
                 "model with 32768 maximum context length"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "body"), CONTEXT_ERRORS)
def test_context_window_errors(name: str, body: object) -> None:
    error = error_from_response(_Reply(400, body), provider=name)
    assert isinstance(error, e.ContextWindowExceededError), error
    # The same words on a 401 or a 500 are not a context-window error.
    assert not isinstance(
        error_from_response(_Reply(500, body), provider=name), e.ContextWindowExceededError
    )


def test_a_plain_400_stays_a_bad_request() -> None:
    error = error_from_response(_Reply(400, {"error": "invalid model name"}), provider="ollama")
    assert type(error) is e.BadRequestError


# --- Loopback plays: the request shape each provider documents -------------------------------


@pytest.fixture(scope="module")
def server() -> Any:
    with LoopbackServer() as running:
        yield running


def _rejecting(name: str) -> Any:
    """openai_checks plus what this provider documents: its output-limit field, no field it
    rejects, ``stream_options`` only where documented."""
    facts = FACTS[name]
    base = openai_checks(stream_options=facts.stream_options is not False)
    other = (
        "max_tokens"
        if facts.max_tokens_field == "max_completion_tokens"
        else ("max_completion_tokens")
    )

    def check(request: Request) -> list[str]:
        problems = base(request)
        body = request.json()
        if other in body:
            problems.append(f"{other} sent; {name} documents {facts.max_tokens_field}")
        for _, options in COMPAT_UNSUPPORTED.get(name, ()):
            problems += [f"{o} rejected by {name}" for o in options if o in body]
        problems += [f"{o} rejected by {name}" for o in facts.rejected if o in body]
        return problems

    return check


def _base_path(name: str, region: str | None = None) -> str:
    spec = PROVIDERS[name]
    url = spec.regions.urls[region] if spec.regions and region else spec.base_url
    return urlsplit(url.replace("{account_id}", "acct")).path.rstrip("/")


PLAYS = [(n, None) for n in COMPATIBLE] + [
    (n, r) for n in sorted(REGIONS) for r in REGIONS[n].urls if r != REGIONS[n].default
]


@pytest.mark.parametrize(("name", "region"), PLAYS)
def test_request_shape_per_provider_and_region(
    server: LoopbackServer, name: str, region: str | None
) -> None:
    path = _base_path(name, region)
    server.reset()
    install(
        server,
        path + "/chat/completions",
        auth=("authorization", f"Bearer {KEY}"),
        checks=_rejecting(name),
        stream=[
            b'data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\n',
            b"data: [DONE]\n\n",
        ],
        whole=OPENAI_TOOLS_WHOLE,
    )
    setting: dict[str, Any] = {"base_url": server.url + path, "api_key": KEY}
    if region is not None:
        setting["region"] = region
    with Client(providers={name: setting}, retry=None) as client:
        client.chat(f"{name}/m", MESSAGES, max_tokens=9, temperature=0.5)
        with client.stream(f"{name}/m", MESSAGES, max_tokens=9) as stream:
            assert "".join(getattr(ev, "text", "") for ev in stream) == "ok"
    whole, streamed = (request.json() for request in server.requests)
    assert server.requests[0].path == path + "/chat/completions"
    assert whole[FACTS[name].max_tokens_field] == 9
    assert ("stream_options" in streamed) is (FACTS[name].stream_options is not False)


@pytest.mark.parametrize(
    ("name", "option"),
    [
        ("cerebras", "frequency_penalty"),
        ("cerebras", "presence_penalty"),
        ("cerebras", "parallel_tool_calls"),
        ("mistral", "user"),
    ],
)
def test_documented_refusals_send_nothing(server: LoopbackServer, name: str, option: str) -> None:
    server.reset()
    value: Any = False if option == "parallel_tool_calls" else ("u" if option == "user" else 0.5)
    client = Client(providers={name: {"base_url": server.url, "api_key": KEY}})
    with client, pytest.raises(e.UnsupportedParameterError) as caught:
        client.chat(f"{name}/m", MESSAGES, tools=TOOLS, **{option: value})
    assert caught.value.parameter == option and caught.value.provider == name
    assert server.requests == []


def test_mistral_renames_seed_and_embedding_dimensions(server: LoopbackServer) -> None:
    server.reset()
    seen: list[dict[str, Any]] = []

    def embeddings(request: Request) -> Response:
        body = request.json()
        seen.append(body)
        if "dimensions" in body:
            return json_response({"message": "Extra inputs are not permitted: dimensions"}, 422)
        vector = [0.5] * int(body.get("output_dimension", 4))
        return json_response({"data": [{"index": 0, "embedding": vector}], "model": "m"})

    server.route("POST", "/v1/embeddings", embeddings)
    override = {"mistral": {"base_url": server.url + "/v1", "api_key": KEY}}
    with Client(providers=override) as client:
        answer = client.embed("mistral/codestral-embed", ["x"], dimensions=3)
    assert seen == [
        {"model": "codestral-embed", "input": ["x"], "encoding_format": "float",
         "output_dimension": 3}
    ]  # fmt: skip
    assert len(answer.embeddings[0]) == 3


def test_minimax_reasoning_split_is_sent_when_asked(server: LoopbackServer) -> None:
    server.reset()
    server.json("POST", "/v1/chat/completions", OPENAI_TOOLS_WHOLE)
    base = {"base_url": server.url + "/v1", "api_key": KEY}
    with Client(providers={"minimax": {**base, "reasoning_split": True}}) as client:
        client.chat("minimax/MiniMax-M2", MESSAGES, max_tokens=5)
    with Client(providers={"minimax": base}) as client:
        client.chat("minimax/MiniMax-M2", MESSAGES)
    first, second = (request.json() for request in server.requests)
    assert first["reasoning_split"] is True and first["max_completion_tokens"] == 5
    assert "reasoning_split" not in second
    with pytest.raises(e.ArgumentTypeError):
        Client(providers={"minimax": {"reasoning_split": "yes"}})


def test_minimax_think_tags_are_replayed_whole(server: LoopbackServer) -> None:
    """Without reasoning_split MiniMax puts ``<think>`` in ``content``; its docs require the
    whole assistant turn back after tool calls: ``response.message`` keeps it verbatim."""
    server.reset()
    content = "<think>\nThe user wants weather; call the tool.\n</think>\n\n"
    whole = json.loads(json.dumps(OPENAI_TOOLS_WHOLE))
    whole["choices"][0]["message"]["content"] = content
    server.json("POST", "/v1/chat/completions", whole)
    with Client(providers={"minimax": {"base_url": server.url + "/v1", "api_key": KEY}}) as c:
        answer = c.chat("minimax/MiniMax-M2", MESSAGES)
    assert answer.message["content"] == content
    assert [call["id"] for call in answer.message["tool_calls"]] == [
        "call_JMW1whyEaYG438VE1OIflxA2",
        "call_DNYTawLBoN8fj3KN6qU9N1Ou",
    ]


# --- Models endpoints ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A cache directory per test, and the catalog without live lists afterwards."""
    monkeypatch.setenv("FLUENT_AI_CACHE_DIR", str(tmp_path / "cache"))
    yield
    catalog.reload()


GITHUB_CATALOG = [
    {
        "id": "openai/gpt-4.1",
        "name": "OpenAI GPT-4.1",
        "publisher": "OpenAI",
        "registry": "azure-openai",
        "capabilities": ["streaming", "tool-calling"],
        "limits": {"max_input_tokens": 1048576, "max_output_tokens": 32768},
        "rate_limit_tier": "high",
        "supported_input_modalities": ["text", "image", "audio"],
        "supported_output_modalities": ["text"],
        "tags": ["multipurpose", "multilingual", "multimodal"],
    }
]  # docs.github.com/en/rest/models/catalog, the documented example response


def test_github_models_catalog(server: LoopbackServer) -> None:
    server.reset()
    server.json("GET", "/catalog/models", GITHUB_CATALOG)
    override = {"github": {"base_url": server.url + "/inference", "api_key": KEY}}
    result = catalog.refresh("github", providers=override, force=True)
    assert result["github"].status == "fetched", result["github"]
    assert result["github"].source == f"GET {server.url}/catalog/models"
    assert [r.path for r in server.requests] == ["/catalog/models"]
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def _cloudflare_page(request: Request) -> Response:
    page = int(request.param("page") or "1")
    names = {1: ["@cf/meta/llama-3.1-8b-instruct", "@cf/baai/bge-m3"], 2: ["@cf/qwen/qwq-32b"]}
    tasks = {"@cf/baai/bge-m3": "Text Embeddings"}
    result = [
        {
            "id": f"uuid-{name}",
            "name": name,
            "task": {"name": tasks.get(name, "Text Generation")},
            "properties": [{"property_id": "context_window", "value": "32000"}],
        }
        for name in names.get(page, [])
    ]
    info = {"page": page, "per_page": 2, "count": len(result), "total_count": 3}
    return json_response({"success": True, "result": result, "result_info": info})


def test_cloudflare_model_search_pages(server: LoopbackServer) -> None:
    server.reset()
    server.route("GET", "/client/v4/accounts/acct/ai/models/search", _cloudflare_page)
    base = server.url + "/client/v4/accounts/acct/ai/v1"
    result = catalog.refresh(
        "cloudflare", providers={"cloudflare": {"base_url": base, "api_key": KEY}}, force=True
    )
    assert result["cloudflare"].status == "fetched", result["cloudflare"]
    assert result["cloudflare"].models == 3
    assert [r.param("page") for r in server.requests] == ["1", "2"]
    model = catalog.get("cloudflare/@cf/qwen/qwq-32b")
    assert model.context_window == 32000


@pytest.mark.parametrize("name", ["perplexity", "ai21", "hunyuan", "fireworks"])
def test_refresh_of_a_provider_without_models_endpoint_sends_nothing(
    server: LoopbackServer, name: str
) -> None:
    server.reset()
    override = {name: {"base_url": server.url + "/v1", "api_key": KEY}}
    result = catalog.refresh(name, providers=override, force=True)
    assert result[name].status == "skipped"
    assert "no models endpoint" in (result[name].error or "")
    assert server.requests == []
    with Client(providers=override) as client, pytest.raises(e.ConfigurationError):
        client.list_models(name)
    assert server.requests == []


def test_novita_models_path() -> None:
    assert resolve("novita", environ={}).models_url() == "https://api.novita.ai/openai/v1/models"


def test_documented_values_independent_of_the_table(server: LoopbackServer) -> None:
    """The facts the issue names, written out here rather than read from FACTS, so a wrong
    entry in the table fails too."""
    takes_stream_options = {"openai", "dashscope", "novita", "xai", "deepseek", "groq"}
    rejects_or_skips = {"mistral", "cerebras", "zai", "zhipuai", "moonshot", "minimax"}
    completion_field = {"openai", "dashscope", "minimax"}
    for name in takes_stream_options | rejects_or_skips:
        path = _base_path(name)
        server.reset()
        server.json("POST", path + "/chat/completions", OPENAI_TOOLS_WHOLE)
        with Client(providers={name: {"base_url": server.url + path, "api_key": KEY}}) as c:
            c.chat(f"{name}/m", MESSAGES, max_tokens=3)
        body = server.requests[0].json()
        field = "max_completion_tokens" if name in completion_field else "max_tokens"
        assert body.get(field) == 3, name
    for name in takes_stream_options:
        assert FACTS[name].stream_options is True, name
    for name in rejects_or_skips:
        assert FACTS[name].stream_options is False, name
    assert FACTS["mistral"].embed_dimensions_field == "output_dimension"
    assert PROVIDERS["perplexity"].models_path is None
    assert resolve("github", environ={}).models_url() == "https://models.github.ai/catalog/models"
    assert resolve("cloudflare", {"cloudflare": {"account_id": "a1"}}, environ={}).models_url() == (
        "https://api.cloudflare.com/client/v4/accounts/a1/ai/models/search"
    )


# Moonshot's documented stream (MoonshotAI/MoonshotAI-Cookbook, api-reference.md): no
# `stream_options`, and the usage inside the finishing choice.
MOONSHOT_STREAM = [
    b'data: {"id":"cmpl-1305b94c570f447fbde3180560736287","object":"chat.completion.chunk",'
    b'"created":1698999575,"model":"moonshot-v1-8k","choices":[{"index":0,"delta":'
    b'{"role":"assistant","content":""},"finish_reason":null}]}\n\n',
    b'data: {"id":"cmpl-1305b94c570f447fbde3180560736287","object":"chat.completion.chunk",'
    b'"created":1698999575,"model":"moonshot-v1-8k","choices":[{"index":0,"delta":'
    b'{"content":"\xe4\xbd\xa0\xe5\xa5\xbd"},"finish_reason":null}]}\n\n',
    b'data: {"id":"cmpl-1305b94c570f447fbde3180560736287","object":"chat.completion.chunk",'
    b'"created":1698999575,"model":"moonshot-v1-8k","choices":[{"index":0,"delta":{},'
    b'"finish_reason":"stop","usage":{"prompt_tokens":19,"completion_tokens":13,'
    b'"total_tokens":32}}]}\n\n',
    b"data: [DONE]\n\n",
]


def test_moonshot_stream_usage_arrives_in_the_choice(server: LoopbackServer) -> None:
    server.reset()
    install(
        server,
        "/v1/chat/completions",
        auth=("authorization", f"Bearer {KEY}"),
        checks=openai_checks(stream_options=False),
        stream=MOONSHOT_STREAM,
        whole=OPENAI_TOOLS_WHOLE,
    )
    override = {"moonshot": {"base_url": server.url + "/v1", "api_key": KEY, "region": "cn"}}
    with Client(providers=override) as client:
        with client.stream("moonshot/moonshot-v1-8k", MESSAGES) as stream:
            text = "".join(getattr(event, "text", "") for event in stream)
        usage = stream.response.usage
    assert text == "你好"
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (19, 13, 32)


def test_minimax_reasoning_details_become_the_reasoning(server: LoopbackServer) -> None:
    """With reasoning_split, MiniMax answers with ``message.reasoning_details``
    (platform.minimax.io, OpenAI API page)."""
    server.reset()
    whole = {
        "id": "0",
        "object": "chat.completion",
        "model": "MiniMax-M2",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {
                    "role": "assistant",
                    "content": "Sunny.",
                    "reasoning_details": [
                        {"type": "reasoning.text", "id": "r0", "format": "MiniMax-response-v1",
                         "index": 0, "text": "Check the forecast."}
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }  # fmt: skip
    server.json("POST", "/v1/chat/completions", whole)
    base = {"base_url": server.url + "/v1", "api_key": KEY, "reasoning_split": True}
    with Client(providers={"minimax": base}) as client:
        answer = client.chat("minimax/MiniMax-M2", MESSAGES)
    assert answer.text == "Sunny." and answer.reasoning == "Check the forecast."


def test_a_plain_refresh_calls_only_documented_models_urls(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every provider configured through the environment (GITHUB_TOKEN included): the plain
    refresh asks each documented models URL once and nothing else."""
    server.reset()
    empty = {"data": [], "models": [], "result": [], "modelSummaries": []}
    expected: dict[str, str] = {}
    for name, spec in PROVIDERS.items():
        base = server.url + "/" + name + _base_path(name)
        monkeypatch.setenv(f"FLUENT_AI_{name.upper()}_BASE_URL", base)
        for variable in spec.key_env:
            monkeypatch.delenv(variable, raising=False)
        if spec.key_env:
            monkeypatch.setenv(spec.key_env[0], KEY)
        url = resolve(name).models_url()
        if url is not None and spec.dialect not in ("bedrock", "vertex", "azure-openai"):
            expected[name] = urlsplit(url).path
            server.json("GET", expected[name], empty)
    result = catalog.refresh(force=True)
    assert result.ok, result.failed
    asked = sorted(request.path for request in server.requests)
    assert asked == sorted(expected.values())
    assert "/catalog/models" in asked  # GitHub: at the origin, not under /inference
    assert "/cloudflare/client/v4/accounts/acct/ai/models/search" in asked
    assert not any(
        path.startswith(("/perplexity", "/ai21/", "/hunyuan", "/fireworks")) for path in asked
    )


def test_reasoning_split_is_minimax_only() -> None:
    with pytest.raises(e.UnknownSettingError):
        Client(providers={"openai": {"reasoning_split": True}})
    Client(providers={"minimax": {"reasoning_split": False}}).close()
    custom = {"my-minimax": {"dialect": "openai-chat", "base_url": "http://127.0.0.1:9/v1",
                             "reasoning_split": True}}  # fmt: skip
    Client(providers=custom).close()
