"""The PEP 517 build backend of fluent-ai: maturin when Rust is here, the pure wheel otherwise.

maturin alone cannot build fluent-ai without Rust: with no ``cargo`` it downloads a whole
toolchain, and offline it fails. This backend decides per build:

- native (``cargo`` on PATH and ``FLUENT_AI_PURE`` unset or ``0``): every hook is maturin's,
  and maturin is asked for only then, by ``get_requires_for_build_wheel``;
- pure (no ``cargo``, or ``FLUENT_AI_PURE=1``): a ``py3-none-any`` wheel of ``python/`` is
  zipped here with the standard library alone, in well under a second, and one line on stderr
  says so. Nothing is downloaded: ``[build-system] requires`` is empty.

The sdist is always made here (no Rust needed); it carries PKG-INFO, from which a pure build
takes its metadata, so the pure path needs no TOML parser on Python < 3.11 either. From a source
checkout the metadata comes from pyproject.toml (and the version from Cargo.toml, as maturin
does), read with tomllib or tomli.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import os
import shutil
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path
from typing import Any, Callable, Dict, Optional  # noqa: UP035  (Dict: see ConfigSettings)

ROOT = Path(__file__).resolve().parent.parent
NAME = "fluent-ai"
DIST_NAME = "fluent_ai"
PACKAGE = "fluent_ai"
MATURIN = "maturin>=1.9.4,<2"
TOMLI = "tomli>=1.1"
GENERATOR = "fluent_ai_build (in-tree PEP 517 backend)"
# What the sdist carries besides PKG-INFO: what both the maturin build and the pure build read.
SDIST_FILES = (
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "LICENSE",
    "THIRD_PARTY_LICENSES",
    "CHANGELOG.md",
)
SDIST_TREES = ("build_backend", "rust", "python")
# Never shipped: build products and caches that a source tree may hold.
_SKIP_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".dylib", ".dll")
# Zip and tar entries get this time (or SOURCE_DATE_EPOCH), so builds are reproducible.
_EPOCH_1980 = 315532800

# typing.Dict: this line runs on CPython 3.8 too, where pip must get a clean refusal.
ConfigSettings = Optional[Dict[str, Any]]  # noqa: UP006


# --- which build -------------------------------------------------------------------------------


def _wants_pure() -> bool:
    """True when the pure wheel is built: FLUENT_AI_PURE asks for it, or there is no cargo."""
    setting = os.environ.get("FLUENT_AI_PURE", "").strip().lower()
    if setting not in ("", "0", "false", "no"):
        return True
    return shutil.which("cargo") is None


def _notice_pure() -> None:
    reason = "FLUENT_AI_PURE is set" if shutil.which("cargo") else "no Rust toolchain (cargo)"
    print(
        f"fluent-ai: {reason}: built the pure-Python wheel (py3-none-any); the core runs in "
        "Python (slower), fluent_ai.backend().name == 'python'",
        file=sys.stderr,
    )


def _maturin() -> Any:
    import maturin  # type: ignore[import-untyped, import-not-found, unused-ignore]  # noqa: PLC0415  (asked for natively only)

    return maturin


def _native(hook: str, *args: Any) -> Any:
    function: Callable[..., Any] = getattr(_maturin(), hook)
    try:
        return function(*args)
    except (Exception, SystemExit):  # maturin's hooks sys.exit() when cargo fails
        print(
            "fluent-ai: the native build (maturin) failed; FLUENT_AI_PURE=1 builds the "
            "pure-Python wheel instead",
            file=sys.stderr,
        )
        raise


# --- metadata ----------------------------------------------------------------------------------


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415
    else:
        import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]  # noqa: PLC0415
    with path.open("rb") as file:
        return tomllib.load(file)


def _has_pkg_info() -> bool:
    return (ROOT / "PKG-INFO").is_file()


def _metadata() -> str:
    """The core metadata (PKG-INFO / METADATA text): the sdist's, or made from pyproject.toml."""
    if _has_pkg_info():
        return (ROOT / "PKG-INFO").read_text(encoding="utf-8")
    return _metadata_from_pyproject()


