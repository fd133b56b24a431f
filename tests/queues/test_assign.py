"""Queues through the API: the ranked list, assigning, the queue, reordering, unassigning."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.assertions import assert_problem
from tests.factories import World, add_finding, add_inspection, add_licensee, add_user
from tests.sync.helpers import current_cursor, pull_all, pulled

TODAY = datetime.now(UTC).date()


def db_session(world: World) -> Any:
    from inspector.extensions import db

    return db.session


def licensees(world: World, count: int, state: str = "TX", **fields: Any) -> list[uuid.UUID]:
    with world.app.app_context():
        ids = [add_licensee(db_session(world), state, world.houston, **fields) for _ in range(count)]
        db_session(world).commit()
    return ids


def ranked(world: World, persona: Any = None, **query: Any) -> Any:
    client = world.client(persona or world.admin)
    query.setdefault("field_office_id", str(world.houston))
    return client.get("/api/v1/ranked-licensees", query_string=query)


def entry_of(rows: list[dict[str, Any]], licensee_id: uuid.UUID) -> dict[str, Any]:
    [row] = [r for r in rows if r["licensee"]["id"] == str(licensee_id)]
    return row


def factors(row: dict[str, Any]) -> dict[str, float]:
    return {f["key"]: f["points"] for f in row["factors"]}


def assign(
    world: World, ids: list[uuid.UUID], *, kind: str = "compliance", persona: Any = None, to: Any = None
) -> Any:
    client = world.client(persona or world.admin)
    investigator = to or world.investigator.id
    body = {"licensee_ids": [str(i) for i in ids], "due_date": "2026-12-20", "type": kind}
    return client.post(f"/api/v1/queues/{investigator}/assignments", json=body)


def audit_actions(world: World) -> list[str]:
    from inspector.audit.models import AuditEvent

    with world.app.app_context():
        return list(db_session(world).scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


# ---- the ranked list ------------------------------------------------------------------------


def test_ranked_list_scores_every_licensee_of_the_office_best_first(world: World) -> None:
    never = licensees(world, 1, "TX", license_type="02")[0]
    recent = licensees(world, 1, "NM", last_inspection_date=TODAY - timedelta(days=30))[0]
    response = ranked(world)
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = response.json
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 3  # world.licensee, never, recent: Houston's only
    assert {r["licensee"]["premises_state"] for r in rows} <= {"TX", "NM"}
    assert [r["position"] for r in rows] == [1, 2, 3]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    top = rows[0]
    assert top["licensee"]["id"] == str(never)
    assert factors(top) == {
        "never_inspected": 35,
        "years_since_last": 0,
        "prior_violations": 0,
        "last_outcome": 0,
        "open_leads": 0,
        "license_type": 12,
        "border_state": 10,
    }
    assert top["score"] == 57
    assert top["eligible"] is True and top["eligible_from"] is None
    late = entry_of(rows, recent)
    assert late["eligible"] is False
    from inspector.inspections.rules import compliance_allowed_from

    assert late["eligible_from"] == compliance_allowed_from(TODAY - timedelta(days=30)).isoformat()  # type: ignore[union-attr]
    # world.licensee has an assigned inspection: listed with its queue place
    queued = entry_of(rows, world.licensee)
    assert queued["queued"] == {
        "inspection_id": str(world.inspection),
        "investigator_id": str(world.investigator.id),
        "status": "assigned",
        "type": "compliance",
    }


def test_filters_and_pages(world: World) -> None:
    licensees(world, 2, "NM", license_type="07")
    recent = licensees(world, 1, "TX", last_inspection_date=TODAY - timedelta(days=10))[0]
    assert {r["licensee"]["premises_state"] for r in ranked(world, state="NM").json} == {"NM"}
    assert {r["licensee"]["license_type"] for r in ranked(world, license_type="07").json} == {"07"}
    assert str(recent) not in {r["licensee"]["id"] for r in ranked(world, eligible="true").json}
    assert [r["licensee"]["id"] for r in ranked(world, eligible="false").json] == [str(recent)]
    assert str(world.licensee) not in {r["licensee"]["id"] for r in ranked(world, queued="false").json}
    page = ranked(world, page=2, page_size=2)
    assert len(page.json) == 2
    assert json.loads(page.headers["X-Pagination"])["total"] == 4
    assert [r["position"] for r in page.json] == [3, 4]


def test_history_violations_outcome_and_open_leads_add_their_points(world: World) -> None:
    from inspector.inspections.models import Inspection
    from inspector.leads.models import Lead

    [licensee] = licensees(world, 1, "TX", license_type="03")
    long_ago = datetime(2023, 11, 1, tzinfo=UTC)
    with world.app.app_context():
        session = db_session(world)
        done = add_inspection(
            session, licensee, world.investigator, status="approved", type="recall", completed_at=long_ago
        )
        session.get(Inspection, done).decided_outcome = "warning_conference"  # type: ignore[union-attr]
        for key in ("license-posted", "form-4473-complete"):
            add_finding(session, done, key, result="violation", instances=2)
        add_finding(session, done, "nics-checks", result="compliant")
        for status in ("submitted", "referred", "draft", "closed"):
            session.add(
                Lead(
                    licensee_id=licensee,
                    created_by=world.investigator.id,
                    field_office_id=world.houston,
                    status=status,
                    purge_after=datetime(2030, 1, 1, tzinfo=UTC),
                )
            )
        session.commit()
    row = entry_of(ranked(world).json, licensee)
    values = {f["key"]: f["value"] for f in row["factors"]}
    assert values["never_inspected"] is False
    assert values["prior_violations"] == 2  # findings, not instances
    assert values["last_outcome"] == "warning_conference"
    assert values["open_leads"] == 2  # submitted and referred; not draft or closed
    assert factors(row)["prior_violations"] == 6
    assert factors(row)["last_outcome"] == 15
    assert factors(row)["open_leads"] == 20
    assert factors(row)["years_since_last"] > 15
    assert row["last_inspection_date"] == "2023-11-01"
    assert row["eligible"] is True  # a recall does not start the 12 months


def test_who_reads_the_ranked_list(world: World) -> None:
    assert ranked(world, world.reviewer, field_office_id=None).status_code == 200  # own office by default
    assert_problem(ranked(world, world.reviewer_other), 404, "not-found")
    assert_problem(ranked(world, world.investigator), 403, "forbidden")
    admin = world.client(world.admin)
    assert_problem(admin.get("/api/v1/ranked-licensees"), 422, "validation-error")
    unknown = admin.get("/api/v1/ranked-licensees", query_string={"field_office_id": str(uuid.uuid4())})
    assert_problem(unknown, 404, "not-found")
    phoenix = ranked(world, field_office_id=str(world.phoenix)).json
    assert [r["licensee"]["id"] for r in phoenix] == [str(world.licensee_other)]


# ---- assigning ------------------------------------------------------------------------------


def test_assigning_five_puts_them_at_the_end_of_the_queue_and_the_tablet_pulls_them(world: World) -> None:
    tablet = world.client(world.investigator)
    cursor = current_cursor(tablet, world.investigator)
    ids = licensees(world, 5)
    response = assign(world, ids)
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.json
    assert [e["licensee"]["id"] for e in created] == [str(i) for i in ids]
    assert {e["inspection"]["status"] for e in created} == {"assigned"}
    assert {e["inspection"]["type"] for e in created} == {"compliance"}
    assert {e["inspection"]["due_date"] for e in created} == {"2026-12-20"}
    queue = world.client(world.admin).get(f"/api/v1/queues/{world.investigator.id}").json
    assert queue[0]["inspection"]["id"] == str(world.inspection)  # the queue's head stays
    assert [e["inspection"]["priority"] for e in queue] == [6, 5, 4, 3, 2, 1]
    assert [e["licensee"]["id"] for e in queue[1:]] == [str(i) for i in ids]

    changes, _ = pull_all(tablet, world.investigator, cursor)
    for entry in created:
        got = pulled(changes, "inspection", entry["inspection"]["id"])
        assert got is not None and got["deleted"] is False
        assert got["record"]["status"] == "assigned"
        assert got["record"]["investigator_id"] == str(world.investigator.id)
    with world.app.app_context():
        from inspector.checklists.service import current_checklist

        checklist = str(current_checklist(db_session(world)).id)
    assert {
        pulled(changes, "inspection", e["inspection"]["id"])["record"]["checklist_id"] for e in created
    } == {  # type: ignore[index]
        checklist
    }
    # the head of the queue got a new priority (6), so the tablet pulls that too
    assert pulled(changes, "inspection", world.inspection)["record"]["priority"] == 6  # type: ignore[index]
    # the other investigator's tablet hears nothing of it
    other, _ = pull_all(world.client(world.investigator_other), world.investigator_other)
    assert not any(pulled(other, "inspection", e["inspection"]["id"]) for e in created)
    assert audit_actions(world).count("inspection-assigned") == 5


def test_a_batch_is_all_or_nothing_with_a_reason_per_licensee(world: World) -> None:
    fresh = licensees(world, 2)
    early = licensees(world, 1, last_inspection_date=TODAY - timedelta(days=100))[0]
    response = assign(world, [*fresh, early, world.licensee, world.licensee_other])
    body = assert_problem(response, 422, "validation-error")
    assert set(body["errors"]) == {str(early), str(world.licensee), str(world.licensee_other)}
    allowed = (TODAY - timedelta(days=100)).replace(year=(TODAY - timedelta(days=100)).year + 1)
    assert body["eligible_from"] == {str(early): allowed.isoformat()}
    assert allowed.isoformat() in body["errors"][str(early)][0]
    assert "recall" in body["errors"][str(early)][0]
    assert "already in a queue" in body["errors"][str(world.licensee)][0]
    assert "field office" in body["errors"][str(world.licensee_other)][0]
    assert "3 of 5" in body["detail"]
    queue = world.client(world.admin).get(f"/api/v1/queues/{world.investigator.id}").json
    assert [e["inspection"]["id"] for e in queue] == [str(world.inspection)]
    assert "inspection-assigned" not in audit_actions(world)


def test_one_early_compliance_names_the_date_and_a_recall_goes_sooner(world: World) -> None:
    [early] = licensees(world, 1, last_inspection_date=date(2026, 3, 1))
    body = assert_problem(assign(world, [early]), 422, "validation-error")
    if date(2027, 3, 1) > TODAY:
        assert "2027-03-01" in body["detail"]
        assert body["eligible_from"] == {str(early): "2027-03-01"}
    response = assign(world, [early], kind="recall")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json[0]["inspection"]["type"] == "recall"


def test_a_compliance_inspection_done_here_starts_the_12_months(world: World) -> None:
    [licensee] = licensees(world, 1)
    with world.app.app_context():
        add_inspection(
            db_session(world),
            licensee,
            world.investigator,
            status="submitted",
            completed_at=datetime.now(UTC) - timedelta(days=20),
        )
        db_session(world).commit()
    body = assert_problem(assign(world, [licensee]), 422, "validation-error")
    assert str(licensee) in body["eligible_from"]


def test_assignment_refusals(world: World) -> None:
    [licensee] = licensees(world, 1)
    for persona in (world.investigator, world.reviewer, world.reviewer_other):
        assert_problem(assign(world, [licensee], persona=persona), 403, "forbidden")
    assert_problem(assign(world, [licensee], to=uuid.uuid4()), 404, "not-found")
    assert_problem(assign(world, [licensee], to=world.reviewer.id), 404, "not-found")  # not an investigator
    assert_problem(assign(world, [], kind="compliance"), 422, "validation-error")
    assert_problem(assign(world, [licensee], kind="routine"), 422, "validation-error")
    with world.app.app_context():
        from inspector.offices.models import User

        db_session(world).get(User, world.investigator.id).active = False  # type: ignore[union-attr]
        db_session(world).commit()
    assert_problem(assign(world, [licensee]), 422, "validation-error")


def test_duplicates_in_a_batch_are_assigned_once(world: World) -> None:
    [licensee] = licensees(world, 1)
    response = assign(world, [licensee, licensee])
    assert response.status_code == 201
    assert len(response.json) == 1
    assert_problem(assign(world, [licensee], kind="recall"), 422, "validation-error")  # now queued


# ---- reading a queue ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "own", "other"),
    [
        ("investigator", 200, 404),
        ("investigator_other", 404, 200),
        ("reviewer", 200, 404),
        ("reviewer_other", 404, 200),
        ("admin", 200, 200),
    ],
)
def test_who_reads_which_queue(world: World, persona: str, own: int, other: int) -> None:
    client = world.client(world.persona(persona))
    houston = client.get(f"/api/v1/queues/{world.investigator.id}")
    phoenix = client.get(f"/api/v1/queues/{world.investigator_other.id}")
    assert houston.status_code == own
    assert phoenix.status_code == other
    if own == 200:
        assert [e["inspection"]["id"] for e in houston.json] == [str(world.inspection)]
        assert houston.json[0]["licensee"]["license_name"] == "LONE STAR GUNS LLC"
    else:
        assert_problem(houston, 404, "not-found")


def test_a_queue_lists_only_open_inspections(world: World) -> None:
    [a, b, c] = licensees(world, 3)
    with world.app.app_context():
        session = db_session(world)
        add_inspection(session, a, world.investigator, status="in_progress", priority=9)
        add_inspection(session, b, world.investigator, status="submitted")
        add_inspection(session, c, world.investigator, status="approved")
        session.commit()
    queue = world.client(world.investigator).get(f"/api/v1/queues/{world.investigator.id}").json
    assert [e["licensee"]["id"] for e in queue] == [str(a), str(world.licensee)]


# ---- reordering -----------------------------------------------------------------------------


def queue_ids(world: World) -> list[str]:
    queue = world.client(world.admin).get(f"/api/v1/queues/{world.investigator.id}").json
    return [e["inspection"]["id"] for e in queue]


def test_reorder_sets_priorities_and_the_tablet_pulls_the_moved_ones(world: World) -> None:
    assert assign(world, licensees(world, 3)).status_code == 201
    before = queue_ids(world)
    tablet = world.client(world.investigator)
    cursor = current_cursor(tablet, world.investigator)
    wanted = [before[3], before[1], before[2], before[0]]
    response = world.client(world.admin).put(
        f"/api/v1/queues/{world.investigator.id}/order", json={"inspection_ids": wanted}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [e["inspection"]["id"] for e in response.json] == wanted
    assert [e["inspection"]["priority"] for e in response.json] == [4, 3, 2, 1]
    assert queue_ids(world) == wanted
    changes, _ = pull_all(tablet, world.investigator, cursor)
    # the two in the middle kept their priorities: no new version for them
    assert {c["id"] for c in changes if c["entity"] == "inspection"} == {before[0], before[3]}
    assert "queue-reordered" in audit_actions(world)


def test_reorder_refuses_a_stale_list(world: World) -> None:
    assert assign(world, licensees(world, 1)).status_code == 201
    ids = queue_ids(world)
    url = f"/api/v1/queues/{world.investigator.id}/order"
    admin = world.client(world.admin)
    body = assert_problem(admin.put(url, json={"inspection_ids": ids[:1]}), 409, "conflict")
    assert body["missing"] == [ids[1]]
    stray = str(uuid.uuid4())
    body = assert_problem(admin.put(url, json={"inspection_ids": [*ids, stray]}), 409, "conflict")
    assert body["unknown"] == [stray]
    assert_problem(admin.put(url, json={"inspection_ids": [ids[0], ids[0], ids[1]]}), 409, "conflict")
    assert_problem(world.client(world.reviewer).put(url, json={"inspection_ids": ids}), 403, "forbidden")
    assert queue_ids(world) == ids


# ---- unassigning ----------------------------------------------------------------------------


def test_unassign_leaves_a_tombstone_the_tablet_pulls(world: World) -> None:
    [licensee] = licensees(world, 1)
    [entry] = assign(world, [licensee]).json
    inspection = entry["inspection"]["id"]
    tablet = world.client(world.investigator)
    cursor = current_cursor(tablet, world.investigator)
    response = world.client(world.admin).post(f"/api/v1/inspections/{inspection}/unassign")
    assert response.status_code == 204, response.get_data(as_text=True)
    changes, _ = pull_all(tablet, world.investigator, cursor)
    tombstone = pulled(changes, "inspection", inspection)
    assert tombstone is not None and tombstone["deleted"] is True
    assert queue_ids(world) == [str(world.inspection)]
    assert entry_of(ranked(world).json, licensee)["queued"] is None  # back in the ranked list
    assert "inspection-unassigned" in audit_actions(world)
    again = world.client(world.admin).post(f"/api/v1/inspections/{inspection}/unassign")
    assert_problem(again, 404, "not-found")


def test_unassign_only_before_the_investigator_starts(world: World) -> None:
    [a, b] = licensees(world, 2)
    with world.app.app_context():
        started = add_inspection(db_session(world), a, world.investigator, status="in_progress")
        db_session(world).commit()
    admin = world.client(world.admin)
    assert_problem(admin.post(f"/api/v1/inspections/{started}/unassign"), 409, "conflict")
    # world.inspection is assigned but has a finding already
    body = assert_problem(admin.post(f"/api/v1/inspections/{world.inspection}/unassign"), 409, "conflict")
    assert "findings" in body["detail"]
    [entry] = assign(world, [b]).json
    url = f"/api/v1/inspections/{entry['inspection']['id']}/unassign"
    assert_problem(world.client(world.reviewer).post(url), 403, "forbidden")
    assert_problem(world.client(world.investigator).post(url), 403, "forbidden")
    assert_problem(admin.post(f"/api/v1/inspections/{uuid.uuid4()}/unassign"), 404, "not-found")


def test_a_new_investigator_of_the_office_can_be_given_a_queue(world: World) -> None:
    with world.app.app_context():
        newcomer = add_user(db_session(world), "nick", "investigator", world.houston)
        db_session(world).commit()
    response = assign(world, licensees(world, 2), to=newcomer.id)
    assert response.status_code == 201
    assert [e["inspection"]["priority"] for e in response.json] == [2, 1]


def test_push_refuses_the_same_early_compliance_with_the_same_words(world: World) -> None:
    """One rule (``inspections.rules.early_compliance``) for assignments and for tablets."""
    from tests.sync.helpers import change, push_one

    last = TODAY - timedelta(days=100)
    [licensee] = licensees(world, 1, last_inspection_date=last)
    refused = assert_problem(assign(world, [licensee]), 422, "validation-error")["errors"][str(licensee)][0]
    tablet = world.client(world.investigator)
    fields = {"licensee_id": str(licensee), "type": "compliance", "status": "in_progress"}
    receipt = push_one(tablet, world.investigator, change("inspection", uuid.uuid4(), "create", fields))
    assert receipt["status"] == "rejected", receipt
    assert receipt["problem"]["errors"]["type"] == [refused]
    recall = push_one(
        tablet, world.investigator, change("inspection", uuid.uuid4(), "create", {**fields, "type": "recall"})
    )
    assert recall["status"] == "applied", recall
