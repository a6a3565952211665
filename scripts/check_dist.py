"""Check every artifact in dist/: contents, metadata, licences, tags, and a smoke test per Python.

    .venv/bin/python scripts/check_dist.py [--dist dist] [--work target/dist-check] [--quick]

1. Inspect: one sdist, one pure ``py3-none-any`` wheel, the native wheels; one version and the
   same core metadata in all (licence expression, licence files, URLs, classifiers,
   requirements); the licence files in every ``.dist-info/licenses`` and in the sdist; the pure
   wheel holds the native wheel's files less the native module; the sdist holds what both build
   paths need; ``auditwheel show`` agrees with every Linux wheel's platform tag, and that tag is
   the promised one: manylinux_2_17 (glibc 2.17) or musllinux_1_2.
2. Smoke: each wheel this machine can run goes into a fresh venv of every CPython >= 3.9 that
   pyenv has (or ``--python`` names) and passes scripts/smoke.py there (``--quick``: the oldest
   and newest only); wheels for another libc or CPU are named, not run.
3. The sdist installs into a fresh venv with no ``cargo`` on PATH, no index and no build
   isolation extras (``--no-index``), in under ``SDIST_SECONDS``, as the pure backend with the
   one-line notice, and passes the smoke test.
4. Every CPython below 3.9 that pyenv has refuses every wheel (and the sdist), and the reason
   pip gives is printed. A free-threaded CPython (``python3.13t``...) is smoke-tested if
   present, and its absence is reported.

Prints a table and exits non-zero on the first failed expectation (after the table).
"""

from __future__ import annotations

import argparse
import email.parser
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "scripts" / "smoke.py"
SDIST_SECONDS = 30.0
LICENSE_FILES = ("LICENSE", "THIRD_PARTY_LICENSES", "python/fluent_ai/catalog/LITELLM-LICENSE.txt")
SDIST_NEEDS = (
    "PKG-INFO",
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "CHANGELOG.md",
    "build_backend/fluent_ai_build.py",
    "rust/lib.rs",
    "python/fluent_ai/__init__.py",
    "python/fluent_ai/_purepy/__init__.py",
    "python/fluent_ai/py.typed",
    *LICENSE_FILES,
)
# Metadata fields that must be equal in every artifact (maturin writes the native wheels'; the
# in-tree backend the pure wheel's and the sdist's).
SAME_FIELDS = (
    "Name",
    "Version",
    "Summary",
    "Requires-Python",
    "License-Expression",
    "Classifier",
    "Project-URL",
    "License-File",
    "Provides-Extra",
    "Keywords",
    "Description-Content-Type",
)
PIP_ENV = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}


@dataclass
class Row:
    artifact: str
    python: str
    result: str
    ok: bool


ROWS: list[Row] = []


def record(artifact: str, python: str, result: str, ok: bool) -> None:
    ROWS.append(Row(artifact, python, result, ok))
    print(f"{'ok  ' if ok else 'FAIL'} {artifact} | {python} | {result}", flush=True)


def run(
    command: list[str], env: dict[str, str] | None = None, timeout: float = 600
) -> tuple[int, str]:
    full = {**os.environ, **PIP_ENV, **(env or {})}
    done = subprocess.run(
        command, check=False, env=full, capture_output=True, text=True, timeout=timeout
    )
    return done.returncode, done.stdout + done.stderr


# --- 1. inspection -----------------------------------------------------------------------------


def parse_metadata(text: str) -> dict[str, list[str]]:
    message = email.parser.Parser().parsestr(text, headersonly=True)
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key, []).append(" ".join(value.split()))
    return fields


# The environments a requirement's marker is judged in: every CPython the package supports (and
# the next), each without an extra and with each extra named in the metadata.
_PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")


def normal_requirement(text: str) -> str:
    """A requirement in a form two writers agree on: name, extras, specifier, and where its
    marker holds. maturin writes ``x>=1 ; python_full_version >= '3.11'``, the in-tree
    backend ``x>=1; python_version >= '3.11'``: the same rule in other words."""
    from packaging.requirements import Requirement  # noqa: PLC0415  (the dist group has it)

    requirement = Requirement(text)
    where = "always"
    if requirement.marker is not None:
        extras = re.findall(r"extra\s*==\s*['\"]([^'\"]+)['\"]", str(requirement.marker))
        holds = [
            f"{python}+{extra or '-'}"
            for python in _PYTHONS
            for extra in ["", *extras]
            if requirement.marker.evaluate(
                {"python_version": python, "python_full_version": python + ".0", "extra": extra}
            )
        ]
        where = ",".join(holds)
    extras_part = ",".join(sorted(requirement.extras))
    return f"{requirement.name}[{extras_part}]{requirement.specifier} @ {where}"


