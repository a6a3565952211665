"""The fuzz targets: every decoder of the core, each run on both backends on the same input
(cut in two different ways) and compared. A target's ``check`` returns its findings (empty
when the backends agree and raise only documented errors); its ``cases`` strategy draws
inputs as plain Python literals, so a finding can be saved, replayed and turned into a test."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from . import corpus, mutate
from .outcome import BACKENDS, Outcome, cut, flatten, plain, run_feeds

Case = dict[str, Any]


@dataclass(frozen=True)
class Target:
    name: str
    cases: Callable[[], st.SearchStrategy[Case]]
    check: Callable[[Case], list[str]]


def _short(value: Any, limit: int = 400) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit // 2] + " ... " + text[-limit // 2 :]


def differences(what: str, native: Outcome, python: Outcome, excerpt: bool = True) -> list[str]:
    """Findings from two outcomes that must be equal, and from undocumented exceptions."""
    found = [
        f"{what}: {name} backend raised an undocumented {outcome.undocumented}"
        for name, outcome in (("native", native), ("python", python))
        if outcome.undocumented
    ]
    if native.comparable(excerpt) == python.comparable(excerpt):
        return found
    if native.items != python.items:
        first = next(
            (i for i, (a, b) in enumerate(zip(native.items, python.items)) if a != b),
            min(len(native.items), len(python.items)),
        )
        found.append(
            f"{what}: items differ from #{first} (native {len(native.items)}, python "
            f"{len(python.items)}): native {_short(native.items[first : first + 2])} != "
            f"python {_short(python.items[first : first + 2])}"
        )
    if native.comparable(excerpt)[1] != python.comparable(excerpt)[1]:
        found.append(f"{what}: errors differ: native {native.error} != python {python.error}")
    if native.state != python.state:
        found.append(f"{what}: state differs: native {native.state} != python {python.state}")
    return found


def _framed(
    build: Callable[[Any, Case], Any], state: Callable[[Any], tuple[Any, ...]]
) -> Callable[[Case], list[str]]:
    """Check for a framer: native cut one way vs pure cut another, then native whole."""

    def check(case: Case) -> list[str]:
        def run(backend: str, cuts: list[int] | None) -> Outcome:
            decoder = build(BACKENDS[backend], case)
            chunks = [case["data"]] if cuts is None else cut(case["data"], cuts)
            return run_feeds(decoder.feed, decoder.finish, chunks, lambda: state(decoder))

        # Both backends on one split (everything equal, excerpts included), then the native
        # backend on another split and whole (everything but the excerpt equal).
        native = run("native", case["cuts_a"])
        found = differences("native/python", native, run("python", case["cuts_a"]))
        if not found:
            found = differences("native split a/b", native, run("native", case["cuts_b"]), False)
        if not found:
            found = differences("native split/whole", native, run("native", None), False)
        return found

    return check


def _framer_cases(
    kind: str, limit_name: str | None = None, limits: tuple[int, ...] = ()
) -> Callable[[], Any]:
    def cases() -> st.SearchStrategy[Case]:
        @st.composite
        def build(draw: st.DrawFn) -> Case:
            data = draw(mutate.inputs(corpus.seeds_for(kind), corpus.seeds()))
            case: Case = {"data": data}
            case["cuts_a"] = draw(mutate.cuts(len(data)))
            case["cuts_b"] = draw(mutate.cuts(len(data)))
            if limit_name and draw(st.integers(0, 4)) == 0:
                case[limit_name] = draw(st.sampled_from(limits))
            return case

        return build()

    return cases


def _with_limit(cls_name: str, limit_name: str) -> Callable[[Any, Case], Any]:
    def build(core: Any, case: Case) -> Any:
        kwargs = {limit_name: case[limit_name]} if limit_name in case else {}
        return getattr(core, cls_name)(**kwargs)

    return build


SSE = Target(
    "sse",
    _framer_cases("sse", "max_event_bytes", (1, 16, 100, 4096)),
    _framed(
        _with_limit("SseDecoder", "max_event_bytes"),
        lambda d: (d.last_event_id, d.retry, d.position, d.pending_bytes),
    ),
)
NDJSON = Target(
    "ndjson",
    _framer_cases("ndjson", "max_line_bytes", (1, 16, 100, 4096)),
    _framed(_with_limit("NdjsonDecoder", "max_line_bytes"), lambda d: (d.position,)),
)
EVENTSTREAM = Target(
    "eventstream",
    _framer_cases("eventstream", "max_message_bytes", (16, 64, 200)),
    _framed(_with_limit("EventStreamDecoder", "max_message_bytes"), lambda d: (d.position,)),
)


# --- JsonStream ----------------------------------------------------------------------------


def _json_run(core: Any, case: Case, fragments: list[Any]) -> Outcome:
    kwargs = {k: case[k] for k in ("max_depth", "max_bytes") if k in case}
    stream = core.JsonStream(**kwargs)
    steps: list[Any] = []

    def feed(fragment: Any) -> list[Any]:
        done = stream.feed(fragment)
        steps.append(("feed", done, flatten(stream.partial()), stream.position))
        return []

    def finish() -> list[Any]:
        steps.append(("finish", flatten(stream.finish()), stream.position, stream.complete))
        return []

    outcome = run_feeds(feed, finish, fragments, lambda: ())
    outcome.items = [tuple(step) for step in steps]
    return outcome


def check_json(case: Case) -> list[str]:
    data = case["data"]
    fragments = cut(data, case["cuts"])
    native = _json_run(BACKENDS["native"], case, fragments)
    found = differences("native/python", native, _json_run(BACKENDS["python"], case, fragments))
    if found:
        return found
    # The value or error must not depend on the split (the excerpt may).
    whole = _json_run(BACKENDS["native"], case, [data])
    ends = [
        (
            o.items[-1][:2] if o.items and o.items[-1][0] == "finish" else None,
            o.comparable(excerpt=False)[1],
        )
        for o in (native, whole)
    ]
    if ends[0] != ends[1]:
        found.append(f"native split/whole: {_short(ends[0])} != {_short(ends[1])}")
    return found


def json_cases() -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        data: Any = draw(mutate.inputs(corpus.seeds_for("json"), corpus.seeds()))
        if draw(st.booleans()):
            data = data.decode("utf-8", "replace")
            if draw(st.integers(0, 3)) == 0:  # str fragments may carry lone surrogates
                at = draw(st.integers(0, len(data)))
                data = data[:at] + draw(st.sampled_from(["\ud800", "\udfff", "\ud83d"])) + data[at:]
        case: Case = {"data": data, "cuts": draw(mutate.cuts(len(data)))}
        if draw(st.integers(0, 2)) == 0:
            case["max_depth"] = draw(st.sampled_from((0, 1, 2, 64, 100_000, 1_000_000)))
        if draw(st.integers(0, 4)) == 0:
            case["max_bytes"] = draw(st.sampled_from((0, 1, 10, 1000)))
        return case

    return build()


JSON = Target("json", json_cases, check_json)


# --- ToolCallAssembler ---------------------------------------------------------------------

_FRAGMENTS = (
    '{"',
    'a"',
    ":",
    " 1",
    "}",
    '{"city": "Par',
    'is"}',
    "[",
    "]",
    "",
    " ",
    "\n",
    '"\\u00e9',
    "\\ud83d",
    '\\ude00"',
    "é€😀",
    "\ud800",
    "nul",
    "l",
    "tru",
    "1e",
    "5",
    '{"a":' * 300,
    "]" * 10,
    "x",
)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=10,
)


def toolcall_cases() -> st.SearchStrategy[Case]:
    argument = st.one_of(
        st.none(),
        st.sampled_from(_FRAGMENTS),
        st.text(max_size=12),
        _JSON_VALUES,
        st.sampled_from(("deep-list", "deep-object")).flatmap(
            lambda kind: st.sampled_from(mutate.DEPTHS).map(lambda n: (kind, n))
        ),
    )
    add = st.tuples(
        st.just("add"),
        st.integers(0, 3),
        st.sampled_from((None, "", "c1", "c2", "call_x")),
        st.sampled_from((None, "", "f", "get_weather")),
        argument,
    )
    return st.fixed_dictionaries(
        {"ops": st.lists(add | st.just(("finish",)), max_size=30)},
        optional={
            "max_calls": st.sampled_from((0, 1, 2, 64)),
            "max_argument_bytes": st.sampled_from((0, 1, 5, 16, 1000)),
        },
    )


def _argument(value: Any) -> Any:
    """A case's argument: deep values are described (literal files stay small)."""
    if isinstance(value, tuple) and value and value[0] in ("deep-list", "deep-object"):
        node: Any = 1
        for _ in range(value[1]):
            node = [node] if value[0] == "deep-list" else {"a": node}
        return node
    return value


