"""Every screen at tablet sizes: axe (wcag2a + wcag2aa) finds no serious or
critical violation, touch targets are at least 44 px, nothing scrolls sideways."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE, PORTRAIT
from tests.browser.support import check_screen, install_db_helpers, login, wait_synced

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_every_screen_is_accessible_at_tablet_sizes(
    new_context: Any, live_server: Any, viewport: dict[str, int]
) -> None:
    context = new_context(viewport=viewport)
    install_db_helpers(context)
    page = context.new_page()
    page.goto(live_server.url + "/")
    expect(page.get_by_label("User name")).to_be_visible()
    check_screen(page, "login")

    login(page, live_server.url)
    wait_synced(page)
    expect(page.get_by_role("list", name="Open inspections").get_by_role("listitem")).to_have_count(6)
    check_screen(page, "queue")

    page.get_by_role("link", name=re.compile("^Licensee file of")).first.click()
    expect(page.get_by_role("heading", name="Earlier inspections")).to_be_visible()
    check_screen(page, "licensee file")

    page.go_back()
    page.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    item = page.locator("article[data-item]").first
    item.get_by_role("button", name="Violation", exact=True).click()
    expect(item.get_by_label("Violations counted")).to_be_visible()
    page.get_by_role("button", name="Submit inspection").click()
    expect(page.get_by_role("alert").filter(has_text="Cannot submit yet")).to_be_visible()
    check_screen(page, "inspection")

    page.get_by_role("link", name="Capture lead").click()
    page.get_by_role("button", name="Add firearm").click()
    page.get_by_role("button", name="Add subject").click()
    check_screen(page, "lead")

    page.get_by_role("link", name=re.compile("^Sync")).click()
    expect(page.get_by_role("heading", name="Unsent changes")).to_be_visible()
    check_screen(page, "sync panel")