def wheel_metadata(path: Path) -> tuple[dict[str, list[str]], list[str]]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        return parse_metadata(archive.read(meta).decode()), names


def inspect(dist: Path) -> tuple[Path, Path, list[Path]]:
    sdists = sorted(dist.glob("*.tar.gz"))
    wheels = sorted(dist.glob("*.whl"))
    pure = [w for w in wheels if w.name.endswith("-py3-none-any.whl")]
    native = [w for w in wheels if w not in pure]
    record(
        "dist/",
        "-",
        f"{len(sdists)} sdist, {len(pure)} pure, {len(native)} native wheels",
        len(sdists) == 1 and len(pure) == 1 and len(native) >= 1,
    )
    if not (sdists and pure and native):
        raise SystemExit("dist/ is incomplete: run make dist")
    sdist = sdists[0]
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
        top = members[0].split("/")[0]
        inside = {m.split("/", 1)[1] for m in members if "/" in m}
        pkg_info = archive.extractfile(f"{top}/PKG-INFO")
        reference = parse_metadata(pkg_info.read().decode()) if pkg_info else {}
    missing = [n for n in SDIST_NEEDS if n not in inside]
    binaries = [n for n in inside if n.endswith((".so", ".pyd", ".pyc"))]
    record(
        sdist.name,
        "-",
        f"{len(inside)} files; missing {missing or 'none'}; binaries {binaries or 'none'}",
        not missing and not binaries,
    )
    version = reference["Version"][0]
    record(
        sdist.name,
        "-",
        f"PKG-INFO: version {version}, License-Expression "
        f"{reference.get('License-Expression')}, {len(reference.get('Project-URL', []))} URLs, "
        f"{len(reference.get('Classifier', []))} classifiers",
        reference.get("License-Expression") == ["MIT"]
        and len(reference.get("Project-URL", [])) >= 5,
    )
    expected_requirements = sorted(map(normal_requirement, reference.get("Requires-Dist", [])))
    files_of: dict[str, set[str]] = {}
    for wheel in [*pure, *native]:
        fields, names = wheel_metadata(wheel)
        differ = [
            f for f in SAME_FIELDS if sorted(fields.get(f, [])) != sorted(reference.get(f, []))
        ]
        requirements = sorted(map(normal_requirement, fields.get("Requires-Dist", [])))
        if requirements != expected_requirements:
            differ.append("Requires-Dist")
        licences = [
            n.split(".dist-info/licenses/", 1)[1] for n in names if ".dist-info/licenses/" in n
        ]
        lacking = [f for f in LICENSE_FILES if f not in licences]
        record(
            wheel.name,
            "-",
            f"metadata differs from the sdist in {differ or 'nothing'}; "
            f"licence files lacking {lacking or 'none'}",
            not differ and not lacking,
        )
        files_of[wheel.name] = {n for n in names if ".dist-info/" not in n}
    pure_files = files_of[pure[0].name]
    for wheel in native:
        modules = {n for n in files_of[wheel.name] if re.match(r"fluent_ai/_core\..*(so|pyd)$", n)}
        rest = files_of[wheel.name] - modules
        record(
            wheel.name,
            "-",
            f"native module {sorted(modules)}; other files equal to the pure "
            f"wheel's: {rest == pure_files} ({len(rest)} files)",
            len(modules) == 1 and rest == pure_files,
        )
        if "linux" in wheel.name:
            audit(wheel)
    record(
        pure[0].name,
        "-",
        f"{len(pure_files)} files, no native module",
        not any(n.endswith((".so", ".pyd")) for n in pure_files),
    )
    return sdist, pure[0], native


def audit(wheel: Path) -> None:
    tool = shutil.which("auditwheel", path=str(Path(sys.executable).parent)) or "auditwheel"
    code, out = run([tool, "show", str(wheel)])
    found = re.search(r'consistent\s+with\s+the\s+following\s+platform\s+tag:\s*"([^"]+)"', out)
    consistent = found.group(1) if found else "?"
    tags = wheel.name[:-4].split("-")[-1].split(".")
    # The oldest libc the project promises: glibc 2.17 (manylinux2014) or musl 1.2.
    promised = "musllinux_1_2" if "musllinux" in wheel.name else "manylinux_2_17"
    record(
        wheel.name,
        "-",
        f"auditwheel show: consistent with {consistent}; promised {promised}",
        code == 0 and consistent in tags and consistent.startswith(promised),
    )