def _toolcall_run(core: Any, case: Case) -> Outcome:
    kwargs = {k: case[k] for k in ("max_calls", "max_argument_bytes") if k in case}
    assembler = core.ToolCallAssembler(**kwargs)
    outcome = Outcome()
    for op in case["ops"]:

        def apply(_chunk: Any, op: tuple[Any, ...] = op) -> list[Any]:
            if op[0] == "finish":
                return list(assembler.finish())
            return list(assembler.add(op[1], id=op[2], name=op[3], arguments=_argument(op[4])))

        step = run_feeds(apply, list, [None], tuple)
        outcome.items += [("step", *step.items)]
        if step.error or step.undocumented:
            outcome.error, outcome.undocumented = step.error, step.undocumented
            break
    return outcome


def check_toolcall(case: Case) -> list[str]:
    native = _toolcall_run(BACKENDS["native"], case)
    return differences("native/python", native, _toolcall_run(BACKENDS["python"], case))


TOOLCALL = Target("toolcall", toolcall_cases, check_toolcall)


# --- StreamDecoder, one target per dialect ------------------------------------------------


def _stream_state(decoder: Any) -> tuple[Any, ...]:
    usage = decoder.usage
    return (
        decoder.text,
        [plain(call) for call in decoder.tool_calls],
        None if usage is None else plain(usage),
        decoder.finish_reason,
        decoder.position,
    )


