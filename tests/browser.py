"""Headless Debian chromium for the tests that need a real browser (importable: tests/ is on sys.path).

Playwright's Python package drives the system chromium (`executable_path`); its own browser
downloads are never used. Without /usr/bin/chromium a browser test is skipped on a developer's
machine and fails in CI (where the environment variable CI is set and .ci/run installs it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Records what the Content-Security-Policy blocked, before any script of the page runs.
_WATCH_CSP = (
    "window.__blocked = [];"
    "document.addEventListener('securitypolicyviolation',"
    " (e) => window.__blocked.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message + ": CI must run the browser tests")
    pytest.skip(message)


@contextmanager
def launch() -> Iterator[Any]:
    """A headless chromium browser (a playwright ``Browser``)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Opened:
    """A page opened from disk, with every request it made and every script error it raised."""

    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def remote_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith("file:")]

    def blocked(self) -> list[str]:
        return list(self.page.evaluate("window.__blocked"))


def open_file(browser: Any, path: Path, *, width: int = 1400, height: int = 900) -> Opened:
    """Open ``path`` in a new context whose every request is logged and, unless it is a
    ``file:`` URL, aborted; return once the page's script has shown the first document."""
    context = browser.new_context(viewport={"width": width, "height": height})
    opened = Opened(page=context.new_page())

    def route(route: Any) -> None:
        opened.requests.append(route.request.url)
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    opened.page.on("request", lambda request: opened.requests.append(request.url))
    opened.page.on("pageerror", lambda err: opened.errors.append(str(err)))
    opened.page.add_init_script(_WATCH_CSP)
    opened.page.goto(path.resolve().as_uri())
    opened.page.wait_for_selector("body[data-ready]", timeout=10_000)
    return opened
