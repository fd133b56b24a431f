"""/api/v1/inspections and /findings: who sees which, filters, findings."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest

from inspector.db import utcnow
from tests.assertions import assert_problem
from tests.factories import World, add_finding, add_inspection, add_licensee, add_user


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.json]


@pytest.fixture
def more(world: World) -> dict[str, uuid.UUID]:
    """A second Houston investigator with an inspection, and a tombstoned inspection."""
    from inspector.extensions import db

    with world.app.app_context():
        session = db.session
        colleague = add_user(session, "ivan", "investigator", world.houston)
        licensee = add_licensee(session, "NM", world.houston, license_name="MESA ARMS")
        colleagues = add_inspection(
            session, licensee, colleague, status="submitted", due_date=date(2026, 12, 1)
        )
        colleague_finding = add_finding(session, colleagues, "nics-checks", result="violation", instances=2)
        deleted = add_inspection(session, world.licensee, world.investigator, deleted_at=utcnow())
        second = add_inspection(
            session, world.licensee, world.investigator, type="recall", status="in_progress"
        )
        add_finding(session, world.inspection, "form-4473-complete", result="violation", instances=3)
        deleted_finding = add_finding(
            session, world.inspection, "nics-checks", result="compliant", deleted_at=utcnow()
        )
        session.commit()
    return {
        "colleague": colleague.id,
        "colleague_inspection": colleagues,
        "colleague_finding": colleague_finding,
        "deleted": deleted,
        "second": second,
        "deleted_finding": deleted_finding,
    }


def test_investigator_sees_own_inspections_only(world: World, more: dict[str, uuid.UUID]) -> None:
    found = ids(world.client(world.investigator).get("/api/v1/inspections"))
    assert set(found) == {str(world.inspection), str(more["second"])}
    found = ids(world.client(world.investigator_other).get("/api/v1/inspections"))
    assert set(found) == {str(world.inspection_other)}


def test_reviewer_sees_the_office(world: World, more: dict[str, uuid.UUID]) -> None:
    found = ids(world.client(world.reviewer).get("/api/v1/inspections"))
    assert set(found) == {
        str(world.inspection),
        str(more["second"]),
        str(more["colleague_inspection"]),
    }
    found = ids(world.client(world.reviewer_other).get("/api/v1/inspections"))
    assert set(found) == {str(world.inspection_other)}


def test_admin_sees_all_but_tombstones(world: World, more: dict[str, uuid.UUID]) -> None:
    found = ids(world.client(world.admin).get("/api/v1/inspections"))
    assert set(found) == {
        str(world.inspection),
        str(world.inspection_other),
        str(more["second"]),
        str(more["colleague_inspection"]),
    }
    assert str(more["deleted"]) not in found


def test_list_order_is_due_date_first(world: World, more: dict[str, uuid.UUID]) -> None:
    response = world.client(world.reviewer).get("/api/v1/inspections")
    due = [item["due_date"] for item in response.json]
    assert due == sorted(due)
    assert response.json[0]["id"] == str(more["colleague_inspection"])


def test_inspection_fields(world: World) -> None:
    response = world.client(world.investigator).get(f"/api/v1/inspections/{world.inspection}")
    assert response.status_code == 200
    body = response.json
    assert body["id"] == str(world.inspection)
    assert body["licensee_id"] == str(world.licensee)
    assert body["investigator_id"] == str(world.investigator.id)
    assert body["field_office_id"] == str(world.houston)
    assert body["checklist_id"] == str(world.checklist)
    assert body["status"] == "assigned"
    assert body["type"] == "compliance"
    assert body["version"] == 1
    assert "deleted_at" not in body
    assert "created_by" not in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "submitted"}, {"colleague_inspection"}),
        ({"status": "in_progress"}, {"second"}),
        ({"status": "approved"}, set()),
        ({"investigator_id": "colleague"}, {"colleague_inspection"}),
        ({"licensee_id": "licensee"}, {"inspection", "second"}),
    ],
)
def test_filters(world: World, more: dict[str, uuid.UUID], query: dict[str, str], expected: set[str]) -> None:
    objects: dict[str, uuid.UUID] = {
        "inspection": world.inspection,
        "licensee": world.licensee,
        **more,
    }
    resolved = {k: str(objects.get(v, v)) for k, v in query.items()}
    found = ids(world.client(world.reviewer).get("/api/v1/inspections", query_string=resolved))
    assert set(found) == {str(objects[name]) for name in expected}


def test_filters_never_widen_the_scope(world: World, more: dict[str, uuid.UUID]) -> None:
    client = world.client(world.investigator)
    query = {"investigator_id": str(more["colleague"])}
    assert ids(client.get("/api/v1/inspections", query_string=query)) == []
    query = {"licensee_id": str(world.licensee_other)}
    assert ids(client.get("/api/v1/inspections", query_string=query)) == []


def test_pagination_header(world: World, more: dict[str, uuid.UUID]) -> None:
    response = world.client(world.admin).get("/api/v1/inspections", query_string={"page_size": 3})
    meta = json.loads(response.headers["X-Pagination"])
    assert (meta["total"], meta["page"], meta["page_size"], meta["total_pages"]) == (4, 1, 3, 2)
    assert len(response.json) == 3


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("investigator", 200),
        ("reviewer", 200),
        ("admin", 200),
        ("investigator_other", 404),
        ("reviewer_other", 404),
    ],
)
def test_get_one(world: World, persona: str, status: int) -> None:
    response = world.client(world.persona(persona)).get(f"/api/v1/inspections/{world.inspection}")
    if status == 200:
        assert response.status_code == 200
        assert response.json["id"] == str(world.inspection)
    else:
        assert_problem(response, 404, "not-found")


def test_a_colleagues_inspection_is_404_for_an_investigator(world: World, more: dict[str, uuid.UUID]) -> None:
    client = world.client(world.investigator)
    url = f"/api/v1/inspections/{more['colleague_inspection']}"
    assert_problem(client.get(url), 404, "not-found")
    assert_problem(client.get(f"{url}/findings"), 404, "not-found")
    assert_problem(client.get(f"/api/v1/findings/{more['colleague_finding']}"), 404, "not-found")
    assert world.client(world.reviewer).get(url).status_code == 200


def test_a_tombstoned_inspection_is_404_for_everyone(world: World, more: dict[str, uuid.UUID]) -> None:
    for persona in (world.investigator, world.reviewer, world.admin):
        client = world.client(persona)
        assert_problem(client.get(f"/api/v1/inspections/{more['deleted']}"), 404)
        assert_problem(client.get(f"/api/v1/inspections/{more['deleted']}/findings"), 404)


def test_findings_list(world: World, more: dict[str, uuid.UUID]) -> None:
    response = world.client(world.investigator).get(f"/api/v1/inspections/{world.inspection}/findings")
    assert response.status_code == 200
    assert [f["item_key"] for f in response.json] == ["form-4473-complete", "license-posted"]
    violation = response.json[0]
    assert violation["result"] == "violation"
    assert violation["instances"] == 3
    assert violation["inspection_id"] == str(world.inspection)
    assert str(more["deleted_finding"]) not in {f["id"] for f in response.json}
    assert json.loads(response.headers["X-Pagination"])["total"] == 2


def test_findings_list_of_an_inspection_with_none_is_empty(world: World, more: dict[str, uuid.UUID]) -> None:
    response = world.client(world.investigator).get(f"/api/v1/inspections/{more['second']}/findings")
    assert response.status_code == 200
    assert response.json == []


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("investigator", 200),
        ("reviewer", 200),
        ("admin", 200),
        ("investigator_other", 404),
        ("reviewer_other", 404),
    ],
)
def test_findings_of_one_inspection_follow_its_scope(world: World, persona: str, status: int) -> None:
    client = world.client(world.persona(persona))
    response = client.get(f"/api/v1/inspections/{world.inspection}/findings")
    if status == 200:
        assert [f["id"] for f in response.json] == [str(world.finding)]
    else:
        assert_problem(response, 404, "not-found")
    response = client.get(f"/api/v1/findings/{world.finding}")
    if status == 200:
        assert response.status_code == 200
        assert response.json["id"] == str(world.finding)
        assert response.json["item_key"] == "license-posted"
    else:
        assert_problem(response, 404, "not-found")


def test_a_tombstoned_finding_is_404(world: World, more: dict[str, uuid.UUID]) -> None:
    client = world.client(world.admin)
    assert_problem(client.get(f"/api/v1/findings/{more['deleted_finding']}"), 404, "not-found")


def test_unknown_ids_are_404(world: World) -> None:
    client = world.client(world.admin)
    for path in ("inspections", "findings"):
        assert_problem(client.get(f"/api/v1/{path}/{uuid.uuid4()}"), 404, "not-found")
    assert_problem(client.get(f"/api/v1/inspections/{uuid.uuid4()}/findings"), 404)


def test_an_investigator_who_moved_office_keeps_only_their_own(
    world: World, more: dict[str, uuid.UUID]
) -> None:
    """Visibility follows the inspection's investigator, not the office they sit in now."""
    from inspector.extensions import db
    from inspector.offices.models import User

    with world.app.app_context():
        user = db.session.get(User, world.investigator.id)
        assert user is not None
        user.field_office_id = world.phoenix
        db.session.commit()
    found = ids(world.client(world.investigator).get("/api/v1/inspections"))
    assert set(found) == {str(world.inspection), str(more["second"])}
