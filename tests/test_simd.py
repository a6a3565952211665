"""FLUENT_AI_SIMD: every kernel level the CPU has is forced in turn (in a subprocess, since the
level is chosen once per process) and must decode exactly as the pure-Python backend does;
bad values and levels the CPU lacks fail the import loudly.

The Rust unit tests in rust/simd.rs compare each kernel with scalar code byte by byte; these
tests prove the whole native module runs (and reports) the forced level."""

from __future__ import annotations

import importlib.util
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fluent_ai
from fluent_ai import _core

X86 = platform.machine().lower() in {"x86_64", "amd64"}
ARM = platform.machine().lower() in {"aarch64", "arm64"}


def cpu_has_avx2() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    return cpuinfo.exists() and " avx2" in cpuinfo.read_text()


def supported_levels() -> list[str]:
    """The levels this machine must accept (what rust/simd.rs supports on it)."""
    levels = []
    if X86:
        levels += ["avx2"] if cpu_has_avx2() else []
        levels += ["sse2"]
    if ARM:
        levels += ["neon"]
    return [*levels, "scalar"]


def lacking_levels() -> list[str]:
    return [level for level in ("avx2", "sse2", "neon") if level not in supported_levels()]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FLUENT_AI_")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        check=False,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def simd_under(value: str, backend: str = "native") -> subprocess.CompletedProcess[str]:
    return run_python(
        "import fluent_ai; print(fluent_ai.backend().simd)",
        FLUENT_AI_SIMD=value,
        FLUENT_AI_BACKEND=backend,
    )


def test_the_machine_has_more_than_scalar_to_test() -> None:
    if X86 or ARM:
        assert len(supported_levels()) >= 2


@pytest.mark.parametrize("level", supported_levels())
def test_backend_reports_the_forced_level(level: str) -> None:
    for spelling in (level, level.upper(), f" {level}\n"):
        result = simd_under(spelling)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == level


def test_off_is_scalar_and_auto_or_empty_detect() -> None:
    assert simd_under("off").stdout.strip() == "scalar"
    best = supported_levels()[0]
    for value in ("auto", "AUTO", "", "  "):
        result = simd_under(value)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == best
    unset = run_python("import fluent_ai; print(fluent_ai.backend().simd)")
    assert unset.stdout.strip() == best


@pytest.mark.parametrize("backend", ["native", "python", "auto"])
@pytest.mark.parametrize("value", ["0", "on", "avx512", "sse4.2", "fast", "scalar,sse2"])
def test_unknown_values_fail_the_import_naming_variable_and_choices(
    value: str, backend: str
) -> None:
    result = simd_under(value, backend)
    assert result.returncode != 0
    assert f"ValueError: FLUENT_AI_SIMD={value!r} is not a SIMD level" in result.stderr
    assert "auto, avx2, sse2, neon, scalar, off" in result.stderr


@pytest.mark.parametrize("level", lacking_levels() or ["<none>"])
def test_a_level_the_cpu_lacks_is_refused(level: str) -> None:
    if level == "<none>":
        pytest.fail("this platform supports every level: nothing to refuse?")
    result = simd_under(level)
    assert result.returncode != 0
    assert f"FLUENT_AI_SIMD='{level}' asks for {level} kernels" in result.stderr
    assert "lacks" in result.stderr
    assert "ValueError" in result.stderr
    # The pure-Python backend runs no kernel: a valid level name is accepted there.
    assert simd_under(level, "python").stdout.strip() == "None"


def test_the_native_module_checks_the_setting_itself() -> None:
    """Loaded on its own (not through fluent_ai._backend), the module refuses a bad value."""
    code = f"""
        import importlib.util
        spec = importlib.util.spec_from_file_location("fluent_ai._core", {_core.__file__!r})
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except ValueError as error:
            print("ValueError:", error)
        else:
            print("loaded", module.SIMD_LEVEL)
    """
    bad = run_python(code, FLUENT_AI_SIMD="avx512")
    assert bad.stdout.startswith("ValueError: FLUENT_AI_SIMD='avx512' is not a SIMD level"), (
        bad.stdout + bad.stderr
    )
    for level in lacking_levels():
        lacking = run_python(code, FLUENT_AI_SIMD=level)
        assert "lacks" in lacking.stdout, lacking.stdout + lacking.stderr
    good = run_python(code, FLUENT_AI_SIMD="sse2" if X86 else "scalar")
    assert good.stdout.strip() == f"loaded {'sse2' if X86 else 'scalar'}", good.stderr


