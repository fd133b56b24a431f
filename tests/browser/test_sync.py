"""Sync between tablets: conflicts shown and resolved, sessions that end offline,
revoked devices."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    DEMO_PASSWORD,
    check_screen,
    install_db_helpers,
    login,
    outbox,
    png_bytes,
    store,
    unlock,
    unsent_badge,
    wait_offline_ready,
    wait_synced,
    wait_until,
)

pytestmark = pytest.mark.browser


def tablet(new_context: Any, base: str) -> tuple[Any, Any]:
    context = new_context()
    install_db_helpers(context)
    page = context.new_page()
    login(page, base)
    wait_synced(page)
    wait_offline_ready(page)
    return context, page


LAST_SYNC = (
    "async () => ((await window.__dbAll('meta')).find(r => r.key === 'last_sync') || {}).value || null"
)


def sync_now(page: Any, base: str) -> None:
    """Sync from the panel and wait until this sync (not an earlier one) has finished."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Sync")).click()
    button = page.get_by_role("button", name="Sync now")
    expect(button).to_be_enabled(timeout=30_000)
    before = page.evaluate(LAST_SYNC)
    button.click()
    wait_until(
        page,
        f"async (before) => {{ const now = await ({LAST_SYNC})(); return now && now !== before; }}",
        before,
        timeout=30_000,
    )
    expect(page.get_by_test_id("unsent-count")).to_have_text("0", timeout=30_000)
    expect(button).to_be_enabled()


def set_note(page: Any, base: str, inspection: str, key: str, text: str) -> None:
    page.goto(f"{base}/inspections/{inspection}")
    unlock(page)
    note = page.locator(f"article[data-item='{key}']").get_by_label("Note")
    note.fill(text)
    note.blur()
    expect(unsent_badge(page)).to_contain_text("1")  # queued (the outbox rows are sealed)


def test_two_tablets_conflict_then_resolution_reaches_both(new_context: Any, live_server: Any) -> None:
    base = live_server.url
    ctx_a, a = tablet(new_context, base)
    ctx_b, b = tablet(new_context, base)

    a.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    inspection = re.search(r"/inspections/([0-9a-f-]{36})", a.url).group(1)  # type: ignore[union-attr]
    key = a.locator("article[data-item]").first.get_attribute("data-item")
    compliant = a.locator(f"article[data-item='{key}']").get_by_role("button", name="Compliant")
    compliant.click()
    expect(compliant).to_have_attribute("aria-pressed", "true")
    sync_now(a, base)
    sync_now(b, base)

    ctx_a.set_offline(True)
    ctx_b.set_offline(True)
    set_note(a, base, inspection, key, "Tablet A: license posted by the door.")
    set_note(b, base, inspection, key, "Tablet B: license behind the counter.")
    ctx_a.set_offline(False)
    sync_now(a, base)
    ctx_b.set_offline(False)
    sync_now(b, base)

    conflict = b.get_by_role("listitem", name=re.compile("^Conflict on"))
    expect(conflict).to_have_count(1)
    expect(conflict.locator("[data-value=server]")).to_have_text("Tablet A: license posted by the door.")
    expect(conflict.locator("[data-value=client]")).to_have_text("Tablet B: license behind the counter.")
    expect(conflict.get_by_role("heading", level=3)).to_contain_text("note")
    receipts = b.get_by_role("table").filter(has_text="conflict")
    expect(receipts.first).to_be_visible()
    check_screen(b, "sync panel with a conflict")

    # Tablet A learns of the conflict at its next sync and sees both values too.
    sync_now(a, base)
    expect(a.get_by_role("listitem", name=re.compile("^Conflict on"))).to_have_count(1)
    a.goto(f"{base}/inspections/{inspection}")
    unlock(a)
    expect(a.get_by_role("link", name="1 conflict(s)")).to_be_visible()
    a.get_by_role("button", name="Submit inspection").click()
    expect(a.get_by_role("alert").filter(has_text="Cannot submit yet")).to_contain_text(
        "must be resolved first"
    )
    check_screen(a, "inspection with a conflict")

    conflict.get_by_role("button", name="Take device value").click()
    expect(b.get_by_role("listitem", name=re.compile("^Conflict on"))).to_have_count(0)
    expect(b.get_by_text("No open conflicts.")).to_be_visible()

    sync_now(a, base)
    expect(a.get_by_role("listitem", name=re.compile("^Conflict on"))).to_have_count(0)
    a.goto(f"{base}/inspections/{inspection}")
    unlock(a)
    expect(a.locator(f"article[data-item='{key}']").get_by_label("Note")).to_have_value(
        "Tablet B: license behind the counter."
    )
    api = ctx_a.request.get(f"{base}/api/v1/inspections/{inspection}/findings").json()
    assert [f["note"] for f in api if f["item_key"] == key] == ["Tablet B: license behind the counter."]
    assert all(f.get("open_conflicts", 0) == 0 for f in api)


