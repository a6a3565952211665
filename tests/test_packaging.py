"""The in-tree build backend (build_backend/fluent_ai_build.py): sdist and pure wheel.

The native path is maturin's and is exercised by ``make dist``; here the rules of the backend
itself: when it asks for maturin, what the pure wheel and the sdist hold, and that a pure wheel
built from the sdist is byte for byte the one built from the checkout.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import io
import os
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "fluent_ai"
LICENSES = ("LICENSE", "THIRD_PARTY_LICENSES", "python/fluent_ai/catalog/LITELLM-LICENSE.txt")


def load_backend(root: Path) -> ModuleType:
    """The backend module of the source tree ``root`` (a checkout or an unpacked sdist)."""
    path = root / "build_backend" / "fluent_ai_build.py"
    spec = importlib.util.spec_from_file_location(f"fluent_ai_build_{abs(hash(root))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    pytest.importorskip("tomllib" if __import__("sys").version_info >= (3, 11) else "tomli")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.delenv("FLUENT_AI_PURE", raising=False)
    return load_backend(ROOT)


def cargo_version() -> str:
    for line in (ROOT / "Cargo.toml").read_text().splitlines():
        if line.startswith("version = "):
            return line.split('"')[1]
    raise AssertionError("no version in Cargo.toml")


def shipped_sources() -> set[str]:
    """The files of python/fluent_ai that a wheel must hold (no caches, no native module)."""
    found = set()
    for path in PACKAGE.rglob("*"):
        relative = path.relative_to(PACKAGE.parent)
        cache = "__pycache__" in relative.parts or path.name.endswith((".pyc", ".so", ".pyd"))
        if path.is_file() and not cache:
            found.add(relative.as_posix())
    return found


def test_maturin_is_asked_for_only_for_a_native_build(
    backend: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    cargo = fake_bin / "cargo"
    cargo.write_text("#!/bin/sh\nexit 0\n")
    cargo.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_bin))
    assert backend.get_requires_for_build_wheel() == [backend.MATURIN]
    monkeypatch.setenv("FLUENT_AI_PURE", "1")
    assert backend.MATURIN not in backend.get_requires_for_build_wheel()
    monkeypatch.setenv("FLUENT_AI_PURE", "0")
    assert backend.get_requires_for_build_wheel() == [backend.MATURIN]
    monkeypatch.delenv("FLUENT_AI_PURE")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no cargo anywhere
    assert backend.MATURIN not in backend.get_requires_for_build_wheel()
    assert backend.MATURIN not in backend.get_requires_for_build_sdist()


def test_the_pure_wheel_holds_the_package_metadata_and_licences(
    backend: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FLUENT_AI_PURE", "1")
    version = cargo_version()
    name = backend.build_wheel(str(tmp_path))
    assert name == f"fluent_ai-{version}-py3-none-any.whl"
    notice = capsys.readouterr().err.strip().splitlines()
    assert len(notice) == 1 and "built the pure-Python wheel" in notice[0]
    dist_info = f"fluent_ai-{version}.dist-info"
    with zipfile.ZipFile(tmp_path / name) as wheel:
        names = set(wheel.namelist())
        assert {n for n in names if not n.startswith(dist_info)} == shipped_sources()
        assert not any("_core." in n and n.endswith((".so", ".pyd")) for n in names)
        for licence in LICENSES:
            assert wheel.read(f"{dist_info}/licenses/{licence}") == (ROOT / licence).read_bytes()
        head = wheel.read(f"{dist_info}/WHEEL").decode()
        assert "Tag: py3-none-any\n" in head and "Root-Is-Purelib: true\n" in head
        metadata = Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
        # Every entry is in RECORD with its true hash and size.
        rows = list(csv.reader(io.StringIO(wheel.read(f"{dist_info}/RECORD").decode())))
        recorded = {row[0]: row for row in rows}
        assert set(recorded) == names
        for entry, digest, size in rows:
            if entry == f"{dist_info}/RECORD":
                assert digest == size == ""
                continue
            data = wheel.read(entry)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert (digest, int(size)) == (f"sha256={expected.decode()}", len(data)), entry
    assert metadata["Name"] == "fluent-ai" and metadata["Version"] == version
    assert metadata["Metadata-Version"] == "2.4"
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == list(LICENSES)
    assert metadata["Requires-Python"] == ">=3.9"
    requires = metadata.get_all("Requires-Dist")
    assert "httpx2>=2.12; python_version >= '3.11'" in requires
    assert "httpx>=0.27; python_version < '3.11'" in requires
    assert 'cryptography>=42; extra == "vertex"' in metadata.get_all("Requires-Dist")
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues", "Changelog"}
    classifiers = metadata.get_all("Classifier")
    for minor in range(9, 14):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert "Typing :: Typed" in classifiers
    assert metadata.get_payload() == (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_sdist_builds_the_same_pure_wheel_as_the_checkout(
    backend: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    version = cargo_version()
    sdist = backend.build_sdist(str(tmp_path))
    assert sdist == f"fluent_ai-{version}.tar.gz"
    with tarfile.open(tmp_path / sdist) as archive:
        members = archive.getnames()
        assert all(m.startswith(f"fluent_ai-{version}/") for m in members)
        inside = {m.split("/", 1)[1] for m in members}
        for needed in (
            "PKG-INFO", "pyproject.toml", "Cargo.toml", "Cargo.lock", "CHANGELOG.md",
            "build_backend/fluent_ai_build.py", "rust/lib.rs", *LICENSES,
        ):  # fmt: skip
            assert needed in inside, needed
        assert {f"python/{s}" for s in shipped_sources()} <= inside
        assert not any(m.endswith((".so", ".pyd", ".pyc")) or "__pycache__" in m for m in inside)
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(tmp_path / "unpacked", **safe)  # type: ignore[arg-type]
    unpacked = tmp_path / "unpacked" / f"fluent_ai-{version}"
    monkeypatch.setenv("FLUENT_AI_PURE", "1")
    from_checkout, from_sdist = tmp_path / "checkout", tmp_path / "sdist"
    from_checkout.mkdir()
    from_sdist.mkdir()
    name = backend.build_wheel(str(from_checkout))
    assert load_backend(unpacked).build_wheel(str(from_sdist)) == name
    assert (from_sdist / name).read_bytes() == (from_checkout / name).read_bytes()


def test_the_sdist_keeps_source_mtimes_so_cargo_rebuilds_changed_files(
    backend: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A fixed old mtime would let a reused cargo target directory keep a stale native module.
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    sdist = backend.build_sdist(str(tmp_path))
    with tarfile.open(tmp_path / sdist) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/rust/lib.rs"))
    assert member.mtime == int(os.stat(ROOT / "rust" / "lib.rs").st_mtime)
