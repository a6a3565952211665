"""``make fuzz``: runs every fuzz target (fuzz/targets.py) in its own subprocess under one
wall-clock budget, and reports what they found.

Environment: ``FUZZ_SECONDS`` (total budget, default 60), ``FUZZ_TARGETS`` (comma-separated
names, default all), ``FUZZ_OUT`` (where findings go, default ``target/fuzz``),
``FUZZ_STACK_KIB`` (run the examples on a thread with this stack size), ``FUZZ_MIN_EXAMPLES``
(examples each target runs even when its time is up; default 0).

A child that dies by a signal (segfault, abort on stack overflow) is a crash: the input it was
running is saved as ``crash-<target>-<hash>.case`` and the target restarts for the rest of its
budget. A child that outlives its budget by ``GRACE`` seconds is killed and its input saved as
a hang. Disagreements between the backends and undocumented exceptions are saved as
``finding-<target>-<signature>.case``. ``python -m fuzz.run --replay FILE`` runs one saved case
again in this process (a crash then crashes it). Beside a crash's case, ``.previous`` holds the
case run before it: a crash in a destructor (an object freed later, by the garbage collector)
or at the edge of a small stack may not reproduce from the case alone. Exit status 1 when
anything was found.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GRACE = float(os.environ.get("FUZZ_GRACE", "30"))  # startup, the last example, shrinking
MAX_RESTARTS = 5


def _case_id(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()[:10]


def run_target(name: str, seconds: float, out: Path) -> dict[str, Any]:
    """Fuzzes one target for ``seconds``, restarting it after crashes; returns its report."""
    report: dict[str, Any] = {"target": name, "examples": 0, "findings": [], "crashes": []}
    safe = name.replace(":", "-")
    workdir = out / "work" / safe
    end = time.monotonic() + seconds
    for _ in range(MAX_RESTARTS + 1):
        left = end - time.monotonic()
        if left <= 0.5:
            break
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        # The end as wall-clock time: the child's start-up counts against the budget.
        until = f"{time.time() + left:.3f}"
        command = [sys.executable, "-m", "fuzz.child", name, until, str(workdir)]
        try:
            child = subprocess.run(
                command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=left + GRACE
            )
            status: int | str = child.returncode
            stdout, stderr = child.stdout, child.stderr
        except subprocess.TimeoutExpired as expired:
            status = "hang"
            stdout = expired.stdout.decode() if isinstance(expired.stdout, bytes) else ""
            stderr = expired.stderr.decode() if isinstance(expired.stderr, bytes) else ""
        for finding in sorted(workdir.glob("finding-*.case")):
            saved = out / f"finding-{safe}-{finding.stem.split('-', 1)[1]}.case"
            shutil.copyfile(finding, saved)
            where = str(saved.relative_to(ROOT) if saved.is_relative_to(ROOT) else saved)
            if where not in report["findings"]:
                report["findings"].append(where)
        if status in (0, 3):
            stats = json.loads(stdout.strip().splitlines()[-1])
            report["examples"] += stats["examples"]
            return report
        current = workdir / "current.case"
        if current.exists():
            report["examples"] += _examples_before(current)
        if isinstance(status, int) and status > 0:
            # Not a signal: the harness failed (a traceback), which restarting cannot mend.
            report["crashes"].append(f"harness error (exit status {status}): {stderr[-3000:]}")
            break
        kind = "hang" if status == "hang" else _describe_status(status)
        if current.exists():
            prefix = "hang" if status == "hang" else "crash"
            saved = out / f"{prefix}-{safe}-{_case_id(current)}.case"
            shutil.copyfile(current, saved)
            previous = workdir / "previous.case"
            if previous.exists():
                shutil.copyfile(previous, saved.with_suffix(".previous"))
            where = str(saved.relative_to(ROOT) if saved.is_relative_to(ROOT) else saved)
            if f"{kind}: {where}" not in report["crashes"]:
                report["crashes"].append(f"{kind}: {where}")
        else:
            report["crashes"].append(f"{kind} before any example: {stderr.strip()[-2000:]}")
            break  # the harness itself is broken: restarting would not help
        if status == "hang":
            break
    return report


def _examples_before(current: Path) -> int:
    """The example number the child wrote in the case it was running."""
    first = current.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
    return int(first.split()[-1]) if first.startswith("# example ") else 0


def _describe_status(status: int | str) -> str:
    if isinstance(status, int) and status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


def replay(path: Path) -> int:
    """Runs a saved case in this process and prints its findings."""
    sys.path.insert(0, str(ROOT))
    from fuzz.child import checked_on_stack  # noqa: PLC0415  (after the path is set)
    from fuzz.targets import TARGETS  # noqa: PLC0415

    text = path.read_text(encoding="utf-8", errors="surrogatepass")
    literal = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    saved = ast.literal_eval(literal)
    findings = checked_on_stack(TARGETS[saved["target"]].check, saved["case"])
    print("\n".join(findings) or "no finding")
    return 1 if findings else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replay", type=Path, help="run one saved case in this process")
    args = parser.parse_args()
    if args.replay:
        return replay(args.replay)
    sys.path.insert(0, str(ROOT))
    from fuzz.corpus import summary  # noqa: PLC0415
    from fuzz.targets import TARGETS  # noqa: PLC0415

    budget = float(os.environ.get("FUZZ_SECONDS", "60") or 60)
    chosen = [n.strip() for n in os.environ.get("FUZZ_TARGETS", "").split(",") if n.strip()]
    unknown = sorted(set(chosen) - set(TARGETS))
    if unknown:
        print(f"FUZZ_TARGETS: unknown {unknown}; known: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    names = chosen or list(TARGETS)
    out = Path(os.environ.get("FUZZ_OUT", "") or ROOT / "target" / "fuzz").resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"fuzz: {budget:.0f} s over {len(names)} targets; seeds {summary()}; findings in {out}")
    started = time.monotonic()
    reports = []
    for position, name in enumerate(names):
        left = budget - (time.monotonic() - started)
        share = max(left / (len(names) - position), 1.0)
        report = run_target(name, share, out)
        reports.append(report)
        found = len(report["findings"]) + len(report["crashes"])
        print(f"  {name:<24} {report['examples']:>7} examples  {found} found", flush=True)
        for line in report["crashes"] + report["findings"]:
            print(f"      {line}", flush=True)
    total = sum(len(r["findings"]) + len(r["crashes"]) for r in reports)
    print(
        f"fuzz: {time.monotonic() - started:.0f} s, {sum(r['examples'] for r in reports)} "
        f"examples, {total} found"
    )
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
