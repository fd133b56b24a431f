"""Office screens: an admin fills a queue from the ranked list and the tablet receives it;
the dashboard shows each series as a chart with its table and a CSV."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE
from tests.browser.support import DEMO_PASSWORD, check_screen, install_db_helpers, set_pin
from tests.browser.test_sync import sync_now, tablet

pytestmark = pytest.mark.browser


def office_login(new_context: Any, base: str, username: str, heading: str) -> Any:
    """An admin's or reviewer's desktop browser, logged in, on its home screen."""
    context = new_context(viewport=LANDSCAPE)
    install_db_helpers(context)
    page = context.new_page()
    page.goto(base + "/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    set_pin(page)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    return page


def open_cards(page: Any) -> Any:
    return page.get_by_role("list", name="Open inspections").locator(":scope > li")


def test_admin_assigns_five_from_the_ranked_list_and_the_tablet_gets_them(
    new_context: Any, live_server: Any
) -> None:
    base = live_server.url
    _ctx, ipad = tablet(new_context, base)
    expect(open_cards(ipad)).to_have_count(6)

    admin = office_login(new_context, base, "admin", "Queues")
    expect(admin.get_by_label("Field office")).to_have_value(re.compile(".+"))
    admin.get_by_label("Field office").select_option(label="Houston (NM, TX)")
    expect(admin.get_by_label("Investigator", exact=True)).to_contain_text("Ines Investigator")
    queue = admin.get_by_role("region", name="Queue of Ines Investigator")
    expect(queue.locator("ol > li")).to_have_count(6)
    table = admin.get_by_role("table", name="Ranked licensees")
    rows = table.locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 5
    # the best first, each with its contributions shown
    scores = [float(s) for s in table.locator("td.score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    expect(rows.first.get_by_role("list", name="Contributions")).to_contain_text("+")
    check_screen(admin, "queues")

    names = []
    for n in range(5):
        row = rows.nth(n)
        names.append(row.locator("strong").first.inner_text())
        row.get_by_role("checkbox").check()
    expect(admin.get_by_role("heading", name="Assign 5 selected")).to_be_visible()
    admin.get_by_label("Due date").fill("2026-12-21")
    admin.get_by_label("Inspection type").select_option("compliance")
    admin.get_by_role("button", name="Assign to queue").click()
    expect(admin.get_by_role("status").filter(has_text="assigned")).to_contain_text("5 licensee(s) assigned")
    expect(queue.locator("ol > li")).to_have_count(11)
    for name in names:
        expect(queue).to_contain_text(name)
        expect(table).not_to_contain_text(name)  # queued ones leave the list (filter: not in a queue)

    # the admin moves the last one to one place higher: the order sticks
    last = names[-1]
    queue.get_by_role("button", name=f"Move {last} up").click()
    expect(queue.locator("ol > li").nth(9)).to_contain_text(last)

    # the tablet receives the five at its next pull
    sync_now(ipad, base)
    ipad.get_by_role("navigation", name="Main").get_by_role("link", name="My queue").click()
    expect(open_cards(ipad)).to_have_count(11)
    for name in names:
        expect(ipad.get_by_role("list", name="Open inspections")).to_contain_text(name)

    # unassigned before the investigator starts: the tablet drops it at its next sync
    gone = names[0]
    queue.get_by_role("button", name=f"Unassign {gone}").click()
    expect(queue.locator("ol > li")).to_have_count(10)
    sync_now(ipad, base)
    ipad.get_by_role("navigation", name="Main").get_by_role("link", name="My queue").click()
    expect(open_cards(ipad)).to_have_count(10)
    expect(ipad.get_by_role("list", name="Open inspections")).not_to_contain_text(gone)


def test_admin_sees_why_a_batch_is_refused_per_licensee(new_context: Any, live_server: Any) -> None:
    base = live_server.url
    recent = inspected_lately(live_server.app)
    admin = office_login(new_context, base, "admin", "Queues")
    table = admin.get_by_role("table", name="Ranked licensees")
    # licensees not yet eligible are listed once the filter is off, with the date they become so
    admin.get_by_label("Eligible for compliance only").uncheck()
    row = table.locator(f"tr[data-licensee='{recent}']")
    expect(row.locator(".badge.warn")).to_contain_text("From")
    row.get_by_role("checkbox").check()
    admin.get_by_label("Inspection type").select_option("compliance")
    admin.get_by_role("button", name="Assign to queue").click()
    expect(row.get_by_role("alert")).to_contain_text("a compliance inspection is allowed from")
    expect(admin.get_by_role("region", name="Queue of Ines Investigator").locator("ol > li")).to_have_count(6)
    # a recall goes back sooner
    admin.get_by_label("Inspection type").select_option("recall")
    admin.get_by_role("button", name="Assign to queue").click()
    expect(admin.get_by_role("status").filter(has_text="assigned")).to_contain_text("1 licensee(s) assigned")


def inspected_lately(app: Any) -> str:
    """A Houston licensee in no queue, inspected for compliance a month ago (the demo has none)."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from inspector.extensions import db
    from inspector.inspections.models import Inspection
    from inspector.licensees.models import Licensee
    from inspector.offices.models import FieldOffice

    with app.app_context():
        houston = db.session.scalar(sa.select(FieldOffice.id).where(FieldOffice.name == "Houston"))
        queued = sa.select(Inspection.licensee_id)
        licensee = db.session.scalars(
            sa.select(Licensee).where(Licensee.field_office_id == houston, Licensee.id.not_in(queued))
        ).first()
        assert licensee is not None
        licensee.last_inspection_date = datetime.now(UTC).date() - timedelta(days=30)
        db.session.commit()
        return str(licensee.id)


def test_dashboard_shows_charts_with_tables_and_csv(
    new_context: Any, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    reviewer = office_login(new_context, base, "reviewer", "Review")
    reviewer.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(reviewer.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    section = reviewer.get_by_role("region", name="Inspections by status")
    table = section.get_by_role("table", name="Inspections by status")
    expect(table.locator("tbody tr")).to_contain_text(["assigned 6"], use_inner_text=True)
    expect(section.locator(".chart canvas")).to_have_count(1)
    for title in (
        "Violations by citation",
        "Outcomes per month",
        "Leads by indicator",
        "Days from submission to decision (median)",
    ):
        expect(reviewer.get_by_role("table", name=title)).to_be_visible()
        expect(reviewer.get_by_role("region", name=title).locator(".chart canvas")).to_have_count(1)
    check_screen(reviewer, "dashboard")

    with reviewer.expect_download() as download:
        section.get_by_role("link", name=re.compile("^Download CSV")).click()
    path = tmp_path / "status.csv"
    download.value.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "status,count"
    assert "assigned,6" in lines