def _metadata_from_pyproject() -> str:
    project = _load_toml(ROOT / "pyproject.toml")["project"]
    version = _load_toml(ROOT / "Cargo.toml")["package"]["version"]
    lines = [
        "Metadata-Version: 2.4",
        f"Name: {project['name']}",
        f"Version: {version}",
    ]
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    lines += [f"Requires-Dist: {r}" for r in project.get("dependencies", [])]
    for extra, requirements in project.get("optional-dependencies", {}).items():
        for requirement in requirements:
            joiner = " and " if ";" in requirement else "; "
            marker = f'extra == "{extra}"'
            if ";" in requirement:
                spec, condition = requirement.split(";", 1)
                lines.append(
                    f"Requires-Dist: {spec.strip()}; ({condition.strip()}){joiner}{marker}"
                )
            else:
                lines.append(f"Requires-Dist: {requirement}{joiner}{marker}")
        lines.append(f"Provides-Extra: {extra}")
    lines.append(f"Summary: {project['description']}")
    if "keywords" in project:
        lines.append(f"Keywords: {','.join(project['keywords'])}")
    lines.append(f"License-Expression: {project['license']}")
    lines += [f"License-File: {path}" for path in _license_files(project)]
    lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Project-URL: {label}, {url}" for label, url in project.get("urls", {}).items()]
    lines.append("Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM")
    readme = (ROOT / str(project["readme"])).read_text(encoding="utf-8")
    return "\n".join(lines) + "\n\n" + readme


def _license_files(project: dict[str, Any]) -> list[str]:
    """The license-files globs of pyproject.toml, resolved (each must match something)."""
    found: list[str] = []
    for pattern in project.get("license-files", []):
        matches = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern))
        if not matches:
            raise FileNotFoundError(f"license-files pattern {pattern!r} matches no file")
        found += [m for m in matches if m not in found]
    return found


def _fields(metadata: str) -> tuple[str, list[str]]:
    """The version and the License-File paths of a metadata text."""
    message = Parser().parsestr(metadata, headersonly=True)
    return str(message["Version"]), list(message.get_all("License-File") or [])


# --- archives ----------------------------------------------------------------------------------


def _timestamp() -> int:
    return max(int(os.environ.get("SOURCE_DATE_EPOCH", _EPOCH_1980)), _EPOCH_1980)


def _shipped(path: Path) -> bool:
    return not (_SKIP_PARTS & set(path.parts)) and not path.name.endswith(_SKIP_SUFFIXES)


def _tree(top: Path) -> Iterator[Path]:
    for path in sorted(top.rglob("*")):
        if path.is_file() and _shipped(path.relative_to(ROOT)):
            yield path


