"""The documentation site, built with ``mkdocs build --strict`` and opened in a real browser.

The site is built once (into a temporary directory), served on 127.0.0.1, and the home page
and the API reference are loaded in headless Chromium: a screenshot of each must be a real
rendering (the window's size, many distinct colours, no colour covering nearly everything: a
blank or error page fails) and the DOM Chromium rendered must hold the pages' headings and the
API names mkdocstrings generated. Chromium is the Debian package ``chromium`` (``CHROMIUM``
names another binary); without it the test fails and says what to install.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# A desktop window (the layout with the navigation sidebar), drawn at half scale: the
# screenshot is 640 x 450, a quarter of the pixels to decode.
WINDOW = (1280, 900)
SCALE = 0.5
WIDTH, HEIGHT = int(WINDOW[0] * SCALE), int(WINDOW[1] * SCALE)


def chromium() -> str:
    """The Chromium binary, or a failure saying what to install."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        found = candidate and shutil.which(candidate)
        if found:
            return found
    pytest.fail(
        "Chromium is not installed: the docs site test needs a headless browser. Install the "
        "Debian package `chromium` (apt-get install -y chromium) or set CHROMIUM to a binary."
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built site, served on an ephemeral port of 127.0.0.1; yields its URL."""
    if importlib.util.find_spec("mkdocs") is None:
        pytest.fail("MkDocs is not installed: pip install --group docs (the test group has it)")
    directory = tmp_path_factory.mktemp("site")
    config = ["--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(directory)]
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", *config],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr[-4000:]}"
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def browse(url: str, profile: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # the CI container runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--force-device-scale-factor={SCALE}",
        *options,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the pixels (RGB(A) bytes) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
    size = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * size
    previous = bytearray(stride)
    pixels: list[bytes] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride if kind else 0):
            left = line[i - size] if i >= size else 0
            up = previous[i]
            corner = previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 0xFF
        pixels += [bytes(line[i : i + 3]) for i in range(0, stride, size * 4)]  # every 4th
        previous = line
    return width, height, pixels


def check_screenshot(path: Path) -> None:
    assert path.exists(), "Chromium wrote no screenshot"
    width, height, pixels = png_pixels(path.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    colours = Counter(pixels)
    assert len(colours) >= 64, f"only {len(colours)} colours: a blank or unstyled page"
    share = colours.most_common(1)[0][1] / len(pixels)
    assert share < 0.95, f"one colour covers {share:.0%} of the page"


PAGES = {
    # page: (headings and text the rendered DOM must hold)
    "": ["fluent-ai", "Quick start", "What is here", "Tool calling", "API reference"],
    "reference/client/": [
        'id="fluent_ai.client.Client"',
        'id="fluent_ai.client.Client.chat"',
        'id="fluent_ai.client.Client.stream"',
        'id="fluent_ai.client.AsyncClient"',
        "One whole answer from",  # Client.chat's docstring
    ],
    "reference/core/": ['id="fluent_ai._core.TextDelta"', 'id="fluent_ai._core.ToolCallDone"'],
}


@pytest.mark.parametrize("page", ["", "reference/client/"], ids=["home", "api-reference"])
def test_page_renders_in_chromium(page: str, site: str, tmp_path: Path) -> None:
    url = f"{site}/{page}"
    screenshot = tmp_path / "page.png"
    # One run: the screenshot, and the DOM as rendered (scripts run) on standard output.
    dom = browse(url, tmp_path / "profile", f"--screenshot={screenshot}", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    check_screenshot(screenshot)
    missing = [text for text in PAGES[page] if text not in dom.stdout]
    assert not missing, f"{url}: the rendered page lacks {missing}"
    assert "md-header" in dom.stdout  # the Material theme rendered it
    assert ":class:<code>" not in dom.stdout  # Sphinx roles rewritten (scripts/mkdocs_hooks.py)


def test_core_reference_is_generated(site: str, tmp_path: Path) -> None:
    dom = browse(f"{site}/reference/core/", tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    missing = [text for text in PAGES["reference/core/"] if text not in dom.stdout]
    assert not missing, f"the core's API reference lacks {missing}"


def test_blank_pages_are_refused(tmp_path: Path) -> None:
    """The screenshot check fails on what a broken site shows: one flat colour."""
    row = b"\x00" + b"\xff\xff\xff" * WIDTH
    data = zlib.compress(row * HEIGHT)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    blank = tmp_path / "blank.png"
    blank.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    with pytest.raises(AssertionError, match="colours"):
        check_screenshot(blank)
