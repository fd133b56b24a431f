"""Log in, see the queue, open an inspection."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import install_db_helpers, login, wait_synced

pytestmark = pytest.mark.browser


def test_login_shows_my_queue_by_due_date(context: Any, page: Any, live_server: Any) -> None:
    install_db_helpers(context)
    login(page, live_server.url)
    wait_synced(page)
    cards = page.get_by_role("list", name="Open inspections").get_by_role("listitem")
    expect(cards).to_have_count(6)
    expect(cards.first).to_contain_text("Due")
    expect(cards.first.get_by_role("link", name="Open inspection")).to_be_visible()
