"""Serving the dashboard and opening it in Debian's headless Chromium (driven by Playwright).

Playwright's own browser download needs internet, so the tests use the system Chromium
(`apt-get install -y chromium`, which `make browser` and `.ci/run` do)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CHROMIUM = os.environ.get("AIRTWIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("the dashboard tests drive Debian's Chromium, not found at {path}: install it "
                "with `sudo apt-get update && sudo apt-get install -y chromium` (or `make "
                "browser`), or point AIRTWIN_CHROMIUM at a Chromium binary")


def chromium_path() -> str:
    path = CHROMIUM if os.path.isabs(CHROMIUM) else shutil.which(CHROMIUM) or CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(INSTALL_HINT.format(path=path))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dashboard:
    """``airtwin dashboard --results DIR --port P`` as a child process."""

    def __init__(self, results: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "wb")
        # This checkout's code, not whatever the venv's `airtwin` script was installed from:
        # the CLI as a module from the repository root, and the root first on the Streamlit
        # child's path (it imports `dashboard`, `outputs`).
        repo = Path(__file__).resolve().parents[2]
        path = os.pathsep.join(p for p in (str(repo), os.environ.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "airtwin.cli", "dashboard", "--results", str(results),
             "--port", str(self.port)], cwd=repo, env={**os.environ, "PYTHONPATH": path},
            stdout=self._log, stderr=subprocess.STDOUT)
        self.log_path = log

    def wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dashboard exited with {self.proc.returncode}:\n"
                                   f"{self.log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/_stcore/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"dashboard not healthy after {timeout} s:\n"
                           f"{self.log_path.read_text(errors='replace')}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@contextmanager
def serving(results: Path, log: Path) -> Iterator[Dashboard]:
    """The dashboard on ``results``, healthy, for the block's duration (stopped after it)."""
    d = Dashboard(results, log)
    try:
        d.wait()
        yield d
    finally:
        d.stop()


def launch_chromium(playwright, profile: Path):
    """A persistent context in a fresh profile folder (``--user-data-dir``)."""
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 1000})


def open_page(context, url: str, ready_text: str, timeout_ms: float = 60_000):
    """Open ``url`` and wait until ``ready_text`` shows and the script has finished running."""
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text(ready_text, exact=False).first.wait_for(timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    return page


def wait_idle(page, timeout_ms: float = 60_000) -> None:
    """Until Streamlit's script run is over: the app root reports ``notRunning`` (checked twice,
    since a widget set by the first run can trigger another)."""
    done = ("() => document.querySelector('[data-testid=\"stApp\"]')"
            "?.getAttribute('data-test-script-state') === 'notRunning'")
    page.wait_for_function(done, timeout=timeout_ms)
    page.wait_for_timeout(300)
    page.wait_for_function(done, timeout=timeout_ms)
