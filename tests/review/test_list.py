"""GET /inspections for the review screen: submitted first, review filters, what each row shows."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from inspector.db import utcnow
from tests.factories import World, add_finding, add_inspection, add_licensee, add_user


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.json]


@pytest.fixture
def office(world: World) -> dict[str, uuid.UUID]:
    """Houston's inspections in every state of review, made directly in the database."""
    from inspector.extensions import db

    now = utcnow()
    with world.app.app_context():
        session = db.session
        ivan = add_user(session, "ivan", "investigator", world.houston)
        mesa = add_licensee(session, "NM", world.houston, license_name="MESA ARMS", business_name="Mesa Guns")
        old = add_inspection(
            session,
            mesa,
            ivan,
            status="submitted",
            submitted_at=now - timedelta(days=10),
            recommended_outcome="warning_letter",
        )
        add_finding(session, old, "nics-checks", result="violation", instances=2)
        recent = add_inspection(
            session,
            world.licensee,
            world.investigator,
            type="recall",
            status="submitted",
            submitted_at=now - timedelta(days=1),
            recommended_outcome="no_violations",
        )
        add_finding(session, recent, "nics-checks", result="compliant", open_conflicts=1)
        approved = add_inspection(
            session,
            mesa,
            ivan,
            status="approved",
            submitted_at=now - timedelta(days=30),
            recommended_outcome="warning_letter",
            decided_outcome="report_of_violations",
        )
        add_finding(session, approved, "form-4473-complete", result="violation", instances=1)
        add_finding(session, approved, "license-posted", result="violation", instances=1, deleted_at=now)
        returned = add_inspection(
            session, world.licensee, world.investigator, status="returned", type="recall"
        )
        session.commit()
    return {
        "ivan": ivan.id,
        "mesa": mesa,
        "old": old,
        "recent": recent,
        "approved": approved,
        "back": returned,
    }


def test_reviewers_see_what_waits_for_them_first(world: World, office: dict[str, uuid.UUID]) -> None:
    found = ids(world.client(world.reviewer).get("/api/v1/inspections"))
    assert found == [
        str(office["old"]),
        str(office["recent"]),
        str(office["back"]),
        str(world.inspection),
        str(office["approved"]),
    ]


def test_rows_carry_what_the_list_shows(world: World, office: dict[str, uuid.UUID]) -> None:
    rows = {r["id"]: r for r in world.client(world.reviewer).get("/api/v1/inspections").json}
    old = rows[str(office["old"])]
    assert (
        old["licensee_name"],
        old["investigator_name"],
        old["violation_count"],
        old["conflict_count"],
    ) == (
        "Mesa Guns",
        "Ivan",
        1,
        0,
    )
    assert old["license_number"].startswith("5-74-201-01-7F-")
    assert old["submitted_at"].endswith("Z")
    assert rows[str(office["recent"])]["conflict_count"] == 1
    assert rows[str(office["approved"])]["violation_count"] == 1  # the deleted one does not count
    one = world.client(world.reviewer).get(f"/api/v1/inspections/{office['old']}").json
    assert one["licensee_name"] == "Mesa Guns"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"has_violations": "true"}, {"old", "approved"}),
        ({"has_violations": "false"}, {"recent", "back", "inspection"}),
        ({"has_open_conflicts": "true"}, {"recent"}),
        ({"has_open_conflicts": "false", "status": "submitted"}, {"old"}),
        ({"outcome": "warning_letter"}, {"old"}),
        ({"outcome": "report_of_violations"}, {"approved"}),
        ({"investigator_id": "ivan"}, {"old", "approved"}),
        ({"licensee_id": "mesa"}, {"old", "approved"}),
        ({"q": "MeSa"}, {"old", "approved"}),
        ({"q": "LONE STAR"}, {"recent", "back", "inspection"}),
        ({"type": "recall"}, {"recent", "back"}),
        ({"submitted_from": "days-2"}, {"recent"}),
        ({"submitted_from": "days-15", "submitted_to": "days-5"}, {"old"}),
        ({"submitted_to": "days-11"}, {"approved"}),
        ({"status": "returned"}, {"back"}),
    ],
)
def test_review_filters(
    world: World, office: dict[str, uuid.UUID], query: dict[str, str], expected: set[str]
) -> None:
    objects = {"inspection": world.inspection, **office}

    def value(v: str) -> str:
        if v.startswith("days-"):
            return (utcnow() - timedelta(days=int(v[5:]))).date().isoformat()
        return str(objects.get(v, v))

    resolved = {k: value(v) for k, v in query.items()}
    found = ids(world.client(world.reviewer).get("/api/v1/inspections", query_string=resolved))
    assert set(found) == {str(objects[name]) for name in expected}


def test_filters_keep_to_the_reviewers_office(world: World, office: dict[str, uuid.UUID]) -> None:
    client = world.client(world.reviewer_other)
    assert ids(client.get("/api/v1/inspections", query_string={"has_violations": "true"})) == []
    assert ids(client.get("/api/v1/inspections", query_string={"field_office_id": str(world.houston)})) == []


def test_bad_filters_are_422(world: World) -> None:
    from tests.assertions import assert_problem

    client = world.client(world.reviewer)
    for query in ({"outcome": "probation"}, {"has_violations": "maybe"}, {"submitted_from": "yesterday"}):
        assert_problem(client.get("/api/v1/inspections", query_string=query), 422, "validation-error")


def test_investigators_keep_their_queue_order(world: World, office: dict[str, uuid.UUID]) -> None:
    from inspector.extensions import db
    from inspector.inspections.models import Inspection

    with world.app.app_context():
        db.session.execute(sa.update(Inspection).where(Inspection.id == world.inspection).values(priority=5))
        db.session.commit()
    response = world.client(world.investigator).get("/api/v1/inspections")
    due = [(r["due_date"], -r["priority"]) for r in response.json]
    assert due == sorted(due)
