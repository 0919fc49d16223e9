"""Headless Chromium for the report tests: render a page's DOM and take a screenshot.

Where Chromium is missing the browser tests skip, except under ``CI=true``, where a missing browser is a broken
set-up and fails the test (``.ci/run`` installs the Debian package ``chromium`` before running the tests).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: Executable names tried in order.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Flags for a headless run as root in a container, without a GPU, with no first-run or network chatter.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--hide-scrollbars",
)
TIMEOUT_S = 180


def chromium() -> str:
    """The path of a Chromium executable; skips the test where there is none, fails it under ``CI=true``."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    message = (
        "headless Chromium is not installed (looked for " + ", ".join(CANDIDATES) + "); install the Debian package "
        "`chromium` (apt-get install chromium), as .ci/run does"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(home))  # Chromium writes its profile under HOME; keep it in the test's folder
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, env=env, check=False)


def dump_dom(page: Path, workdir: Path) -> str:
    """The DOM of ``page`` after Chromium has parsed and laid it out, serialised as HTML."""
    profile = workdir / "chromium-profile-dom"
    result = _run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()], workdir)
    assert result.returncode == 0, f"chromium --dump-dom failed ({result.returncode}): {result.stderr[-2000:]}"
    return result.stdout


def screenshot(page: Path, png: Path, workdir: Path, *, width: int = 1280, height: int = 2000) -> Path:
    """A PNG of ``page`` as Chromium renders it in a ``width`` x ``height`` window."""
    profile = workdir / "chromium-profile-shot"
    args = [
        chromium(),
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size={width},{height}",
        page.resolve().as_uri(),
    ]
    result = _run(args, workdir)
    assert result.returncode == 0 and png.is_file(), f"chromium --screenshot failed: {result.stderr[-2000:]}"
    return png
