"""Runs one fuzz target until a wall-clock time (``python -m fuzz.child TARGET UNTIL DIR``,
``UNTIL`` in seconds since the epoch, so that start-up counts against the budget).

Before each example the case is written to ``DIR/current.case``, so that when the process
dies (a segfault, a stack overflow abort, a hang the runner kills) the runner can save the
input that did it. A disagreement or an undocumented exception is written to
``DIR/finding-<signature>.case`` each time an example shows it; Hypothesis shrinks failing
examples and replays the smallest last, so the file ends with the smallest input found.
Exit status: 0 nothing found, 3 findings written, anything else the runner treats as a crash.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings

from .outcome import BudgetSpent
from .targets import TARGETS, Case

FOUND = 3
# Examples run even past the deadline (FUZZ_MIN_EXAMPLES): a short run on a loaded machine,
# whose start-up ate its budget, still fuzzes instead of reporting 0 examples.
MIN_EXAMPLES = int(os.environ.get("FUZZ_MIN_EXAMPLES", "") or 0)


def write_case(path: Path, target: str, case: Case, findings: list[str] | None = None) -> None:
    """A case file: a Python literal (bytes, str, numbers, lists, dicts) readable by
    ``ast.literal_eval``, with the findings as comments."""
    text = "".join(f"# {line}\n" for f in findings or [] for line in f.splitlines())
    text += repr({"target": target, "case": case}) + "\n"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8", errors="surrogatepass")
    os.replace(temporary, path)


def signature(findings: list[str]) -> str:
    """Findings that differ only in numbers and quoted text are one finding."""
    first = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", findings[0])[:120]
    return hashlib.sha1(first.encode()).hexdigest()[:10]


def fuzz(name: str, seconds: float, workdir: Path) -> dict[str, Any]:
    target = TARGETS[name]
    deadline = time.monotonic() + seconds
    current = workdir / "current.case"
    previous = workdir / "previous.case"
    stats: dict[str, Any] = {"target": name, "examples": 0, "findings": {}, "saves": 0}

    @settings(
        database=None,
        deadline=None,
        max_examples=10**9,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @given(target.cases())
    def example(case: Case) -> None:
        if time.monotonic() > deadline and stats["examples"] >= MIN_EXAMPLES:
            raise BudgetSpent
        stats["examples"] += 1
        if current.exists():  # kept: a crash in a destructor may show one case late
            os.replace(current, previous)
        write_case(current, name, case, [f"example {stats['examples']}"])
        findings = checked_on_stack(target.check, case)
        if findings:
            stats["saves"] += 1
            key = signature(findings)
            stats["findings"][key] = findings[0][:300]
            write_case(workdir / f"finding-{key}.case", name, case, findings)
            raise AssertionError("\n".join(findings))

    while time.monotonic() < deadline or stats["examples"] < MIN_EXAMPLES:
        saves = stats["saves"]
        try:
            example()
        except BudgetSpent:
            break
        except Exception:
            if stats["saves"] == saves:
                raise  # not a finding: the harness itself failed (e.g. a strategy)
            # A finding, already saved: look for more.
    return stats


def checked_on_stack(check: Callable[[Case], list[str]], case: Case) -> list[str]:
    """``check(case)``, run on a new thread with a stack of ``FUZZ_STACK_KIB`` KiB when that is
    set (musl's default is 128 KiB): the decoders must survive small stacks. Only the check
    runs there; Hypothesis itself needs a normal stack."""
    stack_kib = int(os.environ.get("FUZZ_STACK_KIB", "") or 0)
    if not stack_kib:
        return check(case)
    result: list[list[str]] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(check(case))
        except BaseException as error:  # re-raised on the calling thread
            failure.append(error)
        # Garbage of this case (a decoder in a reference cycle) is freed here, on the small
        # stack, so that a crash in a destructor is blamed on this case and not a later one.
        gc.collect()

    previous = threading.stack_size(stack_kib * 1024)
    try:
        worker = threading.Thread(target=run)
        worker.start()
    finally:
        threading.stack_size(previous)
    worker.join()
    if failure:
        raise failure[0]
    return result[0]


def main(argv: list[str]) -> int:
    name, until, folder = argv
    workdir = Path(folder)
    workdir.mkdir(parents=True, exist_ok=True)
    result = fuzz(name, float(until) - time.time(), workdir)
    print(json.dumps(result))
    return FOUND if result.get("findings") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
