"""A real ``redis-server`` for the router tests, on 127.0.0.1 and a port the OS gave, with
its files in a temporary directory; it can be killed, stopped (SIGSTOP) and started again on
the same port. Debian's package ``redis-server`` provides the binary: without it the tests
that need it fail with that message (never skip)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

__all__ = ["RedisServer"]

MISSING = (
    "redis-server is not installed: the router's Redis tests start a real one "
    "(Debian/Ubuntu: apt-get install -y redis-server; .ci/run installs it)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(MISSING, pytrace=False)
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        for _ in range(5):
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                    "--protected-mode",
                    "no",
                    "--loglevel",
                    "warning",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._ready():
                return
            self.process.kill()
            self.process.wait()
            self.port = free_port()  # the port was taken meanwhile: another one
        pytest.fail("redis-server did not start", pytrace=False)

    def _ready(self) -> bool:
        end = time.monotonic() + 5.0
        while time.monotonic() < end:
            if self.process is not None and self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def kill(self) -> None:
        """SIGKILL: the data is gone (no persistence), as after a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def pause(self) -> None:
        """SIGSTOP: the port accepts connections but nothing answers (a hung server)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def command(self, *args: str) -> object:
        import redis  # noqa: PLC0415

        with redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2) as client:
            return client.execute_command(*args)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with_stop = False
            try:
                os.kill(self.process.pid, signal.SIGCONT)
            except OSError:
                with_stop = True
            if not with_stop:
                self.process.kill()
            self.process.wait()
