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


def test_licensee_file_shows_earlier_inspections_with_citations(
    context: Any, page: Any, live_server: Any
) -> None:
    from datetime import UTC, date, datetime

    from inspector.checklists.service import current_checklist
    from inspector.extensions import db
    from inspector.inspections.models import Finding, Inspection
    from inspector.offices.models import User

    with live_server.app.app_context():
        ines = db.session.query(User).filter_by(username="investigator").one()
        admin = db.session.query(User).filter_by(username="admin").one()
        first = (
            db.session.query(Inspection)
            .filter_by(investigator_id=ines.id)
            .order_by(Inspection.due_date)
            .first()
        )
        assert first is not None
        earlier = Inspection(
            licensee_id=first.licensee_id,
            checklist_id=current_checklist(db.session).id,
            investigator_id=ines.id,
            field_office_id=first.field_office_id,
            created_by=admin.id,
            type="compliance",
            status="approved",
            due_date=date(2025, 3, 1),
            completed_at=datetime(2025, 3, 4, 15, 0, tzinfo=UTC),
            recommended_outcome="warning_letter",
            decided_outcome="warning_letter",
        )
        db.session.add(earlier)
        db.session.flush()
        db.session.add(
            Finding(
                inspection_id=earlier.id,
                item_key="ad-record-timeliness",
                result="violation",
                instances=4,
            )
        )
        db.session.commit()

    install_db_helpers(context)
    login(page, live_server.url)
    wait_synced(page)
    page.get_by_role("link", name=re.compile("^Licensee file of")).first.click()
    history = page.get_by_role("table").filter(has_text="Violations")
    row = history.get_by_role("row").filter(has_text="Warning letter")
    expect(row).to_contain_text("compliance")
    expect(row).to_contain_text("27 CFR 478.125(e) \u00d7 4")
    expect(row).to_contain_text("2025")