# The check each forced level runs: JSON strings with every byte at every position of 16, 32
# and 64-byte windows (the kernels' block sizes), and line ends at every position, decoded by
# the native module and compared with the pure-Python one (same value, or same error).
_AGREEMENT = """
import fluent_ai
from fluent_ai import _core, _purepy

def outcome(core, feed):
    try:
        return ("ok", feed(core))
    except Exception as error:
        return (type(error).__name__, str(error), getattr(error, "position", None))

def json_stream(data):
    def run(core):
        stream = core.JsonStream()
        stream.feed(data)
        return stream.finish()
    return run

def json_lines(data):
    def run(core):
        decoder = core.NdjsonDecoder()
        return decoder.feed(data) + decoder.finish()
    return run

def sse(data):
    def run(core):
        decoder = core.SseDecoder()
        return [(e.event, e.data) for e in decoder.feed(data) + decoder.finish()]
    return run

checked = 0
failures = []

def compare(what, run):
    global checked
    checked += 1
    native, pure = outcome(_core, run), outcome(_purepy, run)
    if native != pure and len(failures) < 5:
        failures.append((what, native, pure))

FILLERS = [b"a", "\\u00e9".encode(), "\\U0001f600".encode()]
for window in (16, 32, 64):
    for width in (window - 1, window, window + 1):
        # Whole characters, padded to the width (the replaced byte may break one: both agree).
        for filler in FILLERS if width == window else FILLERS[:1]:
            body = filler * (width // len(filler))
            body += b"a" * (width - len(body))
            for position in range(width):
                for byte in range(256):
                    text = body[:position] + bytes([byte]) + body[position + 1 :]
                    data = b'["' + text + b'"]'
                    compare((width, filler, position, byte), json_stream(data))
        for position in range(width):
            for end in (b"\\n", b"\\r", b"\\r\\n"):
                line = b'"' + b"x" * position + b'"'
                compare(("ndjson", width, position, end), json_lines(line + end + b"1" + end))
                compare(("sse", width, position, end),
                        sse(b"data: " + b"y" * position + end + end + b"data: z" + end + end))
# A str fragment takes the same kernels after encoding.
for position in range(70):
    for ch in ('"', "\\\\", "\\x1f", "\\x00", "\\x7f", "\\u00ff"):
        text = "a" * position + ch + "b" * 40
        compare(("str", position, ch), json_stream('"' + text + '"'))
print(fluent_ai.backend().simd, checked, failures)
"""


@pytest.mark.parametrize("level", supported_levels())
def test_each_forced_level_decodes_as_the_pure_backend(level: str) -> None:
    result = run_python(_AGREEMENT, FLUENT_AI_SIMD=level, FLUENT_AI_BACKEND="native")
    assert result.returncode == 0, result.stderr
    reported, checked, failures = result.stdout.split(" ", 2)
    assert reported == level
    assert int(checked) > 90_000
    assert failures.strip() == "[]", failures


def test_this_process_runs_the_level_its_environment_asks_for() -> None:
    asked = os.environ.get("FLUENT_AI_SIMD", "").strip().lower()
    expected = {"": supported_levels()[0], "auto": supported_levels()[0], "off": "scalar"}
    assert expected.get(asked, asked) == _core.SIMD_LEVEL
    assert fluent_ai.backend().simd in {_core.SIMD_LEVEL, None}


def test_the_native_module_file_exists() -> None:
    # The subprocess checks above load this very file.
    assert importlib.util.find_spec("fluent_ai._core") is not None
    assert Path(_core.__file__ or "").exists()
