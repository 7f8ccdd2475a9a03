"""Run ``airtwin serve`` as a real child process on a free loopback port (for tests and the
service benchmark): the same command a user types, uvicorn and all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


class ServiceStartError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServiceProcess:
    """``with ServiceProcess(["--backend", "dlib"]) as svc: httpx.get(svc.url + "/healthz")``.

    Waits until ``/readyz`` answers 200 (models prepared); on failure the error carries the
    server's own output. ``env`` adds to (or, with None values, removes from) the environment.
    """

    def __init__(self, args: list[str], env: dict[str, str | None] | None = None,
                 host: str = "127.0.0.1", ready_timeout_s: float = 120.0):
        self.args, self.host, self.ready_timeout_s = list(args), host, ready_timeout_s
        self.env = dict(os.environ)
        for k, v in (env or {}).items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = v
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def output(self) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")

    def start(self) -> "ServiceProcess":
        self.port = free_port(self.host)
        self._log = tempfile.NamedTemporaryFile("w+", prefix="airtwin-serve-", suffix=".log",
                                                delete=False)
        cmd = [sys.executable, "-m", "airtwin.cli", "serve", "--host", self.host,
               "--port", str(self.port), "--log-level", "warning", *self.args]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceStartError(f"airtwin serve exited with {self.proc.returncode}:\n"
                                        f"{self.output()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        out = self.output()
        self.stop()
        raise ServiceStartError(f"airtwin serve not ready after {self.ready_timeout_s:g} s:\n{out}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()
            Path(self._log.name).unlink(missing_ok=True)
            self._log = None

    def __enter__(self) -> "ServiceProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
