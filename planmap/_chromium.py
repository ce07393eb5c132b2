"""Debian's Chromium for the browser tests and benchmarks (never a browser Playwright downloads).

One place for the path, the flags this network needs, and what counts as a local request.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
#: without the background-networking flags Chromium keeps dialling Google's hosts
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_LOCAL = (
    "file:",
    "data:",
    "blob:",
    "about:",
    "http://localhost",
    "http://127.0.0.1",
    "ws://localhost",
    "ws://127.0.0.1",
)


def is_local(url: str) -> bool:
    """Whether a request stays on this machine (everything else is aborted in tests)."""
    return url.startswith(_LOCAL)


def block_offsite(target: Any, blocked: list[str] | None = None) -> list[str]:
    """Abort every request ``target`` (a Playwright page or context) makes off localhost and
    ``file:``/``data:``; returns the list the aborted URLs are appended to."""
    seen: list[str] = [] if blocked is None else blocked

    def route(r: Any) -> None:
        if is_local(r.request.url):
            r.continue_()
        else:
            seen.append(r.request.url)
            r.abort()

    target.route("**/*", route)
    return seen


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when Chromium and a CJK font are present."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (make test-setup installs Debian's chromium)"
    if shutil.which("fc-list") is None:
        return "fontconfig is missing (make test-setup installs fonts-wqy-microhei)"
    return None


def must_run() -> bool:
    """In CI a missing browser is a failure, not a skip: `make test` installs it."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def streamlit_command(port: int) -> list[str]:
    """``streamlit run`` of the app as ``make run`` starts it, on a given port."""
    import sys

    return [
        sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
        "--server.port", str(port), "--server.headless", "true",
        "--server.enableStaticServing", "true", "--browser.gatherUsageStats", "false",
        "--browser.serverAddress", "localhost",
    ]  # fmt: skip


def wait_for_health(url: str, proc, *, deadline: float, pause: float = 0.05) -> bool:
    """Poll ``url``'s Streamlit health endpoint until it answers 200 (True), the process ends
    or ``deadline`` (a ``time.monotonic()`` value) passes (False)."""
    import time
    import urllib.request

    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(pause)


def stop(proc, *, grace: float = 10) -> None:
    """End a process this code started: terminate, then kill if it has not ended in ``grace``
    seconds."""
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
