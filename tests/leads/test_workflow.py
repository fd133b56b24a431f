"""The lead lifecycle and need-to-know: who sees which lead, who moves it, what is audited."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from tests.assertions import assert_problem
from tests.factories import World
from tests.leads.helpers import device, firearm, lead_row, push_lead, submitted_lead, update_lead
from tests.sync.device import change

REFER = {"agency": "ATF special agents", "referred_on": "2026-11-29", "reference": "ATF-2026-0042"}


def audit_rows(world: World, action: str) -> list[tuple[str | None, str | None, dict]]:
    from inspector.audit.models import AuditEvent
    from inspector.extensions import db

    with world.app.app_context():
        return [
            (e.actor_username, e.target_id, e.details)
            for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action))
        ]


def test_lifecycle_draft_submitted_referred_closed(world: World) -> None:
    tablet = device(world, world.investigator)
    lead = push_lead(tablet, firearms=[firearm("Q-1")])
    reviewer = world.client(world.reviewer)
    # a draft cannot be referred yet
    assert_problem(reviewer.post(f"/api/v1/leads/{lead}/refer", json=REFER), 409, "conflict")
    receipt = update_lead(tablet, lead, 1, status="submitted")
    assert receipt["status"] == "applied", receipt

    response = reviewer.post(f"/api/v1/leads/{lead}/refer", json=REFER)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "referred"
    assert response.json["referral_agency"] == "ATF special agents"
    assert response.json["referred_on"] == "2026-11-29"
    assert response.json["referral_reference"] == "ATF-2026-0042"
    assert_problem(reviewer.post(f"/api/v1/leads/{lead}/refer", json=REFER), 409, "conflict")

    # the device receives the referral, and can no longer change the lead
    tablet.sync_down()
    record = tablet.replica[("lead", str(lead))]
    assert record["status"] == "referred" and record["referral_reference"] == "ATF-2026-0042"
    locked = update_lead(tablet, lead, record["version"], narrative="late edit")
    assert locked["status"] == "rejected" and locked["problem"]["type"] == "/problems/record-locked"

    response = reviewer.post(f"/api/v1/leads/{lead}/close", json={"result": "Agency opened a case."})
    assert response.status_code == 200
    assert response.json["status"] == "closed" and response.json["close_result"] == "Agency opened a case."
    assert response.json["closed_at"].endswith("Z")
    assert_problem(reviewer.post(f"/api/v1/leads/{lead}/close", json={"result": "again"}), 409, "conflict")
    tablet.sync_down()
    assert tablet.replica[("lead", str(lead))]["status"] == "closed"

    history = world.client(world.investigator).get(f"/api/v1/leads/{lead}/history").json
    assert [v["record"]["status"] for v in history] == ["draft", "submitted", "referred", "closed"]
    assert [a for a, _t, _d in audit_rows(world, "lead-referred")] == ["ray"]
    assert [a for a, _t, _d in audit_rows(world, "lead-closed")] == ["ray"]


def test_workflow_roles_and_scope(world: World) -> None:
    lead = submitted_lead(device(world, world.investigator))
    for persona in (world.investigator, world.investigator_other, world.admin):
        client = world.client(persona)
        for action, body in (("refer", REFER), ("close", {"result": "x"})):
            assert_problem(client.post(f"/api/v1/leads/{lead}/{action}", json=body), 403, "forbidden")
    other = world.client(world.reviewer_other)
    assert_problem(other.post(f"/api/v1/leads/{lead}/refer", json=REFER), 404, "not-found")
    assert_problem(other.post(f"/api/v1/leads/{lead}/close", json={"result": "x"}), 404, "not-found")
    reviewer = world.client(world.reviewer)
    assert_problem(reviewer.post(f"/api/v1/leads/{uuid.uuid4()}/refer", json=REFER), 404, "not-found")
    bad = reviewer.post(f"/api/v1/leads/{lead}/refer", json={"agency": "ATF"})
    assert_problem(bad, 422, "validation-error")
    assert set(bad.json["errors"]) == {"referred_on", "reference"}
    future = reviewer.post(f"/api/v1/leads/{lead}/refer", json={**REFER, "referred_on": "2999-01-01"})
    assert_problem(future, 422, "validation-error")
    assert lead_row(world, lead).status == "submitted"


def test_lists_follow_need_to_know(world: World) -> None:
    ours = submitted_lead(device(world, world.investigator), narrative="Houston text")
    theirs = push_lead(device(world, world.investigator_other), narrative="Phoenix text")

    def ids(persona, query: str = "") -> list[str]:  # type: ignore[no-untyped-def]
        response = world.client(persona).get(f"/api/v1/leads{query}")
        assert response.status_code == 200
        assert "X-Pagination" in response.headers
        return [lead["id"] for lead in response.json]

    assert ids(world.investigator) == [str(ours)]
    assert ids(world.investigator_other) == [str(theirs)]
    assert ids(world.reviewer) == [str(ours)]
    assert ids(world.reviewer_other) == [str(theirs)]
    assert set(ids(world.admin)) == {str(ours), str(theirs)}
    assert ids(world.admin, f"?field_office_id={world.phoenix}") == [str(theirs)]
    assert ids(world.admin, "?status=submitted") == [str(ours)]
    assert ids(world.reviewer, "?status=draft") == []
    pagination = json.loads(
        world.client(world.admin).get("/api/v1/leads?page_size=1").headers["X-Pagination"]
    )
    assert pagination["total"] == 2 and pagination["page_size"] == 1
    assert_problem(world.client(world.admin).get("/api/v1/leads?status=bogus"), 422, "validation-error")

    assert world.client(world.investigator).get(f"/api/v1/leads/{theirs}").status_code == 404
    assert world.client(world.reviewer).get(f"/api/v1/leads/{theirs}").status_code == 404
    assert world.client(world.reviewer_other).get(f"/api/v1/leads/{theirs}").status_code == 200


def test_admins_never_see_subjects_narrative_or_firearms(world: World) -> None:
    secret_name, secret_text, secret_serial = "Ophelia Underhill", "narrative-for-investigators", "SERIAL-Q9"
    tablet = device(world, world.investigator)
    lead = submitted_lead(
        tablet,
        subjects=[{"name": secret_name, "role": "buyer"}],
        narrative=secret_text,
        firearms=[firearm(secret_serial)],
    )
    reviewer = world.client(world.reviewer)
    assert reviewer.post(f"/api/v1/leads/{lead}/refer", json=REFER).status_code == 200
    closed = reviewer.post(f"/api/v1/leads/{lead}/close", json={"result": "close-result-for-investigators"})
    assert closed.status_code == 200
    admin = world.client(world.admin)
    listed = admin.get("/api/v1/leads")
    detail = admin.get(f"/api/v1/leads/{lead}")
    history = admin.get(f"/api/v1/leads/{lead}/history")
    admin_device = device(world, world.admin)
    pulled = admin_device.sync_down()
    assert detail.status_code == 200
    assert detail.json["redacted"] is True
    assert detail.json["subjects_count"] == 1 and detail.json["firearms_count"] == 1
    assert detail.json["status"] == "closed" and detail.json["match_count"] == 0
    for absent in ("narrative", "subjects", "firearms", "referral_reference", "close_result"):
        assert absent not in detail.json
    for body in (
        listed.get_data(as_text=True),
        detail.get_data(as_text=True),
        history.get_data(as_text=True),
    ):
        assert secret_name not in body and secret_text not in body
        assert "Ophelia" not in body and "close-result" not in body and "ATF-2026-0042" not in body
    lead_records = [c["record"] for c in pulled if c["entity"] == "lead"]
    assert lead_records and all(r["narrative"] is None and r["subjects"] == [] for r in lead_records)
    for secret in (secret_text, secret_name, "close-result", "ATF-2026-0042"):
        assert secret not in str(pulled)
    # the investigator and the reviewer see it all
    full = reviewer.get(f"/api/v1/leads/{lead}").json
    assert full["narrative"] == secret_text and full["subjects"][0]["name"] == secret_name
    assert full["redacted"] is False


def test_every_detail_read_is_audited(world: World) -> None:
    lead = push_lead(device(world, world.investigator))
    for persona in (world.investigator, world.reviewer, world.admin):
        assert world.client(persona).get(f"/api/v1/leads/{lead}").status_code == 200
    rows = audit_rows(world, "lead-read")
    assert sorted(a for a, _t, _d in rows) == ["ada", "ines", "ray"]
    assert {t for _a, t, _d in rows} == {str(lead)}
    assert {a: d["redacted"] for a, _t, d in rows} == {"ada": True, "ines": False, "ray": False}
    # a refused read leaves no read row
    assert world.client(world.reviewer_other).get(f"/api/v1/leads/{lead}").status_code == 404
    assert len(audit_rows(world, "lead-read")) == 3
    # lists do not read details
    world.client(world.reviewer).get("/api/v1/leads")
    assert len(audit_rows(world, "lead-read")) == 3
    # a lead's history is its detail too
    assert world.client(world.reviewer).get(f"/api/v1/leads/{lead}/history").status_code == 200
    rows = audit_rows(world, "lead-read")
    assert len(rows) == 4 and rows[-1][0] == "ray" and rows[-1][2]["via"] == "history"


def test_reviewer_extends_the_purge_date_with_a_reason(world: World) -> None:
    tablet = device(world, world.investigator)
    lead = push_lead(tablet)
    before = lead_row(world, lead)
    reviewer = world.client(world.reviewer)
    earlier = reviewer.post(
        f"/api/v1/leads/{lead}/extend", json={"purge_after": "2027-01-01T00:00:00Z", "reason": "shorter"}
    )
    assert_problem(earlier, 422, "validation-error")
    assert_problem(
        reviewer.post(f"/api/v1/leads/{lead}/extend", json={"purge_after": "2031-01-01T00:00:00Z"}),
        422,
        "validation-error",
    )
    response = reviewer.post(
        f"/api/v1/leads/{lead}/extend",
        json={"purge_after": "2031-01-01T00:00:00Z", "reason": "Prosecution pending."},
    )
    assert response.status_code == 200
    assert response.json["purge_after"].startswith("2031-01-01T00:00:00")
    after = lead_row(world, lead)
    assert after.version == before.version + 1
    [(actor, target, details)] = audit_rows(world, "lead-purge-extended")
    assert actor == "ray" and target == str(lead)
    assert details["reason"] == "Prosecution pending." and details["to"].startswith("2031-01-01")
    tablet.sync_down()
    assert tablet.replica[("lead", str(lead))]["purge_after"].startswith("2031-01-01")
    for persona in (world.investigator, world.admin):
        refused = world.client(persona).post(
            f"/api/v1/leads/{lead}/extend", json={"purge_after": "2032-01-01T00:00:00Z", "reason": "mine"}
        )
        assert_problem(refused, 403, "forbidden")


def test_devices_cannot_set_workflow_fields(world: World) -> None:
    tablet = device(world, world.investigator)
    lead = push_lead(tablet)
    for fields in ({"status": "referred"}, {"match_count": 0}, {"referral_reference": "x"}):
        [receipt] = tablet.push(change("lead", lead, "update", fields, 1))["receipts"]
        assert receipt["status"] == "rejected", (fields, receipt)


def test_a_page_far_past_the_end_is_empty(world: World) -> None:
    push_lead(device(world, world.investigator))
    response = world.client(world.reviewer).get(f"/api/v1/leads?page={10**24}&page_size=500")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json == []
