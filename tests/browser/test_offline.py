"""Working with no network: answers, photos and leads are kept on the tablet,
survive reloads and a dead server, and reach the server at the next sync."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    install_db_helpers,
    login,
    open_first_inspection,
    outbox,
    png_bytes,
    store,
    unlock,
    unsent_badge,
    wait_offline_ready,
    wait_synced,
)

pytestmark = pytest.mark.browser


def item_keys(page: Any) -> list[str]:
    expect(page.locator("article[data-item]").first).to_be_visible()
    keys: list[str] = page.locator("article[data-item]").evaluate_all("els => els.map(e => e.dataset.item)")
    assert keys, "no checklist items rendered"
    return keys


def answer_all(page: Any, photo: bytes) -> list[str]:
    """Every item compliant except the first: a violation with 3 instances and a photo."""
    keys = item_keys(page)
    for n, key in enumerate(keys):
        item = page.locator(f"article[data-item='{key}']")
        if n == 0:
            item.get_by_role("button", name="Violation", exact=True).click()
            count = item.get_by_label("Violations counted")
            expect(count).to_have_value("1")
            item.get_by_role("button", name="One more violation").click()
            expect(count).to_have_value("2")
            item.get_by_role("button", name="One more violation").click()
            expect(count).to_have_value("3")
            item.get_by_label("Note").fill("Two dispositions entered late, one missing.")
            item.get_by_label("Note").blur()
            item.locator("input[type=file]").set_input_files(
                files=[{"name": "shelf.png", "mimeType": "image/png", "buffer": photo}]
            )
            expect(item.get_by_role("img", name=re.compile("^Photo 1"))).to_be_visible()
        else:
            item.get_by_role("button", name="Compliant", exact=True).click()
            expect(item.get_by_role("button", name="Compliant", exact=True)).to_have_attribute(
                "aria-pressed", "true"
            )
    return keys


def capture_lead(page: Any) -> None:
    page.get_by_role("link", name="Capture lead").click()
    expect(page.get_by_role("heading", name="New lead")).to_be_visible()
    page.get_by_label("Signs of straw purchases").check()
    page.get_by_label("Multiple sales").check()
    firearms = [
        ("Glock", "19", "ABC123", "9mm", "pistol"),
        ("Smith & Wesson", "M&P15", "XYZ-789", "5.56", "rifle"),
    ]
    for n, (make, model, serial, caliber, kind) in enumerate(firearms):
        page.get_by_role("button", name="Add firearm").click()
        group = page.get_by_role("group", name=f"Firearm {n + 1}")
        group.get_by_label("Make").fill(make)
        group.get_by_label("Model").fill(model)
        group.get_by_label("Serial").fill(serial)
        group.get_by_label("Caliber").fill(caliber)
        group.get_by_label("Type").select_option(kind)
    page.get_by_label("Narrative").fill("Same buyer, two handguns twice in five days.")
    page.get_by_label("Referral agency").fill("ATF special agents")
    page.get_by_role("button", name="Submit lead").click()
    expect(page.get_by_role("heading", name="Lead", exact=True)).to_be_visible()


def test_offline_work_survives_reload_then_syncs(context: Any, page: Any, live_server: Any) -> None:
    install_db_helpers(context)
    login(page, live_server.url)
    wait_synced(page)
    wait_offline_ready(page)
    inspection_id = open_first_inspection(page)

    context.set_offline(True)
    photo = png_bytes()
    keys = answer_all(page, photo)
    summary = page.get_by_role("textbox", name="Summary")
    summary.fill("Late A&D entries.")
    summary.blur()
    capture_lead(page)

    # status change + summary + one create per finding + the lead
    expected = len(keys) + 3
    expect(unsent_badge(page)).to_contain_text(str(expected))
    assert len(outbox(page)) == expected
    # Persistent storage was asked after the first save (headless Chromium may say no).
    meta = {row["key"]: row.get("value") for row in store(page, "meta")}  # sealed rows have none
    assert meta.get("persist_asked") is True

    page.reload()
    unlock(page)  # offline: the PIN opens the local data
    expect(page.get_by_role("status").filter(has_text="Offline")).to_be_visible()
    expect(unsent_badge(page)).to_contain_text(str(expected))
    page.goto(f"{live_server.url}/inspections/{inspection_id}")
    unlock(page)
    first = page.locator(f"article[data-item='{keys[0]}']")
    expect(first.get_by_role("button", name="Violation", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(first.get_by_label("Violations counted")).to_have_value("3")
    expect(first.get_by_role("img", name=re.compile("^Photo 1"))).to_be_visible()
    for key in keys[1:]:
        expect(
            page.locator(f"article[data-item='{key}']").get_by_role("button", name="Compliant", exact=True)
        ).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text(re.compile(r"Required items answered: \d+ of \d+"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Lead: 2 firearm"))).to_be_visible()
    assert len(outbox(page)) == expected

    # Back online: sync shows progress, finishes, and empties the outbox.
    page.evaluate(
        "window.__progress = []; window.addEventListener('inspector:sync-progress', "
        "e => window.__progress.push(e.detail.phase))"
    )
    context.set_offline(False)
    page.get_by_role("link", name=re.compile("^Sync")).click()
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_test_id("unsent-count")).to_have_text("0", timeout=30_000)
    phases = page.evaluate("window.__progress")
    assert "uploading" in phases and "pushing" in phases and "done" in phases, phases
    assert outbox(page) == []

    # The API shows every record, and the photo's bytes match its digest.
    api = context.request
    base = live_server.url + "/api/v1"
    findings = api.get(f"{base}/inspections/{inspection_id}/findings?page_size=100").json()
    by_key = {f["item_key"]: f for f in findings}
    assert set(by_key) == set(keys)
    violation = by_key[keys[0]]
    assert violation["result"] == "violation" and violation["instances"] == 3
    assert violation["note"] == "Two dispositions entered late, one missing."
    digest = hashlib.sha256(photo).hexdigest()
    assert violation["attachments"] == [digest]
    blob = api.get(f"{base}/blobs/{digest}")
    assert blob.status == 200
    assert hashlib.sha256(blob.body()).hexdigest() == digest
    assert all(by_key[k]["result"] == "compliant" for k in keys[1:])
    inspection = api.get(f"{base}/inspections/{inspection_id}").json()
    assert inspection["status"] == "in_progress"
    assert inspection["summary"] == "Late A&D entries."
    leads = [r for r in store(page, "records") if r["entity"] == "lead"]
    assert len(leads) == 1  # its version is sealed with the rest of the row; the API has it
    lead = api.get(f"{base}/leads/{leads[0]['id']}").json()
    assert [f["serial"] for f in lead["firearms"]] == ["ABC123", "XYZ-789"]
    assert [f["make"] for f in lead["firearms"]] == ["Glock", "Smith & Wesson"]
    assert lead["status"] == "submitted" and lead["inspection_id"] == inspection_id
    assert lead["indicators"] == ["multiple-sales", "straw-purchase-signs"]
    assert lead["referral_agency"] == "ATF special agents"


def test_reload_with_the_server_stopped_opens_local_data(context: Any, page: Any, live_server: Any) -> None:
    install_db_helpers(context)
    login(page, live_server.url)
    wait_synced(page)
    wait_offline_ready(page)
    inspection_id = open_first_inspection(page)
    key = item_keys(page)[0]
    page.locator(f"article[data-item='{key}']").get_by_role("button", name="N/A").click()
    expect(unsent_badge(page)).to_contain_text("2")

    live_server.stop()
    page.reload()
    unlock(page)
    item = page.locator(f"article[data-item='{key}']")
    expect(item.get_by_role("button", name="N/A")).to_have_attribute("aria-pressed", "true")
    page.goto(live_server.url + "/")
    unlock(page)
    expect(page.get_by_role("list", name="Open inspections").get_by_role("listitem")).to_have_count(6)
    page.goto(f"{live_server.url}/inspections/{inspection_id}")
    unlock(page)
    expect(page.locator(f"article[data-item='{key}']")).to_be_visible()
    assert len(outbox(page)) == 2


def test_submit_is_refused_on_the_device_while_required_items_are_missing(
    context: Any, page: Any, live_server: Any
) -> None:
    install_db_helpers(context)
    login(page, live_server.url)
    wait_synced(page)
    open_first_inspection(page)
    context.set_offline(True)
    queued = len(outbox(page))
    page.get_by_role("button", name="Submit inspection").click()
    alert = page.get_by_role("alert").filter(has_text="Cannot submit yet")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Required item not answered")
    assert len(outbox(page)) == queued  # no status change was queued
