"""Field-office review end to end: a reviewer returns an inspection with a comment on one
finding, the investigator's tablet shows it after its next sync, the investigator fixes and
resubmits, the reviewer approves and downloads the Report of Violations."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.support import DEMO_PASSWORD, check_screen, unlock
from tests.browser.test_queues import office_login
from tests.browser.test_sync import sync_now, tablet

pytestmark = pytest.mark.browser


def submitted_from_another_tablet(app: Flask) -> dict[str, Any]:
    """The demo investigator answers every required item of one inspection (one violation,
    two instances) and submits it, through the API as a tablet would."""
    client = app.test_client()
    device = str(uuid.uuid4())
    login = {"username": "investigator", "password": DEMO_PASSWORD, "device_id": device}
    token = client.post("/api/v1/auth/token", json=login).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    inspection = client.get("/api/v1/inspections", headers=headers).get_json()[0]
    checklist = client.get(f"/api/v1/checklists/{inspection['checklist_id']}", headers=headers).get_json()
    licensee = client.get(f"/api/v1/licensees/{inspection['licensee_id']}", headers=headers).get_json()
    required = [
        item
        for item in checklist["items"]
        if item["required"]
        and (not item["license_types"] or licensee["license_type"] in item["license_types"])
        and (not item["states"] or licensee["premises_state"] in item["states"])
    ]
    violation = next((i for i in required if i["key"] == "form-4473-complete"), required[0])
    changes: list[dict[str, Any]] = []

    def add(entity: str, record_id: str, action: str, fields: dict[str, Any], base: int | None) -> None:
        changes.append(
            {
                "op_id": str(uuid.uuid4()),
                "seq": len(changes) + 1,
                "entity": entity,
                "id": record_id,
                "action": action,
                "base_version": base,
                "fields": fields,
                "client_time": "2026-11-30T08:00:00Z",
            }
        )

    for item in required:
        fields: dict[str, Any] = {
            "inspection_id": inspection["id"],
            "item_key": item["key"],
            "result": "compliant",
        }
        if item is violation:
            fields.update(result="violation", instances=2, note="Two transfers without a signed 4473.")
        add("finding", str(uuid.uuid4()), "create", fields, None)
    add("inspection", inspection["id"], "update", {"status": "in_progress"}, inspection["version"])
    fields = {"status": "submitted", "recommended_outcome": "warning_letter"}
    add("inspection", inspection["id"], "update", fields, inspection["version"] + 1)
    body = {"device_id": device, "schema_version": 1, "changes": changes}
    receipts = client.post("/api/v1/sync/push", json=body, headers=headers).get_json()["receipts"]
    assert all(r["status"] == "applied" for r in receipts), receipts
    return {"id": inspection["id"], "key": violation["key"], "citation": violation["citation"]}


def open_for_review(reviewer: Any, inspection_id: str) -> None:
    reviewer.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    expect(reviewer.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    reviewer.locator(f"a[href='/review/inspections/{inspection_id}']").click()
    expect(reviewer.get_by_role("heading", name="Findings", exact=False)).to_be_visible()


def test_return_with_a_comment_then_resubmit_then_approve_and_print(
    new_context: Any, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    submitted = submitted_from_another_tablet(live_server.app)
    inspection, key = submitted["id"], submitted["key"]
    _ctx, ipad = tablet(new_context, base)

    # The reviewer finds it first in the list (submitted) and returns it with two comments.
    reviewer = office_login(new_context, base, "reviewer", "Review")
    rows = reviewer.get_by_role("table", name="Inspections").locator("tbody tr")
    expect(rows.first.locator(f"a[href='/review/inspections/{inspection}']")).to_be_visible()
    check_screen(reviewer, "review list")
    open_for_review(reviewer, inspection)
    finding = reviewer.locator(f"article[data-item='{key}']")
    expect(finding).to_contain_text(submitted["citation"])
    expect(finding).to_contain_text("2 instance(s)")
    finding.get_by_label(re.compile("^Comment on this finding")).fill("The binder shows a third transfer.")
    reviewer.get_by_label("What needs to change (required)").fill("Recount the 4473s, please.")
    check_screen(reviewer, "review of a submitted inspection")
    reviewer.get_by_role("button", name="Return to investigator").click()
    expect(reviewer.get_by_role("status").filter(has_text="Returned to the investigator")).to_be_visible()
    expect(reviewer.locator(".badge").filter(has_text="returned")).to_be_visible()

    # The tablet's next sync brings both comments.
    sync_now(ipad, base)
    ipad.goto(f"{base}/inspections/{inspection}")
    unlock(ipad)
    expect(ipad.get_by_role("note").filter(has_text="Recount the 4473s, please.")).to_be_visible()
    card = ipad.locator(f"article[data-item='{key}']")
    expect(card.get_by_role("note")).to_contain_text("The binder shows a third transfer.")
    check_screen(ipad, "returned inspection on the tablet")

    # The investigator fixes the count and resubmits.
    card.get_by_role("button", name="One more violation").click()
    expect(card.get_by_label("Violations counted")).to_have_value("3")
    ipad.get_by_role("button", name="Submit inspection").click()
    expect(ipad.get_by_role("status").filter(has_text="Submitted on this tablet")).to_be_visible()
    sync_now(ipad, base)

    # The reviewer approves with the decided outcome; the report downloads.
    open_for_review(reviewer, inspection)
    expect(reviewer.locator(f"article[data-item='{key}']")).to_contain_text("3 instance(s)")
    reviewer.get_by_label("Decided outcome").select_option("warning_letter")
    reviewer.get_by_role("button", name="Approve", exact=True).click()
    expect(reviewer.get_by_role("status").filter(has_text="Approved.")).to_be_visible()
    expect(reviewer.locator(".badge").filter(has_text="approved")).to_be_visible()
    with reviewer.expect_download() as download:
        reviewer.get_by_role("link", name="Report of Violations (PDF)").click()
    path = tmp_path / "report.pdf"
    download.value.save_as(path)
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert text.startswith("Report of Violations")
    assert f"Citation: {submitted['citation']} Instances: 3" in text
    assert "Decided outcome: warning letter" in text

    # The tablet learns of the approval, and the finding's comment is gone with the decision.
    sync_now(ipad, base)
    ipad.goto(f"{base}/inspections/{inspection}")
    unlock(ipad)
    expect(ipad.get_by_text("This inspection is approved.")).to_be_visible()
    expect(ipad.locator(f"article[data-item='{key}']").get_by_role("note")).to_have_count(0)