def test_session_ending_offline_keeps_the_outbox_until_login(
    context: Any, page: Any, live_server: Any
) -> None:
    base = live_server.url
    install_db_helpers(context)
    login(page, base)
    wait_synced(page)
    page.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    inspection = re.search(r"/inspections/([0-9a-f-]{36})", page.url).group(1)  # type: ignore[union-attr]

    expect(page.locator("article[data-item]").first).to_be_visible()
    context.set_offline(True)
    keys = page.locator("article[data-item]").evaluate_all("els => els.map(e => e.dataset.item)")
    page.locator(f"article[data-item='{keys[0]}']").get_by_role("button", name="N/A").click()
    expect(unsent_badge(page)).to_contain_text("2")
    # The session ends while the tablet is offline (tokens gone: expired, revoked).
    context.clear_cookies()
    context.set_offline(False)

    banner = page.get_by_role("alert").filter(has_text="Your session ended")
    expect(banner).to_be_visible(timeout=15_000)
    assert len(outbox(page)) == 2
    # Work goes on locally.
    page.locator(f"article[data-item='{keys[1]}']").get_by_role(
        "button", name="Compliant", exact=True
    ).click()
    expect(unsent_badge(page)).to_contain_text("3")
    page.reload()
    unlock(page)
    expect(page.get_by_role("alert").filter(has_text="Your session ended")).to_be_visible()
    assert len(outbox(page)) == 3

    banner = page.get_by_role("alert").filter(has_text="Your session ended")
    banner.get_by_role("button", name="Log in").click()
    check_screen(page, "inspection with the session-ended banner")
    banner.get_by_label("Password").fill(DEMO_PASSWORD)
    banner.get_by_role("button", name="Log in").last.click()
    expect(page.get_by_role("alert").filter(has_text="Your session ended")).to_have_count(0)
    wait_until(page, "async () => (await window.__dbAll('outbox')).length === 0")
    # The server has both answers (the outbox empties as receipts arrive; ask until it has).
    wanted = {keys[0]: "not_applicable", keys[1]: "compliant"}
    deadline = time.monotonic() + 15
    while True:
        findings = context.request.get(f"{base}/api/v1/inspections/{inspection}/findings").json()
        got = {f["item_key"]: f["result"] for f in findings}
        if got == wanted or time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
    assert got == wanted