# --- 2-4. installs -----------------------------------------------------------------------------


def pythons(explicit: list[str]) -> list[tuple[str, Path]]:
    """(label, interpreter) of every CPython pyenv has, oldest first, or the given ones."""
    found: list[Path] = [Path(p) for p in explicit]
    if not found:
        root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
        for version in sorted(root.glob("*")) if root.is_dir() else []:
            for name in ("python3", "python"):
                if (version / "bin" / name).is_file():
                    found.append(version / "bin" / name)
                    break
            found += sorted(version.glob("bin/python3.*t"))
    labelled = []
    for interpreter in found:
        probe = (
            "import sys, sysconfig; print('%d.%d.%d' % sys.version_info[:3]"
            " + ('t' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''))"
        )
        code, out = run([str(interpreter), "-c", probe])
        if code == 0:
            labelled.append((out.strip(), interpreter))
    key = lambda item: tuple(int(x) for x in re.findall(r"\d+", item[0])[:3])  # noqa: E731
    return sorted(labelled, key=key)


def supported(label: str) -> bool:
    major, minor = (int(x) for x in label.split(".")[:2])
    return (major, minor) >= (3, 9)


def runs_here(wheel: Path) -> str | None:
    """Why this machine cannot install the wheel, or None when it can."""
    name = wheel.name
    machine = platform.machine().lower()
    if name.endswith("-any.whl"):
        return None
    if "linux" not in name:
        return "not a Linux wheel"
    if machine not in name:
        return f"built for another CPU (this machine is {machine})"
    libc = platform.libc_ver()[0]
    if "musllinux" in name and libc == "glibc":
        return "musl wheel on a glibc machine"
    if "manylinux" in name and libc != "glibc":
        return "glibc wheel on a musl machine"
    return None


def venv(work: Path, name: str, interpreter: Path) -> Path:
    target = work / name
    shutil.rmtree(target, ignore_errors=True)
    code, out = run([str(interpreter), "-m", "venv", str(target)])
    if code:
        raise SystemExit(f"venv for {interpreter} failed:\n{out}")
    return target / "Scripts" / "python.exe" if os.name == "nt" else target / "bin" / "python"


def smoke(python: Path, expect: str, version: str) -> tuple[bool, str]:
    code, out = run(
        [str(python), str(SMOKE), "--expect", expect, "--version", version], timeout=120
    )
    last = out.strip().splitlines()[-1] if out.strip() else "(no output)"
    return code == 0, last if code == 0 else out.strip()[-2000:]


def check_wheel(work: Path, wheel: Path, label: str, interpreter: Path, version: str) -> None:
    expect = "python" if wheel.name.endswith("-any.whl") else "native"
    kind = "pure" if expect == "python" else "native"
    python = venv(work, f"{label}-{kind}", interpreter)
    code, out = run([str(python), "-m", "pip", "install", "-q", str(wheel)])
    if code:
        record(wheel.name, label, f"pip install failed: {out.strip()[-800:]}", False)
        return
    ok, said = smoke(python, expect, version)
    record(wheel.name, label, said, ok)