class _Wheel:
    """A wheel being written: entries in a fixed order and time, then RECORD."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.records: list[tuple[str, str, int]] = []
        self.when = time.gmtime(_timestamp())[:6]

    def add(self, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=self.when)
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        self.records.append((name, f"sha256={digest.decode()}", len(data)))

    def close(self, record: str) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows([*self.records, (record, "", "")])
        info = zipfile.ZipInfo(record, date_time=self.when)
        info.external_attr = 0o644 << 16
        self.zip.writestr(info, out.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
        self.zip.close()


def _entry_points() -> str:
    """entry_points.txt from pyproject.toml's ``[project.scripts]`` and
    ``[project.entry-points.<group>]`` tables (read line by line: ``name = "object"`` entries
    only, so that no TOML parser is needed offline on Python < 3.11)."""
    groups: dict[str, list[str]] = {}
    group = None
    for raw in (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("["):
            table = line.strip("[]").strip()
            if table == "project.scripts":
                group = "console_scripts"
            elif table.startswith("project.entry-points."):
                group = table[len("project.entry-points.") :].strip('"')
            else:
                group = None
        elif group is not None and "=" in line and not line.startswith("#"):
            name, _, value = line.partition("=")
            entry = f"{name.strip().strip(chr(34))} = {value.strip().strip(chr(34))}"
            groups.setdefault(group, []).append(entry)
    return "".join(
        f"[{name}]\n" + "".join(entry + "\n" for entry in entries) + "\n"
        for name, entries in groups.items()
    )


def _dist_info(wheel: _Wheel, dist_info: str, metadata: str, tag: str) -> None:
    for path in _fields(metadata)[1]:
        wheel.add(f"{dist_info}/licenses/{path}", (ROOT / path).read_bytes())
    wheel.add(f"{dist_info}/METADATA", metadata.encode("utf-8"))
    entry_points = _entry_points()
    if entry_points:
        wheel.add(f"{dist_info}/entry_points.txt", entry_points.encode())
    head = f"Wheel-Version: 1.0\nGenerator: {GENERATOR}\nRoot-Is-Purelib: true\nTag: {tag}\n"
    wheel.add(f"{dist_info}/WHEEL", head.encode())


def _build_pure(wheel_directory: str, editable: bool = False) -> str:
    metadata = _metadata()
    version = _fields(metadata)[0]
    tag = "py3-none-any"
    name = f"{DIST_NAME}-{version}-{tag}.whl"
    dist_info = f"{DIST_NAME}-{version}.dist-info"
    wheel = _Wheel(Path(wheel_directory) / name)
    source = ROOT / "python"
    if editable:
        wheel.add(f"_{DIST_NAME}_editable.pth", (str(source) + "\n").encode())
    else:
        for path in _tree(source / PACKAGE):
            wheel.add(path.relative_to(source).as_posix(), path.read_bytes())
    _dist_info(wheel, dist_info, metadata, tag)
    wheel.close(f"{dist_info}/RECORD")
    _notice_pure()
    return name


# --- PEP 517 hooks -----------------------------------------------------------------------------


def _toml_requires() -> list[str]:
    """tomli, when metadata must come from pyproject.toml on a Python without tomllib."""
    return [TOMLI] if sys.version_info < (3, 11) and not _has_pkg_info() else []


def get_requires_for_build_wheel(config_settings: ConfigSettings = None) -> list[str]:
    return [MATURIN] if not _wants_pure() else _toml_requires()


def get_requires_for_build_editable(config_settings: ConfigSettings = None) -> list[str]:
    return get_requires_for_build_wheel(config_settings)


def get_requires_for_build_sdist(config_settings: ConfigSettings = None) -> list[str]:
    return _toml_requires()


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: ConfigSettings = None
) -> str:
    if not _wants_pure():
        return str(_native("prepare_metadata_for_build_wheel", metadata_directory, config_settings))
    metadata = _metadata()
    dist_info = f"{DIST_NAME}-{_fields(metadata)[0]}.dist-info"
    target = Path(metadata_directory) / dist_info
    (target / "licenses").mkdir(parents=True, exist_ok=True)
    for path in _fields(metadata)[1]:
        (target / "licenses" / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / path, target / "licenses" / path)
    (target / "METADATA").write_text(metadata, encoding="utf-8")
    entry_points = _entry_points()
    if entry_points:
        (target / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    head = f"Wheel-Version: 1.0\nGenerator: {GENERATOR}\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    (target / "WHEEL").write_text(head, encoding="utf-8")
    return dist_info


def build_wheel(
    wheel_directory: str,
    config_settings: ConfigSettings = None,
    metadata_directory: str | None = None,
) -> str:
    if not _wants_pure():
        args = (wheel_directory, config_settings, metadata_directory)
        return str(_native("build_wheel", *args))
    return _build_pure(wheel_directory)


def build_editable(
    wheel_directory: str,
    config_settings: ConfigSettings = None,
    metadata_directory: str | None = None,
) -> str:
    if not _wants_pure():
        args = (wheel_directory, config_settings, metadata_directory)
        return str(_native("build_editable", *args))
    return _build_pure(wheel_directory, editable=True)


def build_sdist(sdist_directory: str, config_settings: ConfigSettings = None) -> str:
    metadata = _metadata()
    version = _fields(metadata)[0]
    top = f"{DIST_NAME}-{version}"
    name = f"{top}.tar.gz"
    files = [ROOT / f for f in SDIST_FILES]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"the sdist needs {', '.join(missing)} in {ROOT}")
    for tree in SDIST_TREES:
        files += _tree(ROOT / tree)
    # Files keep their own mtimes (clamped to SOURCE_DATE_EPOCH when that is set, for
    # reproducible builds): cargo decides what to rebuild by mtime, so a fixed old time would
    # let a reused target directory serve a stale native module after a source change.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    clamp = int(epoch) if epoch else None
    when = clamp if clamp is not None else int(time.time())

    def add(archive: tarfile.TarFile, arcname: str, data: bytes, mtime: int) -> None:
        info = tarfile.TarInfo(f"{top}/{arcname}")
        info.size, info.mode = len(data), 0o644
        info.mtime = mtime if clamp is None else min(mtime, clamp)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        archive.addfile(info, io.BytesIO(data))

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        add(archive, "PKG-INFO", metadata.encode("utf-8"), when)
        for path in files:
            data = path.read_bytes()
            add(archive, path.relative_to(ROOT).as_posix(), data, int(path.stat().st_mtime))
    with (
        (Path(sdist_directory) / name).open("wb") as out,
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=when) as packed,
    ):
        packed.write(raw.getvalue())
    return name
