"""A shared tablet: logging out forgets the records; unsent work stays with its author."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    DEMO_PASSWORD,
    install_db_helpers,
    login,
    open_first_inspection,
    outbox,
    set_pin,
    store,
    unlock,
    wait_synced,
    wait_until,
)

pytestmark = pytest.mark.browser


def open_sync_panel(page: Any) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Sync")).click()
    expect(page.get_by_role("heading", name="Unsent changes")).to_be_visible()


def test_logout_forgets_the_records_and_another_investigator_gets_their_own(
    context: Any, page: Any, live_server: Any
) -> None:
    install_db_helpers(context)
    login(page, live_server.url)
    wait_synced(page)
    first_device = page.evaluate(
        "async () => (await window.__dbAll('meta')).find(r => r.key === 'device_id').value"
    )
    open_sync_panel(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("User name")).to_be_visible()
    assert store(page, "records") == []

    page.get_by_label("User name").fill("investigator2")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    set_pin(page, "135791")  # logout took the keys too: the next user sets their own PIN
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    cards = page.get_by_role("list", name="Open inspections").get_by_role("listitem")
    expect(cards).to_have_count(6)
    expect(cards.first).to_contain_text(re.compile(r", (AZ|CA) "))
    device = page.evaluate(
        "async () => (await window.__dbAll('meta')).find(r => r.key === 'device_id').value"
    )
    assert device == first_device  # one installation, one device id


def test_unsent_work_stays_with_its_author(context: Any, page: Any, live_server: Any) -> None:
    install_db_helpers(context)
    login(page, live_server.url)
    wait_synced(page)
    open_first_inspection(page)
    context.set_offline(True)
    item = page.locator("article[data-item]").first
    item.get_by_role("button", name="N/A").click()
    expect(item.get_by_role("button", name="N/A")).to_have_attribute("aria-pressed", "true")
    open_sync_panel(page)
    page.get_by_role("button", name="Log out").click()
    warning = page.get_by_role("alert").filter(has_text="unsent change(s) stay on this tablet")
    expect(warning).to_be_visible()
    expect(warning.get_by_role("button", name="Sync first")).to_be_visible()
    warning.get_by_role("button", name="Log out anyway").click()
    # The unsent changes stay encrypted and the app locks: the PIN opens it again.
    unlock(page)
    expect(page.get_by_label("User name")).to_be_visible()
    assert len(outbox(page)) == 2

    context.set_offline(False)
    page.get_by_label("User name").fill("investigator2")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Log in as investigator and sync first")
    assert len(outbox(page)) == 2

    page.get_by_label("User name").fill("investigator")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    wait_until(page, "async () => (await window.__dbAll('outbox')).length === 0")