def stream_target(dialect: str) -> Target:
    def build(core: Any, _case: Case) -> Any:
        return core.StreamDecoder(dialect)

    return Target(
        f"stream:{dialect}",
        _framer_cases(dialect),
        _framed(build, _stream_state),
    )


# --- Targets that test the harness itself (FUZZ_SELFTEST=1) -------------------------------


def _selftest_targets() -> tuple[Target, ...]:
    def crash(case: Case) -> list[str]:
        if len(case["data"]) >= 4:
            import ctypes  # noqa: PLC0415

            ctypes.string_at(0)  # a segfault, as a native decoder bug would cause
        return []

    def disagree(case: Case) -> list[str]:
        return ["native/python: items differ (selftest)"] if len(case["data"]) >= 4 else []

    def hang(case: Case) -> list[str]:
        while len(case["data"]) >= 4:
            time.sleep(1)
        return []

    def cases() -> st.SearchStrategy[Case]:
        return st.fixed_dictionaries({"data": st.binary(min_size=4, max_size=64)})

    return tuple(
        Target(f"selftest:{check.__name__}", cases, check) for check in (crash, disagree, hang)
    )


TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        SSE,
        NDJSON,
        EVENTSTREAM,
        JSON,
        TOOLCALL,
        *(stream_target(dialect) for dialect in corpus.DIALECTS),
        *(_selftest_targets() if os.environ.get("FUZZ_SELFTEST") else ()),
    )
}