def test_revoked_device_wipes_local_data(context: Any, page: Any, live_server: Any) -> None:
    base = live_server.url
    install_db_helpers(context)
    login(page, base)
    wait_synced(page)
    device = page.evaluate(
        "async () => (await window.__dbAll('meta')).find(r => r.key === 'device_id').value"
    )
    admin = live_server.app.test_client()
    response = admin.post(
        "/api/v1/auth/token",
        json={"username": "admin", "password": DEMO_PASSWORD},
    )
    token = response.get_json()["access_token"]
    revoked = admin.post(f"/api/v1/devices/{device}/revoke", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code in (200, 204), revoked.get_data(as_text=True)

    # The next contact with the server (here: the locked app's check at start) says revoked + wipe:
    # the data and keys go without anyone entering the PIN.
    page.reload()
    expect(page.get_by_text("This device was revoked")).to_be_visible()
    expect(page.get_by_label("User name")).to_be_visible()
    records = page.evaluate("async () => (await window.__dbAll('records')).length")
    assert records == 0
    # Logging in again makes this installation a new device.
    login(page, base)
    wait_synced(page)
    again = page.evaluate("async () => (await window.__dbAll('meta')).find(r => r.key === 'device_id').value")
    assert again != device


def test_expired_access_token_is_refreshed_without_asking(
    context: Any, page: Any, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = live_server.app.config
    lifetime = config["JWT_ACCESS_TOKEN_EXPIRES"]
    monkeypatch.setitem(config, "JWT_ACCESS_TOKEN_EXPIRES", timedelta(seconds=1))
    base = live_server.url
    install_db_helpers(context)
    login(page, base)
    wait_synced(page)
    page.wait_for_timeout(2_000)  # the access token is now expired; the refresh token is not
    config["JWT_ACCESS_TOKEN_EXPIRES"] = lifetime  # the refreshed one lives as usual
    refreshed: list[str] = []
    page.on("request", lambda r: refreshed.append(r.url) if "/auth/refresh" in r.url else None)
    page.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    item = page.locator("article[data-item]").first
    item.get_by_role("button", name="N/A").click()
    expect(item.get_by_role("button", name="N/A")).to_have_attribute("aria-pressed", "true")
    sync_now(page, base)
    assert refreshed, "the app did not rotate its tokens"
    expect(page.get_by_role("alert").filter(has_text="Your session ended")).to_have_count(0)


def test_reassigned_inspection_leaves_the_tablet_after_resync(
    context: Any, page: Any, live_server: Any
) -> None:
    from inspector.extensions import db
    from inspector.inspections.models import Inspection
    from inspector.inspections.service import reassign
    from inspector.offices.models import User
    from tests.factories import add_user

    base = live_server.url
    install_db_helpers(context)
    login(page, base)
    wait_synced(page)
    cards = page.get_by_role("list", name="Open inspections").get_by_role("listitem")
    expect(cards).to_have_count(6)

    app = live_server.app
    with app.app_context():
        ines = db.session.query(User).filter_by(username="investigator").one()
        admin = db.session.query(User).filter_by(username="admin").one()
        other = add_user(db.session, "ivan", "investigator", ines.field_office_id)
        moved = db.session.query(Inspection).filter_by(investigator_id=ines.id).first()
        assert moved is not None
        moved_id = str(moved.id)
        reassign(db.session, admin, moved.id, other.id, "127.0.0.1")
        db.session.commit()

    sync_now(page, base)
    page.get_by_role("link", name="My queue").click()
    expect(cards).to_have_count(5)
    page.goto(f"{base}/inspections/{moved_id}")
    unlock(page)
    expect(page.get_by_text("This inspection is not on this tablet.")).to_be_visible()


def test_rejected_change_is_listed_with_its_reason(context: Any, page: Any, live_server: Any) -> None:
    base = live_server.url
    install_db_helpers(context)
    login(page, base)
    wait_synced(page)
    page.get_by_role("link", name="New lead").click()
    page.get_by_label("Other").check()
    page.get_by_label("Narrative").fill("x" * 20_001)  # over the server's limit
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Lead saved")).to_be_visible()
    sync_now(page, base)
    rejected = page.get_by_role("region", name="Rejected changes")
    expect(rejected.get_by_role("listitem").first).to_contain_text("lead create")
    expect(rejected).to_contain_text("narrative")
    receipts = page.get_by_role("region", name="Receipts")
    expect(receipts.get_by_role("row").filter(has_text="rejected")).to_have_count(1)
    assert outbox(page) == []
    check_screen(page, "sync panel with a rejected change")


def test_a_photo_from_one_tablet_shows_on_the_other(new_context: Any, live_server: Any) -> None:
    base = live_server.url
    _, a = tablet(new_context, base)
    _, b = tablet(new_context, base)
    a.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    inspection = re.search(r"/inspections/([0-9a-f-]{36})", a.url).group(1)  # type: ignore[union-attr]
    item = a.locator("article[data-item]").first
    item.get_by_role("button", name="Violation", exact=True).click()
    item.locator("input[type=file]").set_input_files(
        files=[{"name": "p.png", "mimeType": "image/png", "buffer": png_bytes(rgb=(1, 2, 3))}]
    )
    expect(item.get_by_role("img", name=re.compile("^Photo 1"))).to_be_visible()
    sync_now(a, base)
    sync_now(b, base)
    b.goto(f"{base}/inspections/{inspection}")
    unlock(b)
    photo = b.locator("article[data-item]").first.get_by_role("img", name=re.compile("^Photo 1"))
    expect(photo).to_be_visible()
    assert photo.get_attribute("src").startswith("blob:")  # type: ignore[union-attr]
    assert b.evaluate("async () => (await window.__dbAll('blobs')).length") == 1


def test_conflict_resolved_with_another_value(context: Any, page: Any, live_server: Any) -> None:
    """The other writer here is an API client on its own device."""
    import uuid as uuidlib

    base = live_server.url
    install_db_helpers(context)
    login(page, base)
    wait_synced(page)
    page.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    item = page.locator("article[data-item]").first
    key = item.get_attribute("data-item")
    item.get_by_role("button", name="Compliant").click()
    expect(item.get_by_role("button", name="Compliant")).to_have_attribute("aria-pressed", "true")
    sync_now(page, base)
    finding_id = next(r["id"] for r in store(page, "records") if r["entity"] == "finding")
    finding = context.request.get(f"{base}/api/v1/findings/{finding_id}").json()

    other_device = str(uuidlib.uuid4())
    client = live_server.app.test_client()
    tokens = client.post(
        "/api/v1/auth/token",
        json={"username": "investigator", "password": DEMO_PASSWORD, "device_id": other_device},
    ).get_json()
    pushed = client.post(
        "/api/v1/sync/push",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        json={
            "device_id": other_device,
            "schema_version": 1,
            "changes": [
                {
                    "op_id": str(uuidlib.uuid4()),
                    "seq": 1,
                    "entity": "finding",
                    "id": finding["id"],
                    "action": "update",
                    "base_version": finding["version"],
                    "fields": {"note": "From the office laptop."},
                    "client_time": "2026-11-30T10:00:00Z",
                }
            ],
        },
    )
    assert pushed.get_json()["receipts"][0]["status"] == "applied", pushed.get_json()

    page.get_by_role("link", name="My queue").click()
    page.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    note = page.locator(f"article[data-item='{key}']").get_by_label("Note")
    note.fill("From the tablet.")
    note.blur()
    expect(unsent_badge(page)).to_contain_text("1")
    sync_now(page, base)
    conflict = page.get_by_role("listitem", name=re.compile("^Conflict on"))
    expect(conflict.locator("[data-value=server]")).to_have_text("From the office laptop.")
    expect(conflict.locator("[data-value=client]")).to_have_text("From the tablet.")
    conflict.get_by_role("button", name="Other value…").click()
    conflict.get_by_label("Value to keep").fill("Posted; copy also behind the counter.")
    conflict.get_by_role("button", name="Save value").click()
    expect(page.get_by_text("No open conflicts.")).to_be_visible()
    sync_now(page, base)
    page.get_by_role("link", name="My queue").click()
    page.get_by_role("link", name=re.compile("^Open inspection of")).first.click()
    expect(page.locator(f"article[data-item='{key}']").get_by_label("Note")).to_have_value(
        "Posted; copy also behind the counter."
    )
    api = context.request.get(f"{base}/api/v1/findings/{finding['id']}").json()
    assert api["note"] == "Posted; copy also behind the counter."
