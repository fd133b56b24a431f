"""A new version of the app is offered, never forced over unsent changes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DIST
from tests.browser.support import (
    check_screen,
    install_db_helpers,
    login,
    outbox,
    unlock,
    wait_offline_ready,
    wait_synced,
)

pytestmark = pytest.mark.browser


def test_update_prompt_waits_for_the_outbox(
    context: Any, page: Any, live_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = live_server.url
    dist_copy = tmp_path / "dist"
    shutil.copytree(DIST, dist_copy)
    monkeypatch.setitem(live_server.app.config, "FRONTEND_DIST", str(dist_copy))
    install_db_helpers(context)
    login(page, base)
    wait_synced(page)
    wait_offline_ready(page)
    page.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    item = page.locator("article[data-item]").first
    item.get_by_role("button", name="N/A").click()
    expect(item.get_by_role("button", name="N/A")).to_have_attribute("aria-pressed", "true")
    # Keep the change unsent: pushes fail as if the network dropped.
    context.route(re.compile(r"/api/v1/sync/push"), lambda route: route.abort())
    assert len(outbox(page)) == 2

    # The server now has a new service worker (any byte change is a new version).
    sw = dist_copy / "sw.js"
    sw.write_text(sw.read_text() + "\n// version 2\n")
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    notice = page.get_by_role("status").filter(has_text="An update is available")
    expect(notice).to_be_visible(timeout=20_000)
    # Unsent changes: the update is shown but cannot be applied yet.
    expect(notice).to_contain_text("after your")
    expect(page.get_by_role("button", name="Reload to update")).to_have_count(0)
    check_screen(page, "inspection with the update notice")
    page.evaluate("window.__before = 1; document.querySelector('insp-app').applyUpdate()")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__before") == 1, "the app reloaded over unsent changes"

    context.unroute(re.compile(r"/api/v1/sync/push"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Sync")).click()
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_test_id("unsent-count")).to_have_text("0", timeout=30_000)
    button = page.get_by_role("button", name="Reload to update")
    expect(button).to_be_visible()
    with page.expect_event("load"):
        button.click()
    unlock(page)
    expect(page.get_by_role("heading", name="Sync")).to_be_visible()
    expect(page.get_by_role("button", name="Reload to update")).to_have_count(0)


def test_the_app_is_installable(context: Any, page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/")
    wait_offline_ready(page)
    page.reload()  # controlled by the service worker now
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    cdp = context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # A Playwright context is an incognito profile; nothing else may stand in the way.
    assert [e for e in errors if e["errorId"] != "in-incognito"] == [], errors
    manifest = context.request.get(live_server.url + "/manifest.webmanifest").json()
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    for path in ("/sw.js", "/index.html", "/manifest.webmanifest"):
        response = context.request.get(live_server.url + path)
        assert response.headers["cache-control"] == "no-cache", path
