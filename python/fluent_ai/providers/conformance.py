"""What each provider's own documentation says, as data beside the registry (issue 16).

The registry (:mod:`.registry`) holds where a provider lives and how it authenticates; this
module holds the rest of what its documentation says and the adapters act on: whether a
stream takes ``stream_options`` and where its usage arrives, the output-limit and embedding
dimension field names, the request parameters it rejects, its reasoning quirks, and the page
each row was checked against (and when). ``scripts/provider_table.py`` renders the registry
and this table into docs/providers.md; a test fails when the page and the data differ.

``checked`` says how a row was checked: ``docs`` (the provider's documentation page named in
``docs``, read through the search corpus on the date given), ``integrator`` (facts checked by
the integrator and handed over), ``spec`` (../shared/spec/providers.md only, the provider's
page not re-read in this pass).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._options import COMPAT_RENAMED, COMPAT_UNSUPPORTED

__all__ = ["CHECKED_ON", "FACTS", "ProviderFacts", "rejected_parameters"]

#: The day the rows were checked.
CHECKED_ON = "2026-12-05"


@dataclass(frozen=True)
class ProviderFacts:
    """One provider's documented behaviour beyond the registry entry.

    ``stream_options``: whether a stream is sent ``stream_options: {"include_usage": true}``
    (``None``: not an OpenAI-compatible dialect; the field does not exist there).
    ``stream_usage``: where a stream's token usage arrives. ``max_tokens_field``: the body
    field of the output limit (OpenAI-compatible dialects). ``embed_dimensions_field``: the
    field ``embed(..., dimensions=N)`` becomes (``None``: no embeddings endpoint here).
    ``rejected``: parameters the provider answers with 400/422, beyond those refused by
    ``_options.COMPAT_UNSUPPORTED`` (listed for the table; the adapters refuse the ones
    fluent-ai names). ``reasoning``: where reasoning text arrives and what must be sent back.
    ``context_error``: the provider's own words for a prompt over the context window.
    """

    docs: str
    checked: str = "spec"
    stream_options: bool | None = True
    stream_usage: str = "last chunk, with `stream_options`"
    max_tokens_field: str = "max_tokens"
    embed_dimensions_field: str | None = None
    rejected: tuple[str, ...] = ()
    reasoning: str = ""
    context_error: str = ""


_LAST_ALWAYS = "last chunk, always (no `stream_options` needed)"

FACTS: Mapping[str, ProviderFacts] = {
    "openai": ProviderFacts(
        "https://platform.openai.com/docs/api-reference/chat/create",
        stream_usage="extra last chunk with empty `choices`, only with `stream_options`",
        max_tokens_field="max_completion_tokens",
        embed_dimensions_field="dimensions",
        reasoning="hidden (reasoning tokens counted in usage only)",
        context_error="This model's maximum context length is N tokens (code "
        "`context_length_exceeded`)",
    ),
    "azure": ProviderFacts(
        "https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference",
        stream_usage="extra last chunk with empty `choices`, only with `stream_options`",
        max_tokens_field="max_completion_tokens",
        embed_dimensions_field="dimensions",
        reasoning="hidden (as OpenAI)",
        context_error="as OpenAI (`context_length_exceeded`)",
    ),
    "anthropic": ProviderFacts(
        "https://docs.anthropic.com/en/api/messages",
        stream_options=None,
        stream_usage="`message_start` and `message_delta` events, always",
        max_tokens_field="max_tokens (required)",
        reasoning="`thinking` blocks with a `signature`; sent back unchanged in tool turns",
        context_error="prompt is too long: N tokens > M maximum",
    ),
    "gemini": ProviderFacts(
        "https://ai.google.dev/api/generate-content",
        stream_options=None,
        stream_usage="`usageMetadata` on the chunks, always",
        max_tokens_field="generationConfig.maxOutputTokens",
        embed_dimensions_field="outputDimensionality",
        reasoning="`thought: true` parts; `thoughtSignature` sent back with function calls",
        context_error="The input token count (N) exceeds the maximum number of tokens allowed",
    ),
    "vertex": ProviderFacts(
        "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/locations",
        stream_options=None,
        stream_usage="`usageMetadata` (Gemini) or Anthropic events, always",
        max_tokens_field="generationConfig.maxOutputTokens / max_tokens",
        reasoning="as Gemini / Anthropic",
        context_error="as Gemini / Anthropic",
    ),
    "bedrock": ProviderFacts(
        "https://docs.aws.amazon.com/bedrock/latest/userguide/bedrock-regions.html",
        stream_options=None,
        stream_usage="`metadata` event, always",
        max_tokens_field="inferenceConfig.maxTokens",
        reasoning="`reasoningContent` blocks (Claude), sent back in tool turns",
        context_error="ValidationException: Input is too long for requested model",
    ),
    "cohere": ProviderFacts(
        "https://docs.cohere.com/reference/chat",
        stream_options=None,
        stream_usage="`message-end` event, always",
        embed_dimensions_field="output_dimension",
        reasoning="`thinking` content (command-a-reasoning)",
        context_error="too many tokens",
    ),
    "ollama": ProviderFacts(
        "https://github.com/ollama/ollama/blob/main/docs/api.md",
        stream_options=None,
        stream_usage="last NDJSON line (`prompt_eval_count`, `eval_count`), always",
        max_tokens_field="options.num_predict",
        embed_dimensions_field="dimensions",
        reasoning="`message.thinking` (with `think`)",
        context_error="the input length exceeds the context length (400; nano-step/nano-brain#208)",
    ),
    "mistral": ProviderFacts(
        "https://docs.mistral.ai/api/endpoint/embeddings",
        checked="docs",
        stream_options=False,
        stream_usage=_LAST_ALWAYS + "; `stream_options` is rejected (422)",
        embed_dimensions_field="output_dimension",
        reasoning="`thinking` content parts (magistral)",
        context_error="Prompt contains N tokens ... too large for model with M maximum "
        "context length",
    ),
    "groq": ProviderFacts(
        "https://console.groq.com/docs/api-reference#chat-create",
        stream_usage="`x_groq.usage` on the last chunk; a usage chunk with `stream_options`",
        rejected=("logprobs", "logit_bias", "top_logprobs", "n>1"),
        reasoning="`reasoning` field (`reasoning_format`)",
        context_error="Please reduce the length of the messages or completion",
    ),
    "deepseek": ProviderFacts(
        "https://api-docs.deepseek.com/api/create-chat-completion",
        reasoning="`reasoning_content` (deepseek-reasoner); not sent back in history",
        context_error="This model's maximum context length is N tokens",
    ),
    "together": ProviderFacts(
        "https://docs.together.ai/reference/chat-completions-1",
        stream_options=False,
        stream_usage=_LAST_ALWAYS,
        reasoning="`<think>` tags in content (DeepSeek-R1 and others)",
    ),
    "openrouter": ProviderFacts(
        "https://openrouter.ai/docs/api-reference/streaming",
        stream_usage="last chunk (keeps a choice), always; `stream_options` accepted",
        reasoning="`reasoning` and `reasoning_details`; send `reasoning_details` back",
    ),
    "xai": ProviderFacts(
        "https://docs.x.ai/docs/api-reference#chat-completions",
        reasoning="`reasoning_content` (grok-3-mini); encrypted for grok-4",
        context_error="This model's maximum prompt length is N",
    ),
    "perplexity": ProviderFacts(
        "https://docs.perplexity.ai/api-reference/chat-completions-post",
        stream_options=False,
        stream_usage=_LAST_ALWAYS,
        reasoning="`<think>` tags in content (sonar-reasoning)",
    ),
    "deepinfra": ProviderFacts(
        "https://deepinfra.com/docs/openai_api",
        reasoning="`reasoning_content` for reasoning models",
    ),
    "fireworks": ProviderFacts(
        "https://docs.fireworks.ai/api-reference/post-chatcompletions",
        stream_options=False,
        stream_usage=_LAST_ALWAYS,
        reasoning="`<think>` tags in content or `reasoning_content` (`reasoning_effort`)",
    ),
    "moonshot": ProviderFacts(
        "https://github.com/MoonshotAI/MoonshotAI-Cookbook (api-reference.md)",
        checked="docs",
        stream_options=False,  # not among the documented request fields
        stream_usage="`usage` inside the finishing choice, always (read by the decoder)",
        reasoning="`reasoning_content` (kimi thinking models)",
        context_error="Invalid request: Your request exceeded model token limit: N",
    ),
    "zhipuai": ProviderFacts(
        "https://docs.bigmodel.cn/cn/guide/develop/http/introduction",
        stream_options=False,
        stream_usage=_LAST_ALWAYS,
        reasoning="`reasoning_content` (`thinking: {type: enabled}`)",
    ),
    "zai": ProviderFacts(
        "https://docs.z.ai/api-reference/introduction",
        checked="docs",
        stream_options=False,
        stream_usage=_LAST_ALWAYS,
        reasoning="`reasoning_content` (`thinking: {type: enabled}`)",
    ),
    "dashscope": ProviderFacts(
        "https://www.alibabacloud.com/help/en/model-studio/base-url",
        checked="integrator",
        stream_usage="extra last chunk, only with `stream_options`",
        max_tokens_field="max_completion_tokens",
        embed_dimensions_field="dimensions",
        reasoning="`reasoning_content` (`enable_thinking`)",
        context_error="Range of input length should be [1, N]",
    ),
    "github": ProviderFacts(
        "https://docs.github.com/en/rest/models/catalog",
        checked="docs",
        reasoning="as the model's publisher (`reasoning_content` for DeepSeek-R1)",
    ),
    "cloudflare": ProviderFacts(
        "https://developers.cloudflare.com/api/resources/ai/subresources/models/methods/list/",
        checked="docs",
        stream_options=False,
        stream_usage="last chunk when the model reports it; `stream_options` not documented",
        embed_dimensions_field="dimensions",
    ),
    "ai21": ProviderFacts(
        "https://docs.ai21.com/reference/jamba-1-6-api-ref",
        stream_options=False,
        stream_usage=_LAST_ALWAYS,
    ),
    "hunyuan": ProviderFacts(
        "https://cloud.tencent.com/document/product/1729/111007",
        stream_options=False,
        stream_usage=_LAST_ALWAYS,
        reasoning="`reasoning_content` (hunyuan-t1)",
    ),
    "qianfan": ProviderFacts(
        "https://cloud.baidu.com/doc/WENXINWORKSHOP/s/2m3fihw8s",
        checked="docs",
        reasoning="`reasoning_content` (ERNIE thinking, DeepSeek-R1)",
    ),
    "minimax": ProviderFacts(
        "https://platform.minimax.io/docs/api-reference/text-openai-api",
        checked="docs",
        stream_options=False,
        stream_usage=_LAST_ALWAYS,
        max_tokens_field="max_completion_tokens",
        reasoning="`<think>` tags in content unless `reasoning_split` (then "
        "`reasoning_details`); the whole assistant turn must be sent back after tool calls",
    ),
    "huggingface": ProviderFacts(
        "https://huggingface.co/docs/inference-providers/tasks/chat-completion",
        embed_dimensions_field=None,
        reasoning="as the serving provider",
    ),
    "cerebras": ProviderFacts(
        "https://inference-docs.cerebras.ai/resources/openai",
        checked="docs",
        stream_options=False,
        stream_usage=_LAST_ALWAYS,
        rejected=("logit_bias", "service_tier"),
        reasoning="`reasoning` field (`reasoning_format`)",
        context_error="Please reduce the length of the messages or completion",
    ),
    "sambanova": ProviderFacts(
        "https://docs.sambanova.ai/cloud/api-reference/endpoints/chat",
        reasoning="`<think>` tags in content (DeepSeek-R1)",
    ),
    "nebius": ProviderFacts(
        "https://docs.tokenfactory.nebius.com/api-reference",
        embed_dimensions_field="dimensions",
        reasoning="`reasoning_content` for reasoning models",
    ),
    "novita": ProviderFacts(
        "https://novita.ai/docs/api-reference/model-apis-llm-create-chat-completion",
        embed_dimensions_field="dimensions",
        reasoning="`reasoning_content` for reasoning models",
    ),
    "lm_studio": ProviderFacts(
        "https://lmstudio.ai/docs/app/api/endpoints/openai",
        stream_options=False,
        stream_usage="last chunk when the server reports it",
        reasoning="`reasoning_content` / `<think>` tags (per model)",
        context_error="Input length N exceeds context length M (lmstudio-ai/examples#29)",
    ),
    "vllm": ProviderFacts(
        "https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html",
        embed_dimensions_field="dimensions",
        reasoning="`reasoning_content` (older) or `reasoning` (newer)",
        context_error="This model's maximum context length is N tokens",
    ),
    "jina": ProviderFacts(
        "https://api.jina.ai/redoc",
        stream_options=None,
        stream_usage="no chat",
        embed_dimensions_field="dimensions",
    ),
    "voyage": ProviderFacts(
        "https://docs.voyageai.com/reference/embeddings-api",
        stream_options=None,
        stream_usage="no chat",
        embed_dimensions_field="output_dimension",
    ),
}
"""The facts by provider name: one entry for every registered provider."""


def rejected_parameters(provider: str) -> list[str]:
    """Every parameter the provider is documented to reject or rename, as the table shows it:
    the refused options (with the models a refusal is limited to), the renamed ones, then the
    others of ``ProviderFacts.rejected``."""
    shown: list[str] = []
    for prefix, options in COMPAT_UNSUPPORTED.get(provider, ()):
        where = f" ({prefix}*)" if prefix else ""
        shown += [f"`{option}`{where}" for option in sorted(options)]
    for option, renamed in COMPAT_RENAMED.get(provider, {}).items():
        shown.append(f"`{option}` -> `{renamed}`")
    facts = FACTS.get(provider)
    if facts is not None:
        shown += [f"`{option}`" for option in facts.rejected]
    return shown