def check_sdist(work: Path, sdist: Path, label: str, interpreter: Path, version: str) -> None:
    python = venv(work, f"{label}-sdist", interpreter)
    # The runtime dependencies first (from the index), then the sdist itself offline.
    code, out = run(
        [
            str(python),
            *("-m", "pip", "install", "-q"),
            "httpx2>=2.12; python_version >= '3.11'",
            "httpx>=0.27; python_version < '3.11'",
        ]
    )
    if code:
        record(sdist.name, label, f"installing httpx failed: {out.strip()[-400:]}", False)
        return
    cargo_free = [
        p
        for p in os.environ.get("PATH", "").split(os.pathsep)
        if p and not (Path(p) / "cargo").exists()
    ]
    env = {
        "PATH": os.pathsep.join([str(python.parent), *cargo_free]),
        "PIP_NO_INDEX": "1",
        "PIP_NO_CACHE_DIR": "1",
        "CARGO_HOME": "/nonexistent",
        "RUSTUP_HOME": "/nonexistent",
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    start = time.monotonic()
    code, out = run([str(python), "-m", "pip", "install", "-v", "--no-index", str(sdist)], env=env)
    seconds = time.monotonic() - start
    notice = next(
        (line.strip() for line in out.splitlines() if "built the pure-Python" in line), ""
    )
    if code:
        record(sdist.name, label, f"offline install without cargo failed:\n{out[-2000:]}", False)
        return
    record(
        sdist.name,
        label,
        f"offline install without cargo: {seconds:.1f} s; notice: {notice}",
        seconds < SDIST_SECONDS and "pure-Python" in notice,
    )
    ok, said = smoke(python, "python", version)
    record(sdist.name, label, said, ok)


def check_refused(work: Path, artifact: Path, label: str, interpreter: Path) -> None:
    target = work / f"refused-{label}"
    shutil.rmtree(target, ignore_errors=True)
    env = {
        "PATH": os.pathsep.join(
            p
            for p in os.environ.get("PATH", "").split(os.pathsep)
            if p and not (Path(p) / "cargo").exists()
        )
    }
    code, out = run(
        [
            str(interpreter),
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-deps",
            "--target",
            str(target),
            str(artifact),
        ],
        env=env,
        timeout=120,
    )
    reasons = [
        line.strip()
        for line in out.splitlines()
        if re.search(
            r"ERROR|[Rr]equires a different Python|not a supported wheel|"
            r"SyntaxError|[Ee]rror:",
            line,
        )
    ]
    reason = reasons[-1] if reasons else out.strip().splitlines()[-1] if out.strip() else ""
    installed = target.is_dir() and any(target.glob("fluent_ai*"))
    record(artifact.name, label, f"refused: {reason[:200]}", code != 0 and not installed)
    shutil.rmtree(target, ignore_errors=True)


def smoke_only(args: argparse.Namespace) -> int:
    wheels = sorted(args.dist.glob("*.whl"))
    record(str(args.dist), "-", f"{len(wheels)} wheels", bool(wheels))
    interpreters = [Path(p) for p in args.python] or [Path(sys.executable)]
    args.work.mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        version = wheel.name.split("-")[1]
        for interpreter in interpreters:
            _, label = run(
                [str(interpreter), "-c", "import platform; print(platform.python_version())"]
            )
            check_wheel(args.work, wheel, label.strip() or str(interpreter), interpreter, version)
    failed = [row for row in ROWS if not row.ok]
    print(f"\n{len(ROWS) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "target" / "dist-check")
    parser.add_argument("--python", action="append", default=[], help="interpreters to use")
    parser.add_argument("--quick", action="store_true", help="oldest and newest CPython only")
    parser.add_argument(
        "--smoke-only",
        action="store_true",
        help="smoke-test every wheel in --dist with the --python interpreters "
        "(default: this one), skipping the rest (the release workflow's test)",
    )
    args = parser.parse_args()
    started = time.monotonic()
    if args.smoke_only:
        return smoke_only(args)
    sdist, pure, native = inspect(args.dist)
    version = sdist.name[len("fluent_ai-") : -len(".tar.gz")]
    found = pythons(args.python)
    current = [(label, p) for label, p in found if supported(label) and not label.endswith("t")]
    threaded = [(label, p) for label, p in found if label.endswith("t")]
    old = [(label, p) for label, p in found if not supported(label)]
    if args.quick and len(current) > 2:
        current = [current[0], current[-1]]
    if not current:
        record("-", "-", "no CPython >= 3.9 found", False)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    for wheel in [pure, *native]:
        why_not = runs_here(wheel)
        if why_not:
            record(
                wheel.name,
                "-",
                f"not installed here: {why_not} (the release workflow tests it on its platform)",
                True,
            )
            continue
        for label, interpreter in [*current, *threaded]:
            if label.endswith("t") and not wheel.name.endswith("-any.whl"):
                record(
                    wheel.name,
                    label,
                    "not installable: an abi3 wheel does not load on a "
                    "free-threaded CPython (no stable ABI there); pip takes the pure wheel",
                    True,
                )
                continue
            check_wheel(work, wheel, label, interpreter, version)
    if current:
        check_sdist(work, sdist, current[0][0], current[0][1], version)
    if not threaded:
        record(
            "-",
            "3.13t/3.14t",
            "no free-threaded CPython on this machine (pyenv could build "
            "one only by downloading its source, which this network does not allow)",
            True,
        )
    for label, interpreter in old:
        for artifact in [pure, *[w for w in native if runs_here(w) is None], sdist]:
            check_refused(work, artifact, label, interpreter)
    failed = [row for row in ROWS if not row.ok]
    print(
        f"\n{len(ROWS) - len(failed)} passed, {len(failed)} failed "
        f"({time.monotonic() - started:.0f} s)"
    )
    for row in failed:
        print(f"FAILED: {row.artifact} | {row.python} | {row.result}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
