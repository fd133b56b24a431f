"""Browser tests: the built PWA (frontend/dist) served by a live Flask server,
driven by Debian's Chromium through Playwright (no browser download).

Without `chromium` or a built front end these tests skip with a clear message,
except when INSPECTOR_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

#: INSPECTOR_FRONTEND_DIST points at another build (the app reads the same variable).
DIST = Path(
    os.environ.get("INSPECTOR_FRONTEND_DIST") or Path(__file__).resolve().parents[2] / "frontend" / "dist"
)
REQUIRE = os.environ.get("INSPECTOR_REQUIRE_BROWSER") == "1"
DEMO_PASSWORD = "inspector-demo"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PORTRAIT = {"width": 768, "height": 1024}
LANDSCAPE = {"width": 1280, "height": 800}


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"{reason} (INSPECTOR_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _browser_test_group(request: pytest.FixtureRequest) -> None:
    """Browser tests need the built front end."""
    if not (DIST / "index.html").exists():
        _unavailable("frontend/dist is not built: run `make frontend` (npm ci && npm run build)")


@dataclass
class LiveServer:
    app: Flask
    url: str
    server: BaseWSGIServer
    thread: threading.Thread
    stopped: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        """A real outage: the port stops answering."""
        if not self.stopped:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)
            self.stopped = True


@pytest.fixture
def demo(app: Flask) -> dict[str, Any]:
    """The demo world (offices, accounts, licensees, queued inspections)."""
    from inspector.demo import seed_demo
    from inspector.extensions import db

    with app.app_context():
        counts = seed_demo(db.session, DEMO_PASSWORD, licensees_per_state=8)
        db.session.commit()
    return counts


@pytest.fixture
def live_server(app: Flask, demo: dict[str, Any]) -> Iterator[LiveServer]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(app, f"http://127.0.0.1:{server.server_port}", server, thread)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if not executable:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra pins playwright
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(chromium: Any) -> Iterator[Callable[..., Any]]:
    """Make browser contexts (a tablet each); all closed at the end of the test."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None, **kwargs: Any) -> Any:
        context = chromium.new_context(
            viewport=viewport or PORTRAIT,
            service_workers="allow",
            has_touch=True,
            **kwargs,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context: Callable[..., Any]) -> Any:
    return new_context()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()
