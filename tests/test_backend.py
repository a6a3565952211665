"""Backend selection, and that both backends expose the same API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from api_shape import assert_same_methods, needs_class_signatures, parameters

import fluent_ai
from fluent_ai import _core, _purepy

PUBLIC_CLASSES = [
    "EventStreamDecoder",
    "EventStreamMessage",
    "JsonStream",
    "NdjsonDecoder",
    "SseDecoder",
    "SseEvent",
]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def public_names(module: ModuleType) -> set[str]:
    return {name for name in module.__all__ if not name.startswith("_")}


def test_both_backends_expose_the_same_public_names() -> None:
    assert public_names(_core) == public_names(_purepy)
    assert set(PUBLIC_CLASSES) <= public_names(_core)


@needs_class_signatures
@pytest.mark.parametrize("name", PUBLIC_CLASSES)
def test_both_backends_have_the_same_constructors(name: str) -> None:
    assert parameters(getattr(_core, name)) == parameters(getattr(_purepy, name))


@pytest.mark.parametrize("name", PUBLIC_CLASSES)
def test_both_backends_have_the_same_methods(name: str) -> None:
    assert_same_methods(getattr(_core, name), getattr(_purepy, name))


def test_the_native_module_really_loaded() -> None:
    # Under FLUENT_AI_BACKEND=python the public API deliberately uses the fallback.
    expected = "python" if os.environ.get("FLUENT_AI_BACKEND") == "python" else "native"
    info = fluent_ai.backend()
    assert info.name == expected
    assert _core.__file__ is not None and _core.__file__.endswith((".so", ".pyd"))
    if expected == "native":
        assert fluent_ai.JsonStream is _core.JsonStream
        assert info.simd in {"avx2", "sse2", "neon", "scalar"}


def test_native_json_feed_checks_its_receiver() -> None:
    # On CPython 3.10+ `JsonStream.feed` is a hand-built fastcall method: its descriptor must
    # still refuse other objects before the Rust code sees them.
    with pytest.raises(TypeError, match="JsonStream"):
        _core.JsonStream.feed(object(), "[]")  # type: ignore[arg-type]
    assert _core.JsonStream.feed.__doc__ == _purepy.JsonStream.feed.__doc__.replace("``", "`")


def test_versions_agree_with_the_crate() -> None:
    cargo = Path(__file__).resolve().parents[1] / "Cargo.toml"
    version = re.search(r'^version = "([^"]+)"', cargo.read_text(), re.MULTILINE)
    assert version is not None
    assert _core.__version__ == _purepy.__version__ == version.group(1)
    assert fluent_ai.backend().version == version.group(1)


def test_python_backend_is_selected_by_the_environment() -> None:
    result = run_python(
        "import fluent_ai; b = fluent_ai.backend(); print(b.name, b.simd, "
        "fluent_ai.JsonStream.__module__)",
        FLUENT_AI_BACKEND="python",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["python", "None", "fluent_ai._purepy.json.stream"]


def test_native_backend_is_selected_by_the_environment() -> None:
    result = run_python(
        "import fluent_ai; print(fluent_ai.backend().name)", FLUENT_AI_BACKEND="native"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "native"


def test_native_backend_fails_loudly_when_the_module_is_missing() -> None:
    # Hide the native module by making its import fail.
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'fluent_ai._core': raise ImportError('blocked for the test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import fluent_ai\n"
    )
    result = run_python(code, FLUENT_AI_BACKEND="native")
    assert result.returncode != 0
    assert "FLUENT_AI_BACKEND=native" in result.stderr
    assert "blocked for the test" in result.stderr
    auto = run_python(code + "print(fluent_ai.backend().name)", FLUENT_AI_BACKEND="auto")
    assert auto.returncode == 0, auto.stderr
    assert auto.stdout.strip() == "python"


def test_unknown_backend_name_is_rejected() -> None:
    result = run_python("import fluent_ai", FLUENT_AI_BACKEND="fortran")
    assert result.returncode != 0
    assert "FLUENT_AI_BACKEND='fortran'" in result.stderr


def cpu_has_avx2() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    return cpuinfo.exists() and " avx2" in cpuinfo.read_text()


def expected_default_simd() -> str | None:
    if cpu_has_avx2():
        return "avx2"
    return None  # another machine: any non-scalar level the platform offers


def test_simd_can_be_switched_off() -> None:
    result = run_python("import fluent_ai; print(fluent_ai.backend().simd)", FLUENT_AI_SIMD="off")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "scalar"
    default = run_python("import fluent_ai; print(fluent_ai.backend().simd)", FLUENT_AI_SIMD="")
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip() == (expected_default_simd() or default.stdout.strip())
    assert default.stdout.strip() != "scalar" or sys.platform not in {"linux", "darwin"}


def test_simd_level_in_this_process_matches_the_environment() -> None:
    # The suite also runs with a level forced (FLUENT_AI_SIMD=off, sse2: see the Makefile).
    asked = os.environ.get("FLUENT_AI_SIMD", "").strip().lower()
    if asked in {"off", "scalar"}:
        assert _core.SIMD_LEVEL == "scalar"
    elif asked not in {"", "auto"}:
        assert asked == _core.SIMD_LEVEL
    elif cpu_has_avx2():
        assert _core.SIMD_LEVEL == "avx2"
