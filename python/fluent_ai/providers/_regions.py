"""Regional endpoints, as data: the providers whose API lives on a different host per region.

A key is valid only in the region (the console) it was made in: DashScope answers a key of
another region with 401 (Alibaba, "Base URL overview"), and the same is true of the China and
global consoles of Moonshot, MiniMax and Zhipu (bigmodel.cn / z.ai). So the region is a
setting (``providers={"dashscope": {"region": "cn"}}`` or the environment variable named by
``env``), checked when the client is made: an unknown region is an ``InvalidArgumentError``
naming the provider and the valid regions.

Region ids are the provider's own (Alibaba's ``cn-beijing``, ``ap-southeast-1``, ...) plus
plain aliases (``cn``, ``intl``, ``us``, ``hk``, ``global``). Providers whose regions are not
a fixed list keep their own handling in the registry: Azure (the resource endpoint), Bedrock
(any AWS region id), Vertex (any Google Cloud location).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .._validation import fail_value

__all__ = ["REGIONS", "RegionTable", "check_region"]


@dataclass(frozen=True)
class RegionTable:
    """One provider's regions: ``urls`` maps each region id to its base URL, ``aliases`` maps
    the other accepted names to an id, ``default`` is the region used when none is set.

    ``workspace_url`` (DashScope only) is the base URL of a workspace-dedicated domain, with
    ``{workspace}`` and ``{region}`` placeholders; ``workspace_regions`` are the region ids it
    exists in (more than the shared domains)."""

    default: str
    urls: Mapping[str, str]
    aliases: Mapping[str, str] = field(default_factory=dict)
    env: str = ""
    docs: str = ""
    workspace_url: str = ""
    workspace_regions: tuple[str, ...] = ()
    workspace_env: str = ""

    def names(self, *, workspace: bool = False) -> list[str]:
        """Every accepted name (ids then aliases), for messages."""
        ids = list(self.workspace_regions) if workspace else list(self.urls)
        return ids + [alias for alias, target in self.aliases.items() if target in ids]

    def canonical(self, region: str, *, workspace: bool = False) -> str | None:
        """The region id ``region`` names (case-insensitive), or ``None``."""
        key = region.strip().lower()
        key = self.aliases.get(key, key)
        valid = self.workspace_regions if workspace else tuple(self.urls)
        return key if key in valid else None

    def base_url(self, region: str, workspace: str | None = None) -> str:
        """The base URL of a region id (a workspace domain when ``workspace`` is given)."""
        if workspace:
            return self.workspace_url.format(workspace=workspace, region=region)
        return self.urls[region]


_DASHSCOPE = RegionTable(
    # Singapore stays the default (it was the only endpoint before regions existed, and it is
    # the international console's, the one a non-Chinese account gets); China is one
    # ``region="cn"`` (or FLUENT_AI_DASHSCOPE_REGION=cn) away.
    default="ap-southeast-1",
    urls={
        "cn-beijing": "https://dashscope.aliyuncs.com/compatible-mode/v1",
        "ap-southeast-1": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        "us-east-1": "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
        "cn-hongkong": "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1",
    },
    aliases={
        "cn": "cn-beijing",
        "china": "cn-beijing",
        "beijing": "cn-beijing",
        "intl": "ap-southeast-1",
        "international": "ap-southeast-1",
        "sg": "ap-southeast-1",
        "singapore": "ap-southeast-1",
        "us": "us-east-1",
        "virginia": "us-east-1",
        "hk": "cn-hongkong",
        "hongkong": "cn-hongkong",
        "hong-kong": "cn-hongkong",
        "jp": "ap-northeast-1",
        "tokyo": "ap-northeast-1",
        "eu": "eu-central-1",
        "frankfurt": "eu-central-1",
    },
    env="FLUENT_AI_DASHSCOPE_REGION",
    docs="https://www.alibabacloud.com/help/en/model-studio/base-url",
    workspace_url="https://{workspace}.{region}.maas.aliyuncs.com/compatible-mode/v1",
    workspace_regions=(
        "cn-beijing",
        "ap-southeast-1",
        "us-east-1",
        "cn-hongkong",
        "ap-northeast-1",
        "eu-central-1",
    ),
    workspace_env="FLUENT_AI_DASHSCOPE_WORKSPACE",
)

_GLOBAL_CN = {"intl": "global", "international": "global", "china": "cn", "mainland": "cn"}

_MOONSHOT = RegionTable(
    default="global",
    urls={"global": "https://api.moonshot.ai/v1", "cn": "https://api.moonshot.cn/v1"},
    aliases=_GLOBAL_CN,
    env="FLUENT_AI_MOONSHOT_REGION",
    docs="https://platform.moonshot.ai/docs/guide/start-using-kimi-api",
)

_MINIMAX = RegionTable(
    default="global",
    urls={"global": "https://api.minimax.io/v1", "cn": "https://api.minimaxi.com/v1"},
    aliases=_GLOBAL_CN,
    env="FLUENT_AI_MINIMAX_REGION",
    docs="https://platform.minimax.io/docs/api-reference/text-openai-api",
)

# Zhipu runs one API on two platforms with separate accounts and keys: open.bigmodel.cn
# (China, the ``zhipuai`` provider) and api.z.ai (international, the ``zai`` provider).
_GLM_URLS = {
    "cn": "https://open.bigmodel.cn/api/paas/v4",
    "global": "https://api.z.ai/api/paas/v4",
}

_ZHIPUAI = RegionTable(
    default="cn",
    urls=_GLM_URLS,
    aliases=_GLOBAL_CN,
    env="FLUENT_AI_ZHIPUAI_REGION",
    docs="https://docs.bigmodel.cn/cn/guide/develop/http/introduction",
)

_ZAI = RegionTable(
    default="global",
    urls=_GLM_URLS,
    aliases=_GLOBAL_CN,
    env="FLUENT_AI_ZAI_REGION",
    docs="https://docs.z.ai/api-reference/introduction",
)

REGIONS: Mapping[str, RegionTable] = {
    "dashscope": _DASHSCOPE,
    "moonshot": _MOONSHOT,
    "minimax": _MINIMAX,
    "zhipuai": _ZHIPUAI,
    "zai": _ZAI,
}
"""The region tables by provider name."""


def check_region(provider: str, table: RegionTable, value: object, *, workspace: bool) -> str:
    """The region id ``value`` names; ``InvalidArgumentError`` naming the provider and the
    valid regions otherwise."""
    where = f"providers[{provider!r}]['region']"
    names = table.names(workspace=workspace)
    expected = f"a region of {provider!r}: one of " + ", ".join(names)
    if not isinstance(value, str):
        fail_value(where, expected, value)
    region = table.canonical(value, workspace=workspace)
    if region is None:
        fail_value(where, expected, value)
    return region
