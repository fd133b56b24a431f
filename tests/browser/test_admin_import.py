"""Administration in the browser: an admin imports ATF's listing (a file with three bad rows
shows their line numbers; the fixed file applies), and the users, offices and devices screens."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.support import check_screen
from tests.browser.test_queues import office_login
from tests.licensees.listing_files import listing, listing_row

pytestmark = pytest.mark.browser

#: Lines (in the file; the header is line 1) that the first file gets wrong, and why.
BAD = {
    4: ({"LIC_REGN": "2"}, "region 2 does not exist"),
    7: ({"PREMISE_STATE": "ZZ"}, "PREMISE_STATE 'ZZ' is not a US state"),
    11: ({"PREMISE_ZIP_CODE": "123"}, "5 or 9 digit ZIP"),
}
ROWS = 12


def listing_file(*, broken: bool) -> dict[str, Any]:
    rows = []
    for n in range(1, ROWS + 1):
        line = n + 1
        changes = BAD[line][0] if broken and line in BAD else {}
        rows.append(listing_row(90000 + n, **changes))
    name = "listing-broken.txt" if broken else "listing-fixed.txt"
    return {"name": name, "mimeType": "text/plain", "buffer": listing(*rows, delimiter="|")}


def test_admin_imports_a_listing_sees_bad_lines_then_applies_the_fixed_file(
    new_context: Any, live_server: Any
) -> None:
    page = office_login(new_context, live_server.url, "admin", "Queues")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Administration: Licensee import")).to_be_visible()
    apply = page.get_by_role("button", name="Apply import")
    expect(apply).to_be_disabled()

    page.get_by_label("Listing file").set_input_files(listing_file(broken=True))
    page.get_by_role("button", name="Check file (dry run)").click()
    rejected = page.get_by_role("table", name="Rejected rows")
    expect(rejected.locator("tbody tr")).to_have_count(3)
    assert rejected.locator("tbody tr td:first-child").all_inner_texts() == ["4", "7", "11"]
    for n, (line, (_changes, reason)) in enumerate(sorted(BAD.items())):
        expect(rejected.locator("tbody tr").nth(n)).to_contain_text(reason)
        assert str(line) in rejected.locator("tbody tr").nth(n).inner_text()
    counts = page.get_by_role("region", name="Import result")
    expect(counts.locator("[data-count=rejected]")).to_have_text("3")
    expect(counts.locator("[data-count=added]")).to_have_text("9")
    expect(apply).to_be_disabled()  # never with rejected rows
    check_screen(page, "licensee import with rejected rows")

    page.get_by_label("Listing file").set_input_files(listing_file(broken=False))
    expect(page.get_by_role("region", name="Import result")).to_have_count(0)
    page.get_by_role("button", name="Check file (dry run)").click()
    expect(counts.locator("[data-count=rejected]")).to_have_text("0")
    expect(counts.locator("[data-count=added]")).to_have_text(str(ROWS))
    expect(page.get_by_role("table", name="Rejected rows")).to_have_count(0)
    assert _stored(live_server.app) == 0  # a dry run changes nothing

    expect(apply).to_be_enabled()
    apply.click()
    expect(page.get_by_role("heading", name="Import of listing-fixed.txt: done")).to_be_visible()
    expect(counts.locator("[data-count=added]")).to_have_text(str(ROWS))
    expect(counts.locator("[data-count=rejected]")).to_have_text("0")
    expect(apply).to_be_disabled()  # applied: a new dry run comes first
    assert _stored(live_server.app) == ROWS
    history = page.get_by_role("table", name="Recent imports")
    expect(history.locator("tbody tr")).to_have_count(3)


def _stored(app: Any) -> int:
    from inspector.extensions import db
    from inspector.licensees.models import Licensee

    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Licensee)
            .where(Licensee.sequence.between("90001", "90099"))
        )
        db.session.remove()
        return int(count or 0)


def notice(page: Any, text: str) -> Any:
    return page.get_by_role("status").filter(has_text=text)


def test_admin_screens_users_offices_and_devices(new_context: Any, live_server: Any) -> None:
    page = office_login(new_context, live_server.url, "admin", "Queues")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Administration: Users")).to_be_visible()
    users = page.get_by_role("table", name="Users")
    row = users.locator("tr[data-user=investigator2]")
    expect(row).to_contain_text("Phoenix")
    check_screen(page, "users")

    row.get_by_role("button", name="Disable investigator2").click()
    expect(notice(page, "is disabled")).to_contain_text("Pat Investigator is disabled")
    expect(row).to_contain_text("Disabled")
    row.get_by_role("button", name="Enable investigator2").click()
    expect(row).to_contain_text("Active")

    row.get_by_role("button", name="Reset password of investigator2").click()
    page.get_by_label("New password for investigator2 (12 characters or more)").fill("a new long password 42")
    page.get_by_role("button", name="Set password", exact=True).click()
    expect(notice(page, "password reset")).to_be_visible()

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Field offices").click()
    expect(page.get_by_role("heading", name="Administration: Field offices")).to_be_visible()
    phoenix = page.get_by_role("form", name="Field office Phoenix")
    expect(phoenix.get_by_label("States covered (e.g. TX NM)")).to_have_value("AZ CA")
    check_screen(page, "field offices")
    phoenix.get_by_label("Name").fill("Phoenix Field Office")
    phoenix.get_by_role("button", name="Save Phoenix").click()
    expect(notice(page, "saved")).to_contain_text("Phoenix Field Office saved: AZ, CA")

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Devices").click()
    devices = page.get_by_role("table", name="Devices")
    mine = devices.locator("tr", has_text="admin").first
    expect(mine).to_be_visible()
    check_screen(page, "devices")
