"""Approve and return: the reviewer's decisions, what the investigator's tablet receives,
what is refused (wrong role 403, other office 404, wrong state 409, bad outcome 422)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from tests.assertions import assert_problem
from tests.factories import World
from tests.leads.test_workflow import audit_rows
from tests.review.helpers import findings_by_key, inspection_row, licensee_row, submit
from tests.sync.device import SimDevice, change


def approve(world: World, body: dict[str, Any], inspection: uuid.UUID | None = None) -> Any:
    url = f"/api/v1/inspections/{inspection or world.inspection}/approve"
    return world.client(world.reviewer).post(url, json=body)


def send_back(world: World, body: dict[str, Any], inspection: uuid.UUID | None = None) -> Any:
    url = f"/api/v1/inspections/{inspection or world.inspection}/return"
    return world.client(world.reviewer).post(url, json=body)


def pulled(tablet: SimDevice, entity: str, record_id: uuid.UUID) -> dict[str, Any]:
    return tablet.replica[(entity, str(record_id))]


def test_return_reaches_the_tablet_then_resubmit_then_approve(world: World) -> None:
    tablet = SimDevice(world, world.investigator)
    findings = submit(world, tablet=tablet)
    tablet.sync_down()
    violation, other = findings["form-4473-complete"], findings["license-posted"]

    response = send_back(
        world,
        {
            "comment": "Recount the 4473s.",
            "findings": [{"finding_id": str(violation), "comment": "Three or four? Check the binder."}],
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert (body["status"], body["review_comment"], body["reviewer_name"]) == (
        "returned",
        "Recount the 4473s.",
        "Ray",
    )
    assert body["decided_outcome"] is None and body["reviewed_at"]

    # the tablet's next pull brings the returned inspection and the finding's comment
    tablet.sync_down()
    inspection = pulled(tablet, "inspection", world.inspection)
    assert (inspection["status"], inspection["review_comment"]) == ("returned", "Recount the 4473s.")
    assert pulled(tablet, "finding", violation)["review_comment"] == "Three or four? Check the binder."
    assert pulled(tablet, "finding", other)["review_comment"] is None
    [(actor, target, details)] = audit_rows(world, "inspection-returned")
    assert (actor, target) == ("ray", str(world.inspection))
    assert details["findings"] == {str(violation): "Three or four? Check the binder."}

    # the investigator fixes the count and resubmits: the comments stay until the next decision
    version = inspection["version"]
    finding_version = pulled(tablet, "finding", violation)["version"]
    receipts = tablet.push(
        change("finding", violation, "update", {"instances": 4}, finding_version),
        change("inspection", world.inspection, "update", {"status": "in_progress"}, version),
        change("inspection", world.inspection, "update", {"status": "submitted"}, version + 1),
    )["receipts"]
    assert [r["status"] for r in receipts] == ["applied"] * 3, receipts
    assert findings_by_key(world, world.inspection)["form-4473-complete"].review_comment is not None
    assert inspection_row(world, world.inspection).review_comment == "Recount the 4473s."

    response = approve(world, {"decided_outcome": "warning_letter", "comment": "Fine now."})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.json["status"], response.json["decided_outcome"]) == ("approved", "warning_letter")
    row = inspection_row(world, world.inspection)
    assert (row.reviewer_id, row.review_comment) == (world.reviewer.id, "Fine now.")
    assert all(f.review_comment is None for f in findings_by_key(world, world.inspection).values())
    tablet.sync_down()
    assert pulled(tablet, "inspection", world.inspection)["status"] == "approved"
    assert pulled(tablet, "finding", violation)["review_comment"] is None
    [(actor, _target, details)] = audit_rows(world, "inspection-approved")
    assert actor == "ray"
    assert details["decided_outcome"] == "warning_letter"
    assert details["recommended_outcome"] == "warning_letter"
    # history keeps every decision
    history = world.client(world.reviewer).get(f"/api/v1/findings/{violation}/history").json
    assert [v["record"]["review_comment"] for v in history][-3:] == [
        "Three or four? Check the binder.",
        "Three or four? Check the binder.",
        None,
    ]
    # an approved inspection is closed to devices
    [locked] = tablet.push(change("finding", violation, "update", {"note": "late"}, finding_version + 2))[
        "receipts"
    ]
    assert locked["problem"]["type"] == "/problems/record-locked"


def test_approval_notes_the_licensees_last_inspection(world: World) -> None:

    submit(world)
    assert approve(world, {"decided_outcome": "report_of_violations"}).status_code == 200
    licensee = licensee_row(world)
    submitted = inspection_row(world, world.inspection).submitted_at
    assert licensee.last_inspection_date == submitted.date()
    assert licensee.last_inspection_outcome == "report_of_violations"
    assert licensee.version == 2
    # the investigator's tablet learns it (the 12-month rule reads it offline)
    tablet = SimDevice(world, world.investigator)
    tablet.sync_down()
    assert pulled(tablet, "licensee", world.licensee)["last_inspection_date"] == submitted.date().isoformat()


def test_an_approved_recall_does_not_restart_the_twelve_months(world: World) -> None:
    from inspector.extensions import db
    from inspector.inspections.models import Inspection

    with world.app.app_context():
        db.session.execute(
            sa.update(Inspection).where(Inspection.id == world.inspection).values(type="recall")
        )
        db.session.commit()
    submit(world)
    assert approve(world, {"decided_outcome": "report_of_violations"}).status_code == 200
    licensee = licensee_row(world)
    assert (licensee.last_inspection_date, licensee.version) == (None, 1)
    # so a compliance inspection can still be queued for it
    response = world.client(world.admin).post(
        f"/api/v1/queues/{world.investigator.id}/assignments",
        json={"licensee_ids": [str(world.licensee)], "type": "compliance", "due_date": "2026-12-31"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_late_approval_never_moves_the_last_inspection_back(world: World) -> None:
    from inspector.extensions import db
    from inspector.licensees.models import Licensee

    with world.app.app_context():
        licensee = db.session.get(Licensee, world.licensee)
        assert licensee is not None
        licensee.last_inspection_date = date(2099, 1, 1)
        licensee.last_inspection_outcome = "warning_letter"
        db.session.commit()
    submit(world)
    assert approve(world, {"decided_outcome": "report_of_violations"}).status_code == 200
    licensee = licensee_row(world)
    assert (licensee.last_inspection_date, licensee.last_inspection_outcome) == (
        date(2099, 1, 1),
        "warning_letter",
    )


def test_a_second_return_replaces_the_finding_comments(world: World) -> None:
    tablet = SimDevice(world, world.investigator)
    findings = submit(world, tablet=tablet)
    first, second = findings["form-4473-complete"], findings["nics-checks"]
    body = {"comment": "One.", "findings": [{"finding_id": str(first), "comment": "about 4473"}]}
    assert send_back(world, body).status_code == 200
    submit(world, tablet=tablet)
    body = {"comment": "Two.", "findings": [{"finding_id": str(second), "comment": "about NICS"}]}
    assert send_back(world, body).status_code == 200
    rows = findings_by_key(world, world.inspection)
    assert rows["form-4473-complete"].review_comment is None
    assert rows["nics-checks"].review_comment == "about NICS"
    assert inspection_row(world, world.inspection).review_comment == "Two."
    assert len(audit_rows(world, "inspection-returned")) == 2


def test_approval_is_refused_while_conflicts_are_open(world: World) -> None:
    from inspector.extensions import db
    from inspector.inspections.models import Finding

    findings = submit(world)
    with world.app.app_context():  # open conflicts left on a finding (e.g. by an older server)
        db.session.execute(
            sa.update(Finding).where(Finding.id == findings["nics-checks"]).values(open_conflicts=2)
        )
        db.session.commit()
    body = assert_problem(approve(world, {"decided_outcome": "warning_letter"}), 409, "conflict")
    assert body["open_conflicts"] == 2
    assert "open_conflicts" in body["errors"]
    assert inspection_row(world, world.inspection).status == "submitted"
    assert audit_rows(world, "inspection-approved") == []
    # returning is how the investigator gets to resolve them
    assert send_back(world, {"comment": "Resolve the conflicts."}).status_code == 200


@pytest.mark.parametrize(
    ("violations", "body", "field"),
    [
        ({"form-4473-complete": 3}, {"decided_outcome": "no_violations"}, "decided_outcome"),
        ({}, {"decided_outcome": "warning_letter"}, "decided_outcome"),
        ({"form-4473-complete": 3}, {"decided_outcome": "revocation"}, "willful_finding_ids"),
        ({"form-4473-complete": 3}, {"decided_outcome": "probation"}, "decided_outcome"),
        ({"form-4473-complete": 3}, {"decided_outcome": "warning_letter", "extra": 1}, "extra"),
        ({"form-4473-complete": 3}, {}, "decided_outcome"),
    ],
)
def test_the_outcome_must_fit_the_findings(
    world: World, violations: dict[str, int], body: dict[str, Any], field: str
) -> None:
    submit(world, violations=violations)
    problem = assert_problem(approve(world, body), 422, "validation-error")
    assert field in problem["errors"]
    assert inspection_row(world, world.inspection).status == "submitted"


def test_revocation_needs_a_willful_violation(world: World) -> None:
    findings = submit(world, violations={"form-4473-complete": 3, "nics-checks": 1})
    compliant = findings["license-posted"]
    body = {"decided_outcome": "revocation", "willful_finding_ids": [str(compliant)]}
    problem = assert_problem(approve(world, body), 422, "validation-error")
    assert "willful_finding_ids" in problem["errors"]
    body = {"decided_outcome": "revocation", "willful_finding_ids": [str(findings["nics-checks"])]}
    response = approve(world, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    [(_a, _t, details)] = audit_rows(world, "inspection-approved")
    assert details["willful_finding_ids"] == [str(findings["nics-checks"])]


def test_no_violations_is_approved_without_violations(world: World) -> None:
    submit(world, violations={})
    response = approve(world, {"decided_outcome": "no_violations"})
    assert response.status_code == 200
    assert response.json["review_comment"] is None


@pytest.mark.parametrize("action", ["approve", "return"])
def test_only_submitted_inspections_are_decided(world: World, action: str) -> None:
    decide = approve if action == "approve" else send_back
    body = {"decided_outcome": "warning_letter", "comment": "x"} if action == "approve" else {"comment": "x"}
    assert assert_problem(decide(world, body), 409, "conflict")["inspection_status"] == "assigned"
    submit(world)
    assert approve(world, {"decided_outcome": "warning_letter"}).status_code == 200
    assert assert_problem(decide(world, body), 409, "conflict")["inspection_status"] == "approved"


def test_return_needs_a_comment_and_findings_of_the_inspection(world: World) -> None:
    submit(world)
    for body in ({}, {"comment": ""}, {"comment": "   "}):
        assert_problem(send_back(world, body), 422, "validation-error")
    stranger = {"comment": "x", "findings": [{"finding_id": str(world.finding_other), "comment": "y"}]}
    problem = assert_problem(send_back(world, stranger), 422, "validation-error")
    assert "findings" in problem["errors"]
    twice = {"finding_id": str(world.finding), "comment": "y"}
    problem = assert_problem(send_back(world, {"comment": "x", "findings": [twice, twice]}), 422)
    assert "findings" in problem["errors"]
    assert inspection_row(world, world.inspection).status == "submitted"
    assert findings_by_key(world, world.inspection)["license-posted"].review_comment is None


@pytest.mark.parametrize(
    ("persona", "status"),
    [("investigator", 403), ("investigator_other", 403), ("admin", 403), ("reviewer_other", 404)],
)
@pytest.mark.parametrize("action", ["approve", "return"])
def test_decisions_are_the_office_reviewers(world: World, persona: str, status: int, action: str) -> None:
    submit(world)
    body = {"decided_outcome": "warning_letter"} if action == "approve" else {"comment": "x"}
    client = world.client(world.persona(persona))
    assert_problem(client.post(f"/api/v1/inspections/{world.inspection}/{action}", json=body), status)
    assert inspection_row(world, world.inspection).status == "submitted"
    assert audit_rows(world, f"inspection-{action}d" if action == "approve" else "inspection-returned") == []


def test_the_conflicts_of_one_inspection(world: World) -> None:
    """The review screen lists the open conflicts of the inspection it shows, and only those."""
    from tests.test_authorization_matrix import make_conflict

    conflict = make_conflict(world)
    client = world.client(world.reviewer)
    found = client.get(
        "/api/v1/conflicts", query_string={"status": "open", "inspection_id": str(world.inspection)}
    )
    assert [c["id"] for c in found.json] == [str(conflict)]
    elsewhere = client.get("/api/v1/conflicts", query_string={"inspection_id": str(uuid.uuid4())})
    assert elsewhere.status_code == 200 and elsewhere.json == []


def test_approval_is_refused_while_required_items_are_unanswered(world: World) -> None:
    """The submission rule holds at approval too (here a required finding's tombstone)."""
    from inspector.db import utcnow
    from inspector.extensions import db
    from inspector.inspections.models import Finding

    findings = submit(world, violations={})
    with world.app.app_context():
        db.session.execute(
            sa.update(Finding).where(Finding.id == findings["nics-checks"]).values(deleted_at=utcnow())
        )
        db.session.commit()
    body = assert_problem(approve(world, {"decided_outcome": "no_violations"}), 409, "conflict")
    assert body["open_conflicts"] == 0
    assert body["errors"]["missing_items"] == ["nics-checks"]
    assert inspection_row(world, world.inspection).status == "submitted"
